//! No provider answer can carry a secret into what edgeddns stores or prints. A hostile (or
//! merely chatty) provider quotes the whole request back — URL, every header including
//! `Authorization`, the body — in every place an error message is read from (plain text, the
//! JSON fields the APIs use, XML `<Message>`), under every status that means something. For
//! every provider of the catalogue, no form of any secret (as configured, base64 of
//! `user:password`, percent-encoded, form-encoded, JSON-escaped, XML-escaped) may survive in an
//! outcome's reason or in the request as `--dry-run` shows it.

use edgeddns::dns::Exchange;
use edgeddns::encoding::{base64, url_encode};
use edgeddns::http::{HttpError, Request, Response, Transport};
use edgeddns::providers::{catalogue, Job, Net};

/// Secrets with every character that changes under some encoding: space, `/`, `+`, `&`, `"`,
/// `<`, `=` and a non-ASCII letter.
const PASSWORD: &str = "pa ss/w+rd&\"<é>=1";
const TOKEN: &str = "to ken/\"k&y+ü<2>";
/// RFC 2136 takes its secret in base64 (which has `+`, `/` and `=` of its own).
const TSIG_SECRET: &str = "c2VjcmV0K2tleS9mb3I/dGVzdHM+b25seQ==";
const USERNAME: &str = "alice@example.org";

/// A provider that quotes each request back in `answer`'s format and status.
struct Quoting {
    status: u16,
    format: Format,
    /// Headers first: reasons quote the start of an answer, so the credentials must come early.
    headers_first: bool,
    sent: Vec<Request>,
}

#[derive(Clone, Copy, Debug)]
enum Format {
    Text,
    Json,
    Xml,
}

fn quote(req: &Request, headers_first: bool) -> String {
    let line = format!("{} {}\n", req.method.as_str(), req.url);
    let headers: String = req.headers.iter().map(|(n, v)| format!("{n}: {v}\n")).collect();
    let body = req.body.as_deref().unwrap_or("");
    if headers_first {
        format!("{headers}{body}\n{line}")
    } else {
        format!("{line}{headers}{body}")
    }
}

impl Transport for Quoting {
    fn send(&mut self, req: &Request) -> Result<Response, HttpError> {
        self.sent.push(req.clone());
        if self.sent.len() > 50 {
            return Err(HttpError::Transport("the quoting double stops after 50 requests".into()));
        }
        let q = quote(req, self.headers_first);
        let body = match self.format {
            Format::Text => q,
            // Every place the JSON APIs keep an error message, each holding the quote.
            Format::Json => serde_json::json!({
                "message": q, "error": {"message": q, "code": 400}, "errors": [{"message": q, "code": 9109}],
                "msg": q, "detail": q, "error_msg": q, "longmessage": q, "shortmessage": q, "status": "error",
                "statuscode": 4001, "code": 2201, "reply": {"code": "300", "detail": q}, "result": "error",
                "Response": {"Error": {"Code": "InvalidParameter", "Message": q}}, "success": false
            })
            .to_string(),
            Format::Xml => {
                let x = q.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
                format!(
                    "<?xml version=\"1.0\"?><ErrorResponse><Error><Code>X</Code><Message>{x}</Message></Error>\
                     <ErrCount>1</ErrCount><errors><Err1>{x}</Err1></errors><Message>{q}</Message></ErrorResponse>"
                )
            }
        };
        Ok(Response { status: self.status, headers: vec![("Retry-After".into(), "5".into())], body })
    }
}

/// A DNS server that quotes: not an answer, the message itself, back.
struct Echo;

impl Exchange for Echo {
    fn exchange(&mut self, _server: &str, message: &[u8]) -> Result<Vec<u8>, HttpError> {
        Ok(message.to_vec())
    }
}

/// Every form a secret may take in text.
fn forms(secret: &str) -> Vec<String> {
    let encoded = url_encode(secret);
    let json = serde_json::to_string(secret).unwrap();
    let xml = secret.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    vec![
        secret.to_string(),
        encoded.clone(),
        encoded.to_lowercase(),
        encoded.replace("%20", "+"),
        json.trim_matches('"').to_string(),
        xml,
    ]
}

