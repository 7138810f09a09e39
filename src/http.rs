//! The one small HTTP layer every provider and the echo sit on. Providers build `Request`s and
//! parse `Response`s; only `Client` touches the network, so tests and `--dry-run` can stand in.

use crate::net::Family;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bodies we read are small (a dyndns2 line, a Cloudflare record, an IP). Anything larger is
/// a misbehaving server and is cut off instead of filling a router's RAM.
pub const MAX_BODY: u64 = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Values that must never be shown: masked wherever the request is displayed or an error
    /// mentions it, both as given and percent-encoded.
    pub secrets: Vec<String>,
    /// Plain http is refused unless the user opted in for this service.
    pub allow_http: bool,
}

impl Request {
    pub fn new(method: Method, url: impl Into<String>) -> Request {
        Request { method, url: url.into(), headers: Vec::new(), body: None, secrets: Vec::new(), allow_http: false }
    }

    pub fn get(url: impl Into<String>) -> Request {
        Request::new(Method::Get, url)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn json_body(mut self, body: &serde_json::Value) -> Request {
        self.body = Some(body.to_string());
        self.header("Content-Type", "application/json")
    }

    pub fn secret(mut self, value: &str) -> Request {
        if !value.is_empty() {
            self.secrets.push(value.to_string());
        }
        self
    }

    /// HTTP basic authentication; the password becomes a secret.
    pub fn basic_auth(self, user: &str, password: &str) -> Request {
        let token = base64(format!("{user}:{password}").as_bytes());
        self.header("Authorization", format!("Basic {token}")).secret(password)
    }

    pub fn bearer(self, token: &str) -> Request {
        self.header("Authorization", format!("Bearer {token}")).secret(token)
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Replace every secret in `text` by `***`.
    pub fn mask(&self, text: &str) -> String {
        mask_secrets(text, &self.secrets)
    }

    /// The request as `--dry-run` and debug logs show it: method, URL, headers and body with
    /// every secret and every Authorization value replaced by `***`.
    pub fn display_masked(&self) -> String {
        let mut out = format!("{} {}", self.method.as_str(), self.mask(&self.url));
        for (name, value) in &self.headers {
            let shown = if name.eq_ignore_ascii_case("authorization") {
                match value.split_once(' ') {
                    Some((scheme, _)) => format!("{scheme} ***"),
                    None => "***".to_string(),
                }
            } else {
                self.mask(value)
            };
            out.push_str(&format!("\n  {name}: {shown}"));
        }
        if let Some(body) = &self.body {
            out.push_str(&format!("\n  {}", self.mask(body)));
        }
        out
    }
}

/// The one rule for URLs, for every request (`Client::send`) and for the configuration as it
/// loads, so that a service that loads can send: https always, plain http only where the
/// service opted in (`allow_http`).
pub fn url_allowed(url: &str, allow_http: bool) -> bool {
    url.starts_with("https://") || (allow_http && url.starts_with("http://"))
}

/// Replace every secret in `text` by `***`, in every form it takes in the text we show:
/// as given, percent-encoded (either hex case, and with `+` for a space as forms write it),
/// JSON-escaped and XML-escaped. The one masking function: provider reasons, logs and displayed
/// requests all go through it.
pub fn mask_secrets(text: &str, secrets: &[String]) -> String {
    let mut forms: Vec<String> = secrets.iter().filter(|s| !s.is_empty()).flat_map(|s| secret_forms(s)).collect();
    // Longest first, so that no shorter form cuts a longer one apart before it is found.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    let mut out = text.to_string();
    for f in forms {
        if out.contains(f.as_str()) {
            out = out.replace(f.as_str(), "***");
        }
    }
    out
}

fn secret_forms(s: &str) -> [String; 6] {
    let encoded = url_encode(s);
    let lower_hex = lower_percent_hex(&encoded);
    let form = encoded.replace("%20", "+");
    let json = serde_json::to_string(s).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let xml = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    [s.to_string(), encoded, lower_hex, form, json, xml]
}

/// `%2F` → `%2f`: some servers echo percent-encodings in lower case.
fn lower_percent_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            hex_left = if c == '%' { 2 } else { 0 };
            out.push(c);
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// `Retry-After` (RFC 9110 §10.2.3: seconds, or an HTTP date), when the server gave one.
    /// Never overflows: the caller caps it (`providers::MAX_PROVIDER_WAIT`).
    pub fn retry_after(&self) -> Option<Duration> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        retry_after_at(self.header("retry-after")?, now)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A `Retry-After` value read at Unix time `now`: digits saturate at `u64::MAX` seconds, a date
/// in the past is no wait, anything else is ignored.
pub fn retry_after_at(value: &str, now: u64) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let secs = value.bytes().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0')));
        return Some(Duration::from_secs(secs));
    }
    http_date(value).map(|at| Duration::from_secs(at.saturating_sub(now)))
}

