#!/bin/bash
# nsnet-cni errors: the spec's codes for bad environment, decoding, version,
# unsupported and invalid configuration, unknown container; ADD failing
# midway (interface exists, IPAM exhausted, port taken, every fault point
# with NSNET_FAIL_AT=k) leaves nothing behind.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"
container c1; container c2
run() {	# ENV… : stdin = conf; prints the error code or ok
	local out
	out=$(conf | env "$@" CNI_PATH=/x "$CNI" 2>/dev/null) && { echo ok; return; }
	jq -r .code <<<"$out" 2>/dev/null || echo "bad-json: $out"
}
A=(CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=/run/netns/c1 CNI_IFNAME=eth0)
check_eq "unknown CNI_COMMAND: 4" 4 "$(run CNI_COMMAND=FOO)"
check_eq "missing CNI_CONTAINERID: 4" 4 "$(run CNI_COMMAND=ADD CNI_NETNS=/run/netns/c1 CNI_IFNAME=eth0)"
check_eq "CNI_CONTAINERID with '/': 4" 4 "$(run "${A[@]}" CNI_CONTAINERID=a/b)"
check_eq "CNI_CONTAINERID starting with '-': 4" 4 "$(run "${A[@]}" CNI_CONTAINERID=-x)"
check_eq "CNI_IFNAME too long: 4" 4 "$(run "${A[@]}" CNI_IFNAME=abcdefghijklmnop)"
check_eq "CNI_IFNAME with ':': 4" 4 "$(run "${A[@]}" CNI_IFNAME=eth:0)"
check_eq "ADD without CNI_NETNS: 4" 4 "$(run CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_IFNAME=eth0)"
check_eq "bad CNI_ARGS: 4" 4 "$(run "${A[@]}" CNI_ARGS='novalue;X=1')"
out=$(echo '{"cniVersion":' | env "${A[@]}" "$CNI" 2>/dev/null)
check_eq "undecodable JSON: 6" 6 "$(jq -r .code <<<"$out")"
check_match "error object has cniVersion, msg, details" '"msg"' "$out"
VER=0.2.0; check_eq "cniVersion 0.2.0: 1" 1 "$(run "${A[@]}")"; VER=1.1.0
EXTRA=',"vlan":100'; check_eq "vlan: 2 (unsupported field)" 2 "$(run "${A[@]}")"
out=$(conf | env "${A[@]}" "$CNI" 2>/dev/null)
check_match "unsupported field error names key and value" 'vlan.*100' "$(jq -r .details <<<"$out")"
EXTRA=',"mtu":"big"'; check_eq "mtu not a number: 7" 7 "$(run "${A[@]}")"
EXTRA=; R0=$RANGES
IPAM='{"type":"dhcp","dataDir":"'$DATA'"}'; check_eq "ipam type dhcp, not on CNI_PATH: 108" 108 "$(run "${A[@]}")"
IPAM='{"type":"../../usr/bin/true","dataDir":"'$DATA'"}'; check_eq "ipam type with '/': 7" 7 "$(run "${A[@]}")"; IPAM=
RANGES='[[{"subnet":"10.88.0.0/33"}]]'; check_eq "bad subnet: 7" 7 "$(run "${A[@]}")"
RANGES='[[{"subnet":"10.88.0.0/24","rangeStart":"10.99.0.1"}]]'; check_eq "rangeStart outside subnet: 7" 7 "$(run "${A[@]}")"
RANGES=$R0
NET='bad/name'; check_eq "network name with '/': 7" 7 "$(run "${A[@]}")"; NET=testnet
PM='[{"hostPort":0,"containerPort":80}]'; check_eq "hostPort 0: 7" 7 "$(run "${A[@]}")"; PM='[]'
check_eq "CNI_NETNS that does not exist: 3" 3 "$(run "${A[@]}" CNI_NETNS=/run/netns/nope)"
VER=1.0.0; check_eq "GC with cniVersion 1.0.0: 1" 1 "$(run CNI_COMMAND=GC)"
check_eq "STATUS with cniVersion 1.0.0: 1" 1 "$(run CNI_COMMAND=STATUS)"; VER=1.1.0
check_eq "CHECK without prevResult: 7" 7 "$(run "${A[@]}" CNI_COMMAND=CHECK)"
check_eq "nothing created by failed validation" "" "$(ip -o link show cni0 2>/dev/null; nft list tables)"

