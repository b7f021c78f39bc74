#!/usr/bin/python3
"""Integration tests of a foreign agent with two visited links: per-interface
visitor limits and lifetime caps (B bit and codes 66/69 on one interface
only), and the same private home address registered through two home agents
by a node on each link (RFC 3024; Solaris "limited private address
support"): each node gets only its own correspondent's traffic, with and
without reverse tunnelling, and removing one visitor leaves the other
working.

    M1  mn0 192.0.2.100/32 --- fa0 203.0.113.1/25    FA    fa1 198.51.100.2/30 --- ha1 .1  H1
    M2  mn0 192.0.2.100/32 --- fa2 203.0.113.129/25  FA    fa3 198.51.100.6/30 --- ha1 .5  H2
    H1  ha0 192.0.2.1/24 --- C1 192.0.2.10       H2  ha0 192.0.2.2/24 --- C2 192.0.2.20

H1 and H2 each serve home address 192.0.2.100 on a home link of their own.

Run as root: /usr/bin/python3 tests/integration/test_fa_links.py [CASE...]
(later cases build on earlier ones; env: top_builddir, MIPAGENT, MIPREG).
Prints "PASS name" / "FAIL name: reason" per case and "N passed, M failed".
"""
import os
import select
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import falab  # noqa: E402
from falab import (FLAG_BITS, K, TMP, AdvListener, Capture, Daemon, Runner, check, cleanup,  # noqa: E402
                   have_tshark, ip, mac_of, mipreg, nsx, popen, run)

falab.NS.clear()
falab.NS.update({r: falab.P + r for r in ("fa", "m1", "m2", "h1", "h2", "c1", "c2")})

HOA = "192.0.2.100"
HA1, HA2 = "192.0.2.1", "192.0.2.2"
CN1, CN2 = "192.0.2.10", "192.0.2.20"
COA_A, COA_B = "203.0.113.1", "203.0.113.129"
PORT = 7008
F = FLAG_BITS

HA_CONF = '''  <home-agent address="%s" interface="ha0" home-network="192.0.2.0/24">
    <mobile-node first="192.0.2.100" last="192.0.2.120">
      <security-association spi="256" key="%s"/>
    </mobile-node>
  </home-agent>
  <data-plane backend="userspace"/>'''

# fa0: one visitor at most, the agent's lifetime cap; fa2: no limit, its own cap
FA_CONF = '''  <foreign-agent pending-timeout="2">
    <interface name="fa0" min-interval="3" max-interval="4" visitor-limit="%s">
      <care-of-address address="203.0.113.1"/>
    </interface>
    <interface name="fa2" min-interval="3" max-interval="4" max-registration-lifetime="500">
      <care-of-address address="203.0.113.129"/>
    </interface>
  </foreign-agent>
  <data-plane backend="userspace"/>'''

# A UDP echo that says which node answered and records what it received.
TAG_ECHO = r'''
import socket, sys
tag, log = sys.argv[1].encode(), open(sys.argv[4], "a", buffering=1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[2], int(sys.argv[3])))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(4096)
    log.write("%s %s\n" % (a[0], d.decode(errors="replace")))
    s.sendto(tag + b":" + d, a)
'''

ECHO_CLIENT = r'''
import socket, sys
host, port, n, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].encode()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
ok = 0
for i in range(n):
    msg = b"probe-%d" % i
    s.sendto(msg, (host, port))
    try:
        d, a = s.recvfrom(4096)
        ok += d == tag + b":" + msg and a[0] == host
    except socket.timeout:
        pass
print(ok)
'''

h1, h2, fa = Daemon("h1"), Daemon("h2"), Daemon("fa")
R = Runner()
ECHO_LOG = {"m1": os.path.join(TMP, "m1-echo.log"), "m2": os.path.join(TMP, "m2-echo.log")}


