#!/usr/bin/python3
"""Integration tests of the security hardening: IPsec policies with peers
(their life cycle in `ip xfrm policy`, for the home agent and the foreign
agent), least privilege (capabilities and user in /proc/PID/status), the
refusal of a configuration file others may read, and a flood of bogus
requests from spoofed sources while legitimate nodes keep registering
(admission control, bounded memory and log volume).

Namespaces "ms<PID><role>", made and removed here (cleanup on every exit
path: try/finally, atexit, signals); all traffic stays inside them and uses
documentation addresses:

    MN  mn0 203.0.113.10/24 (co-located care-of address) + 192.0.2.100/32 (home address)
     |  veth
    FA  fa0 203.0.113.1/24   fa1 198.51.100.2/24      (foreign agent; the flood comes from here)
     |  veth
    HA  ha1 198.51.100.1/24  lo 192.0.2.1/24          (home agent)

No ESP or AH SA can be made on the kernels this runs on, so the policies use
level "use" where traffic must pass (the kernel lets traffic without an SA
through them) and "required" only where no traffic flows.

Run as root: /usr/bin/python3 tests/integration/test_security.py
(env: top_builddir; MIPINT_KEEP_TMP=1 keeps configurations and logs).
Prints "PASS name" / "FAIL name: reason" per case and "N passed, M failed".
"""
import atexit
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from ctlsock import DaemonIO

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mipnet import Failure, build_request, check, ntp_now, parse_reply  # noqa: E402

TOP = os.path.abspath(os.environ.get("top_builddir") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
MIPAGENT = os.environ.get("MIPAGENT", os.path.join(TOP, "mipagent"))
MIPREG = os.environ.get("MIPREG", os.path.join(TOP, "mipreg"))
MIPSTAT = os.path.join(TOP, "mipagentstat")
MIPFLOOD = os.path.join(TOP, "bench", "mipflood")
P = "ms%d" % os.getpid()
NS = {r: P + r for r in ("mn", "fa", "ha")}

HA = "192.0.2.1"
HA_NET = "198.51.100.1"
FA_NET = "198.51.100.2"
FA_COA = "203.0.113.1"
CCOA = "203.0.113.10"
HOA = "192.0.2.100"
K = "00112233445566778899aabbccddeeff"
K_FA = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
KB = bytes.fromhex(K)
CAPS = 0x3400           # CAP_NET_BIND_SERVICE, CAP_NET_ADMIN, CAP_NET_RAW

os.umask(0o027)
TMP = tempfile.mkdtemp(prefix="mipsec.")
os.chmod(TMP, 0o711)    # an unprivileged daemon reaches its own subdirectory


def _snapshot(path):
    """A private copy, so a rebuild during the run cannot swap a program under us."""
    try:
        with open(path, "rb") as f:
            if f.read(4) != b"\x7fELF":
                return path
        dst = os.path.join(TMP, "bin-" + os.path.basename(path))
        shutil.copy2(path, dst)
        os.chmod(dst, 0o755)
        return dst
    except OSError:
        return path


MIPAGENT, MIPREG, MIPSTAT, MIPFLOOD = (_snapshot(p) for p in (MIPAGENT, MIPREG, MIPSTAT, MIPFLOOD))
DAEMONS = []
_up = False
_cleaned = False


def run(cmd, check_rc=True, timeout=30, **kw):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout, **kw)
    if check_rc and p.returncode != 0:
        raise RuntimeError("%s: exit %d: %s%s" % (" ".join(cmd), p.returncode, p.stdout, p.stderr))
    return p


def nsx(ns, *cmd, check_rc=True, timeout=30):
    return run(["ip", "netns", "exec", NS[ns]] + [str(c) for c in cmd], check_rc, timeout)


