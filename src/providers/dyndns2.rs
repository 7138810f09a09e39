//! The dyndns2 protocol ("Members NIC Update API"), spoken by Dyn, No-IP, 3322.org/pubyun,
//! Dynu, deSEC and many others.
//! Request and answers: https://help.dyn.com/remote-access-api/perform-update/ and
//! https://help.dyn.com/remote-access-api/return-codes/ (No-IP: https://www.noip.com/integrate/request).
//!
//! One request carries every hostname of the service (comma-separated, at most 20) and the
//! answer has one line per hostname, in order. Preset settings:
//! - `v4_param`/`v6_param` name the address parameter (default `myip`);
//! - `together` = `1`: the provider replaces A and AAAA with every update (Dyn, deSEC), so both
//!   families go in one request (the engine then always supplies both), as `myip=v4,v6` when
//!   they share a parameter;
//! - `keep`: the value that leaves a family untouched when it is not sent (deSEC: `preserve`);
//! - `user` = `hostname`: each hostname is its own user name, one request per host
//!   (Hurricane Electric's per-record keys).

use super::{Field, FieldKind, Job, Outcome, Protocol, RecordResult};
use crate::http::{url_encode, Request, Transport};
use crate::net::Family;
use std::time::Duration;

/// Providers refuse more; the specification allows 20 per request.
const MAX_HOSTS: usize = 20;

/// How long to wait after `911` or `dnserr`: the specification asks for at least 30 minutes.
const SERVER_TROUBLE_WAIT: Duration = Duration::from_secs(30 * 60);

pub struct Dyndns2;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "account user name"),
    Field::required("password", FieldKind::Secret, "account password or update key"),
    Field::optional("server", FieldKind::Url, "update URL, e.g. https://members.example.net/nic/update"),
];

impl Protocol for Dyndns2 {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn update(&self, job: &Job, http: &mut dyn Transport) -> Vec<RecordResult> {
        let preset = job.service.preset;
        let per_host = preset.setting("user") == Some("hostname");
        let batches: Vec<&[String]> =
            if per_host { job.hosts.chunks(1).collect() } else { job.hosts.chunks(MAX_HOSTS).collect() };
        let param = |f: Family| {
            preset
                .setting(match f {
                    Family::V4 => "v4_param",
                    Family::V6 => "v6_param",
                })
                .unwrap_or("myip")
        };
        let families: Vec<(Family, std::net::IpAddr)> = job.families().collect();
        let groups: Vec<&[(Family, std::net::IpAddr)]> =
            if preset.setting("together") == Some("1") { vec![&families[..]] } else { families.chunks(1).collect() };
        let mut results = Vec::new();
        for group in groups {
            // Parameters in a stable order; families sharing a parameter are comma-joined.
            let mut params: Vec<(&str, Vec<String>)> = Vec::new();
            for (f, ip) in group {
                match params.iter_mut().find(|(p, _)| *p == param(*f)) {
                    Some((_, v)) => v.push(ip.to_string()),
                    None => params.push((param(*f), vec![ip.to_string()])),
                }
            }
            if let Some(keep) = preset.setting("keep") {
                for f in Family::ALL.into_iter().filter(|f| !group.iter().any(|(g, _)| g == f)) {
                    if !params.iter().any(|(p, _)| *p == param(f)) {
                        params.push((param(f), vec![keep.to_string()]));
                    }
                }
            }
            let query: String = params.iter().map(|(p, v)| format!("&{p}={}", url_encode(&v.join(",")))).collect();
            for hosts in &batches {
                let user = if per_host { hosts[0].as_str() } else { job.service.username.as_str() };
                let sep = if job.endpoint().contains('?') { '&' } else { '?' };
                let url = format!("{}{sep}hostname={}{query}", job.endpoint(), url_encode(&hosts.join(",")));
                let mut req = Request::get(url).basic_auth(user, job.service.password.expose());
                req.allow_http = job.service.allow_http;
                let outcomes = match http.send(&req) {
                    Ok(resp) => interpret(&resp.body, resp.status, hosts.len(), &req),
                    Err(e) => vec![Outcome::from_http_error(&e); hosts.len()],
                };
                for (host, outcome) in hosts.iter().zip(outcomes) {
                    for (family, _) in group {
                        results.push(RecordResult { host: host.clone(), family: *family, outcome: outcome.clone() });
                    }
                }
            }
        }
        results
    }
}