fn config_for(preset: &catalogue::Preset, dir: &std::path::Path) -> String {
    let mut c = format!(
        "config service 's'\n option provider '{}'\n list hostname 'home.example.org'\n option username '{USERNAME}'\n \
         option password '{PASSWORD}'\n option token '{}'\n option allow_http 1\n option create_missing 1\n",
        preset.name,
        if preset.protocol == "rfc2136" { TSIG_SECRET } else { TOKEN }
    );
    for f in preset.fields() {
        let value = match f.name {
            "username" | "password" | "token" => continue,
            "zone" => "example.org".to_string(),
            "server" if preset.protocol == "rfc2136" => "192.0.2.53".to_string(),
            "server" if preset.requires(f) => "https://provider.example/api".to_string(),
            "key_name" => "ddns-key".to_string(),
            "key_file" => key_file(preset, dir),
            // Every credential in every place a template can put it, and basic auth.
            "update_url" => {
                "https://[USERNAME]:[PASSWORD]@provider.example/u?h=[DOMAIN]&ip=[IP]&p=[PASSWORD]&t=[TOKEN]".to_string()
            }
            _ if !preset.requires(f) => continue,
            other => format!("{other}-value"),
        };
        c.push_str(&format!(" option {} '{value}'\n", f.name));
    }
    c
}

fn key_file(preset: &catalogue::Preset, dir: &std::path::Path) -> String {
    let pem = include_str!("fixtures/rsa-test-key.pem");
    let path = dir.join(format!("{}.key", preset.name));
    let text = if preset.protocol == "gcp" {
        serde_json::json!({"type": "service_account", "project_id": "p", "private_key_id": "k1", "private_key": pem,
            "client_email": "ddns@p.iam.gserviceaccount.com", "token_uri": "https://oauth2.googleapis.com/token"})
        .to_string()
    } else {
        pem.to_string()
    };
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn no_secret_survives_a_provider_that_quotes_the_request() {
    let dir = std::env::temp_dir().join(format!("edgeddns-provider-secrets-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut secrets: Vec<String> = [PASSWORD, TOKEN, TSIG_SECRET].iter().flat_map(|s| forms(s)).collect();
    secrets.push(base64(format!("{USERNAME}:{PASSWORD}").as_bytes()));
    secrets.push(base64(format!("home.example.org:{PASSWORD}").as_bytes()));
    let mut leaks = Vec::new();
    let mut outcomes = 0;
    for preset in catalogue::all() {
        let cfg = edgeddns::config::from_str("secrets-test", &config_for(preset, &dir)).unwrap();
        assert!(cfg.errors.is_empty(), "{}: {:?}", preset.name, cfg.errors);
        let svc = &cfg.services[0];
        for status in [200, 400, 401, 403, 404, 409, 429, 500, 503] {
            for (format, headers_first) in
                [Format::Text, Format::Json, Format::Xml].into_iter().flat_map(|f| [(f, false), (f, true)])
            {
                let mut t = Quoting { status, format, headers_first, sent: Vec::new() };
                let job = Job::new(
                    &svc.account,
                    &svc.hostnames,
                    Some("203.0.113.7".parse().unwrap()),
                    preset.ipv6.then(|| "2001:db8::7".parse().unwrap()),
                );
                let results = svc.account.preset.protocol().update(&job, Net { http: &mut t, dns: &mut Echo });
                assert!(!results.is_empty(), "{}: no outcome", preset.name);
                let shown = results.iter().filter_map(|r| r.outcome.reason().map(str::to_string));
                let dry_run = t.sent.iter().map(Request::display_masked);
                for text in shown.chain(dry_run) {
                    outcomes += 1;
                    if let Some(s) = secrets.iter().find(|s| text.contains(s.as_str())) {
                        leaks.push(format!(
                            "{} (HTTP {status}, {format:?}, headers first: {headers_first}): '{s}' in: {text}",
                            preset.name
                        ));
                    }
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(outcomes > catalogue::all().len() * 54, "every provider answered every case");
    assert!(leaks.is_empty(), "{} leaks, the first ones:\n{}", leaks.len(), leaks[..leaks.len().min(15)].join("\n"));
}