def setup():
    global _up
    for n in NS.values():
        run(["ip", "netns", "del", n], check_rc=False)
    _up = True
    for n in NS.values():
        run(["ip", "netns", "add", n])
        run(["ip", "-n", n, "link", "set", "lo", "up"])
    run(["ip", "link", "add", "mn0", "netns", NS["mn"], "type", "veth", "peer", "name", "fa0",
         "netns", NS["fa"]])
    run(["ip", "link", "add", "fa1", "netns", NS["fa"], "type", "veth", "peer", "name", "ha1",
         "netns", NS["ha"]])
    for ns, args in (("mn", "addr add 203.0.113.10/24 dev mn0"), ("mn", "addr add 192.0.2.100/32 dev mn0"),
                     ("fa", "addr add 203.0.113.1/24 dev fa0"), ("fa", "addr add 198.51.100.2/24 dev fa1"),
                     ("ha", "addr add 198.51.100.1/24 dev ha1"), ("ha", "addr add 192.0.2.1/24 dev lo"),
                     ("mn", "link set mn0 up"), ("fa", "link set fa0 up"), ("fa", "link set fa1 up"),
                     ("ha", "link set ha1 up"),
                     ("mn", "route add default via 203.0.113.1"),
                     ("fa", "route add 192.0.2.0/24 via 198.51.100.1"),
                     ("ha", "route add 203.0.113.0/24 via 198.51.100.2")):
        run(["ip", "-n", NS[ns]] + args.split())
    nsx("fa", "sysctl", "-qw", "net.ipv4.ip_forward=1")
    deadline = time.time() + 5
    for ns, dev in (("mn", "mn0"), ("fa", "fa0"), ("fa", "fa1"), ("ha", "ha1")):
        while "LOWER_UP" not in run(["ip", "-n", NS[ns], "link", "show", dev]).stdout:
            check(time.time() < deadline, "%s never came up" % dev)
            time.sleep(0.02)


def cleanup():
    global _up, _cleaned
    if _cleaned:
        return
    _cleaned = True
    for d in DAEMONS:
        d.stop()
    if _up:
        for n in NS.values():
            for pid in run(["ip", "netns", "pids", n], check_rc=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (OSError, ValueError):
                    pass
            run(["ip", "netns", "del", n], check_rc=False)
        _up = False
    if os.environ.get("MIPINT_KEEP_TMP"):
        print("# kept %s" % TMP)
    else:
        shutil.rmtree(TMP, ignore_errors=True)


def _on_signal(signo, frame):
    raise SystemExit(128 + signo)


atexit.register(cleanup)
for _s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_s, _on_signal)


class Daemon(DaemonIO):
    """mipagent in namespace @ns with its own directory (configuration,
    state, control socket, log)."""

    def __init__(self, ns, name):
        self.ns, self.name = ns, name
        self.dir = os.path.join(TMP, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "mipagent.xml")
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.state = os.path.join(self.dir, "state")
        self.log = os.path.join(self.dir, "mipagent.log")
        self.p = None
        DAEMONS.append(self)

    def write(self, body, general="", mode=0o600, loglevel="debug"):
        with open(self.conf, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n<mipagent>\n'
                    '  <general log-level="%s" state-dir="%s" control-socket="%s" %s/>\n%s\n'
                    '</mipagent>\n' % (loglevel, self.state, self.sock, general, body))
        os.chmod(self.conf, mode)

    def spawn(self, level=3):
        logf = open(self.log, "a")
        self.p = subprocess.Popen(["ip", "netns", "exec", NS[self.ns], MIPAGENT, "-f", "-d", str(level),
                                   "-c", self.conf], stdout=logf, stderr=logf, stdin=subprocess.DEVNULL)
        logf.close()
        return self.p

    def start(self, body, general="", level=3, mode=0o600):
        self.stop()
        self.write(body, general, mode, "debug" if level >= 3 else "info")
        self.spawn(level)
        deadline = time.time() + 8
        while True:
            check(self.p.poll() is None, "mipagent %s exited %s:\n%s" % (self.name, self.p.returncode,
                                                                       self.tail()))
            try:
                if self.ctl("MIP/1 show summary", timeout=0.5)[0] == 0:
                    return
            except OSError:
                pass
            check(time.time() < deadline, "control socket of %s never answered:\n%s" % (self.name, self.tail()))
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(sig)
            try:
                self.p.wait(8)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.p = None

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def records(self, what):
        code, lines = self.ctl("MIP/1 show " + what)
        check(code == 0, "show %s: END %d" % (what, code))
        return [dict(kv.split("=", 1) for kv in l.split()[1:]) for l in lines]

    def counters(self):
        return {r["key"]: int(r["value"]) for r in self.records("counters")}

    def status(self):
        with open("/proc/%d/status" % self.p.pid) as f:
            return dict(l.split(":", 1) for l in f.read().splitlines() if ":" in l)


def policies(ns):
    """`ip xfrm policy` in @ns as a list of one-line strings (dir, selector, template)."""
    out = nsx(ns, "ip", "xfrm", "policy").stdout
    pols, cur = [], None
    for line in out.splitlines():
        if line.startswith("src "):
            cur = line.strip()
            pols.append(cur)
        elif cur is not None:
            pols[-1] += " " + line.strip()
    return pols


