//! TransIP API v6: a login signed with the account's RSA key.

use super::*;

// The login checks the key's signature; the DNS calls check the token it issued.
pub const DOUBLE: Double = Double::new(
    "transip",
    "/v6",
    "\toption username 'jdoe'\n\toption key_file '{DIR}/transip-SECRET.pem'\n",
    |_| true,
    route,
    |s, m| Reply::json(s, &json!({"error": m})),
)
.with_setup(transip_keys);

scenario_tests!();

/// The account's key file under the right secret's name, a stranger's under the wrong one.
fn transip_keys(dir: &TempDir, _: &str) {
    dir.write(&format!("transip-{SECRET}.pem"), &rsa_fixture(ACCOUNT_KEY).0);
    dir.write(&format!("transip-wrong-{SECRET}.pem"), &rsa_fixture(STRANGER_KEY).0);
}

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() == "/v6/auth" {
        let signature = edgeddns::encoding::base64_decode(r.header("signature").unwrap_or("")).unwrap_or_default();
        let key = rsa_fixture(ACCOUNT_KEY).1;
        let valid = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA512, key)
            .verify(r.body.as_bytes(), &signature);
        let b = body(r).map_err(bad)?;
        if valid.is_err()
            || b["login"] != "jdoe"
            || !b["nonce"].as_str().is_some_and(|n| !n.is_empty() && n.len() <= 32)
        {
            return Err((401, "Signature is not valid".into()));
        }
        return Ok(Reply::json(201, &json!({"token": "transip-access-token"})));
    }
    if r.header("authorization") != Some("Bearer transip-access-token") {
        return Err((401, "No valid authentication token".into()));
    }
    if r.path() != format!("/v6/domains/{ZONE}/dns") {
        return Err((404, "Domain not found".into()));
    }
    let entry = |r: &Recorded| -> Result<Value, (u16, String)> { Ok(body(r).map_err(bad)?["dnsEntry"].clone()) };
    match r.method.as_str() {
        "GET" => json_ok(
            json!({"dnsEntries": s.recs.iter().map(|x| json!({"name": x.name, "expire": x.ttl, "type": x.rtype, "content": x.value})).collect::<Vec<_>>()}),
        ),
        "PATCH" => {
            let e = entry(r)?;
            let matching: Vec<Rec> = s
                .recs
                .iter()
                .filter(|x| e["name"] == x.name.as_str() && e["type"] == x.rtype.as_str() && e["expire"] == x.ttl)
                .cloned()
                .collect();
            if matching.len() != 1 {
                return Err((404, "Entry not found or not unique".into()));
            }
            s.edit(&matching[0].id.to_string(), str_of(&e, "content").map_err(bad)?, None).map_err(bad)?;
            Ok(Reply::status(204, ""))
        }
        "POST" => {
            let e = entry(r)?;
            s.add(
                str_of(&e, "name").map_err(bad)?,
                str_of(&e, "type").map_err(bad)?,
                str_of(&e, "content").map_err(bad)?,
                u64_of(&e, "expire").map_err(bad)?,
            )
            .map_err(bad)?;
            Ok(Reply::status(201, ""))
        }
        _ => no_route(),
    }
}
