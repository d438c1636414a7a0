#!/bin/bash
# Runs one integration test inside the sandbox made by tests/run.sh (unshare
# --net --mount --pid --fork --mount-proc): private mounts, tmpfs over the
# namespace and state directories, /sys of this namespace, lo up.
set -u
mount --make-rslave / 2>/dev/null || mount --make-rprivate /
for d in /run/netns /run/nsnet; do
	mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "not ok - sandbox: tmpfs on $d"; exit 1; }
done
umount -l /sys 2>/dev/null; mount -t sysfs sysfs /sys
ip link set lo up
export NSNET_IN_TEST_SANDBOX=1
cd "$(dirname "$1")"
exec bash "$1"
