#!/usr/bin/python3
"""Integration tests of the SNMP subagent: a real snmpd runs as AgentX master
in the home agent's namespace (unix AgentX socket in the test's temp dir,
SNMP on 127.0.0.1 there), snmptrapd next to it receives the notifications,
mipagent connects with <snmp agentx-socket=...>, nodes register with mipreg
and hand-made requests from the NET namespace, and the MIP-MIB is read back
with snmpget/snmpwalk/snmpbulkwalk, numerically (-m "") and by name with
mib/MIP-MIB.txt, and compared with what `mipagentstat -j` shows.

SETs (community "private"): every writable object takes effect on the live
agent (a new SA lets a node register, mipEnable disabled(2) drops
registrations and advertisements, a destroyed maAdvConfigTable row stops the
advertisements, faCOATable rows change the care-of addresses advertised),
survives a restart (the file changed and `mipagent -n -v` shows it), and bad
sets are refused with RFC 3416's error and change nothing.  The foreign agent
cases run in a second lab (falab.py: mobile node, foreign agent with snmpd
and the subagent, home agent), the advertisements are received in the mobile
node's namespace.

Run as root: /usr/bin/python3 tests/integration/test_snmp.py [CASE...]
(env: top_builddir, top_srcdir; MIPINT_KEEP_TMP=1 keeps logs).  The base MIB
modules for the named walks come from ../shared/ref/mib/netsnmp-5.9.3 next to
the source tree, or MIP_REF_MIB.  Prints "PASS name" / "FAIL name: reason"
and "N passed, M failed" last; exit status 1 on any failure.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mipnet import CCOA, FA_ADDR, HA_ADDR, Lab, Runner, build_request, check, ntp_now, parse_reply  # noqa: E402

K = "00112233445566778899aabbccddeeff"
KB = bytes.fromhex(K)
K_NONCE = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
WRONG = "deadbeefdeadbeefdeadbeefdeadbeef"
PING = 2                                    # <snmp ping-interval>
SNMP_PORT = 11161
TRAP_PORT = 11162
MIP = ".1.3.6.1.2.1.44.1"
BIND = MIP + ".6.3.1.1"                     # haMobilityBindingEntry
CTR = MIP + ".6.3.2.1"                      # haCounterEntry
HAREG = MIP + ".6.3"                        # haRegistration
SA = MIP + ".2.1.1"                         # mipSecAssocEntry
AUTH_FAILURE = ".1.3.6.1.2.1.44.2.0.1"      # mipAuthFailure

SRC = os.path.abspath(os.environ.get("top_srcdir") or
                      os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
REF_MIB = os.environ.get("MIP_REF_MIB", os.path.join(SRC, "..", "shared", "ref", "mib"))
MIB_PATH = "%s:%s" % (os.path.join(SRC, "mib"), os.path.join(REF_MIB, "netsnmp-5.9.3"))

lab = Lab()
R = Runner(lab)
AGENTX = os.path.join(lab.tmp, "agentx.sock")
PERSIST = os.path.join(lab.tmp, "snmp-persist")
MIPAGENTSTAT = lab._snapshot(os.path.join(lab.top_builddir, "mipagentstat"))

CONF = '''  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24"
      max-registration-lifetime="1800" max-bindings="3">
    <care-of-access default="permit">
      <deny network="203.0.113.128/25"/>
    </care-of-access>
    <mobile-node first="192.0.2.20" last="192.0.2.79">
      <security-association spi="256" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.104">
      <security-association spi="260" algorithm="keyed-md5" replay-method="nonces" key="%s"/>
      <security-association spi="261" algorithm="rfc2002-md5" key="%s"/>
    </mobile-node>
  </home-agent>
  <peer address="198.51.100.2">
    <security-association spi="500" key="%s"/>
  </peer>
  <snmp agentx-socket="%s" ping-interval="%d"/>''' % (K, K_NONCE, K_NONCE, K, AGENTX, PING)

snmpd = {"proc": None}
trapd = {"proc": None, "log": os.path.join(lab.tmp, "snmptrapd.log")}


# ---------------------------------------------------------------- snmpd and tools

# where the SNMP tools run: the home agent's lab, then the foreign agent's
SNMPCTX = {"ns": None, "persist": PERSIST, "confdir": os.path.join(lab.tmp, "snmpconf")}


def snmp_ns():
    return SNMPCTX["ns"] or lab.ns["ha"]


def snmp_env():
    env = dict(os.environ)
    env["SNMP_PERSISTENT_DIR"] = SNMPCTX["persist"]
    env["SNMPCONFPATH"] = SNMPCTX["confdir"]     # no system snmp.conf
    env["MIBS"] = ""
    return env


def start_snmpd():
    conf = os.path.join(lab.tmp, "snmpd.conf")
    with open(conf, "w") as f:
        f.write("master agentx\nagentXSocket unix:%s\nagentXPerms 0660 0770\n"
                "agentXTimeout 2\nagentXRetries 1\n"
                "rocommunity public 127.0.0.1\nrwcommunity private 127.0.0.1\n"
                "trap2sink 127.0.0.1:%d public\n" % (AGENTX, TRAP_PORT))
    log = open(os.path.join(lab.tmp, "snmpd.log"), "a")
    p = subprocess.Popen(["ip", "netns", "exec", lab.ns["ha"], "snmpd", "-f", "-Lo", "-C", "-c", conf,
                          "-m", "", "udp:127.0.0.1:%d" % SNMP_PORT],
                         stdout=log, stderr=log, env=snmp_env())
    log.close()
    lab.procs.append(p)
    snmpd["proc"] = p
    deadline = time.time() + 5
    while not os.path.exists(AGENTX):
        if p.poll() is not None or time.time() > deadline:
            raise RuntimeError("snmpd did not start")
        time.sleep(0.05)


def stop_snmpd(sig=signal.SIGTERM):
    p = snmpd["proc"]
    if p and p.poll() is None:
        p.send_signal(sig)
        p.wait(5)
    snmpd["proc"] = None


def start_trapd():
    conf = os.path.join(lab.tmp, "snmptrapd.conf")
    with open(conf, "w") as f:
        f.write("authCommunity log public\nformat2 TRAP %V\\n%v\\n\n")
    out = open(trapd["log"], "w")
    p = subprocess.Popen(["ip", "netns", "exec", lab.ns["ha"], "snmptrapd", "-f", "-n", "-Lo", "-C",
                          "-c", conf, "-m", "", "-On", "udp:127.0.0.1:%d" % TRAP_PORT],
                         stdout=out, stderr=out, env=snmp_env())
    out.close()
    lab.procs.append(p)
    trapd["proc"] = p


def snmp(tool, *args, named=False, check_rc=True, timeout=60, tmo="2"):
    """Run an SNMP client in the HA namespace (@tmo: its request timeout);
    returns stdout lines."""
    mib = ["-M", MIB_PATH, "-m", "MIP-MIB"] if named else ["-m", ""]
    opts = [a for a in args if a.startswith("-")]
    oids = [a for a in args if not a.startswith("-")]
    cmd = [tool, "-v2c", "-c", "public", "-r", "0", "-t", tmo] + mib + opts + \
        ["127.0.0.1:%d" % SNMP_PORT] + oids
    p = subprocess.run(["ip", "netns", "exec", snmp_ns()] + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=snmp_env(), timeout=timeout)
    if check_rc and p.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr.strip()))
    if named and p.stderr.strip():
        raise AssertionError("%s: MIB warnings: %s" % (tool, p.stderr.strip()[:300]))
    return [l for l in p.stdout.splitlines() if l.strip()]


VALUE = re.compile(r"^(\S+) = (?:([\w-]+): )?(.*)$")


def walk(oid, tool="snmpwalk", extra=()):
    """Numeric walk: {oid: (type, value)} in order (OrderedDict semantics)."""
    out = {}
    for l in snmp(tool, "-Onx", *extra, oid):
        m = VALUE.match(l)
        check(m, "cannot parse %r" % l)
        typ, val = m.group(2) or "", m.group(3).strip()
        if typ == "Timeticks":          # "(497) 0:00:04.97"
            val = re.match(r"\((\d+)\)", val).group(1)
        out[m.group(1)] = (typ, val)
    return out


def wait_connected(timeout):
    """Seconds until the subagent answers through snmpd, or raise."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        try:
            lines = snmp("snmpget", "-On", MIP + ".1.2.0", check_rc=False, timeout=5, tmo="0.2")
            if lines and "INTEGER: " in lines[0]:
                return time.time() - t0
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.05)
    raise AssertionError("the subagent did not answer within %.1f s: %s" % (timeout, lab.log_tail()))


