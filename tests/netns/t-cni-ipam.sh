#!/bin/bash
# nsnet-cni with a delegated IPAM plugin (ipam.type other than host-local,
# found on CNI_PATH and executed as the CNI spec says):
#  - the reference "static" plugin (containernetworking-plugins): addresses,
#    routes and DNS of its result reach the container, traffic, port mapping,
#    hairpin, CHECK, DEL;
#  - "tipam", a shell-script IPAM of this test that logs every call: a failing
#    ADD (its error passed through, nothing left, no DEL), results that make
#    our ADD fail afterwards (unreachable route gateway, garbage, no address:
#    IPAM DEL called, nothing left), a crashing plugin, a missing plugin;
#    GC, STATUS and DEL delegated; every fault point (NSNET_FAIL_AT) and crash
#    point (NSNET_CRASH_AT + DEL) of an ADD leaves nothing and every IPAM ADD
#    that succeeded is followed by an IPAM DEL.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"
REF=/usr/lib/cni
[ -x $REF/static ] || { not_ok "no $REF/static (package containernetworking-plugins: run scripts/install-deps.sh)"; exit 1; }

PL=$TMP/plugins LOG=$TMP/ipam.log
mkdir -p "$PL"
cat > "$PL/tipam" <<'EOF'
#!/bin/sh
# test IPAM: logs "COMMAND CONTAINERID IFNAME", behaves as ipam.mode says
conf=$(cat)
get() { printf '%s' "$conf" | jq -r "$1"; }
echo "$CNI_COMMAND ${CNI_CONTAINERID:--} ${CNI_IFNAME:--}" >> "$(get .ipam.log)"
mode=$(get '.ipam.mode // "ok"')
case "$CNI_COMMAND:$mode" in
ADD:fail-add)
	echo '{"cniVersion":"1.1.0","code":42,"msg":"no luck","details":"tipam refuses on purpose"}'; exit 1 ;;
ADD:bad-route)	# the gateway is not on any subnet of the container: the kernel refuses the route
	printf '{"cniVersion":"1.1.0","ips":[{"address":"%s","gateway":"%s"}],"routes":[{"dst":"10.200.0.0/16","gw":"172.31.0.1"}]}\n' \
		"$(get .ipam.address)" "$(get .ipam.gateway)" ;;
ADD:garbage) echo 'this is not JSON' ;;
ADD:no-address) echo '{"cniVersion":"1.1.0","ips":[]}' ;;
ADD:crash) kill -9 $$ ;;
ADD:*)
	printf '{"cniVersion":"1.1.0","ips":[{"address":"%s","gateway":"%s"}],"routes":[{"dst":"10.123.0.0/16"}],"dns":{"nameservers":["10.88.0.53"]}}\n' \
		"$(get .ipam.address)" "$(get .ipam.gateway)" ;;
STATUS:unavailable)
	echo '{"cniVersion":"1.1.0","code":50,"msg":"tipam pool empty"}'; exit 1 ;;
esac
exit 0
EOF
chmod +x "$PL/tipam"
CNIPATH="/nonexistent:$PL:$REF"
container c1; container c2; container c3
links_etc() { grep -v '^cni0$\|^table\|^	\|^}'; }
before=$(state)

# --- the reference static plugin ------------------------------------------------
VER=1.0.0	# Debian's plugins (1.1.1) speak up to 1.0.0
static() {	# ADDR4 ADDR6
	echo "{\"type\":\"static\",\"dataDir\":\"$DATA\",\"addresses\":[{\"address\":\"$1\",\"gateway\":\"10.88.0.1\"},{\"address\":\"$2\",\"gateway\":\"fd00:88::1\"}],\"routes\":[{\"dst\":\"192.168.0.0/16\"}],\"dns\":{\"nameservers\":[\"10.88.0.53\"],\"search\":[\"lab\"]}}"
}
PM='[{"hostPort":8080,"containerPort":80}]'
IPAM=$(static 10.88.0.50/24 fd00:88::50/64) check "static: ADD c1 (10.88.0.50, fd00:88::50)" cni ADD c1 eth0 /run/netns/c1
r1=$(cat "$TMP/out")
check_eq "static: result carries its addresses and gateways" "10.88.0.50/24 10.88.0.1 fd00:88::50/64 fd00:88::1" \
	"$(jq -r '[.ips[]|.address, .gateway]|join(" ")' <<<"$r1")"
