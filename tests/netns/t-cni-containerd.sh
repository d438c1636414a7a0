#!/bin/bash
# nsnet-cni under containerd (Debian's 1.6): `ctr run --cni` of a busybox
# rootfs directory (no image, no registry) on a network with a published port
# and a bandwidth limit; the host fetches the container's page through the
# port, iperf3 in the container's network namespace measures the limit each
# way, and when the task ends ctr's DEL leaves nothing (no veth, IFB, nft
# element, record).
#
# What ctr passes to the plugin: `ctr run --cni` (gocni.WithDefaultConf,
# network.Setup without options) gives no capability arguments — no
# portMappings, no bandwidth (the plugin's stdin is logged and checked
# below). So the network configuration carries both: the bandwidth keys at
# the top of the plugin configuration (as the reference bandwidth plugin reads
# them), and a "runtimeConfig" object with the port mapping, which libcni
# passes through unchanged when the runtime supplies no capability argument.
#
# Everything containerd writes stays in this sandbox: root, state, socket and
# the internal "opt" directory under a tmpfs ($P); the CNI directories ctr
# hard-codes (/etc/cni/net.d, /opt/cni/bin) and the shim's sockets
# (/run/containerd) are overlays / tmpfs whose writes go to $P; the OCI
# runtime is crun with cgroups disabled and /sys/fs/cgroup an empty tmpfs (no
# cgroup of the machine is touched). containerd is stopped by its PID.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cni-lib.sh"

missing=
for c in containerd ctr containerd-shim-runc-v2 crun busybox iperf3 nsenter; do
	command -v $c >/dev/null || missing="$missing $c"
done
if [ -n "$missing" ]; then
	not_ok "containerd test cannot run, missing:$missing (packages containerd crun busybox-static iperf3: run scripts/install-deps.sh)"
	exit 1
fi
BB=$(command -v busybox)
if ldd "$BB" >/dev/null 2>&1; then
	not_ok "$BB is not static (install busybox-static: run scripts/install-deps.sh)"; exit 1
fi

P=$TMP/ctd
MOUNTS=()
CTD_PID=
mnt() {	# mount ARGS… TARGET, remembered for cleanup
	mount "$@" || { not_ok "mount $*"; exit 1; }
	MOUNTS=("${!#}" "${MOUNTS[@]}")
}
cleanup() {
	if [ -n "$CTD_PID" ] && kill -0 "$CTD_PID" 2>/dev/null; then
		kill "$CTD_PID"
		wait "$CTD_PID" 2>/dev/null
	fi
	# the sandbox's pid namespace ends the shims and the containers, its mount
	# namespace the mounts; detach them here so that $TMP can be removed
	local m; for m in "${MOUNTS[@]}"; do umount -l "$m"; done
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$P"
mnt -t tmpfs -o mode=0700 tmpfs "$P"
for d in /var/lib /run /opt; do
	mkdir -p "$P/ov$d/up" "$P/ov$d/work"
	mnt -t overlay overlay -o "lowerdir=$d,upperdir=$P/ov$d/up,workdir=$P/ov$d/work" "$d"
done
for d in /run/netns /run/nsnet /etc/cni/net.d; do	# fresh, as sandbox.sh made the first two
	mkdir -p "$d"; mnt -t tmpfs -o mode=0755 tmpfs "$d"
done
mnt -t tmpfs -o mode=0755 tmpfs /sys/fs/cgroup

# the plugin, as ctr finds it (/opt/cni/bin), behind a wrapper logging its stdin
mkdir -p /opt/cni/bin "$P"/{root,state,opt,rootfs/bin,rootfs/www,rootfs/proc,rootfs/sys,rootfs/dev,rootfs/tmp,rootfs/etc}
cat > /opt/cni/bin/nsnet-cni <<EOF
#!/bin/sh
conf=\$(cat)
printf '%s %s %s\n' "\$CNI_COMMAND" "\$CNI_IFNAME" "\$conf" >> "$P/cni.log"
printf '%s' "\$conf" | exec "$CNI"
EOF
chmod +x /opt/cni/bin/nsnet-cni
NET=ctd DATA=$P/data
IN=24000000 EG=12000000
jq --arg d "$DATA" --argjson in $IN --argjson eg $EG '
	.cniVersion = "1.0.0" | del(.cniVersions) | .name = "ctd"
	| .plugins[0] += {bridge: "ctd0", ingressRate: $in, ingressBurst: 400000,
			  egressRate: $eg, egressBurst: 200000,
			  runtimeConfig: {portMappings: [{hostPort: 8080, containerPort: 80, protocol: "tcp"}]}}
	| .plugins[0].ipam.dataDir = $d' "$ROOT/examples/cni/nsnet-cni-bandwidth.conflist" > /etc/cni/net.d/10-ctd.conflist
check "network configuration from examples/cni/nsnet-cni-bandwidth.conflist" jq -e '.plugins[0].type == "nsnet-cni"' /etc/cni/net.d/10-ctd.conflist

# crun without cgroups, as runc-compatible binary of the runc v2 shim
cat > "$P/crun" <<'EOF'
#!/bin/sh
exec crun --cgroup-manager=disabled "$@"
EOF
chmod +x "$P/crun"
cat > "$P/config.toml" <<EOF
version = 2
root = "$P/root"
state = "$P/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing"]
[grpc]
  address = "$P/containerd.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$P/opt"
EOF
containerd --config "$P/config.toml" > "$P/containerd.log" 2>&1 &
CTD_PID=$!
C() { ctr --address "$P/containerd.sock" "$@"; }
wait_for 20 C version
check "containerd runs (socket in the sandbox)" C version

