# Sourced by the cross scripts: installs the cross toolchain (idempotently) and sets the
# environment for static musl builds of every router target.
#
# No rustup targets can be downloaded here, so std is built from source (-Zbuild-std) with
# Debian's rustc-web and rust-web-src; zig (from PyPI, through cargo-zigbuild) is the C
# compiler for ring and the linker. Recipe: ../shared/reference/cross-build.md.

# armv7 twice: hard-float for CPUs with VFP (ipq40xx, mvebu), soft-float for the FPU-less
# Cortex-A9 of bcm53xx, where VFP instructions would trap.
ROUTER_TARGETS="mips-unknown-linux-musl mipsel-unknown-linux-musl armv7-unknown-linux-musleabihf armv7-unknown-linux-musleabi aarch64-unknown-linux-musl"
ALL_TARGETS="$ROUTER_TARGETS x86_64-unknown-linux-musl"

cross_install() {
	local need=""
	[ -x /usr/bin/rustc ] && /usr/bin/rustc --version | grep -q '^rustc 1\.9[6-9]' || need="$need rustc-web cargo-web"
	[ -d /usr/lib/rustlib/src/rust/library ] || need="$need rust-web-src"
	command -v qemu-mips-static >/dev/null || need="$need qemu-user-static"
	command -v file >/dev/null || need="$need file"
	command -v llvm-objcopy >/dev/null || need="$need llvm"
	if [ -n "$need" ]; then
		apt-get update -q >/dev/null
		# shellcheck disable=SC2086
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need >/dev/null
	fi
	if ! command -v cargo-zigbuild >/dev/null || ! python3 -c 'import ziglang' 2>/dev/null; then
		pip install -q ziglang==0.17.1 cargo-zigbuild==0.24.0
	fi
}

# Debian's toolchain first in PATH (cargo-zigbuild calls `cargo`), nightly features unlocked for
# build-std. Static, non-PIE: static-pie crashed on mipsel (TLS setup), and armv7/aarch64 must
# not look for rustc's self-contained crt objects, which this toolchain does not ship.
# For the shipped binaries (cross_release_flags), to save flash: a panic aborts at once without
# formatting a message (procd respawns the daemon), and panic locations are not stored: together
# 356 KB less on mipsel. The emulated tests keep unwinding, which the test harness needs.
cross_env() {
	export PATH="/usr/bin:$PATH"
	export RUSTC=/usr/bin/rustc
	export RUSTC_BOOTSTRAP=1
	export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target/cross}"
	export RUSTFLAGS="-C relocation-model=static -C link-self-contained=no -C target-feature=+crt-static"
	export CARGO_TERM_COLOR=never
}

# Release builds drop unwinding and panic locations, and `Debug` formatting (`{:?}` prints
# nothing: about −30 KB on MIPS; nothing of ours prints with it outside tests) — except in
# ureq-proto, which writes the request line's HTTP version with `{:?}`, and in http, whose
# hand-written `Version` impl that prints: both keep `shallow` (per-package profile flags, which
# override the profile's own; with `none` the smoke run sees "invalid HTTP version").
cross_release_flags() {
	export RUSTFLAGS="$RUSTFLAGS -C force-unwind-tables=no -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none"
	RELEASE_ARGS=(-Zprofile-rustflags --config 'profile.release.rustflags=["-Zfmt-debug=none"]'
		--config 'profile.release.package.ureq-proto.rustflags=["-Zfmt-debug=shallow"]'
		--config 'profile.release.package.http.rustflags=["-Zfmt-debug=shallow"]')
}

# cargo-zigbuild with std built for the target; extra arguments (a profile, …) go to cargo.
cross_cargo() {
	local sub="$1" target="$2"
	shift 2
	# std's optimize_for_size picks its smaller algorithms (sorting, formatting): −34 KB on MIPS;
	# the emulated tests run the same std as the shipped binaries.
	cargo-zigbuild "$sub" --target "$target" -Zbuild-std="${BUILD_STD:-std,panic_abort}" \
		-Zbuild-std-features=optimize_for_size "$@"
}

qemu_for() {
	case "$1" in
		mips-*) echo qemu-mips-static ;;
		mipsel-*) echo qemu-mipsel-static ;;
		armv7-*) echo qemu-arm-static ;;
		aarch64-*) echo qemu-aarch64-static ;;
		x86_64-*) echo "" ;;
	esac
}
