//! What the internet resolves: each record asked of its zone's authoritative servers directly
//! (RD=0), never of a cache. The zone cut comes from the resolver (the SOA in an answer or in a
//! negative answer's authority section, RFC 2308 §3), the servers from the zone's NS RRset,
//! their addresses from glue or the resolver. One query per nameserver per record per check.

use crate::config::{Config, Service};
use crate::dns::{self, Message};
use crate::net::Family;
use crate::state::{Record, RecordKey};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

/// Checks running at once: each is a few short exchanges, and they are never urgent.
const MAX_CHECKS: usize = 2;

/// Seconds past the old record's TTL before an authoritative server still answering the old
/// address means the update did not take (secondaries may lag a NOTIFY that long).
pub const GRACE: u64 = 60;

/// Bounds one exchange (UDP and its TCP retry) with one server.
pub const TIMEOUT: Duration = Duration::from_secs(3);

/// Where the resolver's upstream servers are on OpenWrt (dnsmasq itself listens on 127.0.0.1
/// and answers from its cache), then anywhere else.
const RESOLV_FILES: [&str; 2] = ["/tmp/resolv.conf.d/resolv.conf.auto", "/etc/resolv.conf"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Published,
    Propagating,
    Drift,
    NotPublished,
    Unverifiable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        ["published", "propagating", "drift", "not-published", "unverifiable"][self as usize]
    }
}

/// What one authoritative server said about the record.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The nameserver's name (the configured server for RFC 2136) and the address asked.
    pub server: String,
    pub at: String,
    /// The record's addresses (empty: no such record) and the smallest TTL; or why not.
    pub said: Result<(Vec<IpAddr>, u32), String>,
}

/// What a check found, before it is judged.
#[derive(Debug, Default)]
pub struct Lookup {
    pub zone: String,
    pub answers: Vec<Answer>,
    /// How the zone and its servers were found, for `edgeddns check`.
    pub trace: Vec<String>,
    /// Why no server could be asked.
    pub error: Option<String>,
}

