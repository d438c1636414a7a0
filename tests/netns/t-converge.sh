#!/bin/bash
# `up` of a running lab converges it: the same file twice touches nothing;
# each change (a node added / removed, an address, an MTU, a cable moved to
# another bridge, routes, a sysctl, commands, NAT forwards) leaves the kernel
# state of a fresh `up` of the new file (made in a nested sandbox, compared
# normalised: see converge-lib.sh), and the unchanged nodes keep their
# namespace inode and ifindexes; a ping between two unchanged nodes loses no
# packet while other nodes come and go; a kernel refusal midway rolls back to
# the exact state before; a clash is refused (exit 2) before anything changes;
# down after all that leaves nothing. `nsnet diff` prints the plan and nothing
# (-j: []) when the lab matches.
. ./lib.sh
. ./converge-lib.sh
HERE=$PWD

# the lab, with knobs (environment) for each step's change
gen() {
	cat <<YAML
name: lv
bridges:
  br0: { addresses: [10.0.0.254/24] }
  br1: { addresses: [10.1.0.254/24] }
nodes:
  a:
    interfaces:
      eth0: { bridge: br0, addresses: [10.0.0.1/24] }
    routes: [${A_ROUTES:-"default via 10.0.0.254"}]
    sysctls: { ${A_SYSCTL:-} }
    exec: [${A_EXEC:-}]
  b:
    interfaces:
      eth0: { bridge: ${B_BR:-br0}, addresses: [${B_ADDR:-10.0.0.2/24}] }
    routes: ["default via ${B_GW:-10.0.0.254}"]
  c:
    interfaces:
      eth0: { bridge: br0, addresses: [${C_ADDR:-10.0.0.3/24}] }
      eth1: { addresses: [10.9.0.1/24, 10.9.0.5/24] }
    routes: ["default via 10.0.0.254", "10.60.0.0/16 dev eth1"]
    exec: [${C_EXEC:-"exec sleep 800"}]
  d:
    interfaces:
      eth0: { bridge: br1, addresses: [10.1.0.4/24] }
      eth1: { addresses: [10.9.0.2/24] }
    routes: [${D_ROUTES:-"default via 10.1.0.254"}]
${EXTRA:-}
links:
  - endpoints: ["c:eth1", "d:eth1"]
${CD_MTU:+    mtu: $CD_MTU}
nat:
  masquerade: [10.0.0.0/24]
  forwards: [${FWD:-"{ port: 8080, to: \"a:80\" }"}]
YAML
}
# a node on br0 (for "node added")
node_e() { printf '  %s:\n    interfaces:\n      eth0: { bridge: br0, addresses: [10.0.0.%s/24] }\n    routes: ["default via 10.0.0.254"]\n' "$1" "$2"; }

# the kernel state of a fresh `up FILE` in a sandbox of its own
fresh() {
	$NSNET sandbox -- bash -c "cd '$HERE' && . ./lib.sh && . ./converge-lib.sh && \
		$NSNET up -q '$1' && kstate"
}

# step DESC FILE UNCHANGED_NODES_REGEX: converge to FILE, compare with a fresh FILE
step() {
	local desc=$1 file=$2 keep=$3 before after plan
	before=$(idents_of "^(ino ($keep) |($keep) |host (br0|br1|lo) )")
	plan=$($NSNET diff "$file")
	check_match "$desc: diff shows a plan" . "$plan"
	check "$desc: up converges" $NSNET up "$file"
	check_match "$desc: … says so" "converged" "$(cat "$TMP/out")"
	check_same "$desc: kernel state of a fresh up" "$(fresh "$file")" "$(kstate)"
	after=$(idents_of "^(ino ($keep) |($keep) |host (br0|br1|lo) )")
	check_same "$desc: unchanged nodes ($keep) keep namespace inodes and ifindexes" \
		"$before" "$after"
	check_eq "$desc: then diff prints nothing" "" "$($NSNET diff "$file")"
}

