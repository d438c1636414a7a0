#!/bin/bash
# Multi-host labs: three "hosts" (each its own network + mount namespace with
# its own /run/netns and /run/nsnet, held by a sleeping process) joined by an
# underlay bridge of this sandbox. One lab file is brought up on each host;
# pingall passes across hosts, the overlay MTU holds (DF ping at the segment
# MTU passes, one byte more fails with "message too long"), iperf3 runs across
# a tunnel, down on one host leaves the others intact, a second lab runs
# beside the first without VNI clashes, and nothing is left at the end.
. ./lib.sh

mkhost() {	# mkhost NAME ADDR/PLEN
	local name=$1 addr=$2 pidf=$TMP/$1.pid
	unshare --net --mount --propagation private sh -c "
		mount -t tmpfs tmpfs /run/netns && mount -t tmpfs tmpfs /run/nsnet &&
		mount -t sysfs sysfs /sys && ip link set lo up && echo \$\$ > $pidf &&
		exec sleep 100000" &
	wait_for 5 test -s "$pidf"
	local pid; pid=$(cat "$pidf")
	ip link add "u-$name" type veth peer name eth0 netns "/proc/$pid/ns/net"
	ip link set "u-$name" master under up
	on "$name" ip addr add "$addr" dev eth0
	on "$name" ip link set eth0 up
}
on() { local h=$1; shift; nsenter -t "$(cat "$TMP/$h.pid")" -n -m "$@"; }
links_of() { on "$1" ip -j link show | jq -r '[.[].ifname] | sort | join(" ")'; }

ip link add under type bridge && ip link set under up
mkhost h1 10.200.0.1/24; mkhost h2 10.200.0.2/24; mkhost h3 10.200.0.3/24
check "underlay: h1 reaches h3" on h1 ping -c1 -W2 10.200.0.3

cat > "$TMP/lab.yaml" <<'Y'
name: mh
hosts:
  h1: { address: 10.200.0.1 }
  h2: { address: 10.200.0.2 }
  h3: { address: 10.200.0.3 }
bridges:
  lan: { host: h1, addresses: [192.168.50.254/24, "fd50::fe/64"] }
nodes:
  a:
    host: h1
    interfaces:
      eth0: { bridge: lan, addresses: [192.168.50.1/24, "fd50::1/64"] }
      eth1: { addresses: [10.1.0.1/30] }
  b:
    host: h2
    interfaces:
      eth0: { bridge: lan, addresses: [192.168.50.2/24, "fd50::2/64"] }
      eth1: { addresses: [10.1.0.2/30] }
    routes: ["default via 192.168.50.254"]
  c:
    host: h3
    interfaces:
      eth0: { bridge: lan, addresses: [192.168.50.3/24, "fd50::3/64"] }
    routes: ["default via 192.168.50.254"]
links:
  - endpoints: ["a:eth1", "b:eth1"]
Y

check_status "validate: the whole lab, no host chosen" 0 "$NSNET" validate "$TMP/lab.yaml"
check_match "… says it spans 3 hosts" "on 3 hosts" "$(cat "$TMP/out")"
check_status "up without --host in the test sandbox (no underlay address here): exit 1" 1 \
	"$NSNET" up "$TMP/lab.yaml"
check_match "… asks for --host" "--host NAME" "$(cat "$TMP/out")"
check_eq "… and created nothing" "" "$(ls /run/netns)"

# --segment: 10.1.0.0/30 (the a-b cable) is routed from h3 only after the gateway route below
for h in h1 h2 h3; do
	check "up on $h (host found by its underlay address)" on $h "$NSNET" up -q "$TMP/lab.yaml"
done
check_eq "h1 holds node a only" "a" "$(on h1 ls /run/netns | tr '\n' ' ' | sed 's/ $//')"
check_eq "h2 holds node b only" "b" "$(on h2 ls /run/netns | tr '\n' ' ' | sed 's/ $//')"
vni=$(on h2 ip -j -d link show | jq -r '.[] | select(.linkinfo.info_kind == "vxlan") | .linkinfo.info_data.id')
dev=$(on h2 ip -j -d link show | jq -r '.[] | select(.linkinfo.info_kind == "vxlan") | .ifname')
check_match "h2: one VXLAN port on its lan instance" '^nsx[0-9a-f]{6}$' "$dev"
check_eq "… VNI as the device name says" "$(printf %06x "$vni")" "${dev#nsx}"
check_eq "… FDB: all-zeros entries to h1 and h3" "10.200.0.1 10.200.0.3" \
	"$(on h2 bridge -j fdb show dev "$dev" | jq -r '[.[] | select(.mac == "00:00:00:00:00:00") | .dst] | sort | join(" ")')"
