#!/bin/bash
# Runs every libFuzzer harness built by `make fuzz` for SECONDS each, on its
# seed corpus tests/fuzz/corpus/NAME (read only; new inputs go to
# FB/corpus/NAME), with tests/fuzz/NAME.dict if there is one. Prints the
# executions per harness and the total; exits 1 if any harness found a crash
# (the reproducer is kept in FB/crashes/NAME/).
# Usage: tests/fuzz/run.sh FB SECONDS
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FB=${1:-build-fuzz}; SECONDS_EACH=${2:-30}
case $FB in /*) ;; *) FB=$ROOT/$FB ;; esac
total=0 bad=0
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
for bin in "$FB"/fuzz-*; do
	[ -x "$bin" ] || continue
	name=${bin##*/fuzz-}
	work=$FB/corpus/$name crashes=$FB/crashes/$name log=$FB/fuzz-$name.log
	mkdir -p "$work" "$crashes"
	seeds=()
	[ -d "$ROOT/tests/fuzz/corpus/$name" ] && seeds+=("$ROOT/tests/fuzz/corpus/$name")
	opts=(-max_total_time="$SECONDS_EACH" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1
	      -artifact_prefix="$crashes/")
	[ -f "$ROOT/tests/fuzz/$name.dict" ] && opts+=(-dict="$ROOT/tests/fuzz/$name.dict")
	"$bin" "${opts[@]}" "$work" "${seeds[@]}" > "$log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=${execs:-0}
	total=$((total + execs))
	if [ $rc = 0 ]; then
		printf '%-8s %12s executions in %ss, corpus %s files\n' "$name" "$execs" \
			"$SECONDS_EACH" "$(ls "$work" | wc -l)"
	else
		bad=$((bad + 1))
		printf '%-8s %12s executions: FAILED (exit %d), see %s\n' "$name" "$execs" $rc "$log"
		grep -m1 -A30 'ERROR: \|runtime error\|broken promise\|==ERROR' "$log" | head -40
		ls "$crashes"
	fi
done
echo "total    $total executions, $bad harness(es) failed"
[ $bad = 0 ]
