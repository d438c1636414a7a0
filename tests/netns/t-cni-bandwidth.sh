#!/bin/bash
# nsnet-cni bandwidth limits (runtimeConfig.bandwidth, capability
# "bandwidth", and the same keys at the top of the plugin configuration, as
# the reference bandwidth plugin reads them: bits/s and bits):
#  - tc -j shows tbf on the host veth (to the container), an ingress qdisc
#    with a u32 filter redirecting to an IFB, tbf on the IFB (from it);
#  - iperf3 between the container and the host measures each direction within
#    10% of its setting (in frames on the wire: tbf counts frames, iperf3
#    payload; see within() in cni-lib.sh), and an unlimited container well
#    above it;
#  - CHECK, DEL (no IFB, no qdisc left), every fault point and crash point of
#    an ADD with limits leaves nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"
command -v iperf3 >/dev/null || { not_ok "no iperf3 (package iperf3: run scripts/install-deps.sh)"; exit 1; }
IN=40000000 EG=16000000		# bits/s: to the container, from it
BW="{\"ingressRate\":$IN,\"ingressBurst\":800000,\"egressRate\":$EG,\"egressBurst\":400000}"
EXTRA=",\"capabilities\":{\"bandwidth\":true}"
container c1; container c2
links_etc() { grep -v '^cni0$\|^table\|^	\|^}'; }
before=$(state)
RC="\"bandwidth\":$BW"
add() {	# CID [extra conf]: ADD with runtimeConfig.bandwidth
	local cid=$1
	conf | jq -c --argjson bw "$BW" '.runtimeConfig.bandwidth = $bw' > "$TMP/conf.$cid"
	CNI_COMMAND=ADD CNI_CONTAINERID=$cid CNI_IFNAME=eth0 CNI_NETNS=/run/netns/$cid CNI_PATH=/nonexistent \
		"$CNI" < "$TMP/conf.$cid"
}
run_cni() {	# CMD CID [prevResult]: with the same configuration as its ADD
	local f=$TMP/conf.$2
	[ -n "${3:-}" ] && { jq -c --argjson p "$3" '.prevResult = $p' "$f" > "$f.p"; f=$f.p; }
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_IFNAME=eth0 CNI_NETNS=/run/netns/$2 CNI_PATH=/nonexistent "$CNI" < "$f"
}
check "ADD c1 with runtimeConfig.bandwidth (in $IN, out $EG bit/s)" add c1
r1=$(cat "$TMP/out")
hv=$(jq -r '.interfaces[1].name' <<<"$r1")
ifb=$(jq -r '.interfaces[3].name' <<<"$r1")
a1=$(jq -r '.ips[0].address' <<<"$r1" | cut -d/ -f1)
check_match "result lists the IFB (as the bandwidth plugin does)" '^ifb[0-9a-f]{12}$' "$ifb"
check_eq "tc -j: tbf on the host veth, $((IN / 8)) bytes/s, burst 100000 bytes" "tbf $((IN / 8)) 100000" \
	"$(tc -j qdisc show dev "$hv" root | jq -r '.[0]|"\(.kind) \(.options.rate) \(.options.burst)"')"
check_eq "tc -j: ingress qdisc on the host veth" "ingress" \
	"$(tc -j qdisc show dev "$hv" ingress | jq -r '.[0].kind')"
check_eq "tc -j: u32 filter, all protocols, mirred egress redirect to the IFB, stolen" "u32 all mirred egress redirect $ifb stolen" \
	"$(tc -j filter show dev "$hv" ingress | jq -r '.[]|select(.options.actions)|.options.actions[0] as $a|"\(.kind) \(.protocol) \($a.kind) \($a.direction) \($a.mirred_action) \($a.to_dev) \($a.control_action.type)"')"
check_eq "ip -j: the IFB is up, marked as this attachment's" "ifb UP nsnet-cni $NET c1 eth0" \
	"$(ip -j -d link show "$ifb" | jq -r '.[0]|"\(.linkinfo.info_kind) \(.operstate) \(.ifalias)"' | sed 's/UNKNOWN/UP/')"
