//! What the provider targets share: one service per catalogue entry, configured the way a user
//! would (every required field filled), so the answer parsers run behind a real request.

use edgeddns::config::Service;
use edgeddns::providers::{catalogue, FieldKind, Job};
use std::sync::OnceLock;

fn value(name: &str, kind: FieldKind, choices: &[&str]) -> String {
    match (name, kind) {
        ("zone", _) => "example.org".into(),
        // rfc2136's server is a DNS host; the transport never resolves it.
        ("server", _) => "192.0.2.53".into(),
        // A TSIG secret and most API secrets must be base64 or at least non-empty.
        (_, FieldKind::Secret) => "c2VjcmV0LWtleS1mb3ItZnV6emluZw==".into(),
        (_, FieldKind::Url) => "https://update.example.net/?host=[DOMAIN]&ip=[IP]".into(),
        (_, FieldKind::Number) => "1".into(),
        (_, FieldKind::Bool) => "0".into(),
        (_, FieldKind::Choice) => choices.first().copied().unwrap_or("").into(),
        (_, FieldKind::Text) => "fuzz".into(),
    }
}

/// Every catalogue entry whose generic configuration loads (those needing a key file do not).
pub fn services() -> &'static [Service] {
    static SERVICES: OnceLock<Vec<Service>> = OnceLock::new();
    SERVICES.get_or_init(|| {
        let mut text = String::new();
        for (i, p) in catalogue::all().iter().enumerate() {
            text +=
                &format!("config service 's{i}'\n\toption provider '{}'\n\tlist hostname 'home.example.org'\n", p.name);
            text += &format!("\toption ipv6 '{}'\n\toption allow_http '1'\n", u8::from(p.ipv6));
            for f in p.fields().filter(|f| p.requires(f)) {
                text += &format!("\toption {} '{}'\n", f.name, value(f.name, f.kind, f.choices));
            }
        }
        edgeddns::config::from_str("fuzz", &text).expect("the generated configuration parses").services
    })
}

/// The rfc2136 service alone.
pub fn rfc2136() -> &'static [Service] {
    static ONE: OnceLock<Vec<Service>> = OnceLock::new();
    ONE.get_or_init(|| services().iter().filter(|s| s.account.preset.protocol == "rfc2136").cloned().collect())
}

/// An update of both families where the provider takes them.
pub fn job(svc: &Service) -> Job<'_> {
    Job::new(
        &svc.account,
        &svc.hostnames,
        Some("203.0.113.7".parse().unwrap()),
        svc.ipv6.then(|| "2001:db8::7".parse().unwrap()),
    )
}