def stat(what):
    p = subprocess.run([MIPAGENTSTAT, "-s", lab.sock_path, "-j", what], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0, "mipagentstat %s: %s" % (what, p.stderr))
    return json.loads(p.stdout)[what]


def addr_oid(a):
    return "." + a if not a.startswith(".") else a


def reg_flags_bits(wire):
    """RegistrationFlags BITS octet from the request flags (see snmp/mib.c)."""
    bits = 0
    for w, b in ((0x04, 0x80), (0x08, 0x40), (0x10, 0x20), (0x20, 0x10), (0x40, 0x08), (0x80, 0x04)):
        if wire & w:
            bits |= b
    return bits


def int32(v):
    v &= 0xffffffff
    return v - (1 << 32) if v & 0x80000000 else v


# ---------------------------------------------------------------- registrations

class Sender:
    """Hand-made, correctly signed requests from the NET namespace."""

    def __init__(self):
        self.last_id = {}

    def send(self, hoa, coa=CCOA, lifetime=1800, flags=0, key=KB, spi=256, timeout=1.0):
        ident = max(ntp_now(), self.last_id.get(hoa, 0) + 1)
        self.last_id[hoa] = ident
        msg = build_request(hoa, HA_ADDR, coa, ident, lifetime=lifetime, flags=flags, spi=spi, key=key)
        t0 = time.time()
        data, _ = lab.exchange(msg, src=CCOA, timeout=timeout)
        rtt = time.time() - t0
        return (parse_reply(data) if data else None), rtt


S = Sender()


def populate():
    """Bindings and counters of a known shape."""
    for i, flags in enumerate((0x00, 0x08, 0x10 | 0x02, 0x80 | 0x40, 0x20)):
        hoa = "192.0.2.%d" % (20 + i)
        r, _ = S.send(hoa, flags=flags)
        check(r and r["code"] == 0, "registration of %s: %s" % (hoa, r))
    # a second binding (S bit) for .20 and a denied care-of address for .21
    r, _ = S.send("192.0.2.20", coa=FA_ADDR, flags=0x80)
    check(r and r["code"] == 0, "second binding: %s" % r)
    r, _ = S.send("192.0.2.21", coa="203.0.113.200")
    check(r and r["code"] == 129, "expected 129, got %s" % r)
    # mipreg too, for the node with a numerically larger address than .20-.24
    rc, replies = lab.mipreg("192.0.2.79", K, coa=CCOA, args=["-l", "600"])
    check(rc == 0 and replies and replies[0]["code"] == 0, "mipreg: %s %s" % (rc, replies))


# ---------------------------------------------------------------- cases

def t_connect():
    wait_connected(10)
    check(re.search(r"info \[snmp\] connected to the AgentX master", open(lab.daemon_log).read()),
          "no connection line in the log")
    lines = snmp("snmpget", "-On", "-Ox", MIP + ".1.1.0", MIP + ".1.3.0", MIP + ".1.2.0")
    check("Hex-STRING: 20" in lines[0], "mipEntities: %s" % lines[0])        # homeAgent(2)
    check("Hex-STRING: E0" in lines[1], "mipEncapsulationSupported: %s" % lines[1])
    check("INTEGER: 1" in lines[2], "mipEnable: %s" % lines[2])


def t_bindings_numeric():
    populate()
    rows = stat("bindings")
    check(len(rows) == 7, "expected 7 bindings, mipagentstat shows %d" % len(rows))
    w = walk(MIP + ".6.3.1")
    keys = [(r["hoa"], r["coa"]) for r in rows]
    # mipagentstat lists in the same index order; SNMP must agree, column by column
    expect = []
    for col in range(1, 9):
        for hoa, coa in keys:
            expect.append("%s.%d.%s.%s" % (BIND, col, hoa, coa))
    check(list(w) == expect, "walk order differs:\n%s\nvs\n%s" % ("\n".join(w), "\n".join(expect)))
    for r in rows:
        idx = "%s.%s" % (r["hoa"], r["coa"])
        ident = int(str(r["id"]), 16)
        flags = int(str(r["flags"]), 16)
        got = {c: w["%s.%d.%s" % (BIND, c, idx)] for c in range(1, 9)}
        check(got[1] == ("IpAddress", r["hoa"]), "MN %s" % (got[1],))
        check(got[2] == ("IpAddress", r["coa"]), "COA %s" % (got[2],))
        check(got[3] == ("IpAddress", r["src"]), "source %s vs %s" % (got[3], r["src"]))
        bits = reg_flags_bits(flags)
        shown = int(got[4][1].replace(" ", "") or "0", 16)
        check(got[4][0] == "Hex-STRING" and shown == bits, "flags %s, expected %02x" % (got[4], bits))
        check(int(got[5][1]) == int32(ident), "IDLow %s vs id %x" % (got[5], ident))
        check(int(got[6][1]) == int32(ident >> 32), "IDHigh %s vs id %x" % (got[6], ident))
        check(int(got[7][1]) == int(r["lifetime"]), "granted %s vs %s" % (got[7], r["lifetime"]))
        check(got[8][0] == "Gauge32" and abs(int(got[8][1]) - int(r["remaining"])) <= 2,
              "remaining %s vs %s" % (got[8], r["remaining"]))


def t_bindings_named():
    lines = snmp("snmpwalk", "MIP-MIB::haMobilityBindingTable", named=True)
    check(len(lines) == 8 * 7, "%d lines by name" % len(lines))
    text = "\n".join(lines)
    for pat in (r"MIP-MIB::haMobilityBindingMN\.192\.0\.2\.20\.198\.51\.100\.2 = IpAddress: 192\.0\.2\.20",
                r"MIP-MIB::haMobilityBindingCOA\.192\.0\.2\.79\.203\.0\.113\.10 = IpAddress: 203\.0\.113\.10",
                r"MIP-MIB::haMobilityBindingSourceAddress\.192\.0\.2\.20\.203\.0\.113\.10 = IpAddress: 203\.0\.113\.10",
                r"MIP-MIB::haMobilityBindingRegFlags\.192\.0\.2\.21\.203\.0\.113\.10 = BITS: 40 gre\(1\)",
                r"MIP-MIB::haMobilityBindingRegFlags\.192\.0\.2\.23\.203\.0\.113\.10 = BITS: 0C "
                r"broadcastDatagram\(4\) simultaneousBindings\(5\)",
                r"MIP-MIB::haMobilityBindingTimeGranted\.192\.0\.2\.79\.203\.0\.113\.10 = INTEGER: 600 seconds",
                r"MIP-MIB::haMobilityBindingTimeRemaining\.192\.0\.2\.20\.198\.51\.100\.2 = Gauge32: 1[78]\d\d seconds"):
        check(re.search(pat, text), "no line matching %s in:\n%s" % (pat, text))
    # the numeric and the named walks name the same instances
    numeric = snmp("snmpwalk", "-On", "-Ox", MIP + ".6.3.1")
    named_num = snmp("snmpwalk", "-On", "-Ox", "MIP-MIB::haMobilityBindingTable", named=True)
    a, b = [l.split(" = ")[0] for l in numeric], [l.split(" = ")[0] for l in named_num]
    check(a == b, "numeric and named walks differ: %s" % [x for x in zip(a, b) if x[0] != x[1]][:3])


def t_counter_table():
    nodes = stat("nodes")
    w = walk(MIP + ".6.3.2")
    check([n["hoa"] for n in nodes] == sorted((n["hoa"] for n in nodes),
                                              key=lambda a: tuple(int(x) for x in a.split("."))),
          "mipagentstat nodes not in index order")
    for n in nodes:
        a = n["hoa"]
        check(w.get("%s.2.%s" % (CTR, a)) == ("Counter32", str(n["accepted"])),
              "accepted %s: %s vs %s" % (a, w.get("%s.2.%s" % (CTR, a)), n["accepted"]))
        check(w.get("%s.3.%s" % (CTR, a)) == ("Counter32", str(n["denied"])), "denied %s" % a)
        check(w.get("%s.4.%s" % (CTR, a)) == ("Gauge32", str(n["service-time"])), "service time %s" % a)
        acc = w.get("%s.5.%s" % (CTR, a))
        check(acc and acc[0] == "Timeticks" and (int(acc[1]) > 0) == (n["accepted"] > 0),
              "haRecentServiceAcceptedTime %s: %s" % (a, acc))
        code = w.get("%s.7.%s" % (CTR, a))
        if n["recent-denied-code"]:
            check(code == ("INTEGER", str(n["recent-denied-code"])), "denied code %s: %s" % (a, code))
        else:
            check(code is None, "denied code of %s shown though never denied: %s" % (a, code))
    check(w.get("%s.7.192.0.2.21" % CTR) == ("INTEGER", "129"), "192.0.2.21 denied 129")
    check(len(w) == 5 * len(nodes) + 1, "%d instances for %d nodes" % (len(w), len(nodes)))
    named = "\n".join(snmp("snmpwalk", "MIP-MIB::haCounterTable", named=True))
    check(re.search(r"haRecentServiceDeniedCode\.192\.0\.2\.21 = INTEGER: admProhibited\(129\)", named),
          "named walk: %s" % named)
    check(re.search(r"haServiceRequestsAccepted\.192\.0\.2\.20 = Counter32: 2", named), named)


