//! Any provider's answers: the first byte picks the catalogue entry, the next two the HTTP
//! status, the rest is the body of every answer (at most 16 requests per update).
#![no_main]

use edgeddns::http::{HttpError, Request, Response, Transport};
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
    fn dns(&mut self, _: &str, _: &[u8]) -> Result<Vec<u8>, HttpError> {
        Ok(self.body.as_bytes().to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let [pick, hi, lo, body @ ..] = data else { return };
    let services = edgeddns_fuzz::services();
    let svc = &services[usize::from(*pick) % services.len()];
    let status = 100 + u16::from_be_bytes([*hi, *lo]) % 500;
    let mut answers = Answers { status, body: String::from_utf8_lossy(body).into_owned(), left: 16 };
    let _ = svc.preset.protocol().update(&edgeddns_fuzz::job(svc), &mut answers);
});
