//! Each API provider end to end: the real binary against a local HTTPS fake that checks the
//! requests the way the real API would (method, path, headers, body) and keeps its own records.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use support::*;

const TOKEN: &str = "cf_TEST_token_98765";

fn config(dir: &TempDir, echo: &HttpsServer, service: &str) -> String {
    let cfg = format!(
        "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\
         \toption run_dir '{d}/run'\n\toption persist_file ''\n{service}",
        echo.url("/v4"),
        d = dir.0.display()
    );
    dir.write("edgeddns", &cfg).display().to_string()
}

/// An echo service that always sees `v4`.
fn echo(ca: &TestCa, v4: &'static str) -> HttpsServer {
    HttpsServer::start(ca, None, move |_| Reply::ok(v4))
}

/// A Cloudflare API double: one zone, records kept in memory, strict about what it accepts.
struct FakeCloudflare {
    records: Arc<Mutex<BTreeMap<String, Value>>>,
    server: HttpsServer,
}

impl FakeCloudflare {
    fn start(ca: &TestCa) -> FakeCloudflare {
        let records: Arc<Mutex<BTreeMap<String, Value>>> = Arc::new(Mutex::new(BTreeMap::new()));
        records.lock().unwrap().insert(
            "rec-a".into(),
            json!({"id": "rec-a", "type": "A", "name": "home.example.org", "content": "198.51.100.1", "ttl": 1, "proxied": false}),
        );
        let db = records.clone();
        let server = HttpsServer::start(ca, None, move |r| {
            let ok = |result: Value| {
                Reply::json(200, &json!({"success": true, "errors": [], "messages": [], "result": result}))
            };
            let fail = |status: u16, code: u32, msg: &str| {
                Reply::json(
                    status,
                    &json!({"success": false, "errors": [{"code": code, "message": msg}], "result": null}),
                )
            };
            if r.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
                return fail(403, 9109, "Invalid access token");
            }
            let path = r.path().strip_prefix("/client/v4").unwrap_or("");
            match (r.method.as_str(), path) {
                ("GET", "/zones") => match r.query("name").as_deref() {
                    Some("example.org") => ok(json!([{"id": "zone-1", "name": "example.org"}])),
                    _ => ok(json!([])),
                },
                ("GET", "/zones/zone-1/dns_records") => {
                    let (t, n) = (r.query("type").unwrap_or_default(), r.query("name").unwrap_or_default());
                    let found: Vec<Value> = db
                        .lock()
                        .unwrap()
                        .values()
                        .filter(|v| v["type"] == t.as_str() && v["name"] == n.as_str())
                        .cloned()
                        .collect();
                    ok(Value::Array(found))
                }
                (m @ ("PATCH" | "POST"), p) if p.starts_with("/zones/zone-1/dns_records") => {
                    if r.header("content-type") != Some("application/json") {
                        return fail(400, 6003, "Invalid request headers");
                    }
                    let Ok(body) = serde_json::from_str::<Value>(&r.body) else {
                        return fail(400, 9207, "bad JSON");
                    };
                    let valid = match body["type"].as_str() {
                        Some("A") => body["content"].as_str().is_some_and(|c| c.parse::<std::net::Ipv4Addr>().is_ok()),
                        Some("AAAA") => {
                            body["content"].as_str().is_some_and(|c| c.parse::<std::net::Ipv6Addr>().is_ok())
                        }
                        _ => false,
                    };
                    if !valid || !body["ttl"].is_u64() {
                        return fail(400, 9005, "Content for record is invalid.");
                    }
                    let mut db = db.lock().unwrap();
                    let id = if m == "PATCH" {
                        let id = p.rsplit('/').next().unwrap().to_string();
                        if !db.contains_key(&id) {
                            return fail(404, 81044, "Record does not exist.");
                        }
                        id
                    } else {
                        format!("rec-{}", db.len() + 1)
                    };
                    let mut rec = body.clone();
                    rec["id"] = id.clone().into();
                    db.insert(id, rec.clone());
                    ok(rec)
                }
                _ => fail(404, 7003, "No route for that URI"),
            }
        });
        FakeCloudflare { records, server }
    }

    fn content(&self, id: &str) -> Value {
        self.records.lock().unwrap()[id]["content"].clone()
    }
}