check_eq "… same VNI on h1 and h3" "$vni $vni" \
	"$(for h in h1 h3; do on $h ip -j -d link show | jq -r '.[] | select(.linkinfo.info_kind == "vxlan") | .linkinfo.info_data.id'; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "cable a:eth1 on h1 is a VXLAN device inside a, remote h2" "vxlan 10.200.0.2" \
	"$(on h1 ip -n a -j -d link show eth1 | jq -r '.[0].linkinfo | "\(.info_kind) \(.info_data.remote)"')"
check_eq "overlay MTU 1450 on b:eth0, b:eth1 and h2's bridge" "1450 1450 1450" \
	"$(on h2 ip -n b -j link show eth0 | jq '.[0].mtu') $(on h2 ip -n b -j link show eth1 | jq '.[0].mtu') $(on h2 ip -j link show lan | jq '.[0].mtu')"
check_eq "addresses of lan are on its home host only" "0" \
	"$(on h2 ip -j addr show lan | jq '[.[0].addr_info[] | select(.scope == "global")] | length')"

mac_b=$(on h2 ip -n b -j link show eth0 | jq -r '.[0].address')
check_match "b:eth0 has a MAC derived from the lab (locally administered)" '^0a:' "$mac_b"
# --segment: 10.1.0.0/30 (the a-b cable) is routed from h3 only after the gateway route below
for h in h1 h2 h3; do
	check "pingall on $h: its nodes reach every node of the lab (v4 + v6)" on $h "$NSNET" pingall --segment -W 5
	check "… again with static neighbour entries (remote MACs from the lab)" \
		on $h "$NSNET" pingall --segment -W 5 --neigh static
done
check_eq "… which leave no neighbour entry behind in a" "" \
	"$(on h1 ip -n a neigh show nud permanent)"

check_match "… h3's c pings a and b across hosts" 'c -> a b' "$(on h3 "$NSNET" pingall --segment)"
check "routed across hosts: c reaches a's cable address via the gateway on h1" \
	on h3 ip netns exec c ping -c1 -W2 192.168.50.254
check "DF ping at the segment MTU (1450) passes across the tunnel" \
	on h2 ip netns exec b ping -M do -s 1422 -c1 -W2 192.168.50.1
check_status "one byte more fails" 1 on h2 ip netns exec b ping -M do -s 1423 -c1 -W2 192.168.50.1
check_match "… with 'message too long', not silently" "message too long" "$(cat "$TMP/out")"
check "DF ping at the MTU over the cross-host cable" \
	on h1 ip netns exec a ping -M do -s 1422 -c1 -W2 10.1.0.2
check_match "status on h2: peers answer, tunnels up" "peer h1 +10.200.0.1 +answers" "$(on h2 "$NSNET" status)"
check "status on h2: health ok" on h2 "$NSNET" status

# a converge of one host's part: node d joins on h3
{ cat "$TMP/lab.yaml"; } | sed 's/^links:/  d:\n    host: h3\n    interfaces:\n      eth0: { bridge: lan, addresses: [192.168.50.4\/24] }\nlinks:/' > "$TMP/lab-d.yaml"
check_eq "diff on h3: node d and its cable, address" "+ node d|+ link d:eth0 -- lan/d-eth0|+ addr d:eth0 192.168.50.4/24" \
	"$(on h3 "$NSNET" diff "$TMP/lab-d.yaml" | tr '\n' '|' | sed 's/|$//')"
ino_c=$(on h3 stat -c %i /run/netns/c)
check "converge h3 to the file with d" on h3 "$NSNET" up -q "$TMP/lab-d.yaml"
check_eq "… c kept its namespace" "$ino_c" "$(on h3 stat -c %i /run/netns/c)"
check "… d (h3) reaches a (h1) across the spanning bridge" on h3 ip netns exec d ping -c1 -W2 192.168.50.1
check_eq "… h1 did not change" "a" "$(on h1 ls /run/netns | tr '\n' ' ' | sed 's/ $//')"
check "converge h3 back" on h3 "$NSNET" up -q "$TMP/lab.yaml"
check_eq "… d is gone" "c" "$(on h3 ls /run/netns | tr '\n' ' ' | sed 's/ $//')"

