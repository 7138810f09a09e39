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

use super::{excerpt, Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult};
use crate::encoding::url_encode;
use crate::http::{host_of, Request, Response};
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

    fn settings(&self) -> &'static [&'static str] {
        &["user", "v4_param", "v6_param", "together", "keep"]
    }

    fn shares_addresses(&self) -> bool {
        true
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let preset = job.account.preset;
        let per_host = preset.setting("user") == Some("hostname");
        let hosts = job.hosts();
        let batches: Vec<&[String]> =
            if per_host { hosts.chunks(1).collect() } else { hosts.chunks(MAX_HOSTS).collect() };
        let param = |f: Family| {
            preset
                .setting(match f {
                    Family::V4 => "v4_param",
                    Family::V6 => "v6_param",
                })
                .unwrap_or("myip")
        };
        let families = job.families();
        let groups: Vec<&[(Family, std::net::IpAddr)]> =
            if preset.together { vec![&families[..]] } else { families.chunks(1).collect() };
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
                let user = if per_host { hosts[0].as_str() } else { job.account.username.as_str() };
                let sep = if job.endpoint().contains('?') { '&' } else { '?' };
                let url = format!("{}{sep}hostname={}{query}", job.endpoint(), url_encode(&hosts.join(",")));
                let mut req = Request::get(url).basic_auth(user, job.account.password.expose());
                req.allow_http = job.account.allow_http;
                let outcomes = match http.send(&req) {
                    Ok(resp) => interpret(&resp, hosts.len(), &req),
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
/// A wait the server asks for with `Retry-After` is honoured on every retry it answers.
fn interpret(resp: &Response, hosts: usize, req: &Request) -> Vec<Outcome> {
    let asked = resp.retry_after();
    let lines: Vec<&str> = resp.body.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    let known: Vec<Option<Outcome>> = lines.iter().map(|l| meaning(l, asked)).collect();
    if !known.is_empty() && known.iter().all(Option::is_some) {
        let outcomes: Vec<Outcome> = known.into_iter().flatten().collect();
        if outcomes.len() == hosts {
            return outcomes;
        }
        if outcomes.len() == 1 {
            return vec![outcomes[0].clone(); hosts];
        }
    }
    let host = host_of(&req.url);
    let outcome = if (200..300).contains(&resp.status) {
        Outcome::retry_after(
            Kind::MalformedAnswer,
            format!("unexpected answer from {host}: '{}'", excerpt(&resp.body)),
            asked,
        )
    } else {
        Outcome::from_status(resp, host, &excerpt(&resp.body))
    };
    vec![outcome; hosts]
}

/// The meaning of one answer line, by its first word; `asked` is the answer's `Retry-After`.
fn meaning(line: &str, asked: Option<Duration>) -> Option<Outcome> {
    let code = line.split_whitespace().next()?;
    // The specification asks for at least 30 minutes; a longer Retry-After wins.
    let trouble = |what: &str| {
        let wait = asked.map_or(SERVER_TROUBLE_WAIT, |a| a.max(SERVER_TROUBLE_WAIT));
        Outcome::retry_after(
            Kind::ProviderError,
            format!("{what}; waiting {} minutes", wait.as_secs() / 60),
            Some(wait),
        )
    };
    Some(match code.to_ascii_lowercase().as_str() {
        // Dyn documents `good 127.0.0.1` as "the request was ignored because of an agent that does
        // not follow our specifications" (it is only a success when 127.0.0.1 was asked for, which
        // we never send); No-IP answers it to a client it has blocked. Nothing was changed.
        "good" if line.split_whitespace().nth(1) == Some("127.0.0.1") => Outcome::stop(
            Kind::ProviderError,
            "the provider ignored the update and answered 'good 127.0.0.1': that is how Dyn and No-IP \
             say they block this client or account (or the request did not reach the real update \
             server); the record was not changed: check the account at the provider",
        ),
        "good" => Outcome::Updated,
        "nochg" => Outcome::Unchanged,
        "badauth" => Outcome::stop(Kind::Auth, "the provider rejected the user name or password (badauth)"),
        "!donator" => Outcome::stop(Kind::Auth, "this needs a paid account at the provider (!donator)"),
        "notfqdn" => Outcome::stop(Kind::Config, "the hostname is not a full domain name (notfqdn)"),
        "nohost" => Outcome::stop(Kind::NoSuchRecord, "the hostname does not exist in this account (nohost)"),
        "numhost" => Outcome::stop(Kind::Config, "too many hostnames in one request (numhost)"),
        // No-IP and Dyn: the account or host is blocked for abuse; the client must stop.
        "abuse" => Outcome::stop(
            Kind::ProviderError,
            "the provider blocked this hostname or account for abuse (abuse): sending stops until the \
             configuration changes; unblock it at the provider",
        ),
        "badagent" => Outcome::stop(Kind::ProviderError, "the provider refused this client (badagent)"),
        "!yours" => Outcome::stop(Kind::Auth, "the hostname belongs to another account (!yours)"),
        "!active" => Outcome::stop(Kind::NoSuchRecord, "the hostname is not active at the provider (!active)"),
        "dnserr" => trouble("the provider's DNS failed (dnserr)"),
        "911" => trouble("the provider reports a problem on its side (911)"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, labels, service, Scripted, Update};

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

    /// Hosts that hold the same address share a request; a host with an address of its own (a
    /// LAN device's) gets its own.
    #[test]
    fn hosts_are_grouped_by_the_address_they_hold() {
        let svc = service(CFG);
        let mut job = job(&svc, Some("203.0.113.7"), None);
        job.records
            .push(crate::providers::Target { host: "cam.example.org".into(), ip: "192.168.1.5".parse().unwrap() });
        job.records
            .push(crate::providers::Target { host: "nas.example.org".into(), ip: "203.0.113.7".parse().unwrap() });
        let mut t = Scripted::new(vec![
            Scripted::body(200, "good 203.0.113.7\ngood 203.0.113.7\ngood 203.0.113.7\n"),
            Scripted::body(200, "good 192.168.1.5\n"),
        ]);
        let r = Dyndns2.update(&job, &mut t);
        let urls: Vec<&str> = t.sent.iter().map(|q| q.url.as_str()).collect();
        assert_eq!(urls, [
            "https://members.dyndns.org/v3/update?hostname=a.example.org%2Cb.example.org%2Cnas.example.org&myip=203.0.113.7",
            "https://members.dyndns.org/v3/update?hostname=cam.example.org&myip=192.168.1.5",
        ]);
        assert_eq!(r.len(), 4);
        assert!(r.iter().all(|r| r.outcome == Outcome::Updated), "{r:?}");
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

    /// README: dyndns2 honours Retry-After; 911 waits at least the 30 minutes the
    /// specification asks for, longer when the server says so, never more than a day.
    #[test]
    fn retry_after_is_honoured_and_capped() {
        let svc = service(&CFG.replace(" list hostname 'b.example.org'\n", ""));
        let answer = |status: u16, body: &str, after: &str| {
            Ok(crate::http::Response { status, headers: vec![("Retry-After".into(), after.into())], body: body.into() })
        };
        let wait = |r: &[RecordResult]| match &r[0].outcome {
            Outcome::Retry { after, .. } => *after,
            other => panic!("{other:?}"),
        };
        let mut t = Scripted::new(vec![
            answer(503, "", "120"),
            answer(200, "911", "7200"),
            answer(200, "911", "60"),
            answer(429, "", "18446744073709551615"),
        ]);
        let one = |t: &mut Scripted| Dyndns2.update(&job(&svc, Some("1.2.3.4"), None), t);
        assert_eq!(wait(&one(&mut t)), Some(Duration::from_secs(120)));
        let r = one(&mut t);
        assert_eq!(wait(&r), Some(Duration::from_secs(7200)));
        assert!(r[0].outcome.reason().unwrap().contains("waiting 120 minutes"), "{r:?}");
        assert_eq!(wait(&one(&mut t)), Some(SERVER_TROUBLE_WAIT));
        let r = one(&mut t);
        assert_eq!(wait(&r), Some(crate::providers::MAX_PROVIDER_WAIT));
        assert_eq!(r[0].outcome.kind(), Some(Kind::RateLimited));
    }

    #[test]
    fn good_127_0_0_1_says_the_client_is_blocked() {
        let svc = service(&CFG.replace(" list hostname 'b.example.org'\n", ""));
        let mut t = Scripted::new(vec![Scripted::body(200, "good 127.0.0.1")]);
        let r = Dyndns2.update(&job(&svc, Some("1.2.3.4"), None), &mut t);
        let Outcome::Stop { kind, reason } = &r[0].outcome else { panic!("{r:?}") };
        assert_eq!(*kind, Kind::ProviderError);
        assert!(
            reason.contains("ignored the update") && reason.contains("block") && reason.contains("not changed"),
            "{reason}"
        );
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
            Some(format!("Basic {}", crate::encoding::base64(b"b.example.org:k")).as_str())
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
