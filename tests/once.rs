//! The real binary's `once`, `check-config` and `--dry-run` against local HTTPS providers and
//! echo services (a test CA made here; the binary trusts it through `ca_bundle`).

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::*;

const PASSWORD: &str = "pa ss&w0rd!";

struct Rig {
    dir: TempDir,
    _ca: TestCa,
    echo_ip: Arc<Mutex<String>>,
    echo: HttpsServer,
    provider: HttpsServer,
}

impl Rig {
    fn new(tag: &str) -> Rig {
        let dir = TempDir::new(tag);
        let ca = TestCa::new();
        ca.write_bundle(&dir);
        let echo_ip = Arc::new(Mutex::new("198.51.100.7".to_string()));
        let ip = echo_ip.clone();
        let echo = HttpsServer::start(&ca, None, move |_| Reply::ok(format!("{}\n", ip.lock().unwrap())));
        // A dyndns2 server that accepts alice's password and says `good <ip>` per hostname.
        let provider = HttpsServer::start(&ca, None, dyndns2_server);
        Rig { dir, _ca: ca, echo_ip, echo, provider }
    }

    fn config(&self, services: &str) -> String {
        let cfg = format!(
            "config edgeddns 'global'\n\
             \tlist echo_url '{echo}'\n\
             \toption ca_bundle '{dir}/ca.pem'\n\
             \toption run_dir '{dir}/run'\n\
             \toption persist_file '{dir}/flash/state.json'\n\
             {services}",
            echo = self.echo.url("/ip"),
            dir = self.dir.0.display(),
        );
        self.dir.write("edgeddns", &cfg).display().to_string()
    }

    fn service(&self, name: &str, password: &str) -> String {
        format!(
            "config service '{name}'\n\
             \toption provider 'dyndns2'\n\
             \toption server '{server}'\n\
             \tlist hostname '{name}.example.org'\n\
             \tlist hostname 'nas-{name}.example.org'\n\
             \toption username 'alice'\n\
             \toption password '{password}'\n\
             \toption ip_source 'echo'\n",
            server = self.provider.url("/nic/update"),
        )
    }

    /// Everything a user or another program could read: output plus state and status files.
    fn all_visible(&self, outputs: &[&std::process::Output]) -> String {
        let mut s: String = outputs.iter().map(|o| text(o)).collect();
        for f in ["run/state.json", "run/status.json", "flash/state.json"] {
            s.push_str(&std::fs::read_to_string(self.dir.path(f)).unwrap_or_default());
        }
        s
    }
}

fn dyndns2_server(r: &Recorded) -> Reply {
    let expected = format!("Basic {}", edgeddns::encoding::base64(format!("alice:{PASSWORD}").as_bytes()));
    if r.header("authorization") != Some(expected.as_str()) {
        return Reply::ok("badauth");
    }
    let ip = r.query("myip").unwrap_or_default();
    let hosts = r.query("hostname").unwrap_or_default();
    Reply::ok(hosts.split(',').map(|_| format!("good {ip}\n")).collect::<String>())
}

#[test]
fn once_updates_on_change_only_and_never_shows_the_password() {
    let rig = Rig::new("once");
    let cfg = rig.config(&rig.service("home", PASSWORD));

    let first = run(&["-c", &cfg, "once"]);
    assert!(first.status.success(), "{}", text(&first));
    let reqs = rig.provider.requests();
    assert_eq!(reqs.len(), 1, "both hostnames go in one request: {reqs:#?}");
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path(), "/nic/update");
    assert_eq!(reqs[0].query("hostname").as_deref(), Some("home.example.org,nas-home.example.org"));
    assert_eq!(reqs[0].query("myip").as_deref(), Some("198.51.100.7"));
    assert!(text(&first).contains("home: home.example.org A: updated"), "{}", text(&first));

    // Nothing changed: nothing is sent.
    let second = run(&["-c", &cfg, "once"]);
    assert!(second.status.success(), "{}", text(&second));
    assert_eq!(rig.provider.requests().len(), 1);
    assert!(text(&second).contains("nothing to update"));

    // The line got a new address: exactly one more request, carrying it.
    *rig.echo_ip.lock().unwrap() = "198.51.100.8".into();
    let third = run(&["-c", &cfg, "once"]);
    assert!(third.status.success(), "{}", text(&third));
    let reqs = rig.provider.requests();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[1].query("myip").as_deref(), Some("198.51.100.8"));

    let status: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rig.dir.path("run/status.json")).unwrap()).unwrap();
    let rec = &status["services"][0]["records"][0];
    assert_eq!(rec["registered"], "198.51.100.8");
    assert_eq!(rec["result"], "updated");

    let visible = rig.all_visible(&[&first, &second, &third]);
    assert!(!visible.contains(PASSWORD) && !visible.contains("pa%20ss"), "password leaked:\n{visible}");
}

