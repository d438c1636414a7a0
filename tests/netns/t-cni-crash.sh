#!/bin/bash
# nsnet-cni crash injection: ADD SIGKILLed right before each of its kernel
# operations (NSNET_CRASH_AT=k, k = 1.. until ADD completes), then DEL (same
# environment without the variable) or GC, must leave the sandbox as before:
# host links, addresses and routes, the containers' interfaces, addresses and
# routes, the elements of the network's nft table, the IPAM store (except the
# lock and the last_reserved_ip.N cursors, which host-local also keeps and
# advances) and the attachment records. Faults (NSNET_FAIL_AT) of ADD are in
# t-cni-errors.sh.
#
# First ADD (no bridge, no table before): a crash may leave the bridge (with
# its gateway addresses) and the table (its fixed rules and the subnet sets
# net4/net6, no attachment's element) — what
# DEL leaves after any ADD, as the reference plugins do; those two are left
# out of the comparison, and removed before the next point. Second ADD
# (bridge, table and c2 with port mappings there): compared in full, with
# the table's rules.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"
T=nsnet-cni-$NET
PM='[{"hostPort":8080,"containerPort":80},{"hostPort":8053,"containerPort":53,"protocol":"udp"}]'

# the attachments' elements (net4, net6: the network's subnets, part of the table)
ELEMS='[.nftables[] | (.set // .map // empty) | select(.elem and .name != "net4" and .name != "net6") | {name, elem}]'
# snap [first]: the sandbox; "first" leaves out the bridge and the table's skeleton
snap() {
	local br=zzz n f
	[ "${1:-}" = first ] && br=cni0
	ip -j -d link show | jq -c --arg br "$br" '[.[] | select(.ifname != $br) | {ifname, ifalias, master}]'
	ip -j addr show | jq -c --arg br "$br" '[.[] | select(.ifname != $br) |
		{ifname, a: [.addr_info[] | select(.scope != "link") | "\(.local)/\(.prefixlen)"]}]'
	{ ip route show; ip -6 route show; } | grep -v "^fe80::/64\| dev $br " | sed 's/ linkdown//'
	for n in c1 c2; do
		echo "ns $n:"
		ip -n $n -j -d link show | jq -c '[.[] | {ifname, address}]'
		ip -n $n -j addr show | jq -c '[.[] | {ifname, a: [.addr_info[] | select(.scope != "link") | "\(.local)/\(.prefixlen)"]}]'
		ip -n $n route show; ip -n $n -6 route show | grep -v '^fe80::/64'
	done
	if [ -n "${1:-}" ]; then
		nft list tables | grep -v " $T\$"
	else
		nft -s -j list ruleset | jq -c 'walk(if type == "object" then del(.handle) else . end)'
	fi
	{ nft -j list table inet $T 2>/dev/null || echo '{"nftables":[]}'; } |
		jq -c "$ELEMS"
	( cd "$DATA/$NET" 2>/dev/null || exit 0
	  for f in $(ls -A | grep -v '^lock$\|^last_reserved_ip\.\|^nsnet-cni$'); do echo "$f: $(tr '\r\n' '  ' < "$f")"; done
	  for f in $(ls -A nsnet-cni 2>/dev/null); do echo "record $f: $(cat "nsnet-cni/$f")"; done )
	pgrep -c -f nsnet-cni
}
# settled WANT [first]: poll until the sandbox is WANT; $now the last snapshot
settled() {
	local i
	for i in $(seq 30); do now=$(snap ${2:-}); [ "$now" = "$1" ] && return 0; sleep 0.1; done
	return 1
}
pristine() { ip link del cni0 2>/dev/null; nft delete table inet $T 2>/dev/null; true; }

# sweep DESC MODE AFTER: crash ADD c1 at k = 1..; then AFTER (del or gc); MODE
# first (from scratch each time) or second (c2 attached). Sets $total.
sweep() {
	local desc=$1 mode=$2 after=$3 ok=0 bad=0 dirty=0 k=1 rc
	[ $mode = first ] && pristine
	before=$(snap $mode)
	while [ $k -le 100 ]; do
		NSNET_CRASH_AT=$k cni ADD c1 eth0 /run/netns/c1 > "$TMP/o" 2>&1; rc=$?
		[ $rc = 0 ] && break
		[ $rc = 137 ] || { bad=$((bad + 1)); not_ok "$desc: crash at $k: exit $rc"; cat "$TMP/o"; }
		[ "$(snap $mode)" != "$before" ] && dirty=$((dirty + 1))
		if [ $after = del ]; then
			cni DEL c1 eth0 /run/netns/c1 > "$TMP/a" 2>&1
		else
			EXTRA=",\"cni.dev/valid-attachments\":$VALID" cni GC "" "" "" > "$TMP/a" 2>&1
		fi || { bad=$((bad + 1)); not_ok "$desc: $after after crash at $k failed"; cat "$TMP/a"; }
		if settled "$before" $mode; then ok=$((ok + 1))
		else bad=$((bad + 1)); not_ok "$desc: crash at op $k, then $after: sandbox differs"
			diff <(echo "$before") <(echo "$now") | head -20; cni DEL c1 eth0 /run/netns/c1 >/dev/null 2>&1; fi
		[ $mode = first ] && pristine
		[ $bad -ge 5 ] && { not_ok "$desc: giving up"; break; }
		k=$((k + 1))
	done
	total=$((k - 1)); POINTS=$((POINTS + total))
	check "$desc: ADD completes after $total crash points" test $rc = 0
	check_eq "$desc: crash at each of $total ops, then $after: as before" "$total 0" "$ok $bad"
	echo "# $desc: $dirty of the $total crashes left something for $after"
	check "… and DEL of the completed ADD" cni DEL c1 eth0 /run/netns/c1
	check "… leaves it as before too" settled "$before" $mode
}
POINTS=0
container c1; container c2

VALID='[]'
sweep "first ADD" first del
sweep "first ADD" first gc
PM='[{"hostPort":9080,"containerPort":80}]' check "ADD c2 (bridge, table, a port mapping)" cni ADD c2 eth0 /run/netns/c2
sweep "second ADD" second del
VALID='[{"containerID":"c2","ifname":"eth0"}]'
sweep "second ADD, GC keeping c2" second gc
check "c2 still reaches the gateway" ip netns exec c2 ping -c1 -W2 10.88.0.1
VALID='[]'
NSNET_CRASH_AT=12 cni ADD c1 eth0 /run/netns/c1 > /dev/null 2>&1
EXTRA=',"cni.dev/valid-attachments":[]' check "… GC with an empty valid-attachments list" cni GC "" "" ""
check_eq "… leaves no attachment: no veth, record, reservation or element" "|||[]" \
	"$(ip -o link show | grep -o 'veth[0-9a-f]*' | tr '\n' ' ')|$(ls -A "$DATA/$NET/nsnet-cni")|$(ls -A "$DATA/$NET" | grep -c '^10\.\|^fd00' | sed 's/^0$//')|$(nft -j list table inet $T | jq -c "$ELEMS")"
check_fail "… c2 lost its interface" ip -n c2 link show eth0
echo "# crash points swept: $POINTS"
