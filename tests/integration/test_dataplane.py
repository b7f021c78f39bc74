#!/usr/bin/python3
"""Integration tests of the home agent's data plane (RFC 5944 §4.2.3, §4.6,
RFC 3024): tunnels, host routes, proxy and gratuitous ARP, clean-up.

Five network namespaces, named "dp<PID><role>", made and removed here:

    MN  mn0 203.0.113.10/24 (co-located care-of address), home address
        192.0.2.100/32 on lo while away; mnh0 (home link port, down while away)
     |
    RT  rt0 203.0.113.1/24, rt1 198.51.100.2/24   (a router standing in for the FA)
     |
    HA  ha1 198.51.100.1/24, ha0 192.0.2.1/24     mipagent runs here
     |
    SW  bridge brhome: the home link (ports to HA, CN and MN)
     |
    CN  cn0 192.0.2.10/24

The mobile node decapsulates itself with tests/integration/utun_driver.c
(the daemon's userspace tunnel engine), compiled here against
.libs/libmipcore.a, and registers with ./mipreg.

Run as root: /usr/bin/python3 tests/integration/test_dataplane.py [CASE...]
(CASE names run only those cases; later cases build on earlier ones.
env: top_builddir; MIPAGENT, MIPREG replace the programs; MIPINT_KEEP_TMP=1
keeps configurations, logs, captures).
Prints "PASS name" / "FAIL name: reason" / "SKIP name: reason" per case and
"N passed, M failed, K skipped" last; exits non-zero on any failure.
"""
import os
import select
import signal
import subprocess
import sys
import tempfile
import time
import traceback

from ctlsock import DaemonIO

os.umask(0o027)     # mipagent refuses a configuration file others may read (keys)

HA = "192.0.2.1"
HA_NET = "198.51.100.1"
RT_NET = "198.51.100.2"
RT_FOREIGN = "203.0.113.1"
COA = "203.0.113.10"
COA2 = "203.0.113.11"
HOA = "192.0.2.100"
VNODE = "10.77.0.5"             # a node of the virtual home network 10.77.0.0/24
CN = "192.0.2.10"
K = "00112233445566778899aabbccddeeff"
PORT = 7777
GARP_COUNT = 3

TOP = os.path.abspath(os.environ.get("top_builddir") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SRC = os.path.abspath(os.environ.get("top_srcdir") or TOP)
MIPAGENT = os.environ.get("MIPAGENT", os.path.join(TOP, "mipagent"))
MIPREG = os.environ.get("MIPREG", os.path.join(TOP, "mipreg"))
P = "dp%d" % os.getpid()
NS = {r: P + r for r in ("mn", "rt", "ha", "sw", "cn")}
TMP = tempfile.mkdtemp(prefix="mipdp.")

ECHO_SERVER = r'''
import socket, sys, threading
port, hoa = int(sys.argv[1]), sys.argv[2]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind((hoa, port))                 # replies from the home address
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", port))
t.listen(8)
def udp():
    while True:
        d, a = u.recvfrom(4096)
        u.sendto(d, a)
def tcp():
    while True:
        c, _ = t.accept()
        c.settimeout(5)
        try:
            d = c.recv(4096)
            c.sendall(d)
        except OSError:
            pass
        c.close()
threading.Thread(target=udp, daemon=True).start()
print("ready", flush=True)
tcp()
'''

ECHO_CLIENT = r'''
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
msg = b"mipagent-dataplane-" + proto.encode()
if proto == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1.0)
    for _ in range(4):
        s.sendto(msg, (host, port))
        try:
            d, a = s.recvfrom(4096)
        except socket.timeout:
            continue
        if d == msg and a[0] == host:
            print("OK"); sys.exit(0)
    print("no UDP echo"); sys.exit(1)
s = socket.create_connection((host, port), timeout=4)
s.sendall(msg)
d = s.recv(4096)
print("OK" if d == msg else "bad TCP echo %r" % d)
sys.exit(0 if d == msg else 1)
'''


# ---------------------------------------------------------------- plumbing

class Failure(AssertionError):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(cmd, check_rc=True, timeout=30, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    if check_rc and p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" % (p.returncode, " ".join(cmd),
                                                            p.stdout, p.stderr))
    return p


def ip(ns, *args, check_rc=True):
    return run(["ip", "-n", NS[ns]] + [str(a) for a in args], check_rc=check_rc)


def nsx(ns, *cmd, check_rc=True, timeout=30):
    return run(["ip", "netns", "exec", NS[ns]] + [str(c) for c in cmd], check_rc=check_rc,
               timeout=timeout)


def popen(ns, cmd, **kw):
    return subprocess.Popen(["ip", "netns", "exec", NS[ns]] + [str(c) for c in cmd], **kw)


PROCS = []


def stop(p, sig=signal.SIGTERM, wait=5):
    if p is None or p.poll() is not None:
        return
    try:
        p.send_signal(sig)
        p.wait(wait)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    except OSError:
        pass


class Runner:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.only = set()

    def case(self, name, fn, *a):
        if self.only and name not in self.only:
            return
        t0 = time.time()
        try:
            fn(*a)
        except Skip as e:
            self.skip(name, str(e))
        except Failure as e:
            self.fail(name, str(e))
        except Exception as e:          # a broken step is a failure too
            self.fail(name, "%s: %s" % (type(e).__name__, e))
            traceback.print_exc(file=sys.stdout)
        else:
            self.passed += 1
            print("PASS %s (%.1fs)" % (name, time.time() - t0), flush=True)

    def skip(self, name, reason):
        self.skipped += 1
        print("SKIP %s: %s" % (name, reason), flush=True)

    def fail(self, name, reason):
        self.failed += 1
        print("FAIL %s: %s" % (name, reason.replace("\n", " | ")), flush=True)
        if daemon.log:
            print("# daemon log tail:\n#   " + "\n#   ".join(daemon.tail(12).splitlines()), flush=True)

    def summary(self):
        s = "%d passed, %d failed" % (self.passed, self.failed)
        if self.skipped:
            s += ", %d skipped" % self.skipped
        print(s, flush=True)
        return 1 if self.failed else 0


