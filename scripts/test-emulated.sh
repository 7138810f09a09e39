#!/usr/bin/env bash
# The test suite on router CPUs under qemu-user, and a smoke run of every built binary.
#   scripts/test-emulated.sh [TARGET...]   (default: big-endian MIPS and ARMv7)
# Big-endian MIPS finds byte-order bugs (netlink is native-endian, ubus big-endian). This is plain
# `cargo test`: the tests needing root and network namespaces, a browser or named are #[ignore]d
# and listed as such (scripts/test.sh runs them natively), none passes by skipping.
# Then every dist/edgeddns-* (scripts/build-router.sh) runs --version, check-config on the
# default config, and once --dry-run against a local HTTPS echo.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/cross-env.sh
targets="${*:-mips-unknown-linux-musl armv7-unknown-linux-musleabihf}"

cross_install
# openssl makes the smoke run's throwaway certificates.
command -v openssl >/dev/null || { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssl; }
# Tests build with other flags than the shipped binaries: keep them apart.
export CARGO_TARGET_DIR="$PWD/target/cross-test"
cross_env
# The test harness reports a failed assertion by unwinding.
export BUILD_STD=std,panic_unwind
for t in $targets; do
	start=$(date +%s)
	qemu=$(qemu_for "$t")
	var="CARGO_TARGET_$(echo "$t" | tr 'a-z-' 'A-Z_')_RUNNER"
	if [ -n "$qemu" ]; then
		export "$var=$qemu" EDGEDDNS_TEST_RUNNER="$qemu"
	fi
	echo "== tests on $t ${qemu:+under $qemu}"
	cross_cargo test "$t" --profile emutest
	unset "$var" EDGEDDNS_TEST_RUNNER
	echo "== $t: tests passed in $(( $(date +%s) - start ))s"
done

# Smoke: a local HTTPS echo (python3 + a throwaway certificate) and the shipped default config
# with the example service enabled, so dry-run has a request to show.
work=$(mktemp -d)
trap 'kill $(cat "$work/echo.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
# A throwaway CA and a server certificate signed by it (rustls refuses a CA as end entity).
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=smoke-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost -keyout "$work/key.pem" -out "$work/req.pem" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' > "$work/ext"
openssl x509 -req -in "$work/req.pem" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
	-extfile "$work/ext" -out "$work/cert.pem" 2>/dev/null
python3 - "$work" <<'PY' &
import http.server, ssl, sys
work = sys.argv[1]
class Echo(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"203.0.113.77\n"
        self.send_response(200); self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
srv = http.server.HTTPServer(("127.0.0.1", 0), Echo)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(f"{work}/cert.pem", f"{work}/key.pem")
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open(f"{work}/port", "w").write(str(srv.server_address[1]))
srv.serve_forever()
PY
echo $! > "$work/echo.pid"
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")
sed -e "s/option enabled '0'/option enabled '1'/" -e "s/option interface 'wan'/option ip_source 'echo'/" \
	openwrt-package/edgeddns/files/edgeddns.config > "$work/edgeddns"
cat >> "$work/edgeddns" <<CFG
config edgeddns 'global'
	list echo_url 'https://127.0.0.1:$port/'
	option ca_bundle '$work/ca.pem'
	option run_dir '$work/run'
	option persist_file ''
CFG
for bin in dist/edgeddns-*; do
	t=${bin#dist/edgeddns-}
	qemu=$(qemu_for "$t")
	echo "== smoke $t"
	$qemu "$bin" --version
	$qemu "$bin" -c openwrt-package/edgeddns/files/edgeddns.config check-config
	out=$($qemu "$bin" -c "$work/edgeddns" --dry-run once 2>&1)
	echo "$out"
	echo "$out" | grep -q "GET https://www.duckdns.org/update?domains=myrouter&token=\*\*\*&ip=203.0.113.77&verbose=true" \
		|| { echo "error: $t: dry run did not show the expected request" >&2; exit 1; }
done
echo "emulated tests and smoke runs passed"
