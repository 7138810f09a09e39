//! Tencent Cloud DNSPod API 3.0 (version 2021-03-23) with a SecretId/SecretKey pair, signed with
//! TC3-HMAC-SHA256. https://www.tencentcloud.com/document/product/1157/49025 — every call is a
//! POST of a JSON body to the endpoint with the action in `X-TC-Action`; errors come back as
//! `Response.Error` with HTTP 200. `DescribeRecordList` by sub-domain and type, `ModifyRecord`
//! by id, `CreateRecord`; the line is the default one.

use super::rest::{secrets_only, stale, update_records, Api, Existing, Name, Records};
use super::sign::{self, Canonical, Credentials};
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD, ZONE_FIELD};
use crate::http::{host_of, Method, Request};
use serde_json::{json, Value};

pub struct Tencent;

static FIELDS: &[Field] = &[
    Field::required("username", FieldKind::Text, "SecretId of an API key allowed to manage DNSPod records"),
    Field::required("password", FieldKind::Secret, "SecretKey"),
    ZONE_FIELD,
    SERVER_FIELD,
];

impl Protocol for Tencent {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Tencent Cloud DNSPod", &["/Response/Error/Message"], secrets_only);
        update_records(job, "Tencent Cloud DNSPod", &mut Tc3 { api, now: sign::now }, 600, 1)
    }
}

struct Tc3<'a> {
    api: Api<'a>,
    now: fn() -> u64,
}

/// The request for `action` with `body`, signed with TC3-HMAC-SHA256 for service `dnspod`.
pub fn signed(base: &str, action: &str, body: &str, key: &Credentials) -> Request {
    let (secret_id, secret_key, now) = (key.id, key.secret, key.now);
    let date = &sign::iso8601(now)[..10];
    let content_type = "application/json; charset=utf-8";
    let path = format!("{}/", sign::base_path(base));
    let canonical = Canonical {
        method: "POST",
        path: &path,
        query: &[],
        headers: &[("content-type", content_type), ("host", host_of(base))],
        payload: body.as_bytes(),
    };
    let (request, signed_headers) = canonical.request();
    let scope = format!("{date}/dnspod/tc3_request");
    let to_sign = format!("TC3-HMAC-SHA256\n{now}\n{scope}\n{}", sign::sha256_hex(request.as_bytes()));
    let key = sign::derive_key(&format!("TC3{secret_key}"), &[date, "dnspod", "tc3_request"]);
    let signature = sign::hex(&sign::hmac_sha256(&key, &to_sign));
    let mut req = Request::new(Method::Post, format!("{}/", base.trim_end_matches('/')))
        .header("Content-Type", content_type)
        .header("X-TC-Action", action)
        .header("X-TC-Version", "2021-03-23")
        .header("X-TC-Timestamp", now.to_string())
        .header(
            "Authorization",
            format!(
                "TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, Signature={signature}"
            ),
        )
        .secret(secret_key);
    req.body = Some(body.to_string());
    req
}

impl Tc3<'_> {
    /// The `Response` of `action`; `None` when the error code is `absent` (the API's "no such
    /// thing", which is an error here rather than an empty answer).
    fn call(&mut self, action: &str, body: Value, absent: &str) -> Result<Option<Value>, Outcome> {
        let key = Credentials::of(self.api.job.account, (self.now)());
        let req = signed(self.api.base(), action, &body.to_string(), &key);
        let answer = self.api.send(req)?;
        let Some(error) = answer["Response"].get("Error") else {
            return Ok(Some(answer["Response"].clone()));
        };
        let code = error["Code"].as_str().unwrap_or("");
        if code == absent {
            return Ok(None);
        }
        let message = error["Message"].as_str().unwrap_or("no message");
        let said = format!("Tencent Cloud DNSPod {action}: {code}: {message}");
        Err(if code.starts_with("AuthFailure") {
            Outcome::stop(Kind::Auth, format!("Tencent Cloud refused the key ({code}: {message})"))
        } else if code.starts_with("RequestLimitExceeded") {
            Outcome::retry(Kind::RateLimited, said)
        } else if code.starts_with("InternalError") {
            Outcome::retry(Kind::ProviderError, said)
        } else {
            Outcome::stop(Kind::ProviderError, said)
        })
    }
}

