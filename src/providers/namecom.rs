//! Name.com API v4 (user name and API token, basic authentication).
//! https://docs.name.com/docs/api-reference — the domain's records are listed and changed by
//! id (`PUT /v4/domains/{domain}/records/{id}`) or created. The apex is the empty host.

use super::rest::{update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::json;

pub struct NameCom;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "Name.com user name"),
    Field::required("token", FieldKind::Secret, "API token"),
    ZONE_FIELD,
    SERVER_FIELD,
];

fn basic(req: Request, job: &Job) -> Request {
    req.basic_auth(&job.account.username, job.account.token.expose())
}

impl Protocol for NameCom {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Name.com", &["/message"], basic);
        update_records(job, "Name.com", &mut Domains(api), 300, 300)
    }
}

struct Domains<'a>(Api<'a>);

fn records(name: &Name) -> String {
    format!("/v4/domains/{}/records", url_encode(name.zone))
}

fn body(name: &Name, ip: &str, ttl: u32) -> serde_json::Value {
    json!({"host": name.relative_or_empty(), "type": name.rtype, "answer": ip, "ttl": ttl})
}

impl Records for Domains<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let path = format!("{}?perPage=1000", records(name));
        let list = self.0.cached(&path, |api| api.call(Method::Get, &path, None))?;
        let host = name.relative_or_empty();
        Ok(Existing::collect(&list["records"], "id", "answer", |r| {
            r["type"] == name.rtype && r["host"].as_str().unwrap_or("") == host
        }))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        for r in super::rest::stale(found, ip) {
            self.0.call(Method::Put, &format!("{}/{}", records(name), r.id), Some(&body(name, ip, ttl)))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.0.call(Method::Post, &records(name), Some(&body(name, ip, ttl))).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn lists_then_puts_by_id_with_basic_auth() {
        let svc = service(
            "config service s\n option provider 'name.com'\n list hostname 'example.org'\n option username 'alice'\n \
             option token 'nc-tok'\n option zone 'example.org'\n option ttl 60\n",
        );
        // The apex record has no `host` field in Name.com's listing.
        let list = r#"{"records":[{"id":12345,"domainName":"example.org","fqdn":"example.org.","type":"A","answer":"198.51.100.1","ttl":300},
            {"id":12346,"domainName":"example.org","host":"www","fqdn":"www.example.org.","type":"A","answer":"198.51.100.1","ttl":300}]}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, list), Scripted::body(200, "{}")]);
        let r = NameCom.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.name.com/v4/domains/example.org/records?perPage=1000");
        let auth = format!("Basic {}", crate::encoding::base64(b"alice:nc-tok"));
        assert_eq!(t.sent[0].header_value("Authorization"), Some(auth.as_str()));
        assert_eq!(t.sent[1].method, Method::Put);
        assert_eq!(t.sent[1].url, "https://api.name.com/v4/domains/example.org/records/12345");
        // Name.com's minimum TTL is 300.
        assert_eq!(t.sent[1].body.as_deref(), Some(r#"{"answer":"198.51.100.2","host":"","ttl":300,"type":"A"}"#));
        assert_eq!(t.sent.len(), 2, "www is not touched");
        assert_eq!(r[0].outcome, Outcome::Updated);
        let mut t = Scripted::new(vec![Scripted::body(401, r#"{"message":"Unauthenticated"}"#)]);
        let r = NameCom.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Unauthenticated")));
    }
}
