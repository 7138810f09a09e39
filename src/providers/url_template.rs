//! Providers driven by one URL per update: the user's own template (`custom`), and presets
//! whose template is data (FreeDNS afraid.org v2 token URLs, dynv6).
//!
//! Placeholders: `[USERNAME]`, `[PASSWORD]`, `[TOKEN]` (URL-encoded), `[DOMAIN]` (the hostname),
//! `[IP]` (the address of the family being sent), `[IPV4]`, `[IPV6]`. With `[DOMAIN]` in the
//! template there is one request per hostname, else one per family. Credentials in the URL's
//! user-info part (`https://[USERNAME]:[PASSWORD]@host/...`) are sent as basic authentication.
//! A preset may set `method` to `POST` (an empty POST: the API takes the source address).
//! Success: the answer matches `expect` (case-insensitive substrings separated by `|`), or any
//! 2xx answer when there is no pattern; `unchanged` recognises a no-change answer.

use super::{excerpt, Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult};
use crate::encoding::url_encode;
use crate::http::{Method, Request, Transport};
use crate::net::Family;
use std::net::IpAddr;

pub struct UrlTemplate {
    fields: &'static [Field],
}

/// `custom`: everything comes from the service section.
pub static CUSTOM: UrlTemplate = UrlTemplate {
    fields: &[
        Field::required(
            "update_url",
            FieldKind::Url,
            "URL with placeholders [USERNAME] [PASSWORD] [TOKEN] [DOMAIN] [IP] [IPV4] [IPV6]",
        ),
        Field::optional("username", FieldKind::Text, "value of [USERNAME]"),
        Field::optional("password", FieldKind::Secret, "value of [PASSWORD]"),
        Field::optional("token", FieldKind::Secret, "value of [TOKEN]"),
        Field::optional("expect", FieldKind::Text, "answer meaning success, e.g. good|nochg (empty: any 2xx)"),
        Field::optional("unchanged", FieldKind::Text, "answer meaning 'already up to date'"),
    ],
};

/// Presets whose URL is in the catalogue and which only need a token.
pub static TOKEN_URL: UrlTemplate =
    UrlTemplate { fields: &[Field::required("token", FieldKind::Secret, "the update token of this host")] };

/// Presets whose URL is in the catalogue and which need a user name and password.
pub static LOGIN_URL: UrlTemplate = UrlTemplate {
    fields: &[
        Field::required("username", FieldKind::Text, "account user name"),
        Field::required("password", FieldKind::Secret, "account password or update key"),
    ],
};

impl Protocol for UrlTemplate {
    fn fields(&self) -> &'static [Field] {
        self.fields
    }

    fn settings(&self) -> &'static [&'static str] {
        &["update_url", "update_url6", "expect", "unchanged", "method"]
    }

    fn shares_addresses(&self) -> bool {
        true
    }

    fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
        let svc = job.account;
        let preset = svc.preset;
        let setting = |name: &str| svc.param(name).or_else(|| preset.setting(name)).unwrap_or("");
        let mut results = Vec::new();
        for (family, ip) in job.families() {
            let template = match family {
                Family::V6 if !setting("update_url6").is_empty() => setting("update_url6"),
                _ => setting("update_url"),
            };
            let per_host = template.contains("[DOMAIN]");
            let targets: Vec<Vec<String>> =
                if per_host { job.hosts().into_iter().map(|h| vec![h]).collect() } else { vec![job.hosts()] };
            for hosts in targets {
                let url = fill(template, job, &hosts[0], ip);
                let method = if setting("method") == "POST" { Method::Post } else { Method::Get };
                let outcome = send(method, url, job, http, setting("expect"), setting("unchanged"));
                results.extend(hosts.into_iter().map(|host| RecordResult { host, family, outcome: outcome.clone() }));
            }
        }
        results
    }
}

fn fill(template: &str, job: &Job, host: &str, ip: IpAddr) -> String {
    let svc = job.account;
    let v4 = job.address(Family::V4).map(|a| a.to_string()).unwrap_or_default();
    let v6 = job.address(Family::V6).map(|a| a.to_string()).unwrap_or_default();
    template
        .replace("[USERNAME]", &url_encode(&svc.username))
        .replace("[PASSWORD]", &url_encode(svc.password.expose()))
        .replace("[TOKEN]", &url_encode(svc.token.expose()))
        .replace("[DOMAIN]", host)
        .replace("[IPV4]", &v4)
        .replace("[IPV6]", &url_encode(&v6))
        .replace("[IP]", &url_encode(&ip.to_string()))
}

