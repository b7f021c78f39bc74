#!/usr/bin/python3
"""The legitimate side of the flood benchmark (bench/flood.sh): COUNT mobile
nodes (home addresses FIRST, FIRST+1, ...; one HMAC-MD5 security association,
RFC 5944 §3.5.1, timestamp identification) re-register in rounds for SECONDS,
each round every node once (a round starts every INTERVAL seconds, or as
soon as the last one ended), as a real mobile node does: a request
unanswered for TIMEOUT seconds is sent again with a fresh identification, at
most TRIES times.  Run it inside the namespace of the care-of address SRC.

usage: flood_legit.py HA SRC FIRST COUNT SPI KEYHEX SECONDS [LIFETIME [TRIES [TIMEOUT [INTERVAL]]]]
Prints one JSON object: rounds, requests sent, nodes accepted on the first
try and in the end, nodes lost (no acceptance in TRIES tries), denials, the
acceptance rates and reply latency percentiles (ms).  Exit status 1 when a
node was lost."""
import hashlib
import hmac
import json
import select
import socket
import struct
import sys
import time

NTP_UNIX_OFFSET = 2208988800


def ntp_now():
    t = time.time()
    sec = int(t)
    return (sec + NTP_UNIX_OFFSET) << 32 | int((t - sec) * (1 << 32))


def request(hoa, ha, coa, ident, lifetime, spi, key):
    m = struct.pack("!BBH4s4s4sQ", 1, 0, lifetime, hoa, ha, coa, ident)
    hdr = struct.pack("!BBI", 32, 4 + 16, spi)
    return m + hdr + hmac.new(key, m + hdr, hashlib.md5).digest()


def main(argv):
    if len(argv) < 8:
        sys.stderr.write(__doc__)
        return 64
    ha_s, src = argv[1], argv[2]
    ha, coa = socket.inet_aton(ha_s), socket.inet_aton(src)
    first = struct.unpack("!I", socket.inet_aton(argv[3]))[0]
    count, spi, key, secs = int(argv[4]), int(argv[5]), bytes.fromhex(argv[6]), float(argv[7])
    lifetime = int(argv[8]) if len(argv) > 8 else 60
    tries = int(argv[9]) if len(argv) > 9 else 3
    timeout = float(argv[10]) if len(argv) > 10 else 1.0
    interval = float(argv[11]) if len(argv) > 11 else 0.0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((src, 0))
    s.setblocking(False)
    hoas = [struct.pack("!I", first + i) for i in range(count)]
    st = {"rounds": 0, "requests": 0, "nodes": 0, "first_try": 0, "accepted": 0, "lost": 0, "denied": 0}
    lat = []
    last_id = [0]
    end = time.time() + secs
    next_round = time.time()
    while time.time() < end or st["rounds"] == 0:
        pending = {}            # hoa -> [identification, send time, tries]
        if time.time() < next_round:
            time.sleep(next_round - time.time())
        next_round = time.time() + interval

        def send(h):
            last_id[0] = max(ntp_now(), last_id[0] + 1)
            ent = pending.setdefault(h, [0, 0.0, 0])
            ent[0], ent[1] = last_id[0], time.time()
            ent[2] += 1
            try:
                s.sendto(request(h, ha, coa, last_id[0], lifetime, spi, key), (ha_s, 434))
                st["requests"] += 1
            except BlockingIOError:
                pass            # retried after the timeout
        todo = list(hoas)
        st["rounds"] += 1
        st["nodes"] += count
        while todo or pending:
            # at most 256 outstanding, like a busy foreign agent
            while todo and len(pending) < 256:
                send(todo.pop())
            r, _, _ = select.select([s], [], [], 0.02)
            while r:
                try:
                    data = s.recv(4096)
                except BlockingIOError:
                    break
                if len(data) < 20 or data[0] != 3:
                    continue
                hoa = data[4:8]
                ent = pending.get(hoa)
                if not ent or struct.unpack("!I", data[16:20])[0] != ent[0] & 0xffffffff:
                    continue
                lat.append((time.time() - ent[1]) * 1000)
                if data[1] in (0, 1):
                    st["accepted"] += 1
                    st["first_try"] += ent[2] == 1
                else:
                    st["denied"] += 1
                del pending[hoa]
            now = time.time()
            for h, ent in list(pending.items()):
                if now - ent[1] > timeout:
                    if ent[2] >= tries:
                        st["lost"] += 1
                        del pending[h]
                    else:
                        send(h)
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(len(lat) * p))], 3) if lat else None
    st["first_try_rate"] = round(100.0 * st["first_try"] / st["nodes"], 3)
    st["acceptance_rate"] = round(100.0 * st["accepted"] / st["nodes"], 3)
    st["latency_ms"] = {"p50": pct(0.5), "p99": pct(0.99), "max": round(lat[-1], 3) if lat else None}
    print(json.dumps(st))
    return 1 if st["lost"] or st["denied"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
