//! Google Cloud DNS (API v1) with a service account key (the JSON file Google issues).
//! https://cloud.google.com/dns/docs/reference/rest/v1/resourceRecordSets and the OAuth 2.0
//! service-account flow (https://developers.google.com/identity/protocols/oauth2/service-account):
//! a JWT signed with the account's RSA key (RS256) buys an access token at the key's
//! `token_uri`; then the RRset of a name and type is read, patched or created in the managed
//! zone.

use super::rest::{secrets_only, update_records, Api, Existing, Name, Records};
use super::sign;
use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, SERVER_FIELD};
use crate::encoding::{base64, url_encode};
use crate::error::Error;
use crate::http::{Method, Request};
use serde_json::{json, Value};

pub struct Gcp;

static FIELDS: &[Field] = &[
    Field::required("key_file", FieldKind::Text, "path of the service account's JSON key (keep it mode 600)"),
    Field::required("managed_zone", FieldKind::Text, "the managed zone's name in Cloud DNS, e.g. example-org"),
    Field::required("zone", FieldKind::Text, "the zone's DNS name, e.g. example.org"),
    Field::optional("project", FieldKind::Text, "project ID (default: the key's project)"),
    SERVER_FIELD,
];

const SCOPE: &str = "https://www.googleapis.com/auth/ndev.clouddns.readwrite";

impl Protocol for Gcp {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let api = Api::new(http, job, "Google Cloud DNS", &["/error/message", "/error_description"], secrets_only);
        let mut dns = CloudDns { api, token: None, project: String::new() };
        update_records(job, "Google Cloud DNS", &mut dns, 300, 0)
    }
}

struct CloudDns<'a> {
    api: Api<'a>,
    token: Option<String>,
    project: String,
}

/// base64url without padding, as JWTs use.
fn b64url(data: &[u8]) -> String {
    base64(data).trim_end_matches('=').replace('+', "-").replace('/', "_")
}

