//! DNSPod's token API (dnsapi.cn, and api.dnspod.com for the international site).
//! https://docs.dnspod.cn/api/ — POSTs of form fields with `login_token=ID,TOKEN`; the answer's
//! `status.code` is "1" on success whatever the HTTP status. `Record.List` by sub-domain and
//! type, `Record.Modify` by id, `Record.Create`; the line is the default one (id 0).

use super::rest::{secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::Value;

pub struct DnsPod;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "API token ID"),
    Field::required("password", FieldKind::Secret, "API token"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for DnsPod {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "DNSPod", &["/status/message"], secrets_only);
        update_records(job, "DNSPod", &mut Token(api), 600, 1)
    }
}

struct Token<'a>(Api<'a>);

impl Token<'_> {
    fn call(&mut self, action: &str, fields: &[(&str, &str)]) -> Result<Value, Outcome> {
        let svc = self.0.job.account;
        let login = format!("{},{}", svc.username, svc.password.expose());
        let mut form =
            vec![("login_token", login.as_str()), ("format", "json"), ("lang", "en"), ("error_on_empty", "no")];
        form.extend_from_slice(fields);
        let body: Vec<String> = form.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
        let mut req = Request::new(Method::Post, format!("{}/{action}", self.0.base()))
            .header("Content-Type", "application/x-www-form-urlencoded");
        req.body = Some(body.join("&"));
        let answer = self.0.send(secrets_only(req, self.0.job))?;
        match answer["status"]["code"].as_str() {
            Some("1") => Ok(answer),
            code => {
                let message = answer["status"]["message"].as_str().unwrap_or("no message");
                // -1: login failed; 85: the account's IP is blocked for bad logins; 83: locked.
                Err(match code {
                    Some("-1" | "83" | "85" | "-7" | "-8") => {
                        Outcome::stop(Kind::Auth, format!("DNSPod refused the token ({message})"))
                    }
                    None => Outcome::retry(Kind::MalformedAnswer, "DNSPod gave an answer without a status"),
                    Some(c) => Outcome::stop(Kind::ProviderError, format!("DNSPod {action}: {message} (code {c})")),
                })
            }
        }
    }
}

impl Records for Token<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let fields = [("domain", name.zone), ("sub_domain", name.relative.as_str()), ("record_type", name.rtype)];
        let list = self.call("Record.List", &fields)?;
        Ok(Existing::collect(&list["records"], "id", "value", |r| r["name"] == name.relative.as_str()))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl.to_string();
        for r in stale(found, ip) {
            let fields = [
                ("domain", name.zone),
                ("record_id", r.id.as_str()),
                ("sub_domain", name.relative.as_str()),
                ("record_type", name.rtype),
                ("record_line_id", "0"),
                ("value", ip),
                ("ttl", &ttl),
            ];
            self.call("Record.Modify", &fields)?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl.to_string();
        let fields = [
            ("domain", name.zone),
            ("sub_domain", name.relative.as_str()),
            ("record_type", name.rtype),
            ("record_line_id", "0"),
            ("value", ip),
            ("ttl", &ttl),
        ];
        self.call("Record.Create", &fields).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn lists_then_modifies_with_form_fields() {
        let svc = service(
            "config service s\n option provider 'dnspod'\n list hostname 'home.example.org'\n option username '13490'\n \
             option password 'dp-token'\n option zone 'example.org'\n",
        );
        let list = r#"{"status":{"code":"1","message":"Action completed successful","created_at":"2026-11-30 17:00:00"},
            "domain":{"id":"2317346","name":"example.org"},"info":{"record_total":"1"},
            "records":[{"id":"16894439","name":"home","line":"默认","line_id":"0","type":"A","ttl":"600","value":"198.51.100.1","enabled":"1"}]}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, list),
            Scripted::body(
                200,
                r#"{"status":{"code":"1","message":"Action completed successful"},"record":{"id":16894439}}"#,
            ),
        ]);
        let r = DnsPod.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://dnsapi.cn/Record.List");
        assert_eq!(t.sent[0].header_value("Content-Type"), Some("application/x-www-form-urlencoded"));
        assert_eq!(
            t.sent[0].body.as_deref(),
            Some("login_token=13490%2Cdp-token&format=json&lang=en&error_on_empty=no&domain=example.org&sub_domain=home&record_type=A")
        );
        assert_eq!(t.sent[1].url, "https://dnsapi.cn/Record.Modify");
        assert!(t.sent[1]
            .body
            .as_deref()
            .unwrap()
            .contains("&record_id=16894439&sub_domain=home&record_type=A&record_line_id=0&value=198.51.100.2&ttl=600"));
        assert!(!t.sent[1].display_masked().contains("dp-token"));
        assert_eq!(r[0].outcome, Outcome::Updated);

        let denied = r#"{"status":{"code":"-1","message":"Login fail, please check login info","created_at":"2026-11-30 17:00:00"}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, denied)]);
        let r = DnsPod.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Login fail")));
        assert_no_secret(&r, "dp-token");
    }
}
