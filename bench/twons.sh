# Sourced by bench/flood.sh and bench/snmp_walk.sh (which set HA, NET, T and
# die()): two network namespaces joined by a veth pair, and their removal.
#   NET  net0 198.51.100.2/24, 203.0.113.10/24 (care-of address)
#    |   veth
#   HA   ha1 198.51.100.1/24, 192.0.2.1/24

# Stop what $T/*.pid names and everything in the namespaces, remove them and
# (unless KEEP=1) $T.
twons_cleanup() {
	for pidf in "$T"/*.pid; do
		[ -f "$pidf" ] && kill "$(cat "$pidf")" 2>/dev/null
	done
	sleep 0.3
	for ns in $HA $NET; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -9 "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	if [ "${KEEP:-0}" = 1 ]; then echo "# kept $T"; else rm -rf "$T"; fi
}

twons_up() {
	for ns in $HA $NET; do
		ip netns del "$ns" 2>/dev/null
		ip netns add "$ns" || die "ip netns add failed"
		ip -n "$ns" link set lo up
	done
	ip link add ha1 netns $HA type veth peer name net0 netns $NET || die "veth failed"
	ip -n $HA addr add 198.51.100.1/24 dev ha1
	ip -n $HA addr add 192.0.2.1/24 dev ha1
	ip -n $NET addr add 198.51.100.2/24 dev net0
	ip -n $NET addr add 203.0.113.10/24 dev net0
	ip -n $HA link set ha1 up
	ip -n $NET link set net0 up
	ip -n $NET route add 192.0.2.0/24 via 198.51.100.1
	ip -n $HA route add 203.0.113.0/24 via 198.51.100.2
	i=0
	until ip -n $NET link show net0 | grep -q LOWER_UP; do
		i=$((i + 1)); [ $i -gt 100 ] && die "link never came up"; sleep 0.05
	done
}
