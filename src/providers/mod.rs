//! DNS providers. Each protocol lives in its own file and only builds requests and reads
//! answers through `Net` (`http::Transport`, and `dns::Exchange` for RFC 2136); which providers
//! exist, and with which endpoints, is data (`catalogue.json`), not code.

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
pub(crate) mod testing;
mod transip;
mod url_template;
mod vultr;

use crate::dns::Exchange;
use crate::http::{HttpError, Response, Transport};
use crate::net::Family;
use crate::secret::Secret;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// Why a record was not updated, as a stable machine code (the status document's `kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The provider refused the credentials (or the key may not touch this record).
    Auth,
    /// The hostname, record or zone does not exist there.
    NoSuchRecord,
    /// The provider asked us to slow down.
    RateLimited,
    /// The provider failed or refused on its side (server errors, blocks, its own error codes).
    ProviderError,
    /// DNS resolution, connection or a cut-off answer.
    Network,
    /// The TLS handshake or the certificate failed.
    Tls,
    /// No answer in time.
    Timeout,
    /// An answer we cannot read, or one that does not say what happened.
    MalformedAnswer,
    /// The service's own settings are wrong (a refused URL, an unreadable key file, a host
    /// outside its zone).
    Config,
    /// The router's clock is not set yet (certificates are "not valid yet"): no backoff, the
    /// update goes out when the clock jumps.
    Clock,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Auth,
        Kind::NoSuchRecord,
        Kind::RateLimited,
        Kind::ProviderError,
        Kind::Network,
        Kind::Tls,
        Kind::Timeout,
        Kind::MalformedAnswer,
        Kind::Config,
        Kind::Clock,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Auth => "auth",
            Kind::NoSuchRecord => "no-such-record",
            Kind::RateLimited => "rate-limited",
            Kind::ProviderError => "provider-error",
            Kind::Network => "network",
            Kind::Tls => "tls",
            Kind::Timeout => "timeout",
            Kind::MalformedAnswer => "malformed-answer",
            Kind::Config => "config",
            Kind::Clock => "clock",
        }
    }
}

/// What came of the last attempt on a record (the status document's `outcome.code`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Updated,
    Unchanged,
    Retry,
    Stopped,
    DryRun,
    /// The record was deleted at the provider: its LAN device is gone (`on_absent 'delete'`).
    Withdrawn,
}

impl Code {
    pub const ALL: [Code; 6] =
        [Code::Updated, Code::Unchanged, Code::Retry, Code::Stopped, Code::DryRun, Code::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::Updated => "updated",
            Code::Unchanged => "unchanged",
            Code::Retry => "retry",
            Code::Stopped => "stopped",
            Code::DryRun => "dry-run",
            Code::Withdrawn => "withdrawn",
        }
    }
}

/// `Kind` and `Code` are written as their codes, in the status document and the state file.
impl serde::Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl serde::Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The longest wait a provider may ask for (`Retry-After`, dyndns2's 911): anything longer is
/// cut to this, so a hostile or broken answer cannot park a record for years (or, added to the
/// clock, wrap around into the past).
pub const MAX_PROVIDER_WAIT: Duration = Duration::from_secs(24 * 3600);

/// What the provider's answer means for one record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The record now holds the address.
    Updated,
    /// The provider says it already held it.
    Unchanged,
    /// Transient: try again later (after `after` if the provider said how long; never more
    /// than `MAX_PROVIDER_WAIT`).
    Retry { kind: Kind, reason: String, after: Option<Duration> },
    /// Sending again cannot help (bad credentials, no such host, abuse block): the record is
    /// left alone until its configuration changes.
    Stop { kind: Kind, reason: String },
    /// `--dry-run`: shown, not sent.
    NotSent,
}

impl Outcome {
    pub fn retry(kind: Kind, reason: impl Into<String>) -> Outcome {
        Outcome::Retry { kind, reason: reason.into(), after: None }
    }

    /// A retry no sooner than `after`, when the provider said; a longer wait than
    /// `MAX_PROVIDER_WAIT` is cut to it, and the reason says so.
    pub fn retry_after(kind: Kind, reason: impl Into<String>, after: Option<Duration>) -> Outcome {
        let mut reason = reason.into();
        if let Some(a) = after.filter(|a| *a > MAX_PROVIDER_WAIT) {
            reason.push_str(&format!(
                " (the provider asked to wait {} s; waiting at most {} h)",
                a.as_secs(),
                MAX_PROVIDER_WAIT.as_secs() / 3600
            ));
        }
        Outcome::Retry { kind, reason, after: after.map(|a| a.min(MAX_PROVIDER_WAIT)) }
    }

