# Helpers for integration tests; sourced by tests/netns/t-*.sh.
# Each check prints "ok - DESC" or "not ok - DESC" (plus the output on failure).
: "${NSNET:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/nsnet}"
[ "${NSNET_IN_TEST_SANDBOX:-}" = 1 ] || { echo "not ok - not inside the test sandbox; run tests/run.sh"; exit 1; }
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

# check DESC CMD… : CMD must exit 0
check() {
	local d=$1; shift
	if "$@" > "$TMP/out" 2>&1; then ok "$d"; else not_ok "$d (exit $?)"; sed 's/^/#   /' "$TMP/out" | head -20; fi
}
# check_fail DESC CMD… : CMD must exit non-zero
check_fail() {
	local d=$1; shift
	if "$@" > "$TMP/out" 2>&1; then not_ok "$d (unexpected success)"; sed 's/^/#   /' "$TMP/out" | head -20; else ok "$d"; fi
}
# check_status DESC STATUS CMD… : CMD must exit with STATUS; output kept in $TMP/out
check_status() {
	local d=$1 want=$2 got; shift 2
	"$@" > "$TMP/out" 2>&1; got=$?
	if [ "$got" = "$want" ]; then ok "$d"; else not_ok "$d (exit $got, want $want)"; sed 's/^/#   /' "$TMP/out" | head -20; fi
}
# check_eq DESC WANT GOT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   want: $2"; echo "#   got:  $3"; fi
}
# check_match DESC REGEX TEXT
check_match() {
	if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else not_ok "$1"; echo "#   want match: $2"; printf '%s\n' "$3" | sed 's/^/#   got: /' | head -20; fi
}
# wait_for SECONDS CMD… : poll until CMD succeeds
wait_for() {
	local t=$(( $1 * 10 )); shift
	while [ $t -gt 0 ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}