/// An IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`, the form RFC 9110 servers must send) as Unix
/// time, saturating for dates too far ahead to count.
fn http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_whitespace();
    let (_weekday, day, month, year, time, zone) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if zone != "GMT" || parts.next().is_some() {
        return None;
    }
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let number = |t: &str| -> Option<u64> {
        (!t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .then(|| t.bytes().fold(0u64, |n, d| n.saturating_mul(10).saturating_add(u64::from(d - b'0'))))
    };
    let (day, year) = (number(day)?, number(year)?);
    let mut hms = time.split(':').map(number);
    let (h, m, s) = (hms.next()??, hms.next()??, hms.next()??);
    if !(1..=31).contains(&day) || year < 1970 || h > 23 || m > 59 || s > 60 || hms.next().is_some() {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), with March as the first month.
    let y = if month <= 2 { year - 1 } else { year };
    let (era, yoe) = (y / 400, y % 400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era.saturating_mul(146_097).saturating_add(doe).checked_sub(719_468)?;
    Some(days.saturating_mul(86_400).saturating_add(h * 3600 + m * 60 + s))
}

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// Transport failures, worded for a router owner, with secrets already masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HttpError {
    /// The request was refused before sending: plain http without opt-in, bad URL.
    Refused(String),
    /// DNS, connect, or a cut-off answer: worth retrying later.
    Transport(String),
    /// The TLS handshake or the server's certificate failed.
    Tls(String),
    /// No answer in time.
    Timeout(String),
    /// `--dry-run`: the request was shown, not sent.
    DryRun,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Refused(m) | HttpError::Transport(m) | HttpError::Tls(m) | HttpError::Timeout(m) => {
                f.write_str(m)
            }
            HttpError::DryRun => f.write_str("dry run: request not sent"),
        }
    }
}

/// HTTP as providers see it. DNS messages (RFC 2136) go through `dns::Exchange` instead.
pub trait Transport {
    fn send(&mut self, req: &Request) -> Result<Response, HttpError>;
}