def wait_for(fn, what, timeout=5.0):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        check(time.time() < deadline, "timed out waiting for %s" % what)
        time.sleep(0.1)


def policy_count(ns, want, timeout=5.0):
    got = []

    def ok():
        got[:] = policies(ns)
        return len(got) == want
    try:
        wait_for(ok, "%d policies" % want, timeout)
    except Failure:
        raise Failure("expected %d policies in %s, got %d: %s" % (want, ns, len(got), " | ".join(got)))
    return got


def has(pols, *parts):
    return [p for p in pols if all(x in p for x in parts)]


def mipreg(ns, hoa, *args, timeout=10):
    p = nsx(ns, MIPREG, "-j", "-H", hoa, "-a", HA, "-s", 256, "-k", K, *args, check_rc=False,
            timeout=timeout)
    replies = [json.loads(l) for l in p.stdout.splitlines() if l.strip().startswith("{")]
    return p.returncode, replies


def accepted(rc_replies, what):
    rc, replies = rc_replies
    check(rc == 0 and replies and replies[-1].get("code") == 0, "%s not accepted: %s" % (what, replies))


def via_fa(hoa, *args):
    """A registration relayed by the peer: from 198.51.100.2 with FA-HA, care-of address the FA's."""
    return mipreg("fa", hoa, "-c", FA_COA, "-b", FA_NET, "--fa-spi", 500, "--fa-key", K_FA, *args)


HA_BODY = '''  <home-agent address="192.0.2.1" home-network="192.0.2.0/24" max-bindings="4">
    <mobile-node first="192.0.2.20" last="192.0.2.250">
      <security-association spi="256" key="%s"/>
    </mobile-node>
  </home-agent>''' % K

PEER_FA = '''  <peer address="198.51.100.2">
    <security-association spi="500" key="%s"/>
    <ipsec>
      <registration-request level="use" reqid="7"/>
      <registration-reply level="use"/>
      <forward-tunnel mode="tunnel" algorithms="aes-cbc hmac-sha256"/>
      <reverse-tunnel level="use" protocol="ah"/>
    </ipsec>
  </peer>''' % K_FA


# ---------------------------------------------------------------- cases

def t_conf_mode_refused():
    d = Daemon("ha", "mode")
    d.write(HA_BODY, mode=0o644)
    p = d.spawn()
    try:
        rc = p.wait(8)
    except subprocess.TimeoutExpired:
        raise Failure("mipagent started with a world-readable configuration")
    text = d.text()
    check(rc == 1, "exit status %s, expected 1" % rc)
    check("others may read it (mode 0644): refusing to start" in text, "no clear message: %s" % text[-500:])
    # checking the file is still allowed (-n), and 0640 starts
    r = run([MIPAGENT, "-n", "-c", d.conf], check_rc=False)
    check(r.returncode == 0, "mipagent -n refused a readable file: %s" % r.stderr)
    os.chmod(d.conf, 0o640)
    d.start(HA_BODY, mode=0o640)
    d.stop()


def t_caps_root():
    d = Daemon("ha", "caps")
    d.start(HA_BODY)
    st = d.status()
    for k in ("CapEff", "CapPrm", "CapBnd"):
        check(int(st[k], 16) == CAPS, "%s %s, expected %x" % (k, st[k].strip(), CAPS))
    check(int(st["CapInh"], 16) == 0 and int(st["CapAmb"], 16) == 0, "inheritable/ambient: %s" % st)
    check(st["NoNewPrivs"].strip() == "1", "NoNewPrivs %s" % st["NoNewPrivs"])
    check(st["Uid"].split() == ["0"] * 4, "Uid %s" % st["Uid"])
    accepted(mipreg("mn", "192.0.2.20", "-c", CCOA, "-b", CCOA, "-l", 60), "registration")
    d.stop()


