#!/bin/bash
# Link impairments through nsnet (netem, which this machine's kernel lacks):
# `nsnet link set NODE:IF delay|loss … | clear` on a running lab and
# `impair:` in a lab file, measured with ping and read back with tc -j.
# An impairment applies to both directions of the cable.
. ./lib.sh
. ./vm-lib.sh
cat > "$TMP/lab.yaml" <<'YAML'
name: imp
nodes:
  a: { interfaces: { eth0: { addresses: [10.9.0.1/24] } } }
  b: { interfaces: { eth0: { addresses: [10.9.0.2/24] } } }
links:
  - endpoints: ["a:eth0", "b:eth0"]
YAML
# netem NS : "DELAY_S LOSS_PCT" of the netem qdisc on eth0 in NS, "none" without
netem() {
	ip netns exec "$1" tc -j qdisc show dev eth0 |
	jq -r '[.[] | select(.kind == "netem")] | if length == 0 then "none" else
	       .[0].options | "\(.delay.delay // 0) \((.["loss-random"].loss // 0) * 100 | round)" end'
}
check "nsnet up: two nodes on one cable" $NSNET up "$TMP/lab.yaml"
check "static neighbours (no ARP through the lossy cable)" static_neigh a b
read -r loss base avg <<<"$(pingstat a 10.9.0.2 20 0.01)"
echo "# baseline: loss $loss%, rtt min $base avg $avg ms"
within "baseline: min rtt under 5 ms" "$base" 0 5

check "nsnet link set a:eth0 delay 50ms" $NSNET link -l imp set a:eth0 delay 50ms
check_eq "tc -j: netem delay 50ms on both ends of the cable" "0.05 0|0.05 0" "$(netem a)|$(netem b)"
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 10 0.01)"
echo "# delay 50ms: loss $loss%, rtt min $rtt avg $avg ms"
within "delay 50ms each way: min rtt ~ 100 ms (±15%)" "$rtt" 85 115

check "nsnet link set a:eth0 clear" $NSNET link -l imp set a:eth0 clear
check_eq "tc -j: no netem left on either end" "none|none" "$(netem a)|$(netem b)"
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 20 0.01)"
echo "# cleared: loss $loss%, rtt min $rtt avg $avg ms"
check_eq "cleared: no loss" 0 "$loss"
within "cleared: min rtt back under 5 ms" "$rtt" 0 5

check "nsnet link set a:eth0 loss 50%" $NSNET link -l imp set a:eth0 loss 50%
check_eq "tc -j: netem loss 50% on both ends" "0 50|0 50" "$(netem a)|$(netem b)"
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 100 0.01)"
echo "# loss 50% each way: $loss% of 100 pings lost"
# 50% each way: a round trip survives with 0.25 (75% lost); 100 pings: ±4 sigma
within "loss 50% each way: 55..95% of 100 round trips lost" "$loss" 55 95
check "nsnet link set a:eth0 clear (after loss)" $NSNET link -l imp set a:eth0 clear
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 20 0.01)"
check_eq "cleared again: no loss" 0 "$loss"
check "nsnet down" $NSNET down imp

# impair: in the lab file (refused on a kernel without netem, up here)
sed 's/endpoints: \["a:eth0", "b:eth0"\]/&\n    impair: { delay: 10ms }/' "$TMP/lab.yaml" > "$TMP/lab-impair.yaml"
check "lab file with impair: {delay: 10ms} comes up" $NSNET up "$TMP/lab-impair.yaml"
check_eq "tc -j: netem delay 10ms on both ends" "0.01 0|0.01 0" "$(netem a)|$(netem b)"
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 20 0.01)"
echo "# lab file delay 10ms: loss $loss%, rtt min $rtt avg $avg ms"
within "lab file delay 10ms each way: min rtt ~ 20 ms (±15%)" "$rtt" 17 23
check "nsnet down" $NSNET down imp
check_eq "no namespace left" "" "$(ip netns list)"
