#!/usr/bin/python3
"""Integration tests of operating mipagent: the durable state under kill -9
during a registration storm, damaged state stores, every mipagentstat view
and format, every mipagentconfig verb and the file the daemon writes back,
reload (SIGHUP and mipagentconfig reload), systemd readiness notification,
a clean SIGTERM and the single-instance rule.

mipagent runs in the HA namespace of mipnet.Lab (namespaces "mi<PID>ha",
"mi<PID>net", "mi<PID>cn", removed in every exit path); registrations come
from the NET namespace; all traffic stays inside the namespaces.

Run as root: /usr/bin/python3 tests/integration/test_ops.py [CASE...]
(env: top_builddir; MIPINT_KEEP_TMP=1 keeps configs and daemon logs;
MIPOPS_ROUNDS sets the number of kill -9 rounds, default 4).
Prints "PASS name" / "FAIL name: reason" per case and "N passed, M failed".
"""
import json
import os
import random
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mipnet import (CCOA, HA_ADDR, Lab, Runner, build_request, check, ntp_now,  # noqa: E402
                    parse_reply, run, verify_restored)

K = "00112233445566778899aabbccddeeff"        # the storm range, SPI 256
KB = bytes.fromhex(K)
K2 = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"       # 192.0.2.230, SPI 300
K3 = "a1b2c3d4e5f60718293a4b5c6d7e8f90"       # added by mipagentconfig
STORM_FIRST, STORM_N = 20, 200                # 192.0.2.20 - 192.0.2.219
COAS = ["203.0.113.10", "203.0.113.11", "203.0.113.12", "203.0.113.13"]
LIFETIMES = [6, 30, 120, 600, 1800]
ROUNDS = int(os.environ.get("MIPOPS_ROUNDS", "4"))

NODES = '''    <mobile-node first="192.0.2.20" last="192.0.2.219">
      <security-association spi="256" key="%s"/>
    </mobile-node>
    <mobile-node address="192.0.2.230">
      <security-association spi="300" key="%s"/>
    </mobile-node>
''' % (K, K2)


def ha_body(nodes=NODES, attrs=""):
    return ('  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24" %s>\n'
            '%s  </home-agent>\n  <data-plane gratuitous-arp-count="0"/>' % (attrs, nodes))


lab = Lab()
R = Runner(lab)
MIPAGENTSTAT = lab._snapshot(os.path.join(lab.top_builddir, "mipagentstat"))
MIPAGENTCONFIG = lab._snapshot(os.path.join(lab.top_builddir, "mipagentconfig"))


# ---------------------------------------------------------------- the daemon

class Agent:
    """One mipagent instance with its own directory: configuration, state
    directory, control socket and log (appended to across restarts)."""

    def __init__(self, name):
        self.dir = os.path.join(lab.tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        self.conf = os.path.join(self.dir, "mipagent.xml")
        self.state = os.path.join(self.dir, "state")
        self.sock = os.path.join(self.dir, "ctl.sock")
        self.log = os.path.join(self.dir, "mipagent.log")
        self.proc = None
        self.mark = 0

    def xml(self, body, general=""):
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- test_ops -->\n<mipagent>\n'
                '  <general log-level="debug" state-dir="%s" control-socket="%s" %s/>\n%s\n'
                '</mipagent>\n' % (self.state, self.sock, general, body))

    def write(self, body, general="", mode=0o640):
        with open(self.conf, "w") as f:
            f.write(self.xml(body, general))
        os.chmod(self.conf, mode)

    def spawn(self, conf=None, ns="ha", env=None, extra=()):
        logf = open(self.log, "a")
        self.mark = logf.tell()
        cmd = ["ip", "netns", "exec", lab.ns[ns], lab.mipagent, "-f", "-c", conf or self.conf,
               "-d", "3"] + list(extra)
        p = subprocess.Popen(cmd, stdout=logf, stderr=logf, env=env)
        logf.close()
        return p

    def start(self, env=None, timeout=15):
        self.proc = self.spawn(env=env)
        lab.daemon, lab.daemon_log, lab.sock_path = self.proc, self.log, self.sock
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("mipagent exited with %s:\n%s" % (self.proc.returncode,
                                                                    self.tail()))
            try:
                if lab.ctl("MIP/1 show summary", timeout=1)[0] == 0:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("the control socket never answered:\n" + self.tail())
            time.sleep(0.02)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        self.proc.kill()
        self.proc.wait()
        lab.daemon = None

    def term(self, timeout=15):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        lab.daemon = None
        return rc

    def hup(self):
        self.proc.send_signal(signal.SIGHUP)

    def since(self):
        """The log written since the last start."""
        with open(self.log, errors="replace") as f:
            f.seek(self.mark)
            return f.read()

    def wait_log(self, pattern, timeout=5):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if re.search(pattern, self.since()):
                return True
            time.sleep(0.05)
        return False

    def tail(self, n=15):
        with open(self.log, errors="replace") as f:
            return "".join(f.readlines()[-n:])


def tool(path, agent, *args, stdin=None):
    return subprocess.run([path, "-s", agent.sock] + [str(a) for a in args], input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=30)


def cfg(agent, *args, stdin=None):
    return tool(MIPAGENTCONFIG, agent, *args, stdin=stdin)


def stat_(agent, *args):
    return tool(MIPAGENTSTAT, agent, *args)


def bindings_by_hoa():
    return {b["hoa"]: b for b in lab.bindings()}


