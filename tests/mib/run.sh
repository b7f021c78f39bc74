#!/bin/sh
# Lint of mib/MIP-MIB.txt and an object-for-object comparison with the module
# as published in RFC 2006.  The project's copy differs from the published one
# only by the fixes of its three defects (imports of mib-2, Unsigned32 and
# NOTIFICATION-GROUP; the group name mipSecNotifcationsGroup).
#
# Needs smilint (smitools), snmptranslate (snmp) and the base modules
# (SNMPv2-SMI ...), which Debian does not ship: by default the reference copies
# in ../shared/ref/mib next to the source tree (MIP_REF_MIB overrides).
# Exit 77 (skipped) when any of them is missing.  Prints "ok"/"FAIL" per check
# and "N passed, M failed" last.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
REF=${MIP_REF_MIB:-$top_srcdir/../shared/ref/mib}
BASE=$REF/netsnmp-5.9.3
OURS=$top_srcdir/mib/MIP-MIB.txt
PUB=$REF/MIP-MIB.txt

for tool in smilint snmptranslate; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "SKIP: $tool not installed"
		exit 77
	fi
done
if [ ! -f "$BASE/SNMPv2-SMI.txt" ] || [ ! -f "$PUB" ]; then
	echo "SKIP: base MIB modules not found in $REF (set MIP_REF_MIB)"
	exit 77
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/miptest-mib.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
# hermetic Net-SNMP tools: no system config, state kept in the temp dir
export SNMP_PERSISTENT_DIR="$T/persist" SNMPCONFPATH="$T/conf" MIBS= MIBDIRS=
mkdir -p "$T/persist/cert_indexes" "$T/conf" "$T/ours" "$T/pub"
cp "$OURS" "$T/ours/MIP-MIB.txt"
cp "$PUB" "$T/pub/MIP-MIB.txt"

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
ko() {
	fail=$((fail + 1))
	echo "FAIL - $1"
	if [ -n "${2:-}" ] && [ -f "$2" ]; then sed 's/^/#   /' "$2"; fi
}

# 1. smilint level 3: nothing but the accepted revision-missing warning (the
# 1996 module has no REVISION clause; adding one would change the module).
# smilint always exits 0, so its output is the verdict.
SMIPATH="$BASE:$T/ours" smilint -l 3 -s -m "$T/ours/MIP-MIB.txt" >"$T/lint" 2>&1
grep -v '^[^:]*MIP-MIB.txt:27: \[3\] {revision-missing} revision for last update is missing$' \
	"$T/lint" >"$T/lint.rest"
if [ -s "$T/lint.rest" ]; then
	ko "smilint -l 3 reports only revision-missing" "$T/lint.rest"
elif ! grep -q 'revision-missing' "$T/lint"; then
	ko "smilint ran (expected its revision-missing warning)" "$T/lint"
else
	ok "smilint -l 3 reports only revision-missing"
fi

# 2. the lint gate works: a typo in an access clause is reported
sed 's/MAX-ACCESS  read-write/MAX-ACCESS  read-writ/' "$T/ours/MIP-MIB.txt" >"$T/typo.txt"
mkdir -p "$T/typo" && mv "$T/typo.txt" "$T/typo/MIP-MIB.txt"
if SMIPATH="$BASE:$T/typo" smilint -l 3 -s -m "$T/typo/MIP-MIB.txt" 2>&1 | grep -q "read-writ"; then
	ok "smilint catches an injected typo"
else
	ko "smilint catches an injected typo"
fi

# 3. the published module still has its three defects (the reference is right)
SMIPATH="$BASE:$T/pub" smilint -l 3 -s -m "$T/pub/MIP-MIB.txt" >"$T/publint" 2>&1
if grep -q "unknown object identifier label \`mib-2'" "$T/publint" &&
   grep -q "Unsigned32' must be imported" "$T/publint" &&
   grep -q "NOTIFICATION-GROUP' has not been imported" "$T/publint"; then
	ok "the published module shows its known defects"
else
	ko "the published module shows its known defects" "$T/publint"
fi

# 4. textual difference: only the import lines and the group name
diff "$T/pub/MIP-MIB.txt" "$T/ours/MIP-MIB.txt" >"$T/diff"
cat >"$T/diff.expected" <<'EOF'
4c4,5
<         Counter32, Gauge32, Integer32, IpAddress, experimental,
---
>         Counter32, Gauge32, Integer32, Unsigned32,
>         IpAddress, mib-2,
10c11,12
<         MODULE-COMPLIANCE, OBJECT-GROUP
---
>         MODULE-COMPLIANCE, OBJECT-GROUP,
>         NOTIFICATION-GROUP
2238c2240
<     mipSecNotifcationsGroup NOTIFICATION-GROUP
---
>     mipSecNotificationsGroup NOTIFICATION-GROUP
EOF
if cmp -s "$T/diff" "$T/diff.expected"; then
	ok "differs from RFC 2006 only by the three fixes"
