#!/bin/bash
# Rootless labs (nsnet(8), ROOTLESS): an unprivileged user brings labs up in a
# user+mount+network namespace kept by its per-user holder. The user is a
# numeric uid with no passwd entry, run through setpriv: nothing is added to
# /etc (shared with the host) and nothing is left to remove. Checked: the lab
# lives in the holder's namespaces only (iproute2 inside them as the oracle),
# pingall, nsnet exec, real traffic through a forward from the sandbox's
# 127.0.0.1 into a node (tcp and udp, lab-file and runtime forwards) and out
# through masquerade to an "internet" namespace of the test's own, with pasta
# and with slirp4netns; a port in use; no helper at all; a killed holder;
# root's labs (same lab, same names) untouched; after down: no process of the
# user, no mount, no listener, nothing but empty directories.
. ./lib.sh
PIDS=() SPIDS=()	# the test's own servers; servers in the user's nodes
D=
cleanup() {
	for p in "${PIDS[@]}" "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${U:-}" ] && pkill -KILL -U "$U" 2>/dev/null
	[ -n "$D" ] && { san_collect; rm -rf "$D"; }
	umount /dev/net/tun "$TMP/dev" 2>/dev/null
	ip netns del inet 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# an unused uid: no passwd entry, no process
U=
for u in $(seq $((61000 + $$ % 997)) 64999); do
	getent passwd "$u" >/dev/null || pgrep -U "$u" >/dev/null || { U=$u; break; }
done
[ -n "$U" ] || { not_ok "no unused uid"; exit 1; }
D=$(mktemp -d /tmp/nsnet-rootless.XXXXXX)	# the user's XDG_RUNTIME_DIR
chown "$U:$U" "$D"; chmod 0700 "$D"
R=$D/nsnet

# Sanitizer builds: the user cannot write the harness's log directory; its
# reports go to $D and are copied next to this test's log at the end.
SAN_ORIG=$(printf '%s' "${ASAN_OPTIONS:-}" | sed -n 's/.*log_path=\([^:]*\).*/\1/p')
san_collect() {
	local f
	[ -n "$SAN_ORIG" ] || return 0
	for f in "$D"/san.*; do [ -f "$f" ] && cp "$f" "$SAN_ORIG.rootless.${f##*/}"; done
	return 0
}
user_env=(XDG_RUNTIME_DIR="$D" HOME="$D" PATH="$PATH")
if [ -n "$SAN_ORIG" ]; then
	user_env+=(ASAN_OPTIONS="${ASAN_OPTIONS//$SAN_ORIG/$D/san}" UBSAN_OPTIONS="${UBSAN_OPTIONS//$SAN_ORIG/$D/san}")
fi
# run CMD… as the user (env -i: nothing of root's environment but what is listed)
run() { setpriv --reuid="$U" --regid="$U" --clear-groups env -i "${user_env[@]}" "$@"; }
N=$NSNET

# preconditions (not ok, never skipped, if missing)
if run unshare -Urn true 2>/dev/null; then ok "unprivileged user namespaces work here (uid $U)"
else not_ok "unprivileged user namespaces are not available ($(cat /proc/sys/user/max_user_namespaces))"; exit 1; fi
for t in pasta slirp4netns busybox socat; do
	command -v $t >/dev/null || { not_ok "$t is not installed (scripts/install-deps.sh)"; exit 1; }
