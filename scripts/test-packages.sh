#!/usr/bin/env bash
# Check what scripts/build-packages.sh made, the way opkg, apk and a router will see it:
#  - building twice gives the same bytes (packages and indexes);
#  - every .ipk: opkg's outer archive, control fields as the SDK writes them, sizes, modes;
#  - every .apk: read back by scripts/apk3.py (schema, hashes, modes, scripts), carrying exactly
#    the .ipk's files, plus OpenWrt's /lib/apk/packages metadata; the reader rejects tampering;
#  - the feeds: Packages/Packages.gz as opkg reads them, packages.adb against its packages;
#  - the lifecycle, for both formats, in scratch roots with a stand-in for OpenWrt's base-files
#    (scripts/openwrt-standin: default_postinst/prerm, rc.common, procd): an image build
#    enables the service by itself and an offline removal leaves no rc.d link; on a running
#    router (a chroot) install enables and starts, an owner's disable survives upgrade and
#    reinstall, removal stops and disables;
#  - each binary runs under qemu for its architecture.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cross-env.sh

fail() { echo "error: $*" >&2; exit 1; }
declare -A target_of=(
	[mips_24kc]=mips-unknown-linux-musl [mipsel_24kc]=mipsel-unknown-linux-musl
	[arm_cortex-a7_neon-vfpv4]=armv7-unknown-linux-musleabihf [arm_cortex-a9_vfpv3-d16]=armv7-unknown-linux-musleabihf
	[arm_cortex-a9]=armv7-unknown-linux-musleabi [aarch64_cortex-a53]=aarch64-unknown-linux-musl
	[aarch64_generic]=aarch64-unknown-linux-musl [x86_64]=x86_64-unknown-linux-musl
)
version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
full="$version-r$(sed -n 's/^PKG_RELEASE:=//p' openwrt-package/edgeddns/Makefile)"
apk3() { python3 scripts/apk3.py "$@"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ "$(id -u)" = 0 ] || fail "the lifecycle runs in chroots: run as root"

# --- reproducible ----------------------------------------------------------------------------
outputs() { find dist/ipk dist/apk dist/feed/ipk dist/feed/apk -type f | sort | xargs sha256sum; }
before=$(outputs)
scripts/build-packages.sh >/dev/null
[ "$before" = "$(outputs)" ] || fail "a second build gave different bytes: $(diff <(echo "$before") <(outputs) | head -5)"
echo "reproducible: $(echo "$before" | wc -l) files (packages and indexes), same bytes twice"

