//! A transport that records requests and answers from a script, for provider unit tests.

use crate::config::{self, Service};
use crate::dns::Exchange;
use crate::http::{HttpError, Request, Response, Transport};
use crate::net::Family;
use crate::providers::{Job, Net, Outcome, Protocol, RecordResult};

/// `update` on a protocol value, as the engine calls it on the catalogue's trait object.
pub trait Update {
    fn update(&self, job: &Job, http: &mut dyn Transport) -> Vec<RecordResult>;
    /// `update` of a protocol that speaks DNS only.
    fn update_dns(&self, job: &Job, dns: &mut dyn Exchange) -> Vec<RecordResult>;
}

impl<P: Protocol + 'static> Update for P {
    fn update(&self, job: &Job, http: &mut dyn Transport) -> Vec<RecordResult> {
        (self as &dyn Protocol).update(job, Net { http, dns: &mut NoDns })
    }

    fn update_dns(&self, job: &Job, dns: &mut dyn Exchange) -> Vec<RecordResult> {
        (self as &dyn Protocol).update(job, Net { http: &mut NoHttp, dns })
    }
}

/// DNS for tests of HTTP protocols: every exchange is refused.
pub struct NoDns;

impl Exchange for NoDns {
    fn exchange(&mut self, _: &str, _: &[u8]) -> Result<Vec<u8>, HttpError> {
        Err(HttpError::Refused("this test sends no DNS messages".into()))
    }
}

/// HTTP for tests of DNS protocols: a request fails the test.
struct NoHttp;

impl Transport for NoHttp {
    fn send(&mut self, _: &Request) -> Result<Response, HttpError> {
        unreachable!("this protocol sends no HTTP")
    }
}

pub struct Scripted {
    pub sent: Vec<Request>,
    answers: Vec<Result<Response, HttpError>>,
}

impl Scripted {
    pub fn new(answers: Vec<Result<Response, HttpError>>) -> Scripted {
        Scripted { sent: Vec::new(), answers }
    }

    pub fn body(status: u16, body: &str) -> Result<Response, HttpError> {
        Ok(Response { status, headers: vec![], body: body.to_string() })
    }
}

impl Transport for Scripted {
    fn send(&mut self, req: &Request) -> Result<Response, HttpError> {
        self.sent.push(req.clone());
        if self.answers.is_empty() {
            return Err(HttpError::Transport("test script ran out of answers".into()));
        }
        self.answers.remove(0)
    }
}

/// A service parsed from UCI text, exactly as the daemon would see it.
pub fn service(uci: &str) -> Service {
    let cfg = config::from_str("test", uci).unwrap();
    assert!(cfg.errors.is_empty(), "{:?}", cfg.errors);
    cfg.services.into_iter().next().expect("one enabled service")
}

pub fn job<'a>(svc: &'a Service, v4: Option<&str>, v6: Option<&str>) -> Job<'a> {
    Job::new(&svc.account, &svc.hostnames, v4.map(|a| a.parse().unwrap()), v6.map(|a| a.parse().unwrap()))
}

/// The outcome of each record, in order, as `(host, family, label)`.
pub fn labels(results: &[RecordResult]) -> Vec<(String, Family, &'static str)> {
    results.iter().map(|r| (r.host.clone(), r.family, r.outcome.label())).collect()
}

/// No outcome may carry a secret.
pub fn assert_no_secret(results: &[RecordResult], secret: &str) {
    for r in results {
        if let Outcome::Retry { reason, .. } | Outcome::Stop { reason, .. } = &r.outcome {
            assert!(!reason.contains(secret), "secret in reason: {reason}");
        }
    }
}
