//! TransIP REST API v6 with the account's login and a key pair made in the control panel.
//! https://api.transip.nl/rest/docs.html — `POST /auth` with a body signed by the private key
//! (RSA-SHA512, `Signature` header) gives an access token; the domain's DNS entries are listed,
//! one entry is changed with `PATCH /domains/{domain}/dns` (found by name, type and expiry) and
//! a new one added with `POST`. The apex is `@`.

use super::rest::{remember, secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::sign;
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::{base64, url_encode};
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct TransIp;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "TransIP login name"),
    Field::required("key_file", FieldKind::Text, "path of the API private key (PEM; keep it mode 600)"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for TransIp {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "TransIP", &["/error"], secrets_only);
        update_records(job, "TransIP", &mut Dns { api, token: None }, 300, 60)
    }
}

struct Dns<'a> {
    api: Api<'a>,
    token: Option<String>,
}

impl Dns<'_> {
    /// A short-lived access token, requested once per job.
    fn token(&mut self) -> Result<String, Outcome> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let svc = self.api.job.account;
        let path = svc.param("key_file").unwrap_or("");
        let pem = std::fs::read_to_string(path)
            .map_err(|e| Outcome::stop(Kind::Config, format!("cannot read key_file {path}: {e}")))?;
        let nonce = sign::nonce();
        let body = json!({"login": svc.username, "nonce": nonce, "read_only": false, "expiration_time": "30 minutes",
                          "label": format!("edgeddns {nonce}"), "global_key": true})
        .to_string();
        let signature = sign::rsa_sign(&pem, &ring::signature::RSA_PKCS1_SHA512, body.as_bytes())
            .map_err(|e| Outcome::stop(Kind::Config, format!("{e} ({path})")))?;
        let mut req = Request::new(Method::Post, format!("{}/auth", self.api.base()))
            .header("Content-Type", "application/json")
            .header("Signature", base64(&signature));
        req.body = Some(body);
        let answer = self.api.send(req)?;
        let token = answer["token"]
            .as_str()
            .ok_or_else(|| Outcome::retry(Kind::MalformedAnswer, "TransIP gave no token"))?
            .to_string();
        self.token = Some(token.clone());
        Ok(token)
    }

    fn call(&mut self, method: Method, zone: &str, body: Option<&Value>) -> Result<Value, Outcome> {
        let token = self.token()?;
        let mut req =
            Request::new(method, format!("{}/domains/{}/dns", self.api.base(), url_encode(zone))).bearer(&token);
        if let Some(b) = body {
            req = req.json_body(b);
        }
        self.api.send(req)
    }
}

impl Records for Dns<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let list = remember(self, |s| &mut s.api.cache, "dns", |s| s.call(Method::Get, name.zone, None))?;
        // The entry is addressed by name, type and expiry: keep the expiry as its handle.
        Ok(Existing::collect(&list["dnsEntries"], "expire", "content", |e| {
            e["type"] == name.rtype && e["name"] == name.relative.as_str()
        }))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, _ttl: u32) -> Result<(), Outcome> {
        for r in stale(found, ip) {
            let expire: u64 = r.id.parse().unwrap_or(300);
            let entry =
                json!({"dnsEntry": {"name": name.relative, "expire": expire, "type": name.rtype, "content": ip}});
            self.call(Method::Patch, name.zone, Some(&entry))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let entry = json!({"dnsEntry": {"name": name.relative, "expire": ttl, "type": name.rtype, "content": ip}});
        self.call(Method::Post, name.zone, Some(&entry)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn signs_in_then_patches_the_entry() {
        let dir = std::env::temp_dir().join(format!("edgeddns-transip-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("transip.pem");
        std::fs::write(&key, include_str!("../../tests/fixtures/rsa-test-key.pem")).unwrap();
        let svc = service(&format!(
            "config service s\n option provider 'transip'\n list hostname 'home.example.org'\n option username 'jdoe'\n \
             option key_file '{}'\n option zone 'example.org'\n",
            key.display()
        ));
        let entries = r#"{"dnsEntries":[{"name":"home","expire":300,"type":"A","content":"198.51.100.1"},
            {"name":"@","expire":86400,"type":"A","content":"198.51.100.9"}]}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(201, r#"{"token":"eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImp0aSI6ImN3MiJ9.x.y"}"#),
            Scripted::body(200, entries),
            Scripted::body(204, ""),
        ]);
        let r = TransIp.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://api.transip.nl/v6/auth");
        let auth: Value = serde_json::from_str(t.sent[0].body.as_deref().unwrap()).unwrap();
        assert_eq!(auth["login"], "jdoe");
        assert_eq!(auth["read_only"], false);
        assert_eq!(crate::encoding::base64_decode(t.sent[0].header_value("Signature").unwrap()).unwrap().len(), 256);
        assert_eq!(t.sent[1].url, "https://api.transip.nl/v6/domains/example.org/dns");
        assert!(t.sent[1].header_value("Authorization").unwrap().starts_with("Bearer eyJ0"));
        assert_eq!(t.sent[2].method, Method::Patch);
        assert_eq!(
            t.sent[2].body.as_deref(),
            Some(r#"{"dnsEntry":{"content":"198.51.100.2","expire":300,"name":"home","type":"A"}}"#)
        );
        assert_eq!(r[0].outcome, Outcome::Updated);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