/// A job's deadline, shared by its HTTP client and its DNS exchanges: once it has passed no
/// further request or exchange starts; with each bounded by its timeout, no job outlives it by
/// more than one of them. The default is none.
#[derive(Clone, Copy, Default)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    pub fn after(budget: Duration) -> Deadline {
        Deadline(Some(Instant::now() + budget))
    }

    pub fn check(self) -> Result<(), HttpError> {
        match self.0 {
            Some(t) if Instant::now() >= t => Err(HttpError::Timeout("the update ran past its deadline".into())),
            _ => Ok(()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// PEM bundle of trusted roots (OpenWrt's ca-bundle puts it at the default path).
    pub ca_bundle: String,
    pub timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions { ca_bundle: "/etc/ssl/certs/ca-certificates.crt".into(), timeout: Duration::from_secs(10) }
    }
}

/// Trusted roots loaded once from the bundle; shared by every agent.
#[derive(Clone)]
pub struct Roots(ureq::tls::RootCerts);

impl Roots {
    pub fn load(path: &str) -> Result<Roots, String> {
        match std::fs::read(path) {
            Ok(pem) => {
                let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                    .filter_map(|item| match item {
                        Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                        _ => None,
                    })
                    .collect();
                if certs.is_empty() {
                    return Err(format!("CA bundle {path} holds no certificate"));
                }
                Ok(Roots(ureq::tls::RootCerts::Specific(Arc::new(certs))))
            }
            Err(e) => Self::fallback(format!("cannot read CA bundle {path}: {e} (install ca-bundle)")),
        }
    }

    #[cfg(feature = "webpki-roots")]
    fn fallback(why: String) -> Result<Roots, String> {
        crate::debug!("{why}; using the compiled-in roots");
        Ok(Roots(ureq::tls::RootCerts::WebPki))
    }

    #[cfg(not(feature = "webpki-roots"))]
    fn fallback(why: String) -> Result<Roots, String> {
        Err(why)
    }
}

/// The TLS client's algorithms: AES-GCM suites (TLS 1.3's mandatory one among them, and what
/// TLS 1.2 servers offer with ECDHE); key exchange on P-256 and P-384, which every TLS server
/// must offer (RFC 8446 §9.1); certificate signatures in ECDSA P-256/P-384 and RSA, which is what
/// the public PKI uses. Leaving out X25519, Ed25519 and ChaCha20 drops that code from ring, and a
/// key provider that loads no keys drops RSA signing (no client certificates are ever sent):
/// about 108 KB on MIPS.
fn crypto_provider() -> Arc<rustls::crypto::CryptoProvider> {
    use rustls::crypto::ring::{cipher_suite as cs, kx_group};
    use rustls::crypto::{CryptoProvider, GetRandomFailed, KeyProvider, SecureRandom, WebPkiSupportedAlgorithms};
    use rustls::SignatureScheme as S;
    use webpki::ring as alg;

    #[derive(Debug)]
    struct SystemRandom;
    impl SecureRandom for SystemRandom {
        fn fill(&self, buf: &mut [u8]) -> Result<(), GetRandomFailed> {
            ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), buf).map_err(|_| GetRandomFailed)
        }
    }
    #[derive(Debug)]
    struct NoKeys;
    impl KeyProvider for NoKeys {
        fn load_private_key(
            &self,
            _: rustls::pki_types::PrivateKeyDer<'static>,
        ) -> Result<Arc<dyn rustls::sign::SigningKey>, rustls::Error> {
            Err(rustls::Error::General("edgeddns sends no client certificates".into()))
        }
    }
    static SIGNATURES: WebPkiSupportedAlgorithms = WebPkiSupportedAlgorithms {
        all: &[
            alg::ECDSA_P256_SHA256,
            alg::ECDSA_P256_SHA384,
            alg::ECDSA_P384_SHA256,
            alg::ECDSA_P384_SHA384,
            alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
            alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
            alg::RSA_PKCS1_2048_8192_SHA256,
            alg::RSA_PKCS1_2048_8192_SHA384,
            alg::RSA_PKCS1_2048_8192_SHA512,
            alg::RSA_PKCS1_2048_8192_SHA256_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA384_ABSENT_PARAMS,
            alg::RSA_PKCS1_2048_8192_SHA512_ABSENT_PARAMS,
        ],
        mapping: &[
            // In TLS 1.2 an ECDSA scheme does not fix the curve.
            (S::ECDSA_NISTP384_SHA384, &[alg::ECDSA_P384_SHA384, alg::ECDSA_P256_SHA384]),
            (S::ECDSA_NISTP256_SHA256, &[alg::ECDSA_P256_SHA256, alg::ECDSA_P384_SHA256]),
            (S::RSA_PSS_SHA512, &[alg::RSA_PSS_2048_8192_SHA512_LEGACY_KEY]),
            (S::RSA_PSS_SHA384, &[alg::RSA_PSS_2048_8192_SHA384_LEGACY_KEY]),
            (S::RSA_PSS_SHA256, &[alg::RSA_PSS_2048_8192_SHA256_LEGACY_KEY]),
            (S::RSA_PKCS1_SHA512, &[alg::RSA_PKCS1_2048_8192_SHA512]),
            (S::RSA_PKCS1_SHA384, &[alg::RSA_PKCS1_2048_8192_SHA384]),
            (S::RSA_PKCS1_SHA256, &[alg::RSA_PKCS1_2048_8192_SHA256]),
        ],
    };
    static PROVIDER: std::sync::OnceLock<Arc<CryptoProvider>> = std::sync::OnceLock::new();
    PROVIDER
        .get_or_init(|| {
            Arc::new(CryptoProvider {
                cipher_suites: vec![
                    cs::TLS13_AES_128_GCM_SHA256,
                    cs::TLS13_AES_256_GCM_SHA384,
                    cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                    cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                    cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                    cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                ],
                kx_groups: vec![kx_group::SECP256R1, kx_group::SECP384R1],
                signature_verification_algorithms: SIGNATURES,
                secure_random: &SystemRandom,
                key_provider: &NoKeys,
            })
        })
        .clone()
}

