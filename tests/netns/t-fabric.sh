#!/bin/bash
# The bridge port limit (a Linux bridge holds 1023 ports): validate refuses a
# lab with more on one bridge; a generated star above it is a switch fabric
# (leaf bridges under the spine br0) in which every host reaches every other.
# NSNET_BRIDGE_PORT_MAX lowers the limit so that small labs meet it.
. ./lib.sh

cat > "$TMP/ports.yaml" <<'YAML'
name: ports
bridges:
  big: { addresses: [10.9.0.1/24] }
  other: {}
nodes:
  a: { interfaces: { eth0: { bridge: big, addresses: [10.9.0.2/24] } } }
  b: { interfaces: { eth0: { bridge: big, addresses: [10.9.0.3/24] } } }
  c: { interfaces: { eth0: { bridge: big, addresses: [10.9.0.4/24] } } }
links:
  - endpoints: [big, other]
YAML
export NSNET_BRIDGE_PORT_MAX=3
check_status "validate: 4 ports on a bridge, limit 3: exit 2" 2 $NSNET validate "$TMP/ports.yaml"
check_match "… names file:line:col, the bridge, the count and the limit" \
	'ports\.yaml:3:3: bridges\.big: 4 ports \(node interfaces and bridge links on it\), more than a Linux bridge holds \(3\)' \
	"$(cat $TMP/out)"
check_status "up refuses it too (exit 2)" 2 $NSNET up "$TMP/ports.yaml"
check_eq "… and creates nothing" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"
export NSNET_BRIDGE_PORT_MAX=4
check "limit 4: valid" $NSNET validate "$TMP/ports.yaml"
unset NSNET_BRIDGE_PORT_MAX
check_match "without the knob a generated star,2000 is valid: a chain of 5 leaves" \
	'lab "star-2000" is valid: 2000 nodes, 6 bridges, 5 links' "$($NSNET validate --topo star,2000 2>&1)"
check_status "tree,1,1100 (1100 hosts on one bridge): exit 2" 2 $NSNET validate --topo tree,1,1100
check_match "… a bridge of 1100 ports, more than a Linux bridge holds (1023); star,N named" \
	'tree,1,1100.*1100 ports, more than a Linux bridge holds \(1023\); star,N' "$(cat $TMP/out)"

export NSNET_BRIDGE_PORT_MAX=10
check "limit 10: up --topo star,30 (a fabric)" $NSNET up --topo star,30 -q
check_eq "bridges: br0 and 4 leaves" "br0 br0-1 br0-2 br0-3 br0-4" \
	"$(ip -j link show type bridge | jq -r '[.[].ifname] | sort | join(" ")')"
check_eq "a chain: br0 -- br0-1 -- br0-2 -- br0-3 -- br0-4" \
	"br0-1:br0-1-br0 br0-1:br0-1-br0-2 br0-2:br0-2-br0-1 br0-2:br0-2-br0-3 br0-3:br0-3-br0-2 br0-3:br0-3-br0-4 br0-4:br0-4-br0-3 br0:br0-br0-1" \
	"$(ip -j link show | jq -r '[.[] | select(.ifname | test("^br0.*-br0")) | "\(.master):\(.ifname)"] | sort | join(" ")')"
check_eq "every leaf holds at most 10 ports, 30 hosts in all" "30 true" \
	"$(for l in 1 2 3 4; do ip -j link show master br0-$l; done | jq -s '"\([.[][] | select(.ifname | test("^h"))] | length) \(all(.[]; length <= 10))"' -r)"
check_eq "h30 is on the last leaf" "br0-4" "$(ip -j link show h30-eth0 | jq -r '.[0].master')"
check_eq "only br0 has the host's address" "10.0.0.1/16" \
	"$(ip -j -4 addr show | jq -r '[.[] | select(.ifname | startswith("br0")) | .addr_info[] | "\(.local)/\(.prefixlen)"] | join(" ")')"
check "pingall: every host reaches every other (870 pairs)" $NSNET pingall
check_eq "pingall -j: 870 of 870" "870 870" "$($NSNET pingall -j | jq -r '"\(.expected) \(.answered)"')"
check "h1 (leaf 1) reaches h30 (leaf 4) along the chain" ip netns exec h1 ping -c1 -W2 10.0.0.31
check "down" $NSNET down -q
check_eq "nothing left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"
export NSNET_BRIDGE_PORT_MAX=2
check_status "limit 2: no port left for hosts on a chain leaf: exit 2" 2 $NSNET up --topo star,3 -q
check_match "… says why" 'with bridges of 2 ports, a chain of leaf bridges has no port left for hosts' "$(cat $TMP/out)"

# A real fabric: star,3000 is a chain of 8 leaves of 375 hosts. A bridge
# floods a broadcast (ARP) to all its ports in one pass and every copy waits
# in the CPU's backlog (net.core.netdev_max_backlog, 1000) until the next:
# with every leaf under one spine, all leaves flooded in the same pass, some
# 2000 copies were dropped and hosts on different leaves could not resolve
# each other. Along the chain a pass holds at most two leaves' copies.
unset NSNET_BRIDGE_PORT_MAX
check "up --topo star,3000 (a chain of 8 leaves)" $NSNET up --topo star,3000 -q
check_eq "… 9 bridges, no leaf above 400 hosts" "9 375" \
	"$(ip -j link show type bridge | jq length) $(for l in 1 2 3 4 5 6 7 8; do ip -j link show master br0-$l | jq '[.[] | select(.ifname | test("^h"))] | length'; done | sort -n | tail -1)"
check "h3000 (leaf 8) resolves and reaches h1 (leaf 1)" ip netns exec h3000 ping -c1 -W2 10.0.0.2
check "h1 resolves and reaches h3000" ip netns exec h1 ping -c1 -W2 10.0.11.185
check "h1500 (leaf 4, floods both ways) resolves and reaches h2 (leaf 1)" \
	ip netns exec h1500 ping -c1 -W2 10.0.0.3
check "h1600 (leaf 5) resolves and reaches h2999 (leaf 8)" ip netns exec h1600 ping -c1 -W2 10.0.11.184
check "the host reaches h2500" ping -c1 -W2 10.0.9.197
check "down" $NSNET down -q