def t_caps_user():
    nobody = pwd.getpwnam("nobody")
    d = Daemon("ha", "user")
    os.chown(d.dir, nobody.pw_uid, nobody.pw_gid)      # so the file can be written back
    d.start(HA_BODY, general='user="nobody"')
    st = d.status()
    check(st["Uid"].split() == [str(nobody.pw_uid)] * 4, "Uid %s" % st["Uid"])
    check(st["Gid"].split() == [str(nobody.pw_gid)] * 4, "Gid %s" % st["Gid"])
    for k in ("CapEff", "CapPrm"):
        check(int(st[k], 16) == CAPS, "%s %s, expected %x" % (k, st[k].strip(), CAPS))
    check(os.stat(d.state).st_uid == nobody.pw_uid, "the state directory is not the user's")
    # the daemon still works: registration (state written), routes (net_admin)
    accepted(mipreg("mn", "192.0.2.21", "-c", CCOA, "-b", CCOA, "-l", 60), "registration")
    # a run-time change is written back, keeping the file's mode
    code, lines = d.ctl("MIP/1 add sa 192.0.2.20 300 key %s" % K_FA)
    check(code == 0, "add sa as user nobody: END %d %s" % (code, lines))
    st_conf = os.stat(d.conf)
    check(st_conf.st_mode & 0o777 == 0o600, "mode after write-back %o" % (st_conf.st_mode & 0o777))
    check(st_conf.st_uid == nobody.pw_uid, "owner after write-back %d" % st_conf.st_uid)
    check('spi="300"' in open(d.conf).read(), "the new SA is not in the file")
    # a reload works, and is refused once others may read the file
    code, _ = d.ctl("MIP/1 reload")
    check(code == 0, "reload as user nobody: END %d" % code)
    os.chmod(d.conf, 0o644)
    code, lines = d.ctl("MIP/1 reload")
    check(code == 1 and any("others may read" in l for l in lines),
          "reload of a readable file: END %d %s" % (code, lines))
    os.chmod(d.conf, 0o600)
    check(d.alive(), "the daemon died")
    d.stop()


def t_xfrm_home_agent():
    d = Daemon("ha", "xha")
    d.start(HA_BODY + "\n" + PEER_FA)
    pols = policy_count("ha", 1)
    check(has(pols, "src 198.51.100.2/32", "dst 192.0.2.1/32", "proto udp dport 434", "dir in",
              "priority 1434", "reqid 7", "level use"), "start-up policy: %s" % pols)
    # first node through the peer, reverse tunnelling: reply, forward (tunnel mode), reverse
    accepted(via_fa("192.0.2.30", "-F", "T", "-l", 300), "node 30 via the peer")
    pols = policy_count("ha", 4)
    check(has(pols, "dst 198.51.100.2/32", "sport 434", "dir out"), "no reply policy: %s" % pols)
    check(has(pols, "dst 203.0.113.1/32", "proto ipencap", "dir out", "tmpl src 192.0.2.1 dst 203.0.113.1",
              "mode tunnel"), "no forward tunnel policy: %s" % pols)
    check(has(pols, "src 203.0.113.1/32", "proto ipencap", "dir in", "proto ah"),
          "no reverse tunnel policy: %s" % pols)
    # a second node with GRE, no reverse tunnelling: one more forward policy
    accepted(via_fa("192.0.2.31", "-F", "G", "-l", 300), "node 31 via the peer")
    pols = policy_count("ha", 5)
    check(has(pols, "proto gre", "dir out"), "no GRE forward policy: %s" % pols)
    # a co-located node (not through the peer) adds nothing
    accepted(mipreg("mn", "192.0.2.32", "-c", CCOA, "-b", CCOA, "-l", 300), "co-located node")
    policy_count("ha", 5)
    peers = d.records("peers")
    check(len(peers) == 1 and peers[0]["bindings"] == "2" and peers[0]["tunnels"] == "2" and
          peers[0]["policies"] == "5" and peers[0]["forward"] == "2", "show peers: %s" % peers)
    p = run([MIPSTAT, "-s", d.sock, "peers"])
    check("198.51.100.2" in p.stdout and "request,reply,forward,reverse" in p.stdout,
          "mipagentstat peers: %s" % p.stdout)
    doc = json.loads(run([MIPSTAT, "-s", d.sock, "-j", "peers"]).stdout)
    check(doc["peers"][0]["address"] == FA_NET, "mipagentstat -j peers: %s" % doc)
    # node 30 leaves: its tunnel policies go, the reply policy stays for node 31
    accepted(via_fa("192.0.2.30", "-l", 0), "deregistration of 30")
    pols = policy_count("ha", 3)
    check(not has(pols, "proto ipencap"), "IP-in-IP policies left: %s" % pols)
    # node 31 leaves: the reply policy goes once the grace period is over
    accepted(via_fa("192.0.2.31", "-l", 0), "deregistration of 31")
    policy_count("ha", 2)
    policy_count("ha", 1, timeout=15)
    c = d.counters()
    check(c["xfrm-policies-added"] == 5 and c["xfrm-policies-removed"] == 4 and c["xfrm-errors"] == 0,
          "xfrm counters %s" % {k: v for k, v in c.items() if k.startswith("xfrm")})
    d.stop()
    policy_count("ha", 0)


