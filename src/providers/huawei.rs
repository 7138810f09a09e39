//! Huawei Cloud DNS (API v2) with an AK/SK pair, signed with SDK-HMAC-SHA256.
//! https://support.huaweicloud.com/intl/en-us/api-dns/dns_api_64001.html and the APIG signing
//! guide (https://support.huaweicloud.com/intl/en-us/devg-apisign/api-sign-algorithm-002.html).
//! The public zone's id is found by name, its record set of the name and type read, then
//! replaced by id (`PUT …/recordsets/{id}`) or created.

use super::rest::{secrets_only, update_records, Api, Existing, Name, Records, ZoneId};
use super::sign::{self, Canonical, Credentials};
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult};
use crate::http::{host_of, Method, Request};
use serde_json::{json, Value};

pub struct Huawei;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "access key ID (AK)"),
    Field::required("password", FieldKind::Secret, "secret access key (SK)"),
    Field::required("zone", FieldKind::Text, "the public zone the hostnames are in, e.g. example.org"),
    Field::optional("server", FieldKind::Url, "API endpoint of the region"),
];

impl Protocol for Huawei {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Huawei Cloud DNS", &["/message", "/error_msg"], secrets_only);
        update_records(job, "Huawei Cloud DNS", &mut Apig { api, zone: ZoneId::default(), now: sign::now }, 300, 1)
    }
}

struct Apig<'a> {
    api: Api<'a>,
    zone: ZoneId,
    now: fn() -> u64,
}

/// A request signed with SDK-HMAC-SHA256: the canonical URI ends with `/` whatever the path.
pub fn signed(
    base: &str,
    method: Method,
    path: &str,
    query: &[(&str, &str)],
    body: &str,
    key: &Credentials,
) -> Request {
    let (ak, sk) = (key.id, key.secret);
    let date = sign::basic_iso8601(key.now);
    let mut canonical_path = format!("{}{path}", sign::base_path(base));
    if !canonical_path.ends_with('/') {
        canonical_path.push('/');
    }
    let content_type = if body.is_empty() { "" } else { "application/json" };
    let mut headers = vec![("host", host_of(base)), ("x-sdk-date", date.as_str())];
    if !content_type.is_empty() {
        headers.push(("content-type", content_type));
    }
    let canonical = Canonical {
        method: method.as_str(),
        path: &canonical_path,
        query,
        headers: &headers,
        payload: body.as_bytes(),
    };
    let (request, signed_headers) = canonical.request();
    let to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", sign::sha256_hex(request.as_bytes()));
    let signature = sign::hex(&sign::hmac_sha256(sk.as_bytes(), &to_sign));
    let mut req = Request::new(method, sign::url(base, path, query))
        .header("X-Sdk-Date", date)
        .header(
            "Authorization",
            format!("SDK-HMAC-SHA256 Access={ak}, SignedHeaders={signed_headers}, Signature={signature}"),
        )
        .secret(sk);
    if !body.is_empty() {
        req = req.header("Content-Type", content_type);
        req.body = Some(body.to_string());
    }
    req
}

impl Apig<'_> {
    fn call(
        &mut self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Value, Outcome> {
        let key = Credentials::of(self.api.job.account, (self.now)());
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        let req = signed(self.api.base(), method, path, query, &body, &key);
        self.api.send(req)
    }

    /// `/v2/zones/{id}`: the public zone found by its name (with the final dot).
    fn zone(&mut self, zone: &str) -> Result<String, Outcome> {
        let now = self.now;
        let list = |api: &mut Api| {
            let apex = format!("{zone}.");
            let query = [("name", apex.as_str()), ("type", "public")];
            let key = Credentials::of(api.job.account, now());
            api.send(signed(api.base(), Method::Get, "/v2/zones", &query, "", &key))
        };
        let id = self.zone.get(&mut self.api, &format!("{zone}."), list, ("/zones", "name"))?;
        Ok(format!("/v2/zones/{id}"))
    }
}

