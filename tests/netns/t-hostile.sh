#!/bin/bash
# Hostile input: bad names given to every command that takes one, NUL bytes
# and deep nesting in lab files, symlinks planted in the namespace and state
# directories, a journal edited to name objects the lab does not own. Each is
# rejected or ignored with a message, and nothing outside the lab changes.
. ./lib.sh

snap() {
	{ ip -j -d link show | jq -c '[.[] | {ifname, ifalias, master}]'
	  ls -A /run/netns /run/nsnet
	  nft -j list tables
	  grep -c ' /run/netns/' /proc/self/mountinfo; } 2>&1
}
# what a planted symlink points to: names, sizes, modes and contents
tree_sum() { (cd "$1" && find . -printf '%p %s %m %y\n' | sort && find . -type f -exec cat {} + 2>/dev/null) | md5sum; }

# ---- bad names to every command -------------------------------------------------
long=$(printf 'x%.0s' $(seq 300))
names=("a/b" ".." "." "../../tmp/evil" $'x\ny' "$long" "")
nl=$'x\ny'
before=$(snap)
i=0
for n in "${names[@]}"; do
	i=$((i + 1))
	for cmd in "ns add" "ns del" "ns exec" "ns pids" "ns attach" "exec -l" "status" "down" "pingall -l" "graph"; do
		case $cmd in
		"ns exec")   args=(ns exec "$n" true) ;;
		"ns attach") args=(ns attach "$n" $$) ;;
		"exec -l")   args=(exec -l "$n" red -- true) ;;
		*)           read -ra args <<< "$cmd"; args+=("$n") ;;
		esac
		# like ip netns, a namespace name may hold a newline (tested below)
		[ "$n" = "$nl" ] && [ "${cmd:0:3}" = "ns " ] && continue
		"$NSNET" "${args[@]}" > "$TMP/o" 2>&1; rc=$?
		if [ $rc -ge 1 ] && [ $rc -le 2 ] && grep -q '^nsnet: \|^Usage' "$TMP/o"; then
			ok "bad name #$i to nsnet $cmd: exit $rc with a message"
		else
			not_ok "bad name #$i ('${n:0:12}') to nsnet $cmd: exit $rc"; sed 's/^/#   /' "$TMP/o" | head -5
		fi
	done
	# the same name as a node and as a lab name in a lab file
	printf 'name: %s\nnodes:\n  n1: {}\n' "\"${n//$'\n'/\\n}\"" > "$TMP/badlab.yaml"
	check_status "bad name #$i as a lab name: up exits 2" 2 "$NSNET" up "$TMP/badlab.yaml"
	printf 'name: ok%d\nnodes:\n  "%s": {}\n' $i "${n//$'\n'/\\n}" > "$TMP/badnode.yaml"
	check_status "bad name #$i as a node name: up exits 2" 2 "$NSNET" up "$TMP/badnode.yaml"
done
check_eq "bad names created nothing anywhere" "$before" "$(snap)"
check_eq "… no stray file from a name with ../" "" "$(ls -d /tmp/evil* 2>/dev/null)"
check "a namespace name with a newline works as with ip netns" "$NSNET" ns add "$nl"
check_eq "… ns list -j shows it escaped" '"x\ny"' "$("$NSNET" ns list -j | jq -c '.[0].name')"
check "… ns exec in it" "$NSNET" ns exec "$nl" true
check "… ns del" "$NSNET" ns del "$nl"
check_eq "… gone" "" "$(ls -A /run/netns)"

# ---- NUL bytes and deep nesting ------------------------------------------------
for f in "$ROOT"/tests/labs/bad/30-nul-byte.yaml "$ROOT"/tests/labs/bad/31-deep-nesting.yaml; do
	b=$(basename "$f")
	for c in validate graph up; do
		check_status "$c $b: exit 2" 2 "$NSNET" $c "$f"
	done
