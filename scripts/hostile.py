#!/usr/bin/env python3
"""The hostile-server cases, on demand (not in CI): the real release binary runs as a daemon
(`edgeddns -c CONFIG run -f`) for `--seconds` (120) per case against local servers on
127.0.0.1 that misbehave, beside one honest dyndns2 service that must still get its update.

Per case it prints the requests each hostile server received, the honest service's requests
and whether its record got the right address, the status the daemon reports for the hostile
record, the longest the status file went unwritten, and how long SIGTERM took to stop it; then
it looks for every password in every form in everything the daemon wrote or printed.

    scripts/hostile.py                      # every case, 120 s each (about 18 min)
    scripts/hostile.py --seconds 10 1 flap  # a quick try of two cases

Needs python3 (standard library only), openssl and `cargo build --release` (or --binary).
Exits 1 when anything looked wrong (a storm, a lost update, a leak, a slow exit).
"""

import argparse
import base64
import http.server
import json
import os
import re
import secrets
import select
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from xml.sax.saxutils import escape as xml_escape

HERE = os.path.dirname(os.path.abspath(__file__))
# What the honest echo says the internet sees (a documentation range counts as public).
HONEST_IP = "198.51.100.7"
USER = "alice"
HTTP_TIMEOUT = 10
CHECK_INTERVAL = 10
MB = 1024 * 1024