# ---------------------------------------------------------------- topology

def setup():
    for n in NS.values():
        run(["ip", "netns", "del", n], check_rc=False)
    for n in NS.values():
        run(["ip", "netns", "add", n])
        run(["ip", "-n", n, "link", "set", "lo", "up"])
    links = [("mn0", "mn", "rt0", "rt"), ("rt1", "rt", "ha1", "ha"),
             ("ha0", "ha", "sw-ha", "sw"), ("cn0", "cn", "sw-cn", "sw"), ("mnh0", "mn", "sw-mn", "sw")]
    for a, an, b, bn in links:
        run(["ip", "link", "add", a, "netns", NS[an], "type", "veth", "peer", "name", b, "netns", NS[bn]])
    ip("sw", "link", "add", "brhome", "type", "bridge", "mcast_snooping", 0, "stp_state", 0,
       "forward_delay", 0)
    for port in ("sw-ha", "sw-cn", "sw-mn"):
        ip("sw", "link", "set", port, "master", "brhome")
    ip("mn", "addr", "add", COA + "/24", "dev", "mn0")
    ip("mn", "addr", "add", HOA + "/32", "dev", "lo")
    ip("rt", "addr", "add", RT_FOREIGN + "/24", "dev", "rt0")
    ip("rt", "addr", "add", RT_NET + "/24", "dev", "rt1")
    ip("ha", "addr", "add", HA_NET + "/24", "dev", "ha1")
    ip("ha", "addr", "add", HA + "/24", "dev", "ha0")
    ip("cn", "addr", "add", CN + "/24", "dev", "cn0")
    up = [("mn", "mn0"), ("rt", "rt0"), ("rt", "rt1"), ("ha", "ha1"), ("ha", "ha0"),
          ("sw", "brhome"), ("sw", "sw-ha"), ("sw", "sw-cn"), ("cn", "cn0")]
    for ns, dev in up:
        ip(ns, "link", "set", dev, "up")
    ip("mn", "route", "add", "default", "via", RT_FOREIGN)
    ip("rt", "route", "add", "192.0.2.0/24", "via", HA_NET)
    ip("ha", "route", "add", "203.0.113.0/24", "via", RT_NET)
    ip("cn", "route", "add", "default", "via", HA)
    nsx("rt", "sysctl", "-qw", "net.ipv4.ip_forward=1")
    # ip_forward and proxy_delay in HA are left to the daemon (checked below)
    for ns in ("ha", "mn", "rt", "cn"):
        for k in ("all", "default"):
            nsx(ns, "sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % k)
    deadline = time.time() + 5
    for ns, dev in up:
        while "LOWER_UP" not in ip(ns, "link", "show", dev).stdout:
            check(time.time() < deadline, "%s in %s never came up" % (dev, ns))
            time.sleep(0.02)


def cleanup():
    daemon.stop()
    for p in PROCS:
        stop(p, signal.SIGKILL, 2)
    for n in NS.values():
        for pid in run(["ip", "netns", "pids", n], check_rc=False).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        run(["ip", "netns", "del", n], check_rc=False)
    if os.environ.get("MIPINT_KEEP_TMP"):
        print("# kept %s" % TMP)
    else:
        run(["rm", "-rf", TMP], check_rc=False)


def mac_of(ns, dev):
    for line in ip(ns, "link", "show", dev).stdout.splitlines():
        line = line.split()
        if line and line[0] == "link/ether":
            return line[1]
    raise RuntimeError("no MAC for %s" % dev)


# ---------------------------------------------------------------- daemon

def conf_xml(name, backend="auto", broadcast=False):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<mipagent>\n'
            '  <general log-level="debug" state-dir="%s/state" control-socket="%s/%s.sock"/>\n'
            '  <home-agent address="%s" interface="ha0" home-network="192.0.2.0/24"\n'
            '      max-registration-lifetime="1800" max-bindings="2" broadcast="%s">\n'
            '    <virtual-network prefix="10.77.0.0/24"/>\n'
            '    <mobile-node address="%s">\n'
            '      <security-association spi="256" key="%s"/>\n'
            '    </mobile-node>\n'
            '    <mobile-node address="%s">\n'
            '      <security-association spi="256" key="%s"/>\n'
            '    </mobile-node>\n'
            '  </home-agent>\n'
            '  <data-plane backend="%s" tunnel-mtu="1480" gratuitous-arp-count="%d"/>\n'
            '</mipagent>\n' % (TMP, TMP, name, HA, "true" if broadcast else "false", HOA, K, VNODE, K,
                                backend, GARP_COUNT))


