#!/bin/bash
# Scale benchmark, all in ONE run (one throwaway sandbox, one machine state):
#   floor probe (bench/floor.c) and nsnet up/down for star,N at N = 1000,
#   3000, 10000 (above 1023 hosts both build a fabric of leaf bridges);
#   linear,1000 and tree,3,10, each with a floor of its own shape (floor's
#   chain of leaf bridges with the same bridge and host counts); the kernel's
#   own cost of their bridges alone (floor bridges B); peak RSS and open files
#   of `nsnet up` per N; `nsnet pingall` (every pair) over star,N0 and the
#   other shapes.
# Prints every time, the ratios against star,1000 and against the floor, and
# the growth exponent of up and down time over N (least-squares slope of
# log t against log N: 1 is linear).
# Usage: bench/scale.sh   Env: RUNS (default 1; medians of RUNS),
#   SIZES (default "1000 3000 10000"; the first is the reference star),
#   OTHERS (default "linear,1000 tree,3,10"), BRIDGES (default "1000 111":
#   their bridges, for the kernel's cost of bridges alone), PINGS (default
#   "star,N0 tree,3,10 linear,400": the labs pingall runs over; every pair of
#   linear,N crosses N/3 bridges on average, ~8 min at linear,1000 here).
# Between measurements it waits for the kernel to finish destroying the last
# lab's namespaces (asynchronous), so one lab's cleanup does not slow the next.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}
RUNS=${RUNS:-1}
SIZES=${SIZES:-1000 3000 10000}
OTHERS=${OTHERS:-linear,1000 tree,3,10}
BRIDGES=${BRIDGES:-1000 111}
PINGS=${PINGS:-star,${SIZES%% *} tree,3,10 linear,400}

if [ "${NSNET_BENCH_INSIDE:-}" != 1 ]; then
	echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)  ($(nproc) CPUs, kernel $(uname -r))"
	exec unshare --net --mount --pid --fork --mount-proc env NSNET_BENCH_INSIDE=1 "$0" "$@"
fi
mount --make-rslave /
for d in /run/netns /run/nsnet; do mkdir -p $d; mount -t tmpfs tmpfs $d; done
ip link set lo up
ulimit -n "$(ulimit -Hn)"

nns() { awk '$1 == "net_namespace" {print $2}' /proc/slabinfo 2>/dev/null || echo 0; }
BASE=$(nns)
settle() {	# until the namespaces of the last lab are destroyed (at most 120 s): the
	# count is back near the start or has stopped falling for 1 s (other
	# namespaces on the machine, e.g. other work's, may come and go)
	local i c last=-1 same=0
	for i in $(seq 600); do
		c=$(nns)
		[ "$c" -le $((BASE + 32)) ] && return
		if [ "$c" = "$last" ]; then same=$((same + 1)); [ $same -ge 5 ] && return
		else same=0; fi
		last=$c; sleep 0.2
	done
}
t() {	# seconds of CMD (after the machine settled)
	local s
	settle
	s=$(date +%s.%N)
	"$@" >/dev/null 2>&1 || echo "bench: FAILED: $*" >&2
	echo "$(date +%s.%N) - $s" | bc
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m() { printf '%s\n' "$@" | median; }
# peak RSS (KiB) and peak open files of CMD (fds sampled every 0.1 s)
peak() {
	local f=$(mktemp) p fds=0 n
	settle
	/usr/bin/time -f %M -o "$f" "$@" >/dev/null 2>&1 &
	p=$!
	while kill -0 $p 2>/dev/null; do
		for c in $(pgrep -P $p); do
			n=$(ls /proc/$c/fd 2>/dev/null | wc -l)
			[ "$n" -gt "$fds" ] && fds=$n
		done
		sleep 0.1
	done
	wait $p
	echo "$(tail -1 "$f") $fds"
	rm -f "$f"
}
slope() {	# "N t" lines -> least-squares slope of ln t over ln N
	awk '$2 > 0 {x = log($1); y = log($2); n++; sx += x; sy += y; sxx += x * x; sxy += x * y}
	     END {d = n * sxx - sx * sx; if (n < 2 || d == 0) print "-"; else printf "%.2f", (n * sxy - sx * sy) / d}'
}
declare -A U D
run() {	# KEY UPCMD… -- DOWNCMD…
	local k=$1 up=() down=() us=() ds=() r; shift
	while [ "$1" != -- ]; do up+=("$1"); shift; done; shift
	down=("$@")
	for r in $(seq "$RUNS"); do
		us+=("$(t "${up[@]}")"); ds+=("$(t "${down[@]}")")
	done
	U[$k]=$(m "${us[@]}"); D[$k]=$(m "${ds[@]}")
}

for n in $SIZES; do
	run "floor star,$n" "$B/bench/floor" up "$n" -- "$B/bench/floor" down "$n"
	run "nsnet star,$n" "$B/nsnet" up --topo "star,$n" -q -- "$B/nsnet" down -q
done
# the floor of each other shape: floor's chain of leaf bridges with the same
# bridge and host counts (linear,N: N leaves of 1 host; tree,D,F: F^(D-1)
# leaves of F hosts), so the kernel's cost of its bridges is in the floor
floor_args() {
	case $1 in
	linear,*) echo "${1#linear,} --leaf 1" ;;
	tree,*,*) local d f; IFS=, read -r _ d f <<< "$1"; echo "$((f ** d)) --leaf $f" ;;
	esac
}
for o in $OTHERS; do
	fa=$(floor_args "$o")
	# shellcheck disable=SC2086
	[ -n "$fa" ] && run "floor $o" "$B/bench/floor" up $fa -- "$B/bench/floor" down $fa
	run "nsnet $o" "$B/nsnet" up --topo "$o" -q -- "$B/nsnet" down -q
