#!/bin/bash
# nsnet run: the tutorial's clone() program (seed 000) through the library.
# Default network on first use (also racing), bytes from the host to a
# listener inside, hostname, pid namespace, two runs pinging each other, an
# address already taken, -p from the host and from a lab node, exit status and
# signal forwarding, set-up failures, SIGKILL of nsnet followed by gc or down;
# the default network goes with its last run (also under contention) unless
# --keep-network, and gc removes it when a killed run was its last user.
. ./lib.sh
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
N=$NSNET
RS=/run/nsnet/run

tcp() { echo "$2" | timeout 5 socat -T3 - "TCP:$1"; }
links() { ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; }
resv() { ls -A "$RS" 2>/dev/null | grep '^run\.' | tr '\n' ' '; }
runlines() { grep -Ec '^(pid |link nsr|ns |nsino )' "$RS/journal" 2>/dev/null; }
nsr_gone() { ! ip -o link show | grep -q ' nsr'; }
nsr_n() { [ "$(ip -o link show | grep -c ' nsr')" = "$1" ]; }
same_state() { [ "$(links)|$(resv)" = "$1" ]; }
# nsnet run in the background, $! its pid (no timeout wrapper: the CMDs are bounded)
bg_run() { $N run "$@" & PIDS+=($!); }

# ---- the default network, created on first use, by racing runs --------------------
for i in 1 2 3 4 5; do ( $N run -- true; echo $? > "$TMP/race$i" ) & done
wait
check_eq "5 parallel first runs all succeed" "0 0 0 0 0" "$(cat "$TMP"/race? | tr '\n' ' ' | sed 's/ $//')"
gone() { [ "$(links)|$(nft -j list tables | jq -r '[.nftables[] | select(.table) | .table.name] | join(" ")')|$(ls -A /run/nsnet | grep -v '^\.')" = "lo ||" ]; }
check "the default network went with the last run: no bridge, table or state" wait_for 5 gone
# made and removed under contention: every run gets it, none fails
for r in 1 2 3; do
	for i in 1 2 3 4 5 6; do ( sleep "0.0$i"; $N run -- sh -c "sleep 0.$((i % 3))"; echo $? > "$TMP/churn$r$i" ) & done
	wait
done
check_eq "3 rounds of 6 overlapping runs while the network comes and goes: all exit 0" \
	"$(printf '0 %.0s' $(seq 18))" "$(cat "$TMP"/churn?? | tr '\n' ' ')"
check "… and it is gone after the last" wait_for 5 gone
bg_run -- sleep 60
L=$!
wait_for 5 sh -c "ls $RS 2>/dev/null | grep -q '^run\.'"
check "a run while another runs" $N run -- true
check_eq "… the network stays for the one still running" "nsnet0" "$(ip -o link show nsnet0 | awk -F': ' '{print $2}')"
kill -TERM "$L"; wait "$L"
check "… and goes with it" wait_for 5 gone
check "run --keep-network" $N run --keep-network -- true
check_match "the default network is a lab (run): bridge nsnet0 10.88.0.1/16" \
	'bridge nsnet0 +up +10\.88\.0\.1/16' "$($N status run)"
check_eq "… with its masquerade table" "nsnet-run" "$(nft -j list tables | jq -r '[.nftables[] | select(.table) | .table.name] | join(" ")')"
check_eq "… and no reservation or journal line left by the runs" "0" "$(runlines)$(resv)"

# ---- the tutorial: a listener inside gets bytes sent from the host -----------------
bg_run --name tut -- socat -u TCP-LISTEN:4242 "OPEN:$TMP/got,creat"
TUT=$!
wait_for 5 ip netns exec tut sh -c 'ss -ltn | grep -q ":4242 "'
check_eq "the first free address is 10.88.0.2" "10.88.0.2/16" \
	"$(ip netns exec tut ip -4 -o addr show dev eth0 | awk '{print $4}')"