fn send(method: Method, url: String, job: &Job, http: &mut dyn Transport, expect: &str, unchanged: &str) -> Outcome {
    let svc = job.account;
    let (url, auth) = split_userinfo(&url);
    let mut req = Request::new(method, url).secret(svc.password.expose()).secret(svc.token.expose());
    if let Some((user, pass)) = auth {
        req = req.basic_auth(&user, &pass);
    }
    req.allow_http = svc.allow_http;
    let resp = match http.send(&req) {
        Ok(r) => r,
        Err(e) => return Outcome::from_http_error(&e),
    };
    if !unchanged.is_empty() && matches(&resp.body, unchanged) {
        return Outcome::Unchanged;
    }
    let ok_status = (200..300).contains(&resp.status);
    if ok_status && (expect.is_empty() || matches(&resp.body, expect)) {
        return Outcome::Updated;
    }
    let host = crate::http::host_of(&req.url);
    if !ok_status {
        return Outcome::from_status(&resp, host, &excerpt(&resp.body));
    }
    Outcome::retry(
        Kind::MalformedAnswer,
        format!("{host} answered '{}', which does not match '{expect}'", excerpt(&resp.body)),
    )
}

/// Case-insensitive: does `body` contain any of the `|`-separated alternatives as a whole word?
/// ("ok" must not be found in "invalid token".)
fn matches(body: &str, pattern: &str) -> bool {
    let body = body.to_lowercase();
    let word_char = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    pattern.split('|').map(str::trim).filter(|p| !p.is_empty()).any(|p| {
        let p = p.to_lowercase();
        body.match_indices(&p)
            .any(|(i, _)| !word_char(body[..i].chars().next_back()) && !word_char(body[i + p.len()..].chars().next()))
    })
}

