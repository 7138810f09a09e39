//! LAN host records (`config host`): devices behind the router published at their address in
//! the LAN's delegated prefix. The daemon runs as a real process: on the test ubusd with the
//! netifd double reporting the LAN's `ipv6-prefix-assignment`, and (as root) in network
//! namespaces where a device namespace sits behind a LAN veth and the kernel alone is asked.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use support::netifd::FakeNetifd;
use support::ubusd::Ubusd;
use support::*;

const PASSWORD: &str = "lan-hosts-pw-31";

/// A dyndns2 provider double that answers `good <ip>` for each hostname.
fn dyndns2(r: &Recorded) -> Reply {
    Reply::ok(format!("good {}\n", r.query("myip").unwrap_or_default()))
}

fn config(dir: &TempDir, echo: &str, provider: &str, service: &str, hosts: &str) -> String {
    let text = format!(
        "config edgeddns 'global'\n\tlist echo_url '{echo}'\n\tlist echo_url6 '{echo}'\n\toption ca_bundle '{d}/ca.pem'\n\
         \toption run_dir '{d}/run'\n\toption persist_file ''\n\
         config service 'home'\n\toption provider 'dyndns2'\n\toption server '{provider}'\n\
         \tlist hostname 'router.example.org'\n\toption username 'alice'\n\toption password '{PASSWORD}'\n{service}{hosts}",
        d = dir.0.display()
    );
    dir.write("edgeddns", &text).display().to_string()
}

/// The last address of each family each hostname was sent (hostname, IPv6?) → address.
fn sent(reqs: &[Recorded]) -> BTreeMap<(String, bool), String> {
    reqs.iter()
        .map(|r| {
            let ip = r.query("myip").unwrap_or_default();
            ((r.query("hostname").unwrap_or_default(), ip.contains(':')), ip)
        })
        .collect()
}

