#!/bin/sh
# Build every libFuzzer harness tests/fuzz/fuzz_NAME.c and run it for SECONDS.
#
# usage: run.sh SECONDS    (env: top_srcdir, top_builddir, FUZZ_CC)
#
# A harness names the sources it links in a line
#   /* fuzz-sources: agent/wire.c agent/buf.c */
# (paths relative to top_srcdir) and optionally pkg-config packages in
#   /* fuzz-pkg: libxml-2.0 */
# It runs on a copy of tests/fuzz/corpus/NAME. Exits 1 if any harness fails
# to build or reports a crash, leak or sanitizer error.

set -u

usage() {
	echo "usage: $0 SECONDS" >&2
	exit 2
}

[ $# -eq 1 ] || usage
secs=$1
case $secs in
'' | *[!0-9]*) usage ;;
esac
[ "$secs" -gt 0 ] || usage

here=$(cd "$(dirname "$0")" && pwd) || exit 1
top_srcdir=$(cd "${top_srcdir:-$here/../..}" && pwd) || exit 1
top_builddir=$(cd "${top_builddir:-$top_srcdir}" && pwd) || exit 1
cc=${FUZZ_CC:-clang}
build=$top_builddir/tests/fuzz/build
mkdir -p "$build" || exit 1

# Value of a "/* KEY: value */" line in file $2 (first one only).
directive() {
	sed -n "s|^/\\* *$1: *\\(.*[^ ]\\) *\\*/ *\$|\\1|p" "$2" | head -n 1
}

# Compile harness $1 into $build/$2; output goes to $3.
build_one() {
	srcs=
	for s in $(directive fuzz-sources "$1"); do
		srcs="$srcs $top_srcdir/$s"
	done
	pkgs=$(directive fuzz-pkg "$1")
	pkgflags=
	if [ -n "$pkgs" ]; then
		# shellcheck disable=SC2086
		pkgflags=$(pkg-config --cflags --libs $pkgs) || return 1
	fi
	# shellcheck disable=SC2086
	"$cc" -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-I"$top_srcdir/include" -I"$top_builddir" \
		-o "$build/$2" "$1" $srcs $pkgflags >"$3" 2>&1
}

# Run binary $build/$1 on a fresh copy of corpus $2; output goes to $3.
run_one() {
	corpus=$build/corpus-$2
	rm -rf "$corpus" && mkdir -p "$corpus" || return 1
	if [ -d "$here/corpus/$2" ]; then
		cp "$here/corpus/$2"/* "$corpus"/ 2>/dev/null
	fi
	"$build/$1" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=0 -artifact_prefix="$build/$2-" "$corpus" >"$3" 2>&1 ||
		return 1
	! grep -Eq 'runtime error:|ERROR: [A-Za-z]*Sanitizer|ERROR: libFuzzer' "$3"
}

passed=0
failed=0
for f in "$here"/fuzz_*.c; do
	[ -e "$f" ] || continue
	bin=$(basename "$f" .c)
	name=${bin#fuzz_}
	log=$build/$bin.log
	if ! build_one "$f" "$bin" "$log"; then
		echo "FAIL $bin: build failed (see $log)"
		tail -n 20 "$log"
		failed=$((failed + 1))
	elif ! run_one "$bin" "$name" "$log"; then
		echo "FAIL $bin: fuzzer found a problem (see $log, artifacts $build/$name-*)"
		grep -E -A 15 'ERROR:|runtime error:|==[0-9]+==' "$log" | head -n 40
		failed=$((failed + 1))
	else
		echo "PASS $bin ($secs s)"
		passed=$((passed + 1))
	fi
done

if [ $((passed + failed)) -eq 0 ]; then
	echo "no harnesses found in $here" >&2
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
