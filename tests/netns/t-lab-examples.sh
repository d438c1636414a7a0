#!/bin/bash
# The example labs: a router between two subnets, cables (node<->node,
# node<->bridge, bridge<->bridge), IPv6, automatic addresses.
. ./lib.sh
EX=$ROOT/examples

# router
check "up examples/router.yaml" $NSNET up $EX/router.yaml
check_eq "router has ip_forward=1 in its namespace" 1 "$(ip netns exec r sysctl -n net.ipv4.ip_forward)"
check_eq "a host stays at ip_forward 0 in its namespace" 0 "$(ip netns exec a sysctl -n net.ipv4.ip_forward)"
check "pingall (shared segments)" $NSNET pingall
check "a reaches b across the router" ip netns exec a ping -c1 -W2 10.2.0.2
check_eq "a's route to 10.2.0.0/24 is via the router" 10.1.0.1 "$(ip -n a -j route show 10.2.0.0/24 | jq -r '.[0].gateway')"
check "down" $NSNET down router

# cables
check "up examples/cables.yaml" $NSNET up $EX/cables.yaml
check_eq "node<->node cable: left eth0 is a veth whose peer is in another namespace" "veth true" \
	"$(ip -n left -j -d link show eth0 | jq -r '.[0] | "\(.linkinfo.info_kind) \(has("link_netnsid"))"')"
check_eq "cable MTU 9000 on both ends" "9000 9000" "$(ip -n left -j link show eth0 | jq -r '.[0].mtu') $(ip -n right -j link show eth0 | jq -r '.[0].mtu')"
check "left reaches right over the cable" ip netns exec left ping -c1 -W2 10.9.0.2
check "left reaches right through sw1 == sw2" ip netns exec left ping -c1 -W2 10.10.0.2
check_eq "sw1 and sw2 each have 2 ports (a node + the bridge<->bridge veth)" "2 2" \
	"$(ip -j link show master sw1 | jq length) $(ip -j link show master sw2 | jq length)"
p0=$(ip -j link show master sw1 | jq -r '.[] | select(.ifname | startswith("left") | not) | .ifname')
check_eq "the sw1 port of the bridge<->bridge veth has its peer on sw2" sw2 "$(ip -j link show "$(ip -j -d link show "$p0" | jq -r '.[0].link')" | jq -r '.[0].master')"
check "pingall" $NSNET pingall
check "down" $NSNET down
check_eq "no links left" lo "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')"

# IPv6
check "up examples/ipv6.yaml" $NSNET up $EX/ipv6.yaml
v6=$(ip -n client -j addr show eth0 | jq -r '[.[0].addr_info[] | select(.family=="inet6" and .scope=="global") | .local][0]')
check_match "client has a global IPv6 address" ':' "$v6"
check "web reaches client over IPv6" ip netns exec web ping -6 -c1 -W2 "$v6"
check "pingall" $NSNET pingall
check "down" $NSNET down

# automatic addresses, name prefix
check "up examples/auto.yaml" $NSNET up $EX/auto.yaml
check_eq "namespaces carry the prefix" "auto-n1 auto-n2 auto-n3" "$(ip -j netns list | jq -r '[.[].name] | sort | join(" ")')"
a1=$(ip -n auto-n1 -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')
a2=$(ip -n auto-n2 -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')
check_match "n1 got an address from 10.20.0.0/24" '^10\.20\.0\.' "$a1"
check "n1 and n2 got different addresses" test "$a1" != "$a2"
check "nsnet exec uses the node name, not the namespace name" $NSNET exec n1 -- true
check "down" $NSNET down
check_eq "nothing left" "" "$(ip netns list; ls /run/nsnet)"
