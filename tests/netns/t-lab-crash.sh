#!/bin/bash
# Crash and fault injection: `up` SIGKILLed right before its k-th kernel
# operation (NSNET_CRASH_AT=k), then `down`, must leave the sandbox exactly as
# before; `up` whose k-th operation fails (NSNET_FAIL_AT=k) must roll back by
# itself. k runs over every operation of a lab that has every kind of object.
. ./lib.sh

cat > "$TMP/full.yaml" <<'YAML'
name: full
bridges:
  b1: { addresses: [10.1.0.254/24, "fd01::fe/64"] }
  b2: { addresses: [10.2.0.254/24] }
nodes:
  n1:
    interfaces:
      eth0: { bridge: b1, addresses: [10.1.0.1/24, "fd01::1/64"] }
      eth1: { addresses: [10.9.0.1/30] }
    routes: ["default via 10.1.0.254"]
    sysctls: { net.ipv4.ip_forward: 1 }
    exec: ["sleep 600"]
  n2:
    interfaces:
      eth0: { bridge: b2, addresses: [10.2.0.1/24] }
      eth1: { addresses: [10.9.0.2/30] }
    routes: ["default via 10.2.0.254"]
links:
  - endpoints: ["n1:eth1", "n2:eth1"]
  - endpoints: ["b1", "b2"]
nat:
  masquerade: [10.1.0.0/24, "fd01::/64"]
  forwards: [{ port: 8080, to: "n1:80" }]
YAML

snap() {
	{ ip -j -d link show | jq -c '[.[] | {ifname, ifalias, master}]'
	  ip -j addr show | jq -c '[.[] | .addr_info[] | .local]'
	  ip -j route show; ls /run/netns /run/nsnet
	  nft -j list ruleset
	  grep ' /run/netns' /proc/self/mountinfo | awk '{print $5}'
	  sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
	  pgrep -x sleep; } 2>&1
}
before=$(snap)

crash_ok=0 crash_bad=0 k=1
while [ $k -le 400 ]; do
	NSNET_CRASH_AT=$k $NSNET up "$TMP/full.yaml" -q > "$TMP/o" 2>&1; rc=$?
	if [ $rc = 0 ]; then break; fi                 # ran past its last operation
	if [ $rc != 137 ]; then not_ok "crash at $k: exit $rc, not SIGKILL"; cat "$TMP/o"; crash_bad=$((crash_bad+1)); fi
	$NSNET down full -q > "$TMP/o" 2>&1 || { not_ok "down after crash at $k failed"; cat "$TMP/o"; }
	now=$(snap)
	if [ "$now" = "$before" ]; then crash_ok=$((crash_ok + 1))
	else crash_bad=$((crash_bad + 1)); not_ok "crash at op $k: down left something"; diff <(echo "$before") <(echo "$now") | head -20; $NSNET down full -q; fi
	k=$((k + 1))
done
total=$((k - 1))
check "the lab has many kernel operations to crash at ($total)" test $total -ge 30
check_eq "crash at each of $total points, then down: sandbox as before" "$total 0" "$crash_ok $crash_bad"
check "after the loop the lab is up" $NSNET status full
check "… and down" $NSNET down full
check_eq "… leaves the sandbox as before" "$before" "$(snap)"

fail_ok=0 fail_bad=0
for k in $(seq 1 "$total"); do
	NSNET_FAIL_AT=$k $NSNET up "$TMP/full.yaml" -q > "$TMP/o" 2>&1; rc=$?
	now=$(snap)
	if [ $rc = 1 ] && grep -q 'injected fault\|Input/output error' "$TMP/o" && [ "$now" = "$before" ]; then
		fail_ok=$((fail_ok + 1))
	else
		fail_bad=$((fail_bad + 1)); not_ok "fail at op $k: exit $rc"; cat "$TMP/o"; diff <(echo "$before") <(echo "$now") | head; $NSNET down full -q
	fi
done
check_eq "a failure at each of $total points rolls back by itself" "$total 0" "$fail_ok $fail_bad"

# a crash by time, in the middle of a big lab
$NSNET up --topo star,200 -q & pid=$!
sleep 0.15; kill -9 $pid; wait $pid 2>/dev/null
check "down after kill -9 of a big up" $NSNET down star-200 -q
check_eq "… leaves the sandbox as before" "$before" "$(snap)"
