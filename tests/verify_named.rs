//! Authoritative verification against real BIND 9 servers in a network namespace of the test's
//! own, each on port 53 of its own address: 10.53.0.1 serves the root zone (the parent) with a
//! delegation of example.test (NS + glue) to ns1 = 10.53.0.2 (a second named, which takes
//! RFC 2136 updates) and ns2 = 10.53.0.4 (lame: listed, nothing listens), in one test also ns3 =
//! 10.53.0.5 (silent: takes queries, never answers); 10.53.0.3 is a
//! recursive named whose hints point at the test root. The zone cut and the nameservers are
//! found by real queries through that resolver. Plain `cargo test` ignores it; scripts/test.sh
//! runs it as root.

mod support;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};
use support::*;

const NAMED: &str = "/usr/sbin/named";
const SECRET: &str = "ZWRnZWRkbnMtdHNpZy10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGVm";

struct Named(Child);

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A nameserver that takes every query over UDP and every TCP connection and never answers.
fn silent(ns: &Netns, addr: &str) {
    let (name, addr) = (ns.name.clone(), addr.to_string());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        enter_netns(&name);
        let udp = std::net::UdpSocket::bind((addr.as_str(), 53)).unwrap();
        let tcp = std::net::TcpListener::bind((addr.as_str(), 53)).unwrap();
        tx.send(()).unwrap();
        std::thread::spawn(move || {
            let held: Vec<_> = tcp.incoming().collect();
            drop(held);
        });
        let mut buf = [0u8; 512];
        while udp.recv_from(&mut buf).is_ok() {}
    });
    rx.recv().unwrap();
}

struct Lab {
    ns: Netns,
    dir: TempDir,
    _named: Vec<Named>,
}

impl Lab {
    fn named(ns: &Netns, dir: &TempDir, tag: &str, addr: &str, body: &str) -> Named {
        let d = dir.path(tag);
        let d = d.display();
        let conf = dir.write(
            &format!("{tag}/named.conf"),
            &format!(
                "options {{ directory \"{d}\"; listen-on port 53 {{ {addr}; }}; listen-on-v6 {{ none; }};\n\
                 pid-file \"{d}/named.pid\"; dnssec-validation no; allow-query {{ any; }}; {body}\ncontrols {{ }};\n"
            ),
        );
        let child = ns
            .command(NAMED)
            .args(["-4", "-g", "-c", conf.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path(&format!("{tag}.log"))).unwrap())
            .spawn()
            .unwrap();
        let named = Named(child);
        let start = Instant::now();
        let log = || std::fs::read_to_string(dir.path(&format!("{tag}.log"))).unwrap_or_default();
        while !log().lines().any(|l| l.ends_with(" running")) {
            assert!(start.elapsed() < Duration::from_secs(20), "named {tag} did not start: {}", log());
            std::thread::sleep(Duration::from_millis(100));
        }
        named
    }

