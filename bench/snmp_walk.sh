#!/bin/sh
# Walk time of haMobilityBindingTable through snmpd (AgentX master) and the
# mipagent subagent, at 10 000 and 100 000 bindings (SIZES overrides),
# against the AgentX limit: bench/agentx_baseline.c, a minimal subagent
# serving a static table of the same shape and size from a sorted array
# through the same snmpd (built here with the distribution's Net-SNMP).
# For each size both rates are printed and their ratio (target: mipagent at
# least 70% of the baseline's rows/s).
#
# Two network namespaces (unique prefix, removed on every exit): NET sends
# the registrations with bench/regflood.py (signed HMAC-MD5 requests, many in
# flight), HA runs snmpd and mipagent (a node range on a virtual home
# network).  For each size the table is walked with snmpbulkwalk (WALK_TOOL,
# max-repetitions REPS) and the rows (bindings) per second are printed, then
# the ratio of the times: about 10 for 10x the rows if GETNEXT is O(log n).
# The CPU time of mipagent and snmpd during each walk is shown too: on a
# shared machine it is steadier than the wall-clock time.
#
# Run as root from the build tree: sh bench/snmp_walk.sh
# Env: top_builddir (default: the current directory), SIZES ("10000 100000"),
# WALK_TOOL (snmpbulkwalk), REPS (50), KEEP=1 keeps the temp dir, CC (cc),
# RUNS (3: each walk is timed this many times, the best counts).
set -u
umask 027        # mipagent refuses a configuration others may read
top_builddir=${top_builddir:-.}
B=$(cd "$top_builddir" && pwd)
HERE=$(cd "$(dirname "$0")" && pwd)
SIZES=${SIZES:-"10000 100000"}
WALK_TOOL=${WALK_TOOL:-snmpbulkwalk}
REPS=${REPS:-50}
RUNS=${RUNS:-3}
CC=${CC:-cc}
P=mipb$$
HA=${P}ha
NET=${P}net
KEY=00112233445566778899aabbccddeeff
TABLE=.1.3.6.1.2.1.44.1.6.3.1           # haMobilityBindingTable

die() { echo "snmp_walk: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for t in ip snmpd "$WALK_TOOL" /usr/bin/python3; do
	command -v "$t" >/dev/null 2>&1 || die "$t is not installed"
done
for p in mipagent mipagentstat; do
	[ -x "$B/$p" ] || die "$B/$p is not built"
done

T=$(mktemp -d "${TMPDIR:-/tmp}/mipbench.XXXXXX")
# shellcheck disable=SC2046
$CC -O2 -Wall -Wextra -o "$T/agentx_baseline" "$HERE/agentx_baseline.c" \
	$(pkg-config --cflags netsnmp-agent 2>/dev/null) -lnetsnmpagent -lnetsnmp ||
	{ rm -rf "$T"; die "cannot build bench/agentx_baseline.c (libsnmp-dev)"; }
. "$HERE/twons.sh"
trap twons_cleanup EXIT
trap 'exit 1' HUP INT TERM

# ---- topology: NET (203.0.113.10 care-of, 198.51.100.2) -- HA (198.51.100.1, 192.0.2.1)
twons_up

# ---- snmpd (AgentX master) and mipagent
mkdir -p "$T/persist" "$T/snmpconf" "$T/state"
export SNMP_PERSISTENT_DIR="$T/persist" SNMPCONFPATH="$T/snmpconf" MIBS=
cat >"$T/snmpd.conf" <<EOF
master agentx
agentXSocket unix:$T/agentx.sock
agentXTimeout 5
rocommunity public 127.0.0.1
EOF
ip netns exec $HA snmpd -f -Lf "$T/snmpd.log" -C -c "$T/snmpd.conf" -m "" udp:127.0.0.1:11161 &
echo $! >"$T/snmpd.pid"
i=0
until [ -S "$T/agentx.sock" ]; do
	i=$((i + 1)); [ $i -gt 100 ] && die "snmpd did not start"; sleep 0.05
done
MAX=0
for n in $SIZES; do [ "$n" -gt "$MAX" ] && MAX=$n; done
LAST=$(/usr/bin/python3 -c "import ipaddress; print(ipaddress.ip_address('10.64.0.1') + $MAX - 1)")
cat >"$T/mipagent.xml" <<EOF
<mipagent>
  <general log-level="warning" state-dir="$T/state" control-socket="$T/mip.sock"/>
  <home-agent address="192.0.2.1" home-network="192.0.2.0/24" max-registration-lifetime="65534">
    <virtual-network prefix="10.64.0.0/12"/>
    <mobile-node first="10.64.0.1" last="$LAST">
      <security-association spi="256" key="$KEY"/>
    </mobile-node>
  </home-agent>
  <snmp agentx-socket="$T/agentx.sock" ping-interval="5"/>
</mipagent>
EOF
ip netns exec $HA "$B/mipagent" -f -c "$T/mipagent.xml" >"$T/mipagent.log" 2>&1 &
echo $! >"$T/mipagent.pid"
i=0
until "$B/mipagentstat" -s "$T/mip.sock" summary >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -gt 100 ] && { cat "$T/mipagent.log"; die "mipagent did not start"; }; sleep 0.05
done
i=0
until ip netns exec $HA snmpget -v2c -c public -m "" -r0 -t0.3 127.0.0.1:11161 \
	.1.3.6.1.2.1.44.1.1.2.0 2>/dev/null | grep -q INTEGER; do
	i=$((i + 1)); [ $i -gt 100 ] && die "the subagent never answered"; sleep 0.1
done