def t_counters():
    """Counters move on their own (gratuitous ARP repeats...): each SNMP value
    must lie between mipagentstat's reading before and after the walk."""
    counters = {c["name"]: int(c["value"]) for c in stat("counters") if c["name"] != "-"}
    lines = snmp("snmpwalk", "-OQs", "MIP-MIB::haRegistration", named=True)
    after = {c["name"]: int(c["value"]) for c in stat("counters") if c["name"] != "-"}
    got = {}
    for l in lines:
        m = re.match(r"^(\w+)\.0 = (\d+)$", l)
        if m:
            got[m.group(1)] = int(m.group(2))
    check(len(got) == 17, "%d haRegistration scalars: %s" % (len(got), lines))
    for name, v in got.items():
        check(name in counters, "%s not in mipagentstat counters" % name)
        check(counters[name] <= v <= after[name], "%s: SNMP %d, mipagentstat %d then %d"
              % (name, v, counters[name], after[name]))
    check(got["haRegistrationAccepted"] >= 7 and got["haAdmProhibited"] >= 1, got)
    v = snmp("snmpget", "-OQs", "MIP-MIB::mipSecTotalViolations.0", named=True)[0]
    check(v.endswith("= %d" % counters["mipSecTotalViolations"]), v)


def t_sec_assoc():
    w = walk(MIP + ".2.1")
    rows = ["192.0.2.%d.256" % i for i in range(20, 80)] + ["192.0.2.104.260", "192.0.2.104.261",
                                                           "198.51.100.2.500"]
    expect = ["%s.%d.%s" % (SA, c, r) for c in range(3, 7) for r in rows]
    check(list(w) == expect, "mipSecAssocTable rows: %s" % list(w)[:8])
    check(w[SA + ".4.192.0.2.20.256"][1] == "1", "hmac-md5 mode other(1)")
    check(w[SA + ".4.192.0.2.104.260"][1] == "2", "keyed-md5 mode prefixSuffix(2)")
    check(w[SA + ".6.192.0.2.104.260"][1] == "3", "nonces(3)")
    check(w[SA + ".5.198.51.100.2.500"] == ("", '""'), "mipSecKey reads empty: %s" % (w[SA + ".5.198.51.100.2.500"],))


def t_bulkwalk():
    a = snmp("snmpwalk", "-On", "-Ox", MIP)
    b = snmp("snmpbulkwalk", "-On", "-Ox", "-Cr25", MIP)
    # counters and TimeRemaining may move between the two walks
    def norm(lines):
        return [re.sub(r"= (Counter32|Gauge32): \d+$", r"= \1: N", l) for l in lines]
    strip, stripb = norm(a), norm(b)
    check(strip == stripb, "bulkwalk differs from walk (%d vs %d lines): %s"
          % (len(a), len(b), [x for x in zip(strip, stripb) if x[0] != x[1]][:3]))
    check(len(a) > 300, "only %d objects" % len(a))
    check(not any("No more variables" in l for l in a[:-1]), "early end of MIB view")


def t_get_errors():
    lines = snmp("snmpget", "-On", MIP + ".3.1.0", MIP + ".6.3.1.1.1.192.0.2.99.1.2.3.4",
                 MIP + ".6.3.1.1.9.192.0.2.20.203.0.113.10", MIP + ".5.3.1.1.1.1.2.3.4")
    check("No Such Object" in lines[0], lines[0])
    check("No Such Instance" in lines[1], lines[1])
    check("No Such Object" in lines[2], lines[2])
    check("No Such Instance" in lines[3], lines[3])
    # the FA and advertisement tables exist but are empty; their counters are 0
    fa = walk(MIP + ".5")
    check(all(v[1] in ("0", "2") for v in fa.values()) and len(fa) == 17, "FA objects: %s" % fa)
    check(len(walk(MIP + ".4")) == 3, "maAdvertisement counters")


def trap_lines():
    try:
        with open(trapd["log"]) as f:
            return f.read()
    except OSError:
        return ""


def t_trap():
    before = trap_lines().count(AUTH_FAILURE)
    r, _ = S.send("192.0.2.30", key=bytes.fromhex(WRONG))
    check(r and r["code"] == 131, "expected 131: %s" % r)
    deadline = time.time() + 5
    while trap_lines().count(AUTH_FAILURE) == before and time.time() < deadline:
        time.sleep(0.05)
    text = trap_lines()
    check(text.count(AUTH_FAILURE) == before + 1, "no mipAuthFailure trap:\n%s" % text[-2000:])
    last = text[text.rfind(AUTH_FAILURE):]
    src = CCOA.replace(".", r"\.")
    for pat in (r"\.1\.3\.6\.1\.2\.1\.44\.1\.2\.3\.1\.1\.%s = IpAddress: %s" % (src, src),
                r"\.1\.3\.6\.1\.2\.1\.44\.1\.2\.3\.1\.3\.%s = INTEGER: 256" % src,
                r"\.1\.3\.6\.1\.2\.1\.44\.1\.2\.3\.1\.5\.%s = INTEGER: -?\d+" % src,
                r"\.1\.3\.6\.1\.2\.1\.44\.1\.2\.3\.1\.6\.%s = INTEGER: -?\d+" % src,
                r"\.1\.3\.6\.1\.2\.1\.44\.1\.2\.3\.1\.7\.%s = INTEGER: 2" % src):
        check(re.search(pat, last), "trap varbind %s missing in:\n%s" % (pat, last[:1500]))
    # and the violation table keeps the violator
    w = walk(MIP + ".2.3")
    check(w.get(MIP + ".2.3.1.7." + CCOA) == ("INTEGER", "2"), "mipSecViolationTable: %s" % w)


def t_trap_rate_limit():
    time.sleep(1.2)                         # a full bucket
    before = trap_lines().count(AUTH_FAILURE)
    t0 = time.time()
    n = 40
    for _ in range(n):
        r, _ = S.send("192.0.2.31", key=bytes.fromhex(WRONG))
        check(r and r["code"] == 131, "expected 131: %s" % r)
    elapsed = time.time() - t0
    time.sleep(1.5)                         # traps delivered, suppressed count logged
    sent = trap_lines().count(AUTH_FAILURE) - before
    allowed = 10 + int(elapsed * 10) + 1
    check(10 <= sent <= allowed, "%d traps for %d violations in %.2f s (allowed %d)" % (sent, n, elapsed, allowed))
    log = open(lab.daemon_log).read()
    m = re.findall(r"\[snmp\] (\d+) mipAuthFailure notifications not sent \(rate limit 10/s\)", log)
    check(m and sum(int(x) for x in m) == n - sent, "suppressed count %s, expected %d" % (m, n - sent))


def t_restart_snmpd():
    """Registrations keep flowing while snmpd goes away and comes back, and
    the subagent is answering again within the ping interval."""
    stop = threading.Event()
    stats = {"n": 0, "lost": 0, "max_rtt": 0.0, "bad": []}

    def register_loop():
        i = 0
        while not stop.is_set():
            hoa = "192.0.2.%d" % (40 + i % 30)
            i += 1
            r, rtt = S.send(hoa, timeout=1.0)
            stats["n"] += 1
            if r is None:
                stats["lost"] += 1
            elif r["code"] != 0:
                stats["bad"].append(r["code"])
            stats["max_rtt"] = max(stats["max_rtt"], rtt)
            time.sleep(0.01)

    th = threading.Thread(target=register_loop)
    th.start()
    try:
        time.sleep(0.5)
        stop_snmpd(signal.SIGKILL)
        time.sleep(1.0)
        t_restart = time.time()
        start_snmpd()
        took = wait_connected(PING + 5)
        took_total = time.time() - t_restart
        time.sleep(0.5)
    finally:
        stop.set()
        th.join()
    check(stats["n"] > 50, "only %d registrations" % stats["n"])
    check(stats["lost"] == 0 and not stats["bad"],
          "%d of %d registrations unanswered, codes %s" % (stats["lost"], stats["n"], stats["bad"][:5]))
    check(stats["max_rtt"] < 0.5, "a registration took %.0f ms" % (stats["max_rtt"] * 1000))
    # the reconnect alarm ticks every ping interval: answered within one
    # interval (plus polling slack) of the master being ready again
    check(took <= PING + 0.3, "answered %.2f s after snmpd was ready (ping interval %d s)"
          % (took, PING))
    log = open(lab.daemon_log).read()
    check(log.count("connected to the AgentX master") >= 2, "no reconnection in the log")
    print("# %d registrations during the restart, max %.0f ms; subagent back %.2f s after snmpd "
          "was ready (%.2f s after its start)" % (stats["n"], stats["max_rtt"] * 1000, took, took_total))