def reg_replies(hoa, key, spi, coa=CCOA, lifetime=300, args=()):
    """mipreg from NET (care-of address @coa); returns (exit status, replies)."""
    return lab.mipreg(hoa, key, spi=spi, coa=coa, args=["-l", lifetime, "-R", 1] + list(args))


def reg(hoa, key, spi, coa=CCOA, lifetime=300, args=()):
    """Returns (exit status, reply code or None)."""
    rc, replies = reg_replies(hoa, key, spi, coa, lifetime, args)
    code = replies[0].get("code") if len(replies) == 1 else None
    return rc, code


# ---------------------------------------------------------------- 1. kill -9 storm

class Storm(threading.Thread):
    """Signed registrations for every node of the range from one socket in
    NET, each node with at most one request in flight; every request and
    what became of it is kept in @hist (shared across rounds)."""

    def __init__(self, hist, last_id):
        super().__init__(daemon=True)
        self.hist, self.last_id = hist, last_id
        self.by_id = {}
        self.sock = lab.ns_socket("net")
        self.sock.bind((CCOA, 0))
        self.sock.settimeout(0.01)
        self.sending = True
        self.running = True
        self.sent = self.answered = self.accepted = 0
        self.error = None

    def send(self, hoa, now):
        ident = max(ntp_now(), self.last_id.get(hoa, 0) + 1)
        self.last_id[hoa] = ident
        prev = [r for r in self.hist[hoa] if r["code"] == 0]
        coa = random.choice([c for c in COAS if not prev or c != prev[-1]["coa"]])
        rec = {"id": ident, "coa": coa, "lifetime": random.choice(LIFETIMES), "t_send": now,
               "t_recv": None, "code": None}
        msg = build_request(hoa, HA_ADDR, coa, ident, lifetime=rec["lifetime"], spi=256, key=KB)
        self.hist[hoa].append(rec)
        self.by_id[(hoa, ident)] = rec
        self.sock.sendto(msg, (HA_ADDR, 434))
        self.sent += 1

    def receive(self):
        while True:
            try:
                data, _ = self.sock.recvfrom(4096)
            except socket.timeout:
                return
            t = time.time()
            try:
                r = parse_reply(data)
            except ValueError:
                continue
            rec = self.by_id.pop((r["hoa"], r["id"]), None)
            if rec is None:
                continue
            rec["t_recv"], rec["code"] = t, r["code"]
            self.answered += 1
            self.accepted += r["code"] == 0

    def run(self):
        nodes = ["192.0.2.%d" % (STORM_FIRST + i) for i in range(STORM_N)]
        try:
            while self.running:
                now = time.time()
                if self.sending:
                    for hoa in nodes:
                        last = self.hist[hoa][-1] if self.hist[hoa] else None
                        # one in flight per node; a request unanswered for 1 s stays
                        # in the history as "maybe committed" and the node goes on
                        if last and last["t_recv"] is None and now - last["t_send"] < 1.0:
                            continue
                        if last and last["t_recv"] is not None and now - last["t_recv"] < 0.05:
                            continue
                        self.send(hoa, now)
                self.receive()
        except Exception as e:          # reported by the test
            self.error = e
        finally:
            self.sock.close()


def t_kill9_storm():
    agent = Agent("storm")
    agent.write(ha_body())
    agent.start()
    hist = {"192.0.2.%d" % (STORM_FIRST + i): [] for i in range(STORM_N)}
    last_id = {}
    total_accepted = 0
    try:
        for rnd in range(ROUNDS):
            storm = Storm(hist, last_id)
            storm.start()
            time.sleep(random.uniform(0.8, 2.5))
            t_kill = time.time()
            agent.kill9()
            storm.sending = False
            time.sleep(0.3)             # replies already sent may still be queued
            storm.running = False
            storm.join(5)
            check(storm.error is None, "round %d: the sender failed: %r" % (rnd, storm.error))
            check(storm.accepted > 0, "round %d: no registration was accepted (sent %d)" %
                  (rnd, storm.sent))
            total_accepted += storm.accepted
            time.sleep(random.uniform(0, 1.2))       # lifetimes run on while it is down
            agent.start()
            t0 = time.time()
            table = bindings_by_hoa()
            t1 = time.time()
            must, problems = verify_restored(hist, table, t_kill, t0, t1)
            check(not problems, "round %d: %d problem(s): %s" % (rnd, len(problems),
                                                               "; ".join(problems[:5])))
            check(must > 0, "round %d: no binding was expected to survive" % rnd)
            check(re.search(r"restored \d+ binding", agent.since()), "no restore logged: %s" %
                  agent.tail())
            codes = {}
            for recs in hist.values():
                for r in recs:
                    codes[r["code"]] = codes.get(r["code"], 0) + 1
            print("# round %d: sent %d, accepted %d, %d bindings checked after kill -9; replies "
                  "so far by code: %s" % (rnd, storm.sent, storm.accepted, must,
                                          sorted(codes.items(), key=str)), flush=True)
    finally:
        if agent.alive():
            agent.term()
    check(total_accepted >= ROUNDS * 50, "only %d registrations accepted" % total_accepted)


# ---------------------------------------------------------------- 2. damaged stores

def aside_files(agent, before=()):
    return sorted(f for f in os.listdir(agent.state)
                  if f.startswith("state.db.bad-") and not f.endswith(("-wal", "-shm")) and
                  f not in before)


