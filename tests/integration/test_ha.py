#!/usr/bin/python3
"""Integration tests of the home agent (RFC 5944 §3.8, §5.7): mipagent runs in
its own network namespace, mipreg and hand-made datagrams come from another,
and every step is checked both in the reply and in the binding table read
through the control socket.

Run as root: /usr/bin/python3 tests/integration/test_ha.py
(env: top_builddir; MIPINT_KEEP_TMP=1 keeps configs and daemon logs).
Prints "PASS name" / "FAIL name: reason" per case and "N passed, M failed".
"""
import hmac
import json
import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mipnet import (CCOA, CN_ADDR, FA_ADDR, HA_ADDR, Lab, Runner, append_auth, build_request,  # noqa: E402
                    check, ntp_now, ntp_seconds, parse_exts, parse_reply, verify_ext)

K = "00112233445566778899aabbccddeeff"      # range nodes and most single nodes (SPI 256)
K_KEYED = "ffeeddccbbaa99887766554433221100"  # 192.0.2.102, keyed-md5, SPI 258
K_2002 = "0123456789abcdef0123456789abcdef"   # 192.0.2.103, rfc2002-md5, SPI 259
K_NONCE = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"  # 192.0.2.104, nonces, SPI 260
K_FA = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"     # FA-HA with the peer 198.51.100.2, SPI 500
WRONG = "deadbeefdeadbeefdeadbeefdeadbeef"
KB = bytes.fromhex(K)

NODE_RANGE = '''    <mobile-node first="192.0.2.20" last="192.0.2.79">
      <security-association spi="256" key="%s"/>
    </mobile-node>
''' % K

MAIN_CONF = '''  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24"
      max-registration-lifetime="1800" max-bindings="3">
    <care-of-access default="permit">
      <deny network="203.0.113.128/25"/>
      <permit network="203.0.113.0/24"/>
    </care-of-access>
%s    <mobile-node address="192.0.2.102">
      <security-association spi="258" algorithm="keyed-md5" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.103">
      <security-association spi="259" algorithm="rfc2002-md5" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.104">
      <security-association spi="260" algorithm="hmac-md5" replay-method="nonces" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.105" roam="false">
      <security-association spi="256" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.106" max-bindings="1">
      <security-association spi="256" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.107" max-registration-lifetime="600">
      <security-association spi="256" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.108" nai="mn108@example.net">
      <security-association spi="256" key="%s"/>
    </mobile-node>
  </home-agent>''' % (NODE_RANGE, K_KEYED, K_2002, K_NONCE, K, K, K, K)

LISTING_CONF = '''  <home-agent address="192.0.2.1" home-network="192.0.2.0/24" max-bindings="16">
    <mobile-node first="192.0.2.20" last="192.0.2.219">
      <security-association spi="256" key="%s"/>
    </mobile-node>
  </home-agent>''' % K

FA_CONF = '''  <home-agent address="192.0.2.1" home-network="192.0.2.0/24">
%s  </home-agent>
  <peer address="198.51.100.2">
    <security-association spi="500" algorithm="hmac-md5" key="%s"/>
  </peer>''' % (NODE_RANGE, K_FA)

REVTUN_REQUIRED_CONF = '''  <home-agent address="192.0.2.1" home-network="192.0.2.0/24" reverse-tunnel-required="true">
%s  </home-agent>''' % NODE_RANGE

NO_FEATURES_CONF = '''  <home-agent address="192.0.2.1" home-network="192.0.2.0/24" reverse-tunnel="false"
      minimal-encapsulation="false" gre-encapsulation="false">
%s  </home-agent>''' % NODE_RANGE

TOTAL_CONF = '''  <home-agent address="192.0.2.1" home-network="192.0.2.0/24" max-total-bindings="1"
      max-bindings="3">
%s  </home-agent>''' % NODE_RANGE

INFINITE_CONF = '''  <home-agent address="192.0.2.1" home-network="192.0.2.0/24" max-registration-lifetime="65535">
%s  </home-agent>''' % NODE_RANGE

lab = Lab()
R = Runner(lab)


# ---------------------------------------------------------------- helpers

def reg(hoa, key=K, **kw):
    return lab.mipreg(hoa, key, **kw)


def one_reply(rc, replies, code, rc_expected, lifetime=None):
    """Exactly one reply with @code and exit status @rc_expected."""
    check(len(replies) == 1, "expected 1 reply, got %d: %s" % (len(replies), replies))
    r = replies[0]
    check(r.get("code") == code, "expected code %s, got %s (%s)" % (code, r.get("code"), r))
    check(rc == rc_expected, "mipreg exit %d, expected %d (%s)" % (rc, rc_expected, r))
    if lifetime is not None:
        check(r["lifetime"] == lifetime, "reply lifetime %s, expected %s" % (r["lifetime"], lifetime))
    check((int(r["identification"], 16) & 0xffffffff) == (int(r["sent_identification"], 16) & 0xffffffff),
          "reply id low bits %s differ from sent %s" % (r["identification"], r["sent_identification"]))
    return r


def accepted(rc, replies, lifetime=None, code=0):
    r = one_reply(rc, replies, code, 0, lifetime)
    check(r["authenticated"] is True, "reply not authenticated: %s" % r)
    check(r["home_agent"] == HA_ADDR, "reply home agent %s" % r["home_agent"])
    check(r["identification"] == r["sent_identification"],
          "accepted reply id %s != sent %s" % (r["identification"], r["sent_identification"]))
    return r


def no_reply(rc, replies):
    check(rc == 2, "expected no reply (exit 2), got exit %d: %s" % (rc, replies))
    check(replies == [{"code": None, "problem": "no reply"}] or replies == [] or
          all(r.get("code") is None for r in replies), "unexpected replies %s" % replies)


def sent_id(r):
    return int(r["sent_identification"], 16)


def one_binding(hoa, coa=None, src=None, lifetime=None):
    bs = lab.bindings(hoa)
    check(len(bs) == 1, "expected 1 binding for %s, got %s" % (hoa, bs))
    b = bs[0]
    check(b["hoa"] == hoa, "binding hoa %s" % b["hoa"])
    if coa:
        check(b["coa"] == coa, "binding coa %s, expected %s" % (b["coa"], coa))
    if src:
        check(b["src"] == src, "binding src %s, expected %s" % (b["src"], src))
    if lifetime is not None:
        check(b["lifetime"] == lifetime, "binding lifetime %d, expected %d" % (b["lifetime"], lifetime))
        check(lifetime - 1 <= b["remaining"] <= lifetime,
              "binding remaining %d not close to %d" % (b["remaining"], lifetime))
    return b


def no_binding(hoa):
    bs = lab.bindings(hoa)
    check(bs == [], "expected no binding for %s, got %s" % (hoa, bs))


def same_binding(before, hoa):
    """The table for @hoa still holds exactly the bindings in @before (same coa, id, lifetime)."""
    after = lab.bindings(hoa)
    key = lambda b: (b["coa"], b["id"], b["src"], b["lifetime"], b["flags"])   # noqa: E731
    # a binding about to expire (left by an earlier case) may go meanwhile
    gone = {key(b) for b in before if b["remaining"] <= 5} - set(map(key, after))
    before = [b for b in before if key(b) not in gone]
    check(sorted(map(key, after)) == sorted(map(key, before)),
          "binding table changed: before %s after %s" % (before, after))


def fresh_id():
    """A valid timestamp identification: now, so newer than any earlier one."""
    return ntp_now()


def hexid(i):
    return "%016x" % i


# ---------------------------------------------------------------- 1. accept

def t_accept_and_reregister():
    hoa = "192.0.2.20"
    rc, rr = reg(hoa, coa=CCOA, args=["-l", 300])
    r = accepted(rc, rr, 300)
    check(r["from"] == HA_ADDR and r["port"] == 434, "reply from %s:%s" % (r["from"], r["port"]))
    check(r["home_address"] == hoa, "reply home address %s" % r["home_address"])
    b = one_binding(hoa, CCOA, CCOA, 300)
    check(b["id"] == sent_id(r), "binding id %x != request id %x" % (b["id"], sent_id(r)))
    check(b["flags"] == 0 and b["sport"] > 0, "binding flags/sport %s" % b)
    time.sleep(1.1)
    b = one_binding(hoa)
    check(b["remaining"] <= 299, "remaining did not decrease: %s" % b)
    rc, rr = reg(hoa, coa=CCOA, args=["-l", 300])
    r2 = accepted(rc, rr, 300)
    check(sent_id(r2) > sent_id(r), "mipreg's second id is not newer")
    b2 = one_binding(hoa, CCOA, CCOA, 300)
    check(b2["id"] == sent_id(r2), "binding id %x not updated to %x" % (b2["id"], sent_id(r2)))
    check(b2["remaining"] >= 299, "remaining not reset: %s" % b2)
    code, lines = lab.ctl("MIP/1 show nodes " + hoa)
    check(code == 0 and len(lines) == 1 and "bindings=1 " in lines[0] and "accepted=2 " in lines[0],
          "show nodes: %s %s" % (code, lines))


