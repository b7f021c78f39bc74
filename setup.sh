#!/bin/sh
# Build mipagent and run either the lab or the whole test suite.
#   ./setup.sh lab    build, then run the namespace lab (mobile node, foreign
#                     agent, home agent, correspondent) and show the binding
#   ./setup.sh test   build, then run every test (unit, config, fuzz, integration,
#                     the kernel backend in a VM)
# Needs root on Debian 12; installs the packages it needs with apt-get.
set -eu
cd "$(dirname "$0")"
what=${1:-}
case "$what" in
lab|test) ;;
*) echo "usage: $0 lab|test" >&2; exit 64 ;;
esac

PKGS="build-essential autoconf automake libtool pkg-config check libssl-dev libxml2-dev
libxml2-utils libsqlite3-dev libnl-3-dev libnl-route-3-dev libnl-xfrm-3-dev libsnmp-dev libbsd-dev snmpd snmp
snmptrapd smitools iproute2 iputils-ping procps tcpdump tshark python3 python3-scapy clang
libclang-rt-14-dev mandoc"

install_packages() {
	missing=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	echo "== installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
}

build() {
	[ -x configure ] || autoreconf -fi
	if [ ! -f Makefile ] || [ "${MIP_RECONFIGURE:-}" ]; then
		./configure --enable-werror ${MIP_CONFIGURE_FLAGS:-}
	fi
	make -j"$(nproc)"
}

install_packages
if [ "$what" = lab ]; then
	build
	exec tests/integration/lab.sh
fi

# The test suite: unit tests under ASan/UBSan (the whole core is built with
# them, so the integration daemon runs under them too), config golden tests,
# fuzzing for a bounded time, then the namespace integration tests.
MIP_RECONFIGURE=1 MIP_CONFIGURE_FLAGS="--enable-sanitizers" build
status=0
make check || { status=1; cat tests/unit/*.log tests/conf/*.log 2>/dev/null | tail -n 80; }
make fuzz FUZZ_SECONDS="${FUZZ_SECONDS:-20}" || status=1
make check-integration || status=1
# the kernel backend in a VM with Debian's kernel (MIPAGENT_VM=skip skips it)
make check-vm || status=1
if [ $status -eq 0 ]; then echo "== all test groups passed"; else echo "== some test group FAILED"; fi
exit $status
