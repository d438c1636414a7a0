#!/bin/bash
# nsnet ns: interop with ip netns both ways, file mode, JSON, directory
# override, name validation, del with a process inside, pids/identify/attach.
. ./lib.sh

# ip → nsnet
ip netns add ipmade
check_eq "ip netns add → nsnet ns list" ipmade "$($NSNET ns list)"
check_eq "nsnet ns exec in an ip-made namespace sees only lo" lo "$($NSNET ns exec ipmade ls /sys/class/net)"
check_eq "nsnet ns identify inside it" ipmade "$(ip netns exec ipmade $NSNET ns identify)"
check "nsnet ns del of an ip-made namespace" $NSNET ns del ipmade
check_eq "… gone for ip netns list" "" "$(ip netns list)"

# nsnet → ip
check "nsnet ns add red blue" $NSNET ns add red blue
check_eq "ip netns list sees both" "blue red" "$(ip -j netns list | jq -r '[.[].name] | sort | join(" ")')"
check_eq "ip netns exec works in ours" lo "$(ip netns exec red ls /sys/class/net)"
check_eq "ip -n works in ours" '["lo"]' "$(ip -n blue -j link show | jq -c '[.[].ifname]')"
# the mode of the file under the bind mount: look in a mount namespace without it
fmode() { unshare -m sh -c "umount '$1' && stat -c %a '$1'"; }
check_eq "namespace file mode 0 (like ip netns add)" 0 "$(fmode /run/netns/red)"
check_eq "namespace file is an nsfs bind mount" nsfs "$(stat -f -c %T /run/netns/red)"
check_eq "red and blue are different namespaces" 2 "$(stat -L -c %i /run/netns/red /run/netns/blue | sort -u | wc -l)"
check_match "/run/netns is a shared mount" 'shared:' "$(grep ' /run/netns ' /proc/self/mountinfo | tail -1)"
check_status "adding an existing name fails" 1 $NSNET ns add red
check_match "… with File exists" 'File exists' "$(cat "$TMP/out")"
check "ip netns del of ours" ip netns del blue
check_eq "… gone for nsnet" red "$($NSNET ns list)"  # no nsid yet

# JSON
ip netns set red 7
check_eq "ns list -j: name and nsid (jq)" '[{"name":"red","id":7}]' "$($NSNET ns list -j | jq -c .)"
check_eq "-j before the command too" red "$($NSNET -j ns list | jq -r '.[0].name')"
check_eq "ns list -j equals ip -j netns list" "$(ip -j netns list | jq -S -c .)" "$($NSNET ns list -j | jq -S -c .)"
check_eq "plain list shows the id like ip" "red (id: 7)" "$($NSNET ns list)"

# directory override: --netns-dir and NSNET_NETNS_DIR
mkdir -p /tmp/nsdir-$$ && mount -t tmpfs tmpfs /tmp/nsdir-$$
check "--netns-dir: add" $NSNET --netns-dir /tmp/nsdir-$$ ns add other
check_eq "--netns-dir: file there, mode 0" 0 "$(fmode /tmp/nsdir-$$/other)"
check_eq "--netns-dir: not in /run/netns" red "$($NSNET ns list -j | jq -r '.[].name')"
check_eq "NSNET_NETNS_DIR: list" other "$(NSNET_NETNS_DIR=/tmp/nsdir-$$ $NSNET ns list)"
check_eq "NSNET_NETNS_DIR: exec" lo "$(NSNET_NETNS_DIR=/tmp/nsdir-$$ $NSNET ns exec other ls /sys/class/net)"
check "NSNET_NETNS_DIR: del" env NSNET_NETNS_DIR=/tmp/nsdir-$$ $NSNET ns del other
check_eq "--netns-dir: empty again" "" "$(ls -A /tmp/nsdir-$$)"
umount -l /tmp/nsdir-$$; rmdir /tmp/nsdir-$$

# bad names: exit 2, nothing created
before=$(ls -A /run/netns | sort | tr '\n' ' ')
for n in "" . .. a/b /x ../escape "$(printf 'x%.0s' $(seq 256))"; do
	check_status "bad name '${n:0:20}' → exit 2" 2 $NSNET ns add "$n"
done
check_status "bad name among good ones → exit 2" 2 $NSNET ns add good1 a/b good2
check_eq "bad names created nothing (no partial add)" "$before" "$(ls -A /run/netns | sort | tr '\n' ' ')"
check "255-byte name accepted" $NSNET ns add "$(printf 'n%.0s' $(seq 255))"
check "odd but valid names (space, colon, leading dot)" $NSNET ns add "a b" "c:d" ".e"
check_eq "… ip netns list agrees" 3 "$(ip -j netns list | jq '[.[].name | select(. == "a b" or . == "c:d" or . == ".e")] | length')"
check "… and they delete" $NSNET ns del "a b" "c:d" ".e" "$(printf 'n%.0s' $(seq 255))"
check_status "del of a missing name fails (exit 1)" 1 $NSNET ns del nosuch
check_status "del with a bad name: exit 2" 2 $NSNET ns del ..
check_status "exec with a bad name: exit 2" 2 $NSNET ns exec a/b true
check_status "unknown subcommand: exit 2" 2 $NSNET ns frobnicate

# del while a process is inside: the namespace lives on until it exits
$NSNET ns add held
$NSNET ns exec held sleep 30 &
holder=$!
wait_for 5 test "$($NSNET ns pids held)" = "$holder"
check_eq "ns pids lists the process" "$holder" "$($NSNET ns pids held)"
check_eq "ns pids -j" "[$holder]" "$($NSNET ns pids held -j | jq -c .)"
check_eq "ip netns pids agrees" "$holder" "$(ip netns pids held)"
check_eq "ns identify PID" held "$($NSNET ns identify $holder)"
check_eq "ns identify -j" '{"name":"held"}' "$($NSNET ns identify -j $holder | jq -c .)"
check_eq "identify of a process in no named namespace: empty" "" "$($NSNET ns identify $$)"
check_eq "identify -j of no name: null" null "$($NSNET ns identify -j $$ | jq -r .name)"
check_status "identify with a bad PID: exit 2" 2 $NSNET ns identify 12x
inode=$(stat -L -c %i /run/netns/held)
check "del with a process inside succeeds" $NSNET ns del held
check_eq "… the file is gone" no "$(test -e /run/netns/held && echo yes || echo no)"
check_eq "… the process still runs" yes "$(kill -0 $holder 2>/dev/null && echo yes || echo no)"
check_eq "… in the same namespace" "$inode" "$(stat -L -c %i /proc/$holder/ns/net)"
check_eq "… which still has its lo" lo "$(nsenter --net=/proc/$holder/ns/net ls /sys/class/net 2>/dev/null || nsenter -t $holder -n ip -j link | jq -r '.[].ifname')"

# attach: name the namespace of a running process
check "ns attach NAME PID" $NSNET ns attach again $holder
check_eq "… same namespace as the process" "$inode" "$(stat -L -c %i /run/netns/again)"
check_eq "… ip sees it" again "$(ip -j netns list | jq -r '.[] | select(.name=="again") | .name')"
check_status "attach with a bad PID: exit 2" 2 $NSNET ns attach x 0
check_status "attach to a missing PID fails" 1 $NSNET ns attach y 999999
check_eq "… and leaves no file" no "$(test -e /run/netns/y && echo yes || echo no)"
kill $holder; wait $holder 2>/dev/null
check "del the attached name" $NSNET ns del again
check_eq "only red is left" red "$($NSNET ns list -j | jq -r '.[].name')"
