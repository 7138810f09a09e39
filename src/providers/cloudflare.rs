//! Cloudflare API v4 with a scoped API token (permission Zone.DNS:Edit).
//! https://developers.cloudflare.com/api/resources/dns/subresources/records/ and
//! https://developers.cloudflare.com/api/resources/zones/methods/list/
//!
//! Per hostname: find its zone (the `zone` option, or the longest parent domain Cloudflare
//! knows), look the record up, and PATCH it only when its content differs. A missing record
//! is created only with `create_missing`. A withdrawal (`Job::delete`) DELETEs the record found.

use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD};
use crate::encoding::url_encode;
use crate::http::{HttpError, Method, Request, Response, Transport};
use crate::net::Family;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub struct Cloudflare;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API token with Zone.DNS:Edit permission"),
    Field::optional("zone", FieldKind::Text, "zone name (found from the hostname when empty)"),
    Field::optional("proxied", FieldKind::Bool, "route through Cloudflare's proxy (orange cloud)"),
    SERVER_FIELD,
];

impl Protocol for Cloudflare {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn deletes(&self) -> bool {
        true
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api { base: job.endpoint().trim_end_matches('/'), job, http };
        api.run()
    }
}

struct Api<'a, 'b> {
    base: &'a str,
    job: &'a Job<'b>,
    http: &'a mut dyn Transport,
}

/// A failed exchange, already turned into what it means.
type Step<T> = Result<T, Outcome>;

impl Api<'_, '_> {
    fn run(mut self) -> Vec<RecordResult> {
        let mut zones: BTreeMap<String, String> = BTreeMap::new();
        let mut results = Vec::new();
        for host in self.job.hosts() {
            let families: Vec<(Family, String)> =
                (self.job.records.iter()).filter(|r| r.host == host).map(|r| (r.family(), r.ip.to_string())).collect();
            let zone = match self.zone_id(&host, &mut zones) {
                Ok(z) => z,
                Err(outcome) => {
                    results.extend(families.iter().map(|(family, _)| RecordResult {
                        host: host.clone(),
                        family: *family,
                        outcome: outcome.clone(),
                    }));
                    continue;
                }
            };
            for (family, ip) in &families {
                let outcome = self.record(&zone, &host, *family, ip).unwrap_or_else(|o| o);
                results.push(RecordResult { host: host.clone(), family: *family, outcome });
            }
        }
        results
    }

    fn request(&self, method: Method, path: &str) -> Request {
        let mut req = Request::new(method, format!("{}{path}", self.base)).bearer(self.job.account.token.expose());
        req.allow_http = self.job.account.allow_http;
        req
    }

    /// Send and return the `result` of a successful answer, or what the failure means.
    fn call(&mut self, req: Request, what: &str) -> Step<Value> {
        let resp = self.http.send(&req).map_err(|e: HttpError| Outcome::from_http_error(&e))?;
        interpret(&resp, what)
    }

    fn zone_id(&mut self, host: &str, cache: &mut BTreeMap<String, String>) -> Step<String> {
        let host = host.trim_end_matches('.').trim_start_matches("*.");
        let candidates: Vec<String> = match self.job.account.param("zone") {
            Some(z) => vec![z.trim_end_matches('.').to_string()],
            // Longest parent first, never a bare top-level domain.
            None => {
                let labels: Vec<&str> = host.split('.').collect();
                (0..labels.len().saturating_sub(1)).map(|i| labels[i..].join(".")).collect()
            }
        };
        for zone in &candidates {
            if let Some(id) = cache.get(zone) {
                return Ok(id.clone());
            }
            let req = self.request(Method::Get, &format!("/zones?name={}", url_encode(zone)));
            let result = self.call(req, "zone lookup")?;
            if let Some(id) = result.as_array().and_then(|a| a.first()).and_then(|z| z["id"].as_str()) {
                cache.insert(zone.clone(), id.to_string());
                return Ok(id.to_string());
            }
        }
        Err(Outcome::stop(Kind::NoSuchRecord, format!(
            "no Cloudflare zone for {host} in this account (tried {}); check the hostname or the token's zone permissions",
            candidates.join(", ")
        )))
    }

