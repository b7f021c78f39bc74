#!/bin/sh
# Benchmark (not a test) of the userspace tunnel engine between network
# namespaces: packets/s and Mbit/s of UDP payload delivered CN -> MN through
# HA (utun, IP-in-IP by default) -> FA (utun) -> MN, against plain routed
# kernel forwarding over the same namespaces and links (CN -> HA -> FA -> MN).
#
# usage: bench/dataplane.sh     (root)
# env:   ENCAP=ipip|minimal|gre (ipip)   DUR=seconds per run (2)   REPS=runs (3)
#        OUT=dir to keep logs and profiles   PERF=1: perf record the engines
#        (PERF_ARGS to override, e.g. "-a -g")   PERF=stat: syscalls and CPU time
#        of the engines   SENDER_NICE=n (0)   MIPAGENT_UTUN_NO_IO_URING=1: the
#        engines' read()/write() fallback instead of io_uring
#        UTUN_DRIVER=path: use that tests/integration/utun_driver build
# Each size runs routed and utun alternately REPS times and reports the best
# of each, because the 2 CPUs are usually shared with other jobs and any
# interference only lowers a figure.  Bounded: 2 sizes x 2 paths x REPS x
# (DUR + 0.5) s plus about 2 s of setup (30 s with the defaults).  Namespaces
# "bn<pid>*" only, removed on every exit path.
set -u

