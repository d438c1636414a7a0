#!/bin/bash
# nsnet sandbox -- CMD: only lo, status passthrough, own pid namespace,
# everything made inside is gone afterwards and nothing reaches the outside.
. ./lib.sh
state() { ip -o link show | awk -F': ' '{print $2}' | sort; ls -A /run/netns; grep -c . /proc/self/mountinfo; }
before=$(state)

check_eq "only lo inside" '["lo"]' "$($NSNET sandbox -- ip -j link show | jq -c '[.[].ifname]')"
check_match "lo is up inside" UP "$($NSNET sandbox -- ip -j link show lo | jq -r '.[0].flags | join(",")')"
check_status "exit status passes through (5)" 5 $NSNET sandbox -- sh -c 'exit 5'
check_status "exit status 0" 0 $NSNET sandbox -- true
check_status "missing command: 127" 127 $NSNET sandbox -- /nonexistent/cmd
check_status "bad option: 2" 2 $NSNET sandbox --bogus
pid=$($NSNET sandbox -- sh -c 'echo $$')
check_match "own pid namespace: the command has a low pid ($pid)" '^[23]$' "$pid"
check_eq "/proc inside is the sandbox's: pid 1 is nsnet" nsnet "$($NSNET sandbox -- cat /proc/1/comm)"
check_eq "an empty /run/netns inside" "" "$($NSNET sandbox -- ls -A /run/netns)"
check_eq "a different network namespace" no \
	"$($NSNET sandbox -- sh -c "test \$(stat -L -c %i /proc/self/ns/net) = $(stat -L -c %i /proc/self/ns/net) && echo yes || echo no")"

# things made inside: namespaces, links, mounts, processes
out=$($NSNET sandbox -- sh -c '
	$NSNET ns add inner && ip link add s0 type veth peer name s1 netns inner &&
	ip -n inner link set s1 up && sleep 31337 & echo started; wait_ok=1;
	sleep 0.2; $NSNET ns list; ip -o link show s0 >/dev/null && echo link-ok')
check_match "inside: namespace and link were made" 'inner' "$out"
check_match "inside: link visible inside" 'link-ok' "$out"
check_eq "afterwards: no namespace outside" "" "$(ls -A /run/netns)"
check_eq "afterwards: ip netns list empty" "" "$(ip netns list)"
check_eq "afterwards: no veth outside" "" "$(ip -j link show | jq -r '.[] | select(.ifname=="s0" or .ifname=="s1") | .ifname')"
check_eq "afterwards: background processes killed with the sandbox" "" "$(ps -eo args | grep '^sleep 31337' || true)"
check_eq "afterwards: outer state unchanged (links, /run/netns, mounts)" "$before" "$(state)"

# signals sent to nsnet sandbox reach CMD
$NSNET sandbox -- sh -c 'trap "exit 9" TERM; touch '"$TMP"'/ready; while :; do sleep 0.1; done' &
p=$!
wait_for 5 test -e "$TMP/ready"
kill -TERM $p; wait $p; st=$?
check_eq "SIGTERM to nsnet sandbox reaches CMD (trap → 9)" 9 "$st"
$NSNET sandbox -- sleep 30 &
p=$!
sleep 0.3; kill -TERM $p; wait $p; st=$?
check_eq "CMD killed by the forwarded SIGTERM: 128+15" 143 "$st"
# a signal during set-up (bringing a lab up) is not lost: the sandbox ends, CMD never runs
$NSNET sandbox "$ROOT/examples/seed.yaml" -- touch "$TMP/never" 2> /dev/null &
p=$!
kill -TERM $p; wait $p; st=$?
check_eq "SIGTERM at once (during set-up): 128+15" 143 "$st"
check_fail "… CMD never ran" test -e "$TMP/never"
check_eq "… and no sleep left behind" "" "$(ps -eo args | grep '^sleep 30$' || true)"
