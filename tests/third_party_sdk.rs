//! The signatures of the signed-API providers, recomputed by each provider's official SDK from
//! PyPI (pinned in tests/third_party/requirements.txt): the real binary runs against a local
//! HTTPS stand-in that records every request (reads, creates and replaces, A and AAAA), and
//! tests/third_party/signatures.py has the SDK sign the same method, URL, headers, body and
//! timestamp. Alibaba Cloud RPC v1 (alibabacloud-openapi-util), Tencent Cloud TC3
//! (tencentcloud-sdk-python-common), Huawei Cloud SDK-HMAC-SHA256 (huaweicloudsdkcore) and the
//! Google service-account JWT (google-auth). Route 53's SigV4 is checked the same way with
//! botocore in third_party_route53.rs.
//!
//! The stand-ins answer only what it takes to walk the binary through a read, a replace (home:
//! a stale record exists) and a create (nas: none); the signatures are what is judged here.

mod support;
#[path = "third_party/mod.rs"]
mod third_party;

use serde_json::{json, Value};
use support::*;
use third_party::*;

const ZONE: &str = "example.org";
const STALE: &str = "192.0.2.1";

fn needs() -> bool {
    let python = python();
    prerequisites("official SDKs", &[(python.to_str().unwrap(), "tests/third_party/setup.sh"), ("openssl", "openssl")])
}

/// Run the binary once against `api` with the service options `svc`; every request it made.
fn capture(
    tag: &str,
    svc: impl FnOnce(&Rig, &HttpsServer) -> String,
    api: impl FnMut(&Recorded) -> Reply + Send + 'static,
) -> (Rig, Vec<Recorded>) {
    let rig = Rig::new(tag);
    let server = HttpsServer::start(&rig.ca, None, api);
    let cfg = rig.config(ZONE, &svc(&rig, &server));
    let out = rig.once(&cfg, true);
    assert!(out.status.success(), "{tag}: {}\n{:#?}", text(&out), server.requests());
    let requests = server.requests();
    (rig, requests)
}

/// The relative name a request is about (`home` or `nas`), from whatever field carries it.
fn is_home(text: &str) -> bool {
    text.contains("home")
}

#[test]
fn alibaba_cloud_rpc_signature_agrees_with_the_sdk() {
    if !needs() {
        return;
    }
    let (id, secret) = ("LTAI5tThirdParty", "ali secret+/=~*");
    let (rig, requests) = capture(
        "sdk-aliyun",
        |_, api| {
            format!(
                "\toption provider 'alidns'\n\toption server '{}'\n\toption username '{id}'\n\
                 \toption password '{secret}'\n\toption zone '{ZONE}'\n\toption create_missing '1'\n",
                api.url("")
            )
        },
        |r| {
            let action = r.query("Action").unwrap_or_default();
            let reply = match action.as_str() {
                "DescribeSubDomainRecords" => {
                    let sub = r.query("SubDomain").unwrap_or_default();
                    let recs: Vec<Value> = if is_home(&sub) {
                        vec![
                            json!({"RR": "home", "Type": r.query("Type"), "Value": STALE, "RecordId": "17", "TTL": 600}),
                        ]
                    } else {
                        vec![]
                    };
                    json!({"RequestId": "r", "TotalCount": recs.len(), "DomainRecords": {"Record": recs}})
                }
                _ => json!({"RequestId": "r", "RecordId": "18"}),
            };
            Reply::json(200, &reply)
        },
    );
    let actions: Vec<String> = requests.iter().filter_map(|r| r.query("Action")).collect();
    assert!(actions.iter().any(|a| a == "UpdateDomainRecord") && actions.iter().any(|a| a == "AddDomainRecord"));
    sdk_agrees(&rig.dir, "aliyun", id, secret, &requests);
}