def t_hung_master():
    """snmpd stopped (SIGSTOP), its socket still accepting: Net-SNMP does the
    AgentX Ping, Close and Open synchronously, each bounded by the 1 s
    session timeout (no retries), so the loop can stall up to about 3 s once
    per ping interval while the master is hung (a documented limit; a killed
    master costs nothing, see restart_snmpd_while_registering).  No
    registration is lost, and the subagent is back once snmpd runs again."""
    stop = threading.Event()
    stats = {"n": 0, "lost": 0, "max_rtt": 0.0}

    def register_loop():
        i = 0
        while not stop.is_set():
            r, rtt = S.send("192.0.2.%d" % (40 + i % 30), timeout=5.0)
            i += 1
            stats["n"] += 1
            stats["lost"] += r is None
            stats["max_rtt"] = max(stats["max_rtt"], rtt)
            time.sleep(0.02)

    th = threading.Thread(target=register_loop)
    th.start()
    try:
        snmpd["proc"].send_signal(signal.SIGSTOP)
        time.sleep(PING * 3)
        snmpd["proc"].send_signal(signal.SIGCONT)
        took = wait_connected(PING * 3 + 3)
    finally:
        stop.set()
        th.join()
        if snmpd["proc"]:
            snmpd["proc"].send_signal(signal.SIGCONT)
    check(stats["lost"] == 0, "%d of %d registrations unanswered" % (stats["lost"], stats["n"]))
    check(stats["max_rtt"] < 3.5, "a registration waited %.0f ms" % (stats["max_rtt"] * 1000))
    print("# hung master: %d registrations, max %.0f ms; answering %.2f s after SIGCONT"
          % (stats["n"], stats["max_rtt"] * 1000, took))


def t_master_away_at_start():
    """Started with no master: mipagent runs, logs one warning, connects later."""
    lab.stop_daemon()
    stop_snmpd()
    lab.start_daemon("snmp2", CONF)
    r, _ = S.send("192.0.2.50")
    check(r and r["code"] == 0, "registration without a master: %s" % r)
    time.sleep(PING * 2 + 0.5)
    log = open(lab.daemon_log).read()
    check(log.count("cannot connect to the AgentX master") == 1,
          "expected one connection warning:\n%s" % log[-1500:])
    start_snmpd()
    wait_connected(PING + 3)
    lines = snmp("snmpwalk", "-On", MIP + ".6.3.1.1.1")
    rows = stat("bindings")         # the daemon may have restored earlier bindings
    check([l.split(" = IpAddress: ")[1] for l in lines] == [r["hoa"] for r in rows],
          "bindings: %s vs %s" % (lines[:3], rows[:3]))
    check(any(r["hoa"] == "192.0.2.50" and r["coa"] == CCOA for r in rows), "192.0.2.50 missing")


def t_clean_stop():
    """SIGTERM with the master up: exit status 0, no Net-SNMP error."""
    p = lab.daemon
    p.send_signal(signal.SIGTERM)
    rc = p.wait(10)
    lab.daemon = None
    check(rc == 0, "mipagent exit status %s" % rc)
    log = open(lab.daemon_log).read()
    bad = [l for l in log.splitlines() if re.search(r"(error|warning) \[snmp\]", l)
           and "cannot connect to the AgentX master" not in l]
    check(not bad, "Net-SNMP complained: %s" % bad[:5])
    with open(os.path.join(lab.tmp, lab.conf_name + ".xml")) as f:
        state_dir = re.search(r'state-dir="([^"]+)"', f.read()).group(1)
    check(os.path.isdir(os.path.join(state_dir, "snmp")), "no Net-SNMP directory in %s" % state_dir)


# ---------------------------------------------------------------- SET (home agent)

K_NEW = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
K_NEW2 = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"


def snmpset(*args, community="private", ns=None):
    """snmpset (numeric OIDs) in the HA namespace: (ok, error-status name or
    "", output).  @args: OID TYPE VALUE triples."""
    cmd = ["snmpset", "-v2c", "-c", community, "-r", "0", "-t", "5", "-m", "", "-On",
           "127.0.0.1:%d" % SNMP_PORT] + [str(a) for a in args]
    p = subprocess.run(["ip", "netns", "exec", ns or snmp_ns()] + cmd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, env=snmp_env(), timeout=30)
    out = p.stdout + p.stderr
    m = re.search(r"Reason: (\w+)", out)
    return p.returncode == 0, (m.group(1) if m else ""), out


def set_ok(*args, **kw):
    ok, err, out = snmpset(*args, **kw)
    check(ok, "snmpset %s refused: %s" % (" ".join(map(str, args)), out))
    return out


def set_err(want, *args, **kw):
    ok, err, out = snmpset(*args, **kw)
    check(not ok and err == want, "snmpset %s: expected %s, got %s" % (" ".join(map(str, args)), want,
                                                                          out.strip()))


def conf_path():
    return os.path.join(lab.tmp, lab.conf_name + ".xml")


def conf_text():
    with open(conf_path()) as f:
        return f.read()


def checked_conf():
    """`mipagent -n -v` on the configuration file: its normalised form."""
    p = subprocess.run([lab.mipagent, "-n", "-v", "-c", conf_path()], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0, "mipagent -n refuses the written file: %s" % p.stderr)
    return p.stdout


def sa_oid(col, addr, spi):
    return "%s.%d.%s.%d" % (SA, col, addr, spi)


def snapshot():
    """What a refused set must not change: the file and the writable tables."""
    return conf_text(), walk(MIP + ".2.1"), snmp("snmpget", "-On", MIP + ".1.2.0")


def t_set_errors():
    """Bad sets are refused with RFC 3416's error and change nothing."""
    before = snapshot()
    mtime = os.stat(conf_path()).st_mtime_ns
    new = "192.0.2.104"
    cases = [
        # wrong type: a string for an INTEGER, an integer for the key
        ("wrongType", sa_oid(3, new, 300), "s", "md5"),
        ("wrongType", sa_oid(5, new, 300), "i", "5"),
        # the key is OCTET STRING (SIZE(16))
        ("wrongLength", sa_oid(5, new, 300), "x", "00112233445566778899aabbccddee"),
        ("wrongLength", sa_oid(5, new, 300), "x", "00112233445566778899aabbccddeeff00"),
        # values the MIB or mipagent cannot take
        ("wrongValue", sa_oid(3, new, 300), "i", "3"),
        ("wrongValue", sa_oid(4, new, 300), "i", "0"),
        ("wrongValue", sa_oid(6, new, 300), "i", "1"),        # replay other(1)
        ("wrongValue", MIP + ".1.2.0", "i", "3"),             # mipEnable
        # reserved SPI (allow-reserved-spi is off): could exist under another configuration
        ("inconsistentName", sa_oid(5, new, 255), "x", K),
        # a new SA needs its key in the same request
        ("inconsistentValue", sa_oid(3, new, 300), "i", "2"),
        # deleting (other(1)) an SA that is not there, and the last SA of a node
        ("inconsistentValue", sa_oid(3, new, 999), "i", "1"),
        ("inconsistentValue", sa_oid(3, "192.0.2.20", 256), "i", "1"),
        # read-only objects, instances that can never exist
        ("notWritable", MIP + ".6.3.3.0", "i", "5"),          # haRegistrationAccepted
        ("notWritable", MIP + ".1.1.0", "x", "20"),           # mipEntities
        ("notWritable", BIND + ".7.192.0.2.20.203.0.113.10", "i", "5"),
        ("noCreation", MIP + ".1.2.1", "i", "1"),             # mipEnable.1
        ("noCreation", SA + ".5.192.0.2.104", "x", K),        # index too short
        ("noCreation", SA + ".5.192.0.2.300.1", "x", K),      # 300 is no address octet
        # maAdvConfigTable without any advertising interface: no row can exist
        ("noCreation", MIP + ".4.2.1.1.9.192.0.2.1", "i", "4"),
        # a foreign agent setting on a home agent
        ("inconsistentValue", MIP + ".5.2.2.0", "i", "1"),
    ]
    for want, oid, typ, val in cases:
        set_err(want, oid, typ, val)
    # several varbinds: one bad one refuses the whole request
    set_err("wrongLength", sa_oid(3, new, 300), "i", "2", sa_oid(5, new, 300), "x", K,
            sa_oid(6, new, 300), "i", "2", sa_oid(5, new, 301), "x", "0011")
    set_err("inconsistentValue", sa_oid(5, new, 300), "x", K, sa_oid(3, "198.51.100.2", 500), "i", "1",
            sa_oid(4, "198.51.100.2", 500), "i", "2")
    # the read-only community
    ok, _, out = snmpset(MIP + ".1.2.0", "i", "2", community="public")
    check(not ok and re.search(r"noAccess|authorizationError|notWritable", out), out)
    check(snapshot() == before, "a refused set changed something")
    check(os.stat(conf_path()).st_mtime_ns == mtime, "a refused set rewrote the file")
    check("set applied" not in open(lab.daemon_log).read(), "a refused set was applied")