# the rootfs: static busybox, a page
cp "$BB" "$P/rootfs/bin/busybox"
for a in sh httpd sleep ip cat; do ln -s busybox "$P/rootfs/bin/$a"; done
echo "page of ctd1" > "$P/rootfs/www/index.html"

# ctr in the foreground (its DEL runs when the task ends), in the background here
C run --cni --runc-binary "$P/crun" --rootfs "$P/rootfs" ctd1 /bin/httpd -f -p 80 -h /www \
	> "$P/ctr.out" 2>&1 &
CTR=$!
pid_of() { C task ls 2>/dev/null | awk -v id="$1" '$1 == id && $3 == "RUNNING" {print $2}'; }
wait_for 20 sh -c "[ -n \"\$(ctr --address $P/containerd.sock task ls 2>/dev/null | awk '\$1 == \"ctd1\" && \$3 == \"RUNNING\"')\" ]"
pid=$(pid_of ctd1)
check_match "ctr run --cni: task ctd1 running" '^[0-9]+$' "$pid"
if [ -z "$pid" ]; then
	sed 's/^/# ctr: /' "$P/ctr.out"; tail -20 "$P/containerd.log" | sed 's/^/# containerd: /'
	exit 1
fi
wait_for 10 test -s "$DATA/$NET/nsnet-cni/default-ctd1@eth0"
rec=$DATA/$NET/nsnet-cni/default-ctd1@eth0
check "attachment record of default-ctd1 (ctr's id: namespace-container)" test -s "$rec"
add=$(grep '^ADD ' "$P/cni.log" | head -1 | cut -d' ' -f3-)
check_eq "what ctr passed: cniVersion, name, no capability arguments (runtimeConfig as configured)" \
	'1.0.0 ctd ["portMappings"] [{"containerPort":80,"hostPort":8080,"protocol":"tcp"}]' \
	"$(jq -c -r '"\(.cniVersion) \(.name) \(.runtimeConfig|keys) \(.runtimeConfig.portMappings|map(to_entries|sort_by(.key)|from_entries))"' <<<"$add")"
a=$(jq -r '.ips[0].address' "$rec" | cut -d/ -f1)
hv=$(jq -r .hostVeth "$rec") ifb=$(jq -r .ifb "$rec")
check_eq "ip -j: the task's eth0 has the address" "$a" \
	"$(nsenter -t "$pid" -n ip -j addr show eth0 | jq -r '.[0].addr_info[]|select(.family=="inet")|.local')"
check_eq "tc -j: tbf $((IN / 8)) bytes/s on the host veth, tbf $((EG / 8)) on the IFB" "tbf $((IN / 8)) tbf $((EG / 8))" \
	"$(tc -j qdisc show dev "$hv" root | jq -r '.[0]|"\(.kind) \(.options.rate)"') $(tc -j qdisc show dev "$ifb" root | jq -r '.[0]|"\(.kind) \(.options.rate)"')"
wait_for 5 nsenter -t "$pid" -n sh -c 'ss -Hlnt "sport = :80" | grep -q .'
check_eq "host -> 127.0.0.1:8080 served by the task's httpd" "page of ctd1" \
	"$(timeout 5 "$BB" wget -qO- http://127.0.0.1:8080/ 2>&1)"
check_eq "host -> 10.89.0.1:8080 (the bridge) served too" "page of ctd1" \
	"$(timeout 5 "$BB" wget -qO- http://10.89.0.1:8080/ 2>&1)"

iperf() { iperf_bw 10.89.0.1 "nsenter -t $pid -n" "$@"; }	# iperf3 in the task's namespace
within "iperf3 task -> host (egressRate)" $EG "$(iperf)"
within "iperf3 host -> task (ingressRate)" $IN "$(iperf -R)"

# the task ends: ctr runs DEL
t0=$(date +%s%N)
C task kill -s KILL ctd1
wait_for 20 sh -c "! kill -0 $CTR 2>/dev/null"
echo "# task kill to ctr's exit (DEL included): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
check_eq "ctr called DEL once" "1" "$(grep -c '^DEL eth0 ' "$P/cni.log")"
check "ctr container rm" C container rm ctd1
check_eq "no veth, no IFB left" "" "$(ip -o link show | grep -o 'veth[0-9a-f]*\|ifb[0-9a-f]*')"
check_eq "no attachment record, no reservation" "" \
	"$(ls -A "$DATA/$NET/nsnet-cni"; ls -A "$DATA/$NET" | grep -v '^lock$\|^last_reserved_ip\.\|^nsnet-cni$')"
check_eq "nft -j: sets and maps of the network empty" "0 0 0" \
	"$(nft -j list set inet nsnet-cni-$NET masq4 | jq '.nftables[1].set.elem|length') $(for m in pm4 pm6; do nft -j list map inet nsnet-cni-$NET $m | jq '.nftables[1].map.elem|length'; done | paste -sd' ')"
check_eq "8080 no longer answers" "" "$(timeout 3 "$BB" wget -qO- http://127.0.0.1:8080/ 2>/dev/null)"
kill "$CTD_PID"; wait "$CTD_PID" 2>/dev/null; CTD_PID=
check_eq "containerd and its shims stopped" "" "$(ps -eo comm= | grep -Ex 'containerd|containerd-shim-runc-v2|crun|httpd')"
echo "# written to /var/lib: $(cd "$P/ov/var/lib/up" && find . -mindepth 1 -maxdepth 3 | tr '\n' ' ')"
echo "# written to /run: $(cd "$P/ov/run/up" && find . -mindepth 1 -maxdepth 3 | tr '\n' ' ')"
echo "# written to /opt: $(cd "$P/ov/opt/up" && find . -mindepth 1 -maxdepth 3 | tr '\n' ' ')"
