#!/bin/bash
# Concurrency: 8 labs up and down in parallel, several rounds; two `up` of the
# same lab at once (one brings it up, the other finds it matching: nothing to
# do); `down` racing `up`;
# no duplicate address; nothing left at the end (ip -j, ls, nft -j).
. ./lib.sh
ROUNDS=${ROUNDS:-10}
N=8

# lab cK: bridge cbrK (auto addressing from 10.K.0.0/24 and fdK::/64), nodes
# cK-a, cK-b, cK-c (namespace prefix "cK-"), a cable a<->b; odd labs have NAT
# (their own nft table, and the shared ip_forward hold).
for k in $(seq 1 $N); do
	{ echo "name: c$k"
	  echo "prefix: \"c$k-\""
	  echo "bridges:"
	  echo "  cbr$k: { subnet: 10.$k.0.0/24, subnet6: \"fd0$k::/64\" }"
	  echo "nodes:"
	  for n in a b c; do
		echo "  $n:"
		echo "    interfaces:"
		echo "      eth0: { bridge: cbr$k, addresses: [auto] }"
		[ $n = c ] || echo "      eth1: { addresses: [10.20$k.0.$([ $n = a ] && echo 1 || echo 2)/30] }"
		echo "    routes: [\"default via 10.$k.0.1\"]"
	  done
	  echo "links:"
	  echo "  - endpoints: [\"a:eth1\", \"b:eth1\"]"
	  if [ $((k % 2)) = 1 ]; then
		echo "nat:"
		echo "  masquerade: [10.$k.0.0/24]"
		echo "  forwards: [{ port: 80$k, to: \"a:80\" }]"
	  fi; } > "$TMP/c$k.yaml"
done
for k in $(seq 1 $N); do "$NSNET" validate "$TMP/c$k.yaml" > "$TMP/o" 2>&1 || { not_ok "lab c$k is valid"; cat "$TMP/o"; }; done

fwd0=$(sysctl -n net.ipv4.ip_forward)
empty() {	# everything gone: namespaces, links, nft tables, state, sysctl
	local why=""
	[ -z "$(ls -A /run/netns)" ] || why+=" netns:$(ls /run/netns | tr '\n' ,)"
	[ "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')" = lo ] || why+=" links:$(ip -j link show | jq -r '[.[].ifname] | join(",")')"
	[ "$(nft -j list tables | jq '[.nftables[] | select(.table)] | length')" = 0 ] || why+=" nft"
	[ -z "$(ls /run/nsnet)" ] || why+=" state:$(ls /run/nsnet | tr '\n' ,)"
	[ "$(sysctl -n net.ipv4.ip_forward)" = "$fwd0" ] || why+=" ip_forward"
	[ -z "$(grep ' /run/netns/' /proc/self/mountinfo)" ] || why+=" mounts"
	echo "${why:-empty}"
}
# every IPv4/IPv6 global address on the host and in every namespace, one a line
all_addrs() {
	{ ip -j addr show; for ns in $(ls /run/netns); do ip -n "$ns" -j addr show; done; } |
		jq -r '.[] | .addr_info[] | select(.scope == "global") | .local'
}

# ---- 8 labs in parallel, ROUNDS times ---------------------------------------------
ups=0 downs=0 bad=0
for r in $(seq 1 "$ROUNDS"); do
	pids=()
	for k in $(seq 1 $N); do "$NSNET" up -q "$TMP/c$k.yaml" > "$TMP/up$k" 2>&1 & pids+=($!); done
	for k in $(seq 1 $N); do
		if wait "${pids[$((k - 1))]}"; then ups=$((ups + 1))
		else bad=$((bad + 1)); not_ok "round $r: up c$k"; sed 's/^/#   /' "$TMP/up$k"; fi
	done
	nns=$(ls /run/netns | wc -l) nbr=$(ip -j -d link show type bridge | jq length)
	ntab=$(nft -j list tables | jq '[.nftables[] | .table.name // empty | select(startswith("nsnet-c"))] | length')
	[ "$nns $nbr $ntab" = "$((3 * N)) $N $((N / 2))" ] || { bad=$((bad + 1)); not_ok "round $r: $nns namespaces, $nbr bridges, $ntab tables"; }
	total=$(all_addrs | wc -l) uniq=$(all_addrs | sort -u | wc -l)
	[ "$total" = "$uniq" ] && [ "$total" = $((N * 10)) ] || { bad=$((bad + 1)); not_ok "round $r: $total addresses, $uniq distinct"; all_addrs | sort | uniq -d | head; }
	[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] || { bad=$((bad + 1)); not_ok "round $r: ip_forward not held"; }
	# pingall of every lab at once (--segment: c does not reach the a-b cable subnet), then status
	pids=()
	for k in $(seq 1 $N); do "$NSNET" pingall --segment -l c$k > "$TMP/ping$k" 2>&1 & pids+=($!); done
	for k in $(seq 1 $N); do wait "${pids[$((k - 1))]}" || { bad=$((bad + 1)); not_ok "round $r: pingall c$k"; sed 's/^/#   /' "$TMP/ping$k" | head -5; }; done
	pids=()
	for k in $(seq 1 $N); do "$NSNET" down -q c$k > "$TMP/down$k" 2>&1 & pids+=($!); done
	for k in $(seq 1 $N); do
		if wait "${pids[$((k - 1))]}"; then downs=$((downs + 1))
		else bad=$((bad + 1)); not_ok "round $r: down c$k"; sed 's/^/#   /' "$TMP/down$k"; fi
	done
	e=$(empty); [ "$e" = empty ] || { bad=$((bad + 1)); not_ok "round $r: left after down:$e"; }