/// `https://user:pass@host/path` → (`https://host/path`, Some((user, pass))), percent-decoded.
fn split_userinfo(url: &str) -> (String, Option<(String, String)>) {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return (url.to_string(), None);
    };
    let authority_end = url[scheme_end..].find(['/', '?', '#']).map(|i| scheme_end + i).unwrap_or(url.len());
    let Some(at) = url[scheme_end..authority_end].rfind('@').map(|i| scheme_end + i) else {
        return (url.to_string(), None);
    };
    let info = &url[scheme_end..at];
    let (user, pass) = info.split_once(':').unwrap_or((info, ""));
    (format!("{}{}", &url[..scheme_end], &url[at + 1..]), Some((percent_decode(user), percent_decode(pass))))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::{assert_no_secret, job, labels, service, Scripted, Update};

    #[test]
    fn custom_template_per_host_with_userinfo_auth() {
        let cfg = "config service s\n option provider 'custom'\n list hostname 'a.example.org'\n list hostname 'b.example.org'\n \
                   option update_url 'https://[USERNAME]:[PASSWORD]@dns.example.net/upd?host=[DOMAIN]&addr=[IP]'\n \
                   option username 'me@example.org'\n option password 'p:w/d'\n option expect 'good|nochg'\n option unchanged 'nochg'\n";
        let svc = service(cfg);
        let mut t = Scripted::new(vec![Scripted::body(200, "good"), Scripted::body(200, "nochg 1.2.3.4")]);
        let r = CUSTOM.update(&job(&svc, Some("203.0.113.9"), None), &mut t);
        assert_eq!(t.sent[0].url, "https://dns.example.net/upd?host=a.example.org&addr=203.0.113.9");
        assert_eq!(
            t.sent[0].header_value("Authorization"),
            Some(format!("Basic {}", crate::encoding::base64(b"me@example.org:p:w/d")).as_str())
        );
        assert_eq!(labels(&r).iter().map(|x| x.2).collect::<Vec<_>>(), vec!["updated", "unchanged"]);
    }

    #[test]
    fn custom_answers_and_no_secret_leaks() {
        let cfg = "config service s\n option provider 'custom'\n list hostname 'a.example.org'\n \
                   option update_url 'https://dns.example.net/u?t=[TOKEN]&ip=[IP]'\n option token 'sekr1t'\n option expect 'success'\n";
        let svc = service(cfg);
        for (status, body, want) in [
            (200, "SUCCESS", "updated"),
            (200, "error: token sekr1t unknown", "retry"),
            (403, "denied", "stopped"),
            (503, "", "retry"),
        ] {
            let mut t = Scripted::new(vec![Scripted::body(status, body)]);
            let r = CUSTOM.update(&job(&svc, Some("203.0.113.9"), None), &mut t);
            assert_eq!(r[0].outcome.label(), want, "{status} {body}");
            assert_no_secret(&r, "sekr1t");
        }
    }

    #[test]
    fn freedns_preset_uses_its_own_urls_per_family() {
        let cfg = "config service s\n option provider 'freedns'\n list hostname 'me.mooo.com'\n option token 'AbC123'\n option ipv6 1\n";
        let svc = service(cfg);
        let mut t = Scripted::new(vec![
            Scripted::body(200, "Updated 1 host(s) me.mooo.com to 203.0.113.9 in 0.2 seconds"),
            Scripted::body(200, "No IP change detected for me.mooo.com with IP 2001:db8::9, skipping update"),
        ]);
        let r = TOKEN_URL.update(&job(&svc, Some("203.0.113.9"), Some("2001:db8::9")), &mut t);
        assert_eq!(t.sent[0].url, "https://sync.afraid.org/u/AbC123/?address=203.0.113.9");
        assert_eq!(t.sent[1].url, "https://v6.sync.afraid.org/u/AbC123/?address=2001%3Adb8%3A%3A9");
        assert_eq!(labels(&r).iter().map(|x| x.2).collect::<Vec<_>>(), vec!["updated", "unchanged"]);
        let mut t = Scripted::new(vec![Scripted::body(200, "ERROR: Unable to locate this record")]);
        let r = TOKEN_URL.update(&job(&svc, Some("203.0.113.9"), None), &mut t);
        assert_eq!(r[0].outcome.label(), "retry");
        assert!(!format!("{r:?}").contains("AbC123"));
    }

    #[test]
    fn a_preset_can_post_and_leave_the_address_to_the_source() {
        let svc = service(
            "config service s\n option provider 'mythic-beasts'\n list hostname 'home.example.org'\n \
             option username 'keyid'\n option password 'key/secret'\n",
        );
        let mut t = Scripted::new(vec![Scripted::body(200, r#"{"message":"1 records updated"}"#)]);
        let r = CUSTOM.update(&job(&svc, Some("198.51.100.2"), None), &mut t);
        assert_eq!(t.sent[0].method, Method::Post);
        assert_eq!(t.sent[0].url, "https://ipv4.api.mythic-beasts.com/dns/v2/dynamic/home.example.org");
        let auth = format!("Basic {}", crate::encoding::base64(b"keyid:key/secret"));
        assert_eq!(t.sent[0].header_value("Authorization"), Some(auth.as_str()));
        assert_eq!(r[0].outcome, Outcome::Updated);
    }

    #[test]
    fn answers_match_whole_words_only() {
        assert!(matches("OK", "ok"));
        assert!(matches("good 198.51.100.2\n", "good|nochg"));
        assert!(matches("<b>Updated 1 hostname.</b>", "updated"));
        assert!(!matches("KO: invalid token", "ok"));
        assert!(!matches("nochgx", "nochg"));
    }

    #[test]
    fn dynv6_preset() {
        let cfg = "config service s\n option provider 'dynv6'\n list hostname 'home.dynv6.net'\n option token 'tk'\n option ipv6 1\n";
        let svc = service(cfg);
        let mut t =
            Scripted::new(vec![Scripted::body(200, "addresses updated"), Scripted::body(200, "addresses unchanged")]);
        let r = TOKEN_URL.update(&job(&svc, Some("203.0.113.9"), Some("2001:db8::9")), &mut t);
        assert_eq!(t.sent[0].url, "https://dynv6.com/api/update?zone=home.dynv6.net&token=tk&ipv4=203.0.113.9");
        assert_eq!(t.sent[1].url, "https://dynv6.com/api/update?zone=home.dynv6.net&token=tk&ipv6=2001%3Adb8%3A%3A9");
        assert_eq!(labels(&r).iter().map(|x| x.2).collect::<Vec<_>>(), vec!["updated", "unchanged"]);
    }

    #[test]
    fn userinfo_split() {
        assert_eq!(split_userinfo("https://h/x"), ("https://h/x".into(), None));
        assert_eq!(
            split_userinfo("https://u%40x:p%3Aw@h:8443/x?a=b@c"),
            ("https://h:8443/x?a=b@c".into(), Some(("u@x".into(), "p:w".into())))
        );
    }
}
