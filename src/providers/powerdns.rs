//! The PowerDNS Authoritative HTTP API, for self-hosted servers.
//! https://doc.powerdns.com/authoritative/http-api/zone.html — the zone is read for the RRset
//! of each name and type, and one `PATCH` with a `changetype: REPLACE` RRset per changed name
//! and type (all hostnames, A and AAAA) sets them (and creates missing ones).

use super::rest::{update_records, Api, Existing, Name, Records};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::{Method, Request};
use serde_json::json;

pub struct PowerDns;

static FIELDS: &[Field] = &[
    Field::required("server", FieldKind::Url, "API URL of the server, e.g. https://ns1.example.org:8081"),
    Field::required("token", FieldKind::Secret, "the server's api-key"),
    ZONE_FIELD,
    Field::optional("server_id", FieldKind::Text, "server id in the API path (default localhost)"),
];

fn api_key(req: Request, job: &Job) -> Request {
    let key = job.account.token.expose();
    req.header("X-API-Key", key).secret(key)
}

impl Protocol for PowerDns {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "PowerDNS", &["/error"], api_key);
        update_records(job, "PowerDNS", &mut Zone { api, pending: Vec::new() }, 300, 0)
    }
}

struct Zone<'a> {
    api: Api<'a>,
    /// RRsets to replace, sent together in one PATCH.
    pending: Vec<serde_json::Value>,
}

impl Zone<'_> {
    fn path(&self) -> String {
        let svc = self.api.job.account;
        let zone = svc.param("zone").unwrap_or("").trim_end_matches('.');
        format!(
            "/api/v1/servers/{}/zones/{}.",
            url_encode(svc.param("server_id").unwrap_or("localhost")),
            url_encode(zone)
        )
    }
}

impl Records for Zone<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let path = self.path();
        let zone = self.api.cached(&path, |api| api.call(Method::Get, &path, None))?;
        let fqdn = format!("{}.", name.fqdn());
        let rrsets = zone["rrsets"].as_array().map(Vec::as_slice).unwrap_or_default();
        let rrset = rrsets.iter().find(|r| r["type"] == name.rtype && r["name"] == fqdn.as_str());
        Ok(rrset.map(|r| Existing::collect(&r["records"], "content", "content", |_| true)).unwrap_or_default())
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.pending.push(json!({"name": format!("{}.", name.fqdn()), "type": name.rtype, "ttl": ttl,
                                 "changetype": "REPLACE", "records": [{"content": ip, "disabled": false}]}));
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.replace(name, &[], ip, ttl)
    }

    fn flush(&mut self) -> Result<(), Outcome> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let rrsets = std::mem::take(&mut self.pending);
        let path = self.path();
        self.api.call(Method::Patch, &path, Some(&json!({ "rrsets": rrsets }))).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{job, service, Scripted, Update};

    #[test]
    fn reads_the_zone_and_replaces_the_rrset() {
        let svc = service(
            "config service s\n option provider 'powerdns'\n option server 'https://ns1.example.org:8081'\n \
             list hostname 'home.example.org'\n option token 'pdns-key'\n option zone 'example.org'\n",
        );
        let zone = r#"{"name":"example.org.","kind":"Native","rrsets":[
            {"name":"home.example.org.","type":"A","ttl":300,"records":[{"content":"198.51.100.1","disabled":false}],"comments":[]},
            {"name":"home.example.org.","type":"AAAA","ttl":300,"records":[{"content":"2001:db8::2","disabled":false}],"comments":[]}]}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, zone), Scripted::body(204, ""), Scripted::body(200, zone)]);
        let r = PowerDns.update(&job(&svc, Some("198.51.100.2"), Some("2001:db8::2")), &mut t);
        assert_eq!(t.sent[0].url, "https://ns1.example.org:8081/api/v1/servers/localhost/zones/example.org.");
        assert_eq!(t.sent[0].header_value("X-API-Key"), Some("pdns-key"));
        assert_eq!(t.sent[1].method, Method::Patch);
        let body: serde_json::Value = serde_json::from_str(t.sent[1].body.as_deref().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"rrsets": [{"name": "home.example.org.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                               "records": [{"content": "198.51.100.2", "disabled": false}]}]})
        );
        assert_eq!((r[0].outcome.label(), r[1].outcome.label()), ("updated", "unchanged"));
        // Two hostnames, both families: one read, one PATCH carrying every RRset.
        let svc2 = service(
            "config service s\n option provider 'powerdns'\n option server 'https://ns1.example.org:8081'\n \
             list hostname 'home.example.org'\n list hostname 'nas.example.org'\n option token 'pdns-key'\n \
             option zone 'example.org'\n option create_missing 1\n",
        );
        let mut t = Scripted::new(vec![Scripted::body(200, zone), Scripted::body(204, "")]);
        let r = PowerDns.update(&job(&svc2, Some("198.51.100.2"), Some("2001:db8::3")), &mut t);
        assert_eq!(t.sent.len(), 2);
        let body: serde_json::Value = serde_json::from_str(t.sent[1].body.as_deref().unwrap()).unwrap();
        assert_eq!(body["rrsets"].as_array().unwrap().len(), 4);
        assert!(r.iter().all(|x| x.outcome == Outcome::Updated));
        // The batch is refused: every record it carried says why; the unchanged ones stay so.
        let mut t = Scripted::new(vec![
            Scripted::body(200, zone),
            Scripted::body(422, r#"{"error":"RRset home.example.org. IN A: Conflicts with pre-existing RRset"}"#),
        ]);
        let r = PowerDns.update(&job(&svc2, Some("198.51.100.2"), Some("2001:db8::2")), &mut t);
        let labels: Vec<&str> = r.iter().map(|x| x.outcome.label()).collect();
        assert_eq!(labels, ["stopped", "unchanged", "stopped", "stopped"]);
        assert!(r[0].outcome.reason().unwrap().contains("Conflicts with pre-existing RRset"));

        let mut t = Scripted::new(vec![Scripted::body(422, r#"{"error":"Could not find domain 'example.org.'"}"#)]);
        let r = PowerDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Could not find domain")));
    }

    /// PowerDNS's web server answers a path it has no route for (a wrong server_id, an API not
    /// enabled) with a plain-text "Not Found": the reason quotes it.
    #[test]
    fn a_plain_404_says_what_the_server_said() {
        let svc = service(
            "config service s\n option provider 'powerdns'\n option server 'https://ns1.example.org:8081'\n \
             list hostname 'home.example.org'\n option token 'pdns-key'\n option zone 'example.org'\n option server_id 'nope'\n",
        );
        let mut t = Scripted::new(vec![Scripted::body(404, "Not Found")]);
        let r = PowerDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(r[0].outcome.reason(), Some("PowerDNS: not found (HTTP 404 Not Found)"));
        assert_eq!(r[0].outcome.kind(), Some(crate::providers::Kind::NoSuchRecord));
    }
}