def t_xfrm_crash_leftovers():
    d = Daemon("ha", "xcrash")
    d.start(HA_BODY + "\n" + PEER_FA)
    accepted(via_fa("192.0.2.40", "-F", "T", "-l", 600), "node 40 via the peer")
    policy_count("ha", 4)
    d.stop(signal.SIGKILL)
    policy_count("ha", 4)           # a crash leaves them
    d.spawn()
    wait_for(lambda: "removed 4 leftover policies" in d.text(), "leftover cleanup", 8)
    wait_for(lambda: d.ctl("MIP/1 show summary", timeout=0.5)[0] == 0, "control socket", 8)
    # the restored binding has its policies again
    pols = policy_count("ha", 4)
    check(has(pols, "dst 203.0.113.1/32", "dir out"), "forward policy not restored: %s" % pols)
    d.stop()
    policy_count("ha", 0)


FA_BODY = '''  <foreign-agent>
    <interface name="fa0"><care-of-address address="203.0.113.1"/></interface>
  </foreign-agent>
  <peer address="192.0.2.1">
    <security-association spi="500" key="%s"/>
    <ipsec local-address="203.0.113.1">
      <registration-request level="use"/>
      <registration-reply level="use" protocol="ah"/>
      <forward-tunnel level="use" mode="tunnel"/>
      <reverse-tunnel level="use"/>
    </ipsec>
  </peer>''' % K_FA


def t_xfrm_foreign_agent():
    ha = Daemon("ha", "xfa-ha")
    # the foreign agent relays from its care-of address
    ha.start(HA_BODY + '''
  <peer address="203.0.113.1"><security-association spi="500" key="%s"/></peer>''' % K_FA)
    fa = Daemon("fa", "xfa-fa")
    fa.start(FA_BODY)
    policy_count("fa", 0)
    # the mobile node registers through the foreign agent, reverse tunnelling
    rc, rr = mipreg("mn", HOA, "-c", FA_COA, "-d", FA_COA, "-b", HOA, "-F", "T", "-l", 300)
    check(rc == 0 and rr and rr[-1]["code"] == 0, "registration through the FA: %s\n%s" % (rr, fa.tail()))
    pols = policy_count("fa", 4)
    check(has(pols, "dst 192.0.2.1/32", "dport 434", "dir out"), "no request policy: %s" % pols)
    check(has(pols, "src 192.0.2.1/32", "sport 434", "dir in", "proto ah"), "no reply policy: %s" % pols)
    check(has(pols, "src 192.0.2.1/32", "proto ipencap", "dir in", "mode tunnel"), "no forward policy: %s" % pols)
    check(has(pols, "dst 192.0.2.1/32", "proto ipencap", "dir out"), "no reverse policy: %s" % pols)
    check(fa.records("peers")[0]["visitors"] == "1", "show peers: %s" % fa.records("peers"))
    # deregistration: the visitor goes, with its tunnel policies; the
    # request/reply ones after the grace period
    rc, rr = mipreg("mn", HOA, "-c", FA_COA, "-d", FA_COA, "-b", HOA, "-l", 0)
    check(rc == 0, "deregistration through the FA: %s" % rr)
    policy_count("fa", 2)
    policy_count("fa", 0, timeout=15)
    fa.stop()
    ha.stop()


