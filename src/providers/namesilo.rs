//! NameSilo API (version 1, JSON) with an API key.
//! https://www.namesilo.com/api-reference — GETs with the key in the query; `reply.code` 300 is
//! success whatever the HTTP status. `dnsListRecords` of the domain, `dnsUpdateRecord` by
//! `rrid`, `dnsAddRecord`; hosts are given relative to the domain (empty for the apex).

use super::rest::{remember, secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Request;
use serde_json::Value;

pub struct NameSilo;

static FIELDS: &[Field] = &[Field::required("token", FieldKind::Secret, "API key"), ZONE_FIELD, SERVER_FIELD];

impl Protocol for NameSilo {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "NameSilo", &["/reply/detail"], secrets_only);
        // NameSilo's minimum TTL is 3600.
        update_records(job, "NameSilo", &mut Operations(api), 3600, 3600)
    }
}

struct Operations<'a>(Api<'a>);

impl Operations<'_> {
    fn call(&mut self, operation: &str, params: &[(&str, &str)]) -> Result<Value, Outcome> {
        let mut query = format!("version=1&type=json&key={}", url_encode(self.0.job.account.token.expose()));
        for (k, v) in params {
            query.push_str(&format!("&{k}={}", url_encode(v)));
        }
        let req = secrets_only(Request::get(format!("{}/{operation}?{query}", self.0.base())), self.0.job);
        let answer = self.0.send(req)?;
        let reply = &answer["reply"];
        let code = reply["code"].as_u64().or_else(|| reply["code"].as_str().and_then(|c| c.parse().ok()));
        let detail = reply["detail"].as_str().unwrap_or("no detail");
        match code {
            Some(300) => Ok(reply.clone()),
            // 110: invalid key; 112/113: API access not allowed (IP or account).
            Some(c @ (110 | 112 | 113)) => {
                Err(Outcome::stop(Kind::Auth, format!("NameSilo refused the key ({c}: {detail})")))
            }
            None => Err(Outcome::retry(Kind::MalformedAnswer, "NameSilo answered without a reply code")),
            Some(c) => Err(Outcome::stop(Kind::ProviderError, format!("NameSilo {operation}: {detail} (code {c})"))),
        }
    }
}

impl Records for Operations<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let reply = remember(
            self,
            |s| &mut s.0.cache,
            "dnsListRecords",
            |s| s.call("dnsListRecords", &[("domain", name.zone)]),
        )?;
        let fqdn = name.fqdn();
        Ok(Existing::collect(&reply["resource_record"], "record_id", "value", |r| {
            r["type"] == name.rtype && r["host"] == fqdn.as_str()
        }))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl.to_string();
        for r in stale(found, ip) {
            let params = [
                ("domain", name.zone),
                ("rrid", r.id.as_str()),
                ("rrhost", name.relative_or_empty()),
                ("rrvalue", ip),
                ("rrttl", &ttl),
            ];
            self.call("dnsUpdateRecord", &params)?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl.to_string();
        let params = [
            ("domain", name.zone),
            ("rrtype", name.rtype),
            ("rrhost", name.relative_or_empty()),
            ("rrvalue", ip),
            ("rrttl", &ttl),
        ];
        self.call("dnsAddRecord", &params).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn lists_then_updates_by_rrid() {
        let svc = service(
            "config service s\n option provider 'namesilo'\n list hostname 'home.example.org'\n option token 'ns-key'\n \
             option zone 'example.org'\n",
        );
        let list = r#"{"request":{"operation":"dnsListRecords","ip":"198.51.100.1"},"reply":{"code":300,"detail":"success",
            "resource_record":[{"record_id":"1a2b3c","type":"A","host":"home.example.org","value":"198.51.100.1","ttl":"7207","distance":0},
            {"record_id":"4d5e6f","type":"A","host":"example.org","value":"198.51.100.9","ttl":"7207","distance":0}]}}"#;
        let done = r#"{"request":{"operation":"dnsUpdateRecord"},"reply":{"code":300,"detail":"success","record_id":"1a2b3c"}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, list), Scripted::body(200, done)]);
        let r = NameSilo.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://www.namesilo.com/api/dnsListRecords?version=1&type=json&key=ns-key&domain=example.org"
        );
        assert_eq!(
            t.sent[1].url,
            "https://www.namesilo.com/api/dnsUpdateRecord?version=1&type=json&key=ns-key&domain=example.org&rrid=1a2b3c&rrhost=home&rrvalue=198.51.100.2&rrttl=3600"
        );
        assert!(!t.sent[1].display_masked().contains("ns-key"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let denied = r#"{"request":{"operation":"dnsListRecords"},"reply":{"code":110,"detail":"Invalid API Key"}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, denied)]);
        let r = NameSilo.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Invalid API Key")));
        assert_no_secret(&r, "ns-key");
    }
}
