#!/bin/bash
# nsnet events: changes made by hand (ip, tc inside nodes and on the host) and by
# nsnet (run --name, down) each appear once, with the right node, interface and
# details, and fast; nothing of objects outside the lab; nodes removed and added
# by hand (inotify); an overrun is said and resynced; the stream ends with the
# lab (exit 0), on SIGTERM, --count and --timeout. iproute2 makes the changes;
# jq reads the stream.
. ./lib.sh
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TMP"; }
trap cleanup EXIT
N=$NSNET
EV=$TMP/ev.json

# events matching a jq condition, as compact lines
sel() { jq -c "select($1)" "$EV" 2>/dev/null; }
nsel() { sel "$1" | wc -l; }
has() { [ "$(nsel "$1")" -ge "${2:-1}" ]; }
now() { date +%s.%N; }
LAT=()
# step DESC CONDITION CMD…: run CMD, wait (5 s) for an event matching CONDITION; keep
# the latency from just before CMD to the event's timestamp
step() {
	local d=$1 cond=$2 t0 ts; shift 2
	t0=$(now)
	"$@" > "$TMP/cmd" 2>&1 || { not_ok "$d: command failed: $*"; sed 's/^/#   /' "$TMP/cmd"; return; }
	if wait_for 5 has "$cond"; then
		if [ "$1" = true ]; then ok "$d"; return; fi	# a consequence of the step before
		ts=$(sel "$cond" | head -1 | jq -r .ts)
		LAT+=("$(awk -v a="$t0" -v b="$ts" 'BEGIN { printf "%d", (b - a) * 1000 }')")
		ok "$d (${LAT[-1]} ms)"
	else
		not_ok "$d: no event $cond"; tail -5 "$EV" | sed 's/^/#   /'
	fi
}
# once DESC CONDITION: exactly one such event so far
once() { check_eq "$1: reported once" 1 "$(nsel "$2")"; }

check "nsnet up (seed lab)" $N up
ip netns add other			# not the lab's
ip link add dummy0 type dummy		# not the lab's either

$N events -j > "$EV" 2> "$TMP/ev.err" & EVPID=$!; PIDS+=($EVPID)
check "the stream starts with \"ready\" (4 nodes)" wait_for 5 has '.event=="lab" and .action=="ready" and .nodes==4'

# ---- links inside a node, and the peer's carrier on the host ----------------------
RED_DOWN='.node=="red" and .ifname=="eth0" and .event=="link" and .action=="change" and .state=="down"'
step "ip -n red link set eth0 down → red:eth0 link down" "$RED_DOWN and .admin==\"down\"" \
	ip -n red link set eth0 down
step "… and its host end host:red-eth0 loses carrier" \
	'.node=="host" and .ifname=="red-eth0" and .state=="down" and .reason=="no carrier"' true
RED_UP='.node=="red" and .ifname=="eth0" and .event=="link" and .action=="change" and .state=="up"'
step "ip -n red link set eth0 up → red:eth0 link up" "$RED_UP" ip -n red link set eth0 up
step "… host:red-eth0 link up" '.node=="host" and .ifname=="red-eth0" and .state=="up"' true

# ---- addresses (ip netns exec as in the tutorials) --------------------------------
ADD='.node=="blue" and .ifname=="eth0" and .event=="addr" and .action=="add" and .address=="10.9.9.2/24"'
step "ip netns exec blue ip addr add 10.9.9.2/24 → blue:eth0 addr add" "$ADD" \
	ip netns exec blue ip addr add 10.9.9.2/24 dev eth0
ADD6='.node=="blue" and .event=="addr" and .action=="add" and .address=="fd00::2/64" and .family=="inet6"'
step "IPv6 address (with DAD) → one addr add" "$ADD6" ip -n blue addr add fd00::2/64 dev eth0
DEL='.node=="blue" and .ifname=="eth0" and .event=="addr" and .action=="del" and .address=="10.9.9.2/24"'
step "ip -n blue addr del 10.9.9.2/24 → addr del" "$DEL" ip -n blue addr del 10.9.9.2/24 dev eth0

# ---- routes -------------------------------------------------------------------------
R='.node=="red" and .event=="route" and .dst=="10.0.0.0/24" and .dev=="eth0"'
step "ip -n red route add 10.0.0.0/24 via .5 → route add" "$R and .action==\"add\" and .gateway==\"192.168.15.5\"" \
	ip -n red route add 10.0.0.0/24 via 192.168.15.5