start=$(sandbox_state)
gen > "$TMP/base.yaml"
check "up" $NSNET up -q "$TMP/base.yaml"

# ---- the same file twice -------------------------------------------------------
s0=$(kstate) i0=$(idents)
check_eq "diff of the same file prints nothing" "" "$($NSNET diff "$TMP/base.yaml")"
check_eq "diff -j of the same file prints []" "[]" "$($NSNET diff -j "$TMP/base.yaml")"
check_eq "diff -l lv -j too" "[]" "$($NSNET -j diff -l lv "$TMP/base.yaml")"
check "up of the same file" $NSNET up "$TMP/base.yaml"
check_match "… says nothing to do" "nothing to do" "$(cat "$TMP/out")"
check_same "… touches nothing (kernel state)" "$s0" "$(kstate)"
check_same "… touches nothing (namespace inodes, ifindexes)" "$i0" "$(idents)"
check_same "the lab is what a fresh up of its file gives" "$(fresh "$TMP/base.yaml")" "$s0"
for br in br0 br1; do
	check_eq "bridge $br has a MAC of its own (a port coming or going never changes it)" 3 \
		"$(cat /sys/class/net/$br/addr_assign_type)"
done
check_status "diff of a file with an error: exit 2" 2 $NSNET diff /nonexistent.yaml
check_status "diff -l of another lab: exit 2" 2 $NSNET diff -l other "$TMP/base.yaml"

# ---- one change at a time ------------------------------------------------------
EXTRA=$(node_e e 5) gen > "$TMP/f1.yaml"
check_eq "diff -j of a node added: JSON with the node" "node add e" \
	"$($NSNET diff -j "$TMP/f1.yaml" | jq -r '.[] | select(.object == "node") | "\(.object) \(.op) \(.name)"')"
macs0=$(cat /sys/class/net/br0/address /sys/class/net/br1/address)
step "a node added" "$TMP/f1.yaml" "a|b|c|d"
step "a node removed" "$TMP/base.yaml" "a|b|c|d"
check_eq "the bridges kept their MACs" "$macs0" "$(cat /sys/class/net/br0/address /sys/class/net/br1/address)"
C_ADDR=10.0.0.33/24 gen > "$TMP/f2.yaml"
step "an address changed" "$TMP/f2.yaml" "a|b|d"
CD_MTU=9000 gen > "$TMP/f3.yaml"
i3=$(idents)
step "a cable's MTU changed" "$TMP/f3.yaml" "a|b|d"
check_same "… in place: every namespace and ifindex kept" "$i3" "$(idents)"
check_eq "… both ends" "9000 9000" "$(ip -n c -j link show eth1 | jq .[0].mtu) $(ip -n d -j link show eth1 | jq .[0].mtu)"
CD_MTU=9000 B_BR=br1 B_ADDR=10.1.0.2/24 B_GW=10.1.0.254 gen > "$TMP/f4.yaml"
ino_b=$(ls -i /run/netns/b | awk '{print $1}')
step "an interface moved to another bridge" "$TMP/f4.yaml" "a|c|d"
check_eq "… its node kept its namespace" "$ino_b" "$(ls -i /run/netns/b | awk '{print $1}')"
check_eq "… its host end is a port of br1" br1 "$(ip -j link show b-eth0 | jq -r .[0].master)"
export CD_MTU=9000 B_BR=br1 B_ADDR=10.1.0.2/24 B_GW=10.1.0.254
A_ROUTES='"default via 10.0.0.254", "10.50.0.0/16 via 10.0.0.3"' D_ROUTES= gen > "$TMP/f5.yaml"
step "a route added, another removed" "$TMP/f5.yaml" "b|c"
export A_ROUTES='"default via 10.0.0.254", "10.50.0.0/16 via 10.0.0.3"' D_ROUTES=
A_SYSCTL='net.ipv4.ip_forward: 1' gen > "$TMP/f6.yaml"
i6=$(idents)
step "a sysctl added" "$TMP/f6.yaml" "a|b|c|d"
check_same "… every namespace and ifindex kept" "$i6" "$(idents)"
check_eq "… set in its node" 1 "$(ip netns exec a cat /proc/sys/net/ipv4/ip_forward)"
export A_SYSCTL='net.ipv4.ip_forward: 1'
A_EXEC='"exec sleep 700"' C_EXEC=' ' gen > "$TMP/f7.yaml"
step "a command added, another removed" "$TMP/f7.yaml" "a|b|c|d"
check_eq "… the new command runs in its node, the old one is gone" "a" \
	"$(for p in $(pgrep -f 'sleep [78]00'); do ip netns identify "$p"; done | tr '\n' ' ' | sed 's/ $//')"
