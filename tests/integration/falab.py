#!/usr/bin/python3
"""Plumbing of the foreign agent integration tests (test_fa.py): namespaces
named "mf<PID><role>", a switch namespace with one bridge per link (so the
mobile node moves by changing the bridge of its port: a real carrier
event), mipagent instances, mipreg, agent advertisements and solicitations
from the mobile node, UDP echo, tshark captures.

    MN   mn0 (port on brf1, brf2 or brhome)   home address 192.0.2.100
    FA   fa0 203.0.113.1/26 (brf1)   fa1 198.51.100.2/25 (brnet)
    FB   fa0 203.0.113.65/26 (brf2)  fa1 198.51.100.3/25 (brnet)   second FA
    HA   ha1 198.51.100.1/25 (brnet) ha0 192.0.2.1/24 (brhome)
    CN   cn0 192.0.2.10/24 (brhome)
    SW   bridges brf1 brf2 brnet brhome

The home agent's namespace routes 198.51.100.128/26 nowhere (ICMP net
unreachable), 198.51.100.192/27 to "unreachable" (host unreachable) and
198.51.100.224/28 to the correspondent, which routes everything back (a
loop: ICMP time exceeded).  The foreign agents route 198.51.100.128/25 to
the home agent.
"""
import ctypes
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from ctlsock import DaemonIO

os.umask(0o027)     # mipagent refuses a configuration file others may read (keys)

HA = "192.0.2.1"
HA_NET = "198.51.100.1"
CN = "192.0.2.10"
HOA = "192.0.2.100"
FA_ADDR = {"fa": "203.0.113.1", "fb": "203.0.113.65"}
FA_NET = {"fa": "198.51.100.2", "fb": "198.51.100.3"}
FA_BRIDGE = {"fa": "brf1", "fb": "brf2"}
K = "00112233445566778899aabbccddeeff"
K_FA = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
K_MNFA = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
ECHO_PORT = 7007

TOP = os.path.abspath(os.environ.get("top_builddir") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MIPAGENT = os.environ.get("MIPAGENT", os.path.join(TOP, "mipagent"))
MIPREG = os.environ.get("MIPREG", os.path.join(TOP, "mipreg"))
P = "mf%d" % os.getpid()
NS = {r: P + r for r in ("mn", "fa", "fb", "ha", "cn", "sw")}
TMP = tempfile.mkdtemp(prefix="mipfa.")
PROCS = []
DAEMONS = []
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


class Failure(AssertionError):
    pass


class Skip(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(cmd, check_rc=True, timeout=30, **kw):
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, **kw)
    if check_rc and p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" % (p.returncode, " ".join(map(str, cmd)),
                                                            p.stdout, p.stderr))
    return p


def ip(ns, *args, check_rc=True):
    return run(["ip", "-n", NS[ns]] + list(args), check_rc=check_rc)


def nsx(ns, *cmd, check_rc=True, timeout=30):
    return run(["ip", "netns", "exec", NS[ns]] + list(cmd), check_rc=check_rc, timeout=timeout)


def popen(ns, cmd, **kw):
    p = subprocess.Popen(["ip", "netns", "exec", NS[ns]] + [str(c) for c in cmd], **kw)
    PROCS.append(p)
    return p


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