    fn record(&mut self, zone: &str, host: &str, family: Family, ip: &str) -> Step<Outcome> {
        let svc = self.job.account;
        let rtype = family.record_type();
        let ttl = svc.ttl.unwrap_or(1);
        let proxied = svc.param("proxied").and_then(crate::uci::parse_bool);
        let req =
            self.request(Method::Get, &format!("/zones/{zone}/dns_records?type={rtype}&name={}", url_encode(host)));
        let found = self.call(req, "record lookup")?;
        let existing = found.as_array().and_then(|a| a.first()).cloned();
        let id = |rec: &Value| {
            rec["id"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| Outcome::retry(Kind::MalformedAnswer, "Cloudflare listed a record without an id"))
        };
        if self.job.delete {
            // Withdrawn already when Cloudflare lists none.
            if let Some(rec) = &existing {
                let req = self.request(Method::Delete, &format!("/zones/{zone}/dns_records/{}", id(rec)?));
                self.call(req, "record deletion")?;
            }
            return Ok(Outcome::Updated);
        }
        let mut body = json!({ "type": rtype, "name": host, "content": ip, "ttl": ttl });
        if let Some(p) = proxied {
            body["proxied"] = p.into();
        }
        match existing {
            Some(rec) => {
                let same = rec["content"].as_str() == Some(ip)
                    && (svc.ttl.is_none() || rec["ttl"].as_u64() == Some(u64::from(ttl)))
                    && proxied.is_none_or(|p| rec["proxied"].as_bool() == Some(p));
                if same {
                    return Ok(Outcome::Unchanged);
                }
                let req =
                    self.request(Method::Patch, &format!("/zones/{zone}/dns_records/{}", id(&rec)?)).json_body(&body);
                self.call(req, "record update")?;
                Ok(Outcome::Updated)
            }
            None if svc.create_missing => {
                let req = self.request(Method::Post, &format!("/zones/{zone}/dns_records")).json_body(&body);
                self.call(req, "record creation")?;
                Ok(Outcome::Updated)
            }
            None => Err(Outcome::stop(
                Kind::NoSuchRecord,
                format!(
                    "the {rtype} record {host} does not exist at Cloudflare: create it there, or set create_missing 1"
                ),
            )),
        }
    }
}

