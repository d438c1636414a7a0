#!/bin/bash
# Benchmark: `up` of a running lab (a converge), in one run, in a throwaway
# sandbox. For each generated topology (default star,1000 and tree,3,10):
# the empty converge (`up --topo SPEC` again). For a 1000-node star written
# out as a lab FILE: the empty converge of the file, one node added (a file
# with 1001 nodes) and removed (back to 1000), and `down` + `up` of the same
# lab, with the ratios. Medians of RUNS (default 5) runs, wall time of the
# nsnet process.
# Usage: bench/converge.sh [N] [TOPO…]   (defaults: 1000 star,1000 tree,3,10)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}
N=${RUNS:-5}
SIZE=${1:-1000}
shift 2>/dev/null
TOPOS=${*:-star,$SIZE tree,3,10}

if [ "${NSNET_BENCH_INSIDE:-}" != 1 ]; then
	exec unshare --net --mount --pid --fork --mount-proc env NSNET_BENCH_INSIDE=1 "$0" "$SIZE" $TOPOS
fi
mount --make-rslave /
for d in /run/netns /run/nsnet; do mkdir -p $d; mount -t tmpfs tmpfs $d; done
ip link set lo up
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
NSNET=$B/nsnet

# ms CMD…: "WALL CPU" of CMD in microseconds (a failure is reported)
ms() {
	local TIMEFORMAT='%3R %3U %3S' t
	t=$( { time "$@" > "$TMP/o" 2>&1 || { echo "bench: FAILED: $*" >&2; cat "$TMP/o" >&2; }; } 2>&1 )
	echo "$t" | awk '{printf "%d %d\n", $1 * 1e6, ($2 + $3) * 1e6}'
}
# median of field $1 (1 wall, 2 CPU) of "WALL CPU" lines, in ms
median() { awk -v f="${1:-1}" '{print $f}' | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)] / 1000}'; }
# row DESC LINES: wall and CPU medians
row() { printf '%-48s %9s ms %9s ms\n' "$1" "$(echo "$2" | median 1)" "$(echo "$2" | median 2)"; }

# a star of $1 nodes (h1..hN on br0, 10.0.0.0/16, default route via the host) as a file
star_file() {
	awk -v n="$1" 'BEGIN {
		print "name: cstar"; print "bridges:"; print "  br0: { addresses: [10.0.0.1/16] }"
		print "nodes:"
		for (i = 1; i <= n; i++)
			printf "  h%d: { interfaces: { eth0: { bridge: br0, addresses: [10.0.%d.%d/16] } }, routes: [\"default via 10.0.0.1\"] }\n", i, int((i + 1) / 256), (i + 1) % 256
	}'
}

echo "converge benchmark: medians of $N runs of the nsnet process (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-48s %12s %12s\n' "" "wall" "CPU (u+s)"
for spec in $TOPOS; do
	row "up --topo $spec (first, for reference)" "$(ms "$NSNET" up -q --topo "$spec")"
	v=(); for r in $(seq "$N"); do v+=("$(ms "$NSNET" up -q --topo "$spec")"); done
	row "empty converge: up --topo $spec again" "$(printf '%s\n' "${v[@]}")"
	"$NSNET" down -q > /dev/null 2>&1
done

star_file "$SIZE" > "$TMP/a.yaml"
star_file $((SIZE + 1)) > "$TMP/b.yaml"
"$NSNET" up -q "$TMP/a.yaml" || { echo "bench: up of the $SIZE-node file failed" >&2; exit 1; }
v=(); for r in $(seq "$N"); do v+=("$(ms "$NSNET" up -q "$TMP/a.yaml")"); done
E=$(printf '%s\n' "${v[@]}")
row "empty converge: up FILE ($SIZE nodes) again" "$E"
a=(); d=()
for r in $(seq "$N"); do
	a+=("$(ms "$NSNET" up -q "$TMP/b.yaml")")
	d+=("$(ms "$NSNET" up -q "$TMP/a.yaml")")
done
A=$(printf '%s\n' "${a[@]}"); D=$(printf '%s\n' "${d[@]}")
row "one node added: up FILE ($((SIZE + 1)) nodes)" "$A"
row "one node removed: up FILE ($SIZE nodes)" "$D"
dn=(); up=()
for r in $(seq $(( N < 3 ? N : 3 ))); do
	dn+=("$(ms "$NSNET" down -q cstar)")
	up+=("$(ms "$NSNET" up -q "$TMP/a.yaml")")
done
DN=$(printf '%s\n' "${dn[@]}"); UP=$(printf '%s\n' "${up[@]}")
row "down FILE ($SIZE nodes)" "$DN"
row "up FILE ($SIZE nodes), fresh" "$UP"
"$NSNET" down -q cstar
EMPTY=$(echo "$E" | median 1); ADD=$(echo "$A" | median 1); DEL=$(echo "$D" | median 1)
RT=$(echo "$(echo "$DN" | median 1) + $(echo "$UP" | median 1)" | bc -l)
printf 'ratio one node added / (down + up):   1/%.0f\n' "$(echo "$RT / $ADD" | bc -l)"
printf 'ratio one node removed / (down + up): 1/%.0f\n' "$(echo "$RT / $DEL" | bc -l)"
printf 'targets (wall): empty <= 20 ms: %s; add, remove <= 50 ms: %s %s; <= 1/20 of down+up: %s %s\n' \
	"$(echo "$EMPTY <= 20" | bc)" "$(echo "$ADD <= 50" | bc)" "$(echo "$DEL <= 50" | bc)" \
	"$(echo "$ADD * 20 <= $RT" | bc)" "$(echo "$DEL * 20 <= $RT" | bc)"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