# iperf3 across the cable tunnel
on h2 ip netns exec b iperf3 -s -1 -p 5201 > /dev/null 2>&1 & srv=$!
wait_for 5 on h2 ip netns exec b sh -c "ss -ltn | grep -q :5201"
bps=$(on h1 ip netns exec a iperf3 -c 10.1.0.2 -p 5201 -t 2 -J 2>/dev/null | jq '.end.sum_received.bits_per_second // 0')
wait $srv 2>/dev/null
check_match "iperf3 across the tunnel: a->b moves data ($bps bit/s)" '^[1-9][0-9]{6,}' "${bps%.*}"

# a second lab beside the first, its own segments: no VNI clash
sed -e 's/^name: mh/name: mh2/' -e 's/lan/lan2/g' -e 's/192.168.50/192.168.60/g' \
    -e 's/fd50::/fd60::/g' -e 's/10.1.0/10.2.0/g' -e 's/^  a:/  x:/; s/^  b:/  y:/; s/^  c:/  z:/' \
    -e 's/"a:eth1", "b:eth1"/"x:eth1", "y:eth1"/' "$TMP/lab.yaml" > "$TMP/lab2.yaml"
for h in h1 h2 h3; do check "second lab up on $h" on $h "$NSNET" up -q "$TMP/lab2.yaml"; done
check_eq "two labs, two VXLAN ports with different VNIs on h2" 2 \
	"$(on h2 ip -j -d link show | jq '[.[] | select(.linkinfo.info_kind == "vxlan") | .linkinfo.info_data.id] | unique | length')"
check "pingall of the second lab on h3" on h3 "$NSNET" pingall --segment -l mh2
check "… and the first still passes" on h3 "$NSNET" pingall --segment -l mh

# down on one host: its part goes, the others stay
before_h1=$(links_of h1)
check "down mh on h2" on h2 "$NSNET" down -q mh
check "… up again" on h2 "$NSNET" up -q "$TMP/lab.yaml"
check_eq "… b:eth0 has the same MAC" "$mac_b" "$(on h2 ip -n b -j link show eth0 | jq -r '.[0].address')"
check "… down again" on h2 "$NSNET" down -q mh
check_eq "h2: mh's namespace gone, mh2's stays" "y" "$(on h2 ls /run/netns | tr '\n' ' ' | sed 's/ $//')"
check_eq "h1 untouched by h2's down" "$before_h1" "$(links_of h1)"
check "a still reaches c (h1 <-> h3) with h2 gone" on h1 ip netns exec a ping -c1 -W2 192.168.50.3
check_fail "a no longer reaches b" on h1 ip netns exec a ping -c1 -W1 192.168.50.2

# crash at every kernel operation of h2's part: down leaves h2 as it was
on h2 "$NSNET" down -q mh
snap_h2() { on h2 sh -c 'ip -j link show | jq -c "[.[].ifname] | sort"; ls /run/netns /run/nsnet; ip -j -d link show | jq -c "[.[] | select(.linkinfo.info_kind == \"vxlan\") | .ifname]"'; }
before=$(snap_h2) bad=0 k=1
while [ $k -le 80 ]; do
	NSNET_CRASH_AT=$k on h2 "$NSNET" up -q "$TMP/lab.yaml" > /dev/null 2>&1; rc=$?
	on h2 "$NSNET" down -q mh > /dev/null 2>&1
	[ "$(snap_h2)" = "$before" ] || { bad=$((bad + 1)); not_ok "crash at op $k left: $(snap_h2)"; }
	[ $rc = 0 ] && break	# past the last operation: the up completed
	k=$((k + 1))
done
check_eq "kill -9 at each of $((k - 1)) kernel operations of h2's up, then down: h2 as before" 0 "$bad"
check "… and the last run came up whole" test "$k" -lt 80

for h in h1 h2 h3; do on $h "$NSNET" down -q mh; on $h "$NSNET" down -q mh2; done
# --segment: 10.1.0.0/30 (the a-b cable) is routed from h3 only after the gateway route below
for h in h1 h2 h3; do
	check_eq "$h: nothing left (links)" "eth0 lo" "$(links_of $h)"
	check_eq "$h: no namespace left" "" "$(on $h ls /run/netns)"
done
for h in h1 h2 h3; do kill "$(cat "$TMP/$h.pid")"; done
ip link del under
