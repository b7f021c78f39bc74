#!/bin/sh
# Lint every man page with mandoc; prints "N passed, M failed".
top=${top_srcdir:-$(dirname "$0")/..}
pass=0 fail=0
for m in "$top"/man/*.[0-9]; do
	if out=$(mandoc -T lint -W warning "$m" 2>&1) && [ -z "$out" ]; then
		pass=$((pass + 1))
	else
		echo "FAIL $m"; echo "$out"; fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
