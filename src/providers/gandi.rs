//! Gandi LiveDNS (API v5) with a personal access token.
//! https://api.gandi.net/docs/livedns/ — `GET/PUT /livedns/domains/{fqdn}/records/{name}/{type}`
//!
//! Per hostname and family: read the RRset, and replace it (PUT `rrset_values`, `rrset_ttl`)
//! only when it differs. A missing RRset is created only with `create_missing`.

use super::rest::{bearer, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Method;
use serde_json::json;

pub struct Gandi;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "personal access token with the LiveDNS permission"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for Gandi {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Gandi", &["/message"], bearer);
        update_records(job, "Gandi", &mut LiveDns(api), 300, 300)
    }
}

struct LiveDns<'a>(Api<'a>);

fn path(name: &Name) -> String {
    format!("/domains/{}/records/{}/{}", url_encode(name.zone), url_encode(&name.relative), name.rtype)
}

impl Records for LiveDns<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let rrset = self.0.get_optional(&path(name))?.unwrap_or_default();
        Ok(Existing::values(&rrset["rrset_values"]))
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.0.call(Method::Put, &path(name), Some(&json!({"rrset_values": [ip], "rrset_ttl": ttl}))).map(drop)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.replace(name, &[], ip, ttl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, labels, service, Scripted, Update};

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
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("create_missing")));
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
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("not inside")));
    }
}