impl Records for Apig<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let zone = self.zone(name.zone)?;
        let fqdn = format!("{}.", name.fqdn());
        let query = [("name", fqdn.as_str()), ("type", name.rtype)];
        let list = self.call(Method::Get, &format!("{zone}/recordsets"), &query, None)?;
        let sets = list["recordsets"].as_array().cloned().unwrap_or_default();
        let matching = sets.iter().filter(|s| s["name"] == fqdn.as_str() && s["type"] == name.rtype);
        Ok(matching
            .flat_map(|s| {
                let id = s["id"].as_str().unwrap_or("").to_string();
                let records = s["records"].as_array().cloned().unwrap_or_default();
                records.into_iter().map(move |v| Existing { id: id.clone(), value: v.as_str().unwrap_or("").into() })
            })
            .collect())
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let zone = self.zone(name.zone)?;
        let mut ids: Vec<&str> = found.iter().map(|r| r.id.as_str()).collect();
        ids.dedup();
        for id in ids {
            let body = json!({"name": format!("{}.", name.fqdn()), "type": name.rtype, "ttl": ttl, "records": [ip]});
            self.call(Method::Put, &format!("{zone}/recordsets/{id}"), &[], Some(body))?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let zone = self.zone(name.zone)?;
        let body = json!({"name": format!("{}.", name.fqdn()), "type": name.rtype, "ttl": ttl, "records": [ip]});
        self.call(Method::Post, &format!("{zone}/recordsets"), &[], Some(body)).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn finds_the_zone_then_replaces_the_record_set() {
        let svc = service(
            "config service s\n option provider 'huaweicloud'\n list hostname 'home.example.org'\n option username 'HWAK'\n \
             option password 'hw-secret'\n option zone 'example.org'\n",
        );
        let zones = r#"{"links":{"self":"x"},"zones":[{"id":"2c9eb155587194ec01587224c9f90149","name":"example.org.",
            "zone_type":"public","status":"ACTIVE"}],"metadata":{"total_count":1}}"#;
        let sets = r#"{"links":{"self":"x"},"recordsets":[{"id":"2c9eb155587228570158722b6ac30007","name":"home.example.org.",
            "type":"A","ttl":300,"records":["198.51.100.1"],"status":"ACTIVE","zone_id":"2c9eb155587194ec01587224c9f90149"}],
            "metadata":{"total_count":1}}"#;
        let mut t =
            Scripted::new(vec![Scripted::body(200, zones), Scripted::body(200, sets), Scripted::body(202, "{}")]);
        let r = Huawei.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://dns.myhuaweicloud.com/v2/zones?name=example.org.&type=public");
        let auth = t.sent[0].header_value("Authorization").unwrap();
        assert!(auth.starts_with("SDK-HMAC-SHA256 Access=HWAK, SignedHeaders=host;x-sdk-date, Signature="), "{auth}");
        assert_eq!(
            t.sent[1].url,
            "https://dns.myhuaweicloud.com/v2/zones/2c9eb155587194ec01587224c9f90149/recordsets?name=home.example.org.&type=A"
        );
        assert_eq!(t.sent[2].method, Method::Put);
        assert!(t.sent[2].url.ends_with("/recordsets/2c9eb155587228570158722b6ac30007"));
        let auth = t.sent[2].header_value("Authorization").unwrap();
        assert!(auth.contains("SignedHeaders=content-type;host;x-sdk-date"), "{auth}");
        let body: Value = serde_json::from_str(t.sent[2].body.as_deref().unwrap()).unwrap();
        assert_eq!(body, json!({"name": "home.example.org.", "type": "A", "ttl": 300, "records": ["198.51.100.2"]}));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let denied = r#"{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail","error_code":"APIGW.0301","request_id":"x"}"#;
        let mut t = Scripted::new(vec![Scripted::body(401, denied)]);
        let r = Huawei.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("verify aksk signature fail")));
        assert_no_secret(&r, "hw-secret");
    }

    /// Another region's endpoint behind a path: the path sent is the path signed.
    #[test]
    fn a_path_in_server_is_signed() {
        let key = Credentials { id: "AK", secret: "SK", now: 1_700_000_000 };
        let behind = signed("https://gw.example/dns", Method::Get, "/v2/zones", &[("type", "public")], "", &key);
        let direct = signed("https://gw.example", Method::Get, "/dns/v2/zones", &[("type", "public")], "", &key);
        assert_eq!(behind.url, "https://gw.example/dns/v2/zones?type=public");
        assert_eq!(behind.header_value("Authorization"), direct.header_value("Authorization"));
    }

    #[test]
    fn the_signature_covers_the_canonical_request() {
        let req = signed(
            "https://dns.myhuaweicloud.com",
            Method::Get,
            "/v2/zones",
            &[("name", "example.org.")],
            "",
            &Credentials { id: "AK", secret: "SK", now: 1_573_788_615 },
        );
        assert_eq!(req.header_value("X-Sdk-Date"), Some("20191115T033015Z"));
        let (canonical, _) = Canonical {
            method: "GET",
            path: "/v2/zones/",
            query: &[("name", "example.org.")],
            headers: &[("host", "dns.myhuaweicloud.com"), ("x-sdk-date", "20191115T033015Z")],
            payload: b"",
        }
        .request();
        let to_sign = format!("SDK-HMAC-SHA256\n20191115T033015Z\n{}", sign::sha256_hex(canonical.as_bytes()));
        let expected = sign::hex(&sign::hmac_sha256(b"SK", &to_sign));
        assert!(req.header_value("Authorization").unwrap().ends_with(&expected));
    }
}
