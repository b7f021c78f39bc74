#!/usr/bin/python3
"""Plumbing for the integration tests: network namespaces, the mipagent
daemon, mipreg, the control socket, hand-made registration messages and a
small test-case runner.

Everything happens inside namespaces named "mi<PID><role>" that this module
creates and removes (try/finally in the caller, plus atexit and signal
handlers here).  Only documentation addresses are used:

    NET ns  net0 198.51.100.2/24 (foreign agent) + 203.0.113.10/24 (co-located CoA)
      |  veth
    HA  ns  ha1  198.51.100.1/24                      mipagent runs here
            ha0  192.0.2.1/24    (home link, home agent address)
      |  veth
    CN  ns  cn0  192.0.2.10/24
"""
import atexit
import ctypes
import hashlib
import hmac
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
from ctlsock import ctl_request, file_tail

os.umask(0o027)     # mipagent refuses a configuration file others may read (keys)

NTP_UNIX_OFFSET = 2208988800

HA_ADDR = "192.0.2.1"          # configured home agent address (home link)
HA_NET_ADDR = "198.51.100.1"   # the home agent's address towards NET
FA_ADDR = "198.51.100.2"       # a foreign agent address (in NET)
CCOA = "203.0.113.10"          # a co-located care-of address (in NET)
CN_ADDR = "192.0.2.10"

CLONE_NEWNET = 0x40000000


def ntp_now():
    """Current time as a 64-bit NTP timestamp."""
    t = time.time()
    sec = int(t)
    return (sec + NTP_UNIX_OFFSET) << 32 | int((t - sec) * (1 << 32))


def ntp_seconds():
    return ntp_now() >> 32


