//! The typed configuration: `/etc/config/edgeddns` parsed once into `Config`, which everything
//! else reads. A broken service section becomes a `ServiceError` for that service only.

use crate::duration::{format_duration, parse_duration};
use crate::error::Error;
use crate::event::Action;
use crate::http::url_allowed;
use crate::providers::{self, catalogue::Preset, Account, FieldKind};
use crate::secret::Secret;
use crate::sources::lan::{parse_mac, V6From};
use crate::sources::V6Match;
use crate::uci::{self, parse_bool};
use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub const DEFAULT_PATH: &str = "/etc/config/edgeddns";

/// Where the interface address is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpSource {
    /// netifd over ubus when it is there, else the kernel device.
    Auto,
    /// The kernel's view of `device` (rtnetlink).
    Device,
    /// netifd's view of the logical `interface`.
    Netifd,
    /// Only the external echo: for a host that is not the edge router.
    Echo,
}

/// What to publish when the interface address is not reachable from the internet
/// (CGNAT, double NAT).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NatPolicy {
    /// The address the internet sees (works with port forwards on an upstream router).
    Echo,
    /// The interface address as it is (for internal DNS).
    Interface,
    /// Nothing: the hostname could not reach this router anyway.
    Skip,
}

#[derive(Clone, Debug)]
pub struct Global {
    pub check_interval: Duration,
    pub echo_interval: Duration,
    pub coalesce: Duration,
    pub echo_urls_v4: Vec<String>,
    pub echo_urls_v6: Vec<String>,
    pub ca_bundle: String,
    pub http_timeout: Duration,
    pub run_dir: String,
    /// Flash copy of the state, written only when a registered address changes; empty = none.
    pub persist_file: Option<String>,
    pub log_level: log::LevelFilter,
    /// How often records are checked at their authoritative servers; zero: never.
    pub verify_interval: Duration,
    /// Resolvers that find the zone cuts (addresses, optionally with a port); empty: the
    /// upstream servers in resolv.conf.
    pub verify_resolver: Vec<String>,
    /// `bind_wan` as written; `None`: decided by `Config::bind_wan`.
    pub bind_wan: Option<bool>,
    /// OpenWrt's hotplug runner, called as `hotplug-call edgeddns` on every event; None = off.
    pub hotplug: Option<String>,
    pub hotplug_timeout: Duration,
}

pub const DEFAULT_ECHO_URLS: &[&str] = &[
    // Cloudflare's trace page: `ip=` line; answers over IPv4 and IPv6.
    "https://cloudflare.com/cdn-cgi/trace",
    // ipify (a different operator): bare address; api64 is dual-stack.
    "https://api64.ipify.org",
    // ifconfig.me (a third operator) settles a disagreement.
    "https://ifconfig.me/ip",
];