    pub fn stop(kind: Kind, reason: impl Into<String>) -> Outcome {
        Outcome::Stop { kind, reason: reason.into() }
    }

    pub fn is_success(&self) -> bool {
        matches!(self, Outcome::Updated | Outcome::Unchanged)
    }

    pub fn code(&self) -> Code {
        match self {
            Outcome::Updated => Code::Updated,
            Outcome::Unchanged => Code::Unchanged,
            Outcome::Retry { .. } => Code::Retry,
            Outcome::Stop { .. } => Code::Stopped,
            Outcome::NotSent => Code::DryRun,
        }
    }

    /// Short word for status output and logs.
    pub fn label(&self) -> &'static str {
        self.code().as_str()
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Outcome::Retry { reason, .. } | Outcome::Stop { reason, .. } => Some(reason),
            _ => None,
        }
    }

    /// Why the record is not up to date; `None` for a success or a dry run.
    pub fn kind(&self) -> Option<Kind> {
        match self {
            Outcome::Retry { kind, .. } | Outcome::Stop { kind, .. } => Some(*kind),
            _ => None,
        }
    }

    /// A transport failure: never the provider's verdict, so always worth a later retry,
    /// except a request we refused to send (that needs a config change).
    pub fn from_http_error(e: &HttpError) -> Outcome {
        match e {
            HttpError::DryRun => Outcome::NotSent,
            HttpError::Refused(m) => Outcome::stop(Kind::Config, m.clone()),
            HttpError::Transport(m) => Outcome::retry(Kind::Network, m.clone()),
            HttpError::Tls(m) => Outcome::retry(Kind::Tls, m.clone()),
            HttpError::Timeout(m) => Outcome::retry(Kind::Timeout, m.clone()),
            HttpError::Clock(m) => Outcome::retry(Kind::Clock, m.clone()),
        }
    }

    /// The meaning of an HTTP status that is not a success, for every protocol: `what` names
    /// the provider (or host), `message` is what its answer said (may be empty).
    pub fn from_status(resp: &Response, what: &str, message: &str) -> Outcome {
        let status = resp.status;
        let said = if message.is_empty() { String::new() } else { format!(" {message}") };
        match status {
            401 | 403 => {
                Outcome::stop(Kind::Auth, format!("{what} refused the credentials (HTTP {status}{said}): check them"))
            }
            404 => Outcome::stop(Kind::NoSuchRecord, format!("{what}: not found (HTTP 404{said})")),
            429 => Outcome::retry_after(
                Kind::RateLimited,
                format!("{what}: rate limited (HTTP 429{said})"),
                resp.retry_after(),
            ),
            408 => Outcome::retry(Kind::Timeout, format!("{what}: the server timed out (HTTP 408{said})")),
            500..=599 => Outcome::retry_after(
                Kind::ProviderError,
                format!("{what}: server error (HTTP {status}{said})"),
                resp.retry_after(),
            ),
            _ => Outcome::stop(Kind::ProviderError, format!("{what}: unexpected HTTP {status}{said}")),
        }
    }
}

/// The start of an answer that is not in the provider's format, to quote in a reason: one
/// line of at most 80 characters.
pub fn excerpt(body: &str) -> String {
    let line = body.trim().lines().next().unwrap_or("").trim();
    let mut out: String = line.chars().take(80).collect();
    if out.len() < line.len() {
        out.push('…');
    }
    out
}

/// A service's account at its provider: all a protocol may read of the configuration (the
/// rest, interfaces, address sources and intervals, is the engine's).
#[derive(Clone, Debug)]
pub struct Account {
    pub preset: &'static catalogue::Preset,
    pub username: String,
    pub password: Secret,
    pub token: Secret,
    /// Endpoint override (generic dyndns2, self-hosted servers, tests); `None`: the preset's.
    pub server: Option<String>,
    pub ttl: Option<u32>,
    pub allow_http: bool,
    pub create_missing: bool,
    /// Provider-specific options, by the names the provider's catalogue entry declares.
    pub params: BTreeMap<String, String>,
}

impl Account {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }
}

/// One record a job writes: a hostname and the address its record of that family should hold
/// (for a withdrawal, the address last published).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub ip: IpAddr,
}

impl Target {
    pub fn family(&self) -> Family {
        Family::of(&self.ip)
    }
}

