//! Test fixtures: a test CA, HTTPS servers that play providers and echo services, network
//! namespaces, and the real binary. Each integration test file includes this with `mod support;`.
#![allow(dead_code)]

pub mod netifd;
pub mod odhcpd;
pub mod ubusd;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_edgeddns");

/// A scratch directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("edgeddns-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A CA made at test time and a server certificate for localhost, 127.0.0.1 and ::1.
pub struct TestCa {
    pub ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl TestCa {
    pub fn new() -> TestCa {
        Self::valid_from(None)
    }

    /// A CA whose server certificate is valid from `not_before` (year, month, day) on.
    pub fn valid_from(not_before: Option<(i32, u8, u8)>) -> TestCa {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(rcgen::DnType::CommonName, "edgeddns test CA");
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let key = rcgen::KeyPair::generate().unwrap();
        // 192.0.2.10: the servers "on the internet" of the two-WAN tests, behind both links.
        let names = ["localhost", "127.0.0.1", "::1", "192.0.2.10"];
        let mut params = rcgen::CertificateParams::new(names.map(String::from).to_vec()).unwrap();
        if let Some((y, m, d)) = not_before {
            params.not_before = rcgen::date_time_ymd(y, m, d);
        }
        let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
            )
            .unwrap();
        TestCa { ca_pem: ca.pem(), server: Arc::new(server) }
    }

    pub fn write_bundle(&self, dir: &TempDir) -> PathBuf {
        dir.write("ca.pem", &self.ca_pem)
    }
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
    /// Where the connection came from: which link a request left by.
    pub peer: Option<SocketAddr>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn query(&self, name: &str) -> Option<String> {
        let q = self.target.split_once('?')?.1;
        q.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then(|| percent_decode(v))
        })
    }
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if b[i] == b'+' { b' ' } else { b[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    pub fn ok(body: impl Into<String>) -> Reply {
        Reply { status: 200, headers: vec![], body: body.into() }
    }
    pub fn status(status: u16, body: impl Into<String>) -> Reply {
        Reply { status, headers: vec![], body: body.into() }
    }
    pub fn json(status: u16, v: &serde_json::Value) -> Reply {
        Reply { status, headers: vec![("Content-Type".into(), "application/json".into())], body: v.to_string() }
    }
}

type Handler = Box<dyn FnMut(&Recorded) -> Reply + Send>;

/// An HTTPS server on loopback answering with a handler the test can swap at any time, and
/// recording every request.
pub struct HttpsServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    handler: Arc<Mutex<Handler>>,
}

impl HttpsServer {
    /// On 127.0.0.1 of the current network namespace, or inside `netns`.
    pub fn start(
        ca: &TestCa,
        netns: Option<&Netns>,
        handler: impl FnMut(&Recorded) -> Reply + Send + 'static,
    ) -> HttpsServer {
        Self::start_on(ca, netns, "127.0.0.1:0", handler)
    }

    pub fn start_on(
        ca: &TestCa,
        netns: Option<&Netns>,
        bind: &str,
        handler: impl FnMut(&Recorded) -> Reply + Send + 'static,
    ) -> HttpsServer {
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Mutex<Handler>> = Arc::new(Mutex::new(Box::new(handler)));
        let (tx, rx) = mpsc::channel();
        let cfg = ca.server.clone();
        let (reqs, h) = (requests.clone(), handler.clone());
        let ns = netns.map(|n| n.name.clone());
        let bind = bind.to_string();
        std::thread::spawn(move || {
            if let Some(ns) = ns {
                enter_netns(&ns);
            }
            let listener = TcpListener::bind(&bind).unwrap_or_else(|e| panic!("cannot listen on {bind}: {e}"));
            tx.send(listener.local_addr().unwrap()).unwrap();
            for stream in listener.incoming().flatten() {
                let (cfg, reqs, h) = (cfg.clone(), reqs.clone(), h.clone());
                std::thread::spawn(move || serve_one(stream, cfg, reqs, h));
            }
        });
        let addr = rx.recv_timeout(Duration::from_secs(10)).expect("server did not start");
        HttpsServer { addr, requests, handler }
    }