# ---------------------------------------------------------------- 2. deregistration

def t_deregister_one_and_all():
    hoa, coa2 = "192.0.2.21", "203.0.113.11"
    accepted(*reg(hoa, coa=CCOA, args=["-F", "S", "-l", 300]), 300)
    accepted(*reg(hoa, coa=coa2, args=["-F", "S", "-l", 300]), 300)
    bs = lab.bindings(hoa)
    check(sorted(b["coa"] for b in bs) == [CCOA, coa2], "two simultaneous bindings: %s" % bs)
    r = accepted(*reg(hoa, coa=CCOA, args=["-F", "S", "-l", 0]), 0)
    one_binding(hoa, coa2)
    # lifetime 0 with coa = home address: every binding goes
    accepted(*reg(hoa, coa=CCOA, args=["-F", "S", "-l", 300]), 300)
    check(len(lab.bindings(hoa)) == 2, "re-added binding missing")
    r = accepted(*reg(hoa, coa=hoa, args=["-l", 0]), 0)
    check(r["lifetime"] == 0, "dereg reply lifetime %s" % r["lifetime"])
    no_binding(hoa)


def t_deregister_coa_equals_hoa_nonzero_lifetime():
    # §3.8.2.2 / ha.c is_dereg: care-of = home address means "at home"
    hoa = "192.0.2.38"
    accepted(*reg(hoa, coa=CCOA, args=["-F", "S", "-l", 300]), 300)
    accepted(*reg(hoa, coa="203.0.113.11", args=["-F", "S", "-l", 300]), 300)
    check(len(lab.bindings(hoa)) == 2, "setup bindings missing")
    accepted(*reg(hoa, coa=hoa, args=["-l", 300]))
    no_binding(hoa)


def t_deregister_unknown_coa_keeps_others():
    hoa = "192.0.2.39"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    accepted(*reg(hoa, coa="203.0.113.44", args=["-l", 0]), 0)
    one_binding(hoa, CCOA)


# ---------------------------------------------------------------- 3. expiry

def t_lifetime_expiry():
    hoa = "192.0.2.22"
    t_before = time.monotonic()
    rc, rr = reg(hoa, coa=CCOA, args=["-l", 2])
    t_after = time.monotonic()     # the binding was made between these two
    accepted(rc, rr, 2)
    b = one_binding(hoa, CCOA, lifetime=2)
    # §3.8: no reply is sent when the lifetime expires; listen where the reply went
    listener = lab.ns_socket("net")
    listener.bind((CCOA, b["sport"]))
    listener.setblocking(False)
    gone = last_seen = None
    while time.monotonic() - t_before < 4.0:
        t = time.monotonic()
        if lab.bindings(hoa):
            last_seen = t
        else:
            gone = t
            break
        time.sleep(0.05)
    check(gone is not None, "binding still present %.1f s after a 2 s lifetime" % (time.monotonic() - t_before))
    check(gone - t_after >= 1.5, "binding gone after only %.2f s" % (gone - t_after))
    check(last_seen is not None and last_seen - t_after >= 1.5,
          "binding not seen after 1.5 s (last seen %s)" % (last_seen and "%.2f s" % (last_seen - t_after)))
    check(gone - t_before <= 3.0, "binding removed late: %.2f s" % (gone - t_before))
    time.sleep(0.2)
    try:
        got = listener.recv(4096)
    except BlockingIOError:
        got = None
    listener.close()
    check(got is None, "a datagram was sent to the node on expiry: %s" % (got.hex() if got else ""))
    # the expiry sends nothing (§3.8) and the node can register again
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    one_binding(hoa, CCOA, lifetime=300)


# ---------------------------------------------------------------- 4, 5. authentication

def t_bad_authenticator():
    hoa = "192.0.2.23"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    before = lab.bindings(hoa)
    rc, rr = reg(hoa, WRONG, coa="203.0.113.12", args=["-l", 300])
    r = one_reply(rc, rr, 131, 3)
    check(r["authenticated"] is False and r["lifetime"] == 0, "131 reply %s" % r)
    same_binding(before, hoa)
    # the same with a deregistration must not remove anything either
    rc, rr = reg(hoa, WRONG, coa=hoa, args=["-l", 0])
    one_reply(rc, rr, 131, 3)
    same_binding(before, hoa)


def t_unknown_spi():
    hoa = "192.0.2.24"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    before = lab.bindings(hoa)
    rc, rr = reg(hoa, K, spi=999, coa="203.0.113.12", args=["-l", 300])
    r = one_reply(rc, rr, 131, 3)
    check("SPI" in (r.get("problem") or ""), "the 131 should be signed with the node's SPI 256: %s" % r)
    same_binding(before, hoa)
    # the reply is authenticated with an SA the node has (SPI 256): check it by hand
    req = build_request(hoa, HA_ADDR, CCOA, fresh_id(), 300, 0, 999, KB)
    data, _ = lab.exchange(req)
    check(data is not None, "no reply to a raw request with SPI 999")
    p = parse_reply(data)
    check(p["code"] == 131, "raw unknown SPI: code %d" % p["code"])
    check(verify_ext(data, p["exts"], 32, 256, "hmac-md5", KB),
          "131 reply is not authenticated with SPI 256: %s" % data.hex())
    same_binding(before, hoa)


# ---------------------------------------------------------------- 6. replay protection

def t_replay_older_id():
    hoa = "192.0.2.25"
    x = fresh_id()
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(x), "--no-resync"]), 300)
    before = lab.bindings(hoa)
    check(before[0]["id"] == x, "binding id %x != %x" % (before[0]["id"], x))
    old = x - 1
    rc, rr = reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(old), "--no-resync"])
    r = one_reply(rc, rr, 133, 1)
    rid = int(r["identification"], 16)
    check(r["authenticated"] is True, "133 not authenticated: %s" % r)
    check(abs((rid >> 32) - ntp_seconds()) <= 2,
          "133 high bits %x are not the HA's time (now %x)" % (rid >> 32, ntp_seconds()))
    check(rid & 0xffffffff == old & 0xffffffff, "133 low bits %x != %x" % (rid & 0xffffffff, old & 0xffffffff))
    same_binding(before, hoa)


def t_replay_reused_id():
    hoa = "192.0.2.51"
    x = fresh_id()
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(x), "--no-resync"]), 300)
    before = lab.bindings(hoa)
    # same identification, another care-of address: not a duplicate, a replay
    rc, rr = reg(hoa, coa="203.0.113.13", args=["-l", 300, "-i", hexid(x), "--no-resync"])
    r = one_reply(rc, rr, 133, 1)
    check(int(r["identification"], 16) & 0xffffffff == x & 0xffffffff, "low bits not copied")
    same_binding(before, hoa)


def t_replay_resync():
    hoa = "192.0.2.26"
    x = fresh_id()
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(x), "--no-resync"]), 300)
    # an older id: 133, then mipreg resynchronises and is accepted
    rc, rr = reg(hoa, coa="203.0.113.13", args=["-l", 300, "-i", hexid(x - 5)])
    check(len(rr) == 2, "expected 2 replies (133 then 0), got %s" % rr)
    check(rr[0]["code"] == 133 and rr[1]["code"] == 0 and rc == 0, "replies %s exit %d" % (rr, rc))
    check(rr[1]["identification"] == rr[1]["sent_identification"], "accepted id not echoed")
    one_binding(hoa, "203.0.113.13", lifetime=300)
    check(lab.bindings(hoa)[0]["id"] == sent_id(rr[1]), "binding id is not the resynchronised one")
    # a timestamp far from the HA's clock (outside the 7 s tolerance): 133 with the HA's time
    before = lab.bindings(hoa)
    far = (ntp_seconds() - 1000) << 32 | 0x4242
    rc, rr = reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(far), "--no-resync"])
    r = one_reply(rc, rr, 133, 1)
    rid = int(r["identification"], 16)
    check(abs((rid >> 32) - ntp_seconds()) <= 2, "high bits %x not the HA's time" % (rid >> 32))
    check(rid & 0xffffffff == 0x4242, "low bits %x" % (rid & 0xffffffff))
    same_binding(before, hoa)
    # a timestamp in the future beyond the tolerance is refused too
    fut = (ntp_seconds() + 60) << 32 | 0x4343
    one_reply(*reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(fut), "--no-resync"]), 133, 1)
    same_binding(before, hoa)
    rc, rr = reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(far)])
    check([x["code"] for x in rr] == [133, 0] and rc == 0, "resync after far timestamp: %s" % rr)
    one_binding(hoa, CCOA, lifetime=300)


