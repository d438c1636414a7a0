#!/bin/bash
# Library primitives (tests/netns/prim.c) checked with iproute2 as the oracle:
# bridge, veth with the peer created directly in a named namespace, master,
# up, mtu, mac, alias, addresses v4+v6, routes, sysctls, macvlan, vxlan; and
# kernel errors surfacing with their extended-ACK text.
. ./lib.sh
PRIM=${B:-../../build}/tests/netns-prim
[ -x "$PRIM" ] || { not_ok "netns-prim not built ($PRIM)"; exit 1; }

ip netns add red
check "setup" "$PRIM" setup red
setup_out=$(cat "$TMP/out")
check_match "sysctl: old value read back" '^old ip_forward 0$' "$setup_out"
check_match "kernel ignores IFLA_IFALIAS on create (alias needs a later set)" '^alias after create: ""$' "$setup_out"
check_match "sysctl: read in the namespace" '^rp_filter 2$' "$setup_out"

br=$(ip -j -d link show br0)
check_eq "bridge br0 exists, kind bridge" bridge "$(jq -r '.[0].linkinfo.info_kind' <<<"$br")"
check_match "bridge br0 is up" UP "$(jq -r '.[0].flags | join(",")' <<<"$br")"
v=$(ip -j -d link show v-red)
check_eq "host veth: kind veth" veth "$(jq -r '.[0].linkinfo.info_kind' <<<"$v")"
check_eq "host veth: master br0" br0 "$(jq -r '.[0].master' <<<"$v")"
check_eq "host veth: mtu 1400" 1400 "$(jq -r '.[0].mtu' <<<"$v")"
check_eq "host veth: mac" 02:00:00:00:00:01 "$(jq -r '.[0].address' <<<"$v")"
check_eq "host veth: alias" nsnet:prim "$(jq -r '.[0].ifalias' <<<"$v")"
check_match "host veth: up" UP "$(jq -r '.[0].flags | join(",")' <<<"$v")"
check_eq "no eth0 on the host (peer created in red, not moved)" "" "$(ip -j link show eth0 2>/dev/null | jq -r '.[0].ifname // empty')"
e=$(ip -n red -j -d link show eth0)
check_eq "peer eth0 in red: veth" veth "$(jq -r '.[0].linkinfo.info_kind' <<<"$e")"
check_eq "peer eth0 in red: mtu 1400" 1400 "$(jq -r '.[0].mtu' <<<"$e")"
check_match "peer eth0 in red: up" UP "$(jq -r '.[0].flags | join(",")' <<<"$e")"
check_match "lo in red: up" UP "$(ip -n red -j link show lo | jq -r '.[0].flags | join(",")')"
check_eq "veth ends point at each other" "$(jq -r '.[0].ifindex' <<<"$v")" "$(jq -r '.[0].link_index' <<<"$e")"

a=$(ip -n red -j addr show dev eth0)
check_eq "address 10.0.0.1/24 in red" 10.0.0.1/24 "$(jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"' <<<"$a")"
check_eq "address fd00::1/64 in red" fd00::1/64 "$(jq -r '.[0].addr_info[] | select(.family=="inet6" and .scope=="global") | "\(.local)/\(.prefixlen)"' <<<"$a")"
check_eq "IPv6 address is nodad (no tentative)" "false" "$(jq -r '[.[0].addr_info[] | select(.local=="fd00::1") | .tentative // false] | .[0]' <<<"$a")"
check_eq "host address on br0" 10.0.0.254/24 "$(ip -j addr show dev br0 | jq -r '.[0].addr_info[] | select(.family=="inet") | "\(.local)/\(.prefixlen)"')"