/// One update request: the records of an account that need an address. The records of one
/// job may hold different addresses (the LAN hosts of a delegated prefix, sent together).
pub struct Job<'a> {
    pub account: &'a Account,
    /// Host by host, A before AAAA.
    pub records: Vec<Target>,
    /// Withdraw the records instead of writing them; only sent to protocols whose `deletes`
    /// is true.
    pub delete: bool,
}

impl<'a> Job<'a> {
    /// Every host with the same addresses; a family is not touched when its address is `None`.
    pub fn new(account: &'a Account, hosts: &[String], v4: Option<Ipv4Addr>, v6: Option<Ipv6Addr>) -> Job<'a> {
        let ips: Vec<IpAddr> = v4.map(IpAddr::V4).into_iter().chain(v6.map(IpAddr::V6)).collect();
        let records = hosts.iter().flat_map(|h| ips.iter().map(|ip| Target { host: h.clone(), ip: *ip })).collect();
        Job { account, records, delete: false }
    }
}

impl Job<'_> {
    /// The hostnames, each once, in order.
    pub fn hosts(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in &self.records {
            if !out.contains(&r.host) {
                out.push(r.host.clone());
            }
        }
        out
    }

    /// The address of each family the job writes. Only for protocols whose `shares_addresses`
    /// is true: `update` gives those jobs whose hosts hold the same addresses.
    pub fn families(&self) -> Vec<(Family, IpAddr)> {
        let mut out: Vec<(Family, IpAddr)> = Vec::new();
        for r in &self.records {
            if !out.iter().any(|(f, _)| *f == r.family()) {
                out.push((r.family(), r.ip));
            }
        }
        out
    }

    pub fn address(&self, family: Family) -> Option<IpAddr> {
        self.families().into_iter().find(|(f, _)| *f == family).map(|(_, ip)| ip)
    }

    /// The same outcome for every record of the job (one request covered them all).
    pub fn all(&self, outcome: Outcome) -> Vec<RecordResult> {
        self.records
            .iter()
            .map(|r| RecordResult { host: r.host.clone(), family: r.family(), outcome: outcome.clone() })
            .collect()
    }

    /// The job in parts whose hosts hold the same addresses (all hosts in one part when they
    /// do), in the order of their first record.
    fn by_addresses(&self) -> Vec<Job<'_>> {
        let mut parts: Vec<(Vec<IpAddr>, Job)> = Vec::new();
        for host in self.hosts() {
            let records: Vec<Target> = self.records.iter().filter(|r| r.host == host).cloned().collect();
            let ips: Vec<IpAddr> = records.iter().map(|r| r.ip).collect();
            match parts.iter_mut().find(|(i, _)| *i == ips) {
                Some((_, job)) => job.records.extend(records),
                None => parts.push((ips, Job { account: self.account, records, delete: self.delete })),
            }
        }
        parts.into_iter().map(|(_, j)| j).collect()
    }

    /// The endpoint: the service's `server` override or the preset's default.
    pub fn endpoint(&self) -> &str {
        self.account.server.as_deref().unwrap_or(&self.account.preset.server)
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

/// The `zone` field of the record APIs, worded once.
pub const ZONE_FIELD: Field =
    Field::required("zone", FieldKind::Text, "the zone the hostnames are in, e.g. example.org");
/// The `server` override of the APIs with a fixed public endpoint, worded once.
pub const SERVER_FIELD: Field = Field::optional("server", FieldKind::Url, "API base URL");

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

/// What a protocol reaches its provider through: HTTP and, for RFC 2136, DNS messages, each by
/// its own trait, so that neither rides on the other.
pub struct Net<'a> {
    pub http: &'a mut dyn Transport,
    pub dns: &'a mut dyn Exchange,
}

pub trait Protocol: Sync {
    /// The config fields this protocol reads, beyond hostname/ipv4/ipv6/interface.
    fn fields(&self) -> &'static [Field];
    /// The catalogue `settings` this protocol reads; a catalogue entry with any other (a typo
    /// such as "togther") is refused when the catalogue loads, and a unit test names it.
    fn settings(&self) -> &'static [&'static str] {
        &[]
    }
    /// The protocol's own work: send what the job needs and say, per record, what came of it.
    /// Never panics on any answer; a malformed answer is a `Retry` naming what was wrong.
    /// Callers use `update`, which masks what this returns.
    fn run(&self, job: &Job, net: Net) -> Vec<RecordResult>;
    /// Whether `run` can withdraw records (`Job::delete`); a withdrawn record that was already
    /// gone is `Updated`.
    fn deletes(&self) -> bool {
        false
    }
    /// Whether one request gives all its hostnames the same addresses (dyndns2's
    /// `hostname=a,b&myip=`): `update` then runs such a protocol once per group of hosts that
    /// hold the same addresses. The others take each record's own address.
    fn shares_addresses(&self) -> bool {
        false
    }
}