done
{ echo "name: deep"; printf 'x: '; head -c 200000 /dev/zero | tr '\0' '['; echo; } > "$TMP/deeper.yaml"
check_status "200,000 levels of nesting: exit 2, no stack overflow" 2 "$NSNET" validate "$TMP/deeper.yaml"
{ echo "name: deep2"; printf 'nodes:\n'; for d in $(seq 1 2000); do printf '%*sa%d:\n' $((d * 2)) '' $d; done; } > "$TMP/deepmap.yaml"
check_status "2,000 nested mappings: exit 2" 2 "$NSNET" validate "$TMP/deepmap.yaml"
printf 'name: "nul\0byte"\nnodes:\n  n1: {}\n' > "$TMP/nulname.yaml"
check_status "NUL inside a quoted name: exit 2" 2 "$NSNET" up "$TMP/nulname.yaml"
check_eq "… nothing created" "$before" "$(snap)"

# ---- symlinks planted in the namespace directory --------------------------------
etc_sum=$(tree_sum /etc/netns 2>/dev/null; stat -c '%i %Y' /etc)
ln -s /etc /run/netns/x
check_fail "ns exec of a symlink to /etc fails" "$NSNET" ns exec x true
check_match "… 'not a network namespace'" 'not a network namespace' "$(cat "$TMP/out")"
check_fail "ns pids of it fails" "$NSNET" ns pids x
check_match "… 'not a network namespace'" 'not a network namespace' "$(cat "$TMP/out")"
check_status "ns add over it: exit 1 (exists)" 1 "$NSNET" ns add x
printf 'name: sl\nnodes:\n  x: { }\n' > "$TMP/sl.yaml"
check_fail "up of a lab with node x: a clash" "$NSNET" up "$TMP/sl.yaml"
check_match "… says the namespace is not the lab's" 'already exists' "$(cat "$TMP/out")"
check "ns del removes the symlink" "$NSNET" ns del x
check_eq "… only the symlink" "no /etc" "$(test -e /run/netns/x -o -L /run/netns/x && echo yes || echo no) $(ls -d /etc)"
check_eq "/etc unchanged" "$etc_sum" "$(tree_sum /etc/netns 2>/dev/null; stat -c '%i %Y' /etc)"
# a symlink to a mount point: del must not unmount the target
mkdir -p "$TMP/mnt" && mount -t tmpfs tmpfs "$TMP/mnt" && echo precious > "$TMP/mnt/file"
ln -s "$TMP/mnt" /run/netns/m
check "ns del of a symlink to a mount point" "$NSNET" ns del m
check_eq "… the target is still mounted, its file intact" "yes precious" \
	"$(mountpoint -q "$TMP/mnt" && echo yes || echo no) $(cat "$TMP/mnt/file" 2>&1)"
# a symlink to a real namespace of the user's works, like with ip netns
ip netns add keepme
ln -s /run/netns/keepme /run/netns/alias
check_eq "a symlink to a namespace works for ns exec (like ip netns)" lo "$("$NSNET" ns exec alias ls /sys/class/net)"
rm /run/netns/alias

# a lab's namespace replaced by a symlink to one it does not own: down leaves that alone
check "seed lab up" "$NSNET" up -q
keep_ino=$(stat -L -c %i /run/netns/keepme)
"$NSNET" ns del red && ln -s /run/netns/keepme /run/netns/red
check "down with red replaced by a symlink to keepme" "$NSNET" down -q
check_eq "keepme survives (same inode)" "$keep_ino" "$(stat -L -c %i /run/netns/keepme 2>&1)"
rm -f /run/netns/red
check_eq "… the rest of the lab is gone" "keepme lo" "$(ls /run/netns) $(ip -j link show | jq -r '[.[].ifname] | join(" ")')"

