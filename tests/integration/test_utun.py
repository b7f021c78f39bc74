#!/usr/bin/python3
"""Integration test of the userspace tunnel engine (agent/utun.c) with real
traffic between network namespaces.

A small C driver (tests/integration/utun_driver.c, compiled here against
.libs/libmipcore.a) opens a utun in the home agent and in the foreign agent
namespace and adds the forward / reverse / decapsulation entries a binding
would.  Topology (documentation addresses only, names "ut<pid><role>"):

    MN  mn0 192.0.2.100/32 (home address, away from home)
     |  foreign link 203.0.113.0/24
    FA  fa0 203.0.113.1   fa1 198.51.100.130/25       engine: fat%d
     |
    RT  rt1 198.51.100.129/25  rt0 198.51.100.126/25  (a router inside the tunnel)
     |
    HA  ha1 198.51.100.1/25   ha0 192.0.2.1/24        engine: mip%d
     |  home link
    CN  cn0 192.0.2.10/24

CN pings and sends UDP and TCP to the MN's home address through the HA->FA
tunnel, for IP-in-IP, minimal encapsulation and GRE, with and without
reverse tunnelling; tshark on the HA's link shows outer and inner headers.
Then large packets (DF and not), ICMP errors from RT relayed by the HA
(RFC 2003 section 4), and packets the FA must refuse.

Prints "PASS name" / "FAIL name: reason" per case, then "N passed, M failed";
exits 1 on any failure.  UTUN_DRIVER=path uses that driver binary instead of
compiling one (e.g. built with -fsanitize=address,undefined).  Helper modes (run inside namespaces by the test):
  --serve PORT                UDP + TCP echo server
  --client udp|tcp HOST PORT  client, prints "ok" on success
"""
import atexit
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
SELF = os.path.abspath(__file__)
TOP_SRC = os.path.abspath(os.environ.get("top_srcdir", os.path.join(HERE, "..", "..")))
TOP_BUILD = os.path.abspath(os.environ.get("top_builddir", TOP_SRC))

MN = "192.0.2.100"
CN = "192.0.2.10"
HA_HOME = "192.0.2.1"
HA = "198.51.100.1"
RT_HA = "198.51.100.126"
RT_FA = "198.51.100.129"
FA = "198.51.100.130"
FA_MN = "203.0.113.1"
PORT = 7000

PFX = "ut%d" % os.getpid()
ROLES = ["mn", "fa", "rt", "ha", "cn"]
NS = {r: PFX + r for r in ROLES}
ENCAPS = [("ipip", 4), ("minimal", 55), ("gre", 47)]

procs = []          # every process we started (killed in cleanup)
results = [0, 0]
tmpdir = None      # created by main()


# ------------------------------------------------------------ helper modes

def serve(port):
    """UDP and TCP echo on @port until killed."""
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("0.0.0.0", port))
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    t.bind(("0.0.0.0", port))
    t.listen(8)

    def udp():
        while True:
            d, a = u.recvfrom(65535)
            u.sendto(d, a)

    def tcp_conn(c):
        with c:
            while True:
                d = c.recv(65536)
                if not d:
                    return
                c.sendall(d)

    threading.Thread(target=udp, daemon=True).start()
    print("ready", flush=True)
    while True:
        c, _ = t.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()


def client(kind, host, port):
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1.0)
        for i, n in enumerate([1, 64, 200, 512, 1000, 1200, 1400 - 28]):
            msg = bytes([(i + k) & 0xff for k in range(n)])
            for attempt in range(3):
                s.sendto(msg, (host, port))
                try:
                    d = s.recv(65535)
                except socket.timeout:
                    continue
                if d != msg:
                    print("udp: wrong echo for %d bytes" % n)
                    return 1
                break
            else:
                print("udp: no echo for %d bytes" % n)
                return 1
        print("ok")
        return 0
    data = os.urandom(300000)
    s = socket.create_connection((host, port), timeout=10)
    got = bytearray()

    def rx():
        while len(got) < len(data):
            d = s.recv(65536)
            if not d:
                break
            got.extend(d)

    th = threading.Thread(target=rx)
    th.start()
    s.sendall(data)
    th.join(15)
    s.close()
    if bytes(got) != data:
        print("tcp: echoed %d of %d bytes correctly" % (len(got), len(data)))
        return 1
    print("ok")
    return 0