# --- .ipk ------------------------------------------------------------------------------------
unpack_ipk() { # unpack_ipk IPK DIR: DIR/control/*, DIR/root/*
	mkdir -p "$2/control" "$2/root"
	tar -xzf "$1" -C "$2"
	tar -xzf "$2/control.tar.gz" -C "$2/control"
	tar -xzf "$2/data.tar.gz" -C "$2/root"
}
field() { sed -n "s/^$2: //p" "$1"; }
checked=0
for ipk in dist/ipk/*.ipk; do
	w="$tmp/ipk.$checked"
	members=$(tar -tzf "$ipk" | tr '\n' ' ')
	[ "$members" = "./debian-binary ./data.tar.gz ./control.tar.gz " ] || fail "$ipk: members are '$members'"
	unpack_ipk "$ipk" "$w"
	[ "$(cat "$w/debian-binary")" = "2.0" ] || fail "$ipk: debian-binary"
	ctl="$w/control/control"
	for f in Package Version Depends Source SourceName License LicenseFiles Section SourceDateEpoch URL \
		Maintainer Architecture Installed-Size Description; do
		grep -q "^$f: ." "$ctl" || fail "$ipk: control has no $f"
	done
	pkg=$(field "$ctl" Package)
	arch=$(field "$ctl" Architecture)
	[ "$(field "$ctl" Version)" = "$full" ] || fail "$ipk: version $(field "$ctl" Version), the crate and Makefiles say $full"
	[ "$(basename "$ipk")" = "${pkg}_${full}_${arch}.ipk" ] || fail "$ipk: name does not match control"
	# The SDK puts libc first in every package's Depends.
	case "$(field "$ctl" Depends)" in libc,*) ;; *) fail "$ipk: Depends '$(field "$ctl" Depends)' lacks libc first" ;; esac
	tar -tvzf "$w/data.tar.gz" | awk '$2 != "0/0" {exit 1}' || fail "$ipk: files not owned by root"
	real=$(find "$w/root" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
	[ "$(field "$ctl" Installed-Size)" = "$real" ] || fail "$ipk: Installed-Size $(field "$ctl" Installed-Size), files $real"
	grep -q 'default_postinst \$0 \$@' "$w/control/postinst" || fail "$ipk: postinst is not the SDK's"
	grep -q 'default_prerm \$0 \$@' "$w/control/prerm" || fail "$ipk: prerm is not the SDK's"
	case "$pkg" in
	edgeddns)
		[ "$(field "$ctl" Depends)" = "libc, ca-bundle" ] || fail "$ipk: Depends"
		[ "$(field "$ctl" Require-User)" = "edgeddns:edgeddns" ] || fail "$ipk: Require-User"
		grep -qx /etc/config/edgeddns "$w/control/conffiles" || fail "$ipk: conffiles"
		[ "$(stat -c %a "$w/root/etc/config/edgeddns")" = 600 ] || fail "$ipk: config must be 0600"
		[ "$(stat -c %a "$w/root/usr/sbin/edgeddns")" = 755 ] || fail "$ipk: binary must be 0755"
		[ "$(stat -c %a "$w/root/etc/init.d/edgeddns")" = 755 ] || fail "$ipk: init script must be 0755"
		# ubusd loads an ACL file only if root owns it and group/others cannot write it.
		[ "$(stat -c %a "$w/root/usr/share/acl.d/edgeddns.json")" = 644 ] || fail "$ipk: ubus ACL must be 0644"
		python3 - "$w/root/usr/share/acl.d/edgeddns.json" <<'PY' || fail "$ipk: ubus ACL"
import json, sys
acl = json.load(open(sys.argv[1]))
# Exactly what the daemon does on ubus: publish its object, listen for netifd's and ubusd's
# events, subscribe to netifd and call its status method, send its own events (src/event.rs)
# and read odhcpd's DHCPv6 leases (src/ubus/odhcpd.rs).
want = {"user": "edgeddns", "publish": ["edgeddns"], "listen": ["network.interface", "ubus.object.add"],
        "subscribe": ["network.interface"], "send": ["edgeddns.*"],
        "access": {"network.interface": {"methods": ["status"]}, "dhcp": {"methods": ["ipv6leases"]}}}
sys.exit(0 if acl == want else f"ACL is {acl}")
PY
		# No iface hook (the daemon hears netifd over ubus); only sysntpd's, for the clock.
		hooks=$(cd "$w/root" && find etc/hotplug.d -type f 2>/dev/null | sort | tr '\n' ' ')
		[ "$hooks" = "etc/hotplug.d/ntp/25-edgeddns " ] || fail "$ipk: hotplug hooks: '$hooks'"
		grep -q 'command /usr/sbin/edgeddns run' "$w/root/etc/init.d/edgeddns" || fail "$ipk: init command"
		grep -q 'procd_set_param user edgeddns' "$w/root/etc/init.d/edgeddns" || fail "$ipk: init user"
		qemu=$(qemu_for "${target_of[$arch]}")
		$qemu "$w/root/usr/sbin/edgeddns" --version | grep -q "^edgeddns $version$" || fail "$ipk: --version"
		$qemu "$w/root/usr/sbin/edgeddns" -c "$w/root/etc/config/edgeddns" check-config >/dev/null \
			|| fail "$ipk: check-config on the installed default config"
		;;
	luci-app-edgeddns)
		[ "$(field "$ctl" Depends)" = "libc, luci-base, edgeddns" ] || fail "$ipk: Depends"
		[ -f "$w/root/www/luci-static/resources/view/edgeddns/overview.js" ] || fail "$ipk: view missing"
		[ -f "$w/root/usr/share/rpcd/acl.d/luci-app-edgeddns.json" ] || fail "$ipk: ACL missing"
		grep -q 'killall -HUP rpcd' "$w/control/postinst-pkg" || fail "$ipk: luci.mk's postinst"
		;;
	luci-i18n-edgeddns-*)
		[ "$(field "$ctl" Depends)" = "libc, luci-app-edgeddns" ] || fail "$ipk: Depends"
		code=${pkg#luci-i18n-edgeddns-}
		[ -s "$w/root/usr/lib/lua/luci/i18n/edgeddns.$code.lmo" ] || fail "$ipk: edgeddns.$code.lmo missing"
		grep -q "uci set luci.languages.${code//-/_}=" "$w/root/etc/uci-defaults/$pkg" || fail "$ipk: uci-defaults"
		;;
	*) fail "$ipk: unexpected package $pkg" ;;
	esac
	echo "ok $(basename "$ipk") $(stat -c %s "$ipk") bytes, installed size $real"
	checked=$((checked + 1))
done
# Every po/<lang>/ gave its translation package, in both formats.
langs=$(find openwrt-package/luci-app-edgeddns/po -mindepth 1 -maxdepth 1 -type d ! -name templates | wc -l)
[ "$(find dist/ipk -name 'luci-i18n-edgeddns-*_all.ipk' | wc -l)" = "$langs" ] &&
	[ "$(find dist/apk/noarch -name 'luci-i18n-edgeddns-*.apk' | wc -l)" = "$langs" ] ||
	fail "$langs po/<lang>/ directories, but $(find dist/ipk -name 'luci-i18n-*' | wc -l) translation packages"

# --- .apk ------------------------------------------------------------------------------------
files_of() { # files_of ROOT: "mode path [-> target | sha256]" of every file and directory
	(cd "$1" && find . -mindepth 1 \( -type l -printf '%p -> %l\n' \) -o \( -type d -printf '%m %p/\n' \) -o \
		\( -type f -printf '%m %p ' -exec sh -c 'sha256sum < "$1" | cut -d" " -f1' _ {} \; \) | sort)
}
for apk in dist/apk/*/*.apk; do
	name=$(basename "$apk" "-$full.apk")
	[ "$(basename "$apk")" = "$name-$full.apk" ] || fail "$apk: not named <name>-$full.apk"
	apk3 check --json "$apk" > "$tmp/report.json" || fail "$apk: the reader rejects it"
	arch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["package"]["arch"])' "$tmp/report.json")
	[ "$arch" = noarch ] && ipk_arch=all || ipk_arch=$arch
	[ "$(dirname "$apk")" = "dist/apk/$arch" ] || fail "$apk: arch $arch but filed under $(dirname "$apk")"
	ipk="dist/ipk/${name}_${full}_${ipk_arch}.ipk"
	[ -f "$ipk" ] || fail "$apk: no matching $ipk"
	rm -rf "$tmp/a" "$tmp/i"
	apk3 extract "$apk" "$tmp/a" --scripts "$tmp/a-scripts"
	unpack_ipk "$ipk" "$tmp/i"
	ctl="$tmp/i/control/control"
	python3 - "$tmp/report.json" "$ctl" "$full" <<'PY' || fail "$apk: metadata differs from the .ipk's"