check_eq "static: result routes: its route via the gateway, default routes" "192.168.0.0/16 10.88.0.1|0.0.0.0/0 10.88.0.1|::/0 fd00:88::1" \
	"$(jq -r '[.routes[]|"\(.dst) \(.gw)"]|join("|")' <<<"$r1")"
check_eq "static: result dns from the plugin" '10.88.0.53 lab' "$(jq -r '[.dns.nameservers[0], .dns.search[0]]|join(" ")' <<<"$r1")"
check_eq "ip -j: c1's eth0 has the static addresses" "10.88.0.50/24 fd00:88::50/64" \
	"$(ip -n c1 -j addr show eth0 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')"
check_eq "ip -j: c1's routes: default and 192.168.0.0/16 via 10.88.0.1" "default 10.88.0.1|192.168.0.0/16 10.88.0.1" \
	"$(ip -n c1 -j route show | jq -r '[.[]|select(.gateway)|"\(.dst) \(.gateway)"]|join("|")')"
check_eq "ip -j: cni0 has the gateways" "10.88.0.1/24 fd00:88::1/64" \
	"$(ip -j addr show cni0 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')"
check_eq "no reservation file in our store (static keeps none)" "" \
	"$(ls -A "$DATA/$NET" | grep -v '^lock$\|^nsnet-cni$')"
PM='[]'
IPAM=$(static 10.88.0.51/24 fd00:88::51/64) check "static: ADD c2 (10.88.0.51)" cni ADD c2 eth0 /run/netns/c2
serve c1 tcp 80 c1
wait_for 5 listening c1 80
check "ping host -> c1" ping -c1 -W2 10.88.0.50
check "ping c2 -> c1 (IPv6)" ip netns exec c2 ping -6 -c1 -W2 fd00:88::50
expect "host 127.0.0.1:8080 reaches c1" '^c1 ' tcp 127.0.0.1 8080
expect "hairpin: c2 -> 10.88.0.1:8080 reaches c1, masqueraded" '^c1 10\.88\.0\.1' c2 tcp 10.88.0.1 8080
T=nsnet-cni-$NET
check_eq "nft -j: hairpin sources: the attachments' addresses" "10.88.0.50 10.88.0.51" \
	"$(nft -j list set inet $T net4 | jq -r '[.nftables[1].set.elem[]]|sort|join(" ")')"
PM='[{"hostPort":8080,"containerPort":80}]'
IPAM=$(static 10.88.0.50/24 fd00:88::50/64) EXTRA=",\"prevResult\":$r1" check "static: CHECK c1" cni CHECK c1 eth0 /run/netns/c1
IPAM=$(static 10.88.0.50/24 fd00:88::50/64) check "static: DEL c1" cni DEL c1 eth0 /run/netns/c1
IPAM=$(static 10.88.0.50/24 fd00:88::50/64) check "static: DEL c1 again" cni DEL c1 eth0 /run/netns/c1
PM='[]'
IPAM=$(static 10.88.0.51/24 fd00:88::51/64) check "static: DEL c2" cni DEL c2 eth0 /run/netns/c2
check_eq "static: nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
check_eq "nft -j: sets and maps empty" "0 0 0 0" \
	"$(for s in masq4 net4; do nft -j list set inet $T $s | jq '.nftables[1].set.elem|length'; done | paste -sd' ') $(for m in pm4 pm6; do nft -j list map inet $T $m | jq '.nftables[1].map.elem|length'; done | paste -sd' ')"

