//! IONOS DNS API with an API key (`prefix.secret`).
//! https://developer.hosting.ionos.com/docs/dns — the zone's id is found by name, its records of
//! one name and type are read, then changed by id (`PUT …/records/{id}`) or created.

use super::rest::{update_records, Api, Existing, Name, Records, V1Zones};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::json;

pub struct Ionos;

static FIELDS: &[Field] =
    &[Field::required("token", FieldKind::Secret, "API key as prefix.secret"), ZONE_FIELD, SERVER_FIELD];

fn api_key(req: Request, job: &Job) -> Request {
    let key = job.account.token.expose();
    req.header("X-API-Key", key).secret(key)
}

impl Protocol for Ionos {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "IONOS", &["/0/message", "/message"], api_key);
        update_records(job, "IONOS", &mut Zones(V1Zones::new(api)), 3600, 60)
    }
}

struct Zones<'a>(V1Zones<'a>);

impl Records for Zones<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let zone = self.0.path(name.zone)?;
        let path = format!("{zone}?recordName={}&recordType={}", url_encode(&name.fqdn()), name.rtype);
        let found = self.0.api.call(Method::Get, &path, None)?;
        Ok(Existing::collect(&found["records"], "id", "content", |r| r["type"] == name.rtype))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let zone = self.0.path(name.zone)?;
        for r in super::rest::stale(found, ip) {
            let body = json!({"content": ip, "ttl": ttl});
            self.0.api.call(Method::Put, &format!("{zone}/records/{}", url_encode(&r.id)), Some(&body))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let zone = self.0.path(name.zone)?;
        let body = json!([{"name": name.fqdn(), "type": name.rtype, "content": ip, "ttl": ttl}]);
        self.0.api.call(Method::Post, &format!("{zone}/records"), Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn finds_the_zone_then_puts_the_record() {
        let svc = service(
            "config service s\n option provider 'ionos'\n list hostname 'home.example.org'\n option token 'pre.fix-secret'\n \
             option zone 'example.org'\n",
        );
        let zones = r#"[{"name":"example.org","id":"11af3414-ebba-11e9-8df5-66fbe8a334b4","type":"NATIVE"}]"#;
        let zone = r#"{"name":"example.org","id":"11af3414-ebba-11e9-8df5-66fbe8a334b4","type":"NATIVE","records":[
            {"name":"home.example.org","rootName":"example.org","type":"A","content":"198.51.100.1","ttl":3600,"prio":0,"disabled":false,"id":"22af3414-abbe-9e11-5df5-66fbe8e334b4"}]}"#;
        let mut t =
            Scripted::new(vec![Scripted::body(200, zones), Scripted::body(200, zone), Scripted::body(200, "{}")]);
        let r = Ionos.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.hosting.ionos.com/dns/v1/zones");
        assert_eq!(t.sent[0].header_value("X-API-Key"), Some("pre.fix-secret"));
        assert_eq!(
            t.sent[1].url,
            "https://api.hosting.ionos.com/dns/v1/zones/11af3414-ebba-11e9-8df5-66fbe8a334b4?recordName=home.example.org&recordType=A"
        );
        assert_eq!(t.sent[2].method, Method::Put);
        assert!(t.sent[2].url.ends_with("/records/22af3414-abbe-9e11-5df5-66fbe8e334b4"));
        assert_eq!(t.sent[2].body.as_deref(), Some(r#"{"content":"198.51.100.2","ttl":3600}"#));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let mut t = Scripted::new(vec![Scripted::body(
            401,
            r#"[{"code":"UNAUTHORIZED","message":"The customer is not authorized to do this operation."}]"#,
        )]);
        let r = Ionos.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("not authorized")));
    }
}
