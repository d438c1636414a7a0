#!/bin/bash
# nsnet-cni: two interfaces of one container are independent; 16 parallel
# ADDs give distinct addresses and 16 parallel DELs leave nothing; GC keeps
# exactly the valid attachments; STATUS.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"
container c1; container c2
before=$(state)
PM='[{"hostPort":8080,"containerPort":80}]'
check "ADD c1 eth0" cni ADD c1 eth0 /run/netns/c1
# eth1 on a second network (its own bridge, subnet and table), as with multus
net2() { NET=net2 BRIDGE=cni1 RANGES='[[{"subnet":"10.99.0.0/24"}]]' PM='[{"hostPort":8081,"containerPort":80}]' DEFGW=false cni "$@"; }
check "ADD c1 eth1 (second interface, second network)" net2 ADD c1 eth1 /run/netns/c1
a1=$(jq -r '.ips[0].address' "$TMP/out" | cut -d/ -f1)
PM='[]'
check "ADD c2 eth0" cni ADD c2 eth0 /run/netns/c2
PM='[{"hostPort":8080,"containerPort":80}]'
check "DEL c1 eth0" cni DEL c1 eth0 /run/netns/c1
check_fail "c1 eth0 gone" ip -n c1 link show eth0
check "c1 eth1 still there" ip -n c1 link show eth1
check "the host pings c1's eth1 address" ping -c1 -W2 "$a1"
serve c1 tcp 80 c1
wait_for 5 listening c1 80
expect "port 8081 (eth1's mapping) still served" '^c1' tcp 127.0.0.1 8081
check_fail "port 8080 (eth0's mapping) gone" talk tcp 127.0.0.1 8080
check_eq "c1 eth1 reservation kept" "c1 eth1" "$(tr '\r\n' '  ' < "$DATA/net2/$a1" | tr -s ' ')"
check "DEL c1 eth1" net2 DEL c1 eth1 /run/netns/c1
ip link del cni1; nft delete table inet nsnet-cni-net2
PM='[]'; check "DEL c2 eth0" cni DEL c2 eth0 /run/netns/c2


# 16 in parallel
pids=()
for i in $(seq 1 16); do container p$i; done
mid=$(state)
for i in $(seq 1 16); do
	PM="[{\"hostPort\":$((9000 + i)),\"containerPort\":80,\"protocol\":\"udp\"}]" \
		cni ADD p$i eth0 /run/netns/p$i > "$TMP/add.$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"; pids=()
nok=0; for i in $(seq 1 16); do jq -e .ips "$TMP/add.$i" >/dev/null 2>&1 && nok=$((nok + 1)); done
check_eq "16 parallel ADDs succeed" 16 "$nok"
check_eq "16 distinct IPv4 addresses" 16 "$(cat "$TMP"/add.* | jq -r '.ips[0].address' | sort -u | wc -l)"
check_eq "16 distinct addresses in the kernel" 16 \
	"$(for i in $(seq 1 16); do ip -n p$i -j addr show eth0 | jq -r '.[0].addr_info[]|select(.family=="inet")|.local'; done | sort -u | wc -l)"
check_eq "16 port-map elements" 16 "$(nft -j list map inet nsnet-cni-$NET pm4 | jq '.nftables[1].map.elem|length')"
check "p1 pings p16" ip netns exec p1 ping -c1 -W2 "$(jq -r '.ips[0].address' "$TMP/add.16" | cut -d/ -f1)"
for i in $(seq 1 16); do
	PM="[{\"hostPort\":$((9000 + i)),\"containerPort\":80,\"protocol\":\"udp\"}]" \
		cni DEL p$i eth0 /run/netns/p$i > "$TMP/del.$i" 2>&1 &
	pids+=($!)
done
wait "${pids[@]}"
links_etc() { grep -v '^cni0$\|^table\|^	\|^}'; }
check_eq "16 parallel DELs leave nothing" "$(printf '%s\n' "$mid" | links_etc)" "$(state | links_etc)"
check_eq "port map empty" 0 "$(nft -j list map inet nsnet-cni-$NET pm4 | jq '.nftables[1].map.elem|length')"

# GC
for i in 1 2 3; do cni ADD p$i eth0 /run/netns/p$i > /dev/null; done
# a reservation made by host-local (no record of ours)
printf 'legacy\r\neth0' > "$DATA/$NET/10.88.0.200"
EXTRA=',"cni.dev/valid-attachments":[{"containerID":"p2","ifname":"eth0"}]'
check "GC keeping p2 only" cni GC "" "" ""
EXTRA=
check_eq "GC: only p2's records and reservations left" "p2@eth0 2" \
	"$(ls "$DATA/$NET/nsnet-cni") $(ls "$DATA/$NET" | grep -c '^10\.88\|^fd00')"
check_fail "GC: p1's host veth removed" ip link show "$(ip -n p1 -j link show eth0 2>/dev/null | jq -r '.[0].ifname // "none"')x"
check_fail "GC: p1 lost its interface" ip -n p1 link show eth0
check "GC: p2 still works" ip netns exec p2 ping -c1 -W2 10.88.0.1
check_eq "GC: masquerade set holds p2 only" 1 "$(nft -j list set inet nsnet-cni-$NET masq4 | jq '.nftables[1].set.elem|length')"
check "STATUS" cni STATUS "" "" ""
check "DEL p2" cni DEL p2 eth0 /run/netns/p2
for i in $(seq 1 16); do ip netns del p$i; done
check_eq "nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
