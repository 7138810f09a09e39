//! Footprint benchmark (not a pass/fail test): idle memory of `edgeddns run` with three services
//! after their first updates over TLS. Run with
//! `cargo test --release --test footprint -- --ignored --nocapture`.

mod support;

use std::time::Duration;
use support::*;

#[test]
#[ignore = "benchmark: prints numbers, run on demand"]
fn idle_rss_with_three_services() {
    let dir = TempDir::new("rss");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo = HttpsServer::start(&ca, None, |_| Reply::ok("203.0.113.50"));
    let provider =
        HttpsServer::start(&ca, None, |r| Reply::ok(format!("good {}", r.query("myip").unwrap_or_default())));
    let mut cfg = format!(
        "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\toption run_dir '{d}/run'\n\
         \toption persist_file ''\n",
        echo.url("/"),
        d = dir.0.display()
    );
    for name in ["one", "two", "three"] {
        cfg.push_str(&format!(
            "config service '{name}'\n\toption provider 'dyndns2'\n\toption server '{}'\n\tlist hostname '{name}.example.org'\n\
             \toption username u\n\toption password p\n\toption ip_source 'echo'\n",
            provider.url("/nic/update")
        ));
    }
    let path = dir.write("edgeddns", &cfg);
    let mut cmd = edgeddns();
    cmd.args(["-c", path.to_str().unwrap(), "run", "-f"]);
    let d = Daemon::start(cmd);
    provider.wait_for(3, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));
    let status = std::fs::read_to_string(format!("/proc/{}/status", d.child.id())).unwrap();
    let field = |k: &str| status.lines().find(|l| l.starts_with(k)).unwrap_or("").to_string();
    println!("{} | {} | {}", field("VmRSS"), field("VmHWM"), field("Threads"));
    let size = std::fs::metadata(BIN).unwrap().len();
    println!("binary {BIN}: {size} bytes");
}