check "the host sends 'Hi !' to 10.88.0.2:4242" sh -c "echo 'Hi !' | timeout 5 socat -u - TCP:10.88.0.2:4242"
wait "$TUT"; st=$?
check_eq "nsnet run exits with socat's status" 0 "$st"
check_eq "the listener received it" "Hi !" "$(cat "$TMP/got" 2>/dev/null)"
check "its veth goes with the namespace" wait_for 5 nsr_gone
check_fail "its named netns is gone" test -e /run/netns/tut

check_eq "hostname is the one set" box1 "$($N run --hostname box1 -- hostname)"
check_eq "default hostname: the name" web1 "$($N run --name web1 -- hostname)"
check_eq "default hostname without a name: from the address" nsnet-10-88-0-2 "$($N run -- hostname)"
out=$($N run -- ps -e -o pid=,comm=)
check_eq "ps inside: only its init (1) and CMD (2)" "1 nsnet-init|2 ps" "$(echo "$out" | awk '{print $1" "$2}' | paste -sd'|')"
check_eq "lo up, eth0 with address and default route" "UP 10.88.0.2/16 default via 10.88.0.1 dev eth0" \
	"$($N run -- sh -c 'ip -br link show lo | awk "{print \$2}" | sed s/UNKNOWN/UP/; ip -4 -o a s eth0 | awk "{print \$4}"; ip r s default' | sed 's/ *$//' | paste -sd' ' | sed 's/  */ /g')"
check_eq "--env and --workdir" "bar /tmp" "$($N run --env FOO=bar --workdir /tmp -- sh -c 'echo $FOO $(pwd)')"
before=$(grep -c ' /proc ' /proc/self/mountinfo)
$N run -- true
check_eq "the host's mounts are untouched (/proc)" "$before" "$(grep -c ' /proc ' /proc/self/mountinfo)"

# ---- two runs on one bridge; a third with a taken address --------------------------
bg_run --name a --ip 10.88.0.10 -- sleep 60
A=$!
bg_run --name b --ip 10.88.0.11/16 -- sleep 60
B=$!
wait_for 5 ip netns exec a true; wait_for 5 ip netns exec b true
check "a pings b" ip netns exec a ping -c1 -W2 10.88.0.11
check "b pings a" ip netns exec b ping -c1 -W2 10.88.0.10
check "a third run pings a" $N run -- ping -c1 -W2 10.88.0.10
check "nsnet ns exec works on a named run" sh -c "$N ns exec a ip -4 -o addr show eth0 | grep -q 10.88.0.10"
wait_for 5 nsr_n 2	# the third run's veth goes asynchronously
links0=$(links); resv0=$(resv); jl0=$(cat "$RS/journal"); ns0=$(ls /run/netns | tr '\n' ' ')
check_status "--ip already taken by a run: exit 1" 1 $N run --ip 10.88.0.10 -- touch "$TMP/never"
check_match "… naming the owner" 'in use by run instance run:a' "$(cat "$TMP/out")"
check_status "--ip of the lab's bridge: exit 1" 1 $N run --ip 10.88.0.1 -- touch "$TMP/never"
check_match "… in use by the lab" 'in use by lab "run"' "$(cat "$TMP/out")"
check_status "--ip outside the subnet: exit 2" 2 $N run --ip 10.99.0.5 -- touch "$TMP/never"
check_status "--name of an existing namespace: exit 1" 1 $N run --name a -- touch "$TMP/never"
check_eq "… nothing left behind: links, reservations, journal, namespaces" \
	"$links0|$resv0|$jl0|$ns0" "$(links)|$(resv)|$(cat "$RS/journal")|$(ls /run/netns | tr '\n' ' ')"