import json, sys
r = json.load(open(sys.argv[1]))["package"]
ctl = dict(l.split(": ", 1) for l in open(sys.argv[2]).read().splitlines() if ": " in l)
want = {"name": ctl["Package"], "version": sys.argv[3], "license": ctl["License"], "url": ctl["URL"],
        "maintainer": ctl["Maintainer"], "origin": ctl["Source"], "description": ctl["Description"],
        "depends": sorted(ctl["Depends"].split(", "))}
got = {k: r.get(k) for k in want}
sys.exit(0 if got == want else f"apk {got}\nipk {want}")
PY
	# The same files with the same modes and bytes; the .apk adds OpenWrt's package metadata.
	meta="$tmp/a/lib/apk/packages"
	diff <(files_of "$tmp/i/root") <(files_of "$tmp/a" | grep -v -e '^755 ./lib/$' -e '^755 ./lib/apk/' -e ' ./lib/apk/packages/') \
		|| fail "$apk: files differ from $ipk"
	diff <(cd "$tmp/a" && find . -type f,l -printf '/%P\n' | grep -v "^/lib/apk/packages/$name\.\(list\|conffiles\|conffiles_static\)$" | sort) \
		"$meta/$name.list" || fail "$apk: $name.list does not list the package's files"
	grep -qx 'default_postinst' "$tmp/a-scripts/post-install" && grep -qx "export pkgname=\"$name\"" "$tmp/a-scripts/post-install" \
		|| fail "$apk: post-install is not OpenWrt's"
	[ "$(head -2 "$tmp/a-scripts/post-upgrade" | tail -1)" = "export PKG_UPGRADE=1" ] || fail "$apk: post-upgrade lacks PKG_UPGRADE=1"
	diff <(sed 1,2d "$tmp/a-scripts/post-upgrade") <(sed 1d "$tmp/a-scripts/post-install") >/dev/null \
		|| fail "$apk: post-upgrade is not post-install with PKG_UPGRADE=1"
	grep -qx 'default_prerm' "$tmp/a-scripts/pre-deinstall" || fail "$apk: pre-deinstall is not OpenWrt's"
	if [ -f "$tmp/i/control/conffiles" ]; then
		diff "$tmp/i/control/conffiles" "$meta/$name.conffiles" || fail "$apk: conffiles"
		while read -r f sum; do
			[ "$(sha256sum < "$tmp/a$f" | cut -d' ' -f1)" = "$sum" ] || fail "$apk: conffiles_static sum of $f"
		done < "$meta/$name.conffiles_static"
	fi
	if [ "$name" = edgeddns ]; then
		[ "$(cat "$meta/edgeddns.rusers")" = "edgeddns:edgeddns" ] || fail "$apk: edgeddns.rusers"
	fi
	echo "ok $apk $(stat -c %s "$apk") bytes: read back, same files as $(basename "$ipk")"
	checked=$((checked + 1))
