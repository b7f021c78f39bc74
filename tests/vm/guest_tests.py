#!/usr/bin/python3
"""Kernel-backed tests of mipagent, run INSIDE the test VM (Debian's kernel,
which has ipip, gre, veth, bridge and tun modules; see vm-run.sh and run.sh
in this directory): the data plane's kernel backend for real.

The topology is the foreign agent lab's (tests/integration/falab.py: mobile
node, two foreign agents, home agent, correspondent, a switch namespace with
one bridge per link).  The module's fallback devices tunl0/gre0 exist in
every namespace, as on a real host (net.core.fb_tunnels_only_for_init_net=0),
so the daemon must never create a tunnel that clashes with them (EEXIST).

1. Home agent on backend="kernel" with a co-located care-of address: the
   mobile node (203.0.113.10 on the foreign link, home addresses on lo)
   decapsulates with a kernel ipip/gre device of its own and registers with
   ./mipreg -F D (IP in IP) or -F DG (GRE), with and without T (reverse
   tunnelling).  Checked: the ipip/gre link mip* made through libnl (kind,
   endpoints, up), the host route (proto 77) through it, a ping from the
   correspondent that goes through the tunnel both ways (the links' packet
   counters), one link per endpoint pair shared by two nodes and removed
   with the last binding, a link the administrator made with the same
   endpoints used and left alone, SIGTERM leaving nothing, and kill -9 then
   restart: leftover mip* links removed, the restored bindings tunnelled
   again.
2. backend="auto" picks the kernel here (the log line and `show summary`).
3. The foreign agent scenario of test_fa.py on the kernel backend: the
   mobile node registers through one foreign agent (reverse tunnel), moves
   to the other, and comes home.
4. What a kernel link cannot do, through the userspace engine beside the
   kernel links: simultaneous bindings (S) to two co-located care-of
   addresses get a copy each (the host route leads into the engine while
   there are two, back to the kernel link with one), and a broadcast on the
   home link reaches a node registered with B (RFC 5944 §3.6.1.3, §4.3).
5. ESP between the agents ("esp", own daemons): <ipsec> on both peers for
   registration requests, replies and the forward tunnel, static ESP SAs
   made with `ip xfrm state add`; the registration through the foreign agent
   succeeds and a tcpdump capture of the FA-HA link shows ESP and neither
   cleartext UDP 434 nor IP in IP.
6. One private home address behind two home agents, a node with it on each
   of a foreign agent's two links (test_fa_links.py's topology, own
   namespaces), kernel backend ("fa-shared-hoa"): each correspondent's UDP
   reaches its own node through that node's kernel link and the tagged
   reply comes back (reverse-tunnelled with T), either node leaving leaves
   the other working, and SIGTERM leaves nothing.

Run (as root, in the VM): /usr/bin/python3 tests/vm/guest_tests.py [CASE...]
Prints "PASS name (N s)" / "FAIL name: reason" / "SKIP name: reason" per
case and "N passed, M failed[, K skipped]" last; exit status 1 on failure.
env: top_srcdir, top_builddir (the build tree, default ../..), MIPAGENT,
MIPREG (the programs; copied to the guest's /tmp before use).  A failing
case shows the tails of the daemons' logs.
"""
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
import traceback

sys.dont_write_bytecode = True
SRC = os.path.abspath(os.environ.get("top_srcdir") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "integration"))
import falab  # noqa: E402
from falab import (CN, HA, HOA, K, K_FA, NS, TMP, check, ip, mipreg as fa_mipreg,  # noqa: E402
                   move_mn, mn_away, mn_home, nsx, run)

COA = "203.0.113.10"
HOA2 = "192.0.2.101"
FA1 = falab.FA_ADDR["fa"]
FB1 = falab.FA_ADDR["fb"]
T_START = time.time()


Skip = falab.Skip
R = falab.Runner()


# ---------------------------------------------------------------- daemons

class Daemon(falab.Daemon):
    def term(self, sig=signal.SIGTERM, wait=8):
        """Signal the daemon and wait: its exit status."""
        p, self.p = self.p, None
        if p is None:
            return None
        p.send_signal(sig)
        try:
            return p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            return "hung"

    def summary(self):
        code, lines = self.ctl("MIP/1 show summary")
        check(code == 0 and lines, "show summary: %s %s" % (code, lines))
        return dict(x.split("=", 1) for x in lines[0].split()[1:] if "=" in x)

    def wait_log(self, text, timeout=3):
        deadline = time.time() + timeout
        while text not in self.text():
            check(time.time() < deadline, "%s: no %r in the log" % (self.name, text))
            time.sleep(0.05)


ha = Daemon("ha")
fa = Daemon("fa")
fb = Daemon("fb")


def ha_conf(backend="kernel", attrs=""):
    return '''  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24"
      max-registration-lifetime="1800"%s>
    <mobile-node address="192.0.2.100"><security-association spi="256" key="%s"/></mobile-node>
    <mobile-node first="192.0.2.101" last="192.0.2.120">
      <security-association spi="256" key="%s"/>
    </mobile-node>
  </home-agent>
  <peer address="203.0.113.1"><security-association spi="500" key="%s"/></peer>
  <peer address="203.0.113.65"><security-association spi="500" key="%s"/></peer>
  <data-plane backend="%s" tunnel-mtu="1480"/>''' % (attrs, K, K, K_FA, K_FA, backend)


def fa_conf(coa, backend="kernel"):
    return '''  <foreign-agent max-registration-lifetime="600">
    <interface name="fa0" min-interval="3" max-interval="4">
      <care-of-address address="%s"/>
    </interface>
  </foreign-agent>
  <peer address="192.0.2.1"><security-association spi="500" key="%s"/></peer>
  <data-plane backend="%s"/>''' % (coa, K_FA, backend)


# ---------------------------------------------------------------- kernel state

def links(ns="ha"):
    """{name: {"kind", "local", "remote", "up", "rx", "tx", "index"}} of @ns."""
    out = {}
    for l in json.loads(ip(ns, "-d", "-s", "-j", "link", "show").stdout):
        info = l.get("linkinfo", {})
        data = info.get("info_data", {})
        st = l.get("stats64", l.get("stats", {}))
        out[l["ifname"]] = {"kind": info.get("info_kind", ""), "local": data.get("local"),
                            "remote": data.get("remote"), "up": "UP" in l.get("flags", []),
                            "rx": st.get("rx", {}).get("packets", 0),
                            "tx": st.get("tx", {}).get("packets", 0), "index": l["ifindex"]}
    return out


