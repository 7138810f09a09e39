//! LuaDNS REST API v1 (account e-mail and API key, basic authentication).
//! https://www.luadns.com/api.html — the zone's id is found by name, its records are listed
//! (names are fully qualified with the final dot), changed by id or created.

use super::rest::{update_records, Api, Existing, Name, Records, V1Zones};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::http::{Method, Request};
use serde_json::json;

pub struct LuaDns;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "account e-mail address"),
    Field::required("token", FieldKind::Secret, "API key"),
    ZONE_FIELD,
    SERVER_FIELD,
];

fn basic(req: Request, job: &Job) -> Request {
    req.basic_auth(&job.account.username, job.account.token.expose()).header("Accept", "application/json")
}

impl Protocol for LuaDns {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "LuaDNS", &["/message"], basic);
        update_records(job, "LuaDNS", &mut Zones(V1Zones::new(api)), 300, 60)
    }
}

struct Zones<'a>(V1Zones<'a>);

fn body(name: &Name, ip: &str, ttl: u32) -> serde_json::Value {
    json!({"name": format!("{}.", name.fqdn()), "type": name.rtype, "content": ip, "ttl": ttl})
}

impl Records for Zones<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let zone = self.0.path(name.zone)?;
        let path = format!("{zone}/records");
        let list = self.0.api.cached(&path, |api| api.call(Method::Get, &path, None))?;
        let fqdn = format!("{}.", name.fqdn());
        Ok(Existing::collect(&list, "id", "content", |r| r["type"] == name.rtype && r["name"] == fqdn.as_str()))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let zone = self.0.path(name.zone)?;
        for r in super::rest::stale(found, ip) {
            self.0.api.call(Method::Put, &format!("{zone}/records/{}", r.id), Some(&body(name, ip, ttl)))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let zone = self.0.path(name.zone)?;
        self.0.api.call(Method::Post, &format!("{zone}/records"), Some(&body(name, ip, ttl))).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn finds_the_zone_and_matches_fully_qualified_names() {
        let svc = service(
            "config service s\n option provider 'luadns'\n list hostname 'home.example.org'\n option username 'joe@example.org'\n \
             option token 'lua-key'\n option zone 'example.org'\n",
        );
        let records = r#"[{"id":100,"name":"home.example.org.","type":"A","content":"198.51.100.1","ttl":300,"zone_id":5},
            {"id":101,"name":"example.org.","type":"A","content":"198.51.100.9","ttl":300,"zone_id":5}]"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, r#"[{"id":5,"name":"example.org","records":null}]"#),
            Scripted::body(200, records),
            Scripted::body(200, "{}"),
        ]);
        let r = LuaDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[1].url, "https://api.luadns.com/v1/zones/5/records");
        assert_eq!(t.sent[1].header_value("Accept"), Some("application/json"));
        assert_eq!(t.sent[2].url, "https://api.luadns.com/v1/zones/5/records/100");
        assert_eq!(
            t.sent[2].body.as_deref(),
            Some(r#"{"content":"198.51.100.2","name":"home.example.org.","ttl":300,"type":"A"}"#)
        );
        assert_eq!(r[0].outcome, Outcome::Updated);
    }
}
