//! DNS providers. Each protocol lives in its own file and only builds requests and reads
//! answers through `http::Transport`; which providers exist, and with which endpoints, is data
//! (`catalogue.json`), not code.

mod alidns;
mod azure;
mod bunny;
pub mod catalogue;
mod cloudflare;
mod cloudns;
mod digitalocean;
mod dnsimple;
mod dnspod;
mod dreamhost;
mod duckdns;
mod dyndns2;
mod dynv6;
mod gandi;
mod gcp;
mod godaddy;
mod hetzner;
mod huawei;
mod inwx;
mod ionos;
mod linode;
mod luadns;
mod namecheap;
mod namecom;
mod namesilo;
mod netcup;
mod njalla;
mod ns1;
mod ovh;
mod porkbun;
mod powerdns;
mod rest;
mod rfc2136;
mod route53;
mod scaleway;
mod sign;
mod spaceship;
mod tencent;
#[cfg(test)]
mod testing;
mod transip;
mod url_template;
mod vultr;

use crate::config::Service;
use crate::http::{HttpError, Response, Transport};
use crate::net::Family;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// What the provider's answer means for one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The record now holds the address.
    Updated,
    /// The provider says it already held it.
    Unchanged,
    /// Transient: try again later (after `after` if the provider said how long).
    Retry { reason: String, after: Option<Duration> },
    /// Sending again cannot help (bad credentials, no such host, abuse block): the record is
    /// left alone until its configuration changes.
    Stop { reason: String },
    /// `--dry-run`: shown, not sent.
    NotSent,
}

impl Outcome {
    pub fn retry(reason: impl Into<String>) -> Outcome {
        Outcome::Retry { reason: reason.into(), after: None }
    }

    pub fn stop(reason: impl Into<String>) -> Outcome {
        Outcome::Stop { reason: reason.into() }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Updated | Outcome::Unchanged)
    }

    /// Short word for status output and logs.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Updated => "updated",
            Outcome::Unchanged => "unchanged",
            Outcome::Retry { .. } => "retry",
            Outcome::Stop { .. } => "stopped",
            Outcome::NotSent => "dry-run",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Retry { reason, .. } | Outcome::Stop { reason } => Some(reason),
            _ => None,
        }
    }

    /// A transport failure: never the provider's verdict, so always worth a later retry,
    /// except a request we refused to send (that needs a config change).
    pub fn from_http_error(e: &HttpError) -> Outcome {
        match e {
            HttpError::DryRun => Outcome::NotSent,
            HttpError::Refused(m) => Outcome::stop(m.clone()),
            HttpError::Transport(m) => Outcome::retry(m.clone()),
        }
    }

    /// The meaning of an HTTP status when the body says nothing more specific.
    pub fn from_status(resp: &Response, what: &str) -> Outcome {
        match resp.status {
            200..=299 => Outcome::Updated,
            401 | 403 => {
                Outcome::stop(format!("{what}: authentication refused (HTTP {}): check the credentials", resp.status))
            }
            404 => Outcome::stop(format!("{what}: not found (HTTP 404)")),
            429 => Outcome::Retry { reason: format!("{what}: rate limited (HTTP 429)"), after: resp.retry_after() },
            408 | 500..=599 => Outcome::Retry {
                reason: format!("{what}: server error (HTTP {})", resp.status),
                after: resp.retry_after(),
            },
            s => Outcome::stop(format!("{what}: unexpected HTTP {s}")),
        }
    }
}

/// One update request: the hosts of a service that need an address, and the addresses.
/// A family is `None` when it is not to be touched.
pub struct Job<'a> {
    pub service: &'a Service,
    pub hosts: Vec<String>,
    pub v4: Option<Ipv4Addr>,
    pub v6: Option<Ipv6Addr>,
}