impl Default for Global {
    fn default() -> Self {
        let urls: Vec<String> = DEFAULT_ECHO_URLS.iter().map(|s| s.to_string()).collect();
        Global {
            check_interval: Duration::from_secs(600),
            echo_interval: Duration::from_secs(1800),
            coalesce: Duration::from_millis(1000),
            echo_urls_v4: urls.clone(),
            echo_urls_v6: urls,
            ca_bundle: "/etc/ssl/certs/ca-certificates.crt".into(),
            http_timeout: Duration::from_secs(10),
            run_dir: "/var/run/edgeddns".into(),
            persist_file: Some("/etc/edgeddns/state.json".into()),
            log_level: log::LevelFilter::Info,
            verify_interval: Duration::from_secs(3600),
            verify_resolver: Vec::new(),
            bind_wan: None,
            hotplug: Some("/sbin/hotplug-call".into()),
            hotplug_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Service {
    pub name: String,
    pub provider: String,
    /// What the provider's protocol reads: the account, the endpoint and its own options.
    pub account: Account,
    pub hostnames: Vec<String>,
    pub ipv4: bool,
    pub ipv6: bool,
    /// netifd logical networks for each family (`wan`, `wan6`): the first of `wans`/`wans6`.
    pub interface: String,
    pub interface6: String,
    /// The WANs in order of preference: the first that can be published is.
    pub wans: Vec<String>,
    pub wans6: Vec<String>,
    /// Kernel devices for each family; `None`: the logical interface's, through netifd.
    pub device: Option<String>,
    pub device6: Option<String>,
    pub ip_source: IpSource,
    pub nat_policy: NatPolicy,
    pub ipv6_match: Option<V6Match>,
    pub force_interval: Duration,
    pub retry_interval: Duration,
    pub retry_max: Duration,
    /// Changes whenever anything in the section changes: a stopped record is retried then.
    pub fingerprint: u64,
    /// A `config host` section: a LAN device published through a service's account.
    pub lan: Option<LanHost>,
}

/// What makes a `config host` different from the service whose account it uses: the LAN
/// families (IPv6, and IPv4 with `ipv4 'lan'`) are read from `interface6`/`device6` (and
/// `interface`/`device`), the LAN interface, instead of the WAN.
#[derive(Clone, Debug)]
pub struct LanHost {
    /// The service section whose provider and account publish it.
    pub service: String,
    pub v6: Option<V6From>,
    /// IPv4 is the device's own LAN address, by its MAC (else the WAN's, or none).
    pub v4_lan: bool,
    pub mac: Option<[u8; 6]>,
    /// `on_absent 'delete'`: how long the device must be gone before its records are deleted
    /// (`absent_grace`); `None`: they are left alone.
    pub withdraw_after: Option<Duration>,
}

impl Service {
    /// The service whose provider account this one uses: its own name, or a LAN host's service.
    pub fn account_name(&self) -> &str {
        self.lan.as_ref().map_or(&self.name, |l| &l.service)
    }

    pub fn wants(&self, family: crate::net::Family) -> bool {
        match family {
            crate::net::Family::V4 => self.ipv4,
            crate::net::Family::V6 => self.ipv6,
        }
    }

    /// The kernel device and netifd interface this family is read from.
    pub fn device_for(&self, family: crate::net::Family) -> Option<&str> {
        match family {
            crate::net::Family::V4 => self.device.as_deref(),
            crate::net::Family::V6 => self.device6.as_deref(),
        }
    }

    /// The LAN host whose `family` is read on the LAN, if this is one.
    pub fn lan_family(&self, family: crate::net::Family) -> Option<&LanHost> {
        self.lan.as_ref().filter(|l| family == crate::net::Family::V6 || l.v4_lan)
    }

    pub fn interface_for(&self, family: crate::net::Family) -> &str {
        match family {
            crate::net::Family::V4 => &self.interface,
            crate::net::Family::V6 => &self.interface6,
        }
    }

    pub fn wans(&self, family: crate::net::Family) -> &[String] {
        match family {
            crate::net::Family::V4 => &self.wans,
            crate::net::Family::V6 => &self.wans6,
        }
    }

    /// The service as it reads one of its WANs.
    pub fn on_wan(&self, family: crate::net::Family, wan: &str) -> Service {
        let mut s = self.clone();
        match family {
            crate::net::Family::V4 => s.interface = wan.to_string(),
            crate::net::Family::V6 => s.interface6 = wan.to_string(),
        }
        s
    }
}

/// A service section that could not be used; the others run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    pub service: String,
    pub message: String,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service '{}': {}", self.service, self.message)
    }
}

#[derive(Clone, Debug)]
pub struct Config {
    pub path: String,
    pub global: Global,
    /// Enabled, valid services.
    pub services: Vec<Service>,
    /// Names of sections with `enabled 0`.
    pub disabled: Vec<String>,
    pub errors: Vec<ServiceError>,
    pub notifiers: Vec<Notifier>,
    /// Things that do not stop anything but look like mistakes (unknown options).
    pub warnings: Vec<String>,
}

impl Config {
    /// Whether echo queries and provider requests leave through the WAN they are for: as
    /// `bind_wan` says, else when the services read more than one WAN of a family (with one,
    /// a request to a LAN server, such as an RFC 2136 primary, must stay free to go there). An
    /// address read on the LAN (a LAN host's) is no WAN.
    pub fn bind_wan(&self) -> bool {
        self.global.bind_wan.unwrap_or_else(|| {
            crate::net::Family::ALL.iter().any(|f| {
                let mut all: Vec<&String> = self
                    .services
                    .iter()
                    .filter(|s| s.wants(*f) && s.ip_source != IpSource::Echo && s.lan_family(*f).is_none())
                    .flat_map(|s| s.wans(*f))
                    .collect();
                all.sort();
                all.dedup();
                all.len() > 1
            })
        })
    }
}

/// The largest configuration file read: a router's is a few KB, so anything near this is a
/// mistake (or an attack) and is refused with a clear error instead of being parsed.
pub const MAX_FILE: u64 = 1 << 20;

pub fn load(path: &str) -> Result<Config, Error> {
    let bytes =
        crate::files::read_regular_file(std::path::Path::new(path), MAX_FILE).map_err(|e| Error::io(path, e))?;
    from_bytes(path, &bytes)
}

pub fn from_str(path: &str, text: &str) -> Result<Config, Error> {
    from_bytes(path, text.as_bytes())
}

/// The configuration from the file's bytes (UTF-8, except comments may hold other bytes).
pub fn from_bytes(path: &str, bytes: &[u8]) -> Result<Config, Error> {
    let file = uci::parse_bytes(path, bytes).map_err(|e| Error::Config(e.to_string()))?;
    let mut cfg = Config {
        path: path.to_string(),
        global: Global::default(),
        services: Vec::new(),
        disabled: Vec::new(),
        errors: Vec::new(),
        notifiers: Vec::new(),
        warnings: Vec::new(),
    };
    let mut anonymous = 0;
    let mut global_at = None;
    let mut hosts = Vec::new();
    for section in &file.sections {
        match section.kind.as_str() {
            "edgeddns" => {
                // A second section used to reset every global option silently. (Two sections
                // with the same name are one section: UCI merges them.)
                if let Some(first) = global_at.replace(section.pos.line) {
                    return Err(Error::Config(format!(
                        "{path}:{}: a second 'config edgeddns' section (the first is at line {first}): \
                         put all global options in one section",
                        section.pos.line
                    )));
                }
                let mut r = Reader { path, section, used: Vec::new(), warnings: &mut cfg.warnings };
                cfg.global = read_global(&mut r)?;
                r.warn_unused("global section");
            }
            "service" => {
                let name = section.name.clone().unwrap_or_else(|| {
                    anonymous += 1;
                    format!("@service[{}]", anonymous - 1)
                });
                let mut r = Reader { path, section, used: Vec::new(), warnings: &mut cfg.warnings };
                match read_service(&mut r, &name) {
                    Ok(Some(svc)) => {
                        r.warn_unused(&format!("service '{name}'"));
                        cfg.services.push(svc)
                    }
                    Ok(None) => cfg.disabled.push(name),
                    Err(e) => cfg.errors.push(ServiceError { service: name, message: e.to_string() }),
                }
            }
            // Read once every service is known: a host may come before its service.
            "host" => hosts.push(section),
            "notify" => {
                let name = section.name.clone().unwrap_or_else(|| format!("@notify[{}]", cfg.notifiers.len()));
                let mut r = Reader { path, section, used: Vec::new(), warnings: &mut cfg.warnings };
                match read_notifier(&mut r, &name) {
                    Ok(Some(n)) => {
                        r.warn_unused(&format!("notify '{name}'"));
                        cfg.notifiers.push(n);
                    }
                    Ok(None) => {}
                    // A broken notifier is reported and left out; updates run on.
                    Err(e) => cfg.warnings.push(format!("notify '{name}' is off: {e}")),
                }
            }
            other => cfg.warnings.push(format!(
                "{path}:{}: section type '{other}' is not used by edgeddns (expected 'edgeddns', 'service', 'host' or 'notify')",
                section.pos.line
            )),
        }
    }
    for (i, section) in hosts.into_iter().enumerate() {
        let name = section.name.clone().unwrap_or_else(|| format!("@host[{i}]"));
        let mut r = Reader { path, section, used: Vec::new(), warnings: &mut cfg.warnings };
        let read = if cfg.services.iter().any(|s| s.name == name) {
            Err(Error::Config("a service section has the same name".into()))
        } else {
            read_host(&mut r, &cfg.services, &cfg.disabled)
        };
        match read {
            Ok(Some(svc)) => {
                r.warn_unused(&format!("host '{name}'"));
                cfg.services.push(Service { name, ..svc })
            }
            Ok(None) => cfg.disabled.push(name),
            Err(e) => cfg.errors.push(ServiceError { service: name, message: e.to_string() }),
        }
    }
    Ok(cfg)
}

/// A `config host` section: a copy of its service with the host's names and LAN target.
fn read_host(r: &mut Reader, services: &[Service], disabled: &[String]) -> Result<Option<Service>, Error> {
    let service = r.string("service")?.unwrap_or_default();
    let parent = services.iter().find(|s| s.name == service && s.lan.is_none());
    if !r.bool("enabled", true)? || (parent.is_none() && disabled.contains(&service)) {
        return Ok(None);
    }
    let parent = parent.ok_or_else(|| {
        Error::Config(if service.is_empty() {
            "option 'service' is missing: the service section whose provider and account publish this host".into()
        } else {
            format!("option 'service': no usable service section named '{service}'")
        })
    })?;
    let hostnames = r.list("hostname");
    if hostnames.is_empty() {
        return Err(Error::Config("no hostname: add 'list hostname <name>'".into()));
    }
    for h in &hostnames {
        check_hostname(h).map_err(|why| Error::Config(format!("hostname '{h}': {why}")))?;
    }
    let mac = match r.string("mac")? {
        None => None,
        Some(m) => Some(parse_mac(m.trim()).ok_or_else(|| {
            let at = r.at_option("mac");
            Error::Config(format!("option 'mac' ({at}): '{m}' is not a MAC address (aa:bb:cc:dd:ee:ff)"))
        })?),
    };
    let suffix = r.parsed("suffix", None, "an interface identifier such as ::1:2:3:4", |s| {
        s.strip_prefix("::").and_then(|_| s.parse().ok()).map(Some)
    })?;
    let default6 = if suffix.is_some() { "suffix" } else { "none" };
    let v6 =
        match r.string("ipv6")?.as_deref().unwrap_or(default6) {
            "suffix" => Some(V6From::Suffix(suffix.ok_or_else(|| {
                Error::Config("option 'ipv6' 'suffix' needs option 'suffix' (e.g. '::1:2:3:4')".into())
            })?)),
            "eui64" => Some(V6From::Eui64),
            "neighbour" | "neighbor" => Some(V6From::Neighbour),
            "none" => None,
            other => {
                let at = r.at_option("ipv6");
                return Err(Error::Config(format!(
                    "option 'ipv6' ({at}): '{other}' is not one of suffix, eui64, neighbour, none"
                )));
            }
        };
    let v4 = r.parsed("ipv4", None, "one of wan, lan, none", |s| match s {
        "wan" => Some(Some(false)),
        "lan" => Some(Some(true)),
        "none" => Some(None),
        _ => None,
    })?;
    if mac.is_none() && (v4 == Some(true) || matches!(v6, Some(V6From::Eui64 | V6From::Neighbour))) {
        return Err(Error::Config("ipv6 'eui64'/'neighbour' and ipv4 'lan' need option 'mac'".into()));
    }
    if v6.is_none() && v4.is_none() {
        return Err(Error::Config("nothing to publish: set 'suffix', or ipv6 and/or ipv4".into()));
    }
    if v6.is_some() && !parent.account.preset.ipv6 {
        return Err(Error::Config(format!("provider '{}' does not support IPv6", parent.provider)));
    }
    let delete = r.parsed("on_absent", false, "one of keep, delete", |s| match s {
        "keep" => Some(false),
        "delete" => Some(true),
        _ => None,
    })?;
    if delete && !parent.account.preset.protocol().deletes() {
        let at = r.at_option("on_absent");
        return Err(Error::Config(format!(
            "option 'on_absent' ({at}): provider '{}' cannot delete records; use 'keep'",
            parent.provider
        )));
    }
    let grace = r.duration("absent_grace", Duration::from_secs(300), Duration::ZERO)?;
    let lan_interface = r.string("lan_interface")?.unwrap_or_else(|| "lan".into());
    let lan_device = r.string("lan_device")?.filter(|d| !d.is_empty());
    let v4_lan = v4 == Some(true);
    let (interface, device, wans) = if v4_lan {
        (lan_interface.clone(), lan_device.clone(), vec![lan_interface.clone()])
    } else {
        (parent.interface.clone(), parent.device.clone(), parent.wans.clone())
    };
    Ok(Some(Service {
        hostnames,
        ipv4: v4.is_some(),
        ipv6: v6.is_some(),
        interface,
        device,
        wans,
        wans6: vec![lan_interface.clone()],
        interface6: lan_interface,
        device6: lan_device,
        ip_source: match parent.ip_source {
            IpSource::Echo => IpSource::Auto,
            other => other,
        },
        fingerprint: fingerprint(r.section) ^ parent.fingerprint.rotate_left(1),
        lan: Some(LanHost { service, v6, v4_lan, mac, withdraw_after: Some(grace).filter(|_| delete) }),
        ..parent.clone()
    }))
}

struct Reader<'a> {
    path: &'a str,
    section: &'a uci::Section,
    used: Vec<&'static str>,
    warnings: &'a mut Vec<String>,
}

