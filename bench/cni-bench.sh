#!/bin/bash
# nsnet-cni vs the reference chain (bridge + host-local + portmap + bandwidth
# from Debian's containernetworking-plugins), same script, same machine, one
# run, inside a throwaway sandbox (private net/mount/pid namespaces, tmpfs
# state). ADD and DEL of N containers (default 100), each invoked the way a
# runtime does (env + config on stdin; for the reference, bridge then portmap
# then bandwidth with prevResult, and the reverse on DEL); median ms per
# container, in three setups: no port mapping; one port mapping; one port
# mapping and a bandwidth limit each way. Within a setup the two plugins and
# the floor take turns container by container, so that they see the same
# machine load.
#
# The floor of a DEL, measured in the same run: one process start and one
# veth deletion (bench/cni-del-floor: a libc-only program sending one
# RTM_DELLINK, started per container, on veths made like the plugins': host
# end on a bridge, peer in the container's namespace with an address); with
# a bandwidth limit there are two devices to delete (veth and IFB): that
# floor deletes both at once, each on a thread of its own.
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
	[ -x "$B/nsnet-cni" ] && [ -x "$B/bench/cni-del-floor" ] ||
		{ echo "cni-bench: build $B/nsnet-cni and $B/bench/cni-del-floor first (make)" >&2; exit 1; }
	exec env CNI_BENCH_SANDBOX=1 B="$B" unshare --net --mount --pid --fork --mount-proc bash "$0" "$N"
fi

# --- inside the sandbox ---------------------------------------------------------
mount --make-rslave / 2>/dev/null || mount --make-rprivate /
for d in /run/netns /var/lib/cni /run/cni; do mkdir -p $d && mount -t tmpfs tmpfs $d; done
umount -l /sys 2>/dev/null; mount -t sysfs sysfs /sys
ip link set lo up
W=$(mktemp -d)
for i in $(seq 1 "$N"); do ip netns add r$i; ip netns add n$i; ip netns add f$i; done
BWRC='"bandwidth":{"ingressRate":100000000,"ingressBurst":1000000,"egressRate":50000000,"egressBurst":500000}'

conf() {	# TYPE NAME BRIDGE SUBNET SETUP [prevResult]   SETUP: plain, pm, pmbw
	local rc='' prev=''
	case $5 in
	pm) rc=',"runtimeConfig":{"portMappings":[{"hostPort":PORT,"containerPort":80,"protocol":"tcp"}]}' ;;
	pmbw) rc=',"runtimeConfig":{"portMappings":[{"hostPort":PORT,"containerPort":80,"protocol":"tcp"}],'$BWRC'}' ;;
	esac
	[ -n "${6:-}" ] && prev=",\"prevResult\":$6"
	case $1 in
	portmap) echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$2\",\"type\":\"portmap\",\"snat\":true$rc$prev}" ;;
	bandwidth) echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$2\",\"type\":\"bandwidth\"$rc$prev}" ;;
	*) echo "{\"cniVersion\":\"1.0.0\",\"name\":\"$2\",\"type\":\"$1\",\"bridge\":\"$3\",\"isGateway\":true,\"ipMasq\":true,\"hairpinMode\":true,\"ipam\":{\"type\":\"host-local\",\"ranges\":[[{\"subnet\":\"$4\"}]],\"routes\":[{\"dst\":\"0.0.0.0/0\"}],\"dataDir\":\"$W/data\"}$rc$prev}" ;;
	esac
}
now() { local t=$EPOCHREALTIME; echo "${t/./}"; }	# microseconds
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2) / 1000}'; }
call() {	# PLUGIN CMD NS I CONFIG -> stdout
	CNI_COMMAND=$2 CNI_CONTAINERID=ctr$4 CNI_NETNS=/run/netns/$3$4 CNI_IFNAME=eth0 CNI_PATH=$REF \
		"$1" <<<"$5"
}
sub() { local s=${1/PORT/$((20000 + $2))}; echo "$s"; }