/// A scratch dir with the test CA, an echo seeing 203.0.113.44, the Cloudflare double, and a
/// service section for it with `token` and `extra` options.
fn cloudflare_rig(tag: &str, token: &str, extra: &str) -> (TempDir, HttpsServer, FakeCloudflare, String) {
    let dir = TempDir::new(tag);
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo = echo(&ca, "203.0.113.44");
    let cf = FakeCloudflare::start(&ca);
    let service = format!(
        "config service 'cf'\n\toption provider 'cloudflare'\n\toption server '{}'\n\tlist hostname 'home.example.org'\n\
         \toption token '{token}'\n\toption ip_source 'echo'\n{extra}",
        cf.server.url("/client/v4")
    );
    (dir, echo, cf, service)
}

#[test]
fn cloudflare_updates_existing_and_creates_missing_records() {
    let (dir, echo, cf, service) =
        cloudflare_rig("cf", TOKEN, "\tlist hostname 'new.example.org'\n\toption ttl '120'\n");
    let cfg = config(&dir, &echo, &service);

    let out = run(&["-c", &cfg, "once"]);
    assert_eq!(out.status.code(), Some(1), "new.example.org does not exist yet: {}", text(&out));
    assert_eq!(cf.content("rec-a"), "203.0.113.44");
    assert!(text(&out).contains("the A record new.example.org does not exist at Cloudflare"), "{}", text(&out));

    // The user allows creating it: it appears, and the existing one is not touched again.
    let cfg = config(&dir, &echo, &service.replace("\toption ttl", "\toption create_missing '1'\n\toption ttl"));
    cf.server.clear();
    let out = run(&["-c", &cfg, "once"]);
    assert!(out.status.success(), "{}", text(&out));
    let created: Vec<Value> =
        cf.records.lock().unwrap().values().filter(|v| v["name"] == "new.example.org").cloned().collect();
    assert_eq!(created.len(), 1);
    assert_eq!(created[0]["content"], "203.0.113.44");
    assert_eq!(created[0]["ttl"], 120);
    let methods: Vec<String> = cf.server.requests().iter().map(|r| r.method.clone()).collect();
    assert!(!methods.contains(&"PATCH".to_string()), "home.example.org was already right: {methods:?}");
    assert!(!text(&out).contains(TOKEN));
}

