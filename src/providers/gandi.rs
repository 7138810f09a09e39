//! Gandi LiveDNS (API v5) with a personal access token.
//! https://api.gandi.net/docs/livedns/ — `GET/PUT /livedns/domains/{fqdn}/records/{name}/{type}`
//!
//! Per hostname and family: read the RRset, and replace it (PUT `rrset_values`, `rrset_ttl`)
//! only when it differs. A missing RRset is created only with `create_missing`.

use super::{relative_name, Field, FieldKind, Job, Outcome, Protocol, RecordResult};
use crate::http::{url_encode, Method, Request, Transport};
use serde_json::json;

pub struct Gandi;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "personal access token with the LiveDNS permission"),
    Field::required("zone", FieldKind::Text, "the domain the hostnames are in, e.g. example.org"),
    Field::optional("server", FieldKind::Url, "API base URL"),
];

impl Protocol for Gandi {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn update(&self, job: &Job, http: &mut dyn Transport) -> Vec<RecordResult> {
        let svc = job.service;
        let zone = svc.param("zone").unwrap_or("").trim_end_matches('.');
        let base = job.endpoint().trim_end_matches('/');
        let mut results = Vec::new();
        for host in &job.hosts {
            for (family, ip) in job.families() {
                let outcome = match relative_name(host, zone) {
                    None => Outcome::stop(format!("{host} is not inside the domain {zone}")),
                    Some(name) => {
                        let url = format!(
                            "{base}/domains/{}/records/{}/{}",
                            url_encode(zone),
                            url_encode(&name),
                            family.record_type()
                        );
                        rrset(http, job, &url, host, family.record_type(), &ip.to_string())
                    }
                };
                results.push(RecordResult { host: host.clone(), family, outcome });
            }
        }
        results
    }
}

fn request(job: &Job, method: Method, url: &str) -> Request {
    let mut r = Request::new(method, url).bearer(job.service.token.expose());
    r.allow_http = job.service.allow_http;
    r
}

/// What Gandi's answer means, when it is not a success.
fn failure(status: u16, body: &str, what: &str, retry_after: Option<std::time::Duration>) -> Outcome {
    let message = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| format!("HTTP {status}"));
    match status {
        401 | 403 => Outcome::stop(format!("Gandi refused the token during {what}: {message}")),
        429 | 500..=599 => Outcome::Retry { reason: format!("Gandi {what}: {message}"), after: retry_after },
        _ => Outcome::stop(format!("Gandi {what} failed: {message}")),
    }
}

fn rrset(http: &mut dyn Transport, job: &Job, url: &str, host: &str, rtype: &str, ip: &str) -> Outcome {
    let existing = match http.send(&request(job, Method::Get, url)) {
        Err(e) => return Outcome::from_http_error(&e),
        Ok(r) if r.status == 404 => None,
        Ok(r) if (200..300).contains(&r.status) => r.json(),
        Ok(r) => return failure(r.status, &r.body, "record lookup", r.retry_after()),
    };
    let ttl = job.service.ttl.unwrap_or(300).max(300);
    match &existing {
        None if !job.service.create_missing => {
            return Outcome::stop(format!(
                "the {rtype} record {host} does not exist at Gandi: create it there, or set create_missing 1"
            ))
        }
        Some(v) if v["rrset_values"] == json!([ip]) && (job.service.ttl.is_none() || v["rrset_ttl"] == json!(ttl)) => {
            return Outcome::Unchanged
        }
        _ => {}
    }
    let body = json!({"rrset_values": [ip], "rrset_ttl": ttl});
    match http.send(&request(job, Method::Put, url).json_body(&body)) {
        Ok(r) if (200..300).contains(&r.status) => Outcome::Updated,
        Ok(r) => failure(r.status, &r.body, "record update", r.retry_after()),
        Err(e) => Outcome::from_http_error(&e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, labels, service, Scripted};

    fn cfg(extra: &str) -> String {
        format!(
            "config service s\n option provider 'gandi'\n list hostname 'home.example.org'\n option token 'pat-123'\n \
             option zone 'example.org'\n{extra}"
        )
    }

    #[test]
    fn reads_then_replaces_the_rrset() {
        let svc = service(&cfg(""));
        let mut t = Scripted::new(vec![
            Scripted::body(
                200,
                r#"{"rrset_name":"home","rrset_type":"A","rrset_values":["198.51.100.1"],"rrset_ttl":300}"#,
            ),
            Scripted::body(201, r#"{"message":"DNS Record Created"}"#),
        ]);
        let r = Gandi.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.gandi.net/v5/livedns/domains/example.org/records/home/A");
        assert_eq!(t.sent[1].method, Method::Put);
        assert_eq!(t.sent[1].header_value("Authorization"), Some("Bearer pat-123"));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(t.sent[1].body.as_deref().unwrap()).unwrap(),
            json!({"rrset_values": ["198.51.100.2"], "rrset_ttl": 300})
        );
        assert_eq!(labels(&r)[0].2, "updated");
    }

    #[test]
    fn same_values_are_unchanged_and_missing_needs_create_missing() {
        let svc = service(&cfg(""));
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"rrset_values":["2001:db8::1"],"rrset_ttl":300}"#)]);
        let r = Gandi.update(&job(&svc, None, Some("2001:db8::1")), &mut t);
        assert!(t.sent[0].url.ends_with("/records/home/AAAA"));
        assert_eq!(r[0].outcome, Outcome::Unchanged);
        let mut t = Scripted::new(vec![Scripted::body(404, r#"{"code":404,"message":"Can't find the DNS record"}"#)]);
        let r = Gandi.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason } if reason.contains("create_missing")));
        let svc = service(&cfg(" option create_missing 1\n"));
        let mut t = Scripted::new(vec![Scripted::body(404, "{}"), Scripted::body(201, "{}")]);
        let r = Gandi.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome, Outcome::Updated);
    }

    #[test]
    fn errors_and_hosts_outside_the_zone() {
        let svc = service(&cfg(""));
        let mut t = Scripted::new(vec![Scripted::body(
            401,
            r#"{"message":"The server could not verify that you authorized to access the document you requested."}"#,
        )]);
        let r = Gandi.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome.label(), "stopped");
        assert_no_secret(&r, "pat-123");
        let mut t = Scripted::new(vec![Scripted::body(503, "")]);
        assert_eq!(Gandi.update(&job(&svc, Some("198.51.100.2"), None), &mut t)[0].outcome.label(), "retry");
        let other = service(&cfg("").replace("home.example.org", "home.example.net"));
        let r = Gandi.update(&job(&other, Some("198.51.100.2"), None), &mut Scripted::new(vec![]));
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason } if reason.contains("not inside")));
    }
}
