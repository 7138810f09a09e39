//! The daemon in a network namespace of the test's own: a veth WAN device whose address the
//! test changes, and HTTPS echo and provider servers on the namespace's loopback. Needs root and
//! `ip`, so plain `cargo test` ignores these tests; scripts/test.sh runs them.

mod support;

use nix::sys::signal::Signal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const TOKEN: &str = "tok-3f9a7c1e";

struct Wan {
    ns: Netns,
    dir: TempDir,
    echo_ip: Arc<Mutex<String>>,
    provider: HttpsServer,
    cfg: String,
}

fn dyndns2(r: &Recorded) -> Reply {
    let ip = r.query("myip").unwrap_or_default();
    Reply::ok(format!("good {ip}\n"))
}

impl Wan {
    fn new(tag: &str, addr: &str, echo: &str, extra_global: &str) -> Wan {
        let ns = Netns::create(tag);
        // A veth pair (the kernel here has no dummy driver); wan0 plays the WAN port.
        ns.ip(&["link", "add", "wan0", "type", "veth", "peer", "name", "isp0"]);
        ns.ip(&["link", "set", "isp0", "up"]);
        ns.ip(&["link", "set", "wan0", "up"]);
        // Like a DHCP client moving to a new lease: the new address is added before the old
        // one goes, and must survive the old primary's removal.
        let promote = ns
            .command("sh")
            .args(["-c", "echo 1 > /proc/sys/net/ipv4/conf/wan0/promote_secondaries"])
            .status()
            .unwrap();
        assert!(promote.success());
        ns.ip(&["addr", "add", addr, "dev", "wan0"]);
        let dir = TempDir::new(tag);
        let ca = TestCa::new();
        ca.write_bundle(&dir);
        let echo_ip = Arc::new(Mutex::new(echo.to_string()));
        let ip = echo_ip.clone();
        let echo_srv = HttpsServer::start(&ca, Some(&ns), move |_| Reply::ok(ip.lock().unwrap().clone()));
        let provider = HttpsServer::start(&ca, Some(&ns), dyndns2);
        let cfg = format!(
            "config edgeddns 'global'\n\tlist echo_url '{echo}'\n\toption ca_bundle '{d}/ca.pem'\n\
             \toption run_dir '{d}/run'\n\toption persist_file ''\n\toption coalesce '1s'\n{extra_global}\
             config service 'home'\n\toption provider 'dyndns2'\n\toption server '{server}'\n\
             \tlist hostname 'home.example.org'\n\toption username 'alice'\n\toption password '{TOKEN}'\n\
             \toption device 'wan0'\n",
            echo = echo_srv.url("/ip"),
            server = provider.url("/nic/update"),
            d = dir.0.display()
        );
        let cfg = dir.write("edgeddns", &cfg).display().to_string();
        // The echo server lives as long as its thread; keep the handle's state through echo_ip.
        std::mem::forget(echo_srv);
        Wan { ns, dir, echo_ip, provider, cfg }
    }

    fn daemon(&self) -> Daemon {
        let mut cmd = self.ns.command(BIN);
        cmd.args(["-c", &self.cfg, "run", "-f"]);
        Daemon::start(cmd)
    }

    fn set_address(&self, old: &str, new: &str, echo: &str) {
        *self.echo_ip.lock().unwrap() = echo.to_string();
        self.ns.ip(&["addr", "add", new, "dev", "wan0"]);
        self.ns.ip(&["addr", "del", old, "dev", "wan0"]);
    }

    fn status(&self) -> serde_json::Value {
        let text = std::fs::read_to_string(self.dir.path("run/status.json")).unwrap_or_default();
        serde_json::from_str(&text).unwrap_or_default()
    }
}

