#!/usr/bin/python3
"""Integration tests of the foreign agent's durable visitors: many mobile
nodes register through the foreign agent while it is killed with kill -9 at
random moments; after each restart every visitor whose accepting reply a
node received is back (control socket and mipagentstat) with its home agent
and remaining lifetime (+-1 s), its host route and neighbour entry are
re-created and a correspondent reaches it again through the home agent and
the foreign agent.  Also: a corrupt store on the foreign agent is set aside,
and visitors of an interface the configuration no longer serves are dropped.

Namespaces and addresses are falab.py's ("mf<PID><role>"); the nodes are
192.0.2.101-140, all in the mobile node's namespace (each home address as a
/32 on mn0, one socket per node).  The home agent runs throughout.

Run as root: /usr/bin/python3 tests/integration/test_fa_state.py [CASE...]
(env: top_builddir, MIPAGENT; MIPFA_ROUNDS: kill -9 rounds, default 4;
MIPINT_KEEP_TMP=1 keeps configurations and logs).
Prints "PASS name" / "FAIL name: reason" per case and "N passed, M failed".
"""
import os
import random
import re
import select
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from falab import (FA_ADDR, HA, K, TOP, Daemon, Runner, check, cleanup, echo, ip, mac_of,  # noqa: E402
                   ns_socket, nsx, setup, start_echo, stop)
from mipnet import build_request, ntp_now, parse_reply, verify_restored  # noqa: E402

KB = bytes.fromhex(K)
COA = FA_ADDR["fa"]
NODES = ["192.0.2.%d" % i for i in range(101, 141)]
LIFETIMES = [6, 30, 120, 600]
ROUNDS = int(os.environ.get("MIPFA_ROUNDS", "4"))

HA_CONF = '''  <home-agent address="192.0.2.1" interface="ha0" home-network="192.0.2.0/24">
    <mobile-node first="192.0.2.100" last="192.0.2.140">
      <security-association spi="256" key="%s"/>
    </mobile-node>
  </home-agent>
  <data-plane backend="userspace"/>''' % K

FA_CONF = '''  <foreign-agent max-registration-lifetime="600">
    <interface name="%s"><care-of-address address="%s"/></interface>
  </foreign-agent>
  <data-plane backend="userspace"/>'''

ha = Daemon("ha")
fa = Daemon("fa")
R = Runner()


def fa_conf(iface="fa0"):
    return FA_CONF % (iface, COA if iface == "fa0" else "198.51.100.2")


def visitors_by_hoa():
    out = {}
    for v in fa.visitors():
        out[v["hoa"]] = dict(v, id=int(v["id"], 16), lifetime=int(v["lifetime"]),
                             remaining=int(v["remaining"]))
    return out


def kill9(d):
    d.p.send_signal(signal.SIGKILL)
    d.p.wait()


class Storm(threading.Thread):
    """Signed registrations of every node through the foreign agent, each
    from its own home address, at most one in flight per node; every
    request and what became of it goes into @hist (kept across rounds)."""

    def __init__(self, hist, last_id):
        super().__init__(daemon=True)
        self.hist, self.last_id = hist, last_id
        self.by_id = {}
        self.socks = {}
        for hoa in NODES:
            s = ns_socket("mn")
            s.bind((hoa, 0))
            s.setblocking(False)
            self.socks[s] = hoa
        self.sending = self.running = True
        self.sent = self.accepted = 0
        self.error = None

    def send(self, s, hoa, now):
        ident = max(ntp_now(), self.last_id.get(hoa, 0) + 1)
        self.last_id[hoa] = ident
        rec = {"id": ident, "coa": COA, "lifetime": random.choice(LIFETIMES), "t_send": now,
               "t_recv": None, "code": None}
        msg = build_request(hoa, HA, COA, ident, lifetime=rec["lifetime"], spi=256, key=KB)
        self.hist[hoa].append(rec)
        self.by_id[(hoa, ident)] = rec
        s.sendto(msg, (COA, 434))
        self.sent += 1

    def receive(self):
        ready, _, _ = select.select(list(self.socks), [], [], 0.01)
        t = time.time()
        for s in ready:
            try:
                r = parse_reply(s.recv(4096))
            except (BlockingIOError, ValueError):
                continue
            rec = self.by_id.pop((r["hoa"], r["id"]), None)
            if rec is not None:
                rec["t_recv"], rec["code"] = t, r["code"]
                self.accepted += r["code"] == 0

    def run(self):
        try:
            while self.running:
                now = time.time()
                for s, hoa in self.socks.items():
                    last = self.hist[hoa][-1] if self.hist[hoa] else None
                    if not self.sending or (last and last["t_recv"] is None and now - last["t_send"] < 1.0):
                        continue
                    if last and last["t_recv"] is not None and now - last["t_recv"] < 0.1:
                        continue
                    self.send(s, hoa, now)
                self.receive()
        except Exception as e:          # reported by the test
            self.error = e
        finally:
            for s in self.socks:
                s.close()


def check_data_plane(hoa):
    """Host route, permanent neighbour entry, and correspondent -> HA -> FA -> node."""
    check("dev fa0" in ip("fa", "route", "show", hoa).stdout, "no host route to %s in FA" % hoa)
    neigh = ip("fa", "neigh", "show", hoa, "dev", "fa0").stdout
    check("PERMANENT" in neigh and mac_of("mn", "mn0") in neigh, "neighbour entry: %s" % neigh)
    server = start_echo(addr=hoa)
    try:
        n = echo(host=hoa)
    finally:
        stop(server)
    check(n == 3, "CN -> HA -> FA -> %s: %d/3 echoes" % (hoa, n))


