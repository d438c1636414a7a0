#!/bin/bash
# examples/ospf.yaml: BIRD 2 in three routers in a ring (config from files:,
# started by exec:), a host behind each, no static routes for remote subnets.
# Every pair reaches every other within a bounded time (routes learnt by
# OSPF); a ring link down reroutes; down leaves nothing.
. ./lib.sh
cd "$ROOT" || exit 1
command -v bird > /dev/null || { not_ok "bird (Debian package bird2) is not installed: make deps"; exit 1; }

hosts_reach() {	# every host pings every other host
	local a b
	for a in 1 2 3; do for b in 1 2 3; do
		[ $a = $b ] && continue
		$NSNET exec h$a ping -c1 -W1 -q 10.0.$b.2 > /dev/null 2>&1 || return 1
	done; done
}
check "up examples/ospf.yaml" $NSNET up examples/ospf.yaml -q
s=$(date +%s)
check "within 60 s: pingall passes (every node, every address)" wait_for 60 $NSNET pingall -W 1
echo "# OSPF converged after $(( $(date +%s) - s )) s"
check "pingall" $NSNET pingall
check_match "… 60 addresses, all answered" '0% dropped \(60/60' "$(cat "$TMP/out")"
check_eq "r1 learnt h2's and h3's subnets from BIRD (proto bird)" "10.0.2.0/24 10.0.3.0/24" \
	"$(ip -n r1 -j route show proto bird | jq -r '[.[].dst | select(startswith("10.0.") and . != "10.0.1.0/24")] | sort | join(" ")')"
check_eq "… and no static route for them (proto boot/static)" "" \
	"$(ip -n r1 -j route show proto boot | jq -r '.[].dst' | grep '^10\.0\.[23]\.')"
check_eq "r1 reaches h2 over the r1-r2 link" "eth1" \
	"$(ip -n r1 -j route get 10.0.2.2 | jq -r '.[0].dev')"
check "status: bird running in each router" sh -c "$NSNET status | grep -c 'command r[123] pid [0-9]* running: mkdir -p /run/bird' | grep -qx 3"
pids=$($NSNET status -j | jq -r '.commands[].pid')
ids=$(for r in 1 2 3; do $NSNET exec r$r birdc -s /run/bird/bird.ctl show status | sed -n 's/^Router ID is //p'; done | tr '\n' ' ')
check_eq "three birds, the same control socket path, each its own (in its own /run)" \
	"10.255.255.1 10.255.255.2 10.255.255.3 " "$ids"
check_eq "no bird socket on the host" no "$([ -e /run/bird/bird.ctl ] && echo yes || echo no)"
check "logs r1: bird's output" $NSNET logs r1

# a ring link fails: r1 reaches h2 via r3
check "link r1:eth1 (r1-r2) down" $NSNET link set r1:eth1 down
check "within 30 s: every host reaches every other host again" wait_for 30 hosts_reach
check_eq "r1 reaches h2 through r3 now" "eth2" "$(ip -n r1 -j route get 10.0.2.2 | jq -r '.[0].dev')"
$NSNET pingall -W 1 > "$TMP/p" 2>&1
check_eq "pingall: only the addresses of the failed link go unanswered" "" \
	"$(grep 'no answer' "$TMP/p" | grep -v '(10\.255\.12\.[12])')"
check "link r1:eth1 up" $NSNET link set r1:eth1 up
check "within 30 s: pingall passes again" wait_for 30 $NSNET pingall -W 1

check "down" $NSNET down -q
left=""; for p in $pids; do kill -0 "$p" 2> /dev/null && left+=" $p"; done
check_eq "no bird left" "" "$left$(pgrep -x bird)"
check_eq "nothing left" "" "$(ls -A /run/netns)$(ls /run/nsnet)"