def register_round(sock, hoas, tries=3, wait=1.0):
    """Register every home address once from @sock, retransmitting up to
    @tries times; returns (accepted on the first try, accepted at all)."""
    pending = {}
    first = done = 0
    last_id = [ntp_now()]

    def send(h):
        last_id[0] = max(ntp_now(), last_id[0] + 1)
        pending[h] = (last_id[0], time.time(), pending.get(h, (0, 0, 0))[2] + 1)
        sock.sendto(build_request(h, HA, CCOA, last_id[0], lifetime=120, key=KB), (HA, 434))

    for h in hoas:
        send(h)
    while pending:
        sock.settimeout(0.05)
        try:
            data, _ = sock.recvfrom(4096)
            r = parse_reply(data)
            ent = pending.get(r["hoa"])
            if ent and (r["id"] & 0xffffffff) == (ent[0] & 0xffffffff) and r["code"] == 0:
                done += 1
                first += ent[2] == 1
                del pending[r["hoa"]]
        except socket.timeout:
            pass
        now = time.time()
        for h, (i, t, n) in list(pending.items()):
            if now - t > wait:
                if n >= tries:
                    del pending[h]
                else:
                    send(h)
    return first, done


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def t_flood():
    if not os.access(MIPFLOOD, os.X_OK):
        raise Failure("%s is not built (make)" % MIPFLOOD)
    d = Daemon("ha", "flood")
    d.start(HA_BODY + '''
  <limits source-rate="5" source-burst="10" rate="500" burst="1000" max-sources="64" log-rate="5"
      log-burst="10"/>''', level=2)
    hoas = ["192.0.2.%d" % i for i in range(20, 220)]
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    orig = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/var/run/netns/" + NS["mn"], os.O_RDONLY)
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        libc.setns(target, 0x40000000)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.bind((CCOA, 0))
    finally:
        libc.setns(orig, 0x40000000)
        os.close(orig)
        os.close(target)
    try:
        first, done = register_round(s, hoas)
        check(done == len(hoas), "only %d of %d nodes registered before the flood" % (done, len(hoas)))
        rss0 = rss_kb(d.p.pid)
        lines0 = len(d.text().splitlines())
        flood = subprocess.Popen(["ip", "netns", "exec", NS["fa"], MIPFLOOD, "-d", HA, "-H", "192.0.2.20",
                                  "-n", "200", "-t", "6", "-x", FA_NET, "-x", FA_COA, "-x", CCOA, "-x", HA_NET],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            time.sleep(0.5)
            results = [register_round(s, hoas) for _ in range(3)]
        finally:
            out, err = flood.communicate(timeout=20)
        print("# flood: %s; legit rounds (first try, accepted) of %d: %s" % (out.strip() or err.strip(),
                                                                            len(hoas), results), flush=True)
        check(flood.returncode == 0, "mipflood failed: %s" % err)
        check(all(dn == len(hoas) for _, dn in results),
              "legitimate nodes lost their registration during the flood: %s" % results)
        check(d.alive(), "mipagent died during the flood")
        time.sleep(1.2)
        c = d.counters()
        dropped = c["rl-dropped-source"] + c["rl-dropped-global"]
        print("# counters: %s" % {k: v for k, v in c.items() if v and (k.startswith("rl-") or
                                                                     k.startswith("log-") or
                                                                     k in ("sec-total-violations",))},
              flush=True)
        check(dropped > 0 and c["rl-sources-evicted"] > 0, "admission control did not act: %s" % c)
        check(c["log-suppressed"] > 0, "no log line was suppressed: %s" % c)
        rss1 = rss_kb(d.p.pid)
        check(rss1 - rss0 < 32 * 1024, "memory grew from %d to %d kB" % (rss0, rss1))
        new_lines = d.text().splitlines()[lines0:]
        # 5 lines/s for about 7 s, a burst of 10, the summaries and a few others
        check(len(new_lines) < 120, "%d log lines during the flood:\n%s" % (len(new_lines),
                                                                        "\n".join(new_lines[-10:])))
        wait_for(lambda: "suppressed" in d.text(), "the suppressed-lines summary", 12)
        print("# RSS %d -> %d kB, %d log lines during the flood" % (rss0, rss1, len(new_lines)), flush=True)
    finally:
        s.close()
        d.stop()


CASES = [
    ("conf-mode-refused", t_conf_mode_refused),
    ("capabilities-root", t_caps_root),
    ("capabilities-user", t_caps_user),
    ("xfrm-home-agent-life-cycle", t_xfrm_home_agent),
    ("xfrm-crash-leftovers", t_xfrm_crash_leftovers),
    ("xfrm-foreign-agent-life-cycle", t_xfrm_foreign_agent),
    ("flood-legitimate-nodes-served", t_flood),
]


def main():
    passed = failed = 0
    try:
        setup()
        for name, fn in CASES:
            t0 = time.time()
            try:
                fn()
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (name, str(e).replace("\n", " | ")), flush=True)
            except Exception as e:          # a broken step is a failure too
                failed += 1
                print("FAIL %s: %s: %s" % (name, type(e).__name__, str(e).replace("\n", " | ")), flush=True)
                traceback.print_exc(file=sys.stdout)
            else:
                passed += 1
                print("PASS %s (%.1fs)" % (name, time.time() - t0), flush=True)
            finally:
                for d in DAEMONS:
                    d.stop()
    except Exception as e:
        failed += 1
        print("FAIL setup: %s" % e, flush=True)
        traceback.print_exc(file=sys.stdout)
    finally:
        cleanup()
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