# ------------------------------------------------------------ plumbing

def run(cmd, check=True, timeout=30):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stdout))
    return p


def ns(role, *cmd, check=True, timeout=30):
    return run(["ip", "netns", "exec", NS[role]] + list(cmd), check=check, timeout=timeout)


def ip(role, *args, check=True):
    return run(["ip", "-n", NS[role]] + list(args), check=check)


def start(role, cmd, **kw):
    p = subprocess.Popen(["ip", "netns", "exec", NS[role]] + cmd, **kw)
    procs.append(p)
    return p


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def cleanup():
    for p in procs:
        try:
            stop(p)
        except Exception:
            pass
    for n in NS.values():
        # processes left in our namespaces are ours (started in them)
        r = subprocess.run(["ip", "netns", "pids", n], stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, text=True)
        for pid in r.stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)
    if tmpdir:
        subprocess.run(["rm", "-rf", tmpdir])


def on_signal(signum, frame):
    cleanup()
    os._exit(1)


def report(name, ok, why=""):
    if ok:
        results[0] += 1
        print("PASS %s" % name, flush=True)
    else:
        results[1] += 1
        print("FAIL %s: %s" % (name, why), flush=True)


def topology():
    for n in NS.values():
        subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)
        run(["ip", "netns", "add", n])
    for r in ROLES:
        ip(r, "link", "set", "lo", "up")
        ns(r, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0",
           "net.ipv4.conf.default.rp_filter=0", "net.ipv4.ip_forward=1")
    for a, an, b, bn in [("mn", "mn0", "fa", "fa0"), ("fa", "fa1", "rt", "rt1"),
                         ("rt", "rt0", "ha", "ha1"), ("ha", "ha0", "cn", "cn0")]:
        run(["ip", "link", "add", an, "netns", NS[a], "type", "veth", "peer", "name", bn,
             "netns", NS[b]])
    for r, dev, addr in [("fa", "fa0", "203.0.113.1/24"), ("fa", "fa1", FA + "/25"),
                         ("rt", "rt1", RT_FA + "/25"), ("rt", "rt0", RT_HA + "/25"),
                         ("ha", "ha1", HA + "/25"), ("ha", "ha0", HA_HOME + "/24"),
                         ("cn", "cn0", CN + "/24"), ("mn", "mn0", MN + "/32")]:
        ip(r, "addr", "add", addr, "dev", dev)
    for r, dev in [("mn", "mn0"), ("fa", "fa0"), ("fa", "fa1"), ("rt", "rt1"), ("rt", "rt0"),
                   ("ha", "ha1"), ("ha", "ha0"), ("cn", "cn0")]:
        ip(r, "link", "set", dev, "up")
    ns("mn", "sysctl", "-qw", "net.ipv4.ip_forward=0")
    ns("cn", "sysctl", "-qw", "net.ipv4.ip_forward=0")
    ip("cn", "route", "add", "default", "via", HA_HOME)
    ip("ha", "route", "add", "198.51.100.128/25", "via", RT_HA)
    ip("ha", "route", "add", "203.0.113.0/24", "via", RT_HA)   # RT has no route there
    ip("rt", "route", "add", "192.0.2.0/24", "via", HA)
    ip("fa", "route", "add", "default", "via", RT_FA)
    # the MN away from home, foreign agent care-of address mode
    ip("mn", "route", "add", FA_MN + "/32", "dev", "mn0", "scope", "link")
    ip("mn", "route", "add", "default", "via", FA_MN, "dev", "mn0", "src", MN)
    mac = re.search(r"link/ether (\S+)", ip("mn", "link", "show", "mn0").stdout).group(1)
    ip("fa", "route", "add", MN + "/32", "dev", "fa0")
    ip("fa", "neigh", "replace", MN, "lladdr", mac, "dev", "fa0", "nud", "permanent")
    # the HA answers ARP for the MN on the home link
    ip("ha", "neigh", "add", "proxy", MN, "dev", "ha0")
    ns("ha", "sysctl", "-qw", "net.ipv4.neigh.ha0.proxy_delay=0")
    # wait for the links (LOWER_UP)
    deadline = time.time() + 5
    for r, dev in [("mn", "mn0"), ("fa", "fa0"), ("fa", "fa1"), ("rt", "rt1"), ("rt", "rt0"),
                   ("ha", "ha1"), ("ha", "ha0"), ("cn", "cn0")]:
        while "LOWER_UP" not in ip(r, "link", "show", dev).stdout and time.time() < deadline:
            time.sleep(0.02)


