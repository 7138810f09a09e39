#!/usr/bin/env bash
# Package the static binaries in dist/ (scripts/build-router.sh) the way OpenWrt's SDK would
# (include/package-pack.mk): .ipk for 24.10 (opkg) and v3 .apk for 25.12 (apk-tools), then the
# feeds a router adds. Reproducible: same inputs, same bytes (mtimes from the last commit, owner
# root, sorted entries, gzip/deflate without names or times).
#   scripts/build-packages.sh
#     dist/ipk/<pkg>_<version>_<arch>.ipk            edgeddns per architecture, LuCI ones _all
#     dist/apk/<arch>/<pkg>-<version>.apk             edgeddns per architecture, noarch/ for LuCI
#     dist/feed/ipk/<arch>/{*.ipk,Packages,Packages.gz[,Packages.sig]}   an opkg feed per arch
#     dist/feed/apk/<arch>/{*.apk,packages.adb}                         an apk repository per arch
#     dist/feed/openwrt/                              a self-contained SDK feed (src-cpy works)
# Signing: EDGEDDNS_APK_KEY (an EC or RSA private key, PEM) signs each packages.adb as apk does;
# EDGEDDNS_USIGN_KEY (an Ed25519 private key, PEM) writes Packages.sig as usign does.
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)
release=$(sed -n 's/^PKG_RELEASE:=//p' openwrt-package/edgeddns/Makefile)
full="$version-r$release"
fail() { echo "error: $*" >&2; exit 1; }
# One version everywhere: the crate, both Makefiles, both package formats.
[ "$(sed -n 's/^PKG_VERSION:=//p' openwrt-package/edgeddns/Makefile)" = "$version" ] ||
	fail "openwrt-package/edgeddns/Makefile PKG_VERSION differs from Cargo.toml's $version"
[ "$(sed -n 's/^PKG_VERSION:=//p' openwrt-package/luci-app-edgeddns/Makefile)" = "$full" ] ||
	fail "openwrt-package/luci-app-edgeddns/Makefile PKG_VERSION must be $full"
epoch="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}"
export SOURCE_DATE_EPOCH="$epoch" LC_ALL=C
url=$(sed -n 's/^EDGEDDNS_URL?=//p' openwrt-package/edgeddns/Makefile)
maintainer=$(sed -n 's/^PKG_MAINTAINER:=//p' openwrt-package/edgeddns/Makefile)
license=$(sed -n 's/^PKG_LICENSE:=//p' openwrt-package/edgeddns/Makefile)
files=openwrt-package/edgeddns/files
luci=openwrt-package/luci-app-edgeddns
rm -rf dist/ipk dist/apk dist/feed
mkdir -p dist/ipk dist/apk/noarch
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

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

# luci.mk's language aliases (LUCI_LC_ALIAS) and titles (LUCI_LANG) for the po/ directories
# LuCI ships; a po/<lang>/ not listed here stops the build rather than being skipped.
declare -A lang_alias=([zh_Hans]=zh-cn [zh_Hant]=zh-tw [pt_BR]=pt-br [nb_NO]=no [bn_BD]=bn)
declare -A lang_title=([de]="Deutsch (German)" [zh_Hans]="简体中文 (Chinese Simplified)"
	[zh_Hant]="繁體中文 (Chinese Traditional)" [fr]="Français (French)" [es]="Español (Spanish)"
	[it]="Italiano (Italian)" [ja]="日本語 (Japanese)" [ru]="Русский (Russian)" [pl]="Polski (Polish)")

# A package is staged once as STAGE/root (its files) and STAGE/meta/* (its fields), then packed
# in both formats.
new_stage() { # new_stage NAME ARCH DEPENDS SECTION DESCRIPTION → prints STAGE
	local s
	s=$(mktemp -d -p "$work")
	install -d -m 0755 "$s/root" "$s/meta"
	printf '%s' "$1" > "$s/meta/name"
	printf '%s' "$2" > "$s/meta/arch"
	printf '%s' "$3" > "$s/meta/depends"
	printf '%s' "$4" > "$s/meta/section"
	printf '%s' "$5" > "$s/meta/description"
	echo "$s"
}
meta() { cat "$1/meta/$2" 2>/dev/null || true; }

