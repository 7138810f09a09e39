//! DreamHost API with an API key allowed the dns-* commands.
//! https://help.dreamhost.com/hc/en-us/articles/217560167-API_overview — GETs with `key`, `cmd`
//! and `format=json`; `result` is "success" or "error". Records cannot be edited: the new value
//! is added first, then the old ones are removed, so the name never goes without a record.

use super::rest::{remember, secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Request;
use serde_json::Value;

pub struct DreamHost;

static FIELDS: &[Field] = &[
    Field::required(
        "token",
        FieldKind::Secret,
        "API key with the dns-list_records, dns-add_record and dns-remove_record functions",
    ),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for DreamHost {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "DreamHost", &["/data"], secrets_only);
        update_records(job, "DreamHost", &mut Commands(api), 0, 0)
    }
}

struct Commands<'a>(Api<'a>);

impl Commands<'_> {
    fn call(&mut self, cmd: &str, params: &[(&str, &str)]) -> Result<Value, Outcome> {
        let key = url_encode(self.0.job.account.token.expose());
        let mut query = format!("key={key}&cmd={cmd}&format=json&unique_id={}", super::sign::nonce());
        for (k, v) in params {
            query.push_str(&format!("&{k}={}", url_encode(v)));
        }
        let answer = self.0.send(secrets_only(Request::get(format!("{}/?{query}", self.0.base())), self.0.job))?;
        if answer["result"] == "success" {
            return Ok(answer["data"].clone());
        }
        let why = answer["data"].as_str().unwrap_or("no reason given");
        Err(match why {
            "invalid_api_key" | "this_key_cannot_access_this_cmd" => {
                Outcome::stop(Kind::Auth, format!("DreamHost refused the API key ({why})"))
            }
            "slow_down_bucko" => Outcome::retry(Kind::RateLimited, "DreamHost: too many requests"),
            _ => Outcome::stop(Kind::ProviderError, format!("DreamHost {cmd}: {why}")),
        })
    }
}

impl Records for Commands<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let list = remember(self, |s| &mut s.0.cache, "dns-list_records", |s| s.call("dns-list_records", &[]))?;
        let fqdn = name.fqdn();
        Ok(Existing::collect(&list, "value", "value", |r| r["type"] == name.rtype && r["record"] == fqdn.as_str()))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        if !found.iter().any(|r| r.value == ip) {
            self.create(name, ip, ttl)?;
        }
        let fqdn = name.fqdn();
        for r in stale(found, ip) {
            self.call("dns-remove_record", &[("record", &fqdn), ("type", name.rtype), ("value", &r.value)])?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, _ttl: u32) -> Result<(), Outcome> {
        self.call("dns-add_record", &[("record", &name.fqdn()), ("type", name.rtype), ("value", ip)]).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn adds_the_new_value_before_removing_the_old() {
        let svc = service(
            "config service s\n option provider 'dreamhost'\n list hostname 'home.example.org'\n option token 'DH6KEY'\n \
             option zone 'example.org'\n",
        );
        let list = r#"{"result":"success","data":[{"account_id":"1","zone":"example.org","record":"home.example.org","type":"A","value":"198.51.100.1","comment":"","editable":"1"}]}"#;
        let ok = r#"{"result":"success","data":"record_added"}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, list), Scripted::body(200, ok), Scripted::body(200, ok)]);
        let r = DreamHost.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(t.sent[0]
            .url
            .starts_with("https://api.dreamhost.com/?key=DH6KEY&cmd=dns-list_records&format=json&unique_id="));
        assert!(
            t.sent[1].url.contains("cmd=dns-add_record")
                && t.sent[1].url.ends_with("&record=home.example.org&type=A&value=198.51.100.2")
        );
        assert!(t.sent[2].url.contains("cmd=dns-remove_record") && t.sent[2].url.ends_with("&value=198.51.100.1"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        assert!(!t.sent[0].display_masked().contains("DH6KEY"));
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"result":"error","data":"invalid_api_key"}"#)]);
        let r = DreamHost.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("refused the API key")));
        assert_no_secret(&r, "DH6KEY");
    }
}
