//! Njalla's JSON-RPC API with an API token.
//! https://njal.la/api/ — every call is a POST of `{"method", "params"}`; errors come back as an
//! `error` object even with HTTP 200. `list-records` of the domain, then `edit-record` by id or
//! `add-record`. The apex is `@`.

use super::rest::{remember, update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Njalla;

static FIELDS: &[Field] = &[Field::required("token", FieldKind::Secret, "API token"), ZONE_FIELD, SERVER_FIELD];

fn token(req: Request, job: &Job) -> Request {
    let t = job.account.token.expose();
    req.header("Authorization", format!("Njalla {t}")).secret(t)
}

impl Protocol for Njalla {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Njalla", &["/error/message"], token);
        update_records(job, "Njalla", &mut Rpc(api), 300, 60)
    }
}

struct Rpc<'a>(Api<'a>);

impl Rpc<'_> {
    fn call(&mut self, method: &str, params: Value) -> Result<Value, Outcome> {
        let answer = self.0.call(Method::Post, "/", Some(&json!({"method": method, "params": params})))?;
        match answer.get("error") {
            None => Ok(answer["result"].clone()),
            Some(e) => {
                let message = e["message"].as_str().unwrap_or("no message");
                // 403: the token may not touch this domain.
                let kind = if matches!(e["code"].as_u64(), Some(401 | 403)) { Kind::Auth } else { Kind::ProviderError };
                Err(Outcome::stop(kind, format!("Njalla {method} failed: {message}")))
            }
        }
    }
}

impl Records for Rpc<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let list = remember(
            self,
            |s| &mut s.0.cache,
            "list-records",
            |s| s.call("list-records", json!({"domain": name.zone})),
        )?;
        Ok(Existing::collect(&list["records"], "id", "content", |r| {
            r["type"] == name.rtype && r["name"] == name.relative.as_str()
        }))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, _ttl: u32) -> Result<(), Outcome> {
        for r in super::rest::stale(found, ip) {
            self.call("edit-record", json!({"domain": name.zone, "id": r.id, "content": ip}))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let params = json!({"domain": name.zone, "name": name.relative, "type": name.rtype, "content": ip, "ttl": ttl});
        self.call("add-record", params).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn lists_then_edits_by_id_and_reads_errors_in_a_200() {
        let svc = service(
            "config service s\n option provider 'njalla'\n list hostname 'home.example.org'\n option token 'nj-tok'\n \
             option zone 'example.org'\n",
        );
        let list = r#"{"jsonrpc":"2.0","result":{"records":[{"id":"1337","name":"home","type":"A","content":"198.51.100.1","ttl":10800}]}}"#;
        let mut t =
            Scripted::new(vec![Scripted::body(200, list), Scripted::body(200, r#"{"jsonrpc":"2.0","result":{}}"#)]);
        let r = Njalla.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://njal.la/api/1/");
        assert_eq!(t.sent[0].header_value("Authorization"), Some("Njalla nj-tok"));
        assert_eq!(t.sent[0].body.as_deref(), Some(r#"{"method":"list-records","params":{"domain":"example.org"}}"#));
        assert_eq!(
            t.sent[1].body.as_deref(),
            Some(r#"{"method":"edit-record","params":{"content":"198.51.100.2","domain":"example.org","id":"1337"}}"#)
        );
        assert_eq!(r[0].outcome, Outcome::Updated);
        let denied = r#"{"jsonrpc":"2.0","error":{"code":403,"message":"Permission denied."}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, denied)]);
        let r = Njalla.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(
            matches!(&r[0].outcome, Outcome::Stop { kind: Kind::Auth, reason } if reason.contains("Permission denied"))
        );
        assert_no_secret(&r, "nj-tok");
        // An error that quotes the token (in the header's form and JSON-escaped) stores none of it.
        let quoting = r#"{"jsonrpc":"2.0","error":{"code":500,"message":"bad header Authorization: Njalla nj-tok"}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, quoting)]);
        let r = Njalla.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome.reason(), Some("Njalla list-records failed: bad header Authorization: Njalla ***"));
    }
}
