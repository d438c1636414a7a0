#!/bin/bash
# make check-vm: boots Debian's stock kernel under qemu (software emulation,
# no network device: -nic none) with the initramfs of build-initramfs.sh and
# turns the ok / not ok lines of the tests it runs into the same output as
# tests/run.sh, ending with "N passed, N failed".
# Usage: tests/vm/run.sh [--host-suite] [PATTERN]
#   PATTERN filters the test file names (a,b,c: any of them); --host-suite runs the host's
#   integration tests (tests/netns/t-*.sh) in the VM instead, to see how nsnet
#   fares on this kernel (slow under emulation; not part of make check-vm).
# Environment: B (build dir), NSNET_VM_TIMEOUT (seconds for the whole VM,
# default 240), NSNET_VM_SMP (virtual CPUs, default 1), NSNET_VM_KEEP=1 keeps
# the console and result logs and prints where.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$ROOT/build}; case $B in /*) ;; *) B=$ROOT/$B ;; esac
export B
host=0
[ "${1:-}" = --host-suite ] && { host=1; shift; }
PAT=${1:-}
V=$B/vm
pass=0 fail=0
finish() { echo "$pass passed, $fail failed"; [ "$fail" = 0 ]; exit $?; }

command -v qemu-system-x86_64 >/dev/null || { echo "not ok - vm: qemu-system-x86_64 missing (make deps)"; fail=1; finish; }
if ! "$ROOT/tests/vm/build-initramfs.sh" $([ $host = 1 ] && echo --host-suite); then
	echo "not ok - vm: building the kernel and initramfs failed"; fail=1; finish
fi
case $PAT in *[!A-Za-z0-9_,-]*) echo "not ok - vm: PATTERN may hold only [A-Za-z0-9_,-]"; fail=1; finish ;; esac

LOG=$(mktemp -d /tmp/nsnet-vm.XXXXXX)
initrd=$V/initramfs.cpio timeout=${NSNET_VM_TIMEOUT:-240} ttimeout=180
if [ $host = 1 ]; then	# the kernel unpacks concatenated archives in turn
	cat "$V/initramfs.cpio" "$V/host-suite.cpio" > "$LOG/initrd"
	initrd=$LOG/initrd timeout=${NSNET_VM_TIMEOUT:-3600} ttimeout=900
fi
t0=$(date +%s.%N)
timeout -k 5 "$timeout" qemu-system-x86_64 \
	-accel tcg -cpu max -smp "${NSNET_VM_SMP:-1}" -m 1024 \
	-nodefaults -nographic -monitor none -no-reboot -nic none \
	-serial "file:$LOG/console" -serial "file:$LOG/results" \
	-kernel "$V/vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 quiet panic=-1 mitigations=off nsnet.only=$PAT nsnet.timeout=$ttimeout" \
	< /dev/null > "$LOG/qemu" 2>&1 &
qpid=$!	# timeout runs in its own process group: stop it (and qemu) with us
trap 'kill $qpid 2>/dev/null; wait $qpid; rm -rf "$LOG"; exit 130' INT TERM HUP
wait $qpid
rc=$?
trap - INT TERM HUP
t1=$(date +%s.%N)

tally() {	# name, log file, exit status of the test, seconds it took
	local name=$1 f=$2 st=$3 secs=${4:+, $4 s} p n
	p=$(grep -c '^ok ' "$f")
	n=$(grep -c '^not ok ' "$f")
	if [ "$st" != 0 ] && [ "$n" = 0 ]; then
		echo "not ok - $name exited with status $st" >> "$f"; n=1
	fi
	if [ "$p" = 0 ] && [ "$n" = 0 ]; then
		echo "not ok - $name ran no check" >> "$f"; n=1
	fi
	pass=$((pass + p)); fail=$((fail + n))
	if [ "$n" != 0 ]; then
		echo "---- $name: $n failed$secs"; sed 's/^/  | /' "$f" | tail -"${NSNET_TAIL:-60}"
	else
		echo "$name: $p passed$secs"; grep '^# ' "$f" | sed 's/^/  /'	# measured figures
	fi
}

# split the result channel at the markers /init prints
tr -d '\r' < "$LOG/results" > "$LOG/r"
cur="" start="" kver="" up0="?" up1="?"
while IFS= read -r line; do
	case $line in
	"nsnet-vm: begin "*) set -- ${line#nsnet-vm: begin }; kver=$1 up0=${2:-?} ;;
	"nsnet-vm: test "*) set -- ${line#nsnet-vm: test }; cur=$1 start=${2:-}; : > "$LOG/t.$cur" ;;
	"nsnet-vm: end "*)
		set -- ${line#nsnet-vm: end }
		secs=""; [ -n "$start" ] && [ -n "${3:-}" ] && secs=$(printf "%.1f" "$(echo "$3 - $start" | bc)")
		tally "vm/$1" "$LOG/t.$1" "$2" "$secs"; rm -f "$LOG/t.$1"; cur="" ;;
	"nsnet-vm: done"*) echo "done" > "$LOG/done"; up1=${line#nsnet-vm: done } ;;
	*) [ -n "$cur" ] && printf '%s\n' "$line" >> "$LOG/t.$cur" ;;
	esac
done < "$LOG/r"
if [ -n "$cur" ]; then	# the VM stopped inside a test
	echo "not ok - vm/$cur did not finish (VM exit $rc)" >> "$LOG/t.$cur"
	tally "vm/$cur" "$LOG/t.$cur" 1
fi
if [ ! -f "$LOG/done" ]; then
	fail=$((fail + 1))
	echo "not ok - vm: the VM did not reach the end of its tests (qemu/timeout exit $rc); console:"
	tail -40 "$LOG/console" | sed 's/^/  | /'; sed 's/^/  | /' "$LOG/qemu"
fi
printf '# vm: kernel %s; guest uptime %s s at /init, %s s after the tests; %.1f s from qemu start to exit\n' \
	"${kver:-?}" "$up0" "$up1" "$(echo "$t1 - $t0" | bc)"
if [ "${NSNET_VM_KEEP:-0}" = 1 ]; then echo "# vm: logs in $LOG"; else rm -rf "$LOG"; fi
finish
