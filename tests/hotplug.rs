//! The iface hotplug script, run the way netifd runs it (busybox sh, netifd's environment),
//! with a recording stand-in for the `ubus` CLI.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};
use support::TempDir;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/openwrt-package/edgeddns/files/edgeddns.hotplug");

/// Run the script with `env`; return what `ubus` was called with (waiting briefly, since the
/// script calls it in the background) and how long the script itself took.
fn hotplug(env: &[(&str, &str)]) -> Option<(Vec<String>, Duration)> {
    if Command::new("busybox").arg("true").status().is_err() {
        eprintln!("skipping: busybox (OpenWrt's shell) is not installed");
        return None;
    }
    let dir = TempDir::new("hotplug");
    let log = dir.path("ubus.log");
    // The call is written aside and renamed into place, so the log never shows half of it.
    let l = log.display();
    dir.write(
        "ubus",
        &format!("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{l}.part'\nmv '{l}.part' '{l}'\n"),
    );
    Command::new("chmod").arg("+x").arg(dir.path("ubus")).status().unwrap();
    let mut cmd = Command::new("busybox");
    cmd.arg("sh").arg(SCRIPT).env_clear().env("PATH", format!("{}:/usr/bin:/bin", dir.0.display())).current_dir(&dir.0);
    cmd.env("HOTPLUG_TYPE", "iface").env("USER", "root");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let start = Instant::now();
    let status = cmd.status().unwrap();
    let took = start.elapsed();
    assert!(status.success(), "hotplug script failed for {env:?}");
    let deadline = Instant::now() + Duration::from_millis(500);
    while !log.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let calls = std::fs::read_to_string(&log).unwrap_or_default().lines().map(String::from).collect();
    let leftovers: Vec<_> = std::fs::read_dir(&dir.0).unwrap().flatten().map(|e| e.file_name()).collect();
    assert!(leftovers.len() <= 2, "the script must not create files: {leftovers:?}");
    Some((calls, took))
}

fn signal_usr1() -> String {
    let out = Command::new("busybox").args(["sh", "-c", "kill -l USR1"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn address_changes_nudge_the_daemon() {
    let Some((calls, took)) =
        hotplug(&[("ACTION", "ifupdate"), ("INTERFACE", "wan"), ("DEVICE", "pppoe-wan"), ("IFUPDATE_ADDRESSES", "1")])
    else {
        return;
    };
    let sig = signal_usr1();
    assert_eq!(
        calls,
        vec!["-t", "2", "call", "service", "signal", &format!("{{\"name\":\"edgeddns\",\"signal\":{sig}}}")]
    );
    assert!(took < Duration::from_secs(1), "the script must return at once: {took:?}");
    for action in ["ifup", "ifdown"] {
        let (calls, _) = hotplug(&[("ACTION", action), ("INTERFACE", "wan6")]).unwrap();
        assert_eq!(calls.len(), 6, "{action}: {calls:?}");
    }
    let (calls, _) = hotplug(&[("ACTION", "ifupdate"), ("INTERFACE", "wan6"), ("IFUPDATE_PREFIXES", "1")]).unwrap();
    assert_eq!(calls.len(), 6, "a new delegated prefix matters");
}

#[test]
fn irrelevant_events_do_nothing() {
    let cases: [&[(&str, &str)]; 4] = [
        &[("ACTION", "ifupdate"), ("INTERFACE", "wan"), ("IFUPDATE_ROUTES", "1"), ("IFUPDATE_DATA", "1")],
        &[("ACTION", "ifup-failed"), ("INTERFACE", "wan")],
        &[("ACTION", "iflink"), ("INTERFACE", "wan")],
        &[("INTERFACE", "wan")],
    ];
    for env in cases {
        let Some((calls, _)) = hotplug(env) else {
            return;
        };
        assert!(calls.is_empty(), "{env:?} → {calls:?}");
    }
}

#[test]
fn hostile_interface_names_are_inert() {
    let marker = std::env::temp_dir().join(format!("edgeddns-pwned-{}", std::process::id()));
    let m = marker.display().to_string();
    let names = [
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("wan; touch {m}"),
        format!("wan\ntouch {m}"),
        "wan\" \"name\":\"x".to_string(),
        "-rf *".to_string(),
    ];
    for name in &names {
        let Some((calls, _)) =
            hotplug(&[("ACTION", "ifupdate"), ("INTERFACE", name), ("DEVICE", name), ("IFUPDATE_ADDRESSES", "1")])
        else {
            return;
        };
        assert_eq!(calls.len(), 6, "{name:?}: {calls:?}");
        assert!(calls[5].starts_with("{\"name\":\"edgeddns\""), "the name must not reach the JSON: {calls:?}");
        assert!(!Path::new(&marker).exists(), "{name:?} ran a command");
    }
}