A_EXEC='"exec sleep 700", "exec sleep 700"' gen > "$TMP/f7b.yaml"
step "the same command twice" "$TMP/f7b.yaml" "a|b|c|d"
step "one of two equal commands removed" "$TMP/f7.yaml" "a|b|c|d"
check_eq "… one of them runs" 1 "$(pgrep -fc 'sleep 700')"
export A_EXEC='"exec sleep 700"' C_EXEC=' '
FWD='{ port: 8081, to: "a:80" }, { port: 2222, to: "c:22" }' gen > "$TMP/f8.yaml"
i8=$(idents)
step "NAT forwards changed" "$TMP/f8.yaml" "a|b|c|d"
check_same "… every namespace and ifindex kept" "$i8" "$(idents)"
check_match "… the table forwards 8081 and 2222, not 8080" '^2222 8081 $' \
	"$(nft -j list table inet nsnet-lv | jq -r '.nftables[].rule.expr[]? | select(.match.left.payload.field == "dport") | .match.right' | sort -u | tr '\n' ' ')"
export FWD='{ port: 8081, to: "a:80" }, { port: 2222, to: "c:22" }'
gen > "$TMP/cur.yaml"

# ---- a ping between unchanged nodes while others come and go ----------------------
EXTRA="$(node_e e 5)
$(node_e f 6)" gen > "$TMP/more.yaml"
ip netns exec a ping -c 1 -W 2 10.0.0.3 > /dev/null
ip netns exec a ping -c 1 -W 2 10.0.0.254 > /dev/null
ip netns exec a ping -n -i 0.01 -c 300 -W 1 10.0.0.3 > "$TMP/ping" 2>&1 & p1=$!
ip netns exec c ping -n -i 0.01 -c 300 -W 1 10.0.0.254 > "$TMP/ping2" 2>&1 & p2=$!
sleep 0.2
churn=0
for i in 1 2 3 4; do
	$NSNET up -q "$TMP/more.yaml" && churn=$((churn + 1))
	sleep 0.2
	$NSNET up -q "$TMP/cur.yaml" && churn=$((churn + 1))
	sleep 0.2
done
wait $p1 $p2
check_eq "8 converges (2 nodes added, removed) during the pings" 8 $churn
check_match "ping a -> c: 300 sent, 300 back" "300 packets transmitted, 300 received" "$(cat "$TMP/ping")"
check_match "ping c -> host (its bridge address): 300 sent, 300 back" \
	"300 packets transmitted, 300 received" "$(cat "$TMP/ping2")"

# ---- routes that go with an address -------------------------------------------------
s=$(kstate)
C_ADDR=10.0.0.3/24 gen | sed 's|eth1: { addresses: \[10.9.0.1/24, 10.9.0.5/24\] }|eth1: { addresses: [10.9.0.5/24] }|' > "$TMP/f9.yaml"
step "the primary address of a subnet removed, the secondary kept" "$TMP/f9.yaml" "a|b"
check_match "… the route via that interface is there" "10.60.0.0/16" "$(ip -n c route)"
sed 's|eth1: { addresses: \[10.9.0.5/24\] }|eth1: { addresses: [10.9.0.6/24] }|' "$TMP/f9.yaml" > "$TMP/f10.yaml"
step "the last IPv4 address of an interface replaced" "$TMP/f10.yaml" "a|b"
check_match "… the route via that interface is there" "10.60.0.0/16" "$(ip -n c route)"
check "back" $NSNET up -q "$TMP/cur.yaml"

