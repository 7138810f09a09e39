//! The rfc2136 provider (UPDATE with TSIG) against a real Knot DNS (Debian's knot) on loopback;
//! the records are read back from the server with kdig.

mod support;
#[path = "third_party/mod.rs"]
mod third_party;

use std::process::Command;
use support::*;
use third_party::*;

const ZONE: &str = "example.test";
const TSIG_SECRET: &str = "ZWRnZWRkbnMtdHNpZy10ZXN0LWtleS0wMTIzNDU2Nzg5YWJjZGVm";
const WRONG_SECRET: &str = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmc=";
const NEEDS: &[(&str, &str)] = &[("knotd", "knot"), ("kdig", "knot-dnsutils"), ("dig", "dnsutils")];

/// A Knot serving example.test from a zone file in the test's dir; the key `ddns-key` may
/// update it (serial policy: increment, so every applied UPDATE moves the serial).
fn start_knot(dir: &TempDir) -> DnsZone {
    let port = free_port();
    let d = dir.0.display();
    std::fs::create_dir(dir.path("db")).unwrap();
    dir.write(
        "example.test.zone",
        "$ORIGIN example.test.\n$TTL 300\n@ SOA ns admin 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n",
    );
    dir.write(
        "knot.conf",
        &format!(
            "server:\n    rundir: \"{d}\"\n    listen: 127.0.0.1@{port}\n\
             control:\n    listen: \"{d}/knot.sock\"\n\
             database:\n    storage: \"{d}/db\"\n\
             log:\n  - target: stderr\n    any: info\n\
             key:\n  - id: ddns-key\n    algorithm: hmac-sha256\n    secret: {TSIG_SECRET}\n\
             acl:\n  - id: ddns\n    key: ddns-key\n    action: update\n\
             zone:\n  - domain: {ZONE}\n    storage: \"{d}\"\n    file: example.test.zone\n    acl: ddns\n\
             \x20   serial-policy: increment\n    zonefile-load: whole\n    journal-content: changes\n"
        ),
    );
    let mut cmd = Command::new("knotd");
    cmd.arg("-c").arg(dir.path("knot.conf"));
    let mut server = Server::spawn(cmd, dir.path("knot.log"));
    server.wait("knotd", || {
        Command::new("kdig")
            .args(["+short", "+time=1", "+retry=0", "-p", &port.to_string(), "@127.0.0.1", ZONE, "SOA"])
            .output()
            .is_ok_and(|o| !o.stdout.is_empty())
    });
    DnsZone { server, port, zone: ZONE, query: kdig }
}

fn config(rig: &Rig, knot: &DnsZone, key_name: &str, secret: &str) -> String {
    rig.config(
        ZONE,
        &format!(
            "\toption provider 'rfc2136'\n\toption server '127.0.0.1:{}'\n\toption zone '{ZONE}'\n\
             \toption key_name '{key_name}'\n\toption token '{secret}'\n",
            knot.port
        ),
    )
}

#[test]
#[ignore = "needs the third-party servers and SDKs; run scripts/test.sh"]
fn knot_rfc2136_with_tsig_creates_replaces_and_leaves_the_zone_alone_when_right() {
    if !prerequisites("Knot RFC 2136", NEEDS) {
        return;
    }
    let rig = Rig::new("knot");
    let knot = start_knot(&rig.dir);
    let (out, wrote) = create_replace_then_noop(&rig, &config(&rig, &knot, "ddns-key", TSIG_SECRET), &knot);
    assert!(!wrote, "a no-op run changed the zone: {}", text(&out));
}

/// Issue 14 item 20: Knot drops an UPDATE whose delete+add leaves the zone as it was without
/// moving the serial, so the serial alone cannot tell a rewrite; the binary's own report of the
/// no-op pass must not say "updated".
#[test]
#[ignore = "needs the third-party servers and SDKs; run scripts/test.sh"]
fn knot_rfc2136_reports_right_records_unchanged() {
    if !prerequisites("Knot RFC 2136", NEEDS) {
        return;
    }
    let rig = Rig::new("knot-noop");
    let knot = start_knot(&rig.dir);
    let (out, _) = create_replace_then_noop(&rig, &config(&rig, &knot, "ddns-key", TSIG_SECRET), &knot);
    assert!(!text(&out).contains(": updated"), "item 20: a no-op run reported an update: {}", text(&out));
}

/// Knot answers a wrong secret with NOTAUTH and TSIG error BADSIG, an unknown key with NOTAUTH
/// and BADKEY: each must be named as what it is.
#[test]
#[ignore = "needs the third-party servers and SDKs; run scripts/test.sh"]
fn knot_rfc2136_wrong_secret_and_unknown_key_give_distinct_errors() {
    if !prerequisites("Knot RFC 2136", NEEDS) {
        return;
    }
    let rig = Rig::new("knot-tsig");
    let knot = start_knot(&rig.dir);
    let out = rig.once(&config(&rig, &knot, "ddns-key", TSIG_SECRET), true);
    assert!(out.status.success(), "{}", text(&out));

    let secrets = [TSIG_SECRET, WRONG_SECRET];
    let wrong_secret = refused(&rig, &config(&rig, &knot, "ddns-key", WRONG_SECRET), &knot, &secrets);
    let unknown_key = refused(&rig, &config(&rig, &knot, "no-such-key", TSIG_SECRET), &knot, &secrets);
    assert!(wrong_secret.contains("BADSIG") && wrong_secret.contains("secret"), "{wrong_secret}");
    assert!(unknown_key.contains("BADKEY") && unknown_key.contains("key_name"), "{unknown_key}");
}
