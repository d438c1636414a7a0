#!/bin/bash
# nsnet-cni: a second attachment (eth1) of one container on the same network,
# whose configuration asks for default routes and maps a host port. It
# succeeds; the first attachment keeps the default routes (the second gets
# only the prefix routes of its addresses: the result lists no route) and the
# port mapping (the second's identical mapping is not taken over); CHECK
# passes for both; DEL of the second leaves the first, its addresses, its
# routes and its port mapping untouched; DEL of both leaves nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"
container c1
before=$(state)
PM='[{"hostPort":8080,"containerPort":80}]'
check "ADD c1 eth0" cni ADD c1 eth0 /run/netns/c1
r0=$(cat "$TMP/out")
check "ADD c1 eth1 (same network, default gateway, same port mapping)" cni ADD c1 eth1 /run/netns/c1
r1=$(cat "$TMP/out")
a0=$(jq -r '.ips[0].address' <<<"$r0" | cut -d/ -f1)
a1=$(jq -r '.ips[0].address' <<<"$r1" | cut -d/ -f1)
a06=$(jq -r '.ips[1].address' <<<"$r0" | cut -d/ -f1)
a16=$(jq -r '.ips[1].address' <<<"$r1" | cut -d/ -f1)
check_match "eth1 got other addresses" '^10\.88\.0\.[0-9]+ fd00:88::' "$(
	[ "$a0" != "$a1" ] && [ "$a06" != "$a16" ] && echo "$a1 $a16")"
check_eq "result of eth1: no route (the container has its default routes)" "0" \
	"$(jq '.routes|length' <<<"$r1")"
check_eq "result of eth0: both default routes" "0.0.0.0/0 ::/0" "$(jq -r '[.routes[].dst]|join(" ")' <<<"$r0")"
check_eq "ip -j: one IPv4 default route, via eth0" "1 eth0 10.88.0.1" \
	"$(ip -n c1 -j route show default | jq -r '"\(length) \(.[0].dev) \(.[0].gateway)"')"
check_eq "ip -j: one IPv6 default route, via eth0" "1 eth0 fd00:88::1" \
	"$(ip -n c1 -6 -j route show default | jq -r '"\(length) \(.[0].dev) \(.[0].gateway)"')"
check_eq "ip -j: eth1 has its addresses" "$a1/24 $a16/64" \
	"$(ip -n c1 -j addr show eth1 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')"
check_eq "ip -j: eth1's routes are its prefix routes only" "10.88.0.0/24 kernel" \
	"$(ip -n c1 -j route show dev eth1 | jq -r '[.[]|"\(.dst) \(.protocol)"]|join(",")')"
T=nsnet-cni-$NET
check_eq "nft -j: port map: tcp 8080 -> eth0's address (v4, v6)" "$a0 $a06" \
	"$(for m in pm4 pm6; do nft -j list map inet $T $m | jq -r '[.nftables[1].map.elem[]|.[1].concat[0]]|join(" ")'; done | paste -sd' ')"
check_eq "nft -j: masquerade set holds both addresses" "$(printf '%s\n' "$a0" "$a1" | sort | paste -sd' ')" \
	"$(nft -j list set inet $T masq4 | jq -r '.nftables[1].set.elem[]' | sort | paste -sd' ')"
check_eq "record of eth1: no port mapping" "0" \
	"$(jq '.portMappings|length' "$DATA/$NET/nsnet-cni/c1@eth1")"
CHECKCONF() { EXTRA=",\"prevResult\":$1" cni CHECK c1 "$2" /run/netns/c1; }
check "CHECK eth0" CHECKCONF "$r0" eth0
check "CHECK eth1" CHECKCONF "$r1" eth1

serve c1 tcp 80 c1
wait_for 5 listening c1 80
expect "127.0.0.1:8080 reaches c1" '^c1 ' tcp 127.0.0.1 8080
check "the host pings eth1's address" ping -c1 -W2 "$a1"

# ARP: each interface answers for its own address only (else the host may
# learn eth0's address at eth1's MAC, dead after the DEL of eth1)
check_eq "arp_ignore 1, arp_announce 2 on eth0 and eth1" "1 2 1 2" \
	"$(for i in eth0 eth1; do ip netns exec c1 cat /proc/sys/net/ipv4/conf/$i/arp_ignore /proc/sys/net/ipv4/conf/$i/arp_announce; done | paste -sd' ')"
ip neigh flush dev cni0
for i in 1 2 3; do ping -c1 -W2 "$a0" >/dev/null; ping -c1 -W2 "$a1" >/dev/null; done
check_eq "host neighbours: eth0's address at eth0's MAC, eth1's at eth1's" \
	"$(ip -n c1 -j link show eth0 | jq -r '.[0].address') $(ip -n c1 -j link show eth1 | jq -r '.[0].address')" \
	"$(ip -j neigh show "$a0" | jq -r '.[0].lladdr') $(ip -j neigh show "$a1" | jq -r '.[0].lladdr')"
check "DEL c1 eth1" cni DEL c1 eth1 /run/netns/c1
check_fail "eth1 gone" ip -n c1 link show eth1
check_eq "eth0 keeps its addresses" "$a0/24 $a06/64" \
	"$(ip -n c1 -j addr show eth0 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')"
check_eq "eth0 keeps both default routes" "eth0 10.88.0.1 eth0 fd00:88::1" \
	"$(ip -n c1 -j route show default | jq -r '.[0]|"\(.dev) \(.gateway)"') $(ip -n c1 -6 -j route show default | jq -r '.[0]|"\(.dev) \(.gateway)"')"
check_eq "nft -j: port map still maps 8080 to eth0" "$a0 $a06" \
	"$(for m in pm4 pm6; do nft -j list map inet $T $m | jq -r '[.nftables[1].map.elem[]|.[1].concat[0]]|join(" ")'; done | paste -sd' ')"
check_eq "nft -j: masquerade set holds eth0's address only" "$a0" \
	"$(nft -j list set inet $T masq4 | jq -r '.nftables[1].set.elem[]' | paste -sd' ')"
check_eq "reservations: eth0's kept, eth1's released" "c1 eth0|c1 eth0|absent|absent" \
	"$(for a in "$a0" "$a06" "$a1" "$a16"; do [ -e "$DATA/$NET/$a" ] && tr -d '\r' < "$DATA/$NET/$a" | paste -sd' ' || echo absent; done | paste -sd'|')"
expect "127.0.0.1:8080 still reaches c1" '^c1 ' tcp 127.0.0.1 8080
check "CHECK eth0 after DEL of eth1" CHECKCONF "$r0" eth0

# and the other order: eth1 again, then DEL eth0 leaves eth1 (without default route)
check "ADD c1 eth1 again" cni ADD c1 eth1 /run/netns/c1
a1=$(jq -r '.ips[0].address' "$TMP/out" | cut -d/ -f1)
check "DEL c1 eth0" cni DEL c1 eth0 /run/netns/c1
check "eth1 still there" ip -n c1 link show eth1
check "the host pings eth1's address after DEL of eth0" ping -c1 -W2 "$a1"
check "DEL c1 eth1" cni DEL c1 eth1 /run/netns/c1
links_etc() { grep -v '^cni0$\|^table\|^	\|^}'; }
check_eq "nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
