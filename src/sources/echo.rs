//! External IP echo: ask services on the internet which address our packets arrive from.
//! Answers are parsed strictly: a bare IP literal, or the `ip=` line of a Cloudflare trace.
//! Several operators are asked so that one broken or lying service cannot decide alone.

use crate::error::Error;
use crate::http::{host_of, Request, Transport};
use crate::net::Family;
use std::net::IpAddr;

/// One service's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub service: String,
    pub result: Result<IpAddr, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchoResult {
    /// The agreed address, if any service answered and no majority contradicts it.
    pub addr: Option<IpAddr>,
    pub answers: Vec<Answer>,
}

impl EchoResult {
    /// Why there is no address, for the status page.
    pub fn failure(&self) -> String {
        if self.answers.iter().any(|a| a.result.is_ok()) {
            let seen: Vec<String> = self
                .answers
                .iter()
                .filter_map(|a| a.result.as_ref().ok().map(|ip| format!("{} says {ip}", a.service)))
                .collect();
            format!("echo services disagree: {}", seen.join(", "))
        } else if self.answers.is_empty() {
            "no echo service configured".to_string()
        } else {
            let errs: Vec<String> = self
                .answers
                .iter()
                .filter_map(|a| a.result.as_ref().err().map(|e| format!("{}: {e}", a.service)))
                .collect();
            format!("no echo service answered ({})", errs.join("; "))
        }
    }
}

/// Parse an echo answer. Accepts exactly one IP literal of `family` (surrounding white space
/// allowed), or a Cloudflare trace (`key=value` lines) whose `ip=` line holds one.
pub fn parse_answer(body: &str, family: Family) -> Result<IpAddr, Error> {
    let text = body.trim();
    let candidate = if text.lines().count() > 1 || text.starts_with("fl=") || text.contains("\nip=") {
        text.lines()
            .find_map(|l| l.trim().strip_prefix("ip="))
            .ok_or_else(|| Error::Answer("the answer has several lines but no 'ip=' line".into()))?
    } else {
        text
    };
    let ip: IpAddr = candidate.parse().map_err(|_| {
        let shown: String = candidate.chars().take(40).collect();
        Error::Answer(format!("the answer '{shown}' is not an IP address"))
    })?;
    if Family::of(&ip) != family {
        return Err(Error::Answer(format!("asked over {family} but got {ip}")));
    }
    if let Some(what) = not_global(ip) {
        return Err(Error::Answer(format!("the answer {ip} is {what}, not an address the internet can see")));
    }
    Ok(ip)
}

/// What `ip` is when it cannot be the source address the internet sees (an echo answer of
/// 10.1.2.3, 0.0.0.0 or 127.0.0.1 must never be published). The documentation ranges
/// (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are accepted on purpose, as
/// `net::is_public` does: the tests use them as public stand-ins, and the internet never routes
/// them, so no real echo service can see us there.
fn not_global(ip: IpAddr) -> Option<&'static str> {
    use crate::net::{is_cgnat, is_private_nat, is_public};
    if is_public(ip) {
        return None;
    }
    Some(match ip {
        IpAddr::V4(a) if a.is_unspecified() => "the unspecified address",
        IpAddr::V4(a) if a.is_loopback() => "a loopback address",
        IpAddr::V4(a) if is_cgnat(a) => "a carrier-grade NAT address (100.64.0.0/10)",
        IpAddr::V4(a) if is_private_nat(a) => "a private address (RFC 1918 or DS-Lite 192.0.0.0/29)",
        IpAddr::V4(a) if a.is_link_local() => "a link-local address",
        IpAddr::V4(a) if a.is_multicast() => "a multicast address",
        IpAddr::V4(_) => "a reserved address",
        IpAddr::V6(a) if a.is_unspecified() => "the unspecified address",
        IpAddr::V6(a) if a.is_loopback() => "a loopback address",
        IpAddr::V6(a) if a.is_unicast_link_local() => "a link-local address",
        IpAddr::V6(a) if a.is_unique_local() => "a unique local address (fc00::/7)",
        IpAddr::V6(a) if a.is_multicast() => "a multicast address",
        IpAddr::V6(a) if a.to_ipv4_mapped().is_some() => "an IPv4-mapped address",
        IpAddr::V6(_) => "outside the global unicast range 2000::/3",
    })
}