def t_corrupt_store():
    agent = Agent("corrupt")
    agent.write(ha_body())
    agent.start()
    rc, code = reg("192.0.2.230", K2, 300)
    check(code == 0, "registration refused: %s %s" % (rc, code))
    check(agent.term() == 0, "SIGTERM exit status")
    db = os.path.join(agent.state, "state.db")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    garbage = bytes(random.getrandbits(8) for _ in range(8192))
    with open(db, "r+b") as f:
        f.write(garbage)
    before = aside_files(agent)
    agent.start()
    check(lab.bindings() == [], "bindings restored from a corrupt store: %s" % lab.bindings())
    log = agent.since()
    check(re.search(r"state\.db: (file is not a database|integrity check failed|.*malformed)", log),
          "the reason is not logged: %s" % agent.tail())
    check(re.search(r"kept aside as .*state\.db\.bad-", log), "setting aside not logged: %s" %
          agent.tail())
    new = aside_files(agent, before)
    check(len(new) == 1, "expected one file set aside, got %s" % new)
    with open(os.path.join(agent.state, new[0]), "rb") as f:
        check(f.read(8192) == garbage, "the file set aside is not the corrupt store")
    # the fresh store works: a binding survives the next restart
    rc, code = reg("192.0.2.230", K2, 300)
    check(code == 0, "registration on the fresh store refused: %s" % code)
    agent.kill9()
    agent.start()
    check("192.0.2.230" in bindings_by_hoa(), "the fresh store lost the binding")
    check(agent.term() == 0, "SIGTERM exit status")


def t_newer_version_store():
    agent = Agent("version")
    agent.write(ha_body())
    os.makedirs(agent.state, exist_ok=True)
    db = os.path.join(agent.state, "state.db")
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE binding (hoa INTEGER, coa INTEGER, future TEXT)")
    c.execute("INSERT INTO binding VALUES (3221226006, 3405803786, 'x')")
    c.execute("PRAGMA user_version=99")
    c.commit()
    c.close()
    agent.start()
    log = agent.since()
    check(re.search(r"state format version 99 is not supported", log),
          "no clear refusal of version 99 logged: %s" % agent.tail())
    check("kept aside" in log, "setting aside not logged")
    aside = aside_files(agent)
    check(len(aside) == 1, "expected one file set aside, got %s" % aside)
    c = sqlite3.connect(os.path.join(agent.state, aside[0]))
    check(c.execute("PRAGMA user_version").fetchone()[0] == 99, "the file set aside was changed")
    c.close()
    check(lab.bindings() == [], "bindings from a version 99 store")
    c = sqlite3.connect(db)
    check(c.execute("PRAGMA user_version").fetchone()[0] == 2, "the new store is not version 2")
    c.close()
    check(agent.term() == 0, "SIGTERM exit status")


def t_version1_store():
    """A store of format 1 (bindings only, before the visitors) is migrated in place."""
    agent = Agent("version1")
    agent.write(ha_body())
    os.makedirs(agent.state, exist_ok=True)
    db = os.path.join(agent.state, "state.db")
    c = sqlite3.connect(db)
    c.execute("CREATE TABLE binding (hoa INTEGER NOT NULL, coa INTEGER NOT NULL, src INTEGER NOT NULL,"
              " sport INTEGER NOT NULL, id INTEGER NOT NULL, flags INTEGER NOT NULL,"
              " lifetime INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
              " PRIMARY KEY (hoa, coa)) WITHOUT ROWID")
    c.execute("INSERT INTO binding VALUES (3221226214, 3405803786, 3405803786, 434, 5, 0, 300, ?)",
              (int(time.time() * 1000) + 200000,))         # 192.0.2.230, 200 s left
    c.execute("PRAGMA user_version=1")
    c.commit()
    c.close()
    agent.start()
    check(re.search(r"state format version 1 migrated to 2", agent.since()), "migration not logged: %s" %
          agent.tail())
    b = bindings_by_hoa().get("192.0.2.230")
    check(b and b["coa"] == "203.0.113.10" and 198 <= b["remaining"] <= 201, "binding after migration: %s" % b)
    check(aside_files(agent) == [], "a version 1 store was set aside")
    c = sqlite3.connect(db)
    check(c.execute("PRAGMA user_version").fetchone()[0] == 2, "the store is not version 2")
    check(c.execute("SELECT count(*) FROM visitor").fetchone()[0] == 0, "no visitor table")
    c.close()
    check(agent.term() == 0, "SIGTERM exit status")


# ---------------------------------------------------------------- 3. mipagentstat

def stat_views():
    """The views mipagentstat offers, from its usage line."""
    p = subprocess.run([MIPAGENTSTAT, "-h"], stdout=subprocess.PIPE, text=True)
    m = re.search(r"\[((?:[a-z-]+\|\s*)*bindings(?:\|\s*[a-z-]+)*)\]", p.stdout)
    check(m and "bindings" in m.group(1), "no views in the usage: %r" % p.stdout)
    # "watch" streams until interrupted: test_ha.py's watch case covers it
    return [v for v in re.sub(r"\s+", "", m.group(1)).split("|") if v != "watch"]


