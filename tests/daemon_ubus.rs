//! The daemon on (test) ubus, following the fake netifd: the OpenWrt path end to end.

mod support;

use edgeddns::ubus::{Connection, Error};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::netifd::FakeNetifd;
use support::ubusd::Ubusd;
use support::*;

const PASSWORD: &str = "ubus-test-pw-77";

struct Rig {
    dir: TempDir,
    ubusd: Ubusd,
    echo_ip: Arc<Mutex<String>>,
    _echo: HttpsServer,
    provider: HttpsServer,
    cfg: String,
}

impl Rig {
    fn new(tag: &str, first: &str) -> Rig {
        let dir = TempDir::new(tag);
        let ca = TestCa::new();
        ca.write_bundle(&dir);
        let ubusd = Ubusd::start(&dir.path("ubus.sock"));
        let echo_ip = Arc::new(Mutex::new(first.to_string()));
        let ip = echo_ip.clone();
        let echo = HttpsServer::start(&ca, None, move |_| Reply::ok(ip.lock().unwrap().clone()));
        let provider =
            HttpsServer::start(&ca, None, |r| Reply::ok(format!("good {}\n", r.query("myip").unwrap_or_default())));
        let cfg = format!(
            "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\toption run_dir '{d}/run'\n\
             \toption persist_file ''\n\
             config service 'home'\n\toption provider 'dyndns2'\n\toption server '{}'\n\tlist hostname 'home.example.org'\n\
             \toption username 'alice'\n\toption password '{PASSWORD}'\n\toption interface 'wan'\n",
            echo.url("/"),
            provider.url("/nic/update"),
            d = dir.0.display()
        );
        let cfg = dir.write("edgeddns", &cfg).display().to_string();
        Rig { dir, ubusd, echo_ip, _echo: echo, provider, cfg }
    }

    fn daemon(&self) -> Daemon {
        let mut cmd = edgeddns();
        cmd.args(["-c", &self.cfg, "--ubus-socket", self.ubusd.path.to_str().unwrap(), "run", "-f"]);
        Daemon::start(cmd)
    }

    /// The line gets `ip`: the echo sees it and netifd reports it on wan.
    fn change(&self, netifd: &FakeNetifd, ip: &str) -> Instant {
        *self.echo_ip.lock().unwrap() = ip.to_string();
        netifd.set("wan", Some(ip), None)
    }

    /// From now on the provider answers each update after `delay` (one request at a time).
    fn slow_provider(&self, delay: Duration) {
        self.provider.set_handler(move |r| {
            std::thread::sleep(delay);
            Reply::ok(format!("good {}\n", r.query("myip").unwrap_or_default()))
        });
    }

    fn last_myip(&self, n: usize) -> String {
        self.provider.wait_for(n, Duration::from_secs(10))[n - 1].query("myip").unwrap_or_default()
    }

    /// The status once the first record's last attempt has been recorded: provider jobs run
    /// off the loop, so the provider may have the request before the daemon has its answer.
    fn status_with_result(&self, result: &str) -> serde_json::Value {
        let start = std::time::Instant::now();
        loop {
            let st = self.call("status", json!({})).unwrap();
            if st["services"][0]["records"][0]["result"] == result {
                return st;
            }
            assert!(start.elapsed() < Duration::from_secs(5), "status never showed {result}: {st:#}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn call(&self, method: &str, args: serde_json::Value) -> Result<serde_json::Value, Error> {
        let mut c = Connection::connect(Some(&self.ubusd.path))?;
        let deadline = Instant::now() + Duration::from_secs(5);
        let obj = loop {
            match c.lookup("edgeddns") {
                Ok(id) => break id,
                Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(e),
            }
        };
        c.invoke(obj, method, &args)
    }
}

fn median_and_worst(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], *v.last().unwrap())
}

