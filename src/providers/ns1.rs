//! NS1 (IBM NS1 Connect) with an API key.
//! https://developer.ibm.com/apis/catalog/ns1--ibm-ns1-connect-api/api/API--ns1--ibm-ns1-connect-api
//! A record is `/v1/zones/{zone}/{fqdn}/{type}`: GET reads its answers, POST replaces them,
//! PUT creates it.

use super::rest::{update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::json;

pub struct Ns1;

static FIELDS: &[Field] = &[
    Field::required("token", FieldKind::Secret, "API key allowed to manage the zone's records"),
    ZONE_FIELD,
    SERVER_FIELD,
];

fn api_key(req: Request, job: &Job) -> Request {
    let key = job.account.token.expose();
    req.header("X-NSONE-Key", key).secret(key)
}

impl Protocol for Ns1 {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "NS1", &["/message"], api_key);
        update_records(job, "NS1", &mut Zones(api), 3600, 0)
    }
}

struct Zones<'a>(Api<'a>);

fn path(name: &Name) -> String {
    format!("/v1/zones/{}/{}/{}", url_encode(name.zone), url_encode(&name.fqdn()), name.rtype)
}

impl Records for Zones<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let record = self.0.get_optional(&path(name))?.unwrap_or_default();
        // Each answer is a list of rdata fields; an address record has one.
        let answers: Vec<serde_json::Value> = record["answers"]
            .as_array()
            .map(|a| a.iter().map(|x| x["answer"][0].clone()).collect())
            .unwrap_or_default();
        Ok(answers.iter().map(|v| Existing { id: String::new(), value: v.as_str().unwrap_or("").into() }).collect())
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"answers": [{"answer": [ip]}], "ttl": ttl});
        self.0.call(Method::Post, &path(name), Some(&body)).map(drop)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"zone": name.zone, "domain": name.fqdn(), "type": name.rtype,
                          "answers": [{"answer": [ip]}], "ttl": ttl});
        self.0.call(Method::Put, &path(name), Some(&body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn reads_answers_then_posts_or_creates() {
        let svc = service(
            "config service s\n option provider 'ns1'\n list hostname 'home.example.org'\n option token 'ns1-key'\n \
             option zone 'example.org'\n option create_missing 1\n",
        );
        let record = r#"{"zone":"example.org","domain":"home.example.org","type":"A","ttl":3600,
            "answers":[{"answer":["198.51.100.1"],"id":"5f0e"}],"filters":[]}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, record),
            Scripted::body(200, "{}"),
            Scripted::body(404, r#"{"message":"record not found"}"#),
            Scripted::body(200, "{}"),
        ]);
        let r = Ns1.update(&job(&svc, Some("198.51.100.2"), Some("2001:db8::2")), &mut t);
        assert_eq!(t.sent[0].url, "https://api.nsone.net/v1/zones/example.org/home.example.org/A");
        assert_eq!(t.sent[0].header_value("X-NSONE-Key"), Some("ns1-key"));
        assert_eq!(t.sent[1].method, Method::Post);
        assert_eq!(t.sent[1].body.as_deref(), Some(r#"{"answers":[{"answer":["198.51.100.2"]}],"ttl":3600}"#));
        assert_eq!(t.sent[3].method, Method::Put);
        assert_eq!(t.sent[3].url, "https://api.nsone.net/v1/zones/example.org/home.example.org/AAAA");
        let body: serde_json::Value = serde_json::from_str(t.sent[3].body.as_deref().unwrap()).unwrap();
        assert_eq!(body["domain"], "home.example.org");
        assert_eq!(body["answers"], json!([{"answer": ["2001:db8::2"]}]));
        assert!(r.iter().all(|x| x.outcome == Outcome::Updated));
        assert!(!t.sent[0].display_masked().contains("ns1-key"));
    }
}
