//! RFC 2136 with TSIG against a real BIND 9 `named` on loopback (Debian's bind9 package): the
//! binary updates the zone, `dig` reads the records back. Plain `cargo test` ignores it;
//! scripts/test.sh runs it.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const NAMED: &str = "/usr/sbin/named";
const SECRET: &str = "ZWRnZWRkbnMtdHNpZy10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGVm";

struct Named {
    child: std::process::Child,
    port: u16,
}

impl Drop for Named {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    // A UDP and a TCP port both free: take the UDP one and check TCP.
    loop {
        let u = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = u.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn start_named(dir: &TempDir) -> Named {
    let port = free_port();
    let d = dir.0.display();
    dir.write(
        "example.test.zone",
        "$TTL 300\n@ IN SOA ns.example.test. admin.example.test. ( 1 3600 600 86400 60 )\n@ IN NS ns.example.test.\nns IN A 127.0.0.1\n",
    );
    dir.write(
        "named.conf",
        &format!(
            "options {{ directory \"{d}\"; listen-on port {port} {{ 127.0.0.1; }}; listen-on-v6 {{ none; }};\n\
             pid-file \"{d}/named.pid\"; recursion no; dnssec-validation no; allow-query {{ any; }}; }};\n\
             key \"ddns-key\" {{ algorithm hmac-sha256; secret \"{SECRET}\"; }};\n\
             zone \"example.test\" {{ type primary; file \"{d}/example.test.zone\"; allow-update {{ key \"ddns-key\"; }}; }};\n\
             controls {{ }};\n"
        ),
    );
    let child = Command::new(NAMED)
        .args(["-g", "-c", dir.path("named.conf").to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path("named.log")).unwrap())
        .spawn()
        .unwrap();
    let named = Named { child, port };
    let start = Instant::now();
    // Answering queries is not enough: named refuses updates (SERVFAIL) until it has finished
    // starting, which it logs as "running".
    let log = || std::fs::read_to_string(dir.path("named.log")).unwrap_or_default();
    while dig(port, "example.test", "SOA").is_empty() || !log().lines().any(|l| l.ends_with(" running")) {
        assert!(start.elapsed() < Duration::from_secs(15), "named did not start: {}", log());
        std::thread::sleep(Duration::from_millis(100));
    }
    named
}

fn dig(port: u16, name: &str, rtype: &str) -> String {
    let out = Command::new("dig")
        .args(["+short", "+time=1", "+tries=1", "-p", &port.to_string(), "@127.0.0.1", name, rtype])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
#[ignore = "needs BIND's named and dig; run scripts/test.sh"]
fn updates_a_bind_zone_with_tsig_and_reports_a_wrong_key() {
    require(&format!("{NAMED} (Debian package bind9)"), Path::new(NAMED).exists());
    require("dig (Debian package dnsutils)", have("dig", &["-v"]));
    let dir = TempDir::new("named");
    let named = start_named(&dir);
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo_ip = Arc::new(Mutex::new("203.0.113.80".to_string()));
    let ip = echo_ip.clone();
    let echo = HttpsServer::start(&ca, None, move |_| Reply::ok(ip.lock().unwrap().clone()));
    let config = |secret: &str| {
        let cfg = format!(
            "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\toption run_dir '{d}/run'\n\
             \toption persist_file ''\n\
             config service 'bind'\n\toption provider 'rfc2136'\n\toption server '127.0.0.1:{port}'\n\
             \toption zone 'example.test'\n\toption key_name 'ddns-key'\n\toption token '{secret}'\n\
             \tlist hostname 'home.example.test'\n\tlist hostname 'nas.example.test'\n\toption ttl '120'\n\
             \toption ip_source 'echo'\n",
            echo.url("/"),
            port = named.port,
            d = dir.0.display()
        );
        dir.write("edgeddns", &cfg).display().to_string()
    };

    let out = run(&["-c", &config(SECRET), "once"]);
    assert!(
        out.status.success(),
        "{}\nnamed log:\n{}",
        text(&out),
        std::fs::read_to_string(dir.path("named.log")).unwrap_or_default()
    );
    assert_eq!(dig(named.port, "home.example.test", "A"), "203.0.113.80");
    assert_eq!(dig(named.port, "nas.example.test", "A"), "203.0.113.80");

    // The address changes: the RRset is replaced, not added to.
    *echo_ip.lock().unwrap() = "203.0.113.81".into();
    let out = run(&["-c", &config(SECRET), "once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(dig(named.port, "home.example.test", "A"), "203.0.113.81");

    // A wrong secret: named refuses, the record stops with a clear reason and stays as it was.
    *echo_ip.lock().unwrap() = "203.0.113.82".into();
    let wrong = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmc=";
    let out = run(&["-c", &config(wrong), "once"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("BADSIG") || text(&out).contains("NOTAUTH"), "{}", text(&out));
    assert!(!text(&out).contains(wrong) && !text(&out).contains(SECRET));
    assert_eq!(dig(named.port, "home.example.test", "A"), "203.0.113.81");

    // nas.example.test becomes a LAN host (`on_absent 'delete'`) published before, whose device
    // (a MAC nothing here has) is in no neighbour table: a signed UPDATE deletes its A RRset.
    let path = config(SECRET);
    let host = "config host 'nasdev'\n\toption service 'bind'\n\tlist hostname 'nas.example.test'\n\
                \toption mac '02:00:5e:10:ed:02'\n\toption ipv4 'lan'\n\toption lan_device 'lo'\n\
                \toption on_absent 'delete'\n\toption absent_grace '0'\n";
    let cfg = std::fs::read_to_string(&path).unwrap().replace("\tlist hostname 'nas.example.test'\n", "");
    std::fs::write(&path, format!("{cfg}{host}")).unwrap();
    let state_file = dir.path("run/state.json");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    state["records"]["nasdev/nas.example.test/ipv4"] = serde_json::json!({"registered": "203.0.113.80"});
    std::fs::write(&state_file, state.to_string()).unwrap();
    let out = run(&["-c", &path, "once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(dig(named.port, "nas.example.test", "A"), "", "{}", text(&out));
    assert_eq!(dig(named.port, "home.example.test", "A"), "203.0.113.82");
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&state_file).unwrap()).unwrap();
    assert_eq!(state["records"]["nasdev/nas.example.test/ipv4"]["result"], "withdrawn", "{state:#}");
}

fn serial(port: u16) -> u64 {
    dig(port, "example.test", "SOA").split_whitespace().nth(2).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// Five LAN hosts behind the delegated prefix netifd reports: each new prefix moves all five
/// in one signed UPDATE (the zone's serial grows by exactly one), and `dig` sees every one.
#[test]
#[ignore = "needs BIND's named and dig; run scripts/test.sh"]
fn a_new_prefix_moves_five_lan_hosts_in_one_update() {
    require(&format!("{NAMED} (Debian package bind9)"), Path::new(NAMED).exists());
    require("dig (Debian package dnsutils)", have("dig", &["-v"]));
    let dir = TempDir::new("namedpd");
    let named = start_named(&dir);
    let ubusd = support::ubusd::Ubusd::start(&dir.path("ubus.sock"));
    let netifd = support::netifd::FakeNetifd::start(
        &ubusd.path,
        &[("wan", Some("203.0.113.10"), None), ("lan", Some("192.168.1.1"), None)],
    );
    netifd.set_prefix("lan", Some("2001:db8:0:10::/64"));
    let hosts = five_suffix_hosts("bind", "example.test");
    let cfg = format!(
        "config edgeddns 'global'\n\toption echo_interval '0'\n\toption run_dir '{d}/run'\n\toption persist_file ''\n\
         config service 'bind'\n\toption provider 'rfc2136'\n\toption server '127.0.0.1:{port}'\n\
         \toption zone 'example.test'\n\toption key_name 'ddns-key'\n\toption token '{SECRET}'\n\
         \tlist hostname 'home.example.test'\n\toption ttl '60'\n{hosts}",
        port = named.port,
        d = dir.0.display()
    );
    let cfg = dir.write("edgeddns", &cfg);
    let mut cmd = edgeddns();
    cmd.args(["-c", cfg.to_str().unwrap(), "--ubus-socket", ubusd.path.to_str().unwrap(), "run", "-f"]);
    let d = Daemon::start(cmd);
    let at = |p: u32| -> Vec<String> { (1..=5).map(|i| format!("2001:db8:0:{p:x}:1::{i}")).collect() };
    let published = |p: u32| (1..=5).all(|i| dig(named.port, &format!("dev{i}.example.test"), "AAAA") == at(p)[i - 1]);
    let wait = |what: &dyn Fn() -> bool| {
        let start = Instant::now();
        while !what() {
            let log = std::fs::read_to_string(dir.path("named.log")).unwrap_or_default();
            assert!(start.elapsed() < Duration::from_secs(10), "{}\nnamed:\n{log}", d.log());
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    wait(&|| published(0x10) && dig(named.port, "home.example.test", "A") == "203.0.113.10");

    let mut reaction = Vec::new();
    for n in 0..5u32 {
        let p = 0x11 + n;
        // Every record has settled: no other update is on its way.
        std::thread::sleep(Duration::from_millis(300));
        let before = serial(named.port);
        let t = netifd.set_prefix("lan", Some(&format!("2001:db8:0:{p:x}::/64")));
        wait(&|| serial(named.port) > before);
        reaction.push(t.elapsed());
        assert!(published(p), "one UPDATE carried all five: {}", d.log());
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(serial(named.port), before + 1, "exactly one UPDATE changed the zone\n{}", d.log());
    }
    assert_eq!(dig(named.port, "home.example.test", "A"), "203.0.113.10", "the router's record untouched");
    reaction.sort();
    eprintln!(
        "prefix change → one UPDATE moving 5 LAN hosts seen by dig: median {:?}, worst {:?}",
        reaction[2], reaction[4]
    );
    assert!(!d.log().contains(SECRET));
    netifd.stop();
}
