//! dynv6's REST API (v2) with an HTTP token.
//! https://dynv6.github.io/api-spec/ — the zone is found by name; its apex addresses are the
//! zone's own `ipv4address` / `ipv6prefix` (changed with `PATCH /zones/{id}`), other names are
//! records listed, patched by id or created.

use super::rest::{bearer, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD};
use crate::encoding::url_encode;
use crate::http::Method;
use serde_json::{json, Value};

pub struct Dynv6Api;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "HTTP token (not the update token of the update URL)"),
    Field::required("zone", FieldKind::Text, "the zone, e.g. myhome.dynv6.net"),
    SERVER_FIELD,
];

impl Protocol for Dynv6Api {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "dynv6", &["/error", "/message"], bearer);
        update_records(job, "dynv6", &mut Zones { api, zone: None }, 60, 0)
    }
}

struct Zones<'a> {
    api: Api<'a>,
    zone: Option<Value>,
}

/// The zone field holding the apex address of a family.
fn apex_field(rtype: &str) -> &'static str {
    if rtype == "AAAA" {
        "ipv6prefix"
    } else {
        "ipv4address"
    }
}

impl Zones<'_> {
    fn zone(&mut self, name: &str) -> Result<Value, Outcome> {
        if self.zone.is_none() {
            self.zone = Some(self.api.call(Method::Get, &format!("/zones/by-name/{}", url_encode(name)), None)?);
        }
        Ok(self.zone.clone().unwrap_or_default())
    }

    fn zone_path(&mut self, name: &str) -> Result<String, Outcome> {
        Ok(format!("/zones/{}", self.zone(name)?["id"]))
    }
}

impl Records for Zones<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        if name.relative == "@" {
            let value = self.zone(name.zone)?[apex_field(name.rtype)].as_str().unwrap_or("").to_string();
            return Ok(if value.is_empty() { vec![] } else { vec![Existing { id: String::new(), value }] });
        }
        let zone = self.zone_path(name.zone)?;
        let path = format!("{zone}/records");
        let list = self.api.cached(&path, |api| api.call(Method::Get, &path, None))?;
        Ok(Existing::collect(&list, "id", "data", |r| r["type"] == name.rtype && r["name"] == name.relative.as_str()))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        if name.relative == "@" {
            return self.create(name, ip, ttl);
        }
        let zone = self.zone_path(name.zone)?;
        for r in stale(found, ip) {
            self.api.call(Method::Patch, &format!("{zone}/records/{}", r.id), Some(&json!({"data": ip})))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, _ttl: u32) -> Result<(), Outcome> {
        let zone = self.zone_path(name.zone)?;
        if name.relative == "@" {
            let body = json!({ apex_field(name.rtype): ip });
            return self.api.call(Method::Patch, &zone, Some(&body)).map(drop);
        }
        let body = json!({"type": name.rtype, "name": name.relative, "data": ip});
        self.api.call(Method::Post, &format!("{zone}/records"), Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn apex_through_the_zone_and_names_through_records() {
        let svc = service(
            "config service s\n option provider 'dynv6-api'\n list hostname 'myhome.dynv6.net'\n list hostname 'nas.myhome.dynv6.net'\n \
             option token 'dv-tok'\n option zone 'myhome.dynv6.net'\n",
        );
        let zone = r#"{"id":4711,"name":"myhome.dynv6.net","ipv4address":"198.51.100.1","ipv6prefix":"","createdAt":"x","updatedAt":"y"}"#;
        let records = r#"[{"type":"A","name":"nas","data":"198.51.100.2","id":88,"zoneID":4711}]"#;
        let mut t =
            Scripted::new(vec![Scripted::body(200, zone), Scripted::body(200, "{}"), Scripted::body(200, records)]);
        let r = Dynv6Api.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://dynv6.com/api/v2/zones/by-name/myhome.dynv6.net");
        assert_eq!(t.sent[0].header_value("Authorization"), Some("Bearer dv-tok"));
        assert_eq!(t.sent[1].method, Method::Patch);
        assert_eq!(t.sent[1].url, "https://dynv6.com/api/v2/zones/4711");
        assert_eq!(t.sent[1].body.as_deref(), Some(r#"{"ipv4address":"198.51.100.2"}"#));
        assert_eq!(t.sent[2].url, "https://dynv6.com/api/v2/zones/4711/records");
        assert_eq!((r[0].outcome.label(), r[1].outcome.label()), ("updated", "unchanged"));
    }
}
