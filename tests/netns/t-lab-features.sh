#!/bin/bash
# Per-interface MAC and MTU, node sysctls, commands started in nodes, and
# `nsnet sandbox FILE` (a lab inside a throwaway host).
. ./lib.sh

cat > "$TMP/feat.yaml" <<'YAML'
name: feat
bridges:
  fbr: { addresses: [10.5.0.1/24], mtu: 1400 }
nodes:
  web:
    interfaces:
      eth0: { bridge: fbr, addresses: [10.5.0.2/24], mac: "02:aa:bb:cc:dd:01", mtu: 1400 }
    sysctls: { net.ipv4.conf.all.arp_ignore: 1 }
    exec:
      - "socat TCP-LISTEN:80,reuseaddr,fork SYSTEM:'read x; echo web-$x'"
      - "echo started > /dev/stderr"
  cli:
    interfaces:
      eth0: { bridge: fbr, addresses: [10.5.0.3/24], mtu: 1400 }
YAML
check "up a lab with MAC, MTU, sysctls and commands" $NSNET up "$TMP/feat.yaml"
check_eq "web's eth0 has the MAC from the file" "02:aa:bb:cc:dd:01" "$(ip -n web -j link show eth0 | jq -r '.[0].address')"
check_eq "MTU 1400 on both veth ends and the bridge" "1400 1400 1400" \
	"$(ip -n web -j link show eth0 | jq -r '.[0].mtu') $(ip -j link show web-eth0 | jq -r '.[0].mtu') $(ip -j link show fbr | jq -r '.[0].mtu')"
check_eq "node sysctl set inside the node only" "1 0" "$(ip netns exec web sysctl -n net.ipv4.conf.all.arp_ignore) $(sysctl -n net.ipv4.conf.all.arp_ignore)"
wait_for 5 ip netns exec web sh -c 'ss -ltn | grep -q ":80 "'
check_eq "the command started in web serves" web-q "$(echo q | ip netns exec cli timeout 5 socat -T3 - TCP:10.5.0.2:80)"
check_match "its output goes to the lab's log" started "$(cat /run/nsnet/feat/web.log)"
pid=$(ip netns pids web | head -1)
check "a process runs inside web" test -n "$pid"
check "down" $NSNET down
check_fail "the started process is gone" kill -0 "$pid"
check_eq "nothing left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"

check "nsnet sandbox FILE -- pingall (a lab in a throwaway host)" $NSNET sandbox "$ROOT/examples/seed.yaml" -- $NSNET pingall
check_match "… the lab came up inside" 'lab "seed" is up' "$(cat $TMP/out)"
check_eq "… and nothing of it is out here" "" "$(ip netns list; ls /run/nsnet)"
check_status "sandbox passes the command's status" 3 $NSNET sandbox -- sh -c 'exit 3'
check_status "sandbox with a bad lab file: exit 2" 2 $NSNET sandbox "$ROOT/tests/labs/bad/04-bad-cidr.yaml" -- true

# a kernel refusal midway (IPv6 needs MTU >= 1280): rollback, location, exit 1
cat > "$TMP/kerr.yaml" <<'YAML'
name: kerr
bridges:
  kb: { addresses: [10.6.0.1/24] }
nodes:
  a:
    interfaces:
      eth0: { bridge: kb, addresses: [10.6.0.2/24] }
  b:
    interfaces:
      eth0: { bridge: kb, addresses: [10.6.0.3/24, "fd06::3/64"], mtu: 1000 }
YAML
check_status "up refused by the kernel midway: exit 1" 1 $NSNET up "$TMP/kerr.yaml"
check_match "… names file:line:col, node, interface and the failing request" 'kerr.yaml:10:7: node b interface eth0: add address fd06::3/64' "$(cat $TMP/out)"
check_match "… and says it rolled back" 'rolled back' "$(cat $TMP/out)"
check_eq "… nothing left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')$(ip netns list)$(ls /run/nsnet)"
