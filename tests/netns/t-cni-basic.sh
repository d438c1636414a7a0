#!/bin/bash
# nsnet-cni end to end: VERSION, ADD of two containers (checked with ip -j and
# nft -j), traffic (ping, masquerade, port mappings from another machine, the
# host, 127.0.0.1 and hairpin, TCP and UDP, IPv4 and IPv6), CHECK, results of
# older versions, DEL idempotency (twice, without CNI_NETNS, after the netns
# is gone, never added) and nothing left at the end.
#
#   lan (198.51.100.2)              host (sandbox)           c1 10.88.0.x
#        | lan0 198.51.100.1 ------ cni0 10.88.0.1/24 ---- c2 10.88.0.y
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

v=$(echo '{"cniVersion":"1.0.0"}' | CNI_COMMAND=VERSION "$CNI")
check_eq "VERSION echoes cniVersion" "1.0.0" "$(jq -r .cniVersion <<<"$v")"
check_eq "VERSION lists the supported versions" '["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]' \
	"$(jq -c .supportedVersions <<<"$v")"

uplink lan lan0 198.51.100.1 198.51.100.2 2001:db8:2::1 2001:db8:2::2
ip -n lan route add default via 198.51.100.1
ip -n lan -6 route add default via 2001:db8:2::1
container c1; container c2
before=$(state)

PM='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":8053,"containerPort":53,"protocol":"udp"}]'
check "ADD c1" cni ADD c1 eth0 /run/netns/c1
r1=$(cat "$TMP/out")
PM='[{"hostPort":9080,"containerPort":80,"protocol":"tcp"}]'
check "ADD c2" cni ADD c2 eth0 /run/netns/c2
r2=$(cat "$TMP/out")
a1=$(jq -r '.ips[0].address' <<<"$r1" | cut -d/ -f1)
a2=$(jq -r '.ips[0].address' <<<"$r2" | cut -d/ -f1)
a16=$(jq -r '.ips[1].address' <<<"$r1" | cut -d/ -f1)
a26=$(jq -r '.ips[1].address' <<<"$r2" | cut -d/ -f1)
check_match "result: IPv4 address from the range" '^10\.88\.0\.[0-9]+$' "$a1"
check_match "result: IPv6 address from the range" '^fd00:88::' "$a16"
check_eq "result: cniVersion 1.1.0, 3 interfaces, container one with sandbox" \
	"1.1.0 3 eth0 /run/netns/c1 2" \
	"$(jq -r '[.cniVersion, (.interfaces|length), .interfaces[2].name, .interfaces[2].sandbox, .ips[0].interface]|join(" ")' <<<"$r1")"
check_eq "result: gateways and default routes" "10.88.0.1 fd00:88::1 0.0.0.0/0 ::/0" \
	"$(jq -r '[.ips[0].gateway, .ips[1].gateway, .routes[0].dst, .routes[1].dst]|join(" ")' <<<"$r1")"
check_eq "result: no 'version' in ips (1.x)" "null" "$(jq -r '.ips[0].version' <<<"$r1")"
hv1=$(jq -r '.interfaces[1].name' <<<"$r1")
check_eq "ip -j: eth0 in c1 has the address" "$a1/24" \
	"$(ip -n c1 -j addr show eth0 | jq -r '.[0].addr_info[]|select(.family=="inet")|"\(.local)/\(.prefixlen)"')"
check_eq "ip -j: host veth is a port of cni0, hairpin on" "cni0 true" \
	"$(ip -j -d link show "$hv1" | jq -r '.[0]|"\(.master) \(.linkinfo.info_slave_data.hairpin)"')"
check_eq "ip -j: container MAC as in the result" "$(jq -r '.interfaces[2].mac' <<<"$r1")" \
	"$(ip -n c1 -j link show eth0 | jq -r '.[0].address')"
check_eq "ip -j: default route via the gateway" "10.88.0.1" \
	"$(ip -n c1 -j route show default | jq -r '.[0].gateway')"
check_eq "cni0 has the gateway addresses" "10.88.0.1/24 fd00:88::1/64" \
	"$(ip -j addr show cni0 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')"
T=nsnet-cni-$NET
check_eq "nft -j: masquerade set holds both containers" "$(printf '%s\n' "$a1" "$a2" | sort | tr '\n' ' ')" \
	"$(nft -j list set inet $T masq4 | jq -r '.nftables[1].set.elem[]' | sort | tr '\n' ' ')"
check_eq "nft -j: port map has 3 elements" 3 \
	"$(nft -j list map inet $T pm4 | jq '.nftables[1].map.elem|length')"
nrules=$(nft -j list table inet $T | jq '[.nftables[]|select(.rule)]|length')

serve c1 tcp 80 c1; serve c1 udp 53 c1u; serve c2 tcp 80 c2
serve lan tcp 7000 lan
wait_for 5 listening c1 80; wait_for 5 listening c2 80; wait_for 5 listening lan 7000; wait_for 5 listening c1 53

