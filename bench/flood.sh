#!/bin/sh
# Flood soak: 1 000 legitimate mobile nodes (a node range, HMAC-MD5) keep
# re-registering (bench/flood_legit.py: rounds, retransmission after 1 s, 3
# tries; every node once every ROUND_INTERVAL seconds) while bench/mipflood sends bogus requests as fast as it can from
# spoofed sources (raw socket, IP_HDRINCL; bad authenticators for the
# range's nodes, unknown nodes, garbage; sources in the documentation
# prefixes 198.51.100.0/24 and 203.0.113.0/24).  Reports the legitimate
# acceptance rate (target 100 %), the daemon's CPU time and memory (from
# /proc), its log volume, the mipAuthFailure traps received (when snmpd and
# snmptrapd are installed) and the admission-control counters.
#
# Two network namespaces made here (unique prefix, removed on every exit);
# all traffic stays inside them:
#   NET  net0 198.51.100.2/24, 203.0.113.10/24 (care-of address); the flood
#    |   veth
#   HA   ha1 198.51.100.1/24, 192.0.2.1/24; mipagent (+ snmpd, snmptrapd)
# With two or more CPUs the daemon runs on CPU 0 and the flood on CPU 1 (an
# attacker does not share the home agent's CPU).  Bounded: about
# FLOOD_SECONDS (default 20) + 15 s.
#
# Run as root from the build tree (make builds bench/mipflood): sh bench/flood.sh
# Env: top_builddir (.), FLOOD_SECONDS (20), NODES (1000), FLOOD_RATE (0: as
# fast as possible), ROUND_INTERVAL (2: seconds between the nodes' rounds;
# 0: back to back, a stress of the known sources' own limit), KEEP=1 keeps the
# temp dir.
set -u
umask 027        # mipagent refuses a configuration others may read
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SECS=${FLOOD_SECONDS:-20}
NODES=${NODES:-1000}
RATE=${FLOOD_RATE:-0}
INTERVAL=${ROUND_INTERVAL:-2}
P=mipf$$
HA=${P}ha
NET=${P}net
KEY=00112233445566778899aabbccddeeff
PY=/usr/bin/python3

die() { echo "flood: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for p in mipagent mipagentstat bench/mipflood; do
	[ -x "$B/$p" ] || die "$B/$p is not built (make)"
done
[ -x $PY ] || die "$PY is missing"

T=$(mktemp -d "${TMPDIR:-/tmp}/mipflood.XXXXXX")
chmod 711 "$T"
. "$HERE/twons.sh"
trap twons_cleanup EXIT
trap 'exit 1' HUP INT TERM

# run copies: a rebuild during the run cannot swap the programs
for p in mipagent mipagentstat bench/mipflood; do
	cp "$B/$p" "$T/" && chmod 755 "$T/$(basename $p)"
done

# ---- topology
twons_up

# ---- snmpd and snmptrapd, when installed: count the traps
SNMP=
if command -v snmpd >/dev/null 2>&1 && command -v snmptrapd >/dev/null 2>&1; then
	mkdir -p "$T/persist" "$T/snmpconf"
	export SNMP_PERSISTENT_DIR="$T/persist" SNMPCONFPATH="$T/snmpconf" MIBS=
	cat >"$T/snmpd.conf" <<EOF
master agentx
agentXSocket unix:$T/agentx.sock
trap2sink 127.0.0.1:11162 public
EOF
	echo "disableAuthorization yes" >"$T/snmptrapd.conf"
	ip netns exec $HA snmptrapd -f -Lf "$T/traps.log" -C -c "$T/snmptrapd.conf" -m "" \
		-On udp:127.0.0.1:11162 &
	echo $! >"$T/snmptrapd.pid"
	ip netns exec $HA snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" -m "" udp:127.0.0.1:11161 &
	echo $! >"$T/snmpd.pid"
	i=0
	until [ -S "$T/agentx.sock" ]; do
		i=$((i + 1)); [ $i -gt 100 ] && die "snmpd did not start"; sleep 0.05
	done
	SNMP="<snmp agentx-socket=\"$T/agentx.sock\"/>"
fi

# ---- mipagent: the node range on a virtual home network, default limits
LAST=$($PY -c "import ipaddress; print(ipaddress.ip_address('10.64.0.1') + $NODES - 1)")
mkdir -p "$T/state"
cat >"$T/mipagent.xml" <<EOF
<mipagent>
  <general log-level="info" state-dir="$T/state" control-socket="$T/mip.sock"/>
  <home-agent address="192.0.2.1" home-network="192.0.2.0/24">
    <virtual-network prefix="10.64.0.0/12"/>
    <mobile-node first="10.64.0.1" last="$LAST">
      <security-association spi="256" key="$KEY"/>
    </mobile-node>
  </home-agent>
  $SNMP
</mipagent>
EOF
PIN_HA= PIN_FLOOD=
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
	PIN_HA="taskset -c 0" PIN_FLOOD="taskset -c 1"
fi
# shellcheck disable=SC2086
ip netns exec $HA $PIN_HA "$T/mipagent" -f -c "$T/mipagent.xml" >"$T/mipagent.log" 2>&1 &
echo $! >"$T/mipagent.pid"
MPID=$(cat "$T/mipagent.pid")
i=0
until "$T/mipagentstat" -s "$T/mip.sock" summary >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 100 ] && { cat "$T/mipagent.log"; die "mipagent did not start"; }; sleep 0.05
done