def run(cmd, check=True, **kw):
    """Run a command (list); returns CompletedProcess with text output."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError("command failed (%d): %s\n%s%s" % (p.returncode, " ".join(cmd),
                                                            p.stdout, p.stderr))
    return p


# ---------------------------------------------------------------- messages

def auth_value(alg, key, data):
    """Authenticator over @data (the bytes the algorithm covers)."""
    if alg == "hmac-md5":
        return hmac.new(key, data, hashlib.md5).digest()
    if alg in ("keyed-md5", "rfc2002-md5"):
        return hashlib.md5(key + data + key).digest()
    raise ValueError(alg)


def append_auth(msg, ext_type, spi, alg, key):
    """Append a short-form authentication extension (32/33/34) to @msg."""
    hdr = struct.pack("!BBI", ext_type, 4 + 16, spi)
    if alg == "rfc2002-md5":        # RFC 2002: covers up to Type and Length only
        covered = msg + hdr[:2]
    else:                           # RFC 5944 §3.5.1: up to and including the SPI
        covered = msg + hdr
    return msg + hdr + auth_value(alg, key, covered)


def build_request(hoa, ha, coa, ident, lifetime=1800, flags=0, spi=256, key=b"", alg="hmac-md5",
                  before=b"", after=b"", fa=None):
    """A Registration Request: fixed part, @before, MN-HA ext, optional FA-HA
    ext (fa=(spi, key)), then @after (unauthenticated trailing bytes)."""
    m = struct.pack("!BBH4s4s4sQ", 1, flags, lifetime, socket.inet_aton(hoa),
                    socket.inet_aton(ha), socket.inet_aton(coa), ident)
    m += before
    m = append_auth(m, 32, spi, alg, key)
    if fa:
        m = append_auth(m, 34, fa[0], "hmac-md5", fa[1])
    return m + after


def parse_exts(p, off):
    """List of (type, offset, data) for the extensions from @off; raises
    ValueError on an overrun."""
    exts = []
    while off < len(p):
        t = p[off]
        if t == 0:
            exts.append((0, off, b""))
            off += 1
            continue
        if off + 2 > len(p):
            raise ValueError("truncated extension header at %d" % off)
        if t == 36:
            ln = struct.unpack("!H", p[off + 2:off + 4])[0]
            data = p[off + 4:off + 4 + ln]
            end = off + 4 + ln
        else:
            ln = p[off + 1]
            data = p[off + 2:off + 2 + ln]
            end = off + 2 + ln
        if end > len(p):
            raise ValueError("extension %d overruns the message" % t)
        exts.append((t, off, data))
        off = end
    return exts


def parse_reply(p):
    if len(p) < 20 or p[0] != 3:
        raise ValueError("not a registration reply: %s" % p.hex())
    code, life = p[1], struct.unpack("!H", p[2:4])[0]
    return {
        "code": code, "lifetime": life,
        "hoa": socket.inet_ntoa(p[4:8]), "ha": socket.inet_ntoa(p[8:12]),
        "id": struct.unpack("!Q", p[12:20])[0], "exts": parse_exts(p, 20), "raw": p,
    }


def verify_ext(p, exts, ext_type, spi, alg, key):
    """Does the first extension of @ext_type carry @spi and a valid authenticator?"""
    for t, off, data in exts:
        if t != ext_type:
            continue
        if len(data) != 20 or struct.unpack("!I", data[:4])[0] != spi:
            return False
        covered = p[:off + 2] if alg == "rfc2002-md5" else p[:off + 6]
        return hmac.compare_digest(auth_value(alg, key, covered), data[4:])
    return False


# ---------------------------------------------------------------- namespaces

_libc = ctypes.CDLL(None, use_errno=True)


class Lab:
    """The namespaces, the daemon and helpers to talk to it."""

    def __init__(self):
        top = os.environ.get("top_builddir") or os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                            "..", "..")
        self.top_builddir = os.path.abspath(top)
        self.mipagent = os.environ.get("MIPAGENT", os.path.join(self.top_builddir, "mipagent"))
        self.mipreg_bin = os.environ.get("MIPREG", os.path.join(self.top_builddir, "mipreg"))
        self.prefix = "mi%d" % os.getpid()
        self.ns = {r: self.prefix + r for r in ("ha", "net", "cn")}
        self.tmp = tempfile.mkdtemp(prefix="mipint.")
        # run copies, so a rebuild during the run cannot swap the programs under us
        self.mipagent = self._snapshot(self.mipagent)
        self.mipreg_bin = self._snapshot(self.mipreg_bin)
        self.daemon = None
        self.daemon_log = None
        self.sock_path = None
        self.conf_name = None
        self.procs = []             # other processes started (tshark...)
        self.up = False
        self._cleaned = False
        atexit.register(self.cleanup)
        for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(s, self._on_signal)

    def _snapshot(self, path):
        try:
            with open(path, "rb") as f:
                if f.read(4) != b"\x7fELF":    # e.g. a libtool wrapper script: use it in place
                    return path
            dst = os.path.join(self.tmp, os.path.basename(path))
            shutil.copy2(path, dst)
            return dst
        except OSError:
            return path

    def _on_signal(self, signo, frame):
        raise SystemExit(128 + signo)

    # -- topology
    def ip(self, *args, ns=None, check=True):
        cmd = ["ip"] + (["-n", self.ns[ns]] if ns else []) + list(args)
        return run(cmd, check=check)

    def sh(self, ns, *cmd, check=True, timeout=None):
        return run(["ip", "netns", "exec", self.ns[ns]] + list(cmd), check=check, timeout=timeout)

    def setup(self):
        for name in self.ns.values():           # stale ones from a reused PID
            run(["ip", "netns", "del", name], check=False)
        self.up = True
        for name in self.ns.values():
            run(["ip", "netns", "add", name])
            run(["ip", "-n", name, "link", "set", "lo", "up"])
        h, n, c = self.ns["ha"], self.ns["net"], self.ns["cn"]
        run(["ip", "link", "add", "net0", "netns", n, "type", "veth", "peer", "name", "ha1", "netns", h])
        run(["ip", "link", "add", "ha0", "netns", h, "type", "veth", "peer", "name", "cn0", "netns", c])
        self.ip("addr", "add", FA_ADDR + "/24", "dev", "net0", ns="net")
        self.ip("addr", "add", CCOA + "/24", "dev", "net0", ns="net")
        self.ip("addr", "add", HA_NET_ADDR + "/24", "dev", "ha1", ns="ha")
        self.ip("addr", "add", HA_ADDR + "/24", "dev", "ha0", ns="ha")
        self.ip("addr", "add", CN_ADDR + "/24", "dev", "cn0", ns="cn")
        for ns, dev in (("net", "net0"), ("ha", "ha1"), ("ha", "ha0"), ("cn", "cn0")):
            self.ip("link", "set", dev, "up", ns=ns)
        self.ip("route", "add", "192.0.2.0/24", "via", HA_NET_ADDR, ns="net")
        self.ip("route", "add", "203.0.113.0/24", "via", FA_ADDR, ns="ha")
        self.ip("route", "add", "default", "via", HA_ADDR, ns="cn")
        self.sh("ha", "sysctl", "-qw", "net.ipv4.ip_forward=1")
        deadline = time.time() + 5
        for ns, dev in (("net", "net0"), ("ha", "ha1"), ("ha", "ha0"), ("cn", "cn0")):
            while "LOWER_UP" not in self.ip("link", "show", dev, ns=ns).stdout:
                if time.time() > deadline:
                    raise RuntimeError("%s in %s never came up" % (dev, ns))
                time.sleep(0.02)

    def cleanup(self):
        if self._cleaned:
            return
        self._cleaned = True
        try:
            self.stop_daemon()
        except Exception:
            pass
        for p in self.procs:
            self._kill(p)
        if self.up:
            for name in self.ns.values():
                # processes still inside our namespaces were started by us
                pids = run(["ip", "netns", "pids", name], check=False).stdout.split()
                for pid in pids:
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (OSError, ValueError):
                        pass
                run(["ip", "netns", "del", name], check=False)
            self.up = False
        if os.environ.get("MIPINT_KEEP_TMP"):
            print("# kept %s" % self.tmp)
        else:
            run(["rm", "-rf", self.tmp], check=False)

    @staticmethod
    def _kill(p, sig=signal.SIGTERM, wait=3):
        if p.poll() is not None:
            return
        try:
            p.send_signal(sig)
            p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        except OSError:
            pass

    def ns_socket(self, ns, kind=socket.SOCK_DGRAM):
        """A socket created inside namespace @ns (setns there and back)."""
        orig = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open("/var/run/netns/" + self.ns[ns], os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            try:
                return socket.socket(socket.AF_INET, kind)
            finally:
                if _libc.setns(orig, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(orig)
            os.close(target)

    # -- daemon
    def start_daemon(self, name, body, general=""):
        """Write the configuration (<general> is added) and start mipagent in
        the HA namespace; returns once the control socket answers."""
        self.stop_daemon()
        self.conf_name = name
        self.sock_path = os.path.join(self.tmp, name + ".sock")
        conf = os.path.join(self.tmp, name + ".xml")
        with open(conf, "w") as f:
            f.write('<?xml version="1.0" encoding="UTF-8"?>\n<mipagent>\n'
                    '  <general log-level="debug" state-dir="%s" control-socket="%s" %s/>\n%s\n</mipagent>\n'
                    % (os.path.join(self.tmp, name + ".state"), self.sock_path, general, body))
        self.daemon_log = os.path.join(self.tmp, name + ".log")
        log = open(self.daemon_log, "w")
        self.daemon = subprocess.Popen(["ip", "netns", "exec", self.ns["ha"], self.mipagent, "-f",
                                        "-c", conf, "-d", "3"], stdout=log, stderr=log)
        log.close()
        deadline = time.time() + 5
        while True:
            if self.daemon.poll() is not None:
                raise RuntimeError("mipagent exited with %s:\n%s" % (self.daemon.returncode, self.log_tail()))
            try:
                code, _ = self.ctl("MIP/1 show summary", timeout=0.5)
                if code == 0:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("control socket never answered:\n" + self.log_tail())
            time.sleep(0.02)

    def stop_daemon(self):
        if self.daemon is not None:
            self._kill(self.daemon)
            self.daemon = None

    def daemon_alive(self):
        return self.daemon is not None and self.daemon.poll() is None

    def log_tail(self, n=15):
        return file_tail(self.daemon_log, n)

    # -- control socket
    def ctl(self, line, timeout=3.0):
        """Send one request; returns (end code, [record lines])."""
        return ctl_request(self.sock_path, line, timeout)

    def bindings(self, hoa=None):
        """The binding table (optionally one home address) as a list of dicts."""
        code, lines = self.ctl("MIP/1 show bindings" + (" " + hoa if hoa else ""))
        if code != 0:
            raise AssertionError("show bindings: END %d" % code)
        out = []
        for l in lines:
            if not l.startswith("binding "):
                raise AssertionError("unexpected control line %r" % l)
            d = dict(kv.split("=", 1) for kv in l.split()[1:])
            for k in ("lifetime", "remaining", "sport"):
                d[k] = int(d[k])
            d["flags"] = int(d["flags"], 16)
            d["id"] = int(d["id"], 16)
            out.append(d)
        return out

    # -- mipreg
    def mipreg(self, hoa, key, spi=256, ha=HA_ADDR, coa=None, src=None, ns="net", args=(),
               timeout=5):
        """Run mipreg -j in namespace @ns.  The source defaults to the care-of
        address when it is CCOA, else CCOA.  Returns (exit status, [replies])."""
        cmd = [self.mipreg_bin, "-j", "-H", hoa, "-a", ha, "-s", str(spi), "-k", key]
        if coa:
            cmd += ["-c", coa]
        if src is None and ns == "net":
            src = CCOA
        if src:
            cmd += ["-b", src]
        cmd += [str(a) for a in args]
        p = self.sh(ns, *cmd, check=False, timeout=timeout)
        replies = []
        for line in p.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                replies.append(json.loads(line))
        if p.returncode == 64:
            raise RuntimeError("mipreg usage error: %s %s" % (" ".join(cmd), p.stderr))
        return p.returncode, replies

    # -- raw exchange
    def exchange(self, payload, src=CCOA, dst=HA_ADDR, port=434, timeout=1.0, ns="net"):
        """Send @payload from @src in @ns; returns (reply bytes, (addr, port)) or (None, None)."""
        s = self.ns_socket(ns)
        try:
            s.bind((src, 0))
            s.settimeout(timeout)
            s.sendto(payload, (dst, port))
            try:
                data, frm = s.recvfrom(4096)
                return data, frm
            except socket.timeout:
                return None, None
        finally:
            s.close()


# ---------------------------------------------------------------- kill -9 checks

def verify_restored(hist, table, t_kill, t0, t1):
    """After kill -9 at @t_kill and a restart: every binding (or visitor)
    whose acceptance was seen (and has not expired) is back with its care-of
    address and remaining lifetime (+-1 s); nothing else is there but a
    request that got no reply before the kill (it may have been committed
    just before).  @hist: home address -> the requests sent for it, in order
    (id, coa, lifetime, t_send, t_recv, code); @table: home address -> the
    entry listed between @t0 and @t1 (coa, id, lifetime, remaining as ints).
    Returns (how many had to be back, problems)."""
    table = dict(table)
    problems = []
    must = 0
    for hoa, recs in hist.items():
        la = max([i for i, r in enumerate(recs) if r["code"] == 0], default=-1)
        cands = ([recs[la]] if la >= 0 else []) + [r for r in recs[la + 1:] if r["t_recv"] is None]
        b = table.pop(hoa, None)
        # a later request without reply may have replaced it, and expired since
        replaced_gone = any(t_kill + r["lifetime"] <= t1 + 1 for r in cands[1 if la >= 0 else 0:])
        if la >= 0 and recs[la]["t_send"] + recs[la]["lifetime"] > t1 + 1 and not replaced_gone:
            must += 1
            if b is None:
                problems.append("%s: accepted entry (coa %s, lifetime %d) lost" %
                                (hoa, recs[la]["coa"], recs[la]["lifetime"]))
                continue
        if b is None:
            continue
        c = [r for r in cands if r["id"] == b["id"]]
        if not c:
            problems.append("%s: restored entry %s matches no request that may have been "
                            "committed" % (hoa, b))
            continue
        c = c[0]
        granted_last = c["t_recv"] if c["t_recv"] is not None else t_kill
        # the true remaining time lies in [lo, hi]; the daemon shows it rounded up
        # to whole seconds; +-1 s of that is accepted
        lo = math.floor(c["lifetime"] - (t1 - c["t_send"])) - 1
        hi = math.ceil(c["lifetime"] - (t0 - granted_last)) + 1
        if b["coa"] != c["coa"] or b["lifetime"] != c["lifetime"] or not lo <= b["remaining"] <= hi:
            problems.append("%s: restored %s/%ds remaining %d, expected %s/%ds remaining %d-%d "
                            "(sent %.3f, reply %s, kill %.3f, listed %.3f-%.3f)"
                            % (hoa, b["coa"], b["lifetime"], b["remaining"], c["coa"],
                               c["lifetime"], lo, hi, c["t_send"],
                               "%.3f" % c["t_recv"] if c["t_recv"] else "none", t_kill, t0, t1))
    for hoa, b in table.items():
        if hoa not in hist:
            continue
        problems.append("%s: unexpected entry %s" % (hoa, b))
    return must, problems


# ---------------------------------------------------------------- test runner

class Failure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Runner:
    def __init__(self, lab):
        self.lab = lab
        self.passed = 0
        self.failed = 0

    def case(self, name, fn, *a):
        t0 = time.time()
        try:
            fn(*a)
        except Failure as e:
            self.fail(name, str(e))
        except Exception as e:          # a broken step is a failure too
            self.fail(name, "%s: %s" % (type(e).__name__, e))
            traceback.print_exc(file=sys.stdout)
        else:
            if self.lab.daemon is not None and not self.lab.daemon_alive():
                self.fail(name, "mipagent died (exit %s)" % self.lab.daemon.returncode)
            else:
                self.passed += 1
                print("PASS %s (%.1fs)" % (name, time.time() - t0), flush=True)
        if self.lab.daemon is not None and not self.lab.daemon_alive():
            print("# mipagent is gone (exit %s); log tail:\n%s" % (self.lab.daemon.returncode,
                                                                 self.lab.log_tail()), flush=True)

    def fail(self, name, reason):
        self.failed += 1
        print("FAIL %s: %s" % (name, reason.replace("\n", " | ")), flush=True)

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed else 0