step "ip -n red route replace … via .4 → route change" "$R and .action==\"change\" and .gateway==\"192.168.15.4\"" \
	ip -n red route replace 10.0.0.0/24 via 192.168.15.4
step "ip -n red route del … → route del" "$R and .action==\"del\"" ip -n red route del 10.0.0.0/24
check_match "text of the route: dst via gateway dev" '^10\.0\.0\.0/24 via 192\.168\.15\.5 dev eth0$' \
	"$(sel "$R and .action==\"add\"" | jq -r .route)"

# ---- the host bridge ----------------------------------------------------------------
BR='.node=="host" and .ifname=="v-net-0" and .event=="link" and .action=="change"'
step "ip link set v-net-0 down → host:v-net-0 link down" "$BR and .state==\"down\" and .admin==\"down\"" \
	ip link set v-net-0 down
T0=$(now)
ip link set v-net-0 up
# a bridge's oper state follows linkwatch, which runs bridges at most once a second
check "ip link set v-net-0 up → host:v-net-0 link up" wait_for 5 has "$BR and .state==\"up\""
echo "# bridge up seen after $(awk -v a="$T0" -v b="$(sel "$BR and .state==\"up\"" | jq -r .ts)" \
	'BEGIN { printf "%d", (b - a) * 1000 }') ms (kernel linkwatch delay for bridges)"

# ---- qdiscs (impairments) -------------------------------------------------------------
Q='.node=="red" and .ifname=="eth0" and .event=="qdisc" and .kind=="tbf" and .handle=="1:" and .parent=="root"'
step "tc qdisc add … tbf rate 1mbit → qdisc add" "$Q and .action==\"add\" and .rate_bps==1000000" \
	tc -n red qdisc add dev eth0 root handle 1: tbf rate 1mbit burst 32k latency 50ms
step "tc qdisc change … rate 2mbit → qdisc change" "$Q and .action==\"change\" and .rate_bps==2000000" \
	tc -n red qdisc change dev eth0 root handle 1: tbf rate 2mbit burst 32k latency 50ms
step "tc qdisc del → qdisc del" "$Q and .action==\"del\"" tc -n red qdisc del dev eth0 root

# ---- outside the lab: nothing ----------------------------------------------------------
ip link set dummy0 up; ip link set dummy0 down
ip -n other link set lo up; ip -n other addr add 10.77.0.1/24 dev lo

# ---- nodes removed and added by hand (the namespace directory) -------------------------
step "ip netns del green → node green removed" '.event=="node" and .action=="del" and .node=="green"' \
	ip netns del green
step "… and its host end goes with the namespace" \
	'.node=="host" and .ifname=="green-eth0" and .event=="link" and .action=="del"' true
step "ip netns add green (a lab node's name) → node green added" \
	'.event=="node" and .action=="add" and .node=="green" and .netns=="green"' ip netns add green
step "… and its links are watched: green:lo link up" \
	'.node=="green" and .ifname=="lo" and .event=="link" and .state=="up"' ip -n green link set lo up

# ---- a namespace joining through the lab's journal (nsnet run --name) ------------------
$N run -l seed --name web -- sleep 30 > "$TMP/run.out" 2>&1 & RUN=$!; PIDS+=($RUN)
check "nsnet run --name web → node web added" wait_for 10 has '.event=="node" and .action=="add" and .node=="web"'
check "… with its eth0 and the address run gave it" wait_for 5 \
	has '.node=="web" and .ifname=="eth0" and .event=="addr" and .family=="inet"'
wa=$(sel '.node=="web" and .ifname=="eth0" and .event=="addr" and .family=="inet"' | head -1 | jq -r .address)
check_eq "… the same address as ip shows" "$wa" \
	"$(ip -n web -j -4 addr show eth0 2>/dev/null | jq -r '.[0].addr_info[0] | "\(.local)/\(.prefixlen)"')"
check "… its host-side veth is the lab's" wait_for 5 \
	has '.node=="host" and .event=="link" and .action=="add" and .kind=="veth" and (.ifname | startswith("nsr"))'
kill "$RUN"; wait "$RUN" 2>/dev/null
check "run ends → node web removed" wait_for 10 has '.event=="node" and .action=="del" and .node=="web"'

