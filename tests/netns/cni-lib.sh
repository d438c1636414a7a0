# Helpers for tests/netns/t-cni-*.sh: invoke nsnet-cni the way a runtime does
# (CNI_* environment, configuration on stdin), a lan namespace as "another
# machine", servers and clients. Sourced after lib.sh.
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
B=${B:-$ROOT/build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
CNI=${NSNET_CNI:-$B/nsnet-cni}
[ -x "$CNI" ] || { not_ok "no $CNI"; exit 1; }
DATA=$TMP/cni-data	# ipam.dataDir: never the real /var/lib/cni
NET=testnet
VER=1.1.0
MASQ=true
PM='[]'
EXTRA=
RANGES='[[{"subnet":"10.88.0.0/24"}],[{"subnet":"fd00:88::/64"}]]'

conf() {	# the plugin configuration as a runtime passes it
	local ipam=${IPAM:-}
	[ -n "$ipam" ] || ipam="{\"type\":\"host-local\",\"ranges\":$RANGES,\"dataDir\":\"$DATA\"}"
	cat <<J
{"cniVersion":"$VER","name":"$NET","type":"nsnet-cni","bridge":"${BRIDGE:-cni0}",
 "isGateway":true,"isDefaultGateway":${DEFGW:-true},"ipMasq":$MASQ,"hairpinMode":true,
 "ipam":$ipam,
 "runtimeConfig":{"portMappings":$PM}$EXTRA}
J
}
# cni CMD CID IFNAME NETNS : runs the plugin with conf on stdin; stdout kept
cni() {
	local cmd=$1 cid=$2 ifn=$3 ns=$4
	conf | env -u CNI_NETNS CNI_COMMAND="$cmd" CNI_CONTAINERID="$cid" CNI_IFNAME="$ifn" \
		${ns:+CNI_NETNS="$ns"} CNI_PATH="${CNIPATH:-/nonexistent}" "$CNI"
}
# cni_code CMD CID IFNAME NETNS : prints the error code of the JSON error (or "ok")
cni_code() {
	local out rc
	out=$(cni "$@" 2>/dev/null); rc=$?
	[ $rc = 0 ] && { echo ok; return; }
	printf '%s' "$out" | jq -r .code 2>/dev/null || echo "bad-json"
}
container() {	# NAME : a container network namespace, as runtimes make it
	ip netns add "$1" && ip -n "$1" link set lo up
}
# What "nothing left" compares: host links, container links, nft, store.
state() {
	ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	local n; for n in $(ip netns list | awk '{print $1}' | sort); do
		echo "ns $n:"; ip -n "$n" -o addr show | awk '{print $2, $4}' | sort; done
	nft list ruleset 2>/dev/null
	ls -A "$DATA/$NET" 2>/dev/null | grep -v '^lock$\|^last_reserved_ip\.\|^nsnet-cni$' | sort
	ls -A "$DATA/$NET/nsnet-cni" 2>/dev/null
}
uplink() {	# NS HOSTIF HOST4 PEER4 HOST6 PEER6 : another machine on a /24
	ip netns add "$1"
	ip link add "$2" type veth peer name eth0 netns "$1"
	ip link set "$2" up
	ip addr add "$3/24" dev "$2"
	ip addr add "$5/64" dev "$2" nodad
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 up
	ip -n "$1" addr add "$4/24" dev eth0
	ip -n "$1" addr add "$6/64" dev eth0 nodad
}
serve() {	# NS PROTO PORT NAME : answers "NAME PEERADDR"
	local l
	for l in TCP4-LISTEN:$3,fork,reuseaddr TCP6-LISTEN:$3,fork,reuseaddr,ipv6only=1; do
		[ "$2" = udp ] && l=${l/TCP/UDP} && l=${l/LISTEN/RECVFROM} && l=${l/,reuseaddr/}
		ip netns exec "$1" timeout 300 socat "$l" SYSTEM:"head -n1 >/dev/null; echo $4 \$SOCAT_PEERADDR" &
	done
}
listening() { ip netns exec "$1" ss -Hln "sport = :$2" | grep -q .; }
talk() {	# [NS] PROTO ADDR PORT
	local pre=()
	[ $# = 4 ] && { pre=(ip netns exec "$1"); shift; }
	local a=$2; [[ $a == *:* ]] && a="[$a]"
	if [ "$1" = udp ]; then
		echo hi | "${pre[@]}" timeout 5 socat -T2 - "UDP:$a:$3"
	else
		echo hi | "${pre[@]}" timeout 5 socat -T2 - "TCP:$a:$3,connect-timeout=2"
	fi
}
expect() {	# DESC REGEX talk-args…
	local d=$1 re=$2 got; shift 2
	got=$(talk "$@" 2>&1)
	check_match "$d" "$re" "$got"
}

# Bandwidth limits, measured by iperf3 (the receiver's count of TCP payload).
# iperf_bw ADDR PREFIX [ARGS…]: a server on ADDR in this namespace, the client
# run through PREFIX (e.g. "ip netns exec c1"); 2 streams, 8 s, the first 2 s
# (slow start, the bucket's burst) left out; prints bits/s.
iperf_bw() {
	local addr=$1 pre=$2 srv; shift 2
	timeout 40 iperf3 -s -B "$addr" -p 5201 -1 >/dev/null 2>&1 &
	srv=$!
	wait_for 5 sh -c 'ss -Hlnt "sport = :5201" | grep -q .'
	$pre timeout 40 iperf3 -c "$addr" -p 5201 -P 2 -t 8 -O 2 -J "$@" 2>/dev/null |
		jq -r '.end.sum_received.bits_per_second | floor'
	wait $srv 2>/dev/null
}
# within DESC SETTING GOODPUT: tbf counts whole frames: at MTU 1500 a TCP
# segment carries 1448 payload bytes (IPv4, timestamps) in a 1514-byte frame,
# so the rate on the wire is GOODPUT * 1514 / 1448; it must be within 10% of
# SETTING.
within() {
	local d=$1 want=$2 got=$3 wire
	wire=$(awk -v g="${got:-0}" 'BEGIN { printf "%d", g * 1514 / 1448 }')
	echo "# $d: payload $got bit/s, frames $wire bit/s (setting $want)"
	if [ -n "$got" ] && awk -v w="$want" -v g="$wire" 'BEGIN { exit !(g >= 0.9 * w && g <= 1.1 * w) }'; then
		ok "$d: $wire bit/s on the wire, within 10% of $want"
	else
		not_ok "$d: ${wire} bit/s on the wire (payload ${got:-nothing}), not within 10% of $want"
	fi
}
