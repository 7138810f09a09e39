//! DigitalOcean DNS (API v2) with a personal access token.
//! https://docs.digitalocean.com/reference/api/digitalocean/#tag/Domain-Records
//!
//! Per hostname and family: list the records of that name and type, PATCH the ones whose data
//! differs, or create one when missing (only with `create_missing`).

use super::rest::{bearer, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Method;
use serde_json::json;

pub struct DigitalOcean;

static FIELDS: &[Field] =
    &[Field::required("token", FieldKind::Secret, "personal access token with write scope"), ZONE_FIELD, SERVER_FIELD];

impl Protocol for DigitalOcean {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "DigitalOcean", &["/message"], bearer);
        update_records(job, "DigitalOcean", &mut Domains(api), 300, 30)
    }
}

struct Domains<'a>(Api<'a>);

fn records(name: &Name) -> String {
    format!("/domains/{}/records", url_encode(name.zone))
}

impl Records for Domains<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let path = format!("{}?type={}&name={}", records(name), name.rtype, url_encode(&name.fqdn()));
        let list = self.0.call(Method::Get, &path, None)?;
        Ok(Existing::collect(&list["domain_records"], "id", "data", |_| true))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        for r in stale(found, ip) {
            let body = json!({"type": name.rtype, "data": ip, "ttl": ttl});
            self.0.call(Method::Patch, &format!("{}/{}", records(name), r.id), Some(&body))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"type": name.rtype, "name": name.relative, "data": ip, "ttl": ttl});
        self.0.call(Method::Post, &records(name), Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};
    use serde_json::Value;

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
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("create_missing")));
        let svc2 = service(&cfg(" option create_missing 1\n"));
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"domain_records":[]}"#), Scripted::body(201, "{}")]);
        assert_eq!(DigitalOcean.update(&job(&svc2, Some("198.51.100.2"), None), &mut t)[0].outcome, Outcome::Updated);
        assert_eq!(serde_json::from_str::<Value>(t.sent[1].body.as_deref().unwrap()).unwrap()["name"], "home");
        let mut t = Scripted::new(vec![Scripted::body(
            401,
            r#"{"id":"unauthorized","message":"Unable to authenticate you."}"#,
        )]);
        let r = DigitalOcean.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Unable to authenticate")));
        assert_no_secret(&r, "dop_v1_x");
        let mut t = Scripted::new(vec![Scripted::body(
            429,
            r#"{"id":"too_many_requests","message":"API Rate limit exceeded."}"#,
        )]);
        assert_eq!(DigitalOcean.update(&job(&svc, Some("198.51.100.2"), None), &mut t)[0].outcome.label(), "retry");
    }
}