/// The real thing: HTTPS with verified certificates over ureq, optionally pinned to one family.
pub struct Client {
    agent: ureq::Agent,
    until: Deadline,
}

impl Client {
    pub fn new(roots: &Roots, opts: &ClientOptions, family: Option<Family>) -> Client {
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::Rustls)
            .unversioned_rustls_crypto_provider(crypto_provider())
            .root_certs(roots.0.clone())
            .build();
        let ip_family = match family {
            None => ureq::config::IpFamily::Any,
            Some(Family::V4) => ureq::config::IpFamily::Ipv4Only,
            Some(Family::V6) => ureq::config::IpFamily::Ipv6Only,
        };
        let config = ureq::Agent::config_builder()
            .tls_config(tls)
            .ip_family(ip_family)
            .http_status_as_error(false)
            .timeout_global(Some(opts.timeout))
            // No-IP and Dyn ask for "program/version" and a way to identify the client.
            .user_agent(concat!("edgeddns/", env!("CARGO_PKG_VERSION"), " (OpenWrt dynamic DNS client)"))
            .max_redirects(0)
            // Env proxies are not read: a router's daemon environment is procd's, not a shell's.
            .proxy(None)
            .build();
        Client { agent: config.into(), until: Deadline::default() }
    }

    /// No request of this client starts after `until`.
    pub fn with_deadline(mut self, until: Deadline) -> Client {
        self.until = until;
        self
    }
}

impl Transport for Client {
    fn send(&mut self, req: &Request) -> Result<Response, HttpError> {
        self.until.check()?;
        if !url_allowed(&req.url, req.allow_http) {
            return Err(HttpError::Refused(format!(
                "refusing {}: only https is allowed unless the service sets allow_http",
                req.mask(&req.url)
            )));
        }
        let mut builder = ureq::http::Request::builder().method(req.method.as_str()).uri(&req.url);
        for (name, value) in &req.headers {
            builder = builder.header(name, value);
        }
        let http_req = builder
            .body(req.body.clone().unwrap_or_default())
            .map_err(|e| HttpError::Refused(req.mask(&format!("bad request: {e}"))))?;
        let result = if req.body.is_some() {
            self.agent.run(http_req)
        } else {
            // ureq refuses a body on GET/DELETE; an empty one is the same on the wire.
            let (parts, _) = http_req.into_parts();
            self.agent.run(ureq::http::Request::from_parts(parts, ()))
        };
        let mut resp = result.map_err(|e| describe(&e, &req.url, |m| req.mask(&m)))?;
        let status = resp.status().as_u16();
        let headers = resp
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .read_to_string()
            .map_err(|e| describe(&e, &req.url, |m| req.mask(&format!("{m} (reading the answer)"))))?;
        Ok(Response { status, headers, body })
    }
}

