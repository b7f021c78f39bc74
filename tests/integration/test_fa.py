#!/usr/bin/python3
"""Integration tests of the foreign agent and agent discovery (RFC 5944 §2,
§3.7, §4.2.2; RFC 3024; RFC 1256): a mobile node, two foreign agents, a home
agent and a correspondent in network namespaces (see falab.py), mipagent as
home agent and as each foreign agent, mipreg and hand-made datagrams from
the mobile node.  Every step is checked in the replies, in the advertisements
(decoded with struct, with the daemon's own codec and with tshark) and in the
visitor, pending and binding tables read through the control sockets.

Run as root: /usr/bin/python3 tests/integration/test_fa.py [CASE...]
(later cases build on earlier ones; env: top_builddir, MIPAGENT, MIPREG;
MIPINT_KEEP_TMP=1 keeps configurations and logs).
Prints "PASS name" / "FAIL name: reason" per case and "N passed, M failed".
"""
import os
import re
import select
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from falab import (CN, FA_ADDR, HA, HOA, K, K_FA, K_MNFA, TMP, TOP, Capture, Daemon,  # noqa: E402
                   Runner, AdvListener, check, cleanup, echo, flags_str, have_tshark, ip, mac_of,
                   mipreg, mn_away, mn_home, move_mn, nsx, popen, run, setup, solicit, start_echo,
                   stop, udp_exchange, Skip, FLAG_BITS)
from mipnet import append_auth, build_request, ntp_now, parse_reply, verify_ext  # noqa: E402