    fn new(tag: &str, silent_ns3: bool) -> Lab {
        require(&format!("{NAMED} (Debian package bind9)"), Path::new(NAMED).exists());
        require("dig and nsupdate (Debian package dnsutils)", have("dig", &["-v"]) && have("nsupdate", &["-V"]));
        let ns = Netns::create(tag);
        for a in ["10.53.0.1/32", "10.53.0.2/32", "10.53.0.3/32", "10.53.0.4/32", "10.53.0.5/32"] {
            ns.ip(&["addr", "add", a, "dev", "lo"]);
        }
        let ns3 = if silent_ns3 {
            silent(&ns, "10.53.0.5");
            "example.test. IN NS ns3.example.test.\nns3.example.test. IN A 10.53.0.5\n"
        } else {
            ""
        };
        let dir = TempDir::new(tag);
        for sub in ["root", "child", "resolver"] {
            std::fs::create_dir_all(dir.path(sub)).unwrap();
        }
        dir.write(
            "root/root.zone",
            &format!(
                "$TTL 300\n. IN SOA a.root. admin.root. ( 1 3600 600 86400 60 )\n. IN NS a.root.\na.root. IN A 10.53.0.1\n\
             example.test. IN NS ns1.example.test.\nexample.test. IN NS ns2.example.test.\n\
             ns1.example.test. IN A 10.53.0.2\nns2.example.test. IN A 10.53.0.4\n{ns3}"
            ),
        );
        // 40 addresses at big: 40 × 16 bytes do not fit a 512-byte UDP answer.
        let big: String = (1..=40).map(|i| format!("big 60 IN A 192.0.2.{i}\n")).collect();
        dir.write(
            "child/example.test.zone",
            &format!(
                "$TTL 300\n@ IN SOA ns1 admin ( 1 3600 600 86400 60 )\n@ IN NS ns1\n@ IN NS ns2\n\
                 ns1 IN A 10.53.0.2\nns2 IN A 10.53.0.4\n{big}{}",
                ns3.replace("example.test. IN NS", "@ IN NS")
            ),
        );
        dir.write(
            "child/private.lan.zone",
            "$TTL 300\n@ IN SOA ns admin ( 1 3600 600 86400 60 )\n@ IN NS ns\nns IN A 10.53.0.2\n",
        );
        dir.write("resolver/root.hints", ". 3600000 NS a.root.\na.root. 3600000 A 10.53.0.1\n");
        let d = |t: &str| dir.path(t).display().to_string();
        let root = Lab::named(
            &ns,
            &dir,
            "root",
            "10.53.0.1",
            &format!("recursion no; }};\nzone \".\" {{ type primary; file \"{}/root.zone\"; }};", d("root")),
        );
        let child = Lab::named(
            &ns,
            &dir,
            "child",
            "10.53.0.2",
            &format!(
                "recursion no; }};\nkey \"ddns-key\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\n\
                 zone \"example.test\" {{ type primary; file \"{c}/example.test.zone\"; allow-update {{ key \"ddns-key\"; }}; }};\n\
                 zone \"private.lan\" {{ type primary; file \"{c}/private.lan.zone\"; allow-update {{ key \"ddns-key\"; }}; }};",
                c = d("child")
            ),
        );
        let resolver = Lab::named(
            &ns,
            &dir,
            "resolver",
            "10.53.0.3",
            &format!(
                "recursion yes; allow-recursion {{ any; }}; qname-minimization off; }};\n\
                 zone \".\" {{ type hint; file \"{}/root.hints\"; }};",
                d("resolver")
            ),
        );
        Lab { ns, dir, _named: vec![root, child, resolver] }
    }

    /// A configuration of RFC 2136 services on ns1 (`name host zone` each), addresses from an
    /// HTTPS echo answering `echo`.
    fn config(&self, file: &str, echo: &str, services: &[(&str, &str, &str)]) -> String {
        let mut cfg = format!(
            "config edgeddns 'global'\n\tlist echo_url '{echo}'\n\toption ca_bundle '{d}/ca.pem'\n\
             \toption run_dir '{d}/run'\n\toption persist_file ''\n\tlist verify_resolver '10.53.0.3'\n",
            d = self.dir.0.display()
        );
        for (name, host, zone) in services {
            cfg.push_str(&format!(
                "config service '{name}'\n\toption provider 'rfc2136'\n\toption server '10.53.0.2'\n\
                 \toption zone '{zone}'\n\toption key_name 'ddns-key'\n\toption token '{SECRET}'\n\
                 \tlist hostname '{host}'\n\toption ttl '60'\n\toption ip_source 'echo'\n"
            ));
        }
        self.dir.write(file, &cfg).display().to_string()
    }

    fn edgeddns(&self, args: &[&str]) -> std::process::Output {
        self.ns.command(BIN).args(args).stdin(Stdio::null()).output().unwrap()
    }

    /// Change `host`'s A record behind edgeddns's back, as another program (or person) would.
    fn nsupdate(&self, host: &str, addr: &str) {
        let script = format!("server 10.53.0.2\nupdate delete {host} A\nupdate add {host} 60 A {addr}\nsend\n");
        let mut c = self
            .ns
            .command("nsupdate")
            .args(["-y", &format!("hmac-sha256:ddns-key:{SECRET}")])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        c.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        assert!(c.wait().unwrap().success(), "nsupdate failed");
    }