/// The failure in words (masked by `mask`), as the kind of failure it is.
fn describe(e: &ureq::Error, url: &str, mask: impl Fn(String) -> String) -> HttpError {
    let host = host_of(url);
    let tls = |what: String| HttpError::Tls(mask(format!("{host}: TLS: {what}")));
    match e {
        ureq::Error::Timeout(_) => HttpError::Timeout(mask(format!("{host}: no answer in time"))),
        ureq::Error::HostNotFound => HttpError::Transport(mask(format!("{host}: host name not found"))),
        ureq::Error::ConnectionFailed => HttpError::Transport(mask(format!("{host}: connection failed"))),
        // rustls reports handshake failures through the socket's I/O error.
        ureq::Error::Io(io) => match io.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
            Some(err) => tls(describe_tls(err)),
            None if io.kind() == std::io::ErrorKind::TimedOut || io.kind() == std::io::ErrorKind::WouldBlock => {
                HttpError::Timeout(mask(format!("{host}: no answer in time ({io})")))
            }
            None => HttpError::Transport(mask(format!("{host}: {io}"))),
        },
        ureq::Error::Tls(msg) => tls(msg.to_string()),
        ureq::Error::Rustls(err) => tls(describe_tls(err)),
        other => HttpError::Transport(mask(format!("{host}: {other}"))),
    }
}

/// What went wrong in a handshake, in words: routers are built without `Debug` formatting,
/// which rustls uses for several of its messages.
fn describe_tls(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "the certificate is not from a trusted CA (check ca_bundle; is something intercepting HTTPS?)".into()
            }
            C::Expired | C::ExpiredContext { .. } => {
                "the certificate has expired (is the router's clock right?)".into()
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the certificate is not valid yet (is the router's clock right?)".into()
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => "the certificate is for another host name".into(),
            C::Revoked => "the certificate has been revoked".into(),
            C::BadSignature => "the certificate's signature is wrong".into(),
            C::UnsupportedSignatureAlgorithmContext { .. }
            | C::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                "the certificate is signed with an algorithm edgeddns does not accept".into()
            }
            C::BadEncoding => "the certificate is malformed".into(),
            other => format!("invalid certificate: {other}"),
        },
        rustls::Error::AlertReceived(alert) => {
            format!("the server ended the handshake (TLS alert {})", u8::from(*alert))
        }
        rustls::Error::PeerIncompatible(_) => {
            "the server offers no TLS version, key exchange or cipher that edgeddns accepts".into()
        }
        rustls::Error::PeerMisbehaved(_) => "the server broke the TLS protocol".into(),
        rustls::Error::InvalidMessage(_) => "the answer is not TLS (is this port plain http?)".into(),
        other => other.to_string(),
    }
}

/// `scheme://host[:port]` of a URL, for messages that must not repeat its query (tokens).
pub fn host_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..].find(['/', '?', '#']).map(|i| after_scheme + i).unwrap_or(url.len());
    let start = url[after_scheme..end].rfind('@').map(|i| after_scheme + i + 1).unwrap_or(after_scheme);
    &url[start..end]
}