#[test]
fn dry_run_shows_masked_requests_and_sends_nothing() {
    let rig = Rig::new("dry");
    let cfg = rig.config(&rig.service("home", PASSWORD));
    let out = run(&["-c", &cfg, "--dry-run", "once"]);
    assert!(out.status.success(), "{}", text(&out));
    let shown = text(&out);
    // The whole request as it would go out, with its masked header right under it.
    let request = format!(
        "  GET {}?hostname=home.example.org%2Cnas-home.example.org&myip=198.51.100.7\n    Authorization: Basic ***\n",
        rig.provider.url("/nic/update")
    );
    assert!(shown.contains(&request), "expected\n{request}in\n{shown}");
    for host in ["home.example.org", "nas-home.example.org"] {
        assert!(shown.contains(&format!("home: {host} A: dry-run")), "{shown}");
    }
    assert!(!shown.contains(PASSWORD), "{shown}");
    assert!(rig.provider.requests().is_empty(), "dry run must not send");
    assert!(!rig.dir.path("run/state.json").exists(), "dry run must not write state");
}

#[test]
fn a_broken_service_is_reported_and_the_others_still_update() {
    let rig = Rig::new("broken");
    let broken = "config service 'broken'\n\toption provider 'no-such-dns'\n\tlist hostname 'x.example.org'\n\
                  config service 'badhost'\n\toption provider 'dyndns2'\n\tlist hostname 'bad host.example.org'\n";
    let cfg = rig.config(&format!("{broken}{}", rig.service("good", PASSWORD)));
    let check = run(&["-c", &cfg, "check-config"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));
    let shown = text(&check);
    assert!(shown.contains("service 'broken': unknown provider 'no-such-dns'"), "{shown}");
    assert!(shown.contains("service 'badhost': hostname 'bad host.example.org'"), "{shown}");
    assert!(shown.contains("password ***") && !shown.contains(PASSWORD), "{shown}");

    let out = run(&["-c", &cfg, "once"]);
    assert_eq!(out.status.code(), Some(1), "config errors make once fail: {}", text(&out));
    assert_eq!(rig.provider.requests().len(), 1, "the good service must still be updated");
    assert!(text(&out).contains("good: good.example.org A: updated"), "{}", text(&out));
}

