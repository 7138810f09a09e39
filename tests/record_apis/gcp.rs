//! Google Cloud DNS: a service-account JWT exchanged for a token, record sets by name and type.

use super::*;

// The token endpoint checks the signed assertion; the DNS API checks the token it issued.
pub const DOUBLE: Double = Double::new(
    "gcp",
    "",
    "\toption key_file '{DIR}/key-SECRET.json'\n\toption managed_zone 'example-org'\n",
    |_| true,
    route,
    |s, m| Reply::json(s, &json!({"error": {"code": s, "message": m}, "error_description": m})),
)
.with_setup(gcp_keys);

scenario_tests!();

const GCP_TOKEN: &str = "ya29.c.test-access-token";

/// Two service-account key files: the account's (under the right secret's name) and a
/// stranger's (under the wrong one), both naming the double as token endpoint.
fn gcp_keys(dir: &TempDir, api: &str) {
    for (secret, key) in [(SECRET.to_string(), ACCOUNT_KEY), (format!("wrong-{SECRET}"), STRANGER_KEY)] {
        let key = json!({"type": "service_account", "project_id": "home-dns", "private_key": rsa_fixture(key).0,
                         "client_email": "ddns@home-dns.iam.gserviceaccount.com", "token_uri": format!("{api}/token")});
        dir.write(&format!("key-{secret}.json"), &key.to_string());
    }
}

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() == "/token" {
        let get = |k: &str| form_value(r, k);
        let invalid = |why: &str| Ok(Reply::json(400, &json!({"error": "invalid_grant", "error_description": why})));
        if get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
            return invalid("Invalid grant_type");
        }
        let jwt = get("assertion");
        let Some((input, sig)) = jwt.rsplit_once('.') else { return invalid("Invalid JWT") };
        let b64 =
            |t: &str| edgeddns::encoding::base64_decode(&t.replace('-', "+").replace('_', "/")).unwrap_or_default();
        let key = rsa_fixture(ACCOUNT_KEY).1;
        let verified = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
            .verify(input.as_bytes(), &b64(sig));
        if verified.is_err() {
            return invalid("Invalid JWT Signature.");
        }
        let (header, claims) = input.split_once('.').unwrap();
        let header: Value = serde_json::from_slice(&b64(header)).unwrap_or_default();
        let claims: Value = serde_json::from_slice(&b64(claims)).unwrap_or_default();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let (iat, exp) = (claims["iat"].as_u64().unwrap_or(0), claims["exp"].as_u64().unwrap_or(0));
        if header["alg"] != "RS256"
            || claims["iss"] != "ddns@home-dns.iam.gserviceaccount.com"
            || claims["scope"] != "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
            || !claims["aud"].as_str().is_some_and(|a| a.ends_with("/token"))
            || now.abs_diff(iat) > 300
            || exp <= iat
            || exp - iat > 3600
        {
            return invalid("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
        }
        return json_ok(json!({"access_token": GCP_TOKEN, "expires_in": 3599, "token_type": "Bearer"}));
    }
    if r.header("authorization") != Some(&format!("Bearer {GCP_TOKEN}")) {
        return Err((401, "Request had invalid authentication credentials.".into()));
    }
    let base = "/projects/home-dns/managedZones/example-org/rrsets";
    let set = |name: &str, rtype: &str, recs: &[Rec]| json!({"kind": "dns#resourceRecordSet", "name": format!("{}.", fqdn(name)), "type": rtype, "ttl": recs[0].ttl, "rrdatas": recs.iter().map(|x| x.value.clone()).collect::<Vec<_>>()});
    let parsed = |r: &Recorded| -> Result<NewSet, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let name = str_of(&b, "name").map_err(bad)?;
        let rel = name
            .strip_suffix(&format!(".{ZONE}."))
            .ok_or(bad(format!("Invalid value for 'entity.change.additions[0].name': '{name}'")))?;
        let values = b["rrdatas"]
            .as_array()
            .ok_or(bad("rrdatas missing".into()))?
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        Ok((rel.into(), str_of(&b, "type").map_err(bad)?.into(), values, u64_of(&b, "ttl").map_err(bad)?))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => {
            let name = r.query("name").unwrap_or_default();
            let rel = name.strip_suffix(&format!(".{ZONE}.")).unwrap_or("");
            let rtype = r.query("type").unwrap_or_default();
            let recs = s.named(rel, &rtype);
            let sets: Vec<Value> = if recs.is_empty() { vec![] } else { vec![set(rel, &rtype, &recs)] };
            json_ok(json!({"kind": "dns#resourceRecordSetsListResponse", "rrsets": sets}))
        }
        ("POST", p) if p == base => {
            let (rel, rtype, values, ttl) = parsed(r)?;
            if !s.named(&rel, &rtype).is_empty() {
                return Err((409, "The resource already exists".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            json_ok(json!({}))
        }
        ("PATCH", p) if p.starts_with(&format!("{base}/")) => {
            let (rel, rtype, values, ttl) = parsed(r)?;
            if p != format!("{base}/{}./{rtype}", fqdn(&rel)) || s.named(&rel, &rtype).is_empty() {
                return Err((404, "The 'parameters.name' resource named 'x' does not exist.".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}
