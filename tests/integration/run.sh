#!/bin/sh
# Integration tests (`make check-integration`): every tests/integration/test_*.py
# (run with /usr/bin/python3, which has the Debian python3-* modules) and
# test_*.sh.  They need root and network namespaces; without them this script
# says SKIP and fails, so a missing environment is never reported as a pass.
#
# Environment: top_srcdir, top_builddir (set by make).
# Each test prints "PASS name" or "FAIL name: reason"; the last line here is
# "N passed, M failed" over all of them; the exit status is 1 on any failure.

top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
top_builddir=${top_builddir:-$top_srcdir}
srcdir=$(cd "$top_srcdir" && pwd) || exit 99
builddir=$(cd "$top_builddir" && pwd) || exit 99
export top_srcdir="$srcdir" top_builddir="$builddir"
dir=$srcdir/tests/integration
PY=/usr/bin/python3
# mipagent refuses a configuration file others may read (it holds keys)
umask 027
export PYTHONDONTWRITEBYTECODE=1
# the tunnel driver make built (sanitizer flags included), if there is one
[ -x "$builddir/tests/integration/utun_driver" ] && export UTUN_DRIVER="$builddir/tests/integration/utun_driver"
PER_TEST_TIMEOUT=${PER_TEST_TIMEOUT:-150}

skip() {
	echo "SKIP: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[ "$(id -u)" = 0 ] || skip "integration tests need root (network namespaces, port 434)"
command -v ip >/dev/null 2>&1 || skip "iproute2 (ip) is not installed"
probe=mipchk$$
if ! ip netns add "$probe" 2>/dev/null; then
	skip "'ip netns add' does not work here (no CAP_SYS_ADMIN or no network namespaces)"
fi
if ! ip netns exec "$probe" ip link set lo up 2>/dev/null; then
	ip netns del "$probe" 2>/dev/null
	skip "'ip netns exec' does not work here"
fi
ip netns del "$probe"
if ! ip link add mipchk$$a type veth peer name mipchk$$b 2>/dev/null; then
	skip "veth interfaces cannot be created"
fi
ip link del mipchk$$a 2>/dev/null
[ -x "$PY" ] || skip "$PY is missing"
for b in mipagent mipreg; do
	[ -x "$builddir/$b" ] || skip "$builddir/$b is not built (run make)"
done

passed=0
failed=0
start=$(date +%s)
out=$(mktemp "${TMPDIR:-/tmp}/mipint-out.XXXXXX") || exit 99
trap 'rm -f "$out"' EXIT
trap 'exit 1' HUP INT TERM

for t in "$dir"/test_*.py "$dir"/test_*.sh; do
	[ -f "$t" ] || continue
	name=$(basename "$t")
	echo "# $name"
	case $t in
	*.py) set -- "$PY" "$t" ;;
	*) set -- sh "$t" ;;
	esac
	timeout -k 5 "$PER_TEST_TIMEOUT" "$@" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -c '^PASS ' "$out")
	f=$(grep -c '^FAIL ' "$out")
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# a crash or timeout without any FAIL line still counts
		failed=$((failed + 1))
		[ "$rc" -eq 124 ] && why="timed out after ${PER_TEST_TIMEOUT}s" || why="exited with status $rc"
		echo "FAIL $name: $why"
	fi
	if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ]; then
		failed=$((failed + 1))
		echo "FAIL $name: ran no test case"
	fi
done

echo "# integration tests took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
