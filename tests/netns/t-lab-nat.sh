#!/bin/bash
# NAT of the seed lab through the CLI: masquerade out to an "internet"
# namespace, the forward host:8080 -> blue:80 from another machine (lan), from
# the host (its addresses and 127.0.0.1) and from nodes (hairpin); runtime
# forwards; a user's table left byte-for-byte alone; ip_forward restored.
. ./lib.sh
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT

# the outside: inet (internet) and lan (another machine on the host's network)
ip netns add inet; ip netns add lan
ip link add up0 type veth peer name eth0 netns inet
ip link add up1 type veth peer name eth0 netns lan
ip addr add 203.0.113.1/24 dev up0; ip link set up0 up
ip addr add 198.51.100.1/24 dev up1; ip link set up1 up
ip -n inet addr add 203.0.113.2/24 dev eth0; ip -n inet link set eth0 up; ip -n inet link set lo up
ip -n lan addr add 198.51.100.2/24 dev eth0; ip -n lan link set eth0 up; ip -n lan link set lo up
ip -n lan route add default via 198.51.100.1

# a user's own table, planted before
nft -f - <<'NFT'
table inet usertbl {
	chain pre { type nat hook prerouting priority -150; policy accept; tcp dport 1234 counter accept; }
	chain userfwd { type filter hook forward priority 10; policy accept; counter; }
}
NFT
user_before=$(nft -s -j list table inet usertbl)
check_match "the user's table is in place" '"name": "userfwd"' "$user_before"

check "nsnet up (seed lab, masquerade + forward 8080 -> blue:80)" $NSNET up
serve() { local ns=$1; shift; ip netns exec "$ns" timeout 120 socat "$@" & PIDS+=($!); }
serve inet TCP-LISTEN:9000,reuseaddr,fork "SYSTEM:read x; echo \$SOCAT_PEERADDR"
serve blue TCP-LISTEN:80,reuseaddr,fork "SYSTEM:read x; echo blue-\$x"
serve blue UDP-LISTEN:53,reuseaddr,fork "SYSTEM:read x; echo blue-udp-\$x"
serve red TCP-LISTEN:7000,reuseaddr,fork "SYSTEM:read x; echo red-\$x"
wait_for 5 ip netns exec blue sh -c 'ss -ltn | grep -q ":80 "'
wait_for 5 ip netns exec inet sh -c 'ss -ltn | grep -q ":9000 "'
wait_for 5 ip netns exec red sh -c 'ss -ltn | grep -q ":7000 "'
wait_for 5 ip netns exec blue sh -c 'ss -lun | grep -q ":53 "'

tcp() { echo "$2" | timeout 5 socat -T3 - "TCP:$1"; }
udp() { echo "$2" | timeout 5 socat -T2 - "UDP:$1"; }

check_eq "masquerade: inet sees the host's uplink address, not red's" 203.0.113.1 "$(ip netns exec red bash -c "$(declare -f tcp); tcp 203.0.113.2:9000 hi")"
check_eq "masquerade: from green too" 203.0.113.1 "$(ip netns exec green bash -c "$(declare -f tcp); tcp 203.0.113.2:9000 hi")"
check_eq "(a) forward from another machine (lan -> host:8080)" blue-a "$(ip netns exec lan bash -c "$(declare -f tcp); tcp 198.51.100.1:8080 a")"
check_eq "(b) forward from the host, on its uplink address" blue-b1 "$(tcp 203.0.113.1:8080 b1)"
check_eq "(b) forward from the host, on the bridge address" blue-b2 "$(tcp 192.168.15.5:8080 b2)"
check_eq "(b) forward from the host, on 127.0.0.1" blue-b3 "$(tcp 127.0.0.1:8080 b3)"
check_eq "(c) hairpin: red -> host:8080 -> blue" blue-c1 "$(ip netns exec red bash -c "$(declare -f tcp); tcp 192.168.15.5:8080 c1")"
check_eq "(c) hairpin: blue reaches its own forward" blue-c2 "$(ip netns exec blue bash -c "$(declare -f tcp); tcp 192.168.15.5:8080 c2")"

# runtime forwards
check "forward add udp 5353 -> blue:53" $NSNET forward add 5353/udp blue:53
check_eq "UDP forward from lan" blue-udp-u "$(ip netns exec lan bash -c "$(declare -f udp); udp 198.51.100.1:5353 u")"
check_eq "UDP forward from the host" blue-udp-v "$(udp 127.0.0.1:5353 v)"
check "forward add tcp 7001 -> red:7000 on one host address" $NSNET forward add 198.51.100.1:7001 red:7000
check_eq "… works on that address" red-w "$(ip netns exec lan bash -c "$(declare -f tcp); tcp 198.51.100.1:7001 w")"
check_fail "… and not on another" tcp 203.0.113.1:7001 x
check_status "a duplicate forward is refused" 1 $NSNET forward add 8080 red:7000
check_match "… naming the clash" 'already forwarded' "$(cat $TMP/out)"
check_status "a forward to an unknown node is refused (exit 2)" 2 $NSNET forward add 9999 purple:1
serve blue TCP-LISTEN:81,reuseaddr,fork "SYSTEM:wc -c"
wait_for 5 ip netns exec blue sh -c 'ss -ltn | grep -q ":81 "'
check "forward add 8081 -> blue:81" $NSNET forward add 8081 blue:81
check_eq "1 MiB through a forward, counted by the server" 1048576 \
	"$(head -c 1048576 /dev/zero | timeout 20 socat -T10 - TCP:127.0.0.1:8081,shut-down | tr -d ' ')"
check "forward del 8081" $NSNET forward del 8081
check_eq "forward list -j: 3 forwards, 2 at run time" "3 2" "$($NSNET forward list -j | jq -r '"\(length) \([.[] | select(.runtime)] | length)"')"
check_match "status shows the runtime forward" 'forward udp 5353 -> blue:53' "$($NSNET status)"
check "forward del 5353/udp" $NSNET forward del 5353/udp
check_fail "… the UDP forward is gone" sh -c "echo z | timeout 3 socat -T1 - UDP:127.0.0.1:5353 | grep -q blue"
check_status "deleting the lab file's forward is refused" 1 $NSNET forward del 8080
check_eq "the table holds only nsnet rules: no rule of ours in usertbl" "$user_before" "$(nft -s -j list table inet usertbl)"

check "nsnet down" $NSNET down
check_eq "no nsnet table left" "usertbl" "$(nft -j list tables | jq -r '[.nftables[] | select(.table) | .table.name] | join(" ")')"
check_eq "the user's table is byte-for-byte unchanged (rules; counters aside)" "$user_before" "$(nft -s -j list table inet usertbl)"
check_eq "ip_forward restored to 0" 0 "$(sysctl -n net.ipv4.ip_forward)"
check_fail "the forward is gone" tcp 127.0.0.1:8080 gone