def t_replay_duplicate():
    hoa = "192.0.2.27"
    y = fresh_id()
    accepted(*reg(hoa, coa=CCOA, args=["-l", 10, "-i", hexid(y), "--no-resync"]), 10)
    time.sleep(1.3)
    rc, rr = reg(hoa, coa=CCOA, args=["-l", 10, "-i", hexid(y), "--no-resync"])
    r = accepted(rc, rr)
    check(r["lifetime"] <= 9, "duplicate extended the lifetime: granted %d" % r["lifetime"])
    check(r["lifetime"] >= 7, "duplicate's lifetime %d too short" % r["lifetime"])
    b = one_binding(hoa, CCOA)
    check(b["id"] == y, "binding id changed")
    check(b["remaining"] <= 9, "duplicate reset the binding's remaining lifetime: %s" % b)
    # a request with a new id is a real re-registration again
    accepted(*reg(hoa, coa=CCOA, args=["-l", 10]), 10)
    check(one_binding(hoa, CCOA)["remaining"] >= 9, "re-registration did not reset the lifetime")


# ---------------------------------------------------------------- 7. lifetime

def t_lifetime_too_long():
    hoa = "192.0.2.28"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 65000]), 1800)
    one_binding(hoa, CCOA, lifetime=1800)
    accepted(*reg(hoa, coa=CCOA, args=["-l", 1799]), 1799)
    one_binding(hoa, CCOA, lifetime=1799)
    # per-node maximum lower than the home agent's
    hoa = "192.0.2.107"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 65000]), 600)
    one_binding(hoa, CCOA, lifetime=600)
    accepted(*reg(hoa, coa=CCOA, args=["-l", 700]), 600)
    one_binding(hoa, CCOA, lifetime=600)
    accepted(*reg(hoa, coa=CCOA, args=["-l", 599]), 599)
    one_binding(hoa, CCOA, lifetime=599)
    accepted(*reg(hoa, coa=CCOA, args=["-l", 65535]), 600)    # "infinity" is too long too
    one_binding(hoa, CCOA, lifetime=600)


# ---------------------------------------------------------------- 8. poorly formed, unknown extensions

def t_poorly_formed():
    hoa = "192.0.2.29"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    before = lab.bindings(hoa)
    # skippable type 128 whose length (255) runs past the end of the message
    r = one_reply(*reg(hoa, coa="203.0.113.14", args=["-l", 300, "--extra", "80ff"]), 134, 1)
    check(r["authenticated"] is True, "134 reply should carry a valid MN-HA: %s" % r)
    same_binding(before, hoa)
    # MN-FA extension with a length (2) shorter than its SPI
    one_reply(*reg(hoa, coa="203.0.113.14", args=["-l", 300, "--extra", "2102aabb"]), 134, 1)
    same_binding(before, hoa)
    # NAI extension of length 0
    one_reply(*reg(hoa, coa="203.0.113.14", args=["-l", 300, "--extra", "8300"]), 134, 1)
    same_binding(before, hoa)
    # generalized authentication (36/1) with a length below 20
    one_reply(*reg(hoa, coa="203.0.113.14", args=["-l", 300, "--extra", "2401000800000100" + "00" * 4]), 134, 1)
    same_binding(before, hoa)
    # hand-made: the last extension overruns the end (after a valid MN-HA)
    for name, tail in (("overrunning skippable", bytes.fromhex("c805aabb")),
                       ("lone type byte", bytes.fromhex("c8")),
                       ("truncated MN-FA", bytes.fromhex("2114000001")),
                       ("overrunning MN-HA", None)):
        if tail is None:
            req = build_request(hoa, HA_ADDR, "203.0.113.14", ntp_now(), 300, 0, 256, KB)[:-3]
        else:
            req = build_request(hoa, HA_ADDR, "203.0.113.14", ntp_now(), 300, 0, 256, KB, after=tail)
        data, _ = lab.exchange(req)
        check(data is not None, "%s: no reply" % name)
        p = parse_reply(data)
        check(p["code"] == 134, "%s: code %d, expected 134" % (name, p["code"]))
        check(p["lifetime"] == 0, "%s: lifetime %d" % (name, p["lifetime"]))
        check(verify_ext(data, p["exts"], 32, 256, "hmac-md5", KB), "%s: reply not authenticated" % name)
        same_binding(before, hoa)


def t_unknown_extensions():
    hoa = "192.0.2.30"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    before = lab.bindings(hoa)
    # non-skippable unknown type 50: silently discarded
    no_reply(*reg(hoa, coa="203.0.113.15", args=["-l", 300, "--extra", "3202aabb", "-t", 300, "-R", 0]))
    same_binding(before, hoa)
    # unknown type 50 after a malformed one is not reached: still 134 (left to right)
    one_reply(*reg(hoa, coa="203.0.113.15", args=["-l", 300, "--extra", "2102aabb3202aabb"]), 134, 1)
    # ... and a malformed one after type 50 is never looked at: discarded
    req = build_request(hoa, HA_ADDR, "203.0.113.15", ntp_now(), 300, 0, 256, KB,
                        before=bytes.fromhex("3202aabb"), after=bytes.fromhex("80ff"))
    data, _ = lab.exchange(req, timeout=0.3)
    check(data is None, "type 50 before an overrun: got a reply %s" % (data.hex() if data else ""))
    same_binding(before, hoa)
    # skippable unknown type 200 (and padding): processed normally
    rc, rr = reg(hoa, coa="203.0.113.15", args=["-l", 300, "--extra", "c802aabb0000"])
    accepted(rc, rr, 300)
    one_binding(hoa, "203.0.113.15", lifetime=300)


# ---------------------------------------------------------------- 9. simultaneous bindings

def t_simultaneous_bindings():
    hoa = "192.0.2.31"
    coas = ["203.0.113.21", "203.0.113.22", "203.0.113.23", "203.0.113.24"]
    for i, c in enumerate(coas[:3]):
        accepted(*reg(hoa, coa=c, args=["-F", "S", "-l", 300]), 300)
        check(len(lab.bindings(hoa)) == i + 1, "binding %d missing" % (i + 1))
    before = lab.bindings(hoa)
    check(sorted(b["coa"] for b in before) == coas[:3], "bindings %s" % before)
    check(all(b["flags"] & 0x80 for b in before), "S flag not recorded: %s" % before)
    one_reply(*reg(hoa, coa=coas[3], args=["-F", "S", "-l", 300]), 135, 1)
    same_binding(before, hoa)
    # re-registering one of the existing care-of addresses is still fine at the limit
    accepted(*reg(hoa, coa=coas[1], args=["-F", "S", "-l", 200]), 200)
    bs = lab.bindings(hoa)
    check(len(bs) == 3 and [b["lifetime"] for b in bs if b["coa"] == coas[1]] == [200],
          "re-registration at the limit: %s" % bs)
    # without S a new care-of address replaces all of them
    accepted(*reg(hoa, coa=coas[3], args=["-l", 300]), 300)
    one_binding(hoa, coas[3], lifetime=300)


def t_no_simultaneous_replaces():
    hoa = "192.0.2.32"
    accepted(*reg(hoa, coa="203.0.113.21", args=["-l", 300]), 300)
    one_binding(hoa, "203.0.113.21")
    accepted(*reg(hoa, coa="203.0.113.22", args=["-l", 300]), 300)
    one_binding(hoa, "203.0.113.22")


def t_simultaneous_unsupported():
    hoa = "192.0.2.106"     # max-bindings="1"
    r = accepted(*reg(hoa, coa="203.0.113.21", args=["-F", "S", "-l", 300]), 300, code=1)
    check(r["accepted"] is True, "code 1 is an acceptance: %s" % r)
    one_binding(hoa, "203.0.113.21", lifetime=300)
    accepted(*reg(hoa, coa="203.0.113.22", args=["-F", "S", "-l", 300]), 300, code=1)
    one_binding(hoa, "203.0.113.22", lifetime=300)


# ---------------------------------------------------------------- 10. algorithms, nonces

def t_algorithms():
    for hoa, key, spi, alg in (("192.0.2.33", K, 256, "hmac-md5"),
                               ("192.0.2.102", K_KEYED, 258, "keyed-md5"),
                               ("192.0.2.103", K_2002, 259, "rfc2002-md5")):
        rc, rr = reg(hoa, key, spi=spi, coa=CCOA, args=["-A", alg, "-l", 300])
        accepted(rc, rr, 300)
        one_binding(hoa, CCOA, lifetime=300)
        # the same by hand, checking the reply's authenticator with our own code
        req = build_request(hoa, HA_ADDR, "203.0.113.31", ntp_now(), 100, 0, spi, bytes.fromhex(key), alg)
        data, _ = lab.exchange(req)
        check(data is not None, "%s: no reply to the hand-made request" % alg)
        p = parse_reply(data)
        check(p["code"] == 0 and p["lifetime"] == 100, "%s: hand-made request got %s" % (alg, p["code"]))
        check(verify_ext(data, p["exts"], 32, spi, alg, bytes.fromhex(key)),
              "%s: reply authenticator does not verify" % alg)
        one_binding(hoa, "203.0.113.31", lifetime=100)


