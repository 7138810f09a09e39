//! The daemon in a network namespace of the test's own: a veth WAN device whose address the
//! test changes, and HTTPS echo and provider servers on the namespace's loopback. Needs root and
//! `ip`, so plain `cargo test` ignores these tests; scripts/test.sh runs them.

mod support;

use nix::sys::signal::Signal;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::*;

const TOKEN: &str = "tok-3f9a7c1e";

struct Wan {
    ns: Netns,
    dir: TempDir,
    echo_ip: Arc<Mutex<String>>,
    echo_hits: Arc<AtomicUsize>,
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
        let (ip, hits) = (echo_ip.clone(), Arc::new(AtomicUsize::new(0)));
        let echo_hits = hits.clone();
        let echo_srv = HttpsServer::start(&ca, Some(&ns), move |_| {
            hits.fetch_add(1, Ordering::SeqCst);
            Reply::ok(ip.lock().unwrap().clone())
        });
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
        Wan { ns, dir, echo_ip, echo_hits, provider, cfg }
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
        status_file(&self.dir)
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
    // Five changes 150 ms apart inside the 1 s coalescing window, as a flapping PPPoE line
    // gives them: one pass, after the burst, with the last address.
    for i in 0..5u8 {
        let ip = format!("203.0.113.{}", 21 + i);
        wan.set_address(&format!("203.0.113.{}/24", if i == 0 { 10 } else { 20 + i }), &format!("{ip}/24"), &ip);
        std::thread::sleep(Duration::from_millis(150));
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

/// A line that flaps for 20 s (a change every 100 ms, 200 in all) costs a handful of requests,
/// and the address left at the end is the one registered.
#[test]
#[ignore = "needs root and iproute2 (network namespaces); run scripts/test.sh"]
fn a_long_flap_costs_a_handful_of_requests() {
    let wan = Wan::new("flap", "203.0.113.10/24", "203.0.113.10", "");
    let d = wan.daemon();
    wan.provider.wait_for(1, Duration::from_secs(10));
    let echo_before = wan.echo_hits.load(Ordering::SeqCst);
    let mut cur = "203.0.113.10".to_string();
    for i in 0..200u32 {
        let ip = format!("203.0.{}.{}", 113 - (i % 2) * 13, 20 + i / 2);
        wan.set_address(&format!("{cur}/24"), &format!("{ip}/24"), &ip);
        cur = ip;
        std::thread::sleep(Duration::from_millis(100));
    }
    let start = Instant::now();
    loop {
        let last = wan.provider.requests().last().and_then(|r| r.query("myip"));
        if last.as_deref() == Some(cur.as_str()) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "final address never sent\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let sent = wan.provider.requests().len() - 1;
    let echoes = wan.echo_hits.load(Ordering::SeqCst) - echo_before;
    eprintln!("200 changes in 20 s: {sent} provider requests, {echoes} echo requests");
    assert_eq!(wan.provider.requests().last().unwrap().query("myip").as_deref(), Some(cur.as_str()));
    // 5 and 5 on an idle machine; a loaded one spaces the changes out into more bursts.
    assert!(sent <= 12 && echoes <= 12, "{sent} updates and {echoes} echoes for one flap\n{}", d.log());
}

/// netifd restarts and, while it sets the WAN up again, reports it down; the kernel still holds
/// the address. The status says so (kernel-read, "netifd-restarting"), never "WAN down", and
/// nothing is sent for a change that did not happen.
#[test]
#[ignore = "needs root and iproute2 (network namespaces); run scripts/test.sh"]
fn a_netifd_restart_is_not_reported_as_wan_down() {
    let ns = Netns::create("nfrestart");
    // The device netifd's double names for wan is eth1.
    ns.ip(&["link", "add", "eth1", "type", "veth", "peer", "name", "isp1"]);
    ns.ip(&["link", "set", "isp1", "up"]);
    ns.ip(&["link", "set", "eth1", "up"]);
    ns.ip(&["addr", "add", "203.0.113.10/24", "dev", "eth1"]);
    let dir = TempDir::new("nfrestart");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let ubusd = support::ubusd::Ubusd::start(&dir.path("ubus.sock"));
    let netifd = support::netifd::FakeNetifd::start(&ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let echo = HttpsServer::start(&ca, Some(&ns), |_| Reply::ok("203.0.113.10"));
    let provider = HttpsServer::start(&ca, Some(&ns), dyndns2);
    let cfg = dir.write(
        "edgeddns",
        &format!(
            "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\
             \toption run_dir '{d}/run'\n\toption persist_file ''\n\
             config service 'home'\n\toption provider 'dyndns2'\n\toption server '{}'\n\
             \tlist hostname 'home.example.org'\n\toption username 'alice'\n\toption password '{TOKEN}'\n\
             \toption interface 'wan'\n",
            echo.url("/ip"),
            provider.url("/nic/update"),
            d = dir.0.display()
        ),
    );
    let mut cmd = ns.command(BIN);
    cmd.args(["-c", cfg.to_str().unwrap(), "--ubus-socket", ubusd.path.to_str().unwrap(), "run", "-f"]);
    let d = Daemon::start(cmd);
    provider.wait_for(1, Duration::from_secs(10));
    d.wait_log("following netifd", Duration::from_secs(5));

    netifd.stop();
    let netifd = support::netifd::FakeNetifd::start(&ubusd.path, &[("wan", None, None)]);
    d.wait_log("netifd is back on ubus", Duration::from_secs(5));
    let status = || status_file(&dir);
    let start = Instant::now();
    loop {
        let st = status();
        if st["wan"][0]["note"]["code"] == "netifd-restarting" {
            assert_eq!(st["wan"][0]["address"], "203.0.113.10", "{st:#}");
            assert_ne!(st["wan"][0]["verdict"], "no-address", "{st:#}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "no netifd-restarting note: {st:#}\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    assert!(!d.log().contains("to none"), "{}", d.log());
    assert_eq!(provider.requests().len(), 1, "{}", d.log());
    netifd.stop();
}