def mip_links(ns="ha"):
    return {n: v for n, v in links(ns).items() if n.startswith("mip")}


def routes77(ns="ha"):
    """{destination: device} of the routes with protocol 77 in every table."""
    rs = json.loads(ip(ns, "-j", "route", "show", "table", "all", "proto", "77").stdout or "[]")
    return {r["dst"]: r.get("dev") for r in rs}


def nothing_left(ns="ha"):
    ml = mip_links(ns)
    check(ml == {}, "mip* links left in %s: %s" % (ns, sorted(ml)))
    r = routes77(ns)
    check(r == {}, "routes with proto 77 left in %s: %s" % (ns, r))
    rules = [l for l in ip(ns, "rule", "show").stdout.splitlines() if "proto 77" in l]
    check(rules == [], "rules with proto 77 left in %s: %s" % (ns, rules))
    px = ip(ns, "neigh", "show", "proxy").stdout.strip()
    check(px == "", "proxy entries left in %s: %r" % (ns, px))


def tunnel_for(kind, remote, local=HA, ns="ha"):
    """The one mip* link of @kind local -> remote (checked: only one)."""
    found = [(n, v) for n, v in mip_links(ns).items()
             if v["kind"] == kind and v["local"] == local and v["remote"] == remote]
    check(len(found) == 1, "expected one %s link %s -> %s in %s, found %s (all: %s)"
          % (kind, local, remote, ns, found, mip_links(ns)))
    name, v = found[0]
    check(name.startswith("mipi" if kind == "ipip" else "mipg"), "link name %s for %s" % (name, kind))
    check(v["up"], "%s is not up" % name)
    return name


def ping(host=HOA, ns="cn", count=3, strict=True):
    """@count echo requests from @ns to @host; all answered (and, @strict, no
    ICMP errors received: ping counts them against the count)."""
    p = nsx(ns, "ping", "-n", "-q", "-c", count, "-i", 0.2, "-W", 2, host, check_rc=False, timeout=20)
    summary = [l for l in p.stdout.splitlines() if "transmitted" in l] or [p.stdout + p.stderr]
    if strict:
        check(p.returncode == 0 and (" %d received" % count) in p.stdout and "error" not in p.stdout,
              "ping %s -> %s: %s" % (ns, host, summary[0].strip()))
    return summary[0].strip()


def icmp_unreach_sent(ns):
    """Icmp OutDestUnreachs of namespace @ns."""
    lines = [l.split() for l in nsx(ns, "cat", "/proc/net/snmp").stdout.splitlines()
             if l.startswith("Icmp:")]
    return int(dict(zip(lines[0], lines[1]))["OutDestUnreachs"])


def ns_sysctl(ns, settings):
    """Write /proc/sys settings {"net.ipv4.ip_forward": 1, ...} inside namespace @ns
    (no process to start: each costs a good part of a second under emulation)."""
    orig = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/var/run/netns/" + NS[ns], os.O_RDONLY)
    try:
        if falab._libc.setns(target, falab.CLONE_NEWNET) != 0:
            raise OSError("setns %s" % ns)
        try:
            for k, v in settings.items():
                with open("/proc/sys/" + k.replace(".", "/"), "w") as f:
                    f.write("%s\n" % v)
        finally:
            if falab._libc.setns(orig, falab.CLONE_NEWNET) != 0:
                raise OSError("setns back")
    finally:
        os.close(orig)
        os.close(target)