#[test]
fn tencent_cloud_tc3_signature_agrees_with_the_sdk() {
    if !needs() {
        return;
    }
    let (id, secret) = ("AKIDThirdParty", "tencent-secret+/=");
    let (rig, requests) = capture(
        "sdk-tc3",
        |_, api| {
            format!(
                "\toption provider 'tencent'\n\toption server '{}'\n\toption username '{id}'\n\
                 \toption password '{secret}'\n\toption zone '{ZONE}'\n\toption create_missing '1'\n",
                api.url("")
            )
        },
        |r| {
            let body: Value = serde_json::from_str(&r.body).unwrap_or_default();
            let response = match r.header("x-tc-action").unwrap_or("") {
                "DescribeRecordList" if is_home(body["Subdomain"].as_str().unwrap_or("")) => json!({
                    "RecordList": [{"RecordId": 17, "Name": "home", "Type": body["RecordType"], "Value": STALE,
                                    "TTL": 600, "Line": "默认"}]
                }),
                "DescribeRecordList" => {
                    json!({"Error": {"Code": "ResourceNotFound.NoDataOfRecord", "Message": "记录列表为空。"}})
                }
                _ => json!({"RecordId": 18}),
            };
            let mut response = response;
            response["RequestId"] = "r".into();
            Reply::json(200, &json!({ "Response": response }))
        },
    );
    let actions: Vec<&str> = requests.iter().filter_map(|r| r.header("x-tc-action")).collect();
    assert!(actions.contains(&"ModifyRecord") && actions.contains(&"CreateRecord"), "{actions:?}");
    sdk_agrees(&rig.dir, "tc3", id, secret, &requests);
}

#[test]
fn huawei_cloud_sdk_hmac_sha256_agrees_with_the_sdk() {
    if !needs() {
        return;
    }
    let (id, secret) = ("HWTHIRDPARTYAK", "huawei-secret+/=");
    let zone_path = "/v2/zones/ff8080825b8fc86c015b94bc6f8712c3";
    let (rig, requests) = capture(
        "sdk-huawei",
        |_, api| {
            format!(
                "\toption provider 'huaweicloud'\n\toption server '{}'\n\toption username '{id}'\n\
                 \toption password '{secret}'\n\toption zone '{ZONE}'\n\toption create_missing '1'\n",
                api.url("")
            )
        },
        move |r| match (r.method.as_str(), r.path()) {
            ("GET", "/v2/zones") => Reply::json(
                200,
                &json!({"zones": [{"id": "ff8080825b8fc86c015b94bc6f8712c3", "name": format!("{ZONE}."),
                                   "zone_type": "public"}], "metadata": {"total_count": 1}}),
            ),
            ("GET", _) => {
                let (name, rtype) = (r.query("name").unwrap_or_default(), r.query("type").unwrap_or_default());
                let sets: Vec<Value> = if is_home(&name) {
                    vec![json!({"id": "rs-home", "name": name, "type": rtype, "ttl": 600, "records": [STALE]})]
                } else {
                    vec![]
                };
                Reply::json(200, &json!({"recordsets": sets, "metadata": {"total_count": sets.len()}}))
            }
            (_, p) if p.starts_with(zone_path) => Reply::json(202, &json!({"id": "rs-new", "status": "PENDING"})),
            _ => Reply::status(404, "no such route"),
        },
    );
    let methods: Vec<&str> = requests.iter().map(|r| r.method.as_str()).collect();
    assert!(methods.contains(&"PUT") && methods.contains(&"POST"), "{methods:?}");
    sdk_agrees(&rig.dir, "huawei", id, secret, &requests);
}

#[test]
fn google_service_account_jwt_agrees_with_google_auth() {
    if !needs() {
        return;
    }
    let key = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let key_json = key.clone();
    let (rig, requests) = capture(
        "sdk-google",
        move |rig, api| {
            let pem = rig.dir.path("sa.pem");
            must(std::process::Command::new("openssl").args(["genpkey", "-algorithm", "RSA", "-out"]).arg(&pem));
            let info = json!({"type": "service_account", "project_id": "home-dns",
                              "private_key": std::fs::read_to_string(&pem).unwrap(),
                              "client_email": "ddns@home-dns.iam.gserviceaccount.com",
                              "token_uri": api.url("/token")});
            *key_json.lock().unwrap() = info.to_string();
            let file = rig.dir.write("sa.json", &info.to_string());
            format!(
                "\toption provider 'gcp'\n\toption server '{}'\n\toption key_file '{}'\n\
                 \toption managed_zone 'example-org'\n\toption zone '{ZONE}'\n\toption create_missing '1'\n",
                api.url(""),
                file.display()
            )
        },
        |r| match (r.method.as_str(), r.path()) {
            ("POST", "/token") => Reply::json(
                200,
                &json!({"access_token": "ya29.c.third-party", "expires_in": 3599, "token_type": "Bearer"}),
            ),
            ("GET", _) => Reply::json(200, &json!({"kind": "dns#resourceRecordSetsListResponse", "rrsets": []})),
            _ => Reply::json(200, &json!({})),
        },
    );
    let token_requests: Vec<Recorded> = requests.into_iter().filter(|r| r.path() == "/token").collect();
    let key = key.lock().unwrap().clone();
    sdk_agrees(&rig.dir, "google-jwt", "", &key, &token_requests);
}
