#!/bin/bash
# Runs one integration test inside the sandbox made by tests/run.sh (unshare
# --net --mount --pid --fork --mount-proc): private mounts, tmpfs over the
# namespace and state directories, /var/lib an overlay (writes to a tmpfs),
# /sys of this namespace, lo up.
set -u
mount --make-rslave / 2>/dev/null || mount --make-rprivate /
# /var/lib (CNI's default data directory /var/lib/cni, runtimes' state) is an
# overlay whose writes go to a scratch tmpfs, so that a test that forgets a
# data directory cannot leave anything on the host; the scratch tmpfs is then
# covered by the state directory's own
# (a host without /var/lib, like the VM's initramfs of tests/vm, has nothing to keep)
if [ -d /var/lib ]; then
	mkdir -p /run/nsnet && mount -t tmpfs -o mode=0700 tmpfs /run/nsnet &&
		mkdir /run/nsnet/up /run/nsnet/work &&
		mount -t overlay overlay -o lowerdir=/var/lib,upperdir=/run/nsnet/up,workdir=/run/nsnet/work /var/lib ||
		{ echo "not ok - sandbox: overlay on /var/lib"; exit 1; }
fi
for d in /run/netns /run/nsnet; do
	mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || { echo "not ok - sandbox: tmpfs on $d"; exit 1; }
done
umount -l /sys 2>/dev/null; mount -t sysfs sysfs /sys
ip link set lo up
export NSNET_IN_TEST_SANDBOX=1
cd "$(dirname "$1")"
exec bash "$1"
