#!/bin/bash
# Crash and fault injection for `nsnet run`: SIGKILLed right before each of its
# kernel operations (NSNET_CRASH_AT=k, k = 1.. until it completes), then `nsnet
# gc`, must leave the sandbox exactly as before; its k-th operation failing
# (NSNET_FAIL_AT=k) must make it exit non-zero with the error, without running
# CMD, and leave the sandbox as before by itself. Swept: the default network's
# creation on first use and its removal when that run ends (a crash is cleaned
# by `nsnet down run`), then runs on the kept default network (plain, --name,
# -p, both) and on the seed lab (plain, -p with --name).
# Operations after CMD ran (removing the forward and the name) are swept too:
# a crash there is collected by gc; a failure there is reported ("cleanup")
# and what it could not remove is collected by gc.
. ./lib.sh
N=$NSNET
M=$TMP/marker	# CMD's trace: it ran

# What "as before" compares. Lock files (/run/nsnet/.LAB.lock) are made on a
# lab's first use and stay, like any flock file; nft handles change when the
# lab's table is rewritten (every forward change); the bridge's link-local
# address and carrier (route "linkdown") follow its ports' comings and goings.
snap() {
	{ ip -j -d link show | jq -c '[.[] | {ifname, ifalias, master, group}]'
	  ip -j addr show | jq -c '[.[] | {ifname, a: [.addr_info[] | select(.scope != "link") | "\(.local)/\(.prefixlen)"]}]'
	  ip route show | sed 's/ linkdown//'; ip -6 route show | grep -v '^fe80::/64'
	  ls -A /run/netns; grep ' /run/netns' /proc/self/mountinfo | awk '{print $5}'
	  nft -s -j list ruleset | jq -c 'walk(if type == "object" then del(.handle) else . end)'
	  ls -A /run/nsnet | grep -v '\.lock$'
	  for d in /run/nsnet/*/; do
		[ -d "$d" ] || continue
		echo "== $d"; ls -A "$d"; cat "$d/journal" "$d/forwards" 2>/dev/null
	  done
	  sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
	  ps -e -o comm= | grep -E '^(nsnet|nsnet-init|true|touch)$'; } 2>&1
}
# settled WANT…: poll until the sandbox is one of WANT (a dead namespace's veth
# and processes go asynchronously); $now is the last snapshot
settled() {
	local i w
	for i in $(seq 50); do
		now=$(snap)
		for w in "$@"; do [ "$now" = "$w" ] && return 0; done
		sleep 0.1
	done
	return 1
}
# nsnet run with NSNET_$1=$2 and CMD "touch $M"; exit status in $rc, output in $TMP/o
inject() {
	local var=$1 k=$2; shift 2
	rm -f "$M"
	rc=$( { env "NSNET_$var=$k" $N run "$@" -- touch "$M" > "$TMP/o" 2>&1; echo $?; } 2>/dev/null )
}
recover() { $N $1 -q > /dev/null 2>&1; [ -e /run/netns/x ] && $N ns del x; }	# after a failed check
diffs() { diff <(echo "$1") <(echo "$2") | head -${3:-20}; cat "$TMP/o"; }

# crash_sweep DESC AFTER OPTS…: crash at k = 1.. until run completes, then
# `nsnet AFTER` (gc, or down run); the sandbox must be $before. Sets $total
# and $late (the last $late operations come after CMD ran: the cleanup).
crash_sweep() {
	local desc=$1 after=$2 ok=0 bad=0 k=1; shift 2
	late=0
	while [ $k -le 100 ]; do
		inject CRASH_AT $k "$@"
		[ "$rc" = 0 ] && break
		if [ "$rc" != 137 ]; then bad=$((bad + 1)); not_ok "$desc: crash at $k: exit $rc"; cat "$TMP/o"; fi
		[ -e "$M" ] && late=$((late + 1))
		$N $after -q > "$TMP/a" 2>&1 || { not_ok "$desc: $after after crash at $k failed"; cat "$TMP/a"; }
		if settled "$before"; then ok=$((ok + 1))
		else bad=$((bad + 1)); not_ok "$desc: crash at op $k, then $after: sandbox differs"; diffs "$before" "$now"
			recover "$after"; fi
		[ $bad -ge 5 ] && { not_ok "$desc: giving up"; break; }
		k=$((k + 1))
	done
	total=$((k - 1))
	check "$desc: completes after $total crash points" test "$rc" = 0 -a -e "$M"
	check_eq "$desc: crash at each of $total ops ($late after CMD ran), then $after: sandbox as before" \
		"$total 0" "$ok $bad"
	CRASHES=$((CRASHES + total))
}
# fail_sweep DESC OPTS…: k = 1..$total. Set-up ops: exit != 0 with the
# injected error, CMD never ran, the sandbox as before without gc.
# The last $late (cleanup) ops: CMD ran, the error is reported as a cleanup
# error, and gc collects what could not be removed.
fail_sweep() {
	local desc=$1 ok=0 bad=0 k; shift
	for k in $(seq 1 "$total"); do
		inject FAIL_AT $k "$@"
		if [ $k -gt $((total - late)) ]; then
			$N gc -q
			if [ -e "$M" ] && grep -q 'cleanup.*\(injected fault\|Input/output error\)' "$TMP/o" &&
			   settled "$before"; then
				ok=$((ok + 1))
			else bad=$((bad + 1)); not_ok "$desc: fail at op $k (cleanup), then gc: exit $rc"; diffs "$before" "$now"; fi
		elif [ "$rc" != 0 ] && [ ! -e "$M" ] && grep -q 'injected fault\|Input/output error' "$TMP/o" &&
		     settled "$before"; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1)); not_ok "$desc: fail at op $k: exit $rc, CMD ran: $([ -e "$M" ] && echo yes || echo no)"
			diffs "$before" "$now"; recover gc
		fi
		[ $bad -ge 5 ] && { not_ok "$desc: giving up"; break; }
	done
	check_eq "$desc: a fault at each of $total ops ($((total - late)) in set-up: exit != 0, CMD not run, nothing left; $late in the cleanup: reported, gc collects)" \
		"$total 0" "$ok $bad"
	FAILS=$((FAILS + total))
}
CRASHES=0 FAILS=0
nsr_gone() { ! ip -o link show | grep -q ' nsr'; }

# ---- the default network created on first use (and removed with the run) -------------
before=$(snap)
crash_sweep "first run (creates and removes the default network)" "down run"
check "… the sandbox as before: the network went with the run that completed" settled "$before"
fail_sweep "first run (creates and removes the default network)"

# ---- runs on the default network (kept: part of "before") ----------------------------
check "the default network is up (--keep-network)" $N run --keep-network -- true
wait_for 5 nsr_gone
before=$(snap)
for opts in "" "--name x" "-p 8080:80" "-p 8080:80 --name x"; do
	crash_sweep "run ${opts:-(plain)}" gc $opts
	fail_sweep "run ${opts:-(plain)}" $opts
done
check "nsnet down run" $N down run

# ---- runs on the seed lab ------------------------------------------------------------
check "nsnet up (seed)" $N up -q
before=$(snap)
for opts in "" "-p 8088:80 --name x"; do
	crash_sweep "run -l seed ${opts:-(plain)}" gc -l seed $opts
	fail_sweep "run -l seed ${opts:-(plain)}" -l seed $opts
done
check "nsnet down seed" $N down seed -q
echo "# points swept: $CRASHES crash, $FAILS fault"
