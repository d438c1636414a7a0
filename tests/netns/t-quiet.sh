#!/bin/bash
# An idle lab is quiet: no IPv6 link-local addresses (so no DAD, router
# solicitations or MLD reports of their own) on the lab's bridges, host-side
# veths and node interfaces, no multicast snooping joins on the lab's bridges.
# Counted by the kernel: tx_packets of every lab link (host and nodes) over
# 2 s right after `up` returns.
. ./lib.sh

# sum of tx_packets over every link but lo, in the host and in every namespace
txsum() {
	{ ip -j -s link; for ns in $(ip netns list | awk '{print $1}'); do ip -n "$ns" -j -s link; done; } |
		jq -s '[.[][] | select(.ifname != "lo") | .stats64.tx.packets] | add // 0'
}
nlinks() {
	{ ip -j link; for ns in $(ip netns list | awk '{print $1}'); do ip -n "$ns" -j link; done; } |
		jq -s '[.[][] | select(.ifname != "lo")] | length'
}
# sum of one /proc/net/snmp6 counter over the host and every namespace
snmp6() {
	{ cat /proc/net/snmp6; for ns in $(ip netns list | awk '{print $1}'); do
		ip netns exec "$ns" cat /proc/net/snmp6; done; } | awk -v k="$1" '$1 == k {s += $2} END {print s + 0}'
}
no_ll() {	# no IPv6 link-local address on any link, host or node
	{ ip -6 -j addr; for ns in $(ip netns list | awk '{print $1}'); do ip -n "$ns" -6 -j addr; done; } |
		jq -s '[.[][] | .addr_info[]? | select(.scope == "link")] | length'
}

# IPv4-only labs. An idle IPv4 lab has nothing to send: no ARP without traffic,
# no IGMP (224.0.0.1 is never reported; snooping is off, so the bridges join
# nothing). Bound: one packet per lab link over the 2 s (before: ~180,000 for
# star,200 and ~630,000 for linear,200, growing with the square of the lab).
for topo in star,200 linear,200; do
	check "up --topo $topo" $NSNET up --topo $topo -q
	a=$(txsum); sleep 2; b=$(txsum)
	n=$(nlinks)
	d=$((b - a))
	if [ "$d" -le "$n" ]; then ok "$topo: $d packets in 2 s on $n links (bound $n)"
	else not_ok "$topo: $d packets in 2 s on $n links (bound $n)"; fi
	check_eq "$topo: no IPv6 link-local address anywhere" 0 "$(no_ll)"
	check_eq "$topo: addrgenmode none on every lab link" "" \
		"$({ ip -d -j link; ip -n h7 -d -j link; } | jq -r '.[] | select(.ifname != "lo" and .inet6_addr_gen_mode != "none") | .ifname')"
	check_eq "$topo: multicast snooping off on the lab's bridges" "" \
		"$(ip -d -j link show type bridge | jq -r '.[] | select(.linkinfo.info_data.mcast_snooping != 0) | .ifname')"
	check_eq "$topo: no router solicitation, neighbour solicitation or MLD report sent" "0 0 0" \
		"$(snmp6 Icmp6OutRouterSolicits) $(snmp6 Icmp6OutNeighborSolicits) $(snmp6 Icmp6OutMLDv2Reports)"
	check "$topo: down" $NSNET down -q
done

# A dual-stack lab: the lab's own IPv6 addresses (no DAD) and nothing else.
# What remains is what RFC 3810 requires: each address joins its
# solicited-node group, announced by 2 unsolicited MLDv2 reports (robustness
# 2, within 1 s) and once more if its link's carrier changes meanwhile (a
# bridge's, as its ports come up), which the bridges flood to every port of
# the segment. So a link carries at most 3 reports per IPv6 address of the
# segment: bound links * (3 * A + 1), A = IPv6 addresses in the lab (one L2
# segment). Before: ~176,000 packets for a dual-stack star of 200, now ~50,000,
# all of them these reports.
dual() {	# KIND N: a dual-stack star (one bridge) or linear (chain of bridges) lab
	local kind=$1 n=$2 i b
	echo "name: ds-$kind"
	echo "bridges:"
	echo "  s1: { addresses: [10.0.0.1/16, \"fd00::1/64\"] }"
	[ "$kind" = linear ] && for i in $(seq 2 "$n"); do echo "  s$i: {}"; done
	echo "nodes:"
	for i in $(seq 1 "$n"); do
		b=s1; [ "$kind" = linear ] && b=s$i
		echo "  h$i:"
		echo "    interfaces:"
		echo "      eth0: { bridge: $b, addresses: [10.0.$((i / 250)).$((i % 250 + 2))/16, \"fd00::$(printf %x $((i + 1)))/64\"] }"
		echo "    routes: [\"default via 10.0.0.1\", \"default via fd00::1\"]"
	done
	if [ "$kind" = linear ]; then
		echo "links:"
		for i in $(seq 2 "$n"); do echo "  - endpoints: [s$((i - 1)), s$i]"; done
	fi
}
for kind in star linear; do
	n=40
	dual $kind $n > "$TMP/ds-$kind.yaml"
	check "dual-stack $kind,$n: up" $NSNET up "$TMP/ds-$kind.yaml" -q
	a=$(txsum); sleep 2; b=$(txsum)
	l=$(nlinks)
	d=$((b - a)) bound=$((l * (3 * (n + 1) + 1)))
	if [ "$d" -le "$bound" ]; then ok "dual-stack $kind,$n: $d packets in 2 s on $l links (bound $bound)"
	else not_ok "dual-stack $kind,$n: $d packets in 2 s on $l links (bound $bound)"; fi
	check_eq "dual-stack $kind,$n: no IPv6 link-local address anywhere" 0 "$(no_ll)"
	check_eq "dual-stack $kind,$n: no address tentative (no DAD)" 0 \
		"$(ip -n h$n -6 -j addr show eth0 | jq '[.[].addr_info[] | select(.tentative)] | length')"
	check_eq "dual-stack $kind,$n: no router or neighbour solicitation sent" "0 0" \
		"$(snmp6 Icmp6OutRouterSolicits) $(snmp6 Icmp6OutNeighborSolicits)"
	r=$(snmp6 Icmp6OutMLDv2Reports)
	if [ "$r" -le $((3 * (n + 1))) ]; then ok "dual-stack $kind,$n: $r MLD reports sent (at most 3 per address: $((3 * (n + 1))))"
	else not_ok "dual-stack $kind,$n: $r MLD reports sent, more than 3 per address ($((3 * (n + 1))))"; fi
	check "dual-stack $kind,$n: IPv6 across the lab without link-local addresses" \
		ip netns exec h1 ping -6 -c1 -W2 fd00::$(printf %x $((n + 1)))
	check "dual-stack $kind,$n: IPv4 too" ip netns exec h$n ping -c1 -W2 10.0.0.3
	check "dual-stack $kind,$n: down" $NSNET down "ds-$kind" -q
done
check_eq "nothing left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)"