def make_tls(work):
    """A throwaway CA and a certificate for 127.0.0.1 signed by it (rustls refuses a CA as
    the server's own certificate), as scripts/test-emulated.sh makes them."""
    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    p = lambda name: os.path.join(work, name)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=hostile-ca",
            "-keyout", p("ca.key"), "-out", p("ca.pem"))
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", p("key.pem"),
            "-out", p("req.pem"))
    with open(p("ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", p("req.pem"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"), "-CAcreateserial",
            "-days", "2", "-extfile", p("ext"), "-out", p("cert.pem"))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(p("cert.pem"), p("key.pem"))
    return ctx, p("ca.pem")


class Handler(http.server.BaseHTTPRequestHandler):
    """Records the request, then lets the server's behaviour answer it (or not)."""

    def do_GET(self):
        target = urllib.parse.urlsplit(self.path)
        self.params = {k: v[0] for k, v in urllib.parse.parse_qs(target.query).items()}
        with self.server.lock:
            self.server.requests.append({"at": time.monotonic(), "path": target.path, "params": self.params,
                                         "authorization": self.headers.get("Authorization")})
        self.server.behaviour(self)

    def reply(self, status, body="", headers=()):
        data = body.encode()
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def credentials(self):
        value = self.headers.get("Authorization", "")
        if not value.startswith("Basic "):
            return "", ""
        user, _, password = base64.b64decode(value[6:]).decode(errors="replace").partition(":")
        return user, password

    def log_message(self, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    """An HTTP(S) server on 127.0.0.1 answering every GET with `behaviour(handler)`."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, behaviour, tls):
        self.behaviour, self.tls = behaviour, tls
        self.lock = threading.Lock()
        self.requests = []
        self.open = 0
        self.notes = {}
        # Set when the case ends: a server dripping its answer stops.
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def url(self, path):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.server_address[1]}{path}"

    def finish_request(self, sock, address):
        # The TLS handshake runs here, on the connection's own thread, not in the accept loop.
        with self.lock:
            self.open += 1
        try:
            conn = self.tls.wrap_socket(sock, server_side=True) if self.tls else sock
            with conn:
                super().finish_request(conn, address)
        except OSError:
            pass  # the daemon hung up: what several behaviours are waiting for
        finally:
            with self.lock:
                self.open -= 1

    def count(self):
        with self.lock:
            return len(self.requests)

    def close(self):
        self.stopping.set()
        self.shutdown()
        self.server_close()


def dyndns2(password):
    """An honest dyndns2 server: `good <ip>` per hostname for alice's password, else badauth."""
    def behaviour(h):
        if h.credentials() != (USER, password):
            return h.reply(200, "badauth\n")
        ip = h.params.get("myip", "")
        h.reply(200, "".join(f"good {ip}\n" for _ in h.params.get("hostname", "").split(",")))
    return behaviour


def retry_after(status):
    return lambda h: h.reply(status, "slow down\n", [("Retry-After", "18446744073709551615")])


def error_quoting_credentials(h):
    # A server that quotes the credentials back in its error, hoping to get them logged.
    user, password = h.credentials()
    h.reply(500, f"internal error for {user}:{password} ({h.path})\n")


def drip(h):
    """A well-formed answer, one byte every 5 s: each read gets something, so only a deadline
    for the whole exchange ends it."""
    body = f"good {HONEST_IP}\n"
    answer = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n{body}".encode()
    for i in range(len(answer)):
        h.wfile.write(answer[i:i + 1])
        with h.server.lock:
            h.server.notes["bytes dripped"] = h.server.notes.get("bytes dripped", 0) + 1
        if h.server.stopping.wait(5):
            return


def huge_body(h):
    """A 50 MB answer that starts like a success; what it got out before the daemon hung up
    is noted."""
    total, chunk = 50 * MB, f"good {HONEST_IP}\n".encode().ljust(64 * 1024, b" ")
    h.send_response(200)
    h.send_header("Content-Length", str(total))
    h.end_headers()
    sent = 0
    try:
        while sent < total and not h.server.stopping.is_set():
            h.wfile.write(chunk)
            sent += len(chunk)
    finally:
        with h.server.lock:
            h.server.notes["most body bytes sent"] = max(sent, h.server.notes.get("most body bytes sent", 0))


def redirect_loop(h):
    h.reply(302, "", [("Location", h.server.url(h.path))])


def redirect_to(plain):
    return lambda h: h.reply(301, "", [("Location", plain.url(h.path))])


class HostileDns:
    """UDP and TCP on one port. Over UDP it never answers with the query's ID, but sends a
    datagram with another ID every second to the last client; over TCP it reads the query and
    drips an answer (with the right ID) one byte every 5 s."""

    def __init__(self):
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.port = self.udp.getsockname()[1]
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.last = None  # (client address, query ID) of the last UDP query
        self.n = {"UDP queries": 0, "stray datagrams": 0, "TCP connections": 0, "TCP bytes dripped": 0}
        self.open = 0
        for loop in (self.udp_loop, self.stray_loop, self.tcp_loop):
            threading.Thread(target=loop, daemon=True).start()

    def add(self, what):
        with self.lock:
            self.n[what] += 1

    def udp_loop(self):
        while not self.stopping.is_set():
            try:
                data, address = self.udp.recvfrom(4096)
            except OSError:
                return
            self.add("UDP queries")
            self.last = (address, data[:2])

    def stray_loop(self):
        while not self.stopping.wait(1):
            if self.last:
                address, qid = self.last
                other = bytes([qid[0] ^ 0xFF, qid[1]])
                try:
                    self.udp.sendto(other + b"\x80\x00" + bytes(8), address)
                    self.add("stray datagrams")
                except OSError:
                    pass

    def tcp_loop(self):
        while True:
            try:
                conn, _ = self.tcp.accept()
            except OSError:
                return
            self.add("TCP connections")
            threading.Thread(target=self.drip, args=(conn,), daemon=True).start()

    def drip(self, conn):
        with self.lock:
            self.open += 1
        try:
            with conn:
                conn.settimeout(30)
                query = b""
                while len(query) < 4:
                    part = conn.recv(4096)
                    if not part:
                        return
                    query += part
                # A 12-byte header, framed by its length: the query's ID, QR set, no records.
                answer = b"\x00\x0c" + query[2:4] + b"\x80\x00" + bytes(8)
                for i in range(len(answer)):
                    conn.sendall(answer[i:i + 1])
                    self.add("TCP bytes dripped")
                    if self.stopping.wait(5):
                        return
        except OSError:
            pass
        finally:
            with self.lock:
                self.open -= 1

    def count(self):
        with self.lock:
            return self.n["UDP queries"]

    def close(self):
        self.stopping.set()
        self.udp.close()
        self.tcp.close()


def backoff_attempts(seconds):
    """The most attempts the default backoff (retry_interval 30 s, doubling, -20 % jitter)
    allows in `seconds`, counting jobs as instant."""
    attempts, at, wait = 1, 0.0, 24.0
    while at + wait <= seconds:
        at, wait, attempts = at + wait, wait * 2, attempts + 1
    return attempts


def echo_rounds(seconds):
    """The most echo queries the daemon makes in `seconds` on its own: at start, then every
    minute (echo_interval 1m, or 60 s after a failed echo), the last one perhaps at the edge."""
    return 2 + int(seconds) // 60


class Hostile:
    """One misbehaving server of a case, and what to report about it."""

    def __init__(self, label, server, limit, service=None, echo=None):
        self.label, self.server, self.limit = label, server, limit
        self.service = service  # the service whose record it fails, if any
        self.echo = echo  # or the echo URL whose answer the status quotes


class Rig:
    """One case: its directory, the honest echo and provider, the configuration, the daemon."""

    def __init__(self, key, work, tls, ca, binary, seconds):
        self.dir = os.path.join(work, key)
        os.makedirs(os.path.join(self.dir, "run"))
        self.tls, self.ca, self.binary, self.seconds = tls, ca, binary, seconds
        self.secrets = []
        self.echo_ip = HONEST_IP
        self.echo = Server(lambda h: h.reply(200, self.echo_ip + "\n"), tls)
        self.echo_urls = [self.echo.url("/ip")]
        password = self.password("honest")
        self.provider = Server(dyndns2(password), tls)
        self.servers = [self.echo, self.provider]
        self.services = [self.dyndns2_service("honest", self.provider.url("/nic/update"), password)]
        # Whether the honest record must end up holding the echo's (last) address, or nothing
        # may be published at all.
        self.publishes = True
        # Updates the honest service may send: one for its one address.
        self.max_updates = 1
        self.background = []
        self.daemon = None
        self.cfg = os.path.join(self.dir, "edgeddns")

    def password(self, service):
        """A password of the service's own, with characters that change when encoded."""
        secret = f"pw {service}&{secrets.token_hex(4)}!"
        self.secrets.append(secret)
        return secret

    def serve(self, behaviour, tls=True):
        server = Server(behaviour, self.tls if tls else None)
        self.servers.append(server)
        return server

    def dyndns2_service(self, name, url, password):
        return (f"config service '{name}'\n\toption provider 'dyndns2'\n\toption server '{url}'\n"
                f"\tlist hostname '{name}.example.org'\n\toption username '{USER}'\n"
                f"\toption password '{password}'\n\toption ip_source 'echo'\n")

    def hostile_dyndns2(self, name, behaviour, limit):
        server = self.serve(behaviour)
        self.services.append(self.dyndns2_service(name, server.url("/nic/update"), self.password(name)))
        return Hostile(f"{name}: dyndns2", server, limit, service=name)

    def write_config(self):
        echo = "".join(f"\tlist echo_url '{u}'\n" for u in self.echo_urls)
        text = (
            "config edgeddns 'global'\n" + echo +
            f"\toption ca_bundle '{self.ca}'\n\toption run_dir '{self.dir}/run'\n\toption persist_file ''\n"
            f"\toption http_timeout '{HTTP_TIMEOUT}s'\n"
            # The shortest intervals allowed: the echo is asked as often as the daemon ever
            # asks it on its own, and status.json is rewritten at least every 10 s, which
            # shows that the loop is alive while a worker hangs.
            f"\toption echo_interval '1m'\n\toption check_interval '{CHECK_INTERVAL}s'\n"
            # Debug logs every request and answer: the most text that could leak a password.
            "\toption log_level 'debug'\n" + "".join(self.services))
        with open(self.cfg, "w") as f:
            f.write(text)

    def edgeddns(self, *args):
        return subprocess.run([self.binary, "-c", self.cfg, *args], capture_output=True, text=True, timeout=30)

    def status_file(self):
        try:
            with open(os.path.join(self.dir, "run", "status.json")) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def close(self):
        for s in self.servers:
            s.close()


# --- The cases: each adds its hostile servers and services to the rig. ---

def case_retry_after(rig):
    """HTTP 429 and 503 with `Retry-After: 18446744073709551615` (was: 1,869 requests in 20 s,
    4,327 in 120 s)."""
    return [rig.hostile_dyndns2(f"ra{status}", retry_after(status), limit=1) for status in (429, 503)]


def case_500(rig):
    """HTTP 500 for ever, the body quoting the credentials back."""
    return [rig.hostile_dyndns2("err500", error_quoting_credentials, backoff_attempts(rig.seconds))]


def case_drip(rig):
    """The answer dripped one byte every 5 s."""
    return [rig.hostile_dyndns2("drip", drip, backoff_attempts(rig.seconds))]


def case_body(rig):
    """A 50 MB answer that starts like `good <ip>`."""
    return [rig.hostile_dyndns2("body", huge_body, backoff_attempts(rig.seconds))]


def case_redirect(rig):
    """A redirect to itself, and one from https to plain http, where a server answers as a
    provider would: it must never be asked, least of all with the password."""
    plain = rig.serve(lambda h: h.reply(200, f"good {h.params.get('myip', '')}\n"), tls=False)
    hostiles = [rig.hostile_dyndns2("loop", redirect_loop, limit=1),
                rig.hostile_dyndns2("tohttp", redirect_to(plain), limit=1)]
    hostiles.append(Hostile("plain http target of tohttp", plain, limit=0))
    return hostiles


def case_flap(rig):
    """The echo answer changes 200 times in 20 s (then stays at the last address), each change
    followed by SIGUSR1, as the old iface hotplug hook sent (was: 71 provider / 72 echo requests).
    With ip_source echo nothing else makes the daemon look before its echo_interval."""
    addresses = [f"203.0.113.{i}" for i in range(1, 201)]
    # A short trial (--seconds 10) flaps for half of it.
    span = min(20.0, rig.seconds / 2)

    def flap():
        deadline = time.monotonic() + 10
        while rig.provider.count() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        for ip in addresses:
            rig.echo_ip = ip
            rig.daemon.send_signal(signal.SIGUSR1)
            time.sleep(span / len(addresses))

    rig.background.append(flap)
    # What tests/daemon_netns.rs allows for a flapping interface (coalesced: 5 on an idle
    # machine); more would get a dyndns2 account blocked for abuse, whatever the trigger.
    rig.max_updates = 12
    # At most one echo query per signal, plus the daemon's own.
    return [Hostile("echo, flapping", rig.echo, len(addresses) + echo_rounds(rig.seconds), service="honest")]


def case_rfc2136(rig):
    """An RFC 2136 server over UDP and TCP that sends a stray datagram with a wrong ID every
    second and drips its TCP answer one byte every 5 s."""
    dns = HostileDns()
    rig.servers.append(dns)
    token = base64.b64encode(secrets.token_bytes(32)).decode()
    rig.secrets.append(token)
    rig.services.append(
        f"config service 'dns'\n\toption provider 'rfc2136'\n\toption server '127.0.0.1:{dns.port}'\n"
        f"\toption zone 'example.org'\n\toption key_name 'hostile-key'\n\toption token '{token}'\n"
        "\tlist hostname 'dns.example.org'\n\toption ip_source 'echo'\n")
    return [Hostile("dns: rfc2136 (UDP queries)", dns, backoff_attempts(rig.seconds), service="dns")]


BOGUS = ("10.1.2.3", "127.0.0.1", "0.0.0.0")


def bogus_echoes(rig):
    hostiles = []
    for ip in BOGUS:
        server = rig.serve(lambda h, ip=ip: h.reply(200, ip + "\n"))
        hostiles.append(Hostile(f"echo answering {ip}", server, echo_rounds(rig.seconds), echo=server.url("/ip")))
    return hostiles


def case_bogus_echo(rig):
    """Echo services answering 10.1.2.3, 127.0.0.1 and 0.0.0.0, asked before the honest one:
    no provider may ever be sent one of them."""
    hostiles = bogus_echoes(rig)
    rig.echo_urls = [h.echo for h in hostiles] + rig.echo_urls
    return hostiles


def case_bogus_echo_alone(rig):
    """The same bogus echo services with no honest one: nothing may be published at all (the
    echo is global, so the honest service has nothing to publish either)."""
    hostiles = bogus_echoes(rig)
    rig.echo_urls = [h.echo for h in hostiles]
    rig.publishes = False
    return hostiles


CASES = [
    ("1", "retry-after", case_retry_after),
    ("2", "500", case_500),
    ("3", "drip", case_drip),
    ("4", "body", case_body),
    ("5", "redirect", case_redirect),
    ("6", "flap", case_flap),
    ("7", "rfc2136", case_rfc2136),
    ("8", "bogus-echo", case_bogus_echo),
    ("8b", "bogus-echo-alone", case_bogus_echo_alone),
]


# --- Running a case and judging what happened. ---

def secret_forms(secret):
    """The forms a secret could take in text the daemon writes: as given, percent-encoded
    (either hex case, `+` for a space), in basic authentication, JSON- and XML-escaped."""
    encoded = urllib.parse.quote(secret, safe="-._~")
    lower = re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), encoded)
    return {secret, encoded, lower, encoded.replace("%20", "+"), json.dumps(secret)[1:-1],
            xml_escape(secret, {'"': "&quot;", "'": "&apos;"}),
            base64.b64encode(f"{USER}:{secret}".encode()).decode()}


def describe_next(rec, now):
    n = rec.get("next") or {}
    nxt = n.get("code", "?")
    if n.get("by"):
        nxt += f" by {n['by']}"
    if n.get("for"):
        nxt += f" for {n['for']}"
    if isinstance(n.get("at"), int):
        nxt += f" in {n['at'] - now} s"
    return nxt


def describe_record(rec, now):
    if rec is None:
        return "no record in the status"
    o = rec.get("outcome") or {}
    outcome = f"{o.get('code')}/{o.get('kind') or '-'}" if o else "no outcome"
    waiting = (rec.get("next") or {}).get("code") == "waiting"
    reason = rec.get("error") or (rec.get("next_action") if waiting else None)
    return f"{outcome}; next {describe_next(rec, now)}" + (f"; {reason}" if reason else "")


def find_record(status, service):
    for svc in (status or {}).get("services", []):
        if svc.get("name") == service and svc.get("records"):
            return svc["records"][0]
    return None


def echo_answer(status, url):
    host = url.split("://", 1)[1].split("/", 1)[0]
    for family in (status or {}).get("echo", []):
        for a in family.get("answers", []):
            if a.get("service") == host:
                return a.get("error") or f"accepted {a.get('address')}"
    return "not in the status"


def run_case(key, name, setup, args, work, tls, ca):
    rig = Rig(f"{key}-{name}", work, tls, ca, args.binary, args.seconds)
    problems = []
    try:
        hostiles = setup(rig)
        rig.write_config()
        check = rig.edgeddns("check-config")
        if check.returncode != 0:
            problems.append(f"check-config exited {check.returncode}: {check.stdout}{check.stderr}")
        log_path = os.path.join(rig.dir, "daemon.log")
        with open(log_path, "w") as log:
            started = time.monotonic()
            rig.daemon = subprocess.Popen([args.binary, "-c", rig.cfg, "run", "-f"], stdout=log, stderr=log)
            for work_fn in rig.background:
                threading.Thread(target=work_fn, daemon=True).start()
            stale = watch_status(rig, started + args.seconds)
            counts = [h.server.count() for h in hostiles]
            honest = list(rig.provider.requests)
            open_at_term = [h.server.open > 0 for h in hostiles]
            shown = rig.edgeddns("status")
            status = json.loads(shown.stdout) if shown.returncode == 0 else None
            if status is None:
                problems.append(f"edgeddns status failed: {shown.stderr.strip()}")
            code, exit_s = stop(rig.daemon)
        now = int(time.time())

        rows = []
        for h, n, was_open in zip(hostiles, counts, open_at_term):
            if h.service:
                said = describe_record(find_record(status, h.service), now)
            elif h.echo:
                said = f"echo answer: {echo_answer(status, h.echo)}"
            else:
                said = "-"
            notes = dict(h.server.notes) if isinstance(h.server, Server) else dict(h.server.n)
            if was_open:
                notes["exchange open at SIGTERM"] = "yes"
            if n > h.limit:
                problems.append(f"{h.label}: {n} requests, at most {h.limit} expected: a storm")
            rows.append((h.label, n, said, notes))

        honest_rec = find_record(status, "honest")
        registered = (honest_rec or {}).get("registered")
        last_sent = honest[-1]["params"].get("myip") if honest else None
        if rig.publishes:
            honest_ok = registered == rig.echo_ip and last_sent == rig.echo_ip
            first = f", first after {honest[0]['at'] - started:.1f} s" if honest else ""
            honest_text = f"{len(honest)}; {'yes' if honest_ok else 'NO'} ({registered or 'none'}{first})"
            if not honest_ok:
                problems.append(f"honest record: registered {registered}, last sent {last_sent}, "
                                f"expected {rig.echo_ip}: a lost update")
        else:
            waits = describe_next(honest_rec, now) if honest_rec else "no record"
            honest_text = f"{len(honest)}; nothing to publish (next {waits})" + (", yet sent!" if honest else "")
            if honest or registered:
                problems.append(f"honest service: {len(honest)} updates sent with no address to publish")
        if len(honest) > rig.max_updates:
            problems.append(f"honest service: {len(honest)} updates, at most {rig.max_updates} expected: a storm")
        bogus_sent = [r["params"].get("myip") for r in honest if r["params"].get("myip") in BOGUS]
        if bogus_sent:
            problems.append(f"a bogus echo answer reached the provider: {bogus_sent}")
        if exit_s is None or exit_s > 1:
            problems.append(f"SIGTERM: {'no exit in 10 s' if exit_s is None else f'{exit_s:.2f} s'} to exit")
        if code != 0:
            problems.append(f"the daemon exited {code} after SIGTERM")
        if stale is None:
            problems.append("the daemon never wrote status.json")
        elif stale > CHECK_INTERVAL + 2:
            problems.append(f"status.json went {stale} s unwritten (check_interval {CHECK_INTERVAL} s): the loop hung")
        problems += leaks(rig, [check.stdout, check.stderr, shown.stdout, shown.stderr])
        return {"case": f"{key} {name}", "rows": rows, "honest": honest_text, "stale": stale,
                "exit": exit_s, "problems": problems, "dir": rig.dir}
    finally:
        if rig.daemon and rig.daemon.poll() is None:
            rig.daemon.kill()
        rig.close()


def stop(daemon):
    """SIGTERM, and the exit code and seconds until the process was gone (None: killed after
    10 s). A pidfd wakes at the exit itself, where Popen.wait(timeout) would poll."""
    pidfd = os.pidfd_open(daemon.pid)
    try:
        term = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        gone = select.select([pidfd], [], [], 10)[0]
        took = time.monotonic() - term
    finally:
        os.close(pidfd)
    if not gone:
        daemon.kill()
        return daemon.wait(), None
    return daemon.wait(), took


def watch_status(rig, until):
    """Wait until `until`, reading status.json twice a second; the longest the daemon left it
    unwritten (seconds, from its generated_at), or None if it never wrote one."""
    worst = None
    while time.monotonic() < until:
        st = rig.status_file()
        if st is not None:
            age = int(time.time()) - st.get("generated_at", 0)
            worst = age if worst is None else max(worst, age)
        time.sleep(0.5)
    return worst


def leaks(rig, outputs):
    """Every password, in every form, looked for in the daemon's log, the files in its run
    directory and what the commands printed."""
    texts = {"command output": "".join(outputs)}
    with open(os.path.join(rig.dir, "daemon.log"), errors="replace") as f:
        texts["daemon.log"] = f.read()
    run = os.path.join(rig.dir, "run")
    for name in os.listdir(run):
        with open(os.path.join(run, name), errors="replace") as f:
            texts[f"run/{name}"] = f.read()
    found = []
    for secret in rig.secrets:
        for where, text in texts.items():
            if any(form in text for form in secret_forms(secret)):
                found.append(f"password leak: '{secret}' in {where}")
    for server in rig.servers:
        if isinstance(server, Server) and not server.tls and any(r["authorization"] for r in server.requests):
            found.append(f"credentials sent over plain http to {server.url('')}")
    return found


def table(results, seconds):
    out = [f"| case | hostile server | requests in {seconds:g} s | honest: requests; right address | "
           "hostile record's status | status.json max age | SIGTERM → exit | notes |",
           "|---|---|---|---|---|---|---|---|"]
    for r in results:
        exit_text = "no exit" if r["exit"] is None else f"{r['exit'] * 1000:.0f} ms"
        # The case's own columns on its first row only.
        case_cols = [r["case"], r["honest"], f"{r['stale']} s", exit_text]
        for label, n, said, notes in r["rows"]:
            case, honest, stale, exit_ = case_cols
            note = ", ".join(f"{k}: {v}" for k, v in notes.items())
            out.append(f"| {case} | {label} | {n} | {honest} | {said.replace('|', '/')} | {stale} | {exit_} | {note} |")
            case_cols = [""] * 4
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", help="case numbers or names (default: all): " +
                        ", ".join(f"{k} {n}" for k, n, _ in CASES))
    parser.add_argument("--seconds", type=float, default=120, help="how long each case runs (default 120)")
    parser.add_argument("--binary", default=os.path.join(HERE, "..", "target", "release", "edgeddns"),
                        help="the edgeddns binary (default target/release/edgeddns)")
    args = parser.parse_args()
    args.binary = os.path.abspath(args.binary)
    chosen = [c for c in CASES if not args.cases or c[0] in args.cases or c[1] in args.cases]
    unknown = set(args.cases) - {k for k, _, _ in CASES} - {n for _, n, _ in CASES}
    if unknown or not chosen:
        parser.error(f"unknown case {', '.join(sorted(unknown))}")
    if not os.access(args.binary, os.X_OK):
        parser.error(f"{args.binary} is not there: run cargo build --release, or give --binary")
    work = tempfile.mkdtemp(prefix="edgeddns-hostile-")
    tls, ca = make_tls(work)
    print(f"{len(chosen)} case(s), {args.seconds:g} s each; logs and configs in {work}", flush=True)
    results = []
    for key, name, setup in chosen:
        print(f"== {key} {name}: {' '.join(setup.__doc__.split())}", flush=True)
        r = run_case(key, name, setup, args, work, tls, ca)
        for p in r["problems"]:
            print(f"   PROBLEM: {p}", flush=True)
        results.append(r)
    print()
    print(table(results, args.seconds))
    problems = [(r["case"], p) for r in results for p in r["problems"]]
    print()
    print("\n".join(f"PROBLEM {c}: {p}" for c, p in problems) or "no problem found")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