/// Ask the services in order until two agree. When the first two disagree, the next ones
/// are asked and the majority wins; a lone answer is accepted when every other service failed.
pub fn query(urls: &[String], family: Family, http: &mut dyn Transport) -> EchoResult {
    let mut answers: Vec<Answer> = Vec::new();
    for url in urls {
        answers.push(ask(url, family, http));
        if agreed(&answers).is_some() {
            break;
        }
    }
    settle(answers)
}

/// One service's answer.
pub fn ask(url: &str, family: Family, http: &mut dyn Transport) -> Answer {
    let service = host_of(url).to_string();
    let result = match http.send(&Request::get(url).header("Accept", "text/plain")) {
        Ok(resp) if resp.status == 200 => parse_answer(&resp.body, family).map_err(|e| e.to_string()),
        Ok(resp) => Err(format!("HTTP {}", resp.status)),
        // Transport errors name the host already; the answer is listed under it.
        Err(e) => {
            let msg = e.to_string();
            Err(msg.strip_prefix(&format!("{service}: ")).map(str::to_string).unwrap_or(msg))
        }
    };
    Answer { service, result }
}

/// The address two answers agree on: no further service needs asking.
pub fn agreed(answers: &[Answer]) -> Option<IpAddr> {
    majority(answers, 2)
}

/// The verdict of all answers given: two that agree, a lone one when the rest failed, or the
/// majority.
pub fn settle(answers: Vec<Answer>) -> EchoResult {
    if let Some(ip) = agreed(&answers) {
        return EchoResult { addr: Some(ip), answers };
    }
    let ok: Vec<IpAddr> = answers.iter().filter_map(|a| a.result.clone().ok()).collect();
    let addr = match ok.as_slice() {
        [only] => Some(*only),
        _ => majority(&answers, ok.len() / 2 + 1).filter(|_| !ok.is_empty()),
    };
    EchoResult { addr, answers }
}