sleep 1.5	# IPv6 DAD of fd00::2 is done by now: a second NEWADDR came
once "red:eth0 link down" "$RED_DOWN"
once "red:eth0 link up" "$RED_UP"
once "blue 10.9.9.2/24 add" "$ADD"
once "blue fd00::2/64 add (DAD updates are not new addresses)" "$ADD6"
once "blue 10.9.9.2/24 del" "$DEL"
once "route add" "$R and .action==\"add\""
once "node green removed" '.event=="node" and .action=="del" and .node=="green"'
check_eq "nothing of dummy0 or namespace other" 0 "$(nsel '.ifname=="dummy0" or .node=="other" or .netns=="other"')"
check_eq "every event names the lab" 0 "$(nsel '.lab!="seed"')"
check_eq "every line is one JSON object" "$(wc -l < "$EV")" "$(jq -c . "$EV" | wc -l)"
check_eq "nothing on stderr" "" "$(cat "$TMP/ev.err")"

# latency: from just before the command to the event (the command's start-up included)
sorted=$(printf '%s\n' "${LAT[@]}" | sort -n)
med=$(echo "$sorted" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
max=$(echo "$sorted" | tail -1)
echo "# latency ms over ${#LAT[@]} changes: median $med, max $max (all: $(echo $sorted))"
check "median latency under 100 ms ($med ms)" test "$med" -lt 100
check "every change within 1 s ($max ms)" test "$max" -lt 1000

# ---- text lines ----------------------------------------------------------------------------
$N events > "$TMP/text" 2>&1 & TXT=$!; PIDS+=($TXT)
wait_for 5 grep -q ' ready ' "$TMP/text"
ip -n orange link set eth0 down
check "text: TIME NODE:IF link down (admin down)" wait_for 5 \
	grep -Eq '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} orange:eth0 link down \(admin down\)$' "$TMP/text"
ip -n orange addr add 10.8.8.3/24 dev eth0
check "text: TIME NODE:IF addr add ADDR" wait_for 5 \
	grep -Eq '^[0-9:.]{12} orange:eth0 addr add 10\.8\.8\.3/24$' "$TMP/text"
ip -n orange link set eth0 up
kill -TERM "$TXT"; wait "$TXT"; st=$?
check_eq "SIGTERM: clean exit 0" 0 "$st"

# ---- overrun: a small socket buffer, the reader stopped during a burst; the resync
# reports what the kernel could not queue ------------------------------------------------------
NSNET_EVENTS_RCVBUF=1 $N events -j -l seed > "$TMP/ov.json" 2>&1 & OV=$!; PIDS+=($OV)
wait_for 5 grep -q '"ready"' "$TMP/ov.json"
for i in $(seq 1 250); do echo "addr add 10.50.0.$i/24 dev eth0"; done > "$TMP/batch"
kill -STOP "$OV"
ip -n orange -batch "$TMP/batch"
kill -CONT "$OV"
check "the burst overruns the socket: an overrun event for orange" wait_for 5 \
	grep -q '"event":"overrun".*"node":"orange"' "$TMP/ov.json"
ovc() { jq -r 'select(.node=="orange" and .event=="addr" and .action=="add" and (.address | startswith("10.50.0."))) | .address' "$TMP/ov.json"; }
all250() { [ "$(ovc | sort -u | wc -l)" = 250 ]; }
check "after the resync every one of the 250 addresses was reported" wait_for 10 all250
check_eq "… each once" 250 "$(ovc | wc -l)"
ip -n orange link set eth0 down
check "the stream goes on after the overrun" wait_for 5 \
	grep -q '"node":"orange","netns":"orange","ifname":"eth0".*"state":"down"' "$TMP/ov.json"
kill -INT "$OV"; wait "$OV"; st=$?
check_eq "SIGINT: clean exit 0" 0 "$st"

# ---- --count, --timeout ---------------------------------------------------------------------
( sleep 0.5; ip -n red link set eth0 down ) &
check "--count 1: exit 0 after the first event" timeout 10 $N events --count 1 --timeout 8
check_eq "… one event line after ready" 2 "$(wc -l < "$TMP/out")"
check "--timeout 0.3 without events: exit 0" $N events --timeout 0.3
check_status "--count 5 --timeout 0.3 not reached: exit 1" 1 $N events --count 5 --timeout 0.3
check_match "… saying so" 'timeout after 0 of 5 events' "$(cat "$TMP/out")"
check_status "events of a lab that is not up: exit 1" 1 $N events -l nosuch
check_match "… with a clear message" 'nosuch.*not up' "$(cat "$TMP/out")"
check_status "bad option: exit 2" 2 $N events --bogus
check_status "--count 0: exit 2" 2 $N events --count 0

# ---- nsnet down ends the stream ---------------------------------------------------------------
ip netns del green	# ours by hand: down would leave it (not the namespace it created)
check "nsnet down" $N down
wait "$EVPID"; st=$?
check_eq "nsnet down ends the stream with exit 0" 0 "$st"
check_eq "… and its last event is \"lab down\"" "lab down" "$(tail -1 "$EV" | jq -r '"\(.event) \(.action)"')"
check_eq "… after the nodes went" "3" "$(nsel '.event=="node" and .action=="del" and (.node=="red" or .node=="blue" or .node=="orange")')"
ip netns del other; ip link del dummy0
check_eq "no namespace left" "" "$(ip netns list)"

# ---- a converge (nsnet up of a changed file): nodes and objects follow the lab ----------------
cat > "$TMP/a.yaml" <<'EOF'
name: conv
bridges:
  br0: { addresses: [10.60.0.1/24] }
nodes:
  n1: { interfaces: { eth0: { bridge: br0, addresses: [10.60.0.11/24] } } }
  n2: { interfaces: { eth0: { bridge: br0, addresses: [10.60.0.12/24] } } }
EOF
cat > "$TMP/b.yaml" <<'EOF'
name: conv
bridges:
  br0: { addresses: [10.60.0.1/24] }
nodes:
  n1: { interfaces: { eth0: { bridge: br0, addresses: [10.60.0.11/24, 10.60.0.21/24] } } }
  n3: { interfaces: { eth0: { bridge: br0, addresses: [10.60.0.13/24] } } }
EOF
EV=$TMP/conv.json
check "nsnet up a.yaml" $N up "$TMP/a.yaml"
$N events -j -l conv > "$EV" 2>&1 & CV=$!; PIDS+=($CV)
check "ready (2 nodes)" wait_for 5 has '.event=="lab" and .action=="ready" and .nodes==2'
check "nsnet up b.yaml converges the running lab" $N up "$TMP/b.yaml"
check "node n3 added" wait_for 5 has '.event=="node" and .action=="add" and .node=="n3"'
check "… n3:eth0 with 10.60.0.13/24" wait_for 5 \
	has '.node=="n3" and .ifname=="eth0" and .event=="addr" and .action=="add" and .address=="10.60.0.13/24"'
check "… its host end (a new link of the lab on the host)" wait_for 5 \
	has '.node=="host" and .event=="link" and .action=="add" and .kind=="veth"'
check "node n2 removed" wait_for 5 has '.event=="node" and .action=="del" and .node=="n2"'
check "n1:eth0 addr add 10.60.0.21/24" wait_for 5 \
	has '.node=="n1" and .ifname=="eth0" and .event=="addr" and .action=="add" and .address=="10.60.0.21/24"'
ip -n n3 link set eth0 down
check "n3 is watched like the others" wait_for 5 has '.node=="n3" and .ifname=="eth0" and .state=="down"'
check_eq "nothing about n1's unchanged address" 0 "$(nsel '.node=="n1" and .address=="10.60.0.11/24"')"
check "nsnet down conv" $N down conv
wait "$CV"; st=$?
check_eq "… ends that stream with exit 0" "0 lab down" "$st $(tail -1 "$EV" | jq -r '"\(.event) \(.action)"')"

# ---- no namespace directory yet (a lab of bridges only): nodes still appear --------------------
cat > "$TMP/c.yaml" <<'EOF'
name: bare
bridges:
  br9: { addresses: [10.61.0.1/24] }
EOF
sed 's/^  br9.*/&\nnodes:\n  m1: { interfaces: { eth0: { bridge: br9, addresses: [10.61.0.11\/24] } } }/' \
	"$TMP/c.yaml" > "$TMP/d.yaml"
export NSNET_NETNS_DIR=/run/netns/not-yet
EV=$TMP/bare.json
check "a lab of one bridge, the namespace directory absent" sh -c "$N up $TMP/c.yaml && ! test -e $NSNET_NETNS_DIR"
$N events -j -l bare > "$EV" 2>&1 & BV=$!; PIDS+=($BV)
check "ready (0 nodes)" wait_for 5 has '.event=="lab" and .action=="ready" and .nodes==0'
check "a converge adds node m1 (and the directory)" $N up "$TMP/d.yaml"
check "node m1 added" wait_for 5 has '.event=="node" and .action=="add" and .node=="m1"'
check "… m1:eth0 10.61.0.11/24" wait_for 5 has '.node=="m1" and .event=="addr" and .address=="10.61.0.11/24"'
check "nsnet down bare" $N down bare
wait "$BV"; st=$?
check_eq "… ends that stream with exit 0" "0 lab down" "$st $(tail -1 "$EV" | jq -r '"\(.event) \(.action)"')"
unset NSNET_NETNS_DIR
