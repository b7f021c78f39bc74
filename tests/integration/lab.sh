#!/bin/sh
# The mipagent lab: four network namespaces (mobile node, foreign agent,
# home agent, correspondent node); snmpd as AgentX master beside the home
# agent; mipagent as home agent and as foreign agent; the mobile node hears
# the foreign agent's advertisements, registers through it with mipreg, and
# traffic from the correspondent reaches it through the tunnel; then
# mipagentstat and snmpwalk show the binding.  Everything runs in namespaces
# this script makes, and is removed again at the end.
set -eu
umask 027        # mipagent refuses a configuration others may read
top=$(cd "$(dirname "$0")/../.." && pwd)
P=${LAB_PREFIX:-lab$$}
work=$(mktemp -d /tmp/mipagent-lab.XXXXXX)
chmod 755 "$work"
KEY=00112233445566778899aabbccddeeff
FAKEY=ffeeddccbbaa99887766554433221100
pids=""

cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	for p in $pids; do wait "$p" 2>/dev/null || true; done
	for n in mn fa ha cn; do ip netns del "$P$n" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

say() { printf '\n== %s\n' "$*"; }
in_ns() { ns=$1; shift; ip netns exec "$P$ns" "$@"; }
wait_for() { for _ in $(seq 100); do [ -e "$1" ] && return 0; sleep 0.1; done; echo "timeout: $1" >&2; return 1; }

say "topology: ${P}mn -- ${P}fa -- ${P}ha -- ${P}cn"
for n in mn fa ha cn; do ip netns add "$P$n"; ip -n "$P$n" link set lo up; done
ip link add mn0 netns "${P}mn" type veth peer name fa0 netns "${P}fa"
ip link add fa1 netns "${P}fa" type veth peer name ha1 netns "${P}ha"
ip link add ha0 netns "${P}ha" type veth peer name cn0 netns "${P}cn"
ip -n "${P}fa" addr add 203.0.113.1/24 dev fa0
ip -n "${P}fa" addr add 198.51.100.2/24 dev fa1
ip -n "${P}ha" addr add 198.51.100.1/24 dev ha1
ip -n "${P}ha" addr add 192.0.2.1/24 dev ha0
ip -n "${P}cn" addr add 192.0.2.10/24 dev cn0
for l in "mn mn0" "fa fa0" "fa fa1" "ha ha1" "ha ha0" "cn cn0"; do
	set -- $l; ip -n "$P$1" link set "$2" up
done
# the mobile node is away from home: its home address on the visited link,
# the foreign agent as its router (RFC 5944 section 4.2.1)
ip -n "${P}mn" addr add 192.0.2.100/32 dev mn0
ip -n "${P}mn" route add 203.0.113.1/32 dev mn0 scope link
ip -n "${P}mn" route add default via 203.0.113.1 dev mn0 src 192.0.2.100
ip -n "${P}cn" route add default via 192.0.2.1
ip -n "${P}fa" route add 192.0.2.0/24 via 198.51.100.1
ip -n "${P}ha" route add 203.0.113.0/24 via 198.51.100.2
in_ns fa sysctl -qw net.ipv4.ip_forward=1

say "snmpd as AgentX master in ${P}ha"
cat > "$work/snmpd.conf" <<CONF
master agentx
agentXSocket unix:$work/agentx.sock
agentXPerms 0660 0770
agentXTimeout 2
agentXRetries 1
rocommunity public 127.0.0.1
CONF
SNMP_PERSISTENT_DIR=$work/snmp in_ns ha snmpd -f -Lf "$work/snmpd.log" -C -c "$work/snmpd.conf" \
	-m "" udp:127.0.0.1:1161 &
pids="$pids $!"
wait_for "$work/agentx.sock"

cat > "$work/ha.xml" <<XML
<mipagent>
  <general log-level="info" control-socket="$work/ha.sock" state-dir="$work/ha-state"/>
  <home-agent address="198.51.100.1" interface="ha0" home-network="192.0.2.0/24"
              max-registration-lifetime="600">
    <mobile-node address="192.0.2.100" nai="mn1@example.net">
      <security-association spi="257" algorithm="hmac-md5" key="$KEY"/>
    </mobile-node>
  </home-agent>
  <peer address="203.0.113.1"><security-association spi="500" key="$FAKEY"/></peer>
  <snmp agentx-socket="$work/agentx.sock" ping-interval="2"/>