done

# The reader is only worth something if it refuses what is wrong.
sample=$(ls dist/apk/*/edgeddns-*.apk | head -n1)
python3 - "$sample" "$tmp/tampered-data.apk" <<'PY'
import sys, zlib
raw = open(sys.argv[1], "rb").read()
z = zlib.decompressobj(-15)
inner = bytearray(z.decompress(raw[4:]) + z.flush())
inner[-20] ^= 1  # a byte of the binary, inside the last data block
c = zlib.compressobj(9, zlib.DEFLATED, -15)
open(sys.argv[2], "wb").write(b"ADBd" + c.compress(bytes(inner)) + c.flush())
PY
if apk3 check "$tmp/tampered-data.apk" 2> "$tmp/err"; then fail "the reader accepted a package whose file content was altered"; fi
grep -q "does not match its SHA-256" "$tmp/err" || fail "tampered data: unexpected error $(cat "$tmp/err")"
echo "ok the reader rejects altered file content: $(cat "$tmp/err")"

# --- feeds -----------------------------------------------------------------------------------
for d in dist/feed/ipk/*/; do
	d=${d%/}
	cmp -s <(gzip -dc "$d/Packages.gz") "$d/Packages" || fail "$d: Packages.gz is not Packages"
	python3 - "$d" <<'PY' || fail "$d/Packages"
import hashlib, os, sys
d = sys.argv[1]
stanzas = [s for s in open(f"{d}/Packages").read().split("\n\n") if s.strip()]
seen = set()
for s in stanzas:
    f = dict(l.split(": ", 1) for l in s.splitlines())
    path = os.path.join(d, f["Filename"])
    data = open(path, "rb").read()
    assert int(f["Size"]) == len(data), f"{f['Filename']}: Size"
    assert f["SHA256sum"] == hashlib.sha256(data).hexdigest(), f"{f['Filename']}: SHA256sum"
    assert int(f["Installed-Size"]) > 0 and f["Depends"].startswith("libc")
    seen.add(f["Filename"])
assert seen == {x for x in os.listdir(d) if x.endswith(".ipk")}, f"index {seen} vs files"
PY
	apk3 check "dist/feed/apk/$(basename "$d")/packages.adb" >/dev/null || fail "apk index for $(basename "$d")"
	echo "ok feeds for $(basename "$d"): $(grep -c '^Package:' "$d/Packages") opkg entries, packages.adb matches its packages"
done

# Signed feeds: an apk index signed as apk-tools signs (ECDSA P-256, as OpenWrt's keys are) and
# verified by the reader; Packages.sig in usign's format, verified by OpenBSD's signify (the
# same format, an independent implementation). A changed index fails both.
command -v signify-openbsd >/dev/null || fail "signify-openbsd is needed to check Packages.sig (apt-get install signify-openbsd)"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/apk.pem" 2>/dev/null
openssl ec -in "$tmp/apk.pem" -pubout -out "$tmp/apk.pub" 2>/dev/null
openssl genpkey -algorithm ed25519 -out "$tmp/usign.pem"
python3 scripts/usign.py pubkey "$tmp/usign.pem" "$tmp/usign.pub"
EDGEDDNS_APK_KEY="$tmp/apk.pem" EDGEDDNS_USIGN_KEY="$tmp/usign.pem" scripts/build-packages.sh >/dev/null
for d in dist/feed/apk/*/; do
	apk3 check --key "$tmp/apk.pub" "$d/packages.adb" >/dev/null || fail "$d: signed index does not verify"
	signify-openbsd -V -q -p "$tmp/usign.pub" -x "dist/feed/ipk/$(basename "$d")/Packages.sig" \
		-m "dist/feed/ipk/$(basename "$d")/Packages" || fail "$(basename "$d"): Packages.sig does not verify"
done
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/other.pem" 2>/dev/null
openssl ec -in "$tmp/other.pem" -pubout -out "$tmp/other.pub" 2>/dev/null
if apk3 check --key "$tmp/other.pub" "$d/packages.adb" >/dev/null 2>&1; then fail "an index verified with a key that did not sign it"; fi
echo "x" >> "dist/feed/ipk/$(basename "$d")/Packages"
if signify-openbsd -V -q -p "$tmp/usign.pub" -x "dist/feed/ipk/$(basename "$d")/Packages.sig" \
	-m "dist/feed/ipk/$(basename "$d")/Packages" 2>/dev/null; then fail "a changed Packages verified"; fi
echo "ok signed feeds: packages.adb (ECDSA, apk's v0 signature) and Packages.sig (usign) verify; wrong key and changed index refused"
scripts/build-packages.sh >/dev/null

# --- SDK feed layouts ---------------------------------------------------------------------------
# openwrt-package/edgeddns/Makefile's Build/Prepare under each feeds.conf type, in a stand-in
# buildroot whose include files define only what the Makefile uses. scripts/feeds links
# package/feeds/NAME/PKG to feeds/NAME/<path of PKG>; make runs in that link's physical directory.
sdk="$tmp/sdk"
mkdir -p "$sdk/include" "$sdk/feeds/packages/lang/rust"
: > "$sdk/rules.mk"
cat > "$sdk/include/package.mk" <<'MK'
INSTALL_DIR:=install -d -m0755
CP:=cp -fpR
BuildPackage=
prepare: ; $(Build/Prepare)
MK
printf 'RUST_ARCH_DEPENDS:=\nRustBinPackage=\n' > "$sdk/feeds/packages/lang/rust/rust-package.mk"
prepare() { # prepare PACKAGE_DIR → the crate lands in $tmp/build
	rm -rf "$tmp/build"
	make -s -C "$1" TOPDIR="$sdk" INCLUDE_DIR="$sdk/include" PKG_BUILD_DIR="$tmp/build" prepare
}
for layout in src-git src-link src-link-subdir src-cpy src-cpy-feed; do
	rm -rf "$sdk/feeds/edgeddns"
	case "$layout" in
	src-git) git clone -q . "$sdk/feeds/edgeddns"; pkg="$sdk/feeds/edgeddns/openwrt-package/edgeddns" ;;
	src-link) ln -s "$PWD" "$sdk/feeds/edgeddns"; pkg="$sdk/feeds/edgeddns/openwrt-package/edgeddns" ;;
	src-link-subdir) ln -s "$PWD/openwrt-package" "$sdk/feeds/edgeddns"; pkg="$sdk/feeds/edgeddns/edgeddns" ;;
	src-cpy) mkdir "$sdk/feeds/edgeddns"; git ls-files -z | xargs -0 cp --parents -t "$sdk/feeds/edgeddns"
		pkg="$sdk/feeds/edgeddns/openwrt-package/edgeddns" ;;
	src-cpy-feed) cp -R dist/feed/openwrt "$sdk/feeds/edgeddns"; pkg="$sdk/feeds/edgeddns/edgeddns" ;;
	esac
	mkdir -p "$sdk/package/feeds/edgeddns"
	ln -sfn "$pkg" "$sdk/package/feeds/edgeddns/edgeddns"
	prepare "$sdk/package/feeds/edgeddns/edgeddns" || fail "feed layout $layout: Build/Prepare failed"
	for f in Cargo.toml Cargo.lock LICENSE build.rs src/main.rs; do
		cmp -s "$f" "$tmp/build/$f" || fail "feed layout $layout: $f not prepared from this crate"
	done
done
rm -rf "$sdk/feeds/edgeddns"
cp -R openwrt-package "$sdk/feeds/edgeddns"
if prepare "$sdk/feeds/edgeddns/edgeddns" 2> "$tmp/err"; then fail "a copy of openwrt-package/ alone built something"; fi
grep -q "no crate found" "$tmp/err" || fail "copy of openwrt-package/ alone: unexpected error $(cat "$tmp/err")"
# luci.mk names packages after the directory (LUCI_NAME) and its translations after that.
[ "$(basename "$(dirname openwrt-package/luci-app-edgeddns/Makefile)")" = luci-app-edgeddns ] && [ ! -L openwrt-package/luci-app-edgeddns ] \
	|| fail "openwrt-package/luci-app-edgeddns must be a real directory"
[ "$(git ls-files '*/Makefile' | grep -c luci-app-edgeddns/Makefile)" = 1 ] || fail "a src-git of the repository finds luci-app-edgeddns more than once"
echo "ok SDK feed layouts: src-git, src-link (repository or openwrt-package), src-cpy (repository or dist/feed/openwrt) prepare this crate; openwrt-package/ alone stops with a message"

# --- lifecycle ---------------------------------------------------------------------------------
# A scratch root: busybox as the shell, the base-files stand-in, empty passwd/group/shadow.
new_root() {
	local r=$1 lib
	mkdir -p "$r"/{bin,dev,lib/functions,etc/rc.d,etc/init.d,etc/config,tmp,var/run,usr/lib/opkg/info}
	mknod -m 0666 "$r/dev/null" c 1 3
	cp /usr/bin/busybox "$r/bin/"
	for lib in $(ldd /usr/bin/busybox | grep -o '/[^ ]*'); do
		mkdir -p "$r$(dirname "$lib")"
		cp "$lib" "$r$lib"
	done
	chroot "$r" /bin/busybox --install -s /bin
	cp scripts/openwrt-standin/functions.sh "$r/lib/functions.sh"
	cp scripts/openwrt-standin/procd.sh "$r/lib/functions/procd.sh"
	install -m 0755 scripts/openwrt-standin/rc.common "$r/etc/rc.common"
	printf 'root:x:0:0:root:/root:/bin/ash\n' > "$r/etc/passwd"
	printf 'root:x:0:\n' > "$r/etc/group"
	printf 'root:::0:99999:7:::\n' > "$r/etc/shadow"
	# LuCI's hooks call uci and killall; here they only leave a trace.
	printf '#!/bin/sh\necho "uci $*" >> /tmp/uci.log\n' > "$r/bin/uci"
	chmod 0755 "$r/bin/uci"
}

# Run a package script as the package manager does: in an image build with IPKG_INSTROOT and
# bash from outside (OpenWrt's rootfs.mk), on a router inside the root.
run_script() { # run_script ROOT MODE(image|router) SCRIPT ARGS...
	local r=$1 mode=$2 script=$3
	shift 3
	if [ "$mode" = image ]; then
		IPKG_INSTROOT="$r" bash "$r$script" "$@"
	else
		chroot "$r" /bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin ${PKG_UPGRADE:+PKG_UPGRADE=$PKG_UPGRADE} /bin/sh "$script" "$@"
	fi
}

# opkg (opkg-lede): install unpacks data, records the list and control files under
# /usr/lib/opkg/info and runs postinst "configure"; an upgrade or reinstall sets PKG_UPGRADE=1,
# runs the old prerm "upgrade", keeps a conffile the owner changed, runs the new postinst;
# remove runs prerm "remove" and deletes the files.
opkg_install() { # opkg_install ROOT MODE IPK
	local r=$1 mode=$2 w name old f
	w=$(mktemp -d -p "$tmp")
	unpack_ipk "$3" "$w"
	name=$(field "$w/control/control" Package)
	old="$r/usr/lib/opkg/info/$name"
	if [ -f "$old.control" ]; then
		export PKG_UPGRADE=1
		run_script "$r" "$mode" "/usr/lib/opkg/info/$name.prerm" upgrade "$(field "$w/control/control" Version)"
	fi
	if [ -f "$w/control/conffiles" ]; then
		while read -r f; do
			if [ -f "$r$f" ] && [ -f "$old.conffiles" ] && ! cmp -s "$r$f" "$w/root$f"; then
				cp "$r$f" "$w/root$f"  # the owner's version stays
			fi
		done < "$w/control/conffiles"
	fi
	cp -a "$w/root/." "$r/"
	(cd "$w/root" && find . -type f,l -printf '/%P\n') > "$old.list"
	for f in "$w"/control/*; do cp "$f" "$old.$(basename "$f")"; done
	run_script "$r" "$mode" "/usr/lib/opkg/info/$name.postinst" configure
	unset PKG_UPGRADE
}
opkg_remove() { # opkg_remove ROOT MODE NAME
	local r=$1 info="$1/usr/lib/opkg/info/$3" f
	run_script "$r" "$2" "/usr/lib/opkg/info/$3.prerm" remove
	while read -r f; do rm -f "$r$f"; done < "$info.list"
	rm -f "$info".*
}

# apk: add unpacks the files and runs post-install; an upgrade (a newer or the same version)
# unpacks and runs the new package's post-upgrade (the old package's scripts do not run); del
# runs pre-deinstall and deletes what /lib/apk/packages/NAME.list names.
apk_add() { # apk_add ROOT MODE APK
	local r=$1 mode=$2 name s=/tmp/apk-scripts w f
	name=$(apk3 check --json "$3" | python3 -c 'import json,sys; print(json.load(sys.stdin)["package"]["name"])')
	w=$(mktemp -d -p "$tmp")
	apk3 extract "$3" "$w/root" --scripts "$r$s"
	local script=post-install
	if [ -f "$r/lib/apk/packages/$name.list" ]; then
		script=post-upgrade
		[ ! -f "$w/root/lib/apk/packages/$name.conffiles_static" ] || while read -r f _; do
			[ ! -f "$r$f" ] || cmp -s "$r$f" "$w/root$f" || cp "$r$f" "$w/root$f"  # the owner's version stays
		done < "$w/root/lib/apk/packages/$name.conffiles_static"
	fi
	cp -a "$w/root/." "$r/"
	run_script "$r" "$mode" "$s/$script" "$(apk3 check --json "$3" | python3 -c 'import json,sys; print(json.load(sys.stdin)["package"]["version"])')"
	cp "$r$s/pre-deinstall" "$r/lib/apk/packages/.$name.pre-deinstall"
}
apk_del() { # apk_del ROOT MODE NAME
	local r=$1 f
	run_script "$r" "$2" "/lib/apk/packages/.$3.pre-deinstall" "$full"
	while read -r f; do rm -f "$r$f"; done < "$r/lib/apk/packages/$3.list"
	rm -f "$r/lib/apk/packages/.$3.pre-deinstall"
}

links() { ls -l "$1/etc/rc.d" 2>/dev/null | awk 'NR > 1 {print $9, $11}' | tr '\n' ' '; }
enabled_ok() { [ "$(links "$1")" = "K10edgeddns ../init.d/edgeddns S95edgeddns ../init.d/edgeddns " ] || fail "$2: rc.d holds '$(links "$1")'"; }
disabled_ok() { [ -z "$(links "$1")" ] || fail "$2: rc.d still holds '$(links "$1")'"; }
running() { [ -f "$1/tmp/procd/edgeddns" ]; }

# A newer release of the same package, as the next build would make it.
next_release() { # next_release PKG OUT
	local w=$tmp/next
	rm -rf "$w"
	case "$1" in
	*.ipk)
		unpack_ipk "$1" "$w"
		sed -i "s/^Version: .*/Version: $version-r99/" "$w/control/control"
		tar --format=gnu --owner=0 --group=0 -C "$w/control" -czf "$w/control.tar.gz" .
		tar --format=gnu --owner=0 --group=0 -C "$w" -czf "$2" ./debian-binary ./data.tar.gz ./control.tar.gz
		;;
	*.apk)
		apk3 extract "$1" "$w/root" --scripts "$w/s"
		local i=() k
		while IFS='=' read -r k v; do i+=(--info "$k:$v"); done < <(apk3 check --json "$1" | python3 -c '
import json, sys
p = json.load(sys.stdin)["package"]
for k in ("name", "description", "arch", "license", "origin", "url", "maintainer"): print(f"{k}={p[k]}")
print("depends=" + " ".join(p["depends"]))')
		apk3 pack --files "$w/root" --output "$2" "${i[@]}" --info "version:$version-r99" \
			--script "post-install:$w/s/post-install" --script "post-upgrade:$w/s/post-upgrade" \
			--script "pre-deinstall:$w/s/pre-deinstall"
		;;
	esac
}

lifecycle() { # lifecycle FORMAT PKG: every case against one package file
	local fmt=$1 pkg=$2 r next add del
	[ "$fmt" = ipk ] && { add=opkg_install; del=opkg_remove; next="$tmp/next.ipk"; } ||
		{ add=apk_add; del=apk_del; next="$tmp/next.apk"; }
	next_release "$pkg" "$next"

	# Image build: the postinst alone (no rootfs.mk enable loop) enables and creates the user.
	r="$tmp/root-$fmt-image"
	new_root "$r"
	$add "$r" image "$pkg"
	enabled_ok "$r" "$fmt image build"
	running "$r" && fail "$fmt image build: started a service while building an image"
	grep -q '^edgeddns:x:32768:32768:' "$r/etc/passwd" && grep -q '^edgeddns:x:32768:edgeddns$' "$r/etc/group" \
		|| fail "$fmt image build: no edgeddns user/group ($(grep edgeddns "$r/etc/passwd" "$r/etc/group" | tr '\n' ' '))"
	echo "ok $fmt image build: enabled by its own postinst, user edgeddns created, nothing started"
	$del "$r" image edgeddns
	disabled_ok "$r" "$fmt offline removal"
	[ -z "$(find "$r/etc/rc.d" -xtype l)" ] || fail "$fmt offline removal: dangling links"
	[ ! -e "$r/usr/sbin/edgeddns" ] || fail "$fmt offline removal: binary left"
	echo "ok $fmt offline removal: no rc.d links left"

	# A running router.
	r="$tmp/root-$fmt-router"
	new_root "$r"
	$add "$r" router "$pkg"
	enabled_ok "$r" "$fmt install"
	running "$r" || fail "$fmt install: not started"
	grep -qx 'user edgeddns' "$r/tmp/procd/edgeddns" || fail "$fmt install: procd not told to run it as edgeddns"
	# Ownership by the ids the package created in the root (the host does not know them).
	local ids
	ids=$(awk -F: '$1 == "edgeddns" {print $3 ":" $4}' "$r/etc/passwd")
	[ "$(stat -c '%u:%g %a' "$r/var/run/edgeddns")" = "$ids 700" ] &&
		[ "$(stat -c '%u:%g %a' "$r/etc/edgeddns")" = "$ids 700" ] || fail "$fmt install: state directories"
	[ "$(stat -c '%u:%g %a' "$r/etc/config/edgeddns")" = "0:${ids#*:} 640" ] || fail "$fmt install: config access"
	echo "ok $fmt install: enabled, started as user edgeddns, state dirs 0700 edgeddns, config root:edgeddns 0640"

	chroot "$r" /etc/init.d/edgeddns disable
	chroot "$r" /etc/init.d/edgeddns stop
	echo "option check_interval '5m'" >> "$r/etc/config/edgeddns"
	cp "$r/etc/config/edgeddns" "$tmp/owner.config"
	$add "$r" router "$next"
	disabled_ok "$r" "$fmt upgrade of a disabled service"
	running "$r" && fail "$fmt upgrade of a disabled service: started it"
	cmp -s "$r/etc/config/edgeddns" "$tmp/owner.config" || fail "$fmt upgrade: the owner's config was replaced"
	echo "ok $fmt upgrade: a disabled service stays disabled and stopped, the owner's config is kept"
	$add "$r" router "$next"
	disabled_ok "$r" "$fmt reinstall of a disabled service"
	running "$r" && fail "$fmt reinstall of a disabled service: started it"
	echo "ok $fmt reinstall: still disabled"

	chroot "$r" /etc/init.d/edgeddns enable
	chroot "$r" /etc/init.d/edgeddns start
	$add "$r" router "$pkg"
	enabled_ok "$r" "$fmt upgrade of an enabled service"
	running "$r" || fail "$fmt upgrade of an enabled service: not running"
	echo "ok $fmt upgrade of an enabled service: still enabled and running"

	$del "$r" router edgeddns
	disabled_ok "$r" "$fmt removal"
	running "$r" && fail "$fmt removal: still running"
	echo "ok $fmt removal: stopped and disabled"
}
for arch_ipk in dist/ipk/edgeddns_*_x86_64.ipk; do
	lifecycle ipk "$arch_ipk"
	lifecycle apk "dist/apk/x86_64/edgeddns-$full.apk"
done
[ -n "${arch_ipk:-}" ] && [ -f "$arch_ipk" ] || fail "the lifecycle needs the x86_64 packages (scripts/build-router.sh x86_64-unknown-linux-musl)"

echo "$checked packages passed, 0 failed"
