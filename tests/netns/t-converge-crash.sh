#!/bin/bash
# Crash and fault injection of a converge (`up FILE2` of a lab up from FILE1)
# that adds, removes and modifies every kind of object: a bridge, nodes (with
# a command and a sysctl), a cable moved to another bridge, an MTU, addresses,
# routes, sysctls, commands, the NAT table. For every k over the kernel
# operations of that converge:
#   NSNET_CRASH_AT=k up FILE2 (SIGKILLed), then up FILE2  -> the kernel state of
#     a fresh `up FILE2`;
#   NSNET_CRASH_AT=k up FILE2, then down                 -> the sandbox as before
#     the first up;
#   NSNET_FAIL_AT=k up FILE2 -> exit 1 and the kernel state of FILE1, exactly.
. ./lib.sh
. ./converge-lib.sh

cat > "$TMP/one.yaml" <<'YAML'
name: cv
bridges:
  b1: { addresses: [10.1.0.254/24, "fd01::fe/64"] }
  b2: { addresses: [10.2.0.254/24] }
  b3: { addresses: [10.3.0.254/24] }
nodes:
  n1:
    interfaces:
      eth0: { bridge: b1, addresses: [10.1.0.1/24, "fd01::1/64"] }
      eth1: { addresses: [10.9.0.1/30] }
    routes: ["default via 10.1.0.254"]
    sysctls: { net.ipv4.ip_forward: 1 }
    exec: ["exec sleep 600"]
  n2:
    interfaces:
      eth0: { bridge: b2, addresses: [10.2.0.1/24] }
      eth1: { addresses: [10.9.0.2/30] }
    routes: ["default via 10.2.0.254", "10.7.0.0/16 via 10.9.0.1"]
    exec: ["exec sleep 601"]
  n4:
    interfaces:
      eth0: { bridge: b1, addresses: [10.1.0.4/24] }
    sysctls: { net.ipv4.ip_forward: 1 }
    exec: ["exec sleep 604"]
  n5:
    interfaces:
      eth0: { bridge: b3, addresses: [10.3.0.5/24] }
    routes: ["default via 10.3.0.254"]
links:
  - endpoints: ["n1:eth1", "n2:eth1"]
  - endpoints: ["b1", "b2"]
nat:
  masquerade: [10.1.0.0/24, "fd01::/64"]
  forwards: [{ port: 8080, to: "n1:80" }]
YAML

# b3 goes, b4 comes; n4 goes, n3 comes (command, sysctl); n5's cable moves to b2;
# n1: cable MTU, an address, a route, its command replaced, a sysctl changed;
# n2: a route goes, a sysctl comes; NAT: a forward more, a masquerade less
cat > "$TMP/two.yaml" <<'YAML'
name: cv
bridges:
  b1: { addresses: [10.1.0.254/24, "fd01::fe/64"] }
  b2: { addresses: [10.2.0.254/24] }
  b4: { addresses: [10.4.0.254/24] }
nodes:
  n1:
    interfaces:
      eth0: { bridge: b1, addresses: [10.1.0.1/24, "fd01::1/64", 10.1.0.11/24] }
      eth1: { addresses: [10.9.0.1/30] }
    routes: ["default via 10.1.0.254", "10.8.0.0/16 via 10.9.0.2"]
    sysctls: { net.ipv4.ip_forward: 0 }
    exec: ["exec sleep 610"]
  n2:
    interfaces:
      eth0: { bridge: b2, addresses: [10.2.0.1/24] }
      eth1: { addresses: [10.9.0.2/30] }
    routes: ["default via 10.2.0.254"]
    sysctls: { net.ipv4.ip_default_ttl: 33 }
    exec: ["exec sleep 601"]
  n3:
    interfaces:
      eth0: { bridge: b4, addresses: [10.4.0.3/24] }
    routes: ["default via 10.4.0.254"]
    sysctls: { net.ipv4.ip_forward: 1 }
    exec: ["exec sleep 603"]
  n5:
    interfaces:
      eth0: { bridge: b2, addresses: [10.2.0.5/24] }
    routes: ["default via 10.2.0.254"]
links:
  - endpoints: ["n1:eth1", "n2:eth1"]
    mtu: 9000
  - endpoints: ["b1", "b2"]
nat:
  masquerade: [10.1.0.0/24]
  forwards: [{ port: 8080, to: "n1:80" }, { port: 8081, to: "n3:80" }]
YAML

before=$(sandbox_state)
# references: a fresh FILE2, a fresh FILE1
$NSNET up -q "$TMP/two.yaml" || { not_ok "fresh up of FILE2"; exit 1; }
ref2=$(kstate)
$NSNET down -q cv
$NSNET up -q "$TMP/one.yaml" || { not_ok "fresh up of FILE1"; exit 1; }
ref1=$(kstate)
check "the converge has something of every kind to do" sh -c \
	"$NSNET diff $TMP/two.yaml | grep -q '^+ node' && $NSNET diff $TMP/two.yaml | grep -q '^~ link' &&
	 $NSNET diff $TMP/two.yaml | grep -q '^- bridge' && $NSNET diff $TMP/two.yaml | grep -q '^~ nat' &&
	 $NSNET diff $TMP/two.yaml | grep -q '^- cmd' && $NSNET diff $TMP/two.yaml | grep -q '^~ sysctl'"
