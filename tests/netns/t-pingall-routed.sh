#!/bin/bash
# pingall tests every pair, routed or not (as Mininet's pingall), in the
# families both ends have; --segment only pairs on a shared segment; the lab
# is named by -l LAB or positionally.
. ./lib.sh
cd "$ROOT" || exit 1

check "up examples/router.yaml (a - r - b, routed)" $NSNET up examples/router.yaml -q
check "pingall router (positional): every pair, routed ones too" $NSNET pingall router
check_match "a pings b's address behind the router" '^a -> r b$' "$(cat "$TMP/out")"
check_match "8 addresses tested (r has two)" 'testing reachability of 8 addresses' "$(cat "$TMP/out")"
check "pingall -l router" $NSNET pingall -l router -W 1

# the router stops forwarding: the routed pairs fail, named; same-segment ones answer
ip netns exec r sysctl -qw net.ipv4.ip_forward=0
check_status "forwarding off in r: pingall fails (exit 1)" 1 $NSNET pingall -W 1
out=$(cat "$TMP/out")
check_match "names a -> b" 'no answer: a -> b \(10\.2\.0\.2\)' "$out"
check_match "names b -> a" 'no answer: b -> a \(10\.1\.0\.2\)' "$out"
check_eq "only the two routed pairs fail" 2 "$(grep -c 'no answer' <<< "$out")"
check "--segment with forwarding off: passes (no router between)" $NSNET pingall --segment -W 1
check_match "--segment tests 4 addresses (r beside each)" 'testing reachability of 4 addresses' "$(cat "$TMP/out")"
check "-j: JSON names the failing pairs" sh -c "$NSNET pingall -j -W 1 > $TMP/j.json; test \$? = 1"
check_eq "JSON: a->b failed" false "$(jq -r '.pairs[] | select(.src == "a" and .dst == "b") | .ok' "$TMP/j.json")"
ip netns exec r sysctl -qw net.ipv4.ip_forward=1
check "forwarding on again: pingall passes" $NSNET pingall
check "down" $NSNET down -q

# a pair is tested in the families both ends have (n2 is IPv4-only)
check "up examples/auto.yaml (dual-stack and IPv4-only nodes)" $NSNET up examples/auto.yaml -q
check "auto.yaml: its own pingall passes" $NSNET pingall
out=$(cat "$TMP/out")
check_match "no IPv6 address tested from or to n2" '10 addresses' "$out"
check "down" $NSNET down -q

check_status "pingall with no lab up: exit 1" 1 $NSNET pingall
check_status "pingall A B: usage error" 2 $NSNET pingall a b