check_fail "… and CMD never ran" test -e "$TMP/never"
check_status "a kernel refusal (unreachable --gw): exit 1" 1 $N run --gw 192.0.2.1 -- touch "$TMP/never"
check_match "… with the kernel's extack text" 'route.*[Nn]exthop|gateway' "$(cat "$TMP/out")"
check "… and nothing left" wait_for 5 same_state "$links0|$resv0"
check_fail "… CMD never ran" test -e "$TMP/never"
check_status "a set-up failure (no such --workdir): exit 1" 1 $N run --workdir /nonexistent -- touch "$TMP/never"
check_match "… says why" 'nonexistent: No such file' "$(cat "$TMP/out")"
check_fail "… CMD never ran" test -e "$TMP/never"
check_status "CMD not found: exit 127" 127 $N run -- /nonexistent/cmd
check_match "… says why" 'exec: /nonexistent/cmd: No such file' "$(cat "$TMP/out")"
kill -TERM "$A" "$B"; wait "$A" "$B"
check "a and b are gone when their nsnet is stopped" wait_for 5 same_state "lo nsnet0 |"

# ---- -p from the host ---------------------------------------------------------------
bg_run --name web -p 8080:80 -- socat TCP-LISTEN:80,reuseaddr,fork "SYSTEM:read x; echo web-\$x"
WEB=$!
wait_for 5 ip netns exec web sh -c 'ss -ltn | grep -q ":80 "'
check_eq "-p 8080:80 from the host on 127.0.0.1" web-h1 "$(tcp 127.0.0.1:8080 h1)"
check_eq "-p 8080:80 from the host on the bridge address" web-h2 "$(tcp 10.88.0.1:8080 h2)"
check_eq "… from another run through the host" web-h3 "$($N run -- sh -c "echo h3 | timeout 5 socat -T3 - TCP:10.88.0.1:8080")"
check_eq "… from itself through the host (hairpin)" web-h4 "$(ip netns exec web sh -c "echo h4 | timeout 5 socat -T3 - TCP:10.88.0.1:8080")"
check_match "the forward is a runtime forward of the lab, owned by run:web" \
	'tcp 8080 -> run:web:80 \(10\.88\.0\.' "$($N forward list -l run)"
check_status "a second -p 8080 is refused: exit 1" 1 $N run -p 8080:81 -- touch "$TMP/never"
check_fail "… CMD never ran" test -e "$TMP/never"
kill -TERM "$WEB"; wait "$WEB"; st=$?
check_eq "SIGTERM to nsnet reaches socat: exit 143" 143 "$st"
check_eq "the forward went with it" "" "$($N forward list -l run)"
check_fail "… port 8080 no longer answers" tcp 127.0.0.1:8080 gone

# ---- exit status and signals --------------------------------------------------------
check_status "exit status is CMD's" 3 $N run -- sh -c 'exit 3'
check_status "killed by a signal: 128+N" 137 $N run -- sh -c 'kill -KILL $$'
bg_run -- sh -c "trap 'echo got-term > $TMP/term; exit 42' TERM; touch $TMP/ready1; sleep 60 & wait"
P=$!; wait_for 5 test -e "$TMP/ready1"
kill -TERM "$P"; wait "$P"; st=$?
check_eq "SIGTERM reaches CMD's handler; its exit status (42) is ours" "42 got-term" "$st $(cat "$TMP/term" 2>/dev/null)"
bg_run -- sh -c "touch $TMP/ready2; exec sleep 60"
P=$!; wait_for 5 test -e "$TMP/ready2"
kill -HUP "$P"; wait "$P"; st=$?
check_eq "SIGHUP kills a CMD without a handler (it is pid 2, not 1): 129" 129 "$st"

# ---- the seed lab: -l LAB, from a lab node ------------------------------------------
check "nsnet up (seed lab)" $N up
bg_run -l seed --name s1 -p 8088:80 -- socat TCP-LISTEN:80,reuseaddr,fork "SYSTEM:read x; echo s1-\$x"
S1=$!
wait_for 5 ip netns exec s1 sh -c 'ss -ltn | grep -q ":80 "'
check_eq "-l seed: first free address after the lab's .1-.5" 192.168.15.6/24 \
	"$(ip netns exec s1 ip -4 -o addr show dev eth0 | awk '{print $4}')"
