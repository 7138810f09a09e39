# Stand-in for OpenWrt base-files' /lib/functions.sh: the package-script part only
# (default_postinst, default_prerm, add_group_and_user and the user/group helpers), written
# from reading package/base-files/files/lib/functions.sh. Same decisions: IPKG_INSTROOT set
# means an image being built (init scripts enabled or disabled through rc.common, nothing
# started or stopped); unset means a running router, where PKG_UPGRADE=1 keeps the owner's
# enable/disable choice and the service is only stopped or started.

package_file_list() {
	local list="${root}/usr/lib/opkg/info/${pkgname}.list"
	[ -f "$root/lib/apk/packages/${pkgname}.list" ] && list="$root/lib/apk/packages/${pkgname}.list"
	echo "$list"
}

each_init_script() { # each_init_script ACTION_IMAGE ACTION_ONLINE_UNLESS_UPGRADE ACTION_ONLINE
	local i
	for i in $(grep -s "^/etc/init.d/" "$(package_file_list)"); do
		if [ -n "$root" ]; then
			${shell:-/bin/sh} "$root/etc/rc.common" "$root$i" "$1"
		else
			[ "$PKG_UPGRADE" = "1" ] || "$i" "$2"
			"$i" "$3"
		fi
	done
}

default_postinst() {
	local root="${IPKG_INSTROOT}" ret=0 shell
	[ -z "$pkgname" ] && local pkgname="$(basename "${1%.*}")"
	shell="$(command -v bash)"
	[ -e "${root}/usr/lib/opkg/info/${pkgname}.list" ] && add_group_and_user "${pkgname}"
	[ -z "$root" ] && rm -f /tmp/luci-indexcache.*
	if [ -f "$root/usr/lib/opkg/info/${pkgname}.postinst-pkg" ]; then
		( . "$root/usr/lib/opkg/info/${pkgname}.postinst-pkg" )
		ret=$?
	fi
	each_init_script enable enable start
	return $ret
}

default_prerm() {
	local root="${IPKG_INSTROOT}" ret=0 shell
	[ -z "$pkgname" ] && local pkgname="$(basename "${1%.*}")"
	shell="$(command -v bash)"
	if [ -f "$root/usr/lib/opkg/info/${pkgname}.prerm-pkg" ]; then
		( . "$root/usr/lib/opkg/info/${pkgname}.prerm-pkg" )
		ret=$?
	fi
	each_init_script disable disable stop
	return $ret
}

add_group_and_user() {
	[ -z "$pkgname" ] && local pkgname="$(basename "${1%.*}")"
	local rusers tuple uname gname uid gid
	rusers="$(sed -ne 's/^Require-User: *//p' "$root/usr/lib/opkg/info/${pkgname}.control" 2>/dev/null)"
	[ -f "$root/lib/apk/packages/${pkgname}.rusers" ] && rusers="$(cat "$root/lib/apk/packages/${pkgname}.rusers")"
	for tuple in $rusers; do
		# user[=uid]:group[=gid] (extra groups after a second colon are not used here)
		uname="${tuple%%:*}"; gname="${tuple#*:}"; gname="${gname%%:*}"
		uid=""; gid=""
		case "$uname" in *=*) uid="${uname#*=}"; uname="${uname%%=*}" ;; esac
		case "$gname" in *=*) gid="${gname#*=}"; gname="${gname%%=*}" ;; esac
		if [ -n "$gname" ] && [ -n "$gid" ]; then
			group_exists "$gname" || group_add "$gname" "$gid"
		elif [ -n "$gname" ]; then
			gid="$(group_add_next "$gname")"
		fi
		[ -n "$uname" ] && { user_exists "$uname" || user_add "$uname" "$uid" "$gid"; }
		[ -n "$uname" ] && [ -n "$gname" ] && group_add_user "$gname" "$uname"
	done
	return 0
}

group_exists() { grep -qs "^${1}:" "${IPKG_INSTROOT}/etc/group"; }
user_exists() { grep -qs "^${1}:" "${IPKG_INSTROOT}/etc/passwd"; }

group_add() {
	[ -f "${IPKG_INSTROOT}/etc/group" ] || return 1
	echo "${1}:x:${2}:" >> "${IPKG_INSTROOT}/etc/group"
}

next_free_id() { # next_free_id FILE: the first id from 32768 up that FILE's third column lacks
	local id=32768
	while cut -d: -f3 "$1" | grep -qx "$id"; do id=$((id + 1)); done
	echo "$id"
}

group_add_next() {
	local gid
	gid=$(grep -s "^${1}:" "${IPKG_INSTROOT}/etc/group" | cut -d: -f3)
	if [ -z "$gid" ]; then
		gid=$(next_free_id "${IPKG_INSTROOT}/etc/group")
		group_add "$1" "$gid"
	fi
	echo "$gid"
}

group_add_user() {
	local grp delim=","
	grp=$(grep -s "^${1}:" "${IPKG_INSTROOT}/etc/group")
	echo "$grp" | cut -d: -f4 | grep -q "$2" && return
	echo "$grp" | grep -q ":$" && delim=""
	sed -i "s/^$grp\$/$grp$delim$2/" "${IPKG_INSTROOT}/etc/group"
}

user_add() {
	local name="$1" uid="$2" gid="$3"
	[ -f "${IPKG_INSTROOT}/etc/passwd" ] || return 1
	[ -n "$uid" ] || uid=$(next_free_id "${IPKG_INSTROOT}/etc/passwd")
	[ -n "$gid" ] || gid=$uid
	echo "${name}:x:${uid}:${gid}:${name}:/var/run/${name}:/bin/false" >> "${IPKG_INSTROOT}/etc/passwd"
	echo "${name}:x:0:0:99999:7:::" >> "${IPKG_INSTROOT}/etc/shadow"
}
