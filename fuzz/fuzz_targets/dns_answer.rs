//! A DNS answer: to an RFC 2136 UPDATE (header, sections, TSIG), through the provider; and to
//! the authoritative checks' queries, through the parser they use.
#![no_main]

use edgeddns::dns::Exchange;
use edgeddns::http::{HttpError, Request, Response, Transport};
use edgeddns::providers::Net;
use libfuzzer_sys::fuzz_target;

struct NoHttp;

impl Transport for NoHttp {
    fn send(&mut self, _: &Request) -> Result<Response, HttpError> {
        Err(HttpError::Transport("no HTTP here".into()))
    }
}

struct Answer<'a>(&'a [u8]);

impl Exchange for Answer<'_> {
    fn exchange(&mut self, _: &str, _: &[u8]) -> Result<Vec<u8>, HttpError> {
        Ok(self.0.to_vec())
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = edgeddns::dns::parse(data);
    let svc = &edgeddns_fuzz::rfc2136()[0];
    let job = edgeddns_fuzz::job(svc);
    let _ = svc.account.preset.protocol().update(&job, Net { http: &mut NoHttp, dns: &mut Answer(data) });
});