</mipagent>
XML
cat > "$work/fa.xml" <<XML
<mipagent>
  <general log-level="info" control-socket="$work/fa.sock" state-dir="$work/fa-state"/>
  <foreign-agent max-registration-lifetime="600">
    <interface name="fa0" min-interval="3" max-interval="4">
      <care-of-address address="203.0.113.1"/>
    </interface>
  </foreign-agent>
  <peer address="198.51.100.1"><security-association spi="500" key="$FAKEY"/></peer>
</mipagent>
XML
chmod 600 "$work/ha.xml" "$work/fa.xml"
say "configuration check: mipagent -n"
"$top/mipagent" -n -c "$work/ha.xml"
"$top/mipagent" -n -c "$work/fa.xml"

say "home agent in ${P}ha, foreign agent in ${P}fa"
in_ns ha "$top/mipagent" -f -c "$work/ha.xml" 2> "$work/ha.log" &
pids="$pids $!"
in_ns fa "$top/mipagent" -f -c "$work/fa.xml" 2> "$work/fa.log" &
pids="$pids $!"
wait_for "$work/ha.sock"
wait_for "$work/fa.sock"

say "the mobile node hears an agent advertisement (tshark on mn0)"
if command -v tshark >/dev/null; then
	in_ns mn timeout 5 tshark -i mn0 -c 1 -f "icmp[0] == 9" -T fields -e ip.src -e icmp.type \
		-e icmp.mip.seq -e icmp.mip.life -e icmp.mip.flags -e icmp.mip.coa 2>/dev/null || true
fi

say "the mobile node registers through the foreign agent (care-of address 203.0.113.1)"
in_ns mn "$top/mipreg" -H 192.0.2.100 -a 198.51.100.1 -c 203.0.113.1 -d 203.0.113.1 \
	-b 192.0.2.100 -s 257 -k "$KEY" -l 600 -N mn1@example.net

say "traffic: the correspondent pings the mobile node's home address"
in_ns cn ping -c 3 -i 0.3 -W 2 192.0.2.100

say "mipagentstat (home agent): bindings"
in_ns ha "$top/mipagentstat" -s "$work/ha.sock"
say "mipagentstat (foreign agent): visitors"
in_ns fa "$top/mipagentstat" -s "$work/fa.sock" visitors
say "mipagentstat (home agent): summary and non-zero counters"
in_ns ha "$top/mipagentstat" -s "$work/ha.sock" summary
in_ns ha "$top/mipagentstat" -s "$work/ha.sock" counters | grep -v ' 0$' || true

say "snmpwalk of haMobilityBindingTable (MIP-MIB, RFC 2006) through snmpd"
sleep 1
mibs="$top/mib"
base="$top/../shared/ref/mib/netsnmp-5.9.3"
if [ -f "$base/SNMPv2-SMI.txt" ]; then
	in_ns ha snmpwalk -v2c -c public -M "$mibs:$base" -m MIP-MIB 127.0.0.1:1161 MIP-MIB::haMobilityBindingTable
else
	echo "(the IETF base MIB modules SNMPv2-SMI/TC/CONF are not installed on this machine, so"
	echo " names cannot be shown: numeric OIDs follow; see README, 'SNMP')"
	in_ns ha snmpwalk -v2c -c public -m "" -On 127.0.0.1:1161 .1.3.6.1.2.1.44.1.5.1.1
fi

say "the mobile node deregisters"
in_ns mn "$top/mipreg" -H 192.0.2.100 -a 198.51.100.1 -c 203.0.113.1 -d 203.0.113.1 \
	-b 192.0.2.100 -s 257 -k "$KEY" -l 0
in_ns ha "$top/mipagentstat" -s "$work/ha.sock"

say "home agent log"
cat "$work/ha.log"
say "foreign agent log"
cat "$work/fa.log"
say "lab done"