/// Percent-encoding for query values and path segments (RFC 3986 unreserved set kept).
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Standard base64 (RFC 4648) with or without padding; `None` on any other character.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.trim().trim_end_matches('=').bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        // RFC 4648 §10.
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn base64_decodes_what_it_encodes() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            assert_eq!(base64_decode(&base64(s.as_bytes())).unwrap(), s.as_bytes());
        }
        assert_eq!(base64_decode("Zm9vYg").unwrap(), b"foob");
        assert!(base64_decode("Zm9v!").is_none());
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(url_encode("a b&c=d/é~"), "a%20b%26c%3Dd%2F%C3%A9~");
    }

    /// What the configuration accepts, the client sends: `config` calls this same function.
    #[test]
    fn https_only_unless_the_service_allows_http() {
        assert!(url_allowed("https://x/", false) && url_allowed("http://x/", true));
        assert!(!url_allowed("http://x/", false) && !url_allowed("ftp://x/", true));
    }

    #[test]
    fn host_of_strips_userinfo_path_and_query() {
        assert_eq!(host_of("https://u:p@members.3322.net/dyndns/update?x=1"), "members.3322.net");
        assert_eq!(host_of("https://127.0.0.1:8443?token=abc"), "127.0.0.1:8443");
        assert_eq!(host_of("example.org"), "example.org");
    }

    #[test]
    fn display_masks_every_secret_form() {
        let req = Request::get("https://x.example/u?token=s3cr%2Ft&p=s3cr/t")
            .basic_auth("user", "pw&1")
            .secret("s3cr/t")
            .json_body(&serde_json::json!({"key": "s3cr/t"}));
        let shown = req.display_masked();
        assert!(!shown.contains("s3cr"), "{shown}");
        assert!(shown.contains("Authorization: Basic ***"), "{shown}");
        assert!(!shown.contains(&base64(b"user:pw&1")), "{shown}");
        assert!(shown.contains("token=***&p=***"), "{shown}");
    }

    /// Real sockets on loopback: nobody listening, a plain-http server on the https port, and
    /// a server that accepts and never answers are three different kinds of failure.
    #[test]
    fn transport_failures_are_told_apart() {
        use std::io::{Read, Write};
        let dir = std::env::temp_dir().join(format!("edgeddns-http-kinds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let bundle = dir.join("ca.pem");
        std::fs::write(&bundle, ca.cert.pem()).unwrap();
        let opts = ClientOptions { ca_bundle: bundle.display().to_string(), timeout: Duration::from_millis(700) };
        let mut client = Client::new(&Roots::load(&opts.ca_bundle).unwrap(), &opts, None);
        let url = |l: &std::net::TcpListener| format!("https://127.0.0.1:{}/", l.local_addr().unwrap().port());

        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let nobody = url(&closed);
        drop(closed);
        assert!(matches!(client.send(&Request::get(&nobody)), Err(HttpError::Transport(_))));

        let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let plain_url = url(&plain);
        let server = std::thread::spawn(move || {
            let (mut s, _) = plain.accept().unwrap();
            let mut buf = [0u8; 512];
            let _ = s.read(&mut buf);
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        });
        let e = client.send(&Request::get(&plain_url)).unwrap_err();
        assert!(matches!(&e, HttpError::Tls(m) if m.contains("not TLS")), "{e:?}");
        server.join().unwrap();

        let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let e = client.send(&Request::get(url(&silent))).unwrap_err();
        assert!(matches!(&e, HttpError::Timeout(_)), "{e:?}");
        drop(silent);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn retry_after_seconds() {
        let r = Response { status: 429, headers: vec![("Retry-After".into(), " 120".into())], body: String::new() };
        assert_eq!(r.retry_after(), Some(Duration::from_secs(120)));
    }

    #[test]
    fn retry_after_saturates_and_reads_dates() {
        let huge = retry_after_at("18446744073709551615", 0).unwrap();
        assert_eq!(huge, Duration::from_secs(u64::MAX));
        assert_eq!(retry_after_at("99999999999999999999999999", 0), Some(Duration::from_secs(u64::MAX)));
        // RFC 9110's example date, read 37 s before it.
        assert_eq!(retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_740), Some(Duration::from_secs(37)));
        assert_eq!(retry_after_at("Sun, 06 Nov 1994 08:49:37 GMT", 2_000_000_000), Some(Duration::ZERO), "past");
        assert_eq!(retry_after_at("Fri, 31 Dec 9999 23:59:59 GMT", 0), Some(Duration::from_secs(253_402_300_799)));
        let far = retry_after_at("Mon, 01 Jan 18446744073709551615 00:00:00 GMT", 0).unwrap();
        assert!(far.as_secs() > 1 << 60, "a date beyond counting saturates: {far:?}");
        for junk in ["", "-5", "1.5", "soon", "Sun, 06 Nov 1994 25:00:00 GMT", "Sun, 32 Nov 1994 08:49:37 GMT"] {
            assert_eq!(retry_after_at(junk, 0), None, "{junk}");
        }
    }

    #[test]
    fn every_form_of_a_secret_is_masked() {
        let secret = "p a/\"s&<é>".to_string();
        let forms = [
            secret.clone(),
            url_encode(&secret),
            url_encode(&secret).to_lowercase(),
            url_encode(&secret).replace("%20", "+"),
            serde_json::to_string(&secret).unwrap().trim_matches('"').to_string(),
            "p a/&quot;s&amp;&lt;é&gt;".to_string(),
        ];
        for f in forms {
            assert_eq!(mask_secrets(&format!("[{f}]"), std::slice::from_ref(&secret)), "[***]", "{f}");
        }
    }
}