SRC = os.path.abspath(os.environ.get("top_srcdir") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
F = FLAG_BITS

HA_CONF = '''  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24">
    <mobile-node address="192.0.2.100"><security-association spi="256" key="%s"/></mobile-node>
    <mobile-node first="192.0.2.101" last="192.0.2.120">
      <security-association spi="256" key="%s"/>
    </mobile-node>
    <interface name="ha0" min-interval="3" max-interval="4"/>
  </home-agent>
  <peer address="203.0.113.1"><security-association spi="500" key="%s"/></peer>
  <data-plane backend="userspace"/>''' % (K, K, K_FA)

FA_CONF = '''  <foreign-agent visitor-limit="2" pending-timeout="2" max-registration-lifetime="600" %s>
    <interface name="fa0" min-interval="3" max-interval="4" prefix-length-inclusion="true">
      <care-of-address address="203.0.113.1"/>
    </interface>
    <visitor address="192.0.2.110"><security-association spi="300" key="%s"/></visitor>
    <home-agent-access default="permit"><deny network="198.51.100.240/28"/></home-agent-access>
  </foreign-agent>
  <peer address="192.0.2.1"><security-association spi="500" key="%s"/></peer>
  <peer address="192.0.2.10"><security-association spi="501" key="%s"/></peer>
  <data-plane backend="userspace"/>'''

FB_CONF = '''  <foreign-agent reverse-tunnel="false" registration-required="true" icmp-code="0">
    <interface name="fa0" response-solicitation-only="true" advertisement-address="255.255.255.255">
      <care-of-address address="203.0.113.65"/>
    </interface>
  </foreign-agent>
  <data-plane backend="userspace"/>'''

FAKE_HA = r'''
import socket, struct, sys, hmac, hashlib
mode, key = sys.argv[1], bytes.fromhex(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("192.0.2.10", 434))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(4096)
    if d[0] != 1:
        continue
    rep = struct.pack("!BBH", 3, 0, struct.unpack("!H", d[2:4])[0]) + d[4:12] + d[16:24]
    if mode == "malformed":
        rep += bytes([32, 48]) + bytes(8)         # MN-HA claiming 48 bytes: overruns
    else:
        rep += bytes([32, 20]) + struct.pack("!I", 256) + bytes(16)
        hdr = bytes([34, 20]) + struct.pack("!I", 501)
        rep += hdr + hmac.new(b"wrong-key", rep + hdr, hashlib.md5).digest()
    s.sendto(rep, a)
'''

ha = Daemon("ha")
fa = Daemon("fa")
fb = Daemon("fb")
R = Runner()
ADVS = []


def fa_conf(extra=""):
    return FA_CONF % (extra, K_MNFA, K_FA, K_FA)


def one_reply(rc, replies, code, rc_expected=None):
    check(len(replies) == 1, "expected one reply, got %s" % replies)
    r = replies[0]
    check(r.get("code") == code, "expected code %s, got %s (%s)" % (code, r.get("code"), r))
    if rc_expected is not None:
        check(rc == rc_expected, "mipreg exit %d, expected %d" % (rc, rc_expected))
    check(int(r["identification"], 16) & 0xffffffff == int(r["sent_identification"], 16) & 0xffffffff,
          "identification low bits differ: %s" % r)
    return r


def no_pending(d=fa):
    check(d.pending() == [], "pending requests left: %s" % d.pending())


def denied(code, **kw):
    rc, reps = mipreg(**kw)
    r = one_reply(rc, reps, code, 1)
    check(r["from"] == FA_ADDR[kw.get("fa", "fa")], "denial from %s" % r["from"])
    no_pending()
    return r


def raw_request(flags=0, lifetime=300, hoa=HOA, coa="203.0.113.1", after=b"", ttl=64, before=b"",
                spi=256, key=K, dst="203.0.113.1", ident=None):
    msg = build_request(hoa, HA, coa, ident or ntp_now(), lifetime=lifetime, flags=flags, spi=spi,
                        key=bytes.fromhex(key), before=before, after=after)
    rep, _ = udp_exchange(msg, dst, src=HOA, ttl=ttl)
    return msg, rep and parse_reply(rep)


# ---------------------------------------------------------------- agent discovery

def t_advertisements():
    lst = AdvListener()
    try:
        a = lst.next(6)
        check(a is not None, "no agent advertisement in 6 s")
        t0 = time.time()
        b = lst.next(6)
        dt = time.time() - t0
    finally:
        lst.close()
    check(b is not None, "no second advertisement")
    for x in (a, b):
        check(x["ttl"] == 1 and x["dst"] == "224.0.0.1" and x["src"] == "203.0.113.1",
              "IP fields: %s" % x)
        check(x["code"] == 16 and x["csum_ok"] and x["lifetime"] == 12, "ICMP fields: %s" % x)
        check(x["addrs"] == ["203.0.113.1"] and x["prefix_lengths"] == [26], "addresses: %s" % x)
        check(x["flags"] == F["F"] | F["M"] | F["G"] | F["T"], "flags %s" % flags_str(x["flags"]))
        check(x["coas"] == ["203.0.113.1"] and x["reg_lifetime"] == 600, "mobility ext: %s" % x)
        check(x.get("pad") == 1, "no one-byte padding to an even length: %s" % x)
    check(b["seq"] == a["seq"] + 1, "sequence %d then %d" % (a["seq"], b["seq"]))
    check(2.4 <= dt <= 4.6, "interval %.2f s outside min-max 3-4 s" % dt)
    ADVS.extend([a, b])


def t_adv_codec():
    exe = os.path.join(TMP, "adv_decode")
    run(["cc", "-I" + TOP, "-I" + os.path.join(SRC, "include"), "-o", exe,
         os.path.join(SRC, "tests/integration/adv_decode.c"), os.path.join(SRC, "agent/adv_wire.c"),
         os.path.join(SRC, "agent/buf.c")])
    import json
    for a in ADVS:
        d = json.loads(run([exe, a["raw"].hex()]).stdout)
        check(d["result"] == 0, "codec result %s" % d)
        for k in ("code", "lifetime", "addrs", "seq", "reg_lifetime", "flags", "coas", "prefix_lengths", "pad"):
            check(d[k] == a[k], "codec %s=%s, struct %s" % (k, d[k], a[k]))
        check(d["flag_letters"] == flags_str(a["flags"]), "letters %s" % d["flag_letters"])


def t_adv_tshark():
    if not have_tshark():
        raise Skip("tshark is not installed")
    cap = Capture("mn", "mn0", "icmp[0] == 9")
    lst = AdvListener()
    try:
        a = lst.next(6)
    finally:
        lst.close()
    check(a is not None, "no advertisement")
    rows = cap.fields("icmp.type", "icmp.code", "icmp.lifetime", "icmp.router_address", "icmp.mip.type",
                      "icmp.mip.seq", "icmp.mip.life", "icmp.mip.flags", "icmp.mip.coa",
                      "icmp.mip.prefixlength", "icmp.mip.f", "icmp.mip.rt", "icmp.mip.b")
    row = [r for r in rows if r[5] == str(a["seq"])]
    check(row, "tshark did not see advertisement seq %d: %s" % (a["seq"], rows))
    r = row[0]
    check(r[:4] == ["9", "16", "12", "203.0.113.1"], "tshark RFC 1256 fields %s" % r)
    check(r[4] == "16,19,0" and r[6] == "600" and int(r[7], 16) == a["flags"], "tshark mobility ext %s" % r)
    check(r[8] == "203.0.113.1" and r[9] == "26" and r[10:13] == ["1", "1", "0"], "tshark %s" % r)


def t_solicit():
    before = int(fa.records("advertisements")[0]["sent-for-solicitation"])
    for dst in ("224.0.0.11", "224.0.0.2", "255.255.255.255"):
        lst = AdvListener()
        try:
            time.sleep(1.1)         # past the minimum gap after any previous advertisement
            solicit(dst)
            t0 = time.time()
            a = lst.next(2.5)
        finally:
            lst.close()
        check(a is not None, "no answer to a solicitation to %s" % dst)
        check(time.time() - t0 < 2.5, "late answer")
    row = fa.records("advertisements")[0]
    check(int(row["solicitations"]) >= 3, "solicitations received: %s" % row)
    check(int(row["sent-for-solicitation"]) >= before + 1, "no solicited advertisement counted: %s" % row)
    check(fa.counter("maSolicitationsReceived") >= 3, "maSolicitationsReceived")


# ---------------------------------------------------------------- registration and traffic

def t_register():
    rc, reps = mipreg(lifetime=300)
    r = one_reply(rc, reps, 0, 0)
    check(r["authenticated"] and r["from"] == "203.0.113.1" and r["lifetime"] == 300, "reply %s" % r)
    vs = fa.visitors()
    check(len(vs) == 1, "visitors: %s" % vs)
    v = vs[0]
    check(v["hoa"] == HOA and v["ha"] == HA and v["coa"] == "203.0.113.1" and v["interface"] == "fa0",
          "visitor %s" % v)
    check(v["mac"] == mac_of("mn", "mn0") and v["lifetime"] == "300", "visitor MAC/lifetime %s" % v)
    no_pending()
    bs = ha.bindings()
    check(len(bs) == 1 and bs[0]["coa"] == "203.0.113.1" and bs[0]["src"] == "203.0.113.1",
          "binding (relayed from the care-of address): %s" % bs)
    check("192.0.2.100 dev fa0" in ip("fa", "route", "show", HOA).stdout, "no host route in FA")
    neigh = ip("fa", "neigh", "show", HOA, "dev", "fa0").stdout
    check("PERMANENT" in neigh and mac_of("mn", "mn0") in neigh, "neighbour entry: %s" % neigh)
    check("lookup 434" not in ip("fa", "rule").stdout, "a reverse-tunnel rule without T")


def t_traffic():
    start_echo()
    cap = Capture("fa", "fa1", "ip proto 4") if have_tshark() else None
    n = echo()
    check(n == 3, "CN -> MN -> CN: %d/3 echoes" % n)
    if cap:
        rows = cap.fields("ip.src", "ip.dst")
        down = [r for r in rows if r[0].startswith("192.0.2.1,") and ",192.0.2.100" in r[1]]
        up = [r for r in rows if r[0].startswith("203.0.113.1,")]
        check(down and not up, "tunnel HA->FA only (triangular return): %s" % rows)


def t_reverse_tunnel():
    rc, reps = mipreg(lifetime=300, flags="T")
    one_reply(rc, reps, 0, 0)
    v = fa.visitors()
    check(len(v) == 1 and v[0]["flags"] == "0x02", "visitor flags %s" % v)
    check("from 192.0.2.100 iif fa0 lookup 434" in ip("fa", "rule").stdout, "no reverse-tunnel rule")
    cap = Capture("fa", "fa1", "ip proto 4") if have_tshark() else None
    n = echo()
    check(n == 3, "echo with reverse tunnel: %d/3" % n)
    if cap:
        rows = cap.fields("ip.src", "ip.dst")
        up = [r for r in rows if r[0] == "203.0.113.1,192.0.2.100" and r[1] == "192.0.2.1,192.0.2.10"]
        check(up, "no reverse-tunnelled packet FA->HA: %s" % rows)


def t_relay_extensions():
    """MN-FA checked and removed on the way to the HA, appended to the reply (§3.7.2.2, §3.7.3.2)."""
    hoa = "192.0.2.110"
    msg = build_request(hoa, HA, "203.0.113.1", ntp_now(), lifetime=200, key=bytes.fromhex(K))
    msg = append_auth(msg, 33, 300, "hmac-md5", bytes.fromhex(K_MNFA))
    rep, _ = udp_exchange(msg, "203.0.113.1")
    check(rep is not None, "no reply")
    r = parse_reply(rep)
    check(r["code"] == 0, "code %d" % r["code"])
    check([e[0] for e in r["exts"]] == [32, 33], "reply extensions %s (FA-HA removed, MN-FA added)"
          % [e[0] for e in r["exts"]])
    check(verify_ext(rep, r["exts"], 33, 300, "hmac-md5", bytes.fromhex(K_MNFA)), "bad MN-FA in the reply")
    check(len(fa.visitors(hoa)) == 1, "no visitor %s" % hoa)
    check(len(ha.bindings(hoa)) == 1, "no binding %s" % hoa)
    fa.ctl("MIP/1 clear visitors " + hoa)
    check(fa.visitors(hoa) == [], "visitor not cleared")


# ---------------------------------------------------------------- denials

def t_deny_lifetime():
    r = denied(69, lifetime=1000)
    check(r["lifetime"] == 600, "69 must carry our maximum lifetime, got %s" % r["lifetime"])


def t_deny_poorly_formed():
    _, r = raw_request(after=bytes([0x90, 40, 1, 2]))
    check(r and r["code"] == 70, "expected 70, got %s" % r)
    no_pending()


def t_deny_encapsulation():
    denied(72, flags="MG")


def t_deny_vj():
    denied(73, flags="r")


def t_deny_too_distant():
    _, r = raw_request(flags=0x02, ttl=64)
    check(r and r["code"] == 76, "expected 76 for TTL 64, got %s" % r)


def utun_driver():
    path = os.environ.get("UTUN_DRIVER") or os.path.join(TOP, "tests", "integration", "utun_driver")
    if not os.access(path, os.X_OK):
        raise Skip("no utun_driver (make tests/integration/utun_driver)")
    return path


def t_encap_delivery():
    """RFC 3024 §5.2: with T and the Encapsulating Delivery Style extension
    the node sends its packets IP-in-IP to the agent, which decapsulates and
    reverse-tunnels them; unencapsulated ones are routed normally."""
    drv_path = utun_driver()
    _, r = raw_request(flags=0x02, ttl=255, after=bytes([130, 0]))
    check(r and r["code"] == 0, "expected 0 for the Encapsulating Delivery Style, got %s" % r)
    check([e[0] for e in r["exts"]] == [32], "reply extensions %s" % [e[0] for e in r["exts"]])
    v = fa.visitors(HOA)
    check(len(v) == 1 and v[0]["flags"] == "0x02" and v[0]["delivery"] == "encapsulating", "visitor %s" % v)
    check("lookup 434" not in ip("fa", "rule").stdout, "a direct-delivery rule with encapsulating delivery")
    out = nsx("fa", os.path.join(TOP, "mipagentstat"), "-s", fa.sock, "visitors").stdout
    check(re.search(r"^%s .* TE " % re.escape(HOA), out, re.M), "mipagentstat visitors without TE:\n%s" % out)
    drv = popen("mn", [drv_path, "-n", "mipmn%d", "rev", HOA, HOA, FA_ADDR["fa"], "ipip"],
                stdout=subprocess.PIPE, text=True)
    try:
        ready, _, _ = select.select([drv.stdout], [], [], 5)
        line = drv.stdout.readline().split() if ready else []
        check(line[:1] == ["ready"], "utun_driver did not start: %s" % line)
        ip("mn", "route", "add", CN + "/32", "dev", line[1], "src", HOA)
        up = Capture("fa", "fa1", "ip proto 4") if have_tshark() else None
        down = Capture("fa", "fa0", "ip proto 4") if have_tshark() else None
        n = echo()
        check(n == 3, "echo with encapsulating delivery: %d/3" % n)
        if up:
            rows = down.fields("ip.src", "ip.dst")
            check(["192.0.2.100,192.0.2.100", "203.0.113.1,192.0.2.10"] in rows,
                  "no encapsulated packet MN->FA: %s" % rows)
            rows = up.fields("ip.src", "ip.dst")
            check(["203.0.113.1,192.0.2.100", "192.0.2.1,192.0.2.10"] in rows,
                  "no reverse-tunnelled packet FA->HA: %s" % rows)
    finally:
        ip("mn", "route", "del", CN + "/32", check_rc=False)
        stop(drv)
    # §5.2.1: what the node sends unencapsulated is not reverse-tunnelled
    up = Capture("fa", "fa1", "ip proto 4") if have_tshark() else None
    n = echo()
    check(n == 3, "echo with unencapsulated replies: %d/3" % n)
    if up:
        rows = up.fields("ip.src", "ip.dst")
        check(not [r for r in rows if r[0].startswith("203.0.113.1,")], "reverse-tunnelled: %s" % rows)
    # back to direct delivery: the rule again, the filter gone
    rc, reps = mipreg(lifetime=300, flags="T")
    one_reply(rc, reps, 0, 0)
    v = fa.visitors(HOA)
    check(len(v) == 1 and v[0]["delivery"] == "direct", "visitor %s" % v)
    check("from 192.0.2.100 iif fa0 lookup 434" in ip("fa", "rule").stdout, "no reverse-tunnel rule")


def t_deny_prohibited():
    denied(65, ha="198.51.100.241")


def t_deny_mn_auth():
    before = fa.counter("mipSecTotalViolations")
    denied(67, hoa="192.0.2.110")
    check(fa.counter("mipSecTotalViolations") == before + 1, "no security violation counted")


def t_deny_bad_coa():
    denied(77, coa="203.0.113.99")


def t_deny_own_ha_address():
    # 194 lies outside the foreign agent codes mipreg knows to come without MN-HA
    rc, reps = mipreg(ha="203.0.113.1")
    one_reply(rc, reps, 194)
    check(rc != 0, "accepted?")
    no_pending()


def fake_ha(mode):
    path = os.path.join(TMP, "fake_ha.py")
    with open(path, "w") as f:
        f.write(FAKE_HA)
    p = popen("cn", ["/usr/bin/python3", path, mode, K_FA], stdout=subprocess.PIPE, text=True)
    check(p.stdout.readline().startswith("ready"), "fake home agent did not start")
    return p


def t_deny_ha_auth():
    p = fake_ha("badauth")
    try:
        denied(68, ha=CN)
    finally:
        stop(p)
    check(fa.counter("faHAAuthenticationFailure") >= 1, "faHAAuthenticationFailure")


def t_deny_poor_reply():
    p = fake_ha("malformed")
    try:
        denied(71, ha=CN)
    finally:
        stop(p)


def t_deny_icmp():
    for code, haddr in ((80, "198.51.100.130"), (81, "198.51.100.200"), (82, CN), (88, "198.51.100.230")):
        denied(code, ha=haddr)
    check(fa.counter("faHAUnreachable") >= 4, "faHAUnreachable")


def t_deny_timeout_and_pending():
    """HA stopped: pending entries stay (max 5 per node: 66), then 78 (§3.7.1)."""
    ha.pause()
    try:
        from falab import ns_socket
        sk = ns_socket("mn")
        sk.bind((HOA, 0))
        sk.settimeout(0.3)
        ids = [ntp_now() + i for i in range(6)]
        for i in ids:
            sk.sendto(build_request("192.0.2.105", HA, "203.0.113.1", i, lifetime=300, key=bytes.fromhex(K)),
                      ("203.0.113.1", 434))
        time.sleep(0.3)
        pend = fa.pending("192.0.2.105")
        check(len(pend) == 5, "pending entries: %s" % pend)
        codes = []
        deadline = time.time() + 3.5
        while time.time() < deadline:
            try:
                codes.append(parse_reply(sk.recv(4096))["code"])
            except socket.timeout:
                pass
        sk.close()
        # five timeouts, but one denial per second per node and code (§3.7.2)
        check(sorted(codes) == [66, 78], "replies %s" % codes)
        no_pending()
    finally:
        ha.resume()


# ---------------------------------------------------------------- busy, movement, home

def advert_matching(pred, timeout=9, ns="mn"):
    lst = AdvListener(ns)
    try:
        return lst.next(timeout, pred)
    finally:
        lst.close()


def t_busy():
    fa.ctl("MIP/1 clear visitors")
    for h in (HOA, "192.0.2.101"):
        rc, reps = mipreg(hoa=h)
        one_reply(rc, reps, 0, 0)
    a = advert_matching(lambda a: a["flags"] & F["B"])
    check(a is not None, "no advertisement with the busy bit at the visitor limit")
    denied(66, hoa="192.0.2.102")
    rc, reps = mipreg(hoa="192.0.2.101", lifetime=0)
    one_reply(rc, reps, 0, 0)
    check(len(fa.visitors()) == 1, "deregistration left %s" % fa.visitors())
    a = advert_matching(lambda a: not a["flags"] & F["B"])
    check(a is not None, "busy bit still set below the limit")


def t_movement():
    rc, reps = mipreg(lifetime=6, flags="T")
    one_reply(rc, reps, 0, 0)
    move_mn("brf2")
    mn_away("fb")
    lst = AdvListener()
    try:
        solicit("255.255.255.255")
        a = lst.next(3)
    finally:
        lst.close()
    check(a and a["src"] == "203.0.113.65" and a["dst"] == "255.255.255.255", "FB's answer: %s" % a)
    check(a["code"] == 0 and a["flags"] == F["R"] | F["F"] | F["M"] | F["G"], "FB flags %s"
          % flags_str(a["flags"]))
    denied(74, fa="fb", flags="T", coa="203.0.113.65")
    rc, reps = mipreg(fa="fb", lifetime=300)
    one_reply(rc, reps, 0, 0)
    bs = ha.bindings(HOA)
    check(len(bs) == 1 and bs[0]["coa"] == "203.0.113.65", "binding after the move: %s" % bs)
    check(len(fb.visitors()) == 1, "FB visitors %s" % fb.visitors())
    n = echo()
    check(n == 3, "echo through FB: %d/3" % n)
    check(len(fa.visitors(HOA)) == 1, "the old visitor entry left too early")
    deadline = time.time() + 9
    while fa.visitors(HOA) and time.time() < deadline:
        time.sleep(0.3)
    check(fa.visitors(HOA) == [], "the old visitor entry never aged out")
    check(HOA not in ip("fa", "route", "show", HOA).stdout, "FA kept the host route")
    check("lookup 434" not in ip("fa", "rule").stdout, "FA kept the reverse-tunnel rule")


def t_solicitation_only():
    lst = AdvListener()
    try:
        a = lst.next(5)
        check(a is None, "an unsolicited advertisement from a solicitation-only agent: %s" % a)
        solicit("224.0.0.11")
        a = lst.next(3)
    finally:
        lst.close()
    check(a is not None, "no answer from the solicitation-only agent")


def t_home():
    move_mn("brhome")
    mn_home()
    a = advert_matching(lambda a: a["src"] == HA)
    check(a is not None and a["flags"] & F["H"] and not a["flags"] & F["F"] and a["coas"] == [],
          "home agent advertisement %s" % a)
    rc, reps = mipreg(fa=None, dest=HA, coa=HOA, lifetime=0)
    one_reply(rc, reps, 0, 0)
    check(ha.bindings(HOA) == [], "binding left after deregistration: %s" % ha.bindings(HOA))


def t_revtun_required():
    move_mn("brf1")
    mn_away("fa")
    fa.start(fa_conf('reverse-tunnel-required="true"'), name="fa-revreq")
    denied(75)
    rc, reps = mipreg(flags="T")
    one_reply(rc, reps, 0, 0)


def t_reload():
    """New foreign agent settings in force at SIGHUP, visitors kept, FA-HA key still usable."""
    before = fa.visitors()
    fa.reload(fa_conf('reverse-tunnel-required="true"').replace('max-registration-lifetime="600"',
                                                                 'max-registration-lifetime="500"'))
    check(fa.visitors() == before or len(fa.visitors()) == len(before), "visitors changed by the reload")
    r = denied(69, lifetime=550, flags="T")
    check(r["lifetime"] == 500, "69 after the reload carries %s, not 500" % r["lifetime"])
    rc, reps = mipreg(flags="T", lifetime=400)
    one_reply(rc, reps, 0, 0)
    check("bad authenticator" not in ha.text(), "the FA-HA key did not survive the reload")


def t_mipagentstat():
    stat = os.path.join(TOP, "mipagentstat")
    out = nsx("fa", stat, "-s", fa.sock, "visitors").stdout
    check(HOA in out and "Care-of Address" in out, "mipagentstat visitors:\n%s" % out)
    out = nsx("fa", stat, "-s", fa.sock, "-j", "advertisements").stdout
    check('"interface":"fa0"' in out and '"coas":"203.0.113.1"' in out, "advertisements JSON: %s" % out)
    out = nsx("fa", stat, "-s", fa.sock, "-x", "pending").stdout
    check("<pending>" in out, "pending XML: %s" % out)


def main():
    try:
        setup()
        ha.start(HA_CONF)
        fa.start(fa_conf())
        fb.start(FB_CONF)
        for name, fn in [("advertisements", t_advertisements), ("adv_codec", t_adv_codec),
                         ("adv_tshark", t_adv_tshark), ("solicit", t_solicit),
                         ("register", t_register), ("traffic", t_traffic),
                         ("reverse_tunnel", t_reverse_tunnel), ("relay_extensions", t_relay_extensions),
                         ("deny_69_lifetime", t_deny_lifetime), ("deny_70_poorly_formed", t_deny_poorly_formed),
                         ("deny_72_encapsulation", t_deny_encapsulation), ("deny_73_vj", t_deny_vj),
                         ("deny_76_too_distant", t_deny_too_distant),
                         ("encap_delivery", t_encap_delivery),
                         ("deny_65_prohibited", t_deny_prohibited), ("deny_67_mn_auth", t_deny_mn_auth),
                         ("deny_77_bad_coa", t_deny_bad_coa), ("deny_194_own_address", t_deny_own_ha_address),
                         ("deny_68_ha_auth", t_deny_ha_auth), ("deny_71_poor_reply", t_deny_poor_reply),
                         ("deny_80_81_82_88_icmp", t_deny_icmp),
                         ("deny_78_66_pending", t_deny_timeout_and_pending), ("busy", t_busy),
                         ("movement", t_movement), ("solicitation_only", t_solicitation_only),
                         ("home", t_home), ("deny_75_revtun_required", t_revtun_required),
                         ("reload", t_reload),
                         ("mipagentstat", t_mipagentstat)]:
            R.case(name, fn)
    finally:
        cleanup()
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
