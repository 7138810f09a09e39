//! The daemon as the package runs it: an unprivileged system user (procd's `user`/`group`),
//! state in directories only that user owns, the configuration readable through its group.
//! As that user it follows a netifd change, answers `ubus call edgeddns status`, re-reads the
//! configuration on SIGHUP, and cannot read /etc/shadow. Needs root (to drop to the user, with
//! util-linux's `setpriv`).

mod support;

use edgeddns::ubus::Connection;
use serde_json::json;
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::{chown, MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::netifd::FakeNetifd;
use support::ubusd::Ubusd;
use support::*;

/// An id no account on the test machine has, like the package's dynamically chosen one.
const UID: u32 = 64_123;
const GID: u32 = 64_123;
const PASSWORD: &str = "unprivileged-pw-31";

/// Dropping to another user needs root, and setpriv (util-linux).
fn prerequisites() -> Option<()> {
    require("root (dropping to another user)", is_root());
    require("setpriv (util-linux)", have("setpriv", &["--version"]));
    Some(())
}

/// `setpriv` as the daemon's user: its own uid and gid, no supplementary groups, no way back.
fn as_user(program: &OsStr, args: &[OsString]) -> Command {
    let mut c = Command::new("setpriv");
    c.args([&format!("--reuid={UID}"), &format!("--regid={GID}"), "--clear-groups", "--no-new-privs", "--"]);
    c.arg(program).args(args);
    c
}

fn set_mode(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn proc_status(pid: u32, field: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .unwrap_or_default()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
#[ignore = "needs root and setpriv; run scripts/test.sh"]
fn as_its_own_user_the_daemon_follows_netifd_answers_status_and_cannot_read_shadow() {
    if prerequisites().is_none() {
        return;
    }
    let dir = TempDir::new("unpriv");
    // Root owns the scratch tree; the user may only pass through it, as through /etc and /var.
    set_mode(&dir.0, 0o755);
    let ca = TestCa::new();
    set_mode(&ca.write_bundle(&dir), 0o644);
    let run = dir.path("run");
    let persist = dir.path("persist");
    for d in [&run, &persist] {
        std::fs::create_dir(d).unwrap();
        chown(d, Some(UID), Some(GID)).unwrap();
        set_mode(d, 0o700);
    }
    let ubusd = Ubusd::start(&dir.path("ubus.sock"));
    // ubusd's socket is open to every local user; its ACLs decide what each may do.
    set_mode(&ubusd.path, 0o666);
    let echo_ip = Arc::new(Mutex::new("203.0.113.50".to_string()));
    let ip = echo_ip.clone();
    let _echo = HttpsServer::start(&ca, None, move |_| Reply::ok(ip.lock().unwrap().clone()));
    let provider =
        HttpsServer::start(&ca, None, |r| Reply::ok(format!("good {}\n", r.query("myip").unwrap_or_default())));
    let config = |hosts: &str| {
        format!(
            "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\toption run_dir '{}'\n\
             \toption persist_file '{}/state.json'\n\
             config service 'home'\n\toption provider 'dyndns2'\n\toption server '{}'\n{hosts}\
             \toption username 'alice'\n\toption password '{PASSWORD}'\n\toption interface 'wan'\n",
            _echo.url("/"),
            run.display(),
            persist.display(),
            provider.url("/nic/update"),
            d = dir.0.display()
        )
    };
    // The init script's arrangement: root owns the config, the daemon's group may read it.
    let cfg = dir.write("edgeddns", &config("\tlist hostname 'home.example.org'\n"));
    chown(&cfg, Some(0), Some(GID)).unwrap();
    set_mode(&cfg, 0o640);

    let netifd = FakeNetifd::start(&ubusd.path, &[("wan", Some("203.0.113.50"), None)]);
    // The binary (or its qemu runner) with these arguments, as the daemon's user.
    let base = edgeddns();
    let with = |extra: &[&OsStr]| -> Vec<OsString> {
        base.get_args().chain(extra.iter().copied()).map(OsStr::to_os_string).collect()
    };
    let run_args = with(&[
        "-c".as_ref(),
        cfg.as_os_str(),
        "--ubus-socket".as_ref(),
        ubusd.path.as_os_str(),
        "run".as_ref(),
        "-f".as_ref(),
    ]);
    let d = Daemon::start(as_user(base.get_program(), &run_args));

    // The first update, then one for netifd's news.
    let reqs = provider.wait_for(1, Duration::from_secs(10));
    assert_eq!(reqs[0].query("myip").as_deref(), Some("203.0.113.50"), "{}", d.log());
    d.wait_log("following netifd", Duration::from_secs(5));
    let pid = d.child.id();
    assert_eq!(proc_status(pid, "Uid:"), format!("{UID} {UID} {UID} {UID}"), "{}", d.log());
    assert_eq!(proc_status(pid, "Gid:"), format!("{GID} {GID} {GID} {GID}"));
    assert_eq!(proc_status(pid, "CapEff:"), "0000000000000000");
    *echo_ip.lock().unwrap() = "203.0.113.51".into();
    netifd.set("wan", Some("203.0.113.51"), None);
    let reqs = provider.wait_for(2, Duration::from_secs(10));
    assert_eq!(reqs[1].query("myip").as_deref(), Some("203.0.113.51"), "{}", d.log());

    // `ubus call edgeddns status`, answered by the unprivileged daemon.
    let mut c = Connection::connect(Some(&ubusd.path)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        let obj = c.lookup("edgeddns").unwrap();
        let st = c.invoke(obj, "status", &json!({})).unwrap();
        // The provider has the request; its answer reaches the record a moment later.
        let registered = st["services"][0]["records"][0]["registered"] == "203.0.113.51";
        if (st["wan"][0]["address"] == "203.0.113.51" && registered) || Instant::now() > deadline {
            break st;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status["wan"][0]["address"], "203.0.113.51", "{status}");
    assert_eq!(status["services"][0]["records"][0]["registered"], "203.0.113.51", "{status}");
    assert!(!status.to_string().contains(PASSWORD));

    // Its state belongs to it, in directories nobody else may enter.
    for f in [run.join("state.json"), run.join("status.json"), persist.join("state.json")] {
        let m = std::fs::metadata(&f).unwrap_or_else(|e| panic!("{}: {e}\n{}", f.display(), d.log()));
        assert_eq!((m.uid(), m.gid()), (UID, GID), "{}", f.display());
        eprintln!("{}: mode {:o}", f.display(), m.mode() & 0o7777);
    }

    // Reload (what procd sends after `uci commit`): the group-readable config is read again.
    std::fs::write(&cfg, config("\tlist hostname 'home.example.org'\n\tlist hostname 'nas.example.org'\n")).unwrap();
    d.signal(nix::sys::signal::Signal::SIGHUP);
    d.wait_log("configuration reloaded: 1 service(s)", Duration::from_secs(5));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !provider.requests().iter().any(|r| r.query("hostname").unwrap_or_default().contains("nas.example.org")) {
        assert!(Instant::now() < deadline, "no update for the added hostname after reload:\n{}", d.log());
        std::thread::sleep(Duration::from_millis(20));
    }

    // And what that user cannot do: read the shadow file, by any route.
    let cat = as_user("cat".as_ref(), &["/etc/shadow".into()]).output().unwrap();
    assert!(!cat.status.success() && String::from_utf8_lossy(&cat.stderr).contains("Permission denied"), "{cat:?}");
    let check = with(&["-c".as_ref(), "/etc/shadow".as_ref(), "check-config".as_ref()]);
    let out = as_user(base.get_program(), &check).output().unwrap();
    assert!(!out.status.success(), "edgeddns read /etc/shadow as an unprivileged user: {}", text(&out));
    assert!(text(&out).to_lowercase().contains("permission denied"), "{}", text(&out));
    netifd.stop();
    assert!(!d.log().contains(PASSWORD));
}