#[test]
fn follows_netifd_and_survives_restarts_of_netifd_and_ubusd() {
    let rig = Rig::new("ubusd", "203.0.113.10");
    let netifd =
        FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None), ("lan", Some("192.168.1.1"), None)]);
    let d = rig.daemon();
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", d.log());
    d.wait_log("following netifd", Duration::from_secs(5));

    // 20 address changes reported by netifd: each is at the provider within a second.
    let mut reaction = Vec::new();
    for i in 0..20u8 {
        let ip = format!("203.0.113.{}", 11 + i);
        let t = rig.change(&netifd, &ip);
        let reqs = rig.provider.wait_for(2 + i as usize, Duration::from_secs(10));
        assert_eq!(reqs.last().unwrap().query("myip").as_deref(), Some(ip.as_str()), "{}", d.log());
        reaction.push(reqs.last().unwrap().at.duration_since(t));
    }
    let (median, worst) = median_and_worst(reaction.clone());
    eprintln!("netifd change → provider request over 20 changes: median {median:?}, worst {worst:?}");
    assert!(worst < Duration::from_secs(5), "{reaction:?}");

    // netifd restarts: the daemon subscribes again and keeps following.
    netifd.stop();
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.30"), None)]);
    d.wait_log("netifd is back on ubus", Duration::from_secs(5));
    rig.change(&netifd, "203.0.113.31");
    let n = rig.provider.requests().len();
    let reqs = rig.provider.wait_for(n.max(22), Duration::from_secs(10));
    assert_eq!(reqs.last().unwrap().query("myip").as_deref(), Some("203.0.113.31"), "{}", d.log());

    // ubusd itself dies and comes back: the daemon reconnects and registers everything again.
    netifd.stop();
    rig.ubusd.stop();
    d.wait_log("lost the connection to ubusd; reconnecting", Duration::from_secs(5));
    assert!(!d.log().contains("failed to fill whole buffer"), "{}", d.log());
    // A check while both are away reads the kernel on the device netifd gave for wan (eth1,
    // absent here), not on whatever carries the default route, and says where it looked.
    d.signal(nix::sys::signal::Signal::SIGUSR1);
    d.wait_log("wan has no IPv4 address (down or not connected): waiting for wan (ubus is not reachable; read from the kernel)", Duration::from_secs(5));
    let ubusd = Ubusd::start(&rig.ubusd.path);
    let netifd = FakeNetifd::start(&ubusd.path, &[("wan", Some("203.0.113.31"), None)]);
    d.wait_log_times("connected to ubus, following netifd", 2, Duration::from_secs(10));
    let before = rig.provider.requests().len();
    rig.change(&netifd, "203.0.113.40");
    let reqs = rig.provider.wait_for(before + 1, Duration::from_secs(10));
    assert_eq!(reqs.last().unwrap().query("myip").as_deref(), Some("203.0.113.40"), "{}", d.log());
    // While netifd and ubusd were away the kernel was read on netifd's device for wan, never on
    // a guessed one: nothing but wan's addresses ever reached the provider.
    assert!(reqs.iter().all(|r| r.query("myip").unwrap_or_default().starts_with("203.0.113.")), "{}", d.log());
    assert!(ubusd.objects().contains(&"edgeddns".to_string()));
    assert_eq!(ubusd.subscribers_of("network.interface"), 1);
    netifd.stop();
    assert!(!d.log().contains(PASSWORD));
}