class Daemon(DaemonIO):
    def __init__(self):
        self.p = None
        self.log = None
        self.sock = None
        self.n = 0

    def start(self, backend="auto", expect_fail=False, broadcast=False):
        self.stop()
        self.n += 1
        name = "ha%d" % self.n
        conf = os.path.join(TMP, name + ".xml")
        with open(conf, "w") as f:
            f.write(conf_xml(name, backend, broadcast))
        self.sock = os.path.join(TMP, name + ".sock")
        self.log = os.path.join(TMP, name + ".log")
        with open(self.log, "w") as lf:
            self.p = popen("ha", [MIPAGENT, "-f", "-d", 3, "-c", conf], stdout=lf, stderr=lf)
        deadline = time.time() + 8
        while True:
            if self.p.poll() is not None:
                if expect_fail:
                    return self.p.returncode
                raise RuntimeError("mipagent exited with %s:\n%s" % (self.p.returncode, self.tail()))
            if not expect_fail:
                try:
                    code, _ = self.ctl("MIP/1 show summary", 0.5)
                    if code == 0:
                        return 0
                except OSError:
                    pass
            if time.time() > deadline:
                if expect_fail:
                    return None
                raise RuntimeError("control socket never answered:\n" + self.tail())
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        if self.p is not None:
            stop(self.p, sig, 8)
            rc = self.p.returncode
            self.p = None
            return rc
        return None

    def alive(self):
        return self.p is not None and self.p.poll() is None


daemon = Daemon()


def mipreg(flags="D", lifetime=300, coa=COA, src=None, ns="mn", hoa=HOA):
    cmd = [MIPREG, "-H", hoa, "-a", HA, "-c", coa, "-b", src or coa, "-s", 256, "-k", K,
           "-l", lifetime, "-t", 1000, "-R", 2]
    if flags:
        cmd += ["-F", flags]
    p = nsx(ns, *cmd, check_rc=False)
    check(p.returncode == 0, "registration (coa %s, flags %s, lifetime %s) not accepted: exit %d %s%s"
          % (coa, flags, lifetime, p.returncode, p.stdout, p.stderr))


# ---------------------------------------------------------------- the mobile node

DRIVER = os.path.join(TMP, "utun_driver")


def build_driver():
    global DRIVER
    if os.environ.get("UTUN_DRIVER"):       # built by make, with the build's flags
        DRIVER = os.environ["UTUN_DRIVER"]
        return
    src = os.path.join(SRC, "tests", "integration", "utun_driver.c")
    lib = os.path.join(TOP, ".libs", "libmipcore.a")
    check(os.path.exists(src), "%s is missing" % src)
    check(os.path.exists(lib), "%s is missing (run make)" % lib)
    libs = run(["pkg-config", "--libs", "libnl-route-3.0", "libnl-3.0", "libcrypto", "libxml-2.0",
                "libbsd"]).stdout.split()
    run(["cc", "-O2", "-I" + TOP, "-I" + os.path.join(SRC, "include"), "-o", DRIVER, src, lib] + libs)