impl Job<'_> {
    pub fn families(&self) -> impl Iterator<Item = (Family, IpAddr)> + '_ {
        self.v4.map(|a| (Family::V4, IpAddr::V4(a))).into_iter().chain(self.v6.map(|a| (Family::V6, IpAddr::V6(a))))
    }

    /// The same outcome for every record of the job (one request covered them all).
    pub fn all(&self, outcome: Outcome) -> Vec<RecordResult> {
        self.families()
            .flat_map(|(family, _)| {
                let outcome = outcome.clone();
                self.hosts.iter().map(move |h| RecordResult { host: h.clone(), family, outcome: outcome.clone() })
            })
            .collect()
    }

    /// The endpoint: the service's `server` override or the preset's default.
    pub fn endpoint(&self) -> &str {
        if self.service.server.is_empty() {
            &self.service.preset.server
        } else {
            &self.service.server
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordResult {
    pub host: String,
    pub family: Family,
    pub outcome: Outcome,
}

/// `host` relative to `zone` as most DNS APIs name records: `home` for home.example.org in
/// example.org, `@` for the apex; `None` when the host is not inside the zone.
pub fn relative_name(host: &str, zone: &str) -> Option<String> {
    let (h, z) = (host.trim_end_matches('.').to_ascii_lowercase(), zone.trim_end_matches('.').to_ascii_lowercase());
    if h == z {
        return Some("@".into());
    }
    h.strip_suffix(&format!(".{z}")).map(str::to_string)
}

/// How a config field is shown and checked (the LuCI form is built from this).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    Secret,
    Number,
    Bool,
    Url,
    /// One of `Field::choices`.
    Choice,
}

#[derive(Clone, Copy, Debug, serde::Serialize)]
pub struct Field {
    /// The UCI option name.
    pub name: &'static str,
    pub kind: FieldKind,
    pub required: bool,
    /// One line for the form and for `edgeddns providers`.
    pub help: &'static str,
    /// The accepted values of a `Choice`.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub choices: &'static [&'static str],
}

impl Field {
    pub const fn required(name: &'static str, kind: FieldKind, help: &'static str) -> Field {
        Field { name, kind, required: true, help, choices: &[] }
    }
    pub const fn optional(name: &'static str, kind: FieldKind, help: &'static str) -> Field {
        Field { name, kind, required: false, help, choices: &[] }
    }
    /// An optional field whose value is one of `choices` (the first is the default).
    pub const fn choice(name: &'static str, choices: &'static [&'static str], help: &'static str) -> Field {
        Field { name, kind: FieldKind::Choice, required: false, help, choices }
    }
}

/// Options every service has; they are not provider parameters.
pub const COMMON_OPTIONS: &[&str] = &[
    "enabled",
    "provider",
    "hostname",
    "username",
    "password",
    "token",
    "ipv4",
    "ipv6",
    "interface",
    "interface6",
    "device",
    "device6",
    "ip_source",
    "nat_policy",
    "ipv6_match",
    "force_interval",
    "retry_interval",
    "retry_max",
    "ttl",
    "server",
    "allow_http",
    "create_missing",
];

pub trait Protocol: Sync {
    /// The config fields this protocol reads, beyond hostname/ipv4/ipv6/interface.
    fn fields(&self) -> &'static [Field];
    /// Send what the job needs and say, per record, what came of it. Never panics on any
    /// answer; a malformed answer is a `Retry` naming what was wrong.
    fn update(&self, job: &Job, http: &mut dyn Transport) -> Vec<RecordResult>;
}

/// The implementation behind a protocol name used in `catalogue.json`.
pub fn protocol(name: &str) -> Option<&'static dyn Protocol> {
    Some(match name {
        "dyndns2" => &dyndns2::Dyndns2,
        "cloudflare" => &cloudflare::Cloudflare,
        "duckdns" => &duckdns::DuckDns,
        "rfc2136" => &rfc2136::Rfc2136,
        "gandi" => &gandi::Gandi,
        "porkbun" => &porkbun::Porkbun,
        "digitalocean" => &digitalocean::DigitalOcean,
        "namecheap" => &namecheap::Namecheap,
        "hetzner" => &hetzner::Hetzner,
        "godaddy" => &godaddy::GoDaddy,
        "linode" => &linode::Linode,
        "vultr" => &vultr::Vultr,
        "namecom" => &namecom::NameCom,
        "ns1" => &ns1::Ns1,
        "scaleway" => &scaleway::Scaleway,
        "ionos" => &ionos::Ionos,
        "luadns" => &luadns::LuaDns,
        "powerdns" => &powerdns::PowerDns,
        "njalla" => &njalla::Njalla,
        "alidns" => &alidns::AliDns,
        "dnspod" => &dnspod::DnsPod,
        "route53" => &route53::Route53,
        "tencent" => &tencent::Tencent,
        "huaweicloud" => &huawei::Huawei,
        "namesilo" => &namesilo::NameSilo,
        "dnsimple" => &dnsimple::Dnsimple,
        "spaceship" => &spaceship::Spaceship,
        "netcup" => &netcup::Netcup,
        "gcp" => &gcp::Gcp,
        "cloudns" => &cloudns::ClouDns,
        "bunny" => &bunny::Bunny,
        "dynv6-api" => &dynv6::Dynv6Api,
        "dreamhost" => &dreamhost::DreamHost,
        "ovh-api" => &ovh::Ovh,
        "transip" => &transip::TransIp,
        "azure" => &azure::Azure,
        "inwx-api" => &inwx::Inwx,
        "custom" => &url_template::CUSTOM,
        "token-url" => &url_template::TOKEN_URL,
        "login-url" => &url_template::LOGIN_URL,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_names() {
        assert_eq!(relative_name("home.Example.org.", "example.org").as_deref(), Some("home"));
        assert_eq!(relative_name("a.b.example.org", "example.org.").as_deref(), Some("a.b"));
        assert_eq!(relative_name("example.org", "example.org").as_deref(), Some("@"));
        assert_eq!(relative_name("badexample.org", "example.org"), None);
    }
}