# ---- symlinks planted in the state directory -------------------------------------
mkdir -p "$TMP/victim" && echo "ns keepme" > "$TMP/victim/journal" && echo data > "$TMP/victim/precious"
v_sum=$(tree_sum "$TMP/victim")
ln -s "$TMP/victim" /run/nsnet/seed
check_status "up with /run/nsnet/seed -> elsewhere: refused" 1 "$NSNET" up -q
check_match "… with a message" 'not a private directory|symlink' "$(cat "$TMP/out")"
"$NSNET" down seed > "$TMP/o" 2>&1
check_match "down of it: not up (idempotent) or refused, with a message" 'not up|is up|not a private' "$(cat "$TMP/o")"
check_status "status of it: exit 1" 1 "$NSNET" status seed
check_eq "the symlink target is unchanged" "$v_sum" "$(tree_sum "$TMP/victim")"
check_eq "… keepme still exists" keepme "$(ls /run/netns)"
check_eq "… no lab object was left" "lo" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')"
rm /run/nsnet/seed

mkdir -m 0700 /run/nsnet/seed && ln -s "$TMP/victim/journal" /run/nsnet/seed/journal
"$NSNET" down seed > "$TMP/o" 2>&1
check_match "down with the journal a symlink elsewhere: not up, with a message" 'no lab seed is up' "$(cat "$TMP/o")"
check_fail "up with it: refused" "$NSNET" up -q
check_eq "the journal's target is unchanged" "$v_sum" "$(tree_sum "$TMP/victim")"
check_eq "… keepme still exists" keepme "$(ls /run/netns)"
rm -rf /run/nsnet/seed
rm -f /run/nsnet/.seed.lock; ln -s "$TMP/victim/precious" /run/nsnet/.seed.lock
check_status "lock file a symlink: refused" 1 "$NSNET" up -q
check_match "… with a message" 'lock' "$(cat "$TMP/out")"
check_eq "… its target unchanged" "$v_sum" "$(tree_sum "$TMP/victim")"
rm /run/nsnet/.seed.lock

# ---- a journal edited to name objects the lab does not own -----------------------------
ip link add keep0 type bridge
ip link add keep1 type bridge && ip link set keep1 alias nsnet:other
nft add table inet usertbl && nft add table inet nsnet-other
sleep 300 & sleeper=$!
rp=$(sysctl -n net.ipv4.tcp_syncookies)
check "seed lab up" "$NSNET" up -q
j=/run/nsnet/seed/journal
printf '%s\n' "ns keepme" "ns ../../tmp" "ns .." "link keep0" "link keep1" "link lo" \
	"nft usertbl" "nft nsnet-other" "nft ../x" "pid $sleeper 1" "pid 1 0" \
	"hold net.ipv4.tcp_syncookies" "hold ../../../etc/passwd" >> $j
check "down with the edited journal" "$NSNET" down -q
check_eq "namespace keepme survives" keepme "$(ls /run/netns)"
check_eq "links keep0, keep1 and lo survive; the lab's are gone" "keep0 keep1 lo" \
	"$(ip -j link show | jq -r '[.[].ifname] | sort | join(" ")')"
check_eq "keep1's alias untouched" nsnet:other "$(ip -j link show keep1 | jq -r '.[0].ifalias')"
check_eq "nft tables usertbl and nsnet-other survive" "nsnet-other usertbl" \
	"$(nft -j list tables | jq -r '[.nftables[] | .table.name // empty] | sort | join(" ")')"
check_eq "the process named by a forged pid line survives" yes "$(kill -0 $sleeper 2>/dev/null && echo yes || echo no)"
check_eq "a forged hold line does not change the sysctl" "$rp" "$(sysctl -n net.ipv4.tcp_syncookies)"
check_eq "the lab's state is gone" "" "$(ls /run/nsnet)"
kill $sleeper; wait $sleeper 2>/dev/null
ip link del keep0; ip link del keep1; nft delete table inet usertbl; nft delete table inet nsnet-other
ip netns del keepme
