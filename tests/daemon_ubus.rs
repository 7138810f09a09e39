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
    ca: TestCa,
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
        Rig { dir, ubusd, echo_ip, _echo: echo, provider, cfg, ca }
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

/// Every event of the daemon, three ways: a ubus subscriber registered for `edgeddns.*` on the
/// fake ubusd, hotplug scripts run by a hotplug-call stand-in that record their environment,
/// and an ntfy notifier on an HTTPS double. Five address changes in a row are five events each
/// way but one ntfy message (rate_limit); a webhook that hangs and fails delays no update.
#[test]
fn events_reach_ubus_hotplug_scripts_and_notifiers() {
    const NTFY_TOKEN: &str = "tk_ntfy_sekrit_42";
    let rig = Rig::new("events", "203.0.113.10");
    let ca = &rig.ca;
    let d = &rig.dir.0.display().to_string();
    let hp = rig.dir.path("hotplug.d/edgeddns");
    std::fs::create_dir_all(&hp).unwrap();
    std::fs::write(hp.join("10-record"), format!("{{ echo ---; env | sort; }} >> {d}/env.log\n")).unwrap();
    std::fs::write(hp.join("20-order"), format!("echo \"$ACTION $ADDRESS\" >> {d}/order.log\n")).unwrap();
    let call = hotplug_call(&rig.dir, &format!("{d}/hotplug.d"));
    let ntfy = HttpsServer::start(ca, None, |_| Reply::json(200, &json!({"id": "x1", "event": "message"})));
    let hook = HttpsServer::start(ca, None, |_| {
        std::thread::sleep(Duration::from_secs(3));
        Reply::status(500, "down")
    });
    let cfg = std::fs::read_to_string(&rig.cfg).unwrap().replacen(
        "config service",
        &format!("\toption hotplug '{}'\n\toption http_timeout '5s'\nconfig service", call.display()),
        1,
    );
    let cfg = format!(
        "{cfg}config notify 'phone'\n\toption type 'ntfy'\n\toption server '{}'\n\toption topic 'home-router'\n\
         \toption token '{NTFY_TOKEN}'\n\toption priority '4'\n\tlist on 'updated'\n\toption rate_limit '1h'\n\
         config notify 'hook'\n\toption type 'webhook'\n\toption url '{}'\n\tlist on 'updated'\n\tlist on 'failed'\n",
        ntfy.url("/"),
        hook.url("/hooks/abc123")
    );
    std::fs::write(&rig.cfg, cfg).unwrap();

    let mut sub = Connection::connect(Some(&rig.ubusd.path)).unwrap();
    let listener = sub.add_object(None, &[]).unwrap();
    sub.register_event(listener, "edgeddns.*").unwrap();
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let daemon = rig.daemon();
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", daemon.log());
    daemon.wait_log("is public and is what the internet sees", Duration::from_secs(5));
    let mut reaction = Vec::new();
    for i in 11..15 {
        let ip = format!("203.0.113.{i}");
        let t = rig.change(&netifd, &ip);
        let reqs = rig.provider.wait_for(i - 9, Duration::from_secs(10));
        assert_eq!(reqs.last().unwrap().query("myip").as_deref(), Some(ip.as_str()), "{}", daemon.log());
        reaction.push(reqs.last().unwrap().at.duration_since(t));
    }
    // The webhook takes 3 s per attempt and fails: updates went out as fast as ever.
    eprintln!("address change → provider while a notifier hangs: {reaction:?}");
    assert!(reaction.iter().all(|r| *r < Duration::from_secs(3)), "{reaction:?}\n{}", daemon.log());
    // The provider fails once: a `failed` event.
    rig.provider.set_handler(|_| Reply::ok("911\n"));
    rig.change(&netifd, "203.0.113.15");
    rig.provider.wait_for(6, Duration::from_secs(10));

    // ubus: one record event per change, with the typed fields, and the WAN's verdicts (a
    // public address goes out before the echo confirms it, so the two come in either order;
    // the echo may see a new address before netifd reports it, a real if short mismatch).
    let mut events = Vec::new();
    let until = Instant::now() + Duration::from_secs(10);
    while events.iter().filter(|(n, _): &&(String, serde_json::Value)| n == "edgeddns.record").count() < 6 {
        assert!(Instant::now() < until, "{events:#?}\n{}", daemon.log());
        if let Some(edgeddns::ubus::Incoming::Invoke(inv)) = sub.wait_incoming(Duration::from_millis(200)).unwrap() {
            assert_eq!(inv.object, listener);
            events.push((inv.method.clone(), inv.data.clone()));
        }
    }
    while let Some(edgeddns::ubus::Incoming::Invoke(inv)) = sub.wait_incoming(Duration::from_millis(500)).unwrap() {
        events.push((inv.method.clone(), inv.data.clone()));
    }
    let verdicts: Vec<&serde_json::Value> =
        events.iter().filter(|(n, _)| n == "edgeddns.verdict").map(|(_, d)| d).collect();
    assert!(verdicts.iter().all(|v| v["interface"] == "wan" && v["verdict"] == v["result"]), "{events:#?}");
    assert!(verdicts.iter().any(|v| v["verdict"] == "public" && v["address"] == "203.0.113.10"), "{events:#?}");
    // Each verdict differs from the one before (asking the echo again is no change).
    assert!(verdicts.windows(2).all(|w| w[0]["verdict"] != w[1]["verdict"]), "{events:#?}");
    let records: Vec<&serde_json::Value> =
        events.iter().filter(|(n, _)| n == "edgeddns.record").map(|(_, d)| d).collect();
    for (i, r) in records[..5].iter().enumerate() {
        assert_eq!(
            **r,
            json!({"action": "updated", "service": "home", "hostname": "home.example.org", "family": "ipv4",
                   "address": format!("203.0.113.{}", 10 + i), "result": "updated"})
        );
    }
    assert_eq!(records[5]["action"], "failed");
    assert_eq!(records[5]["result"], "retry");
    assert_eq!(records[5]["address"], "203.0.113.15");
    assert!(records[5]["error"].as_str().unwrap().contains("911"), "{}", records[5]);

    // hotplug: both scripts ran for every event, in order, with the event in the environment.
    let order_path = rig.dir.path("order.log");
    let until = Instant::now() + Duration::from_secs(10);
    while std::fs::read_to_string(&order_path).unwrap_or_default().lines().count() < 6 + verdicts.len() {
        assert!(Instant::now() < until, "{}", daemon.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    let order = std::fs::read_to_string(&order_path).unwrap();
    let mut want: Vec<String> = (10..15).map(|i| format!("updated 203.0.113.{i}")).collect();
    want.push("failed 203.0.113.15".into());
    let lines: Vec<&str> = order.lines().collect();
    assert_eq!(lines.iter().filter(|l| !l.starts_with("verdict")).copied().collect::<Vec<_>>(), want);
    assert_eq!(lines.len(), 6 + verdicts.len(), "{order}");
    let env = std::fs::read_to_string(rig.dir.path("env.log")).unwrap();
    let blocks: Vec<&str> = env.split("---\n").filter(|b| !b.is_empty()).collect();
    assert_eq!(blocks.len(), 6 + verdicts.len(), "{env}");
    let verdict = blocks.iter().find(|b| b.contains("ACTION=verdict") && b.contains("VERDICT=public")).unwrap();
    for line in ["INTERFACE=wan", "VERDICT=public", "FAMILY=ipv4", "ADDRESS=203.0.113.10", "HOTPLUG_TYPE=edgeddns"] {
        assert!(verdict.lines().any(|l| l == line), "{line} missing:\n{verdict}");
    }
    let failed = blocks.iter().find(|b| b.contains("ACTION=failed")).unwrap();
    for line in [
        "ACTION=failed",
        "SERVICE=home",
        "HOSTNAME=home.example.org",
        "FAMILY=ipv4",
        "ADDRESS=203.0.113.15",
        "RESULT=retry",
        "HOTPLUG_TYPE=edgeddns",
    ] {
        assert!(failed.lines().any(|l| l == line), "{line} missing:\n{env}");
    }
    assert!(!env.contains(PASSWORD) && !env.contains(NTFY_TOKEN), "{env}");

    // ntfy: five `updated` events, one message (rate_limit 1h), exactly as ntfy documents a
    // JSON publish: POST to the server's root, topic/title/message/priority, a bearer token.
    std::thread::sleep(Duration::from_secs(1));
    let sent = ntfy.requests();
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let m = &sent[0];
    assert_eq!((m.method.as_str(), m.target.as_str()), ("POST", "/"));
    assert_eq!(m.header("authorization"), Some(format!("Bearer {NTFY_TOKEN}").as_str()));
    assert_eq!(m.header("content-type"), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&m.body).unwrap();
    assert_eq!(
        body,
        json!({"topic": "home-router", "title": "edgeddns: updated", "priority": 4,
               "message": "edgeddns updated home: home.example.org A 203.0.113.10 (updated)"})
    );

    // notify_test over ubus: one more message, not rate-limited; an unknown name is refused.
    assert_eq!(rig.call("notify_test", json!({"name": "phone"})).unwrap(), json!({"queued": ["phone"]}));
    assert!(matches!(rig.call("notify_test", json!({"name": "nope"})), Err(Error::Status(4))));
    let sent = ntfy.wait_for(2, Duration::from_secs(10));
    let body: serde_json::Value = serde_json::from_str(&sent[1].body).unwrap();
    assert_eq!(body["title"], "edgeddns: test");

    // The hanging webhook was tried three times per message and given up on, without its path.
    daemon.wait_log("notify 'hook': not sent after 3 attempts: HTTP 500", Duration::from_secs(40));
    let hooked = hook.requests();
    assert_eq!(hooked[0].target, "/hooks/abc123");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&hooked[0].body).unwrap()["address"], "203.0.113.10");
    let log = daemon.log();
    assert!(!log.contains(PASSWORD) && !log.contains(NTFY_TOKEN) && !log.contains("abc123"), "{log}");
    netifd.stop();
}

