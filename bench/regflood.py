#!/usr/bin/python3
"""Register many mobile nodes fast: signed Registration Requests (HMAC-MD5,
RFC 5944 §3.5.1, timestamp identification) for COUNT consecutive home
addresses from FIRST, sent from one UDP socket with up to WINDOW requests
outstanding; a request unanswered for a second is sent again with a fresh
identification.  Meant to run inside a network namespace, against a home
agent configured with a node range covering the addresses (bench/snmp_walk.sh).

usage: regflood.py HA_ADDR SRC_ADDR FIRST COUNT SPI KEYHEX [LIFETIME [WINDOW]]
Prints "registered N in T s (R/s)"; exit 1 if some were refused or lost.
"""
import hashlib
import hmac
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
    hdr = struct.pack("!BBI", 32, 4 + 16, spi)          # MN-HA authentication extension
    return m + hdr + hmac.new(key, m + hdr, hashlib.md5).digest()


def main(argv):
    if len(argv) < 7:
        sys.stderr.write(__doc__)
        return 64
    ha, src = socket.inet_aton(argv[1]), argv[2]
    first = struct.unpack("!I", socket.inet_aton(argv[3]))[0]
    count, spi, key = int(argv[4]), int(argv[5]), bytes.fromhex(argv[6])
    lifetime = int(argv[7]) if len(argv) > 7 else 1800
    window = int(argv[8]) if len(argv) > 8 else 256
    coa = socket.inet_aton(src)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((src, 0))
    s.setblocking(False)
    pending = {}                # home address (bytes) -> send time
    todo = list(range(count - 1, -1, -1))   # popped from the end: ascending addresses
    done = refused = resent = 0
    last_id = 0
    t0 = time.time()
    while done + refused < count:
        now = time.time()
        while todo and len(pending) < window:
            hoa = struct.pack("!I", first + todo.pop())
            last_id = max(ntp_now(), last_id + 1)
            try:
                s.sendto(request(hoa, ha, coa, last_id, lifetime, spi, key), (argv[1], 434))
            except BlockingIOError:
                todo.append(struct.unpack("!I", hoa)[0] - first)
                break
            pending[hoa] = now
        r, _, _ = select.select([s], [], [], 0.05)
        if r:
            while True:
                try:
                    data = s.recv(2048)
                except BlockingIOError:
                    break
                if len(data) < 20 or data[0] != 3:
                    continue
                hoa = data[4:8]
                if pending.pop(hoa, None) is None:
                    continue                    # a late duplicate
                if data[1] in (0, 1):
                    done += 1
                else:
                    refused += 1
                    if refused <= 5:
                        sys.stderr.write("refused %s: code %d\n" % (socket.inet_ntoa(hoa), data[1]))
        now = time.time()
        for hoa, sent in list(pending.items()):
            if now - sent > 1.0:                # lost: send again, later
                del pending[hoa]
                todo.append(struct.unpack("!I", hoa)[0] - first)
                resent += 1
        if now - t0 > 600:
            sys.stderr.write("giving up after 600 s\n")
            break
    dt = time.time() - t0
    print("registered %d in %.2f s (%.0f/s), %d refused, %d sent again"
          % (done, dt, done / dt if dt else 0, refused, resent))
    return 0 if done == count else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
