#!/bin/bash
# 16 parallel `nsnet run` on one bridge (the default network), twice: each
# round races the network's creation on first use (it goes with the last run). Each has a
# --name and a -p forward of its own and waits until all 16 are running:
# all start, 16 distinct addresses (nsnet status -j runs[] and the kernel),
# each pings its neighbour, all exit 0, and nothing is left: reservations,
# links, named netns, forwards, journal lines, nft rules.
. ./lib.sh
N=$NSNET
RS=/run/nsnet/run
n=16

leftovers() {	# what the runs may leave: reservations, nsr links, names, forwards, journal, nft
	{ ls -A "$RS" 2>/dev/null | grep '^run\.'
	  ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^nsr'
	  ls -A /run/netns
	  cat "$RS/forwards" 2>/dev/null
	  cat "$RS/journal" 2>/dev/null
	  nft -s -j list ruleset | jq -c 'walk(if type == "object" then del(.handle) else . end)'; } 2>&1
}
round() {	# DESC
	local desc=$1 i st ok=0 addrs pids=() pinged=0
	rm -f "$TMP"/up.* "$TMP/go" "$TMP"/rc.*
	for i in $(seq 1 $n); do
		$N run --name r$i -p $((9000 + i)):80 -- sh -c \
			"touch $TMP/up.$i; k=0; while [ ! -e $TMP/go ] && [ \$k -lt 600 ]; do sleep 0.05; k=\$((k + 1)); done" \
			> "$TMP/out.$i" 2>&1 &
		pids+=($!)
	done
	check "$desc: all $n running" wait_for 30 sh -c "[ \$(ls $TMP/up.* 2>/dev/null | wc -l) = $n ]"
	$N status -j run > "$TMP/status" 2>&1
	check_eq "$desc: status -j lists $n runs, alive, named r1..r$n" "$n $n $n" \
		"$(jq '.runs | length' "$TMP/status") $(jq '[.runs[] | select(.alive)] | length' "$TMP/status") $(jq -r '.runs[].name' "$TMP/status" | sort -u | grep -c '^r[0-9]*$')"
	addrs=$(jq -r '.runs[].address' "$TMP/status" | sort -u)
	check_eq "$desc: $n distinct addresses in 10.88.0.0/16" $n "$(echo "$addrs" | grep -c '^10\.88\.0\.[0-9]*/16$')"
	check_eq "$desc: the kernel agrees (eth0 of each named netns)" "$addrs" \
		"$(for i in $(seq 1 $n); do ip -n r$i -4 -o addr show eth0 | awk '{print $4}'; done | sort -u)"
	for i in $(seq 1 $n); do
		nb=$(jq -r ".runs[] | select(.name == \"r$((i % n + 1))\") | .address" "$TMP/status" | cut -d/ -f1)
		ip netns exec r$i ping -c1 -W2 "$nb" > /dev/null 2>&1 && pinged=$((pinged + 1))
	done
	check_eq "$desc: each pings its neighbour" $n $pinged
	check_eq "$desc: $((2 * n)) runtime forwards, one per run and family" $((2 * n)) "$($N forward list -l run | grep -c 'run:r')"
	touch "$TMP/go"
	for i in $(seq 1 $n); do wait "${pids[$((i - 1))]}"; st=$?; [ $st = 0 ] && ok=$((ok + 1)) || cat "$TMP/out.$i"; done
	check_eq "$desc: all $n exit 0" $n $ok
	wait_for 10 no_leftovers
	check_eq "$desc: nothing left (reservations, links, names, forwards, journal, nft)" "$before" "$(leftovers)"
}
no_leftovers() { [ "$(leftovers)" = "$before" ]; }

# each round races the default network's creation; it goes with the last run,
# so "before" is the empty sandbox
check "the default network is not up" test ! -e "$RS/journal"
before=$(leftovers)
round "round 1 (racing its creation)"
round "round 2"
check "… the network went with the last run" test ! -e "$RS/journal"
check_eq "… nothing of it left" "lo" "$(ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