def ns_socket(ns, family=socket.AF_INET, kind=socket.SOCK_DGRAM, proto=0):
    """A socket created inside namespace @ns."""
    orig = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/var/run/netns/" + NS[ns], os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            return socket.socket(family, kind, proto)
        finally:
            if _libc.setns(orig, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(orig)
        os.close(target)


class Runner:
    def __init__(self):
        self.passed = self.failed = self.skipped = 0
        self.only = set(sys.argv[1:])

    def case(self, name, fn, *a):
        if self.only and name not in self.only:
            return
        t0 = time.time()
        try:
            fn(*a)
        except Skip as e:
            self.skipped += 1
            print("SKIP %s: %s" % (name, e), flush=True)
            return
        except Failure as e:
            self.fail(name, str(e))
        except Exception as e:          # a broken step is a failure too
            self.fail(name, "%s: %s" % (type(e).__name__, e))
            traceback.print_exc(file=sys.stdout)
        else:
            dead = [d.name for d in DAEMONS if d.p is not None and d.p.poll() is not None]
            if dead:
                self.fail(name, "mipagent died: %s" % dead)
            else:
                self.passed += 1
                print("PASS %s (%.1fs)" % (name, time.time() - t0), flush=True)

    def fail(self, name, reason):
        self.failed += 1
        print("FAIL %s: %s" % (name, reason.replace("\n", " | ")), flush=True)
        for d in DAEMONS:
            if d.log:
                print("# %s log tail:\n#   %s" % (d.name, "\n#   ".join(d.tail(10).splitlines())),
                      flush=True)

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
    for br in ("brf1", "brf2", "brnet", "brhome"):
        ip("sw", "link", "add", br, "type", "bridge", "mcast_snooping", 0, "stp_state", 0,
           "forward_delay", 0)
        ip("sw", "link", "set", br, "up")
    ports = [("mn", "mn0", "p-mn", "brf1"), ("fa", "fa0", "p-fa0", "brf1"),
             ("fa", "fa1", "p-fa1", "brnet"), ("fb", "fa0", "p-fb0", "brf2"),
             ("fb", "fa1", "p-fb1", "brnet"), ("ha", "ha1", "p-ha1", "brnet"),
             ("ha", "ha0", "p-ha0", "brhome"), ("cn", "cn0", "p-cn", "brhome")]
    for ns, dev, port, br in ports:
        run(["ip", "link", "add", dev, "netns", NS[ns], "type", "veth", "peer", "name", port,
             "netns", NS["sw"]])
        ip("sw", "link", "set", port, "master", br)
        ip("sw", "link", "set", port, "up")
        ip(ns, "link", "set", dev, "up")
    for fa in ("fa", "fb"):
        ip(fa, "addr", "add", FA_ADDR[fa] + "/26", "dev", "fa0")
        ip(fa, "addr", "add", FA_NET[fa] + "/25", "dev", "fa1")
        ip(fa, "route", "add", "192.0.2.0/24", "via", HA_NET)
        ip(fa, "route", "add", "198.51.100.128/25", "via", HA_NET)
    ip("ha", "addr", "add", HA_NET + "/25", "dev", "ha1")
    ip("ha", "addr", "add", HA + "/24", "dev", "ha0")
    ip("ha", "route", "add", "203.0.113.0/26", "via", FA_NET["fa"])
    ip("ha", "route", "add", "203.0.113.64/26", "via", FA_NET["fb"])
    ip("ha", "route", "add", "unreachable", "198.51.100.192/27")
    ip("ha", "route", "add", "198.51.100.224/28", "via", CN)     # a loop: time exceeded
    ip("cn", "addr", "add", CN + "/24", "dev", "cn0")
    ip("cn", "route", "add", "default", "via", HA)
    nsx("ha", "sysctl", "-qw", "net.ipv4.ip_forward=1")
    nsx("cn", "sysctl", "-qw", "net.ipv4.ip_forward=1")
    for ns in ("mn", "fa", "fb", "ha", "cn"):
        for k in ("all", "default"):
            nsx(ns, "sysctl", "-qw", "net.ipv4.conf.%s.rp_filter=0" % k)
    mn_away("fa")
    deadline = time.time() + 5
    for ns, dev, _, _ in ports:
        while "LOWER_UP" not in ip(ns, "link", "show", dev).stdout:
            check(time.time() < deadline, "%s in %s never came up" % (dev, ns))
            time.sleep(0.02)


def cleanup():
    for d in DAEMONS:
        d.stop()
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


def move_mn(bridge):
    """Plug the mobile node's port into @bridge (carrier goes down and up)."""
    ip("sw", "link", "set", "p-mn", "down")
    ip("sw", "link", "set", "p-mn", "master", bridge)
    ip("sw", "link", "set", "p-mn", "up")
    deadline = time.time() + 5
    while "LOWER_UP" not in ip("mn", "link", "show", "mn0").stdout:
        check(time.time() < deadline, "mn0 did not come back up")
        time.sleep(0.02)


def mn_away(fa):
    """The mobile node away from home behind foreign agent @fa (RFC 5944
    §4.2.1): its home address as /32, the agent as default router."""
    ip("mn", "addr", "flush", "dev", "mn0")
    ip("mn", "route", "flush", "dev", "mn0", check_rc=False)
    ip("mn", "addr", "add", HOA + "/32", "dev", "mn0")
    ip("mn", "route", "add", FA_ADDR[fa] + "/32", "dev", "mn0", "scope", "link")
    ip("mn", "route", "add", "default", "via", FA_ADDR[fa], "dev", "mn0", "src", HOA)
    ip("mn", "neigh", "flush", "dev", "mn0", check_rc=False)


def mn_home():
    ip("mn", "addr", "flush", "dev", "mn0")
    ip("mn", "route", "flush", "dev", "mn0", check_rc=False)
    ip("mn", "addr", "add", HOA + "/24", "dev", "mn0")
    ip("mn", "route", "add", "default", "via", HA, "dev", "mn0")


def mac_of(ns, dev):
    out = ip(ns, "-j", "link", "show", dev).stdout
    return json.loads(out)[0]["address"]


# ---------------------------------------------------------------- daemons

class Daemon(DaemonIO):
    def __init__(self, ns):
        self.ns = ns
        self.name = ns
        self.p = None
        self.log = None
        self.sock = os.path.join(TMP, ns + ".sock")
        DAEMONS.append(self)

    def start(self, body, name=None):
        self.stop()
        name = name or self.ns
        self.state = os.path.join(TMP, "state-" + name)
        self.conf = os.path.join(TMP, name + ".xml")
        with open(self.conf, "w") as f:
            f.write(self.conf_text(body))
        self.log = os.path.join(TMP, name + ".log")
        with open(self.log, "w") as lf:
            self.p = subprocess.Popen(["ip", "netns", "exec", NS[self.ns], MIPAGENT, "-f", "-d", "3",
                                       "-c", self.conf], stdout=lf, stderr=lf)
        deadline = time.time() + 8
        while True:
            check(self.p.poll() is None, "mipagent in %s exited %s:\n%s" % (self.ns, self.p.returncode,
                                                                           self.tail()))
            try:
                if self.ctl("MIP/1 show summary", timeout=0.5)[0] == 0:
                    return
            except OSError:
                pass
            check(time.time() < deadline, "control socket of %s never answered:\n%s" % (self.ns, self.tail()))
            time.sleep(0.05)

    def reload(self, body):
        """Rewrite the configuration and SIGHUP; wait for the log to say it is in force."""
        with open(self.conf, "w") as f:
            f.write(self.conf_text(body))
        mark = len(self.text())
        self.p.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while True:
            new = self.text()[mark:]
            check("refused" not in new, "reload refused:\n%s" % new)
            if "configuration" in new and "in force" in new:
                return
            check(time.time() < deadline, "reload not done:\n%s" % new)
            time.sleep(0.05)

    def conf_text(self, body):
        return ('<?xml version="1.0"?>\n<mipagent>\n  <general log-level="debug" state-dir="%s" '
                'control-socket="%s"/>\n%s\n</mipagent>\n' % (self.state, self.sock, body))

    def stop(self):
        if self.p is not None:
            if self.p.poll() is None:
                self.p.send_signal(signal.SIGCONT)
            stop(self.p)
            self.p = None

    def pause(self):
        self.p.send_signal(signal.SIGSTOP)

    def resume(self):
        self.p.send_signal(signal.SIGCONT)

    def records(self, what, arg=""):
        code, lines = self.ctl("MIP/1 show %s%s" % (what, " " + arg if arg else ""))
        check(code == 0, "show %s: END %d" % (what, code))
        return [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in lines]

    def visitors(self, hoa=""):
        return self.records("visitors", hoa)

    def pending(self, hoa=""):
        return self.records("pending", hoa)

    def bindings(self, hoa=""):
        return self.records("bindings", hoa)

    def counter(self, name):
        for r in self.records("counters"):
            if r["name"] == name:
                return int(r["value"])
        raise Failure("no counter %s" % name)


def mipreg(fa="fa", hoa=HOA, ha=HA, coa=None, lifetime=300, flags="", args=(), timeout=8, key=K,
           spi=256, dest=None, ns="mn"):
    """mipreg -j from the mobile node (namespace @ns) through foreign agent @fa (None: to @dest)."""
    cmd = [MIPREG, "-j", "-H", hoa, "-a", ha, "-s", spi, "-k", key, "-l", lifetime,
           "-d", dest or FA_ADDR[fa], "-c", coa or FA_ADDR.get(fa, hoa), "-t", 1500, "-R", 1]
    if flags:
        cmd += ["-F", flags]
    cmd += list(args)
    p = nsx(ns, *cmd, check_rc=False, timeout=timeout)
    replies = [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]
    if p.returncode == 64:
        raise RuntimeError("mipreg usage: %s" % p.stderr)
    return p.returncode, replies


# ---------------------------------------------------------------- agent discovery

def parse_adv(pkt):
    """Decode an IPv4 packet carrying an Agent Advertisement (struct only)."""
    hl = (pkt[0] & 15) * 4
    ttl, src, dst = pkt[8], socket.inet_ntoa(pkt[12:16]), socket.inet_ntoa(pkt[16:20])
    m = pkt[hl:]
    typ, code, _, num, size, life = struct.unpack("!BBHBBH", m[:8])
    a = {"ttl": ttl, "src": src, "dst": dst, "type": typ, "code": code, "lifetime": life,
         "addrs": [socket.inet_ntoa(m[8 + 4 * size * i:12 + 4 * size * i]) for i in range(num)],
         "csum_ok": inet_sum(m) == 0}
    off = 8 + 4 * size * num
    while off < len(m):
        t = m[off]
        if t == 0:
            a["pad"] = a.get("pad", 0) + 1
            off += 1
            continue
        ln = m[off + 1]
        d = m[off + 2:off + 2 + ln]
        if t == 16:
            a["seq"], a["reg_lifetime"], a["flags"] = struct.unpack("!HHH", d[:6])
            a["coas"] = [socket.inet_ntoa(d[6 + 4 * i:10 + 4 * i]) for i in range((ln - 6) // 4)]
        elif t == 19:
            a["prefix_lengths"] = list(d)
        off += 2 + ln
    return a


def inet_sum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


FLAG_BITS = {c: 0x8000 >> i for i, c in enumerate("RBHFMGrTUXI")}


def flags_str(f):
    return "".join(c for c, b in FLAG_BITS.items() if f & b) or "-"


class AdvListener:
    """Agent Advertisements received in the mobile node's namespace."""

    def __init__(self, ns="mn"):
        self.s = ns_socket(ns, kind=socket.SOCK_RAW, proto=socket.IPPROTO_ICMP)
        self.s.setsockopt(255, 1, struct.pack("I", 0xffffffff & ~(1 << 9)))   # ICMP_FILTER

    def next(self, timeout, want=lambda a: True):
        deadline = time.time() + timeout
        while True:
            left = deadline - time.time()
            if left <= 0:
                return None
            r, _, _ = select.select([self.s], [], [], left)
            if not r:
                return None
            pkt = self.s.recv(2048)
            a = parse_adv(pkt)
            if a["type"] == 9 and want(a):
                a["raw"] = pkt
                return a

    def close(self):
        self.s.close()


def solicit(dst="224.0.0.11", ns="mn"):
    """Send an Agent Solicitation (type 10, TTL 1) from the mobile node."""
    s = ns_socket(ns, kind=socket.SOCK_RAW, proto=socket.IPPROTO_ICMP)
    try:
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        s.setsockopt(socket.SOL_SOCKET, 25, b"mn0\0")                        # SO_BINDTODEVICE
        msg = bytearray(struct.pack("!BBHI", 10, 0, 0, 0))
        struct.pack_into("!H", msg, 2, inet_sum(bytes(msg)))
        s.sendto(bytes(msg), (dst, 0))
    finally:
        s.close()


# ---------------------------------------------------------------- raw registration messages

def udp_exchange(payload, dst, src=HOA, ttl=64, timeout=2.0, ns="mn"):
    """Send @payload to @dst:434 from @src with IP TTL @ttl; (reply, addr) or (None, None)."""
    s = ns_socket(ns)
    try:
        s.bind((src, 0))
        s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
        s.settimeout(timeout)
        s.sendto(payload, (dst, 434))
        try:
            return s.recvfrom(4096)
        except socket.timeout:
            return None, None
    finally:
        s.close()


# ---------------------------------------------------------------- traffic

ECHO_SERVER = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
while True:
    d, a = s.recvfrom(4096)
    s.sendto(d, a)
'''

ECHO_CLIENT = r'''
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.0)
ok = 0
for i in range(n):
    msg = b"mipagent-fa-%d" % i
    s.sendto(msg, (host, port))
    try:
        d, a = s.recvfrom(4096)
        ok += d == msg and a[0] == host
    except socket.timeout:
        pass
print(ok)
'''


def start_echo(ns="mn", addr=HOA):
    path = os.path.join(TMP, "echo_server.py")
    with open(path, "w") as f:
        f.write(ECHO_SERVER)
    p = popen(ns, ["/usr/bin/python3", path, addr, ECHO_PORT], stdout=subprocess.PIPE, text=True)
    r, _, _ = select.select([p.stdout], [], [], 5)
    check(r and p.stdout.readline().startswith("ready"), "echo server did not start")
    return p


def echo(ns="cn", host=HOA, n=3):
    """How many of @n UDP echoes from @ns to @host came back."""
    path = os.path.join(TMP, "echo_client.py")
    with open(path, "w") as f:
        f.write(ECHO_CLIENT)
    p = nsx(ns, "/usr/bin/python3", path, host, ECHO_PORT, n, check_rc=False, timeout=n * 2 + 5)
    return int(p.stdout.strip() or 0)


class Capture:
    """tshark in a namespace, stopped explicitly; fields read back from the file."""

    def __init__(self, ns, dev, bpf):
        self.pcap = os.path.join(TMP, "%s-%s-%d.pcap" % (ns, dev, int(time.time() * 1000)))
        self.err = self.pcap + ".err"
        with open(self.err, "w") as ef:
            self.p = popen(ns, ["tshark", "-n", "-i", dev, "-f", bpf, "-w", self.pcap, "-q"],
                           stdout=subprocess.DEVNULL, stderr=ef)
        deadline = time.time() + 10
        while not (os.path.exists(self.pcap) and "Capturing on" in open(self.err).read()):
            check(self.p.poll() is None, "tshark exited: %s" % open(self.err).read())
            check(time.time() < deadline, "tshark did not start")
            time.sleep(0.05)

    def fields(self, *fields, filt=None):
        time.sleep(0.3)
        stop(self.p, signal.SIGINT)
        cmd = ["tshark", "-n", "-r", self.pcap, "-T", "fields", "-E", "separator=|"]
        if filt:
            cmd += ["-Y", filt]
        for f in fields:
            cmd += ["-e", f]
        return [l.split("|") for l in run(cmd).stdout.splitlines() if l.strip()]


def have_tshark():
    return os.path.exists("/usr/bin/tshark")