done
# Debian's /dev/net/tun is 0666; where the host has it 0600, give the sandbox
# (only) a 0666 node for pasta and slirp4netns
if [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	mkdir -p "$TMP/dev" && mount -t tmpfs tmpfs "$TMP/dev" && mknod -m 666 "$TMP/dev/tun" c 10 200 &&
		mount --bind "$TMP/dev/tun" /dev/net/tun
fi

# the sandbox's uplink, with an "internet" namespace (the test's own) behind its gateway
ip netns add inet
ip link add up0 type veth peer name eth0 netns inet
ip addr add 10.77.0.1/24 dev up0; ip link set up0 up
ip -n inet addr add 10.77.0.254/24 dev eth0; ip -n inet addr add 10.77.1.1/32 dev lo
ip -n inet link set eth0 up; ip -n inet link set lo up
ip route add default via 10.77.0.254
ip netns exec inet timeout 300 socat TCP-LISTEN:9099,bind=10.77.1.1,reuseaddr,fork 'SYSTEM:read x; echo $SOCAT_PEERADDR-$x' &
PIDS+=($!)
# a service on the sandbox's own loopback, which lab nodes must not reach
timeout 300 socat TCP-LISTEN:9101,bind=127.0.0.1,reuseaddr,fork 'SYSTEM:echo host-loopback' &
PIDS+=($!)
wait_for 5 ip netns exec inet sh -c 'ss -ltn | grep -q ":9099 "'

tcp() { echo "$2" | timeout 5 socat -T3 - "TCP:$1" 2>/dev/null; }
udp() { echo "$2" | timeout 5 socat -T2 - "UDP:$1" 2>/dev/null; }
# a server inside a user's node, through nsnet exec (the pid is socat's)
serve() { local node=$1; shift; run "$N" exec -l seed "$node" -- timeout 300 socat "$@" & SPIDS+=($!); disown; }
listening() { run "$N" exec -l seed "$1" -- ss "-l$2n" | grep -q ":$3 "; }
nsp() { pgrep -U "$U" -x nsnet-ns; }
# iproute2 (or anything) inside the user's holder, as the oracle
inside() { nsenter -t "$(nsp)" -U -m -n "$@"; }
host_view() { ls -A /run/netns | sort | tr '\n' ' '; ls -A /run/nsnet | sort | tr '\n' ' '; ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort | tr '\n' ' '; nft list tables | sort | tr '\n' ' '; }

# ---- nothing runs yet: read-only commands start nothing -----------------------------
check_status "status as the user, nothing up: exit 1" 1 run "$N" status
check_match "… says no lab is up" "no lab is up" "$(cat "$TMP/out")"
check_eq "… and started no holder" "" "$(pgrep -U "$U" | tr '\n' ' ')"
check_status "sandbox as the user: needs root (exit 1)" 1 run "$N" sandbox -- true
check_match "… and says so" "needs root" "$(cat "$TMP/out")"

# ---- root's own lab, which must not notice ------------------------------------------
check "root: nsnet up --topo star,3" "$N" up --topo star,3
root_before=$(host_view)

# ---- pasta -------------------------------------------------------------------------
check "user: nsnet up (seed lab) with pasta" run "$N" up
check_match "holder, namespace keeper and pasta run as the user" "nsnet-holder.*nsnet-ns|nsnet-ns.*nsnet-holder" "$(pgrep -U "$U" -l | awk '{print $2}' | sort | tr '\n' ' ')"
check_match "… pasta is the NAT helper" '"helper":"pasta"' "$(run "$N" rootless status -j)"
check_eq "the lab's bridge is in the holder's namespace" 192.168.15.5 "$(inside ip -j addr show v-net-0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')"
check_eq "… and its nodes in the holder's namespace directory" "blue green orange red" "$(inside ls "$R/netns" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "… which is empty outside the holder" "" "$(find "$R/netns" -mindepth 1)"
check_match "the journal is in the user's state directory, the user's own" "^$U $U 700 .*seed/journal" "$(stat -c '%u %g %a' "$R/state/seed") $(ls "$R/state/seed/journal")"
check_eq "root's host is unchanged (/run/netns, /run/nsnet, links, nft tables)" "$root_before" "$(host_view)"
check_eq "red's eth0 (iproute2 in red, inside the holder)" 192.168.15.1 "$(inside nsenter --net="$R/netns/red" ip -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')"
check "pingall as the user" run "$N" pingall
check "real traffic: red pings blue (nsnet exec)" run "$N" exec red -- ping -c1 -W2 192.168.15.2
check_eq "nsnet exec runs as uid 0 of the user's namespace" 0 "$(run "$N" exec red -- id -u)"
check_eq "… in red's network namespace" 192.168.15.1 "$(run "$N" exec red -- ip -j addr show eth0 | jq -r '.[0].addr_info[] | select(.family=="inet") | .local')"
check_match "status as the user" "node red .*192.168.15.1/24" "$(run "$N" status | tr '\n' ' ')"
check_eq "status -j: 4 nodes" 4 "$(run "$N" status -j | jq '.nodes | length')"
check "diff as the user (nothing to change)" run "$N" diff
check "a user's second lab may reuse root's lab names (star-3)" run "$N" up --topo star,3
check "… and pings" run "$N" pingall -l star-3
check_eq "… root's star-3 is still its own" "$root_before" "$(host_view)"

# events and capture, as the user
run "$N" events -l seed --count 1 --timeout 20 > "$TMP/events" 2>&1 & evp=$!
wait_for 10 grep -q ready "$TMP/events"
run "$N" exec -l seed red -- ip link set eth0 down
wait "$evp"; evs=$?
run "$N" exec -l seed red -- ip link set eth0 up
run "$N" exec -l seed red -- ip route add default via 192.168.15.5 2>/dev/null
check_eq "events as the user: exit 0 after one event" 0 "$evs"
check_match "… red:eth0 link down" "red:eth0 link down" "$(cat "$TMP/events")"
(cd "$D" && run "$N" capture -l seed red:eth0 -c 2 -w red.pcap icmp > "$TMP/cap" 2>&1) & capp=$!
for i in $(seq 50); do kill -0 "$capp" 2>/dev/null || break; run "$N" exec -l seed red -- ping -c1 -W1 192.168.15.2 >/dev/null 2>&1; done
wait "$capp"
check_eq "capture as the user, -w relative to the working directory: echo request and reply" \
	"192.168.15.1 192.168.15.2 8,192.168.15.2 192.168.15.1 0," \
	"$(tshark -r "$D/red.pcap" -T fields -e ip.src -e ip.dst -e icmp.type 2>/dev/null | tr '\t\n' ' ,')"
check_eq "… the file is the user's" "$U" "$(stat -c %u "$D/red.pcap")"

# link state and impairments, as the user (rate: tbf; this kernel may lack netem)
check "link set red:eth0 rate 5mbit as the user" run "$N" link -l seed set red:eth0 rate 5mbit
check_match "… a tbf qdisc on red's eth0 (tc inside the holder)" '"kind":"tbf"' "$(inside nsenter --net="$R/netns/red" tc -j qdisc show dev eth0)"
check "link set red:eth0 clear" run "$N" link -l seed set red:eth0 clear
check_eq "… gone" "" "$(inside nsenter --net="$R/netns/red" tc -j qdisc show dev eth0 | grep tbf)"
check "link set blue:eth0 down" run "$N" link -l seed set blue:eth0 down
check_status "… red cannot reach blue" 1 run "$N" exec -l seed red -- ping -c1 -W1 192.168.15.2
check "link set blue:eth0 up" run "$N" link -l seed set blue:eth0 up
wait_for 5 run "$N" exec -l seed red -- ping -c1 -W1 192.168.15.2
check "… red reaches blue again" run "$N" exec -l seed red -- ping -c1 -W2 192.168.15.2

# forwards from the sandbox's 127.0.0.1 into nodes
serve blue TCP-LISTEN:80,reuseaddr,fork 'SYSTEM:read x; echo blue-$x'
wait_for 5 listening blue t 80
check_eq "forward 127.0.0.1:8080 -> blue:80 (lab file, pasta)" blue-a "$(tcp 127.0.0.1:8080 a)"
check "runtime forward udp 9053 -> blue:53" run "$N" forward add -l seed 9053/udp blue:53
serve blue UDP-LISTEN:53,reuseaddr,fork 'SYSTEM:read x; echo blue-udp-$x'
wait_for 5 listening blue u 53
check_eq "… reaches blue" blue-udp-b "$(udp 127.0.0.1:9053 b)"
check_match "… listed by rootless status" "udp 127.0.0.1:9053 \(lab seed\)" "$(run "$N" rootless status)"
check "forward del 9053/udp" run "$N" forward del -l seed 9053/udp
check_eq "… the host's 127.0.0.1:9053 is free again" "" "$(ss -lun | grep ':9053 ')"
socat TCP-LISTEN:9100,bind=127.0.0.1,reuseaddr SYSTEM:true & SPIDS+=($!)
wait_for 5 sh -c 'ss -ltn | grep -q ":9100 "'
check_status "a forward on a port in use on the host: exit 1" 1 run "$N" forward add -l seed 9100 red:9100
check_match "… naming the port" "127.0.0.1:9100/tcp is in use" "$(cat "$TMP/out")"
check_eq "… and the lab-file forward still works" blue-c "$(tcp 127.0.0.1:8080 c)"
run "$N" forward del -l seed 9100 >/dev/null 2>&1

# masquerade out: the internet namespace sees the sandbox's own address
# (shut-none: the client does not half-close; pasta 0.0~git20230309, Debian 12's,
# sometimes sends the reply again and again to a half-closed connection)
check_eq "masquerade through pasta: red -> 10.77.1.1 seen from 10.77.0.1" 10.77.0.1-hi "$(run "$N" exec -l seed red -- sh -c 'echo hi | timeout 5 socat -T3 - TCP:10.77.1.1:9099,shut-none')"
check_eq "pasta does not map the gateway to the host's loopback" "" "$(run "$N" exec -l seed red -- sh -c 'timeout 5 socat -T2 - TCP:10.77.0.254:9101 </dev/null' 2>/dev/null)"

check "user: down star-3" run "$N" down star-3
check_match "the holder stays while seed is up" "nsnet-holder" "$(pgrep -U "$U" -l)"
check "user: down seed" run "$N" down seed
for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done; SPIDS=()
wait_for 5 sh -c "! pgrep -U $U >/dev/null"
check_eq "after down: no process of the user is left (holder, keeper, pasta)" "" "$(pgrep -U "$U" -l | tr '\n' ' ')"
check_eq "… no mount of its directory" "0" "$(grep -c "$D" /proc/self/mountinfo)"
check_eq "… nothing listens on 8080" "" "$(ss -ltn | grep ':8080 ')"
check_eq "… only directories, locks and the log" ".lock .start.lock .sync.lock holder.log netns state" "$(ls -A "$R" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "… netns/ is empty, state/ has lock files only" "" "$(find "$R/netns" "$R/state" -mindepth 1 ! -name '.*.lock')"
check_eq "root's lab is untouched" "$root_before" "$(host_view)"
check "… and pings" "$N" pingall -l star-3

# ---- slirp4netns -------------------------------------------------------------------
user_env+=(NSNET_ROOTLESS_NET=slirp4netns)
check "user: nsnet up with slirp4netns" run "$N" up
check_match "… slirp4netns is the NAT helper" '"helper":"slirp4netns"' "$(run "$N" rootless status -j)"
check_eq "… its tap has the default route" nsnet-ext "$(inside ip -j route show default | jq -r '.[0].dev')"
serve blue TCP-LISTEN:80,reuseaddr,fork 'SYSTEM:read x; echo blue-$x'
wait_for 5 listening blue t 80
check_eq "forward 127.0.0.1:8080 -> blue:80 through slirp4netns" blue-d "$(tcp 127.0.0.1:8080 d)"
check "runtime forward 9053/udp" run "$N" forward add 9053/udp blue:53
serve blue UDP-LISTEN:53,reuseaddr,fork 'SYSTEM:read x; echo blue-udp-$x'
wait_for 5 listening blue u 53
check_eq "… reaches blue through slirp4netns" blue-udp-e "$(udp 127.0.0.1:9053 e)"
check_eq "masquerade through slirp4netns: seen from 10.77.0.1" 10.77.0.1-hi "$(run "$N" exec red -- sh -c 'echo hi | timeout 5 socat -T3 - TCP:10.77.1.1:9099,shut-none')"
check_eq "nodes cannot reach the host's loopback through 10.0.2.2" "" "$(run "$N" exec red -- sh -c 'timeout 5 socat -T2 - TCP:10.0.2.2:9101 </dev/null' 2>/dev/null)"
check_eq "… nor can the holder's host side" "" "$(run "$N" rootless exec -- sh -c 'timeout 5 socat -T2 - TCP:10.0.2.2:9101 </dev/null' 2>/dev/null)"
check_eq "… the same service is there (reached from the sandbox itself)" host-loopback "$(timeout 5 socat -T2 - TCP:127.0.0.1:9101 </dev/null)"
check "user: down" run "$N" down
for p in "${SPIDS[@]}"; do kill "$p" 2>/dev/null; done; SPIDS=()
wait_for 5 sh -c "! pgrep -U $U >/dev/null"
check_eq "after down: no process of the user is left (slirp4netns)" "" "$(pgrep -U "$U" -l | tr '\n' ' ')"
check_eq "… nothing listens on 8080" "" "$(ss -ltn | grep ':8080 ')"

# ---- named namespaces, and the holder's host side -------------------------------------
check "user: nsnet ns add foo (starts a holder)" run "$N" ns add foo
check_eq "… ns list" foo "$(run "$N" ns list | awk '{print $1}')"
check_eq "… nsnet inside rootless exec (as uid 0 there) sees the same" foo "$(run "$N" rootless exec -- "$N" ns list | awk '{print $1}')"
check_eq "… ns exec foo: lo only" lo "$(run "$N" ns exec foo ip -j link | jq -r '.[].ifname' | tr '\n' ' ' | sed 's/ $//')"
check "user: nsnet ns del foo" run "$N" ns del foo
wait_for 5 sh -c "! pgrep -U $U >/dev/null"
check_eq "… the last namespace gone, the holder is too" "" "$(pgrep -U "$U" -l | tr '\n' ' ')"

# ---- no helper ---------------------------------------------------------------------
user_env=("${user_env[@]/NSNET_ROOTLESS_NET=slirp4netns/NSNET_ROOTLESS_NET=auto}")
user_env=("${user_env[@]/#PATH=*/PATH=/nonexistent}")
check_status "up with neither pasta nor slirp4netns in PATH: exit 1 (the forward)" 1 run "$N" up
check_match "… says neither is installed, naming the packages" "neither pasta nor slirp4netns is installed \(Debian packages passt, slirp4netns\)" "$(cat "$TMP/out")"
check_match "… and that the forward is not published" "forwards are not published" "$(cat "$TMP/out")"
check "… the lab is up all the same" run "$N" pingall
check "down" run "$N" down
user_env=("${user_env[@]/#PATH=*/PATH=$PATH}")

# ---- a killed holder takes everything with it; the next one tears its labs down ---------
check "up again (pasta)" run "$N" up
check "nsnet rootless stop refuses while a lab is up" test "$(run "$N" rootless stop >/dev/null 2>&1; echo $?)" = 1
run "$N" exec red -- sleep 300 & disown	# a process of the user's in red
wait_for 5 sh -c "pgrep -U $U -x sleep >/dev/null"
kill -KILL "$(pgrep -U "$U" -x nsnet-holder)"
wait_for 5 sh -c "! pgrep -U $U -x 'nsnet-ns|pasta|passt.avx2|passt' >/dev/null"
check_eq "kill -9 of the holder: keeper and helpers die with it" "sleep" "$(pgrep -U "$U" -l | awk '{print $2}' | tr '\n' ' ' | sed 's/ $//')"
check "… the lab's journal is still there" test -f "$R/state/seed/journal"
check_status "status afterwards: a new holder tears the lab down (exit 1: no lab is up)" 1 run "$N" status
check_match "… and says so" "holder of seed was gone.*torn down" "$(cat "$TMP/out")"
wait_for 5 sh -c "! pgrep -U $U >/dev/null"
check_eq "… the process in red is gone, and the new holder too (nothing was left)" "" "$(pgrep -U "$U" -l | tr '\n' ' ')"
check_eq "… and the journal" "" "$(find "$R/state" -mindepth 1 ! -name '.*.lock')"
check "a new holder starts on the next up" run "$N" up
check "… which works" run "$N" pingall
check "rootless stop --force ends it" run "$N" rootless stop --force
wait_for 5 sh -c "! pgrep -U $U >/dev/null"
check_eq "… nothing of the user is left" "" "$(pgrep -U "$U" -l | tr '\n' ' ')"
check "… a down afterwards tears the lab's journal down" run "$N" down
check_eq "… nothing of the user is left, journal included" "" "$(pgrep -U "$U" -l | tr '\n' ' ')$(find "$R/state" -mindepth 1 ! -name '.*.lock')"

check "root: down star-3" "$N" down star-3
ip netns del inet
check_eq "root's namespace and state directories are empty (but for lock files)" "" "$(find /run/netns /run/nsnet -mindepth 1 ! -name '.*.lock')"
