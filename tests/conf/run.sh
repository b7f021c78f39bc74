#!/bin/sh
# Golden tests of the configuration parser and checker.
#
# For each tests/conf/NAME.xml there is either NAME.out, the exact output of
# `mipagent -n -v -c NAME.xml` for a valid file (exit status 0), or NAME.err,
# the exact error lines of `mipagent -n -c NAME.xml` for an invalid one (exit
# status 1; only stderr lines starting with "NAME.xml:" are compared, so the
# daemon may add other lines).  The commands run inside tests/conf so the
# messages name the files as NAME.xml.
#
# Every valid case and every conf/*.xml and conf/examples/*.xml must also pass
# `xmllint --relaxng conf/mipagent.rng`, and the cases named unknown-*.xml
# must fail it; the shipped files must also pass the checker.
#
# Environment: top_srcdir and top_builddir (set by make check), and
# MIPAGENT_CHECK_CMD to replace the checking command ("$top_builddir/mipagent -n").
# The last line of output is "N passed, M failed"; the exit status is 1 on any
# failure.

top_srcdir=${top_srcdir:-$(dirname "$0")/../..}
top_builddir=${top_builddir:-$top_srcdir}
srcdir=$(cd "$top_srcdir" && pwd) || exit 99
builddir=$(cd "$top_builddir" && pwd) || exit 99
casedir=$srcdir/tests/conf
schema=$srcdir/conf/mipagent.rng

# The command is split into words; a relative program path is made absolute
# because the cases run from inside tests/conf.
cmd=${MIPAGENT_CHECK_CMD:-$builddir/mipagent -n}
# shellcheck disable=SC2086
set -- $cmd
prog=$1
shift   # "$@": the command's arguments from here on
case $prog in
/*) ;;
*/*) prog=$PWD/$prog ;;
esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mipconf.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

if command -v xmllint >/dev/null 2>&1; then
	have_xmllint=yes
else
	have_xmllint=no
	echo "note: xmllint not found; schema checks skipped"
fi

passed=0
failed=0

pass() {
	passed=$((passed + 1))
	echo "ok $1"
}

fail() {
	failed=$((failed + 1))
	echo "FAIL $1: $2"
	if [ -n "$3" ] && [ -f "$3" ]; then
		sed 's/^/    /' "$3"
	fi
}

# schema_ok FILE: does xmllint accept FILE?
schema_ok() {
	xmllint --noout --relaxng "$schema" "$1" >"$tmp/lint" 2>&1
}

# The lines of file $2 that start with the string $1.
lines_starting() {
	awk -v p="$1" 'index($0, p) == 1' "$2"
}

cd "$casedir" || exit 99

for xml in *.xml; do
	[ -f "$xml" ] || continue
	name=${xml%.xml}
	if [ -f "$name.out" ]; then
		"$prog" "$@" -v -c "$xml" >"$tmp/out" 2>"$tmp/stderr"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			fail "$name" "exit status $rc, expected 0" "$tmp/stderr"
		elif ! cmp -s "$tmp/out" "$name.out"; then
			diff -u "$name.out" "$tmp/out" >"$tmp/diff"
			fail "$name" "output differs from $name.out" "$tmp/diff"
		else
			pass "$name"
		fi
		if [ "$have_xmllint" = yes ]; then
			if schema_ok "$xml"; then
				pass "$name (schema)"
			else
				fail "$name (schema)" "rejected by mipagent.rng" "$tmp/lint"
			fi
		fi
	elif [ -f "$name.err" ]; then
		"$prog" "$@" -c "$xml" >/dev/null 2>"$tmp/stderr"
		rc=$?
		lines_starting "$xml:" "$tmp/stderr" >"$tmp/err"
		if [ "$rc" -ne 1 ]; then
			fail "$name" "exit status $rc, expected 1" "$tmp/stderr"
		elif ! cmp -s "$tmp/err" "$name.err"; then
			diff -u "$name.err" "$tmp/err" >"$tmp/diff"
			fail "$name" "errors differ from $name.err" "$tmp/diff"
		else
			pass "$name"
		fi
		case $name in
		unknown-*)
			if [ "$have_xmllint" = yes ]; then
				if schema_ok "$xml"; then
					fail "$name (schema)" "accepted by mipagent.rng"
				else
					pass "$name (schema)"
				fi
			fi
			;;
		esac
	else
		fail "$name" "neither $name.out nor $name.err exists"
	fi
done

# The shipped configurations: valid for the schema and for the checker.
for xml in "$srcdir"/conf/*.xml "$srcdir"/conf/examples/*.xml; do
	[ -f "$xml" ] || continue
	name=${xml#"$srcdir"/}
	if [ "$have_xmllint" = yes ]; then
		if schema_ok "$xml"; then
			pass "$name (schema)"
		else
			fail "$name (schema)" "rejected by mipagent.rng" "$tmp/lint"
		fi
	fi
	"$prog" "$@" -c "$xml" >/dev/null 2>"$tmp/stderr"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		pass "$name"
	else
		fail "$name" "exit status $rc, expected 0" "$tmp/stderr"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
