#!/bin/bash
# nsnet capture: known pings captured inside a node and read back with tshark
# (count, addresses, ICMP types), tcpdump filters, pcap on stdout flushed per
# packet, SIGINT, bad NODE:IF; "capture: true" in a lab file (file written
# while up, kept by down, the process stopped); crashes and faults in `up`
# of a lab with a capture leave no capture process behind.
. ./lib.sh

command -v tshark > /dev/null || { not_ok "tshark is not installed (make deps)"; exit 1; }
ts() { tshark "$@" 2> /dev/null; }
# a process that runs (not a zombie waiting for this script, the sandbox's pid 1, to reap it)
nsnet_procs() { ps -eo stat=,pid=,comm= | awk '$3 == "nsnet" && $1 !~ /^Z/ {print $2}'; }
alive() { [ -n "$1" ] && [ -r "/proc/$1/stat" ] && ! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat"; }

cat > "$TMP/cap.yaml" <<'YAML'
name: cap
bridges:
  cbr: { addresses: [10.7.0.254/24] }
nodes:
  a:
    interfaces:
      eth0: { bridge: cbr, addresses: [10.7.0.1/24] }
      eth1: { addresses: [10.8.0.1/30] }
  b:
    interfaces:
      eth0: { bridge: cbr, addresses: [10.7.0.2/24] }
      eth1: { addresses: [10.8.0.2/30], capture: true }
links:
  - endpoints: ["a:eth1", "b:eth1"]
YAML
check "up a lab with capture: true on b:eth1" $NSNET up "$TMP/cap.yaml" -q
cfile=/run/nsnet/cap.captures/b-eth1.pcap
check "… its capture file exists while up" test -f "$cfile"
cpid=$(awk '$1 == "pid" {print $2}' /run/nsnet/cap/journal | head -1)
check "… its capture process is journaled and runs" alive "$cpid"

# start a capture in the background; wait until it listens
bg_capture() {	# OUT ERR ARGS…
	local out=$1 err=$2; shift 2
	$NSNET capture "$@" > "$out" 2> "$err" &
	cap_pid=$!
	wait_for 5 grep -q listening "$err"
}

# 1. a known ping, to a file, with a count
bg_capture "$TMP/o1" "$TMP/e1" a:eth0 -c 4 -w "$TMP/ping.pcap" icmp
ip netns exec a ping -c 2 -i 0.2 -W 2 10.7.0.2 > /dev/null
wait_for 5 sh -c "! kill -0 $cap_pid"
wait $cap_pid; rc=$?
check_eq "-c 4: capture ends by itself, exit 0" 0 "$rc"
check_match "… and says \"4 packets captured\"" '^4 packets captured' "$(cat "$TMP/e1")"
check_eq "tshark reads exactly 4 packets" 4 "$(ts -r "$TMP/ping.pcap" | wc -l)"
check_eq "… sources, destinations and ICMP types of two pings" \
	"10.7.0.1 10.7.0.2 8|10.7.0.2 10.7.0.1 0|10.7.0.1 10.7.0.2 8|10.7.0.2 10.7.0.1 0|" \
	"$(ts -r "$TMP/ping.pcap" -T fields -e ip.src -e ip.dst -e icmp.type | tr '\t\n' ' |' | sed 's/ |/|/g')"
check_eq "… full frames (98 bytes each on the wire and in the file)" "98 98 98 98 " \
	"$(ts -r "$TMP/ping.pcap" -T fields -e frame.len -e frame.cap_len | awk '$1 == $2 {printf "%s ", $1}')"

# 2. filters: arp only, then icmp only, while both kinds of traffic flow
bg_capture "$TMP/o2" "$TMP/e2" a:eth0 -c 2 -w "$TMP/arp.pcap" arp
ip -n a neigh flush all; ip -n b neigh flush all
ip netns exec a ping -c 1 -W 2 10.7.0.2 > /dev/null
wait_for 5 sh -c "! kill -0 $cap_pid"; wait $cap_pid
check_eq "filter arp: a request and a reply, nothing else" "1 2 " \
	"$(ts -r "$TMP/arp.pcap" -T fields -e arp.opcode | tr '\n' ' ')"
bg_capture "$TMP/o3" "$TMP/e3" a:eth0 -c 2 -w "$TMP/icmp.pcap" icmp
ip -n a neigh flush all; ip -n b neigh flush all
ip netns exec a ping -c 1 -W 2 10.7.0.2 > /dev/null
wait_for 5 sh -c "! kill -0 $cap_pid"; wait $cap_pid
check_eq "filter icmp: the echo and its reply, no ARP" "8 0 " \
	"$(ts -r "$TMP/icmp.pcap" -T fields -e icmp.type | tr '\n' ' ')"

# 3. -w - into tshark -r -
ts -r - -T fields -e ip.src -e icmp.type < <($NSNET capture a:eth1 -c 2 -w - icmp 2> "$TMP/e4") > "$TMP/o4" &
tpid=$!
wait_for 5 grep -q listening "$TMP/e4"
ip netns exec a ping -c 1 -W 2 10.8.0.2 > /dev/null
wait_for 5 sh -c "! kill -0 $tpid"; wait $tpid
check_eq "-w - | tshark -r -: both packets of a ping on the cable" "10.8.0.1 8|10.8.0.2 0|" \
	"$(tr '\t\n' ' |' < "$TMP/o4" | sed 's/ |/|/g')"

# 4. no count: flushed per packet while it runs; SIGINT ends it cleanly
$NSNET capture a:eth0 -w - icmp > "$TMP/live.pcap" 2> "$TMP/e5" &
cap_pid=$!
wait_for 5 grep -q listening "$TMP/e5"
ip netns exec a ping -c 3 -i 0.2 -W 2 10.7.0.2 > /dev/null
wait_for 3 sh -c "[ \$(tshark -r '$TMP/live.pcap' 2>/dev/null | wc -l) = 6 ]"
check_eq "-w -: all 6 packets readable while the capture still runs" "6 running" \
	"$(ts -r "$TMP/live.pcap" | wc -l) $(kill -0 $cap_pid && echo running)"
kill -INT $cap_pid; wait $cap_pid; rc=$?
check_eq "SIGINT: exit 0" 0 "$rc"
check_match "… \"6 packets captured\"" '^6 packets captured' "$(cat "$TMP/e5")"

# 5. one line per packet on stdout without -w
bg_capture "$TMP/o6" "$TMP/e6" a:eth0 -c 2 icmp
ip netns exec a ping -c 1 -W 2 10.7.0.2 > /dev/null
wait_for 5 sh -c "! kill -0 $cap_pid"; wait $cap_pid
check_match "summary lines: time, src > dst, protocol, length" \
	'^[0-9:.]+ 10\.7\.0\.1 > 10\.7\.0\.2 ICMP echo request id [0-9]+ seq 1, length 98
[0-9:.]+ 10\.7\.0\.2 > 10\.7\.0\.1 ICMP echo reply id [0-9]+ seq 1, length 98$' "$(cat "$TMP/o6")"

# 6. bad input
check_status "NODE:IF with an unknown interface: exit 2" 2 $NSNET capture a:eth9 -c 1
check_match "… names it" 'no interface "eth9"' "$(cat "$TMP/out")"
check_status "unknown node: exit 2" 2 $NSNET capture zz:eth0 -c 1
check_status "no colon: exit 2" 2 $NSNET capture a -c 1
check_status "bad filter: exit 2" 2 $NSNET capture a:eth0 -c 1 'tcp port ((('
check_match "… with libpcap's reason" 'syntax error' "$(cat "$TMP/out")"
check_status "bad count: exit 2" 2 $NSNET capture a:eth0 -c x
check_status "lab not up: exit 1" 1 $NSNET capture -l nolab a:eth0 -c 1

# 7. capture: true — the file of b:eth1 has the pings over the cable
ip netns exec b ping -c 3 -i 0.2 -W 2 10.8.0.1 > /dev/null
wait_for 3 sh -c "[ \$(tshark -r '$cfile' -Y icmp 2>/dev/null | wc -l) = 8 ]"
want="10.8.0.1 10.8.0.2 8|10.8.0.2 10.8.0.1 0|"	# the ping of part 3, then b's three
want="$want$(printf '10.8.0.2 10.8.0.1 8|10.8.0.1 10.8.0.2 0|%.0s' 1 2 3)"
check_eq "capture: true: the lab's file has every ping over b:eth1 since up" "$want" \
	"$(ts -r "$cfile" -Y icmp -T fields -e ip.src -e ip.dst -e icmp.type | tr '\t\n' ' |' | sed 's/ |/|/g')"
$NSNET down cap > "$TMP/down" 2>&1
check_match "down says where the captures are" 'captures of lab "cap" are kept in /run/nsnet/cap.captures/' "$(cat "$TMP/down")"
check_fail "down stopped the capture process" alive "$cpid"
check_eq "… the file stays, with all 8 ICMP packets" 8 "$(ts -r "$cfile" -Y icmp | wc -l)"
check_eq "… and nothing else of the lab is left" "lo|cap.captures" \
	"$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)|$(ls /run/nsnet)"
rm -rf /run/nsnet/cap.captures

# 8. converge (up of the running lab with a changed file): captures follow the file
mk3() {	# CAPTURE_OF_Q BRIDGE_OF_P ADDRESS_OF_P
	cat > "$TMP/c3.yaml" <<YAML
name: c3
bridges:
  br1: { addresses: [10.11.0.254/24] }
  br2: { addresses: [10.11.1.254/24] }
nodes:
  p:
    interfaces:
      eth0: { bridge: $2, addresses: [$3], capture: true }
  q:
    interfaces:
      eth0: { bridge: br1, addresses: [10.11.0.2/24], capture: $1 }
YAML
}
capid() { awk -v t="$1" '$1 == "pid" && $4 == "@capture" && $5 == t {p = $2} END {print p}' /run/nsnet/c3/journal; }
mk3 false br1 10.11.0.1/24
check "up c3 (capture on p:eth0)" $NSNET up "$TMP/c3.yaml" -q
p1=$(capid p:eth0)
check "… p's capture runs" alive "$p1"
mk3 true br1 10.11.0.1/24
check "converge: capture: true on q:eth0" $NSNET up "$TMP/c3.yaml" -q
q1=$(capid q:eth0)
check "… q's capture started" alive "$q1"
check_eq "… p's capture untouched (same process)" "$p1" "$(capid p:eth0)"
# the capture is live once its file has the pcap header (a loaded machine may take a while)
wait_for 5 test -s /run/nsnet/c3.captures/q-eth0.pcap; sleep 0.2
ip netns exec q ping -c 2 -i 0.2 -W 2 10.11.0.1 > /dev/null
wait_for 3 sh -c "[ \$(tshark -r /run/nsnet/c3.captures/q-eth0.pcap -Y icmp 2>/dev/null | wc -l) = 4 ]"
check_eq "… q's new file has q's pings" 4 "$(ts -r /run/nsnet/c3.captures/q-eth0.pcap -Y icmp | wc -l)"
mk3 false br2 10.11.1.1/24
check "converge: p:eth0 moves to br2 (its cable recreated), q's capture off" $NSNET up "$TMP/c3.yaml" -q
p2=$(capid p:eth0)
check_fail "… q's capture stopped" alive "$q1"
check "… q's file stays" test -s /run/nsnet/c3.captures/q-eth0.pcap
check_fail "… p's old capture stopped" alive "$p1"
check "… p's capture restarted on the new interface" alive "$p2"
ip netns exec p ping -c 1 -W 2 10.11.1.254 > /dev/null
wait_for 3 sh -c "[ \$(tshark -r /run/nsnet/c3.captures/p-eth0.pcap -Y icmp 2>/dev/null | wc -l) = 2 ]"
check_eq "… and captures it (a ping to br2)" "10.11.1.254 0" \
	"$(ts -r /run/nsnet/c3.captures/p-eth0.pcap -Y 'icmp.type == 0' -T fields -e ip.src -e icmp.type | tr '\t' ' ')"
check "down c3" $NSNET down c3 -q
check_eq "no capture process left" "" "$(nsnet_procs)"
rm -rf /run/nsnet/c3.captures

# 9. crash at each operation of up (then down), and a failure at each (rollback):
#    no capture process is ever left behind
cat > "$TMP/c2.yaml" <<'YAML'
name: c2
bridges:
  kbr: { addresses: [10.9.0.254/24] }
nodes:
  p:
    interfaces:
      eth0: { bridge: kbr, addresses: [10.9.0.1/24], capture: true }
  q:
    interfaces:
      eth0: { bridge: kbr, addresses: [10.9.0.2/24], capture: true }
YAML
left() { { nsnet_procs; ip netns list; ip -br link show | grep -v '^lo '; ls /run/nsnet | grep -v captures; } 2>&1; }
bad=0 k=1
while [ $k -le 100 ]; do
	{ NSNET_CRASH_AT=$k $NSNET up "$TMP/c2.yaml" -q > "$TMP/o" 2>&1; rc=$?; } 2> /dev/null
	[ $rc = 0 ] && break
	[ $rc = 137 ] || { bad=$((bad + 1)); echo "# crash at $k: exit $rc"; cat "$TMP/o"; }
	$NSNET down c2 -q
	[ -z "$(left)" ] || { bad=$((bad + 1)); echo "# crash at $k left:"; left | sed 's/^/#   /'; }
	k=$((k + 1))
done
total=$((k - 1))
check "the capture lab has operations to crash at ($total)" test $total -ge 10
check_eq "crash at each of them, then down: no capture process, nothing left" 0 "$bad"
check_eq "after the loop the lab's two captures run" 2 "$(nsnet_procs | wc -l)"
$NSNET down c2 -q
bad=0
for k in $(seq 1 "$total"); do
	NSNET_FAIL_AT=$k $NSNET up "$TMP/c2.yaml" -q > "$TMP/o" 2>&1; rc=$?
	if [ $rc != 1 ] || [ -n "$(left)" ]; then
		bad=$((bad + 1)); echo "# fail at $k: exit $rc"; cat "$TMP/o"; left | sed 's/^/#   /'; $NSNET down c2 -q
	fi
done
check_eq "a failure at each of them rolls back, captures included" 0 "$bad"
check_eq "nothing left" "" "$(left)"
