//! DuckDNS: https://www.duckdns.org/spec.jsp
//!
//! One request updates every domain of the service and both families
//! (`/update?domains=a,b&token=T&ip=V4&ipv6=V6&verbose=true`). With `verbose=true` the answer
//! is `OK` or `KO`, then the addresses and `UPDATED` or `NOCHANGE`. Domains are sent without
//! their `.duckdns.org` suffix, as the service expects.

use super::{excerpt, Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult};
use crate::encoding::url_encode;
use crate::http::Request;
use crate::net::Family;

pub struct DuckDns;

static FIELDS: &[Field] = &[Field::required("token", FieldKind::Secret, "the account token shown on duckdns.org")];

impl Protocol for DuckDns {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn shares_addresses(&self) -> bool {
        true
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let hosts = job.hosts();
        let domains: Vec<&str> =
            hosts.iter().map(|h| h.trim_end_matches('.').trim_end_matches(".duckdns.org")).collect();
        let mut url = format!(
            "{}?domains={}&token={}",
            job.endpoint(),
            url_encode(&domains.join(",")),
            url_encode(job.account.token.expose())
        );
        // Without `ip` DuckDNS takes the request's source address for IPv4, so an IPv6-only
        // job still names the IPv4 record only when it has an address for it.
        if let Some(v4) = job.address(Family::V4) {
            url.push_str(&format!("&ip={v4}"));
        }
        if let Some(v6) = job.address(Family::V6) {
            url.push_str(&format!("&ipv6={}", url_encode(&v6.to_string())));
        }
        url.push_str("&verbose=true");
        let mut req = Request::get(url).secret(job.account.token.expose());
        req.allow_http = job.account.allow_http;
        let outcome = match http.send(&req) {
            Err(e) => Outcome::from_http_error(&e),
            Ok(resp) => {
                let lines: Vec<&str> = resp.body.lines().map(str::trim).collect();
                match lines.first().copied() {
                    Some("OK") if lines.contains(&"NOCHANGE") => Outcome::Unchanged,
                    Some("OK") => Outcome::Updated,
                    Some("KO") => Outcome::stop(
                        Kind::Auth,
                        "DuckDNS refused the update (KO): check the token and that the domains belong to it",
                    ),
                    _ if !(200..300).contains(&resp.status) => {
                        Outcome::from_status(&resp, "DuckDNS", &excerpt(&resp.body))
                    }
                    _ => Outcome::retry(
                        Kind::MalformedAnswer,
                        format!("unexpected answer from DuckDNS: '{}'", excerpt(&resp.body)),
                    ),
                }
            }
        };
        job.all(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::Family;
    use crate::providers::testing::{assert_no_secret, job, labels, service, Scripted, Update};

    const CFG: &str =
        "config service s\n option provider 'duckdns'\n list hostname 'home.duckdns.org'\n list hostname 'nas'\n \
                       option token 'a7c4d0ad-114e-40ef-ba1d-d217904a50f2'\n option ipv6 1\n";

    #[test]
    fn both_families_and_all_domains_in_one_request() {
        let svc = service(CFG);
        let mut t = Scripted::new(vec![Scripted::body(200, "OK\n203.0.113.5\n2001:db8::5\nUPDATED")]);
        let r = DuckDns.update(&job(&svc, Some("203.0.113.5"), Some("2001:db8::5")), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://www.duckdns.org/update?domains=home%2Cnas&token=a7c4d0ad-114e-40ef-ba1d-d217904a50f2\
             &ip=203.0.113.5&ipv6=2001%3Adb8%3A%3A5&verbose=true"
        );
        assert!(!t.sent[0].display_masked().contains("a7c4d0ad"));
        assert_eq!(labels(&r).len(), 4);
        assert!(r.iter().all(|x| x.outcome == Outcome::Updated));
    }

    #[test]
    fn answers() {
        let svc = service(CFG);
        for (body, want) in [("OK\n203.0.113.5\n\nNOCHANGE", "unchanged"), ("KO", "stopped"), ("<html>", "retry")] {
            let mut t = Scripted::new(vec![Scripted::body(200, body)]);
            let r = DuckDns.update(&job(&svc, Some("203.0.113.5"), None), &mut t);
            assert_eq!(r[0].outcome.label(), want, "{body}");
            assert_eq!(r[0].family, Family::V4);
            assert_no_secret(&r, "a7c4d0ad-114e-40ef-ba1d-d217904a50f2");
        }
    }
}