def build_driver():
    if os.environ.get("UTUN_DRIVER"):       # e.g. a sanitizer build
        return os.environ["UTUN_DRIVER"]
    lib = os.path.join(TOP_BUILD, ".libs", "libmipcore.a")
    if not os.path.exists(lib):
        raise RuntimeError("%s is missing: run make" % lib)
    exe = os.path.join(tmpdir, "utun_driver")
    libs = run(["pkg-config", "--libs", "libnl-route-3.0", "libnl-3.0", "libcrypto",
                "libxml-2.0"]).stdout.split()
    bsd = run(["pkg-config", "--libs", "libbsd"], check=False)
    if bsd.returncode == 0:
        libs += bsd.stdout.split()
    run(["cc", "-I", os.path.join(TOP_SRC, "include"), "-I", TOP_BUILD, "-o", exe,
         os.path.join(TOP_SRC, "tests", "integration", "utun_driver.c"), lib] + libs)
    return exe


class Engine:
    """One utun_driver process."""

    def __init__(self, role, args, log):
        self.role = role
        self.err = open(os.path.join(tmpdir, log), "w")
        self.p = start(role, [DRIVER] + args, stdout=subprocess.PIPE, stderr=self.err, text=True)
        line = self.readline(5)
        m = re.match(r"ready (\S+) (\d+)", line or "")
        if not m:
            stop(self.p)
            raise RuntimeError("%s driver did not start: %r (see %s)" % (role, line, self.err.name))
        self.ifname, self.mtu = m.group(1), int(m.group(2))

    def readline(self, timeout):
        r, _, _ = select.select([self.p.stdout], [], [], timeout)
        return self.p.stdout.readline().strip() if r else None

    def stats(self):
        self.p.send_signal(signal.SIGUSR1)
        line = self.readline(3)
        return json.loads(line) if line else {}

    def close(self):
        """Stop the driver; a crash or a sanitizer report is a failure."""
        stop(self.p)
        self.err.close()
        with open(self.err.name) as f:
            log = f.read()
        bad = re.search(r"ERROR: \w+Sanitizer|runtime error:|LeakSanitizer", log)
        if self.p.returncode != 0 or bad:
            report("%s driver exits cleanly" % self.role, False,
                   "status %s\n%s" % (self.p.returncode, log[-3000:]))


