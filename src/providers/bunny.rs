//! bunny.net DNS with an account API key.
//! https://docs.bunny.net/reference/dnszonepublic_index — the zone is found by domain in the
//! zone list (which carries its records; record types are numbers: 0 = A, 1 = AAAA), a record
//! is updated with `POST /dnszone/{zone}/records/{id}` or added with `PUT /dnszone/{zone}/records`.
//! The apex is the empty name.

use super::rest::{stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Bunny;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "account API key"),
    Field::required("zone", FieldKind::Text, "the DNS zone's domain, e.g. example.org"),
    SERVER_FIELD,
];

fn access_key(req: Request, job: &Job) -> Request {
    let key = job.account.token.expose();
    req.header("AccessKey", key).secret(key)
}

impl Protocol for Bunny {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "bunny.net", &["/Message"], access_key);
        update_records(job, "bunny.net", &mut Zones { api, zone: None }, 300, 15)
    }
}

struct Zones<'a> {
    api: Api<'a>,
    /// The zone as listed, records included.
    zone: Option<Value>,
}

fn type_code(rtype: &str) -> u64 {
    if rtype == "AAAA" {
        1
    } else {
        0
    }
}

impl Zones<'_> {
    fn zone(&mut self, domain: &str, fresh: bool) -> Result<Value, Outcome> {
        if fresh || self.zone.is_none() {
            let list =
                self.api.call(Method::Get, &format!("/dnszone?search={}&perPage=1000", url_encode(domain)), None)?;
            let items = list["Items"].as_array().cloned().unwrap_or_default();
            let zone = items.into_iter().find(|z| z["Domain"] == domain);
            self.zone = Some(zone.ok_or_else(|| {
                Outcome::stop(Kind::NoSuchRecord, format!("bunny.net has no DNS zone {domain} on this account"))
            })?);
        }
        Ok(self.zone.clone().unwrap_or_default())
    }
}

impl Records for Zones<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let zone = self.zone(name.zone, false)?;
        let (code, host) = (type_code(name.rtype), name.relative_or_empty());
        Ok(Existing::collect(&zone["Records"], "Id", "Value", |r| r["Type"] == code && r["Name"] == host))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let id = self.zone(name.zone, false)?["Id"].clone();
        for r in stale(found, ip) {
            let body = json!({"Value": ip, "Ttl": ttl});
            self.api.call(Method::Post, &format!("/dnszone/{id}/records/{}", r.id), Some(&body))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let id = self.zone(name.zone, false)?["Id"].clone();
        let body = json!({"Type": type_code(name.rtype), "Name": name.relative_or_empty(), "Value": ip, "Ttl": ttl});
        self.api.call(Method::Put, &format!("/dnszone/{id}/records"), Some(&body))?;
        // The cached listing no longer shows every record.
        self.zone(name.zone, true).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn finds_the_zone_then_updates_by_record_id() {
        let svc = service(
            "config service s\n option provider 'bunny'\n list hostname 'home.example.org'\n option token 'bn-key'\n \
             option zone 'example.org'\n",
        );
        let zones = r#"{"Items":[{"Id":4711,"Domain":"example.org","Records":[
            {"Id":12,"Type":0,"Ttl":300,"Value":"198.51.100.1","Name":"home","Weight":0,"Priority":0,"Port":0},
            {"Id":13,"Type":1,"Ttl":300,"Value":"2001:db8::1","Name":"home"}]}],"CurrentPage":1,"TotalItems":1,"HasMoreItems":false}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, zones), Scripted::body(204, "")]);
        let r = Bunny.update(&job(&svc, Some("198.51.100.2"), Some("2001:db8::1")), &mut t);
        assert_eq!(t.sent[0].url, "https://api.bunny.net/dnszone?search=example.org&perPage=1000");
        assert_eq!(t.sent[0].header_value("AccessKey"), Some("bn-key"));
        assert_eq!(t.sent[1].method, Method::Post);
        assert_eq!(t.sent[1].url, "https://api.bunny.net/dnszone/4711/records/12");
        assert_eq!(t.sent[1].body.as_deref(), Some(r#"{"Ttl":300,"Value":"198.51.100.2"}"#));
        assert_eq!((r[0].outcome.label(), r[1].outcome.label()), ("updated", "unchanged"));
        assert_eq!(t.sent.len(), 2, "the zone listing is read once");
    }
}
