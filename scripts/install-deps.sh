#!/bin/sh
# Install what nsnet needs to build and test, from Debian's packages, if missing.
set -e
PKGS="build-essential pkg-config libmnl-dev libnftables-dev libyaml-dev libjansson-dev
      libpcap-dev
      passt slirp4netns
      iproute2 nftables iputils-ping socat jq util-linux procps psmisc graphviz bc time
      podman crun busybox-static tshark iperf3 qemu-system-x86 containernetworking-plugins containerd bird2"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing:$missing"
# tshark (tests read captures back with it): no question about setuid dumpcap
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
