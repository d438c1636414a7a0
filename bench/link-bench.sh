#!/bin/bash
# `nsnet link set` timings, inside a throwaway sandbox: a lab of N hosts on a
# bridge (--topo star,N; default 10), then each command many times with
# hyperfine (or a shell loop without it): set h1:eth0 down / up, rate
# 10mbit / 20mbit (tbf replaced in place at both ends), clear, and `nsnet
# --version` as the floor (process start). Wall-clock medians in ms, the
# work (median minus the floor's) and the CPU time (user + system, mean) of
# the command: on a loaded machine the wall clock also counts waits for the
# kernel's rtnl lock, which other users of the host hold.
#   bench/link-bench.sh [N]      (B=build dir, default build; RUNS, default 200)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}; case $B in /*) ;; *) B=$ROOT/$B ;; esac
N=${1:-10}
RUNS=${RUNS:-200}
if [ "${NSNET_BENCH_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "link-bench: needs root (for the sandbox)" >&2; exit 1; }
	exec unshare --net --mount --pid --fork --mount-proc env NSNET_BENCH_INSIDE=1 B="$B" \
		RUNS="$RUNS" "$0" "$@"
fi
mount --make-rslave /
for d in /run/netns /run/nsnet; do mkdir -p $d; mount -t tmpfs tmpfs $d; done
ip link set lo up
NS=$B/nsnet
$NS up -q --topo star,"$N" || { echo "link-bench: up failed" >&2; exit 1; }
node=$($NS status -j | jq -r '.nodes[0].name')
ep=$node:eth0
echo "link-bench: star,$N, cable $ep, $RUNS runs each (median ms)"

median_loop() {	# shell loop fallback: median of RUNS wall times in ms
	local i s e
	for i in $(seq "$RUNS"); do
		s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N)
		echo $(( (e - s) / 1000 ))
	done | sort -n | awk '{a[NR]=$1} END {printf "%.3f\n", a[int((NR+1)/2)] / 1000}'
}
measure() {	# NAME CMD…
	local name=$1 m cpu=-; shift
	if command -v hyperfine >/dev/null; then
		hyperfine -N --warmup 10 --runs "$RUNS" --export-json /tmp/link-bench.json "$*" \
			>/dev/null 2>&1
		m=$(jq -r '.results[0].median * 1000 | . * 1000 | round / 1000' /tmp/link-bench.json)
		cpu=$(jq -r '(.results[0].user + .results[0].system) * 1000 | . * 1000 | round / 1000' \
			/tmp/link-bench.json)
	else
		m=$(median_loop "$@")
	fi
	[ -z "${FLOOR:-}" ] && FLOOR=$m
	printf '  %-30s %8s ms   work %6s ms   cpu %6s ms\n' "$name" "$m" \
		"$(echo "$m - $FLOOR" | bc)" "$cpu"
}
measure "nsnet --version (floor)" "$NS" --version
measure "link set $ep down" "$NS" link set "$ep" down
measure "link set $ep up" "$NS" link set "$ep" up
measure "link set $ep rate 10mbit" "$NS" link set "$ep" rate 10mbit
measure "link set $ep clear" "$NS" link set "$ep" clear
"$NS" link set "$ep" rate 10mbit
measure "link set $ep rate 20mbit" "$NS" link set "$ep" rate 20mbit
measure "link show ($N cables)" "$NS" link show
# the kernel state after all that: both ends at 20mbit, up
tc -j qdisc show dev "$($NS link show -j | jq -r --arg e "$ep" '.[] | select(.link==$e) | .peer | sub("host:";"")')" |
	jq -r '"  host end qdisc: \(.[0].kind) rate \(.[0].options.rate * 8 / 1000000)mbit"'
$NS down -q
