#!/usr/bin/env bash
# The test command (README): every test, including the ones plain `cargo test` leaves ignored
# because they need root, network namespaces or programs from Debian.
#   scripts/test.sh [CARGO TEST ARGS...]   e.g. scripts/test.sh --test luci_page
#   scripts/test.sh --prepare-only         install the prerequisites, run nothing
# Run as root on Debian 12 or 13 with Rust installed (README, Quick start). It installs the
# prerequisites below with apt-get and the browser driver with `npm ci` in tests/luci, then runs
# `cargo test -- --include-ignored`. A test that runs without what it needs fails
# (tests/support `require`); nothing here or in the tests turns a missing tool into a pass.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
	echo "scripts/test.sh: run as root (network-namespace tests, apt-get); plain \`cargo test\` needs no root" >&2
	exit 1
fi
command -v cargo >/dev/null || { echo "scripts/test.sh: cargo not found; install Rust first (README, Quick start)" >&2; exit 1; }

# The one list of test prerequisites, as command:Debian package. iproute2: network namespaces
# (tests/daemon_netns.rs); chromium, nodejs, npm: the LuCI page in a real browser
# (tests/luci_page.rs, driven by playwright-core from the npm registry); bind9, dnsutils: RFC 2136
# against a real named (tests/rfc2136_named.rs); busybox: OpenWrt's shell (package scripts);
# fonts-wqy-zenhei: CJK glyphs for the zh-cn screenshots; pdns-server, pdns-backend-sqlite3,
# sqlite3 (loads its schema), knot, knot-dnsutils: the third-party servers of
# tests/third_party_*.rs; python3-venv: their venv with moto and the providers' official SDKs
# (tests/third_party/setup.sh, pinned in tests/third_party/requirements.txt).
need=""
for pair in ip:iproute2 busybox:busybox chromium:chromium node:nodejs npm:npm named:bind9 dig:dnsutils \
	pdns_server:pdns-server pdnsutil:pdns-server knotd:knot kdig:knot-dnsutils sqlite3:sqlite3; do
	command -v "${pair%%:*}" >/dev/null || need="$need ${pair#*:}"
done
[ -e /usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql ] || need="$need pdns-backend-sqlite3"
# tests/daemon_clock.rs: libfaketime sets the daemon's clock back and steps it while it runs.
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || need="$need libfaketime"
fc-list 2>/dev/null | grep -qi wqy || need="$need fonts-wqy-zenhei"
python3 -c 'import ensurepip' 2>/dev/null || need="$need python3-venv"
if [ -n "$need" ]; then
	apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q $need
fi
# npm ci starts from scratch each time: only when the lock file is newer than what it installed.
if [ ! tests/luci/node_modules/.package-lock.json -nt tests/luci/package-lock.json ]; then
	(cd tests/luci && npm ci --no-audit --no-fund --loglevel=error)
fi
tests/third_party/setup.sh
[ "${1:-}" = --prepare-only ] && exit 0

# A test may not decide for itself to pass without running: no "skipping" branches, no checks of
# the emulation flag (tests/support `require` is the rule; README, Testing).
if grep -rnE 'eprintln!\("skipping|SKIPPED|EDGEDDNS_EMULATED' tests --include='*.rs'; then
	echo "scripts/test.sh: the tests above pass by skipping; use #[ignore] and require() instead" >&2
	exit 1
fi

export CI=true
cargo test --no-fail-fast "$@" -- --include-ignored
