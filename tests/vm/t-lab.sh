#!/bin/bash
# Our binaries, built on this machine, on Debian's 6.1 kernel: the seed lab
# (links, addresses, routes, nft NAT: masquerade out, a forward in), every
# single-host example lab, and down leaving nothing.
. ./lib.sh
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
check_match "kernel is Debian's 6.1" '^6\.1\.' "$(uname -r)"

# the outside: inet (an internet server) and lan (another machine on the host's network)
ip netns add inet; ip netns add lan
ip link add up0 type veth peer name eth0 netns inet
ip link add up1 type veth peer name eth0 netns lan
ip addr add 203.0.113.1/24 dev up0; ip link set up0 up
ip addr add 198.51.100.1/24 dev up1; ip link set up1 up
for n in inet lan; do ip -n $n link set eth0 up; ip -n $n link set lo up; done
ip -n inet addr add 203.0.113.2/24 dev eth0
ip -n lan addr add 198.51.100.2/24 dev eth0; ip -n lan route add default via 198.51.100.1

check "nsnet up (seed lab)" $NSNET up
check "nsnet pingall: all pairs answer" $NSNET pingall
check_eq "status -j: health ok, 4 nodes, nat present" "ok 4 true" "$($NSNET status -j | jq -r '"\(.health) \(.nodes | length) \(.nat.present)"')"
check_eq "nft: table inet nsnet-seed" 1 "$(nft -j list tables | jq '[.nftables[] | select(.table.name=="nsnet-seed")] | length')"
serve() { local ns=$1; shift; ip netns exec "$ns" timeout 60 socat "$@" & PIDS+=($!); }
serve inet TCP-LISTEN:9000,reuseaddr,fork "SYSTEM:read x; echo \$SOCAT_PEERADDR"
serve blue TCP-LISTEN:80,reuseaddr,fork "SYSTEM:read x; echo blue-\$x"
wait_for 10 ip netns exec inet sh -c 'ss -ltn | grep -q ":9000 "'
wait_for 10 ip netns exec blue sh -c 'ss -ltn | grep -q ":80 "'
tcp() { echo "$2" | timeout 15 socat -t 10 -T 10 - "TCP:$1"; }	# -t: wait for the reply after EOF (slow emulated fork)
check_eq "masquerade: inet sees the host's address, not red's" 203.0.113.1 \
	"$(ip netns exec red bash -c "$(declare -f tcp); tcp 203.0.113.2:9000 hi")"
check_eq "forward host:8080 -> blue:80 from another machine" blue-a \
	"$(ip netns exec lan bash -c "$(declare -f tcp); tcp 198.51.100.1:8080 a")"
check_eq "forward from the host on 127.0.0.1" blue-b "$(tcp 127.0.0.1:8080 b)"
check "forward add 8081 -> blue:80 (runtime)" $NSNET forward add 8081 blue:80
check_eq "runtime forward from another machine" blue-c \
	"$(ip netns exec lan bash -c "$(declare -f tcp); tcp 198.51.100.1:8081 c")"
check "nsnet down" $NSNET down
check_eq "no lab namespace left" "inet lan" "$(ip -j netns list | jq -r '[.[].name] | sort | join(" ")')"
check_eq "no nft table left" 0 "$(nft -j list tables | jq '[.nftables[] | select(.table)] | length')"

for f in examples/*.yaml; do
	name=$(basename "$f" .yaml)
	grep -q '^hosts:' "$f" && continue	# a lab across machines: one part per host
	# ospf.yaml needs BIRD (not in the VM) and converges in seconds: t-ospf on the host
	[ "$name" = ospf ] && continue
	check "example $name: up" $NSNET up "$f"
	check "example $name: pingall" $NSNET pingall
	check "example $name: down" $NSNET down "$f"
done
check_eq "only the test's namespaces left" "inet lan" "$(ip -j netns list | jq -r '[.[].name] | sort | join(" ")')"
check_eq "only the test's links left" "lo up0 up1" "$(ip -j link show | jq -r '[.[].ifname] | sort | join(" ")')"
