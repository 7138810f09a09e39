//! The signature schemes of the signed APIs, implemented here from their documentation so each
//! double checks what arrives on its own terms.

use crate::support::{percent_decode, Recorded};
use ring::{digest, hmac};

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn sha256(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

pub fn mac(key: &[u8], msg: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg.as_bytes()).as_ref().to_vec()
}

/// RFC 3986 encoding, as the SigV4 family canonicalises.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub fn query_pairs(r: &Recorded) -> Vec<(String, String)> {
    let Some((_, q)) = r.target.split_once('?') else { return vec![] };
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// The canonical request the SigV4 family signs, rebuilt from what arrived.
pub fn canonical(r: &Recorded, path: &str, signed_headers: &str) -> String {
    let mut q: Vec<String> = query_pairs(r).iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    q.sort();
    let headers: String =
        signed_headers.split(';').map(|h| format!("{h}:{}\n", r.header(h).unwrap_or("").trim())).collect();
    format!("{}\n{path}\n{}\n{headers}\n{signed_headers}\n{}", r.method, q.join("&"), sha256(r.body.as_bytes()))
}

/// `Credential=…, SignedHeaders=…, Signature=…` (or `Access=…`) of an Authorization value.
pub fn auth_fields(r: &Recorded, scheme: &str) -> Option<(String, String, String)> {
    let rest = r.header("authorization")?.strip_prefix(scheme)?.trim();
    let mut cred = None;
    let mut signed = None;
    let mut sig = None;
    for part in rest.split(", ") {
        let (k, v) = part.split_once('=')?;
        match k {
            "Credential" | "Access" => cred = Some(v.to_string()),
            "SignedHeaders" => signed = Some(v.to_string()),
            "Signature" => sig = Some(v.to_string()),
            _ => return None,
        }
    }
    Some((cred?, signed?, sig?))
}

/// AWS SigV4 for Route 53 with `secret`.
pub fn aws(r: &Recorded, key_id: &str, secret: &str) -> bool {
    let Some((cred, signed, sig)) = auth_fields(r, "AWS4-HMAC-SHA256") else { return false };
    let Some((id, scope)) = cred.split_once('/') else { return false };
    let parts: Vec<&str> = scope.split('/').collect();
    let Some(date) = r.header("x-amz-date") else { return false };
    if id != key_id
        || parts.len() != 4
        || parts[1..] != ["us-east-1", "route53", "aws4_request"]
        || !date.starts_with(parts[0])
    {
        return false;
    }
    if !signed.split(';').any(|h| h == "host") {
        return false;
    }
    let to_sign = format!("AWS4-HMAC-SHA256\n{date}\n{scope}\n{}", sha256(canonical(r, r.path(), &signed).as_bytes()));
    let mut key = format!("AWS4{secret}").into_bytes();
    for p in &parts {
        key = mac(&key, p);
    }
    hex(&mac(&key, &to_sign)) == sig
}

/// Tencent Cloud TC3-HMAC-SHA256 for service dnspod.
pub fn tc3(r: &Recorded, id: &str, secret: &str) -> bool {
    let Some((cred, signed, sig)) = auth_fields(r, "TC3-HMAC-SHA256") else { return false };
    let parts: Vec<&str> = cred.split('/').collect();
    let Some(ts) = r.header("x-tc-timestamp").and_then(|t| t.parse::<u64>().ok()) else { return false };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    if parts.len() != 4 || parts[0] != id || parts[2..] != ["dnspod", "tc3_request"] || now.abs_diff(ts) > 300 {
        return false;
    }
    let scope = parts[1..].join("/");
    let to_sign = format!("TC3-HMAC-SHA256\n{ts}\n{scope}\n{}", sha256(canonical(r, "/", &signed).as_bytes()));
    let mut key = format!("TC3{secret}").into_bytes();
    for p in &parts[1..] {
        key = mac(&key, p);
    }
    hex(&mac(&key, &to_sign)) == sig
}

/// Huawei Cloud APIG SDK-HMAC-SHA256 (canonical URI with a final slash).
pub fn huawei(r: &Recorded, ak: &str, sk: &str) -> bool {
    let Some((access, signed, sig)) = auth_fields(r, "SDK-HMAC-SHA256") else { return false };
    let Some(date) = r.header("x-sdk-date") else { return false };
    if access != ak || !signed.split(';').any(|h| h == "x-sdk-date") {
        return false;
    }
    let path = format!("{}/", r.path().trim_end_matches('/'));
    let to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", sha256(canonical(r, &path, &signed).as_bytes()));
    hex(&mac(sk.as_bytes(), &to_sign)) == sig
}

/// Alibaba Cloud RPC signature v1 (HMAC-SHA1 over the sorted query).
pub fn aliyun(r: &Recorded, key_id: &str, secret: &str) -> bool {
    let pairs = query_pairs(r);
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("AccessKeyId") != Some(key_id)
        || get("SignatureMethod") != Some("HMAC-SHA1")
        || get("SignatureNonce").is_none()
    {
        return false;
    }
    let mut rest: Vec<String> =
        pairs.iter().filter(|(k, _)| k != "Signature").map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    rest.sort();
    let to_sign = format!("GET&%2F&{}", enc(&rest.join("&")));
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, format!("{secret}&").as_bytes());
    let expected = edgeddns::encoding::base64(hmac::sign(&key, to_sign.as_bytes()).as_ref());
    get("Signature") == Some(expected.as_str())
}