stage_edgeddns() { # stage_edgeddns BINARY ARCH
	local s
	s=$(new_stage edgeddns "$2" "libc ca-bundle" net \
		"Dynamic DNS client that follows netifd, detects CGNAT and double NAT, and updates dyndns2, Cloudflare, DuckDNS and other providers over HTTPS.")
	install -d -m 0755 "$s/root/usr/sbin" "$s/root/etc/init.d" "$s/root/etc/config" "$s/root/usr/share/acl.d"
	install -m 0755 "$1" "$s/root/usr/sbin/edgeddns"
	install -m 0755 "$files/edgeddns.init" "$s/root/etc/init.d/edgeddns"
	# Passwords and tokens: root only until the init script hands the group to the daemon.
	install -m 0600 "$files/edgeddns.config" "$s/root/etc/config/edgeddns"
	install -m 0644 "$files/edgeddns.acl.json" "$s/root/usr/share/acl.d/edgeddns.json"
	install -d -m 0755 "$s/root/etc/hotplug.d/ntp"
	install -m 0644 "$files/edgeddns.ntp" "$s/root/etc/hotplug.d/ntp/25-edgeddns"
	echo /etc/config/edgeddns > "$s/meta/conffiles"
	printf 'edgeddns:edgeddns' > "$s/meta/user"
	echo "$s"
}