def t_set_sa_create():
    """A new SA: for a new mobile node (it registers at once), for a
    configured one (keyed-md5, nonces), for a new peer; the file is written
    and checks; the key is never shown."""
    log_mark = len(open(lab.daemon_log).read())
    set_ok(sa_oid(3, "192.0.2.150", 300), "i", "2", sa_oid(4, "192.0.2.150", 300), "i", "1",
           sa_oid(5, "192.0.2.150", 300), "x", K_NEW, sa_oid(6, "192.0.2.150", 300), "i", "2")
    w = walk(MIP + ".2.1")
    check(w.get(sa_oid(3, "192.0.2.150", 300)) == ("INTEGER", "2"), "type: %s" % (w.get(sa_oid(3, "192.0.2.150", 300)),))
    check(w.get(sa_oid(4, "192.0.2.150", 300)) == ("INTEGER", "1"), "mode")
    check(w.get(sa_oid(5, "192.0.2.150", 300)) == ("", '""'), "the key must read empty")
    check(w.get(sa_oid(6, "192.0.2.150", 300)) == ("INTEGER", "2"), "replay")
    rc, replies = lab.mipreg("192.0.2.150", K_NEW, spi=300, coa=CCOA, args=["-l", "300"])
    check(rc == 0 and replies and replies[0]["code"] == 0, "mipreg with the new SA: %s %s" % (rc, replies))
    # keyed-md5 (mode prefixSuffix) with nonces for a configured node
    set_ok(sa_oid(5, "192.0.2.104", 262), "x", K_NEW, sa_oid(4, "192.0.2.104", 262), "i", "2",
           sa_oid(6, "192.0.2.104", 262), "i", "3")
    w = walk(MIP + ".2.1")
    check(w.get(sa_oid(4, "192.0.2.104", 262)) == ("INTEGER", "2") and
          w.get(sa_oid(6, "192.0.2.104", 262)) == ("INTEGER", "3"), "keyed-md5/nonces row")
    # a new peer agent
    set_ok(sa_oid(5, "198.51.100.77", 700), "x", K_NEW)
    text = checked_conf()
    check(re.search(r"^mobile-node 192\.0\.2\.150 .*\n  security-association spi 300 algorithm hmac-md5 "
                    r"replay-method timestamps", text, re.M), "new node in the file:\n%s" % text)
    check(re.search(r"^mobile-node 192\.0\.2\.104 (.*\n  security-association.*)*\n  security-association "
                    r"spi 262 algorithm keyed-md5 replay-method nonces", text, re.M), text)
    check(re.search(r"^peer 198\.51\.100\.77\n  security-association spi 700 algorithm hmac-md5", text, re.M),
          text)
    log = open(lab.daemon_log).read()[log_mark:]
    check("set applied: " in log, "no log line for the set")
    check(K_NEW not in log and K_NEW.upper() not in log, "the key appears in the log")


def t_set_sa_change():
    """A new key and mode on an existing SA take effect at once."""
    set_ok(sa_oid(5, "192.0.2.150", 300), "x", K_NEW2)
    rc, replies = lab.mipreg("192.0.2.150", K_NEW, spi=300, coa=CCOA, args=["-l", "300"])
    check(rc in (1, 3) and replies and replies[0]["code"] == 131, "the old key still works: %s %s" % (rc, replies))
    rc, replies = lab.mipreg("192.0.2.150", K_NEW2, spi=300, coa=CCOA, args=["-l", "300"])
    check(rc == 0 and replies[0]["code"] == 0, "the new key: %s %s" % (rc, replies))
    set_ok(sa_oid(4, "192.0.2.150", 300), "i", "2")          # prefixSuffix: keyed-md5
    rc, replies = lab.mipreg("192.0.2.150", K_NEW2, spi=300, coa=CCOA, args=["-l", "300", "-A", "keyed-md5"])
    check(rc == 0 and replies[0]["code"] == 0, "keyed-md5: %s %s" % (rc, replies))
    # rfc2002-md5 stays rfc2002-md5 under prefixSuffix (both read as prefixSuffix)
    set_ok(sa_oid(4, "192.0.2.104", 261), "i", "2", sa_oid(6, "192.0.2.104", 261), "i", "3")
    text = checked_conf()
    check(re.search(r"spi 261 algorithm rfc2002-md5 replay-method nonces", text), text)
    check(re.search(r"spi 300 algorithm keyed-md5", text), text)


def t_set_sa_delete():
    """mipSecAlgorithmType other(1) deletes an SA; a peer left without SAs goes."""
    set_ok(sa_oid(5, "192.0.2.150", 301), "x", K_NEW)
    set_ok(sa_oid(3, "192.0.2.150", 300), "i", "1")
    w = walk(MIP + ".2.1")
    check(sa_oid(3, "192.0.2.150", 300) not in w and sa_oid(3, "192.0.2.150", 301) in w, "rows: %s"
          % [k for k in w if ".192.0.2.150." in k])
    rc, replies = lab.mipreg("192.0.2.150", K_NEW2, spi=300, coa=CCOA, args=["-l", "300", "-A", "keyed-md5"])
    check(rc != 0, "a deleted SA still authenticates: %s" % replies)
    set_err("inconsistentValue", sa_oid(3, "192.0.2.150", 301), "i", "1")   # the node's last one
    set_ok(sa_oid(3, "198.51.100.77", 700), "i", "1")
    text = checked_conf()
    check("198.51.100.77" not in text, "the peer without SAs is still configured")
    check(not any(".198.51.100.77." in k for k in walk(MIP + ".2.1")), "peer rows remain")


def t_set_mip_enable():
    """mipEnable disabled(2): registration requests are dropped; back with enabled(1)."""
    before = len(stat("bindings"))
    set_ok(MIP + ".1.2.0", "i", "2")
    check(snmp("snmpget", "-On", MIP + ".1.2.0")[0].endswith("INTEGER: 2"), "mipEnable reads back")
    check('mip-enable="false"' in conf_text() and "mip-enable no" in checked_conf(), "not in the file")
    r, _ = S.send("192.0.2.60", timeout=1.0)
    check(r is None, "a registration was answered while disabled: %s" % r)
    rc, replies = lab.mipreg("192.0.2.61", K, coa=CCOA, args=["-R", "0", "-t", "500"])
    check(rc == 2 and not any(r.get("code") is not None for r in replies),
          "mipreg while disabled: %s %s" % (rc, replies))
    check(len(stat("bindings")) == before, "a binding was added while disabled")
    check("mipEnable is disabled" in open(lab.daemon_log).read(), "no log line")
    set_ok(MIP + ".1.2.0", "i", "1")
    r, _ = S.send("192.0.2.60")
    check(r and r["code"] == 0, "after enabling again: %s" % r)
    check("mip-enable" not in conf_text(), "mip-enable stays in the file")


def restart_same_conf():
    """Stop mipagent and start it again on the file as it is now."""
    lab.stop_daemon()
    log = open(lab.daemon_log, "a")
    lab.daemon = subprocess.Popen(["ip", "netns", "exec", lab.ns["ha"], lab.mipagent, "-f", "-c",
                                   conf_path(), "-d", "3"], stdout=log, stderr=log)
    log.close()
    deadline = time.time() + 5
    while True:
        check(lab.daemon.poll() is None, "mipagent exited: %s" % lab.log_tail())
        try:
            if lab.ctl("MIP/1 show summary", timeout=0.5)[0] == 0:
                break
        except OSError:
            pass
        check(time.time() < deadline, "mipagent did not come back")
        time.sleep(0.05)
    wait_connected(PING + 5)