# --- tipam ------------------------------------------------------------------------
VER=1.1.0
tipam() { echo "{\"type\":\"tipam\",\"dataDir\":\"$DATA\",\"log\":\"$LOG\",\"mode\":\"$1\",\"address\":\"10.88.0.${2:-60}/24\",\"gateway\":\"10.88.0.1\"}"; }
calls() { [ -s "$LOG" ] && paste -sd'|' "$LOG"; : > "$LOG"; }
: > "$LOG"
PM='[{"hostPort":8081,"containerPort":80}]'
out=$(IPAM=$(tipam fail-add) cni ADD c3 eth0 /run/netns/c3 2>/dev/null)
check_eq "failing IPAM ADD: its code and message passed through" "42 no luck" "$(jq -r '"\(.code) \(.msg)"' <<<"$out")"
check_match "… details name the plugin" 'tipam.*refuses on purpose' "$(jq -r .details <<<"$out")"
check_eq "… IPAM called for ADD only" "ADD c3 eth0" "$(calls)"
check_eq "… nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"

check_eq "IPAM result with an unreachable route gateway: our ADD fails (100)" 100 \
	"$(IPAM=$(tipam bad-route) cni_code ADD c3 eth0 /run/netns/c3)"
check_eq "… the IPAM DEL was called" "ADD c3 eth0|DEL c3 eth0" "$(calls)"
check_eq "… nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"

check_eq "IPAM result that is not JSON: 108" 108 "$(IPAM=$(tipam garbage) cni_code ADD c3 eth0 /run/netns/c3)"
check_eq "… the IPAM DEL was called" "ADD c3 eth0|DEL c3 eth0" "$(calls)"
check_eq "IPAM result without address: 108" 108 "$(IPAM=$(tipam no-address) cni_code ADD c3 eth0 /run/netns/c3)"
check_eq "… the IPAM DEL was called" "ADD c3 eth0|DEL c3 eth0" "$(calls)"
out=$(IPAM=$(tipam crash) cni ADD c3 eth0 /run/netns/c3 2>/dev/null)
check_eq "IPAM killed by a signal: 108" "108" "$(jq -r .code <<<"$out")"
check_match "… says so" 'killed by signal 9' "$(jq -r .details <<<"$out")"
check_eq "… no DEL (its ADD did not succeed)" "ADD c3 eth0" "$(calls)"
check_eq "… nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
IPAM='{"type":"nosuchipam","dataDir":"'$DATA'"}' check_eq "IPAM plugin not on CNI_PATH: 108" 108 "$(IPAM='{"type":"nosuchipam","dataDir":"'$DATA'"}' cni_code ADD c3 eth0 /run/netns/c3)"
check_eq "… nothing left" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
# a result that the kernel refuses after the veth and addresses exist: another
# interface of that name is in the container
ip -n c3 link add eth0 type veth peer name x0
check_eq "IPAM ok, interface exists in the container: 104" 104 "$(IPAM=$(tipam ok) cni_code ADD c3 eth0 /run/netns/c3)"
check_eq "… the IPAM DEL was called" "ADD c3 eth0|DEL c3 eth0" "$(calls)"
ip -n c3 link del eth0

IPAM=$(tipam ok 61) check "tipam: ADD c3" cni ADD c3 eth0 /run/netns/c3
r3=$(cat "$TMP/out")
check_eq "… result: its address, its route via the gateway, its dns" "10.88.0.61/24 10.123.0.0/16 10.88.0.1 10.88.0.53" \
	"$(jq -r '[.ips[0].address, .routes[0].dst, .routes[0].gw, .dns.nameservers[0]]|join(" ")' <<<"$r3")"
check_eq "ip -j: c3 has the address" "10.88.0.61/24" \
	"$(ip -n c3 -j addr show eth0 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')"
