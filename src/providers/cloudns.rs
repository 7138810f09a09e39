//! ClouDNS API with an API user (auth-id or sub-auth-id) and its password.
//! https://www.cloudns.net/wiki/article/41/ — GETs with the credentials in the query; the
//! answer's `status` is "Success" or "Failed" with `statusDescription`, whatever the HTTP
//! status. `records.json` by host and type, `mod-record.json` by id, `add-record.json`. The
//! apex is the empty host. TTLs are one of ClouDNS's fixed values.

use super::rest::{secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Request;
use serde_json::Value;

pub struct ClouDns;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "API user auth-id (or sub-auth-id for a sub-user)"),
    Field::required("password", FieldKind::Secret, "API user password"),
    ZONE_FIELD,
    SERVER_FIELD,
];

/// The TTLs ClouDNS accepts; a wish is rounded up to the next one.
const TTLS: &[u32] = &[60, 300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 2592000];

impl Protocol for ClouDns {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "ClouDNS", &["/statusDescription"], secrets_only);
        update_records(job, "ClouDNS", &mut Json(api), 3600, 60)
    }
}

struct Json<'a>(Api<'a>);

impl Json<'_> {
    fn call(&mut self, method: &str, params: &[(&str, &str)]) -> Result<Value, Outcome> {
        let svc = self.0.job.account;
        // A sub-user's id is numeric too; ClouDNS tells them apart by the parameter name only
        // when asked with `sub-auth-id`, so a leading "sub:" selects it.
        let (id_param, id) = match svc.username.strip_prefix("sub:") {
            Some(sub) => ("sub-auth-id", sub),
            None => ("auth-id", svc.username.as_str()),
        };
        let mut query = format!("{id_param}={}&auth-password={}", url_encode(id), url_encode(svc.password.expose()));
        for (k, v) in params {
            query.push_str(&format!("&{k}={}", url_encode(v)));
        }
        let answer =
            self.0.send(secrets_only(Request::get(format!("{}/dns/{method}?{query}", self.0.base())), self.0.job))?;
        if answer["status"] != "Failed" {
            return Ok(answer);
        }
        let why = answer["statusDescription"].as_str().unwrap_or("no description");
        Err(if why.contains("auth") || why.contains("password") {
            Outcome::stop(Kind::Auth, format!("ClouDNS refused the API user: {why}"))
        } else {
            Outcome::stop(Kind::ProviderError, format!("ClouDNS {method}: {why}"))
        })
    }
}

fn ttl_of(ttl: u32) -> String {
    TTLS.iter().find(|t| **t >= ttl).unwrap_or(&TTLS[TTLS.len() - 1]).to_string()
}

impl Records for Json<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let host = name.relative_or_empty();
        let list = self.call("records.json", &[("domain-name", name.zone), ("host", host), ("type", name.rtype)])?;
        // An object keyed by record id, or an empty array when there are none.
        let records: Vec<Value> = list.as_object().map(|o| o.values().cloned().collect()).unwrap_or_default();
        Ok(Existing::collect(&Value::Array(records), "id", "record", |r| r["type"] == name.rtype && r["host"] == host))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl_of(ttl);
        for r in stale(found, ip) {
            let params = [
                ("domain-name", name.zone),
                ("record-id", r.id.as_str()),
                ("host", name.relative_or_empty()),
                ("record", ip),
                ("ttl", &ttl),
            ];
            self.call("mod-record.json", &params)?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl_of(ttl);
        let params = [
            ("domain-name", name.zone),
            ("record-type", name.rtype),
            ("host", name.relative_or_empty()),
            ("record", ip),
            ("ttl", &ttl),
        ];
        self.call("add-record.json", &params).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn finds_by_host_and_type_then_modifies_by_id() {
        let svc = service(
            "config service s\n option provider 'cloudns'\n list hostname 'home.example.org'\n option username '1234'\n \
             option password 'cl-pass'\n option zone 'example.org'\n option ttl 600\n",
        );
        let list = r#"{"7215":{"id":"7215","type":"A","host":"home","record":"198.51.100.1","failover":"0","ttl":"3600","status":1}}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, list),
            Scripted::body(200, r#"{"status":"Success","statusDescription":"The record was modified successfully."}"#),
        ]);
        let r = ClouDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://api.cloudns.net/dns/records.json?auth-id=1234&auth-password=cl-pass&domain-name=example.org&host=home&type=A"
        );
        assert_eq!(
            t.sent[1].url,
            "https://api.cloudns.net/dns/mod-record.json?auth-id=1234&auth-password=cl-pass&domain-name=example.org&record-id=7215&host=home&record=198.51.100.2&ttl=900"
        );
        assert!(!t.sent[1].display_masked().contains("cl-pass"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let mut t = Scripted::new(vec![Scripted::body(200, "[]")]);
        let r = ClouDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("create_missing")));
        let denied =
            r#"{"status":"Failed","statusDescription":"Invalid authentication, incorrect auth-id or auth-password."}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, denied)]);
        let r = ClouDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("refused the API user")));
        assert_no_secret(&r, "cl-pass");
    }
}
