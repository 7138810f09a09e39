//! Porkbun API v3: https://porkbun.com/api/json/v3/documentation
//!
//! Every call is a POST with the key pair in the JSON body. Per hostname and family: retrieve the
//! records by name and type, edit them by name and type when the content differs, or create one
//! when missing (only with `create_missing`). Porkbun's minimum TTL is 600 s.

use super::{relative_name, Field, FieldKind, Job, Outcome, Protocol, RecordResult};
use crate::http::{Method, Request, Transport};
use serde_json::{json, Value};

pub struct Porkbun;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API key (pk1_…), with API access enabled for the domain"),
    Field::required("password", FieldKind::Secret, "secret API key (sk1_…)"),
    Field::required("zone", FieldKind::Text, "the domain the hostnames are in, e.g. example.org"),
    Field::optional("server", FieldKind::Url, "API base URL"),
];

impl Protocol for Porkbun {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn update(&self, job: &Job, http: &mut dyn Transport) -> Vec<RecordResult> {
        let zone = job.service.param("zone").unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
        let mut results = Vec::new();
        for host in &job.hosts {
            for (family, ip) in job.families() {
                let outcome = match relative_name(host, &zone) {
                    None => Outcome::stop(format!("{host} is not inside the domain {zone}")),
                    Some(name) => record(http, job, &zone, &name, host, family.record_type(), &ip.to_string()),
                };
                results.push(RecordResult { host: host.clone(), family, outcome });
            }
        }
        results
    }
}

/// POST `body` plus the key pair to `path`; the answer when Porkbun says SUCCESS.
fn call(http: &mut dyn Transport, job: &Job, path: &str, mut body: Value, what: &str) -> Result<Value, Outcome> {
    let svc = job.service;
    body["apikey"] = json!(svc.token.expose());
    body["secretapikey"] = json!(svc.password.expose());
    let mut req = Request::new(Method::Post, format!("{}{path}", job.endpoint().trim_end_matches('/')))
        .json_body(&body)
        .secret(svc.token.expose())
        .secret(svc.password.expose());
    req.allow_http = svc.allow_http;
    let resp = http.send(&req).map_err(|e| Outcome::from_http_error(&e))?;
    let answer = resp.json().unwrap_or(Value::Null);
    if answer["status"] == "SUCCESS" {
        return Ok(answer);
    }
    let message = req.mask(answer["message"].as_str().unwrap_or("no message"));
    Err(match resp.status {
        429 | 500..=599 => Outcome::Retry { reason: format!("Porkbun {what}: {message}"), after: resp.retry_after() },
        _ if answer.is_null() => Outcome::retry(format!("Porkbun {what}: HTTP {} without a JSON answer", resp.status)),
        _ => Outcome::stop(format!("Porkbun {what} failed: {message}")),
    })
}

fn record(http: &mut dyn Transport, job: &Job, zone: &str, name: &str, host: &str, rtype: &str, ip: &str) -> Outcome {
    // The apex has no subdomain segment in Porkbun's paths.
    let sub = if name == "@" { String::new() } else { format!("/{name}") };
    let ttl = job.service.ttl.unwrap_or(600).max(600).to_string();
    let found =
        match call(http, job, &format!("/dns/retrieveByNameType/{zone}/{rtype}{sub}"), json!({}), "record lookup") {
            Ok(v) => v["records"].as_array().cloned().unwrap_or_default(),
            Err(o) => return o,
        };
    let result = if found.is_empty() {
        if !job.service.create_missing {
            return Outcome::stop(format!(
                "the {rtype} record {host} does not exist at Porkbun: create it there, or set create_missing 1"
            ));
        }
        let body = json!({"name": if name == "@" { "" } else { name }, "type": rtype, "content": ip, "ttl": ttl});
        call(http, job, &format!("/dns/create/{zone}"), body, "record creation")
    } else if found.iter().all(|r| r["content"] == ip) {
        return Outcome::Unchanged;
    } else {
        call(
            http,
            job,
            &format!("/dns/editByNameType/{zone}/{rtype}{sub}"),
            json!({"content": ip, "ttl": ttl}),
            "record update",
        )
    };
    result.map(|_| Outcome::Updated).unwrap_or_else(|o| o)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted};

    fn cfg(extra: &str) -> String {
        format!(
            "config service s\n option provider 'porkbun'\n list hostname 'home.example.org'\n option token 'pk1_abc'\n \
             option password 'sk1_def'\n option zone 'example.org'\n{extra}"
        )
    }

    fn body(r: &Request) -> Value {
        serde_json::from_str(r.body.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn retrieves_then_edits_by_name_and_type() {
        let svc = service(&cfg(""));
        let mut t = Scripted::new(vec![
            Scripted::body(
                200,
                r#"{"status":"SUCCESS","records":[{"id":"1","name":"home.example.org","type":"A","content":"198.51.100.1","ttl":"600"}]}"#,
            ),
            Scripted::body(200, r#"{"status":"SUCCESS"}"#),
        ]);
        let r = Porkbun.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.porkbun.com/api/json/v3/dns/retrieveByNameType/example.org/A/home");
        assert_eq!(body(&t.sent[0]), json!({"apikey": "pk1_abc", "secretapikey": "sk1_def"}));
        assert_eq!(t.sent[1].url, "https://api.porkbun.com/api/json/v3/dns/editByNameType/example.org/A/home");
        assert_eq!(
            body(&t.sent[1]),
            json!({"apikey": "pk1_abc", "secretapikey": "sk1_def", "content": "198.51.100.2", "ttl": "600"})
        );
        assert!(!t.sent[1].display_masked().contains("sk1_def"));
        assert_eq!(r[0].outcome, Outcome::Updated);
    }

    #[test]
    fn unchanged_missing_and_errors() {
        let svc = service(&cfg(""));
        let same = r#"{"status":"SUCCESS","records":[{"content":"2001:db8::5","type":"AAAA"}]}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, same)]);
        assert_eq!(Porkbun.update(&job(&svc, None, Some("2001:db8::5")), &mut t)[0].outcome, Outcome::Unchanged);
        assert!(t.sent[0].url.ends_with("/AAAA/home"));
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"status":"SUCCESS","records":[]}"#)]);
        let r = Porkbun.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason } if reason.contains("create_missing")));
        let apex = service(&cfg(" option create_missing 1\n").replace("home.example.org", "example.org"));
        let mut t = Scripted::new(vec![
            Scripted::body(200, r#"{"status":"SUCCESS","records":[]}"#),
            Scripted::body(200, r#"{"status":"SUCCESS","id":"99"}"#),
        ]);
        assert_eq!(Porkbun.update(&job(&apex, Some("198.51.100.2"), None), &mut t)[0].outcome, Outcome::Updated);
        assert!(t.sent[0].url.ends_with("/retrieveByNameType/example.org/A"));
        assert_eq!(body(&t.sent[1])["name"], "");
        let denied = r#"{"status":"ERROR","message":"Invalid API key. (002) sk1_def"}"#;
        let mut t = Scripted::new(vec![Scripted::body(403, denied)]);
        let r = Porkbun.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome.label(), "stopped");
        assert_no_secret(&r, "sk1_def");
        let mut t = Scripted::new(vec![Scripted::body(503, "busy")]);
        assert_eq!(Porkbun.update(&job(&svc, Some("198.51.100.2"), None), &mut t)[0].outcome.label(), "retry");
    }
}