done
check_eq "$ROUNDS rounds of $N labs up, pingall and down in parallel: all fine" \
	"$((ROUNDS * N)) $((ROUNDS * N)) 0" "$ups $downs $bad"
check_eq "… nothing left" empty "$(empty)"

# ---- two `up` of the same lab at once ----------------------------------------------
won=0 said=0 other=0
for r in $(seq 1 "$ROUNDS"); do
	"$NSNET" up "$TMP/c1.yaml" > "$TMP/u1" 2>&1 & p1=$!
	"$NSNET" up "$TMP/c1.yaml" > "$TMP/u2" 2>&1 & p2=$!
	wait $p1; r1=$?; wait $p2; r2=$?
	for x in "$r1 u1" "$r2 u2"; do
		set -- $x
		if [ "$1" = 0 ] && grep -q 'is up:' "$TMP/$2"; then won=$((won + 1))
		elif [ "$1" = 0 ] && grep -q 'nothing to do' "$TMP/$2"; then said=$((said + 1))
		else other=$((other + 1)); not_ok "twin up: exit $1"; sed 's/^/#   /' "$TMP/$2"; fi
	done
	[ "$(ls /run/netns | wc -l)" = 3 ] || { other=$((other + 1)); not_ok "twin up: $(ls /run/netns | wc -l) namespaces"; }
	# and two downs at once: both fine (down is idempotent)
	"$NSNET" down -q c1 & p1=$!; "$NSNET" down -q c1 & p2=$!
	wait $p1 || other=$((other + 1)); wait $p2 || other=$((other + 1))
	e=$(empty); [ "$e" = empty ] || { other=$((other + 1)); not_ok "twin up/down left:$e"; }
done
check_eq "2 × up at once, $ROUNDS times: one brings it up, the other has nothing to do (both exit 0)" \
	"$ROUNDS $ROUNDS 0" "$won $said $other"

# ---- down racing up -------------------------------------------------------------------
good=0 badr=0
for delay in 0 0.005 0.01 0.02 0.03 0.05 0.08 0.12 0.2 0.3; do
	"$NSNET" up -q "$TMP/c2.yaml" > "$TMP/u1" 2>&1 & p1=$!
	sleep $delay
	"$NSNET" down -q c2 > "$TMP/d1" 2>&1; rd=$?
	wait $p1; ru=$?
	# either down came first (the lab is up now, whole; down said "no lab c2 is
	# up", exit 1, if up had not even started) or after (nothing left)
	if [ $rd = 1 ] && grep -q 'no lab c2 is up' "$TMP/d1"; then rd=0; fi
	if [ $rd = 0 ] && [ $ru = 0 ]; then
		if [ -e /run/nsnet/c2/journal ]; then
			"$NSNET" status c2 > /dev/null 2>&1 && [ "$(ls /run/netns | wc -l)" = 3 ] || { badr=$((badr + 1)); not_ok "delay $delay: lab up but not whole"; }
			"$NSNET" down -q c2
		fi
		e=$(empty); if [ "$e" = empty ]; then good=$((good + 1)); else badr=$((badr + 1)); not_ok "delay $delay: left:$e"; fi
	else
		badr=$((badr + 1)); not_ok "delay $delay: up exit $ru, down exit $rd"; cat "$TMP/u1" "$TMP/d1"
		"$NSNET" down -q c2
	fi
done
check_eq "down racing up at 10 delays: consistent, nothing left after" "10 0" "$good $badr"

# ---- everything together: all labs, twin ups and downs, at once ----------------------------
pids=()
for k in $(seq 1 $N); do
	"$NSNET" up -q "$TMP/c$k.yaml" > /dev/null 2>&1 & pids+=($!)
	"$NSNET" up -q "$TMP/c$k.yaml" > /dev/null 2>&1 & pids+=($!)
done
wait "${pids[@]}"
check_eq "a storm of 16 ups: every lab up once" "$((3 * N)) $N" "$(ls /run/netns | wc -l) $(ip -j -d link show type bridge | jq length)"
for k in $(seq 1 $N); do "$NSNET" down -q c$k & "$NSNET" down -q c$k & done; wait
check_eq "16 downs: everything gone" empty "$(empty)"
