#!/bin/bash
# nsnet-cni under a real runtime: podman (Debian's 4.3) with its CNI network
# backend runs two containers of an offline busybox image on the network of
# examples/cni/podman-nsnet.conflist (plus an IPv6 range); they ping each
# other, "-p 8080:80" serves the host (127.0.0.1 and the bridge address) and
# the other container (hairpin); a container that exits by itself is cleaned
# up by conmon's exit command; "podman rm" and "podman network rm" leave
# nothing of the attachments (no veth, netns, nft element, reservation).
#
# Everything podman writes stays in this sandbox: storage, run, tmp, network
# config and CNI plugin directories under a tmpfs ($P), chosen with
# CONTAINERS_CONF / CONTAINERS_STORAGE_CONF; and for what has no option (libcni's
# cache in /var/lib/cni, c/image's blob cache in /var/lib/containers, crun's
# state in /run/crun, the shm lock in /dev/shm) /var/lib and /run are overlays
# whose writes go to $P, /dev/shm is a tmpfs. No registry, no external traffic.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

missing=
for c in podman conmon crun busybox; do command -v $c >/dev/null || missing="$missing $c"; done
if [ -n "$missing" ]; then
	not_ok "podman test cannot run, missing:$missing (packages podman crun busybox-static: run scripts/install-deps.sh)"
	exit 1
fi
BB=$(command -v busybox)
if ldd "$BB" >/dev/null 2>&1; then
	not_ok "$BB is not static (install busybox-static: run scripts/install-deps.sh)"; exit 1
fi

