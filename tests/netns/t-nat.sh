#!/bin/bash
# lib/nat.c through tests/netns/natctl.c: masquerade, forwards from another
# machine / from the host (incl. 127.0.0.1) / hairpin, TCP and UDP, IPv4 and
# IPv6, replace, delete, other tables untouched. The sandbox is the host.
#
#   inet (203.0.113.2, 2001:db8:1::2)      lan (198.51.100.2, 2001:db8:2::2)
#        | up0 203.0.113.1                      | lan0 198.51.100.1
#        +-------------- host (sandbox) --------+
#                          | lbr0 10.0.0.1/24 fd00::1/64
#               n1 10.0.0.2 fd00::2     n2 10.0.0.3 fd00::3
. "$(dirname "$0")/lib.sh"
ROOT=${ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
B=${B:-$ROOT/build}
case $B in /*) ;; *) B=$ROOT/$B ;; esac
NATCTL=$B/tests/netns-natctl
[ -x "$NATCTL" ] || { not_ok "no $NATCTL"; exit 1; }
T=labnat

sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

ip link add lbr0 type bridge && ip link set lbr0 up
ip addr add 10.0.0.1/24 dev lbr0
ip addr add fd00::1/64 dev lbr0 nodad
node() {	# NAME IPV4 IPV6
	ip netns add "$1"
	ip link add "v-$1" type veth peer name eth0 netns "$1"
	ip link set "v-$1" master lbr0 up
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 up
	ip -n "$1" addr add "$2/24" dev eth0
	ip -n "$1" addr add "$3/64" dev eth0 nodad
	ip -n "$1" route add default via 10.0.0.1
	ip -n "$1" -6 route add default via fd00::1
}
node n1 10.0.0.2 fd00::2
node n2 10.0.0.3 fd00::3
uplink() {	# NS HOSTIF HOST4 PEER4 HOST6 PEER6 ; no route back to the lab
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
uplink inet up0 203.0.113.1 203.0.113.2 2001:db8:1::1 2001:db8:1::2
uplink lan lan0 198.51.100.1 198.51.100.2 2001:db8:2::1 2001:db8:2::2
ip -n lan route add default via 198.51.100.1
ip -n lan -6 route add default via 2001:db8:2::1

# servers: each answers with its name and the peer address it sees
# (socat prints IPv6 peers fully expanded: fd00:0000:...:0001)
serve() {	# NS PROTO PORT NAME
	local l
	for l in TCP4-LISTEN:$3,fork,reuseaddr TCP6-LISTEN:$3,fork,reuseaddr,ipv6only=1; do
		[ "$2" = udp ] && l=${l/TCP/UDP} && l=${l/LISTEN/RECVFROM} && l=${l/,reuseaddr/}
		ip netns exec "$1" timeout 300 socat "$l" SYSTEM:"head -n1 >/dev/null; echo $4 \$SOCAT_PEERADDR" &
	done
}
serve n1 tcp 80 n1; serve n1 udp 80 n1u; serve n2 tcp 80 n2; serve n2 udp 80 n2u
serve inet tcp 7000 inet; serve inet udp 7000 inetu
listening() { ip netns exec "$1" ss -Hln "sport = :$2" | grep -q .; }
wait_for 5 listening n1 80; wait_for 5 listening n2 80; wait_for 5 listening inet 7000

# talk [NS] PROTO ADDR PORT: one request, prints the answer
talk() {
	local pre=()
	[ $# = 4 ] && { pre=(ip netns exec "$1"); shift; }
	local a=$2; [[ $a == *:* ]] && a="[$a]"
	if [ "$1" = udp ]; then
		echo hi | "${pre[@]}" timeout 5 socat -T2 - "UDP:$a:$3"
	else
		echo hi | "${pre[@]}" timeout 5 socat -T2 - "TCP:$a:$3,connect-timeout=2"
	fi
}
# expect DESC REGEX talk-args…
expect() {
	local d=$1 re=$2 got; shift 2
	got=$(talk "$@" 2>&1)
	check_match "$d" "$re" "$got"
}

# --- before: a user table (and a same-named table of another family) ---------
cat > "$TMP/user.nft" <<'EOF'
table inet usertbl {
	set blocked {
		type ipv4_addr
		elements = { 192.0.2.7 }
	}
	chain uin {
		type filter hook input priority 5; policy accept;
		ip saddr @blocked drop
		tcp dport 9 accept
	}
	chain post {
		type nat hook postrouting priority 50; policy accept;
		ip daddr 192.0.2.0/24 masquerade
	}
}
table ip labnat {
	chain c {
		ip saddr 192.0.2.1 accept
	}
}
EOF
check "plant a user table and an 'ip labnat' table" nft -f "$TMP/user.nft"
user_before=$(nft -j list table inet usertbl; nft -j list table ip labnat)

check "kernel has what NAT needs" "$NATCTL" probe
check_status "no table yet: exists says no" 1 "$NATCTL" exists $T
check "delete of an absent table is fine" "$NATCTL" delete $T

RULES=(--bridge lbr0 --masq 10.0.0.0/24 --masq fd00::/64
	--fwd tcp:8080:10.0.0.2/24:80 --fwd udp:8080:10.0.0.2/24:80
	--fwd tcp:8180-8182:10.0.0.3/24:80 --fwd tcp:8443:10.0.0.3/24:80@198.51.100.1
	--fwd tcp:8080:fd00::2/64:80 --fwd udp:8080:fd00::2/64:80)
check "apply" "$NATCTL" apply $T "${RULES[@]}"
check "exists" "$NATCTL" exists $T
check "localnet on lbr0 (was 0)" "$NATCTL" localnet lbr0 on
check_eq "route_localnet set on the bridge only" "1 0" \
	"$(cat /proc/sys/net/ipv4/conf/lbr0/route_localnet) $(cat /proc/sys/net/ipv4/conf/up0/route_localnet)"

# --- masquerade -----------------------------------------------------------------
expect "masquerade tcp: inet sees the host's uplink address" '^inet 203\.0\.113\.1(:|$)' n1 tcp 203.0.113.2 7000
expect "masquerade udp: inet sees the host's uplink address" '^inetu 203\.0\.113\.1' n1 udp 203.0.113.2 7000
expect "masquerade IPv6: inet sees the host's uplink address" '^inet \[?2001:0db8:0001:(0000:){4}0001' n2 tcp 2001:db8:1::2 7000
expect "no masquerade inside the lab: n2 sees n1" '^n2 10\.0\.0\.2' n1 tcp 10.0.0.3 80

# --- (a) forwards from another machine ---------------------------------------------
expect "lan -> host:8080 tcp reaches n1, client address kept" '^n1 198\.51\.100\.2' lan tcp 198.51.100.1 8080
expect "lan -> host:8080 udp reaches n1" '^n1u 198\.51\.100\.2' lan udp 198.51.100.1 8080
expect "lan -> other host address (uplink) :8080 reaches n1" '^n1 ' lan tcp 203.0.113.1 8080
expect "lan -> host IPv6 :8080 tcp reaches n1" '^n1 \[?2001:0?db8:0002:(0000:){4}0002' lan tcp 2001:db8:2::1 8080
expect "lan -> host IPv6 :8080 udp reaches n1" '^n1u \[?2001:0?db8:0002:(0000:){4}0002' lan udp 2001:db8:2::1 8080
expect "range 8180-8182 -> n2:80-82: 8180 reaches n2:80" '^n2 ' lan tcp 198.51.100.1 8180
check_fail "range: 8181 maps to n2:81 (nothing listens there)" talk lan tcp 198.51.100.1 8181
check_fail "range ends at 8182: 8183 is not forwarded" talk lan tcp 198.51.100.1 8183
expect "host_addr: 198.51.100.1:8443 reaches n2" '^n2 ' lan tcp 198.51.100.1 8443
check_fail "host_addr: 203.0.113.1:8443 is not forwarded" talk lan tcp 203.0.113.1 8443

# --- (b) from the host itself -----------------------------------------------------------
expect "host -> own uplink address:8080 tcp" '^n1 203\.0\.113\.1' tcp 203.0.113.1 8080
expect "host -> own uplink address:8080 udp" '^n1u 203\.0\.113\.1' udp 203.0.113.1 8080
expect "host -> 127.0.0.1:8080 tcp (seen from the bridge address)" '^n1 10\.0\.0\.1' tcp 127.0.0.1 8080
expect "host -> 127.0.0.1:8080 udp" '^n1u 10\.0\.0\.1' udp 127.0.0.1 8080
expect "host -> own IPv6 address:8080" '^n1 ' tcp 2001:db8:1::1 8080

# --- (c) hairpin: lab nodes through a host address -------------------------------------
expect "hairpin tcp: n2 -> host:8080 -> n1" '^n1 10\.0\.0\.1' n2 tcp 203.0.113.1 8080
expect "hairpin udp: n2 -> host:8080 -> n1" '^n1u 10\.0\.0\.1' n2 udp 203.0.113.1 8080
# a node reaching itself: the frame leaves the bridge by the port it came in;
# with br_netfilter loaded (Docker hosts, this VM) that needs hairpin mode
# on the port, as Docker sets it
ip link set v-n1 type bridge_slave hairpin on
expect "hairpin tcp: n1 -> host:8080 -> n1 itself" '^n1 10\.0\.0\.1' n1 tcp 203.0.113.1 8080
expect "hairpin via the bridge address: n2 -> 10.0.0.1:8080" '^n1 ' n2 tcp 10.0.0.1 8080
expect "hairpin IPv6: n2 -> host:8080 -> n1" '^n1 \[?fd00:(0000:){6}0001' n2 tcp 2001:db8:1::1 8080

# --- real bytes: 1 MiB through a forward ------------------------------------------------
ip netns exec n1 timeout 60 socat -u TCP-LISTEN:90,reuseaddr SYSTEM:"wc -c > $TMP/n1-bytes" &
wait_for 5 listening n1 90
"$NATCTL" apply $T "${RULES[@]}" --fwd tcp:8090:10.0.0.2:90
head -c 1048576 /dev/urandom | ip netns exec lan timeout 10 socat -u - TCP:198.51.100.1:8090
wait_for 5 test -s $TMP/n1-bytes
check_eq "1 MiB from lan through a forward arrives whole" 1048576 "$(tr -d ' ' < $TMP/n1-bytes 2>/dev/null)"
rm -f $TMP/n1-bytes

# --- replace, fault, blockers, delete ------------------------------------------------------
check "re-apply with other forwards" "$NATCTL" apply $T --bridge lbr0 --masq 10.0.0.0/24 --fwd tcp:9090:10.0.0.3:80
expect "new forward 9090 -> n2 works" '^n2 ' lan tcp 198.51.100.1 9090
check_fail "old forward 8080 is gone" talk lan tcp 198.51.100.1 8080
ruleset=$(nft list table inet $T)
check_match "table holds the new forward" 'dport 9090' "$ruleset"
check_fail "table no longer holds 8080 or IPv6 rules" grep -Eq '8080|ip6' <<<"$ruleset"
before=$(nft -j list table inet $T)
check_status "injected fault before the transaction fails" 1 env NSNET_FAIL_AT=1 "$NATCTL" apply $T --fwd tcp:1234:10.0.0.2:80
check_eq "a failed apply leaves the table as it was" "$before" "$(nft -j list table inet $T)"
check_status "bad input rejected before any change" 1 "$NATCTL" apply $T --fwd tcp:65535-65535:10.0.0.2:65535 --fwd tcp:65535:10.0.0.3:1
check_eq "a rejected apply leaves the table as it was" "$before" "$(nft -j list table inet $T)"
check_eq "no other forward chain drops" 0 "$("$NATCTL" blockers $T)"
nft add table ip dockerish
nft add chain ip dockerish FORWARD '{ type filter hook forward priority 0; policy drop; }'
check_match "a dropping forward chain elsewhere is reported" '^1 ip dockerish FORWARD' "$("$NATCTL" blockers $T)"
check_fail "limitation: our accept cannot override that drop" talk lan tcp 198.51.100.1 9090
nft delete table ip dockerish
check "delete" "$NATCTL" delete $T
check_status "exists after delete says no" 1 "$NATCTL" exists $T
check_fail "no inet $T table left" sh -c "nft list tables | grep -qx 'table inet $T'"
check_fail "forward gone after delete" talk lan tcp 198.51.100.1 9090
check "delete again is fine" "$NATCTL" delete $T
check_match "user tables were planted" '"name": "usertbl".*"name": "uin".*"name": "labnat"' "$(tr -d '\n' <<<"$user_before")"
check_eq "user tables byte-for-byte unchanged" "$user_before" "$(nft -j list table inet usertbl; nft -j list table ip labnat)"
check "localnet off restores" "$NATCTL" localnet lbr0 off
check_eq "route_localnet back to 0" 0 "$(cat /proc/sys/net/ipv4/conf/lbr0/route_localnet)"

# --- speed ---------------------------------------------------------------------------------
check "100 forwards: transaction time" "$NATCTL" bench nsnet-bench 100 9
sed 's/^/# /' "$TMP/out"
kill $(jobs -p) 2>/dev/null
wait 2>/dev/null
exit 0
