//! Scaleway Domains and DNS (API v2beta1) with an API secret key.
//! https://www.scaleway.com/en/developers/api/domains-and-dns/ — records are listed by name and
//! type; one `PATCH /dns-zones/{zone}/records` carries the job's changes (a `set` change replaces
//! a name and type, an `add` change creates one). The apex is the empty name.

use super::rest::{update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Scaleway;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API secret key with DomainsDNSFullAccess"),
    Field::required("zone", FieldKind::Text, "the DNS zone the hostnames are in, e.g. example.org"),
    SERVER_FIELD,
];

fn auth_token(req: Request, job: &Job) -> Request {
    let key = job.account.token.expose();
    req.header("X-Auth-Token", key).secret(key)
}

impl Protocol for Scaleway {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Scaleway", &["/message"], auth_token);
        update_records(job, "Scaleway", &mut Zones { api, changes: Vec::new() }, 300, 60)
    }
}

struct Zones<'a> {
    api: Api<'a>,
    /// Changes of the job, sent together in one PATCH.
    changes: Vec<Value>,
}

fn record(name: &Name, ip: &str, ttl: u32) -> Value {
    json!({"name": name.relative_or_empty(), "type": name.rtype, "data": ip, "ttl": ttl})
}

impl Records for Zones<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let path = format!(
            "/dns-zones/{}/records?name={}&type={}",
            url_encode(name.zone),
            url_encode(name.relative_or_empty()),
            name.rtype
        );
        let list = self.api.call(Method::Get, &path, None)?;
        let wanted = Value::from(name.relative_or_empty());
        Ok(Existing::collect(&list["records"], "id", "data", |r| r["type"] == name.rtype && r["name"] == wanted))
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let id_fields = json!({"name": name.relative_or_empty(), "type": name.rtype});
        self.changes.push(json!({"set": {"id_fields": id_fields, "records": [record(name, ip, ttl)]}}));
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.changes.push(json!({"add": {"records": [record(name, ip, ttl)]}}));
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Outcome> {
        if self.changes.is_empty() {
            return Ok(());
        }
        let changes = std::mem::take(&mut self.changes);
        let zone = self.api.job.account.param("zone").unwrap_or("").trim_end_matches('.');
        let path = format!("/dns-zones/{}/records", url_encode(zone));
        self.api.call(Method::Patch, &path, Some(&json!({ "changes": changes }))).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn lists_by_name_and_type_then_sets_the_records() {
        let svc = service(
            "config service s\n option provider 'scaleway'\n list hostname 'home.example.org'\n option token 'scw-secret'\n \
             option zone 'example.org'\n option create_missing 1\n",
        );
        let list = r#"{"records":[{"id":"f3c8a0e1","data":"198.51.100.1","name":"home","priority":0,"ttl":300,"type":"A","comment":null}],"total_count":1}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, list),
            Scripted::body(200, r#"{"records":[],"total_count":0}"#),
            Scripted::body(200, r#"{"records":[]}"#),
        ]);
        let r = Scaleway.update(&job(&svc, Some("198.51.100.2"), Some("2001:db8::2")), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://api.scaleway.com/domain/v2beta1/dns-zones/example.org/records?name=home&type=A"
        );
        assert_eq!(t.sent[0].header_value("X-Auth-Token"), Some("scw-secret"));
        // Both families in one PATCH: a set for the A record, an add for the missing AAAA.
        assert_eq!(t.sent.len(), 3);
        assert_eq!(t.sent[2].method, Method::Patch);
        let body: serde_json::Value = serde_json::from_str(t.sent[2].body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body["changes"][0],
            json!({"set": {"id_fields": {"name": "home", "type": "A"},
                   "records": [{"name": "home", "type": "A", "data": "198.51.100.2", "ttl": 300}]}})
        );
        assert_eq!(body["changes"][1]["add"]["records"][0]["type"], "AAAA");
        assert!(r.iter().all(|x| x.outcome == Outcome::Updated));
    }
}