here=$(cd "$(dirname "$0")" && pwd) || exit 1
top_srcdir=$(cd "${top_srcdir:-$here/..}" && pwd) || exit 1
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd) || exit 1
ENCAP=${ENCAP:-ipip}
DUR=${DUR:-2}
REPS=${REPS:-3}
PERF=${PERF:-0}
P=bn$$
CN=${P}cn HA=${P}ha FA=${P}fa MN=${P}mn
WORK=$(mktemp -d "${TMPDIR:-/tmp}/dataplane.XXXXXX") || exit 1
OUT=${OUT:-$WORK}
PIDS=

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	for n in $CN $HA $FA $MN; do
		for p in $(ip netns pids "$n" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		ip netns del "$n" 2>/dev/null
	done
	[ "$OUT" = "$WORK" ] || cp "$WORK"/*.txt "$WORK"/*.out "$OUT"/ 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM PIPE

[ "$(id -u)" = 0 ] || { echo "dataplane.sh: needs root" >&2; exit 1; }
lib=$top_builddir/.libs/libmipcore.a
[ -f "$lib" ] || [ -n "${UTUN_DRIVER:-}" ] || { echo "dataplane.sh: $lib missing, run make" >&2; exit 1; }

# ---- build the traffic tool and the engine driver
cc -O2 -Wall -I"$top_builddir" -o "$WORK/udpblast" "$here/udpblast.c" || exit 1
if [ -n "${UTUN_DRIVER:-}" ]; then      # a driver built elsewhere
	cp "$UTUN_DRIVER" "$WORK/driver" || exit 1
else
	# shellcheck disable=SC2046
	cc -O2 -I"$top_srcdir/include" -I"$top_builddir" -o "$WORK/driver" \
		"$top_srcdir/tests/integration/utun_driver.c" "$lib" \
		$(pkg-config --libs libnl-route-3.0 libnl-3.0 libcrypto libxml-2.0) || exit 1
fi

# ---- topology (testbed.md section 3, plus a routed address on the MN)
x() { "$@" || { echo "dataplane.sh: failed: $*" >&2; exit 1; }; }
for n in $CN $HA $FA $MN; do x ip netns add "$n"; x ip -n "$n" link set lo up; done
x ip link add mn0 netns "$MN" type veth peer name fa0 netns "$FA"
x ip link add fa1 netns "$FA" type veth peer name ha1 netns "$HA"
x ip link add ha0 netns "$HA" type veth peer name cn0 netns "$CN"
x ip -n "$MN" addr add 203.0.113.10/24 dev mn0
x ip -n "$MN" addr add 192.0.2.100/32 dev mn0
x ip -n "$FA" addr add 203.0.113.1/24 dev fa0
x ip -n "$FA" addr add 198.51.100.2/24 dev fa1
x ip -n "$HA" addr add 198.51.100.1/24 dev ha1
x ip -n "$HA" addr add 192.0.2.1/24 dev ha0
x ip -n "$CN" addr add 192.0.2.10/24 dev cn0
for l in "$MN mn0" "$FA fa0" "$FA fa1" "$HA ha1" "$HA ha0" "$CN cn0"; do
	# shellcheck disable=SC2086
	set -- $l
	x ip -n "$1" link set "$2" up
done
for n in $HA $FA; do
	x ip netns exec "$n" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0
done
x ip -n "$CN" route add default via 192.0.2.1
x ip -n "$HA" route add 203.0.113.0/24 via 198.51.100.2
x ip -n "$MN" route add default via 203.0.113.1
x ip -n "$FA" route add 192.0.2.0/24 via 198.51.100.1
x ip -n "$HA" neigh add proxy 192.0.2.100 dev ha0
x ip netns exec "$HA" sysctl -qw net.ipv4.neigh.ha0.proxy_delay=0
mnmac=$(ip -n "$MN" -br link show mn0 | awk '{print $3}')
x ip -n "$FA" route add 192.0.2.100/32 dev fa0
x ip -n "$FA" neigh replace 192.0.2.100 lladdr "$mnmac" dev fa0 nud permanent
for _ in $(seq 50); do
	ip -n "$CN" link show cn0 | grep -q LOWER_UP && ip -n "$MN" link show mn0 | grep -q LOWER_UP && break
	sleep 0.05
done
# warm the neighbour caches
ip netns exec "$CN" ping -c1 -W1 203.0.113.10 >/dev/null 2>&1

# ---- engines
ip netns exec "$HA" "$WORK/driver" ${VERBOSE:+-v} -n mip%d fwd 192.0.2.100 198.51.100.1 198.51.100.2 "$ENCAP" \
	>"$WORK/ha.out" 2>&1 &
PIDS="$PIDS $!"; HAPID=$!
ip netns exec "$FA" "$WORK/driver" -n fat%d decap 198.51.100.1 198.51.100.2 0.0.0.0 192.0.2.100 \
	>"$WORK/fa.out" 2>&1 &
PIDS="$PIDS $!"; FAPID=$!
for _ in $(seq 50); do
	grep -q ready "$WORK/ha.out" && grep -q ready "$WORK/fa.out" && break
	sleep 0.05
done
x ip -n "$HA" route add 192.0.2.100/32 dev mip0
ip netns exec "$CN" ping -c1 -W1 192.0.2.100 >/dev/null 2>&1 ||
	{ echo "dataplane.sh: the tunnel does not work" >&2; cat "$WORK"/*.out >&2; exit 1; }

# run DST SIZE LABEL -> prints "pkts/s Mbit/s" on stdout, details in $WORK
run() {
	ip netns exec "$MN" "$WORK/udpblast" recv 9000 400 $((DUR + 5)) >"$WORK/recv.out" &
	rpid=$!
	PIDS="$PIDS $rpid"
	for _ in $(seq 50); do grep -q ready "$WORK/recv.out" && break; sleep 0.02; done
	if [ "$PERF" = stat ] && [ "$3" = utun ]; then
		perf stat -e raw_syscalls:sys_enter,task-clock -p "$HAPID" -o "$WORK/perfstat-ha-$2.txt" -- sleep "$DUR" &
		statpids=$!
		perf stat -e raw_syscalls:sys_enter,task-clock -p "$FAPID" -o "$WORK/perfstat-fa-$2.txt" -- sleep "$DUR" &
		statpids="$statpids $!"
	fi
	if [ "$PERF" = 1 ] && [ "$3" = utun ]; then
		# shellcheck disable=SC2086
		perf record ${PERF_ARGS:--g -p "$HAPID,$FAPID"} -o "$WORK/perf-$2.data" -- sleep "$DUR" >/dev/null 2>&1 &
		perfpid=$!
	fi
	ip netns exec "$CN" nice -n "${SENDER_NICE:-0}" "$WORK/udpblast" send "$1" 9000 "$2" "$DUR" >"$WORK/send.out"
	wait "$rpid"
	# shellcheck disable=SC2086
	[ "$PERF" = stat ] && [ "$3" = utun ] && wait $statpids
	if [ "$PERF" = 1 ] && [ "$3" = utun ]; then
		wait "$perfpid"
		{
			perf report -i "$WORK/perf-$2.data" --sort comm --stdio 2>/dev/null | grep -E '^ +[0-9.]+%'
			perf report -i "$WORK/perf-$2.data" --no-children --percent-limit 1.5 --stdio \
				2>/dev/null | grep -E '^ +[0-9.]+%' | head -n 25
		} >"$WORK/perf-$2.txt"
	fi
	read -r _ sent <"$WORK/send.out"
	read -r _ pkts bytes secs <<-EOT
	$(tail -n 1 "$WORK/recv.out")
	EOT
	awk -v p="$pkts" -v b="$bytes" -v s="$secs" -v o="$sent" -v d="$DUR" 'BEGIN {
		if (s <= 0) s = 1e-9
		printf "%.0f %.1f %.0f\n", p / s, b * 8 / s / 1e6, o / d }'
}

echo "# dataplane benchmark: UDP CN -> MN, encapsulation $ENCAP, $(nproc) CPUs (shared with anything else running)"
echo "# best of $REPS alternating runs of $DUR s each; Mbit/s of UDP payload; offered = sender's rate"
printf "%-6s %-8s %12s %10s %14s %8s   %s\n" size path "pkts/s" "Mbit/s" "offered pkt/s" ratio samples
for size in 64 1400; do
	best_r="0 0 0" best_u="0 0 0" sr='' su=''
	for _ in $(seq "$REPS"); do
		r=$(run 203.0.113.10 "$size" routed)
		u=$(run 192.0.2.100 "$size" utun)
		sr="$sr ${r%% *}"
		su="$su ${u%% *}"
		[ "${r%% *}" -gt "${best_r%% *}" ] && best_r=$r
		[ "${u%% *}" -gt "${best_u%% *}" ] && best_u=$u
	done
	# shellcheck disable=SC2086
	set -- $best_r
	base=$1
	printf "%-6s %-8s %12s %10s %14s %8s  %s\n" "$size" routed "$1" "$2" "$3" 1.00 "$sr"
	# shellcheck disable=SC2086
	set -- $best_u
	ratio=$(awk -v a="$1" -v b="$base" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
	printf "%-6s %-8s %12s %10s %14s %8s  %s\n" "$size" utun "$1" "$2" "$3" "$ratio" "$su"
done
if [ -n "${DIAG:-}" ]; then
	echo "# drops: HA mip0 $(ip -n "$HA" -s link show mip0 | awk '/TX:/ { getline; print "tx_dropped " $4 }')," \
		"FA raw/udp $(ip netns exec "$FA" nstat -az 2>/dev/null | awk '/RcvbufErrors|InErrors/ && $2 > 0 { printf "%s=%s ", $1, $2 }')," \
		"MN $(ip netns exec "$MN" nstat -az 2>/dev/null | awk '/RcvbufErrors|InErrors/ && $2 > 0 { printf "%s=%s ", $1, $2 }')," \
		"softnet dropped $(awk '{ printf "%s ", $2 }' /proc/net/softnet_stat)"
fi
kill -USR1 "$HAPID" "$FAPID"
sleep 0.2
echo "# HA engine: $(grep '{' "$WORK/ha.out" | tail -n1)"
echo "# FA engine: $(grep '{' "$WORK/fa.out" | tail -n1)"
if [ "$PERF" = stat ]; then
	for f in "$WORK"/perfstat-*.txt; do
		echo "# $(basename "$f" .txt): $(awk '/sys_enter/ { s = $1 } /task-clock/ { c = $1 } END { print s " syscalls, " c " ms CPU" }' "$f")"
	done
fi
if [ "$PERF" = 1 ]; then
	for f in "$WORK"/perf-*.txt; do
		echo "# $(basename "$f"):"
		cat "$f"
	done
fi
