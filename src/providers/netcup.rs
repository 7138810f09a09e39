//! netcup's CCP DNS API (JSON) with customer number, API key and API password.
//! https://ccp.netcup.net/run/webservice/servers/endpoint.php — every call is a POST of
//! `{"action", "param"}`; `login` gives a session id used by `infoDnsRecords` and one
//! `updateDnsRecords` per job (which changes records by id and adds records without one), and
//! `logout` ends it. `status` is "success" or an error with `longmessage`, whatever the HTTP
//! status. The zone's TTL applies (records have none); the apex is `@`.

use super::rest::{remember, secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::http::Method;
use serde_json::{json, Value};

pub struct Netcup;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "customer number"),
    Field::required("token", FieldKind::Secret, "API key"),
    Field::required("password", FieldKind::Secret, "API password"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for Netcup {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "netcup", &["/longmessage"], secrets_only);
        let mut ccp = Ccp { api, session: None, pending: Vec::new() };
        let results = update_records(job, "netcup", &mut ccp, 0, 0);
        if ccp.session.is_some() {
            // A session left open expires by itself after 15 minutes; closing it is courtesy.
            let _ = ccp.call("logout", json!({}));
        }
        results
    }
}

struct Ccp<'a> {
    api: Api<'a>,
    session: Option<String>,
    /// Record changes of the job, sent together in one `updateDnsRecords`.
    pending: Vec<Value>,
}

impl Ccp<'_> {
    /// `action` with the account parameters (and the session, once logged in) added to `param`.
    fn call(&mut self, action: &str, mut param: Value) -> Result<Value, Outcome> {
        let svc = self.api.job.account;
        param["customernumber"] = json!(svc.username);
        param["apikey"] = json!(svc.token.expose());
        match &self.session {
            Some(id) => param["apisessionid"] = json!(id),
            None => param["apipassword"] = json!(svc.password.expose()),
        }
        let answer = self.api.call(Method::Post, "", Some(&json!({"action": action, "param": param})))?;
        if answer["status"] == "success" {
            return Ok(answer["responsedata"].clone());
        }
        let message = answer["longmessage"].as_str().or(answer["shortmessage"].as_str()).unwrap_or("no message");
        let message = format!("netcup {action}: {message} ({})", answer["statuscode"]);
        // 4013: login failed or session expired; 4001: API key or password wrong.
        Err(match answer["statuscode"].as_u64() {
            Some(5029 | 4029) => Outcome::retry(Kind::RateLimited, message),
            Some(4013 | 4001) => Outcome::stop(Kind::Auth, message),
            None => Outcome::retry(Kind::MalformedAnswer, format!("netcup {action}: no status in the answer")),
            _ => Outcome::stop(Kind::ProviderError, message),
        })
    }

    fn login(&mut self) -> Result<(), Outcome> {
        if self.session.is_none() {
            let data = self.call("login", json!({}))?;
            let id = data["apisessionid"]
                .as_str()
                .ok_or_else(|| Outcome::retry(Kind::MalformedAnswer, "netcup login gave no session"))?;
            self.session = Some(id.to_string());
        }
        Ok(())
    }
}

impl Records for Ccp<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        self.login()?;
        let data = remember(
            self,
            |s| &mut s.api.cache,
            "infoDnsRecords",
            |s| s.call("infoDnsRecords", json!({"domainname": name.zone})),
        )?;
        Ok(Existing::collect(&data["dnsrecords"], "id", "destination", |r| {
            r["type"] == name.rtype && r["hostname"] == name.relative.as_str()
        }))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, _ttl: u32) -> Result<(), Outcome> {
        let records = stale(found, ip).map(|r| {
            json!({"id": r.id, "hostname": name.relative, "type": name.rtype, "priority": "",
                   "destination": ip, "deleterecord": false})
        });
        self.pending.extend(records);
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, _ttl: u32) -> Result<(), Outcome> {
        self.pending.push(json!({"hostname": name.relative, "type": name.rtype, "priority": "", "destination": ip,
                                 "deleterecord": false}));
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Outcome> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let records = std::mem::take(&mut self.pending);
        let zone = self.api.job.account.param("zone").unwrap_or("").trim_end_matches('.').to_string();
        self.login()?;
        self.call("updateDnsRecords", json!({"domainname": zone, "dnsrecordset": {"dnsrecords": records}})).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn logs_in_reads_updates_and_logs_out() {
        let svc = service(
            "config service s\n option provider 'netcup'\n list hostname 'home.example.org'\n option username '12345'\n \
             option token 'nc-key'\n option password 'nc-pass'\n option zone 'example.org'\n",
        );
        let ok = |data: &str| {
            format!(
                r#"{{"serverrequestid":"x","clientrequestid":"","action":"a","status":"success","statuscode":2000,"shortmessage":"ok","longmessage":"","responsedata":{data}}}"#
            )
        };
        let records = r#"{"dnsrecords":[{"id":"1001","hostname":"home","type":"A","priority":"0","destination":"198.51.100.1","deleterecord":false,"state":"yes"}]}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, &ok(r#"{"apisessionid":"sess-1"}"#)),
            Scripted::body(200, &ok(records)),
            Scripted::body(200, &ok(records)),
            Scripted::body(200, &ok(r#""""#)),
        ]);
        let r = Netcup.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        let body = |i: usize| serde_json::from_str::<Value>(t.sent[i].body.as_deref().unwrap()).unwrap();
        assert_eq!(t.sent[0].url, "https://ccp.netcup.net/run/webservice/servers/endpoint.php?JSON");
        assert_eq!(
            body(0),
            json!({"action": "login", "param": {"customernumber": "12345", "apikey": "nc-key", "apipassword": "nc-pass"}})
        );
        assert_eq!(body(1)["param"]["apisessionid"], "sess-1");
        assert!(body(1)["param"].get("apipassword").is_none(), "the password is sent only to log in");
        let update = body(2);
        assert_eq!(update["action"], "updateDnsRecords");
        assert_eq!(update["param"]["dnsrecordset"]["dnsrecords"][0]["id"], "1001");
        assert_eq!(update["param"]["dnsrecordset"]["dnsrecords"][0]["destination"], "198.51.100.2");
        assert_eq!(body(3)["action"], "logout");
        assert_eq!(r[0].outcome, Outcome::Updated);
        assert!(!t.sent[0].display_masked().contains("nc-pass"));

        let denied = r#"{"serverrequestid":"x","action":"login","status":"error","statuscode":4013,"shortmessage":"Api key missing or invalid","longmessage":"The given api key is not valid."}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, denied)]);
        let r = Netcup.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("api key is not valid")));
        assert_eq!(t.sent.len(), 1, "no logout without a session");
        assert_no_secret(&r, "nc-pass");
    }
}