check_eq "default route via 10.0.0.254" 10.0.0.254 "$(ip -n red -j route show default | jq -r '.[0].gateway')"
check_eq "route 10.9/16 via, dev, metric 50" "10.0.0.254 eth0 50" "$(ip -n red -j route show 10.9.0.0/16 | jq -r '.[0] | "\(.gateway) \(.dev) \(.metric)"')"
check_eq "route in table 300" 10.0.0.254 "$(ip -n red -j route show table 300 10.8.0.0/16 | jq -r '.[0].gateway')"
check_eq "route table 300 not in main" "" "$(ip -n red -j route show 10.8.0.0/16 | jq -r '.[0].gateway // empty')"
check_eq "IPv6 default route via fd00::fe" fd00::fe "$(ip -n red -j -6 route show default | jq -r '.[0].gateway')"
check_eq "route protocol boot like iproute2" boot "$(ip -n red -j route show default | jq -r '.[0].protocol // "boot"')"

check_eq "sysctl ip_forward=1 in red" 1 "$(ip netns exec red cat /proc/sys/net/ipv4/ip_forward)"
check_eq "sysctl ip_forward untouched in the test namespace" 0 "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "sysctl slash form (conf/eth0/rp_filter)" 2 "$(ip netns exec red cat /proc/sys/net/ipv4/conf/eth0/rp_filter)"
check_eq "sysctl dotted form with '/' for a dot in a level (br.1)" 1 "$(ip netns exec red cat /proc/sys/net/ipv4/conf/br.1/forwarding)"

m=$(ip -n red -j -d link show mv0)
check_eq "macvlan mv0 in red" macvlan "$(jq -r '.[0].linkinfo.info_kind' <<<"$m")"
check_eq "macvlan mode private" private "$(jq -r '.[0].linkinfo.info_data.mode' <<<"$m")"
check_eq "macvlan lower is eth0" eth0 "$(jq -r '.[0].link' <<<"$m")"
x=$(ip -n red -j -d link show vx0)
check_eq "vxlan vx0 vni 42" 42 "$(jq -r '.[0].linkinfo.info_data.id' <<<"$x")"
check_eq "vxlan local 10.0.0.1" 10.0.0.1 "$(jq -r '.[0].linkinfo.info_data.local' <<<"$x")"
check_eq "vxlan port 4789" 4789 "$(jq -r '.[0].linkinfo.info_data.port' <<<"$x")"
check_eq "vxlan lower eth0" eth0 "$(jq -r '.[0].linkinfo.info_data.link' <<<"$x")"

check "traffic: red reaches the host over the bridge" ip netns exec red ping -c1 -W2 10.0.0.254
check "traffic: IPv6 too" ip netns exec red ping -c1 -W2 fd00::fe

# ---- kernel errors ----------------------------------------------------------------
check_status "duplicate address fails" 1 "$PRIM" err-dupaddr red
check_match "duplicate address: errno text" 'File exists' "$(cat "$TMP/out")"
check_match "duplicate address: what was being done" 'add address 10.0.0.1/24' "$(cat "$TMP/out")"
check_status "batch with a failure in the middle fails" 1 "$PRIM" err-batch red
check_match "batch: the failing request is named" 'add address 10.0.0.1/24' "$(cat "$TMP/out")"
check_eq "batch: requests around the failure still applied (no transactions)" "10.0.0.11 10.0.0.12" \
	"$(ip -n red -j addr show dev eth0 | jq -r '[.[0].addr_info[] | select(.local=="10.0.0.11" or .local=="10.0.0.12") | .local] | join(" ")')"
check_status "16-byte interface name rejected by our check" 1 "$PRIM" err-longname
check_match "16-byte name: message" 'longer than 15 bytes' "$(cat "$TMP/out")"
check_status "dummy link type fails" 1 "$PRIM" err-dummy red
check_match "dummy: says the kernel lacks the link type" 'does not support that link type' "$(cat "$TMP/out")"
check_match "dummy: kernel text kept" 'Unknown device type' "$(cat "$TMP/out")"
check_eq "dummy: nothing created" "" "$(ip -n red -j link show dummy0 2>/dev/null | jq -r '.[0].ifname // empty')"
check_status "route via an unreachable gateway fails" 1 "$PRIM" err-gw red
check_match "route: kernel extack text" 'Nexthop has invalid gateway' "$(cat "$TMP/out")"
check_match "route: what was being done" 'add route 10.7.0.0/16 via 10.99.0.1' "$(cat "$TMP/out")"