class Capture:
    """tshark on the HA's tunnel-side link."""

    def __init__(self, name):
        self.file = os.path.join(tmpdir, name + ".pcapng")
        self.p = start("ha", ["tshark", "-i", "ha1", "-w", self.file, "-q"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 10
        while time.time() < deadline:   # wait for "Capturing on 'ha1'"
            r, _, _ = select.select([self.p.stderr], [], [], 0.2)
            if r and "Capturing" in self.p.stderr.readline():
                break
        time.sleep(0.1)

    def packets(self):
        """List of (ip.proto, ip.src, ip.dst, data) tuples; inner fields after commas."""
        time.sleep(0.3)
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            stop(self.p)
        out = run(["tshark", "-r", self.file, "-T", "fields", "-E", "separator=|",
                   "-e", "ip.proto", "-e", "ip.src", "-e", "ip.dst", "-e", "data.data"]).stdout
        rows = [(l.split("|") + ["", "", "", ""])[:4] for l in out.splitlines()]
        return [tuple(r) for r in rows if r[0]]


def flush_pmtu():
    for r in ("cn", "mn", "ha", "fa"):
        ip(r, "route", "flush", "cache", check=False)


def ping(src, dst, size=56, df=None, count=3):
    cmd = ["ping", "-n", "-c", str(count), "-i", "0.2", "-W", "2", "-s", str(size)]
    if df is not None:
        cmd += ["-M", "do" if df else "dont"]
    p = ns(src, *(cmd + [dst]), check=False, timeout=30)
    m = re.search(r"(\d+) received", p.stdout)
    return (int(m.group(1)) if m else 0), p.stdout


def setup_tunnel(encap, reverse, ha_args=(), fa_args=(), remote=FA):
    ha = ["-n", "mip%d"] + list(ha_args) + ["fwd", MN, HA, remote, encap]
    fa = ["-n", "fat%d"] + list(fa_args) + ["decap", HA, FA, "0.0.0.0", MN]
    if reverse:
        ha += ["decap", FA, HA, MN, "0.0.0.0"]
        fa += ["rev", MN, FA, HA, encap]
    e_ha = Engine("ha", ha, "ha-%s.log" % encap)
    e_fa = Engine("fa", fa, "fa-%s.log" % encap)
    ip("ha", "route", "replace", MN + "/32", "dev", e_ha.ifname)
    ip("fa", "rule", "del", "pref", "100", check=False)
    if reverse:
        ip("fa", "rule", "add", "from", MN, "iif", "fa0", "lookup", "100", "pref", "100")
        ip("fa", "route", "replace", "default", "dev", e_fa.ifname, "table", "100")
    flush_pmtu()
    return e_ha, e_fa


# ------------------------------------------------------------ test cases

def case_traffic(encap, proto, reverse):
    tag = "%s %s" % (encap, "reverse" if reverse else "triangular")
    e_ha, e_fa = setup_tunnel(encap, reverse)
    try:
        cap = Capture("traffic-%s-%d" % (encap, reverse))
        n, out = ping("cn", MN)
        report("%s: ping CN->MN" % tag, n == 3, "%d/3 replies\n%s" % (n, out))
        p = ns("cn", PY, SELF, "--client", "udp", MN, str(PORT), check=False)
        report("%s: UDP CN->MN echo" % tag, p.stdout.strip() == "ok", p.stdout)
        p = ns("cn", PY, SELF, "--client", "tcp", MN, str(PORT), check=False, timeout=40)
        report("%s: TCP CN->MN 300 kB echo" % tag, p.stdout.strip() == "ok", p.stdout)
        pk = cap.packets()
        sh, sf = e_ha.stats(), e_fa.stats()

        # HA -> FA: encapsulated, outer and inner headers visible
        if proto == 55:
            # tshark has no RFC 2004 dissector: the outer header says 55 and
            # the data starts with the minimal forwarding header (protocol,
            # S bit, checksum, original destination, original source).
            fwd = [p for p in pk if p[0] == "55" and p[1] == HA and p[2] == FA]
            ok = any(p[3][8:16] == "c0000264" and p[3][16:24] == "c000020a" for p in fwd)
            report("%s: tshark HA->FA ip.proto 55, minimal header %s->%s" % (tag, CN, MN),
                   ok, "%d packets: %s" % (len(pk), pk[:6]))
        else:
            want = ("%d," % proto, "%s,%s" % (HA, CN), "%s,%s" % (FA, MN))
            ok = any(p[0].startswith(want[0]) and p[1] == want[1] and p[2] == want[2] for p in pk)
            report("%s: tshark HA->FA ip.proto %d, inner %s->%s" % (tag, proto, CN, MN),
                   ok, "%d packets: %s" % (len(pk), pk[:6]))
        # FA -> HA: encapsulated only with reverse tunnelling
        if proto == 55:
            back = [p for p in pk if p[0] == "55" and p[1] == FA and p[2] == HA]
            enc_back = any(p[3][8:16] == "c000020a" for p in back)
        else:
            enc_back = any(p[1] == "%s,%s" % (FA, MN) and p[2] == "%s,%s" % (HA, CN) for p in pk)
        plain_back = any(p[1] == MN and p[2] == CN for p in pk)
        if reverse:
            report("%s: tshark FA->HA reverse tunnel %s->%s" % (tag, MN, CN),
                   enc_back and not plain_back, "encapsulated %s, plain %s" % (enc_back, plain_back))
        else:
            report("%s: tshark MN->CN not tunnelled" % tag, plain_back and not enc_back,
                   "encapsulated %s, plain %s" % (enc_back, plain_back))
        ok = (sh.get("encap_pkts", 0) > 0 and sf.get("decap_pkts", 0) >= sh["encap_pkts"] * 0.9 and
              sh.get("decap_bad") == 0 and sf.get("decap_bad") == 0 and sf.get("decap_filtered") == 0)
        if reverse:
            ok = ok and sf.get("encap_pkts", 0) > 0 and sh.get("decap_pkts", 0) > 0
        report("%s: engine counters" % tag, ok, "HA %s FA %s" % (sh, sf))
    finally:
        e_ha.close()
        e_fa.close()


def big_ping(tag, src, dst, total, df, expect):
    """A ping of @total bytes must be delivered, or (DF) answered with frag-needed."""
    flush_pmtu()
    n, out = ping(src, dst, size=total - 28, df=df, count=2)
    fn = re.search(r"Frag needed and DF set \(mtu = (\d+)\)|message too long, mtu=(\d+)", out)
    if expect == "delivered":
        ok, why = n == 2, "%d/2 replies" % n
    elif expect == "fragneeded":
        ok, why = bool(fn), "no frag-needed seen"
    else:
        ok, why = n == 2 or bool(fn), "vanished"
    report("%s: %d-byte ping %s->%s %s: %s" % (tag, total, src.upper(), dst, "DF" if df else "no DF",
                                              expect), ok, why + "\n" + out)
    return fn


def case_large(encap, engine_mtu):
    """Large packets with reverse tunnelling.  Kernel MTU: the TUN MTU is the
    link MTU minus 24 and the kernel answers DF packets itself.  Engine MTU
    (TUN MTU 1500): the engine must send frag-needed or fragment."""
    tag = "%s large, %s" % (encap, "engine MTU" if engine_mtu else "TUN MTU")
    args = ["-m", "1500"] if engine_mtu else []
    e_ha, e_fa = setup_tunnel(encap, True, args, args)
    try:
        if not engine_mtu:
            report("%s: TUN MTU is link MTU - 24" % tag, e_ha.mtu == 1476 and e_fa.mtu == 1476,
                   "HA %d FA %d" % (e_ha.mtu, e_fa.mtu))
        for src, dst in (("cn", MN), ("mn", CN)):
            big_ping(tag, src, dst, 1400, True, "delivered")
            big_ping(tag, src, dst, 1400, False, "delivered")
            fn = big_ping(tag, src, dst, 1500, True, "fragneeded")
            if fn and engine_mtu:
                overhead = {"ipip": 20, "gre": 24, "minimal": 12}[encap]
                mtu = int(fn.group(1) or fn.group(2))
                report("%s: frag-needed MTU to %s is 1500 - %d" % (tag, src.upper(), overhead),
                       mtu == 1500 - overhead, "mtu %d" % mtu)
            big_ping(tag, src, dst, 1500, False, "delivered")
        sh, sf = e_ha.stats(), e_fa.stats()
        if engine_mtu:
            ok = all(s.get("icmp_sent", 0) >= 1 and s.get("too_big", 0) >= 1 and
                     s.get("fragmented", 0) >= 1 for s in (sh, sf))
            report("%s: engine sent frag-needed and fragmented" % tag, ok, "HA %s FA %s" % (sh, sf))
    finally:
        e_ha.close()
        e_fa.close()


def case_icmp_relay():
    """RFC 2003 section 4: ICMP errors from RT inside the tunnel, relayed by the HA."""
    # Datagram Too Big: RT's link to the FA has MTU 1400
    for r, dev in (("rt", "rt1"), ("fa", "fa1")):
        ip(r, "link", "set", dev, "mtu", "1400")
    try:
        for encap, _ in ENCAPS:
            tag = "%s relay" % encap
            e_ha, e_fa = setup_tunnel(encap, True)
            try:
                overhead = {"ipip": 20, "gre": 24, "minimal": 12}[encap]
                flush_pmtu()
                # 1476 bytes fit the HA's TUN (1476) but not RT's link once encapsulated
                n, out = ping("cn", MN, size=1476 - 28, df=True, count=2)
                m = re.search(r"Frag needed and DF set \(mtu = (\d+)\)|message too long, mtu=(\d+)", out)
                mtu = int(m.group(1) or m.group(2)) if m else 0
                report("%s: RT's frag-needed (1400) relayed to CN as 1400 - %d" % (tag, overhead),
                       mtu == 1400 - overhead, "mtu %d\n%s" % (mtu, out))
                # soft state: a fresh sender gets the HA's own frag-needed
                flush_pmtu()
                n, out = ping("cn", MN, size=1476 - 28, df=True, count=1)
                sh = e_ha.stats()
                report("%s: tunnel MTU soft state answers the next sender" % tag,
                       "mtu = %d" % (1400 - overhead) in out and sh.get("icmp_relayed", 0) >= 1 and
                       sh.get("icmp_sent", 0) >= 1, "%s\n%s" % (sh, out))
                # small packets still go, and so do large non-DF ones (fragmented)
                n, out = ping("cn", MN, count=2)
                n2, out2 = ping("cn", MN, size=1476 - 28, df=False, count=2)
                report("%s: traffic continues below the tunnel MTU" % tag, n == 2 and n2 == 2,
                       out + out2)
                # the FA's reverse tunnel learns its route MTU (1400) by itself
                flush_pmtu()
                n, out = ping("mn", CN, size=1476 - 28, df=True, count=2)
                report("%s: FA answers DF packets above its path MTU" % tag,
                       "mtu = %d" % (1400 - overhead) in out or
                       "mtu=%d" % (1400 - overhead) in out, out)
            finally:
                e_ha.close()
                e_fa.close()
    finally:
        for r, dev in (("rt", "rt1"), ("fa", "fa1")):
            ip(r, "link", "set", dev, "mtu", "1500")
    flush_pmtu()

    # Time Exceeded inside the tunnel (outer TTL 1): Host Unreachable to CN
    e_ha, e_fa = setup_tunnel("ipip", True, ["-t", "1"])
    try:
        n, out = ping("cn", MN, count=2)
        sh = e_ha.stats()
        report("ipip relay: Time Exceeded in the tunnel -> Host Unreachable from the HA",
               n == 0 and re.search(r"From %s .*Destination Host Unreachable" % HA_HOME, out) and
               sh.get("icmp_relayed", 0) >= 1, "%s\n%s" % (sh, out))
    finally:
        e_ha.close()
        e_fa.close()

    # Network Unreachable from RT (no route to the CoA): Host Unreachable,
    # because the MN's home address is on the HA's network (RFC 2003 4.1)
    e_ha, e_fa = setup_tunnel("ipip", False, remote="203.0.113.99")
    try:
        n, out = ping("cn", MN, count=2)
        sh = e_ha.stats()
        report("ipip relay: Net Unreachable in the tunnel -> Host Unreachable from the HA",
               n == 0 and re.search(r"From %s .*Destination Host Unreachable" % HA_HOME, out) and
               sh.get("icmp_relayed", 0) >= 1, "%s\n%s" % (sh, out))
    finally:
        e_ha.close()
        e_fa.close()


SCAPY_SEND = """
import sys
from scapy.all import IP, ICMP, GRE, Raw, send
kind = sys.argv[1]
inner = IP(src="%s", dst="%s")/ICMP(id=4242)/Raw(b"x" * 32)
if kind == "unknown-remote":
    p = IP(src="%s", dst="%s", proto=4)/inner
elif kind == "wrong-inner":
    p = IP(src="%s", dst="%s", proto=4)/IP(src="%s", dst="203.0.113.77")/ICMP()
else:  # a GRE key bit: RFC 2784 receivers without RFC 1701 discard it
    p = IP(src="%s", dst="%s", proto=47)/Raw(bytes.fromhex("20000800deadbeef"))/inner
send(p, verbose=0)
""" % (CN, MN, RT_FA, FA, HA, FA, CN, HA, FA)


def case_refused():
    e_ha, e_fa = setup_tunnel("ipip", True)
    try:
        script = os.path.join(tmpdir, "send.py")
        with open(script, "w") as f:
            f.write(SCAPY_SEND)
        # all from RT, which can spoof the HA's address on its link
        for kind, counter in (("unknown-remote", "decap_filtered"), ("wrong-inner", "decap_filtered"),
                              ("bad-gre", "decap_bad")):
            before = e_fa.stats()
            ns("rt", PY, script, kind)
            time.sleep(0.3)
            after = e_fa.stats()
            report("FA refuses %s (%s)" % (kind, counter),
                   after.get(counter, 0) == before.get(counter, 0) + 1 and
                   after.get("decap_pkts") == before.get("decap_pkts"), "%s -> %s" % (before, after))
        n, out = ping("cn", MN, count=2)
        report("tunnel still works after refused packets", n == 2, out)
    finally:
        e_ha.close()
        e_fa.close()


def main():
    if os.geteuid() != 0:
        print("FAIL test_utun: needs root")
        print("0 passed, 1 failed")
        return 1
    atexit.register(cleanup)
    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, on_signal)
    global DRIVER, tmpdir
    tmpdir = tempfile.mkdtemp(prefix="test_utun.")
    try:
        DRIVER = build_driver()
        topology()
        srv = start("mn", [PY, SELF, "--serve", str(PORT)], stdout=subprocess.PIPE, text=True)
        if not select.select([srv.stdout], [], [], 5)[0] or srv.stdout.readline().strip() != "ready":
            raise RuntimeError("echo server did not start")
        t0 = time.time()
        for encap, proto in ENCAPS:
            for reverse in (False, True):
                case_traffic(encap, proto, reverse)
        for encap, _ in ENCAPS:
            for engine_mtu in (False, True):
                case_large(encap, engine_mtu)
        case_icmp_relay()
        case_refused()
        print("# took %.1f s" % (time.time() - t0))
    except Exception as e:  # setup failures count as one failure
        import traceback
        traceback.print_exc()
        report("test_utun setup", False, str(e))
    finally:
        cleanup()
    print("%d passed, %d failed" % tuple(results))
    return 1 if results[1] else 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--serve":
        serve(int(sys.argv[2]))
    elif len(sys.argv) > 4 and sys.argv[1] == "--client":
        sys.exit(client(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    else:
        sys.exit(main())
