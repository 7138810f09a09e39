//! A router that boots without a clock: the daemon runs under libfaketime (LD_PRELOAD), whose
//! clock the test sets back and then steps while the daemon runs, as NTP does after boot. The
//! provider's certificate is real and verified throughout; only the time changes.

mod support;

use std::path::Path;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use support::*;

const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
/// 2030-01-01: the provider's certificate is valid from then on.
const CERT_FROM: u64 = 1_893_456_000;

fn record(dir: &TempDir) -> serde_json::Value {
    status_file(dir)["services"][0]["records"][0].clone()
}

fn wait_record(dir: &TempDir, d: &Daemon, what: &str, ok: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let r = record(dir);
        if ok(&r) {
            return r;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no {what} within 10 s: {r}\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
#[ignore = "needs root, ip and libfaketime; run scripts/test.sh"]
fn updates_wait_for_the_clock_and_go_out_once_it_is_set() {
    require("libfaketime (Debian package libfaketime)", Path::new(FAKETIME).exists());
    let ns = Netns::create("clock");
    ns.ip(&["link", "add", "wan0", "type", "veth", "peer", "name", "isp0"]);
    ns.ip(&["link", "set", "isp0", "up"]);
    ns.ip(&["link", "set", "wan0", "up"]);
    ns.ip(&["addr", "add", "203.0.113.1/24", "dev", "wan0"]);
    let dir = TempDir::new("clock");
    let ca = TestCa::valid_from(Some((2030, 1, 1)));
    ca.write_bundle(&dir);
    let provider =
        HttpsServer::start(&ca, Some(&ns), |r| Reply::ok(format!("good {}\n", r.query("myip").unwrap_or_default())));
    let cfg = format!(
        "config edgeddns 'global'\n\toption echo_interval '0'\n\toption ca_bundle '{d}/ca.pem'\n\
         \toption run_dir '{d}/run'\n\toption persist_file ''\n\
         config service 'home'\n\toption provider 'dyndns2'\n\toption server '{}'\n\
         \tlist hostname 'home.example.org'\n\toption username 'u'\n\toption password 'pw-7c1e'\n\toption device 'wan0'\n",
        provider.url("/nic/update"),
        d = dir.0.display()
    );
    let cfg = dir.write("edgeddns", &cfg);
    // Booted with the firmware's date: long before this program was built.
    let clock = dir.write("faketime", "-1000d\n");
    let mut cmd = ns.command(BIN);
    cmd.arg("-c").arg(&cfg).args(["run", "-f"]);
    cmd.env("LD_PRELOAD", FAKETIME)
        .env("FAKETIME_TIMESTAMP_FILE", &clock)
        .env("FAKETIME_NO_CACHE", "1")
        .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    let d = Daemon::start(cmd);
    let waiting = |r: &serde_json::Value| r["next"]["code"] == "waiting" && r["next"]["for"] == "clock";
    let r = wait_record(&dir, &d, "wait for the clock", waiting);
    assert_eq!(r["next_action"], "waiting for the clock (NTP): the router's time is not set yet");
    d.wait_log("before this program was built: waiting for the clock (NTP)", Duration::from_secs(2));
    assert!(provider.requests().is_empty(), "nothing is sent with a clock that cannot be true");

    // NTP sets the clock, but not far enough for the certificate (valid from 2030): TLS says
    // "not valid yet", which is a wait for the clock again, not a failure with a backoff.
    std::fs::write(&clock, "+0\n").unwrap();
    d.wait_log("the clock was set", Duration::from_secs(3));
    let r =
        wait_record(&dir, &d, "a handshake refused for the clock", |r| r["outcome"]["kind"] == "clock" && waiting(r));
    assert_eq!(r["outcome"]["code"], "retry");
    assert!(r["error"].as_str().unwrap().contains("the certificate is not valid yet"), "{r}");
    assert!(provider.requests().is_empty());

    // The clock steps to a time the certificate is valid at: the update goes out at once.
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let days = (CERT_FROM - now) / 86400 + 2;
    let t = Instant::now();
    std::fs::write(&clock, format!("+{days}d\n")).unwrap();
    let reqs = provider.wait_for(1, Duration::from_secs(5));
    let took = t.elapsed();
    assert_eq!(reqs[0].query("myip").as_deref(), Some("203.0.113.1"));
    wait_record(&dir, &d, "the update recorded", |r| r["registered"] == "203.0.113.1");
    println!("clock step to update sent: {took:?}");
    // Reported, not asserted: the 5 s limit above already tells "at once" from the backoff.
}
