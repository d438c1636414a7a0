#!/bin/bash
# Crash and fault injection for `nsnet ns add` and `nsnet sandbox`.
#
# ns add has no journal (like ip netns add): a SIGKILL right before its k-th
# kernel operation (NSNET_CRASH_AT=k) may leave, for the name being created,
# the empty mode-0 file that precedes the bind mount — exactly what ip netns
# add leaves when killed there. Asserted: names before it are whole
# namespaces, names after it do not exist, there is at most that one empty
# unmounted file, and `nsnet ns del` removes it. NSNET_FAIL_AT=k: exit 1 with
# the error, the failing name leaves nothing, earlier names are whole.
# sandbox: a crash or fault anywhere inside leaves nothing outside it.
. ./lib.sh

# state of name $1: ns (nsfs bind mount), empty (mode-0 empty file, no mount), none, or other
state() {
	local p=/run/netns/$1
	if [ ! -e "$p" ]; then echo none
	elif [ "$(stat -f -c %T "$p")" = nsfs ]; then echo ns
	elif [ -f "$p" ] && [ ! -s "$p" ] && [ "$(stat -c %a "$p")" = 0 ] &&
	     ! grep -q " $p " /proc/self/mountinfo; then echo empty
	else echo other; fi
}
clean() {	# remove whatever is there; then it must be empty
	local n
	for n in a b c; do [ -e /run/netns/$n ] && "$NSNET" ns del $n; done
	[ -z "$(ls -A /run/netns)" ] && [ -z "$(grep ' /run/netns/' /proc/self/mountinfo)" ]
}

ok_c=0 bad_c=0 leftovers=0 k=1
while [ $k -le 50 ]; do
	NSNET_CRASH_AT=$k "$NSNET" ns add a b c > "$TMP/o" 2>&1; rc=$?
	[ $rc = 0 ] && { clean; break; }
	s="$(state a) $(state b) $(state c)"
	# ns… then at most one "empty" (or none), then none…
	if [ $rc = 137 ] && printf '%s\n' "$s" | grep -Eq '^(ns )*(empty )?(none ?)*$|^ns ns (ns|empty)$'; then
		ok_c=$((ok_c + 1))
		case $s in *empty*) leftovers=$((leftovers + 1)) ;; esac
	else
		bad_c=$((bad_c + 1)); not_ok "ns add a b c crashed at op $k: exit $rc, state: $s"; cat "$TMP/o"
	fi
	clean || { bad_c=$((bad_c + 1)); not_ok "crash at $k: ns del did not clean up"; ls -la /run/netns; }
	k=$((k + 1))
done
total=$((k - 1))
check "ns add a b c has kernel operations to crash at ($total)" test $total -ge 7
check_eq "crash at each of $total points: whole namespaces, then at most one empty file" "$total 0" "$ok_c $bad_c"
echo "# crash points leaving the empty mode-0 file (as ip netns add would): $leftovers"
check "… which ns add then refuses (exists) and ns del removes" sh -c \
	"NSNET_CRASH_AT=3 $NSNET ns add a; test \"\$(stat -c %a /run/netns/a)\" = 0 && ! $NSNET ns add a && $NSNET ns del a && test ! -e /run/netns/a"
check "after the loop: ns add a b c works" "$NSNET" ns add a b c
check_eq "… three namespaces" "ns ns ns" "$(state a) $(state b) $(state c)"
check "… and ns del" "$NSNET" ns del a b c

ok_f=0 bad_f=0
for k in $(seq 1 "$total"); do
	NSNET_FAIL_AT=$k "$NSNET" ns add a b c > "$TMP/o" 2>&1; rc=$?
	s="$(state a) $(state b) $(state c)"
	if [ $rc = 1 ] && grep -q 'injected fault\|Input/output error' "$TMP/o" &&
	   printf '%s\n' "$s" | grep -Eq '^(ns )*(none ?)*$'; then
		ok_f=$((ok_f + 1))
	else
		bad_f=$((bad_f + 1)); not_ok "ns add a b c failing at op $k: exit $rc, state: $s"; cat "$TMP/o"
	fi
	clean
done
check_eq "a fault at each of $total points: exit 1, the failing name leaves nothing" "$total 0" "$ok_f $bad_f"

# ---- sandbox ---------------------------------------------------------------------------
snap() {
	{ ip -j link show | jq -c '[.[].ifname]'; ls -A /run/netns /run/nsnet
	  nft -j list tables; grep -c ' /run/netns\| /run/nsnet' /proc/self/mountinfo
	  pgrep -c -f 'nsnet|sleep 600' ; } 2>&1
}
cat > "$TMP/sb.yaml" <<'YAML'
name: sb
bridges:
  br0: { addresses: [10.3.0.254/24] }
nodes:
  n1:
    interfaces:
      eth0: { bridge: br0, addresses: [10.3.0.1/24] }
    routes: ["default via 10.3.0.254"]
    exec: ["sleep 600"]
  n2:
    interfaces:
      eth0: { bridge: br0, addresses: [10.3.0.2/24] }
nat:
  masquerade: [10.3.0.0/24]
YAML
before=$(snap)
ok_s=0 bad_s=0 k=1
while [ $k -le 200 ]; do
	NSNET_CRASH_AT=$k timeout 30 "$NSNET" sandbox "$TMP/sb.yaml" -- true > "$TMP/o" 2>&1; rc=$?
	[ $rc = 0 ] && break
	sleep 0.05
	now=$(snap)
	if [ "$rc" != 124 ] && [ "$now" = "$before" ]; then ok_s=$((ok_s + 1))
	else bad_s=$((bad_s + 1)); not_ok "sandbox crashed at $k: exit $rc"; diff <(echo "$before") <(echo "$now"); cat "$TMP/o"; fi
	k=$((k + 1))
done
stotal=$((k - 1))
check "sandbox with a lab has kernel operations to crash at ($stotal)" test $stotal -ge 10
check_eq "sandbox crashed at each of $stotal points: nothing left outside" "$stotal 0" "$ok_s $bad_s"
ok_s=0 bad_s=0
for k in $(seq 1 "$stotal"); do
	NSNET_FAIL_AT=$k timeout 30 "$NSNET" sandbox "$TMP/sb.yaml" -- true > "$TMP/o" 2>&1; rc=$?
	now=$(snap)
	if [ $rc = 1 ] && grep -q 'injected fault\|Input/output error' "$TMP/o" && [ "$now" = "$before" ]; then
		ok_s=$((ok_s + 1))
	else bad_s=$((bad_s + 1)); not_ok "sandbox failing at $k: exit $rc"; cat "$TMP/o"; fi
done
check_eq "sandbox with a fault at each of $stotal points: exit 1 with the error, nothing left" "$stotal 0" "$ok_s $bad_s"
