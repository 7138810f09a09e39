//! The DNS server's answer to an RFC 2136 UPDATE (header, sections, TSIG), through the provider.
#![no_main]

use edgeddns::http::{HttpError, Request, Response, Transport};
use libfuzzer_sys::fuzz_target;

struct Answer<'a>(&'a [u8]);

impl Transport for Answer<'_> {
    fn send(&mut self, _: &Request) -> Result<Response, HttpError> {
        Err(HttpError::Transport("no HTTP here".into()))
    }
    fn dns(&mut self, _: &str, _: &[u8]) -> Result<Vec<u8>, HttpError> {
        Ok(self.0.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let svc = &edgeddns_fuzz::rfc2136()[0];
    let job = edgeddns_fuzz::job(svc);
    let _ = svc.preset.protocol().update(&job, &mut Answer(data));
});
