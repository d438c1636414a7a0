#!/bin/bash
# The ping engine (lib/ping.c) through tests/netns/pingctl.c, on stars of
# namespaces built with iproute2: all pairs answer, an unreachable address is
# reported, IPv6 works, 100 nodes (9,900 pairs) all answer.
. ./lib.sh
PINGCTL=${B:-../../build}/tests/netns-pingctl
[ -x "$PINGCTL" ] || { not_ok "netns-pingctl not built ($PINGCTL)"; exit 1; }

# star N PREFIX: namespaces PREFIX1..N on bridge br-PREFIX, 10.P.x.y/16 and fd00:P::i/64
star() {
	local n=$1 p=$2 net=$3 i
	{
		echo "link add br-$p type bridge"
		echo "link set br-$p up"
		for i in $(seq 1 "$n"); do
			echo "netns add $p$i"
			echo "link add v$p$i type veth peer name eth0 netns $p$i"
			echo "link set v$p$i master br-$p up"
		done
	} > "$TMP/batch" && ip -batch "$TMP/batch" || return 1
	for i in $(seq 1 "$n"); do
		ip -n "$p$i" -b - <<-EOF || return 1
		link set lo up
		link set eth0 up
		addr add 10.$net.$((i / 250)).$((i % 250 + 1))/16 dev eth0
		addr add fd00:$net::$i/64 dev eth0 nodad
		EOF
	done
}
addr4() { echo "10.$1.$(($2 / 250)).$(($2 % 250 + 1))"; }

# ---- N = 5: function -----------------------------------------------------------
star 5 s 1 || { not_ok "build star of 5"; exit 1; }
nodes=()
for i in 1 2 3 4 5; do nodes+=("s$i:$(addr4 1 $i)"); done
check "5 nodes, IPv4: all 20 pairs answer" "$PINGCTL" "${nodes[@]}"
check_match "5 nodes: summary line" '^pairs 20 answered 20 failed 0 ' "$(tail -1 "$TMP/out")"

nodes6=()
for i in 1 2 3 4 5; do nodes6+=("s$i:fd00:1::$i"); done
check "5 nodes, IPv6: all 20 pairs answer" "$PINGCTL" "${nodes6[@]}"
check "5 nodes, IPv4 + IPv6 together (40 pairs)" "$PINGCTL" "${nodes[@]}" "${nodes6[@]}"
check_match "dual stack: 40 pairs" '^pairs 40 answered 40 ' "$(tail -1 "$TMP/out")"

# 10.1.0.99 is on the subnet but nobody has it: ARP never resolves
check_status "unreachable address: exit 1" 1 "$PINGCTL" -t 1500 "${nodes[@]}" :10.1.0.99
out=$(cat "$TMP/out")
check_match "unreachable address reported for every source" \
	'^pairs 25 answered 20 failed 5 ' "$(tail -1 <<<"$out")"
check_eq "5 FAIL lines, all for 10.1.0.99" 5 "$(grep -c '^FAIL s[1-5] -> 10.1.0.99 ' <<<"$out")"
check_match "resent while unanswered (sent > 1)" 'FAIL s1 -> 10.1.0.99 \(sent ([2-9]|[1-9][0-9]+)\)' "$out"
check_match "matrix marks the dead column" '^s1 +-ooooX$' "$out"
# no route at all: sendto fails, still reported as failed, not an error
check_status "address without route: failed, exit 1" 1 "$PINGCTL" -t 500 s1:$(addr4 1 1) s2:$(addr4 1 2) :192.0.2.1
check_match "no-route summary" '^pairs 4 answered 2 failed 2 ' "$(tail -1 "$TMP/out")"

# replies are matched by source address too: the answer from s2 must not count for s3
ip -n s3 link set eth0 down
check_status "a node that is down fails, the others answer" 1 "$PINGCTL" -t 800 "${nodes[@]}"
out=$(cat "$TMP/out")
check_match "down node: 8 failed (4 to it, 4 from it)" '^pairs 20 answered 12 failed 8 ' "$(tail -1 <<<"$out")"
ip -n s3 link set eth0 up

# cross-check with iproute2's ping (the oracle), one pair
if command -v ping >/dev/null; then
	check "oracle: ping s1 -> s5" ip netns exec s1 ping -c1 -W2 "$(addr4 1 5)"
fi

# ---- N = 100: 9,900 pairs --------------------------------------------------------
# A routed star (every node on its own /24 to router namespace "r"), not one
# bridge: on a shared L2 segment every pair needs its own neighbour entry, and
# the kernel's neighbour table is global to all namespaces, capped by the
# init namespace's gc_thresh3 (1024 here) with entries pinned for 5 s — a
# 100-node full mesh (9,900 entries) would overflow it for the whole machine.
# Routed, the 9,900 pairs need 200 entries, and every source sends 99 requests
# towards one neighbour (the router) at once: the engine's window keeps that
# under the unresolved queue (unres_qlen 101).
routed_star() {
	local n=$1 i
	{
		echo "netns add r"
		for i in $(seq 1 "$n"); do
			echo "netns add h$i"
			echo "link add eth0 netns h$i type veth peer name r$i netns r"
		done
	} > "$TMP/batch" && ip -batch "$TMP/batch" || return 1
	ip netns exec r sysctl -qw net.ipv4.ip_forward=1 || return 1
	{
		echo "link set lo up"
		for i in $(seq 1 "$n"); do
			echo "link set r$i up"
			echo "addr add 10.3.$i.1/24 dev r$i"
		done
	} | ip -n r -b - || return 1
	for i in $(seq 1 "$n"); do
		ip -n "h$i" -b - <<-EOF || return 1
		link set lo up
		link set eth0 up
		addr add 10.3.$i.2/24 dev eth0
		route add default via 10.3.$i.1
		EOF
	done
}
routed_star 100 || { not_ok "build routed star of 100"; exit 1; }
nodes=()
for i in $(seq 1 100); do nodes+=("h$i:10.3.$i.2"); done
check "100 nodes: all 9,900 pairs answer" "$PINGCTL" -q -t 10000 "${nodes[@]}"
summary=$(tail -1 "$TMP/out")
check_match "100 nodes: summary" '^pairs 9900 answered 9900 failed 0 ' "$summary"
echo "# N=100 first run (cold neighbour tables): $summary"
check "100 nodes again (warm)" "$PINGCTL" -q -t 10000 "${nodes[@]}"
echo "# N=100 second run (warm): $(tail -1 "$TMP/out")"
check_eq "router: neighbour entries stay few (one per node)" 100 \
	"$(ip -n r -j neigh show | jq '[.[] | select(.dst | startswith("10.3."))] | length')"