/// Cloudflare's envelope: `{"success": bool, "errors": [{"code", "message"}], "result": …}`.
fn interpret(resp: &Response, what: &str) -> Step<Value> {
    let body = resp.json();
    let errors: Vec<String> = body
        .as_ref()
        .and_then(|b| b["errors"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|e| format!("{} ({})", e["message"].as_str().unwrap_or("error"), e["code"]))
        .collect();
    let codes: Vec<u64> = body
        .as_ref()
        .and_then(|b| b["errors"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e["code"].as_u64())
        .collect();
    let success = body.as_ref().and_then(|b| b["success"].as_bool()) == Some(true);
    if success && (200..300).contains(&resp.status) {
        return Ok(body.map(|b| b["result"].clone()).unwrap_or(Value::Null));
    }
    // 9109/10000/6003/6111/9103: invalid, expired or malformed credentials.
    if [401, 403].contains(&resp.status) || codes.iter().any(|c| [9109, 10000, 6003, 6111, 9103].contains(c)) {
        return Err(Outcome::stop(
            Kind::Auth,
            format!(
                "Cloudflare refused the API token during {what}: {} — it needs Zone.DNS:Edit for this zone",
                errors.join("; ")
            ),
        ));
    }
    if resp.status == 429 || resp.status >= 500 {
        return Err(Outcome::from_status(resp, &format!("Cloudflare {what}"), &errors.join("; ")));
    }
    if body.is_none() {
        return Err(Outcome::retry(
            Kind::MalformedAnswer,
            format!("Cloudflare {what}: HTTP {} without a JSON answer", resp.status),
        ));
    }
    Err(Outcome::stop(Kind::ProviderError, format!("Cloudflare {what} failed: {}", errors.join("; "))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, labels, service, Scripted, Update};

    const TOKEN: &str = "cf-tok-123";

    fn cfg(extra: &str) -> String {
        format!("config service s\n option provider 'cloudflare'\n list hostname 'home.example.org'\n option token '{TOKEN}'\n{extra}")
    }

    fn ok(result: Value) -> Result<Response, HttpError> {
        Scripted::body(200, &json!({"success": true, "errors": [], "messages": [], "result": result}).to_string())
    }

    #[test]
    fn finds_zone_looks_up_and_patches() {
        let svc = service(&cfg(" option ttl 300\n"));
        let mut t = Scripted::new(vec![
            ok(json!([])),                                    // zones?name=home.example.org
            ok(json!([{"id": "z1", "name": "example.org"}])), // zones?name=example.org
            ok(json!([{"id": "r1", "content": "198.51.100.1", "ttl": 300, "proxied": false}])),
            ok(json!({"id": "r1"})),
        ]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        let urls: Vec<String> = t.sent.iter().map(|q| format!("{} {}", q.method.as_str(), q.url)).collect();
        assert_eq!(
            urls,
            vec![
                "GET https://api.cloudflare.com/client/v4/zones?name=home.example.org",
                "GET https://api.cloudflare.com/client/v4/zones?name=example.org",
                "GET https://api.cloudflare.com/client/v4/zones/z1/dns_records?type=A&name=home.example.org",
                "PATCH https://api.cloudflare.com/client/v4/zones/z1/dns_records/r1",
            ]
        );
        assert_eq!(t.sent[0].header_value("Authorization"), Some(format!("Bearer {TOKEN}").as_str()));
        let body: Value = serde_json::from_str(t.sent[3].body.as_deref().unwrap()).unwrap();
        assert_eq!(body, json!({"type": "A", "name": "home.example.org", "content": "198.51.100.2", "ttl": 300}));
        assert_eq!(labels(&r), vec![("home.example.org".into(), Family::V4, "updated")]);
    }

    #[test]
    fn same_content_is_unchanged_without_a_patch() {
        let svc = service(&cfg(" option zone 'example.org'\n"));
        let mut t = Scripted::new(vec![
            ok(json!([{"id": "z1"}])),
            ok(json!([{"id": "r6", "content": "2001:db8::7", "ttl": 1, "proxied": false}])),
        ]);
        let r = Cloudflare.update(&job(&svc, None, Some("2001:db8::7")), &mut t);
        assert_eq!(t.sent.len(), 2);
        assert!(t.sent[1].url.ends_with("type=AAAA&name=home.example.org"));
        assert_eq!(r[0].outcome, Outcome::Unchanged);
    }

    #[test]
    fn missing_record_is_created_only_when_asked() {
        let svc = service(&cfg(" option zone 'example.org'\n option proxied 1\n"));
        let mut t = Scripted::new(vec![ok(json!([{"id": "z1"}])), ok(json!([]))]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(
            matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("A record home.example.org does not exist"))
        );

        let svc = service(&cfg(" option zone 'example.org'\n option proxied 1\n option create_missing 1\n"));
        let mut t = Scripted::new(vec![ok(json!([{"id": "z1"}])), ok(json!([])), ok(json!({"id": "new"}))]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[2].method, Method::Post);
        let body: Value = serde_json::from_str(t.sent[2].body.as_deref().unwrap()).unwrap();
        assert_eq!(body["proxied"], true);
        assert_eq!(r[0].outcome, Outcome::Updated);
    }

    #[test]
    fn a_withdrawal_deletes_what_is_listed_and_nothing_else() {
        let svc = service(&cfg(" option zone 'example.org'\n"));
        let gone = |svc| Job { delete: true, ..job(svc, Some("198.51.100.2"), None) };
        let mut t = Scripted::new(vec![ok(json!([{"id": "z1"}])), ok(json!([{"id": "r1"}])), ok(json!({"id": "r1"}))]);
        let r = Cloudflare.update(&gone(&svc), &mut t);
        let last = t.sent.last().map(|q| format!("{} {}", q.method.as_str(), q.url));
        assert_eq!(last.as_deref(), Some("DELETE https://api.cloudflare.com/client/v4/zones/z1/dns_records/r1"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let mut t = Scripted::new(vec![ok(json!([{"id": "z1"}])), ok(json!([]))]);
        assert_eq!(Cloudflare.update(&gone(&svc), &mut t)[0].outcome, Outcome::Updated, "already gone");
        assert_eq!(t.sent.len(), 2);
    }

    #[test]
    fn error_answers_map() {
        let svc = service(&cfg(" option zone 'example.org'\n"));
        let bad_token = Scripted::body(
            403,
            r#"{"success":false,"errors":[{"code":9109,"message":"Invalid access token"}],"messages":[],"result":null}"#,
        );
        let mut t = Scripted::new(vec![bad_token]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(
            matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Invalid access token (9109)")),
            "{r:?}"
        );
        assert_no_secret(&r, TOKEN);

        let mut limited =
            Scripted::body(429, r#"{"success":false,"errors":[{"code":971,"message":"throttled"}]}"#).unwrap();
        limited.headers.push(("Retry-After".into(), "60".into()));
        let mut t = Scripted::new(vec![Ok(limited)]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(r[0].outcome, Outcome::Retry { after: Some(d), .. } if d.as_secs() == 60), "{r:?}");

        let mut t = Scripted::new(vec![Scripted::body(502, "<html>bad gateway</html>")]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome.label(), "retry");

        let mut t = Scripted::new(vec![
            ok(json!([{"id": "z1"}])),
            ok(json!([{"id": "r1", "content": "1.1.1.1"}])),
            Scripted::body(
                400,
                r#"{"success":false,"errors":[{"code":9005,"message":"Content for A record is invalid."}]}"#,
            ),
        ]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("9005")), "{r:?}");
    }

    #[test]
    fn unknown_zone_stops_with_what_was_tried() {
        let svc = service(&cfg(""));
        let mut t = Scripted::new(vec![ok(json!([])), ok(json!([])), ok(json!([]))]);
        let r = Cloudflare.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(
            matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("tried home.example.org, example.org")),
            "{r:?}"
        );
        assert_eq!(t.sent.len(), 2, "a bare TLD is never asked for");
    }
}