def t_set_survives_restart():
    """Committed sets are in the file: after a restart they are still there."""
    set_ok(MIP + ".1.2.0", "i", "2", sa_oid(5, "192.0.2.151", 310), "x", K_NEW)
    restart_same_conf()
    check(snmp("snmpget", "-On", MIP + ".1.2.0")[0].endswith("INTEGER: 2"), "mipEnable after restart")
    w = walk(MIP + ".2.1")
    for oid in (sa_oid(3, "192.0.2.150", 301), sa_oid(4, "192.0.2.104", 262), sa_oid(3, "192.0.2.151", 310)):
        check(oid in w, "%s lost in the restart" % oid)
    r, _ = S.send("192.0.2.62", timeout=1.0)
    check(r is None, "disabled after restart, yet answered")
    set_ok(MIP + ".1.2.0", "i", "1")
    rc, replies = lab.mipreg("192.0.2.151", K_NEW, spi=310, coa=CCOA)
    check(rc == 0 and replies[0]["code"] == 0, "the SA set before the restart: %s %s" % (rc, replies))


# ---------------------------------------------------------------- the foreign agent (second lab)
#
# falab.py's topology: the mobile node behind foreign agent FA (fa0,
# 203.0.113.1/26), the home agent in HA.  snmpd runs in FA's namespace and
# mipagent there is foreign agent and subagent; the tables are compared with
# `mipagentstat -j` of the foreign agent, the advertisements are received in
# the mobile node's namespace.

FA = {}                                     # "lab": the falab module, "fa"/"ha": its Daemons
FA_HOAS = ("192.0.2.100", "192.0.2.101", "192.0.2.102")
ADV = MIP + ".4.2.1.1"                      # maAdvConfigEntry
COA = MIP + ".5.1.1.1"                      # faCOAEntry
VIS = MIP + ".5.3.1.1"                      # faVisitorEntry
FA_IF = "203.0.113.1"                       # fa0's primary address: the maAdvConfigTable index
FL_FA = "203.0.113.1"                       # the foreign agent's address on the mobile node's link

FA_HA_CONF = '''  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24">
    <mobile-node address="192.0.2.100"><security-association spi="256" key="%s"/></mobile-node>
    <mobile-node first="192.0.2.101" last="192.0.2.120">
      <security-association spi="256" key="%s"/>
    </mobile-node>
  </home-agent>
  <peer address="203.0.113.1"><security-association spi="500" key="%s"/></peer>
  <data-plane backend="userspace"/>'''

FA_FA_CONF = '''  <foreign-agent visitor-limit="3" max-registration-lifetime="600">
    <interface name="fa0" min-interval="3" max-interval="4">
      <care-of-address address="203.0.113.1"/>
    </interface>
    <visitor address="192.0.2.110"><security-association spi="300" key="%s"/></visitor>
  </foreign-agent>
  <peer address="192.0.2.1"><security-association spi="500" key="%s"/></peer>
  <snmp agentx-socket="%s" ping-interval="%d"/>
  <data-plane backend="userspace"/>'''


def fa_snmp_start():
    fl = FA["lab"]
    sock = os.path.join(fl.TMP, "agentx.sock")
    persist = os.path.join(fl.TMP, "snmp-persist")
    os.makedirs(persist, exist_ok=True)
    os.makedirs(os.path.join(fl.TMP, "snmpconf"), exist_ok=True)
    conf = os.path.join(fl.TMP, "snmpd.conf")
    with open(conf, "w") as f:
        f.write("master agentx\nagentXSocket unix:%s\nagentXPerms 0660 0770\nagentXTimeout 2\n"
                "agentXRetries 1\nrocommunity public 127.0.0.1\nrwcommunity private 127.0.0.1\n" % sock)
    SNMPCTX.update(ns=fl.NS["fa"], persist=persist, confdir=os.path.join(fl.TMP, "snmpconf"))
    log = open(os.path.join(fl.TMP, "snmpd.log"), "a")
    p = subprocess.Popen(["ip", "netns", "exec", fl.NS["fa"], "snmpd", "-f", "-Lo", "-C", "-c", conf,
                          "-m", "", "udp:127.0.0.1:%d" % SNMP_PORT], stdout=log, stderr=log, env=snmp_env())
    log.close()
    fl.PROCS.append(p)
    deadline = time.time() + 5
    while not os.path.exists(sock):
        check(p.poll() is None and time.time() < deadline, "snmpd did not start in FA")
        time.sleep(0.05)
    return sock


def fa_stat(what):
    fl = FA["lab"]
    p = subprocess.run([os.path.join(fl.TMP, "mipagentstat"), "-s", FA["fa"].sock, "-j", what],
                       stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0, "mipagentstat %s: %s" % (what, p.stderr))
    return json.loads(p.stdout)[what]