/// One outcome per host from the answer body (one line each; a single line applies to all).
fn interpret(body: &str, status: u16, hosts: usize, req: &Request) -> Vec<Outcome> {
    let lines: Vec<&str> = body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let known: Vec<Option<Outcome>> = lines.iter().map(|l| meaning(l)).collect();
    if !known.is_empty() && known.iter().all(Option::is_some) {
        let outcomes: Vec<Outcome> = known.into_iter().flatten().collect();
        if outcomes.len() == hosts {
            return outcomes;
        }
        if outcomes.len() == 1 {
            return vec![outcomes[0].clone(); hosts];
        }
    }
    let outcome = if (200..300).contains(&status) {
        let shown: String = req.mask(body.trim()).chars().take(80).collect();
        Outcome::retry(format!("unexpected answer from {}: '{shown}'", crate::http::host_of(&req.url)))
    } else {
        let resp = crate::http::Response { status, headers: vec![], body: String::new() };
        Outcome::from_status(&resp, crate::http::host_of(&req.url))
    };
    vec![outcome; hosts]
}

/// The meaning of one answer line, by its first word.
fn meaning(line: &str) -> Option<Outcome> {
    let code = line.split_whitespace().next()?;
    let trouble = |what: &str| Outcome::Retry { reason: what.to_string(), after: Some(SERVER_TROUBLE_WAIT) };
    Some(match code.to_ascii_lowercase().as_str() {
        // Dyn and No-IP answer `good 127.0.0.1` to a client they ignore (a bad user agent or
        // a blocked account) unless 127.0.0.1 was what we sent, which we never do.
        "good" if line.split_whitespace().nth(1) == Some("127.0.0.1") => Outcome::stop(
            "the provider ignored the update (it answered good 127.0.0.1): the client or account is blocked",
        ),
        "good" => Outcome::Updated,
        "nochg" => Outcome::Unchanged,
        "badauth" => Outcome::stop("the provider rejected the user name or password (badauth)"),
        "!donator" => Outcome::stop("this needs a paid account at the provider (!donator)"),
        "notfqdn" => Outcome::stop("the hostname is not a full domain name (notfqdn)"),
        "nohost" => Outcome::stop("the hostname does not exist in this account (nohost)"),
        "numhost" => Outcome::stop("too many hostnames in one request (numhost)"),
        "abuse" => Outcome::stop("the provider blocked this hostname for abuse (abuse)"),
        "badagent" => Outcome::stop("the provider refused this client (badagent)"),
        "!yours" => Outcome::stop("the hostname belongs to another account (!yours)"),
        "!active" => Outcome::stop("the hostname is not active at the provider (!active)"),
        "dnserr" => trouble("the provider's DNS failed (dnserr); waiting 30 minutes"),
        "911" => trouble("the provider reports a problem on its side (911); waiting 30 minutes"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, labels, service, Scripted};

    const CFG: &str = "config service s\n option provider 'dyn'\n list hostname 'a.example.org'\n \
                       list hostname 'b.example.org'\n option username 'alice'\n option password 'p@ss:w rd'\n";

    #[test]
    fn all_hosts_in_one_request_with_basic_auth() {
        let svc = service(CFG);
        let mut t = Scripted::new(vec![Scripted::body(200, "good 203.0.113.7\nnochg 203.0.113.7\n")]);
        let r = Dyndns2.update(&job(&svc, Some("203.0.113.7"), None), &mut t);
        assert_eq!(t.sent.len(), 1);
        assert_eq!(
            t.sent[0].url,
            "https://members.dyndns.org/v3/update?hostname=a.example.org%2Cb.example.org&myip=203.0.113.7"
        );
        // RFC 7617: base64("alice:p@ss:w rd")
        assert_eq!(t.sent[0].header_value("Authorization"), Some("Basic YWxpY2U6cEBzczp3IHJk"));
        assert_eq!(
            labels(&r),
            vec![("a.example.org".into(), Family::V4, "updated"), ("b.example.org".into(), Family::V4, "unchanged")]
        );
    }

    #[test]
    fn every_return_code() {
        let cases = [
            ("good 1.2.3.4", "updated"),
            ("good 127.0.0.1", "stopped"),
            ("nochg 1.2.3.4", "unchanged"),
            ("badauth", "stopped"),
            ("!donator", "stopped"),
            ("notfqdn", "stopped"),
            ("nohost", "stopped"),
            ("numhost", "stopped"),
            ("abuse", "stopped"),
            ("badagent", "stopped"),
            ("!yours", "stopped"),
            ("dnserr", "retry"),
            ("911", "retry"),
            ("<html>maintenance</html>", "retry"),
        ];
        let cfg = CFG.replace(" list hostname 'b.example.org'\n", "");
        let svc = service(&cfg);
        for (answer, want) in cases {
            let mut t = Scripted::new(vec![Scripted::body(200, answer)]);
            let r = Dyndns2.update(&job(&svc, Some("1.2.3.4"), None), &mut t);
            assert_eq!(r[0].outcome.label(), want, "{answer}");
            assert_no_secret(&r, "p@ss:w rd");
        }
        let mut t = Scripted::new(vec![Scripted::body(200, "911")]);
        let r = Dyndns2.update(&job(&svc, Some("1.2.3.4"), None), &mut t);
        assert!(matches!(r[0].outcome, Outcome::Retry { after: Some(d), .. } if d >= Duration::from_secs(1800)));
    }

    #[test]
    fn one_line_answer_applies_to_every_host_and_http_errors_map() {
        let svc = service(CFG);
        let mut t = Scripted::new(vec![Scripted::body(401, "badauth"), Scripted::body(503, "")]);
        let r = Dyndns2.update(&job(&svc, Some("1.2.3.4"), None), &mut t);
        assert_eq!(r.len(), 2);
        assert!(r.iter().all(|x| x.outcome.label() == "stopped"));
        let r = Dyndns2.update(&job(&svc, Some("1.2.3.4"), None), &mut t);
        assert!(r.iter().all(|x| x.outcome.label() == "retry"), "{r:?}");
    }

    #[test]
    fn desec_sends_both_families_together_and_preserves_the_other() {
        let cfg =
            "config service s\n option provider 'desec'\n list hostname 'h.dedyn.io'\n option username 'h.dedyn.io'\n \
                   option password 'tok'\n option ipv6 1\n";
        let svc = service(cfg);
        let mut t = Scripted::new(vec![Scripted::body(200, "good"), Scripted::body(200, "good")]);
        let r = Dyndns2.update(&job(&svc, Some("203.0.113.1"), Some("2001:db8::1")), &mut t);
        assert_eq!(t.sent.len(), 1);
        assert_eq!(
            t.sent[0].url,
            "https://update.dedyn.io/?hostname=h.dedyn.io&myipv4=203.0.113.1&myipv6=2001%3Adb8%3A%3A1"
        );
        assert_eq!(labels(&r).len(), 2);
        Dyndns2.update(&job(&svc, Some("203.0.113.2"), None), &mut t);
        assert_eq!(t.sent[1].url, "https://update.dedyn.io/?hostname=h.dedyn.io&myipv4=203.0.113.2&myipv6=preserve");
    }

    #[test]
    fn dyn_joins_both_families_in_myip() {
        let cfg = "config service s\n option provider 'dyn'\n list hostname 'h.example.org'\n option username 'u'\n \
                   option password 'p'\n option ipv6 1\n";
        let svc = service(cfg);
        let mut t = Scripted::new(vec![Scripted::body(200, "good 203.0.113.1,2001:db8::1")]);
        let r = Dyndns2.update(&job(&svc, Some("203.0.113.1"), Some("2001:db8::1")), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://members.dyndns.org/v3/update?hostname=h.example.org&myip=203.0.113.1%2C2001%3Adb8%3A%3A1"
        );
        assert!(r.iter().all(|x| x.outcome == Outcome::Updated) && r.len() == 2);
    }

    #[test]
    fn separate_families_by_default() {
        let cfg = "config service s\n option provider 'no-ip'\n list hostname 'h.example.org'\n option username 'u'\n \
                   option password 'p'\n option ipv6 1\n";
        let svc = service(cfg);
        let mut t = Scripted::new(vec![Scripted::body(200, "good"), Scripted::body(200, "nochg")]);
        let r = Dyndns2.update(&job(&svc, Some("203.0.113.1"), Some("2001:db8::1")), &mut t);
        assert_eq!(t.sent.len(), 2);
        assert!(t.sent[1].url.ends_with("&myip=2001%3Adb8%3A%3A1"));
        assert_eq!(r[1].outcome, Outcome::Unchanged);
    }

    #[test]
    fn hurricane_electric_sends_each_host_with_its_own_key() {
        let cfg = "config service s\n option provider 'he.net'\n list hostname 'a.example.org'\n list hostname 'b.example.org'\n \
                   option password 'k'\n";
        let svc = service(cfg);
        let mut t = Scripted::new(vec![Scripted::body(200, "good"), Scripted::body(200, "nochg")]);
        let r = Dyndns2.update(&job(&svc, Some("203.0.113.1"), None), &mut t);
        assert_eq!(t.sent.len(), 2);
        assert_eq!(
            t.sent[1].header_value("Authorization"),
            Some(format!("Basic {}", crate::http::base64(b"b.example.org:k")).as_str())
        );
        assert_eq!(r[1].outcome, Outcome::Unchanged);
    }

    #[test]
    fn transport_failure_is_retried() {
        let svc = service(CFG);
        let mut t = Scripted::new(vec![]);
        let r = Dyndns2.update(&job(&svc, Some("1.2.3.4"), None), &mut t);
        assert!(r.iter().all(|x| x.outcome.label() == "retry"));
    }
}
