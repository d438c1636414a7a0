#!/bin/bash
# nsnet-cni vs the reference chain (bridge + host-local + portmap from
# Debian's containernetworking-plugins), same script, same machine, inside a
# throwaway sandbox (private net/mount/pid namespaces, tmpfs state).
# ADD and DEL of N containers (default 100), each invoked the way a runtime
# does (env + config on stdin; for the reference, bridge then portmap with
# prevResult, and portmap then bridge on DEL); median per container, with and
# without one port mapping.
#   bench/cni-bench.sh [N]        (B=build dir, default build)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}; case $B in /*) ;; *) B=$ROOT/$B ;; esac
N=${1:-100}
REF=/usr/lib/cni
if [ -z "${CNI_BENCH_SANDBOX:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "cni-bench: needs root (for the sandbox)" >&2; exit 1; }
	if [ ! -x $REF/bridge ] || ! command -v iptables >/dev/null; then
		echo "cni-bench: installing containernetworking-plugins (reference) and iptables" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y containernetworking-plugins iptables >/dev/null ||
			{ echo "cni-bench: cannot install the reference plugins" >&2; exit 1; }
	fi
	[ -x "$B/nsnet-cni" ] || { echo "cni-bench: build $B/nsnet-cni first (make)" >&2; exit 1; }
	exec env CNI_BENCH_SANDBOX=1 B="$B" unshare --net --mount --pid --fork --mount-proc bash "$0" "$N"
fi

# --- inside the sandbox ---------------------------------------------------------
mount --make-rslave / 2>/dev/null || mount --make-rprivate /
for d in /run/netns /var/lib/cni /run/cni; do mkdir -p $d && mount -t tmpfs tmpfs $d; done
umount -l /sys 2>/dev/null; mount -t sysfs sysfs /sys
ip link set lo up
W=$(mktemp -d)
for i in $(seq 1 "$N"); do ip netns add c$i; done

conf() {	# TYPE NAME BRIDGE SUBNET PM(0/1) [prevResult]
	local pm='' prev=''
	[ "$5" = 1 ] && pm=',"runtimeConfig":{"portMappings":[{"hostPort":PORT,"containerPort":80,"protocol":"tcp"}]}'
	[ -n "${6:-}" ] && prev=",\"prevResult\":$6"
	if [ "$1" = portmap ]; then
		echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$2\",\"type\":\"portmap\",\"snat\":true$pm$prev}"
	else
		echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$2\",\"type\":\"$1\",\"bridge\":\"$3\",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true,\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"$4\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dataDir\":\"$W/data\"}$pm$prev}"
	fi
}
now() { local t=$EPOCHREALTIME; echo "${t/./}"; }	# microseconds
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2) / 1000}'; }
call() {	# PLUGIN CMD I CONFIG -> stdout
	CNI_COMMAND=$2 CNI_CONTAINERID=ctr$3 CNI_NETNS=/run/netns/c$3 CNI_IFNAME=eth0 CNI_PATH=$REF \
		"$1" <<<"$4"
}

run_ref() {	# PM
	local pm=$1 i t0 r cfg add=() del=()
	for i in $(seq 1 "$N"); do
		cfg=$(conf bridge ref ref0 10.77.0.0/16 "$pm"); cfg=${cfg/PORT/$((20000 + i))}
		t0=$(now)
		r=$(call $REF/bridge ADD $i "$cfg") || { echo "ref bridge ADD failed: $r" >&2; return 1; }
		if [ "$pm" = 1 ]; then
			pc=$(conf portmap ref - - 1 "$r"); pc=${pc/PORT/$((20000 + i))}
			r=$(call $REF/portmap ADD $i "$pc") || { echo "ref portmap ADD failed: $r" >&2; return 1; }
		fi
		echo $(( $(now) - t0 )) >> "$W/ref-add-$pm"
		echo "$r" > "$W/ref-res-$i"
	done
	for i in $(seq 1 "$N"); do
		r=$(cat "$W/ref-res-$i")
		t0=$(now)
		if [ "$pm" = 1 ]; then
			pc=$(conf portmap ref - - 1 "$r"); pc=${pc/PORT/$((20000 + i))}
			call $REF/portmap DEL $i "$pc" >/dev/null || echo "ref portmap DEL failed" >&2
		fi
		cfg=$(conf bridge ref ref0 10.77.0.0/16 "$pm" "$r"); cfg=${cfg/PORT/$((20000 + i))}
		call $REF/bridge DEL $i "$cfg" >/dev/null || echo "ref bridge DEL failed" >&2
		echo $(( $(now) - t0 )) >> "$W/ref-del-$pm"
	done
}

run_nsnet() {	# PM
	local pm=$1 i t0 r cfg
	for i in $(seq 1 "$N"); do
		cfg=$(conf nsnet-cni nsn nsn0 10.78.0.0/16 "$pm"); cfg=${cfg/PORT/$((20000 + i))}
		t0=$(now)
		r=$(call "$B/nsnet-cni" ADD $i "$cfg") || { echo "nsnet-cni ADD failed: $r" >&2; return 1; }
		echo $(( $(now) - t0 )) >> "$W/nsn-add-$pm"
	done
	for i in $(seq 1 "$N"); do
		cfg=$(conf nsnet-cni nsn nsn0 10.78.0.0/16 "$pm"); cfg=${cfg/PORT/$((20000 + i))}
		t0=$(now)
		call "$B/nsnet-cni" DEL $i "$cfg" >/dev/null || echo "nsnet-cni DEL failed" >&2
		echo $(( $(now) - t0 )) >> "$W/nsn-del-$pm"
	done
}

echo "cni-bench: N=$N containers, median ms per container (process start included)"
printf '%-34s %9s %9s\n' "" "ADD" "DEL"
for pm in 0 1; do
	run_ref $pm; run_nsnet $pm
	ra=$(median < "$W/ref-add-$pm"); rd=$(median < "$W/ref-del-$pm")
	na=$(median < "$W/nsn-add-$pm"); nd=$(median < "$W/nsn-del-$pm")
	label=$([ $pm = 1 ] && echo "one port mapping" || echo "no port mapping")
	printf '%-34s %9s %9s\n' "reference bridge+portmap ($label)" "$ra" "$rd"
	printf '%-34s %9s %9s\n' "nsnet-cni ($label)" "$na" "$nd"
	awk -v ra="$ra" -v rd="$rd" -v na="$na" -v nd="$nd" -v l="$label" \
		'BEGIN { printf "%-34s %8.1fx %8.1fx\n", "speed-up (" l ")", ra / na, rd / nd }'
done
left=$(ip -o link show | grep -c 'veth')
echo "veths left after all DELs: $left"
rm -rf "$W"
