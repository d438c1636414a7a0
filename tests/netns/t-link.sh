#!/bin/bash
# nsnet link show|set and impair: in lab files, with iproute2 (ip -j, tc -j),
# ping and iperf3 as the oracle. This kernel may lack sch_netem: then every
# delay/jitter/loss/duplicate/corrupt must be refused before anything changes.
. ./lib.sh

command -v iperf3 > /dev/null || { not_ok "iperf3 is not installed (make deps)"; exit 1; }
# does this kernel have netem? (tried in a scratch namespace)
have_netem=1
unshare --net sh -c 'tc qdisc add dev lo root netem delay 1ms' 2>&1 | grep -q unknown && have_netem=0

cat > "$TMP/lk.yaml" <<'YAML'
name: lk
bridges:
  br0: { addresses: [10.0.0.254/24] }
nodes:
  a:
    interfaces:
      eth0: { bridge: br0, addresses: [10.0.0.1/24] }
      eth1: { addresses: [10.1.0.1/24] }
  b:
    interfaces:
      eth0: { bridge: br0, addresses: [10.0.0.2/24] }
      eth1: { addresses: [10.1.0.2/24] }
links:
  - endpoints: ["a:eth1", "b:eth1"]
YAML

# the root qdiscs of both ends of a:eth0 (kind and rate in bytes/s), e.g. "tbf 1250000 tbf 1250000"
qd() { echo "$(ip netns exec a tc -j qdisc show dev eth0 | jq -r '.[0] | "\(.kind) \(.options.rate // "-")"')" \
	"$(tc -j qdisc show dev a-eth0 | jq -r '.[0] | "\(.kind) \(.options.rate // "-")"')"; }
# everything tc says about the lab's qdiscs, without counters
qstate() { { tc -j qdisc show; ip netns exec a tc -j qdisc show; ip netns exec b tc -j qdisc show; } |
	jq -c '[.[] | {dev, kind, handle, options}]'; }
# iperf3 from a to ADDR in b for 4 s (the first one left out): Mbit/s received
iperf() {
	ip netns exec b iperf3 -s -1 -B "$1" > "$TMP/iperf-s.log" 2>&1 & local srv=$!
	wait_for 5 sh -c "ip netns exec b ss -ltn | grep -q '$1:5201'"
	ip netns exec a timeout 30 iperf3 -c "$1" -t 5 -O 1 -J > "$TMP/iperf.json" 2>&1
	wait $srv
	jq -r '.end.sum_received.bits_per_second / 1000000 | . * 10 | floor / 10' "$TMP/iperf.json" 2>/dev/null || echo 0
}
# within PCT percent of WANT
near() { awk -v g="$1" -v w="$2" -v p="$3" 'BEGIN { exit !(g >= w * (1 - p / 100) && g <= w * (1 + p / 100)) }'; }
# iperf ADDR, up to 3 runs until one is within 10% of WANT Mbit/s (a loaded machine's
# scheduler can starve one 5 s run; a shaper that is wrong is wrong every time)
iperf_near() { local i mb; for i in 1 2 3; do mb=$(iperf "$1"); near "$mb" "$2" 10 && break; done; echo "$mb"; }
idx() { echo "$(ip -n a -j link show eth0 | jq -r '.[0].ifindex') $(ip -j link show a-eth0 | jq -r '.[0].ifindex')"; }

check "up" $NSNET up -q "$TMP/lk.yaml"
before_idx=$(idx)
check "link show" $NSNET link show
check_match "… lists a:eth0 to host:a-eth0, up, no impairment" 'a:eth0 +host:a-eth0 +up +none' "$(cat $TMP/out)"
check_eq "link show -j: 4 cables, a:eth1's peer is b:eth1" "4 b:eth1" \
	"$($NSNET link show -j | jq -r 'length, (.[] | select(.link=="a:eth1") | .peer)' | xargs)"

# --- up / down at both ends ---
check "link set a:eth0 down" $NSNET link set a:eth0 down
check_eq "both ends are down (ip -j)" "false false" \
	"$(ip -n a -j link show eth0 | jq '.[0].flags | index("UP") != null') $(ip -j link show a-eth0 | jq '.[0].flags | index("UP") != null')"
check_fail "a no longer reaches b" ip netns exec a ping -c1 -W1 10.0.0.2
check_eq "link show -j: down, set at run time" "down true" \
	"$($NSNET link show -j | jq -r '.[] | select(.link=="a:eth0") | "\(.state) \(.runtime_down)"')"
check_eq "status: health ok, a:eth0 down on purpose" "ok true" \
	"$($NSNET status -j | jq -r '.health, (.nodes[] | select(.name=="a") | .interfaces[] | select(.name=="eth0") | .set_down)' | xargs)"
check_match "recorded in the lab's state" '^a:eth0 down$' "$(cat /run/nsnet/lk/cables)"
check "link set a:eth0 up" $NSNET link set a:eth0 up
check_eq "both ends are up again" "true true" \
	"$(ip -n a -j link show eth0 | jq '.[0].flags | index("UP") != null') $(ip -j link show a-eth0 | jq '.[0].flags | index("UP") != null')"
check "a reaches b again" wait_for 10 ip netns exec a ping -c1 -W1 10.0.0.2
check_eq "ifindexes unchanged (same links)" "$before_idx" "$(idx)"
check "nothing recorded once it is as the file says" test ! -e /run/nsnet/lk/cables
check "link set b:eth1 down (a node-to-node cable, named by its other end)" $NSNET link set b:eth1 down
check_eq "both nodes' ends are down" "DOWN DOWN" \
	"$(ip -n a -j link show eth1 | jq -r '.[0].operstate') $(ip -n b -j link show eth1 | jq -r '.[0].operstate')"
check_fail "a no longer reaches b over it" ip netns exec a ping -c1 -W1 10.1.0.2
check "… and up" $NSNET link set a:eth1 up
check "a reaches b over it again" wait_for 10 ip netns exec a ping -c1 -W1 10.1.0.2

# --- rate (tbf at both ends) ---
check "link set a:eth0 rate 10mbit" $NSNET link set a:eth0 rate 10mbit
check_eq "tc: tbf at 10mbit (1250000 bytes/s) on both ends" "tbf 1250000 tbf 1250000" "$(qd)"
check_eq "ifindexes unchanged" "$before_idx" "$(idx)"
check "ping still passes" ip netns exec a ping -c1 -W2 10.0.0.2
mb=$(iperf_near 10.0.0.2 10)
check "iperf3 a -> b at rate 10mbit: $mb Mbit/s (10 ± 10%)" near "$mb" 10 10
check "link set a:eth0 rate 50mbit (replaces it)" $NSNET link set a:eth0 rate 50mbit
check_eq "tc: tbf at 50mbit on both ends" "tbf 6250000 tbf 6250000" "$(qd)"
mb=$(iperf_near 10.0.0.2 50)
check "iperf3 a -> b at rate 50mbit: $mb Mbit/s (50 ± 10%)" near "$mb" 50 10
check_eq "link show -j reads the impairment back from both ends" "rate 50mbit|rate 50mbit|true" \
	"$($NSNET link show -j | jq -r '.[] | select(.link=="a:eth0") | "\(.ends[0].impair.text)|\(.ends[1].impair.text)|\(.runtime_impair)"')"
check_match "status shows it" 'eth0 .*\[rate 50mbit, set\]' "$($NSNET status)"
check_match "recorded in the lab's state" '^a:eth0 impair rate 50mbit$' "$(cat /run/nsnet/lk/cables)"
check "link set a:eth0 clear" $NSNET link set a:eth0 clear
check_eq "tc: the default qdisc again on both ends" "noqueue - noqueue -" "$(qd)"
mb=$(iperf 10.0.0.2)
check "iperf3 without the limit is much faster: $mb Mbit/s (> 150)" awk -v g="$mb" 'BEGIN { exit !(g > 150) }'
check "link set a:eth0 clear again: fine" $NSNET link set a:eth0 clear

# --- netem: refused before anything changes when the kernel lacks it ---
$NSNET link set a:eth0 rate 20mbit
before=$(qstate)
if [ $have_netem = 0 ]; then
	for w in "delay 20ms" "loss 1%" "duplicate 1%" "corrupt 0.1%" "rate 10mbit delay 5ms jitter 1ms"; do
		check_status "link set a:eth0 $w: exit 1 (no sch_netem here)" 1 $NSNET link set a:eth0 $w
		check_match "… the message names the missing module" \
			'^nsnet: link a:eth0: delay/jitter/loss/duplicate/corrupt need the kernel.s netem qdisc \(module sch_netem\)' \
			"$(cat $TMP/out)"
	done
	check_eq "… and tc shows no change" "$before" "$(qstate)"
else
	check "link set a:eth0 delay 20ms (this kernel has netem)" $NSNET link set a:eth0 delay 20ms loss 1%
	check_eq "tc: netem on both ends" "netem netem" \
		"$(ip netns exec a tc -j qdisc show dev eth0 | jq -r '.[0].kind') $(tc -j qdisc show dev a-eth0 | jq -r '.[0].kind')"
	$NSNET link set a:eth0 rate 20mbit
	before=$(qstate)
fi

# --- bad input: exit 2, clear message, nothing changed ---
check_status "rate 10furlongs: exit 2" 2 $NSNET link set a:eth0 rate 10furlongs
check_match "… names the unit" 'link a:eth0: rate: "10furlongs": unknown unit' "$(cat $TMP/out)"
check_status "delay without a unit: exit 2" 2 $NSNET link set a:eth0 delay 20
check_status "jitter without delay: exit 2" 2 $NSNET link set a:eth0 jitter 5ms
check_status "loss 150%: exit 2" 2 $NSNET link set a:eth0 loss 150%
check_status "a setting without its value: exit 2" 2 $NSNET link set a:eth0 rate 10mbit limit
check_status "unknown node: exit 2" 2 $NSNET link set z:eth0 down
check_match "… names it" 'no node "z"' "$(cat $TMP/out)"
check_status "unknown interface: exit 2" 2 $NSNET link set a:eth9 rate 1mbit
check_match "… names the interfaces there are" 'node "a" has no interface "eth9" \(it has: eth0, eth1\)' "$(cat $TMP/out)"
check_status "not NODE:IF: exit 2" 2 $NSNET link set a down
check_status "unknown lab: exit 2" 2 $NSNET link -l nope set a:eth0 down
check_match "… says it is not up" 'lab "nope" is not up' "$(cat $TMP/out)"
check_status "unknown subcommand: exit 2" 2 $NSNET link frob
check_status "set without a setting: exit 2" 2 $NSNET link set a:eth0
check_eq "tc: nothing changed by any of them" "$before" "$(qstate)"
check_eq "and both ends are still up" "UP UP" "$(ip -n a -j link show eth0 | jq -r '.[0].operstate') $(ip -j link show a-eth0 | jq -r '.[0].operstate')"
check "down" $NSNET down
check_eq "nothing left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"

# --- impair: in lab files ---
sed 's/      eth0: { bridge: br0, addresses: \[10.0.0.1\/24\] }/      eth0: { bridge: br0, addresses: [10.0.0.1\/24], impair: { delay: 10ms } }/' \
	"$TMP/lk.yaml" > "$TMP/netem.yaml"
if [ $have_netem = 0 ]; then
	check_status "up with impair: { delay: 10ms }: exit 1 (no sch_netem here)" 1 $NSNET up "$TMP/netem.yaml"
	check_match "… with file:line:col and the missing module" \
		"netem.yaml:7:54: nodes.a.interfaces.eth0.impair: delay/jitter/loss/duplicate/corrupt need the kernel.s netem qdisc \(module sch_netem\)" \
		"$(cat $TMP/out)"
	check_eq "… and nothing was created" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"
	check_status "validate says the same: exit 2" 2 $NSNET validate "$TMP/netem.yaml"
fi
cat > "$TMP/bad.yaml" <<'YAML'
name: bad
bridges: { br0: {} }
nodes:
  a: { interfaces: { eth0: { bridge: br0, impair: { rate: 20mbit, jitter: 5ms } } } }
YAML
check_status "a lab file with jitter but no delay: exit 2" 2 $NSNET up "$TMP/bad.yaml"
check_match "… at file:line:col" 'bad.yaml:4:43: nodes.a.interfaces.eth0.impair.jitter: needs delay' "$(cat $TMP/out)"
sed -i 's/rate: 20mbit, jitter: 5ms/rate: 1zbit/' "$TMP/bad.yaml"
check_status "a lab file with a bad unit: exit 2" 2 $NSNET up "$TMP/bad.yaml"
check_match "… at file:line:col" 'bad.yaml:4:59: nodes.a.interfaces.eth0.impair.rate: "1zbit": unknown unit' "$(cat $TMP/out)"
check_eq "… nothing created" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"

sed -e 's/      eth0: { bridge: br0, addresses: \[10.0.0.1\/24\] }/      eth0: { bridge: br0, addresses: [10.0.0.1\/24], impair: { rate: 20mbit } }/' \
	-e 's/  - endpoints: \["a:eth1", "b:eth1"\]/  - endpoints: ["a:eth1", "b:eth1"]\n    impair: { rate: 5mbit, limit: 20 }/' \
	"$TMP/lk.yaml" > "$TMP/rate.yaml"
check "up with impair: { rate: 20mbit } and a links: entry at 5mbit" $NSNET up -q "$TMP/rate.yaml"
check_eq "tc: tbf 20mbit at both ends of a:eth0" "tbf 2500000 tbf 2500000" "$(qd)"
check_eq "tc: tbf 5mbit, limit 20 frames, at both ends of a:eth1 -- b:eth1" "tbf 625000 30280 tbf 625000 30280" \
	"$(for n in a b; do ip netns exec $n tc -raw -j qdisc show dev eth1 | jq -r '.[0] | "\(.kind) \(.options.rate) \(.options.limit // "?")"'; done | xargs)"
check_eq "b's eth0 has none" noqueue "$(ip netns exec b tc -j qdisc show dev eth0 | jq -r '.[0].kind')"
mb=$(iperf_near 10.1.0.2 5)
check "iperf3 a -> b over the 5mbit cable: $mb Mbit/s (5 ± 10%)" near "$mb" 5 10
check_eq "link show: the file's setting, not a runtime one" "rate 20mbit false" \
	"$($NSNET link show -j | jq -r '.[] | select(.link=="a:eth0") | "\(.impair) \(.runtime_impair)"')"
check "link set a:eth0 rate 30mbit" $NSNET link set a:eth0 rate 30mbit
check_match "recorded as differing from the file" '^a:eth0 impair rate 30mbit$' "$(cat /run/nsnet/lk/cables)"
check "link set a:eth0 rate 20mbit (the file's again)" $NSNET link set a:eth0 rate 20mbit
check "… no longer recorded" test ! -e /run/nsnet/lk/cables
check "down" $NSNET down
check_eq "nothing left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"

# --- examples/impair.yaml ---
check "up examples/impair.yaml" $NSNET up -q "$ROOT/examples/impair.yaml"
check_eq "tc: 10mbit on both ends of client:eth0, 100mbit on both ends of the cable" \
	"tbf 1250000 tbf 1250000 tbf 12500000 tbf 12500000" \
	"$(ip netns exec client tc -j qdisc show dev eth0 | jq -r '.[0] | "\(.kind) \(.options.rate)"') $(tc -j qdisc show dev client-eth0 | jq -r '.[0] | "\(.kind) \(.options.rate)"') $(for n in client server; do ip netns exec $n tc -j qdisc show dev eth1 | jq -r '.[0] | "\(.kind) \(.options.rate)"'; done | xargs)"
check "pingall" $NSNET pingall
check "down" $NSNET down

# --- a converge that changes only impairments replaces the qdiscs, nothing else ---
qd() { echo "$(ip netns exec a tc -j qdisc show dev eth0 | jq -r '[.[] | select(.root)][0] | "\(.kind) \(.options.rate)"') $(tc -j qdisc show dev a-eth0 | jq -r '[.[] | select(.root)][0] | "\(.kind) \(.options.rate)"')"; }
mkimp() { cat > "$TMP/cv.yaml" <<Y
name: cv
bridges:
  br0: { addresses: [10.77.0.254/24] }
nodes:
  a: { interfaces: { eth0: { bridge: br0, addresses: [10.77.0.1/24] $1 } } }
  b: { interfaces: { eth0: { bridge: br0, addresses: [10.77.0.2/24] } } }
Y
}
mkimp ", impair: { rate: 20mbit }"
check "up a lab with a:eth0 at 20mbit" $NSNET up -q "$TMP/cv.yaml"
idx=$(ip netns exec a ip -j link show eth0 | jq '.[0].ifindex') hidx=$(ip -j link show a-eth0 | jq '.[0].ifindex')
mkimp ", impair: { rate: 10mbit }"
check_eq "diff: one op, the impairment" "~ impair a:eth0 -- br0/a-eth0 (rate 10mbit)" "$($NSNET diff "$TMP/cv.yaml")"
check "converge to 10mbit" $NSNET up -q "$TMP/cv.yaml"
check_eq "… tbf 10mbit at both ends" "tbf 1250000 tbf 1250000" "$(qd)"
check_eq "… same ifindexes" "$idx $hidx" "$(ip netns exec a ip -j link show eth0 | jq '.[0].ifindex') $(ip -j link show a-eth0 | jq '.[0].ifindex')"
check "link set a:eth0 rate 1mbit at run time" $NSNET link set a:eth0 rate 1mbit
check "same file again: nothing to do, the run-time setting stays" $NSNET up -q "$TMP/cv.yaml"
check_eq "… tbf 1mbit still" "tbf 125000 tbf 125000" "$(qd)"
mkimp ""
check "converge to no impairment: the file wins" $NSNET up -q "$TMP/cv.yaml"
check_eq "… no root qdisc of ours at either end" "noqueue null noqueue null" "$(qd)"
check "… and the run-time record is gone" test ! -e /run/nsnet/cv/cables
mkimp ", impair: { delay: 10ms }"
check_status "converge to a delay on this kernel: refused (exit 1)" 1 $NSNET up "$TMP/cv.yaml"
check_match "… naming sch_netem and the file location" 'cv.yaml:5:[0-9]+: nodes.a.interfaces.eth0.impair: .*sch_netem' "$(cat $TMP/out)"
check_eq "… nothing changed" "noqueue null noqueue null" "$(qd)"
check "down" $NSNET down cv
