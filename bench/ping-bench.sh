#!/bin/bash
# pingall engine benchmark: a 100-node star in a throwaway sandbox, all 9,900
# pairs pinged by build/tests/netns-pingctl (lib/ping.c); hyperfine if present.
# Usage: bench/ping-bench.sh [N]   (B=build dir, default build; TOPO=routed|bridge)
#
# TOPO=routed (default): every node on its own /24 to a router namespace: 2N
# neighbour entries. TOPO=bridge: all nodes on one bridge: N*(N-1) entries —
# the kernel's neighbour table is global to all namespaces and capped by the
# init namespace's gc_thresh3 (often 1024), so a bridged full mesh above ~30
# nodes overflows it for the whole machine; refused unless FORCE=1.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}
N=${1:-100}
TOPO=${TOPO:-routed}
PINGCTL=$B/tests/netns-pingctl
if [ "${NSNET_BENCH_INSIDE:-}" != 1 ]; then
	[ -x "$PINGCTL" ] || { echo "build first: make B=$B" >&2; exit 1; }
	if [ "$TOPO" = bridge ] && [ $((N * (N - 1))) -gt 800 ] && [ "${FORCE:-}" != 1 ]; then
		echo "TOPO=bridge with N=$N needs $((N * (N - 1))) neighbour entries (global limit gc_thresh3); use FORCE=1" >&2
		exit 2
	fi
	export NSNET_BENCH_INSIDE=1 B N TOPO
	exec unshare --net --mount --pid --fork --mount-proc bash "$0" "$N"
fi

# inside the sandbox: private mounts, tmpfs over /run/netns
mount --make-rslave /
mkdir -p /run/netns && mount -t tmpfs -o mode=0755 tmpfs /run/netns
ip link set lo up
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
nodes=()
if [ "$TOPO" = bridge ]; then
	{ echo "link add brbench type bridge"; echo "link set brbench up"
	  for i in $(seq 1 "$N"); do
		echo "netns add h$i"
		echo "link add vh$i type veth peer name eth0 netns h$i"
		echo "link set vh$i master brbench up"
	  done; } > "$T/b"
	ip -batch "$T/b"
	for i in $(seq 1 "$N"); do
		a=10.9.$((i / 250)).$((i % 250 + 1))
		printf 'link set lo up\nlink set eth0 up\naddr add %s/16 dev eth0\n' "$a" | ip -n "h$i" -b -
		nodes+=("h$i:$a")
	done
else
	{ echo "netns add r"
	  for i in $(seq 1 "$N"); do
		echo "netns add h$i"
		echo "link add eth0 netns h$i type veth peer name r$i netns r"
	  done; } > "$T/b"
	ip -batch "$T/b"
	ip netns exec r sysctl -qw net.ipv4.ip_forward=1
	{ echo "link set lo up"
	  for i in $(seq 1 "$N"); do
		echo "link set r$i up"
		echo "addr add 10.$((i / 250 + 10)).$((i % 250)).1/24 dev r$i"
	  done; } | ip -n r -b -
	for i in $(seq 1 "$N"); do
		net=10.$((i / 250 + 10)).$((i % 250))
		printf 'link set lo up\nlink set eth0 up\naddr add %s.2/24 dev eth0\nroute add default via %s.1\n' \
			"$net" "$net" | ip -n "h$i" -b -
		nodes+=("h$i:$net.2")
	done
fi
printf '%s\n' "${nodes[@]}" > "$T/nodes"
echo "topology: $TOPO, $N nodes, $((N * (N - 1))) pairs"
echo "cold run: $("$PINGCTL" -q -t 10000 "${nodes[@]}" | tail -1)"
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 2 --runs 20 -n "pingall $TOPO N=$N" "$PINGCTL -q -t 10000 $(tr '\n' ' ' < "$T/nodes")"
else
	for r in $(seq 1 10); do "$PINGCTL" -q -t 10000 "${nodes[@]}" | tail -1; done
fi