$NSNET diff "$TMP/two.yaml" | sed 's/^/# plan: /'
$NSNET up -q "$TMP/two.yaml"
check_same "a converge FILE1 -> FILE2 gives the state of a fresh FILE2" "$ref2" "$(kstate)"
$NSNET down -q cv
check_same "down after it leaves the sandbox as before" "$before" "$(sandbox_state)"

# up FILE1 (state after it: ref1), then the injected up FILE2
reset1() {
	$NSNET down -q cv >/dev/null 2>&1
	$NSNET up -q "$TMP/one.yaml" > "$TMP/o1" 2>&1 || { cat "$TMP/o1"; return 1; }
}

# NSNET_CRASH_AT=k up FILE2, then up FILE2 again
ok_n=0 bad_n=0 k=1
while [ $k -le 300 ]; do
	reset1 || { not_ok "up FILE1 before crash point $k"; break; }
	NSNET_CRASH_AT=$k $NSNET up -q "$TMP/two.yaml" > "$TMP/o" 2>&1; rc=$?
	if [ $rc = 0 ]; then break; fi		# ran past its last operation
	if [ $rc != 137 ]; then bad_n=$((bad_n + 1)); not_ok "crash at $k: exit $rc, not SIGKILL"; sed 's/^/#   /' "$TMP/o"; k=$((k + 1)); continue; fi
	$NSNET up -q "$TMP/two.yaml" > "$TMP/o" 2>&1; rc=$?
	now=$(kstate)
	if [ $rc = 0 ] && [ "$now" = "$ref2" ]; then ok_n=$((ok_n + 1))
	else bad_n=$((bad_n + 1)); not_ok "crash at $k, then up FILE2: exit $rc, state differs"; sed 's/^/#   /' "$TMP/o"; diff <(echo "$ref2") <(echo "$now") | head -10 | sed 's/^/#   /'; fi
	k=$((k + 1))
done
total=$((k - 1))
check "the converge has many kernel operations to crash at ($total)" test $total -ge 25
check_eq "crash at each of $total points, then up FILE2: the state of a fresh FILE2" "$total 0" "$ok_n $bad_n"

# NSNET_CRASH_AT=k up FILE2, then down
ok_n=0 bad_n=0
for k in $(seq 1 "$total"); do
	reset1 || { not_ok "up FILE1 before crash point $k"; break; }
	NSNET_CRASH_AT=$k $NSNET up -q "$TMP/two.yaml" > "$TMP/o" 2>&1
	$NSNET down -q cv > "$TMP/o" 2>&1; rc=$?
	now=$(sandbox_state)
	if [ $rc = 0 ] && [ "$now" = "$before" ]; then ok_n=$((ok_n + 1))
	else bad_n=$((bad_n + 1)); not_ok "crash at $k, then down: exit $rc, something left"; sed 's/^/#   /' "$TMP/o"; diff <(echo "$before") <(echo "$now") | head -10 | sed 's/^/#   /'; fi
done
check_eq "crash at each of $total points, then down: the sandbox as before" "$total 0" "$ok_n $bad_n"

# NSNET_FAIL_AT=k up FILE2: exit 1, FILE1's state exactly
ok_n=0 bad_n=0
for k in $(seq 1 "$total"); do
	reset1 || { not_ok "up FILE1 before fault point $k"; break; }
	NSNET_FAIL_AT=$k $NSNET up -q "$TMP/two.yaml" > "$TMP/o" 2>&1; rc=$?
	now=$(kstate)
	if [ $rc = 1 ] && grep -q 'injected fault\|Input/output error' "$TMP/o" && [ "$now" = "$ref1" ]; then
		ok_n=$((ok_n + 1))
	else
		bad_n=$((bad_n + 1)); not_ok "fail at $k: exit $rc, want 1 and FILE1's state"; sed 's/^/#   /' "$TMP/o"
		diff <(echo "$ref1") <(echo "$now") | head -10 | sed 's/^/#   /'
	fi
	# and the lab goes on: the next up converges
	if [ $k = "$total" ]; then
		check "after the last fault, up FILE2 converges" $NSNET up -q "$TMP/two.yaml"
		check_same "… to FILE2's state" "$ref2" "$(kstate)"
	fi
done
check_eq "a failure at each of $total points rolls back to FILE1's state" "$total 0" "$ok_n $bad_n"

$NSNET down -q cv
check_same "down at the end leaves the sandbox as before" "$before" "$(sandbox_state)"