class MobileNode:
    """The MN side of the tunnel: utun_driver (decapsulation, and the reverse
    tunnel with T), or a kernel tunnel link where the kernel has one."""

    def __init__(self):
        self.p = None
        self.tun = None
        self.rule = False
        self.hoa = HOA
        self.kernel = False

    def start(self, encap="ipip", reverse=False, coas=(COA,), any_dst=False, hoa=HOA):
        self.stop()
        entries = []
        for c in coas:
            entries += ["decap", HA, c, "0.0.0.0", "0.0.0.0" if any_dst else hoa]
        if reverse:
            entries += ["rev", hoa, coas[0], HA, encap]
        self.hoa = hoa
        self.p = popen("mn", [DRIVER, "-n", "mnt%d"] + entries, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
        PROCS.append(self.p)
        r, _, _ = select.select([self.p.stdout], [], [], 5)
        line = self.p.stdout.readline() if r else ""
        if not line.startswith("ready "):
            err = self.p.stderr.read() if self.p.poll() is not None else ""
            raise RuntimeError("utun_driver did not start: %r %s" % (line, err))
        self.tun = line.split()[1]
        if reverse:
            ip("mn", "rule", "add", "from", hoa, "lookup", 100, "pref", 100)
            ip("mn", "route", "replace", "default", "dev", self.tun, "table", 100)
            self.rule = True

    def start_kernel(self, kind="ipip"):
        """Decapsulate with a kernel tunnel instead (a kernel that has ipip
        answers packets no tunnel takes with "protocol unreachable")."""
        self.stop()
        ip("mn", "link", "add", "mnk", "type", kind, "local", COA, "remote", HA)
        ip("mn", "link", "set", "mnk", "up")
        self.kernel = True

    def stop(self):
        if self.kernel:
            ip("mn", "link", "del", "mnk", check_rc=False)
            self.kernel = False
        if self.rule:
            ip("mn", "rule", "del", "from", self.hoa, "lookup", 100, "pref", 100, check_rc=False)
            self.rule = False
        if self.p is not None:
            stop(self.p)
            self.p = None


mn = MobileNode()


def start_echo_server():
    path = os.path.join(TMP, "echo_server.py")
    with open(path, "w") as f:
        f.write(ECHO_SERVER)
    p = popen("mn", ["/usr/bin/python3", path, PORT, HOA], stdout=subprocess.PIPE, text=True)
    PROCS.append(p)
    r, _, _ = select.select([p.stdout], [], [], 5)
    check(r and p.stdout.readline().startswith("ready"), "echo server did not start")
    with open(os.path.join(TMP, "echo_client.py"), "w") as f:
        f.write(ECHO_CLIENT)


def echo(proto, host=HOA, ns="cn"):
    p = nsx(ns, "/usr/bin/python3", os.path.join(TMP, "echo_client.py"), proto, host, PORT,
            check_rc=False, timeout=20)
    check(p.returncode == 0, "%s echo %s -> %s failed: %s%s" % (proto, ns, host, p.stdout, p.stderr))


def ping(host=HOA, ns="cn", count=3):
    p = nsx(ns, "ping", "-n", "-c", count, "-i", 0.2, "-W", 2, host, check_rc=False, timeout=20)
    check(p.returncode == 0 and (" %d received" % count) in p.stdout,
          "ping %s -> %s: %s" % (ns, host, p.stdout.strip().splitlines()[-2:] if p.stdout else p.stderr))
    return p.stdout


# ---------------------------------------------------------------- captures

FIELDS = ["eth.src", "ip.src", "ip.dst", "ip.proto", "arp.opcode", "arp.src.hw_mac",
          "arp.src.proto_ipv4", "arp.dst.proto_ipv4", "gre.proto", "data.data"]


class Capture:
    def __init__(self, ns, dev, bpf):
        self.pcap = os.path.join(TMP, "%s-%s-%d.pcap" % (ns, dev, time.time() * 1000))
        self.errf = self.pcap + ".err"
        with open(self.errf, "w") as err:
            self.p = popen(ns, ["tshark", "-n", "-i", dev, "-f", bpf, "-w", self.pcap, "-q"],
                           stdout=subprocess.DEVNULL, stderr=err)
        PROCS.append(self.p)
        deadline = time.time() + 15
        while True:
            with open(self.errf) as f:
                if "Capturing on" in f.read():
                    break
            check(self.p.poll() is None, "tshark exited: %s" % open(self.errf).read())
            check(time.time() < deadline, "tshark did not start")
            time.sleep(0.05)

    def stop(self):
        time.sleep(0.3)
        stop(self.p, signal.SIGINT, 10)
        out = run(["tshark", "-n", "-r", self.pcap, "-T", "fields", "-E", "separator=|"] +
                  sum([["-e", f] for f in FIELDS], []), check_rc=False).stdout
        rows = []
        for line in out.splitlines():
            v = line.split("|")
            rows.append(dict(zip(FIELDS, v + [""] * (len(FIELDS) - len(v)))))
        return rows


def tshark_ok():
    if not os.path.exists("/usr/bin/tshark"):
        raise Skip("tshark is not installed")


def kernel_has_tunnels():
    """Can a scratch namespace make an ipip and a gre link?"""
    n = P + "probe"
    run(["ip", "netns", "add", n])
    try:
        a = run(["ip", "-n", n, "link", "add", "t1", "type", "ipip", "remote", "192.0.2.254"],
                check_rc=False)
        b = run(["ip", "-n", n, "link", "add", "g1", "type", "gre", "remote", "192.0.2.254"],
                check_rc=False)
        return a.returncode == 0 and b.returncode == 0
    finally:
        run(["ip", "netns", "del", n], check_rc=False)


# ---------------------------------------------------------------- checks

def route_line():
    return ip("ha", "route", "show", "table", "all", HOA + "/32").stdout.strip()


def proxy_lines():
    return [l for l in ip("ha", "neigh", "show", "proxy").stdout.splitlines() if l.strip()]


def has_route_and_proxy(dev=None):
    r = route_line()
    check("proto 77" in r, "no host route with proto 77 for %s in HA: %r" % (HOA, r))
    if dev:
        check(("dev %s " % dev) in r + " ", "host route not via %s: %r" % (dev, r))
    px = proxy_lines()
    check(any(l.split()[0] == HOA and "dev ha0" in l for l in px), "no proxy entry for %s: %r" % (HOA, px))


def no_route_and_proxy():
    r = route_line()
    check(r == "", "host route still there: %r" % r)
    px = [l for l in proxy_lines() if l.split()[0] == HOA]
    check(px == [], "proxy entry still there: %r" % px)


def nothing_left():
    """No trace of mipagent in the HA namespace."""
    r = ip("ha", "route", "show", "table", "all", "proto", 77).stdout.strip()
    check(r == "", "routes with proto 77 left: %r" % r)
    rules = [l for l in ip("ha", "rule", "show").stdout.splitlines() if "proto 77" in l]
    check(rules == [], "rules with proto 77 left: %r" % rules)
    px = proxy_lines()
    check(px == [], "proxy entries left: %r" % px)
    perm = ip("ha", "neigh", "show", "nud", "permanent").stdout.strip()
    check(perm == "", "permanent neighbour entries left: %r" % perm)
    links = [l for l in ip("ha", "-o", "link", "show").stdout.splitlines()
             if l.split(":")[1].strip().split("@")[0].startswith("mip")]
    check(links == [], "mip* devices left: %r" % links)
    check(not os.path.exists(os.path.join(TMP, "state", "dataplane.entries")),
          "the state file of proxy entries was left behind")


def summary_backend():
    code, lines = daemon.ctl("MIP/1 show summary")
    check(code == 0 and lines, "show summary: %s %s" % (code, lines))
    kv = dict(x.split("=", 1) for x in lines[0].split()[1:] if "=" in x)
    return kv.get("backend")


def tun_dev():
    for l in ip("ha", "-o", "link", "show").stdout.splitlines():
        name = l.split(":")[1].strip().split("@")[0]
        if name.startswith("mip"):
            return name
    return None


# ---------------------------------------------------------------- cases

STATE = {}


def t_kernel_backend():
    """Without ipip/gre in the kernel: SKIP the kernel tunnels and check that
    a forced kernel backend refuses to start."""
    if kernel_has_tunnels():
        # a kernel with ipip/gre: the kernel backend must work end to end;
        # the MN decapsulates with kernel tunnels too (a raw socket alone
        # would leave the kernel answering "protocol unreachable")
        daemon.start("kernel")
        try:
            check(summary_backend() == "kernel", "backend is %s" % summary_backend())
            for kind, flags, prefix in (("ipip", "D", "mipi"), ("gre", "DG", "mipg")):
                mn.start_kernel(kind)
                try:
                    mipreg(flags)
                    links = ip("ha", "-d", "link", "show").stdout
                    check(prefix in links and ("%s remote %s local %s" % (kind, COA, HA) in links or
                                               "remote %s local %s" % (COA, HA) in links),
                          "no %s* %s link %s -> %s: %s" % (prefix, kind, HA, COA, links))
                    r = route_line()
                    check("proto 77" in r and ("dev " + prefix) in r, "host route %r" % r)
                    ping()
                    echo("tcp")
                finally:
                    mn.stop()
            # no kernel minimal encapsulation: the userspace engine does it
            mn.start("minimal")
            mipreg("DM")
            r = route_line()
            check("proto 77" in r and "dev mip" in r, "host route for minimal encapsulation %r" % r)
            ping()
            check("minimal encapsulation through the userspace engine" in daemon.text(),
                  "the engine for minimal encapsulation was not opened")
            mn.stop()
            mipreg("D", lifetime=0)
            no_route_and_proxy()
            check(not any(l.split(":")[1].strip().startswith(("mipi", "mipg"))
                          for l in ip("ha", "-o", "link", "show").stdout.splitlines()),
                  "ipip/gre links left after deregistration")
            mipreg("DG")
        finally:
            mn.stop()
            daemon.stop()
        nothing_left()
        return
    R.skip("kernel-tunnel", "kernel has no ipip/gre module")
    rc = daemon.start("kernel", expect_fail=True)
    check(rc is not None and rc != 0, "mipagent with backend=\"kernel\" did not refuse to start (rc %s)" % rc)
    text = daemon.text()
    check('backend "kernel"' in text and "cannot tunnel" in text,
          "no clear message about the kernel backend: %r" % daemon.tail(5))
    daemon.p = None
    nothing_left()


def t_startup():
    fwd = nsx("ha", "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip()
    check(fwd == "0", "HA's ip_forward is already %s before the daemon starts" % fwd)
    daemon.start("auto")
    check(summary_backend() == "userspace", "show summary backend=%s" % summary_backend())
    text = daemon.text()
    check("backend userspace (auto:" in text, "backend choice not logged: %r" % daemon.tail(8))
    check(nsx("ha", "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1", "ip_forward not set")
    check(nsx("ha", "sysctl", "-n", "net.ipv4.neigh.ha0.proxy_delay").stdout.strip() == "0",
          "proxy_delay on ha0 not 0")
    check("net.ipv4.ip_forward=1" in text, "setting ip_forward not logged")
    dev = tun_dev()
    check(dev is not None, "no TUN device mip* in HA")
    STATE["tun"] = dev


def t_first_binding_garp():
    tshark_ok()
    ha_mac = mac_of("ha", "ha0")
    # the CN must already have an entry: a gratuitous ARP only updates entries
    ip("cn", "neigh", "replace", HOA, "lladdr", "02:00:00:00:00:99", "dev", "cn0", "nud", "stale")
    cap = Capture("cn", "cn0", "arp")
    mn.start("ipip")
    mipreg("D")
    time.sleep(GARP_COUNT * 0.5 + 0.3)
    rows = cap.stop()
    garps = [r for r in rows if r["arp.src.proto_ipv4"] == HOA and r["arp.dst.proto_ipv4"] == HOA]
    check(len(garps) == GARP_COUNT, "expected %d gratuitous ARPs for %s, saw %d: %s"
          % (GARP_COUNT, HOA, len(garps), rows))
    for r in garps:
        check(r["arp.opcode"] == "1" and r["arp.src.hw_mac"] == ha_mac and r["eth.src"] == ha_mac,
              "gratuitous ARP not from/for the HA's MAC %s: %s" % (ha_mac, r))
    neigh = ip("cn", "neigh", "show", HOA, "dev", "cn0").stdout
    check(ha_mac in neigh, "CN's ARP entry for %s is %r, not the HA's MAC %s" % (HOA, neigh, ha_mac))
    has_route_and_proxy(STATE.get("tun"))
    ctr = counters()
    check(ctr.get("haGratuitiousARPsSent") == GARP_COUNT and ctr.get("haProxyARPsSent") == 1,
          "counters: gratuitous %s, proxy %s" % (ctr.get("haGratuitiousARPsSent"),
                                                 ctr.get("haProxyARPsSent")))


def counters():
    code, lines = daemon.ctl("MIP/1 show counters")
    check(code == 0, "show counters: END %d" % code)
    out = {}
    for l in lines:
        kv = dict(x.split("=", 1) for x in l.split()[1:] if "=" in x)
        if "name" in kv and "value" in kv:
            out[kv["name"]] = int(kv["value"])
    return out


def traffic_case(encap, reverse):
    flags = "D" + {"ipip": "", "minimal": "M", "gre": "G"}[encap] + ("T" if reverse else "")
    mn.start(encap, reverse)
    mipreg(flags)
    has_route_and_proxy(STATE.get("tun"))
    cap = Capture("ha", "ha1", "ip proto 4 or ip proto 47 or ip proto 55 or icmp or port %d" % PORT)
    ping()
    echo("udp")
    echo("tcp")
    rows = cap.stop()
    proto = {"ipip": "4", "minimal": "55", "gre": "47"}[encap]
    fwd = [r for r in rows if r["ip.src"].split(",")[0] == HA and r["ip.dst"].split(",")[0] == COA]
    check(fwd, "no tunnelled packet %s -> %s on ha1: %s" % (HA, COA, rows[:6]))
    for r in fwd:
        check(r["ip.proto"].split(",")[0] == proto, "outer protocol %s, expected %s: %s"
              % (r["ip.proto"], proto, r))
        if encap == "minimal":
            # RFC 2004 header: protocol, S bit, checksum, original dst, original src
            d = r["data.data"]
            check(d[8:16] == "c0000264" and d[16:24] == "c000020a",
                  "minimal forwarding header does not carry %s/%s: %s" % (HOA, CN, d[:32]))
        else:
            check(r["ip.src"] == "%s,%s" % (HA, CN) and r["ip.dst"] == "%s,%s" % (COA, HOA),
                  "outer+inner headers %s -> %s, expected %s,%s -> %s,%s" %
                  (r["ip.src"], r["ip.dst"], HA, CN, COA, HOA))
            if encap == "gre":
                check(r["gre.proto"] == "0x0800", "GRE protocol %s" % r["gre.proto"])
    if encap == "minimal" and reverse:
        # the MN's replies: outer coa -> HA, forwarding header dst CN, src home address
        back = [r for r in rows if r["ip.src"] == COA and r["ip.dst"] == HA and r["ip.proto"] == "55"]
        check(back, "no minimally encapsulated replies %s -> %s on ha1" % (COA, HA))
        for r in back:
            d = r["data.data"]
            check(d[8:16] == "c000020a" and d[16:24] == "c0000264",
                  "reverse minimal header does not carry %s/%s: %s" % (CN, HOA, d[:32]))
        plain = [r for r in rows if r["ip.src"] == HOA]
        check(plain == [], "replies not reverse-tunnelled: %s" % plain[:3])
        return
    back = [r for r in rows if CN in r["ip.dst"].split(",") and HOA in r["ip.src"].split(",")]
    check(back, "no replies from the MN seen on ha1")
    if reverse:
        tunnelled = [r for r in back if r["ip.src"].split(",")[0] == COA and
                     r["ip.dst"].split(",")[0] == HA and r["ip.proto"].split(",")[0] == proto]
        check(len(tunnelled) == len(back), "replies not all reverse-tunnelled %s -> %s: %s"
              % (COA, HA, [(r["ip.src"], r["ip.dst"], r["ip.proto"]) for r in back][:6]))
    else:
        plain = [r for r in back if r["ip.src"] == HOA and r["ip.dst"] == CN]
        check(len(plain) == len(back), "replies not plain (triangular) %s -> %s: %s"
              % (HOA, CN, [(r["ip.src"], r["ip.dst"]) for r in back][:6]))


def t_simultaneous():
    tshark_ok()
    ip("mn", "addr", "add", COA2 + "/24", "dev", "mn0")
    try:
        mn.start("ipip", coas=(COA, COA2))
        mipreg("DS")
        mipreg("DS", coa=COA2)
        code, lines = daemon.ctl("MIP/1 show bindings " + HOA)
        check(code == 0 and len(lines) == 2, "expected 2 bindings: %s" % lines)
        cap = Capture("ha", "ha1", "ip proto 4")
        out = nsx("cn", "ping", "-n", "-c", 2, "-i", 0.3, "-W", 2, HOA, check_rc=False).stdout
        rows = cap.stop()
        outer = {r["ip.dst"].split(",")[0] for r in rows if r["ip.src"].split(",")[0] == HA}
        check(outer >= {COA, COA2}, "traffic not duplicated to both care-of addresses: %s" % outer)
        check("DUP!" in out, "the MN did not receive duplicates: %s" % out)
        # removing one binding keeps the other
        mipreg("DS", coa=COA2, lifetime=0)
        has_route_and_proxy(STATE.get("tun"))
        ping()
    finally:
        ip("mn", "addr", "del", COA2 + "/24", "dev", "mn0", check_rc=False)


BCAST = "192.0.2.255"
BCAST_PORT = 7778
BCAST_SENDER = r'''
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
for i in range(3):
    s.sendto(sys.argv[3].encode(), (sys.argv[1], int(sys.argv[2])))
    time.sleep(0.1)
'''


def broadcast_rows(tag):
    """CN sends UDP datagrams to the home link's broadcast address; the rows
    of the MN's TUN device (what utun_driver decapsulated) that carry them."""
    path = os.path.join(TMP, "bcast_sender.py")
    with open(path, "w") as f:
        f.write(BCAST_SENDER)
    cap = Capture("mn", mn.tun, "ip")
    nsx("cn", "/usr/bin/python3", path, BCAST, BCAST_PORT, tag)
    time.sleep(0.3)
    rows = cap.stop()
    hexes = tag.encode().hex()
    return [r for r in rows if BCAST in r["ip.dst"].split(",") and hexes in r["data.data"]]


def t_broadcast():
    """RFC 5944 §4.3: broadcasts on the home link reach nodes registered with
    B, only when the home agent's broadcast attribute is true; plain
    encapsulation for a co-located care-of address, nested otherwise."""
    tshark_ok()
    try:
        # broadcast="false" (the default): the B bit is ignored (§3.8.2)
        mn.start("ipip", any_dst=True)
        mipreg("DB")
        rows = broadcast_rows("bcast-off")
        check(rows == [], "broadcast forwarded although broadcast=\"false\": %s" % rows[:3])
        daemon.start("auto", broadcast=True)
        STATE["tun"] = tun_dev()
        check("forwarding broadcasts on ha0" in daemon.text(), "broadcast socket not logged")
        # D and B: encapsulated once, HA -> co-located care-of address
        mipreg("DB")
        rows = broadcast_rows("bcast-db")
        check(len(rows) >= 3, "the MN did not receive the broadcasts with -F DB: %s" % rows[:3])
        for r in rows:
            check(r["ip.src"] == CN and r["ip.dst"] == BCAST,
                  "decapsulated broadcast %s -> %s, expected %s -> %s" % (r["ip.src"], r["ip.dst"],
                                                                         CN, BCAST))
        # B without D (a foreign agent's care-of address): nested, the
        # broadcast inside IP-in-IP to the home address inside the tunnel
        mipreg("B")
        rows = broadcast_rows("bcast-b")
        check(len(rows) >= 3, "no nested broadcasts with -F B: %s" % rows[:3])
        for r in rows:
            check(r["ip.src"] == "%s,%s" % (HA, CN) and r["ip.dst"] == "%s,%s" % (HOA, BCAST)
                  and r["ip.proto"].split(",")[0] == "4",
                  "not nested (%s,%s -> %s,%s): %s" % (HA, CN, HOA, BCAST, r))
        # without B: nothing
        mipreg("D")
        rows = broadcast_rows("bcast-nob")
        check(rows == [], "broadcast forwarded without the B bit: %s" % rows[:3])
    finally:
        mn.start("ipip")
        mipreg("D")


def t_came_home():
    tshark_ok()
    ha_mac = mac_of("ha", "ha0")
    mn_mac = mac_of("mn", "mnh0")
    mn.stop()
    has_route_and_proxy()
    ip("cn", "neigh", "replace", HOA, "lladdr", ha_mac, "dev", "cn0", "nud", "stale")
    cap = Capture("cn", "cn0", "arp")
    # the node moves to the home link with its home address
    ip("mn", "addr", "del", HOA + "/32", "dev", "lo")
    ip("sw", "link", "set", "sw-mn", "up")
    ip("mn", "link", "set", "mnh0", "up")
    ip("mn", "addr", "add", HOA + "/24", "dev", "mnh0")
    deadline = time.time() + 5
    while "LOWER_UP" not in ip("mn", "link", "show", "mnh0").stdout:
        check(time.time() < deadline, "mnh0 never came up")
        time.sleep(0.02)
    mipreg("", lifetime=0, coa=HOA, src=HOA)
    time.sleep(GARP_COUNT * 0.5 + 0.3)
    rows = cap.stop()
    no_route_and_proxy()
    garps = [r for r in rows if r["arp.src.proto_ipv4"] == HOA and r["arp.dst.proto_ipv4"] == HOA
             and r["eth.src"] == ha_mac]
    check(len(garps) >= 1, "no gratuitous ARP from the HA for %s after deregistration: %s" % (HOA, rows))
    for r in garps:
        check(r["arp.src.hw_mac"] == mn_mac, "the HA's gratuitous ARP says %s, not the node's own %s"
              % (r["arp.src.hw_mac"], mn_mac))
    check(len(garps) == GARP_COUNT, "expected %d copies, saw %d" % (GARP_COUNT, len(garps)))
    neigh = ip("cn", "neigh", "show", HOA, "dev", "cn0").stdout
    check(mn_mac in neigh, "CN's ARP entry for %s is %r, not the node's %s" % (HOA, neigh, mn_mac))
    ping()                       # straight on the home link now
    echo("tcp")
    # and away again
    ip("mn", "addr", "del", HOA + "/24", "dev", "mnh0")
    ip("mn", "link", "set", "mnh0", "down")
    ip("sw", "link", "set", "sw-mn", "down")
    ip("mn", "addr", "add", HOA + "/32", "dev", "lo")


def t_away_again_and_expiry():
    mn.start("gre")
    mipreg("DG", lifetime=2)
    has_route_and_proxy(STATE.get("tun"))
    ping()
    time.sleep(3.2)
    no_route_and_proxy()
    check("binding-expired" in daemon.text(), "no expiry logged")


def t_virtual_network():
    """Userspace backend: one route for the virtual home network into the
    engine, no host route per node; an address without binding is answered
    with ICMP host unreachable by the home agent."""
    if summary_backend() != "userspace":
        raise Skip("the virtual network route is the userspace backend's")
    tun = STATE.get("tun")
    r = ip("ha", "route", "show", "proto", "77").stdout
    check(("10.77.0.0/24 dev %s " % tun) in r, "no route of the virtual network into %s: %r" % (tun, r))
    ip("mn", "addr", "add", VNODE + "/32", "dev", "lo")
    try:
        mn.start("ipip", any_dst=True)
        mipreg("D", hoa=VNODE)
        r = ip("ha", "route", "show", "table", "all", VNODE + "/32").stdout.strip()
        check(r == "", "a host route for %s although its network is routed: %r" % (VNODE, r))
        ping(VNODE)
        # GRE and reverse tunnelling: the replies only leave through the tunnel
        mn.start("gre", reverse=True, hoa=VNODE)
        cap = Capture("ha", "ha1", "ip proto 47")
        mipreg("DGT", hoa=VNODE)
        ping(VNODE)
        rows = cap.stop()
        back = [r for r in rows if r["ip.src"].split(",")[0] == COA]
        check(len(back) >= 3, "no GRE from the node's care-of address at the home agent: %s" % rows[:4])
        out = nsx("cn", "ping", "-n", "-c", 1, "-W", 2, "10.77.0.6", check_rc=False).stdout
        check("Unreachable" in out and "From %s" % HA in out,
              "no ICMP host unreachable from %s for an address without binding: %r" % (HA, out))
        mipreg("D", hoa=VNODE, lifetime=0)
        out = nsx("cn", "ping", "-n", "-c", 1, "-W", 2, VNODE, check_rc=False).stdout
        check("Unreachable" in out, "the deregistered node still answers or no ICMP: %r" % out)
    finally:
        mn.stop()
        ip("mn", "addr", "del", VNODE + "/32", "dev", "lo", check_rc=False)


def t_sigterm_cleanup():
    mn.start("ipip")
    mipreg("D")
    has_route_and_proxy(STATE.get("tun"))
    rc = daemon.stop(signal.SIGTERM)
    check(rc == 0, "mipagent exited with %s on SIGTERM" % rc)
    nothing_left()


def t_crash_cleanup():
    daemon.start("auto")
    if summary_backend() == "kernel":
        mn.start_kernel("ipip")
    else:
        mn.start("ipip")
    mipreg("D")
    has_route_and_proxy()
    daemon.stop(signal.SIGKILL)
    # what a crash leaves: the proxy entry (the TUN device and its routes die
    # with the process); plus marked entries as a kernel backend would leave
    check(any(l.split()[0] == HOA for l in proxy_lines()), "proxy entry did not survive kill -9")
    ip("ha", "route", "add", "192.0.2.222/32", "dev", "ha0", "proto", 77)
    ip("ha", "rule", "add", "from", "192.0.2.222", "lookup", 100, "pref", 1000, "proto", 77)
    # a marked neighbour entry (as the foreign agent adds) goes; the
    # operator's own proxy and neighbour entries, unmarked, stay
    ip("ha", "neigh", "add", "192.0.2.224", "lladdr", "02:00:00:00:02:24", "dev", "ha0",
       "nud", "permanent", "proto", 77)
    ip("ha", "neigh", "add", "proxy", "192.0.2.223", "dev", "ha0")
    ip("ha", "neigh", "add", "192.0.2.225", "lladdr", "02:00:00:00:02:25", "dev", "ha0",
       "nud", "permanent")
    # an entry in the record file of a version before the marks goes too
    ip("ha", "neigh", "add", "proxy", "192.0.2.226", "dev", "ha0")
    with open(os.path.join(TMP, "state", "dataplane.entries"), "w") as f:
        f.write("proxy ha0 192.0.2.226\n")
    daemon.start("auto")
    text = daemon.text()
    check("removed the leftover proxy entry %s dev ha0" % HOA in text,
          "the leftover proxy entry was not removed: %r" % daemon.tail(10))
    code, lines = daemon.ctl("MIP/1 show bindings " + HOA)
    if code == 0 and lines:
        # the daemon restored the binding: interception set up afresh
        has_route_and_proxy()
    else:
        no_route_and_proxy()
    check("192.0.2.222" not in ip("ha", "route", "show", "table", "all").stdout, "leftover route still there")
    check("192.0.2.222" not in ip("ha", "rule", "show").stdout, "leftover rule still there")
    check("192.0.2.224" not in ip("ha", "neigh", "show").stdout, "leftover neighbour entry still there")
    check(any(l.split()[0] == "192.0.2.223" for l in proxy_lines()),
          "the cleanup removed a proxy entry that was not ours")
    check("192.0.2.225" in ip("ha", "neigh", "show", "nud", "permanent").stdout,
          "the cleanup removed a neighbour entry that was not ours")
    check(not any(l.split()[0] == "192.0.2.226" for l in proxy_lines()),
          "the proxy entry of the old record file is still there")
    ip("ha", "neigh", "del", "proxy", "192.0.2.223", "dev", "ha0")
    ip("ha", "neigh", "del", "192.0.2.225", "dev", "ha0")
    # and it works again
    mipreg("D")
    has_route_and_proxy()
    ping()
    rc = daemon.stop(signal.SIGTERM)
    check(rc == 0, "mipagent exited with %s on SIGTERM" % rc)
    nothing_left()


R = Runner()


def main():
    only = set(sys.argv[1:])
    t0 = time.time()
    if os.geteuid() != 0:
        print("SKIP test_dataplane: needs root\n0 passed, 1 failed")
        return 1
    try:
        R.only = only
        setup()
        build_driver()
        start_echo_server()
        R.case("kernel-backend" if kernel_has_tunnels() else "kernel-backend-refused",
               t_kernel_backend)
        R.case("startup", t_startup)
        if daemon.alive():
            R.case("first-binding-gratuitous-arp", t_first_binding_garp)
            for encap in ("ipip", "minimal", "gre"):
                for reverse in (False, True):
                    R.case("traffic-%s%s" % (encap, "-revtun" if reverse else ""), traffic_case,
                           encap, reverse)
            R.case("simultaneous-bindings", t_simultaneous)
            R.case("broadcast", t_broadcast)
            R.case("came-home", t_came_home)
            R.case("expiry", t_away_again_and_expiry)
            R.case("virtual-network", t_virtual_network)
            R.case("sigterm-cleanup", t_sigterm_cleanup)
        R.case("crash-cleanup", t_crash_cleanup)
    except Exception as e:
        R.fail("setup", "%s: %s" % (type(e).__name__, e))
        traceback.print_exc(file=sys.stdout)
    finally:
        mn.stop()
        cleanup()
    print("# test_dataplane.py took %.1f s" % (time.time() - t0))
    return R.summary()


if __name__ == "__main__":
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, lambda signo, frame: sys.exit(128 + signo))
    sys.exit(main())