fn majority(answers: &[Answer], needed: usize) -> Option<IpAddr> {
    let ok: Vec<IpAddr> = answers.iter().filter_map(|a| a.result.clone().ok()).collect();
    ok.iter().copied().find(|ip| ok.iter().filter(|o| *o == ip).count() >= needed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpError, Response};
    use std::collections::HashMap;

    #[test]
    fn parses_literals_and_traces() {
        assert_eq!(parse_answer(" 198.51.100.9\n", Family::V4), Ok("198.51.100.9".parse().unwrap()));
        assert_eq!(parse_answer("2001:db8::5", Family::V6), Ok("2001:db8::5".parse().unwrap()));
        let trace = "fl=123\nh=cloudflare.com\nip=203.0.113.4\nts=1.2\nvisit_scheme=https\n";
        assert_eq!(parse_answer(trace, Family::V4), Ok("203.0.113.4".parse().unwrap()));
        assert!(parse_answer("<html>198.51.100.9</html>", Family::V4).unwrap_err().to_string().contains("not an IP"));
        assert!(parse_answer("198.51.100.9", Family::V6).unwrap_err().to_string().contains("asked over ipv6"));
        assert!(parse_answer("a=b\nc=d", Family::V4).unwrap_err().to_string().contains("no 'ip=' line"));
        assert!(parse_answer("", Family::V4).is_err());
    }

    #[test]
    fn only_global_unicast_answers_count() {
        // Each of these used to be accepted and published as the record's address.
        let refused = [
            ("10.1.2.3", Family::V4, "a private address (RFC 1918 or DS-Lite 192.0.0.0/29)"),
            ("192.168.0.1", Family::V4, "a private address (RFC 1918 or DS-Lite 192.0.0.0/29)"),
            ("100.64.7.7", Family::V4, "a carrier-grade NAT address (100.64.0.0/10)"),
            ("0.0.0.0", Family::V4, "the unspecified address"),
            ("127.0.0.1", Family::V4, "a loopback address"),
            ("169.254.1.1", Family::V4, "a link-local address"),
            ("224.0.0.1", Family::V4, "a multicast address"),
            ("255.255.255.255", Family::V4, "a reserved address"),
            ("240.1.1.1", Family::V4, "a reserved address"),
            ("::", Family::V6, "the unspecified address"),
            ("::1", Family::V6, "a loopback address"),
            ("fe80::1", Family::V6, "a link-local address"),
            ("fd12:3456::1", Family::V6, "a unique local address (fc00::/7)"),
            ("ff02::1", Family::V6, "a multicast address"),
            ("::ffff:203.0.113.4", Family::V6, "an IPv4-mapped address"),
            ("4000::1", Family::V6, "outside the global unicast range 2000::/3"),
        ];
        for (ip, family, what) in refused {
            let e = parse_answer(ip, family).unwrap_err();
            assert_eq!(e, Error::Answer(format!("the answer {ip} is {what}, not an address the internet can see")));
            let trace = format!("fl=1\nip={ip}\nts=2\n");
            assert_eq!(parse_answer(&trace, family).unwrap_err(), e, "a trace's ip= line is checked the same way");
        }
        for (ip, family) in [
            ("198.51.100.9", Family::V4),
            ("8.8.8.8", Family::V4),
            ("2a00:1450::1", Family::V6),
            ("2001:db8::5", Family::V6),
        ] {
            assert_eq!(parse_answer(ip, family), Ok(ip.parse().unwrap()));
        }
    }

    #[test]
    fn a_private_answer_is_a_failed_echo() {
        let mut t = Canned([("https://a.test/", Ok("10.1.2.3")), ("https://b.test/", Ok("10.1.2.3"))].into(), vec![]);
        let r = query(&urls(), Family::V4, &mut t);
        assert_eq!(r.addr, None, "two services agreeing on a private address publish nothing");
        assert!(
            r.failure().starts_with("no echo service answered (a.test: the answer 10.1.2.3 is a private"),
            "{}",
            r.failure()
        );
    }

    struct Canned(HashMap<&'static str, Result<&'static str, ()>>, Vec<String>);

    impl Transport for Canned {
        fn send(&mut self, req: &Request) -> Result<Response, HttpError> {
            self.1.push(req.url.clone());
            match self.0.get(req.url.as_str()) {
                Some(Ok(body)) => Ok(Response { status: 200, headers: vec![], body: body.to_string() }),
                _ => Err(HttpError::Transport("connection failed".into())),
            }
        }
    }

    fn urls() -> Vec<String> {
        ["https://a.test/", "https://b.test/", "https://c.test/"].map(String::from).to_vec()
    }

    #[test]
    fn two_agreeing_answers_stop_the_search() {
        let mut t =
            Canned([("https://a.test/", Ok("198.51.100.1")), ("https://b.test/", Ok("198.51.100.1"))].into(), vec![]);
        let r = query(&urls(), Family::V4, &mut t);
        assert_eq!(r.addr, Some("198.51.100.1".parse().unwrap()));
        assert_eq!(t.1.len(), 2, "third service must not be asked");
    }

    #[test]
    fn disagreement_is_settled_by_the_third() {
        let mut t = Canned(
            [
                ("https://a.test/", Ok("198.51.100.1")),
                ("https://b.test/", Ok("198.51.100.2")),
                ("https://c.test/", Ok("198.51.100.2")),
            ]
            .into(),
            vec![],
        );
        assert_eq!(query(&urls(), Family::V4, &mut t).addr, Some("198.51.100.2".parse().unwrap()));
    }

    #[test]
    fn three_different_answers_give_none() {
        let mut t = Canned(
            [
                ("https://a.test/", Ok("198.51.100.1")),
                ("https://b.test/", Ok("198.51.100.2")),
                ("https://c.test/", Ok("198.51.100.3")),
            ]
            .into(),
            vec![],
        );
        let r = query(&urls(), Family::V4, &mut t);
        assert_eq!(r.addr, None);
        assert!(r.failure().contains("disagree"), "{}", r.failure());
    }

    #[test]
    fn lone_answer_is_used_when_others_fail() {
        let mut t = Canned([("https://b.test/", Ok("198.51.100.7"))].into(), vec![]);
        let r = query(&urls(), Family::V4, &mut t);
        assert_eq!(r.addr, Some("198.51.100.7".parse().unwrap()));
        assert_eq!(r.answers.len(), 3);
    }

    #[test]
    fn all_failing_is_explained() {
        let mut t = Canned(HashMap::new(), vec![]);
        let r = query(&urls(), Family::V4, &mut t);
        assert_eq!(r.addr, None);
        assert!(r.failure().starts_with("no echo service answered (a.test: connection failed"), "{}", r.failure());
    }

    #[test]
    fn fuzz_regressions() {
        for (name, bytes) in crate::testing::regression_inputs("echo_answer") {
            let (first, body) = bytes.split_first().unwrap();
            let family = if *first == b'6' { Family::V6 } else { Family::V4 };
            let e = parse_answer(&String::from_utf8_lossy(body), family).unwrap_err().to_string();
            assert!(e.ends_with("not an address the internet can see"), "{name}: {e}");
        }
    }
}