impl Reader<'_> {
    fn entry(&mut self, name: &'static str) -> Option<&uci::Entry> {
        self.used.push(name);
        self.section.get(name)
    }

    fn at(&self, e: &uci::Entry) -> String {
        format!("{}:{}", self.path, e.pos.line)
    }

    /// Where option `name` is (the file alone if the section has none: no path to a panic).
    fn at_option(&self, name: &str) -> String {
        self.section.get(name).map_or_else(|| self.path.to_string(), |e| self.at(e))
    }

    fn string(&mut self, name: &'static str) -> Result<Option<String>, Error> {
        let Some(e) = self.entry(name) else {
            return Ok(None);
        };
        match &e.value {
            uci::Value::Single(v) => Ok(Some(v.clone())),
            uci::Value::List(_) => {
                let at = self.at_option(name);
                Err(Error::Config(format!("option '{name}' ({at}) takes one value, not a list")))
            }
        }
    }

    fn list(&mut self, name: &'static str) -> Vec<String> {
        match self.entry(name).map(|e| &e.value) {
            None => Vec::new(),
            Some(uci::Value::Single(v)) => v.split_whitespace().map(str::to_string).collect(),
            Some(uci::Value::List(items)) => items.clone(),
        }
    }

    fn parsed<T>(
        &mut self,
        name: &'static str,
        default: T,
        what: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Result<T, Error> {
        match self.string(name)? {
            None => Ok(default),
            Some(v) => parse(v.trim()).ok_or_else(|| {
                let at = self.at_option(name);
                Error::Config(format!("option '{name}' ({at}): '{v}' is not {what}"))
            }),
        }
    }

    fn bool(&mut self, name: &'static str, default: bool) -> Result<bool, Error> {
        self.parsed(name, default, "a boolean (0/1, yes/no, on/off, true/false)", parse_bool)
    }

    fn duration(&mut self, name: &'static str, default: Duration, min: Duration) -> Result<Duration, Error> {
        let d = self.parsed(name, default, "a duration (e.g. 90, 500ms, 10m, 2h, 25d)", parse_duration)?;
        if d < min {
            let at = self.at_option(name);
            return Err(Error::Config(format!("option '{name}' ({at}): must be at least {}", format_duration(min))));
        }
        Ok(d)
    }

    fn warn_unused(&mut self, what: &str) {
        for e in &self.section.entries {
            if !self.used.contains(&e.name.as_str()) {
                self.warnings.push(format!("{}: unknown option '{}' in {what} is ignored", self.at(e), e.name));
            }
        }
    }
}

