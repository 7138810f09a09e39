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

struct Knot {
    server: Server,
    port: u16,
}

/// A Knot serving example.test from a zone file in the test's dir; the key `ddns-key` may
/// update it (serial policy: increment, so every applied UPDATE moves the serial).
fn start_knot(dir: &TempDir) -> Knot {
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
    Knot { server, port }
}

/// `kdig +short` of the name, sorted lines.
fn kdig(knot: &Knot, name: &str, rtype: &str) -> Vec<String> {
    let out =
        must(Command::new("kdig").args(["+short", "+time=2", "-p", &knot.port.to_string(), "@127.0.0.1", name, rtype]));
    let mut lines: Vec<String> = out.lines().map(str::to_string).collect();
    lines.sort();
    lines
}

fn assert_holds(knot: &Knot, v4: &str, v6: &str) {
    for name in ["home", "nas"] {
        let fqdn = format!("{name}.{ZONE}");
        assert_eq!(
            (kdig(knot, &fqdn, "A"), kdig(knot, &fqdn, "AAAA")),
            (vec![v4.to_string()], vec![v6.to_string()]),
            "{fqdn}"
        );
    }
}

fn config(rig: &Rig, knot: &Knot, key_name: &str, secret: &str) -> String {
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
fn knot_rfc2136_with_tsig_creates_replaces_and_leaves_right_records_alone() {
    if !prerequisites("Knot RFC 2136", NEEDS) {
        return;
    }
    let rig = Rig::new("knot");
    let knot = start_knot(&rig.dir);
    let good = config(&rig, &knot, "ddns-key", TSIG_SECRET);
    let shown = |out: &std::process::Output| format!("{}\nknot log:\n{}", text(out), knot.server.log());

    let out = rig.once(&good, true);
    assert!(out.status.success(), "{}", shown(&out));
    assert_holds(&knot, V4[0], V6[0]);

    rig.echo(V4[1], V6[1]);
    let out = rig.once(&good, false);
    assert!(out.status.success(), "{}", shown(&out));
    assert_holds(&knot, V4[1], V6[1]);

    // Right records, nothing remembered: nothing may be rewritten. Knot drops an UPDATE whose
    // delete+add leaves the zone as it was without moving the serial, so the serial alone cannot
    // tell; the binary's own report must say "unchanged".
    let serial = soa_serial(knot.port, ZONE);
    let out = rig.once(&good, true);
    assert!(out.status.success(), "{}", shown(&out));
    assert_holds(&knot, V4[1], V6[1]);
    assert_eq!(soa_serial(knot.port, ZONE), serial, "a no-op run changed the zone: {}", shown(&out));
    // Waits on issue 14 item 20 (providers helper): today "updated" is reported.
    assert!(!text(&out).contains(": updated"), "item 20: a no-op run reported an update: {}", shown(&out));
}

/// Knot answers a wrong secret with NOTAUTH and TSIG error BADSIG, an unknown key with NOTAUTH
/// and BADKEY: each must be named as what it is.
#[test]
fn knot_rfc2136_wrong_secret_and_unknown_key_give_distinct_errors() {
    if !prerequisites("Knot RFC 2136", NEEDS) {
        return;
    }
    let rig = Rig::new("knot-tsig");
    let knot = start_knot(&rig.dir);
    let out = rig.once(&config(&rig, &knot, "ddns-key", TSIG_SECRET), true);
    assert!(out.status.success(), "{}", text(&out));

    rig.echo(V4[1], V6[1]);
    let failure = |key_name: &str, secret: &str| {
        let out = rig.once(&config(&rig, &knot, key_name, secret), true);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(!said.contains(secret) && !said.contains(TSIG_SECRET), "{said}");
        assert_holds(&knot, V4[0], V6[0]);
        stop_reason(&said)
    };
    let wrong_secret = failure("ddns-key", WRONG_SECRET);
    let unknown_key = failure("no-such-key", TSIG_SECRET);
    assert!(wrong_secret.contains("BADSIG") && wrong_secret.contains("secret"), "{wrong_secret}");
    assert!(unknown_key.contains("BADKEY") && unknown_key.contains("key_name"), "{unknown_key}");
}