def setup():
    """falab.setup()'s topology (same names and addresses, so falab's helpers
    apply), made with a few `ip -batch` runs instead of some seventy `ip`s."""
    for n in NS.values():
        run(["ip", "netns", "del", n], check_rc=False)
    for n in NS.values():
        run(["ip", "netns", "add", n])
    ports = [("mn", "mn0", "p-mn", "brf1"), ("fa", "fa0", "p-fa0", "brf1"),
             ("fa", "fa1", "p-fa1", "brnet"), ("fb", "fa0", "p-fb0", "brf2"),
             ("fb", "fa1", "p-fb1", "brnet"), ("ha", "ha1", "p-ha1", "brnet"),
             ("ha", "ha0", "p-ha0", "brhome"), ("cn", "cn0", "p-cn", "brhome")]
    root = ["link add %s netns %s type veth peer name %s netns %s" % (dev, NS[ns], port, NS["sw"])
            for ns, dev, port, _ in ports]
    p = subprocess.run(["ip", "-batch", "-"], input="\n".join(root) + "\n", text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    check(p.returncode == 0, "creating the veth pairs: %s" % p.stderr)
    sw = ["link set lo up"]
    for br in ("brf1", "brf2", "brnet", "brhome"):
        sw += ["link add %s type bridge mcast_snooping 0 stp_state 0 forward_delay 0" % br,
               "link set %s up" % br]
    for _, _, port, br in ports:
        sw += ["link set %s master %s" % (port, br), "link set %s up" % port]
    batch("sw", sw)
    cmds = {ns: ["link set lo up"] for ns in ("mn", "fa", "fb", "ha", "cn")}
    for ns, dev, _, _ in ports:
        cmds[ns].append("link set %s up" % dev)
    for f in ("fa", "fb"):
        cmds[f] += ["addr add %s/26 dev fa0" % falab.FA_ADDR[f], "addr add %s/25 dev fa1" % falab.FA_NET[f],
                    "route add 192.0.2.0/24 via %s" % falab.HA_NET,
                    "route add 198.51.100.128/25 via %s" % falab.HA_NET]
    cmds["ha"] += ["addr add %s/25 dev ha1" % falab.HA_NET, "addr add %s/24 dev ha0" % HA,
                   "route add 203.0.113.0/26 via %s" % falab.FA_NET["fa"],
                   "route add 203.0.113.64/26 via %s" % falab.FA_NET["fb"],
                   "route add unreachable 198.51.100.192/27",
                   "route add 198.51.100.224/28 via %s" % CN]
    cmds["cn"] += ["addr add %s/24 dev cn0" % CN, "route add default via %s" % HA]
    cmds["mn"] += ["addr add %s/32 dev mn0" % HOA, "route add %s/32 dev mn0 scope link" % FA1,
                   "route add default via %s dev mn0 src %s" % (FA1, HOA)]
    for ns, c in cmds.items():
        batch(ns, c)
    for ns in ("mn", "fa", "fb", "ha", "cn"):
        # no IPv6 (router solicitations, MLD reports) through the tunnels: it
        # would blur their packet counters
        st = {"net.ipv4.conf.all.rp_filter": 0, "net.ipv4.conf.default.rp_filter": 0,
              "net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1}
        if ns in ("ha", "cn"):
            st["net.ipv4.ip_forward"] = 1
        ns_sysctl(ns, st)
    deadline = time.time() + 10
    for ns in ("mn", "fa", "fb", "ha", "cn"):
        while True:
            down = [l["ifname"] for l in json.loads(ip(ns, "-j", "link", "show").stdout)
                    if l["ifname"] in [d for n, d, _, _ in ports if n == ns]
                    and "LOWER_UP" not in l.get("flags", [])]
            if not down:
                break
            check(time.time() < deadline, "%s in %s never came up" % (down, ns))
            time.sleep(0.05)


def kernel_has_tunnels():
    n = falab.P + "probe"
    run(["ip", "netns", "add", n])
    try:
        return all(run(["ip", "-n", n, "link", "add", "probe0", "type", kind, "remote", "192.0.2.254"],
                       check_rc=False).returncode == 0 and
                   run(["ip", "-n", n, "link", "del", "probe0"], check_rc=False).returncode == 0
                   for kind in ("ipip", "gre"))
    finally:
        run(["ip", "netns", "del", n], check_rc=False)


# ---------------------------------------------------------------- the co-located mobile node

class MobileNode:
    """Co-located care-of address COA on mn0 (plugged into brf1, FA as a
    plain router), home addresses on lo, a kernel tunnel "mnk" to the home
    agent for decapsulation and, with T, the reverse tunnel."""

    def __init__(self):
        self.kind = None
        self.rev = False

    def colocate(self):
        ip("mn", "addr", "flush", "dev", "mn0")
        ip("mn", "route", "flush", "dev", "mn0", check_rc=False)
        batch("mn", ["addr add %s/26 dev mn0" % COA, "addr add %s/32 dev lo" % HOA,
                     "addr add %s/32 dev lo" % HOA2, "route add default via %s" % FA1])
        ns_sysctl("fa", {"net.ipv4.ip_forward": 1})

    def tunnel(self, kind, rev=False):
        cmds = []
        if self.rev and (not rev or kind != self.kind):
            cmds.append("rule del from %s lookup 100 pref 100" % HOA)
            self.rev = False
        if self.kind != kind:
            if self.kind:
                cmds.append("link del mnk")     # its table 100 route goes with it
            if kind:
                cmds += ["link add mnk type %s local %s remote %s" % (kind, COA, HA), "link set mnk up"]
            self.kind = kind
        if rev and not self.rev:
            cmds += ["rule add from %s lookup 100 pref 100" % HOA,
                     "route replace default dev mnk table 100"]
            self.rev = True
        if cmds:
            batch("mn", cmds)

    def leave(self):
        self.tunnel(None)
        ip("mn", "addr", "del", HOA + "/32", "dev", "lo", check_rc=False)
        ip("mn", "addr", "del", HOA2 + "/32", "dev", "lo", check_rc=False)


mn = MobileNode()


def batch(ns, cmds):
    p = subprocess.run(["ip", "-n", NS[ns], "-batch", "-"], input="\n".join(cmds) + "\n", text=True,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    if p.returncode != 0:
        raise RuntimeError("ip -n %s -batch: %s%s\n%s" % (ns, p.stdout, p.stderr, "\n".join(cmds)))


def register(flags="D", hoa=HOA, lifetime=300, coa=COA):
    """./mipreg from the mobile node's co-located care-of address: accepted (code 0)."""
    cmd = [falab.MIPREG, "-j", "-H", hoa, "-a", HA, "-c", coa, "-b", COA, "-s", 256, "-k", K,
           "-l", lifetime, "-t", 1500, "-R", 2]
    if flags:
        cmd += ["-F", flags]
    p = nsx("mn", *cmd, check_rc=False, timeout=15)
    reps = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    check(p.returncode == 0 and reps and reps[-1].get("code") == 0,
          "registration of %s (flags %s, lifetime %s) not accepted: exit %d %s %s"
          % (hoa, flags, lifetime, p.returncode, p.stdout.strip(), p.stderr.strip()))


# ---------------------------------------------------------------- cases: the home agent

def t_fallback_devices():
    """The modules' fallback devices are there, as on a real host."""
    names = links("ha")
    check("tunl0" in names and "gre0" in names, "no tunl0/gre0 in the HA namespace: %s" % sorted(names))
    # and they do clash with an all-zero tunnel: what the daemon must avoid
    p = ip("ha", "link", "add", "zero0", "type", "ipip", check_rc=False)
    check(p.returncode != 0 and "exists" in p.stderr, "an all-zero ipip link did not clash: %s" % p.stderr)


def t_auto_backend():
    ha.start(ha_conf("auto"), name="ha-auto")
    text = ha.text()
    check("backend kernel (auto: the kernel has ipip and gre links)" in text,
          "the automatic choice is not the kernel: %s" % [l for l in text.splitlines() if "backend" in l])
    check(ha.summary().get("backend") == "kernel", "show summary: %s" % ha.summary())
    check(mip_links() == {}, "links left by the probe or a TUN device opened: %s" % sorted(mip_links()))
    rc = ha.term()
    check(rc == 0, "exit status %s on SIGTERM" % rc)
    nothing_left()


def start_kernel_ha(name="ha-kernel"):
    ha.start(ha_conf("kernel"), name=name)
    check(ha.summary().get("backend") == "kernel", "show summary: %s" % ha.summary())


def traffic(kind, flags):
    """Register with @flags, check the link, route and a ping through it."""
    rev = "T" in flags
    if not ha.p:
        start_kernel_ha()
    mn.tunnel(kind, rev)
    register(flags)
    name = tunnel_for(kind, COA)
    r = routes77()
    check(r.get(HOA) == name, "host route of %s: %s, expected dev %s" % (HOA, r, name))
    before, mbefore = mip_links()[name], links("mn")["mnk"]
    ping()
    after, mafter = mip_links()[name], links("mn")["mnk"]
    check(after["tx"] - before["tx"] >= 3 and mafter["rx"] - mbefore["rx"] >= 3,
          "the echo requests did not go through %s (HA tx +%d, MN rx +%d)"
          % (name, after["tx"] - before["tx"], mafter["rx"] - mbefore["rx"]))
    if rev:
        check(after["rx"] - before["rx"] >= 3 and mafter["tx"] - mbefore["tx"] >= 3,
              "the replies were not reverse-tunnelled through %s (HA rx +%d, MN tx +%d)"
              % (name, after["rx"] - before["rx"], mafter["tx"] - mbefore["tx"]))
    else:
        check(after["rx"] == before["rx"] and mafter["tx"] == mbefore["tx"],
              "replies tunnelled without T (HA rx +%d, MN tx +%d)"
              % (after["rx"] - before["rx"], mafter["tx"] - mbefore["tx"]))
    return name


def t_ipip():
    mn.colocate()
    name = traffic("ipip", "D")
    check("created the ipip link %s 192.0.2.1 -> %s" % (name, COA) in ha.text(), "creation not logged")


def t_ipip_revtun():
    before = tunnel_for("ipip", COA)
    idx = mip_links()[before]["index"]
    name = traffic("ipip", "DT")
    check(name == before and mip_links()[name]["index"] == idx, "the renewal replaced the link")


def t_gre_revtun():
    old = tunnel_for("ipip", COA)
    traffic("gre", "DGT")
    check(old not in mip_links(), "the ipip link %s stayed after the change to GRE" % old)


def t_gre():
    traffic("gre", "DG")


def t_deregister():
    register("DG", lifetime=0)
    time.sleep(0.1)
    nothing_left()
    check(ha.summary().get("bindings") == "0", "bindings left: %s" % ha.summary())


def t_shared_link():
    """Two nodes behind one care-of address: one link, removed with the last binding."""
    mn.tunnel("ipip")
    register("D", hoa=HOA)
    register("D", hoa=HOA2)
    name = tunnel_for("ipip", COA)
    check(len(mip_links()) == 1, "links: %s" % sorted(mip_links()))
    r = routes77()
    check(r.get(HOA) == name and r.get(HOA2) == name, "host routes %s, expected both via %s" % (r, name))
    ping(HOA, count=2)
    ping(HOA2, count=2)
    register("D", hoa=HOA, lifetime=0)
    time.sleep(0.1)
    check(tunnel_for("ipip", COA) == name, "the shared link changed")
    r = routes77()
    check(HOA not in r and r.get(HOA2) == name, "host routes after one deregistration: %s" % r)
    ping(HOA2, count=2)
    register("D", hoa=HOA2, lifetime=0)
    time.sleep(0.1)
    nothing_left()


def t_admin_link():
    """A link with the same endpoints made by someone else (EEXIST): used, never deleted."""
    batch("ha", ["link add adm0 type ipip local %s remote %s" % (HA, COA), "link set adm0 up"])
    try:
        register("D")
        ha.wait_log("using the existing ipip link adm0")
        r = routes77()
        check(r.get(HOA) == "adm0", "host route %s, expected via adm0" % r)
        check(mip_links() == {}, "a second link was made: %s" % sorted(mip_links()))
        ping(count=2)
        register("D", lifetime=0)
        time.sleep(0.1)
        check("adm0" in links(), "the administrator's link was deleted")
        nothing_left()
    finally:
        ip("ha", "link", "del", "adm0", check_rc=False)


def t_sigterm():
    mn.tunnel("ipip")
    register("D", hoa=HOA)
    register("DG", hoa=HOA2)
    tunnel_for("ipip", COA)
    tunnel_for("gre", COA)
    rc = ha.term()
    check(rc == 0, "exit status %s on SIGTERM" % rc)
    nothing_left()


def t_kill9_restart():
    start_kernel_ha("ha-crash")
    register("D", hoa=HOA)
    register("DG", hoa=HOA2)
    old = {tunnel_for("ipip", COA), tunnel_for("gre", COA)}
    rc = ha.term(signal.SIGKILL)
    check(rc == -9, "kill -9: status %s" % rc)
    check(set(mip_links()) == old, "after kill -9 the links are %s, expected %s" % (sorted(mip_links()), old))
    # a leftover of ours that no binding explains, and someone else's link
    batch("ha", ["link add mipi77 type ipip local %s remote 203.0.113.77" % HA,
                 "link add keep0 type ipip local %s remote 203.0.113.78" % HA])
    try:
        start_kernel_ha("ha-crash")
        check("removed the leftover link mipi77" in ha.text(), "mipi77 was not removed: %s" % ha.tail(8))
        check("mipi77" not in links(), "mipi77 is still there")
        check("keep0" in links(), "a link that is not ours (keep0) was removed")
        bs = {b["hoa"] for b in ha.bindings()}
        r = routes77()
        if bs:
            # bindings restored: each tunnelled again through exactly one link per endpoint pair
            check(bs == {HOA, HOA2}, "restored bindings %s" % bs)
            print("# restart: leftover links removed, restored bindings tunnelled through %s"
                  % sorted(mip_links()), flush=True)
            i, g = tunnel_for("ipip", COA), tunnel_for("gre", COA)
            check(len(mip_links()) == 2, "links after the restart: %s" % sorted(mip_links()))
            check(r.get(HOA) == i and r.get(HOA2) == g, "host routes %s, expected %s/%s" % (r, i, g))
        else:
            print("# restart: no binding restored, leftover links removed", flush=True)
            nothing_left()
            register("D", hoa=HOA)
            register("DG", hoa=HOA2)
        ping(HOA, count=2)
        mn.tunnel("gre")
        ping(HOA2, count=2)
        rc = ha.term()
        check(rc == 0, "exit status %s on SIGTERM" % rc)
        nothing_left()
        check("keep0" in links(), "keep0 was removed at shutdown")
    finally:
        ip("ha", "link", "del", "mipi77", check_rc=False)
        ip("ha", "link", "del", "keep0", check_rc=False)


def t_simultaneous_broadcast():
    """Kernel backend: copies to each simultaneous care-of address and
    broadcasts (B) go through the userspace engine."""
    coa2 = "203.0.113.11"
    mn.leave()
    mn.colocate()
    mn.tunnel("ipip")
    batch("mn", ["addr add %s/26 dev mn0" % coa2,
                 "link add mnk2 type ipip local %s remote %s" % (coa2, HA), "link set mnk2 up"])
    ha.start(ha_conf("kernel", ' max-bindings="2" broadcast="true"'), name="ha-simul")
    try:
        check(ha.summary().get("backend") == "kernel", "show summary: %s" % ha.summary())
        register("SD", coa=COA)
        register("SD", coa=coa2)
        check(sorted(b["coa"] for b in ha.bindings(HOA)) == [COA, coa2], "bindings %s" % ha.bindings(HOA))
        l1, l2 = tunnel_for("ipip", COA), tunnel_for("ipip", coa2)
        dev = routes77().get(HOA)
        check(links().get(dev, {}).get("kind") == "tun",
              "host route of %s with two bindings via %s, expected the engine's TUN device" % (HOA, dev))
        m = links("mn")
        out = ping(strict=False)
        m2 = links("mn")
        got = [m2[t]["rx"] - m[t]["rx"] for t in ("mnk", "mnk2")]
        check(" 3 received" in out and min(got) >= 3,
              "echo requests not copied to both care-of addresses: mnk/mnk2 rx +%s; ping: %s" % (got, out))
        register("SD", coa=coa2, lifetime=0)
        time.sleep(0.1)
        check(routes77().get(HOA) == l1, "host route after one deregistration: %s, expected %s"
              % (routes77(), l1))
        check(l2 not in mip_links(), "%s stayed after its last binding" % l2)
        m = links("mn")
        ping()
        m2 = links("mn")
        check(m2["mnk"]["rx"] - m["mnk"]["rx"] >= 3 and m2["mnk2"]["rx"] == m["mnk2"]["rx"],
              "after the deregistration of %s: mnk rx +%d, mnk2 rx +%d" % (coa2, m2["mnk"]["rx"] - m["mnk"]["rx"],
                                                                        m2["mnk2"]["rx"] - m["mnk2"]["rx"]))
        # broadcasts: one binding with B, the host route on the kernel link
        register("DB", coa=COA)
        check(routes77().get(HOA) == l1, "host route with B: %s" % routes77())
        m = links("mn")
        nsx("cn", "python3", "-c", "import socket,time\n"
            "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            "s.setsockopt(socket.SOL_SOCKET,socket.SO_BROADCAST,1)\n"
            "for i in range(3):\n s.sendto(b'bcast',('192.0.2.255',9)); time.sleep(0.1)\n", timeout=15)
        time.sleep(0.3)
        got = links("mn")["mnk"]["rx"] - m["mnk"]["rx"]
        check(got >= 3, "broadcasts on the home link did not reach the node with B: mnk rx +%d" % got)
        rc = ha.term()
        check(rc == 0, "exit status %s on SIGTERM" % rc)
        nothing_left()
    finally:
        batch("mn", ["link del mnk2", "addr del %s/26 dev mn0" % coa2])


# ---------------------------------------------------------------- cases: foreign agents

FA_STATE = {}


def fa_available():
    if not (os.path.exists(os.path.join(SRC, "agent", "fa.c")) and
            os.path.exists(os.path.join(SRC, "tests", "integration", "test_fa.py"))):
        raise Skip("no foreign agent in this tree (agent/fa.c, tests/integration/test_fa.py)")


def t_fa_register():
    fa_available()
    mn.leave()
    mn_away("fa")
    start_kernel_ha("ha-fa")
    fa.start(fa_conf(FA1), name="fa-kernel")
    fb.start(fa_conf(FB1), name="fb-kernel")
    for d in (fa, fb):
        check(d.summary().get("backend") == "kernel", "%s backend: %s" % (d.name, d.summary()))
    rc, reps = fa_mipreg(fa="fa", flags="T")
    check(rc == 0 and reps and reps[0].get("code") == 0, "registration through FA: %s %s" % (rc, reps))
    check([b["coa"] for b in ha.bindings(HOA)] == [FA1], "binding %s" % ha.bindings(HOA))
    name = tunnel_for("ipip", FA1)
    check(routes77().get(HOA) == name, "host route %s" % routes77())
    FA_STATE["link"] = name
    fa_ping(name, "fa", rev=True)


def fa_ping(link, fa_ns, rev):
    """A ping from the correspondent through the tunnel to the foreign agent
    @fa_ns, and what the kernels made of it."""
    unreach = icmp_unreach_sent(fa_ns)
    before = mip_links()[link]
    out = ping(strict=False)
    after = mip_links()[link]
    n = icmp_unreach_sent(fa_ns) - unreach
    check(n == 0, "the kernel of foreign agent %s answered %d tunnelled packets with ICMP destination "
          "unreachable (its ipip module finds no tunnel device for what the agent's userspace engine "
          "decapsulates); the home agent's tunnel then reports errors to the sender: ping says %r"
          % (fa_ns, n, out))
    check(" 3 received" in out and "error" not in out, "ping: %s" % out)
    check(after["tx"] - before["tx"] >= 3, "not tunnelled to %s (tx +%d): %s"
          % (fa_ns, after["tx"] - before["tx"], out))
    if rev:
        check(after["rx"] - before["rx"] >= 3, "not reverse-tunnelled by %s (rx +%d): %s"
              % (fa_ns, after["rx"] - before["rx"], out))


def t_fa_move():
    fa_available()
    move_mn(falab.FA_BRIDGE["fb"])
    mn_away("fb")
    rc, reps = fa_mipreg(fa="fb")
    check(rc == 0 and reps and reps[0].get("code") == 0, "registration through FB: %s %s" % (rc, reps))
    check([b["coa"] for b in ha.bindings(HOA)] == [FB1], "binding %s" % ha.bindings(HOA))
    name = tunnel_for("ipip", FB1)
    check(routes77().get(HOA) == name, "host route %s" % routes77())
    check(FA_STATE.get("link") not in mip_links(), "the link to the old care-of address stayed: %s"
          % sorted(mip_links()))
    fa_ping(name, "fb", rev=False)


def t_fa_home():
    fa_available()
    move_mn("brhome")
    mn_home()
    rc, reps = fa_mipreg(fa=None, dest=HA, coa=HOA, lifetime=0)
    check(rc == 0 and reps and reps[0].get("code") == 0, "deregistration at home: %s %s" % (rc, reps))
    check(ha.bindings(HOA) == [], "binding left: %s" % ha.bindings(HOA))
    time.sleep(0.2)
    nothing_left()
    ping()
    for d in (ha, fa, fb):
        rc = d.term()
        check(rc == 0, "%s: exit status %s on SIGTERM" % (d.name, rc))
    for ns in ("ha", "fa", "fb"):
        nothing_left(ns)


# ---------------------------------------------------------------- case: one home address, two home agents

# test_fa_links.py's topology on the kernel backend (own namespaces): the
# same private home address 192.0.2.100 behind home agents H1 and H2, a
# node with it on each of the foreign agent's links.
#   M1 mn0 --- fa0 203.0.113.1/25    FA (lf)   fa1 198.51.100.2/30 --- ha1 .1  H1 ha0 --- C1
#   M2 mn0 --- fa2 203.0.113.129/25  FA (lf)   fa3 198.51.100.6/30 --- ha1 .5  H2 ha0 --- C2
SH_HA = {"m1": "192.0.2.1", "m2": "192.0.2.2"}
SH_CN = {"m1": "192.0.2.10", "m2": "192.0.2.20"}
SH_COA = {"m1": "203.0.113.1", "m2": "203.0.113.129"}
SH_ROLES = ("lf", "m1", "m2", "h1", "h2", "c1", "c2")
SH_PORT = 7009
SH_FA_CONF = '''  <foreign-agent>
    <interface name="fa0" min-interval="3" max-interval="4">
      <care-of-address address="203.0.113.1"/>
    </interface>
    <interface name="fa2" min-interval="3" max-interval="4">
      <care-of-address address="203.0.113.129"/>
    </interface>
  </foreign-agent>
  <data-plane backend="kernel"/>'''
SH_HA_CONF = '''  <home-agent address="%s" interface="ha0" home-network="192.0.2.0/24">
    <mobile-node address="192.0.2.100"><security-association spi="256" key="%s"/></mobile-node>
  </home-agent>
  <data-plane backend="kernel"/>'''
sh_fa, sh_h1, sh_h2 = Daemon("lf"), Daemon("h1"), Daemon("h2")


def sh_setup():
    NS.update({r: falab.P + r for r in SH_ROLES})
    for r in SH_ROLES:
        run(["ip", "netns", "add", NS[r]])
    pairs = [("m1", "mn0", "lf", "fa0"), ("m2", "mn0", "lf", "fa2"), ("lf", "fa1", "h1", "ha1"),
             ("lf", "fa3", "h2", "ha1"), ("h1", "ha0", "c1", "cn0"), ("h2", "ha0", "c2", "cn0")]
    p = subprocess.run(["ip", "-batch", "-"], text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       input="".join("link add %s netns %s type veth peer name %s netns %s\n"
                                     % (da, NS[a], db, NS[b]) for a, da, b, db in pairs), timeout=30)
    check(p.returncode == 0, "creating the veth pairs: %s" % p.stderr)
    cmds = {r: ["link set lo up"] for r in SH_ROLES}
    for a, da, b, db in pairs:
        cmds[a].append("link set %s up" % da)
        cmds[b].append("link set %s up" % db)
    cmds["lf"] += ["addr add 203.0.113.1/25 dev fa0", "addr add 203.0.113.129/25 dev fa2",
                   "addr add 198.51.100.2/30 dev fa1", "addr add 198.51.100.6/30 dev fa3",
                   "route add 192.0.2.1 via 198.51.100.1", "route add 192.0.2.10 via 198.51.100.1",
                   "route add 192.0.2.2 via 198.51.100.5", "route add 192.0.2.20 via 198.51.100.5"]
    for h, n, up, fa_side in (("h1", 1, "198.51.100.1/30", "198.51.100.2"),
                              ("h2", 2, "198.51.100.5/30", "198.51.100.6")):
        cmds[h] += ["addr add %s dev ha1" % up, "addr add 192.0.2.%d/24 dev ha0" % n,
                    "route add 203.0.113.0/24 via %s" % fa_side]
        cmds["c%d" % n] += ["addr add 192.0.2.%d0/24 dev cn0" % n, "route add default via 192.0.2.%d" % n]
    for m in ("m1", "m2"):
        cmds[m] += ["addr add %s/32 dev mn0" % HOA, "route add %s/32 dev mn0 scope link" % SH_COA[m],
                    "route add default via %s dev mn0 src %s" % (SH_COA[m], HOA)]
    for r, c in cmds.items():
        batch(r, c)
        st = {"net.ipv4.conf.all.rp_filter": 0, "net.ipv4.conf.default.rp_filter": 0,
              "net.ipv6.conf.all.disable_ipv6": 1, "net.ipv6.conf.default.disable_ipv6": 1}
        if r in ("h1", "h2"):
            st["net.ipv4.ip_forward"] = 1
        ns_sysctl(r, st)
    deadline = time.time() + 10
    for r in ("lf", "h1", "h2"):         # one end of every pair
        mine = [d for a, d, _, _ in pairs if a == r] + [d for _, _, b, d in pairs if b == r]
        while any("LOWER_UP" not in l.get("flags", []) for l in json.loads(ip(r, "-j", "link", "show").stdout)
                  if l["ifname"] in mine):
            check(time.time() < deadline, "the links of %s never came up" % r)
            time.sleep(0.05)


def sh_reg(node, lifetime=300, flags=""):
    rc, reps = fa_mipreg(fa=None, ns=node, hoa=HOA, ha=SH_HA[node], coa=SH_COA[node], dest=SH_COA[node],
                         lifetime=lifetime, flags=flags)
    check(rc == 0 and len(reps) == 1 and reps[0].get("code") == 0,
          "%s via %s (lifetime %d, flags %r): %s %s" % (node, SH_HA[node], lifetime, flags, rc, reps))


def sh_echo(servers, node, n=3):
    """@n datagrams from @node's correspondent to the home address: each
    must reach @node's socket (of @servers) only, and its reply, tagged with
    the node that answered, must come back."""
    cs = falab.ns_socket("c" + node[1])
    got, back = [], 0
    try:
        for i in range(n):
            msg = b"%s-%d" % (node.encode(), i)
            cs.sendto(msg, (HOA, SH_PORT))
            r, _, _ = select.select(list(servers.values()), [], [], 2)
            for m, s in servers.items():
                if s in r:
                    d, a = s.recvfrom(2048)
                    got.append((m, a[0], d))
                    s.sendto(m.encode() + b":" + d, a)
            if select.select([cs], [], [], 2)[0]:
                d, a = cs.recvfrom(2048)
                back += d == node.encode() + b":" + msg and a[0] == HOA
    finally:
        cs.close()
    want = [(node, SH_CN[node], b"%s-%d" % (node.encode(), i)) for i in range(n)]
    check(got == want and back == n, "from %s's correspondent: received %s, %d/%d replies back"
          % (node, got, back, n))


def sh_traffic(servers, rev):
    """Each correspondent reaches its own node through that node's kernel
    link on the foreign agent (from its care-of address to its home agent),
    the replies come back (through the link with a reverse tunnel, @rev),
    and the foreign agent's kernel sends no ICMP errors: its links."""
    names = {m: tunnel_for("ipip", SH_HA[m], local=SH_COA[m], ns="lf") for m in ("m1", "m2")}
    before, unreach = mip_links("lf"), icmp_unreach_sent("lf")
    for m in ("m1", "m2"):
        sh_echo(servers, m)
    after = mip_links("lf")
    for m, name in names.items():
        rx, tx = after[name]["rx"] - before[name]["rx"], after[name]["tx"] - before[name]["tx"]
        check(rx >= 3 and (tx >= 3 if rev[m] else tx == 0),
              "%s's link %s: rx +%d, tx +%d (reverse tunnel: %s)" % (m, name, rx, tx, rev[m]))
    n = icmp_unreach_sent("lf") - unreach
    check(n == 0, "the foreign agent sent %d ICMP destination unreachable" % n)
    return names


def sh_deliver_links():
    """The input devices of the foreign agent's rules for the home address
    as a destination (checked: ours, proto 77)."""
    out = []
    for l in ip("lf", "rule", "show").stdout.splitlines():
        w = l.split()
        if "to" in w and w[w.index("to") + 1] == HOA:
            check("iif" in w and w[-2:] == ["proto", "77"], "rule %r" % l)
            out.append(w[w.index("iif") + 1])
    return sorted(out)


def t_fa_shared_hoa():
    """Two visitors with one home address behind two home agents, each on
    a link of its own (RFC 3024), on the kernel backend: the later one's
    kernel link delivers by a rule "iif LINK to HOME" into its link's table."""
    fa_available()
    sh_setup()
    servers = {}
    try:
        for h, addr in ((sh_h1, "192.0.2.1"), (sh_h2, "192.0.2.2")):
            h.start(SH_HA_CONF % (addr, K), name=h.ns + "-shared")
        sh_fa.start(SH_FA_CONF, name="lf-shared")
        check(sh_fa.summary().get("backend") == "kernel", "FA backend: %s" % sh_fa.summary())
        for m in ("m1", "m2"):
            servers[m] = falab.ns_socket(m)
            servers[m].bind((HOA, SH_PORT))
        # M2 is the later one: delivered by the rule, and reverse-tunnelled
        sh_reg("m1")
        sh_reg("m2", flags="T")
        names = sh_traffic(servers, {"m1": False, "m2": True})
        check(sh_deliver_links() == [names["m2"]], "delivery rules on %s" % sh_deliver_links())
        # M1 leaves and M2 goes on (keeping its rule, and now the host
        # route of the main table); M1 comes back beside it, with T
        sh_reg("m1", lifetime=0)
        sh_echo(servers, "m2")
        sh_reg("m1", flags="T")
        names = sh_traffic(servers, {"m1": True, "m2": True})
        check(sh_deliver_links() == sorted(names.values()), "delivery rules on %s" % sh_deliver_links())
        # M1 leaves again: its rule and link go with it, M2 goes on
        sh_reg("m1", lifetime=0)
        check(sh_deliver_links() == [names["m2"]], "delivery rules on %s" % sh_deliver_links())
        tunnels = sorted(n for n, v in mip_links("lf").items() if v["kind"] in ("ipip", "gre"))
        check(tunnels == [names["m2"]], "tunnel links %s" % tunnels)
        check([v["hoa"] for v in sh_fa.visitors()] == [HOA], "visitors %s" % sh_fa.visitors())
        sh_echo(servers, "m2")
        sh_reg("m1", flags="T")
        sh_traffic(servers, {"m1": True, "m2": True})
        # SIGTERM with both visitors there leaves nothing
        for d in (sh_fa, sh_h1, sh_h2):
            rc = d.term()
            check(rc == 0, "%s: exit status %s on SIGTERM" % (d.name, rc))
        for r in ("lf", "h1", "h2"):
            nothing_left(r)
    finally:
        for s in servers.values():
            s.close()
        for d in (sh_fa, sh_h1, sh_h2):
            d.stop()
        for r in SH_ROLES:
            run(["ip", "netns", "del", NS.pop(r)], check_rc=False)


# ---------------------------------------------------------------- case: ESP between the agents

# static ESP SAs, one each way between the foreign agent's care-of address
# and the home agent (what an IKE daemon would negotiate), in both namespaces
ESP_ENC = "0x" + "11" * 16          # cbc(aes), 128 bits
ESP_AUTH = "0x" + "22" * 32         # hmac(sha256)


def esp_conf_ha():
    return '''  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24"
      max-registration-lifetime="1800">
    <mobile-node address="192.0.2.100"><security-association spi="256" key="%s"/></mobile-node>
  </home-agent>
  <peer address="%s">
    <security-association spi="500" key="%s"/>
    <ipsec>
      <registration-request algorithms="aes-cbc hmac-sha256"/>
      <registration-reply algorithms="aes-cbc hmac-sha256"/>
      <forward-tunnel/>
    </ipsec>
  </peer>
  <data-plane backend="kernel" tunnel-mtu="1400"/>''' % (K, FA1, K_FA)


def esp_conf_fa():
    return '''  <foreign-agent max-registration-lifetime="600">
    <interface name="fa0" min-interval="3" max-interval="4">
      <care-of-address address="%s"/>
    </interface>
  </foreign-agent>
  <peer address="%s">
    <security-association spi="500" key="%s"/>
    <ipsec local-address="%s">
      <registration-request algorithms="aes-cbc hmac-sha256"/>
      <registration-reply algorithms="aes-cbc hmac-sha256"/>
      <forward-tunnel/>
    </ipsec>
  </peer>
  <data-plane backend="kernel"/>''' % (FA1, HA, K_FA, FA1)


def esp_sas(add=True):
    for ns in ("fa", "ha"):
        if not add:
            ip(ns, "xfrm", "state", "flush", check_rc=False)
            ip(ns, "xfrm", "policy", "flush", check_rc=False)
            continue
        for src, dst, spi in ((FA1, HA, "0x1001"), (HA, FA1, "0x1002")):
            p = ip(ns, "xfrm", "state", "add", "src", src, "dst", dst, "proto", "esp", "spi", spi,
                   "mode", "transport", "enc", "cbc(aes)", ESP_ENC, "auth", "hmac(sha256)", ESP_AUTH,
                   check_rc=False)
            if p.returncode != 0:
                raise RuntimeError("ip xfrm state add in %s: %s (the ESP modules: esp4, xfrm_user, "
                                   "authenc, echainiv, drbg)" % (ns, p.stderr.strip()))


def pcap_count(path, expr):
    p = run(["tcpdump", "-n", "-r", path, expr], check_rc=False)
    check(p.returncode == 0, "tcpdump -r %s %r: %s" % (path, expr, p.stderr.strip()))
    return len([l for l in p.stdout.splitlines() if l.strip()])


def t_esp():
    """Registration requests and replies (and the forward tunnel) between the
    foreign agent and the home agent under ESP (static SAs, the daemons'
    XFRM policies): the registration through the foreign agent succeeds, and
    the FA-HA link carries ESP and no cleartext UDP 434 or IP in IP."""
    fa_available()
    if not shutil.which("tcpdump"):
        raise Skip("no tcpdump")
    for d in (ha, fa, fb):
        d.term()
    move_mn(falab.FA_BRIDGE["fa"])
    mn_away("fa")
    esp_sas()
    pcap = os.path.join(TMP, "esp.pcap")
    cap = None
    try:
        ha.start(esp_conf_ha(), name="ha-esp")
        fa.start(esp_conf_fa(), name="fa-esp")
        errf = open(os.path.join(TMP, "tcpdump.err"), "w+")
        cap = subprocess.Popen(["ip", "netns", "exec", NS["fa"], "tcpdump", "-n", "-U", "-Z", "root",
                                "-i", "fa1", "-w", pcap], stdout=subprocess.DEVNULL, stderr=errf)
        deadline = time.time() + 15
        while True:
            errf.seek(0)
            err = errf.read()
            if "listening on" in err:
                break
            check(cap.poll() is None and time.time() < deadline, "tcpdump did not start: %s" % err)
            time.sleep(0.05)
        rc, reps = fa_mipreg(fa="fa")
        check(rc == 0 and reps and reps[0].get("code") == 0,
              "registration through FA under ESP: %s %s" % (rc, reps))
        check([b["coa"] for b in ha.bindings(HOA)] == [FA1], "binding %s" % ha.bindings(HOA))
        pols = ip("fa", "xfrm", "policy", "show").stdout
        check("proto esp" in pols and "dport 434" in pols, "FA policies: %s" % pols)
        name = tunnel_for("ipip", FA1)
        fa_ping(name, "fa", rev=False)
        time.sleep(0.3)
        cap.send_signal(signal.SIGINT)
        cap.wait(10)
        n_esp = pcap_count(pcap, "esp")
        n_434 = pcap_count(pcap, "udp port 434")
        n_ipip = pcap_count(pcap, "ip proto 4")
        print("# FA-HA link: %d ESP, %d cleartext UDP 434, %d cleartext IP in IP packets"
              % (n_esp, n_434, n_ipip), flush=True)
        # the registration went through (request and reply crossed this link)
        # with no cleartext UDP 434 or IP in IP on it: what crossed was ESP
        check(n_esp >= 2, "only %d ESP packets on the FA-HA link (expected at least the request "
              "and the reply)" % n_esp)
        check(n_434 == 0, "%d cleartext registration messages (UDP 434) on the FA-HA link" % n_434)
        check(n_ipip == 0, "%d cleartext IP in IP packets on the FA-HA link" % n_ipip)
        st = ip("ha", "xfrm", "state", "show").stdout
        check("0x00001001" in st and "0x00001002" in st, "HA SAs: %s" % st)
        rc, reps = fa_mipreg(fa="fa", lifetime=0)
        check(rc == 0, "deregistration through FA: %s %s" % (rc, reps))
        for d in (ha, fa):
            rc = d.term()
            check(rc == 0, "%s: exit status %s on SIGTERM" % (d.name, rc))
        for ns in ("ha", "fa"):
            nothing_left(ns)
    finally:
        if cap is not None and cap.poll() is None:
            cap.kill()
            cap.wait()
        esp_sas(add=False)


# ---------------------------------------------------------------- main

def main():
    if os.geteuid() != 0:
        print("FAIL guest_tests: needs root\n0 passed, 1 failed")
        return 1
    for prog in (falab.MIPAGENT, falab.MIPREG):
        if not os.access(prog, os.X_OK):
            print("FAIL guest_tests: %s is not built\n0 passed, 1 failed" % prog)
            return 1
    # private copies in the guest's /tmp: a rebuild on the host during the run
    # (a concurrent make) cannot pull the programs away under the tests
    bindir = os.path.join(TMP, "bin")
    os.makedirs(bindir)
    for attr in ("MIPAGENT", "MIPREG"):
        dst = os.path.join(bindir, os.path.basename(getattr(falab, attr)))
        shutil.copy2(getattr(falab, attr), dst)
        setattr(falab, attr, dst)
    print("# kernel %s, programs of %s" % (os.uname().release, falab.TOP), flush=True)
    try:
        if not kernel_has_tunnels():
            R.fail("kernel", "this kernel cannot make ipip/gre links: not the test VM?")
            return R.summary()
        setup()
        print("# topology up after %.1f s" % (time.time() - T_START), flush=True)
        for name, fn in [("fallback-devices", t_fallback_devices), ("auto-backend", t_auto_backend),
                         ("ipip", t_ipip), ("ipip-revtun", t_ipip_revtun),
                         ("gre-revtun", t_gre_revtun), ("gre", t_gre), ("deregister", t_deregister),
                         ("shared-link", t_shared_link), ("admin-link", t_admin_link),
                         ("sigterm-cleanup", t_sigterm), ("kill9-restart", t_kill9_restart),
                         ("simultaneous-broadcast", t_simultaneous_broadcast),
                         ("fa-register-revtun", t_fa_register), ("fa-move", t_fa_move),
                         ("fa-home", t_fa_home), ("fa-shared-hoa", t_fa_shared_hoa),
                         ("esp", t_esp)]:
            R.case(name, fn)
    except Exception as e:
        R.fail("setup", "%s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
    finally:
        falab.cleanup()
    print("# guest_tests.py took %.1f s" % (time.time() - T_START), flush=True)
    return R.summary()


if __name__ == "__main__":
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda signo, frame: sys.exit(128 + signo))
    sys.exit(main())