/// Telegram, Gotify and healthchecks against doubles that answer as the services document
/// (Telegram's `{"ok": ...}` envelope and 404 for a wrong bot token, Gotify's 401 without a
/// valid X-Gotify-Key, healthchecks' `OK`): the start-up check pings healthchecks, `notify_test`
/// reaches all three, and a failed update pings `/fail`.
#[test]
fn telegram_gotify_and_healthchecks_get_their_documented_requests() {
    const BOT: &str = "123456:AAH-bot-token";
    const GOTIFY: &str = "AppTokenXYZ";
    let rig = Rig::new("notifiers", "203.0.113.10");
    let telegram = HttpsServer::start(&rig.ca, None, |r| {
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        if r.method != "POST" || r.path() != format!("/bot{BOT}/sendMessage") {
            Reply::json(404, &json!({"ok": false, "error_code": 404, "description": "Not Found"}))
        } else if body["chat_id"].is_null() || body["text"].as_str().unwrap_or("").is_empty() {
            Reply::json(
                400,
                &json!({"ok": false, "error_code": 400, "description": "Bad Request: message text is empty"}),
            )
        } else {
            Reply::json(
                200,
                &json!({"ok": true, "result": {"message_id": 1, "chat": {"id": body["chat_id"]}, "text": body["text"]}}),
            )
        }
    });
    let gotify = HttpsServer::start(&rig.ca, None, |r| {
        let body: serde_json::Value = serde_json::from_str(&r.body).unwrap_or_default();
        if r.header("x-gotify-key") != Some(GOTIFY) {
            Reply::json(
                401,
                &json!({"error": "Unauthorized", "errorCode": 401,
                "errorDescription": "you need to provide a valid access token or user credentials to access this api"}),
            )
        } else if r.method != "POST" || r.path() != "/message" || body["message"].as_str().is_none() {
            Reply::json(
                400,
                &json!({"error": "Bad Request", "errorCode": 400, "errorDescription": "Field 'message' is required"}),
            )
        } else {
            Reply::json(
                200,
                &json!({"id": 1, "appid": 1, "message": body["message"], "title": body["title"],
                "priority": body["priority"], "date": "2026-12-02T05:00:00Z"}),
            )
        }
    });
    let hc = HttpsServer::start(&rig.ca, None, |r| match r.path() {
        "/ping/5bf66975-d4c7" | "/ping/5bf66975-d4c7/fail" => Reply::ok("OK"),
        _ => Reply::status(404, "not found"),
    });
    let cfg = std::fs::read_to_string(&rig.cfg).unwrap();
    let cfg = format!(
        "{cfg}config notify 'tg'\n\toption type 'telegram'\n\toption server '{}'\n\toption token '{BOT}'\n\
         \toption chat_id '-1001234'\n\
         config notify 'gotify'\n\toption type 'gotify'\n\toption server '{}'\n\toption token '{GOTIFY}'\n\
         \toption priority '8'\n\
         config notify 'hc'\n\toption type 'healthchecks'\n\toption url '{}'\n\tlist on 'failed'\n",
        telegram.url(""),
        gotify.url("/"),
        hc.url("/ping/5bf66975-d4c7")
    );
    std::fs::write(&rig.cfg, cfg).unwrap();
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let d = rig.daemon();
    assert_eq!(rig.last_myip(1), "203.0.113.10", "{}", d.log());
    let first = hc.wait_for(1, Duration::from_secs(10));
    assert_eq!((first[0].method.as_str(), first[0].path()), ("POST", "/ping/5bf66975-d4c7"));

    let queued = rig.call("notify_test", json!({})).unwrap();
    assert_eq!(queued, json!({"queued": ["tg", "gotify", "hc"]}));
    // Both also had the first update (their default `on`), in either order with the test.
    let bodies = |reqs: Vec<Recorded>| -> Vec<serde_json::Value> {
        reqs.iter().map(|r| serde_json::from_str(&r.body).unwrap()).collect()
    };
    let tg = telegram.wait_for(2, Duration::from_secs(10));
    assert!(tg.iter().all(|r| r.header("content-type") == Some("application/json")));
    let mut texts: Vec<serde_json::Value> = bodies(tg)
        .into_iter()
        .map(|b| {
            assert_eq!(b["chat_id"], "-1001234");
            b["text"].clone()
        })
        .collect();
    texts.sort_by_key(|t| t.to_string());
    assert_eq!(
        texts,
        [
            json!("edgeddns test message through 'tg'"),
            json!("edgeddns updated home: home.example.org A 203.0.113.10 (updated)")
        ]
    );
    let g = bodies(gotify.wait_for(2, Duration::from_secs(10)));
    let test = g.iter().find(|b| b["title"] == "edgeddns: test").expect("the test message");
    assert_eq!(test["priority"], 8);
    assert!(g.iter().any(|b| b["title"] == "edgeddns: updated"), "{g:?}");
    hc.wait_for(2, Duration::from_secs(10));

    rig.provider.set_handler(|_| Reply::ok("911\n"));
    rig.change(&netifd, "203.0.113.11");
    let pings = hc.wait_for(3, Duration::from_secs(10));
    assert_eq!(pings[2].path(), "/ping/5bf66975-d4c7/fail", "{pings:#?}");
    let event: serde_json::Value = serde_json::from_str(&pings[2].body).unwrap();
    assert_eq!((event["action"].as_str(), event["address"].as_str()), (Some("failed"), Some("203.0.113.11")));
    std::thread::sleep(Duration::from_millis(500));
    let log = d.log();
    assert!(!log.contains("notify '"), "a notifier failed:\n{log}");
    assert!(!log.contains(BOT) && !log.contains(GOTIFY) && !log.contains(PASSWORD), "{log}");
    netifd.stop();
}