P=$TMP/pod
MOUNTS=()
mnt() {	# mount ARGS… TARGET, remembered for cleanup
	mount "$@" || { not_ok "mount $*"; exit 1; }
	MOUNTS=("${!#}" "${MOUNTS[@]}")
}
cleanup() {
	# the sandbox's pid namespace ends conmon and the containers, its mount
	# namespace the mounts; detach them here so that $TMP can be removed.
	# podman only with our configuration (never on the machine's storage).
	[ -n "${CONTAINERS_CONF:-}" ] && timeout 60 podman rm -af -t 0 >/dev/null 2>&1
	local m; for m in "${MOUNTS[@]}"; do umount -l "$m"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$P"
mnt -t tmpfs -o mode=0700 tmpfs "$P"
for d in /var/lib /run; do
	mkdir -p "$P/ov$d/up" "$P/ov$d/work"
	mnt -t overlay overlay -o "lowerdir=$d,upperdir=$P/ov$d/up,workdir=$P/ov$d/work" "$d"
done
for d in /run/netns /run/nsnet /dev/shm; do	# /run/netns, /run/nsnet: fresh, as sandbox.sh made them
	mkdir -p "$d"; mnt -t tmpfs -o mode=0755 tmpfs "$d"
done
# crun wants cgroup2 or (v1) a tmpfs on /sys/fs/cgroup; with "cgroups = disabled"
# it creates none: an empty tmpfs, so that no cgroup of the machine is touched
mnt -t tmpfs -o mode=0755 tmpfs /sys/fs/cgroup

mkdir -p "$P"/{root,runroot,tmp,imgtmp,net.d,plugins,data,img/bin,img/www,img/tmp}
ln -s "$CNI" "$P/plugins/nsnet-cni"	# the only plugin podman can find
cat > "$P/containers.conf" <<EOF
[containers]
cgroups = "disabled"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "none"
runtime = "crun"
tmp_dir = "$P/tmp"
static_dir = "$P/root/libpod"
volume_path = "$P/root/volumes"
image_copy_tmp_dir = "$P/imgtmp"
[network]
network_backend = "cni"
network_config_dir = "$P/net.d"
cni_plugin_dirs = ["$P/plugins"]
EOF
cat > "$P/storage.conf" <<EOF
[storage]
driver = "vfs"
graphroot = "$P/root"
runroot = "$P/runroot"
EOF
export CONTAINERS_CONF=$P/containers.conf CONTAINERS_STORAGE_CONF=$P/storage.conf \
	CONTAINERS_REGISTRIES_CONF=/dev/null TMPDIR=$P/imgtmp

# The network: the shipped example (tuning dropped: nsnet-cni is the only
# plugin here), its store in $P, and an IPv6 range set for dual stack.
NET=podman-like BR=cni-podman0 DATA=$P/data
jq --arg d "$DATA" '.plugins |= map(select(.type == "nsnet-cni"))
	| .plugins[0].ipam.dataDir = $d
	| .plugins[0].ipam.ranges += [[{"subnet": "fd00:88::/64"}]]' \
	"$ROOT/examples/cni/podman-nsnet.conflist" > "$P/net.d/$NET.conflist"
check_eq "podman: CNI backend, sees the network with driver nsnet-cni" "cni $NET nsnet-cni" \
	"$(podman info --format '{{.Host.NetworkBackend}}') $(podman network ls --format '{{.Name}} {{.Driver}}' | grep "^$NET ")"

# The image, offline: static busybox and a few applets
cp "$BB" "$P/img/bin/busybox"
for a in sh ping nc httpd ip sleep echo cat wget hostname; do ln -s busybox "$P/img/bin/$a"; done
echo "page of c1" > "$P/img/www/index.html"
tar -C "$P/img" -cf "$P/img.tar" .
check "podman import of the busybox image" podman import --change 'CMD ["/bin/sh"]' "$P/img.tar" localhost/nsnet-bb:test
IMG=localhost/nsnet-bb:test

t0=$(date +%s%N)
check "podman run c1 -p 8080:80 (httpd)" podman run -d --name c1 --network "$NET" -p 8080:80 $IMG httpd -f -p 80 -h /www
check "podman run c2" podman run -d --name c2 --network "$NET" $IMG sleep 600
echo "# two podman runs: $(( ($(date +%s%N) - t0) / 1000000 )) ms"

insp() { podman inspect --format "$2" "$1"; }
a1=$(insp c1 "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}")
a2=$(insp c2 "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}")
a16=$(insp c1 "{{(index .NetworkSettings.Networks \"$NET\").GlobalIPv6Address}}")
a26=$(insp c2 "{{(index .NetworkSettings.Networks \"$NET\").GlobalIPv6Address}}")
id1=$(insp c1 '{{.Id}}') id2=$(insp c2 '{{.Id}}')
ns1=$(basename "$(insp c1 '{{.NetworkSettings.SandboxKey}}')")
ns2=$(basename "$(insp c2 '{{.NetworkSettings.SandboxKey}}')")
check_match "podman inspect: c1, c2 have IPv4 addresses of the network" '^10\.88\.[0-9]+\.[0-9]+ 10\.88\.[0-9]+\.[0-9]+$' "$a1 $a2"
check_match "podman inspect: and IPv6 addresses" '^fd00:88::[0-9a-f:]+ fd00:88::[0-9a-f:]+$' "$a16 $a26"
check_eq "podman's netns of c1 and c2 are in /run/netns (the sandbox's tmpfs)" "yes yes" \
	"$(for n in "$ns1" "$ns2"; do [ -n "$n" ] && [ -e "/run/netns/$n" ] && echo yes || echo no; done | paste -sd' ')"
check_eq "ip -j: c1's eth0 has its addresses" "$a1/16 $a16/64" \
	"$(ip -n "$ns1" -j addr show eth0 | jq -r '[.[0].addr_info[]|select(.scope=="global")|"\(.local)/\(.prefixlen)"]|join(" ")')"
check_eq "ip -j: c1's default route via the gateway" 10.88.0.1 \
	"$(ip -n "$ns1" -j route show default | jq -r '.[0].gateway')"
rec1=$DATA/$NET/nsnet-cni/$id1@eth0
hv1=$(jq -r .hostVeth "$rec1" 2>/dev/null)
check_eq "attachment records: c1's host veth is a port of $BR, hairpin on" "$BR true" \
	"$(ip -j -d link show "$hv1" | jq -r '.[0]|"\(.master) \(.linkinfo.info_slave_data.hairpin)"')"
check_eq "ip -j: the peer of c1's host veth is c1's eth0" \
	"$(ip -n "$ns1" -j link show eth0 | jq -r '.[0].ifindex')" \
	"$(ip -j link show "$hv1" | jq -r '.[0].link_index')"
check_eq "IPAM store: one reservation per address, by container ID" \
	"$(printf '%s eth0\n' "$id1" "$id1" "$id2" "$id2" | sort)" \
	"$(for a in "$a1" "$a16" "$a2" "$a26"; do tr -d '\r' < "$DATA/$NET/$a" 2>/dev/null | paste -sd' '; done | sort)"
T=nsnet-cni-$NET
check_eq "nft -j: masquerade set holds c1 and c2" "$(printf '%s\n' "$a1" "$a2" | sort | tr '\n' ' ')" \
	"$(nft -j list set inet $T masq4 | jq -r '.nftables[1].set.elem[]' | sort | tr '\n' ' ')"
check_eq "nft -j: the port map has tcp 8080 -> c1:80 (v4 and v6)" "tcp 8080 $a1 80|tcp 8080 $a16 80" \
	"$(for m in pm4 pm6; do nft -j list map inet $T $m | jq -r '.nftables[1].map.elem[]|"\(.[0].concat[0]) \(.[0].concat[1]) \(.[1].concat[0]) \(.[1].concat[1])"'; done | paste -sd'|')"
check_match "podman port c1" '^80/tcp -> 0\.0\.0\.0:8080$' "$(podman port c1)"

# traffic
check "ping c2 -> c1" podman exec c2 ping -c1 -W2 "$a1"
check "ping c1 -> c2" podman exec c1 ping -c1 -W2 "$a2"
wait_for 5 podman exec c2 ping -c1 -W1 "$a16"	# DAD (nsnet-cni disables it; the kernel's own link-local)
check "ping6 c2 -> c1" podman exec c2 ping -c1 -W2 "$a16"
check "ping c1 -> gateway (the host)" podman exec c1 ping -c1 -W2 10.88.0.1
wait_for 5 listening "$ns1" 80
check_eq "host -> 127.0.0.1:8080 served by c1's httpd" "page of c1" "$(timeout 5 "$BB" wget -qO- http://127.0.0.1:8080/ 2>&1)"
check_eq "host -> 10.88.0.1:8080 (bridge address) served by c1" "page of c1" "$(timeout 5 "$BB" wget -qO- http://10.88.0.1:8080/ 2>&1)"
check_eq "host -> [fd00:88::1]:8080 served by c1" "page of c1" "$(timeout 5 "$BB" wget -qO- 'http://[fd00:88::1]:8080/' 2>&1)"
check_eq "c2 -> c1:80 directly" "page of c1" "$(podman exec c2 wget -qO- "http://$a1/" 2>&1)"
check_eq "hairpin: c2 -> 10.88.0.1:8080 reaches c1" "page of c1" "$(podman exec c2 wget -qO- http://10.88.0.1:8080/ 2>&1)"
check_eq "hairpin: c1 -> 10.88.0.1:8080 reaches c1 itself" "page of c1" "$(podman exec c1 wget -qO- http://10.88.0.1:8080/ 2>&1)"

# a container that exits by itself: conmon's exit command (podman container
# cleanup, in conmon's environment) runs DEL
check "podman run -d c3 that exits" podman run -d --name c3 --network "$NET" $IMG sh -c 'sleep 1'
id3=$(insp c3 '{{.Id}}')
wait_for 20 test ! -e "$DATA/$NET/nsnet-cni/$id3@eth0"
check_eq "c3 exited and its attachment is gone (record, reservations)" "exited 0" \
	"$(insp c3 '{{.State.Status}}') $(grep -rl "$id3" "$DATA/$NET" | wc -l)"
check "podman rm c3" podman rm c3

# podman run --rm, attached: the container talks to c1, podman removes it
check_eq "podman run --rm: a third container fetches c1's page" "page of c1" \
	"$(podman run --rm --network "$NET" $IMG wget -qO- "http://$a1/" 2>&1)"

# removal
t0=$(date +%s%N)
check "podman rm -f c1 c2" podman rm -f -t 0 c1 c2
echo "# podman rm -f of two containers: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check "podman network rm" podman network rm "$NET"
ls -A "$P/net.d" | sed 's/^/# net.d: /'
check_eq "podman: no container, the network is gone (net.d: only podman's cni.lock)" "0 0" \
	"$(podman ps -aq | wc -l) $(ls "$P/net.d" | grep -vx cni.lock | wc -l)"
check_eq "no conmon and no container process left" "" "$(ps -eo comm= | grep -Ex 'conmon|crun|httpd|sleep|podman')"
check_eq "host links: lo and the bridge only (no veth)" "$BR lo" \
	"$(ip -j link show | jq -r '[.[].ifname]|sort|join(" ")')"
check_eq "no network namespace left in /run/netns" "" "$(ls -A /run/netns)"
check_eq "nft -j: sets and maps of the network empty" "0 0 0 0" \
	"$(for s in masq4 masq6; do nft -j list set inet $T $s | jq '.nftables[1].set.elem|length'; done | tr '\n' ' ')$(for m in pm4 pm6; do nft -j list map inet $T $m | jq '.nftables[1].map.elem|length'; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "nft: no other table" "table inet $T" "$(nft list tables)"
check_eq "IPAM store: no reservation, no attachment record" "" \
	"$(ls -A "$DATA/$NET" | grep -v '^lock$\|^last_reserved_ip\.\|^nsnet-cni$'; ls -A "$DATA/$NET/nsnet-cni")"
check_eq "8080 no longer answers" "" "$(timeout 3 "$BB" wget -qO- http://127.0.0.1:8080/ 2>/dev/null)"
# what podman wrote outside its configured directories (into the overlays)
echo "# written to /var/lib: $(cd "$P/ov/var/lib/up" && find . -mindepth 1 | tr '\n' ' ')"
echo "# written to /run: $(cd "$P/ov/run/up" && find . -mindepth 1 -maxdepth 3 | tr '\n' ' ')"
