#!/bin/bash
# nsnet ns exec: like ip netns exec — status passthrough, 127/126, signals
# reach the command (same PID, no fork), /etc/netns/NAME overlay, /sys of the
# namespace, private mounts.
. ./lib.sh
$NSNET ns add x || { not_ok "ns add x"; exit 1; }

check_status "exit status passes through (7)" 7 $NSNET ns exec x sh -c 'exit 7'
check_status "exit status 0" 0 $NSNET ns exec x true
check_status "-- before the command is accepted" 3 $NSNET ns exec x -- sh -c 'exit 3'
check_status "missing command: 127" 127 $NSNET ns exec x /nonexistent/cmd
check_match "… with a message" 'exec of "/nonexistent/cmd" failed' "$(cat "$TMP/out")"
echo "echo hi" > "$TMP/noexec"; chmod 644 "$TMP/noexec"
check_status "not executable: 126" 126 $NSNET ns exec x "$TMP/noexec"
check_status "missing namespace: 1" 1 $NSNET ns exec nosuch true
check_status "no command: usage, 2" 2 $NSNET ns exec x

# no fork: the command keeps nsnet's PID, so a signal to that PID reaches it
$NSNET ns exec x sh -c 'echo $$ > '"$TMP"'/pid; exec sleep 5' &
p=$!
wait_for 5 test -s "$TMP/pid"
check_eq "the command runs with nsnet's PID" "$p" "$(cat "$TMP/pid")"
wait $p
$NSNET ns exec x sh -c 'trap "exit 42" TERM; touch '"$TMP"'/ready; while :; do sleep 0.1; done' &
p=$!
wait_for 5 test -e "$TMP/ready"
kill -TERM $p
wait $p; st=$?
check_eq "SIGTERM by PID reaches the command (trap → 42)" 42 "$st"
$NSNET ns exec x sleep 30 &
p=$!
sleep 0.3; kill -KILL $p; wait $p; st=$?
check_eq "killed by a signal: 128+9" 137 "$st"

# /sys shows the namespace's own interfaces
ip link add vx0 type veth peer name inside0 netns x
check_eq "/sys/class/net inside: lo and the peer only" "inside0 lo" "$($NSNET ns exec x ls /sys/class/net | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "/sys outside unchanged" yes "$(test -e /sys/class/net/vx0 && echo yes || echo no)"
check_eq "the command is in the namespace (ip agrees)" '["lo","inside0"]' "$($NSNET ns exec x ip -j link show | jq -c '[.[].ifname]')"

# mounts made inside stay inside
$NSNET ns exec x sh -c "mount -t tmpfs nsnettest $TMP" 2>/dev/null
check_eq "mount inside exec does not leak out" no "$(grep -q ' nsnettest ' /proc/self/mountinfo && echo yes || echo no)"

# environment and working directory are kept
check_eq "working directory kept" "$PWD" "$($NSNET ns exec x pwd)"
check_eq "environment kept" hello "$(NSNET_T=hello $NSNET ns exec x sh -c 'echo $NSNET_T')"

# /etc/netns/NAME/FILE is bound over /etc/FILE. The sandbox's / is an rslave
# mount: an overlay over /etc with a tmpfs upper layer keeps the real /etc
# untouched while /etc/netns can be created.
mkdir -p "$TMP/ovl" && mount -t tmpfs tmpfs "$TMP/ovl" && mkdir "$TMP/ovl/u" "$TMP/ovl/w"
if mount -t overlay overlay -o "lowerdir=/etc,upperdir=$TMP/ovl/u,workdir=$TMP/ovl/w" /etc; then
	mkdir -p /etc/netns/x
	mount -t tmpfs tmpfs /etc/netns
	mkdir -p /etc/netns/x
	echo "10.1.2.3 overlay-test" > /etc/netns/x/hosts
	echo "not bound" > /etc/netns/x/nsnet-no-such-target
	check_eq "/etc/netns/x/hosts overlays /etc/hosts" "10.1.2.3 overlay-test" "$($NSNET ns exec x cat /etc/hosts)"
	check_eq "ip netns exec sees the same" "10.1.2.3 overlay-test" "$(ip netns exec x cat /etc/hosts)"
	check_eq "outside, /etc/hosts unchanged" no "$(grep -q overlay-test /etc/hosts && echo yes || echo no)"
	check_eq "an entry without a target in /etc is skipped" no "$($NSNET ns exec x sh -c 'test -e /etc/nsnet-no-such-target && echo yes || echo no')"
	$NSNET ns add y
	check_eq "another namespace without /etc/netns entry: real file" no "$($NSNET ns exec y grep -q overlay-test /etc/hosts && echo yes || echo no)"
	umount /etc/netns; umount /etc
else
	not_ok "cannot mount an overlay over /etc (test skipped)"
fi
umount "$TMP/ovl"
