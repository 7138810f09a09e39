#!/usr/bin/env bash
# Check the .ipk files of scripts/build-ipk.sh the way opkg will see them, install each into a
# scratch root the way opkg does (data extracted, postinst run with IPKG_INSTROOT set), and run
# the installed binary under qemu for its architecture. Also: building twice gives the same bytes.
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

sha_before=$(sha256sum dist/ipk/*.ipk)
scripts/build-ipk.sh >/dev/null
[ "$sha_before" = "$(sha256sum dist/ipk/*.ipk)" ] || fail "a second build gave different bytes"
echo "reproducible: $(ls dist/ipk/*.ipk | wc -l) packages, same bytes twice"

checked=0
for ipk in dist/ipk/*.ipk; do
	work=$(mktemp -d)
	# The outer archive: gzip'd tar with exactly these three members, in this order.
	members=$(tar -tzf "$ipk" | tr '\n' ' ')
	[ "$members" = "./debian-binary ./data.tar.gz ./control.tar.gz " ] || fail "$ipk: members are '$members'"
	tar -xzf "$ipk" -C "$work"
	[ "$(cat "$work/debian-binary")" = "2.0" ] || fail "$ipk: debian-binary"
	mkdir "$work/control" "$work/root"
	tar -xzf "$work/control.tar.gz" -C "$work/control"
	ctl="$work/control/control"
	for field in Package Version Depends Source License Section Architecture Installed-Size Description; do
		grep -q "^$field: ." "$ctl" || fail "$ipk: control has no $field"
	done
	pkg=$(sed -n 's/^Package: //p' "$ctl")
	arch=$(sed -n 's/^Architecture: //p' "$ctl")
	version=$(sed -n 's/^Version: //p' "$ctl")
	[ "$(basename "$ipk")" = "${pkg}_${version}_${arch}.ipk" ] || fail "$ipk: name does not match control"
	# Owner root, no pax headers (opkg reads ustar/GNU only).
	tar -tvzf "$work/data.tar.gz" | awk '$2 != "0/0" {exit 1}' || fail "$ipk: files not owned by root"
	size=$(sed -n 's/^Installed-Size: //p' "$ctl")

	# Install as opkg does into an image root: extract, then postinst with IPKG_INSTROOT.
	tar -xzf "$work/data.tar.gz" -C "$work/root"
	real=$(find "$work/root" -type f -printf '%s\n' | awk '{s+=$1} END {print s+0}')
	[ "$size" = "$real" ] || fail "$ipk: Installed-Size $size, files $real"
	if [ -x "$work/control/postinst" ]; then
		IPKG_INSTROOT="$work/root" timeout 5 sh "$work/control/postinst" configure || fail "$ipk: postinst failed"
	fi
	if [ "$pkg" = edgeddns ]; then
		grep -qx /etc/config/edgeddns "$work/control/conffiles" || fail "$ipk: conffiles"
		[ "$(stat -c %a "$work/root/etc/config/edgeddns")" = 600 ] || fail "$ipk: config must be 0600"
		[ "$(stat -c %a "$work/root/usr/sbin/edgeddns")" = 755 ] || fail "$ipk: binary must be 0755"
		[ "$(stat -c %a "$work/root/etc/init.d/edgeddns")" = 755 ] || fail "$ipk: init script must be 0755"
		[ -f "$work/root/etc/hotplug.d/iface/95-edgeddns" ] || fail "$ipk: hotplug script missing"
		# The init script starts what the package installed, with the config it installed.
		grep -q 'command /usr/sbin/edgeddns run' "$work/root/etc/init.d/edgeddns" || fail "$ipk: init command"
		grep -q 'file /etc/config/edgeddns' "$work/root/etc/init.d/edgeddns" || fail "$ipk: init config"
		[ -z "$(ls -A "$work/root/etc/rc.d" 2>/dev/null)" ] || fail "$ipk: postinst touched the image"
		qemu=$(qemu_for "${target_of[$arch]}")
		$qemu "$work/root/usr/sbin/edgeddns" --version | grep -q "^edgeddns $(echo "$version" | sed 's/-r.*//')$" \
			|| fail "$ipk: --version"
		$qemu "$work/root/usr/sbin/edgeddns" -c "$work/root/etc/config/edgeddns" check-config >/dev/null \
			|| fail "$ipk: check-config on the installed default config"
	else
		[ -f "$work/root/www/luci-static/resources/view/edgeddns/overview.js" ] || fail "$ipk: view missing"
		[ -f "$work/root/usr/share/rpcd/acl.d/luci-app-edgeddns.json" ] || fail "$ipk: ACL missing"
	fi
	echo "ok $(basename "$ipk") $(stat -c %s "$ipk") bytes, installed size $size"
	checked=$((checked + 1))
	rm -rf "$work"
done
echo "$checked passed, 0 failed"