#[test]
fn wan_down_waits_and_the_status_object_tells_the_truth() {
    let rig = Rig::new("status", "198.51.100.77");
    // The WAN holds a CGNAT address; the internet sees another.
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("100.64.33.44"), None)]);
    let d = rig.daemon();
    assert_eq!(rig.last_myip(1), "198.51.100.77", "{}", d.log());

    let st = rig.status_with_result("updated");
    assert_eq!(st["wan"][0]["interface"], "wan");
    assert_eq!(st["wan"][0]["address"], "100.64.33.44");
    assert_eq!(st["wan"][0]["echo"], "198.51.100.77");
    assert_eq!(st["wan"][0]["verdict"], "cgnat");
    let rec = &st["services"][0]["records"][0];
    assert_eq!(rec["registered"], "198.51.100.77");
    assert_eq!(rec["result"], "updated");
    assert!(!st.to_string().contains(PASSWORD));

    // Update now: sent although nothing changed. An unknown service is refused.
    rig.call("update", json!({"service": "home"})).unwrap();
    rig.provider.wait_for(2, Duration::from_secs(5));
    assert!(matches!(rig.call("update", json!({"service": "nope"})), Err(Error::Status(4))));
    let providers = rig.call("providers", json!({})).unwrap();
    assert!(providers["providers"].as_array().unwrap().len() >= 20);

    // WAN down: nothing is sent and the status says we wait.
    netifd.set("wan", None, None);
    let start = Instant::now();
    loop {
        let st = rig.call("status", json!({})).unwrap();
        let next = st["services"][0]["records"][0]["next_action"].as_str().unwrap_or("").to_string();
        if next.contains("waiting for wan") {
            assert_eq!(st["wan"][0]["verdict"], "no-address");
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(5), "{st}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(rig.provider.requests().len(), 2);
    netifd.stop();
    drop(rig.dir);
}

/// A provider that hangs must not hold up anything else: ubus answers at once (the page polls
/// every 5 s), a newer address is queued behind the running job and never sent twice in
/// parallel, and SIGTERM stops the daemon at once. The latencies are reported, not asserted.
#[test]
fn a_hanging_provider_holds_up_nothing() {
    let rig = Rig::new("hang", "203.0.113.10");
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let mut d = rig.daemon();
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", d.log());
    rig.status_with_result("updated");
    rig.slow_provider(Duration::from_secs(8));
    rig.change(&netifd, "203.0.113.11");
    let start = Instant::now();
    while rig.call("status", json!({})).unwrap()["services"][0]["records"][0]["next"]["code"] != "in-flight" {
        assert!(start.elapsed() < Duration::from_secs(5), "the job never started\n{}", d.log());
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut took = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        let st = rig.call("status", json!({})).unwrap();
        took.push(t.elapsed());
        assert_eq!(st["services"][0]["records"][0]["next"]["code"], "in-flight", "{st:#}");
    }
    took.sort();
    eprintln!("ubus status while the provider hangs: p50 {:?}, p99 {:?}", took[25], took[49]);
    // A second change while the job hangs: not sent in parallel.
    rig.change(&netifd, "203.0.113.12");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(rig.provider.requests().len() < 2, "a second job for the same record started\n{}", d.log());
    let t = Instant::now();
    d.signal(nix::sys::signal::Signal::SIGTERM);
    let code = loop {
        if let Some(code) = d.child.try_wait().unwrap() {
            break code;
        }
        assert!(t.elapsed() < Duration::from_secs(5), "SIGTERM ignored while a job runs\n{}", d.log());
        std::thread::sleep(Duration::from_millis(5));
    };
    eprintln!("SIGTERM → exit while a job hangs: {:?}", t.elapsed());
    assert!(code.success(), "{code:?}\n{}", d.log());
    netifd.stop();
}

/// The queued address goes out as soon as the slow job is back.
#[test]
fn an_address_that_changes_during_a_slow_update_follows_it() {
    let rig = Rig::new("queued", "203.0.113.10");
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let d = rig.daemon();
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", d.log());
    rig.status_with_result("updated");
    rig.slow_provider(Duration::from_secs(2));
    rig.change(&netifd, "203.0.113.11");
    // The slow request is under way (the double records a request when it has answered).
    std::thread::sleep(Duration::from_millis(500));
    rig.change(&netifd, "203.0.113.12");
    let reqs = rig.provider.wait_for(3, Duration::from_secs(10));
    assert_eq!(reqs[2].query("myip").as_deref(), Some("203.0.113.12"), "{}", d.log());
    assert_eq!(reqs[1].query("myip").as_deref(), Some("203.0.113.11"), "{}", d.log());
    let gap = reqs[2].at.duration_since(reqs[1].at);
    eprintln!("queued address answered {gap:?} after the slow one (each answer takes 2 s)");
    assert!(gap >= Duration::from_secs(2), "the two requests overlapped: {gap:?}");
    netifd.stop();
}

/// `{"service": 5}` is a mistake, not a request to update everything.
#[test]
fn a_wrongly_typed_ubus_argument_is_refused() {
    let rig = Rig::new("badarg", "203.0.113.10");
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let d = rig.daemon();
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", d.log());
    rig.status_with_result("updated");
    assert!(matches!(rig.call("update", json!({"service": 5})), Err(Error::Status(2))));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(rig.provider.requests().len(), 1, "a refused call sent an update");
    netifd.stop();
}

/// A SIGUSR1 or SIGHUP that arrives while the daemon starts (here: while it waits to read its
/// CA bundle, a FIFO the test fills later) is handled once it runs, and does not kill it.
#[test]
fn signals_during_start_up_do_not_kill_the_daemon() {
    let rig = Rig::new("early", "203.0.113.10");
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let bundle = std::fs::read_to_string(rig.dir.path("ca.pem")).unwrap();
    let fifo = rig.dir.path("ca.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let mut cmd = edgeddns();
    cmd.args(["-c", &rig.cfg, "--ca-bundle", fifo.to_str().unwrap()]);
    cmd.args(["--ubus-socket", rig.ubusd.path.to_str().unwrap(), "run", "-f"]);
    let mut d = Daemon::start(cmd);
    // The daemon is inside its start-up, blocked opening the CA bundle.
    std::thread::sleep(Duration::from_millis(300));
    d.signal(nix::sys::signal::Signal::SIGUSR1);
    d.signal(nix::sys::signal::Signal::SIGHUP);
    std::thread::sleep(Duration::from_millis(100));
    assert!(d.child.try_wait().unwrap().is_none(), "a signal during start-up killed the daemon\n{}", d.log());
    std::fs::write(&fifo, &bundle).unwrap();
    d.wait_log("check requested (SIGUSR1)", Duration::from_secs(5));
    d.wait_log("configuration reloaded", Duration::from_secs(5));
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", d.log());
    assert!(d.child.try_wait().unwrap().is_none());
    netifd.stop();
}

/// A hook that sends SIGUSR1 for every change of a flapping line (as ddns-scripts' hotplug
/// does) is coalesced like the changes themselves: 100 changes with a signal each in 5 s cost a
/// handful of updates (it was one per signal), and the last address is the one registered.
#[test]
fn a_signal_per_change_of_a_flapping_line_costs_a_handful_of_updates() {
    let rig = Rig::new("usr1", "203.0.113.10");
    let cfg = std::fs::read_to_string(&rig.cfg).unwrap();
    std::fs::write(&rig.cfg, cfg.replace("\toption interface 'wan'\n", "\toption ip_source 'echo'\n")).unwrap();
    let d = rig.daemon();
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", d.log());
    for i in 11..=110 {
        *rig.echo_ip.lock().unwrap() = format!("203.0.113.{i}");
        d.signal(nix::sys::signal::Signal::SIGUSR1);
        std::thread::sleep(Duration::from_millis(50));
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while rig.provider.requests().last().and_then(|r| r.query("myip")).as_deref() != Some("203.0.113.110") {
        assert!(Instant::now() < deadline, "the last address never reached the provider\n{}", d.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let sent = rig.provider.requests().len();
    eprintln!("100 changes, one SIGUSR1 each, in 5 s: {sent} provider requests in all");
    assert!(sent <= 8, "{sent} updates for one flap\n{}", d.log());
}

/// Benchmark (run on demand: `cargo test --release --test daemon_ubus bench -- --ignored
/// --nocapture`): ten services whose provider answers after 1 s (one request at a time), all due
/// at once. Reports the
/// peak thread count and RSS, and the ubus status latency while the jobs wait.
#[test]
#[ignore = "benchmark: reports numbers, asserts only that the work was done"]
fn bench_ten_slow_services() {
    let rig = Rig::new("bench", "203.0.113.10");
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    rig.slow_provider(Duration::from_secs(1));
    let mut cfg = std::fs::read_to_string(&rig.cfg).unwrap();
    let home = cfg[cfg.find("config service 'home'").unwrap()..].to_string();
    for i in 1..10 {
        cfg.push_str(
            &home.replace("'home'", &format!("'svc{i}'")).replace("home.example.org", &format!("h{i}.example.org")),
        );
    }
    std::fs::write(&rig.cfg, cfg).unwrap();
    let d = rig.daemon();
    let pid = d.child.id();
    let proc_status = |key: &str| -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        s.lines().find(|l| l.starts_with(key)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()).unwrap_or(0)
    };
    let (mut threads, mut took) = (0, Vec::new());
    let start = Instant::now();
    while rig.provider.requests().len() < 10 && start.elapsed() < Duration::from_secs(40) {
        threads = threads.max(proc_status("Threads:"));
        let t = Instant::now();
        rig.call("status", json!({})).unwrap();
        took.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(rig.provider.requests().len(), 10, "{}", d.log());
    took.sort();
    eprintln!(
        "10 services, provider answering after 1 s: all sent in {:?}; peak {threads} threads, peak RSS {} KiB; \
         ubus status p50 {:?}, p99 {:?} over {} calls",
        start.elapsed(),
        proc_status("VmHWM:"),
        took[took.len() / 2],
        took[took.len() * 99 / 100],
        took.len()
    );
    netifd.stop();
}