def xmllint_ok(text):
    p = subprocess.run(["xmllint", "--noout", "-"], input=text, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return p.returncode == 0, p.stderr


def t_mipagentstat_views():
    agent = STAT_AGENT
    for i, coa in enumerate(COAS):
        rc, code = reg("192.0.2.%d" % (40 + i), K, 256, coa=coa, lifetime=600)
        check(code == 0, "registration refused: %s" % code)
    rc, code = reg("192.0.2.230", K2, 300, lifetime=900)
    check(code == 0, "registration refused: %s" % code)
    table = lab.bindings()
    check(len(table) == 5, "expected 5 bindings, got %d" % len(table))
    code, counter_lines = lab.ctl("MIP/1 show counters")
    counters = {dict(kv.split("=", 1) for kv in l.split()[1:])["index"]: l for l in counter_lines}
    views = stat_views()
    print("# mipagentstat views: %s" % " ".join(views), flush=True)
    for view in views:
        for fmt in ("text", "json", "xml"):
            args = {"text": [], "json": ["-j"], "xml": ["-x"]}[fmt] + [view]
            p = stat_(agent, *args)
            check(p.returncode == 0, "mipagentstat %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                                       p.stderr))
            if fmt == "json":
                try:
                    doc = json.loads(p.stdout)
                except ValueError as e:
                    raise AssertionError("mipagentstat -j %s: not JSON (%s): %r" % (view, e, p.stdout[:300]))
                check(isinstance(doc.get(view), list), "JSON of %s has no %s list: %r" % (view, view, doc))
                recs = doc[view]
            elif fmt == "xml":
                ok, err = xmllint_ok(p.stdout)
                check(ok, "mipagentstat -x %s: xmllint: %s" % (view, err))
                root = ET.fromstring(p.stdout)
                sect = root.find(view)
                check(sect is not None, "XML of %s has no <%s>" % (view, view))
                recs = [dict(e.attrib) for e in sect]
            else:
                recs = None
                check(p.stdout.strip() != "" or view not in ("bindings", "counters", "summary"),
                      "text of %s is empty" % view)
            if view == "bindings":
                if recs is None:
                    rows = p.stdout.strip().splitlines()
                    check(len(rows) == len(table) + 1, "text bindings: %d rows for %d bindings" %
                          (len(rows) - 1, len(table)))
                    for b in table:
                        check(any(r.split()[:2] == [b["hoa"], b["coa"]] for r in rows[1:]),
                              "text bindings lack %s %s" % (b["hoa"], b["coa"]))
                else:
                    got = sorted((r["hoa"], r["coa"], int(r["lifetime"])) for r in recs)
                    want = sorted((b["hoa"], b["coa"], b["lifetime"]) for b in table)
                    check(got == want, "%s bindings %s != daemon's %s" % (fmt, got, want))
            elif view == "nodes" and recs is not None:
                got = sorted(r["hoa"] for r in recs if int(r["bindings"]) > 0)
                check(got == sorted(b["hoa"] for b in table), "%s nodes %s" % (fmt, got))
            elif view == "counters" and recs is not None:
                check(len(recs) == len(counters), "%s counters: %d of %d" % (fmt, len(recs), len(counters)))
                for r in recs:
                    line = counters[str(r["index"])]
                    check(("value=%s" % r["value"]) in line, "%s counter %s: %s vs %s" % (fmt, r, r, line))
            elif view == "summary" and recs is not None:
                check(len(recs) == 1 and int(recs[0]["bindings"]) == len(table),
                      "%s summary %s" % (fmt, recs))
    # one node's bindings only
    p = stat_(agent, "-j", "bindings", "192.0.2.230")
    doc = json.loads(p.stdout)
    check([r["hoa"] for r in doc["bindings"]] == ["192.0.2.230"], "filtered: %s" % doc)
    # usage and unreachable daemon
    p = stat_(agent, "no-such-view")
    check(p.returncode == 64, "an unknown view: exit %d" % p.returncode)
    p = subprocess.run([MIPAGENTSTAT, "-s", os.path.join(lab.tmp, "nothing.sock")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(p.returncode == 2 and "cannot connect" in p.stderr, "no daemon: exit %d %s" %
          (p.returncode, p.stderr))


# ---------------------------------------------------------------- 4. mipagentconfig

def conf_tree(agent):
    return ET.parse(agent.conf).getroot()


def node_elem(root, address=None, first=None):
    for n in root.iter("mobile-node"):
        if (address and n.get("address") == address) or (first and n.get("first") == first):
            return n
    return None


def sa_elem(node, spi):
    for s in node.iter("security-association"):
        if s.get("spi") == str(spi):
            return s
    return None


def check_file(agent, mode, gid):
    st = os.stat(agent.conf)
    check(stat.S_IMODE(st.st_mode) == mode, "file mode %o, expected %o" % (stat.S_IMODE(st.st_mode), mode))
    check(st.st_gid == gid, "file group %d, expected %d" % (st.st_gid, gid))
    p = run([lab.mipagent, "-n", "-c", agent.conf], check=False)
    check(p.returncode == 0, "mipagent -n refuses the written file: %s" % p.stderr)
    leftovers = [f for f in os.listdir(agent.dir) if f.startswith(".mipagent.xml.")]
    check(leftovers == [], "temporary files left: %s" % leftovers)


def refused(agent, args, rc=1, text=None, stdin=None):
    before = open(agent.conf, "rb").read()
    p = cfg(agent, *args, stdin=stdin)
    check(p.returncode == rc, "mipagentconfig %s: exit %d, expected %d (%s%s)" %
          (" ".join(map(str, args)), p.returncode, rc, p.stdout, p.stderr))
    if text:
        check(re.search(text, p.stderr), "mipagentconfig %s: no %r in %r" %
              (" ".join(map(str, args)), text, p.stderr))
    check(open(agent.conf, "rb").read() == before, "the file changed after a refused command")
    return p


def done(agent, args, text=None, stdin=None):
    p = cfg(agent, *args, stdin=stdin)
    check(p.returncode == 0, "mipagentconfig %s: exit %d: %s%s" % (" ".join(map(str, args)),
                                                                   p.returncode, p.stdout, p.stderr))
    if text:
        check(re.search(text, p.stdout), "mipagentconfig %s: no %r in %r" %
              (" ".join(map(str, args)), text, p.stdout))
    return p


def t_mipagentconfig_sa():
    agent = CFG_AGENT
    mode, gid = 0o640, 65534
    os.chown(agent.conf, 0, gid)
    os.chmod(agent.conf, mode)
    # usage errors never reach the daemon
    refused(agent, ["frobnicate"], 64, "unknown command")
    refused(agent, ["c", "sa"], 64, "ambiguous command")
    refused(agent, ["add", "sa", "192.0.2.230"], 64, "needs NODE SPI")
    refused(agent, ["add", "sa", "192.0.2.230", "301", "colour", "red"], 64, "unknown setting")
    refused(agent, ["add", "sa", "192.0.2.230", "301", "key"], 64, "needs a value")
    refused(agent, ["add", "sa", "192.0.2.230", "301", "key", K3, "alg", "md4"], 64, "unknown algorithm")
    p = subprocess.run([MIPAGENTCONFIG, "-s", os.path.join(lab.tmp, "none.sock"), "reload"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    check(p.returncode == 2, "no daemon: exit %d" % p.returncode)
    p = subprocess.run([MIPAGENTCONFIG, "help", "add"], stdout=subprocess.PIPE, text=True)
    check(p.returncode == 0 and "add sa NODE SPI" in p.stdout and "timestamp-tolerance" in p.stdout,
          "help add: %r" % p.stdout)
    # refused by the daemon: nothing changes
    refused(agent, ["add", "sa", "192.0.2.250", "301", "key", K3], 1, "neither a configured")
    refused(agent, ["add", "sa", "192.0.2.230", "300", "key", K3], 1, "already has")
    refused(agent, ["add", "sa", "192.0.2.230", "100", "key", K3], 1, "reserved")
    refused(agent, ["add", "sa", "192.0.2.230", "301", "key", "abc"], 1, "odd number")
    refused(agent, ["add", "sa", "192.0.2.230", "301", "key", "zz"], 1, "not a hexadecimal")
    refused(agent, ["add", "sa", "192.0.2.230", "301", "key", K3, "timestamp-tolerance", "0"], 1,
            "out of range")
    refused(agent, ["change", "sa", "192.0.2.230", "999", "alg", "keyed"], 1, "no security-association")
    refused(agent, ["delete", "sa", "192.0.2.230", "300"], 1, "has no security-association")
    # the key never appears in an answer or in the log
    check(K3 not in agent.since(), "a key was logged")
    # a new SA, its key read from standard input, abbreviated words
    done(agent, ["a", "s", "192.0.2.230", "301", "k", "-", "al", "h", "rep", "t"],
         "SPI 301 of mobile-node 192.0.2.230 added", stdin=K3 + "\n")
    check_file(agent, mode, gid)
    s = sa_elem(node_elem(conf_tree(agent), address="192.0.2.230"), 301)
    check(s is not None and s.get("key") == K3 and s.get("algorithm") == "hmac-md5",
          "the new SA is not in the file: %s" % (s.attrib if s is not None else None))
    check(K3 not in agent.since(), "the key was logged")
    # the new SA lets the node register; the old one still works too
    rc, code = reg("192.0.2.230", K3, 301)
    check(code == 0, "registration with the new SA: %s %s" % (rc, code))
    rc, code = reg("192.0.2.230", K2, 300)
    check(code == 0, "registration with the old SA: %s %s" % (rc, code))
    # change it: keyed-md5 and a tolerance; the file says so, the node follows
    done(agent, ["change", "sa", "192.0.2.230", "301", "algorithm", "keyed-md5", "timestamp-tol", "9"])
    check_file(agent, mode, gid)
    s = sa_elem(node_elem(conf_tree(agent), address="192.0.2.230"), 301)
    check(s.get("algorithm") == "keyed-md5" and s.get("timestamp-tolerance") == "9" and
          s.get("key") == K3, "changed SA in the file: %s" % s.attrib)
    rc, replies = reg_replies("192.0.2.230", K3, 301, args=["-A", "keyed-md5"])
    check(rc == 0, "registration with the changed SA: %s %s" % (rc, replies))
    rc, code = reg("192.0.2.230", K3, 301)          # hmac-md5 no longer
    check(code == 131, "the old algorithm still accepted: %s" % code)
    # an SA of a range node applies to the whole range
    done(agent, ["add", "sa", "192.0.2.25", "257", "key", K3], "mobile-node range 192.0.2.20-192.0.2.219")
    rc, code = reg("192.0.2.200", K3, 257)
    check(code == 0, "a range node with the range's new SA: %s" % code)
    # delete: the node keeps a binding; a deleted SA is refused
    done(agent, ["del", "sa", "192.0.2.230", "300"])
    check(sa_elem(node_elem(conf_tree(agent), address="192.0.2.230"), 300) is None,
          "the deleted SA is still in the file")
    rc, code = reg("192.0.2.230", K2, 300)
    check(code == 131, "a deleted SA still accepted: %s" % code)
    refused(agent, ["del", "sa", "192.0.2.230", "301"], 1, "no security-association")
    check_file(agent, mode, gid)
    check("192.0.2.230" in bindings_by_hoa(), "a binding was lost by SA changes")


def t_mipagentconfig_nodes():
    agent = CFG_AGENT
    mode, gid = 0o640, 65534
    refused(agent, ["add", "node", "192.0.2.240"], 1, "needs a security association")
    refused(agent, ["add", "node", "192.0.2.240", "spi", "400"], 1, "needs a security association")
    refused(agent, ["add", "node", "192.0.2.100", "spi", "400", "key", K3], 1, "overlaps")
    refused(agent, ["add", "node", "198.51.100.77", "spi", "400", "key", K3], 1, "outside the home network")
    refused(agent, ["add", "node", "192.0.2.240", "spi", "400", "key", K3, "max-reg", "0"], 1,
            "out of range")
    refused(agent, ["add", "node", "bogus", "spi", "400", "key", K3], 1, "usage")
    refused(agent, ["delete", "node", "192.0.2.241"], 1, "not configured")
    refused(agent, ["delete", "node", "192.0.2.30"], 1, "not configured")    # inside a range
    done(agent, ["add", "node", "192.0.2.240", "spi", "400", "key", K3, "max-registration-lifetime",
                 "600", "nai", "mn240@example.net"], "mobile-node 192.0.2.240 added")
    check_file(agent, mode, gid)
    n = node_elem(conf_tree(agent), address="192.0.2.240")
    check(n is not None and n.get("max-registration-lifetime") == "600" and
          n.get("nai") == "mn240@example.net" and sa_elem(n, 400).get("key") == K3,
          "the new node in the file: %s" % (n.attrib if n is not None else None))
    rc, replies = reg_replies("192.0.2.240", K3, 400, lifetime=1000)
    check(rc == 0 and replies[0]["lifetime"] == 600, "the new node registers (capped at 600): %s" % replies)
    done(agent, ["add", "node", "192.0.2.241-192.0.2.245", "spi", "401", "key", K3])
    n = node_elem(conf_tree(agent), first="192.0.2.241")
    check(n is not None and n.get("last") == "192.0.2.245", "the range is not in the file")
    done(agent, ["change", "node", "192.0.2.240", "roam", "no", "max-bindings", "2"])
    n = node_elem(conf_tree(agent), address="192.0.2.240")
    check(n.get("roam") == "false" and n.get("max-bindings") == "2", "changed node: %s" % n.attrib)
    rc, code = reg("192.0.2.240", K3, 400)
    check(code == 129, "roam=false not applied: %s" % code)
    check("192.0.2.240" in bindings_by_hoa(), "the binding in force was dropped by a change")
    # delete a node: its binding goes (binding-removed), the file loses it
    done(agent, ["delete", "node", "192.0.2.240"])
    check(node_elem(conf_tree(agent), address="192.0.2.240") is None, "deleted node still in the file")
    check("192.0.2.240" not in bindings_by_hoa(), "the deleted node's binding is still there")
    check(re.search(r"binding-removed 192\.0\.2\.240 ", agent.since()), "no binding-removed event")
    done(agent, ["delete", "node", "192.0.2.241-192.0.2.245"])
    check_file(agent, mode, gid)
    p = run([lab.mipagent, "-n", "-v", "-c", agent.conf], check=False)
    check("192.0.2.240" not in p.stdout and "192.0.2.230" in p.stdout, "mipagent -n -v: %s" % p.stdout)


def t_mipagentconfig_clear_reload():
    agent = CFG_AGENT
    for h in ("192.0.2.50", "192.0.2.51"):
        rc, code = reg(h, K, 256)
        check(code == 0, "registration: %s" % code)
    n = len(lab.bindings())
    p = done(agent, ["clear", "bindings", "192.0.2.50"], "cleared 1 binding")
    check("192.0.2.50" not in bindings_by_hoa() and len(lab.bindings()) == n - 1, "clear one")
    p = done(agent, ["cl", "b", "all"], "cleared %d binding" % (n - 1))
    check(lab.bindings() == [], "clear all left %s" % lab.bindings())
    code, lines = lab.ctl("MIP/1 show counters")
    check(any(not l.endswith("value=0") for l in lines), "no counter moved: %s" % lines)
    done(agent, ["clear", "counters"], "counters cleared")
    code, lines = lab.ctl("MIP/1 show counters")
    check(all(l.endswith("value=0") for l in lines), "counters not cleared: %s" % lines)
    # an edit of the file is never overwritten by a change: reload it first
    with open(agent.conf) as f:
        text = f.read()
    with open(agent.conf, "w") as f:
        f.write(text.replace('<mobile-node address="192.0.2.230"',
                             '<mobile-node address="192.0.2.231" roam="true"><security-association '
                             'spi="500" key="%s"/></mobile-node>\n    <mobile-node address="192.0.2.230"' % K3))
    refused(agent, ["add", "sa", "192.0.2.230", "302", "key", K3], 1, "changed since mipagent read it")
    done(agent, ["reload"], "reloaded")
    done(agent, ["add", "sa", "192.0.2.230", "302", "key", K3])
    root = conf_tree(agent)
    check(node_elem(root, address="192.0.2.231") is not None, "the operator's edit was lost")
    check(sa_elem(node_elem(root, address="192.0.2.230"), 302) is not None, "the change was lost")
    rc, code = reg("192.0.2.231", K3, 500)
    check(code == 0, "the reloaded node cannot register: %s" % code)


# ---------------------------------------------------------------- 5. reload

class NotifySocket:
    """A $NOTIFY_SOCKET of our own: what mipagent tells systemd."""

    def __init__(self):
        self.path = os.path.join(lab.tmp, "notify.sock")
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.s.bind(self.path)
        self.s.settimeout(0.1)
        self.msgs = []

    def wait(self, text, timeout=8):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if any(text in m for m in self.msgs):
                return True
            try:
                self.msgs.append(self.s.recv(4096).decode())
            except socket.timeout:
                pass
        return False

    def close(self):
        self.s.close()
        os.unlink(self.path)


def t_reload():
    agent = Agent("reload")
    agent.write(ha_body())
    ns = NotifySocket()
    try:
        env = dict(os.environ, NOTIFY_SOCKET=ns.path)
        agent.start(env=env)
        check(ns.wait("READY=1"), "no READY=1 on $NOTIFY_SOCKET: %s" % ns.msgs)
        for h in ("192.0.2.20", "192.0.2.21"):
            rc, code = reg(h, K, 256, lifetime=900)
            check(code == 0, "registration: %s" % code)
        rc, code = reg("192.0.2.230", K2, 300, lifetime=900)
        check(code == 0, "registration: %s" % code)
        before = bindings_by_hoa()
        # a bad file (SIGHUP): refused with FILE:LINE, everything stays
        good = open(agent.conf).read()
        with open(agent.conf, "w") as f:
            f.write(good.replace('spi="300"', 'spi="300" algorithm="md4"'))
        ns.msgs.clear()
        agent.hup()
        check(agent.wait_log(r"refused; the running one stays in force"), "no refusal logged: %s" %
              agent.tail())
        check(re.search(re.escape(agent.conf) + r":\d+: .*algorithm", agent.since()),
              "no FILE:LINE message: %s" % agent.tail())
        check(ns.wait("RELOADING=1") and ns.wait("READY=1"), "notify around a reload: %s" % ns.msgs)
        rc, code = reg("192.0.2.230", K2, 300, lifetime=900)
        check(code == 0, "the old configuration is not in force: %s" % code)
        check(set(bindings_by_hoa()) == set(before), "bindings changed by a refused reload")
        # the same through mipagentconfig: the messages come back
        p = cfg(agent, "reload")
        check(p.returncode == 1 and re.search(re.escape(agent.conf) + r":\d+: .*algorithm", p.stderr),
              "mipagentconfig reload of a bad file: %d %r" % (p.returncode, p.stderr))
        # a good file (SIGHUP): node .230 goes, the range gets a new key
        new = ha_body(nodes='''    <mobile-node first="192.0.2.20" last="192.0.2.219" max-registration-lifetime="100">
      <security-association spi="258" key="%s"/>
    </mobile-node>
''' % K3)
        with open(agent.conf, "w") as f:
            f.write(agent.xml(new))
        agent.mark = os.path.getsize(agent.log)
        agent.hup()
        check(agent.wait_log(r"in force: 1 mobile node entries"), "reload not logged: %s" % agent.tail())
        after = bindings_by_hoa()
        check(set(after) == {"192.0.2.20", "192.0.2.21"}, "bindings after the reload: %s" % sorted(after))
        for h in ("192.0.2.20", "192.0.2.21"):
            check(after[h]["id"] == before[h]["id"] and after[h]["coa"] == before[h]["coa"] and
                  after[h]["lifetime"] == 900, "binding %s changed by the reload" % h)
        check(re.search(r"binding-removed 192\.0\.2\.230 ", agent.since()), "no binding-removed event")
        rc, code = reg("192.0.2.20", K, 256)
        check(code == 131, "the old key still accepted after reload: %s" % code)
        rc, replies = reg_replies("192.0.2.20", K3, 258, lifetime=900)
        check(rc == 0 and replies[0]["lifetime"] == 100, "the new settings: %s" % replies)
        rc, code = reg("192.0.2.230", K2, 300)
        check(code is None, "a node no longer configured was answered: %s" % code)
        # and through mipagentconfig: back to the first file
        with open(agent.conf, "w") as f:
            f.write(good)
        p = cfg(agent, "rel")
        check(p.returncode == 0 and "reloaded" in p.stdout, "mipagentconfig reload: %s %s" %
              (p.stdout, p.stderr))
        rc, code = reg("192.0.2.230", K2, 300)
        check(code == 0, "node back after reload: %s" % code)
        ns.msgs.clear()
        check(agent.term() == 0, "SIGTERM exit status")
        check(ns.wait("STOPPING=1", 1), "no STOPPING=1: %s" % ns.msgs)
    finally:
        if agent.alive():
            agent.term()
        ns.close()


# ---------------------------------------------------------------- 6. shutdown, single instance

def traces():
    """What a home agent leaves in the HA namespace: our routes and rules,
    proxy and permanent neighbour entries, mip* devices."""
    out = []
    r = lab.ip("route", "show", "table", "all", "proto", "77", ns="ha").stdout.strip()
    if r:
        out.append("routes: " + r)
    rules = [l for l in lab.ip("rule", "show", ns="ha").stdout.splitlines() if "proto 77" in l]
    if rules:
        out.append("rules: %s" % rules)
    px = lab.ip("neigh", "show", "proxy", ns="ha").stdout.strip()
    if px:
        out.append("proxy neighbours: " + px)
    perm = lab.ip("neigh", "show", "nud", "permanent", ns="ha").stdout.strip()
    if perm:
        out.append("permanent neighbours: " + perm)
    links = [l.split(":")[1].strip() for l in lab.ip("-o", "link", "show", ns="ha").stdout.splitlines()
             if l.split(":")[1].strip().split("@")[0].startswith("mip")]
    if links:
        out.append("devices: %s" % links)
    return out


def t_sigterm_clean():
    agent = Agent("sigterm")
    agent.write(ha_body())
    agent.start()
    for i in range(6):
        rc, code = reg("192.0.2.%d" % (60 + i), K, 256, coa=COAS[i % 4], lifetime=600)
        check(code == 0, "registration: %s" % code)
    check(len(lab.bindings()) == 6, "bindings: %s" % lab.bindings())
    t = traces()
    check(any(x.startswith("routes") for x in t), "no route while bindings are in force: %s" % t)
    rc = agent.term()
    check(rc == 0, "SIGTERM exit status %s: %s" % (rc, agent.tail()))
    t = traces()
    check(t == [], "left behind after SIGTERM: %s" % t)
    check(not os.path.exists(agent.sock), "the control socket was left behind")
    # after a crash, the next start removes the dead instance's entries and
    # re-creates those of the restored bindings; SIGTERM again leaves nothing
    agent.start()
    check(len(lab.bindings()) == 6, "bindings not restored: %s" % lab.bindings())
    agent.kill9()
    check(traces() != [], "a killed instance left nothing (test not meaningful)")
    agent.start()
    check(len(lab.bindings()) == 6, "bindings not restored after kill -9")
    check(agent.term() == 0, "SIGTERM exit status")
    check(traces() == [], "left behind after restart and SIGTERM: %s" % traces())


def t_single_instance():
    agent = Agent("single")
    agent.write(ha_body())
    agent.start()
    rc, code = reg("192.0.2.70", K, 256, lifetime=600)
    check(code == 0, "registration: %s" % code)
    routes = lab.ip("route", "show", "table", "all", "proto", "77", ns="ha").stdout
    # the same configuration: same state directory and socket
    p = agent.spawn()
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("a second instance on the same state directory kept running")
    check(rc != 0, "the second instance exited 0")
    check("another mipagent uses the state directory" in agent.since(), "no clear refusal: %s" %
          agent.tail())
    # the same socket, another state directory, another namespace
    other = Agent("single2")
    other.write(ha_body())
    with open(other.conf) as f:
        text = f.read().replace(other.sock, agent.sock)
    with open(other.conf, "w") as f:
        f.write(text)
    p = other.spawn(ns="cn")
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("a second instance on the same control socket kept running")
    check(rc != 0, "the second instance exited 0")
    check(re.search(r"another mipagent is running \(control socket", other.since()),
          "no clear refusal: %s" % other.tail())
    # its own state directory and socket, but the same network namespace: the
    # data plane of a second instance would clean up the first one's routes
    third = Agent("single3")
    third.write(ha_body())
    p = third.spawn(ns="ha")
    try:
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("a second instance in the same network namespace kept running")
    check(rc != 0, "the third instance exited 0")
    check("another mipagent runs in this network namespace" in third.since(),
          "no clear refusal: %s" % third.tail())
    check(not os.path.exists(third.sock), "the refused instance left its control socket")
    # the first one is untouched
    check(agent.alive(), "the first instance died")
    check(lab.ip("route", "show", "table", "all", "proto", "77", ns="ha").stdout == routes,
          "the second instance changed the first one's routes")
    check("192.0.2.70" in bindings_by_hoa(), "the first instance lost its binding")
    code, _ = lab.ctl("MIP/1 show summary")
    check(code == 0, "the first instance's socket no longer answers")
    check(agent.term() == 0, "SIGTERM exit status")


# ---------------------------------------------------------------- main

CFG_AGENT = None
STAT_AGENT = None


def with_agent(name, fn, make):
    """Run case @fn against the shared agent made by @make (started if needed)."""
    def wrapper():
        agent = make()
        if not agent.alive():
            agent.start()
        fn()
    return wrapper


def make_stat_agent():
    global STAT_AGENT
    if STAT_AGENT is None:
        STAT_AGENT = Agent("stat")
        STAT_AGENT.write(ha_body())
    return STAT_AGENT


def make_cfg_agent():
    global CFG_AGENT
    if CFG_AGENT is None:
        CFG_AGENT = Agent("config")
        CFG_AGENT.write(ha_body())
        # the group the file keeps when written back: mipagent keeps no
        # CAP_CHOWN once started, it joins the file's group at start-up
        os.chown(CFG_AGENT.conf, 0, 65534)
    return CFG_AGENT


CASES = [
    ("kill9_storm", t_kill9_storm),
    ("corrupt_store", t_corrupt_store),
    ("newer_version_store", t_newer_version_store),
    ("version1_store", t_version1_store),
    ("mipagentstat_views", with_agent("stat", t_mipagentstat_views, make_stat_agent)),
    ("mipagentconfig_sa", with_agent("config", t_mipagentconfig_sa, make_cfg_agent)),
    ("mipagentconfig_nodes", with_agent("config", t_mipagentconfig_nodes, make_cfg_agent)),
    ("mipagentconfig_clear_reload", with_agent("config", t_mipagentconfig_clear_reload, make_cfg_agent)),
    ("reload", t_reload),
    ("sigterm_clean", t_sigterm_clean),
    ("single_instance", t_single_instance),
]


def stop_shared():
    for a in (STAT_AGENT, CFG_AGENT):
        if a is not None and a.alive():
            a.term()
    lab.daemon = None


def main():
    only = set(sys.argv[1:])
    t0 = time.time()
    random.seed(int(os.environ.get("MIPOPS_SEED", str(int(time.time())))))
    try:
        lab.setup()
        prev = None
        for name, fn in CASES:
            if only and name not in only:
                continue
            shared = name.split("_")[0]
            if prev is not None and shared != prev:
                stop_shared()
            prev = shared
            R.case(name, fn)
        stop_shared()
    except Exception as e:
        R.fail("setup", "%s: %s" % (type(e).__name__, e))
    finally:
        lab.cleanup()
    print("# test_ops.py took %.1f s" % (time.time() - t0))
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
