//! Update-URL providers end to end (DuckDNS, a custom URL template, Namecheap): the real binary
//! against a local HTTPS fake that checks the requests the way the real service would. The
//! record APIs (Cloudflare and the DNS-hosting APIs) are in tests/record_apis.

mod support;

use support::*;

fn config(dir: &TempDir, echo: &HttpsServer, service: &str) -> String {
    config_with(dir, &format!("\tlist echo_url '{}'\n", echo.url("/v4")), service)
}

/// Both families: `echo` answers over IPv4, `echo6` over IPv6.
fn config_dual(dir: &TempDir, echo: &HttpsServer, echo6: &HttpsServer, service: &str) -> String {
    let lists = format!("\tlist echo_url '{}'\n\tlist echo_url6 '{}'\n", echo.url("/v4"), echo6.url("/v6"));
    config_with(dir, &lists, service)
}

fn config_with(dir: &TempDir, echo_lists: &str, service: &str) -> String {
    let cfg = format!(
        "config edgeddns 'global'\n{echo_lists}\toption ca_bundle '{d}/ca.pem'\n\
         \toption run_dir '{d}/run'\n\toption persist_file ''\n{service}",
        d = dir.0.display()
    );
    dir.write("edgeddns", &cfg).display().to_string()
}

/// An echo service that always sees `v4`.
fn echo(ca: &TestCa, v4: &'static str) -> HttpsServer {
    HttpsServer::start(ca, None, move |_| Reply::ok(v4))
}

/// An echo service on ::1 that always sees `v6` (IPv6 echoes are asked over IPv6 only).
fn echo6(ca: &TestCa, v6: &'static str) -> HttpsServer {
    HttpsServer::start_on(ca, None, "[::1]:0", move |_| Reply::ok(v6))
}

#[test]
fn duckdns_updates_all_domains_and_both_families_in_one_request() {
    let dir = TempDir::new("duck");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let (echo, echo6) = (echo(&ca, "203.0.113.45"), echo6(&ca, "2001:db8:45::1"));
    // DuckDNS's verbose answer: OK, the IPv4, the IPv6, and whether anything changed.
    let duck = HttpsServer::start(&ca, None, |r| {
        let good = r.method == "GET"
            && r.path() == "/update"
            && r.query("token").as_deref() == Some("duck-token-1")
            && r.query("domains").as_deref() == Some("home,nas")
            && r.query("ip").as_deref() == Some("203.0.113.45")
            && r.query("ipv6").as_deref() == Some("2001:db8:45::1")
            && r.query("verbose").as_deref() == Some("true");
        Reply::ok(if good { "OK\n203.0.113.45\n2001:db8:45::1\nUPDATED" } else { "KO" })
    });
    let service = format!(
        "config service 'duck'\n\toption provider 'duckdns'\n\toption server '{}'\n\tlist hostname 'home.duckdns.org'\n\
         \tlist hostname 'nas'\n\toption token 'duck-token-1'\n\toption ip_source 'echo'\n\toption ipv6 '1'\n",
        duck.url("/update")
    );
    let out = run(&["-c", &config_dual(&dir, &echo, &echo6, &service), "once"]);
    let shown = text(&out);
    assert!(out.status.success(), "{shown}");
    assert_eq!(duck.requests().len(), 1, "{:#?}", duck.requests());
    for record in ["home.duckdns.org A: updated", "home.duckdns.org AAAA: updated", "nas AAAA: updated"] {
        assert!(shown.contains(&format!("duck: {record}")), "{shown}");
    }
    assert!(!shown.contains("duck-token-1"));
}

#[test]
fn custom_url_template_with_basic_auth_in_the_url() {
    let dir = TempDir::new("custom");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let (echo, echo6) = (echo(&ca, "203.0.113.46"), echo6(&ca, "2001:db8:46::1"));
    let srv = HttpsServer::start(&ca, None, |r| {
        let auth = format!("Basic {}", edgeddns::encoding::base64(b"me@example.org:s3cret/pw"));
        if r.header("authorization") != Some(auth.as_str()) {
            return Reply::status(401, "unauthorized");
        }
        Reply::ok(format!("SUCCESS {} {}", r.query("h").unwrap_or_default(), r.query("a").unwrap_or_default()))
    });
    let template = srv.url("/dyn?h=[DOMAIN]&a=[IP]").replace("https://", "https://[USERNAME]:[PASSWORD]@");
    let service = format!(
        "config service 'c'\n\toption provider 'custom'\n\toption update_url '{template}'\n\tlist hostname 'a.example.org'\n\
         \tlist hostname 'b.example.org'\n\toption username 'me@example.org'\n\toption password 's3cret/pw'\n\
         \toption expect 'success'\n\toption ip_source 'echo'\n\toption ipv6 '1'\n"
    );
    let out = run(&["-c", &config_dual(&dir, &echo, &echo6, &service), "once"]);
    assert!(out.status.success(), "{}", text(&out));
    // [DOMAIN] in the template: one request per hostname and family, [IP] the family's address.
    let mut sent: Vec<(String, String)> =
        srv.requests().iter().map(|r| (r.query("h").unwrap(), r.query("a").unwrap())).collect();
    sent.sort();
    let want = [
        ("a.example.org", "2001:db8:46::1"),
        ("a.example.org", "203.0.113.46"),
        ("b.example.org", "2001:db8:46::1"),
        ("b.example.org", "203.0.113.46"),
    ];
    assert_eq!(sent, want.map(|(h, a)| (h.to_string(), a.to_string())));
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
