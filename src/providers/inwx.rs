//! INWX DomRobot JSON-RPC API with the account's user name and password.
//! https://www.inwx.com/en/help/apidoc — `account.login` opens a session (the `domrobot`
//! cookie); `nameserver.info` lists the domain's records of a type, `nameserver.updateRecord`
//! changes one by id, `nameserver.createRecord` adds one; `account.logout` ends the session.
//! `code` 1000/1001 (1500 for a logout) is success. Accounts with two-factor login cannot be used unattended.

use super::rest::{remember, secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, ZONE_FIELD};
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Inwx;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "INWX user name (an account or sub-user without two-factor login)"),
    Field::required("password", FieldKind::Secret, "password"),
    ZONE_FIELD,
    Field::optional("server", FieldKind::Url, "API URL (OT&E test system: https://api.ote.domrobot.com/jsonrpc/)"),
];

impl Protocol for Inwx {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "INWX", &["/msg"], secrets_only);
        let mut rpc = Rpc { api, cookie: None };
        let results = update_records(job, "INWX", &mut rpc, 300, 300);
        if rpc.cookie.is_some() {
            let _ = rpc.call("account.logout", json!({}));
        }
        results
    }
}

struct Rpc<'a> {
    api: Api<'a>,
    /// The session cookie, once logged in.
    cookie: Option<String>,
}

impl Rpc<'_> {
    fn call(&mut self, method: &str, params: Value) -> Result<Value, Outcome> {
        let mut req = Request::new(Method::Post, format!("{}/", self.api.base()))
            .json_body(&json!({"method": method, "params": params}));
        if let Some(c) = &self.cookie {
            req = req.header("Cookie", c.clone()).secret(c);
        }
        let resp = self
            .api
            .send_raw(secrets_only(req, self.api.job), false)?
            .ok_or_else(|| Outcome::retry(Kind::MalformedAnswer, "INWX: no answer"))?;
        let answer = resp.json().unwrap_or_default();
        match answer["code"].as_u64() {
            Some(1000 | 1001 | 1500) => {
                if let Some(set) = resp.header("Set-Cookie") {
                    self.cookie = set.split(';').next().map(str::to_string);
                }
                Ok(answer["resData"].clone())
            }
            Some(code) => {
                let message =
                    format!("INWX {method}: {} (code {code})", answer["msg"].as_str().unwrap_or("no message"));
                // 2200-2202: authentication; 2400, 2500: the API is busy or down.
                Err(match code {
                    2400 | 2500 => Outcome::retry(Kind::ProviderError, message),
                    2200..=2202 => Outcome::stop(Kind::Auth, message),
                    _ => Outcome::stop(Kind::ProviderError, message),
                })
            }
            None => Err(Outcome::retry(Kind::MalformedAnswer, format!("INWX {method}: an answer without a code"))),
        }
    }

    fn login(&mut self) -> Result<(), Outcome> {
        if self.cookie.is_none() {
            let svc = self.api.job.account;
            let data = self.call("account.login", json!({"user": svc.username, "pass": svc.password.expose()}))?;
            if data["tfa"].as_str().is_some_and(|t| t != "0") {
                return Err(Outcome::stop(
                    Kind::Auth,
                    "INWX: this account logs in with two factors; use a sub-user without them",
                ));
            }
        }
        Ok(())
    }
}

impl Records for Rpc<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        self.login()?;
        let data = remember(
            self,
            |s| &mut s.api.cache,
            "nameserver.info",
            |s| s.call("nameserver.info", json!({"domain": name.zone})),
        )?;
        let fqdn = name.fqdn();
        Ok(Existing::collect(&data["record"], "id", "content", |r| {
            r["type"] == name.rtype && r["name"] == fqdn.as_str()
        }))
    }

    fn replace(&mut self, _: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        for r in stale(found, ip) {
            let id: u64 =
                r.id.parse()
                    .map_err(|_| Outcome::retry(Kind::MalformedAnswer, "INWX listed a record without a numeric id"))?;
            self.call("nameserver.updateRecord", json!({"id": id, "content": ip, "ttl": ttl}))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let params = json!({"domain": name.zone, "type": name.rtype, "name": name.relative_or_empty(), "content": ip, "ttl": ttl});
        self.call("nameserver.createRecord", params).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Response;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn logs_in_with_a_cookie_updates_and_logs_out() {
        let svc = service(
            "config service s\n option provider 'inwx-api'\n list hostname 'home.example.org'\n option username 'jdoe'\n \
             option password 'iw-pass'\n option zone 'example.org'\n",
        );
        let login = Ok(Response {
            status: 200,
            headers: vec![("Set-Cookie".into(), "domrobot=f3a1c0ffee; path=/; HttpOnly".into())],
            body: r#"{"code":1000,"msg":"Command completed successfully","resData":{"customerId":1,"accountId":2,"tfa":"0"}}"#.into(),
        });
        let info = r#"{"code":1000,"msg":"Command completed successfully","resData":{"domain":"example.org","roId":9,
            "record":[{"id":210,"name":"home.example.org","type":"A","content":"198.51.100.1","ttl":3600,"prio":0}]}}"#;
        let ok = r#"{"code":1000,"msg":"Command completed successfully"}"#;
        let mut t =
            Scripted::new(vec![login, Scripted::body(200, info), Scripted::body(200, ok), Scripted::body(200, ok)]);
        let r = Inwx.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.domrobot.com/jsonrpc/");
        assert_eq!(
            t.sent[0].body.as_deref(),
            Some(r#"{"method":"account.login","params":{"pass":"iw-pass","user":"jdoe"}}"#)
        );
        assert_eq!(t.sent[1].header_value("Cookie"), Some("domrobot=f3a1c0ffee"));
        assert_eq!(
            t.sent[2].body.as_deref(),
            Some(r#"{"method":"nameserver.updateRecord","params":{"content":"198.51.100.2","id":210,"ttl":300}}"#)
        );
        assert!(t.sent[3].body.as_deref().unwrap().contains("account.logout"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        assert!(!t.sent[0].display_masked().contains("iw-pass"));
        let denied = r#"{"code":2200,"msg":"Authentication error"}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, denied)]);
        let r = Inwx.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Authentication error")));
        assert_eq!(t.sent.len(), 1);
        assert_no_secret(&r, "iw-pass");
    }
}
