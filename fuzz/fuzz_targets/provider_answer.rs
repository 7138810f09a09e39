//! Any provider's answers: the first byte picks the catalogue entry, the next two the HTTP
//! status, the rest is the body of every answer (at most 16 requests per update).
#![no_main]

use edgeddns::dns::Exchange;
use edgeddns::http::{HttpError, Request, Response, Transport};
use edgeddns::providers::Net;
use libfuzzer_sys::fuzz_target;

struct Answers {
    status: u16,
    body: String,
    left: u32,
}

impl Transport for Answers {
    fn send(&mut self, _: &Request) -> Result<Response, HttpError> {
        if self.left == 0 {
            return Err(HttpError::Transport("request budget spent".into()));
        }
        self.left -= 1;
        Ok(Response { status: self.status, headers: vec![], body: self.body.clone() })
    }
}

/// The same body as every DNS answer (rfc2136 is in the catalogue too).
struct DnsAnswers<'a>(&'a str);

impl Exchange for DnsAnswers<'_> {
    fn exchange(&mut self, _: &str, _: &[u8]) -> Result<Vec<u8>, HttpError> {
        Ok(self.0.as_bytes().to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, hi, lo, body @ ..] = data else { return };
    let services = edgeddns_fuzz::services();
    let svc = &services[usize::from(*pick) % services.len()];
    let status = 100 + u16::from_be_bytes([*hi, *lo]) % 500;
    let body = String::from_utf8_lossy(body).into_owned();
    let mut answers = Answers { status, body: body.clone(), left: 16 };
    let net = Net { http: &mut answers, dns: &mut DnsAnswers(&body) };
    let _ = svc.account.preset.protocol().update(&edgeddns_fuzz::job(svc), net);
});