check_eq "… its host end carries the lab's alias" "nsnet:seed" \
	"$(ip -j -d link show | jq -r '.[] | select(.ifname | startswith("nsr")) | .ifalias')"
check "… reaches node red" ip netns exec s1 ping -c1 -W2 192.168.15.1
check_eq "-p 8088:80 from lab node red (through the host)" s1-r "$(ip netns exec red bash -c "$(declare -f tcp); tcp 192.168.15.5:8088 r")"
check_eq "-p 8088:80 from the host" s1-h "$(tcp 127.0.0.1:8088 h)"
check_eq "red reaches it directly" s1-d "$(ip netns exec red bash -c "$(declare -f tcp); tcp 192.168.15.6:80 d")"
check "down of the seed lab takes the running instance with it" $N down seed
wait "$S1"; st=$?
check_match "… nsnet run reports it killed (SIGTERM first: 143, or 137)" '^(143|137)$' "$st"
check "… its link is gone" wait_for 5 nsr_gone
check_fail "… and its named netns" test -e /run/netns/s1

# ---- SIGKILL of nsnet: the child dies, gc removes the rest --------------------------
bg_run --name k -p 9090:80 -- sleep 60
K=$!
wait_for 5 sh -c "$N forward list -l run | grep -q 9090"
kpid=$(ip netns pids k | head -1)
kill -KILL "$K"; wait "$K" 2>/dev/null
check "the namespace's processes die with nsnet (PDEATHSIG)" wait_for 5 sh -c "! kill -0 $kpid 2>/dev/null"
check_match "left behind: reservation, forward, named netns" 'run\..*\|.*9090.*\|k' \
	"$(resv)|$($N forward list -l run | paste -sd' ')|$(ls /run/netns | tr '\n' ' ')"
check "nsnet gc" $N gc
check_match "… reports one instance" '1 stale run instance removed' "$(cat "$TMP/out")"
check_eq "… no reservation, forward, run journal line or named netns left" "|||" \
	"$(resv)|$($N forward list -l run)|$(grep -E '^(pid |link nsr|ns |nsino )' "$RS/journal")|$(ls /run/netns | tr '\n' ' ')"
check_eq "… no mount left" 0 "$(grep -c '/run/netns/k ' /proc/self/mountinfo)"
check "… no link left" wait_for 5 nsr_gone
check "gc again: nothing to do" $N gc run
check_match "… 0 removed" '0 stale' "$(cat "$TMP/out")"

bg_run -p 9092:80 -- sleep 60
K=$!
wait_for 5 sh -c "$N forward list -l run | grep -q 9092"
kill -KILL "$K"; wait "$K" 2>/dev/null
check "an unnamed run SIGKILLed: the next run on the lab collects what it left" $N run -- true
check_eq "… no reservation, forward or run journal line left" "||" \
	"$(resv)|$($N forward list -l run)|$(grep -E '^(pid |link nsr|ns |nsino )' "$RS/journal")"
check "… no link left" wait_for 5 nsr_gone

# ---- SIGKILL of nsnet, then down ----------------------------------------------------
bg_run --name k2 -p 9091:80 -- sleep 60
K=$!
wait_for 5 sh -c "$N forward list -l run | grep -q 9091"
kill -KILL "$K"; wait "$K" 2>/dev/null
check "nsnet down run" $N down run
check_eq "… nothing of it is left: links, tables, state, namespaces" "lo |||" \
	"$(links)|$(nft -j list tables | jq -r '[.nftables[] | select(.table) | .table.name] | join(" ")')|$(ls -A /run/nsnet | grep -v '^\.')|$(ls /run/netns)"
check_eq "… no mount left" 0 "$(grep -c '/run/netns/k2 ' /proc/self/mountinfo)"

