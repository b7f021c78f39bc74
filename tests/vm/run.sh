#!/bin/sh
# The kernel-backed test suite (`make check-vm`): boots Debian's kernel in a
# software-emulated VM (vm-run.sh) and runs guest_tests.py in it against
# this build tree.  The last line is "N passed, M failed[, K skipped]".
#
# A machine where no VM can be had (not root, qemu or the kernel package not
# installable, no network for the first download) prints a SKIP line and
# FAILS, so a missing VM is never taken for a pass, unless MIPAGENT_VM=skip
# says to skip the suite on purpose (then: SKIP, exit status 0).
#
# Environment: top_srcdir, top_builddir (set by make); MIPAGENT_VM=skip;
# MIPAGENT_VM_CACHE (default /var/cache/mipagent-vm: kernel, modules,
# initramfs; kept between runs); VM_TIMEOUT (seconds, default 240);
# arguments are passed to guest_tests.py (case names).
top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
top_builddir=${top_builddir:-$top_srcdir}
srcdir=$(cd "$top_srcdir" && pwd) || exit 99
builddir=$(cd "$top_builddir" && pwd) || exit 99
export top_srcdir="$srcdir" top_builddir="$builddir"

if [ "${MIPAGENT_VM:-}" = skip ]; then
	echo "SKIP: kernel VM tests (MIPAGENT_VM=skip)"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
fi
cannot() {
	echo "SKIP: kernel VM tests: $* (set MIPAGENT_VM=skip to skip them on purpose)"
	echo "0 passed, 1 failed"
	exit 1
}
for b in mipagent mipreg; do
	[ -x "$builddir/$b" ] || cannot "$builddir/$b is not built (run make)"
done
[ -x /usr/bin/python3 ] || cannot "/usr/bin/python3 is missing"

out=$(mktemp "${TMPDIR:-/tmp}/mipvm-out.XXXXXX") || exit 99
# the programs as they are now: a make running meanwhile cannot swap them
# under the tests (the guest reads them through the host's root)
snap=$(mktemp -d /var/tmp/mipvm-bin.XXXXXX) || exit 99   # not /tmp: the guest has its own
trap 'rm -f "$out"; rm -rf "$snap"' EXIT
trap 'exit 1' HUP INT TERM
for b in mipagent mipreg; do
	cp "$builddir/$b" "$snap/" || cannot "cannot copy $builddir/$b"
done
export MIPAGENT="$snap/mipagent" MIPREG="$snap/mipreg"
# the test scripts too: the guest has a fresh /tmp, so a tree under /tmp
# (a CI clone, say) would not be there
mkdir -p "$snap/src/agent" && cp -r "$srcdir/tests" "$snap/src/" &&
	cp "$srcdir/agent/fa.c" "$snap/src/agent/" 2>/dev/null || [ -d "$snap/src/tests" ] ||
	cannot "cannot copy the test scripts"
srcdir=$snap/src
export top_srcdir="$srcdir" top_builddir="$snap"

start=$(date +%s)
# the guest sees the host's root: the same paths work inside
"$srcdir/tests/vm/vm-run.sh" --timeout "${VM_TIMEOUT:-240}" --env top_srcdir --env top_builddir \
	--env MIPAGENT --env MIPREG -- /usr/bin/python3 "$srcdir/tests/vm/guest_tests.py" "$@" 2>&1 | tee "$out"
# the status of vm-run.sh, not of tee
rc=$(sed -n 's/^vm-run: kernel .*, exit status \([0-9]*\),.*/\1/p' "$out" | tail -n 1)
if grep -q '^vm-run: SKIP: ' "$out"; then
	cannot "no VM here: $(sed -n 's/^vm-run: SKIP: //p' "$out" | tail -n 1)"
fi
[ -n "$rc" ] || rc=125

passed=$(grep -c '^PASS ' "$out")
failed=$(grep -c '^FAIL ' "$out")
skipped=$(grep -c '^SKIP ' "$out")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	# a crash, a timeout or a VM that never came up still counts
	failed=1
	case $rc in
	124) echo "FAIL guest_tests.py: the VM timed out" ;;
	*) echo "FAIL guest_tests.py: exit status $rc" ;;
	esac
fi
if [ "$rc" -eq 0 ] && [ "$passed" -eq 0 ]; then
	failed=$((failed + 1))
	echo "FAIL guest_tests.py: ran no test case"
fi
echo "# kernel VM tests took $(($(date +%s) - start)) s"
line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ]