ref_add() {	# SETUP I: bridge, then portmap, then bandwidth, each with the previous result
	local s=$1 i=$2 r
	r=$(call $REF/bridge ADD r $i "$(sub "$(conf bridge ref ref0 10.77.0.0/16 "$s")" $i)") ||
		{ echo "ref bridge ADD failed: $r" >&2; return 1; }
	if [ "$s" != plain ]; then
		r=$(call $REF/portmap ADD r $i "$(sub "$(conf portmap ref - - "$s" "$r")" $i)") ||
			{ echo "ref portmap ADD failed: $r" >&2; return 1; }
	fi
	if [ "$s" = pmbw ]; then
		r=$(call $REF/bandwidth ADD r $i "$(sub "$(conf bandwidth ref - - "$s" "$r")" $i)") ||
			{ echo "ref bandwidth ADD failed: $r" >&2; return 1; }
	fi
	echo "$r" > "$W/ref-res-$i"
}
ref_del() {	# SETUP I: the reverse order, each with the result
	local s=$1 i=$2 r
	r=$(cat "$W/ref-res-$i")
	[ "$s" = pmbw ] && { call $REF/bandwidth DEL r $i "$(sub "$(conf bandwidth ref - - "$s" "$r")" $i)" >/dev/null ||
		echo "ref bandwidth DEL failed" >&2; }
	[ "$s" != plain ] && { call $REF/portmap DEL r $i "$(sub "$(conf portmap ref - - "$s" "$r")" $i)" >/dev/null ||
		echo "ref portmap DEL failed" >&2; }
	call $REF/bridge DEL r $i "$(sub "$(conf bridge ref ref0 10.77.0.0/16 "$s" "$r")" $i)" >/dev/null ||
		echo "ref bridge DEL failed" >&2
}
floor_make() {	# SETUP I: a veth like the plugins' (and an IFB with limits), made by ip, not timed
	ip link add fv$2 type veth peer name eth0 netns f$2
	ip link set fv$2 master flr0 up
	ip -n f$2 link set eth0 up
	ip -n f$2 addr add 10.79.$(($2 / 250)).$(($2 % 250 + 2))/16 dev eth0
	[ "$1" = pmbw ] && { ip link add fi$2 type ifb; ip link set fi$2 up; }
	return 0
}
floor_del() {	# SETUP I: one process deleting the veth (and the IFB at once, on a thread)
	if [ "$1" = pmbw ]; then
		"$B/bench/cni-del-floor" fv$2 fi$2
	else
		"$B/bench/cni-del-floor" fv$2
	fi || echo "cni-del-floor failed" >&2
}
timed() {	# FILE CMD…: append CMD's wall time in µs to FILE
	local f=$1 t0; shift
	t0=$(now)
	"$@"
	echo $(( $(now) - t0 )) >> "$f"
}

# One setup: every container added by the reference chain and by nsnet-cni
# (alternately), then deleted by both and by the floor (alternately), so that
# the three see the same machine load.
run_setup() {	# SETUP
	local s=$1 i cfg
	for i in $(seq 1 "$N"); do
		timed "$W/ref-add-$s" ref_add $s $i || return 1
		cfg=$(sub "$(conf nsnet-cni nsn nsn0 10.78.0.0/16 "$s")" $i)
		timed "$W/nsn-add-$s" call "$B/nsnet-cni" ADD n $i "$cfg" >/dev/null ||
			{ echo "nsnet-cni ADD failed" >&2; return 1; }
		floor_make $s $i
	done
	for i in $(seq 1 "$N"); do
		timed "$W/ref-del-$s" ref_del $s $i
		cfg=$(sub "$(conf nsnet-cni nsn nsn0 10.78.0.0/16 "$s")" $i)
		timed "$W/nsn-del-$s" call "$B/nsnet-cni" DEL n $i "$cfg" >/dev/null ||
			echo "nsnet-cni DEL failed" >&2
		timed "$W/floor-del-$s" floor_del $s $i
	done
}

echo "cni-bench: N=$N containers, median ms per container (process starts included)"
printf '%-54s %9s %9s\n' "" "ADD" "DEL"
ip link add flr0 type bridge; ip link set flr0 up
for s in plain pm pmbw; do
	run_setup $s || exit 1
	ra=$(median < "$W/ref-add-$s"); rd=$(median < "$W/ref-del-$s")
	na=$(median < "$W/nsn-add-$s"); nd=$(median < "$W/nsn-del-$s")
	fd=$(median < "$W/floor-del-$s")
	case $s in
	plain) l="no port mapping"; rl="bridge"; fl="one veth" ;;
	pm) l="one port mapping"; rl="bridge+portmap"; fl="one veth" ;;
	pmbw) l="port mapping, bandwidth limits"; rl="bridge+portmap+bandwidth"; fl="veth and IFB at once" ;;
	esac
	printf '%-54s %9s %9s\n' "reference $rl" "$ra" "$rd"
	printf '%-54s %9s %9s\n' "nsnet-cni ($l)" "$na" "$nd"
	printf '%-54s %9s %9s\n' "DEL floor (one process deleting $fl)" "" "$fd"
	awk -v ra="$ra" -v rd="$rd" -v na="$na" -v nd="$nd" -v fd="$fd" 'BEGIN {
		printf "%-54s %8.1fx %8.1fx\n", "  speed-up", ra / na, rd / nd
		printf "%-54s %9s %8.2fx\n", "  nsnet-cni DEL / floor", "", nd / fd }'
done
left=$(ip -o link show | grep -c 'veth\|ifb')
echo "veths and IFBs left after all DELs: $left"
rm -rf "$W"