bindings() {
	"$B/mipagentstat" -s "$T/mip.sock" summary | sed -n 's/.*bindings \([0-9]*\).*/\1/p'
}

now() { date +%s.%N; }

# CPU seconds (user + system) used so far by process $1
cpu() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

# walk OID $2 ($1 rows, 8 columns) $RUNS times; sets secs (the best), cpu_m, cpu_s
# (CPU seconds of the subagent with pid $3 and of snmpd during that walk)
walk_table() {
	rows=$1 oid=$2 sub=$3
	case $WALK_TOOL in
	snmpbulkwalk) opts="-Cr$REPS" ;;
	*) opts="" ;;
	esac
	secs=""
	r=0
	while [ $r -lt "$RUNS" ]; do
		r=$((r + 1))
		c0=$(cpu "$sub")
		s0=$(cpu "$(cat "$T/snmpd.pid")")
		t0=$(now)
		# shellcheck disable=SC2086
		ip netns exec $HA "$WALK_TOOL" -v2c -c public -m "" -On -t 30 -r 0 $opts \
			127.0.0.1:11161 "$oid" >"$T/walk.$rows" 2>"$T/walk.$rows.err" ||
			die "walk failed: $(cat "$T/walk.$rows.err")"
		t1=$(now)
		c1=$(cpu "$sub")
		s1=$(cpu "$(cat "$T/snmpd.pid")")
		lines=$(wc -l <"$T/walk.$rows")
		[ "$lines" -eq $((8 * rows)) ] || die "walk of $rows rows gave $lines varbinds, expected $((8 * rows))"
		t=$(echo "$t1 - $t0" | bc -l)
		if [ -z "$secs" ] || [ "$(echo "$t < $secs" | bc -l)" = 1 ]; then
			secs=$t
			cpu_m=$(echo "$c1 - $c0" | bc -l)
			cpu_s=$(echo "$s1 - $s0" | bc -l)
		fi
	done
}

BASE_OID=.1.3.6.1.2.1.254.1.6.3.1      # the baseline's table (same OID length)
have=0
prev_t=""
prev_c=""
prev_n=""
fails=0
echo "# $WALK_TOOL -Cr$REPS of haMobilityBindingTable (8 columns) via snmpd + AgentX, best of $RUNS"
for n in $SIZES; do
	if [ "$n" -gt "$have" ]; then
		first=$(/usr/bin/python3 -c "import ipaddress; print(ipaddress.ip_address('10.64.0.1') + $have)")
		ip netns exec $NET /usr/bin/python3 "$HERE/regflood.py" 192.0.2.1 203.0.113.10 \
			"$first" $((n - have)) 256 $KEY 65534 512 || die "registration failed"
		have=$n
	fi
	got=$(bindings)
	[ "$got" = "$n" ] || die "mipagent has $got bindings, expected $n"
	walk_table "$n" $TABLE "$(cat "$T/mipagent.pid")"
	m_secs=$secs
	printf "%7d bindings: %7.2f s  %8.0f rows/s  %8.0f varbinds/s  (CPU: mipagent %.2f s, snmpd %.2f s)\n" \
		"$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "8 * $n / $secs" | bc -l)" "$cpu_m" "$cpu_s"
	cpu_used=$cpu_m
	# the baseline: the same table from a sorted array
	ip netns exec $HA "$T/agentx_baseline" "$T/agentx.sock" "$n" >"$T/baseline.log" 2>&1 &
	echo $! >"$T/baseline.pid"
	i=0
	until ip netns exec $HA snmpgetnext -v2c -c public -m "" -r0 -t0.3 127.0.0.1:11161 \
		$BASE_OID 2>/dev/null | grep -q "254.1.6.3.1.1.1"; do
		i=$((i + 1)); [ $i -gt 100 ] && die "the baseline never answered: $(cat "$T/baseline.log")"; sleep 0.1
	done
	walk_table "$n" $BASE_OID "$(cat "$T/baseline.pid")"
	kill "$(cat "$T/baseline.pid")" 2>/dev/null
	wait "$(cat "$T/baseline.pid")" 2>/dev/null
	rm -f "$T/baseline.pid"
	printf "%7d rows (baseline): %4.2f s  %8.0f rows/s  %8.0f varbinds/s  (CPU: baseline %.2f s, snmpd %.2f s)\n" \
		"$n" "$secs" "$(echo "$n / $secs" | bc -l)" "$(echo "8 * $n / $secs" | bc -l)" "$cpu_m" "$cpu_s"
	ratio=$(echo "100 * $secs / $m_secs" | bc -l)
	verdict=ok
	[ "$(echo "$ratio < 70" | bc -l)" = 1 ] && { verdict="BELOW TARGET"; fails=$((fails + 1)); }
	printf "%7d rows: mipagent at %.0f%% of the AgentX baseline's rows/s (target >= 70%%): %s\n" \
		"$n" "$ratio" "$verdict"
	if [ -n "$prev_t" ]; then
		printf "ratio: %.1fx the time (%.1fx the mipagent CPU) for %.1fx the rows (linear: equal; O(n^2): %.0fx)\n" \
			"$(echo "$m_secs / $prev_t" | bc -l)" "$(echo "$cpu_used / $prev_c" | bc -l)" \
			"$(echo "$n / $prev_n" | bc -l)" "$(echo "($n / $prev_n) ^ 2" | bc -l)"
	fi
	prev_t=$m_secs
	prev_c=$cpu_used
	prev_n=$n
done
grep -i 'error\|warning' "$T/mipagent.log" | grep -v 'binding' | head -5
[ "$fails" = 0 ]
