# Helpers for the VM tests (sourced after tests/netns/lib.sh).
# pingstat NS ADDR COUNT INTERVAL : "LOSS_PERCENT MIN_RTT_MS AVG_RTT_MS" from
# iputils ping in namespace NS, after one ping that fills the neighbour cache
# (RTTs are "-" when nothing came back). Delay checks use MIN: netem's delay
# is a floor, and the emulated CPU on a busy host only adds to it.
pingstat() {
	ip netns exec "$1" ping -n -q -c 1 -W 2 "$2" > /dev/null 2>&1
	ip netns exec "$1" ping -n -q -c "$3" -i "$4" -W 2 "$2" 2>&1 |
	awk '/packet loss/ { for (i = 1; i <= NF; i++) if ($i ~ /%$/) { sub(/%/, "", $i); loss = $i } }
	     /^rtt|^round-trip/ { split($4, v, "/"); min = v[1]; avg = v[2] }
	     END { printf "%s %s %s\n", loss == "" ? 100 : loss, min == "" ? "-" : min, avg == "" ? "-" : avg }'
}
# within DESC GOT LO HI : ok when LO <= GOT <= HI (numbers, GOT may be "-")
within() {
	if [ "$2" != "-" ] && awk -v g="$2" -v l="$3" -v h="$4" 'BEGIN { exit !(g >= l && g <= h) }'; then
		ok "$1 ($2 in [$3, $4])"
	else
		not_ok "$1 ($2 not in [$3, $4])"
	fi
}
# static_neigh A B : permanent neighbour entries for 10.9.0.1 (A) and 10.9.0.2
# (B) on their eth0: with loss on the cable, a lost ARP probe would fail a
# stale entry and drop the pings queued behind it (losses netem did not make)
static_neigh() {
	ip -n "$1" neigh replace 10.9.0.2 dev eth0 nud permanent \
		lladdr "$(ip -n "$2" -j link show eth0 | jq -r '.[0].address')" &&
	ip -n "$2" neigh replace 10.9.0.1 dev eth0 nud permanent \
		lladdr "$(ip -n "$1" -j link show eth0 | jq -r '.[0].address')"
}
# pair A B : namespaces A and B on one veth cable, 10.9.0.1/24 and 10.9.0.2/24,
# static neighbours
pair() {
	ip netns add "$1" && ip netns add "$2" &&
	ip -n "$1" link add eth0 type veth peer name eth0 netns "$2" &&
	ip -n "$1" addr add 10.9.0.1/24 dev eth0 && ip -n "$2" addr add 10.9.0.2/24 dev eth0 &&
	ip -n "$1" link set eth0 up && ip -n "$2" link set eth0 up &&
	ip -n "$1" link set lo up && ip -n "$2" link set lo up && static_neigh "$1" "$2"
}