/// The signed JWT assertion for the key, issued at `now`.
pub fn assertion(key: &Value, now: u64) -> Result<String, Error> {
    let pem = key["private_key"].as_str().ok_or_else(|| Error::Config("the key file has no private_key".into()))?;
    let claims =
        json!({"iss": key["client_email"], "scope": SCOPE, "aud": key["token_uri"], "iat": now, "exp": now + 3600});
    let signing_input =
        format!("{}.{}", b64url(br#"{"alg":"RS256","typ":"JWT"}"#), b64url(claims.to_string().as_bytes()));
    let signature = sign::rsa_sign(pem, &ring::signature::RSA_PKCS1_SHA256, signing_input.as_bytes())?;
    Ok(format!("{signing_input}.{}", b64url(&signature)))
}

impl CloudDns<'_> {
    /// An access token, fetched once per job.
    fn token(&mut self) -> Result<String, Outcome> {
        if let Some(t) = &self.token {
            return Ok(t.clone());
        }
        let svc = self.api.job.account;
        let path = svc.param("key_file").unwrap_or("");
        let key: Value = std::fs::read_to_string(path)
            .map_err(|e| Outcome::stop(Kind::Config, format!("cannot read key_file {path}: {e}")))
            .and_then(|t| {
                serde_json::from_str(&t)
                    .map_err(|_| Outcome::stop(Kind::Config, format!("key_file {path} is not JSON")))
            })?;
        let token_uri = key["token_uri"].as_str().unwrap_or("https://oauth2.googleapis.com/token").to_string();
        let jwt = assertion(&key, sign::now()).map_err(|e| Outcome::stop(Kind::Config, format!("{e} ({path})")))?;
        self.project = svc.param("project").or(key["project_id"].as_str()).unwrap_or("").to_string();
        let mut req = Request::new(Method::Post, token_uri)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .secret(&jwt);
        req.body =
            Some(format!("grant_type={}&assertion={jwt}", url_encode("urn:ietf:params:oauth:grant-type:jwt-bearer")));
        let answer = self.api.send(req)?;
        let token = answer["access_token"]
            .as_str()
            .ok_or_else(|| Outcome::retry(Kind::MalformedAnswer, "Google gave no access token"))?;
        self.token = Some(token.to_string());
        Ok(token.to_string())
    }

    fn call(&mut self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Outcome> {
        let token = self.token()?;
        let zone = self.api.job.account.param("managed_zone").unwrap_or("");
        let url = format!(
            "{}/projects/{}/managedZones/{}{path}",
            self.api.base(),
            url_encode(&self.project),
            url_encode(zone)
        );
        let mut req = Request::new(method, url).bearer(&token);
        if let Some(b) = body {
            req = req.json_body(b);
        }
        self.api.send(req)
    }
}

fn rrset(name: &Name, ip: &str, ttl: u32) -> Value {
    json!({"name": format!("{}.", name.fqdn()), "type": name.rtype, "ttl": ttl, "rrdatas": [ip]})
}

impl Records for CloudDns<'_> {
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome> {
        let fqdn = format!("{}.", name.fqdn());
        let list = self.call(Method::Get, &format!("/rrsets?name={}&type={}", url_encode(&fqdn), name.rtype), None)?;
        let sets = list["rrsets"].as_array().cloned().unwrap_or_default();
        let set = sets.iter().find(|s| s["name"] == fqdn.as_str() && s["type"] == name.rtype);
        Ok(set.map(|s| Existing::values(&s["rrdatas"])).unwrap_or_default())
    }

    fn replace(&mut self, name: &Name, _: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome> {
        let path = format!("/rrsets/{}/{}", url_encode(&format!("{}.", name.fqdn())), name.rtype);
        self.call(Method::Patch, &path, Some(&rrset(name, ip, ttl))).map(drop)
    }

    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome> {
        self.call(Method::Post, "/rrsets", Some(&rrset(name, ip, ttl))).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::base64_decode;
    use crate::providers::testing::{job, service, Scripted, Update};

    fn key_file(dir: &std::path::Path) -> String {
        let key = json!({"type": "service_account", "project_id": "home-dns-4711", "private_key_id": "k1",
            "private_key": include_str!("../../tests/fixtures/rsa-test-key.pem"),
            "client_email": "ddns@home-dns-4711.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"});
        let path = dir.join("gcp-key.json");
        std::fs::write(&path, key.to_string()).unwrap();
        path.display().to_string()
    }

    #[test]
    fn the_assertion_is_an_rs256_jwt_for_the_dns_scope() {
        let dir = std::env::temp_dir().join(format!("edgeddns-gcp-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key: Value = serde_json::from_str(&std::fs::read_to_string(key_file(&dir)).unwrap()).unwrap();
        let jwt = assertion(&key, 1_700_000_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let decode = |p: &str| base64_decode(&p.replace('-', "+").replace('_', "/")).unwrap();
        assert_eq!(decode(parts[0]), br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims: Value = serde_json::from_slice(&decode(parts[1])).unwrap();
        assert_eq!(claims["iss"], "ddns@home-dns-4711.iam.gserviceaccount.com");
        assert_eq!(claims["scope"], SCOPE);
        assert_eq!(claims["aud"], "https://oauth2.googleapis.com/token");
        assert_eq!((claims["iat"].as_u64(), claims["exp"].as_u64()), (Some(1_700_000_000), Some(1_700_003_600)));
        assert_eq!(decode(parts[2]).len(), 256, "a 2048-bit RSA signature");
        assert!(assertion(&json!({"private_key": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"}), 0)
            .is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn token_then_rrset_patch() {
        let dir = std::env::temp_dir().join(format!("edgeddns-gcp-flow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let svc = service(&format!(
            "config service s\n option provider 'gcp'\n list hostname 'home.example.org'\n option key_file '{}'\n \
             option managed_zone 'example-org'\n option zone 'example.org'\n",
            key_file(&dir)
        ));
        let sets = r#"{"rrsets":[{"kind":"dns#resourceRecordSet","name":"home.example.org.","type":"A","ttl":300,"rrdatas":["198.51.100.1"]}]}"#;
        let mut t = Scripted::new(vec![
            Scripted::body(200, r#"{"access_token":"ya29.c.abc","expires_in":3599,"token_type":"Bearer"}"#),
            Scripted::body(200, sets),
            Scripted::body(200, "{}"),
        ]);
        let r = Gcp.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://oauth2.googleapis.com/token");
        assert!(t.sent[0]
            .body
            .as_deref()
            .unwrap()
            .starts_with("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey"));
        assert_eq!(
            t.sent[1].url,
            "https://dns.googleapis.com/dns/v1/projects/home-dns-4711/managedZones/example-org/rrsets?name=home.example.org.&type=A"
        );
        assert_eq!(t.sent[1].header_value("Authorization"), Some("Bearer ya29.c.abc"));
        assert_eq!(t.sent[2].method, Method::Patch);
        assert!(t.sent[2].url.ends_with("/rrsets/home.example.org./A"));
        assert_eq!(
            t.sent[2].body.as_deref(),
            Some(r#"{"name":"home.example.org.","rrdatas":["198.51.100.2"],"ttl":300,"type":"A"}"#)
        );
        assert_eq!(r[0].outcome, Outcome::Updated);
        assert!(!t.sent[0].display_masked().contains("assertion=ey"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
