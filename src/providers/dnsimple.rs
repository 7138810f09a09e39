//! DNSimple API v2 with an account access token.
//! https://developer.dnsimple.com/v2/zones/records/ — the account id comes from `/whoami`, then
//! records of a zone are listed by name and type, changed by id (`PATCH`) or created. The apex
//! is the empty name.

use super::rest::{bearer, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Method;
use serde_json::json;

pub struct Dnsimple;

static FIELDS: &[Field] =
    &[Field::required("token", FieldKind::Secret, "account access token"), ZONE_FIELD, SERVER_FIELD];

impl Protocol for Dnsimple {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "DNSimple", &["/message"], bearer);
        update_records(job, "DNSimple", &mut Zones { api, account: None }, 3600, 60)
    }
}

struct Zones<'a> {
    api: Api<'a>,
    account: Option<String>,
}

impl Zones<'_> {
    /// `/{account}/zones/{zone}/records`; the account is the one the token belongs to.
    fn records(&mut self, zone: &str) -> Result<String, Outcome> {
        if self.account.is_none() {
            let me = self.api.call(Method::Get, "/whoami", None)?;
            let id = me["data"]["account"]["id"].as_u64().ok_or_else(|| {
                Outcome::stop(
                    Kind::Auth,
                    "DNSimple: this token belongs to a user, not an account: use an account token",
                )
            })?;
            self.account = Some(id.to_string());
        }
        Ok(format!("/{}/zones/{}/records", self.account.as_deref().unwrap_or(""), url_encode(zone)))
    }
}

impl Records for Zones<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let records = self.records(name.zone)?;
        let path = format!("{records}?name={}&type={}", url_encode(name.relative_or_empty()), name.rtype);
        let list = self.api.call(Method::Get, &path, None)?;
        let wanted = name.relative_or_empty();
        Ok(Existing::collect(&list["data"], "id", "content", |r| r["type"] == name.rtype && r["name"] == wanted))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let records = self.records(name.zone)?;
        for r in stale(found, ip) {
            self.api.call(Method::Patch, &format!("{records}/{}", r.id), Some(&json!({"content": ip, "ttl": ttl})))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let records = self.records(name.zone)?;
        let body = json!({"name": name.relative_or_empty(), "type": name.rtype, "content": ip, "ttl": ttl});
        self.api.call(Method::Post, &records, Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn finds_the_account_then_patches_the_record() {
        let svc = service(
            "config service s\n option provider 'dnsimple'\n list hostname 'home.example.org'\n option token 'dns-tok'\n \
             option zone 'example.org'\n",
        );
        let me = r#"{"data":{"user":null,"account":{"id":1385,"email":"example-account@example.com","plan_identifier":"teams-v1-monthly"}}}"#;
        let list = r#"{"data":[{"id":64784,"zone_id":"example.org","parent_id":null,"name":"home","content":"198.51.100.1",
            "ttl":600,"priority":null,"type":"A","regions":["global"],"system_record":false}],"pagination":{"current_page":1,"per_page":30,"total_entries":1,"total_pages":1}}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, me),
            Scripted::body(200, list),
            Scripted::body(200, r#"{"data":{}}"#),
        ]);
        let r = Dnsimple.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.dnsimple.com/v2/whoami");
        assert_eq!(t.sent[1].url, "https://api.dnsimple.com/v2/1385/zones/example.org/records?name=home&type=A");
        assert_eq!(t.sent[2].method, Method::Patch);
        assert_eq!(t.sent[2].url, "https://api.dnsimple.com/v2/1385/zones/example.org/records/64784");
        assert_eq!(t.sent[2].body.as_deref(), Some(r#"{"content":"198.51.100.2","ttl":3600}"#));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let mut t = Scripted::new(vec![Scripted::body(401, r#"{"message":"Authentication failed"}"#)]);
        let r = Dnsimple.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Authentication failed")));
    }
}
