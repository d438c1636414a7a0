# Helpers for tests/netns/t-converge*.sh: the kernel state of the whole sandbox,
# normalised so that a lab converged to FILE2 and a fresh `up FILE2` compare
# equal (names, not ifindexes; no random MACs, IPv6 link-local addresses or
# nft handles), and the identities a converge must not change (namespace
# inodes, ifindexes). iproute2, nft and /proc are the oracle. Sourced after lib.sh.

# one tagged JSON record per command: {"k": TAG, "v": output of CMD…}
_raw() {
	local tag=$1 v; shift
	v=$("$@" 2>/dev/null)
	printf '{"k":"%s","v":%s}\n' "$tag" "${v:-null}"
}
# normalisation of the records, by the kind in their tag ("NS KIND")
_JQ='
def links: [.[] | {ifname, ifalias, mtu, group, up: ((.flags // []) | index("UP") != null),
	master, kind: .linkinfo.info_kind, hairpin: .linkinfo.info_slave_data.hairpin}]
	| sort_by(.ifname);
def addrs: [.[] | {ifname, a: ([.addr_info[] | select(.scope != "link")
	| "\(.local)/\(.prefixlen)"] | sort)}] | sort_by(.ifname);
def routes: [.[] | select((.dst // "") | test("^(fe80|ff00)") | not)
	| {dst, gateway, dev, metric, protocol, scope, prefsrc}] | sort_by(tostring);
def nft: [.nftables[] | select(has("metainfo") | not)
	| walk(if type == "object" then del(.handle) |
	       (if has("counter") then .counter = {} else . end) else . end)];
(.k | split(" ")[1]) as $t | .v as $v
| if $t == "links" then "\(.k) \($v | links | tojson)"
  elif $t == "addrs" then "\(.k) \($v | addrs | tojson)"
  elif ($t | startswith("routes")) then "\(.k) \($v | routes | tojson)"
  elif $t == "nft" then ($v | nft[] | "nft \(tojson)")
  else "\(.k) \($v | tojson)" end'

# kstate: every lab-relevant piece of kernel state, one line per item
kstate() {
	local ns pid
	{ _raw "host links" ip -j -d link show
	  _raw "host addrs" ip -j addr show
	  _raw "host routes4" ip -j -4 route show
	  _raw "host routes6" ip -j -6 route show
	  _raw "host nft" nft -j list ruleset
	  for ns in $(ls /run/netns); do
		_raw "$ns links" ip -n "$ns" -j -d link show
		_raw "$ns addrs" ip -n "$ns" -j addr show
		_raw "$ns routes4" ip -n "$ns" -j -4 route show
		_raw "$ns routes6" ip -n "$ns" -j -6 route show
	  done; } | jq -r "$_JQ"
	echo "host sysctl $(sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding | tr '\n' ' ')"
	echo "host localnet $(grep -l 1 /proc/sys/net/ipv4/conf/*/route_localnet 2>/dev/null | tr '\n' ' ')"
	echo "netns $(ls /run/netns | tr '\n' ' ')"
	for ns in $(ls /run/netns); do
		echo "$ns sysctl $(ip netns exec "$ns" cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv6/conf/all/forwarding /proc/sys/net/ipv4/ip_default_ttl 2>&1 | tr '\n' ' ')"
	done
	# node commands started by an up: wait until they have left nsnet (exec'd)
	wait_for 5 sh -c '! pgrep -x nsnet'
	for pid in $(pgrep -x sleep); do
		echo "proc $(ip netns identify "$pid") $(tr '\0' ' ' < /proc/"$pid"/cmdline)"
	done | sort
}

# idents: namespace inodes and every ifindex (host and each node), by name
idents() {
	local ns
	ls -i /run/netns | awk '{print "ino", $2, $1}' | sort
	ip -j link show | jq -r '.[] | "host \(.ifname) \(.ifindex)"' | sort
	for ns in $(ls /run/netns); do
		ip -n "$ns" -j link show | jq -r --arg ns "$ns" '.[] | "\($ns) \(.ifname) \(.ifindex)"' | sort
	done
}

# the lines of idents() for namespaces / host links in the list $1 (regex)
idents_of() { idents | grep -E "$1"; }

# sandbox-wide snapshot for "nothing left": state dirs, mounts, processes too
sandbox_state() {
	kstate
	ls /run/nsnet
	grep ' /run/netns' /proc/self/mountinfo | awk '{print $5}'
}

# check_same DESC A B: equal states, else the diff
check_same() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diff <(echo "$2") <(echo "$3") | head -${NSNET_DIFF_LINES:-20} | sed 's/^/#   /'; fi
}