def t_kill9_storm():
    hist = {hoa: [] for hoa in NODES}
    last_id = {}
    stat = os.path.join(TOP, "mipagentstat")
    for rnd in range(ROUNDS):
        storm = Storm(hist, last_id)
        storm.start()
        time.sleep(random.uniform(0.8, 2.5))
        t_kill = time.time()
        kill9(fa)
        storm.sending = False
        time.sleep(0.3)                 # replies already sent may still be queued
        storm.running = False
        storm.join(5)
        check(storm.error is None, "round %d: the sender failed: %r" % (rnd, storm.error))
        check(storm.accepted > 0, "round %d: nothing accepted (sent %d)" % (rnd, storm.sent))
        time.sleep(random.uniform(0, 1.2))        # lifetimes run on while it is down
        fa.start(fa_conf())
        t0 = time.time()
        table = visitors_by_hoa()
        t1 = time.time()
        must, problems = verify_restored(hist, table, t_kill, t0, t1)
        wrong = ["%s: %s" % (h, v) for h, v in table.items()
                 if v["ha"] != HA or v["coa"] != COA or v["interface"] != "fa0"]
        check(not problems and not wrong, "round %d: %s" % (rnd, "; ".join((problems + wrong)[:5])))
        check(must > 0, "round %d: no visitor was expected to survive" % rnd)
        check(re.search(r"restored %d visitor" % len(table), fa.text()), "restore not logged:\n%s" %
              fa.tail())
        # mipagentstat lists them like any other visitor
        out = nsx("fa", stat, "-s", fa.sock, "visitors").stdout
        missing = [h for h in table if h not in out]
        check(not missing, "mipagentstat visitors lacks %s:\n%s" % (missing, out))
        longest = max(table.values(), key=lambda v: v["remaining"])
        check(longest["remaining"] >= 10, "no visitor left long enough for traffic: %s" % longest)
        check_data_plane(longest["hoa"])
        print("# round %d: sent %d, accepted %d, %d visitors checked after kill -9" %
              (rnd, storm.sent, storm.accepted, must), flush=True)


def register(hoa, lifetime=300):
    """One registration of @hoa through the foreign agent; the reply code."""
    s = ns_socket("mn")
    try:
        s.bind((hoa, 0))
        s.settimeout(3)
        s.sendto(build_request(hoa, HA, COA, ntp_now(), lifetime=lifetime, spi=256, key=KB), (COA, 434))
        return parse_reply(s.recv(4096))["code"]
    finally:
        s.close()


def aside_files():
    return sorted(f for f in os.listdir(fa.state) if f.startswith("state.db.bad-") and
                  not f.endswith(("-wal", "-shm")))


def t_corrupt_store():
    check(register("192.0.2.101") == 0, "registration refused")
    fa.stop()                           # SIGTERM: the store is closed cleanly
    db = os.path.join(fa.state, "state.db")
    for suffix in ("-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    garbage = bytes(random.getrandbits(8) for _ in range(8192))
    with open(db, "r+b") as f:
        f.write(garbage)
    before = aside_files()
    fa.start(fa_conf())
    check(fa.visitors() == [], "visitors restored from a corrupt store: %s" % fa.visitors())
    check(re.search(r"kept aside as .*state\.db\.bad-", fa.text()), "setting aside not logged:\n%s" %
          fa.tail())
    new = [f for f in aside_files() if f not in before]
    check(len(new) == 1, "expected one file set aside, got %s" % new)
    with open(os.path.join(fa.state, new[0]), "rb") as f:
        check(f.read(8192) == garbage, "the file set aside is not the corrupt store")
    # the fresh store works: a visitor survives the next kill -9
    check(register("192.0.2.101") == 0, "registration on the fresh store refused")
    kill9(fa)
    fa.start(fa_conf())
    check("192.0.2.101" in visitors_by_hoa(), "the fresh store lost the visitor")
    check_data_plane("192.0.2.101")


def t_interface_gone():
    check(register("192.0.2.102") == 0, "registration refused")
    kill9(fa)
    fa.start(fa_conf("fa1"))            # fa0 is no longer a foreign agent interface
    check(fa.visitors() == [], "visitors restored on an interface not served: %s" % fa.visitors())
    check(re.search(r"stored visitor 192\.0\.2\.102 not restored: fa0 is not a foreign agent "
                    r"interface", fa.text()), "the skip is not logged:\n%s" % fa.tail())
    fa.stop()
    fa.start(fa_conf())                 # dropped for good
    check(fa.visitors() == [], "a dropped visitor came back: %s" % fa.visitors())


def main():
    try:
        setup()
        for hoa in NODES:
            ip("mn", "addr", "add", hoa + "/32", "dev", "mn0")
        ha.start(HA_CONF)
        fa.start(fa_conf())
        for name, fn in [("fa_kill9_storm", t_kill9_storm), ("fa_corrupt_store", t_corrupt_store),
                         ("fa_interface_gone", t_interface_gone)]:
            R.case(name, fn)
    except subprocess.SubprocessError as e:
        R.fail("setup", str(e))
    finally:
        cleanup()
    return R.summary()


if __name__ == "__main__":
    sys.exit(main())
