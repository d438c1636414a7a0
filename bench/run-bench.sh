#!/bin/bash
# Benchmark: wall time of `nsnet run -- true` (default network already up), and
# of one that makes the default network and removes it after (the first run)
# against `unshare -n -u -p -m -f true` alone and against unshare plus the
# equivalent ip(8) commands (veth with its peer in the child's namespace,
# master + up, lo and eth0 up, address, default route). Medians of RUNS runs
# (default 50), with hyperfine if installed, else a timed loop. Runs inside a
# throwaway sandbox (private net, mount and pid namespaces).
# Usage: bench/run-bench.sh   (env B: build dir, RUNS)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}; case $B in /*) ;; *) B=$ROOT/$B ;; esac
RUNS=${RUNS:-50}
NSNET=$B/nsnet

if [ "${NSNET_BENCH_INSIDE:-}" != 1 ]; then
	exec unshare --net --mount --pid --fork --mount-proc env NSNET_BENCH_INSIDE=1 "$0" "$@"
fi
mount --make-rslave /
for d in /run/netns /run/nsnet; do mkdir -p $d; mount -t tmpfs tmpfs $d; done
ip link set lo up
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# the ip(8) equivalent of one `nsnet run -- true` on a bridge of our own
ip link add bbr0 type bridge; ip addr add 10.77.0.1/16 dev bbr0; ip link set bbr0 up
cat > "$W/ip-run.sh" <<'EOF'
#!/bin/bash
# child: new net, uts, pid, mount namespaces; waits until its veth exists
F=$(mktemp -u); mkfifo "$F"
unshare -n -u -p -m -f --mount-proc sh -c "read x < $F && hostname b && ip link set lo up &&
	ip link set eth0 up && ip addr add 10.77.$(( $$ / 250 % 250 )).$(( $$ % 250 + 2 ))/16 dev eth0 &&
	ip route add default via 10.77.0.1 && true" &
up=$!
until c=$(pgrep -P $up); do :; done
ip link add vb$$ type veth peer name eth0 netns "$c"
ip link set vb$$ master bbr0 up
echo > "$F"
wait $up
rm -f "$F"
EOF
chmod +x "$W/ip-run.sh"

# the default network up and kept (a plain run removes it when it is the last)
"$NSNET" run --keep-network -- true || { echo "bench: nsnet run failed" >&2; exit 1; }

median_loop() {	# median wall time (s) of RUNS runs of "$@"
	local i s
	for i in $(seq "$RUNS"); do
		s=$(date +%s%N); "$@" >/dev/null 2>&1; echo $(( $(date +%s%N) - s ))
	done | sort -n | awk '{a[NR]=$1} END {printf "%.4f\n", a[int((NR+1)/2)] / 1e9}'
}

echo "nsnet run bench: $RUNS runs each, medians (s), $(nproc) CPUs, kernel $(uname -r)"
if command -v hyperfine >/dev/null; then
	hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$W/h.json" \
		-n "nsnet run -- true" "$NSNET run -- true" \
		-n "unshare -n -u -p -m -f true" "unshare -n -u -p -m -f true" \
		-n "unshare + ip (veth, master, addr, route)" "$W/ip-run.sh" > "$W/h.out" 2>&1 ||
		{ cat "$W/h.out"; exit 1; }
	jq -r '.results[] | "\(.command)\t\(.median)\t(mean \(.mean), stddev \(.stddev))"' "$W/h.json" |
		awk -F'\t' '{printf "%-42s %.4f  %s\n", $1, $2, $3}'
else
	printf "%-42s %s\n" "nsnet run -- true" "$(median_loop "$NSNET" run -- true)"
	printf "%-42s %s\n" "unshare -n -u -p -m -f true" "$(median_loop unshare -n -u -p -m -f true)"
	printf "%-42s %s\n" "unshare + ip (veth, master, addr, route)" "$(median_loop "$W/ip-run.sh")"
fi
"$NSNET" down -q run
# a plain run on a machine with no network: it makes the network and removes it
printf "%-42s %s\n" "nsnet run -- true (network made, removed)" "$(median_loop "$NSNET" run -- true)"
