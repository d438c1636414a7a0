#!/bin/bash
# valgrind memcheck over the unit tests and over the seed lab's up / status /
# pingall / exec / down (and ns add/exec/del) inside a throwaway sandbox.
# Any invalid access, use of uninitialised memory or leak (definite, indirect
# or possible) fails. Prints "N passed, N failed" like tests/run.sh.
# Usage: [B=build] tests/valgrind.sh      (make valgrind)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}; case $B in /*) ;; *) B=$ROOT/$B ;; esac
export B ROOT
VG=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible
    --errors-for-leak-kinds=definite,indirect,possible --track-origins=yes --child-silent-after-fork=yes
    --trace-children=no --suppressions="$ROOT/tests/valgrind.supp")
command -v valgrind > /dev/null || { echo "not ok - valgrind is not installed"; echo "0 passed, 1 failed"; exit 1; }
pass=0 fail=0
# vg DESC CMD… : run CMD under memcheck; a valgrind error (exit 99) fails, any other status is CMD's own
vg() {
	local d=$1 rc; shift
	"${VG[@]}" --log-file="$LOGDIR/vg.%p" "$@" > "$LOGDIR/out" 2>&1; rc=$?
	if [ $rc = 99 ] || grep -qs 'ERROR SUMMARY: [1-9]\|Invalid \|uninitialised\|definitely lost\|are definitely' "$LOGDIR"/vg.*; then
		echo "not ok - $d (valgrind)"; cat "$LOGDIR"/vg.* | head -60; fail=$((fail + 1))
	elif [ -n "${WANT:-}" ] && [ "$rc" != "$WANT" ]; then
		echo "not ok - $d: exit $rc, want $WANT"; sed 's/^/#   /' "$LOGDIR/out" | head; fail=$((fail + 1))
	else
		echo "ok - $d"; pass=$((pass + 1))
	fi
	rm -f "$LOGDIR"/vg.*
}

if [ "${NSNET_IN_TEST_SANDBOX:-}" = 1 ]; then	# second half, run by sandbox.sh below
	LOGDIR=$(mktemp -d)
	N=$B/nsnet
	WANT=0 vg "nsnet up (seed lab)" "$N" up -q
	WANT=0 vg "nsnet status" "$N" status
	WANT=0 vg "nsnet status -j" "$N" status -j
	WANT=0 vg "nsnet pingall" "$N" pingall
	WANT=0 vg "nsnet graph" "$N" graph
	WANT=0 vg "nsnet exec red -- true" "$N" exec red -- true
	WANT=1 vg "nsnet up again: already up" "$N" up -q
	WANT=0 vg "nsnet down" "$N" down -q
	WANT=0 vg "nsnet down again" "$N" down -q
	WANT=0 vg "nsnet up of examples/router.yaml" "$N" up -q "$ROOT/examples/router.yaml"
	WANT=0 vg "… down" "$N" down -q router
	WANT=2 vg "nsnet up of a bad lab (NUL byte)" "$N" up "$ROOT/tests/labs/bad/30-nul-byte.yaml"
	WANT=0 vg "nsnet ns add a b" "$N" ns add a b
	WANT=0 vg "nsnet ns list -j" "$N" ns list -j
	WANT=0 vg "nsnet ns exec a true" "$N" ns exec a true
	WANT=0 vg "nsnet ns del a b" "$N" ns del a b
	WANT=137 NSNET_CRASH_AT=20 vg "up killed at op 20 (crash injection)" "$N" up -q
	WANT=0 vg "… down after the crash" "$N" down -q
	WANT=1 NSNET_FAIL_AT=20 vg "up failing at op 20 rolls back" "$N" up -q
	left=$(ls -A /run/netns; ip -o link show | grep -vc ': lo:')
	if [ "$left" = 0 ]; then echo "ok - nothing left"; pass=$((pass + 1)); else echo "not ok - left: $left"; fail=$((fail + 1)); fi
	rm -rf "$LOGDIR"
	echo "$pass passed, $fail failed"
	[ $fail = 0 ]
	exit
fi

LOGDIR=$(mktemp -d)
trap 'rm -rf "$LOGDIR"' EXIT
for t in "$B"/tests/test-*; do	# the unit tests need no sandbox
	[ -x "$t" ] || continue
	WANT=0 vg "unit $(basename "$t")" "$t"
done
unshare --net --mount --pid --fork --mount-proc "$ROOT/tests/netns/sandbox.sh" "$ROOT/tests/valgrind.sh" > "$LOGDIR/lab" 2>&1
cat "$LOGDIR/lab" | grep -v '^[0-9]* passed, [0-9]* failed$'
p=$(grep -c '^ok ' "$LOGDIR/lab"); f=$(grep -c '^not ok ' "$LOGDIR/lab")
[ "$p$f" = 00 ] && f=1
pass=$((pass + p)) fail=$((fail + f))
echo "$pass passed, $fail failed"
[ $fail = 0 ]