#[test]
fn cloudflare_bad_token_stops_without_leaking_it() {
    let (dir, echo, cf, service) = cloudflare_rig("cfbad", &format!("wrong-{TOKEN}"), "");
    let out = run(&["-c", &config(&dir, &echo, &service), "once"]);
    assert_eq!(out.status.code(), Some(1));
    let shown = text(&out);
    assert!(shown.contains("Invalid access token (9109)") && shown.contains("stopped"), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
    assert_eq!(cf.content("rec-a"), "198.51.100.1");
}

#[test]
fn duckdns_updates_all_domains_in_one_request() {
    let dir = TempDir::new("duck");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo = echo(&ca, "203.0.113.45");
    let duck = HttpsServer::start(&ca, None, |r| {
        let good = r.method == "GET"
            && r.path() == "/update"
            && r.query("token").as_deref() == Some("duck-token-1")
            && r.query("domains").as_deref() == Some("home,nas")
            && r.query("ip").as_deref() == Some("203.0.113.45")
            && r.query("verbose").as_deref() == Some("true");
        Reply::ok(if good { "OK\n203.0.113.45\n\nUPDATED" } else { "KO" })
    });
    let service = format!(
        "config service 'duck'\n\toption provider 'duckdns'\n\toption server '{}'\n\tlist hostname 'home.duckdns.org'\n\
         \tlist hostname 'nas'\n\toption token 'duck-token-1'\n\toption ip_source 'echo'\n",
        duck.url("/update")
    );
    let out = run(&["-c", &config(&dir, &echo, &service), "once"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(duck.requests().len(), 1);
    assert!(!text(&out).contains("duck-token-1"));
}

#[test]
fn custom_url_template_with_basic_auth_in_the_url() {
    let dir = TempDir::new("custom");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo = echo(&ca, "203.0.113.46");
    let srv = HttpsServer::start(&ca, None, |r| {
        let auth = format!("Basic {}", edgeddns::http::base64(b"me@example.org:s3cret/pw"));
        if r.header("authorization") != Some(auth.as_str()) {
            return Reply::status(401, "unauthorized");
        }
        Reply::ok(format!("SUCCESS {} {}", r.query("h").unwrap_or_default(), r.query("a").unwrap_or_default()))
    });
    let template = srv.url("/dyn?h=[DOMAIN]&a=[IP]").replace("https://", "https://[USERNAME]:[PASSWORD]@");
    let service = format!(
        "config service 'c'\n\toption provider 'custom'\n\toption update_url '{template}'\n\tlist hostname 'a.example.org'\n\
         \tlist hostname 'b.example.org'\n\toption username 'me@example.org'\n\toption password 's3cret/pw'\n\
         \toption expect 'success'\n\toption ip_source 'echo'\n"
    );
    let out = run(&["-c", &config(&dir, &echo, &service), "once"]);
    assert!(out.status.success(), "{}", text(&out));
    let hosts: Vec<String> = srv.requests().iter().map(|r| r.query("h").unwrap()).collect();
    assert_eq!(hosts, vec!["a.example.org", "b.example.org"]);
    assert!(srv.requests().iter().all(|r| r.query("a").as_deref() == Some("203.0.113.46")));
    assert!(!text(&out).contains("s3cret"));
}

#[test]
fn namecheap_one_request_per_host_and_errors_in_xml() {
    let dir = TempDir::new("namecheap");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo = echo(&ca, "203.0.113.47");
    // Namecheap's answer: an XML interface-response with ErrCount, whatever went wrong.
    let nc = HttpsServer::start(&ca, None, |r| {
        let xml = |errs: &str| {
            let count = if errs.is_empty() { 0 } else { 1 };
            Reply::ok(format!(
                "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<interface-response><Command>SETDNSHOST</Command>\
                 <Language>eng</Language><IP>{}</IP><ErrCount>{count}</ErrCount><errors>{errs}</errors>\
                 <ResponseCount>0</ResponseCount><Done>true</Done></interface-response>",
                r.query("ip").unwrap_or_default()
            ))
        };
        if r.method != "GET" || r.path() != "/update" || r.query("domain").as_deref() != Some("example.org") {
            return xml("<Err1>Domain name not found</Err1>");
        }
        if r.query("password").as_deref() != Some("nc-DDNS-pw/1") {
            return xml("<Err1>Passwords do not match</Err1>");
        }
        match r.query("host").as_deref() {
            Some("home" | "@") if r.query("ip").is_some_and(|ip| ip.parse::<std::net::Ipv4Addr>().is_ok()) => xml(""),
            _ => xml("<Err1>No Records updated. A record not Found;</Err1>"),
        }
    });
    let service = |pw: &str| {
        format!(
            "config service 'nc'\n\toption provider 'namecheap'\n\toption server '{}'\n\toption zone 'example.org'\n\
             \tlist hostname 'home.example.org'\n\tlist hostname 'example.org'\n\toption password '{pw}'\n\toption ip_source 'echo'\n",
            nc.url("/update")
        )
    };
    let out = run(&["-c", &config(&dir, &echo, &service("nc-DDNS-pw/1")), "once"]);
    assert!(out.status.success(), "{}", text(&out));
    let hosts: Vec<String> = nc.requests().iter().map(|r| r.query("host").unwrap()).collect();
    assert_eq!(hosts, ["home", "@"]);
    assert!(nc.requests().iter().all(|r| r.query("ip").as_deref() == Some("203.0.113.47")));
    assert!(!text(&out).contains("nc-DDNS-pw"));

    let _ = std::fs::remove_dir_all(dir.path("run"));
    let out = run(&["-c", &config(&dir, &echo, &service("wrong-pw")), "once"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("Namecheap refused the update: Passwords do not match") && shown.contains("stopped"),
        "{shown}"
    );
    assert!(!shown.contains("wrong-pw"), "{shown}");
}
