#!/bin/bash
# The VM itself: netem from iproute2's tc on a veth pair made here, measured
# with ping. Proves the kernel, the modules and the oracle behave before the
# nsnet tests rely on them.
. ./lib.sh
. ./vm-lib.sh
check "two namespaces on a veth cable" pair a b
read -r loss base avg <<<"$(pingstat a 10.9.0.2 20 0.01)"
echo "# baseline: loss $loss%, rtt min $base avg $avg ms"
check_eq "baseline: no loss" 0 "$loss"
within "baseline: min rtt under 5 ms" "$base" 0 5
check "tc qdisc add netem delay 50ms on a's side" ip netns exec a tc qdisc add dev eth0 root netem delay 50ms
check_eq "tc -j qdisc shows netem with 50 ms delay" "netem 0.05" \
	"$(ip netns exec a tc -j qdisc show dev eth0 | jq -r '.[] | select(.kind=="netem") | "\(.kind) \(.options.delay.delay)"')"
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 10 0.01)"
echo "# delay 50ms one way: loss $loss%, rtt min $rtt avg $avg ms"
within "one direction delayed: min rtt ~ 50 ms (±15%)" "$rtt" 42.5 57.5
check "tc qdisc add netem delay 50ms on b's side too" ip netns exec b tc qdisc add dev eth0 root netem delay 50ms
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 10 0.01)"
echo "# delay 50ms both ways: loss $loss%, rtt min $rtt avg $avg ms"
within "both directions delayed: min rtt ~ 100 ms (±15%)" "$rtt" 85 115
check "tc qdisc change: a loses 50%, no delay" ip netns exec a tc qdisc change dev eth0 root netem loss 50%
check_eq "tc -j qdisc shows netem loss 50%, no delay" "0.5 0" \
	"$(ip netns exec a tc -j qdisc show dev eth0 | jq -r '.[] | select(.kind=="netem") | "\(.options["loss-random"].loss) \(.options.delay.delay // 0)"')"
check "b: netem removed" ip netns exec b tc qdisc del dev eth0 root
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 100 0.01)"
echo "# loss 50%: loss $loss%, rtt min $rtt avg $avg ms"
within "loss 50%: 30..70% of 100 pings lost" "$loss" 30 70
check "a: netem removed" ip netns exec a tc qdisc del dev eth0 root
read -r loss rtt avg <<<"$(pingstat a 10.9.0.2 20 0.01)"
echo "# cleared: loss $loss%, rtt min $rtt avg $avg ms"
check_eq "cleared: no loss" 0 "$loss"
within "cleared: min rtt back under 5 ms" "$rtt" 0 5