else
	ko "differs from RFC 2006 only by the three fixes" "$T/diff"
fi

# 5. Net-SNMP loads our module without a single complaint
snmptranslate -M "$BASE:$T/ours" -m MIP-MIB -On MIP-MIB::mipMIB >"$T/tr" 2>"$T/tr.err"
if [ "$(cat "$T/tr")" = ".1.3.6.1.2.1.44" ] && [ ! -s "$T/tr.err" ]; then
	ok "Net-SNMP loads it silently (mipMIB = .1.3.6.1.2.1.44)"
else
	cat "$T/tr" >>"$T/tr.err"
	ko "Net-SNMP loads it silently" "$T/tr.err"
fi

# 6. object for object: names and OIDs (-Tz), then syntax, access and
# enumerations (-Tp), ours against the published module; the one expected
# difference is the corrected group name.
snmptranslate -M "$BASE:$T/ours" -m MIP-MIB -Tz 2>/dev/null | grep '"1\.3\.6\.1\.2\.1\.44' \
	>"$T/ours.tz"
snmptranslate -M "$BASE:$T/pub" -m MIP-MIB -Tz 2>/dev/null | grep '"1\.3\.6\.1\.2\.1\.44' |
	sed 's/mipSecNotifcationsGroup/mipSecNotificationsGroup/' >"$T/pub.tz"
n=$(wc -l <"$T/ours.tz")
if [ "$n" -ge 190 ] && diff "$T/pub.tz" "$T/ours.tz" >"$T/tz.diff"; then
	ok "same $n object names and OIDs as the published module"
else
	echo "objects: $n" >>"$T/tz.diff"
	ko "same object names and OIDs as the published module" "$T/tz.diff"
fi
snmptranslate -M "$BASE:$T/ours" -m MIP-MIB -Tp MIP-MIB::mipMIB 2>/dev/null >"$T/ours.tp"
snmptranslate -M "$BASE:$T/pub" -m MIP-MIB -Tp MIP-MIB::mipMIB 2>/dev/null |
	sed 's/mipSecNotifcationsGroup/mipSecNotificationsGroup/' >"$T/pub.tp"
n=$(grep -c -e '-- -R--' -e '-- -RW-' -e '-- CR--' -e '-- ----' "$T/ours.tp")
if [ "$n" -ge 130 ] &&
   diff "$T/pub.tp" "$T/ours.tp" >"$T/tp.diff"; then
	ok "same syntax, access and values for all $n leaf objects"
else
	echo "leaf objects: $n" >>"$T/tp.diff"
	ko "same syntax, access and values for every object" "$T/tp.diff"
fi

# 7. the objects the subagent serves exist with the expected OIDs
while read -r name oid; do
	got=$(snmptranslate -M "$BASE:$T/ours" -m MIP-MIB -On "MIP-MIB::$name" 2>/dev/null)
	if [ "$got" != "$oid" ]; then
		echo "$name: $got, expected $oid" >>"$T/oids"
	fi
done <<'EOF'
mipEntities .1.3.6.1.2.1.44.1.1.1
mipSecAssocEntry .1.3.6.1.2.1.44.1.2.1.1
mipSecTotalViolations .1.3.6.1.2.1.44.1.2.2
mipSecViolationEntry .1.3.6.1.2.1.44.1.2.3.1
maAdvConfigEntry .1.3.6.1.2.1.44.1.4.2.1.1
faCOAEntry .1.3.6.1.2.1.44.1.5.1.1.1
faIsBusy .1.3.6.1.2.1.44.1.5.2.1
faVisitorEntry .1.3.6.1.2.1.44.1.5.3.1.1
faPoorlyFormedReplies .1.3.6.1.2.1.44.1.5.3.16
haMobilityBindingEntry .1.3.6.1.2.1.44.1.6.3.1.1
haCounterEntry .1.3.6.1.2.1.44.1.6.3.2.1
haRegistrationAccepted .1.3.6.1.2.1.44.1.6.3.3
haDeRegRepliesSent .1.3.6.1.2.1.44.1.6.3.19
mipAuthFailure .1.3.6.1.2.1.44.2.0.1
EOF
if [ -s "$T/oids" ]; then
	ko "OIDs of the served objects" "$T/oids"
else
	ok "OIDs of the served objects"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
