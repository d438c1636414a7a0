#!/bin/bash
# make install into a DESTDIR: libnsnet.so with its soname and only the
# public nsnet_* symbols, headers that compile on their own, nsnet.pc;
# examples/c/twonode.c built with pkg-config against the *installed* library
# brings its two-node lab up (the nodes ping) and down; bash completion;
# make uninstall removes it all.
. ./lib.sh

D=$TMP/dest
export PKG_CONFIG_PATH=$D/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$D
SAN=
[ "${NSNET_SANITIZE:-0}" = 1 ] && SAN="-fsanitize=address,undefined -fno-omit-frame-pointer"
mk() { make -C "$ROOT" --no-print-directory -s B="$B" SANITIZE="${NSNET_SANITIZE:-0}" \
	DESTDIR="$D" PREFIX=/usr "$@"; }

check "make install DESTDIR=… PREFIX=/usr" mk install
L=$D/usr/lib
check_eq "libnsnet.so -> libnsnet.so.0 -> libnsnet.so.0.1.0 (a file)" "libnsnet.so.0 libnsnet.so.0.1.0 file" \
	"$(readlink "$L/libnsnet.so") $(readlink "$L/libnsnet.so.0") $(test -f "$L/libnsnet.so.0.1.0" && ! test -L "$L/libnsnet.so.0.1.0" && echo file)"
check_eq "soname libnsnet.so.0" "libnsnet.so.0" \
	"$(readelf -d "$L/libnsnet.so.0.1.0" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"

# exported symbols: the public API only
nm -D --defined-only "$L/libnsnet.so.0.1.0" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | sed 's/@.*//' | sort > "$TMP/exported"
nm -g --defined-only "$B/libnsnet.a" | awk 'NF == 3 {print $3}' | sort -u > "$TMP/archive"
check "the static archive has internal nsnet__ symbols (so the next check means something)" \
	grep -q '^nsnet__' "$TMP/archive"
check_eq "no nsnet__ symbol exported" "" "$(grep '^nsnet__' "$TMP/exported")"
check_eq "nothing exported but nsnet_* names" "" "$(grep -v '^nsnet_[a-zA-Z0-9]' "$TMP/exported")"
check "every public function is exported (at least 100)" test "$(wc -l < "$TMP/exported")" -ge 100
undeclared=$(while read -r s; do grep -qw "$s" "$D"/usr/include/nsnet/*.h || echo "$s"; done < "$TMP/exported")
check_eq "every exported symbol is declared in an installed header" "" "$undeclared"
missing=$(grep '^nsnet_[a-zA-Z0-9]' "$TMP/archive" | comm -23 - "$TMP/exported")
check_eq "every public nsnet_* function of the archive is exported" "" "$missing"

# headers: each compiles alone, strict C11
bad=
for h in "$D"/usr/include/nsnet/*.h; do
	echo "#include <nsnet/${h##*/}>" | cc -std=c11 -pedantic -Wall -Wextra -Werror \
		$(pkg-config --cflags nsnet) -fsyntax-only -x c - > "$TMP/hc" 2>&1 || { bad="$bad ${h##*/}"; cat "$TMP/hc"; }
done
check_eq "every installed header compiles on its own (-std=c11 -pedantic -Werror)" "" "$bad"
check_eq "<nsnet/nsnet.h> includes every public header" "" \
	"$(cd "$D/usr/include/nsnet" && for h in *.h; do [ $h = nsnet.h ] || grep -q "\"nsnet/$h\"" nsnet.h || echo $h; done)"
check_eq "no internal header installed" "" "$(ls "$D"/usr/include/nsnet | grep -- '-int\.h$')"
check_match "pkg-config: version and flags" "^0\.1\.0 -I$D/usr/include.* -L$L -lnsnet" \
	"$(pkg-config --modversion nsnet) $(pkg-config --cflags --libs nsnet | tr -s ' ')"

# the example, built against the installed library
check "cc twonode.c \$(pkg-config --cflags --libs nsnet)" \
	cc -std=c11 -Wall -Wextra -Werror $SAN "$ROOT/examples/c/twonode.c" -o "$TMP/twonode" \
	$(pkg-config --cflags --libs nsnet) -Wl,-rpath,"$L"
check_match "… it loads the installed libnsnet.so.0" "libnsnet\.so\.0 => $L/libnsnet\.so\.0" "$(ldd "$TMP/twonode")"
check "twonode up (through nsnet_lab_parse/check/up)" "$TMP/twonode" up
check_eq "… namespaces a and b exist" "a b" "$(ip netns list | awk '{print $1}' | sort | tr '\n' ' ' | sed 's/ $//')"
check "… a pings b (iputils ping as the oracle)" ip netns exec a ping -c 2 -i 0.2 -W 2 10.123.0.2
check "… b pings a" ip netns exec b ping -c 1 -W 2 10.123.0.1
check_eq "… the installed nsnet sees the lab" "twonode" "$("$D/usr/bin/nsnet" __complete labs)"

# bash completion, installed, against the running lab
comp() {	# LINE: the words bash would offer
	bash -c '. "$1"; export PATH="$2:$PATH"; COMP_LINE=$3; COMP_POINT=${#3}; COMP_WORDS=(nsnet); COMP_CWORD=1
		_nsnet; printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ \
		"$D/usr/share/bash-completion/completions/nsnet" "$D/usr/bin" "$1"
}
check_match "completion: commands (capture among them)" " capture .* up " "$(comp 'nsnet ')"
check_eq "completion: lab names" "twonode " "$(comp 'nsnet down tw')"
check_eq "completion: node names" "a b " "$(comp 'nsnet exec ')"
check_eq "completion: NODE:IF" "a:eth0 b:eth0 " "$(comp 'nsnet capture ')"
check_eq "completion: NODE:IF after the colon (':' is a word break)" "eth0 " "$(comp 'nsnet capture -l twonode b:')"

check "twonode down" "$TMP/twonode" down
check_eq "… nothing left" "lo|" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')|$(ip netns list; ls /run/nsnet)"
check "twonode (up, ping through the API, down)" "$TMP/twonode"
check_match "… b answered" 'a -> 10\.123\.0\.2: answered' "$(cat "$TMP/out")"
check_eq "… nothing left" "lo|" "$(ip -j link show | jq -r '[.[].ifname] | join(" ")')|$(ip netns list; ls /run/nsnet)"

# the static archive, with the dependencies' shared libraries
check "cc … libnsnet.a (static) with the shared libraries it needs" \
	cc -std=c11 $SAN "$ROOT/examples/c/twonode.c" -o "$TMP/twonode-static" \
	$(pkg-config --cflags nsnet) "$L/libnsnet.a" \
	$(pkg-config --libs libmnl libnftables yaml-0.1 jansson libpcap) -lpthread
check_eq "… which needs no libnsnet.so" "" "$(ldd "$TMP/twonode-static" | grep libnsnet)"
check "… and works (up, ping, down)" "$TMP/twonode-static"

check "make uninstall" mk uninstall
check_eq "… leaves no file in DESTDIR" "" "$(find "$D" -type f -o -type l)"
