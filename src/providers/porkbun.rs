//! Porkbun API v3: https://porkbun.com/api/json/v3/documentation
//!
//! Every call is a POST with the key pair in the JSON body. Per hostname and family: retrieve the
//! records by name and type, edit them by name and type when the content differs, or create one
//! when missing (only with `create_missing`). Porkbun's minimum TTL is 600 s.

use super::rest::{update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Porkbun;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API key (pk1_…), with API access enabled for the domain"),
    Field::required("password", FieldKind::Secret, "secret API key (sk1_…)"),
    ZONE_FIELD,
    SERVER_FIELD,
];

/// The key pair is in every body; here it only becomes secret.
fn keys(req: Request, job: &Job) -> Request {
    req.secret(job.account.token.expose()).secret(job.account.password.expose())
}

impl Protocol for Porkbun {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Porkbun", &["/message"], keys);
        update_records(job, "Porkbun", &mut Dns(api), 600, 600)
    }
}

struct Dns<'a>(Api<'a>);

impl Dns<'_> {
    /// POST `body` plus the key pair to `/dns/{path}`; the answer when Porkbun says SUCCESS.
    fn call(&mut self, path: &str, mut body: Value) -> Result<Value, Outcome> {
        let svc = self.0.job.account;
        body["apikey"] = json!(svc.token.expose());
        body["secretapikey"] = json!(svc.password.expose());
        let answer = self.0.call(Method::Post, &format!("/dns/{path}"), Some(&body))?;
        match answer["status"].as_str() {
            Some("SUCCESS") => Ok(answer),
            _ => Err(Outcome::retry(Kind::MalformedAnswer, format!("Porkbun answered {path} without SUCCESS"))),
        }
    }
}

/// `{zone}/{type}` plus `/{name}` except at the apex, which has no name segment.
fn by_name_type(name: &Name) -> String {
    match name.relative_or_empty() {
        "" => format!("{}/{}", name.zone, name.rtype),
        sub => format!("{}/{}/{sub}", name.zone, name.rtype),
    }
}

impl Records for Dns<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let found = self.call(&format!("retrieveByNameType/{}", by_name_type(name)), json!({}))?;
        Ok(Existing::collect(&found["records"], "id", "content", |_| true))
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"content": ip, "ttl": ttl.to_string()});
        self.call(&format!("editByNameType/{}", by_name_type(name)), body).map(drop)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"name": name.relative_or_empty(), "type": name.rtype, "content": ip, "ttl": ttl.to_string()});
        self.call(&format!("create/{}", name.zone), body).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

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
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("create_missing")));
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
