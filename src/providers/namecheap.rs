//! Namecheap dynamic DNS: https://www.namecheap.com/support/knowledgebase/article.aspx/29/11/how-to-dynamically-update-the-hosts-ip-with-an-http-request/
//!
//! `GET /update?host=<name>&domain=<domain>&password=<dynamic DNS password>&ip=<IPv4>`, one
//! request per hostname; the XML answer has `<ErrCount>0</ErrCount>` on success, else `<Err1>`.
//! IPv4 only, as the service.

use super::{relative_name, Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, ZONE_FIELD};
use crate::encoding::url_encode;
use crate::http::Request;

pub struct Namecheap;

static FIELDS: &[Field] = &[
    Field::required("password", FieldKind::Secret, "the domain's Dynamic DNS password (Advanced DNS page)"),
    ZONE_FIELD,
    Field::optional("server", FieldKind::Url, "update URL"),
];

fn element<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    super::rest::xml_text(xml, tag).map(str::trim)
}

impl Protocol for Namecheap {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let svc = job.account;
        let zone = svc.param("zone").unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
        let mut results = Vec::new();
        for target in &job.records {
            let (host, family, ip) = (&target.host, target.family(), target.ip);
            let outcome = match relative_name(host, &zone) {
                None => Outcome::stop(Kind::Config, format!("{host} is not inside the domain {zone}")),
                Some(name) => {
                    let url = format!(
                        "{}?host={}&domain={}&password={}&ip={ip}",
                        job.endpoint(),
                        url_encode(&name),
                        url_encode(&zone),
                        url_encode(svc.password.expose())
                    );
                    let mut req = Request::get(url).secret(svc.password.expose());
                    req.allow_http = svc.allow_http;
                    match http.send(&req) {
                        Err(e) => Outcome::from_http_error(&e),
                        Ok(r) if !(200..300).contains(&r.status) => {
                            Outcome::from_status(&r, "Namecheap", element(&r.body, "Err1").unwrap_or(""))
                        }
                        Ok(r) => match element(&r.body, "ErrCount") {
                            Some("0") => Outcome::Updated,
                            Some(_) => {
                                let why = element(&r.body, "Err1").unwrap_or("unknown error");
                                // Namecheap's errors are about the request itself (password,
                                // domain, host): sending it again cannot help.
                                Outcome::stop(Kind::ProviderError, format!("Namecheap refused the update: {why}"))
                            }
                            None => Outcome::retry(Kind::MalformedAnswer, "Namecheap's answer has no ErrCount"),
                        },
                    }
                }
            };
            results.push(RecordResult { host: host.clone(), family, outcome });
        }
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, service, Scripted, Update};

    const CFG: &str = "config service s\n option provider 'namecheap'\n list hostname 'example.org'\n list hostname 'nas.example.org'\n \
                       option password 'a1b2c3'\n option zone 'example.org'\n";

    #[test]
    fn one_request_per_host_with_the_relative_name() {
        let ok = "<?xml version=\"1.0\"?><interface-response><Command>SETDNSHOST</Command><Language>eng</Language>\
                  <IP>203.0.113.4</IP><ErrCount>0</ErrCount><ResponseCount>0</ResponseCount><Done>true</Done></interface-response>";
        let svc = service(CFG);
        let mut t = Scripted::new(vec![Scripted::body(200, ok), Scripted::body(200, ok)]);
        let r = Namecheap.update(&job(&svc, Some("203.0.113.4"), None), &mut t);
        assert_eq!(
            t.sent[0].url,
            "https://dynamicdns.park-your-domain.com/update?host=%40&domain=example.org&password=a1b2c3&ip=203.0.113.4"
        );
        assert!(t.sent[1].url.contains("host=nas&"));
        assert!(!t.sent[0].display_masked().contains("a1b2c3"));
        assert!(r.iter().all(|x| x.outcome == Outcome::Updated));
    }

    #[test]
    fn errors_stop_without_the_password() {
        let bad = "<interface-response><ErrCount>1</ErrCount><errors><Err1>Passwords do not match</Err1></errors>\
                   <Done>true</Done></interface-response>";
        let svc = service(&CFG.replace(" list hostname 'nas.example.org'\n", ""));
        let mut t = Scripted::new(vec![Scripted::body(200, bad)]);
        let r = Namecheap.update(&job(&svc, Some("203.0.113.4"), None), &mut t);
        assert!(matches!(&r[0].outcome, Outcome::Stop { reason, .. } if reason.contains("Passwords do not match")));
        assert_no_secret(&r, "a1b2c3");
        let mut t = Scripted::new(vec![Scripted::body(200, "<html>oops</html>")]);
        assert_eq!(Namecheap.update(&job(&svc, Some("203.0.113.4"), None), &mut t)[0].outcome.label(), "retry");
    }
}