    pub fn url(&self, path: &str) -> String {
        match self.addr {
            SocketAddr::V4(a) => format!("https://{a}{path}"),
            SocketAddr::V6(a) => format!("https://[{}]:{}{path}", a.ip(), a.port()),
        }
    }

    pub fn set_handler(&self, handler: impl FnMut(&Recorded) -> Reply + Send + 'static) {
        *self.handler.lock().unwrap() = Box::new(handler);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.requests.lock().unwrap().clear();
    }

    /// Wait until at least `n` requests arrived, or panic after `limit`.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Vec<Recorded> {
        let start = Instant::now();
        loop {
            let r = self.requests();
            if r.len() >= n {
                return r;
            }
            assert!(start.elapsed() < limit, "expected {n} request(s) within {limit:?}, got {}: {r:#?}", r.len());
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn serve_one(
    stream: std::net::TcpStream,
    cfg: Arc<rustls::ServerConfig>,
    reqs: Arc<Mutex<Vec<Recorded>>>,
    handler: Arc<Mutex<Handler>>,
) {
    // An idle keep-alive connection is closed after a minute, as real servers do (nginx: 75 s),
    // so later than a client keeps one for reuse (ureq: 15 s); closing earlier made a slow
    // client (under qemu) send its next request into a connection already reset.
    let _ = stream.set_read_timeout(Some(Duration::from_secs(60)));
    let peer = stream.peer_addr().ok();
    let Ok(conn) = rustls::ServerConnection::new(cfg) else {
        return;
    };
    let mut tls = rustls::StreamOwned::new(conn, stream);
    let mut reader = BufReader::new(&mut tls);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_string(), target.to_string());
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((n, v)) = h.split_once(':') {
                headers.push((n.trim().to_string(), v.trim().to_string()));
            }
        }
        let len: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let body = String::from_utf8_lossy(&body).into_owned();
        let rec = Recorded { method, target, headers, body, at: Instant::now(), peer };
        let reply = (handler.lock().unwrap())(&rec);
        reqs.lock().unwrap().push(rec);
        let mut out = format!("HTTP/1.1 {} X\r\nContent-Length: {}\r\n", reply.status, reply.body.len());
        for (n, v) in &reply.headers {
            out.push_str(&format!("{n}: {v}\r\n"));
        }
        out.push_str("\r\n");
        out.push_str(&reply.body);
        let stream = reader.get_mut();
        if stream.write_all(out.as_bytes()).and_then(|_| stream.flush()).is_err() {
            return;
        }
    }
}

/// The one rule for a test that needs something from outside the crate (root, network
/// namespaces, a Debian package, a browser): the test is marked
/// `#[ignore = "needs <what>; run scripts/test.sh"]`, so plain `cargo test` lists it as ignored
/// instead of passing it, and its first lines `require` each prerequisite. `scripts/test.sh`
/// (as root) installs them and runs the ignored tests too; a test that runs without its
/// prerequisite fails here, never passes by doing nothing.
pub fn require(what: &str, check: bool) {
    assert!(
        check,
        "missing prerequisite: {what}. Run this test through scripts/test.sh (as root on Debian), \
         which installs what the tests need; plain `cargo test` leaves it ignored."
    );
}

