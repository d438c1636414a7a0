#!/bin/bash
# Builds the test VM: $B/vm/vmlinuz (Debian's stock kernel, package
# linux-image-amd64) and $B/vm/initramfs.cpio (busybox-static, our binaries,
# iproute2/iputils/jq/nft/bash with their libraries, the kernel modules the
# tests need, /init and the tests of tests/vm). Nothing is installed on this
# machine: the kernel package is fetched with `apt-get download` into
# $B/vm/cache and unpacked with `dpkg -x` into a scratch directory.
# Does nothing when the outputs are newer than every input (-f: always build).
# --host-suite also packs $B/vm/host-suite.cpio, to be appended to the
# initramfs: the host's integration tests (tests/netns) under /src, run by
# /init instead of tests/vm (tests/vm/run.sh --host-suite).
# Usage: tests/vm/build-initramfs.sh [-f] [--host-suite]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
B=${B:-$ROOT/build}; case $B in /*) ;; *) B=$ROOT/$B ;; esac
V=$B/vm
CACHE=$V/cache
force=0 host=0
for a in "$@"; do
	case $a in -f) force=1 ;; --host-suite) host=1 ;; *) echo "usage: $0 [-f] [--host-suite]" >&2; exit 2 ;; esac
done
say() { echo "vm: $*" >&2; }
die() { echo "vm: $*" >&2; exit 1; }

# Kernel modules the tests need; their dependencies are added from each
# module's .modinfo "depends=" (the package ships no modules.dep). crc32c_generic
# first: libcrc32c (nf_tables, nf_conntrack) asks the crypto API for "crc32c"
# at load time (a softdep by alias, not a symbol dependency).
MODS="crc32c_generic veth bridge dummy 8021q vrf macvlan ipvlan vxlan wireguard ifb tun overlay
      sch_netem sch_tbf sch_htb sch_prio sch_ingress sch_fq sch_cake
      cls_u32 cls_matchall cls_basic act_mirred act_gact
      nf_tables nft_chain_nat nft_nat nft_masq nft_ct nft_fib_inet nft_reject_inet
      nft_limit nf_conntrack nf_nat"
# Programs copied with every shared library they load (ldd) and the loader.
# ip/tc/ss/ping/nft/jq are the oracle of the tests, socat their servers and
# clients; bash runs tests/netns/lib.sh.
PROGS="ip tc ss nft ping jq socat bash"
NSNET_BINS="$B/nsnet $B/nsnet-cni $B/tests/netns-prim"

for p in $NSNET_BINS; do [ -x "$p" ] || die "$p missing: run make first"; done
P=""
for p in $PROGS; do
	p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$p") || die "$p missing: run make deps"
	P="$P $p"
done
[ -x /bin/busybox ] || die "/bin/busybox missing (busybox-static): run make deps"
command -v objcopy >/dev/null || die "objcopy missing (binutils): run make deps"
mkdir -p "$CACHE"
exec 9> "$V/lock"	# one build at a time per build directory
flock 9

# ---- the kernel package: newest linux-image-amd64 dependency, cached ---------
kpkg() { apt-cache depends linux-image-amd64 2>/dev/null |
	 awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'; }
pkg=$(kpkg || true)
if [ -z "$pkg" ] && ! ls "$CACHE"/linux-image-*.deb >/dev/null 2>&1; then
	say "apt-get update (no candidate for linux-image-amd64)"
	apt-get update -qq >&2 || true
	pkg=$(kpkg || true)
fi
deb=""
if [ -n "$pkg" ]; then
	deb=$(ls -t "$CACHE/${pkg}"_*.deb 2>/dev/null | head -1 || true)
	if [ -z "$deb" ]; then
		say "downloading $pkg"
		rm -f "$CACHE"/linux-image-*.deb
		(cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2) ||
			die "apt-get download $pkg failed"
		deb=$(ls -t "$CACHE/${pkg}"_*.deb | head -1)
	fi
else	# apt knows no candidate (offline, no lists): use what is cached
	deb=$(ls -t "$CACHE"/linux-image-*.deb 2>/dev/null | head -1 || true)
	[ -n "$deb" ] || die "no linux-image-amd64 candidate and nothing cached in $CACHE"
fi

# ---- kernel + module closure, kept in $V/kernel; redone when the .deb or this
# script changes ------------------------------------------------------------
K=$V/kernel
if [ $force = 1 ] || [ ! -f "$K/stamp" ] || [ "$(cat "$K/stamp")" != "$(basename "$deb")" ] ||
   [ "${BASH_SOURCE[0]}" -nt "$K/stamp" ]; then
	say "unpacking $(basename "$deb")"
	rm -rf "$K" "$V/unpack"; mkdir -p "$V/unpack" "$K"
	dpkg -x "$deb" "$V/unpack"
	kver=$(ls "$V/unpack/lib/modules" | head -1)
	[ -n "$kver" ] || die "no /lib/modules in $deb"
	cp "$V/unpack/boot/vmlinuz-$kver" "$K/vmlinuz"
	md=$V/unpack/lib/modules/$kver
	declare -A path=() seen=()
	while IFS= read -r f; do	# module name (with - and _ alike) -> path
		n=$(basename "$f"); n=${n%%.ko*}; path[${n//-/_}]=${f#"$md/"}
	done < <(find "$md/kernel" -name '*.ko*')
	order=()
	load() {	# depth first: dependencies before the module
		local n=${1//-/_} f d deps
		[ -n "${seen[$n]:-}" ] && return 0
		seen[$n]=1
		f=${path[$n]:-}
		if [ -z "$f" ]; then
			grep -qE "/${n//_/[-_]}\.ko" "$md/modules.builtin" && return 0
			die "module $n: neither in the package nor built in"
		fi
		case $f in
		*.xz)  xz -dc "$md/$f" > "$V/unpack/m.ko" ;;
		*.zst) zstd -qdc "$md/$f" > "$V/unpack/m.ko" ;;
		*.gz)  gzip -dc "$md/$f" > "$V/unpack/m.ko" ;;
		*)     cp "$md/$f" "$V/unpack/m.ko" ;;
		esac
		deps=$(objcopy -O binary -j .modinfo "$V/unpack/m.ko" /dev/stdout | tr '\0' '\n' |
		       sed -n 's/^depends=//p' | tr ',' ' ')
		mkdir -p "$K/modules/$(dirname "$f")"
		mv "$V/unpack/m.ko" "$K/modules/${f%.ko*}.ko"	# busybox insmod: no xz
		for d in $deps; do load "$d"; done
		order+=("${f%.ko*}.ko")
	}
	for m in $MODS; do load "$m"; done
	printf '%s\n' "${order[@]}" > "$K/modules.load"
	echo "$kver" > "$K/version"
	rm -rf "$V/unpack"
	basename "$deb" > "$K/stamp"
fi
kver=$(cat "$K/version")

# ---- the initramfs: rebuilt when any input is newer than it -----------------
out=$V/initramfs.cpio
inputs=("$K/stamp" $NSNET_BINS "$ROOT"/tests/vm/* "$ROOT/tests/netns/lib.sh" "$ROOT/tests/netns/sandbox.sh"
	"$ROOT"/examples/*.yaml)
stale=$force; [ -f "$out" ] || stale=1
if [ $stale = 0 ]; then
	for i in "${inputs[@]}"; do [ "$i" -nt "$out" ] && { stale=1; break; }; done
fi
copy_libs() {	# every library ldd lists for $1, at the same path under $R
	local l
	for l in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		[ -e "$R$l" ] && continue
		mkdir -p "$R$(dirname "$l")"
		cp -L "$l" "$R$l"
	done
}
pack() { (cd "$R" && find . | LC_ALL=C sort | /bin/busybox cpio -o -H newc -R 0:0 2>/dev/null) > "$1.tmp" && mv "$1.tmp" "$1"; }

if [ $host = 1 ]; then	# the host suite, always rebuilt (a few seconds)
	R=$V/root-host
	rm -rf "$R"; mkdir -p "$R/src/tests" "$R/src/build/tests" "$R/usr/bin"
	cp -r "$ROOT/tests/netns" "$ROOT/tests/labs" "$R/src/tests/"
	cp -r "$ROOT/examples" "$R/src/"
	for p in "$B"/tests/netns-*; do cp "$p" "$R/src/build/tests/"; done
	ln -s /usr/bin/nsnet "$R/src/build/nsnet"; ln -s /usr/bin/nsnet-cni "$R/src/build/nsnet-cni"
	for p in mountpoint flock setsid pgrep ps dot; do	# tools busybox lacks or differs in
		p=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v "$p") || continue
		mkdir -p "$R$(dirname "$p")"; cp -L "$p" "$R$p"; copy_libs "$p"
	done
	g=/usr/lib/x86_64-linux-gnu/graphviz	# dot's output plugins, loaded at run time
	if [ -d $g ]; then
		mkdir -p "$R$g"; cp -a $g/. "$R$g/"
		for p in $g/*.so*; do [ -f "$p" ] && copy_libs "$p"; done
	fi
	pack "$V/host-suite.cpio"
	rm -rf "$R"
	say "host suite: $(du -h "$V/host-suite.cpio" | cut -f1)"
fi
if [ $stale = 0 ]; then
	exit 0
fi
say "building initramfs (kernel $kver)"
R=$V/root
rm -rf "$R"
mkdir -p "$R"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,run,tmp,root,etc,tests,var/run} "$R/lib/modules/$kver"
chmod 1777 "$R/tmp"
cp /bin/busybox "$R/bin/busybox"
for a in $(/bin/busybox --list); do	# applets, except what the real tools provide
	case $a in busybox|ip|tc|ping|ping6|bash|sh) continue ;; esac
	ln -s busybox "$R/bin/$a"
done
for p in $P; do cp -L "$p" "$R$p"; copy_libs "$p"; done
for p in $NSNET_BINS; do cp "$p" "$R/usr/bin/"; copy_libs "$p"; done
# /bin/sh is bash: busybox's sh runs its own applets first (ip, tc, ping)
# whatever PATH says, and the tests' `sh -c` must reach iproute2
bash=$(command -v bash)
[ "$bash" = /bin/bash ] || ln -sf "$bash" "$R/bin/bash"
ln -sf "$bash" "$R/bin/sh"
cp -r "$K/modules/kernel" "$R/lib/modules/$kver/"
cp "$K/modules.load" "$R/lib/modules/$kver/"
mkdir -p "$R/etc/iproute2"
[ -d /etc/iproute2 ] && cp -r /etc/iproute2/. "$R/etc/iproute2/" 2>/dev/null || true
[ -d /usr/share/iproute2 ] && mkdir -p "$R/usr/share" && cp -r /usr/share/iproute2 "$R/usr/share/"
if ls /usr/lib/x86_64-linux-gnu/tc/*.dist >/dev/null 2>&1; then	# netem distributions
	mkdir -p "$R/usr/lib/x86_64-linux-gnu/tc" && cp /usr/lib/x86_64-linux-gnu/tc/*.dist "$R/usr/lib/x86_64-linux-gnu/tc/"
fi
for f in /etc/protocols /etc/services /etc/ethertypes; do	# nft, ss and libc read these
	[ -f "$f" ] && cp "$f" "$R/etc/"
done
echo 'root:x:0:0:root:/root:/bin/sh' > "$R/etc/passwd"
echo 'root:x:0:' > "$R/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' > "$R/etc/hosts"
echo nsnet-vm > "$R/etc/hostname"
cp "$ROOT/tests/vm/init" "$R/init"
cp "$ROOT/tests/netns/lib.sh" "$ROOT/tests/netns/sandbox.sh" "$R/tests/"
cp "$ROOT"/tests/vm/t-*.sh "$R/tests/"
cp -r "$ROOT/examples" "$R/tests/"
[ -f "$ROOT/tests/vm/vm-lib.sh" ] && cp "$ROOT/tests/vm/vm-lib.sh" "$R/tests/"
chmod 0755 "$R/init" "$R"/tests/*.sh
pack "$out"
cp "$K/vmlinuz" "$V/vmlinuz"
rm -rf "$R"
say "initramfs: $(du -h "$out" | cut -f1), $(wc -l < "$K/modules.load") modules"
