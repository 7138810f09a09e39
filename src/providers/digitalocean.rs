//! DigitalOcean DNS (API v2) with a personal access token.
//! https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records
//!
//! Per hostname and family: list the records of that name and type, PATCH the ones whose data
//! differs, or create one when missing (only with `create_missing`).

use super::{relative_name, Field, FieldKind, Job, Outcome, Protocol, RecordResult};
use crate::http::{url_encode, Method, Request, Response, Transport};
use serde_json::{json, Value};

pub struct DigitalOcean;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "personal access token with write scope"),
    Field::required("zone", FieldKind::Text, "the domain the hostnames are in, e.g. example.org"),
    Field::optional("server", FieldKind::Url, "API base URL"),
];

impl Protocol for DigitalOcean {
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
                    Some(name) => record(http, job, &zone, &name, host, family.record_type(), &ip.to_string())
                        .unwrap_or_else(|o| o),
                };
                results.push(RecordResult { host: host.clone(), family, outcome });
            }
        }
        results
    }
}

fn send(
    http: &mut dyn Transport,
    job: &Job,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Result<Response, Outcome> {
    let url = format!("{}{path}", job.endpoint().trim_end_matches('/'));
    let mut req = Request::new(method, url).bearer(job.service.token.expose());
    if let Some(b) = body {
        req = req.json_body(&b);
    }
    req.allow_http = job.service.allow_http;
    let resp = http.send(&req).map_err(|e| Outcome::from_http_error(&e))?;
    if (200..300).contains(&resp.status) {
        return Ok(resp);
    }
    let message = resp.json().and_then(|v| v["message"].as_str().map(str::to_string)).unwrap_or_default();
    let message = req.mask(&message);
    Err(match resp.status {
        401 | 403 => Outcome::stop(format!("DigitalOcean refused the token: {message}")),
        429 | 500..=599 => Outcome::Retry {
            reason: format!("DigitalOcean: HTTP {} {message}", resp.status),
            after: resp.retry_after(),
        },
        s => Outcome::stop(format!("DigitalOcean: HTTP {s} {message}")),
    })
}

fn record(
    http: &mut dyn Transport,
    job: &Job,
    zone: &str,
    name: &str,
    host: &str,
    rtype: &str,
    ip: &str,
) -> Result<Outcome, Outcome> {
    let ttl = job.service.ttl.unwrap_or(300).max(30);
    let fqdn = if name == "@" { zone.to_string() } else { format!("{name}.{zone}") };
    let list = send(
        http,
        job,
        Method::Get,
        &format!("/domains/{zone}/records?type={rtype}&name={}", url_encode(&fqdn)),
        None,
    )?;
    let records = list.json().and_then(|v| v["domain_records"].as_array().cloned()).unwrap_or_default();
    if records.is_empty() {
        if !job.service.create_missing {
            return Ok(Outcome::stop(format!(
                "the {rtype} record {host} does not exist at DigitalOcean: create it there, or set create_missing 1"
            )));
        }
        send(
            http,
            job,
            Method::Post,
            &format!("/domains/{zone}/records"),
            Some(json!({"type": rtype, "name": name, "data": ip, "ttl": ttl})),
        )?;
        return Ok(Outcome::Updated);
    }
    let stale: Vec<&Value> = records.iter().filter(|r| r["data"] != ip).collect();
    if stale.is_empty() {
        return Ok(Outcome::Unchanged);
    }
    for r in stale {
        let id = r["id"].as_u64().ok_or_else(|| Outcome::retry("DigitalOcean listed a record without an id"))?;
        send(
            http,
            job,
            Method::Patch,
            &format!("/domains/{zone}/records/{id}"),
            Some(json!({"type": rtype, "data": ip, "ttl": ttl})),
        )?;
    }
    Ok(Outcome::Updated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted};

    fn cfg(extra: &str) -> String {
        format!(
            "config service s\n option provider 'digitalocean'\n list hostname 'home.example.org'\n option token 'dop_v1_x'\n \
             option zone 'example.org'\n{extra}"
        )
    }

    #[test]
    fn lists_then_patches_the_stale_record() {
        let svc = service(&cfg(""));
        let mut t = Scripted::new(vec![
            Scripted::body(
                200,
                r#"{"domain_records":[{"id":3352896,"type":"A","name":"home","data":"198.51.100.1","ttl":1800}],"meta":{"total":1}}"#,
            ),
            Scripted::body(
                200,
                r#"{"domain_record":{"id":3352896,"type":"A","name":"home","data":"198.51.100.2","ttl":300}}"#,
            ),
        ]);
        let r = DigitalOcean.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://api.digitalocean.com/v2/domains/example.org/records?type=A&name=home.example.org"
        );
        assert_eq!(t.sent[0].header_value("Authorization"), Some("Bearer dop_v1_x"));
        assert_eq!(t.sent[1].method, Method::Patch);
        assert_eq!(t.sent[1].url, "https://api.digitalocean.com/v2/domains/example.org/records/3352896");
        assert_eq!(
            serde_json::from_str::<Value>(t.sent[1].body.as_deref().unwrap()).unwrap(),
            json!({"type": "A", "data": "198.51.100.2", "ttl": 300})
        );
        assert_eq!(r[0].outcome, Outcome::Updated);
    }

    #[test]
    fn unchanged_missing_and_errors() {
        let svc = service(&cfg(""));
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"domain_records":[{"id":1,"data":"2001:db8::1"}]}"#)]);
        assert_eq!(DigitalOcean.update(&job(&svc, None, Some("2001:db8::1")), &mut t)[0].outcome, Outcome::Unchanged);
        assert!(t.sent[0].url.contains("type=AAAA"));
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"domain_records":[]}"#)]);
        let r = DigitalOcean.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason } if reason.contains("create_missing")));
        let svc2 = service(&cfg(" option create_missing 1\n"));
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"domain_records":[]}"#), Scripted::body(201, "{}")]);
        assert_eq!(DigitalOcean.update(&job(&svc2, Some("198.51.100.2"), None), &mut t)[0].outcome, Outcome::Updated);
        assert_eq!(serde_json::from_str::<Value>(t.sent[1].body.as_deref().unwrap()).unwrap()["name"], "home");
        let mut t = Scripted::new(vec![Scripted::body(
            401,
            r#"{"id":"unauthorized","message":"Unable to authenticate you."}"#,
        )]);
        let r = DigitalOcean.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason } if reason.contains("Unable to authenticate")));
        assert_no_secret(&r, "dop_v1_x");
        let mut t = Scripted::new(vec![Scripted::body(
            429,
            r#"{"id":"too_many_requests","message":"API Rate limit exceeded."}"#,
        )]);
        assert_eq!(DigitalOcean.update(&job(&svc, Some("198.51.100.2"), None), &mut t)[0].outcome.label(), "retry");
    }
}