fn read_global(r: &mut Reader) -> Result<Global, Error> {
    let d = Global::default();
    let v4 = r.list("echo_url");
    let v6 = r.list("echo_url6");
    for (option, urls) in [("echo_url", &v4), ("echo_url6", &v6)] {
        // Echo services are never asked over plain http: anyone on the path could choose the
        // address that gets published.
        if let Some(url) = urls.iter().find(|u| !url_allowed(u, false)) {
            let at = r.at_option(option);
            let why = if url.starts_with("http://") {
                "is plain http; echo services are asked over https only"
            } else {
                "is not an https:// URL"
            };
            return Err(Error::Config(format!("{at}: global option '{option}': '{url}' {why}")));
        }
    }
    let verify_resolver = r.list("verify_resolver");
    if let Some(bad) = verify_resolver.iter().find(|a| a.parse::<IpAddr>().is_err() && a.parse::<SocketAddr>().is_err())
    {
        let at = r.at_option("verify_resolver");
        return Err(Error::Config(format!(
            "{at}: global option 'verify_resolver': '{bad}' is not an IP address (optionally [v6]:port or v4:port)"
        )));
    }
    let log_level = match r.string("log_level")?.as_deref() {
        None => d.log_level,
        Some("error") => log::LevelFilter::Error,
        Some("warn") | Some("warning") => log::LevelFilter::Warn,
        Some("info") | Some("notice") => log::LevelFilter::Info,
        Some("debug") => log::LevelFilter::Debug,
        Some(other) => {
            return Err(Error::Config(format!(
                "global option log_level: '{other}' is not one of error, warn, info, debug"
            )))
        }
    };
    Ok(Global {
        check_interval: r.duration("check_interval", d.check_interval, Duration::from_secs(10))?,
        // 0 switches the echo off, for a router that knows its WAN address is public.
        echo_interval: match r.duration("echo_interval", d.echo_interval, Duration::ZERO)? {
            i if i.is_zero() || i >= Duration::from_secs(60) => i,
            _ => return Err(Error::Config("global option echo_interval: must be 0 (echo off) or at least 1m".into())),
        },
        coalesce: r.duration("coalesce", d.coalesce, Duration::ZERO)?,
        echo_urls_v4: if v4.is_empty() { d.echo_urls_v4 } else { v4 },
        echo_urls_v6: if v6.is_empty() { d.echo_urls_v6 } else { v6 },
        ca_bundle: r.string("ca_bundle")?.unwrap_or(d.ca_bundle),
        http_timeout: r.duration("http_timeout", d.http_timeout, Duration::from_secs(1))?,
        run_dir: r.string("run_dir")?.unwrap_or(d.run_dir),
        persist_file: match r.string("persist_file")? {
            None => d.persist_file,
            Some(p) => Some(p).filter(|p| !p.is_empty()),
        },
        log_level,
        verify_interval: match r.duration("verify_interval", d.verify_interval, Duration::ZERO)? {
            i if i.is_zero() || i >= Duration::from_secs(60) => i,
            _ => return Err(Error::Config("global option verify_interval: must be 0 (off) or at least 1m".into())),
        },
        verify_resolver,
        bind_wan: r
            .parsed("bind_wan", None, "a boolean (0/1, yes/no, on/off, true/false)", |v| parse_bool(v).map(Some))?,
        hotplug: match r.string("hotplug")? {
            None => d.hotplug,
            Some(p) => Some(p).filter(|p| !p.is_empty()),
        },
        hotplug_timeout: r.duration("hotplug_timeout", d.hotplug_timeout, Duration::from_secs(1))?,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NotifyType {
    Webhook,
    Ntfy,
    Telegram,
    Gotify,
    Healthchecks,
}

/// Per type: its name, the option holding its URL and that option's default, the option
/// naming the destination (topic, chat), and whether a token is required.
type NotifySpec = (&'static str, NotifyType, &'static str, Option<&'static str>, Option<&'static str>, bool);
const NOTIFY_TYPES: [NotifySpec; 5] = [
    ("webhook", NotifyType::Webhook, "url", None, None, false),
    ("ntfy", NotifyType::Ntfy, "server", Some("https://ntfy.sh"), Some("topic"), false),
    ("telegram", NotifyType::Telegram, "server", Some("https://api.telegram.org"), Some("chat_id"), true),
    ("gotify", NotifyType::Gotify, "server", None, None, true),
    ("healthchecks", NotifyType::Healthchecks, "url", None, None, false),
];

/// A `config notify` section.
#[derive(Clone, Debug)]
pub struct Notifier {
    pub name: String,
    pub kind: NotifyType,
    /// The event kinds it is told about.
    pub on: Vec<Action>,
    /// Webhook URL (or URL template), healthchecks ping URL, or the server's base URL.
    pub url: String,
    /// ntfy topic, Telegram chat_id.
    pub target: String,
    pub token: Option<Secret>,
    pub priority: Option<u8>,
    /// At most one message per event kind and record in this period.
    pub rate_limit: Duration,
    pub allow_http: bool,
}

// One copy: inlined, it was built twice (1.4 KB on x86_64 for the pair).
#[inline(never)]
fn read_notifier(r: &mut Reader, name: &str) -> Result<Option<Notifier>, Error> {
    if !r.bool("enabled", true)? {
        return Ok(None);
    }
    let line = r.section.pos.line;
    let kind = r.string("type")?.unwrap_or_default();
    let Some(&(_, typ, url_option, default_url, target_option, needs_token)) =
        NOTIFY_TYPES.iter().find(|t| t.0 == kind)
    else {
        return Err(Error::Config(format!(
            "{}:{line}: option 'type': '{kind}' is not one of webhook, ntfy, telegram, gotify, healthchecks",
            r.path
        )));
    };
    let path = r.path;
    let missing = |o: &str| Error::Config(format!("{path}:{line}: option '{o}' is required for type '{kind}'"));
    let url = r.string(url_option)?.or(default_url.map(String::from)).ok_or_else(|| missing(url_option))?;
    let target = match target_option {
        Some(o) => r.string(o)?.filter(|t| !t.is_empty()).ok_or_else(|| missing(o))?,
        None => String::new(),
    };
    let token = r.string("token")?.filter(|t| !t.is_empty()).map(Secret::new);
    if needs_token && token.is_none() {
        return Err(missing("token"));
    }
    let allow_http = r.bool("allow_http", false)?;
    if !url_allowed(&url, allow_http) {
        // The URL itself is not repeated: it may hold a token.
        let at = r.at_option(url_option);
        return Err(Error::Config(format!(
            "option '{url_option}' ({at}): must be an https:// URL (plain http needs allow_http '1')"
        )));
    }
    let priority =
        r.parsed("priority", None, "a priority from 0 to 10", |v| v.parse().ok().filter(|p| *p <= 10).map(Some))?;
    let mut on = Vec::new();
    for word in r.list("on") {
        let a = Action::parse(&word).filter(|a| *a != Action::Test).ok_or_else(|| {
            let at = r.at_option("on");
            Error::Config(format!(
                "option 'on' ({at}): '{word}' is not one of updated, failed, stopped, drift, verdict"
            ))
        })?;
        on.push(a);
    }
    if on.is_empty() {
        on = vec![Action::Updated, Action::Failed, Action::Stopped, Action::Drift];
    }
    let rate_limit = r.duration("rate_limit", Duration::from_secs(600), Duration::ZERO)?;
    Ok(Some(Notifier { name: name.to_string(), kind: typ, on, url, target, token, priority, rate_limit, allow_http }))
}

fn read_service(r: &mut Reader, name: &str) -> Result<Option<Service>, Error> {
    if !r.bool("enabled", true)? {
        return Ok(None);
    }
    let provider = r
        .string("provider")?
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Error::Config("option 'provider' is missing".into()))?;
    let preset = providers::catalogue::find(&provider).ok_or_else(|| {
        Error::Config(format!("unknown provider '{provider}' (run 'edgeddns providers' for the list)"))
    })?;
    let hostnames = r.list("hostname");
    if hostnames.is_empty() {
        return Err(Error::Config("no hostname: add 'list hostname <name>'".into()));
    }
    for h in &hostnames {
        check_hostname(h).map_err(|why| Error::Config(format!("hostname '{h}': {why}")))?;
    }
    let ipv4 = r.bool("ipv4", true)?;
    let ipv6 = r.bool("ipv6", false)?;
    if !ipv4 && !ipv6 {
        return Err(Error::Config("both ipv4 and ipv6 are off: nothing to update".into()));
    }
    if ipv6 && !preset.ipv6 {
        return Err(Error::Config(format!("provider '{provider}' does not support IPv6 (set ipv6 to 0)")));
    }
    let wan_list = |r: &mut Reader, name: &'static str, default: &str| {
        let mut l = r.list(name);
        l.retain(|w| !w.is_empty());
        l.dedup();
        if l.is_empty() {
            l.push(default.to_string());
        }
        l
    };
    let wans = wan_list(r, "interface", "wan");
    let wans6 = wan_list(r, "interface6", "wan6");
    let (interface, interface6) = (wans[0].clone(), wans6[0].clone());
    let device = r.string("device")?.filter(|d| !d.is_empty());
    if device.is_some() && (wans.len() > 1 || wans6.len() > 1) {
        return Err(Error::Config(
            "option 'device' names one device, but 'interface' lists several WANs: leave 'device' out".into(),
        ));
    }
    let device6 = r.string("device6")?.filter(|d| !d.is_empty()).or_else(|| device.clone());
    let ip_source = r.parsed("ip_source", IpSource::Auto, "one of auto, device, netifd, echo", |s| match s {
        "auto" => Some(IpSource::Auto),
        "device" => Some(IpSource::Device),
        "netifd" => Some(IpSource::Netifd),
        "echo" => Some(IpSource::Echo),
        _ => None,
    })?;
    if ip_source == IpSource::Device && device.is_none() {
        return Err(Error::Config("ip_source 'device' needs option 'device' (e.g. eth1 or pppoe-wan)".into()));
    }
    let nat_policy = r.parsed("nat_policy", NatPolicy::Echo, "one of echo, interface, skip", |s| match s {
        "echo" => Some(NatPolicy::Echo),
        "interface" => Some(NatPolicy::Interface),
        "skip" => Some(NatPolicy::Skip),
        _ => None,
    })?;
    let ipv6_match = match r.string("ipv6_match")? {
        Some(m) if !m.is_empty() => {
            Some(V6Match::parse(&m).map_err(|e| Error::Config(format!("option 'ipv6_match': {e}")))?)
        }
        _ => None,
    };
    let force_interval = r.duration("force_interval", Duration::from_secs(25 * 86400), Duration::from_secs(3600))?;
    let retry_interval = r.duration("retry_interval", Duration::from_secs(30), Duration::from_secs(5))?;
    let retry_max = r.duration("retry_max", Duration::from_secs(3600), retry_interval)?;
    let ttl =
        match r.string("ttl")? {
            None => None,
            Some(t) => Some(t.trim().parse::<u32>().ok().filter(|t| (1..=86400).contains(t)).ok_or_else(|| {
                Error::Config(format!("option 'ttl': '{t}' is not a number of seconds from 1 to 86400"))
            })?),
        };
    let server = r.string("server")?.filter(|s| !s.is_empty());
    let allow_http = r.bool("allow_http", false)?;
    // Every URL the service sends to, by the rule the HTTP client enforces, so a URL that could
    // never be used fails here and not at the first update. (An rfc2136 `server` is a host.)
    let url_fields: Vec<&str> = preset.fields().filter(|f| f.kind == FieldKind::Url).map(|f| f.name).collect();
    for name in std::iter::once("server").chain(url_fields.iter().copied().filter(|n| *n != "server")) {
        let Some(e) = r.section.get(name) else { continue };
        let uci::Value::Single(url) = &e.value else { continue };
        let plain = url.starts_with("http://");
        if !url.is_empty() && (plain || url_fields.contains(&name)) && !url_allowed(url, allow_http) {
            let at = r.at(e);
            return Err(Error::Config(if plain {
                format!("option '{name}' ({at}) is plain http: set 'allow_http 1' to send credentials unencrypted")
            } else {
                format!("option '{name}' ({at}): '{url}' is not an https:// URL")
            }));
        }
    }
    if preset.plain_http && server.is_none() && !allow_http {
        return Err(Error::Config(format!(
            "{} offers no https: set 'allow_http 1' to send its credentials unencrypted, or pick another provider",
            preset.title
        )));
    }
    let create_missing = r.bool("create_missing", false)?;
    let mut params = BTreeMap::new();
    for field in preset.param_fields() {
        if let Some(v) = r.string(field)? {
            params.insert(field.to_string(), v);
        }
    }
    let svc = Service {
        name: name.to_string(),
        provider,
        account: Account {
            preset,
            username: r.string("username")?.unwrap_or_default(),
            password: Secret::new(r.string("password")?.unwrap_or_default()),
            token: Secret::new(r.string("token")?.unwrap_or_default()),
            server,
            ttl,
            allow_http,
            create_missing,
            params,
        },
        hostnames,
        ipv4,
        ipv6,
        interface,
        interface6,
        wans,
        wans6,
        device,
        device6,
        ip_source,
        nat_policy,
        ipv6_match,
        force_interval,
        retry_interval,
        retry_max,
        fingerprint: fingerprint(r.section),
        lan: None,
    };
    check_fields(preset, &svc)?;
    Ok(Some(svc))
}

fn fingerprint(section: &uci::Section) -> u64 {
    // FNV-1a: stable across runs and builds (std's hasher is randomly keyed), and tiny.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain([0xff]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(&section.kind);
    for e in &section.entries {
        eat(&e.name);
        match &e.value {
            uci::Value::Single(v) => eat(v),
            uci::Value::List(items) => items.iter().for_each(|v| eat(v)),
        }
    }
    h
}

/// The preset's fields against the service: required ones present, numbers numeric, booleans
/// and choices valid; an error names the first that is not.
fn check_fields(preset: &Preset, svc: &Service) -> Result<(), Error> {
    for f in preset.fields() {
        let value = match f.name {
            "username" => Some(svc.account.username.as_str()),
            "password" => Some(svc.account.password.expose()),
            "token" => Some(svc.account.token.expose()),
            "server" => svc.account.server.as_deref(),
            other => svc.account.param(other),
        }
        .filter(|v| !v.is_empty());
        let wrong = match value {
            None if preset.requires(f) => {
                let label = preset.labels.get(f.name).map(|l| format!(" ({l})")).unwrap_or_default();
                format!("option '{}'{label} is required by provider '{}'", f.name, preset.name)
            }
            Some(v) if f.kind == FieldKind::Number && v.parse::<u64>().is_err() => {
                format!("option '{}': '{v}' is not a number", f.name)
            }
            Some(v) if f.kind == FieldKind::Bool && parse_bool(v).is_none() => {
                format!("option '{}': '{v}' is not a boolean", f.name)
            }
            Some(v) if f.kind == FieldKind::Choice && !f.choices.contains(&v) => {
                format!("option '{}': '{v}' is not one of {}", f.name, f.choices.join(", "))
            }
            _ => continue,
        };
        return Err(Error::Config(wrong));
    }
    Ok(())
}

/// RFC 1123 host names, with a trailing dot allowed, a leading `*.` for a wildcard record, and
/// `_` inside labels (service records such as `_acme-challenge` are names DNS APIs accept).
pub fn check_hostname(h: &str) -> Result<(), Error> {
    let name = h.strip_suffix('.').unwrap_or(h);
    let name = name.strip_prefix("*.").unwrap_or(name);
    if name.is_empty() || h.len() > 253 {
        return Err(Error::Config("must be 1 to 253 characters".into()));
    }
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err(Error::Config(format!("label '{label}' must be 1 to 63 characters")));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(Error::Config(format!("label '{label}' starts or ends with '-'")));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_')) {
            return Err(Error::Config(format!("'{c}' is not allowed (letters, digits, '-' and '_' only)")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_options() {
        let g = |opts: &str| from_str("t", &format!("config edgeddns\n{opts}")).map(|c| c.global);
        let d = g("").unwrap();
        assert_eq!((d.verify_interval, d.verify_resolver.len()), (Duration::from_secs(3600), 0));
        let s = g(" option verify_interval '0'\n list verify_resolver '192.0.2.53'\n list verify_resolver '[2001:db8::1]:5353'\n");
        let s = s.unwrap();
        assert_eq!(
            (s.verify_interval, s.verify_resolver),
            (Duration::ZERO, vec!["192.0.2.53".into(), "[2001:db8::1]:5353".into()])
        );
        let e = g(" list verify_resolver 'dns.example'\n").unwrap_err().to_string();
        assert!(e.contains("t:2: global option 'verify_resolver': 'dns.example' is not an IP address"), "{e}");
        assert!(g(" option verify_interval '10'\n").unwrap_err().to_string().contains("verify_interval"));
    }

    #[test]
    fn hostnames() {
        assert!(check_hostname("home.example.org").is_ok());
        assert!(check_hostname("*.example.org").is_ok());
        assert!(check_hostname("a-b.example.org.").is_ok());
        assert!(check_hostname("bad_.example.org").is_ok(), "underscores occur in real records");
        assert!(check_hostname("-a.example.org").is_err());
        assert!(check_hostname("a..b").is_err());
        assert!(check_hostname("a b.org").unwrap_err().to_string().contains("' '"));
        assert!(check_hostname(&"a".repeat(64)).is_err());
    }

    #[test]
    fn a_choice_takes_only_its_values() {
        let svc = "config service 'b'\n option provider 'rfc2136'\n list hostname 'h.example.org'\n \
                   option server '192.0.2.53'\n option zone 'example.org'\n option key_name 'k'\n option token 'c2VjcmV0'\n";
        let cfg = from_str("test", &format!("{svc} option key_algorithm 'hmac-md5'\n")).unwrap();
        let shown = format!("{:?}", cfg.errors);
        assert!(
            shown.contains("option 'key_algorithm': 'hmac-md5' is not one of hmac-sha256, hmac-sha512, hmac-sha1"),
            "{shown}"
        );
        let cfg = from_str("test", &format!("{svc} option key_algorithm 'hmac-sha512'\n")).unwrap();
        assert!(cfg.errors.is_empty(), "{:?}", cfg.errors);
        let listed = crate::providers::catalogue::to_json().to_string();
        assert!(listed.contains(r#""choices":["hmac-sha256","hmac-sha512","hmac-sha1"]"#), "{listed}");
    }

    #[test]
    fn a_second_global_section_is_refused_with_both_lines() {
        let text = "config edgeddns 'global'\n\tlist echo_url 'https://echo.example.net/'\n\
                    config service 'a'\n\toption provider 'duckdns'\n\tlist hostname 'h.duckdns.org'\n\toption token 't'\n\
                    config edgeddns\n\toption check_interval '1m'\n";
        // It used to reset every global option, bringing back the built-in public echo services.
        let e = from_str("/etc/config/edgeddns", text).unwrap_err().to_string();
        assert_eq!(
            e,
            "/etc/config/edgeddns:7: a second 'config edgeddns' section (the first is at line 1): \
             put all global options in one section"
        );
        // The same name twice is one section in UCI: merged, not refused.
        let merged = "config edgeddns 'global'\n\tlist echo_url 'https://e.example.net/'\nconfig edgeddns 'global'\n\toption check_interval '1m'\n";
        let cfg = from_str("t", merged).unwrap();
        assert_eq!(
            (cfg.global.echo_urls_v4.clone(), cfg.global.check_interval),
            (vec!["https://e.example.net/".to_string()], Duration::from_secs(60))
        );
    }

    #[test]
    fn plain_http_urls_are_refused_at_load_by_the_runtime_rule() {
        let e = from_str(
            "/etc/config/edgeddns",
            "config edgeddns\n\tlist echo_url 'https://a.example.net/'\n\tlist echo_url6 'http://b.example.net/'\n",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            e,
            "/etc/config/edgeddns:3: global option 'echo_url6': 'http://b.example.net/' is plain http; echo services are asked over https only"
        );
        let e = from_str("f", "config edgeddns\n\tlist echo_url 'ftp://a.example.net/'\n").unwrap_err().to_string();
        assert!(e.ends_with("'ftp://a.example.net/' is not an https:// URL"), "{e}");
        let custom = "config service 'c'\n\toption provider 'custom'\n\tlist hostname 'h.example.org'\n\
                      \toption update_url 'http://dyn.example.net/u?ip=[IP]'\n";
        let cfg = from_str("/etc/config/edgeddns", custom).unwrap();
        assert_eq!(
            cfg.errors,
            vec![ServiceError {
                service: "c".into(),
                message: "option 'update_url' (/etc/config/edgeddns:4) is plain http: set 'allow_http 1' to send credentials unencrypted".into()
            }]
        );
        let cfg = from_str("t", &format!("{custom}\toption allow_http '1'\n")).unwrap();
        assert!(cfg.errors.is_empty() && cfg.services.len() == 1, "{:?}", cfg.errors);
        let cfg = from_str("t", &custom.replace("http://", "dyn.example.net/")).unwrap();
        assert!(
            format!("{:?}", cfg.errors).contains("'dyn.example.net/dyn.example.net/u?ip=[IP]' is not an https:// URL"),
            "{:?}",
            cfg.errors
        );
    }

    #[test]
    fn the_file_is_read_only_if_regular_and_small_enough() {
        let dir = std::env::temp_dir().join(format!("edgeddns-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big = dir.join("big");
        std::fs::write(&big, vec![b'#'; MAX_FILE as usize + 1]).unwrap();
        let e = load(big.to_str().unwrap()).unwrap_err().to_string();
        assert_eq!(e, format!("{}: is larger than the limit of 1048576 bytes", big.display()));
        let latin1 = dir.join("latin1");
        std::fs::write(&latin1, b"# r\xe9seau\nconfig edgeddns\n\toption check_interval '1m'\n").unwrap();
        assert_eq!(load(latin1.to_str().unwrap()).unwrap().global.check_interval, Duration::from_secs(60));
        let e = load(dir.to_str().unwrap()).unwrap_err().to_string();
        assert!(e.ends_with(": is a directory, not a regular file"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn lan_hosts_are_typed_copies_of_their_service() {
        let svc = "config service 'home'\n option provider 'no-ip'\n list hostname 'r.example.org'\n \
                   option username u\n option password p\n option device 'eth1'\n";
        let hosts = "config host 'cam'\n option service 'home'\n list hostname 'cam.example.org'\n \
                     option suffix '::1:2:3:4'\n option ipv4 'wan'\n\
                     config host 'nas'\n option service 'home'\n list hostname 'nas.example.org'\n \
                     option mac '52:54:00:12:34:56'\n option ipv6 'neighbour'\n option ipv4 'lan'\n \
                     option lan_interface 'guest'\n";
        // Hosts may come before their service.
        let cfg = from_str("t", &format!("{hosts}{svc}")).unwrap();
        assert!(cfg.errors.is_empty() && cfg.warnings.is_empty(), "{:?} {:?}", cfg.errors, cfg.warnings);
        let [home, cam, nas] = &cfg.services[..] else { panic!("{:?}", cfg.services) };
        assert!(home.lan.is_none());
        assert_eq!(
            (cam.name.as_str(), cam.account.username.as_str(), &cam.hostnames[..]),
            ("cam", "u", &["cam.example.org".to_string()][..])
        );
        let lan = cam.lan.as_ref().unwrap();
        assert_eq!(
            (lan.service.as_str(), lan.v6, lan.v4_lan),
            ("home", Some(V6From::Suffix("::1:2:3:4".parse().unwrap())), false)
        );
        // IPv4 'wan' reads the service's WAN; IPv6 the LAN.
        assert_eq!(
            (cam.device.as_deref(), cam.interface6.as_str(), cam.device6.as_deref()),
            (Some("eth1"), "lan", None)
        );
        assert!(cam.ipv4 && cam.ipv6 && cam.fingerprint != home.fingerprint);
        assert_eq!((nas.interface.as_str(), nas.device.as_deref(), nas.interface6.as_str()), ("guest", None, "guest"));
        assert_eq!(nas.lan.as_ref().unwrap().mac, Some([0x52, 0x54, 0, 0x12, 0x34, 0x56]));

        let bad = |extra: &str| {
            let cfg = from_str(
                "/etc/config/edgeddns",
                &format!("{svc}config host 'h'\n list hostname 'h.example.org'\n{extra}"),
            )
            .unwrap();
            assert_eq!(cfg.services.len(), 1, "{extra}");
            assert_eq!(cfg.errors[0].service, "h");
            cfg.errors[0].message.clone()
        };
        assert_eq!(
            bad(" option suffix '::1'\n"),
            "option 'service' is missing: the service section whose provider and account publish this host"
        );
        assert_eq!(
            bad(" option service 'nope'\n option suffix '::1'\n"),
            "option 'service': no usable service section named 'nope'"
        );
        assert_eq!(bad(" option service 'home'\n"), "nothing to publish: set 'suffix', or ipv6 and/or ipv4");
        assert_eq!(
            bad(" option service 'home'\n option suffix '1:2'\n"),
            "option 'suffix' (/etc/config/edgeddns:10): '1:2' is not an interface identifier such as ::1:2:3:4"
        );
        assert_eq!(
            bad(" option service 'home'\n option mac '52:54:00'\n"),
            "option 'mac' (/etc/config/edgeddns:10): '52:54:00' is not a MAC address (aa:bb:cc:dd:ee:ff)"
        );
        assert_eq!(
            bad(" option service 'home'\n option ipv6 'eui64'\n"),
            "ipv6 'eui64'/'neighbour' and ipv4 'lan' need option 'mac'"
        );
        assert_eq!(
            bad(" option service 'home'\n option ipv6 'suffix'\n"),
            "option 'ipv6' 'suffix' needs option 'suffix' (e.g. '::1:2:3:4')"
        );
        assert!(
            bad(" option service 'home'\n option ipv4 'public'\n").ends_with("'public' is not one of wan, lan, none")
        );
        assert_eq!(
            bad(" option service 'home'\n option suffix '::1'\n option on_absent 'delete'\n"),
            "option 'on_absent' (/etc/config/edgeddns:11): provider 'no-ip' cannot delete records; use 'keep'"
        );
        assert_eq!(nas.lan.as_ref().unwrap().withdraw_after, None, "kept by default");
        let cf =
            "config service 'cf'\n option provider 'cloudflare'\n list hostname 'r.example.org'\n option token t\n\
                  config host 'h'\n option service 'cf'\n list hostname 'h.example.org'\n option suffix '::1'\n";
        let grace = |extra: &str| from_str("t", &format!("{cf}{extra}")).unwrap().services[1].lan.clone().unwrap();
        assert_eq!(grace(" option on_absent 'delete'\n").withdraw_after, Some(Duration::from_secs(300)));
        let h = grace(" option on_absent 'delete'\n option absent_grace '1h'\n");
        assert_eq!(h.withdraw_after, Some(Duration::from_secs(3600)));
        // A host of a disabled service is disabled with it.
        let cfg = from_str("t", &format!("{svc} option enabled 0\n{hosts}")).unwrap();
        assert_eq!((cfg.services.len(), cfg.disabled.len()), (0, 3));
    }

    #[test]
    fn several_wans_in_order_and_binding_to_them() {
        let svc = |name: &str, extra: &str| {
            format!("config service '{name}'\n option provider 'duckdns'\n list hostname '{name}.duckdns.org'\n option token 't'\n{extra}")
        };
        let cfg = from_str("t", &svc("a", " option interface 'wan  wanb'\n")).unwrap();
        assert_eq!(cfg.services[0].wans, ["wan", "wanb"]);
        assert_eq!(
            (cfg.services[0].interface.as_str(), cfg.services[0].wans6.as_slice()),
            ("wan", &["wan6".to_string()][..])
        );
        assert!(cfg.bind_wan(), "two WANs: requests go through theirs");
        let cfg = from_str("t", &svc("a", " list interface 'wanb'\n list interface 'wan'\n")).unwrap();
        assert_eq!(cfg.services[0].wans, ["wanb", "wan"], "a UCI list keeps its order");
        let one = from_str("t", &format!("{}{}", svc("a", ""), svc("b", " option interface 'wan'\n"))).unwrap();
        assert!(!one.bind_wan(), "one WAN: requests may go to the LAN");
        let off = from_str(
            "t",
            &format!("config edgeddns\n option bind_wan 0\n{}", svc("a", " option interface 'wan wanb'\n")),
        );
        assert!(!off.unwrap().bind_wan());
        let both = from_str("t", &svc("a", " option interface 'wan wanb'\n option device 'eth1'\n")).unwrap();
        assert_eq!(
            both.errors[0].message,
            "option 'device' names one device, but 'interface' lists several WANs: leave 'device' out"
        );
        let e = from_str("t", "config edgeddns\n option bind_wan maybe\n").unwrap_err().to_string();
        assert!(e.contains("option 'bind_wan' (t:2): 'maybe' is not a boolean"), "{e}");
    }

    #[test]
    fn a_provider_without_https_needs_the_opt_in() {
        let svc = "config service 'o'\n option provider 'oray'\n list hostname 'h.example.org'\n \
                   option username 'u'\n option password 'p'\n";
        let cfg = from_str("test", svc).unwrap();
        assert!(cfg.services.is_empty());
        assert!(format!("{:?}", cfg.errors).contains("offers no https: set 'allow_http 1'"), "{:?}", cfg.errors);
        let cfg = from_str("test", &format!("{svc} option allow_http 1\n")).unwrap();
        assert!(cfg.errors.is_empty() && cfg.services.len() == 1, "{:?}", cfg.errors);
    }

    /// A broken notify section is left out with a warning naming the section, the option and
    /// where; the URL, which may hold a token, is never repeated.
    #[test]
    fn notify_sections_are_checked_at_load() {
        let ok =
            "config notify 'phone'\n option type 'ntfy'\n option topic 't'\n list on 'failed'\n list on 'verdict'\n";
        let cfg = from_str("test", ok).unwrap();
        let n = &cfg.notifiers[0];
        assert_eq!((n.kind, n.url.as_str(), n.target.as_str()), (NotifyType::Ntfy, "https://ntfy.sh", "t"));
        assert_eq!((n.on.clone(), n.rate_limit), (vec![Action::Failed, Action::Verdict], Duration::from_secs(600)));
        for (text, want) in [
            ("config notify 'a'\n option type 'pager'\n", "notify 'a' is off: test:1: option 'type': 'pager' is not one of"),
            ("config notify 'b'\n option type 'ntfy'\n", "notify 'b' is off: test:1: option 'topic' is required for type 'ntfy'"),
            ("config notify 'c'\n option type 'telegram'\n option chat_id '5'\n", "option 'token' is required for type 'telegram'"),
            ("config notify 'd'\n option type 'webhook'\n option url 'http://h/s3cr3t'\n", "option 'url' (test:3): must be an https:// URL"),
            ("config notify 'e'\n option type 'gotify'\n option server 'https://g'\n option token 'x'\n option on 'sometimes'\n", "option 'on' (test:5): 'sometimes' is not one of"),
            ("config notify 'f'\n option type 'healthchecks'\n option url 'https://hc'\n option priority '11'\n", "option 'priority' (test:4): '11' is not a priority"),
        ] {
            let cfg = from_str("test", text).unwrap();
            assert!(cfg.notifiers.is_empty(), "{text}");
            assert!(cfg.warnings.iter().any(|w| w.contains(want)), "{text}: {:?}", cfg.warnings);
            assert!(!cfg.warnings.iter().any(|w| w.contains("s3cr3t")), "{:?}", cfg.warnings);
        }
        let http = "config notify 'g'\n option type 'webhook'\n option url 'http://h/x'\n option allow_http '1'\n";
        assert_eq!(from_str("test", http).unwrap().notifiers.len(), 1);
    }
}

#[cfg(test)]
mod scale {
    use super::*;
    use std::time::Instant;

    /// Time the parser and the typed configuration on the issue's two shapes (40,000 named
    /// sections; 40,000 options in one section, each ~0.9 MB). A measurement, not a check:
    /// `cargo test --release --lib config::scale -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn large_files_parse_in_linear_time() {
        let sections: String = (0..40_000).map(|i| format!("config other 's{i}'\n\toption x '{i}'\n")).collect();
        let options: String = std::iter::once("config service 'big'\n".to_string())
            .chain((0..40_000).map(|i| format!("\toption opt{i} 'value {i}'\n")))
            .collect();
        for (what, text) in [("40,000 named sections", &sections), ("40,000 options in one section", &options)] {
            let t = Instant::now();
            let file = uci::parse("bench", text).unwrap();
            let parsed = t.elapsed();
            let t = Instant::now();
            let cfg = from_str("bench", text).unwrap();
            let typed = t.elapsed();
            println!(
                "{what} ({} bytes): uci::parse {parsed:?}, config::from_str {typed:?} ({} sections, {} warnings)",
                text.len(),
                file.sections.len(),
                cfg.warnings.len() + cfg.errors.len()
            );
        }
    }
}
