#!/bin/bash
# Benchmark: floor probe vs `nsnet up/down` vs a one-`ip`-per-step script, in
# one run, on the same machine, each inside a throwaway sandbox.
# Usage: bench/run.sh [N…]   (default: 100 1000). Env RUNS (default 3): medians.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}
RUNS=${RUNS:-3}
SIZES=${*:-100 1000}

if [ "${NSNET_BENCH_INSIDE:-}" != 1 ]; then
	exec unshare --net --mount --pid --fork --mount-proc env NSNET_BENCH_INSIDE=1 "$0" "$@"
fi
mount --make-rslave /
for d in /run/netns /run/nsnet; do mkdir -p $d; mount -t tmpfs tmpfs $d; done
ip link set lo up

t() { local s=$(date +%s.%N); "$@" >/dev/null 2>&1 || echo "bench: FAILED: $*" >&2; echo "$(date +%s.%N) - $s" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }

ipscript_up() {
	local n=$1 i
	ip link add sbr0 type bridge; ip link set sbr0 up; ip addr add 10.0.0.1/16 dev sbr0
	for i in $(seq 1 "$n"); do
		ip netns add sh$i
		ip link add sv$i type veth peer name eth0 netns sh$i
		ip link set sv$i master sbr0 up
		ip -n sh$i link set lo up
		ip -n sh$i link set eth0 up
		ip -n sh$i addr add 10.0.$((i / 250)).$((i % 250 + 2))/16 dev eth0
		ip -n sh$i route add default via 10.0.0.1
	done
}
ipscript_down() {
	local n=$1 i
	for i in $(seq 1 "$n"); do ip netns del sh$i; done
	while [ "$(ip -o link | wc -l)" -gt 2 ]; do sleep 0.01; done
	ip link del sbr0
}

printf '%-34s %10s %10s %10s %8s\n' "work (median of $RUNS)" "floor s" "nsnet s" "ip s" "ratio"
for n in $SIZES; do
	for topo in star; do
		fu=(); fd=(); nu=(); nd=(); iu=(); id=()
		for r in $(seq "$RUNS"); do
			fu+=("$(t "$B/bench/floor" up "$n")"); fd+=("$(t "$B/bench/floor" down "$n")")
			nu+=("$(t "$B/nsnet" up --topo "star,$n" -q)"); nd+=("$(t "$B/nsnet" down -q)")
			if [ "$n" -le 100 ]; then
				iu+=("$(t ipscript_up "$n")"); id+=("$(t ipscript_down "$n")")
			fi
		done
		m() { printf '%s\n' "$@" | median; }
		FU=$(m "${fu[@]}"); FD=$(m "${fd[@]}"); NU=$(m "${nu[@]}"); ND=$(m "${nd[@]}")
		IU=-; ID=-
		[ ${#iu[@]} -gt 0 ] && IU=$(printf '%.3f' "$(m "${iu[@]}")") && ID=$(printf '%.3f' "$(m "${id[@]}")")
		printf '%-34s %10.3f %10.3f %10s %8.2f\n' "$n hosts on one bridge: up" "$FU" "$NU" "$IU" "$(echo "$NU / $FU" | bc -l)"
		printf '%-34s %10.3f %10.3f %10s %8.2f\n' "$n hosts: down" "$FD" "$ND" "$ID" "$(echo "$ND / $FD" | bc -l)"
	done
	if [ "$n" -ge 1000 ]; then
		kb=$(rss "$B/nsnet" up --topo "star,$n" -q); "$B/nsnet" down -q
		echo "peak RSS of nsnet up --topo star,$n: $((kb / 1024)) MiB"
	fi
done