before=$(state)
# interface name taken in the container
ip -n c1 link add eth0 type veth peer name x0
b2=$(state)
check_eq "ADD with eth0 already in the container: 104" 104 "$(cni_code ADD c1 eth0 /run/netns/c1)"
check_eq "... and nothing left" "$b2" "$(state)"
ip -n c1 link del eth0
# IPAM exhausted: a /30 has one address besides the gateway
RANGES='[[{"subnet":"10.77.0.0/30"}]]'
check "ADD c1 takes the only address of a /30" cni ADD c1 eth0 /run/netns/c1
b2=$(state)
check_eq "ADD c2 when the range is exhausted: 102" 102 "$(cni_code ADD c2 eth0 /run/netns/c2)"
check_eq "... and nothing left (no veth: containernetworking/plugins#29)" "$b2" "$(state)"
check_eq "STATUS reports exhaustion: 50" 50 "$(cni_code STATUS "" "" "")"
check_eq "ADD c1 eth0 twice without DEL: 106" 106 "$(cni_code ADD c1 eth0 /run/netns/c1)"
check "DEL c1" cni DEL c1 eth0 /run/netns/c1
check "STATUS ready again" cni STATUS "" "" ""
RANGES=$R0
# port taken by another attachment
PM='[{"hostPort":8080,"containerPort":80}]'
check "ADD c1 with host port 8080" cni ADD c1 eth0 /run/netns/c1
b2=$(state)
check_eq "ADD c2 with the same host port: 105" 105 "$(cni_code ADD c2 eth0 /run/netns/c2)"
check_eq "... and nothing left" "$b2" "$(state)"
check "DEL c1" cni DEL c1 eth0 /run/netns/c1
PM='[]'
ip link del cni0; nft delete table inet nsnet-cni-$NET 2>/dev/null
check_eq "back to the start" "$before" "$(state)"

# every fault point of a first ADD (bridge and table created) and of a second one
PM='[{"hostPort":8080,"containerPort":80},{"hostPort":8053,"containerPort":53,"protocol":"udp"}]'
for round in first second; do
	b2=$(state); k=1; ok=0
	while [ $k -lt 60 ]; do
		if conf | CNI_COMMAND=ADD CNI_CONTAINERID=c2 CNI_NETNS=/run/netns/c2 CNI_IFNAME=eth0 \
			NSNET_FAIL_AT=$k "$CNI" >/dev/null 2>&1; then ok=1; break; fi
		s=$(state)
		if [ "$s" != "$b2" ]; then not_ok "$round ADD failing at fault point $k left something"; diff <(echo "$b2") <(echo "$s") | head; break; fi
		k=$((k + 1))
	done
	check_eq "$round ADD: every one of $((k - 1)) fault points rolls back, then ADD succeeds" 1 "$ok"
	check "$round: ping the gateway" ip netns exec c2 ping -c1 -W2 10.88.0.1
	[ $round = first ] && { check "DEL c2" cni DEL c2 eth0 /run/netns/c2; ip link del cni0; nft delete table inet nsnet-cni-$NET; }
	[ $round = first ] && { PM='[]'; check "ADD c1 (bridge and table exist)" cni ADD c1 eth0 /run/netns/c1
		PM='[{"hostPort":8080,"containerPort":80},{"hostPort":8053,"containerPort":53,"protocol":"udp"}]'; }
done
check "DEL c2" cni DEL c2 eth0 /run/netns/c2
PM='[]'; check "DEL c1" cni DEL c1 eth0 /run/netns/c1
