#!/bin/bash
# Runs every test: unit tests (no privileges) and integration tests, each
# integration script in its own throwaway sandbox (unshare net+mount+pid, tmpfs
# over /run/netns and /run/nsnet). Ends with "N passed, N failed".
# Usage: tests/run.sh [PATTERN]   (PATTERN filters test file names)
# Sanitizers (make check SANITIZE=1 builds into build-san): every ASan, LSan or
# UBSan report is written to LOG/<test>.log.san.PID and fails that test, even
# when the test expected the command to fail. NSNET_SAN_OPTIONS adds options.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${B:-$ROOT/build}; case $B in /*) ;; *) B=$ROOT/$B ;; esac
export NSNET="$B/nsnet" NSNET_CNI="$B/nsnet-cni" ROOT B
JOBS=${JOBS:-4}
PAT=${1:-}
LOG=$(mktemp -d /tmp/nsnet-tests.XXXXXX)
pass=0 fail=0
san_env() {	# the sanitizer options for a test whose log is $1
	ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$1.san${NSNET_SAN_OPTIONS:+:$NSNET_SAN_OPTIONS}"
	UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$1.san"
	export ASAN_OPTIONS UBSAN_OPTIONS
}

host_state() {
	{ ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
	  ls -A /run/netns 2>/dev/null | sort
	  nft list tables 2>/dev/null | sort
	  ip route show; ip -6 route show
	  sysctl -n net.ipv4.ip_forward
	  grep -c ' /run/netns\| /run/nsnet' /proc/self/mountinfo
	  ls -A /var/lib; find /var/lib/cni 2>/dev/null; } 2>&1
}
before=$(host_state)

tally() {	# count ok / not ok lines of a log; print failures
	local f=$1 name=$2 p n
	p=$(grep -c '^ok ' "$f")
	n=$(grep -c '^not ok ' "$f")
	if [ -f "$f.rc" ] && [ "$(cat "$f.rc")" != 0 ] && [ "$n" = 0 ]; then
		echo "not ok - $name exited with status $(cat "$f.rc") (see below)" >> "$f"
		n=1
	fi
	if [ "$p" = 0 ] && [ "$n" = 0 ]; then
		echo "not ok - $name ran no check" >> "$f"; n=1
	fi
	if compgen -G "$f.san*" > /dev/null; then
		if grep -q 'ERROR: \|runtime error\|Sanitizer has encountered a fatal error' "$f".san*; then
			echo "not ok - $name: sanitizer report(s):" >> "$f"; n=$((n + 1))
		else
			echo "# $name: sanitizer warning(s), not errors:" >> "$f"
		fi
		cat "$f".san* >> "$f"
	fi
	pass=$((pass + p)); fail=$((fail + n))
	if [ "$n" != 0 ]; then
		echo "---- $name: $n failed"; sed 's/^/  | /' "$f" | tail -${NSNET_TAIL:-60}
	else
		echo "$name: $p passed"
	fi
}

# Unit tests
for t in "$B"/tests/test-*; do
	[ -x "$t" ] || continue
	name=unit/$(basename "$t")
	[ -n "$PAT" ] && [[ $name != *$PAT* ]] && continue
	(san_env "$LOG/$(basename "$t").log"; exec "$t") > "$LOG/$(basename "$t").log" 2>&1
	echo $? > "$LOG/$(basename "$t").log.rc"
	tally "$LOG/$(basename "$t").log" "$name"
done

# Integration tests, in parallel, each in its own sandbox
scripts=()
for s in "$ROOT"/tests/netns/t-*.sh; do
	name=netns/$(basename "$s" .sh)
	[ -n "$PAT" ] && [[ $name != *$PAT* ]] && continue
	scripts+=("$s")
done
if [ ${#scripts[@]} -gt 0 ]; then
	printf '%s\n' "${scripts[@]}" | xargs -P "$JOBS" -I{} sh -c \
		'l="$1/$(basename "$2" .sh).log"; export ASAN_OPTIONS="abort_on_error=1:detect_leaks=1:log_path=$l.san${NSNET_SAN_OPTIONS:+:$NSNET_SAN_OPTIONS}" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$l.san"; timeout 600 unshare --net --mount --pid --fork --mount-proc "$3/tests/netns/sandbox.sh" "$2" > "$l" 2>&1; echo $? > "$l.rc"' \
		_ "$LOG" {} "$ROOT"
	for s in "${scripts[@]}"; do
		tally "$LOG/$(basename "$s" .sh).log" "netns/$(basename "$s" .sh)"
	done
fi

after=$(host_state)
if [ "$before" = "$after" ]; then
	pass=$((pass + 1)); echo "host: root namespace unchanged"
else
	fail=$((fail + 1)); echo "not ok - the root namespace changed:"; diff <(echo "$before") <(echo "$after")
fi
rm -rf "$LOG"
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
