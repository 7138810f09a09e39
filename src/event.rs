//! Events: a record's result or a WAN verdict changed. One flat list of named fields serves
//! every consumer: the ubus event's data (lower-case names), the hotplug environment (upper
//! case) and the notifiers' messages, so that they cannot disagree.

use crate::net::Family;
use std::net::IpAddr;

/// What happened (`ACTION` of the hotplug scripts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// The record holds the address now (a new address, or good again after a failure).
    Updated,
    /// The provider refused or could not be reached; retried with backoff.
    Failed,
    /// Sending again cannot help until the configuration changes.
    Stopped,
    /// The authoritative servers answer another address than the one published.
    Drift,
    /// A WAN's verdict (public, CGNAT, double NAT...) changed.
    Verdict,
    /// `notify_test`: a message asked for by hand.
    Test,
}

impl Action {
    pub const ALL: [Action; 6] =
        [Action::Updated, Action::Failed, Action::Stopped, Action::Drift, Action::Verdict, Action::Test];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Updated => "updated",
            Action::Failed => "failed",
            Action::Stopped => "stopped",
            Action::Drift => "drift",
            Action::Verdict => "verdict",
            Action::Test => "test",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub action: Action,
    /// Record events: service section, hostname; verdict events: the WAN's label.
    pub service: String,
    pub hostname: String,
    pub family: Family,
    pub address: Option<IpAddr>,
    /// Record events: the result code (`updated`, `retry`...); verdict events: the verdict.
    pub result: String,
    /// Why: the provider's error, or the verdict's explanation.
    pub detail: String,
}

impl Event {
    /// The ubus event this is sent as.
    pub fn ubus_name(&self) -> &'static str {
        if self.action == Action::Verdict {
            "edgeddns.verdict"
        } else {
            "edgeddns.record"
        }
    }

    /// (name, value) pairs, empty values left out. A verdict event names its WAN `interface`
    /// and carries `verdict`; a record event its `service` and `hostname`.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let verdict = self.action == Action::Verdict;
        let address = self.address.map(|a| a.to_string()).unwrap_or_default();
        let mut out = vec![
            ("action", self.action.as_str().to_string()),
            (if verdict { "interface" } else { "service" }, self.service.clone()),
            ("hostname", self.hostname.clone()),
            ("family", self.family.as_str().to_string()),
            ("address", address),
            ("result", self.result.clone()),
            (if verdict { "explanation" } else { "error" }, self.detail.clone()),
        ];
        if verdict {
            out.push(("verdict", self.result.clone()));
        }
        out.retain(|(_, v)| !v.is_empty());
        out
    }

    pub fn to_json(&self) -> serde_json::Value {
        object(self.fields())
    }

    /// One line for a human: "home: home.example.org A → 198.51.100.7 (updated)".
    pub fn text(&self) -> String {
        let address = self.address.map(|a| a.to_string()).unwrap_or_else(|| "no address".into());
        let what = match self.action {
            Action::Test => return format!("edgeddns test message through '{}'", self.service),
            Action::Verdict => format!("{} ({})", self.service, self.family),
            _ => format!("{}: {} {}", self.service, self.hostname, self.family.record_type()),
        };
        let detail = if self.detail.is_empty() { String::new() } else { format!(": {}", self.detail) };
        format!("edgeddns {} {what} {address} ({}){detail}", self.action.as_str(), self.result)
    }
}

/// A JSON object of string members.
pub fn object(members: Vec<(&str, String)>) -> serde_json::Value {
    // Inserted one by one: collecting into the map would link a sort of its own.
    let mut map = serde_json::Map::new();
    for (k, v) in members {
        map.insert(k.to_string(), v.into());
    }
    serde_json::Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_and_verdict_fields() {
        let e = Event {
            action: Action::Failed,
            service: "home".into(),
            hostname: "home.example.org".into(),
            family: Family::V4,
            address: "198.51.100.7".parse().ok(),
            result: "retry".into(),
            detail: "HTTP 500".into(),
        };
        assert_eq!(e.ubus_name(), "edgeddns.record");
        assert_eq!(
            e.to_json(),
            serde_json::json!({"action": "failed", "service": "home", "hostname": "home.example.org",
                "family": "ipv4", "address": "198.51.100.7", "result": "retry", "error": "HTTP 500"})
        );
        assert_eq!(e.text(), "edgeddns failed home: home.example.org A 198.51.100.7 (retry): HTTP 500");
        let v = Event {
            action: Action::Verdict,
            service: "wan".into(),
            hostname: String::new(),
            family: Family::V6,
            address: None,
            result: "cgnat".into(),
            detail: String::new(),
        };
        assert_eq!(v.ubus_name(), "edgeddns.verdict");
        assert_eq!(
            v.to_json(),
            serde_json::json!({"action": "verdict", "interface": "wan", "family": "ipv6", "result": "cgnat",
                "verdict": "cgnat"})
        );
        assert_eq!(Action::parse("drift"), Some(Action::Drift));
        assert_eq!(Action::parse("nope"), None);
    }
}