cpu() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
mem() { awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { print r, h }' "/proc/$1/status"; }
counter() { "$T/mipagentstat" -s "$T/mip.sock" counters | awk -v k="$1" '$1 == k { print $2 }'; }

# ---- the nodes register once before the flood
ip netns exec $NET $PY "$HERE/flood_legit.py" 192.0.2.1 203.0.113.10 10.64.0.1 "$NODES" 256 $KEY 0 \
	120 >"$T/initial.json" || die "the initial registration failed: $(cat "$T/initial.json")"
sleep 0.5
set -- $(mem "$MPID")
RSS0=$1
CPU0=$(cpu "$MPID")
LOG0=$(wc -l <"$T/mipagent.log")
BYTES0=$(wc -c <"$T/mipagent.log")
TRAPS0=0
[ -n "$SNMP" ] && TRAPS0=$(grep -c "44\.2\.0\.1" "$T/traps.log" 2>/dev/null)
T0=$(date +%s.%N)

# ---- the flood, and the nodes re-registering meanwhile
# shellcheck disable=SC2086
ip netns exec $NET $PIN_FLOOD "$T/mipflood" -d 192.0.2.1 -H 10.64.0.1 -n "$NODES" -t "$SECS" -r "$RATE" \
	-x 198.51.100.1 -x 198.51.100.2 -x 203.0.113.10 >"$T/flood.out" 2>&1 &
echo $! >"$T/mipflood.pid"
sleep 1
ip netns exec $NET $PY "$HERE/flood_legit.py" 192.0.2.1 203.0.113.10 10.64.0.1 "$NODES" 256 $KEY \
	"$((SECS - 3))" 120 3 1.0 "$INTERVAL" >"$T/legit.json"
LEGIT_RC=$?
wait "$(cat "$T/mipflood.pid")" 2>/dev/null
rm -f "$T/mipflood.pid"
T1=$(date +%s.%N)
sleep 1.5                       # the summaries of what was suppressed
CPU1=$(cpu "$MPID")
set -- $(mem "$MPID")
RSS1=$1 HWM=$2
LOG1=$(wc -l <"$T/mipagent.log")
BYTES1=$(wc -c <"$T/mipagent.log")
TRAPS=n/a
if [ -n "$SNMP" ]; then
	TRAPS=$(($(grep -c "44\.2\.0\.1" "$T/traps.log" 2>/dev/null) - TRAPS0))
fi
kill -0 "$MPID" 2>/dev/null || die "mipagent died during the flood: $(tail -5 "$T/mipagent.log")"

$PY - "$T" "$T0" "$T1" "$CPU0" "$CPU1" "$RSS0" "$RSS1" "$HWM" "$((LOG1 - LOG0))" "$((BYTES1 - BYTES0))" \
	"$TRAPS" "$LEGIT_RC" <<'EOF'
import json, sys
t, t0, t1, c0, c1, r0, r1, hwm, lines, nbytes, traps, rc = sys.argv[1:]
el = float(t1) - float(t0)
legit = json.load(open(t + "/legit.json"))
flood = open(t + "/flood.out").read().strip()
print("flood:     %s" % flood)
print("legit:     %d nodes x %d rounds: %.3f %% accepted in the end, %.3f %% on the first try, "
      "%d lost, %d denied; reply latency p50 %s ms, p99 %s ms, max %s ms"
      % (legit["nodes"] // max(1, legit["rounds"]), legit["rounds"], legit["acceptance_rate"],
         legit["first_try_rate"], legit["lost"], legit["denied"], legit["latency_ms"]["p50"],
         legit["latency_ms"]["p99"], legit["latency_ms"]["max"]))
print("mipagent:  CPU %.2f s in %.1f s (%.0f %% of one core); RSS %s -> %s kB (peak %s kB)"
      % (float(c1) - float(c0), el, 100 * (float(c1) - float(c0)) / el, r0, r1, hwm))
print("log:       %s lines, %s bytes during the flood (%.1f lines/s)" % (lines, nbytes, int(lines) / el))
print("traps:     %s mipAuthFailure received" % traps)
EOF
echo "counters:  $("$T/mipagentstat" -s "$T/mip.sock" counters | awk '
	$1 ~ /^(rl-|log-suppressed|traps-suppressed|mipSecTotalViolations|haRegistrationAccepted|haMNAuthenticationFailure)/ {
		printf "%s %s; ", $1, $2 }')"
grep -h "notifications not sent\|suppressed in the last" "$T/mipagent.log" | tail -n 2 | sed 's/^/log tail:  /'
exit "$LEGIT_RC"
