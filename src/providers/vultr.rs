//! Vultr DNS (API v2) with an API key.
//! https://www.vultr.com/api/#tag/dns — records of a domain are listed, then changed with
//! `PATCH /domains/{domain}/records/{id}` or created. The apex is the empty name.

use super::rest::{bearer, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Method;
use serde_json::{json, Value};

pub struct Vultr;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API key (allow this router's address in the key's access control)"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for Vultr {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Vultr", &["/error"], bearer);
        update_records(job, "Vultr", &mut Domains(api), 300, 0)
    }
}

struct Domains<'a>(Api<'a>);

fn records(name: &Name) -> String {
    format!("/domains/{}/records", url_encode(name.zone))
}

impl Records for Domains<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let path = format!("{}?per_page=500", records(name));
        let list = self.0.cached(&path, |api| api.call(Method::Get, &path, None))?;
        let wanted = Value::from(name.relative_or_empty());
        Ok(Existing::collect(&list["records"], "id", "data", |r| r["type"] == name.rtype && r["name"] == wanted))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        for r in super::rest::stale(found, ip) {
            let body = json!({"data": ip, "ttl": ttl});
            self.0.call(Method::Patch, &format!("{}/{}", records(name), url_encode(&r.id)), Some(&body))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"name": name.relative_or_empty(), "type": name.rtype, "data": ip, "ttl": ttl});
        self.0.call(Method::Post, &records(name), Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn lists_patches_and_creates_at_the_apex() {
        let svc = service(
            "config service s\n option provider 'vultr'\n list hostname 'example.org'\n option token 'vu-key'\n \
             option zone 'example.org'\n option create_missing 1\n",
        );
        let list = r#"{"records":[{"id":"cb676a46-66fd-4dfb-b839-443f2e6c0b60","type":"A","name":"","data":"198.51.100.1",
            "priority":-1,"ttl":300}],"meta":{"total":1,"links":{"next":"","prev":""}}}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, list),
            Scripted::body(204, ""),
            Scripted::body(201, r#"{"record":{"id":"x"}}"#),
        ]);
        let r = Vultr.update(&job(&svc, Some("198.51.100.2"), Some("2001:db8::2")), &mut t);
        assert_eq!(t.sent[0].url, "https://api.vultr.com/v2/domains/example.org/records?per_page=500");
        assert_eq!(t.sent[1].method, Method::Patch);
        assert_eq!(
            t.sent[1].url,
            "https://api.vultr.com/v2/domains/example.org/records/cb676a46-66fd-4dfb-b839-443f2e6c0b60"
        );
        assert_eq!(t.sent[1].body.as_deref(), Some(r#"{"data":"198.51.100.2","ttl":300}"#));
        // One listing serves both families.
        assert_eq!(t.sent.len(), 3);
        assert_eq!(t.sent[2].method, Method::Post);
        assert_eq!(t.sent[2].body.as_deref(), Some(r#"{"data":"2001:db8::2","name":"","ttl":300,"type":"AAAA"}"#));
        assert!(r.iter().all(|x| x.outcome == Outcome::Updated));
        let mut t = Scripted::new(vec![Scripted::body(401, r#"{"error":"Invalid API token.","status":401}"#)]);
        let r = Vultr.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Invalid API token")));
    }
}