check "ping c1 -> c2" ip netns exec c1 ping -c1 -W2 "$a2"
check "ping6 c1 -> c2" ip netns exec c1 ping -6 -c1 -W2 "$a26"
check "ping c1 -> gateway" ip netns exec c1 ping -c1 -W2 10.88.0.1
expect "no masquerade between containers: c2 sees c1" "^c2 $a1" c1 tcp "$a2" 80
expect "masquerade: lan sees the host's address" '^lan 198\.51\.100\.1(:|$)' c1 tcp 198.51.100.2 7000
expect "masquerade IPv6: lan sees the host's address" '^lan \[?2001:0db8:0002:(0000:){4}0001' c1 tcp 2001:db8:2::2 7000
expect "lan -> host:8080 reaches c1, client address kept" '^c1 198\.51\.100\.2' lan tcp 198.51.100.1 8080
expect "lan -> host:9080 reaches c2" '^c2 198\.51\.100\.2' lan tcp 198.51.100.1 9080
expect "lan -> host:8053 udp reaches c1" '^c1u 198\.51\.100\.2' lan udp 198.51.100.1 8053
expect "lan -> host IPv6 :8080 reaches c1" '^c1 \[?2001:0?db8:0002:(0000:){4}0002' lan tcp 2001:db8:2::1 8080
expect "host -> 198.51.100.1:8080 reaches c1" '^c1 ' tcp 198.51.100.1 8080
expect "host -> 127.0.0.1:8080 reaches c1" '^c1 ' tcp 127.0.0.1 8080
expect "host -> 127.0.0.1:8053 udp reaches c1" '^c1u ' udp 127.0.0.1 8053
expect "host -> [::1]:9080? no (IPv6 loopback cannot be DNATed): use the bridge address" '^c2 ' tcp fd00:88::1 9080
expect "hairpin: c1 -> host:8080 reaches c1 itself" '^c1 ' c1 tcp 10.88.0.1 8080
expect "hairpin: c2 -> host:8080 reaches c1" '^c1 ' c2 tcp 198.51.100.1 8080
check_eq "route_localnet on cni0" 1 "$(cat /proc/sys/net/ipv4/conf/cni0/route_localnet)"

# CHECK (1.1.0 and the IPv4-only case below)
EXTRA=",\"prevResult\":$r1"
check "CHECK c1 passes" cni CHECK c1 eth0 /run/netns/c1
ip -n c1 route del default
check_eq "CHECK c1 fails without its default route (107)" 107 "$(cni_code CHECK c1 eth0 /run/netns/c1)"
ip -n c1 route add default via 10.88.0.1
nft delete element inet $T masq4 "{ $a1 }"
check_eq "CHECK c1 fails without its masquerade element (107)" 107 "$(cni_code CHECK c1 eth0 /run/netns/c1)"
nft add element inet $T masq4 "{ $a1 }"
EXTRA=

# older result formats
container c3; container c4
VER=0.3.1 PM='[]'
check "ADD c3 with cniVersion 0.3.1" cni ADD c3 eth0 /run/netns/c3
check_eq "0.3.1 result: ips carry version" "0.3.1 4 6" \
	"$(jq -r '[.cniVersion, .ips[0].version, .ips[1].version]|join(" ")' "$TMP/out")"
check_eq "CHECK refused for 0.3.1 (code 1)" 1 "$(cni_code CHECK c3 eth0 /run/netns/c3)"
VER=0.4.0 RANGES='[[{"subnet":"10.88.0.0/24"}]]'
NET=v4only
check "ADD c4 IPv4-only with cniVersion 0.4.0" cni ADD c4 eth0 /run/netns/c4
r4=$(cat "$TMP/out")
check_eq "0.4.0 result: one IPv4 address" "0.4.0 1 4" "$(jq -r '[.cniVersion, (.ips|length), .ips[0].version]|join(" ")' <<<"$r4")"
EXTRA=",\"prevResult\":$r4"
check "CHECK passes on an IPv4-only attachment (0.4.0)" cni CHECK c4 eth0 /run/netns/c4
EXTRA=
check "DEL c4" cni DEL c4 eth0 /run/netns/c4
NET=testnet VER=1.1.0 RANGES='[[{"subnet":"10.88.0.0/24"}],[{"subnet":"fd00:88::/64"}]]'
check "DEL c3" cni DEL c3 eth0 /run/netns/c3

check_eq "rule count did not grow with containers" "$nrules" \
	"$(nft -j list table inet $T | jq '[.nftables[]|select(.rule)]|length')"

# DEL, idempotent
PM='[{"hostPort":8080,"containerPort":80,"protocol":"tcp"},{"hostPort":8053,"containerPort":53,"protocol":"udp"}]'
check "DEL c1" cni DEL c1 eth0 /run/netns/c1
check "DEL c1 again" cni DEL c1 eth0 /run/netns/c1
check_fail "c1's host veth is gone" ip link show "$hv1"
check_fail "lan -> host:8080 no longer reaches c1" talk lan tcp 198.51.100.1 8080
expect "c2 still served on 9080" '^c2 ' lan tcp 198.51.100.1 9080
check_eq "nft: only c2 left in the sets" "$a2" "$(nft -j list set inet $T masq4 | jq -r '.nftables[1].set.elem[]')"
PM='[]'
ip netns del c2
check "DEL c2 without CNI_NETNS after its netns is gone" cni DEL c2 eth0 ""
check "DEL c2 once more" cni DEL c2 eth0 /run/netns/c2
check "DEL of a container never added" cni DEL never eth0 /run/netns/never
check "DEL without prevResult nor netns for another ifname" cni DEL c1 eth7 ""
container c2
ip netns del c3; ip netns del c4
after=$(state)
# the bridge (shared, as with the reference plugin) and the empty table stay
check_eq "nothing of the attachments left (the bridge and the empty table stay)" \
	"$(printf '%s\n' "$before" | grep -v '^table\|^}' )" \
	"$(printf '%s\n' "$after" | grep -v '^cni0$' | awk '/^table inet nsnet-cni/{skip=1} skip&&/^}/{skip=0;next} !skip' | grep -v '^}')"
check_eq "nft: sets and maps empty" "0 0 0 0" \
	"$(for s in masq4 masq6; do nft -j list set inet $T $s | jq '.nftables[1].set.elem|length'; done | tr '\n' ' ')$(for m in pm4 pm6; do nft -j list map inet $T $m | jq '.nftables[1].map.elem|length'; done | tr '\n' ' ' | sed 's/ $//')"
