#!/usr/bin/env bash
# Turn the static binaries in dist/ (scripts/build-router.sh) into .ipk packages as opkg
# reads them: an outer gzip'd tar (not ar) holding ./debian-binary, ./data.tar.gz and
# ./control.tar.gz. Reproducible: same inputs, same bytes (mtimes from the last commit, owner
# root, sorted entries, gzip without names or times).
#   scripts/build-ipk.sh            → dist/ipk/edgeddns_<version>-r<release>_<arch>.ipk
#                                     and dist/ipk/luci-app-edgeddns_<version>-r<release>_all.ipk
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
release=$(sed -n 's/^PKG_RELEASE:=//p' openwrt-package/edgeddns/Makefile)
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
files=openwrt-package/edgeddns/files
out=dist/ipk
mkdir -p "$out"

# OpenWrt package architecture → the binary that runs there.
arch_binaries="
mips_24kc mips-unknown-linux-musl
mipsel_24kc mipsel-unknown-linux-musl
arm_cortex-a7_neon-vfpv4 armv7-unknown-linux-musleabihf
arm_cortex-a9_vfpv3-d16 armv7-unknown-linux-musleabihf
arm_cortex-a9 armv7-unknown-linux-musleabi
aarch64_cortex-a53 aarch64-unknown-linux-musl
aarch64_generic aarch64-unknown-linux-musl
x86_64 x86_64-unknown-linux-musl
"

tarball() { # tarball OUT DIR: a reproducible gzip'd GNU tar of DIR's contents as ./...
	tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
		-C "$2" -cf - . | gzip -9n > "$1"
}

# pack NAME ARCH STAGE: control fields come from STAGE/CONTROL/control (without Installed-Size).
pack() {
	local name=$1 arch=$2 stage=$3 work
	work=$(mktemp -d)
	local size
	size=$(find "$stage/data" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
	sed -i "s/^Installed-Size: .*/Installed-Size: $size/" "$stage/control/control"
	tarball "$work/data.tar.gz" "$stage/data"
	tarball "$work/control.tar.gz" "$stage/control"
	echo "2.0" > "$work/debian-binary"
	touch -d "@$epoch" "$work/debian-binary" "$work/data.tar.gz" "$work/control.tar.gz"
	chmod 0644 "$work/debian-binary" "$work/data.tar.gz" "$work/control.tar.gz"
	local ipk="$out/${name}_${version}-r${release}_${arch}.ipk"
	# opkg expects these three in this order.
	tar --format=gnu --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$work" \
		-cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -9n > "$ipk"
	rm -rf "$work"
	echo "$ipk $(stat -c %s "$ipk")"
}

control() { # control NAME ARCH DEPENDS SECTION DESCRIPTION
	cat <<CONTROL
Package: $1
Version: $version-r$release
Depends: $3
Source: feeds/edgeddns/$1
SourceName: $1
License: GPL-2.0-only
Section: $4
SourceDateEpoch: $epoch
Maintainer: edgeddns developers
Architecture: $2
Installed-Size: 0
Description: $5
CONTROL
}

stage_edgeddns() { # stage_edgeddns STAGE BINARY ARCH
	local s=$1
	install -d -m 0755 "$s/data/usr/sbin" "$s/data/etc/init.d" "$s/data/etc/config" "$s/data/etc/hotplug.d/iface" "$s/control"
	install -m 0755 "$2" "$s/data/usr/sbin/edgeddns"
	install -m 0755 "$files/edgeddns.init" "$s/data/etc/init.d/edgeddns"
	# The config holds passwords and tokens: root only.
	install -m 0600 "$files/edgeddns.config" "$s/data/etc/config/edgeddns"
	install -m 0644 "$files/edgeddns.hotplug" "$s/data/etc/hotplug.d/iface/95-edgeddns"
	control edgeddns "$3" "ca-bundle" net \
		"Dynamic DNS client that follows netifd, detects CGNAT and double NAT, and updates dyndns2, Cloudflare, DuckDNS and other providers over HTTPS." \
		> "$s/control/control"
	echo /etc/config/edgeddns > "$s/control/conffiles"
	cat > "$s/control/postinst" <<'SH'
#!/bin/sh
# Only on a running router, never while an image is being built; procd starts the
# daemon in the background, so this returns at once.
[ -n "$IPKG_INSTROOT" ] || {
	/etc/init.d/edgeddns enable
	/etc/init.d/edgeddns start
}
exit 0
SH
	cat > "$s/control/prerm" <<'SH'
#!/bin/sh
[ -n "$IPKG_INSTROOT" ] || {
	/etc/init.d/edgeddns stop
	/etc/init.d/edgeddns disable
}
exit 0
SH
	chmod 0755 "$s/control/postinst" "$s/control/prerm"
	chmod 0644 "$s/control/control" "$s/control/conffiles"
}

stage_luci() { # stage_luci STAGE
	local s=$1
	install -d -m 0755 "$s/data/www/luci-static/resources/view/edgeddns" "$s/data/usr/share/luci/menu.d" \
		"$s/data/usr/share/rpcd/acl.d" "$s/control"
	install -m 0644 openwrt-package/luci-app-edgeddns/htdocs/luci-static/resources/view/edgeddns/*.js "$s/data/www/luci-static/resources/view/edgeddns/"
	install -m 0644 openwrt-package/luci-app-edgeddns/root/usr/share/luci/menu.d/luci-app-edgeddns.json "$s/data/usr/share/luci/menu.d/"
	install -m 0644 openwrt-package/luci-app-edgeddns/root/usr/share/rpcd/acl.d/luci-app-edgeddns.json "$s/data/usr/share/rpcd/acl.d/"
	control luci-app-edgeddns all "libc, luci-base, edgeddns" luci \
		"LuCI page for edgeddns: configure the services and see the WAN verdict (public, CGNAT, double NAT) and each record's state." \
		> "$s/control/control"
	cat > "$s/control/postinst" <<'SH'
#!/bin/sh
# New menu entry and ACL: drop LuCI's caches and let rpcd re-read its ACLs.
[ -n "$IPKG_INSTROOT" ] || {
	rm -f /tmp/luci-indexcache* 2>/dev/null
	rm -rf /tmp/luci-modulecache 2>/dev/null
	/etc/init.d/rpcd reload 2>/dev/null
}
exit 0
SH
	chmod 0755 "$s/control/postinst"
	chmod 0644 "$s/control/control"
}

echo "$arch_binaries" | while read -r arch target; do
	[ -n "$arch" ] || continue
	bin="dist/edgeddns-$target"
	if [ ! -f "$bin" ]; then
		echo "skipping $arch: $bin not built" >&2
		continue
	fi
	stage=$(mktemp -d)
	stage_edgeddns "$stage" "$bin" "$arch"
	pack edgeddns "$arch" "$stage"
	rm -rf "$stage"
done
stage=$(mktemp -d)
stage_luci "$stage"
pack luci-app-edgeddns all "$stage"
rm -rf "$stage"