impl Records for Tc3<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let body = json!({"Domain": name.zone, "Subdomain": name.relative, "RecordType": name.rtype});
        let list = self.call("DescribeRecordList", body, "ResourceNotFound.NoDataOfRecord")?.unwrap_or_default();
        Ok(Existing::collect(&list["RecordList"], "RecordId", "Value", |r| r["Name"] == name.relative.as_str()))
    }

    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        for r in stale(found, ip) {
            let id: u64 = r
                .id
                .parse()
                .map_err(|_| Outcome::retry(Kind::MalformedAnswer, "DNSPod listed a record without a numeric id"))?;
            let body = json!({"Domain": name.zone, "RecordId": id, "SubDomain": name.relative,
                              "RecordType": name.rtype, "RecordLine": "默认", "Value": ip, "TTL": ttl});
            self.call("ModifyRecord", body, "")?;
        }
        Ok(())
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        let body = json!({"Domain": name.zone, "SubDomain": name.relative, "RecordType": name.rtype,
                          "RecordLine": "默认", "Value": ip, "TTL": ttl});
        self.call("CreateRecord", body, "").map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    /// TC3 signs the canonical URI: behind a path it is that path, not `/`.
    #[test]
    fn a_path_in_server_is_signed() {
        let key = Credentials { id: "AKIDz8", secret: "Gu5t9", now: 1_551_113_065 };
        let behind = signed("https://gw.example/tc", "DescribeRecordList", "{}", &key);
        assert_eq!(behind.url, "https://gw.example/tc/");
        let (canonical, _) = Canonical {
            method: "POST",
            path: "/tc/",
            query: &[],
            headers: &[("content-type", "application/json; charset=utf-8"), ("host", "gw.example")],
            payload: b"{}",
        }
        .request();
        let scope = "2019-02-25/dnspod/tc3_request";
        let to_sign = format!("TC3-HMAC-SHA256\n1551113065\n{scope}\n{}", sign::sha256_hex(canonical.as_bytes()));
        let k = sign::derive_key("TC3Gu5t9", &["2019-02-25", "dnspod", "tc3_request"]);
        let want = sign::hex(&sign::hmac_sha256(&k, &to_sign));
        let auth = behind.header_value("Authorization").unwrap();
        assert!(auth.ends_with(&format!("Signature={want}")), "{auth}");
    }

    #[test]
    fn signs_like_the_documented_recipe() {
        // The TC3 recipe step by step for a fixed request; the pieces are checked separately
        // (canonical request, scope, key chain), the signature is the HMAC of their composition.
        let req = signed(
            "https://dnspod.tencentcloudapi.com",
            "DescribeRecordList",
            "{}",
            &Credentials { id: "AKIDz8", secret: "Gu5t9", now: 1_551_113_065 },
        );
        let auth = req.header_value("Authorization").unwrap();
        assert!(auth.starts_with("TC3-HMAC-SHA256 Credential=AKIDz8/2019-02-25/dnspod/tc3_request, SignedHeaders=content-type;host, Signature="));
        let (canonical, _) = Canonical {
            method: "POST",
            path: "/",
            query: &[],
            headers: &[("content-type", "application/json; charset=utf-8"), ("host", "dnspod.tencentcloudapi.com")],
            payload: b"{}",
        }
        .request();
        assert_eq!(
            canonical,
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:dnspod.tencentcloudapi.com\n\ncontent-type;host\n\
             44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        let to_sign = format!(
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/dnspod/tc3_request\n{}",
            sign::sha256_hex(canonical.as_bytes())
        );
        let key = sign::derive_key("TC3Gu5t9", &["2019-02-25", "dnspod", "tc3_request"]);
        assert!(auth.ends_with(&sign::hex(&sign::hmac_sha256(&key, &to_sign))));
        assert_eq!(req.header_value("X-TC-Timestamp"), Some("1551113065"));
    }

    #[test]
    fn lists_then_modifies_and_reads_errors_in_a_200() {
        let svc = service(
            "config service s\n option provider 'tencent'\n list hostname 'home.example.org'\n option username 'AKIDz8'\n \
             option password 'tc-secret'\n option zone 'example.org'\n",
        );
        let list = r#"{"Response":{"RecordCountInfo":{"SubdomainCount":1,"ListCount":1,"TotalCount":1},
            "RecordList":[{"RecordId":556507778,"Value":"198.51.100.1","Status":"ENABLE","UpdatedOn":"2026-11-30 17:00:00",
            "Name":"home","Line":"默认","LineId":"0","Type":"A","TTL":600}],"RequestId":"x"}}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, list),
            Scripted::body(200, r#"{"Response":{"RecordId":556507778,"RequestId":"y"}}"#),
        ]);
        let r = Tencent.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://dnspod.tencentcloudapi.com/");
        assert_eq!(t.sent[0].header_value("X-TC-Action"), Some("DescribeRecordList"));
        assert_eq!(t.sent[1].header_value("X-TC-Action"), Some("ModifyRecord"));
        let body: Value = serde_json::from_str(t.sent[1].body.as_deref().unwrap()).unwrap();
        assert_eq!(body["RecordId"], 556507778);
        assert_eq!(body["Value"], "198.51.100.2");
        assert_eq!(r[0].outcome, Outcome::Updated);

        let none = r#"{"Response":{"Error":{"Code":"ResourceNotFound.NoDataOfRecord","Message":"记录列表为空。"},"RequestId":"z"}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, none)]);
        let r = Tencent.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("create_missing")));
        let denied = r#"{"Response":{"Error":{"Code":"AuthFailure.SignatureFailure","Message":"The provided credentials could not be validated."},"RequestId":"w"}}"#;
        let mut t = Scripted::new(vec![Scripted::body(200, denied)]);
        let r = Tencent.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert!(
            matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("AuthFailure.SignatureFailure"))
        );
        assert_no_secret(&r, "tc-secret");
    }
}
