#!/bin/bash
# Link kinds this machine's kernel lacks (tests/netns/t-prim.sh sees dummy
# refused there) are created by nsnet's generic primitive
# (nsnet_link_add_kind) in the VM's stock kernel, checked with ip -d.
. ./lib.sh
PRIM=/usr/bin/netns-prim
check "a namespace" ip netns add k
for kind in dummy ifb wireguard; do
	check "nsnet_link_add_kind: $kind" "$PRIM" kind k $kind ${kind}0
	check_eq "ip -d: ${kind}0 is a $kind link, up" "$kind UP" \
		"$(ip -n k -j -d link show ${kind}0 | jq -r '.[0] | "\(.linkinfo.info_kind) \(.flags | index("UP") | if . then "UP" else "DOWN" end)"')"
done
check_status "an unknown kind is still refused (exit 1)" 1 "$PRIM" kind k nosuchkind x0
check_match "… with the kernel's reason" 'link type|Unknown device type|not supported' "$(cat "$TMP/out")"
