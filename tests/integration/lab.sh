#!/bin/sh
# The mipagent lab: four network namespaces (mobile node, foreign agent,
# home agent, correspondent node), mipagent as home agent, a mobile node
# registering with mipreg, and the binding shown by mipagentstat.
# Everything runs in namespaces this script makes and removes again.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
P=${LAB_PREFIX:-lab$$}
work=$(mktemp -d /tmp/mipagent-lab.XXXXXX)
KEY=00112233445566778899aabbccddeeff
pid=""

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
	for n in mn fa ha cn; do ip netns del "$P$n" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

say() { printf '\n== %s\n' "$*"; }

say "topology: $P{mn,fa,ha,cn}"
for n in mn fa ha cn; do ip netns add "$P$n"; ip -n "$P$n" link set lo up; done
ip link add mn0 netns "${P}mn" type veth peer name fa0 netns "${P}fa"
ip link add fa1 netns "${P}fa" type veth peer name ha1 netns "${P}ha"
ip link add ha0 netns "${P}ha" type veth peer name cn0 netns "${P}cn"
ip -n "${P}mn" addr add 203.0.113.10/24 dev mn0
ip -n "${P}fa" addr add 203.0.113.1/24 dev fa0
ip -n "${P}fa" addr add 198.51.100.2/24 dev fa1
ip -n "${P}ha" addr add 198.51.100.1/24 dev ha1
ip -n "${P}ha" addr add 192.0.2.1/24 dev ha0
ip -n "${P}cn" addr add 192.0.2.10/24 dev cn0
for l in "mn mn0" "fa fa0" "fa fa1" "ha ha1" "ha ha0" "cn cn0"; do
	set -- $l; ip -n "$P$1" link set "$2" up
done
ip -n "${P}mn" route add default via 203.0.113.1
ip -n "${P}cn" route add default via 192.0.2.1
ip -n "${P}fa" route add 192.0.2.0/24 via 198.51.100.1
ip -n "${P}ha" route add 203.0.113.0/24 via 198.51.100.2
ip netns exec "${P}fa" sysctl -qw net.ipv4.ip_forward=1
ip netns exec "${P}ha" sysctl -qw net.ipv4.ip_forward=1

cat > "$work/ha.xml" <<XML
<mipagent>
  <general log-level="info" control-socket="$work/mipagent.sock" state-dir="$work"/>
  <home-agent address="198.51.100.1" interface="ha0" home-network="192.0.2.0/24"
              max-registration-lifetime="600">
    <mobile-node address="192.0.2.100" nai="mn1@example.net">
      <security-association spi="257" algorithm="hmac-md5" key="$KEY"/>
    </mobile-node>
  </home-agent>
</mipagent>
XML
say "configuration check: mipagent -n"
"$top/mipagent" -n -c "$work/ha.xml"

say "home agent: mipagent -f in ${P}ha"
ip netns exec "${P}ha" "$top/mipagent" -f -c "$work/ha.xml" 2> "$work/mipagent.log" &
pid=$!
for _ in $(seq 50); do [ -S "$work/mipagent.sock" ] && break; sleep 0.1; done

say "mobile node registers (co-located care-of address 203.0.113.10)"
ip netns exec "${P}mn" "$top/mipreg" -H 192.0.2.100 -a 198.51.100.1 -c 203.0.113.10 \
	-s 257 -k "$KEY" -l 600 -F D -N mn1@example.net

say "mipagentstat: bindings"
ip netns exec "${P}ha" "$top/mipagentstat" -s "$work/mipagent.sock"
say "mipagentstat: summary and registration counters"
ip netns exec "${P}ha" "$top/mipagentstat" -s "$work/mipagent.sock" summary
ip netns exec "${P}ha" "$top/mipagentstat" -s "$work/mipagent.sock" counters | grep -v ' 0$'

say "mobile node deregisters"
ip netns exec "${P}mn" "$top/mipreg" -H 192.0.2.100 -a 198.51.100.1 -c 192.0.2.100 \
	-s 257 -k "$KEY" -l 0 -b 203.0.113.10
ip netns exec "${P}ha" "$top/mipagentstat" -s "$work/mipagent.sock"

say "home agent log"
cat "$work/mipagent.log"
say "lab done"
