//! Alibaba Cloud DNS (AliDNS, API version 2015-01-09) with an AccessKey pair, RPC signature v1.
//! https://www.alibabacloud.com/help/en/dns/api-alidns-2015-01-09-dir — every call is a GET whose
//! sorted, percent-encoded parameters are signed with HMAC-SHA1 (`Signature`). Records of a
//! name and type come from `DescribeSubDomainRecords`; `UpdateDomainRecord` changes one by id,
//! `AddDomainRecord` creates one. The apex is `@`.

use super::rest::{secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::sign;
use super::{Field, FieldKind, Job, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::encoding::{base64, url_encode};
use crate::http::Request;
use serde_json::Value;

pub struct AliDns;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "AccessKey ID (a RAM user's key with AliyunDNSFullAccess)"),
    Field::required("password", FieldKind::Secret, "AccessKey secret"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for AliDns {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Alibaba Cloud DNS", &["/Message"], secrets_only);
        update_records(job, "Alibaba Cloud DNS", &mut Rpc { api, now: sign::now }, 600, 1)
    }
}

struct Rpc<'a> {
    api: Api<'a>,
    /// The clock, replaceable in tests.
    now: fn() -> u64,
}

/// The signed query string for `params` plus the common parameters they do not set.
pub fn signed_query(params: &[(&str, &str)], key_id: &str, secret: &str, timestamp: &str, nonce: &str) -> String {
    let common = [
        ("Format", "JSON"),
        ("Version", "2015-01-09"),
        ("AccessKeyId", key_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("Timestamp", timestamp),
        ("SignatureVersion", "1.0"),
        ("SignatureNonce", nonce),
    ];
    let mut all = params.to_vec();
    all.extend(common.into_iter().filter(|(k, _)| !params.iter().any(|(p, _)| p == k)));
    all.sort();
    let canonical: Vec<String> = all.iter().map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v))).collect();
    let canonical = canonical.join("&");
    let to_sign = format!("GET&%2F&{}", url_encode(&canonical));
    let signature = base64(&sign::hmac_sha1(format!("{secret}&").as_bytes(), &to_sign));
    format!("{canonical}&Signature={}", url_encode(&signature))
}

impl Rpc<'_> {
    fn call(&mut self, params: &[(&str, &str)]) -> Result<Value, Outcome> {
        let svc = self.api.job.account;
        let query =
            signed_query(params, &svc.username, svc.password.expose(), &sign::iso8601((self.now)()), &sign::nonce());
        let req = secrets_only(Request::get(format!("{}/?{query}", self.api.base())), self.api.job);
        self.api.send(req)
    }
}

impl Records for Rpc<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let fqdn = name.fqdn();
        let params = [
            ("Action", "DescribeSubDomainRecords"),
            ("DomainName", name.zone),
            ("SubDomain", &fqdn),
            ("Type", name.rtype),
            ("PageSize", "100"),
        ];
        let found = self.call(&params)?;
        Ok(Existing::collect(&found["DomainRecords"]["Record"], "RecordId", "Value", |r| {
            r["RR"] == name.relative.as_str()
        }))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl.to_string();
        for r in stale(found, ip) {
            let params = [
                ("Action", "UpdateDomainRecord"),
                ("RecordId", r.id.as_str()),
                ("RR", &name.relative),
                ("Type", name.rtype),
                ("Value", ip),
                ("TTL", &ttl),
            ];
            self.call(&params)?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let ttl = ttl.to_string();
        let params = [
            ("Action", "AddDomainRecord"),
            ("DomainName", name.zone),
            ("RR", &name.relative),
            ("Type", name.rtype),
            ("Value", ip),
            ("TTL", &ttl),
        ];
        self.call(&params).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    #[test]
    fn signs_the_documented_example() {
        // The worked example of Alibaba Cloud's RPC signature documentation.
        let q = signed_query(
            &[("Action", "DescribeDomainRecords"), ("DomainName", "example.com"), ("Format", "XML")],
            "testid",
            "testsecret",
            "2016-03-24T16:41:54Z",
            "f59ed6a9-83fc-473b-9cc6-99c95df3856e",
        );
        assert!(q.ends_with("&Signature=uRpHwaSEt3J%2B6KQD%2F%2FsvCh%2Fx%2BpI%3D"), "{q}");
    }

    #[test]
    fn finds_then_updates_by_record_id() {
        let svc = service(
            "config service s\n option provider 'alidns'\n list hostname 'home.example.org'\n option username 'LTAIkey'\n \
             option password 'ali-secret'\n option zone 'example.org'\n",
        );
        let found = r#"{"TotalCount":1,"PageSize":100,"RequestId":"x","DomainRecords":{"Record":[
            {"RR":"home","Line":"default","Status":"ENABLE","Locked":false,"Type":"A","DomainName":"example.org",
             "Value":"198.51.100.1","RecordId":"9999985","TTL":600}]}}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, found),
            Scripted::body(200, r#"{"RequestId":"y","RecordId":"9999985"}"#),
        ]);
        let r = AliDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(t.sent[0]
            .url
            .starts_with("https://alidns.aliyuncs.com/?AccessKeyId=LTAIkey&Action=DescribeSubDomainRecords"));
        assert!(t.sent[0].url.contains("&SubDomain=home.example.org&"));
        assert!(t.sent[1].url.contains("Action=UpdateDomainRecord") && t.sent[1].url.contains("RecordId=9999985"));
        assert!(t.sent[1].url.contains("&RR=home&") && t.sent[1].url.contains("&Value=198.51.100.2"));
        assert_eq!(r[0].outcome, Outcome::Updated);
        let denied =
            r#"{"RequestId":"z","Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found."}"#;
        let mut t = Scripted::new(vec![Scripted::body(404, denied)]);
        let r = AliDns.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("access key is not found")));
        assert_no_secret(&r, "ali-secret");
    }
}