def fa_checked_conf():
    p = subprocess.run([FA["lab"].MIPAGENT, "-n", "-v", "-c", FA["fa"].conf], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    check(p.returncode == 0, "mipagent -n refuses the FA's file: %s" % p.stderr)
    return p.stdout


def next_adv(timeout=6.0):
    """The next advertisement from FA seen by the mobile node, or None."""
    fl = FA["lab"]
    ln = fl.AdvListener()
    try:
        return ln.next(timeout, want=lambda a: a["src"] == FA_IF)
    finally:
        ln.close()


def adv_sent():
    return int(snmp("snmpget", "-Oqv", MIP + ".4.2.2.0")[0])


def t_fa_walks():
    """Every table of the foreign agent, compared with mipagentstat -j."""
    fl = FA["lab"]
    for hoa in FA_HOAS[:2]:
        rc, replies = fl.mipreg(hoa=hoa, args=["-b", hoa] if hoa != fl.HOA else [])
        check(rc == 0 and replies and replies[0]["code"] == 0, "registration of %s via FA: %s %s"
              % (hoa, rc, replies))
    # a request still pending (the home agent stopped): faVisitorRegIsAccepted false(2)
    FA["ha"].pause()
    try:
        p = fl.popen("mn", [fl.MIPREG, "-j", "-H", FA_HOAS[2], "-a", fl.HA, "-s", 256, "-k", fl.K,
                            "-l", 300, "-d", FL_FA, "-c", FL_FA, "-b", FA_HOAS[2], "-t", 6000, "-R", 0],
                     stdout=subprocess.PIPE, text=True)
        deadline = time.time() + 5
        while not fa_stat("pending"):
            check(time.time() < deadline, "the request never became pending")
            time.sleep(0.05)
        pend = fa_stat("pending")[0]
        w = walk(MIP + ".5.3.1")
        row = {c: w.get("%s.%d.%s" % (VIS, c, FA_HOAS[2])) for c in range(1, 10)}
        check(row[9] == ("INTEGER", "2") and row[2] == ("IpAddress", FA_HOAS[2]) and
              row[3] == ("IpAddress", pend["ha"]) and row[4] == ("INTEGER", "0") and
              int(row[7][1]) == int32(int(str(pend["id"]), 16)), "pending row: %s vs %s" % (row, pend))
        check(len(w) == 9 * 3, "2 visitors and 1 pending request: %d instances" % len(w))
    finally:
        FA["ha"].resume()
    out, _ = p.communicate(timeout=10)
    check(p.returncode == 0, "the pending registration: %s" % out)
    lines = snmp("snmpget", "-On", "-Ox", MIP + ".1.1.0", MIP + ".5.2.1.0", MIP + ".5.2.2.0", MIP + ".1.3.0")
    check("Hex-STRING: 40" in lines[0], "mipEntities: foreignAgent(1) only: %s" % lines[0])
    check(lines[1].endswith("INTEGER: 1"), "faIsBusy at the visitor limit: %s" % lines[1])
    check(lines[2].endswith("INTEGER: 2"), "faRegistrationRequired: %s" % lines[2])
    check("Hex-STRING: E0" in lines[3], "mipEncapsulationSupported: %s" % lines[3])
    # faVisitorTable: the source address indexes it
    vis = fa_stat("visitors")
    check(sorted(v["hoa"] for v in vis) == list(FA_HOAS), "visitors: %s" % vis)
    w = walk(MIP + ".5.3.1")
    keys = sorted((v["src"] for v in vis), key=lambda a: tuple(int(x) for x in a.split(".")))
    expect = ["%s.%d.%s" % (VIS, c, k) for c in range(1, 10) for k in keys]
    check(list(w) == expect, "faVisitorTable instances:\n%s\nvs\n%s" % ("\n".join(w), "\n".join(expect)))
    for v in vis:
        row = {c: w["%s.%d.%s" % (VIS, c, v["src"])] for c in range(1, 10)}
        ident = int(str(v["id"]), 16)
        check(row[1] == ("IpAddress", v["src"]) and row[2] == ("IpAddress", v["hoa"]) and
              row[3] == ("IpAddress", v["ha"]), "addresses of %s: %s" % (v["hoa"], row))
        check(int(row[4][1]) == int(v["lifetime"]), "granted %s vs %s" % (row[4], v["lifetime"]))
        check(abs(int(row[5][1]) - int(v["remaining"])) <= 2, "remaining %s vs %s" % (row[5], v["remaining"]))
        shown = int(row[6][1].replace(" ", "") or "0", 16)
        check(shown == reg_flags_bits(int(str(v["flags"]), 16)), "flags %s vs %s" % (row[6], v["flags"]))
        check(int(row[7][1]) == int32(ident) and int(row[8][1]) == int32(ident >> 32), "id %s" % v["id"])
        check(row[9] == ("INTEGER", "1"), "accepted %s" % (row[9],))
    # maAdvConfigTable and faCOATable against the advertisement view
    advs = fa_stat("advertisements")
    check(len(advs) == 1 and advs[0]["address"].startswith(FA_IF + "/"), "advertisements: %s" % advs)
    w = walk(MIP + ".4.2.1")
    lo, hi = (int(x) for x in str(advs[0]["interval"]).split("-"))
    want = {2: ("INTEGER", "600"), 3: ("INTEGER", "2"), 4: ("IpAddress", "224.0.0.1"), 5: ("INTEGER", str(hi)),
            6: ("INTEGER", str(lo)), 7: ("INTEGER", str(advs[0]["lifetime"])), 8: ("INTEGER", "2"),
            9: ("INTEGER", "1")}
    check(list(w) == ["%s.%d.%s" % (ADV, c, FA_IF) for c in range(2, 10)], "maAdvConfigTable: %s" % list(w))
    for c, v in want.items():
        check(w["%s.%d.%s" % (ADV, c, FA_IF)] == v, "maAdvConfigTable column %d: %s, expected %s"
              % (c, w["%s.%d.%s" % (ADV, c, FA_IF)], v))
    w = walk(MIP + ".5.1.1")
    check(w == {"%s.2.203.0.113.1" % COA: ("INTEGER", "1")}, "faCOATable: %s" % w)
    check(str(advs[0]["coas"]) == "203.0.113.1", "coas: %s" % advs[0]["coas"])
    # counters
    counters = {c["name"]: int(c["value"]) for c in fa_stat("counters") if c["name"] != "-"}
    got = {}
    for l in snmp("snmpwalk", "-OQs", "MIP-MIB::faRegistration", named=True):
        m = re.match(r"^(\w+)\.0 = (\d+)$", l)
        if m:
            got[m.group(1)] = int(m.group(2))
    check(len(got) == 15, "faRegistration scalars: %s" % got)
    for name, v in got.items():
        check(counters.get(name) == v, "%s: SNMP %d, mipagentstat %s" % (name, v, counters.get(name)))
    check(got["faRegRequestsRelayed"] >= 3 and got["faRegRepliesRelayed"] >= 3, got)
    # the visitor's SA (MN-FA) and the peer's in mipSecAssocTable
    w = walk(MIP + ".2.1")
    check(list(w) == ["%s.%d.%s" % (SA, c, r) for c in range(3, 7) for r in ("192.0.2.1.500", "192.0.2.110.300")],
          "mipSecAssocTable on the FA: %s" % list(w))
    named = "\n".join(snmp("snmpwalk", "MIP-MIB::mipFA", named=True))
    check(re.search(r"faVisitorHomeAddress\.192\.0\.2\.101 = IpAddress: 192\.0\.2\.101", named), named)
    check(re.search(r"faCOAStatus\.203\.0\.113\.1 = INTEGER: active\(1\)", named), named)


def t_fa_reg_required():
    """faRegistrationRequired true(1): the R bit in the advertisements, in the file."""
    set_ok(MIP + ".5.2.2.0", "i", "1")
    fl = FA["lab"]
    a = next_adv()
    check(a and a["flags"] & fl.FLAG_BITS["R"], "no R bit: %s" % a)
    check(re.search(r"registration-required true", fa_checked_conf()), "not in the file")
    set_ok(MIP + ".5.2.2.0", "i", "2")
    a = next_adv()
    check(a and not a["flags"] & fl.FLAG_BITS["R"], "R bit still set: %s" % a)


def t_fa_adv_columns():
    """maAdvConfigTable columns reach the advertisements."""
    set_ok(ADV + ".2." + FA_IF, "i", "500", ADV + ".7." + FA_IF, "i", "40", ADV + ".3." + FA_IF, "i", "1")
    a = next_adv()
    check(a and a["reg_lifetime"] == 500 and a["lifetime"] == 40 and "prefix_lengths" in a,
          "advertisement after the set: %s" % a)
    w = walk(MIP + ".4.2.1")
    check(w[ADV + ".2." + FA_IF] == ("INTEGER", "500") and w[ADV + ".7." + FA_IF] == ("INTEGER", "40"), w)
    # min above max is refused as a whole (nothing of it applied)
    set_err("inconsistentValue", ADV + ".6." + FA_IF, "i", "9", ADV + ".2." + FA_IF, "i", "300")
    check(walk(MIP + ".4.2.1")[ADV + ".2." + FA_IF] == ("INTEGER", "500"), "half applied")
    set_err("wrongValue", ADV + ".4." + FA_IF, "a", "224.0.0.2")
    set_err("wrongValue", ADV + ".5." + FA_IF, "i", "3")
    set_err("wrongType", ADV + ".4." + FA_IF, "i", "1")
    set_ok(ADV + ".2." + FA_IF, "i", "600", ADV + ".7." + FA_IF, "i", "12", ADV + ".3." + FA_IF, "i", "2")


def t_fa_adv_status():
    """maAdvStatus: destroy stops the advertisements (counter still, no answer
    to a solicitation), createAndGo brings them back; RFC 2579's errors."""
    fl = FA["lab"]
    set_err("inconsistentValue", ADV + ".9." + FA_IF, "i", "4")      # createAndGo on an existing row
    set_err("noCreation", ADV + ".9.203.0.113.50", "i", "6")         # no interface has it
    set_err("noCreation", ADV + ".9.203.0.113.50", "i", "4")
    set_ok(ADV + ".9." + FA_IF, "i", "6")
    check(not any(k.startswith(ADV) for k in walk(MIP + ".4")), "the destroyed row is still there")
    check(re.search(r'advertise="false"', open(FA["fa"].conf).read()), "not in the file")
    time.sleep(1.0)                                                  # a pending one may still go
    sent = adv_sent()
    fl.solicit()
    a = next_adv(6.0)
    check(a is None, "an advertisement after destroy: %s" % a)
    check(adv_sent() == sent, "maAdvertisementsSent moved after destroy")
    set_ok(ADV + ".9." + FA_IF, "i", "6")                            # destroy again: noError
    set_err("inconsistentValue", ADV + ".9." + FA_IF, "i", "1")      # active on a missing row
    set_ok(ADV + ".9." + FA_IF, "i", "5")                            # createAndWait: notInService
    check(walk(MIP + ".4.2.1").get(ADV + ".9." + FA_IF) == ("INTEGER", "2"), "createAndWait row")
    check(next_adv(5.0) is None, "advertising while notInService")
    set_ok(ADV + ".9." + FA_IF, "i", "1")                            # active
    a = next_adv(6.0)
    check(a is not None and adv_sent() > sent, "no advertisement after active(1)")
    set_ok(ADV + ".9." + FA_IF, "i", "2")                            # notInService
    check(walk(MIP + ".4.2.1").get(ADV + ".9." + FA_IF) == ("INTEGER", "2"), "notInService row")
    set_ok(ADV + ".9." + FA_IF, "i", "6")
    set_ok(ADV + ".9." + FA_IF, "i", "4", ADV + ".5." + FA_IF, "i", "5", ADV + ".6." + FA_IF, "i", "4")
    a = next_adv(7.0)
    check(a is not None, "createAndGo did not bring the advertisements back")
    w = walk(MIP + ".4.2.1")
    check(w.get(ADV + ".9." + FA_IF) == ("INTEGER", "1") and w.get(ADV + ".5." + FA_IF) == ("INTEGER", "5"), w)
    check('advertise="false"' not in open(FA["fa"].conf).read(), "advertise stays off in the file")


def t_fa_coa():
    """faCOAStatus: createAndGo offers a care-of address, destroy withdraws it."""
    fl = FA["lab"]
    fl.ip("fa", "addr", "add", "203.0.113.2/26", "dev", "fa0")
    set_err("inconsistentValue", COA + ".2.203.0.113.1", "i", "4")   # exists
    set_err("noCreation", COA + ".2.127.0.0.1", "i", "4")
    set_err("wrongValue", COA + ".2.203.0.113.2", "i", "3")          # notReady
    set_ok(COA + ".2.203.0.113.2", "i", "4")
    check(walk(MIP + ".5.1.1") == {COA + ".2.203.0.113.1": ("INTEGER", "1"),
                                 COA + ".2.203.0.113.2": ("INTEGER", "1")}, "faCOATable")
    a = next_adv(6.0)
    check(a and a["coas"] == ["203.0.113.1", "203.0.113.2"], "advertised: %s" % a)
    check("203.0.113.2" in str(fa_stat("advertisements")[0]["coas"]), "mipagentstat advertisements")
    set_ok(COA + ".2.203.0.113.1", "i", "6")
    a = next_adv(6.0)
    check(a and a["coas"] == ["203.0.113.2"], "after destroy: %s" % a)
    set_err("inconsistentValue", COA + ".2.203.0.113.2", "i", "6")   # the interface's last one
    set_ok(COA + ".2.203.0.113.1", "i", "6")                         # missing row: noError
    set_ok(COA + ".2.203.0.113.1", "i", "5")                         # createAndWait
    check(walk(MIP + ".5.1.1").get(COA + ".2.203.0.113.1") == ("INTEGER", "2"), "notInService COA row")
    a = next_adv(6.0)
    check(a and a["coas"] == ["203.0.113.2"], "a notInService COA is advertised: %s" % a)
    set_ok(COA + ".2.203.0.113.1", "i", "1")
    set_ok(COA + ".2.203.0.113.2", "i", "6")
    a = next_adv(6.0)
    check(a and a["coas"] == ["203.0.113.1"], "restored: %s" % a)
    text = fa_checked_conf()
    check("203.0.113.2" not in text and "203.0.113.1" in text, text)


def t_fa_mip_enable():
    """mipEnable disabled(2) on the foreign agent: no advertisements, requests dropped."""
    fl = FA["lab"]
    set_ok(MIP + ".1.2.0", "i", "2")
    time.sleep(1.0)
    sent = adv_sent()
    fl.solicit()
    check(next_adv(6.0) is None, "advertising while mipEnable is disabled")
    check(adv_sent() == sent, "maAdvertisementsSent moved while disabled")
    rc, replies = fl.mipreg(hoa="192.0.2.100", args=["-R", "0"], timeout=4)
    check(rc == 2, "a registration through the disabled FA: %s %s" % (rc, replies))
    set_ok(MIP + ".1.2.0", "i", "1")
    check(next_adv(7.0) is not None, "no advertisement after enabling")
    rc, replies = fl.mipreg(hoa="192.0.2.100")
    check(rc == 0, "registration after enabling: %s %s" % (rc, replies))


def t_fa_restart():
    """The foreign agent's sets are in its file: a restart keeps them."""
    fl = FA["lab"]
    set_ok(MIP + ".5.2.2.0", "i", "1", ADV + ".2." + FA_IF, "i", "450")
    text = fa_checked_conf()
    check("registration-required true" in text and "max-registration-lifetime 450" in text, text)
    d = FA["fa"]
    d.stop()
    log = open(d.log, "a")
    d.p = subprocess.Popen(["ip", "netns", "exec", fl.NS["fa"], fl.MIPAGENT, "-f", "-d", "3", "-c", d.conf],
                           stdout=log, stderr=log)
    log.close()
    wait_connected(PING + 8)
    lines = snmp("snmpget", "-On", MIP + ".5.2.2.0", ADV + ".2." + FA_IF)
    check(lines[0].endswith("INTEGER: 1") and lines[1].endswith("INTEGER: 450"), "after restart: %s" % lines)
    a = next_adv()
    check(a and a["reg_lifetime"] == 450 and a["flags"] & fl.FLAG_BITS["R"], "advertisement: %s" % a)
    set_ok(MIP + ".5.2.2.0", "i", "2", ADV + ".2." + FA_IF, "i", "600")


FA_CASES = [
    ("fa_tables_vs_mipagentstat", t_fa_walks),
    ("fa_set_faRegistrationRequired", t_fa_reg_required),
    ("fa_set_maAdvConfig_columns", t_fa_adv_columns),
    ("fa_set_maAdvStatus", t_fa_adv_status),
    ("fa_set_faCOAStatus", t_fa_coa),
    ("fa_set_mipEnable", t_fa_mip_enable),
    ("fa_sets_survive_restart", t_fa_restart),
]


def fa_phase(only):
    import falab
    FA["lab"] = falab
    try:
        # private copies: a concurrent build may relink the binaries
        for name, attr in (("mipagent", "MIPAGENT"), ("mipreg", "MIPREG"), ("mipagentstat", None)):
            dst = os.path.join(falab.TMP, name)
            shutil.copy2(os.path.join(falab.TOP, name), dst)
            if attr:
                setattr(falab, attr, dst)
        falab.setup()
        for hoa in FA_HOAS[1:]:
            falab.ip("mn", "addr", "add", hoa + "/32", "dev", "mn0")
        sock = fa_snmp_start()
        FA["ha"] = falab.Daemon("ha")
        FA["ha"].start(FA_HA_CONF % (falab.K, falab.K, falab.K_FA))
        FA["fa"] = falab.Daemon("fa")
        FA["fa"].start(FA_FA_CONF % (falab.K_MNFA, falab.K_FA, sock, PING))
        wait_connected(10)
        for name, fn in FA_CASES:
            if only and name not in only:
                continue
            R.case(name, fn)
    except Exception as e:
        R.fail("fa_setup", "%s: %s" % (type(e).__name__, e))
    finally:
        falab.cleanup()


CASES = [
    ("connect", t_connect),
    ("haMobilityBindingTable_numeric", t_bindings_numeric),
    ("haMobilityBindingTable_named", t_bindings_named),
    ("haCounterTable", t_counter_table),
    ("haRegistration_counters", t_counters),
    ("mipSecAssocTable", t_sec_assoc),
    ("bulkwalk", t_bulkwalk),
    ("get_errors_and_empty_tables", t_get_errors),
    ("set_errors_change_nothing", t_set_errors),
    ("set_mipSecAssoc_create", t_set_sa_create),
    ("set_mipSecAssoc_change", t_set_sa_change),
    ("set_mipSecAssoc_delete", t_set_sa_delete),
    ("set_mipEnable", t_set_mip_enable),
    ("set_survives_restart", t_set_survives_restart),
    ("mipAuthFailure_trap", t_trap),
    ("trap_rate_limit", t_trap_rate_limit),
    ("restart_snmpd_while_registering", t_restart_snmpd),
    ("hung_master_bounded_stall", t_hung_master),
    ("master_away_at_start", t_master_away_at_start),
    ("clean_stop", t_clean_stop),
]


def main():
    only = set(sys.argv[1:])
    t0 = time.time()
    try:
        for tool in ("snmpd", "snmptrapd", "snmpwalk", "snmpbulkwalk", "snmpget"):
            if not shutil.which(tool):
                R.fail("setup", "%s is not installed (apt-get install snmpd snmp snmptrapd)" % tool)
                return R.summary()
        if not os.path.isfile(os.path.join(REF_MIB, "netsnmp-5.9.3", "SNMPv2-SMI.txt")):
            R.fail("setup", "base MIB modules not found under %s (set MIP_REF_MIB)" % REF_MIB)
            return R.summary()
        os.makedirs(PERSIST, exist_ok=True)
        os.makedirs(os.path.join(lab.tmp, "snmpconf"), exist_ok=True)
        if not only or only & {name for name, _ in CASES}:
            lab.setup()
            start_trapd()
            start_snmpd()
            lab.start_daemon("snmp", CONF)
        for name, fn in CASES:
            if only and name not in only:
                continue
            if lab.daemon is None and name != "master_away_at_start":
                lab.start_daemon("snmp", CONF)
            R.case(name, fn)
    except Exception as e:
        R.fail("setup", "%s: %s" % (type(e).__name__, e))
    finally:
        lab.cleanup()
    if not only or only & {name for name, _ in FA_CASES}:
        fa_phase(only)
    print("# test_snmp.py took %.1f s" % (time.time() - t0))
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