# ---- a run killed while it creates the default network -----------------------------
check_status "a run SIGKILLed half-way through creating the default network" 137 \
	env NSNET_CRASH_AT=4 $N run -- touch "$TMP/never"
check_eq "… left a journal without 'up'" "yes no" \
	"$([ -e $RS/journal ] && echo yes || echo no) $(grep -qx up $RS/journal && echo yes || echo no)"
check "the next run removes the half-made network and makes it anew" $N run -- true
check_fail "… the killed run's CMD never ran" test -e "$TMP/never"
check "… and removes it after" wait_for 5 gone

# ---- parallel runs get distinct addresses --------------------------------------------
for i in $(seq 1 8); do
	( $N run -- sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}"; sleep 1' > "$TMP/par$i" 2>&1 ) &
done
wait
check_eq "8 parallel runs (network created by the first): 8 distinct addresses" 8 \
	"$(cat "$TMP"/par* | grep -c '^10\.88\.0\.')"
check_eq "… all distinct" 8 "$(cat "$TMP"/par* | sort -u | grep -c '^10\.88\.0\.')"
check "… the network went with the last: every link, table and state" wait_for 5 gone

# ---- a run killed with SIGKILL leaves the network: gc removes it all -----------------
bg_run -p 9093:80 -- sleep 60
K=$!
wait_for 5 sh -c "$N forward list -l run 2>/dev/null | grep -q 9093"
kill -KILL "$K"; wait "$K" 2>/dev/null
check_eq "after SIGKILL of the only run the network is still there" "nsnet0" "$(ip -o link show nsnet0 | awk -F': ' '{print $2}')"
check "nsnet gc" $N gc
check_match "… collects the instance" '1 stale run instance removed' "$(cat "$TMP/out")"
check "… and the network it was the last user of" wait_for 5 gone

# ---- IPv6: the default network is dual-stack -------------------------------------------
# an "internet" namespace behind the sandbox host (documentation prefixes)
ip netns add inet
ip link add inet0 type veth peer name eth0 netns inet
ip addr add 198.51.100.1/24 dev inet0; ip addr add 2001:db8:1::1/64 dev inet0 nodad
ip link set inet0 up
ip -n inet addr add 198.51.100.2/24 dev eth0; ip -n inet addr add 2001:db8:1::2/64 dev eth0 nodad
ip -n inet link set eth0 up; ip -n inet link set lo up
ip netns exec inet socat TCP4-LISTEN:7000,reuseaddr,fork 'SYSTEM:echo "$SOCAT_PEERADDR"' &
PIDS+=($!)
ip netns exec inet socat TCP6-LISTEN:7000,ipv6only=1,reuseaddr,fork 'SYSTEM:echo "$SOCAT_PEERADDR"' &
PIDS+=($!)
wait_for 5 ip netns exec inet sh -c '[ "$(ss -ltn | grep -c ":7000 ")" = 2 ]'
bg_run --name v6a -p 8081:80 -- socat TCP6-LISTEN:80,ipv6only=0,reuseaddr,fork "SYSTEM:read x; echo v6a-\$x"
V6A=$!
wait_for 5 ip netns exec v6a sh -c 'ss -ltn | grep -q ":80 "'
check_eq "the bridge has 10.88.0.1/16 and fd88::1/64" "10.88.0.1/16 fd88::1/64" \
	"$(ip -j addr show nsnet0 | jq -r '[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] | join(" ")')"
check_eq "a run gets the IPv6 address with its IPv4 host number, usable at once" "10.88.0.2/16 fd88::2/64 " \
	"$(ip netns exec v6a ip -j addr show eth0 | jq -r '[.[0].addr_info[] | select(.scope == "global") | "\(.local)/\(.prefixlen)"] | join(" ")') $(ip netns exec v6a ip -j addr show eth0 | jq -r '[.[0].addr_info[] | select(.tentative)] | map(.local) | join(" ")' | grep -v '^fe80')"