# ---- a kernel refusal midway: rolled back exactly -------------------------------------
s=$(kstate) i=$(idents)
EXTRA=$(node_e e 5) gen | sed 's|sysctls: { net.ipv4.ip_forward: 1 }|sysctls: { net.ipv4.ip_forward: 1, net.ipv4.ip_default_ttl: 0 }|' > "$TMP/bad.yaml"
check "a sysctl value the kernel refuses passes validate" $NSNET validate "$TMP/bad.yaml"
check_match "the converge would add a node and set the sysctl" "^\+ node e.*\+ sysctl a net.ipv4.ip_default_ttl=0" \
	"$($NSNET diff "$TMP/bad.yaml" | tr '\n' ' ')"
check_status "the converge fails: exit 1" 1 $NSNET up "$TMP/bad.yaml"
check_match "… naming the sysctl and saying rolled back" "ip_default_ttl.*|rolled back" "$(cat "$TMP/out")"
check_same "… the kernel state is as before" "$s" "$(kstate)"
check_same "… namespaces and ifindexes untouched" "$i" "$(idents)"
check_eq "… and the lab still matches its file" "" "$($NSNET diff "$TMP/cur.yaml")"
# a fault (NSNET_FAIL_AT) midway, after the new node exists
check_status "a converge with a fault at its 4th kernel operation: exit 1" 1 \
	env NSNET_FAIL_AT=4 $NSNET up "$TMP/f1.yaml"
check_same "… the kernel state is as before" "$s" "$(kstate)"

# ---- clashes: refused before anything changes -----------------------------------------
ip netns add e
check_status "a foreign namespace named like a node the converge adds: exit 2" 2 \
	$NSNET up "$TMP/f1.yaml"
check_match "… naming it" 'namespace "e" already exists' "$(cat "$TMP/out")"
check_same "… nothing changed" "$(echo "$s" | grep -v '^netns ')" "$(kstate | grep -v '^netns \|^e ')"
check "… the foreign namespace is still there" test -e /run/netns/e
ip netns del e
ip link add e-eth0 type bridge
check_status "a host link named like the veth the converge adds: exit 2" 2 $NSNET up "$TMP/f1.yaml"
check_match "… naming it" '"e-eth0": a link with that name already exists' "$(cat "$TMP/out")"
ip link del e-eth0
check_same "… nothing changed" "$s" "$(kstate)"

# ---- runtime forwards survive a converge; NAT gone from the file keeps only them ------
check "a runtime forward" $NSNET forward add -l lv 9090 b:90
sed '/^nat:/,$d' "$TMP/cur.yaml" > "$TMP/nonat.yaml"
check "a converge to a file without NAT" $NSNET up -q "$TMP/nonat.yaml"
check_eq "… the table keeps the runtime forward alone" "9090" \
	"$(nft -j list table inet nsnet-lv | jq -r '[.nftables[].rule.expr[]? | select(.match.left.payload.field == "dport") | .match.right | tostring] | unique | join(" ")')"
check_eq "… and no masquerade of the old file" "0" \
	"$(nft -j list table inet nsnet-lv | jq '[.nftables[].rule.expr[]? | select(.match.left.payload.field == "saddr" and .match.right.prefix.addr == "10.0.0.0")] | length')"
$NSNET forward del -l lv 9090 > /dev/null 2>&1

# ---- down after all that ------------------------------------------------------------
check "down" $NSNET down lv
check_same "… leaves the sandbox as before the first up" "$start" "$(sandbox_state)"
