//! Hetzner DNS on the Hetzner Cloud API (zones moved there from dns.hetzner.com in 2025).
//! https://docs.hetzner.cloud/reference/cloud#tag/zone-rrsets
//!
//! RRsets are addressed by zone (name or id), relative name and type:
//! `GET /zones/{zone}/rrsets/{name}/{type}`, `POST …/actions/set_records` to replace the values,
//! `POST /zones/{zone}/rrsets` to create one.

use super::rest::{bearer, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Method;
use serde_json::json;

pub struct Hetzner;

static FIELDS: &[Field] = &[
    Field::required(
        "token",
        FieldKind::Secret,
        "Hetzner Cloud API token (read & write) of the project holding the zone",
    ),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for Hetzner {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Hetzner", &["/error/message"], bearer);
        update_records(job, "Hetzner", &mut Rrsets(api), 3600, 60)
    }
}

struct Rrsets<'a>(Api<'a>);

fn path(name: &Name) -> String {
    format!("/zones/{}/rrsets/{}/{}", url_encode(name.zone), url_encode(&name.relative), name.rtype)
}

impl Records for Rrsets<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let rrset = self.0.get_optional(&path(name))?.unwrap_or_default();
        Ok(Existing::collect(&rrset["rrset"]["records"], "value", "value", |_| true))
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, _ttl: u32) -> Result<(), Outcome> {
        let body = json!({"records": [{"value": ip}]});
        self.0.call(Method::Post, &format!("{}/actions/set_records", path(name)), Some(&body)).map(drop)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"name": name.relative, "type": name.rtype, "ttl": ttl, "records": [{"value": ip}]});
        self.0.call(Method::Post, &format!("/zones/{}/rrsets", url_encode(name.zone)), Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};
    use serde_json::Value;

    fn svc(extra: &str) -> crate::config::Service {
        service(&format!(
            "config service s\n option provider 'hetzner'\n list hostname 'home.example.org'\n option token 'hc-tok'\n \
             option zone 'example.org'\n{extra}"
        ))
    }

    #[test]
    fn reads_the_rrset_and_sets_its_records() {
        let svc = svc("");
        // The shape of `GET /zones/{id_or_name}/rrsets/{name}/{type}` in the API reference.
        let rrset = r#"{"rrset":{"id":"home/A","name":"home","type":"A","ttl":3600,"labels":{},
            "protection":{"change":false},"records":[{"value":"198.51.100.1","comment":null}],"zone":42}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, rrset), Scripted::body(201, r#"{"action":{"id":1}}"#)]);
        let r = Hetzner.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.hetzner.cloud/v1/zones/example.org/rrsets/home/A");
        assert_eq!(t.sent[0].header_value("Authorization"), Some("Bearer hc-tok"));
        assert_eq!(t.sent[1].url, "https://api.hetzner.cloud/v1/zones/example.org/rrsets/home/A/actions/set_records");
        let body: Value = serde_json::from_str(t.sent[1].body.as_deref().unwrap()).unwrap();
        assert_eq!(body, json!({"records": [{"value": "198.51.100.2"}]}));
        assert_eq!(r[0].outcome, Outcome::Updated);
    }

    #[test]
    fn a_missing_rrset_is_created_only_when_asked() {
        let missing = r#"{"error":{"code":"not_found","message":"rrset not found","details":{}}}"#;
        let mut t = Scripted::new(vec![Scripted::body(404, missing)]);
        let r = Hetzner.update(&job(&svc(""), None, Some("2001:db8::7")), &mut t);
        assert!(
            matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("AAAA record home.example.org"))
        );
        let svc = svc(" option create_missing 1\n option ttl 120\n");
        let mut t = Scripted::new(vec![Scripted::body(404, missing), Scripted::body(201, "{}")]);
        let r = Hetzner.update(&job(&svc, None, Some("2001:db8::7")), &mut t);
        assert_eq!(t.sent[1].url, "https://api.hetzner.cloud/v1/zones/example.org/rrsets");
        let body: Value = serde_json::from_str(t.sent[1].body.as_deref().unwrap()).unwrap();
        assert_eq!(body, json!({"name": "home", "type": "AAAA", "ttl": 120, "records": [{"value": "2001:db8::7"}]}));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let denied = r#"{"error":{"code":"unauthorized","message":"unable to authenticate hc-tok"}}"#;
        let mut t = Scripted::new(vec![Scripted::body(401, denied)]);
        let r = Hetzner.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("unable to authenticate")));
        assert_no_secret(&r, "hc-tok");
    }
}
