#!/bin/bash
# Multi-host labs, in one run: two "hosts" (network + mount namespaces joined
# by an underlay bridge, inside a throwaway sandbox) and a lab of 2 x N nodes
# (default 200) on one bridge that spans them. Medians of RUNS (default 3):
#   - up of each host's part vs up of the same N-node part as a lab without
#     hosts: (target: within 1.25x)
#   - down of a part
#   - pingall on host 1 (its N nodes to all 2N) vs pingall of the N-node lab
#     alone (N x (N-1) pairs) (target: within 2x)
# Usage: bench/multihost.sh [N]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}
N=${1:-200}
RUNS=${RUNS:-3}
if [ "${NSNET_BENCH_INSIDE:-}" != 1 ]; then
	exec unshare --net --mount --pid --fork --mount-proc env NSNET_BENCH_INSIDE=1 "$0" "$@"
fi
mount --make-rslave /
ip link set lo up
T=$(mktemp -d)
mkhost() {
	local name=$1 addr=$2 pidf=$T/$1.pid
	unshare --net --mount --propagation private sh -c "
		mount -t tmpfs tmpfs /run/netns && mount -t tmpfs tmpfs /run/nsnet &&
		mount -t sysfs sysfs /sys && ip link set lo up && echo \$\$ > $pidf && exec sleep 100000" &
	while [ ! -s "$pidf" ]; do sleep 0.01; done
	ip link add "u-$name" type veth peer name eth0 netns "/proc/$(cat "$pidf")/ns/net"
	ip link set "u-$name" master under up
	on "$name" ip addr add "$addr" dev eth0
	on "$name" ip link set eth0 up
}
on() { local h=$1; shift; nsenter -t "$(cat "$T/$h.pid")" -n -m "$@"; }
t() { local s; s=$(date +%s.%N); "$@" > /dev/null 2>&1 || echo "bench: FAILED: $*" >&2; echo "$(date +%s.%N) - $s" | bc; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { echo "scale=2; $1 / $2" | bc; }

gen() {	# gen FILE HOSTS(0/1) COUNT
	{
		echo "name: mhb"
		if [ "$2" = 1 ]; then
			echo "hosts:"
			echo "  h1: { address: 10.200.0.1 }"
			echo "  h2: { address: 10.200.0.2 }"
		fi
		echo "bridges:"
		echo "  lan: { addresses: [10.50.255.254/16] }"
		echo "nodes:"
		for i in $(seq 1 "$3"); do
			h=h1; [ "$i" -gt "$N" ] && h=h2
			printf '  n%d: { %sinterfaces: { eth0: { bridge: lan, addresses: [10.50.%d.%d/16] } } }\n' \
				"$i" "$([ "$2" = 1 ] && echo "host: $h, ")" $((i / 250)) $((i % 250 + 1))
		done
	} > "$1"
}
gen "$T/multi.yaml" 1 $((2 * N))
gen "$T/single.yaml" 0 "$N"
ip link add under type bridge && ip link set under up
mkhost h1 10.200.0.1/24; mkhost h2 10.200.0.2/24

declare -a su mu1 mu2 sd md sp mp
for r in $(seq 1 "$RUNS"); do
	su+=("$(t on h1 "$B/nsnet" up -q "$T/single.yaml")")
	sp+=("$(t on h1 "$B/nsnet" pingall -l mhb)")
	sd+=("$(t on h1 "$B/nsnet" down -q mhb)")
	mu1+=("$(t on h1 "$B/nsnet" up -q "$T/multi.yaml" --host h1)")
	mu2+=("$(t on h2 "$B/nsnet" up -q "$T/multi.yaml" --host h2)")
	mp+=("$(t on h1 "$B/nsnet" pingall -l mhb)")
	md+=("$(t on h1 "$B/nsnet" down -q mhb)")
	on h2 "$B/nsnet" down -q mhb
done
m() { printf '%s\n' "$@" | median; }
SU=$(m "${su[@]}") MU1=$(m "${mu1[@]}") MU2=$(m "${mu2[@]}") SD=$(m "${sd[@]}") MD=$(m "${md[@]}")
SP=$(m "${sp[@]}") MP=$(m "${mp[@]}")
printf '%-52s %8s %8s %6s\n' "work (median of $RUNS, load $(cut -d' ' -f1 /proc/loadavg))" "alone s" "hosts s" ratio
printf '%-52s %8.3f %8.3f %6s\n' "up: $N-node part, h1 (vs the same $N nodes alone)" "$SU" "$MU1" "$(ratio "$MU1" "$SU")"
printf '%-52s %8.3f %8.3f %6s\n' "up: $N-node part, h2" "$SU" "$MU2" "$(ratio "$MU2" "$SU")"
printf '%-52s %8.3f %8.3f %6s\n' "down: $N-node part, h1" "$SD" "$MD" "$(ratio "$MD" "$SD")"
printf '%-52s %8.3f %8.3f %6s\n' "pingall on h1: $N x $((2 * N - 1)) vs $N x $((N - 1)) pairs" "$SP" "$MP" "$(ratio "$MP" "$SP")"
for h in h1 h2; do kill "$(cat "$T/$h.pid")"; done
rm -rf "$T"
