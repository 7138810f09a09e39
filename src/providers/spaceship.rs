//! Spaceship DNS records API (v1) with an API key and secret.
//! https://docs.spaceship.dev/#tag/DNS-records — records of a domain are listed, and one `PUT` of
//! items with `force` per job replaces the records of each name and type it names (and creates them).
//! The apex is `@`.

use super::rest::{update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::json;

pub struct Spaceship;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API key with dnsrecords:write"),
    Field::required("password", FieldKind::Secret, "API secret"),
    ZONE_FIELD,
    SERVER_FIELD,
];

fn key_pair(req: Request, job: &Job) -> Request {
    let (key, secret) = (job.account.token.expose(), job.account.password.expose());
    req.header("X-API-Key", key).header("X-API-Secret", secret).secret(key).secret(secret)
}

impl Protocol for Spaceship {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Spaceship", &["/detail"], key_pair);
        update_records(job, "Spaceship", &mut Dns { api, items: Vec::new() }, 3600, 60)
    }
}

struct Dns<'a> {
    api: Api<'a>,
    /// Record sets of the job, sent together in one PUT.
    items: Vec<serde_json::Value>,
}

fn path(name: &Name) -> String {
    format!("/dns/records/{}", url_encode(name.zone))
}

impl Records for Dns<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let listing = format!("{}?take=500&skip=0", path(name));
        let list = self.api.cached(&listing, |api| api.call(Method::Get, &listing, None))?;
        Ok(Existing::collect(&list["items"], "address", "address", |r| {
            r["type"] == name.rtype && r["name"] == name.relative.as_str()
        }))
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.items.push(json!({"type": name.rtype, "name": name.relative, "address": ip, "ttl": ttl}));
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.replace(name, &[], ip, ttl)
    }

    fn flush(&mut self) -> Result<(), Outcome> {
        if self.items.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(&mut self.items);
        let zone = self.api.job.account.param("zone").unwrap_or("").trim_end_matches('.');
        let path = format!("/dns/records/{}", url_encode(zone));
        self.api.call(Method::Put, &path, Some(&json!({"force": true, "items": items}))).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn lists_then_puts_with_force() {
        let svc = service(
            "config service s\n option provider 'spaceship'\n list hostname 'home.example.org'\n option token 'sp-key'\n \
             option password 'sp-secret'\n option zone 'example.org'\n",
        );
        let list = r#"{"items":[{"type":"A","address":"198.51.100.1","name":"home","ttl":3600,"group":{"type":"custom"}}],"total":1}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, list), Scripted::body(204, "")]);
        let r = Spaceship.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://spaceship.dev/api/v1/dns/records/example.org?take=500&skip=0");
        assert_eq!(t.sent[0].header_value("X-API-Secret"), Some("sp-secret"));
        assert_eq!(t.sent[1].method, Method::Put);
        assert_eq!(
            t.sent[1].body.as_deref(),
            Some(r#"{"force":true,"items":[{"address":"198.51.100.2","name":"home","ttl":3600,"type":"A"}]}"#)
        );
        assert!(!t.sent[1].display_masked().contains("sp-secret"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let mut t = Scripted::new(vec![Scripted::body(401, r#"{"detail":"Invalid credentials sp-secret"}"#)]);
        let r = Spaceship.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Invalid credentials")));
        assert_no_secret(&r, "sp-secret");
    }
}
