//! Linode (Akamai) Domains API v4 with a personal access token.
//! https://techdocs.akamai.com/linode-api/reference/get-domains — the domain's id is found by
//! name (`X-Filter`), then its records are listed, updated (`PUT …/records/{id}`, `target`) or
//! created. The apex is the empty name.

use super::rest::{bearer, update_records, Api, Existing, Name, Records, ZoneId};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Linode;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "personal access token with Domains read/write"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for Linode {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Linode", &["/errors/0/reason"], bearer);
        update_records(job, "Linode", &mut Domains { api, domain: ZoneId::default() }, 300, 0)
    }
}

struct Domains<'a> {
    api: Api<'a>,
    domain: ZoneId,
}

impl Domains<'_> {
    /// `/domains/{id}`: the domain is found by name with a filter on the listing.
    fn domain(&mut self, zone: &str) -> Result<String, Outcome> {
        let list = |api: &mut Api| {
            let req = Request::new(Method::Get, format!("{}/domains", api.base()))
                .header("X-Filter", json!({"domain": zone}).to_string());
            api.send((api.auth)(req, api.job))
        };
        Ok(format!("/domains/{}", self.domain.get(&mut self.api, zone, list, ("/data", "domain"))?))
    }
}

impl Records for Domains<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let domain = self.domain(name.zone)?;
        let path = format!("{domain}/records?page_size=500");
        let list = self.api.cached(&path, |api| api.call(Method::Get, &path, None))?;
        let wanted = Value::from(name.relative_or_empty());
        Ok(Existing::collect(&list["data"], "id", "target", |r| r["type"] == name.rtype && r["name"] == wanted))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let domain = self.domain(name.zone)?;
        for r in super::rest::stale(found, ip) {
            let body = json!({"target": ip, "ttl_sec": ttl});
            self.api.call(Method::Put, &format!("{domain}/records/{}", r.id), Some(&body))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let domain = self.domain(name.zone)?;
        let body = json!({"type": name.rtype, "name": name.relative_or_empty(), "target": ip, "ttl_sec": ttl});
        self.api.call(Method::Post, &format!("{domain}/records"), Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn finds_the_domain_then_updates_the_record_by_id() {
        let svc = service(
            "config service s\n option provider 'linode'\n list hostname 'home.example.org'\n list hostname 'nas.example.org'\n \
             option token 'li-tok'\n option zone 'example.org'\n",
        );
        let mut t = Scripted::new(vec![
            Scripted::body(
                200,
                r#"{"data":[{"id":1234,"domain":"example.org","type":"master"}],"page":1,"pages":1,"results":1}"#,
            ),
            Scripted::body(
                200,
                r#"{"data":[{"id":11,"name":"home","type":"A","target":"198.51.100.1","ttl_sec":300},
                {"id":12,"name":"nas","type":"A","target":"198.51.100.2","ttl_sec":300},
                {"id":13,"name":"home","type":"AAAA","target":"2001:db8::1","ttl_sec":300}],"page":1,"pages":1}"#,
            ),
            Scripted::body(200, r#"{"id":11}"#),
        ]);
        let r = Linode.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.linode.com/v4/domains");
        assert_eq!(t.sent[0].header_value("X-Filter"), Some(r#"{"domain":"example.org"}"#));
        assert_eq!(t.sent[1].url, "https://api.linode.com/v4/domains/1234/records?page_size=500");
        assert_eq!(t.sent[2].method, Method::Put);
        assert_eq!(t.sent[2].url, "https://api.linode.com/v4/domains/1234/records/11");
        assert_eq!(t.sent[2].body.as_deref(), Some(r#"{"target":"198.51.100.2","ttl_sec":300}"#));
        // The domain id and the records are read once per job, for both hostnames.
        assert_eq!(t.sent.len(), 3);
        assert_eq!((r[0].outcome.label(), r[1].outcome.label()), ("updated", "unchanged"));

        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"data":[],"page":1,"pages":1,"results":0}"#)]);
        let r = Linode.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("no zone example.org")));
        let mut t = Scripted::new(vec![Scripted::body(401, r#"{"errors":[{"reason":"Invalid Token"}]}"#)]);
        let r = Linode.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Invalid Token")));
    }
}