check_eq "… and an IPv6 default route via fd88::1" "fd88::1" "$(ip netns exec v6a ip -6 -j route show default | jq -r '.[0].gateway')"
check_eq "status -j: address6" "fd88::2/64" "$($N status -j run | jq -r '.runs[] | select(.name == "v6a") | .address6')"
check "another run pings it over IPv6" $N run -- ping -6 -c1 -W2 fd88::2
check_eq "-p 8081:80 from the host on [fd88::1]" v6a-a "$(tcp '[fd88::1]:8081' a)"
check_eq "… on 127.0.0.1" v6a-b "$(tcp 127.0.0.1:8081 b)"
check_eq "… from another run through [fd88::1]" v6a-c "$($N run -- sh -c "echo c | timeout 5 socat -T3 - TCP:[fd88::1]:8081")"
check_eq "… from the internet namespace on the host's IPv6 address" v6a-d \
	"$(ip netns exec inet bash -c "$(declare -f tcp); tcp '[2001:db8:1::1]:8081' d")"
check_match "the forward is in both families" 'run:v6a:80 \(10\.88\.0\.2\).*run:v6a:80 \(fd88::2\)' \
	"$($N forward list -l run | paste -sd' ')"
check_eq "masquerade, IPv4: the internet sees the host's address" "198.51.100.1" \
	"$($N run -- timeout 5 socat -u -T3 TCP:198.51.100.2:7000 -)"
check_eq "masquerade, IPv6: the internet sees the host's address" "[2001:0db8:0001:0000:0000:0000:0000:0001]" \
	"$($N run -- timeout 5 socat -u -T3 TCP:[2001:db8:1::2]:7000 -)"
check_eq "--ip6 chooses the address" "fd88::99/64" \
	"$($N run --ip6 fd88::99 -- ip -6 -o addr show eth0 scope global | awk '{print $4}')"
bg_run --ip6 fd88::4 -- sleep 30
X6=$!
wait_for 5 sh -c "$N status -j run | jq -e '.runs[] | select(.address6 == \"fd88::4/64\")' > /dev/null"
check_eq "a run beside one holding fd88::4 (itself on 10.88.0.3): 10.88.0.4 is skipped, its IPv6 twin taken" \
	"10.88.0.5/16 fd88::5/64" \
	"$($N run -- sh -c 'ip -o addr show eth0 scope global' | awk '{print $4}' | paste -sd' ')"
kill -TERM "$X6"; wait "$X6"
check_status "--ip6 of another run: exit 1" 1 $N run --ip6 fd88::2 -- touch "$TMP/never"
check_match "… says it is in use" 'fd88::2 is in use' "$(cat "$TMP/out")"
check_status "--ip6 outside the bridge's IPv6 subnet: exit 2" 2 $N run --ip6 fd99::5 -- touch "$TMP/never"
check_match "… names the subnet" 'not a host address of bridge nsnet0.s subnet fd88::/64' "$(cat "$TMP/out")"
check_fail "… CMD never ran" test -e "$TMP/never"
kill -TERM "$V6A"; wait "$V6A"
check "… the IPv6 forward went with it" sh -c "! nft list ruleset | grep -q 'fd88::2'"
check "the network goes with the last run" wait_for 5 sh -c "! ip link show nsnet0 2>/dev/null"
check_eq "NSNET_RUN_SUBNET6=none: IPv4 only" "10.88.0.2/16|" \
	"$(NSNET_RUN_SUBNET6=none $N run -- sh -c 'ip -4 -o addr show eth0 | awk "{print \$4}"; echo "|"; ip -6 -o addr show eth0 scope global' | tr -d '\n')"
check_status "NSNET_RUN_SUBNET6 not IPv6: exit 2" 2 env NSNET_RUN_SUBNET6=10.0.0.0/8 $N run -- true
check_match "… says what it wants" 'NSNET_RUN_SUBNET6 "10.0.0.0/8": want an IPv6 subnet' "$(cat "$TMP/out")"
ip netns del inet
