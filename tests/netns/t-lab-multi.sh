#!/bin/bash
# Generated topologies, two labs side by side, down after the file is gone,
# down by file name, a 100-node star with all 9,900 pairs pinging.
. ./lib.sh

check "up --topo star,100" $NSNET up --topo star,100 -q
check_eq "100 namespaces" 100 "$(ip netns list | wc -l)"
check_eq "100 ports on br0" 100 "$(ip -j link show master br0 | jq length)"
check "pingall: all 9,900 pairs of the 100-node star answer" $NSNET pingall
check_match "… 9900/9900" '\(9900/9900 received\)' "$(cat $TMP/out)"
check_eq "pingall leaves no permanent neighbour entries behind" 0 "$(ip -n h1 -j neigh show nud permanent | jq length)"

# a second lab side by side
cp "$ROOT/examples/router.yaml" "$TMP/router.yaml"
check "a second lab (router) beside it" $NSNET up "$TMP/router.yaml"
check "status without a lab name, two labs up: one line each" $NSNET status
check_eq "… both listed" 2 "$(grep -c '^router \|^star-100 ' "$TMP/out")"
check "status star-100" $NSNET status star-100
check "pingall -l router" $NSNET pingall -l router
check "down star-100" $NSNET down star-100
check_eq "the router lab is untouched" "a b r" "$(ip -j netns list | jq -r '[.[].name] | sort | join(" ")')"
check "the router lab still routes" ip netns exec a ping -c1 -W2 10.2.0.2
rm "$TMP/router.yaml"
check "down after the lab file was deleted" $NSNET down router
check_eq "nothing left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)"

# down by file
check "up examples/cables.yaml" $NSNET up "$ROOT/examples/cables.yaml"
check "down examples/cables.yaml (by file)" $NSNET down "$ROOT/examples/cables.yaml"
check_eq "nothing left" "" "$(ip netns list; ls /run/nsnet)"

for t in linear,4 tree,2,2; do
	check "up --topo $t" $NSNET up --topo $t -q
	check "pingall $t" $NSNET pingall
	check "down" $NSNET down -q
done
check_eq "nothing left at the end" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"