/// OpenWrt's sysntpd hook (`/etc/hotplug.d/ntp/25-edgeddns`, run by hotplug-call under
/// busybox sh): on `stratum` and `step` it runs `ubus call edgeddns detect`, on the other
/// actions (`unsync`, `periodic`) nothing. Debian has no ubus CLI: a `ubus` first in PATH
/// records its arguments, and the test makes the call it names on the fake ubusd, where the
/// daemon asks the echo again at once.
#[test]
#[ignore = "needs busybox; run scripts/test.sh"]
fn the_ntp_hook_asks_the_daemon_to_look_again() {
    require("busybox (Debian package busybox)", have("busybox", &["true"]));
    let rig = Rig::new("ntphook", "203.0.113.10");
    let netifd = FakeNetifd::start(&rig.ubusd.path, &[("wan", Some("203.0.113.10"), None)]);
    let d = rig.daemon();
    rig.provider.wait_for(1, Duration::from_secs(10));
    let bin = rig.dir.path("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = rig.dir.path("ubus.calls");
    let ubus = bin.join("ubus");
    std::fs::write(&ubus, format!("#!/bin/sh\necho \"$*\" >> {}\n", calls.display())).unwrap();
    std::fs::set_permissions(&ubus, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let hook = concat!(env!("CARGO_MANIFEST_DIR"), "/openwrt-package/edgeddns/files/edgeddns.ntp");
    for action in ["unsync", "periodic", "stratum", "step"] {
        let status = std::process::Command::new("busybox")
            .args(["sh", hook])
            .env("ACTION", action)
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
            .status()
            .unwrap();
        assert!(status.success(), "{action}");
    }
    let made = std::fs::read_to_string(&calls).unwrap_or_default();
    assert_eq!(made, "call edgeddns detect\ncall edgeddns detect\n", "stratum and step only");

    let echoes = || rig._echo.requests().len();
    let before = echoes();
    for line in made.lines() {
        let method = line.strip_prefix("call edgeddns ").unwrap();
        assert_eq!(rig.call(method, json!({})).unwrap(), json!({"queued": true}));
    }
    let start = Instant::now();
    while echoes() == before {
        assert!(start.elapsed() < Duration::from_secs(5), "detect asked no echo\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    }
    netifd.stop();
}