done
for nb in $BRIDGES; do
	settle
	read -r bu bd < <("$B/bench/floor" bridges $nb 2>/dev/null)
	U["kernel: $nb bridges"]=$bu; D["kernel: $nb bridges"]=$bd
done

REF=${SIZES%% *}
S1=${U[nsnet star,$REF]:-}; S1D=${D[nsnet star,$REF]:-}
# pingall over the reference star and the other shapes: every pair, timed
declare -A P PT
ptimes=$(mktemp)
for o in $PINGS; do
	settle
	"$B/nsnet" up --topo "$o" -q > /dev/null 2>&1 || { echo "bench: FAILED: up $o" >&2; continue; }
	P[$o]=$(NSNET_PINGALL_TIMES=1 "$B/nsnet" pingall -j 2> "$ptimes" | jq -r '"\(.seconds) \(.answered)/\(.expected)"')
	PT[$o]=$(sed -n 's/^pingall: //p' "$ptimes")
	"$B/nsnet" down -q > /dev/null 2>&1
done
rm -f "$ptimes"
r() { [ -n "$2" ] && [ "$2" != 0 ] && printf '%.2f' "$(echo "$1 / $2" | bc -l)" || echo -; }
printf '\n%-24s %9s %9s %11s %11s %9s %9s\n' "median of $RUNS" "up s" "down s" \
	"up/star$REF" "dn/star$REF" "up/floor" "dn/floor"
for k in $(for n in $SIZES; do echo "floor_star,$n nsnet_star,$n"; done) \
	 $(for o in $OTHERS; do echo "floor_$o nsnet_$o"; done) \
	 $(for nb in $BRIDGES; do echo "kernel:_${nb}_bridges"; done); do
	k=${k//_/ }
	[ -n "${U[$k]:-}" ] || continue
	fl=-; fd=-
	case $k in "nsnet "*) o=${k#nsnet }
		fl=$(r "${U[$k]}" "${U[floor $o]:-}"); fd=$(r "${D[$k]}" "${D[floor $o]:-}");; esac
	printf '%-24s %9.3f %9.3f %11s %11s %9s %9s\n' "$k" "${U[$k]}" "${D[$k]}" \
		"$(r "${U[$k]}" "$S1")" "$(r "${D[$k]}" "$S1D")" "$fl" "$fd"
done
echo
for o in $PINGS; do
	[ -n "${P[$o]:-}" ] && printf 'nsnet pingall %-14s %s s, %s pairs answered (%s)\n' "$o:" ${P[$o]} "${PT[$o]:-}"
done
echo
for who in floor nsnet; do
	for ud in up down; do
		printf '%s %s: growth exponent over N = %s: %s\n' "$who" "$ud" "${SIZES// /, }" \
			"$(for n in $SIZES; do if [ $ud = up ]; then echo "$n ${U[$who star,$n]:-0}"
			   else echo "$n ${D[$who star,$n]:-0}"; fi; done | slope)"
	done
done
echo
for n in $SIZES; do
	read -r kb fds < <(peak "$B/nsnet" up --topo "star,$n" -q)
	settle; "$B/nsnet" down -q
	printf 'nsnet up --topo star,%s: peak RSS %d MiB, peak open files %s\n' "$n" $((kb / 1024)) "$fds"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