stage_luci() {
	local s
	s=$(new_stage luci-app-edgeddns all "libc luci-base edgeddns" luci \
		"LuCI page for edgeddns: configure the services and see the WAN verdict (public, CGNAT, double NAT) and each record's state.")
	install -d -m 0755 "$s/root/www/luci-static/resources/view/edgeddns" "$s/root/usr/share/luci/menu.d" \
		"$s/root/usr/share/rpcd/acl.d"
	install -m 0644 $luci/htdocs/luci-static/resources/view/edgeddns/*.js "$s/root/www/luci-static/resources/view/edgeddns/"
	install -m 0644 $luci/root/usr/share/luci/menu.d/luci-app-edgeddns.json "$s/root/usr/share/luci/menu.d/"
	install -m 0644 $luci/root/usr/share/rpcd/acl.d/luci-app-edgeddns.json "$s/root/usr/share/rpcd/acl.d/"
	# luci.mk's postinst: a new menu entry and ACL, so drop LuCI's caches and reload rpcd.
	cat > "$s/meta/postinst-pkg" <<'SH'
#!/bin/sh
[ -n "${IPKG_INSTROOT}" ] || {
	rm -f /tmp/luci-indexcache
	rm -rf /tmp/luci-modulecache/
	killall -HUP rpcd 2>/dev/null
	exit 0
}
SH
	echo "$s"
}

stage_i18n() { # stage_i18n PO_DIR: luci.mk's LuciTranslation for one po/<lang>/
	local lang code pkg s po
	lang=$(basename "$1")
	code=${lang_alias[$lang]:-$lang}
	[ -n "${lang_title[$lang]:-}" ] || fail "$1: language '$lang' is not one luci.mk knows (add its LUCI_LANG title)"
	[ -f scripts/po2lmo.py ] || fail "$1 exists but scripts/po2lmo.py does not: cannot build luci-i18n-edgeddns-$code"
	pkg=luci-i18n-edgeddns-$code
	s=$(new_stage "$pkg" all "libc luci-app-edgeddns" luci "Translation for luci-app-edgeddns - ${lang_title[$lang]}")
	install -d -m 0755 "$s/root/etc/uci-defaults" "$s/root/usr/lib/lua/luci/i18n"
	echo "uci set luci.languages.${code//-/_}='${lang_title[$lang]}'; uci commit luci" > "$s/root/etc/uci-defaults/$pkg"
	chmod 0644 "$s/root/etc/uci-defaults/$pkg"
	for po in "$1"/*.po; do
		[ -f "$po" ] || fail "$1 holds no .po file"
		python3 scripts/po2lmo.py "$po" "$s/root/usr/lib/lua/luci/i18n/$(basename "$po" .po).$code.lmo"
		chmod 0644 "$s/root/usr/lib/lua/luci/i18n/$(basename "$po" .po).$code.lmo"
	done
	cat > "$s/meta/postinst-pkg" <<SH
#!/bin/sh
[ -n "\${IPKG_INSTROOT}" ] || {
	(. /etc/uci-defaults/$pkg) && rm -f /etc/uci-defaults/$pkg
	exit 0
}
SH
	echo "$s"
}

# --- .ipk (package-pack.mk's CONTROL and ipkg-build) ---------------------------------------

tarball() { # tarball OUT DIR: a reproducible gzip'd GNU tar of DIR's contents as ./...
	tar --format=gnu --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" \
		-C "$2" -cf - . | gzip -9n > "$1"
}

# The SDK's scripts: base-files' default_postinst/default_prerm do the work (add the user,
# enable/start or stop/disable the init script, honour PKG_UPGRADE and IPKG_INSTROOT).
ipk_postinst() {
	cat <<'SH'
#!/bin/sh
[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_postinst $0 $@
SH
}
ipk_prerm() {
	cat <<'SH'
#!/bin/sh
[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0
. ${IPKG_INSTROOT}/lib/functions.sh
default_prerm $0 $@
SH
}

pack_ipk() { # pack_ipk STAGE → dist/ipk/...
	local s=$1 name arch ctl pkgdir size ipk
	name=$(meta "$s" name)
	arch=$(meta "$s" arch)
	ctl=$(mktemp -d -p "$work")
	pkgdir=$(mktemp -d -p "$work")
	size=$(find "$s/root" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
	{
		echo "Package: $name"
		echo "Version: $full"
		echo "Depends: $(meta "$s" depends | sed 's/ /, /g')"
		echo "Source: feeds/edgeddns/$name"
		echo "SourceName: $name"
		echo "License: $license"
		echo "LicenseFiles: LICENSE"
		echo "Section: $(meta "$s" section)"
		[ -z "$(meta "$s" user)" ] || echo "Require-User: $(meta "$s" user)"
		echo "SourceDateEpoch: $epoch"
		echo "URL: $url"
		echo "Maintainer: $maintainer"
		echo "Architecture: $arch"
		echo "Installed-Size: $size"
		echo "Description: $(meta "$s" description)"
	} > "$ctl/control"
	[ ! -f "$s/meta/conffiles" ] || cp "$s/meta/conffiles" "$ctl/conffiles"
	ipk_postinst > "$ctl/postinst"
	ipk_prerm > "$ctl/prerm"
	[ ! -f "$s/meta/postinst-pkg" ] || cp "$s/meta/postinst-pkg" "$ctl/postinst-pkg"
	chmod 0644 "$ctl"/*
	chmod 0755 "$ctl"/postinst* "$ctl/prerm"
	tarball "$pkgdir/data.tar.gz" "$s/root"
	tarball "$pkgdir/control.tar.gz" "$ctl"
	echo "2.0" > "$pkgdir/debian-binary"
	touch -d "@$epoch" "$pkgdir"/*
	chmod 0644 "$pkgdir"/*
	ipk="dist/ipk/${name}_${full}_${arch}.ipk"
	# opkg expects these three in this order.
	tar --format=gnu --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$pkgdir" \
		-cf - ./debian-binary ./data.tar.gz ./control.tar.gz | gzip -9n > "$ipk"
	echo "$ipk $(stat -c %s "$ipk")"
}

# --- .apk (package-pack.mk's apk branch and `apk mkpkg`) -----------------------------------

apk_post_install() { # apk_post_install NAME STAGE
	printf '#!/bin/sh\n[ "${IPKG_NO_SCRIPT}" = "1" ] && exit 0\n[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n'
	printf '. ${IPKG_INSTROOT}/lib/functions.sh\nexport root="${IPKG_INSTROOT}"\nexport pkgname="%s"\n' "$1"
	printf 'add_group_and_user\ndefault_postinst\n'
	[ ! -f "$2/meta/postinst-pkg" ] || sed '/^\s*#!/d' "$2/meta/postinst-pkg"
}

pack_apk() { # pack_apk STAGE → dist/apk/<arch>/...
	local s=$1 name arch root meta_dir dir apk f
	name=$(meta "$s" name)
	arch=$(meta "$s" arch)
	[ "$arch" != all ] || arch=noarch
	root=$(mktemp -d -p "$work")
	chmod 0755 "$root"
	cp -a "$s/root/." "$root/"
	meta_dir="$root/lib/apk/packages"
	install -d -m 0755 "$root/lib" "$root/lib/apk" "$meta_dir"
	[ -z "$(meta "$s" user)" ] || { meta "$s" user; echo; } > "$meta_dir/$name.rusers"
	(cd "$root" && find . -type f,l -printf '/%P\n' | sort) > "$work/$name.list"
	mv "$work/$name.list" "$meta_dir/$name.list"
	if [ -f "$s/meta/conffiles" ]; then
		cp "$s/meta/conffiles" "$meta_dir/$name.conffiles"
		while read -r f; do
			echo "$f $(sha256sum < "$root$f" | cut -d' ' -f1)"
		done < "$s/meta/conffiles" > "$meta_dir/$name.conffiles_static"
	fi
	chmod 0644 "$meta_dir"/*
	apk_post_install "$name" "$s" > "$work/post-install"
	{ printf '#!/bin/sh\nexport PKG_UPGRADE=1\n'; sed '/^\s*#!/d' "$work/post-install"; } > "$work/post-upgrade"
	{
		printf '#!/bin/sh\n[ -s ${IPKG_INSTROOT}/lib/functions.sh ] || exit 0\n. ${IPKG_INSTROOT}/lib/functions.sh\n'
		printf 'export root="${IPKG_INSTROOT}"\nexport pkgname="%s"\ndefault_prerm\n' "$name"
	} > "$work/pre-deinstall"
	dir="dist/apk/$arch"
	mkdir -p "$dir"
	apk="$dir/$name-$full.apk"
	python3 scripts/apk3.py pack --files "$root" --output "$apk" \
		--info "name:$name" --info "version:$full" --info "description:$(meta "$s" description)" \
		--info "arch:$arch" --info "license:$license" --info "origin:feeds/edgeddns/$name" \
		--info "url:$url" --info "maintainer:$maintainer" --info "depends:$(meta "$s" depends)" \
		--script "post-install:$work/post-install" --script "post-upgrade:$work/post-upgrade" \
		--script "pre-deinstall:$work/pre-deinstall"
	echo "$apk $(stat -c %s "$apk")"
}

# --- packages ---------------------------------------------------------------------------------

built_arches=""
while read -r arch target; do
	[ -n "$arch" ] || continue
	bin="dist/edgeddns-$target"
	if [ ! -f "$bin" ]; then
		echo "skipping $arch: $bin not built" >&2
		continue
	fi
	built_arches="$built_arches $arch"
	stage=$(stage_edgeddns "$bin" "$arch")
	pack_ipk "$stage"
	pack_apk "$stage"
done <<< "$arch_binaries"
[ -n "$built_arches" ] || fail "no binary in dist/: run scripts/build-router.sh first"
stage=$(stage_luci)
pack_ipk "$stage"
pack_apk "$stage"
for po in "$luci"/po/*/; do
	[ "$(basename "$po")" != templates ] || continue
	stage=$(stage_i18n "${po%/}")
	pack_ipk "$stage"
	pack_apk "$stage"
done

# --- feeds ------------------------------------------------------------------------------------

# opkg's index as OpenWrt's scripts/ipkg-make-index.sh writes it: each package's control with
# Filename, Size and SHA256sum before Description, stanzas split by an empty line.
ipk_index() { # ipk_index DIR
	local ipk
	for ipk in "$1"/*.ipk; do
		tar -xzOf "$ipk" ./control.tar.gz | tar -xzOf - ./control | sed "s/^Description:/Filename: $(basename "$ipk")\\
Size: $(stat -c %s "$ipk")\\
SHA256sum: $(sha256sum < "$ipk" | cut -d' ' -f1)\\
Description:/"
		echo
	done > "$1/Packages"
	gzip -9nc "$1/Packages" > "$1/Packages.gz"
	[ -z "${EDGEDDNS_USIGN_KEY:-}" ] || python3 scripts/usign.py sign "$EDGEDDNS_USIGN_KEY" "$1/Packages"
}

for arch in $built_arches; do
	d="dist/feed/ipk/$arch"
	mkdir -p "$d"
	cp dist/ipk/*_"$arch".ipk dist/ipk/*_all.ipk "$d/"
	ipk_index "$d"
	d="dist/feed/apk/$arch"
	mkdir -p "$d"
	cp dist/apk/"$arch"/*.apk dist/apk/noarch/*.apk "$d/"
	python3 scripts/apk3.py index --output "$d/packages.adb" --description "edgeddns $full $arch" \
		${EDGEDDNS_APK_KEY:+--sign-key "$EDGEDDNS_APK_KEY"} "$d"/*.apk
	echo "feeds for $arch: dist/feed/ipk/$arch dist/feed/apk/$arch"
done

# The SDK feed without the rest of the repository: the crate rides along in edgeddns/crate.
sdk=dist/feed/openwrt
mkdir -p "$sdk/edgeddns/crate"
mkdir -p "$sdk/edgeddns/files"
cp openwrt-package/edgeddns/Makefile "$sdk/edgeddns/"
cp "$files/edgeddns.init" "$files/edgeddns.config" "$files/edgeddns.acl.json" "$files/edgeddns.ntp" "$sdk/edgeddns/files/"
cp -R Cargo.toml Cargo.lock LICENSE build.rs src "$sdk/edgeddns/crate/"
cp -R "$luci" "$sdk/"
echo "SDK feed: $sdk"