#[test]
fn a_parse_error_names_file_line_and_column() {
    let dir = TempDir::new("parse");
    let cfg = dir.write("edgeddns", "config service 'a'\n\toption provider 'dyndns2\n");
    let out = run(&["-c", cfg.to_str().unwrap(), "check-config"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains(&format!("{}:2:18: unterminated single quote", cfg.display())), "{}", text(&out));
}

#[test]
fn bad_credentials_stop_the_record_until_the_config_changes() {
    let rig = Rig::new("stop");
    let cfg = rig.config(&rig.service("home", "wrong-password"));
    let out = run(&["-c", &cfg, "once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("stopped"), "{}", text(&out));
    assert_eq!(rig.provider.requests().len(), 1);

    // Still the same config: the provider is not bothered again, even across restarts.
    let again = run(&["-c", &cfg, "once"]);
    assert_eq!(rig.provider.requests().len(), 1, "{}", text(&again));
    let status = std::fs::read_to_string(rig.dir.path("run/status.json")).unwrap();
    assert!(status.contains("\"stopped\":true"), "{status}");
    std::fs::remove_dir_all(rig.dir.path("run")).unwrap();
    run(&["-c", &cfg, "once"]);
    assert_eq!(rig.provider.requests().len(), 1, "the stop survives a reboot through the flash copy");

    // The user fixes the password: the record is tried again and succeeds.
    let cfg = rig.config(&rig.service("home", PASSWORD));
    let fixed = run(&["-c", &cfg, "once"]);
    assert!(fixed.status.success(), "{}", text(&fixed));
    assert_eq!(rig.provider.requests().len(), 2);
    assert!(!rig.all_visible(&[&out, &again, &fixed]).contains("wrong-password"));
}

#[test]
fn server_errors_back_off_instead_of_hammering() {
    let rig = Rig::new("retry");
    rig.provider.set_handler(|_| Reply::status(503, "maintenance"));
    let cfg = rig.config(&rig.service("home", PASSWORD));
    let out = run(&["-c", &cfg, "once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("retry"), "{}", text(&out));
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(rig.dir.path("run/state.json")).unwrap()).unwrap();
    let rec = &state["records"]["home/home.example.org/ipv4"];
    assert_eq!(rec["failures"], 1);
    let wait = rec["retry_at"].as_u64().unwrap() - rec["last_attempt"].as_u64().unwrap();
    assert!((24..=36).contains(&wait), "first retry after retry_interval (30s) ± 20 %: {wait}");
    // Within the backoff window nothing is sent, however often we are asked.
    rig.provider.set_handler(dyndns2_server);
    for _ in 0..3 {
        run(&["-c", &cfg, "once"]);
    }
    assert_eq!(rig.provider.requests().len(), 1);
}

#[test]
fn echo_services_that_lie_are_outvoted() {
    let rig = Rig::new("vote");
    let ca = TestCa::new();
    // The rig's CA signs the rig's servers; make the two extra echoes with the same CA file by
    // pointing ca_bundle at both CAs.
    let liar = HttpsServer::start(&ca, None, |_| Reply::ok("203.0.113.66"));
    let honest = HttpsServer::start(&ca, None, |_| Reply::ok("198.51.100.7"));
    let bundle = format!("{}{}", std::fs::read_to_string(rig.dir.path("ca.pem")).unwrap(), ca.ca_pem);
    rig.dir.write("ca.pem", &bundle);
    let cfg = format!(
        "config edgeddns 'global'\n\tlist echo_url '{}'\n\tlist echo_url '{}'\n\tlist echo_url '{}'\n\
         \toption ca_bundle '{d}/ca.pem'\n\toption run_dir '{d}/run'\n\toption persist_file ''\n{}",
        liar.url("/"),
        rig.echo.url("/ip"),
        honest.url("/"),
        rig.service("home", PASSWORD),
        d = rig.dir.0.display()
    );
    let path = rig.dir.write("edgeddns", &cfg);
    let out = run(&["-c", path.to_str().unwrap(), "once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(rig.provider.wait_for(1, Duration::from_secs(5))[0].query("myip").as_deref(), Some("198.51.100.7"));
}

#[test]
fn a_provider_with_an_untrusted_certificate_is_named_and_never_sent_the_password() {
    let rig = Rig::new("untrusted");
    // A server whose CA is not in the bundle (as when something intercepts HTTPS). Both test CAs
    // share a name, so the verifier finds the impostor's "issuer" and rejects its signature.
    let stranger = HttpsServer::start(&TestCa::new(), None, dyndns2_server);
    let service = rig.service("home", PASSWORD).replace(&rig.provider.url("/nic/update"), &stranger.url("/nic/update"));
    let out = run(&["-c", &rig.config(&service), "once"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("TLS: the certificate's signature is wrong"), "{shown}");
    assert!(stranger.requests().is_empty(), "nothing may cross an unverified connection");
    assert!(!shown.contains(PASSWORD));
}

/// The file's identity: the state is written to a new file renamed into place, so an unchanged
/// identity means the flash copy was not written.
fn identity(path: &std::path::Path) -> (u64, u64) {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    (m.dev(), m.ino())
}

#[test]
fn the_flash_copy_is_written_only_when_a_registered_address_changes() {
    let rig = Rig::new("flash");
    let cfg = rig.config(&rig.service("home", PASSWORD));
    let flash = rig.dir.path("flash/state.json");
    let run_copy = rig.dir.path("run/state.json");

    let first = run(&["-c", &cfg, "once"]);
    assert!(first.status.success(), "{}", text(&first));
    let written = identity(&flash);
    let content = std::fs::read_to_string(&flash).unwrap();
    assert!(content.contains("198.51.100.7"), "{content}");

    // Nothing changed: the run copy is rewritten, the flash copy is not touched.
    let run_before = identity(&run_copy);
    let again = run(&["-c", &cfg, "once"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_ne!(identity(&run_copy), run_before, "the run copy is written on every pass");
    assert_eq!(identity(&flash), written, "nothing durable changed, yet the flash copy was written");
    assert_eq!(std::fs::read_to_string(&flash).unwrap(), content);

    // A failed attempt changes only retry bookkeeping (failures, retry_at): still no flash write.
    *rig.echo_ip.lock().unwrap() = "198.51.100.8".into();
    rig.provider.set_handler(|_| Reply::status(503, "maintenance"));
    let failed = run(&["-c", &cfg, "once"]);
    assert_eq!(failed.status.code(), Some(1), "{}", text(&failed));
    assert!(std::fs::read_to_string(&run_copy).unwrap().contains("\"failures\":1"));
    assert_eq!(identity(&flash), written, "a retry is not worth a flash write");
    assert_eq!(std::fs::read_to_string(&flash).unwrap(), content);

    // The provider confirms the new address: now the flash copy is rewritten, holding it.
    // (After a reboot, which forgets the retry wait with the run directory.)
    rig.provider.set_handler(dyndns2_server);
    std::fs::remove_dir_all(rig.dir.path("run")).unwrap();
    let moved = run(&["-c", &cfg, "once"]);
    assert!(moved.status.success(), "{}", text(&moved));
    assert_ne!(identity(&flash), written, "a new registered address must reach the flash copy");
    assert!(std::fs::read_to_string(&flash).unwrap().contains("198.51.100.8"));
}
