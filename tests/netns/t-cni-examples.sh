#!/bin/bash
# examples/cni/*.conflist: the nsnet-cni entry of each, run as a runtime
# would (config derived per SPEC section 3, dataDir moved into the sandbox):
# ADD, CHECK, DEL, with a port mapping where the capability is declared.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"
n=0
for f in "$ROOT"/examples/cni/*.conflist; do
	jq -e '.plugins[0].type == "nsnet-cni"' "$f" >/dev/null || continue
	n=$((n + 1)); ns=ex$n; container $ns
	derive() {	# the request configuration of plugin 0 (+ prevResult)
		jq -c --arg d "$DATA" --argjson prev "${1:-null}" '
			. as $l | .plugins[0]
			| .cniVersion = $l.cniVersion | .name = $l.name
			| .ipam.dataDir = $d
			| (if .capabilities.portMappings then .runtimeConfig.portMappings =
				[{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}] else . end)
			| del(.capabilities)
			| (if $prev then .prevResult = $prev else . end)' "$f"
	}
	run() { derive "${2:-}" | CNI_COMMAND=$1 CNI_CONTAINERID=$ns CNI_NETNS=/run/netns/$ns \
		CNI_IFNAME=eth0 CNI_PATH=/x "$CNI"; }
	check "$(basename "$f"): ADD" run ADD
	res=$(cat "$TMP/out")
	check_match "$(basename "$f"): result has an address" '"address"' "$res"
	check "$(basename "$f"): CHECK" run CHECK "$res"
	check "$(basename "$f"): DEL" run DEL "$res"
	check "$(basename "$f"): DEL again" run DEL
done
check_eq "examples with nsnet-cni found" 2 "$n"