def t_algorithm_mismatch():
    for hoa, key, spi, alg, wrong in (("192.0.2.102", K_KEYED, 258, "keyed-md5", "hmac-md5"),
                                      ("192.0.2.103", K_2002, 259, "rfc2002-md5", "keyed-md5"),
                                      ("192.0.2.34", K, 256, "hmac-md5", "rfc2002-md5")):
        before = lab.bindings(hoa)
        rc, rr = reg(hoa, key, spi=spi, coa="203.0.113.32", args=["-A", wrong, "-l", 300])
        one_reply(rc, rr, 131, 3)
        same_binding(before, hoa)


def t_nonces():
    hoa = "192.0.2.104"
    rc, rr = reg(hoa, K_NONCE, spi=260, coa=CCOA, args=["-r", "nonces", "-l", 300])
    check(len(rr) == 2, "expected 133 then acceptance, got %s" % rr)
    check(rr[0]["code"] == 133 and rr[0]["authenticated"], "first reply %s" % rr[0])
    n1 = int(rr[0]["identification"], 16) >> 32
    check(int(rr[1]["sent_identification"], 16) >> 32 == n1, "resync did not use the HA's nonce")
    check(rr[1]["code"] == 0 and rc == 0, "resynchronised request not accepted: %s" % rr[1])
    check(int(rr[1]["identification"], 16) & 0xffffffff == int(rr[1]["sent_identification"], 16) & 0xffffffff,
          "low bits not copied")
    n2 = int(rr[1]["identification"], 16) >> 32
    check(n2 != n1, "the HA did not supply a new nonce")
    one_binding(hoa, CCOA, lifetime=300)
    # the last nonce is accepted directly
    rc, rr = reg(hoa, K_NONCE, spi=260, coa=CCOA, args=["-r", "nonces", "-n", "%x" % n2, "-l", 200,
                                                        "--no-resync"])
    r = one_reply(rc, rr, 0, 0, 200)
    n3 = int(r["identification"], 16) >> 32
    b = one_binding(hoa, CCOA, lifetime=200)
    check(b["id"] == sent_id(r), "binding id %x" % b["id"])
    # an old nonce is refused, and the refusal carries a new one
    before = lab.bindings(hoa)
    rc, rr = reg(hoa, K_NONCE, spi=260, coa="203.0.113.33", args=["-r", "nonces", "-n", "%x" % n2,
                                                                  "-l", 300, "--no-resync"])
    r = one_reply(rc, rr, 133, 1)
    check(r["authenticated"], "133 not authenticated")
    n4 = int(r["identification"], 16) >> 32
    same_binding(before, hoa)
    rc, rr = reg(hoa, K_NONCE, spi=260, coa="203.0.113.33", args=["-r", "nonces", "-n", "%x" % n4,
                                                                  "-l", 300, "--no-resync"])
    one_reply(rc, rr, 0, 0, 300)
    one_binding(hoa, "203.0.113.33", lifetime=300)
    check(n3 != n2, "nonce not renewed on acceptance")


# ---------------------------------------------------------------- 12, 13, 14. policy

def t_unknown_home_agent():
    hoa = "192.0.2.35"
    rc, rr = reg(hoa, ha="192.0.2.254", coa=CCOA, args=["-d", HA_ADDR, "-l", 300])
    r = one_reply(rc, rr, 136, 1)
    check(r["home_agent"] == HA_ADDR, "136 reply's home agent field %s, expected %s" % (r["home_agent"], HA_ADDR))
    check(r["from"] == HA_ADDR, "136 reply from %s" % r["from"])
    no_binding(hoa)


def t_home_broadcast_request():
    # §3.8.2.1: a request sent to the home network's subnet-directed broadcast
    # (dynamic home agent discovery, here from the home link) gets 136 and the
    # home agent's unicast address, from that unicast address
    hoa = "192.0.2.36"
    rc, rr = reg(hoa, ha="192.0.2.255", coa=CCOA, ns="cn", src=CN_ADDR,
                 args=["-d", "192.0.2.255", "-l", 300, "-R", 0])
    r = one_reply(rc, rr, 136, 1)
    check(r["home_agent"] == HA_ADDR, "home agent field %s" % r["home_agent"])
    check(r["from"] == HA_ADDR, "reply source %s, expected the unicast %s" % (r["from"], HA_ADDR))
    no_binding(hoa)
    # the limited broadcast and the all-hosts group are treated the same way
    for dst in ("255.255.255.255", "224.0.0.1"):
        rc, rr = reg(hoa, ha=HA_ADDR, coa=CCOA, ns="cn", src=CN_ADDR, args=["-d", dst, "-l", 300, "-R", 0])
        r = one_reply(rc, rr, 136, 1)
        check(r["home_agent"] == HA_ADDR and r["from"] == HA_ADDR, "request to %s: reply %s" % (dst, r))
        no_binding(hoa)


def t_prohibited():
    # roam="false"
    one_reply(*reg("192.0.2.105", coa=CCOA, args=["-l", 300]), 129, 1)
    no_binding("192.0.2.105")
    # a care-of address in a denied network (203.0.113.128/25)
    hoa = "192.0.2.37"
    one_reply(*reg(hoa, coa="203.0.113.200", args=["-l", 300]), 129, 1)
    no_binding(hoa)
    accepted(*reg(hoa, coa="203.0.113.100", args=["-l", 300]), 300)
    one_binding(hoa, "203.0.113.100")
    before = lab.bindings(hoa)
    one_reply(*reg(hoa, coa="203.0.113.129", args=["-F", "S", "-l", 300]), 129, 1)
    same_binding(before, hoa)


def t_unknown_home_address():
    before = lab.bindings()
    no_reply(*reg("192.0.2.250", coa=CCOA, args=["-l", 300, "-t", 300, "-R", 0]))
    no_reply(*reg("10.1.2.3", coa=CCOA, args=["-l", 300, "-t", 300, "-R", 0]))
    same_binding(before, None)
    no_binding("192.0.2.250")


def t_revtun_required():
    hoa = "192.0.2.40"
    one_reply(*reg(hoa, coa=CCOA, args=["-l", 300]), 138, 1)
    no_binding(hoa)
    accepted(*reg(hoa, coa=CCOA, args=["-F", "T", "-l", 300]), 300)
    b = one_binding(hoa, CCOA)
    check(b["flags"] == 0x02, "T flag not recorded: %s" % b)
    # deregistration without T is fine
    accepted(*reg(hoa, coa=hoa, args=["-l", 0]), 0)
    no_binding(hoa)


def t_features_disabled():
    hoa = "192.0.2.41"
    one_reply(*reg(hoa, coa=CCOA, args=["-F", "T", "-l", 300]), 137, 1)
    no_binding(hoa)
    one_reply(*reg(hoa, coa=CCOA, args=["-F", "M", "-l", 300]), 139, 1)
    no_binding(hoa)
    one_reply(*reg(hoa, coa=CCOA, args=["-F", "G", "-l", 300]), 139, 1)
    no_binding(hoa)
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    one_binding(hoa, CCOA)


def t_total_bindings():
    a, b = "192.0.2.42", "192.0.2.43"
    accepted(*reg(a, coa=CCOA, args=["-l", 300]), 300)
    one_reply(*reg(b, coa=CCOA, args=["-l", 300]), 130, 1)
    no_binding(b)
    one_binding(a, CCOA)
    # a second simultaneous binding of the same node would exceed the total too
    one_reply(*reg(a, coa="203.0.113.51", args=["-F", "S", "-l", 300]), 130, 1)
    one_binding(a, CCOA)
    # re-registering the existing one is fine
    accepted(*reg(a, coa=CCOA, args=["-F", "S", "-l", 200]), 200)
    one_binding(a, CCOA, lifetime=200)
    # the node that has the binding may move it
    accepted(*reg(a, coa="203.0.113.50", args=["-l", 300]), 300)
    one_binding(a, "203.0.113.50")
    accepted(*reg(a, coa=a, args=["-l", 0]), 0)
    accepted(*reg(b, coa=CCOA, args=["-l", 300]), 300)
    one_binding(b, CCOA)


# ---------------------------------------------------------------- 11. foreign agent