    fn dig(&self, name: &str) -> String {
        let out =
            self.ns.command("dig").args(["+short", "+time=1", "+tries=1", "@10.53.0.2", name, "A"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

#[test]
#[ignore = "needs root, BIND's named, dig and nsupdate; run scripts/test.sh"]
fn check_walks_to_the_zone_and_asks_its_nameservers() {
    let lab = Lab::new("vcheck", true);
    let ca = TestCa::new();
    ca.write_bundle(&lab.dir);
    let echo = HttpsServer::start(&ca, Some(&lab.ns), |_| Reply::ok("203.0.113.80"));
    let url = echo.url("/");
    let cfg = lab.config("edgeddns", &url, &[("bind", "home.example.test", "example.test")]);

    let out = lab.edgeddns(&["-c", &cfg, "once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(lab.dig("home.example.test"), "203.0.113.80");

    let started = Instant::now();
    let out = lab.edgeddns(&["-c", &cfg, "check"]);
    let took = started.elapsed();
    let t = text(&out);
    println!("{t}");
    assert_eq!(out.status.code(), Some(0), "{t}");
    // The silent ns3 costs one bounded exchange (3 s), not a hang.
    assert!(took < Duration::from_secs(8), "check took {took:?}");
    for want in [
        "bind: home.example.test A, registered 203.0.113.80",
        "zone cut: example.test (SOA via 10.53.0.3)",
        "nameserver ns1.example.test at 10.53.0.2",
        "nameserver ns2.example.test at 10.53.0.4",
        "ns1.example.test (10.53.0.2): 203.0.113.80 TTL 60",
        "ns2.example.test (10.53.0.4): no answer",
        "ns3.example.test (10.53.0.5): no answer: 10.53.0.5:53: no answer (UDP: no answer in time; TCP (0 of 2 bytes \
         received): no answer in time",
    ] {
        assert!(t.contains(want), "missing '{want}' in:\n{t}");
    }
    // One query per nameserver: the lame one is named once, in its answer line.
    assert_eq!(t.matches("ns2.example.test (10.53.0.4)").count(), 1, "{t}");
    let verdict = t.lines().find(|l| l.contains("verdict:")).unwrap_or_default();
    assert!(verdict
        .starts_with("  verdict: published (DNS answers 203.0.113.80 at ns1.example.test, TTL 60 (not answering: "));
    assert!(verdict.contains("ns2.example.test") && verdict.contains("ns3.example.test"), "{verdict}");

    // Changed behind the daemon's back: the authoritative answer shows it, the verdict is not
    // "published", and the exit code says so.
    lab.nsupdate("home.example.test", "198.51.100.66");
    let out = lab.edgeddns(&["-c", &cfg, "check", "bind"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("ns1.example.test (10.53.0.2): 198.51.100.66 TTL 60"), "{t}");
    assert!(t.contains("ns1.example.test answers 198.51.100.66 (TTL 60), expected 203.0.113.80"), "{t}");
    assert!(!t.contains("verdict: published"), "{t}");
}

#[test]
#[ignore = "needs root, BIND's named, dig and nsupdate; run scripts/test.sh"]
fn truncated_answers_are_read_over_tcp_and_private_zones_ask_the_own_server() {
    let lab = Lab::new("vtcp", false);
    let cfg = lab.config(
        "edgeddns",
        "https://127.0.0.1:1/",
        &[("big", "big.example.test", "example.test"), ("lan", "nas.private.lan", "private.lan")],
    );
    let out = lab.edgeddns(&["-c", &cfg, "check", "big"]);
    let t = text(&out);
    println!("{t}");
    assert_eq!(out.status.code(), Some(1), "nothing registered is not published: {t}");
    let line = t.lines().find(|l| l.contains("ns1.example.test (10.53.0.2):")).unwrap_or_default();
    // All 40 addresses: over UDP (512 bytes, no EDNS) the answer was truncated.
    for i in 1..=40 {
        assert!(line.split(' ').any(|w| w == format!("192.0.2.{i}")), "192.0.2.{i} missing: {t}");
    }
    assert!(t.contains("verdict: unverifiable (no address has been registered yet"), "{t}");

    // private.lan is delegated nowhere: the walk ends at the root, so the service's own server
    // is asked alone, and says the record does not exist yet.
    let out = lab.edgeddns(&["-c", &cfg, "check", "lan"]);
    let t = text(&out);
    println!("{t}");
    assert!(
        t.contains("private.lan is not public (the public zone is '.'): asking the service's server 10.53.0.2 alone"),
        "{t}"
    );
    assert!(t.contains("10.53.0.2 (10.53.0.2): no such record"), "{t}");
    assert_eq!(out.status.code(), Some(1), "{t}");
}

#[test]
#[ignore = "needs root, BIND's named, dig and nsupdate; run scripts/test.sh"]
fn the_daemon_verifies_after_updating_and_repairs_drift_once() {
    let lab = Lab::new("vdrift", false);
    let ca = TestCa::new();
    ca.write_bundle(&lab.dir);
    let echo = HttpsServer::start(&ca, Some(&lab.ns), |_| Reply::ok("203.0.113.80"));
    let cfg = lab.config("edgeddns", &echo.url("/"), &[("bind", "home.example.test", "example.test")]);
    // The events go to a hotplug script that writes down what each one says.
    let d = lab.dir.0.display().to_string();
    std::fs::create_dir_all(lab.dir.path("hotplug.d/edgeddns")).unwrap();
    let events = lab.dir.path("events.log");
    std::fs::write(
        lab.dir.path("hotplug.d/edgeddns/10-log"),
        format!("echo \"$ACTION $SERVICE $HOSTNAME $FAMILY $ADDRESS $RESULT\" >> {}\n", events.display()),
    )
    .unwrap();
    let call = hotplug_call(&lab.dir, &format!("{d}/hotplug.d"));
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replacen("config service", &format!("\toption hotplug '{}'\nconfig service", call.display()), 1),
    )
    .unwrap();
    let mut cmd = lab.ns.command(BIN);
    cmd.args(["-c", &cfg, "-f", "run"]);
    let daemon = Daemon::start(cmd);
    let limit = Duration::from_secs(20);
    let updated = "bind: home.example.test A = 203.0.113.80 (updated)";
    let published = "bind: home.example.test A: DNS published: DNS answers 203.0.113.80 at ns1.example.test, TTL 60 \
                     (not answering: ns2.example.test)";
    daemon.wait_log(updated, limit);
    // The check follows the update at once, on a worker.
    daemon.wait_log(published, limit);
    let status = || status_file(&lab.dir);
    let start = Instant::now();
    while status()["services"][0]["records"][0]["dns"]["verdict"] != "published" {
        assert!(start.elapsed() < limit, "no dns verdict in the status: {}", status());
        std::thread::sleep(Duration::from_millis(100));
    }
    let dns = &status()["services"][0]["records"][0]["dns"];
    // The resolver rotates the NS RRset: the answers come in its order.
    let answers = dns["answers"].as_array().cloned().unwrap_or_default();
    assert_eq!(answers.len(), 2, "one answer per nameserver: {dns}");
    let of = |name: &str| answers.iter().find(|a| a["server"] == name).cloned().unwrap_or_default();
    let (ns1, ns2) = (of("ns1.example.test"), of("ns2.example.test"));
    assert_eq!((&ns1["at"], &ns1["ttl"]), (&serde_json::json!("10.53.0.2"), &serde_json::json!(60)), "{dns}");
    assert_eq!(ns1["addresses"], serde_json::json!(["203.0.113.80"]), "{dns}");
    assert!(ns2["error"].as_str().unwrap_or("").contains("10.53.0.4:53: no answer"), "{dns}");

    // Changed behind the daemon's back; SIGUSR1 asks for a check now: drift, one corrective
    // update, published again.
    lab.nsupdate("home.example.test", "198.51.100.66");
    daemon.signal(nix::sys::signal::Signal::SIGUSR1);
    daemon.wait_log(
        "bind: home.example.test A: DNS drift: ns1.example.test answers 198.51.100.66 (TTL 60), expected 203.0.113.80 \
         (not answering: ns2.example.test); sending one corrective update",
        limit,
    );
    daemon.wait_log_times(updated, 2, limit);
    daemon.wait_log_times(published, 2, limit);
    assert_eq!(lab.dig("home.example.test"), "203.0.113.80");
    // The drift was an event of its own, between the two updates.
    let start = Instant::now();
    let drift = "drift bind home.example.test ipv4 203.0.113.80 drift";
    while !std::fs::read_to_string(&events).unwrap_or_default().contains(drift) {
        assert!(start.elapsed() < limit, "no drift event: {:?}", std::fs::read_to_string(&events));
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(&events).unwrap();
    let actions: Vec<&str> = log.lines().filter_map(|l| l.split(' ').next()).collect();
    assert_eq!(actions, ["updated", "drift"], "{log}");

    // Again: only a warning, the record is left as the other party set it.
    lab.nsupdate("home.example.test", "198.51.100.67");
    daemon.signal(nix::sys::signal::Signal::SIGUSR1);
    daemon.wait_log("DNS drifted again after a corrective update: ns1.example.test answers 198.51.100.67", limit);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(daemon.log().matches(updated).count(), 2, "{}", daemon.log());
    assert_eq!(lab.dig("home.example.test"), "198.51.100.67");
}