/// The resolvers the walk asks: `verify_resolver` when set, else the upstream servers
/// netifd wrote, skipping loopback (dnsmasq's cache is what this check must not trust).
pub fn resolvers(configured: &[String]) -> Vec<String> {
    if !configured.is_empty() {
        return configured.to_vec();
    }
    for path in RESOLV_FILES {
        let text = crate::files::read_regular_file(std::path::Path::new(path), 64 * 1024).unwrap_or_default();
        let found = nameservers(&String::from_utf8_lossy(&text));
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

fn nameservers(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .filter(|a| !a.is_loopback())
        .map(|a| a.to_string())
        .collect()
}

/// Ask `server` one question; the parsed answer, or why there is none.
fn ask(server: &str, name: &str, qtype: u16, recurse: bool, timeout: Duration) -> Result<Message, String> {
    let bytes = dns::exchange(server, &dns::query(dns::message_id(), name, qtype, recurse), timeout, None)
        .map_err(|e| e.to_string())?;
    match dns::parse(&bytes) {
        Some(m) if bytes.get(2).is_some_and(|f| f & 0x80 != 0) => Ok(m),
        _ => Err(format!("{server} sent a malformed answer")),
    }
}

fn rcode_text(rcode: u8) -> String {
    match rcode {
        2 => "SERVFAIL".into(),
        5 => "REFUSED".into(),
        r => format!("DNS error code {r}"),
    }
}

/// The first resolver's answer to `name`/`qtype` (NOERROR or NXDOMAIN); the others are tried
/// only when one does not answer.
fn resolve(resolvers: &[String], name: &str, qtype: u16, timeout: Duration) -> Result<Message, String> {
    let mut why = Vec::new();
    for r in resolvers {
        match ask(r, name, qtype, true, timeout) {
            Ok(m) if m.rcode == 0 || m.rcode == dns::RCODE_NXDOMAIN => return Ok(m),
            Ok(m) => why.push(format!("{r}: {}", rcode_text(m.rcode))),
            Err(e) => why.push(e),
        }
    }
    Err(if why.is_empty() { "no resolver configured (verify_resolver)".into() } else { why.join("; ") })
}

/// Ask the authoritative servers of `host` for its `family` record. `own` is an RFC 2136
/// service's server and zone: asked too when the zone is public (it may be a hidden primary),
/// alone when the walk does not end at that zone (a private one).
pub fn lookup(
    host: &str,
    family: Family,
    own: Option<(&str, &str)>,
    resolvers: &[String],
    timeout: Duration,
) -> Lookup {
    // As the parser gives names back: in lower case, without the final dot.
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let host = host.as_str();
    let mut l = Lookup::default();
    let walked = find_servers(host, resolvers, timeout, &mut l);
    let servers = match (walked, own) {
        (Ok(mut s), Some((server, zone))) if l.zone == zone.trim_end_matches('.').to_ascii_lowercase() => {
            let same = |at: &String| dns::resolve(at).ok() == dns::resolve(server).ok();
            if !s.iter().any(|(_, at)| same(at)) {
                s.push((server.to_string(), server.to_string()));
            }
            s
        }
        (walked, Some((server, zone))) => {
            let why = walked.err().unwrap_or_else(|| format!("the public zone is '{}'", l.zone));
            l.trace.push(format!("{zone} is not public ({why}): asking the service's server {server} alone"));
            l.answers.clear();
            l.zone = zone.to_string();
            vec![(server.to_string(), server.to_string())]
        }
        (Ok(s), None) => s,
        (Err(e), None) => {
            l.error = Some(e);
            return l;
        }
    };
    let qtype = match family {
        Family::V4 => dns::TYPE_A,
        Family::V6 => dns::TYPE_AAAA,
    };
    for (name, at) in servers {
        let said = ask(&at, host, qtype, false, timeout).and_then(|m| match m.rcode {
            _ if !m.authoritative => Err(format!("{at} is not authoritative for {host} (lame delegation)")),
            0 | dns::RCODE_NXDOMAIN => {
                let rrs = m.answer.iter().filter(|r| r.rtype == qtype && r.name == host);
                let ttl = rrs.clone().map(|r| r.ttl).min().unwrap_or(0);
                Ok((rrs.filter_map(|r| r.addr).collect(), ttl))
            }
            r => Err(format!("{at} answered {}", rcode_text(r))),
        });
        l.answers.push(Answer { server: name, at, said });
    }
    l
}

/// The zone cut of `host` and its nameservers with one address each.
fn find_servers(
    host: &str,
    resolvers: &[String],
    timeout: Duration,
    l: &mut Lookup,
) -> Result<Vec<(String, String)>, String> {
    let soa = resolve(resolvers, host, dns::TYPE_SOA, timeout)?;
    if let Some(c) = soa.answer.iter().find(|r| r.rtype == dns::TYPE_CNAME) {
        return Err(format!("{host} is an alias (CNAME) of {}: its address records are not ours to check", c.target));
    }
    let zone = soa.answer.iter().chain(&soa.authority).find(|r| r.rtype == dns::TYPE_SOA);
    let zone = zone.map(|r| if r.name.is_empty() { ".".to_string() } else { r.name.clone() });
    l.zone = zone.ok_or_else(|| format!("the resolver gave no SOA record for {host} or a zone above it"))?;
    l.trace.push(format!("zone cut: {} (SOA via {})", l.zone, resolvers.join(", ")));
    let ns = resolve(resolvers, &l.zone, dns::TYPE_NS, timeout)?;
    let mut servers = Vec::new();
    for name in ns.answer.iter().filter(|r| r.rtype == dns::TYPE_NS).map(|r| &r.target) {
        // IPv4 glue first (what most routers can reach), else IPv6.
        let glue = ns.additional.iter().filter(|r| &r.name == name && r.addr.is_some()).min_by_key(|r| r.rtype);
        let glue = glue.and_then(|r| r.addr);
        let addr = match glue {
            Some(a) => Ok(a),
            None => resolve(resolvers, name, dns::TYPE_A, timeout).and_then(|m| {
                m.answer.iter().find_map(|r| r.addr).ok_or_else(|| format!("{name} has no IPv4 address"))
            }),
        };
        match addr {
            Ok(a) => {
                l.trace.push(format!("nameserver {name} at {a}{}", if glue.is_some() { " (glue)" } else { "" }));
                servers.push((name.clone(), a.to_string()));
            }
            Err(e) => l.answers.push(Answer { server: name.clone(), at: String::new(), said: Err(e) }),
        }
    }
    if servers.is_empty() && l.answers.is_empty() {
        return Err(format!("the zone {} has no NS records", l.zone));
    }
    Ok(servers)
}

/// An RFC 2136 service's server and zone: it updates the zone on its own server, which is
/// authoritative whether or not the zone is public.
pub fn own_server(svc: &Service) -> Option<(&str, &str)> {
    let server = svc.account.server.as_deref().filter(|_| svc.account.preset.protocol == "rfc2136")?;
    Some((server, svc.account.param("zone")?))
}

pub fn proxied(svc: &Service) -> bool {
    svc.account.preset.protocol == "cloudflare"
        && svc.account.param("proxied").and_then(crate::uci::parse_bool).unwrap_or(false)
}

/// What the record is, given what the servers said: `expected` is the address the provider
/// confirmed `since` seconds ago, `was_published` whether a check had already seen it.
pub fn judge(
    l: &Lookup,
    expected: Option<IpAddr>,
    since: Option<u64>,
    was_published: bool,
    proxied: bool,
) -> (Verdict, String) {
    if let Some(e) = &l.error {
        return (Verdict::Unverifiable, e.clone());
    }
    let said: Vec<(&str, &Vec<IpAddr>, u32)> =
        l.answers.iter().filter_map(|a| a.said.as_ref().ok().map(|(v, t)| (a.server.as_str(), v, *t))).collect();
    let silent: Vec<&str> = l.answers.iter().filter(|a| a.said.is_err()).map(|a| a.server.as_str()).collect();
    let mut lame = if silent.is_empty() { String::new() } else { format!(" (not answering: {})", silent.join(", ")) };
    if said.is_empty() {
        let failed: Vec<String> =
            l.answers.iter().filter_map(|a| a.said.as_ref().err().map(|e| format!("{}: {e}", a.server))).collect();
        return (Verdict::Unverifiable, format!("no authoritative server answered: {}", failed.join("; ")));
    }
    if proxied {
        // Cloudflare answers with its proxies' addresses; the origin's is not visible.
        return (
            Verdict::Unverifiable,
            format!("proxied through Cloudflare: the name answers with Cloudflare's addresses{lame}"),
        );
    }
    let Some(want) = expected else {
        return (Verdict::Unverifiable, format!("no address has been registered yet{lame}"));
    };
    let wrong: Vec<String> = said
        .iter()
        .filter(|(_, v, _)| v.as_slice() != [want])
        .map(|(s, v, ttl)| match v.is_empty() {
            true => format!("{s} has no such record"),
            false => {
                format!("{s} answers {} (TTL {ttl})", v.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(" "))
            }
        })
        .collect();
    if wrong.is_empty() {
        let (s, _, ttl) = said[0];
        return (Verdict::Published, format!("DNS answers {want} at {s}, TTL {ttl}{lame}"));
    }
    let ttl = said.iter().map(|(_, _, t)| u64::from(*t)).max().unwrap_or(0);
    lame.insert_str(0, &format!(", expected {want}"));
    let wrong = wrong.join("; ");
    // Seen published once, the update has propagated: what differs now was changed since.
    match since {
        _ if was_published => (Verdict::Drift, format!("{wrong}{lame}")),
        Some(s) if s <= ttl + GRACE => (Verdict::Propagating, format!("{wrong}{lame}, updated {s}s ago")),
        _ => (Verdict::NotPublished, format!("{wrong}{lame}")),
    }
}

/// One record's last check and the schedule of the next.
#[derive(Clone, Debug)]
pub struct Check {
    pub key: RecordKey,
    /// `None` until the first check is back.
    pub verdict: Option<Verdict>,
    pub reason: String,
    pub answers: Vec<Answer>,
    pub checked_at: Option<u64>,
    due: u64,
    busy: bool,
    /// The registered address a check has seen published: a later difference is drift.
    seen: Option<IpAddr>,
    /// The registered address a corrective update was sent for: it is sent once.
    corrected: Option<IpAddr>,
}

/// A check to run on a worker.
pub struct Spec {
    key: RecordKey,
    own: Option<(String, String)>,
    resolvers: Vec<String>,
}

impl Spec {
    /// Blocking: run it off the event loop.
    pub fn run(self) -> Done {
        let own = self.own.as_ref().map(|(s, z)| (s.as_str(), z.as_str()));
        let lookup = lookup(&self.key.host, self.key.family, own, &self.resolvers, TIMEOUT);
        Done { key: self.key, lookup }
    }
}

pub struct Done {
    key: RecordKey,
    lookup: Lookup,
}

/// What a finished check changed: the record's new verdict, and whether one corrective update
/// must be sent for it.
pub struct Changed {
    pub key: RecordKey,
    pub verdict: Verdict,
    pub correct: bool,
}

/// Every record's checks: due at start, after each update the provider accepted, again after
/// the answer's TTL while propagating, else every `verify_interval`.
#[derive(Default)]
pub struct Checks {
    list: Vec<Check>,
}

impl Checks {
    pub fn get(&self, key: &RecordKey) -> Option<&Check> {
        self.list.iter().find(|c| &c.key == key)
    }

    /// Forget the records `keep` does not name.
    pub fn retain(&mut self, keep: &[RecordKey]) {
        self.list.retain(|c| keep.contains(&c.key));
    }

    /// Check `key` at once (an update went out; SIGUSR1 when `key` is `None`: all of them).
    pub fn soon(&mut self, key: Option<&RecordKey>, now: u64) {
        for c in self.list.iter_mut().filter(|c| key.is_none_or(|k| *k == c.key)) {
            c.due = now;
        }
    }

    pub fn next_due(&self) -> Option<u64> {
        self.list.iter().filter(|c| !c.busy).map(|c| c.due).min()
    }

    /// The checks due now, of records with a registered address; `busy` says which services
    /// have an update in flight (their records are checked after it).
    pub fn take(
        &mut self,
        cfg: &Config,
        records: &BTreeMap<RecordKey, Record>,
        busy: &dyn Fn(&str) -> bool,
        now: u64,
    ) -> Vec<Spec> {
        if cfg.global.verify_interval.is_zero() {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut running = self.list.iter().filter(|c| c.busy).count();
        for (key, _) in records.iter().filter(|(_, r)| r.registered.is_some()) {
            let Some(svc) = cfg.services.iter().find(|s| s.name == key.service) else { continue };
            if !self.list.iter().any(|c| c.key == *key) {
                let c = Check {
                    key: key.clone(),
                    verdict: None,
                    reason: String::new(),
                    answers: Vec::new(),
                    checked_at: None,
                    due: now,
                    busy: false,
                    seen: None,
                    corrected: None,
                };
                self.list.push(c);
            }
            let Some(c) = self.list.iter_mut().find(|c| c.key == *key) else { continue };
            if c.busy || c.due > now || running >= MAX_CHECKS || busy(&svc.name) {
                continue;
            }
            c.busy = true;
            running += 1;
            let own = own_server(svc).map(|(s, z)| (s.to_string(), z.to_string()));
            out.push(Spec { key: key.clone(), own, resolvers: resolvers(&cfg.global.verify_resolver) });
        }
        out
    }

    /// Judge a finished check, log what changed and schedule the next.
    pub fn done(&mut self, d: Done, cfg: &Config, records: &BTreeMap<RecordKey, Record>, now: u64) -> Option<Changed> {
        let c = self.list.iter_mut().find(|c| c.key == d.key)?;
        c.busy = false;
        let svc = cfg.services.iter().find(|s| s.name == d.key.service)?;
        let rec = records.get(&d.key)?;
        let since = rec.updated_at.map(|t| now.saturating_sub(t));
        let seen = rec.registered.is_some() && c.seen == rec.registered;
        let (verdict, reason) = judge(&d.lookup, rec.registered, since, seen, proxied(svc));
        let ttl = d.lookup.answers.iter().filter_map(|a| a.said.as_ref().ok()).map(|(_, t)| u64::from(*t)).max();
        c.due = match verdict {
            Verdict::Propagating => now + ttl.unwrap_or(60).clamp(10, 3600),
            _ => now + cfg.global.verify_interval.as_secs(),
        };
        let what = format!("{}: {} {}", svc.name, d.key.host, d.key.family.record_type());
        let correct = verdict == Verdict::Drift && c.corrected != rec.registered;
        match verdict {
            Verdict::Published => c.seen = rec.registered,
            Verdict::Drift if correct => {
                c.corrected = rec.registered;
                log::warn!("{what}: DNS drift: {reason}; sending one corrective update");
            }
            Verdict::Drift => {
                log::warn!("{what}: DNS drifted again after a corrective update: {reason}; not correcting again")
            }
            _ => {}
        }
        let changed = c.verdict != Some(verdict);
        if changed && verdict != Verdict::Drift {
            let level = if verdict == Verdict::Published { log::Level::Info } else { log::Level::Warn };
            log::log!(level, "{what}: DNS {}: {reason}", verdict.as_str());
        }
        (c.verdict, c.reason, c.answers, c.checked_at) = (Some(verdict), reason, d.lookup.answers, Some(now));
        (changed || correct).then_some(Changed { key: d.key, verdict, correct })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_servers_skip_dnsmasq() {
        let text = "# Interface wan\nnameserver 127.0.0.1\nnameserver 192.0.2.53\nnameserver ::1\nsearch lan\n\
                    nameserver 2001:db8::53\nnameserver bogus\n";
        assert_eq!(nameservers(text), ["192.0.2.53", "2001:db8::53"]);
        assert_eq!(resolvers(&["10.53.0.3".into()]), ["10.53.0.3"]);
    }

    fn said(addrs: &[&str], ttl: u32) -> Answer {
        let v = addrs.iter().map(|a| a.parse().unwrap()).collect();
        Answer { server: "ns1.example.net".into(), at: "192.0.2.1".into(), said: Ok((v, ttl)) }
    }

    #[test]
    fn drift_is_corrected_once_and_checks_are_scheduled() {
        let cfg = crate::config::from_str(
            "t",
            "config service 'b'\n option provider 'rfc2136'\n list hostname 'h.example.org'\n option server '192.0.2.53'\n \
             option zone 'example.org'\n option key_name 'k'\n option token 'c2VjcmV0'\n",
        )
        .unwrap();
        let key = RecordKey::new("b", "h.example.org", Family::V4);
        let mut records = BTreeMap::new();
        records.insert(
            key.clone(),
            Record { registered: "198.51.100.7".parse().ok(), updated_at: Some(1000), ..Record::default() },
        );
        let mut checks = Checks::default();
        let idle = |_: &str| false;
        assert!(checks.take(&cfg, &records, &|_| true, 1000).is_empty(), "not while its update runs");
        let specs = checks.take(&cfg, &records, &idle, 1000);
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].own, Some(("192.0.2.53".into(), "example.org".into())));
        assert!(checks.take(&cfg, &records, &idle, 1000).is_empty(), "one check at a time per record");
        let done = |addr: &str, ttl| Done {
            key: key.clone(),
            lookup: Lookup { answers: vec![said(&[addr], ttl)], ..Lookup::default() },
        };
        // Still the old address right after the update: propagating, asked again after the TTL.
        let c = checks.done(done("198.51.100.1", 30), &cfg, &records, 1001).unwrap();
        assert_eq!((c.verdict, c.correct), (Verdict::Propagating, false));
        assert_eq!(checks.next_due(), Some(1031));
        checks.take(&cfg, &records, &idle, 1031);
        assert_eq!(checks.done(done("198.51.100.7", 30), &cfg, &records, 1031).unwrap().verdict, Verdict::Published);
        assert_eq!(checks.next_due(), Some(1031 + 3600), "then every verify_interval");
        assert!(checks.get(&key).unwrap().reason.starts_with("DNS answers 198.51.100.7 at ns1.example.net"));
        // Changed behind our back: one corrective update, then only a warning.
        checks.soon(None, 5000);
        checks.take(&cfg, &records, &idle, 5000);
        let c = checks.done(done("203.0.113.9", 30), &cfg, &records, 5000).unwrap();
        assert_eq!((c.verdict, c.correct), (Verdict::Drift, true));
        checks.soon(Some(&key), 5010);
        checks.take(&cfg, &records, &idle, 5010);
        assert_eq!(checks.done(done("198.51.100.7", 30), &cfg, &records, 5010).unwrap().verdict, Verdict::Published);
        checks.soon(None, 6000);
        checks.take(&cfg, &records, &idle, 6000);
        let c = checks.done(done("203.0.113.9", 30), &cfg, &records, 6000).unwrap();
        assert_eq!((c.verdict, c.correct), (Verdict::Drift, false), "drifted again: not fought over");
        checks.retain(&[]);
        assert!(checks.get(&key).is_none());
    }

    #[test]
    fn verdicts() {
        let want = Some("198.51.100.7".parse().unwrap());
        let silent = Answer { server: "ns2.example.net".into(), at: "192.0.2.2".into(), said: Err("timeout".into()) };
        let mut l = Lookup { answers: vec![said(&["198.51.100.7"], 60), silent.clone()], ..Lookup::default() };
        let (v, why) = judge(&l, want, Some(5), false, false);
        assert_eq!(v, Verdict::Published);
        assert_eq!(why, "DNS answers 198.51.100.7 at ns1.example.net, TTL 60 (not answering: ns2.example.net)");
        assert_eq!(judge(&l, want, None, false, true).0, Verdict::Unverifiable, "proxied");
        assert_eq!(judge(&l, None, None, false, false).0, Verdict::Unverifiable, "nothing registered");
        l.answers[0] = said(&["198.51.100.9"], 300);
        assert_eq!(judge(&l, want, Some(300 + GRACE), false, false).0, Verdict::Propagating);
        let (v, why) = judge(&l, want, Some(301 + GRACE), false, false);
        assert_eq!(v, Verdict::NotPublished);
        assert!(why.starts_with("ns1.example.net answers 198.51.100.9 (TTL 300), expected 198.51.100.7"), "{why}");
        assert_eq!(judge(&l, want, Some(9999), true, false).0, Verdict::Drift);
        assert_eq!(judge(&l, want, Some(1), true, false).0, Verdict::Drift, "seen published: changed since");
        l.answers[0] = said(&["198.51.100.7", "198.51.100.9"], 60);
        assert_eq!(judge(&l, want, None, true, false).0, Verdict::Drift, "an extra address is drift too");
        l.answers[0] = said(&[], 0);
        assert!(judge(&l, want, None, false, false).1.contains("has no such record"));
        l.answers = vec![silent];
        assert_eq!(judge(&l, want, None, true, false).0, Verdict::Unverifiable);
        l.error = Some("no resolver".into());
        assert_eq!(judge(&l, want, None, true, false), (Verdict::Unverifiable, "no resolver".into()));
    }
}
