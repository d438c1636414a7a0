#!/bin/bash
# The built-in seed lab end to end, with iproute2 as the oracle.
. ./lib.sh

check "nsnet up (seed lab)" $NSNET up
check_eq "namespaces red blue orange green exist" "blue green orange red" "$(ip -j netns list | jq -r '[.[].name] | sort | join(" ")')"
check_eq "bridge v-net-0 is a bridge" bridge "$(ip -j -d link show v-net-0 | jq -r '.[0].linkinfo.info_kind')"
check_eq "bridge has 192.168.15.5/24" "192.168.15.5/24" "$(ip -j addr show v-net-0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')"
check_eq "bridge is up" UP "$(ip -j link show v-net-0 | jq -r '.[0].operstate')"
check_eq "4 host-side veths are ports of v-net-0" 4 "$(ip -j link show master v-net-0 | jq length)"
check_eq "host-side veths carry the ownership alias" "nsnet:seed" "$(ip -j link show red-eth0 | jq -r '.[0].ifalias')"
i=1
for n in red blue orange green; do
	check_eq "$n: eth0 has 192.168.15.$i/24" "192.168.15.$i/24" \
		"$(ip -n $n -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')"
	check_eq "$n: eth0 and lo up" "UP UNKNOWN" "$(ip -n $n -j link show eth0 | jq -r '.[0].operstate') $(ip -n $n -j link show lo | jq -r '.[0].operstate')"
	check_eq "$n: default via 192.168.15.5" "192.168.15.5" "$(ip -n $n -j route show default | jq -r '.[0].gateway')"
	i=$((i + 1))
done
check "nsnet pingall: all pairs answer" $NSNET pingall
check_match "pingall prints a full matrix" "red -> blue orange green" "$(cat $TMP/out)"
check_eq "pingall -j: 12 of 12" "12 12" "$($NSNET pingall -j | jq -r '"\(.expected) \(.answered)"')"
check "ping blue from red (as in the tutorial)" ip netns exec red ping -c1 -W2 192.168.15.2
blue_mac=$(ip -n blue -j link show eth0 | jq -r '.[0].address')
check_eq "red's neighbour table holds blue's MAC" "$blue_mac" "$(ip -n red -j neigh show 192.168.15.2 | jq -r '.[0].lladdr')"
check "the host reaches red" ping -c1 -W2 192.168.15.1
check_eq "nsnet exec runs in the node" "192.168.15.3" "$($NSNET exec orange -- ip -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')"
check_status "nsnet exec passes the exit status" 7 $NSNET exec red -- sh -c 'exit 7'
check_status "nsnet exec of an unknown node: exit 2" 2 $NSNET exec purple -- true
check "nsnet status" $NSNET status
check_eq "status -j: health ok, 4 nodes, nat present" "ok 4 true" "$($NSNET status -j | jq -r '"\(.health) \(.nodes | length) \(.nat.present)"')"
check_eq "status -j lists blue's address" "192.168.15.2/24" "$($NSNET status -j | jq -r '.nodes[] | select(.name=="blue") | .interfaces[0].addresses[0]')"
check_eq "nft table inet nsnet-seed exists" 1 "$(nft -j list tables | jq '[.nftables[] | select(.table.name=="nsnet-seed")] | length')"
check_eq "ip_forward is on while the lab needs it" 1 "$(sysctl -n net.ipv4.ip_forward)"
check "graph is valid DOT" sh -c "$NSNET graph | dot -Tsvg > /dev/null"
before=$(ip -j link show | jq -c '[.[] | [.ifname, .ifindex]]'; ls -i /run/netns)
check_status "up again: the lab matches, nothing to do (exit 0)" 0 $NSNET up
check_match "… says so" 'matches its file: nothing to do' "$(cat $TMP/out)"
check_eq "… and touched nothing (ifindexes, namespace inodes)" "$before" \
	"$(ip -j link show | jq -c '[.[] | [.ifname, .ifindex]]'; ls -i /run/netns)"

# a node process keeps running after up; down must still remove everything
ip netns exec blue sleep 300 & sleeper=$!
wait_for 5 sh -c "ip netns pids blue | grep -qx $sleeper"
check "nsnet down" $NSNET down
check_eq "no namespace left" "" "$(ip netns list)"
check_eq "only lo left on the host" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')"
check_eq "no nft table left" 0 "$(nft -j list tables | jq '[.nftables[] | select(.table)] | length')"
check_eq "ip_forward restored" 0 "$(sysctl -n net.ipv4.ip_forward)"
check_eq "no lab state left" "" "$(ls /run/nsnet)"
gone() { local st; st=$(awk '{print $3}' /proc/$1/stat 2>/dev/null); [ -z "$st" ] || [ "$st" = Z ]; }
check "the process inside blue was ended" wait_for 3 gone $sleeper
check "down twice is fine" $NSNET down
check_status "status of a lab that is not up: exit 1" 1 $NSNET status seed