check_eq "tc -j: tbf on the IFB, $((EG / 8)) bytes/s, burst 50000 bytes" "tbf $((EG / 8)) 50000" \
	"$(tc -j qdisc show dev "$ifb" root | jq -r '.[0]|"\(.kind) \(.options.rate) \(.options.burst)"')"
check "CHECK c1" run_cni CHECK c1 "$r1"
tc qdisc del dev "$ifb" root
check_fail "CHECK c1 with the IFB's tbf gone: fails" run_cni CHECK c1 "$r1"
tc qdisc add dev "$ifb" root tbf rate $((EG / 8))bps burst 50000b latency 25ms

# the same keys at the top of the plugin configuration (they win over runtimeConfig)
conf | jq -c '. + {ingressRate: 8000000, ingressBurst: 80000} | .runtimeConfig.bandwidth = {egressRate: 1000000, egressBurst: 80000}' > "$TMP/conf.c2"
check "ADD c2 with ingressRate/ingressBurst in the plugin configuration" run_cni ADD c2
hv2=$(jq -r '.interfaces[1].name' "$TMP/out")
check_eq "tc -j: c2: tbf of 1000000 bytes/s on its veth, no ingress qdisc, no IFB" "tbf 1000000||0" \
	"$(tc -j qdisc show dev "$hv2" root | jq -r '.[0]|"\(.kind) \(.options.rate)"')|$(tc -j qdisc show dev "$hv2" ingress | jq -r '.[]?|.kind')|$(jq '.interfaces|length - 3' "$TMP/out")"

# iperf3: the host (10.88.0.1) serves, the container is the client
iperf() { local ns=$1; shift; iperf_bw 10.88.0.1 "ip netns exec $ns" "$@"; }
within "iperf3 c1 -> host (egress limit)" $EG "$(iperf c1)"
within "iperf3 host -> c1 (ingress limit, -R)" $IN "$(iperf c1 -R)"
within "iperf3 host -> c2 (its 8 Mbit/s from the plugin configuration)" 8000000 "$(iperf c2 -R)"
got=$(iperf c2)
echo "# iperf3 c2 -> host, unlimited: $got bit/s"
check "c2 -> host is not limited (above 4x its ingress setting)" awk -v g="$got" 'BEGIN { exit !(g > 32000000) }'

check "DEL c1" run_cni DEL c1
check_fail "the IFB is gone" ip link show "$ifb"
check_fail "the host veth is gone" ip link show "$hv"
check "DEL c1 again" run_cni DEL c1
check "DEL c2" run_cni DEL c2
check_eq "nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
check_eq "no ifb, no qdisc but the defaults" "" \
	"$(ip -o link show type ifb; tc -j qdisc show | jq -r '.[]|select(.kind != "noqueue" and .kind != "noop")|"\(.dev) \(.kind)"')"

# every fault point and crash point of an ADD with limits
for mode in FAIL CRASH; do
	k=1 okc=0 bad=0
	while [ $k -le 80 ]; do
		env NSNET_${mode}_AT=$k bash -c "$(declare -f add conf); $(declare -p BW CNI NET DATA VER MASQ PM EXTRA RANGES TMP); add c1" > "$TMP/o" 2>&1 && break
		[ $mode = CRASH ] && run_cni DEL c1 > /dev/null 2>&1
		if [ "$(state | links_etc)" = "$(printf '%s\n' "$before" | links_etc)" ] && [ -z "$(ip -o link show type ifb)" ]; then
			okc=$((okc + 1))
		else
			bad=$((bad + 1)); not_ok "NSNET_${mode}_AT=$k: something left"; ip -o link show type ifb
			run_cni DEL c1 > /dev/null 2>&1
		fi
		k=$((k + 1))
	done
	check_eq "NSNET_${mode}_AT=1..$((k - 1)) of an ADD with limits$([ $mode = CRASH ] && echo ', then DEL'): nothing left; then ADD completes" \
		"$((k - 1)) 0 ok" "$okc $bad $(jq -e '.interfaces[3]' "$TMP/o" >/dev/null 2>&1 && echo ok)"
	check "… DEL" run_cni DEL c1
done
check_eq "nothing left at the end" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