def t_fa_ha():
    hoa = "192.0.2.44"
    # from the peer without an FA-HA extension
    rc, rr = reg(hoa, coa=FA_ADDR, src=FA_ADDR, args=["-l", 300])
    r = one_reply(rc, rr, 132, 1)
    check(r["authenticated"], "132 reply should carry a valid MN-HA")
    no_binding(hoa)
    # wrong FA-HA key, and unknown FA-HA SPI
    one_reply(*reg(hoa, coa=FA_ADDR, src=FA_ADDR, args=["-l", 300, "--fa-spi", 500, "--fa-key", WRONG]), 132, 1)
    one_reply(*reg(hoa, coa=FA_ADDR, src=FA_ADDR, args=["-l", 300, "--fa-spi", 501, "--fa-key", K_FA]), 132, 1)
    no_binding(hoa)
    # two FA-HA extensions (§3.8.2.1 c: exactly one)
    req = build_request(hoa, HA_ADDR, FA_ADDR, ntp_now(), 300, 0, 256, KB, fa=(500, bytes.fromhex(K_FA)))
    req = append_auth(req, 34, 500, "hmac-md5", bytes.fromhex(K_FA))
    data, _ = lab.exchange(req, src=FA_ADDR)
    check(data is not None and parse_reply(data)["code"] == 132,
          "two FA-HA extensions: %s" % (parse_reply(data)["code"] if data else "no reply"))
    no_binding(hoa)
    # correct FA-HA
    rc, rr = reg(hoa, coa=FA_ADDR, src=FA_ADDR, args=["-l", 300, "--fa-spi", 500, "--fa-key", K_FA])
    accepted(rc, rr, 300)
    one_binding(hoa, FA_ADDR, FA_ADDR, 300)
    # §3.8.1: the reply to the FA carries a valid FA-HA extension after the MN-HA
    req = build_request(hoa, HA_ADDR, FA_ADDR, ntp_now(), 250, 0, 256, KB, fa=(500, bytes.fromhex(K_FA)))
    data, frm = lab.exchange(req, src=FA_ADDR)
    check(data is not None, "no reply to a hand-made FA request")
    p = parse_reply(data)
    check(p["code"] == 0 and p["lifetime"] == 250, "hand-made FA request: code %d" % p["code"])
    types = [t for t, _, _ in p["exts"]]
    check(types == [32, 34], "reply extensions %s, expected MN-HA then FA-HA" % types)
    check(verify_ext(data, p["exts"], 32, 256, "hmac-md5", KB), "reply MN-HA does not verify")
    check(verify_ext(data, p["exts"], 34, 500, "hmac-md5", bytes.fromhex(K_FA)), "reply FA-HA does not verify")
    one_binding(hoa, FA_ADDR, FA_ADDR, 250)
    before = lab.bindings(hoa)
    # an FA-HA extension from a source that is not a peer: discarded
    rc, rr = reg(hoa, coa="203.0.113.60", src=CCOA,
                 args=["-l", 300, "--fa-spi", 500, "--fa-key", K_FA, "-t", 300, "-R", 0])
    no_reply(rc, rr)
    same_binding(before, hoa)
    # §3.5.4: a deregistration relayed by the peer carries no FA-HA and is accepted
    req = build_request(hoa, HA_ADDR, FA_ADDR, ntp_now(), 0, 0, 256, KB)
    data, _ = lab.exchange(req, src=FA_ADDR)
    check(data is not None, "no reply to a deregistration from the peer")
    p = parse_reply(data)
    check(p["code"] == 0, "deregistration from the peer without FA-HA: code %d" % p["code"])
    check([t for t, _, _ in p["exts"]] == [32], "deregistration reply extensions %s" % p["exts"])
    no_binding(hoa)
    # a co-located registration (not from the peer, no FA-HA) is fine
    accepted(*reg(hoa, coa=CCOA, src=CCOA, args=["-l", 300]), 300)
    one_binding(hoa, CCOA, CCOA, 300)


# ---------------------------------------------------------------- 15. robustness

def t_garbage_burst():
    victim, legit = "192.0.2.45", "192.0.2.46"
    accepted(*reg(victim, coa=CCOA, args=["-l", 1000]), 1000)
    before = lab.bindings(victim)
    rnd = random.Random(5944)
    s = lab.ns_socket("net")
    s.bind((CCOA, 0))
    s.setblocking(False)
    hoas = [victim, legit, "192.0.2.47", "192.0.2.250"]
    sent = 0
    for i in range(2000):
        if i % 2 == 0:
            n = rnd.randint(0, 600)
            pkt = bytes(rnd.getrandbits(8) for _ in range(n))
            if i % 8 == 0 and n:
                pkt = b"\x01" + pkt[1:]       # looks like a request type
        else:
            fixed = struct.pack("!BBH4s4s4sQ", 1, rnd.getrandbits(8), rnd.getrandbits(16),
                                bytes(map(int, rnd.choice(hoas).split("."))),
                                bytes(map(int, HA_ADDR.split("."))),
                                bytes(rnd.getrandbits(8) for _ in range(4)), rnd.getrandbits(64))
            tail = bytes(rnd.getrandbits(8) for _ in range(rnd.randint(0, 576)))
            if i % 4 == 1 and len(tail) > 6:  # a plausible MN-HA header with random data
                tail = bytes([32, min(255, len(tail) - 2)]) + struct.pack("!I", 256) + tail[6:]
            pkt = fixed + tail
        for _ in range(50):
            try:
                s.sendto(pkt, (HA_ADDR, 434))
                sent += 1
                break
            except BlockingIOError:
                time.sleep(0.001)
        # drain replies so our socket buffer never blocks anything
        try:
            while True:
                s.recv(4096)
        except BlockingIOError:
            pass
    for n in (0, 0, 4097, 5000, 65000):
        s.sendto(b"\x01" * n, (HA_ADDR, 434))
    s.close()
    check(sent == 2000, "only %d datagrams sent" % sent)
    time.sleep(0.2)
    check(lab.daemon_alive(), "mipagent died during the burst")
    rc, rr = reg(legit, coa=CCOA, args=["-l", 300, "-t", 1000, "-R", 0])
    r = accepted(rc, rr, 300)
    check(r["rtt_ms"] < 1000, "slow answer: %d ms" % r["rtt_ms"])
    one_binding(legit, CCOA, lifetime=300)
    same_binding(before, victim)
    code, lines = lab.ctl("MIP/1 show counters")
    check(code == 0 and lines, "show counters failed after the burst")


# ---------------------------------------------------------------- 16. tshark

