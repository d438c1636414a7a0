#!/bin/bash
# Bad lab files and clashes: exit 2, the location in the message, and the
# system exactly as before (links, namespaces, nft tables, mounts, state).
. ./lib.sh

snap() {
	{ ip -j -d link show | jq -c '[.[] | {ifname, ifalias, master}]'
	  ip -j addr show | jq -c '[.[] | .addr_info[] | .local]'
	  ls -A /run/netns /run/nsnet
	  nft -j list ruleset
	  grep -c ' /run/netns/' /proc/self/mountinfo
	  sysctl -n net.ipv4.ip_forward; } 2>&1
}

ip link add keep0 type bridge   # something of the user's that must survive
before=$(snap)
for f in "$ROOT"/tests/labs/bad/*.yaml; do
	b=$(basename "$f")
	want=$(sed -n '1s/^# expect: //p' "$f")
	"$NSNET" up "$f" > "$TMP/o" 2>&1; rc=$?
	out=$(cat "$TMP/o")
	if [ "$rc" = 2 ] && printf '%s' "$out" | grep -Eq -- "$b:[0-9]+:[0-9]+: " &&
	   { [ -z "$want" ] || printf '%s' "$out" | grep -Eq -- "$want" 2>/dev/null ||
	     printf '%s' "$out" | grep -Fq -- "$want"; }; then
		ok "up $b: exit 2 with file:line:col"
	else
		not_ok "up $b: exit $rc"; echo "#   want: $want"; echo "#   got:  $out"
	fi
	check_status "validate $b: exit 2" 2 "$NSNET" validate "$f"
done
check_eq "the system is unchanged after every bad file" "$before" "$(snap)"

# clashes with objects the lab does not own
ip netns add blue
before=$(snap)
check_status "up with an existing namespace 'blue': exit 2" 2 $NSNET up
check_match "… names the node and its location" '<builtin>:[0-9]+:[0-9]+: node "blue": namespace "blue" already exists' "$(cat $TMP/out)"
check_eq "… nothing changed" "$before" "$(snap)"
check_status "validate says the same" 2 $NSNET validate
ip netns del blue

ip link add red-eth0 type bridge
before=$(snap)
check_status "up with an existing link 'red-eth0': exit 2" 2 $NSNET up
check_match "… names the interface" 'veth "red-eth0": a link with that name already exists' "$(cat $TMP/out)"
check_eq "… nothing changed" "$before" "$(snap)"
ip link del red-eth0

nft add table inet nsnet-seed
before=$(snap)
check_status "up with an existing nft table inet nsnet-seed: exit 2" 2 $NSNET up
check_match "… says so" 'table "inet nsnet-seed" already exists' "$(cat $TMP/out)"
check_eq "… nothing changed" "$before" "$(snap)"
nft delete table inet nsnet-seed

check_status "a missing file: exit 2" 2 $NSNET up /nonexistent.yaml
check_status "bad --topo: exit 2" 2 $NSNET up --topo star,0
check_status "unknown --topo kind: exit 2" 2 $NSNET up --topo ring,4
check_eq "keep0 survived" keep0 "$(ip -j link show keep0 | jq -r '.[0].ifname')"
