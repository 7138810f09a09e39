//! GoDaddy Domains API v1 (production keys; GoDaddy only grants API access to larger accounts).
//! https://developer.godaddy.com/doc/endpoint/domains — `GET`/`PUT
//! /v1/domains/{domain}/records/{type}/{name}`. The PUT replaces every record of the name and
//! type (and creates them); GoDaddy's minimum TTL is 600 s.

use super::rest::{update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::json;

pub struct GoDaddy;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API key"),
    Field::required("password", FieldKind::Secret, "API secret"),
    ZONE_FIELD,
    SERVER_FIELD,
];

fn sso_key(req: Request, job: &Job) -> Request {
    let (key, secret) = (job.account.token.expose(), job.account.password.expose());
    req.header("Authorization", format!("sso-key {key}:{secret}")).secret(key).secret(secret)
}

impl Protocol for GoDaddy {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "GoDaddy", &["/message"], sso_key);
        update_records(job, "GoDaddy", &mut Domains(api), 600, 600)
    }
}

struct Domains<'a>(Api<'a>);

fn path(name: &Name) -> String {
    format!("/v1/domains/{}/records/{}/{}", url_encode(name.zone), name.rtype, url_encode(&name.relative))
}

impl Records for Domains<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let list = self.0.call(Method::Get, &path(name), None)?;
        Ok(Existing::collect(&list, "data", "data", |_| true))
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.0.call(Method::Put, &path(name), Some(&json!([{"data": ip, "ttl": ttl}]))).map(drop)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.replace(name, &[], ip, ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn reads_then_puts_the_records_of_name_and_type() {
        let svc = service(
            "config service s\n option provider 'godaddy'\n list hostname 'example.org'\n option token 'gd-key'\n \
             option password 'gd-secret'\n option zone 'example.org'\n option ttl 60\n",
        );
        let mut t = Scripted::new(vec![
            Scripted::body(200, r#"[{"data":"198.51.100.1","name":"@","ttl":3600,"type":"A"}]"#),
            Scripted::body(200, ""),
        ]);
        let r = GoDaddy.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.godaddy.com/v1/domains/example.org/records/A/%40");
        assert_eq!(t.sent[0].header_value("Authorization"), Some("sso-key gd-key:gd-secret"));
        assert_eq!(t.sent[1].method, Method::Put);
        // GoDaddy's minimum TTL is 600.
        assert_eq!(t.sent[1].body.as_deref(), Some(r#"[{"data":"198.51.100.2","ttl":600}]"#));
        assert_eq!(r[0].outcome, Outcome::Updated);
        assert!(!t.sent[1].display_masked().contains("gd-secret"));

        let denied =
            r#"{"code":"UNABLE_TO_AUTHENTICATE","message":"Unauthorized : Could not authenticate API key/secret"}"#;
        let mut t = Scripted::new(vec![Scripted::body(401, denied)]);
        let r = GoDaddy.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome.label(), "stopped");
        assert_no_secret(&r, "gd-secret");
        let mut t = Scripted::new(vec![Scripted::body(429, r#"{"code":"TOO_MANY_REQUESTS","retryAfterSec":30}"#)]);
        assert_eq!(GoDaddy.update(&job(&svc, Some("198.51.100.2"), None), &mut t)[0].outcome.label(), "retry");
    }
}
