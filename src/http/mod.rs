//! The one small HTTP layer every provider and the echo sit on. Providers build `Request`s and
//! parse `Response`s; only `Client` touches the network, so tests and `--dry-run` can stand in.

mod client;
mod codec;

pub use client::{Client, ClientOptions, Roots};
pub use codec::{host_of, retry_after_at};

use crate::encoding::base64;
use crate::secret::mask_secrets;
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
    /// The certificate is not valid yet: the clock has not been set (no RTC, no NTP yet).
    Clock(String),
    /// `--dry-run`: the request was shown, not sent.
    DryRun,
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Refused(m)
            | HttpError::Transport(m)
            | HttpError::Tls(m)
            | HttpError::Timeout(m)
            | HttpError::Clock(m) => f.write_str(m),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// What the configuration accepts, the client sends: `config` calls this same function.
    #[test]
    fn https_only_unless_the_service_allows_http() {
        assert!(url_allowed("https://x/", false) && url_allowed("http://x/", true));
        assert!(!url_allowed("http://x/", false) && !url_allowed("ftp://x/", true));
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

    #[test]
    fn retry_after_seconds() {
        let r = Response { status: 429, headers: vec![("Retry-After".into(), " 120".into())], body: String::new() };
        assert_eq!(r.retry_after(), Some(Duration::from_secs(120)));
    }
}