def t_tshark_decode():
    if not shutil.which("tshark"):
        raise AssertionError("tshark is not installed (apt-get install tshark)")
    hoa = "192.0.2.47"
    pcap = os.path.join(lab.tmp, "reg.pcap")
    errf = open(os.path.join(lab.tmp, "tshark.err"), "w+")
    p = subprocess.Popen(["ip", "netns", "exec", lab.ns["ha"], "tshark", "-i", "ha1", "-w", pcap,
                          "-f", "udp port 434", "-a", "duration:30", "-q"],
                         stdout=subprocess.DEVNULL, stderr=errf)
    lab.procs.append(p)
    try:
        deadline = time.time() + 10
        while True:
            errf.seek(0)
            if "Capturing on" in errf.read():
                break
            check(p.poll() is None, "tshark exited: %s" % open(errf.name).read())
            check(time.time() < deadline, "tshark did not start capturing")
            time.sleep(0.05)
        time.sleep(0.2)
        rc, rr = reg(hoa, coa=CCOA, args=["-l", 300, "-N", "mn47@example.net"])
        r = accepted(rc, rr, 300)
        one_binding(hoa, CCOA, lifetime=300)
        time.sleep(0.5)
    finally:
        lab._kill(p, wait=5)
        errf.close()
    fields = ["mip.type", "mip.code", "mip.life", "mip.homeaddr", "mip.haaddr", "mip.coa",
              "mip.ext.type", "mip.auth.spi", "mip.nai", "udp.payload"]
    cmd = ["tshark", "-r", pcap, "-Y", "mip", "-T", "fields", "-E", "separator=|"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rows = [dict(zip(fields, l.split("|"))) for l in out.stdout.splitlines() if l.strip()]
    check(len(rows) == 2, "expected 2 decoded packets, got %d: %s %s" % (len(rows), rows, out.stderr))
    rq, rp = rows
    check(rq["mip.type"] == "1" and rp["mip.type"] == "3", "types %s %s" % (rq["mip.type"], rp["mip.type"]))
    check(rq["mip.life"] == "300" and rq["mip.homeaddr"] == hoa and rq["mip.haaddr"] == HA_ADDR and
          rq["mip.coa"] == CCOA, "request decodes as %s" % rq)
    check(rq["mip.ext.type"] == "131,32", "request extensions %s" % rq["mip.ext.type"])
    check(int(rq["mip.auth.spi"], 16) == 256, "request SPI %s" % rq["mip.auth.spi"])
    check(rp["mip.code"] == "0" and rp["mip.life"] == "300" and rp["mip.homeaddr"] == hoa and
          rp["mip.haaddr"] == HA_ADDR, "reply decodes as %s" % rp)
    check(rp["mip.ext.type"] == "131,32", "reply extensions %s (NAI then MN-HA)" % rp["mip.ext.type"])
    check(rp["mip.nai"] == "mn47@example.net", "reply NAI %s" % rp["mip.nai"])
    check(int(rp["mip.auth.spi"], 16) == 256, "reply SPI %s" % rp["mip.auth.spi"])
    req, rep = bytes.fromhex(rq["udp.payload"]), bytes.fromhex(rp["udp.payload"])
    check(struct.unpack("!Q", req[16:24])[0] == sent_id(r), "captured request id differs from mipreg's")
    check(rep[12:20] == req[16:24], "reply identification %s != request %s" % (rep[12:20].hex(), req[16:24].hex()))
    exts = parse_exts(rep, 20)
    off = [o for t, o, _ in exts if t == 32][0]
    mac = hmac.new(KB, rep[:off + 6], "md5").digest()
    check(mac == rep[off + 6:off + 22], "reply authenticator %s, HMAC-MD5 gives %s" % (rep[off + 6:off + 22].hex(), mac.hex()))
    check(off + 22 == len(rep), "bytes after the MN-HA extension in the reply")
    rexts = parse_exts(req, 24)
    off = [o for t, o, _ in rexts if t == 32][0]
    mac = hmac.new(KB, req[:off + 6], "md5").digest()
    check(mac == req[off + 6:off + 22], "mipreg's request authenticator does not verify")


# ---------------------------------------------------------------- control socket

def t_control_socket():
    code, lines = lab.ctl("MIP/1 show summary")
    check(code == 0 and lines and lines[0].startswith("summary "), "summary %s" % lines)
    code, _ = lab.ctl("MIP/2 show bindings")
    check(code != 0, "a wrong protocol version is accepted")
    code, _ = lab.ctl("MIP/1 show nonsense")
    check(code != 0, "an unknown command is accepted")
    code, _ = lab.ctl("MIP/1 show bindings 300.1.2.3")
    check(code != 0, "an invalid address is accepted")
    hoa = "192.0.2.48"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    accepted(*reg("192.0.2.49", coa=CCOA, args=["-l", 300]), 300)
    one_binding(hoa, CCOA)
    code, lines = lab.ctl("MIP/1 clear bindings " + hoa)
    check(code == 0 and lines == ["cleared bindings=1"], "clear one: %s %s" % (code, lines))
    no_binding(hoa)
    one_binding("192.0.2.49", CCOA)
    code, lines = lab.ctl("MIP/1 clear bindings all")
    check(code == 0 and lines and lines[0].startswith("cleared bindings="), "clear all: %s" % lines)
    check(lab.bindings() == [], "bindings left after clear all")
    # an over-long request line, then many idle clients: the daemon keeps serving
    code, _ = lab.ctl("MIP/1 show bindings " + "x" * 600)
    check(code != 0, "an over-long line is accepted")
    idle = []
    try:
        for _ in range(40):
            c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            c.connect(lab.sock_path)
            idle.append(c)
        time.sleep(0.1)
    finally:
        for c in idle:
            c.close()
    time.sleep(0.1)
    code, lines = lab.ctl("MIP/1 show summary")
    check(code == 0 and lines, "no answer after 40 idle clients")


# ---------------------------------------------------------------- more edge cases

def t_timestamp_tolerance():
    # 7 s tolerance (the default): 5 s off either way is fine, 10 s is not
    for hoa, delta, code in (("192.0.2.61", -5, 0), ("192.0.2.62", 5, 0),
                             ("192.0.2.63", -10, 133), ("192.0.2.64", 10, 133)):
        i = (ntp_seconds() + delta) << 32 | 0x1234
        rc, rr = reg(hoa, coa=CCOA, args=["-l", 300, "-i", hexid(i), "--no-resync"])
        if code == 0:
            accepted(rc, rr, 300)
            one_binding(hoa, CCOA)
        else:
            r = one_reply(rc, rr, 133, 1)
            check(abs((int(r["identification"], 16) >> 32) - ntp_seconds()) <= 2, "133 high bits not now")
            no_binding(hoa)


def t_reserved_flags_ignored():
    # §3.3: the 'r' and 'x' bits are sent as zero and ignored on reception
    hoa = "192.0.2.65"
    accepted(*reg(hoa, coa=CCOA, args=["-F", "r", "-l", 300]), 300)
    one_binding(hoa, CCOA)
    accepted(*reg(hoa, coa=CCOA, args=["-F", "x", "-l", 300]), 300)
    one_binding(hoa, CCOA)
    # §3.8.2: a home agent without broadcast support ignores 'B' rather than refusing
    accepted(*reg(hoa, coa=CCOA, args=["-F", "B", "-l", 300]), 300)
    one_binding(hoa, CCOA)


def t_infinite_lifetime():
    a, b = "192.0.2.66", "192.0.2.67"
    accepted(*reg(a, coa=CCOA, args=["-l", 2]), 2)
    accepted(*reg(a, coa=CCOA, args=["-l", 65535]), 65535)     # timer cancelled
    x = one_binding(a, CCOA)
    check(x["lifetime"] == 65535 and x["remaining"] == 65535, "infinite binding %s" % x)
    accepted(*reg(b, coa=CCOA, args=["-l", 65535]), 65535)
    t0 = time.monotonic()
    accepted(*reg(b, coa=CCOA, args=["-l", 2]), 2)             # timer started
    one_binding(b, CCOA, lifetime=2)
    time.sleep(max(0, t0 + 2.6 - time.monotonic()))
    no_binding(b)
    x = one_binding(a, CCOA)
    check(x["lifetime"] == 65535 and x["remaining"] == 65535, "infinite binding %s" % x)


def t_fa_ha_in_every_reply():
    # §3.8.1 / §3.8.3.3 e: every reply to a foreign agent that shares an SA
    # with the home agent carries a valid FA-HA extension; without it the FA
    # must discard the reply (§3.7.3.1) and the node never sees e.g. the 133
    # it needs to resynchronise.  §3.8.2.1 a: with a valid FA-HA, a bad MN-HA
    # MUST be answered with 131.
    hoa = "192.0.2.68"
    kf = bytes.fromhex(K_FA)
    steps = (("accepted", 0, build_request(hoa, HA_ADDR, FA_ADDR, ntp_now(), 300, 0, 256, KB, fa=(500, kf))),
             ("unknown home agent", 136, build_request(hoa, "192.0.2.254", FA_ADDR, ntp_now(), 300, 0, 256, KB,
                                                       fa=(500, kf))),
             ("identification mismatch", 133, build_request(hoa, HA_ADDR, FA_ADDR, ntp_now() - (100 << 32), 300,
                                                            0, 256, KB, fa=(500, kf))),
             ("bad MN-HA authenticator", 131, build_request(hoa, HA_ADDR, FA_ADDR, ntp_now(), 300, 0, 256,
                                                            bytes.fromhex(WRONG), fa=(500, kf))),
             ("poorly formed", 134, build_request(hoa, HA_ADDR, FA_ADDR, ntp_now(), 300, 0, 256, KB,
                                                  before=bytes.fromhex("2102aabb"), fa=(500, kf))))
    bad = []
    for name, code, req in steps:
        data, _ = lab.exchange(req, src=FA_ADDR)
        check(data is not None, "%s: no reply" % name)
        p = parse_reply(data)
        check(p["code"] == code, "%s: code %d, expected %d" % (name, p["code"], code))
        if not verify_ext(data, p["exts"], 34, 500, "hmac-md5", kf):
            bad.append("%d (%s) has extensions %s" % (code, name, [t for t, _, _ in p["exts"]]))
    one_binding(hoa, FA_ADDR, FA_ADDR, 300)
    check(not bad, "replies to the peer FA without a valid FA-HA extension: " + "; ".join(bad))


def t_counters():
    def counters():
        code, lines = lab.ctl("MIP/1 show counters")
        check(code == 0, "show counters failed")
        return {d["name"]: int(d["value"]) for d in (dict(kv.split("=", 1) for kv in l.split()[1:]) for l in lines)
                if d["name"] != "-"}
    c0 = counters()
    accepted(*reg("192.0.2.20", coa=CCOA, args=["-l", 300]), 300)
    accepted(*reg("192.0.2.21", coa=CCOA, args=["-F", "S", "-l", 300]), 300, code=1)
    one_reply(*reg("192.0.2.22", WRONG, coa=CCOA, args=["-l", 300]), 131, 3)
    one_reply(*reg("192.0.2.23", coa=CCOA, args=["-l", 300, "-i", hexid(fresh_id() - (100 << 32)),
                                                   "--no-resync"]), 133, 1)
    no_reply(*reg("192.0.2.250", coa=CCOA, args=["-l", 300, "-t", 200, "-R", 0]))
    accepted(*reg("192.0.2.20", coa="192.0.2.20", args=["-l", 0]), 0)
    one_reply(*reg("192.0.2.24", ha="192.0.2.254", coa=CCOA, args=["-d", HA_ADDR, "-l", 300]), 136, 1)
    accepted(*reg("192.0.2.25", coa=CCOA, args=["-l", 1]), 1)
    time.sleep(1.3)
    no_binding("192.0.2.25")
    c1 = counters()
    delta = {k: c1[k] - c0.get(k, 0) for k in c1 if c1[k] != c0.get(k, 0)}
    want = {"haRegistrationAccepted": 3, "haMultiBindingUnsupported": 1, "haMNAuthenticationFailure": 1,
            "haIDMismatch": 1, "haUnknownHA": 1, "haRegRequestsReceived": 7, "haDeRegRequestsReceived": 1,
            "haRegRepliesSent": 6, "haDeRegRepliesSent": 1, "mipSecTotalViolations": 3}
    check(delta == want, "counter changes %s, expected %s" % (delta, want))


def t_duplicate_keeps_code_1():
    # a duplicate is answered like the original: the node (max-bindings 1)
    # got code 1 for its S request, so the duplicate must get 1 too (§3.8.2.2)
    hoa = "192.0.2.106"
    y = fresh_id()
    accepted(*reg(hoa, coa="203.0.113.25", args=["-F", "S", "-l", 300, "-i", hexid(y), "--no-resync"]),
             300, code=1)
    rc, rr = reg(hoa, coa="203.0.113.25", args=["-F", "S", "-l", 300, "-i", hexid(y), "--no-resync"])
    check(len(rr) == 1 and rr[0]["code"] in (0, 1), "duplicate not accepted: %s" % rr)
    b = one_binding(hoa, "203.0.113.25")
    check(b["id"] == y, "binding id changed")
    check(rr[0]["code"] == 1, "duplicate of a code-1 registration answered with code %d" % rr[0]["code"])


def t_replay_after_change():
    hoa = "192.0.2.54"
    x = fresh_id()
    accepted(*reg(hoa, coa="203.0.113.26", args=["-l", 300, "-i", hexid(x), "--no-resync"]), 300)
    y = x + 1
    accepted(*reg(hoa, coa="203.0.113.27", args=["-l", 300, "-i", hexid(y), "--no-resync"]), 300)
    before = lab.bindings(hoa)
    # the first request replayed after the node moved on: not a duplicate any more
    one_reply(*reg(hoa, coa="203.0.113.26", args=["-l", 300, "-i", hexid(x), "--no-resync"]), 133, 1)
    same_binding(before, hoa)
    z = x + 2
    accepted(*reg(hoa, coa="203.0.113.27", args=["-l", 300, "-i", hexid(z), "--no-resync"]), 300)
    before = lab.bindings(hoa)
    one_reply(*reg(hoa, coa="203.0.113.27", args=["-l", 300, "-i", hexid(y), "--no-resync"]), 133, 1)
    same_binding(before, hoa)
    # a replayed deregistration is refused and does not remove a newer binding
    w = x + 3
    accepted(*reg(hoa, coa=hoa, args=["-l", 0, "-i", hexid(w), "--no-resync"]), 0)
    no_binding(hoa)
    one_reply(*reg(hoa, coa=hoa, args=["-l", 0, "-i", hexid(w), "--no-resync"]), 133, 1)
    accepted(*reg(hoa, coa="203.0.113.28", args=["-l", 300, "-i", hexid(x + 4), "--no-resync"]), 300)
    before = lab.bindings(hoa)
    one_reply(*reg(hoa, coa=hoa, args=["-l", 0, "-i", hexid(w), "--no-resync"]), 133, 1)
    same_binding(before, hoa)


def t_watch():
    # mipagentstat watch: binding and violation events stream as they happen
    hoa = "192.0.2.58"
    stat = os.path.join(lab.top_builddir, "mipagentstat")
    w = subprocess.Popen(["ip", "netns", "exec", lab.ns["ha"], stat, "-j", "-s", lab.sock_path, "watch"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(0.5)
        accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
        reg(hoa, key="ff" * 16, coa=CCOA, args=["-l", 300, "-R", 0])     # a bad key: a violation
        accepted(*reg(hoa, coa=hoa, args=["-l", 0]), 0)
        time.sleep(0.5)
    finally:
        w.terminate()
    out, _ = w.communicate(timeout=5)
    evs = [json.loads(x) for x in out.splitlines() if x.strip()]
    mine = [(e["type"], e.get("coa")) for e in evs if e.get("hoa") == hoa]
    check(mine == [("binding-added", CCOA), ("security-violation", None), ("binding-removed", CCOA)],
          "events: %s" % evs)


def t_lifetime_timers():
    # timers are moved on re-registration and cancelled on deregistration/clear
    hoa, hoa2 = "192.0.2.55", "192.0.2.56"
    a, b, c = "203.0.113.61", "203.0.113.62", "203.0.113.63"
    accepted(*reg(hoa, coa=a, args=["-F", "S", "-l", 2]), 2)
    accepted(*reg(hoa, coa=b, args=["-F", "S", "-l", 5]), 5)
    accepted(*reg(hoa, coa=c, args=["-F", "S", "-l", 2]), 2)
    accepted(*reg(hoa2, coa=a, args=["-l", 2]), 2)
    t_a = time.monotonic()
    accepted(*reg(hoa, coa=a, args=["-F", "S", "-l", 3]), 3)      # later
    t_b = time.monotonic()
    accepted(*reg(hoa, coa=b, args=["-F", "S", "-l", 2]), 2)      # earlier
    accepted(*reg(hoa, coa=c, args=["-F", "S", "-l", 0]), 0)      # cancelled...
    accepted(*reg(hoa, coa=c, args=["-F", "S", "-l", 300]), 300)  # ...and a new one
    t_c = time.monotonic()
    code, lines = lab.ctl("MIP/1 clear bindings " + hoa2)
    check(code == 0 and lines == ["cleared bindings=1"], "clear: %s" % lines)
    accepted(*reg(hoa2, coa=a, args=["-l", 300]), 300)
    t_d = time.monotonic()
    check(len(lab.bindings(hoa)) == 3, "setup: %s" % lab.bindings(hoa))
    time.sleep(max(0, t_b + 2.5 - time.monotonic()))
    coas = sorted(x["coa"] for x in lab.bindings(hoa))
    check(coas == [a, c], "at 2.5 s expected %s, have %s" % ([a, c], coas))
    one_binding(hoa2, a)
    time.sleep(max(0, t_a + 3.6 - time.monotonic()))
    for h, coa, t in ((hoa, c, t_c), (hoa2, a, t_d)):
        x = one_binding(h, coa)
        want = 300 - (time.monotonic() - t)
        check(x["lifetime"] == 300 and want - 1.5 <= x["remaining"] <= want + 1.5,
              "%s at 3.6 s: %s (expected about %.1f s left)" % (h, x, want))


def t_nai():
    hoa = "192.0.2.108"
    accepted(*reg(hoa, coa=CCOA, args=["-N", "mn108@example.net", "-l", 300]), 300)
    one_binding(hoa, CCOA)
    before = lab.bindings(hoa)
    one_reply(*reg(hoa, coa="203.0.113.70", args=["-N", "mn109@example.net", "-l", 300]), 129, 1)
    same_binding(before, hoa)
    # a 255-byte NAI comes back in the reply, before the MN-HA extension
    hoa = "192.0.2.57"
    nai = b"n" * 240 + b"@example.net" + b"xyz"
    check(len(nai) == 255, "test bug")
    req = build_request(hoa, HA_ADDR, CCOA, ntp_now(), 300, 0, 256, KB, before=bytes([131, 255]) + nai)
    data, _ = lab.exchange(req)
    check(data is not None, "no reply with a 255-byte NAI")
    p = parse_reply(data)
    check(p["code"] == 0, "code %d" % p["code"])
    check([(t, d) for t, _, d in p["exts"]][0] == (131, nai), "NAI not echoed: %s" % p["exts"])
    check(verify_ext(data, p["exts"], 32, 256, "hmac-md5", KB), "reply not authenticated")
    one_binding(hoa, CCOA, lifetime=300)


def t_no_authentication_extension():
    hoa = "192.0.2.58"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    before = lab.bindings(hoa)
    fixed = struct.pack("!BBH4s4s4sQ", 1, 0, 300, bytes([192, 0, 2, 58]), bytes([192, 0, 2, 1]),
                        bytes([203, 0, 113, 71]), ntp_now())
    for name, pkt in (("no extension", fixed), ("only an NAI", fixed + b"\x83\x03abc"),
                      ("only MN-AAA", fixed + bytes.fromhex("24010014") + struct.pack("!I", 256) + b"\0" * 16),
                      ("deregistration without extension", fixed[:2] + b"\0\0" + fixed[4:]),
                      ("a registration reply", struct.pack("!BBH4s4sQ", 3, 0, 300, bytes([192, 0, 2, 58]),
                                                           bytes([192, 0, 2, 1]), ntp_now()))):
        data, _ = lab.exchange(pkt, timeout=0.3)
        check(data is None, "%s: got a reply %s" % (name, data.hex() if data else ""))
        same_binding(before, hoa)


def t_request_to_other_local_address():
    # §3.8.3.1: the reply's source is the request's destination
    hoa = "192.0.2.59"
    rc, rr = reg(hoa, coa=CCOA, args=["-d", "198.51.100.1", "-l", 300])
    r = accepted(rc, rr, 300)
    check(r["from"] == "198.51.100.1", "reply from %s" % r["from"])
    one_binding(hoa, CCOA, CCOA, 300)


def t_request_to_other_subnet_broadcast():
    # §3.8.3.1: a request sent to a broadcast address is answered from the
    # home agent's unicast address; here the broadcast address of the HA's
    # other link (198.51.100.255).  Whatever the code, a reply must come back,
    # and a binding may exist only if the reply accepts it.
    hoa = "192.0.2.50"
    rc, rr = reg(hoa, coa=FA_ADDR, src=FA_ADDR, args=["-d", "198.51.100.255", "-l", 300, "-R", 0])
    bs = lab.bindings(hoa)
    check(rc != 2, "no reply to a request sent to 198.51.100.255 (binding table: %s); daemon log: %s"
          % (bs, [l for l in lab.log_tail(30).splitlines() if "sendmsg" in l][-1:]))
    r = rr[0]
    check(r["from"] in (HA_ADDR, "198.51.100.1"), "reply from non-unicast %s" % r["from"])
    check(bool(bs) == (r["code"] in (0, 1)), "binding table %s after code %d" % (bs, r["code"]))


def t_deregistration_from_home():
    # the node comes home (its home address on the home link) and deregisters
    hoa = "192.0.2.60"
    accepted(*reg(hoa, coa=CCOA, args=["-l", 300]), 300)
    lab.ip("addr", "add", hoa + "/24", "dev", "cn0", ns="cn")
    try:
        rc, rr = reg(hoa, coa=hoa, ns="cn", src=hoa, args=["-l", 0])
        r = accepted(rc, rr, 0)
        check(r["from"] == HA_ADDR, "reply from %s" % r["from"])
        no_binding(hoa)
    finally:
        lab.ip("addr", "del", hoa + "/24", "dev", "cn0", ns="cn", check=False)


def t_large_listing():
    # 3200 bindings (200 nodes x 16 care-of addresses): the listing (~420 kB)
    # is longer than the daemon's output chunk and than the socket buffer
    s = lab.ns_socket("net")
    s.bind((CCOA, 0))
    s.settimeout(1.0)
    want = set()
    for n in range(200):
        hoa = "192.0.2.%d" % (20 + n)
        base = ntp_now()
        for k in range(16):
            coa = "203.0.113.%d" % (1 + k)
            req = build_request(hoa, HA_ADDR, coa, base + k, 600, 0x80, 256, KB)
            for attempt in range(3):
                s.sendto(req, (HA_ADDR, 434))
                try:
                    data = s.recv(4096)
                except OSError:
                    continue
                break
            else:
                raise AssertionError("no reply for %s %s" % (hoa, coa))
            p = parse_reply(data)
            check(p["code"] == 0 and p["hoa"] == hoa, "bulk registration %s %s: code %d" % (hoa, coa, p["code"]))
            want.add((hoa, coa))
    s.close()
    ip = lambda a: tuple(int(x) for x in a.split("."))   # noqa: E731
    # a slow reader: the daemon must wait for the socket instead of dropping or blocking
    c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    c.settimeout(10)
    c.connect(lab.sock_path)
    c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.sendall(b"MIP/1 show bindings\n")
    time.sleep(0.3)
    code, lines = lab.ctl("MIP/1 show summary", timeout=2)
    check(code == 0 and "bindings=3200" in lines[0], "summary during a pending listing: %s" % lines)
    buf = b""
    while not buf.endswith(b"END 0 ok\n"):
        chunk = c.recv(8192)
        check(chunk, "listing ended early after %d bytes: %r" % (len(buf), buf[-100:]))
        buf += chunk
        time.sleep(0.0005)
    c.close()
    lines = buf.decode().splitlines()[:-1]
    got = [(d["hoa"], d["coa"]) for d in (dict(kv.split("=", 1) for kv in l.split()[1:]) for l in lines)]
    check(len(got) == 3200, "listing has %d records, expected 3200" % len(got))
    check(set(got) == want, "listing differs: %d missing" % len(want - set(got)))
    check(got == sorted(got, key=lambda x: (ip(x[0]), ip(x[1]))), "listing is not in address order")
    for hoa in ("192.0.2.20", "192.0.2.100", "192.0.2.219"):
        bs = lab.bindings(hoa)
        check(sorted(b["coa"] for b in bs) == sorted("203.0.113.%d" % (1 + k) for k in range(16)),
              "filtered listing of %s: %s" % (hoa, bs))
    code, lines = lab.ctl("MIP/1 show nodes")
    check(code == 0 and len(lines) == 200, "show nodes: %d lines" % len(lines))
    code, lines = lab.ctl("MIP/1 clear bindings all")
    check(lines == ["cleared bindings=3200"], "clear all: %s" % lines)
    check(lab.bindings() == [], "bindings left")


# ---------------------------------------------------------------- main

GROUPS = [
    ("main", MAIN_CONF, [
        ("accept_and_reregister", t_accept_and_reregister),
        ("deregister_one_and_all", t_deregister_one_and_all),
        ("deregister_coa_equals_hoa", t_deregister_coa_equals_hoa_nonzero_lifetime),
        ("deregister_unknown_coa", t_deregister_unknown_coa_keeps_others),
        ("lifetime_expiry", t_lifetime_expiry),
        ("bad_authenticator_131", t_bad_authenticator),
        ("unknown_spi_131", t_unknown_spi),
        ("replay_older_id_133", t_replay_older_id),
        ("replay_reused_id_133", t_replay_reused_id),
        ("replay_resync", t_replay_resync),
        ("replay_duplicate_not_extended", t_replay_duplicate),
        ("lifetime_too_long", t_lifetime_too_long),
        ("poorly_formed_134", t_poorly_formed),
        ("unknown_extensions", t_unknown_extensions),
        ("simultaneous_bindings_135", t_simultaneous_bindings),
        ("no_S_replaces", t_no_simultaneous_replaces),
        ("simultaneous_unsupported_code_1", t_simultaneous_unsupported),
        ("algorithms", t_algorithms),
        ("algorithm_mismatch_131", t_algorithm_mismatch),
        ("nonces", t_nonces),
        ("unknown_home_agent_136", t_unknown_home_agent),
        ("home_broadcast_136", t_home_broadcast_request),
        ("prohibited_129", t_prohibited),
        ("unknown_home_address_discarded", t_unknown_home_address),
        ("garbage_burst", t_garbage_burst),
        ("tshark_decode", t_tshark_decode),
        ("timestamp_tolerance", t_timestamp_tolerance),
        ("watch", t_watch),
        ("ignored_flags_r_x_B", t_reserved_flags_ignored),
        ("duplicate_keeps_code_1", t_duplicate_keeps_code_1),
        ("replay_after_change_133", t_replay_after_change),
        ("lifetime_timers", t_lifetime_timers),
        ("nai", t_nai),
        ("no_authentication_extension", t_no_authentication_extension),
        ("request_to_other_local_address", t_request_to_other_local_address),
        ("request_to_other_subnet_broadcast", t_request_to_other_subnet_broadcast),
        ("deregistration_from_home", t_deregistration_from_home),
        ("control_socket", t_control_socket),
    ]),
    ("listing", LISTING_CONF, [("large_listing", t_large_listing)]),
    ("infinite", INFINITE_CONF, [("infinite_lifetime", t_infinite_lifetime)]),
    ("fa", FA_CONF, [("fa_ha_132", t_fa_ha), ("fa_ha_in_every_reply", t_fa_ha_in_every_reply)]),
    ("counters", REVTUN_REQUIRED_CONF.replace(' reverse-tunnel-required="true"', ''), [("counters", t_counters)]),
    ("revtun_required", REVTUN_REQUIRED_CONF, [("reverse_tunnel_required_138", t_revtun_required)]),
    ("no_features", NO_FEATURES_CONF, [("features_disabled_137_139", t_features_disabled)]),
    ("total", TOTAL_CONF, [("max_total_bindings_130", t_total_bindings)]),
]


def main():
    only = set(sys.argv[1:])
    t0 = time.time()
    try:
        lab.setup()
        for name, conf, cases in GROUPS:
            cases = [c for c in cases if not only or c[0] in only]
            if not cases:
                continue
            try:
                lab.start_daemon(name, conf)
            except Exception as e:
                for cname, _ in cases:
                    R.fail(cname, "cannot start mipagent (%s): %s" % (name, e))
                continue
            for cname, fn in cases:
                if not lab.daemon_alive():
                    try:
                        lab.start_daemon(name, conf)
                    except Exception as e:
                        R.fail(cname, "cannot restart mipagent: %s" % e)
                        continue
                R.case(cname, fn)
            lab.stop_daemon()
    except Exception as e:
        R.fail("setup", "%s: %s" % (type(e).__name__, e))
    finally:
        lab.cleanup()
    print("# test_ha.py took %.1f s" % (time.time() - t0))
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