#[test]
#[ignore = "needs root and iproute2 (network namespaces); run scripts/test.sh"]
fn follows_the_wan_address_via_netlink_and_reports_cgnat() {
    let wan = Wan::new("follow", "203.0.113.10/24", "203.0.113.10", "");
    let d = wan.daemon();
    let first = wan.provider.wait_for(1, Duration::from_secs(10));
    assert_eq!(first[0].query("myip").as_deref(), Some("203.0.113.10"), "{}", d.log());

    // A new address: the update must follow without waiting for the 10-minute check.
    let mut reaction = Vec::new();
    for i in 0..5u8 {
        let (old, new) = (format!("203.0.113.{}/24", 10 + i), format!("203.0.113.{}/24", 11 + i));
        let ip = format!("203.0.113.{}", 11 + i);
        let t = Instant::now();
        wan.set_address(&old, &new, &ip);
        let reqs = wan.provider.wait_for(2 + i as usize, Duration::from_secs(10));
        let last = reqs.last().unwrap();
        assert_eq!(last.query("myip").as_deref(), Some(ip.as_str()), "{}", d.log());
        reaction.push(last.at.duration_since(t));
    }
    eprintln!("reaction times (address change → provider request): {reaction:?}");

    // The ISP moves the line behind CGNAT: the status says so, and the echo address is published.
    wan.set_address("203.0.113.15/24", "100.64.20.30/10", "198.51.100.99");
    let reqs = wan.provider.wait_for(7, Duration::from_secs(10));
    assert_eq!(reqs[6].query("myip").as_deref(), Some("198.51.100.99"), "{}", d.log());
    let start = Instant::now();
    loop {
        let st = wan.status();
        if st["wan"][0]["verdict"] == "cgnat" {
            let why = st["wan"][0]["explanation"].as_str().unwrap();
            assert!(why.contains("CGNAT") && why.contains("100.64.20.30") && why.contains("198.51.100.99"), "{why}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "status never showed cgnat: {st}");
        std::thread::sleep(Duration::from_millis(20));
    }
    d.wait_log("CGNAT", Duration::from_secs(5));
    assert!(!d.log().contains(TOKEN), "secret in the log:\n{}", d.log());
}

#[test]
#[ignore = "needs root and iproute2 (network namespaces); run scripts/test.sh"]
fn a_burst_of_changes_gives_one_update_with_the_final_address() {
    let wan = Wan::new("burst", "203.0.113.10/24", "203.0.113.10", "");
    let d = wan.daemon();
    wan.provider.wait_for(1, Duration::from_secs(10));
    // Five changes within ~100 ms, well inside the 300 ms coalescing window.
    for i in 0..5u8 {
        let ip = format!("203.0.113.{}", 21 + i);
        wan.set_address(&format!("203.0.113.{}/24", if i == 0 { 10 } else { 20 + i }), &format!("{ip}/24"), &ip);
    }
    let reqs = wan.provider.wait_for(2, Duration::from_secs(10));
    std::thread::sleep(Duration::from_millis(1500));
    let reqs_after = wan.provider.requests();
    assert_eq!(reqs_after.len(), 2, "one update for the whole burst: {reqs_after:#?}\n{}", d.log());
    assert_eq!(reqs[1].query("myip").as_deref(), Some("203.0.113.25"));
}

#[test]
#[ignore = "needs root and iproute2 (network namespaces); run scripts/test.sh"]
fn sighup_reloads_and_sigusr1_rechecks() {
    let wan = Wan::new("signals", "192.168.1.2/24", "198.51.100.5", "");
    let d = wan.daemon();
    let reqs = wan.provider.wait_for(1, Duration::from_secs(10));
    assert_eq!(reqs[0].query("myip").as_deref(), Some("198.51.100.5"), "double NAT publishes the echo address");
    d.wait_log("double NAT", Duration::from_secs(5));

    // The upstream router's public address changes; nothing local does. SIGUSR1 makes the
    // daemon ask the echo again.
    *wan.echo_ip.lock().unwrap() = "198.51.100.6".into();
    d.signal(Signal::SIGUSR1);
    let reqs = wan.provider.wait_for(2, Duration::from_secs(10));
    assert_eq!(reqs[1].query("myip").as_deref(), Some("198.51.100.6"));

    // The user switches the policy to skip: after SIGHUP nothing more is published.
    let cfg = std::fs::read_to_string(&wan.cfg)
        .unwrap()
        .replace("option device 'wan0'\n", "option device 'wan0'\n\toption nat_policy 'skip'\n");
    std::fs::write(&wan.cfg, cfg).unwrap();
    d.signal(Signal::SIGHUP);
    d.wait_log("configuration reloaded", Duration::from_secs(5));
    *wan.echo_ip.lock().unwrap() = "198.51.100.7".into();
    d.signal(Signal::SIGUSR1);
    let start = Instant::now();
    loop {
        let st = wan.status();
        let action = st["services"][0]["records"][0]["next_action"].as_str().unwrap_or("").to_string();
        if action.contains("nat_policy is skip") {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "status: {st}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(wan.provider.requests().len(), 2);
}
