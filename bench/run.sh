#!/bin/sh
# The benchmark report: every benchmark of bench/, each figure measured side
# by side with its baseline in the same run and given as a ratio.
#
#   0  the home agent's core in-process (bench/ha_scale.c): registrations/s,
#      memory per binding, index walk, restore, expiry pass
#   1-4  bench/ha_bench.py on network namespaces it makes (root): the real
#      daemon against bench/reflector (throughput), against bench/nl_raw
#      (new bindings with their kernel work), at scale (memory, latency,
#      expiry stalls, restart), and with state-fsync on and off
#   5  bench/snmp_walk.sh      6  bench/dataplane.sh      7  bench/flood.sh
#      (each if present; they belong to the SNMP, data-plane and security work)
#
# Usage: bench/run.sh [N]   N bindings for the scale runs (default 1000000)
# Env:   SECTIONS ("0 1 2 3 5 6 7"), and those of ha_bench.py: NICE (-19),
#        SERVER_CPU (1), GEN_CPU (0), ROUNDS (5), DUR (1.5); PERF=1 adds a perf
#        profile of the home agent and the reflector to section 1.
# Traffic stays in namespaces the scripts make and remove; bounded: about
# 4.5 minutes for 0-4 with the defaults (plus about 40 s per 1 000 000
# bindings of N), 8.5 minutes with 5-7.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1000000}
sections=${SECTIONS:-0 1 2 3 5 6 7}
out=$(mktemp -d "${TMPDIR:-/tmp}/mipbench.XXXXXX")
trap 'rm -rf "$out"' EXIT
cd "$top"
if [ ! -f .libs/libmipcore.a ] || [ ! -x mipagent ] || [ ! -x mipreg ]; then
	make -j"$(nproc)"
fi

# ---- the helpers, with the project's warning flags
warn="-Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 -Werror"
libs="libnl-route-3.0 libnl-3.0 libcrypto libxml-2.0 sqlite3"
pkg-config --exists libnl-xfrm-3.0 2>/dev/null && libs="$libs libnl-xfrm-3.0"
# shellcheck disable=SC2046,SC2086
{
	cc -O2 -std=gnu11 $warn -I. -Iinclude bench/ha_scale.c .libs/libmipcore.a \
		$(pkg-config --libs $libs) -o "$out/ha_scale" &&
	cc -O2 -std=gnu11 $warn -I. -Iinclude bench/reflector.c .libs/libmipcore.a \
		$(pkg-config --libs $libs) -o "$out/reflector" &&
	cc -O2 -std=gnu11 $warn -I. -Iinclude $(pkg-config --cflags libnl-route-3.0) bench/nl_raw.c \
		$(pkg-config --libs libnl-route-3.0 libnl-3.0) -o "$out/nl_raw"
} || { echo "bench/run.sh: cannot build the benchmark helpers" >&2; exit 1; }

start=$(date +%s)
echo "# mipagent benchmark report, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r), $(nproc) CPUs," \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
has() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }
root=0
[ "$(id -u)" = 0 ] && root=1

if has 0; then
	echo "== 0. home agent core at scale, in-process (no sockets, no data plane)"
	"$out/ha_scale" "$n"
fi
only=""
for s in 1 2 3; do has "$s" && only="$only${only:+,}$s"; done
if [ -n "$only" ]; then
	if [ $root = 1 ]; then
		/usr/bin/python3 bench/ha_bench.py --tools "$out" --only "$only" --scale "$n" \
			--json "$out/ha_bench.json" || echo "bench/ha_bench.py failed (status $?)"
	else
		echo "== 1-4: skipped (network namespaces need root)"
	fi
fi
run_other() {   # SECTION NUMBER, TITLE, SCRIPT
	has "$1" || return 0
	echo "== $1. $2 ($3)"
	if [ ! -f "$3" ]; then
		echo "  not present"
	elif [ $root = 0 ]; then
		echo "  skipped (needs root)"
	else
		top_builddir="$top" top_srcdir="$top" sh "$3" || echo "  $3 failed (status $?)"
	fi
}
run_other 5 "SNMP walk" bench/snmp_walk.sh
run_other 6 "data plane" bench/dataplane.sh
run_other 7 "flood soak" bench/flood.sh
echo "# done in $(($(date +%s) - start)) s"
exit 0
