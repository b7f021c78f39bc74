#!/bin/sh
# Run the benchmarks that exist so far and print their figures.
# Usage: bench/run.sh [N]   (N bindings for the scale run, default 1000000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d /tmp/mipbench.XXXXXX)
trap 'rm -rf "$out"' EXIT
cd "$top"
[ -f .libs/libmipcore.a ] || make -j"$(nproc)"
# shellcheck disable=SC2046
cc -O2 -std=gnu11 -I. -Iinclude bench/ha_scale.c .libs/libmipcore.a \
	$(pkg-config --libs libnl-route-3.0 libnl-3.0 libcrypto libxml-2.0) -o "$out/ha_scale"
echo "== home agent at scale (in-process, no sockets)"
"$out/ha_scale" "${1:-1000000}"
for b in bench/dataplane.sh bench/snmp_walk.sh; do
	[ -x "$b" ] && { echo "== $b"; "$b"; }
done
exit 0