def setup():
    for n in falab.NS.values():
        run(["ip", "netns", "del", n], check_rc=False)
    for n in falab.NS.values():
        run(["ip", "netns", "add", n])
        run(["ip", "-n", n, "link", "set", "lo", "up"])
    pairs = [("m1", "mn0", "fa", "fa0"), ("m2", "mn0", "fa", "fa2"), ("fa", "fa1", "h1", "ha1"),
             ("fa", "fa3", "h2", "ha1"), ("h1", "ha0", "c1", "cn0"), ("h2", "ha0", "c2", "cn0")]
    for a, da, b, db in pairs:
        run(["ip", "link", "add", da, "netns", falab.NS[a], "type", "veth", "peer", "name", db,
             "netns", falab.NS[b]])
        ip(a, "link", "set", da, "up")
        ip(b, "link", "set", db, "up")
    for ns, addr, dev in [("fa", "203.0.113.1/25", "fa0"), ("fa", "203.0.113.129/25", "fa2"),
                          ("fa", "198.51.100.2/30", "fa1"), ("fa", "198.51.100.6/30", "fa3"),
                          ("h1", "198.51.100.1/30", "ha1"), ("h2", "198.51.100.5/30", "ha1"),
                          ("h1", HA1 + "/24", "ha0"), ("h2", HA2 + "/24", "ha0"),
                          ("c1", CN1 + "/24", "cn0"), ("c2", CN2 + "/24", "cn0")]:
        ip(ns, "addr", "add", addr, "dev", dev)
    for dst in (HA1, CN1):
        ip("fa", "route", "add", dst, "via", "198.51.100.1")
    for dst in (HA2, CN2):
        ip("fa", "route", "add", dst, "via", "198.51.100.5")
    ip("h1", "route", "add", "203.0.113.0/24", "via", "198.51.100.2")
    ip("h2", "route", "add", "203.0.113.0/24", "via", "198.51.100.6")
    ip("c1", "route", "add", "default", "via", HA1)
    ip("c2", "route", "add", "default", "via", HA2)
    for ns, agent in (("m1", COA_A), ("m2", COA_B)):
        ip(ns, "addr", "add", HOA + "/32", "dev", "mn0")
        ip(ns, "route", "add", agent + "/32", "dev", "mn0", "scope", "link")
        ip(ns, "route", "add", "default", "via", agent, "dev", "mn0", "src", HOA)
    for ns in falab.NS:
        for k in ("all", "default"):
            nsx(ns, "sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % k)
    for ns in ("h1", "h2"):
        nsx(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    deadline = time.time() + 5
    for a, da, b, db in pairs:
        for ns, dev in ((a, da), (b, db)):
            while "LOWER_UP" not in ip(ns, "link", "show", dev).stdout:
                check(time.time() < deadline, "%s in %s never came up" % (dev, ns))
                time.sleep(0.02)


def reg(node, ha, hoa=HOA, lifetime=300, flags=""):
    """Register @hoa with home agent @ha from namespace @node; the reply code."""
    coa = COA_A if node == "m1" else COA_B
    rc, reps = mipreg(ns=node, hoa=hoa, ha=ha, coa=coa, dest=coa, lifetime=lifetime, flags=flags)
    check(len(reps) == 1, "%s %s via %s: replies %s (rc %d)" % (node, hoa, ha, reps, rc))
    return reps[0]


def advert(node, pred, timeout=9):
    lst = AdvListener(node)
    try:
        return lst.next(timeout, pred)
    finally:
        lst.close()


def visitors():
    return sorted((v["hoa"], v["ha"], v["interface"]) for v in fa.visitors())


def start_echo(node):
    path = os.path.join(TMP, "tag_echo.py")
    with open(path, "w") as f:
        f.write(TAG_ECHO)
    p = popen(node, ["/usr/bin/python3", path, node, HOA, PORT, ECHO_LOG[node]], stdout=subprocess.PIPE,
              text=True)
    r, _, _ = select.select([p.stdout], [], [], 5)
    check(r and p.stdout.readline().startswith("ready"), "echo server in %s did not start" % node)


def echo(cn, node, n=3):
    """How many of @n echoes from correspondent @cn came back from @node."""
    path = os.path.join(TMP, "tag_client.py")
    with open(path, "w") as f:
        f.write(ECHO_CLIENT)
    p = nsx(cn, "/usr/bin/python3", path, HOA, PORT, n, node, check_rc=False, timeout=n * 2 + 5)
    return int(p.stdout.strip() or 0)


def received_from(node):
    """The sources of what @node's echo server received (and forget them)."""
    with open(ECHO_LOG[node]) as f:
        srcs = set(l.split()[0] for l in f if l.strip())
    open(ECHO_LOG[node], "w").close()
    return srcs


def both_directions(what):
    """C1's echoes reach M1 only and C2's M2 only, and come back."""
    received_from("m1"), received_from("m2")
    n1, n2 = echo("c1", "m1"), echo("c2", "m2")
    check(n1 == 3 and n2 == 3, "%s: C1 <-> M1 %d/3, C2 <-> M2 %d/3" % (what, n1, n2))
    s1, s2 = received_from("m1"), received_from("m2")
    check(s1 == {CN1} and s2 == {CN2}, "%s: M1 received from %s, M2 from %s" % (what, s1, s2))


# ---------------------------------------------------------------- per-interface limits

def t_start():
    h1.start(HA_CONF % (HA1, K))
    h2.start(HA_CONF % (HA2, K))
    fa.start(FA_CONF % 1)


def t_interface_limit():
    r = reg("m1", HA1)
    check(r["code"] == 0, "first node on fa0: %s" % r)
    a = advert("m1", lambda a: a["flags"] & F["B"])
    check(a is not None, "fa0 at its limit: no advertisement with B")
    b = advert("m2", lambda a: True)
    check(b is not None and not b["flags"] & F["B"], "fa2 below its limit advertises %s" % b)
    r = reg("m1", HA1, hoa="192.0.2.101")
    check(r["code"] == 66, "second node on fa0: %s" % r)
    r = reg("m1", HA1)
    check(r["code"] == 0, "the visitor of fa0 re-registers: %s" % r)
    r = reg("m2", HA2)
    check(r["code"] == 0, "node on fa2: %s" % r)
    check(visitors() == [(HOA, HA1, "fa0"), (HOA, HA2, "fa2")], "visitors %s" % visitors())
    a = advert("m1", lambda a: True)
    check(a["flags"] & F["B"], "fa0 lost its B bit: %s" % a)
    check(not advert("m2", lambda a: True)["flags"] & F["B"], "fa2 advertises B")
    check(fa.counter("faInsufficientResource") >= 1, "66 not counted")


def t_interface_lifetime():
    a, b = advert("m1", lambda a: True), advert("m2", lambda a: True)
    check(a["reg_lifetime"] == 1800 and b["reg_lifetime"] == 500,
          "advertised registration lifetimes fa0 %s fa2 %s" % (a["reg_lifetime"], b["reg_lifetime"]))
    r = reg("m2", HA2, hoa="192.0.2.102", lifetime=600)
    check(r["code"] == 69 and r["lifetime"] == 500, "600 s on fa2: %s" % r)
    r = reg("m1", HA1, lifetime=600)
    check(r["code"] == 0, "600 s on fa0 (cap 1800): %s" % r)


def t_limit_reload():
    fa.reload(FA_CONF % 2)
    a = advert("m1", lambda a: not a["flags"] & F["B"])
    check(a is not None, "fa0 still busy after raising its limit")
    r = reg("m1", HA1, hoa="192.0.2.101")
    check(r["code"] == 0, "second node on fa0 after the reload: %s" % r)
    check(advert("m1", lambda a: a["flags"] & F["B"]) is not None, "fa0 at its new limit without B")
    r = reg("m1", HA1, hoa="192.0.2.101", lifetime=0)
    check(r["code"] == 0, "deregistration: %s" % r)
    check(visitors() == [(HOA, HA1, "fa0"), (HOA, HA2, "fa2")], "visitors %s" % visitors())


# ---------------------------------------------------------------- the same home address on two links

def t_shared_forward():
    start_echo("m1")
    start_echo("m2")
    both_directions("without reverse tunnels")
    check(mac_of("m2", "mn0") in ip("fa", "neigh", "show", HOA, "dev", "fa2").stdout,
          "no neighbour entry on fa2")


def t_shared_reverse():
    for node, ha in (("m1", HA1), ("m2", HA2)):
        r = reg(node, ha, flags="T")
        check(r["code"] == 0, "%s with T: %s" % (node, r))
    cap = [Capture("fa", dev, "ip proto 4") for dev in ("fa1", "fa3")] if have_tshark() else None
    both_directions("with reverse tunnels")
    if cap:
        up1 = cap[0].fields("ip.src", "ip.dst", filt="ip.src == %s" % COA_A)
        up2 = cap[1].fields("ip.src", "ip.dst", filt="ip.src == %s" % COA_B)
        check(["%s,%s" % (COA_A, HOA), "%s,%s" % (HA1, CN1)] in up1, "no reverse tunnel to H1: %s" % up1)
        check(["%s,%s" % (COA_B, HOA), "%s,%s" % (HA2, CN2)] in up2, "no reverse tunnel to H2: %s" % up2)


def t_remove_one():
    r = reg("m1", HA1, lifetime=0)
    check(r["code"] == 0, "M1 deregisters: %s" % r)
    check(visitors() == [(HOA, HA2, "fa2")], "visitors %s" % visitors())
    received_from("m2")
    check(echo("c2", "m2") == 3 and received_from("m2") == {CN2}, "M2 disturbed by M1's removal")
    # M1 comes back (now the one beside an existing visitor), then M2 goes
    r = reg("m1", HA1, flags="T")
    check(r["code"] == 0, "M1 again: %s" % r)
    both_directions("both again")
    r = reg("m2", HA2, lifetime=0)
    check(r["code"] == 0, "M2 deregisters: %s" % r)
    received_from("m1")
    check(echo("c1", "m1") == 3 and received_from("m1") == {CN1}, "M1 disturbed by M2's removal")
    r = reg("m1", HA1, lifetime=0)
    check(r["code"] == 0, "M1 deregisters: %s" % r)
    links = ip("fa", "-o", "link", "show").stdout
    rules = ip("fa", "rule").stdout
    check("mipfa0l" not in links, "a link device left: %s" % links)
    check("lookup 4" not in rules, "rules left: %s" % rules)
    check(HOA not in ip("fa", "route", "show", "table", "all").stdout, "routes left")


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root")
        return 77
    try:
        setup()
        R.case("start", t_start)
        R.case("interface_limit", t_interface_limit)
        R.case("interface_lifetime", t_interface_lifetime)
        R.case("limit_reload", t_limit_reload)
        R.case("shared_forward", t_shared_forward)
        R.case("shared_reverse", t_shared_reverse)
        R.case("remove_one", t_remove_one)
    finally:
        cleanup()
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