impl dyn Protocol {
    /// `run`, with every secret of the service and of the requests sent (in every form it can
    /// take in text) masked out of the reasons, and every provider-requested wait capped at
    /// `MAX_PROVIDER_WAIT`: the one door provider text leaves by on its way to status, state,
    /// logs and the terminal. On the trait object, so there is one copy of it, not one per
    /// protocol (a provided trait method cost 30 KB on MIPS).
    pub fn update(&self, job: &Job, net: Net) -> Vec<RecordResult> {
        let mut seen = SecretsSeen { inner: net.http, secrets: secrets_of(job.account, &job.hosts()) };
        // DNS needs no watching: its one secret, the TSIG key, is the service's token, which
        // `secrets_of` already holds, and a message carries a MAC of it, never the key.
        let results = if self.shares_addresses() {
            let mut results = Vec::new();
            for part in job.by_addresses() {
                results.extend(self.run(&part, Net { http: &mut seen, dns: &mut *net.dns }));
            }
            results
        } else {
            self.run(job, Net { http: &mut seen, dns: net.dns })
        };
        let secrets = seen.secrets;
        results.into_iter().map(|r| RecordResult { outcome: r.outcome.masked(&secrets), ..r }).collect()
    }
}

impl Outcome {
    /// The outcome with `secrets` masked out of its reason and its wait capped.
    fn masked(self, secrets: &[String]) -> Outcome {
        match self {
            Outcome::Retry { kind, reason, after } => {
                Outcome::retry_after(kind, crate::secret::mask_secrets(&reason, secrets), after)
            }
            Outcome::Stop { kind, reason } => Outcome::stop(kind, crate::secret::mask_secrets(&reason, secrets)),
            other => other,
        }
    }
}

/// Everything about an account that must never be shown: its password and token, and the
/// `user:password` pairs its basic authentication encodes (the account's user name, or each of
/// `hosts` for providers where the hostname is the user).
pub fn secrets_of(account: &Account, hosts: &[String]) -> Vec<String> {
    let password = account.password.expose();
    let mut out: Vec<String> = [password, account.token.expose()].into_iter().map(str::to_string).collect();
    if !password.is_empty() {
        let users = std::iter::once(&account.username).chain(hosts);
        out.extend(users.map(|u| crate::encoding::base64(format!("{u}:{password}").as_bytes())));
    }
    out.retain(|s| !s.is_empty());
    out
}

/// A transport that remembers every secret the requests through it carried: the values they
/// marked secret and their `Authorization` credentials (session tokens, signatures, basic auth).
struct SecretsSeen<'a> {
    inner: &'a mut dyn Transport,
    secrets: Vec<String>,
}

