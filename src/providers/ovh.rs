//! The OVHcloud API (1.0) with an application key, application secret and consumer key.
//! https://help.ovhcloud.com/csm/en-api-getting-started-ovhcloud-api — each request carries
//! `X-Ovh-Signature: "$1$" + SHA1(secret+consumer+method+url+body+timestamp)`. Record ids of a
//! sub-domain and type are listed, each record read, changed with `PUT`, or created; then the
//! zone is refreshed so the change is served. The apex is the empty sub-domain.

use super::rest::{secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::sign;
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Ovh;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "application key"),
    Field::required("password", FieldKind::Secret, "application secret"),
    Field::required("token", FieldKind::Secret, "consumer key (granted GET/POST/PUT on /domain/zone/*)"),
    ZONE_FIELD,
    Field::optional("server", FieldKind::Url, "API endpoint (EU by default; ca.api.ovh.com, api.us.ovhcloud.com)"),
];

impl Protocol for Ovh {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "OVHcloud", &["/message"], secrets_only);
        update_records(job, "OVHcloud", &mut Signed { api, now: sign::now }, 300, 60)
    }
}

struct Signed<'a> {
    api: Api<'a>,
    now: fn() -> u64,
}

/// A signed request: the signature covers the full URL and the exact body.
pub fn signed(
    method: Method,
    url: String,
    body: Option<&Value>,
    app_key: &str,
    app_secret: &str,
    consumer: &str,
    now: u64,
) -> Request {
    let body = body.map(Value::to_string).unwrap_or_default();
    let signature =
        sign::sha1_hex(format!("{app_secret}+{consumer}+{}+{url}+{body}+{now}", method.as_str()).as_bytes());
    let mut req = Request::new(method, url)
        .header("X-Ovh-Application", app_key)
        .header("X-Ovh-Consumer", consumer)
        .header("X-Ovh-Timestamp", now.to_string())
        .header("X-Ovh-Signature", format!("$1${signature}"))
        .secret(app_secret)
        .secret(consumer);
    if !body.is_empty() {
        req = req.header("Content-Type", "application/json");
        req.body = Some(body);
    }
    req
}

impl Signed<'_> {
    fn call(&mut self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Outcome> {
        let svc = self.api.job.account;
        let url = format!("{}{path}", self.api.base());
        let req = signed(method, url, body, &svc.username, svc.password.expose(), svc.token.expose(), (self.now)());
        self.api.send(req)
    }

    fn refresh(&mut self, zone: &str) -> Result<(), Outcome> {
        self.call(Method::Post, &format!("/domain/zone/{}/refresh", url_encode(zone)), None).map(drop)
    }
}

impl Records for Signed<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let zone = url_encode(name.zone);
        let path = format!(
            "/domain/zone/{zone}/record?fieldType={}&subDomain={}",
            name.rtype,
            url_encode(name.relative_or_empty())
        );
        let ids = self.call(Method::Get, &path, None)?;
        let mut found = Vec::new();
        for id in ids.as_array().cloned().unwrap_or_default() {
            let record = self.call(Method::Get, &format!("/domain/zone/{zone}/record/{id}"), None)?;
            found.push(Existing { id: id.to_string(), value: record["target"].as_str().unwrap_or("").to_string() });
        }
        Ok(found)
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let zone = url_encode(name.zone);
        for r in stale(found, ip) {
            self.call(
                Method::Put,
                &format!("/domain/zone/{zone}/record/{}", r.id),
                Some(&json!({"target": ip, "ttl": ttl})),
            )?;
        }
        self.refresh(name.zone)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"fieldType": name.rtype, "subDomain": name.relative_or_empty(), "target": ip, "ttl": ttl});
        self.call(Method::Post, &format!("/domain/zone/{}/record", url_encode(name.zone)), Some(&body))?;
        self.refresh(name.zone)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn the_signature_follows_the_documented_recipe() {
        let req = signed(
            Method::Get,
            "https://eu.api.ovh.com/1.0/auth/currentCredential".into(),
            None,
            "AK",
            "AS",
            "CK",
            1_700_000_000,
        );
        // "$1$" + hex SHA-1 of "AS+CK+GET+https://eu.api.ovh.com/1.0/auth/currentCredential++1700000000"
        let expected = sign::sha1_hex(b"AS+CK+GET+https://eu.api.ovh.com/1.0/auth/currentCredential++1700000000");
        assert_eq!(req.header_value("X-Ovh-Signature"), Some(format!("$1${expected}").as_str()));
        assert_eq!(sign::sha1_hex(b"abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn lists_ids_reads_puts_and_refreshes() {
        let svc = service(
            "config service s\n option provider 'ovh-api'\n list hostname 'home.example.org'\n option username 'ak1'\n \
             option password 'as-secret'\n option token 'ck-secret'\n option zone 'example.org'\n",
        );
        let mut t = Scripted::new(vec![
            Scripted::body(200, "[5088173345]"),
            Scripted::body(
                200,
                r#"{"id":5088173345,"zone":"example.org","subDomain":"home","fieldType":"A","target":"198.51.100.1","ttl":0}"#,
            ),
            Scripted::body(200, "null"),
            Scripted::body(200, "null"),
        ]);
        let r = Ovh.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://eu.api.ovh.com/1.0/domain/zone/example.org/record?fieldType=A&subDomain=home"
        );
        assert_eq!(t.sent[1].url, "https://eu.api.ovh.com/1.0/domain/zone/example.org/record/5088173345");
        assert_eq!(t.sent[2].method, Method::Put);
        assert_eq!(t.sent[2].body.as_deref(), Some(r#"{"target":"198.51.100.2","ttl":300}"#));
        assert_eq!(t.sent[3].url, "https://eu.api.ovh.com/1.0/domain/zone/example.org/refresh");
        assert_eq!(t.sent[0].header_value("X-Ovh-Consumer"), Some("ck-secret"));
        assert!(!t.sent[0].display_masked().contains("ck-secret"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let mut t = Scripted::new(vec![Scripted::body(
            403,
            r#"{"errorCode":"INVALID_SIGNATURE","httpCode":"400 Bad Request","message":"Invalid signature"}"#,
        )]);
        let r = Ovh.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Invalid signature")));
        assert_no_secret(&r, "as-secret");
    }
}