check "… and traffic" ip netns exec c3 ping -c1 -W2 10.88.0.1
IPAM=$(tipam ok 61) EXTRA=",\"prevResult\":$r3" check "tipam: CHECK c3" cni CHECK c3 eth0 /run/netns/c3
IPAM=$(tipam ok 61) check "tipam: STATUS" cni STATUS "" "" ""
check_eq "… IPAM ADD, CHECK, STATUS called" "ADD c3 eth0|CHECK c3 eth0|STATUS - -" "$(calls)"
check_eq "tipam: STATUS when the IPAM is unavailable: its 50" 50 "$(IPAM=$(tipam unavailable) cni_code STATUS "" "" "")"
calls >/dev/null
IPAM=$(tipam ok 61) EXTRA=',"cni.dev/valid-attachments":[]' check "tipam: GC with no valid attachment" cni GC "" "" ""
check_eq "… our part: c3's interface, record and elements gone" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
check_eq "… IPAM GC called" "GC - -" "$(calls)"
IPAM=$(tipam ok 61) check "tipam: DEL c3 after GC" cni DEL c3 eth0 /run/netns/c3
check_eq "… IPAM DEL called" "DEL c3 eth0" "$(calls)"

# without masquerade and port mappings: the hairpin source element is still removed by DEL
MASQ=false PM='[]' IPAM=$(tipam ok 64) check "tipam, no ipMasq, no port mapping: ADD c3" cni ADD c3 eth0 /run/netns/c3
check_eq "… nft -j: its address is a hairpin source" "10.88.0.64" \
	"$(nft -j list set inet nsnet-cni-$NET net4 | jq -r '[.nftables[1].set.elem[]?]|join(" ")')"
MASQ=false PM='[]' IPAM=$(tipam ok 64) check "… DEL c3" cni DEL c3 eth0 /run/netns/c3
check_eq "… nft -j: no hairpin source left" "" \
	"$(nft -j list set inet nsnet-cni-$NET net4 | jq -r '[.nftables[1].set.elem[]?]|join(" ")')"
calls >/dev/null

# --- every fault point and crash point of an ADD with a delegated IPAM -----------
balanced() {	# every IPAM ADD that succeeded was followed by an IPAM DEL
	awk '$1 == "ADD" {n++} $1 == "DEL" && n > 0 {n--} END {exit n != 0}' "$LOG"
}
k=1 ok=0 bad=0
while [ $k -le 60 ]; do
	: > "$LOG"
	IPAM=$(tipam ok 62) NSNET_FAIL_AT=$k cni ADD c3 eth0 /run/netns/c3 > "$TMP/o" 2>&1 && break
	if [ "$(state | links_etc)" = "$(printf '%s\n' "$before" | links_etc)" ] && balanced; then ok=$((ok + 1))
	else bad=$((bad + 1)); not_ok "fault at $k: left something or IPAM not released"; cat "$LOG"; state | links_etc | diff <(printf '%s\n' "$before" | links_etc) - | head; fi
	k=$((k + 1))
done
check_eq "NSNET_FAIL_AT=1..$((k - 1)): ADD fails, nothing left, IPAM released; then ADD completes" "$((k - 1)) 0 ok" \
	"$ok $bad $([ -s "$TMP/o" ] && jq -e .ips "$TMP/o" >/dev/null && echo ok)"
IPAM=$(tipam ok 62) check "DEL c3" cni DEL c3 eth0 /run/netns/c3
k=1 ok=0 bad=0
while [ $k -le 60 ]; do
	: > "$LOG"
	IPAM=$(tipam ok 63) NSNET_CRASH_AT=$k cni ADD c3 eth0 /run/netns/c3 > "$TMP/o" 2>&1 && break
	IPAM=$(tipam ok 63) cni DEL c3 eth0 /run/netns/c3 > /dev/null 2>&1
	if [ "$(state | links_etc)" = "$(printf '%s\n' "$before" | links_etc)" ] && balanced; then ok=$((ok + 1))
	else bad=$((bad + 1)); not_ok "crash at $k + DEL: left something or IPAM not released"; cat "$LOG"; fi
	k=$((k + 1))
done
check_eq "NSNET_CRASH_AT=1..$((k - 1)) then DEL: nothing left, IPAM released" "$((k - 1)) 0" "$ok $bad"
IPAM=$(tipam ok 63) check "DEL c3" cni DEL c3 eth0 /run/netns/c3
check_eq "nothing left at the end" "$(printf '%s\n' "$before" | links_etc)" "$(state | links_etc)"