/// Wait until the provider has been sent `want` (hostname → address) for every hostname in it.
fn wait_sent(provider: &HttpsServer, want: &[(String, String)], d: &Daemon) -> Instant {
    let start = Instant::now();
    loop {
        let reqs = provider.requests();
        let now = sent(&reqs);
        if want.iter().all(|(h, a)| now.get(&(h.clone(), a.contains(':'))) == Some(a)) {
            return want
                .iter()
                .filter_map(|(h, a)| {
                    reqs.iter()
                        .rfind(|r| r.query("hostname").as_deref() == Some(h) && r.query("myip").as_deref() == Some(a))
                })
                .map(|r| r.at)
                .max()
                .unwrap();
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never sent {want:?}; sent {now:?}\n{}", d.log());
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn status(dir: &TempDir) -> serde_json::Value {
    status_file(dir)
}

/// The status entry of one record, once `check` holds for it.
fn wait_record(
    dir: &TempDir,
    service: &str,
    family: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let st = status(dir);
        let rec = st["services"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == service))
            .and_then(|s| s["records"].as_array()?.iter().find(|r| r["family"] == family).cloned());
        if let Some(rec) = rec.filter(|r| check(r)) {
            return rec;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "{service} {family} never matched: {st:#}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_prefix_change_reported_by_netifd_moves_every_lan_host() {
    let dir = TempDir::new("lanpd");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let ubusd = Ubusd::start(&dir.path("ubus.sock"));
    let echo = HttpsServer::start(&ca, None, |_| Reply::ok("203.0.113.10"));
    let provider = HttpsServer::start(&ca, None, dyndns2);
    let hosts = five_suffix_hosts("home", "example.org");
    let cfg = config(&dir, &echo.url("/"), &provider.url("/nic/update"), "", &hosts);
    let netifd =
        FakeNetifd::start(&ubusd.path, &[("wan", Some("203.0.113.10"), None), ("lan", Some("192.168.1.1"), None)]);
    netifd.set_prefix("lan", Some("2001:db8:0:10::/64"));
    let mut cmd = edgeddns();
    cmd.args(["-c", &cfg, "--ubus-socket", ubusd.path.to_str().unwrap(), "run", "-f"]);
    let d = Daemon::start(cmd);
    let want = |p: u32| -> Vec<(String, String)> {
        (1..=5).map(|i| (format!("dev{i}.example.org"), format!("2001:db8:0:{p:x}:1::{i}"))).collect()
    };
    wait_sent(&provider, &want(0x10), &d);
    wait_sent(&provider, &[("router.example.org".into(), "203.0.113.10".into())], &d);

    // Ten delegations in a row: each moves all five hosts, one request per host.
    let mut reaction = Vec::new();
    for n in 0..10u32 {
        let before = provider.requests().len();
        let p = 0x11 + n;
        let t = netifd.set_prefix("lan", Some(&format!("2001:db8:0:{p:x}::/64")));
        let done = wait_sent(&provider, &want(p), &d);
        reaction.push(done.duration_since(t));
        std::thread::sleep(Duration::from_millis(300));
        let new: Vec<String> =
            provider.requests()[before..].iter().map(|r| r.query("hostname").unwrap_or_default()).collect();
        assert_eq!(new.len(), 5, "exactly one request per LAN host, the router's own record untouched: {new:?}");
    }
    reaction.sort();
    let (median, worst) = (reaction[reaction.len() / 2], reaction[reaction.len() - 1]);
    eprintln!("netifd prefix change → all 5 LAN hosts at the provider, 10 changes: median {median:?}, worst {worst:?}");

    // The delegation goes: nothing is sent, and the status says the hosts wait for the LAN.
    let before = provider.requests().len();
    netifd.set_prefix("lan", None);
    let rec = wait_record(&dir, "dev3", "ipv6", |r| r["next"]["for"] == "lan");
    assert_eq!(rec["registered"], "2001:db8:0:1a:1::3");
    assert!(rec["next_action"].as_str().unwrap().contains("lan has no global IPv6 prefix"), "{rec}");
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(provider.requests().len(), before, "{}", d.log());
    assert!(!d.log().contains(PASSWORD));
    netifd.stop();
}

#[test]
fn neighbour_mode_takes_the_dhcpv6_lease_of_the_mac_from_odhcpd() {
    let dir = TempDir::new("lanlease");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let ubusd = Ubusd::start(&dir.path("ubus.sock"));
    let echo = HttpsServer::start(&ca, None, |_| Reply::ok("203.0.113.10"));
    let provider = HttpsServer::start(&ca, None, dyndns2);
    let host = "config host 'nas'\n\toption service 'home'\n\tlist hostname 'nas.example.org'\n\
                \toption mac '52:54:00:12:34:56'\n\toption ipv6 'neighbour'\n";
    let cfg = config(&dir, &echo.url("/"), &provider.url("/nic/update"), "", host);
    let netifd =
        FakeNetifd::start(&ubusd.path, &[("wan", Some("203.0.113.10"), None), ("lan", Some("192.168.1.1"), None)]);
    netifd.set_prefix("lan", Some("2001:db8:0:10::/64"));
    let odhcpd = support::odhcpd::FakeOdhcpd::start(&ubusd.path, "br-lan");
    // A DUID-UUID names no MAC; the DUID-LLT of another MAC is another device.
    odhcpd.set(vec![
        support::odhcpd::lease("000400112233445566778899aabbccddeeff", "phone", "2001:db8:0:10::77"),
        support::odhcpd::lease("000100012d3f5e7a525400aaaaaa", "tv", "2001:db8:0:10::78"),
    ]);
    let mut cmd = edgeddns();
    cmd.args(["-c", &cfg, "--ubus-socket", ubusd.path.to_str().unwrap(), "run", "-f"]);
    let d = Daemon::start(cmd);
    let rec = wait_record(&dir, "nas", "ipv6", |r| r["next"]["for"] == "device");
    assert_eq!(rec["registered"], serde_json::Value::Null);
    // The NAS gets its lease (DUID-LLT ending in its MAC): published without a neighbour entry.
    odhcpd.set(vec![support::odhcpd::lease("000100012d3f5e7a525400123456", "nas", "2001:db8:0:10::1234")]);
    netifd.set("lan", Some("192.168.1.1"), None);
    wait_sent(&provider, &[("nas.example.org".into(), "2001:db8:0:10::1234".into())], &d);
    assert!(!d.log().contains(PASSWORD));
    netifd.stop();
}

/// Router namespace `r` with the LAN veth `lan0`; the device namespace `d` holds its peer.
struct Lan {
    r: Netns,
    d: Netns,
}

const DEV_MAC: &str = "52:54:00:12:34:56";

impl Lan {
    fn new(tag: &str) -> Lan {
        let r = Netns::create(&format!("{tag}r"));
        let d = Netns::create(&format!("{tag}d"));
        r.ip(&["link", "add", "lan0", "type", "veth", "peer", "name", "dev0", "netns", &d.name]);
        d.ip(&["link", "set", "dev0", "address", DEV_MAC]);
        for (ns, dev) in [(&r, "lan0"), (&d, "dev0")] {
            ns.ip(&["link", "set", dev, "up"]);
        }
        r.ip(&["addr", "add", "192.168.1.1/24", "dev", "lan0"]);
        r.ip(&["addr", "add", "2001:db8:0:10::1/64", "dev", "lan0", "nodad"]);
        d.ip(&["addr", "add", "192.168.1.50/24", "dev", "dev0"]);
        Lan { r, d }
    }

    /// A datagram from one side to `to` (port 9, discard): resolving the peer's link-layer
    /// address is what fills (or, for a peer that is gone, fails) the neighbour table.
    fn send(&self, from_device: bool, to: &str) {
        let ns = if from_device { self.d.name.clone() } else { self.r.name.clone() };
        let to: std::net::IpAddr = to.parse().unwrap();
        std::thread::spawn(move || {
            enter_netns(&ns);
            let any: std::net::SocketAddr = if to.is_ipv6() { "[::]:0" } else { "0.0.0.0:0" }.parse().unwrap();
            let sock = std::net::UdpSocket::bind(any).unwrap();
            let _ = sock.send_to(b"hello", (to, 9));
        })
        .join()
        .unwrap();
    }
}

#[test]
#[ignore = "needs root and iproute2 (network namespaces); run scripts/test.sh"]
fn without_ubus_the_kernel_gives_the_prefix_and_the_neighbour_table_the_device() {
    let lan = Lan::new("lank");
    // The device keeps a fixed (non-EUI-64) address: the neighbour mode must find it by MAC.
    lan.d.ip(&["addr", "add", "2001:db8:0:10::abcd/64", "dev", "dev0", "nodad"]);
    let dir = TempDir::new("lank");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo = HttpsServer::start(&ca, Some(&lan.r), |_| Reply::ok("203.0.113.10"));
    let provider = HttpsServer::start(&ca, Some(&lan.r), dyndns2);
    let hosts = format!(
        "config host 'cam'\n\toption service 'home'\n\tlist hostname 'cam.example.org'\n\toption suffix '::1:2:3:4'\n\
         \toption lan_device 'lan0'\n\
         config host 'nas'\n\toption service 'home'\n\tlist hostname 'nas.example.org'\n\toption mac '{DEV_MAC}'\n\
         \toption ipv6 'neighbour'\n\toption ipv4 'lan'\n\toption lan_device 'lan0'\n\
         config host 'eui'\n\toption service 'home'\n\tlist hostname 'eui.example.org'\n\toption mac '{DEV_MAC}'\n\
         \toption ipv6 'eui64'\n\toption lan_device 'lan0'\n"
    );
    let cfg = config(&dir, &echo.url("/"), &provider.url("/nic/update"), "\toption device 'wan0'\n", &hosts);
    let mut cmd = lan.r.command(BIN);
    cmd.args(["-c", &cfg, "run", "-f"]);
    let d = Daemon::start(cmd);
    // Prefix + suffix and prefix + EUI-64 come from the kernel's address on lan0 alone.
    wait_sent(
        &provider,
        &[
            ("cam.example.org".into(), "2001:db8:0:10:1:2:3:4".into()),
            ("eui.example.org".into(), "2001:db8:0:10:5054:ff:fe12:3456".into()),
        ],
        &d,
    );
    // The NAS has not spoken yet: reported as absent, nothing sent for it.
    let rec = wait_record(&dir, "nas", "ipv6", |r| r["next"]["for"] == "device");
    assert!(rec["next_action"].as_str().unwrap().contains("not in the neighbour table"), "{rec}");
    assert!(!provider.requests().iter().any(|r| r.query("hostname").as_deref() == Some("nas.example.org")));

    // It talks: the neighbour event brings its addresses (IPv6 global, IPv4 LAN) within the
    // usual reaction time.
    let t = Instant::now();
    lan.send(true, "2001:db8:0:10::1");
    lan.send(true, "192.168.1.1");
    let nas =
        |v6: &str| [("nas.example.org".to_string(), "192.168.1.50".to_string()), ("nas.example.org".into(), v6.into())];
    let done = wait_sent(&provider, &nas("2001:db8:0:10::abcd"), &d);
    eprintln!("neighbour appears → provider request: {:?}", done.duration_since(t));

    // The ISP delegates a new prefix: the kernel's LAN address moves, and the hosts with it.
    let t = Instant::now();
    lan.r.ip(&["addr", "add", "2001:db8:0:20::1/64", "dev", "lan0", "nodad"]);
    lan.r.ip(&["addr", "del", "2001:db8:0:10::1/64", "dev", "lan0"]);
    let done = wait_sent(
        &provider,
        &[
            ("cam.example.org".into(), "2001:db8:0:20:1:2:3:4".into()),
            ("eui.example.org".into(), "2001:db8:0:20:5054:ff:fe12:3456".into()),
        ],
        &d,
    );
    eprintln!("kernel prefix change → LAN hosts at the provider: {:?}", done.duration_since(t));
    // The NAS's old-prefix entry is no address of the current prefix: it waits for the device.
    wait_record(&dir, "nas", "ipv6", |r| r["next"]["for"] == "device");
    lan.d.ip(&["addr", "add", "2001:db8:0:20::abcd/64", "dev", "dev0", "nodad"]);
    lan.send(true, "2001:db8:0:20::1");
    wait_sent(&provider, &nas("2001:db8:0:20::abcd"), &d);

    // The device leaves: its entries fail once the router tries to reach it; the status says
    // so and its record is left as it was.
    let before = provider.requests().len();
    lan.d.ip(&["link", "set", "dev0", "down"]);
    let start = Instant::now();
    loop {
        lan.send(false, "2001:db8:0:20::abcd");
        lan.send(false, "192.168.1.50");
        let st = status(&dir);
        let nas = st["services"].as_array().unwrap().iter().find(|s| s["name"] == "nas").cloned().unwrap_or_default();
        if nas["records"].as_array().is_some_and(|r| r.iter().all(|r| r["next"]["for"] == "device")) {
            assert_eq!(nas["records"][1]["registered"], "2001:db8:0:20::abcd", "{nas}");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "never reported gone: {nas:#}\n{}", d.log());
    }
    assert_eq!(provider.requests().len(), before, "{}", d.log());
    assert!(!d.log().contains(PASSWORD));
}