impl Transport for SecretsSeen<'_> {
    fn send(&mut self, req: &crate::http::Request) -> Result<Response, HttpError> {
        for s in &req.secrets {
            if !self.secrets.contains(s) {
                self.secrets.push(s.clone());
            }
        }
        if let Some(auth) = req.header_value("authorization") {
            let credentials = auth.split_once(' ').map_or(auth, |(_, c)| c).trim();
            if !credentials.is_empty() && !self.secrets.iter().any(|s| s == credentials) {
                self.secrets.push(credentials.to_string());
            }
        }
        crate::debug!("sending {}", req.display_masked().replace('\n', " |"));
        let answer = self.inner.send(req);
        match &answer {
            // Only the status: an answer may carry a fresh session token no mask knows yet.
            Ok(resp) => crate::debug!("answer: HTTP {}", resp.status),
            Err(e) => crate::debug!("no answer: {e}"),
        }
        answer
    }
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

    /// The strings of the status document's contract (BRIEF: `"kind"`), one per kind.
    #[test]
    fn kinds_are_the_status_codes() {
        let codes: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(
            codes,
            [
                "auth",
                "no-such-record",
                "rate-limited",
                "provider-error",
                "network",
                "tls",
                "timeout",
                "malformed-answer",
                "config",
                "clock"
            ]
        );
        for k in Kind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), k.as_str());
        }
    }

    #[test]
    fn one_status_mapping() {
        let resp = |status: u16, retry_after: &str| Response {
            status,
            headers: vec![("Retry-After".into(), retry_after.into())],
            body: String::new(),
        };
        let cases = [
            (401, "stopped", Kind::Auth),
            (403, "stopped", Kind::Auth),
            (404, "stopped", Kind::NoSuchRecord),
            (408, "retry", Kind::Timeout),
            (429, "retry", Kind::RateLimited),
            (500, "retry", Kind::ProviderError),
            (503, "retry", Kind::ProviderError),
            (400, "stopped", Kind::ProviderError),
            (301, "stopped", Kind::ProviderError),
        ];
        for (status, label, kind) in cases {
            let o = Outcome::from_status(&resp(status, ""), "P", "Not Found");
            assert_eq!((o.label(), o.kind()), (label, Some(kind)), "HTTP {status}");
            assert!(o.reason().unwrap().contains(&format!("HTTP {status} Not Found")), "{o:?}");
        }
        let o = Outcome::from_status(&resp(429, "18446744073709551615"), "P", "");
        assert!(matches!(o, Outcome::Retry { after: Some(a), .. } if a == MAX_PROVIDER_WAIT), "{o:?}");
        assert!(o
            .reason()
            .unwrap()
            .ends_with("(the provider asked to wait 18446744073709551615 s; waiting at most 24 h)"));
        let o = Outcome::from_status(&resp(503, "120"), "P", "");
        assert!(matches!(o, Outcome::Retry { after: Some(a), .. } if a == Duration::from_secs(120)), "{o:?}");
    }

    #[test]
    fn transport_failures_keep_their_kind() {
        let cases = [
            (HttpError::Transport("x".into()), Some(Kind::Network)),
            (HttpError::Tls("x".into()), Some(Kind::Tls)),
            (HttpError::Timeout("x".into()), Some(Kind::Timeout)),
            (HttpError::Refused("x".into()), Some(Kind::Config)),
            (HttpError::Clock("x".into()), Some(Kind::Clock)),
            (HttpError::DryRun, None),
        ];
        for (e, kind) in cases {
            assert_eq!(Outcome::from_http_error(&e).kind(), kind, "{e:?}");
        }
    }

    /// Whatever a protocol builds, what leaves `update` has its secrets masked (here a session
    /// token only the request knew, and base64 of user:password) and its wait capped.
    #[test]
    fn the_door_masks_and_caps() {
        struct Leaky;
        impl Protocol for Leaky {
            fn fields(&self) -> &'static [Field] {
                &[]
            }
            fn run(&self, job: &Job, Net { http, .. }: Net) -> Vec<RecordResult> {
                let req = crate::http::Request::get("https://p.example/").bearer("session-4711");
                let _ = http.send(&req);
                let basic = crate::encoding::base64(b"alice:hunter22");
                job.all(Outcome::Retry {
                    kind: Kind::ProviderError,
                    reason: format!("echo: Bearer session-4711, Basic {basic}, p=hunter22"),
                    after: Some(Duration::from_secs(u64::MAX)),
                })
            }
        }
        let svc = testing::service(
            "config service s\n option provider 'dyn'\n list hostname 'h.example.org'\n option username 'alice'\n \
             option password 'hunter22'\n",
        );
        let mut t = testing::Scripted::new(vec![testing::Scripted::body(500, "")]);
        let net = Net { http: &mut t, dns: &mut testing::NoDns };
        let r = (&Leaky as &dyn Protocol).update(&testing::job(&svc, Some("203.0.113.1"), None), net);
        assert_eq!(
            r[0].outcome,
            Outcome::Retry {
                kind: Kind::ProviderError,
                reason: "echo: Bearer ***, Basic ***, p=*** (the provider asked to wait 18446744073709551615 s; \
                         waiting at most 24 h)"
                    .into(),
                after: Some(MAX_PROVIDER_WAIT)
            }
        );
    }

    #[test]
    fn relative_names() {
        assert_eq!(relative_name("home.Example.org.", "example.org").as_deref(), Some("home"));
        assert_eq!(relative_name("a.b.example.org", "example.org.").as_deref(), Some("a.b"));
        assert_eq!(relative_name("example.org", "example.org").as_deref(), Some("@"));
        assert_eq!(relative_name("badexample.org", "example.org"), None);
    }
}
