#!/bin/bash
# examples/cni/*.conflist: the nsnet-cni entry of each, run as a runtime
# would (config derived per SPEC section 3, dataDir moved into the sandbox,
# CNI_PATH the reference plugins' directory for a delegated IPAM): ADD,
# CHECK, DEL, with a port mapping where the capability is declared; the
# static example's addresses and the bandwidth example's qdiscs checked.
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
		CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$CNI"; }
	check "$(basename "$f"): ADD" run ADD
	res=$(cat "$TMP/out")
	check_match "$(basename "$f"): result has an address" '"address"' "$res"
	case $(basename "$f") in
	nsnet-cni-static.conflist)
		check_eq "$(basename "$f"): ip -j: static addresses" "10.90.0.10/24 fd00:90::10/64" \
			"$(ip -n $ns -j addr show eth0 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')" ;;
	nsnet-cni-bandwidth.conflist)
		check_eq "$(basename "$f"): tc -j: tbf to and from the container" "12500000 2500000" \
			"$(tc -j qdisc show dev "$(jq -r '.interfaces[1].name' <<<"$res")" root | jq -r '.[0].options.rate') $(tc -j qdisc show dev "$(jq -r '.interfaces[3].name' <<<"$res")" root | jq -r '.[0].options.rate')" ;;
	esac
	check "$(basename "$f"): CHECK" run CHECK "$res"
	check "$(basename "$f"): DEL" run DEL "$res"
	check "$(basename "$f"): DEL again" run DEL
done
check_eq "examples with nsnet-cni found" 4 "$n"