/// Whether `program` runs (`program args…` exits 0).
pub fn have(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

pub fn is_root() -> bool {
    nix::unistd::Uid::effective().is_root()
}

/// A network namespace of the test's own, deleted on drop.
pub struct Netns {
    pub name: String,
}

impl Netns {
    /// Needs root and `ip` (iproute2): a test using it is ignored by plain `cargo test`.
    pub fn create(tag: &str) -> Netns {
        require("root (network namespaces)", is_root());
        require("the ip command (Debian package iproute2)", have("ip", &["-V"]));
        let name = format!("edd-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).stderr(Stdio::null()).status();
        let added = Command::new("ip").args(["netns", "add", &name]).output().unwrap();
        assert!(added.status.success(), "ip netns add {name}: {}", String::from_utf8_lossy(&added.stderr));
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"]);
        ns
    }

    /// `ip -n NAME args...`, which must succeed.
    pub fn ip(&self, args: &[&str]) {
        let out = Command::new("ip").arg("-n").arg(&self.name).args(args).output().unwrap();
        assert!(out.status.success(), "ip {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    /// A command run inside the namespace.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]);
        c
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.name]).status();
    }
}

/// Move the calling thread (only) into a named network namespace.
pub fn enter_netns(name: &str) {
    let f = std::fs::File::open(Path::new("/var/run/netns").join(name)).unwrap();
    nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
}

/// The binary as a command. Under emulation (cross-built tests) `EDGEDDNS_TEST_RUNNER` names
/// the qemu that runs it, as cargo's runner does for the test binaries themselves.
pub fn edgeddns() -> Command {
    match std::env::var("EDGEDDNS_TEST_RUNNER") {
        Ok(runner) if !runner.is_empty() => {
            let mut c = Command::new(runner);
            c.arg(BIN);
            c
        }
        _ => Command::new(BIN),
    }
}

/// Run the binary to completion.
pub fn run(args: &[&str]) -> Output {
    edgeddns().args(args).stdin(Stdio::null()).output().unwrap()
}

pub fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A running daemon whose stderr is collected; killed on drop.
pub struct Daemon {
    pub child: Child,
    log: Arc<Mutex<String>>,
}

impl Daemon {
    pub fn start(mut cmd: Command) -> Daemon {
        let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child.stderr.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
            child.stdout.take().map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let log = log.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    let mut l = log.lock().unwrap();
                    l.push_str(&line);
                    l.push('\n');
                }
            });
        }
        Daemon { child, log }
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Wait until the log contains `needle`, or panic after `limit` showing the log.
    pub fn wait_log(&self, needle: &str, limit: Duration) {
        self.wait_log_times(needle, 1, limit)
    }

    /// Wait until the log contains `needle` at least `times` times.
    pub fn wait_log_times(&self, needle: &str, times: usize, limit: Duration) {
        let start = Instant::now();
        while self.log().matches(needle).count() < times {
            assert!(start.elapsed() < limit, "'{needle}' not logged within {limit:?}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn signal(&self, sig: nix::sys::signal::Signal) {
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(self.child.id() as i32), sig).unwrap();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A stand-in for OpenWrt's /sbin/hotplug-call that reads its scripts from `root/<type>/`
/// instead of /etc/hotplug.d: it exports HOTPLUG_TYPE and a fixed PATH, LOGNAME and USER, then
/// sources each regular file of the type's directory in a subshell of its own, in name order.
pub fn hotplug_call(dir: &TempDir, root: &str) -> std::path::PathBuf {
    let script = format!(
        "#!/bin/sh\nHOTPLUG_TYPE=\"$1\" PATH=/usr/sbin:/usr/bin:/sbin:/bin LOGNAME=root USER=root\n\
         export HOTPLUG_TYPE PATH LOGNAME USER\n[ -n \"$1\" ] && [ -d \"{root}/$1\" ] || exit 0\n\
         for s in \"{root}/$1\"/*; do\n\t[ -f \"$s\" ] && ( . \"$s\" )\ndone\nexit 0\n"
    );
    let path = dir.write("hotplug-call", &script);
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

/// The daemon's status document in `dir/run`, or `null` while it has not been written yet
/// (tests poll it until what they wait for shows).
pub fn status_file(dir: &TempDir) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.path("run/status.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or_default()
}

/// Five `config host` sections `dev1`…`dev5` of `service`, named `dev<i>.<domain>`, at the
/// LAN's prefix + `::1:0:0:<i>`.
pub fn five_suffix_hosts(service: &str, domain: &str) -> String {
    (1..=5)
        .map(|i| {
            format!(
                "config host 'dev{i}'\n\toption service '{service}'\n\tlist hostname 'dev{i}.{domain}'\n\
                 \toption suffix '::1:0:0:{i}'\n"
            )
        })
        .collect()
}
