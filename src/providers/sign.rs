//! What request-signing APIs need: UTC timestamps in their formats, HMAC and SHA-256 from ring,
//! hex, and a random nonce.

use crate::encoding::url_encode;
use crate::error::Error;
use ring::{digest, hmac};

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Year, month, day, hour, minute, second (UTC) of a Unix time.
pub fn utc(unix: u64) -> (u64, u64, u64, u64, u64, u64) {
    let (days, secs) = (unix / 86400, unix % 86400);
    // Days to civil date (proleptic Gregorian), after Howard Hinnant's public-domain algorithm.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `2016-03-24T16:41:54Z`
pub fn iso8601(unix: u64) -> String {
    let (y, mo, d, h, mi, s) = utc(unix);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20150830T123600Z` (AWS, Huawei).
pub fn basic_iso8601(unix: u64) -> String {
    iso8601(unix).replace(['-', ':'], "")
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA256, data).as_ref())
}

/// SHA-1, which OVH's request signature still uses.
pub fn sha1_hex(data: &[u8]) -> String {
    hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, data).as_ref())
}

pub fn hmac_sha256(key: &[u8], msg: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg.as_bytes()).as_ref().to_vec()
}

/// HMAC-SHA1, which Alibaba Cloud's RPC signature still uses.
pub fn hmac_sha1(key: &[u8], msg: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, key), msg.as_bytes()).as_ref().to_vec()
}

/// A key pair and the time to sign at.
pub struct Credentials<'a> {
    pub id: &'a str,
    pub secret: &'a str,
    pub now: u64,
}

impl<'a> Credentials<'a> {
    /// The service's user name and password as key id and secret, at `now`.
    pub fn of(svc: &'a super::Account, now: u64) -> Credentials<'a> {
        Credentials { id: &svc.username, secret: svc.password.expose(), now }
    }
}

/// One request as the SigV4 family (AWS SigV4, Tencent TC3, Huawei SDK-HMAC-SHA256) sees it.
pub struct Canonical<'a> {
    pub method: &'a str,
    /// The path, already percent-encoded as sent.
    pub path: &'a str,
    /// Query parameters, unencoded; sorted here.
    pub query: &'a [(&'a str, &'a str)],
    /// Signed headers, lower-case names; sorted here.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: &'a [u8],
}

impl Canonical<'_> {
    /// The canonical request and the `SignedHeaders` list.
    pub fn request(&self) -> (String, String) {
        let mut query: Vec<String> =
            self.query.iter().map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v))).collect();
        query.sort();
        let mut headers: Vec<(String, String)> =
            self.headers.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string())).collect();
        headers.sort();
        let lines: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
        let request = format!(
            "{}\n{}\n{}\n{lines}\n{signed}\n{}",
            self.method,
            self.path,
            query.join("&"),
            sha256_hex(self.payload)
        );
        (request, signed)
    }
}

/// The path a `server` URL carries (`/prefix` of `https://proxy.example/prefix/`, empty for
/// none): it is part of every request's path, so it is part of the signed one too.
pub fn base_path(base: &str) -> &str {
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let rest = &base[after_scheme..];
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("").trim_end_matches('/')
}

/// `base` + `path` with the query parameters as sent (the canonical form sorts its own copy).
pub fn url(base: &str, path: &str, query: &[(&str, &str)]) -> String {
    let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", url_encode(v))).collect();
    if query.is_empty() {
        format!("{base}{path}")
    } else {
        format!("{base}{path}?{}", query.join("&"))
    }
}

/// A signing key derived by chained HMAC-SHA256: `secret` with its prefix ("AWS4", "TC3"), then
/// each scope element in turn (date, region, service, terminator).
pub fn derive_key(prefixed_secret: &str, scope: &[&str]) -> Vec<u8> {
    scope.iter().fold(prefixed_secret.as_bytes().to_vec(), |key, part| hmac_sha256(&key, part))
}

/// An RSA signature over `msg` (PKCS#1 v1.5 with `alg`) with the PKCS#8 key in `pem`.
pub fn rsa_sign(pem: &str, alg: &'static dyn ring::signature::RsaEncoding, msg: &[u8]) -> Result<Vec<u8>, Error> {
    let bad = |why: &str| Error::Config(why.into());
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = crate::encoding::base64_decode(&body).ok_or_else(|| bad("the private key is not PEM"))?;
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der)
        .map_err(|_| bad("the private key is not an RSA key in PKCS#8"))?;
    let mut signature = vec![0; pair.public().modulus_len()];
    pair.sign(alg, &ring::rand::SystemRandom::new(), msg, &mut signature)
        .map_err(|_| bad("signing with the private key failed"))?;
    Ok(signature)
}

/// 16 random bytes as hex.
pub fn nonce() -> String {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 16];
    // The system RNG only fails when getrandom does; a fixed nonce is then still a valid nonce.
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    hex(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_path_of_a_server_url() {
        assert_eq!(base_path("https://route53.amazonaws.com"), "");
        assert_eq!(base_path("https://route53.amazonaws.com/"), "");
        assert_eq!(base_path("https://proxy.example:8443/aws/v1/"), "/aws/v1");
        assert_eq!(base_path("http://h/p?x=1"), "/p");
    }

    #[test]
    fn timestamps() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_458_837_714), "2016-03-24T16:41:54Z");
        assert_eq!(basic_iso8601(1_440_938_160), "20150830T123600Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(4_107_542_400), "2100-03-01T00:00:00Z");
    }

    #[test]
    fn sigv4_documented_example() {
        // AWS's worked example (IAM ListUsers, 2015-08-30), in the SigV4 documentation.
        let c = Canonical {
            method: "GET",
            path: "/",
            query: &[("Version", "2010-05-08"), ("Action", "ListUsers")],
            headers: &[
                ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
                ("Host", "iam.amazonaws.com"),
                ("X-Amz-Date", "20150830T123600Z"),
            ],
            payload: b"",
        };
        let (request, signed) = c.request();
        assert_eq!(signed, "content-type;host;x-amz-date");
        assert_eq!(sha256_hex(request.as_bytes()), "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\n{}",
            sha256_hex(request.as_bytes())
        );
        let key = derive_key(
            "AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            &["20150830", "us-east-1", "iam", "aws4_request"],
        );
        assert_eq!(
            hex(&hmac_sha256(&key, &to_sign)),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }
}
