//! The provider catalogue: `catalogue.json` names every provider a user can pick, the protocol
//! behind it and its endpoint. Adding a dyndns2-style provider is one JSON entry.

use super::{protocol, Field, Protocol, COMMON_OPTIONS};
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Debug)]
pub struct Preset {
    /// The value of `option provider`.
    pub name: String,
    /// Human name for the form.
    pub title: String,
    pub protocol: String,
    /// Default endpoint (a URL, or for DNS protocols a host).
    pub server: String,
    /// Whether the provider accepts AAAA updates.
    pub ipv6: bool,
    /// Where the protocol is documented.
    pub docs: String,
    /// Fixed protocol settings for this preset (for example the name of the IPv6 query
    /// parameter), only those its protocol reads (`Protocol::settings`).
    pub settings: BTreeMap<String, String>,
    /// The provider takes both families in one request and drops the one not sent (Dyn,
    /// deSEC): the engine then always sends them together.
    pub together: bool,
    /// How this provider labels the common fields (a deSEC "username" is the domain).
    pub labels: BTreeMap<String, String>,
    /// Protocol fields this provider does not use (Hurricane Electric needs no user name).
    pub omit: Vec<String>,
    /// The provider offers no https: a service using it must opt in with `allow_http`.
    pub plain_http: bool,
}

/// One entry of `catalogue.json`, read through `serde_json::Value` (a derived reader would cost
/// more flash than the whole catalogue).
fn preset(v: &serde_json::Value) -> Option<Preset> {
    let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    let map = |k: &str| -> BTreeMap<String, String> {
        let entries = v.get(k).and_then(|x| x.as_object()).into_iter().flatten();
        entries.filter_map(|(k, x)| Some((k.clone(), x.as_str()?.to_string()))).collect()
    };
    let flag = |k: &str, default: bool| v.get(k).and_then(|x| x.as_bool()).unwrap_or(default);
    let settings = map("settings");
    Some(Preset {
        name: text("name")?,
        title: text("title")?,
        protocol: text("protocol")?,
        server: text("server").unwrap_or_default(),
        ipv6: flag("ipv6", true),
        docs: text("docs")?,
        together: settings.get("together").is_some_and(|t| t == "1"),
        settings,
        labels: map("labels"),
        omit: v
            .get("omit")
            .and_then(|x| x.as_array())
            .into_iter()
            .flatten()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        plain_http: flag("plain_http", false),
    })
}

fn entries() -> Vec<serde_json::Value> {
    serde_json::from_str::<serde_json::Value>(include_str!("catalogue.json"))
        .ok()
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
}

impl PartialEq for Preset {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Preset {
    pub fn protocol(&self) -> &'static dyn Protocol {
        // Checked for every entry when the catalogue is loaded.
        protocol(&self.protocol).expect("catalogue protocol validated at load")
    }

    /// The protocol's fields that this provider uses.
    pub fn fields(&self) -> impl Iterator<Item = &'static Field> + '_ {
        self.protocol().fields().iter().filter(|f| !self.omit.iter().any(|o| o == f.name))
    }

    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings.get(name).map(String::as_str)
    }

    /// Provider-specific option names (not common options).
    pub fn param_fields(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields().map(|f| f.name).filter(|n| !COMMON_OPTIONS.contains(n))
    }

    /// A field is required when the protocol says so; `server` is required exactly when the
    /// preset has no endpoint of its own (the generic dyndns2 entry).
    pub fn requires(&self, f: &Field) -> bool {
        if f.name == "server" {
            self.server.is_empty()
        } else {
            f.required
        }
    }
}

static CATALOGUE: OnceLock<Vec<Preset>> = OnceLock::new();

pub fn all() -> &'static [Preset] {
    CATALOGUE.get_or_init(|| {
        // Every entry is checked by a unit test.
        let known = |p: &Preset| {
            protocol(&p.protocol).is_some_and(|proto| p.settings.keys().all(|k| proto.settings().contains(&k.as_str())))
        };
        entries().iter().filter_map(preset).filter(known).collect()
    })
}

pub fn find(name: &str) -> Option<&'static Preset> {
    all().iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// The catalogue as `edgeddns providers --json` prints it and the LuCI page reads it.
pub fn to_json() -> serde_json::Value {
    let providers: Vec<serde_json::Value> = all()
        .iter()
        .map(|p| {
            let fields: Vec<serde_json::Value> = p
                .fields()
                .map(|f| {
                    let mut v = serde_json::to_value(f).unwrap_or_default();
                    if let Some(label) = p.labels.get(f.name) {
                        v["label"] = label.clone().into();
                    }
                    v["required"] = p.requires(f).into();
                    if f.name == "server" && !p.server.is_empty() {
                        v["default"] = p.server.clone().into();
                    }
                    v
                })
                .collect();
            serde_json::json!({
                "name": p.name,
                "title": p.title,
                "protocol": p.protocol,
                "ipv6": p.ipv6,
                "docs": p.docs,
                "plain_http": p.plain_http,
                "fields": fields,
            })
        })
        .collect();
    serde_json::json!({ "providers": providers })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keys an entry of `catalogue.json` may have.
    const KEYS: [&str; 10] =
        ["name", "title", "protocol", "server", "ipv6", "docs", "settings", "labels", "omit", "plain_http"];

    #[test]
    fn catalogue_is_well_formed() {
        let raw: Vec<Preset> = entries()
            .iter()
            .map(|v| {
                for k in v.as_object().unwrap().keys() {
                    assert!(KEYS.contains(&k.as_str()), "{v}: unknown key {k}");
                }
                preset(v).unwrap_or_else(|| panic!("{v}: name, title, protocol and docs are required"))
            })
            .collect();
        assert!(raw.len() > 100);
        let mut names = std::collections::BTreeSet::new();
        for p in &raw {
            let proto = protocol(&p.protocol).unwrap_or_else(|| panic!("{}: unknown protocol {}", p.name, p.protocol));
            for k in p.settings.keys() {
                assert!(
                    proto.settings().contains(&k.as_str()),
                    "{}: protocol {} reads no setting '{k}'",
                    p.name,
                    p.protocol
                );
            }
            assert!(p.settings.get("together").is_none_or(|t| t == "1"), "{}: together is \"1\" or absent", p.name);
            assert!(names.insert(p.name.to_lowercase()), "duplicate provider {}", p.name);
            assert!(p.docs.starts_with("http"), "{}: docs link", p.name);
            let urls = [Some(p.server.as_str()), p.setting("update_url"), p.setting("update_url6")];
            let http = urls.iter().flatten().any(|u| u.starts_with("http://"));
            assert_eq!(http, p.plain_http, "{}: plain http endpoints, and only they, are marked plain_http", p.name);
        }
        assert_eq!(raw.len(), all().len());
    }
}
