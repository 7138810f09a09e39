//! The update engine: from what the sources see, decide per record what must change, send it
//! through the providers, and remember the outcome. It owns no sockets and no clock: the
//! daemon, `once` and the tests drive it through `Env`.

use crate::config::{Config, IpSource, Service};
use crate::http::Transport;
use crate::net::Family;
use crate::providers::{Job, Kind, Outcome, RecordResult};
use crate::sources::echo::EchoResult;
use crate::sources::{self, IfAddr, SourceError};
use crate::state::{record_key, Record, State};
use crate::verdict::{self, Verdict};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// After a failed echo, ask again this soon rather than waiting the whole echo interval.
const ECHO_RETRY_SECS: u64 = 60;

/// What the engine needs from the outside world.
pub trait Env {
    /// Unix time in seconds.
    fn now(&self) -> u64;
    /// The addresses on the interface this service reads for `family`, and a label naming it
    /// (`wan`, `eth1`) for status and logs.
    fn interface_addrs(&mut self, svc: &Service, family: Family) -> (String, Result<Vec<IfAddr>, SourceError>);
    fn echo(&mut self, family: Family, urls: &[String]) -> EchoResult;
    /// A transport for one provider job; jobs run in parallel threads.
    fn transport(&mut self) -> Box<dyn Transport + Send>;
}

/// What the engine was asked to do beyond the usual.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// Ask the echo services now even if not due.
    pub echo: bool,
    /// Send updates now even if nothing changed: every service (`Some(None)`) or one.
    pub update: Option<Option<String>>,
}

/// One WAN interface and family as last seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WanView {
    pub family: Family,
    pub interface: String,
    pub address: Option<IpAddr>,
    pub error: Option<String>,
    pub echo: Option<IpAddr>,
    pub verdict: Verdict,
    pub explanation: String,
    pub checked_at: u64,
}

#[derive(Clone, Debug)]
struct EchoCache {
    result: EchoResult,
    at: u64,
    /// Interface addresses when it was asked: a change there makes the echo due again.
    basis: Vec<Option<IpAddr>>,
}

/// Per record, what the engine wants and why (for status).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub desired: Option<IpAddr>,
    /// Why nothing is published when `desired` is None.
    pub waiting: Option<String>,
}

pub struct Engine {
    pub config: Config,
    pub state: State,
    pub dry_run: bool,
    wan: BTreeMap<(Family, String), WanView>,
    echo: [Option<EchoCache>; 2],
    /// Whether the last pass had anything to compare the echo with (an interface address, or a
    /// service that publishes the echo address); an unneeded echo is never due.
    echo_needed: [bool; 2],
    plans: BTreeMap<String, Plan>,
}

/// What one provider job answered, and which records it was meant to cover.
struct JobOutcome {
    service: String,
    results: Vec<RecordResult>,
    expected: Vec<(String, Family)>,
}

/// What a pass did, for the caller's exit code and logs.
#[derive(Debug, Default)]
pub struct PassReport {
    pub results: Vec<(String, RecordResult)>,
}

impl PassReport {
    pub fn all_ok(&self) -> bool {
        self.results.iter().all(|(_, r)| r.outcome.is_success() || r.outcome == Outcome::NotSent)
    }
}

fn fidx(f: Family) -> usize {
    match f {
        Family::V4 => 0,
        Family::V6 => 1,
    }
}

impl Engine {
    pub fn new(config: Config, state: State, dry_run: bool) -> Engine {
        let mut e = Engine {
            config,
            state,
            dry_run,
            wan: BTreeMap::new(),
            echo: [None, None],
            echo_needed: [false; 2],
            plans: BTreeMap::new(),
        };
        e.forget_unconfigured();
        e
    }

    /// New configuration (SIGHUP, ubus reload). Records of services that are gone are dropped;
    /// a changed service gets a fresh start on its next pass (fingerprint).
    pub fn reload(&mut self, config: Config) {
        self.config = config;
        self.plans.clear();
        self.forget_unconfigured();
    }

    fn forget_unconfigured(&mut self) {
        let keys: std::collections::BTreeSet<String> = self
            .config
            .services
            .iter()
            .flat_map(|s| {
                s.hostnames.iter().flat_map(move |h| {
                    Family::ALL.iter().filter(|f| s.wants(**f)).map(move |f| record_key(&s.name, h, *f))
                })
            })
            .collect();
        self.state.retain(|k| keys.contains(k));
    }

    pub fn wan_views(&self) -> impl Iterator<Item = &WanView> {
        self.wan.values()
    }

    pub fn plan(&self, key: &str) -> Option<&Plan> {
        self.plans.get(key)
    }

    pub fn echo_result(&self, family: Family) -> Option<&EchoResult> {
        self.echo[fidx(family)].as_ref().map(|c| &c.result)
    }

    /// One pass: read the sources, decide, send, record. Network traffic happens only when an
    /// address changed, the echo is due, a record needs sending, or `req` asks for it.
    pub fn pass(&mut self, env: &mut dyn Env, req: &Request) -> PassReport {
        let now = env.now();
        let services = self.config.services.clone();

        // 1. Interface addresses, read once per interface and family.
        let mut seen: BTreeMap<(Family, String), Result<Vec<IfAddr>, SourceError>> = BTreeMap::new();
        let mut label_of: BTreeMap<(String, Family), String> = BTreeMap::new();
        for svc in &services {
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f) && svc.ip_source != IpSource::Echo) {
                let (label, addrs) = env.interface_addrs(svc, family);
                label_of.insert((svc.name.clone(), family), label.clone());
                seen.entry((family, label)).or_insert(addrs);
            }
        }

        // 2. The echo, per family, when due.
        for family in Family::ALL {
            if !services.iter().any(|s| s.wants(family)) {
                continue;
            }
            let basis: Vec<Option<IpAddr>> = seen
                .iter()
                .filter(|((f, _), _)| *f == family)
                .map(|(_, r)| r.as_ref().ok().and_then(|a| sources::pick(family, a, None)))
                .collect();
            let due = match &self.echo[fidx(family)] {
                None => true,
                Some(c) => {
                    let wait = if c.result.addr.is_some() {
                        self.config.global.echo_interval.as_secs()
                    } else {
                        ECHO_RETRY_SECS
                    };
                    req.echo || c.basis != basis || now >= c.at + wait
                }
            };
            // Nothing to compare with while every interface is down: the echo can wait.
            let needed = services.iter().any(|s| s.wants(family) && s.ip_source == IpSource::Echo)
                || basis.iter().any(Option::is_some);
            self.echo_needed[fidx(family)] = needed;
            if due && needed {
                let urls = match family {
                    Family::V4 => &self.config.global.echo_urls_v4,
                    Family::V6 => &self.config.global.echo_urls_v6,
                };
                let result = env.echo(family, urls);
                match &result.addr {
                    Some(a) => crate::debug!("echo ({family}): the internet sees {a}"),
                    None => log::warn!("echo ({family}): {}", result.failure()),
                }
                self.echo[fidx(family)] = Some(EchoCache { result, at: now, basis });
            }
        }

        // 3. Verdict per WAN, logged when it changes; WANs no service reads any more are dropped.
        self.wan.retain(|k, _| seen.contains_key(k));
        for ((family, label), addrs) in &seen {
            let echo = self.echo[fidx(*family)].as_ref().and_then(|c| c.result.addr);
            let (address, all, error) = match addrs {
                Ok(a) => (sources::pick(*family, a, None), a.iter().map(|x| x.addr).collect::<Vec<_>>(), None),
                Err(e) => (None, Vec::new(), Some(e.to_string())),
            };
            let v = verdict::classify(address, &all, echo);
            let view = WanView {
                family: *family,
                interface: label.clone(),
                address,
                error,
                echo,
                verdict: v,
                explanation: verdict::explain(v, *family, label, address, echo),
                checked_at: now,
            };
            match self.wan.get(&(*family, label.clone())) {
                Some(old) if old.address != view.address => {
                    log::info!(
                        "{label} ({family}): address changed from {} to {}",
                        show(old.address),
                        show(view.address)
                    )
                }
                None if view.address.is_some() => {
                    log::info!("{label} ({family}): address {}", show(view.address))
                }
                _ => {}
            }
            if self.wan.get(&(*family, label.clone())).map(|o| o.verdict) != Some(v) {
                match v {
                    Verdict::Public | Verdict::NoAddress => {
                        log::info!("{label} ({family}): {}", view.explanation)
                    }
                    _ => log::warn!("{label} ({family}): {}", view.explanation),
                }
            }
            self.wan.insert((*family, label.clone()), view);
        }

        // 4. What each record should hold, and which ones must be sent.
        let mut jobs: Vec<Job> = Vec::new();
        for svc in &services {
            let mut due: [Vec<String>; 2] = [Vec::new(), Vec::new()];
            let mut addr: [Option<IpAddr>; 2] = [None, None];
            // Hosts that could be sent (not stopped, an address known), for providers that
            // replace both families with every update.
            let mut sendable: [Vec<String>; 2] = [Vec::new(), Vec::new()];
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
                let plan = self.plan_for(svc, family, &seen, &label_of);
                addr[fidx(family)] = plan.desired;
                let forced = req.update.as_ref().is_some_and(|s| s.as_deref().is_none_or(|n| n == svc.name));
                for host in &svc.hostnames {
                    let key = record_key(&svc.name, host, family);
                    let rec = self.state.records.entry(key.clone()).or_default();
                    if rec.fingerprint != svc.fingerprint {
                        // New or changed configuration: whatever stopped it may be fixed.
                        *rec = Record {
                            registered: rec.registered,
                            updated_at: rec.updated_at,
                            fingerprint: svc.fingerprint,
                            ..Record::default()
                        };
                    }
                    self.plans.insert(key, plan.clone());
                    let Some(want) = plan.desired else { continue };
                    if rec.stopped && !forced {
                        continue;
                    }
                    sendable[fidx(family)].push(host.clone());
                    // A retry whose time has come is decided like any other record from here
                    // on; leaving it set would make it due again at once, forever.
                    if rec.retry_at.is_some_and(|t| now >= t) {
                        rec.retry_at = None;
                    }
                    let backing_off = rec.retry_at.is_some();
                    let stale = rec.updated_at.is_none_or(|t| now >= t + svc.force_interval.as_secs());
                    if forced || (!backing_off && (rec.registered != Some(want) || stale)) {
                        due[fidx(family)].push(host.clone());
                    }
                }
            }
            // Dyn and deSEC drop the family not sent: once anything is due, send both.
            if svc.preset.setting("together") == Some("1") && due.iter().any(|d| !d.is_empty()) {
                due = sendable;
            }
            // One job for both families when they cover the same hosts (DuckDNS and others
            // take A and AAAA in one request), else one per family.
            let [d4, d6] = due;
            let job = |hosts: Vec<String>, v4: bool, v6: bool| Job {
                service: svc,
                hosts,
                v4: addr[0].filter(|_| v4).and_then(as_v4),
                v6: addr[1].filter(|_| v6).and_then(as_v6),
            };
            if !d4.is_empty() && d4 == d6 {
                jobs.push(job(d4, true, true));
            } else {
                if !d4.is_empty() {
                    jobs.push(job(d4, true, false));
                }
                if !d6.is_empty() {
                    jobs.push(job(d6, false, true));
                }
            }
        }

        // 5. Send: each job in its own thread, so one slow provider does not hold up the others.
        let prepared: Vec<(Job, Box<dyn Transport + Send>)> =
            jobs.into_iter().map(|job| (job, env.transport())).collect();
        let outcomes: Vec<JobOutcome> = std::thread::scope(|scope| {
            let handles: Vec<_> = prepared
                .into_iter()
                .map(|(job, mut transport)| {
                    scope.spawn(move || {
                        let svc = job.service;
                        let expected: Vec<(String, Family)> =
                            job.families().flat_map(|(f, _)| job.hosts.iter().map(move |h| (h.clone(), f))).collect();
                        for (family, ip) in job.families() {
                            log::info!(
                                "{}: sending {} {} → {ip} via {}",
                                svc.name,
                                job.hosts.join(","),
                                family.record_type(),
                                svc.provider
                            );
                        }
                        let results = svc.preset.protocol().update(&job, transport.as_mut());
                        JobOutcome { service: svc.name.clone(), results, expected }
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });

        // 6. Record what came of it.
        let mut report = PassReport::default();
        for JobOutcome { service, mut results, expected } in outcomes {
            for (host, family) in expected {
                if !results.iter().any(|r| r.host == host && r.family == family) {
                    results.push(RecordResult {
                        host,
                        family,
                        outcome: Outcome::retry(
                            Kind::MalformedAnswer,
                            "the provider's answer did not mention this record",
                        ),
                    });
                }
            }
            for r in results {
                if let Some(svc) = services.iter().find(|s| s.name == service) {
                    self.apply(svc, &r, now);
                }
                report.results.push((service.clone(), r));
            }
        }
        report
    }

    fn plan_for(
        &self,
        svc: &Service,
        family: Family,
        seen: &BTreeMap<(Family, String), Result<Vec<IfAddr>, SourceError>>,
        label_of: &BTreeMap<(String, Family), String>,
    ) -> Plan {
        let echo = self.echo[fidx(family)].as_ref();
        if svc.ip_source == IpSource::Echo {
            return match echo.and_then(|c| c.result.addr) {
                Some(a) => Plan { desired: Some(a), waiting: None },
                None => Plan {
                    desired: None,
                    waiting: Some(echo.map(|c| c.result.failure()).unwrap_or_else(|| "waiting for the echo".into())),
                },
            };
        }
        let label = &label_of[&(svc.name.clone(), family)];
        let addrs = match &seen[&(family, label.clone())] {
            Ok(a) => a,
            Err(e) => return Plan { desired: None, waiting: Some(format!("{e}: waiting for wan")) },
        };
        let picked = sources::pick(family, addrs, svc.ipv6_match.as_ref());
        let all: Vec<IpAddr> = addrs.iter().map(|a| a.addr).collect();
        let echo_addr = echo.and_then(|c| c.result.addr);
        let v = verdict::classify(picked, &all, echo_addr);
        let desired = verdict::publishable(v, picked, echo_addr, svc.nat_policy);
        let waiting = match (desired, v) {
            (Some(_), _) => None,
            (None, Verdict::NoAddress) if svc.ipv6_match.is_some() && family == Family::V6 => {
                Some(format!("no address on {label} matches ipv6_match"))
            }
            (None, Verdict::NoAddress) => Some(format!("{label} has no {family} address: waiting for wan")),
            (None, Verdict::EchoUnreachable) => {
                Some("waiting for an echo service to confirm the public address".into())
            }
            (None, _) => Some(format!("not published: {} and nat_policy is skip", v.as_str())),
        };
        Plan { desired, waiting }
    }

    fn apply(&mut self, svc: &Service, r: &RecordResult, now: u64) {
        let key = record_key(&svc.name, &r.host, r.family);
        let desired = self.plans.get(&key).and_then(|p| p.desired);
        let rec = self.state.records.entry(key).or_default();
        let what = format!("{}: {} {}", svc.name, r.host, r.family.record_type());
        match &r.outcome {
            Outcome::NotSent => return,
            Outcome::Updated | Outcome::Unchanged => {
                log::info!("{what} = {} ({})", show(desired), r.outcome.label());
                rec.registered = desired;
                rec.updated_at = Some(now);
                rec.error = None;
                rec.failures = 0;
                rec.retry_at = None;
            }
            Outcome::Retry { reason, after, .. } => {
                rec.failures = rec.failures.saturating_add(1);
                let wait = backoff(
                    svc.retry_interval.as_secs(),
                    svc.retry_max.as_secs(),
                    rec.failures,
                    jitter_seed(now, &r.host),
                );
                let wait = after.map_or(wait, |a| wait.max(a.as_secs()));
                rec.retry_at = Some(now + wait);
                rec.error = Some(reason.clone());
                log::warn!("{what}: {reason}; retrying in {wait}s");
            }
            Outcome::Stop { reason, .. } => {
                rec.stopped = true;
                rec.retry_at = None;
                rec.error = Some(reason.clone());
                log::error!("{what}: {reason}; not retrying until the configuration changes");
            }
        }
        rec.last_attempt = Some(now);
        rec.result = Some(r.outcome.label().to_string());
    }

    /// When the engine next has something to do on its own (a retry, a forced refresh, an
    /// echo), as Unix time; `None` when only events can give it work.
    pub fn next_due(&self) -> Option<u64> {
        let mut next: Option<u64> = None;
        let mut at = |t: u64| next = Some(next.map_or(t, |n| n.min(t)));
        for svc in &self.config.services {
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
                for host in &svc.hostnames {
                    let key = record_key(&svc.name, host, family);
                    let Some(rec) = self.state.records.get(&key) else {
                        continue;
                    };
                    if rec.stopped || self.plans.get(&key).is_none_or(|p| p.desired.is_none()) {
                        continue;
                    }
                    if let Some(t) = rec.retry_at {
                        at(t);
                    } else if let Some(t) = rec.updated_at {
                        at(t + svc.force_interval.as_secs());
                    }
                }
            }
        }
        for c in self.echo.iter().zip(self.echo_needed).filter_map(|(c, needed)| c.as_ref().filter(|_| needed)) {
            let wait =
                if c.result.addr.is_some() { self.config.global.echo_interval.as_secs() } else { ECHO_RETRY_SECS };
            at(c.at + wait);
        }
        next
    }
}

fn as_v4(a: IpAddr) -> Option<std::net::Ipv4Addr> {
    match a {
        IpAddr::V4(v) => Some(v),
        IpAddr::V6(_) => None,
    }
}

fn as_v6(a: IpAddr) -> Option<std::net::Ipv6Addr> {
    match a {
        IpAddr::V6(v) => Some(v),
        IpAddr::V4(_) => None,
    }
}

fn show(a: Option<IpAddr>) -> String {
    a.map(|a| a.to_string()).unwrap_or_else(|| "none".into())
}

fn jitter_seed(now: u64, host: &str) -> u64 {
    host.bytes().fold(now ^ u64::from(std::process::id()), |h, b| h.rotate_left(5) ^ u64::from(b))
}

/// Exponential backoff: `base · 2^(failures-1)`, capped at `max`, with ±20 % jitter so many
/// routers that failed together do not retry together. Never below one second.
pub fn backoff(base: u64, max: u64, failures: u32, seed: u64) -> u64 {
    let exp = base.saturating_mul(1u64 << (failures.saturating_sub(1)).min(20)).min(max);
    // xorshift64* of the seed gives a spread in [-20 %, +20 %].
    let mut x = seed | 1;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    let r = x.wrapping_mul(0x2545_f491_4f6c_dd1d) % 401;
    let jittered = exp as i128 * (1000 + r as i128 - 200) / 1000;
    (jittered as u64).clamp(1, max.max(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{HttpError, Request as HttpRequest, Response};
    use std::sync::{Arc, Mutex};

    /// The world as the engine sees it, under the test's control.
    struct World {
        now: u64,
        addrs: Vec<IfAddr>,
        echo: Option<IpAddr>,
        echo_calls: usize,
        sent: Arc<Mutex<Vec<HttpRequest>>>,
    }

    struct Recorder(Arc<Mutex<Vec<HttpRequest>>>);

    impl Transport for Recorder {
        fn send(&mut self, req: &HttpRequest) -> Result<Response, HttpError> {
            self.0.lock().unwrap().push(req.clone());
            Ok(Response { status: 200, headers: vec![], body: "good\n".into() })
        }
    }

    impl Env for World {
        fn now(&self) -> u64 {
            self.now
        }
        fn interface_addrs(&mut self, _: &Service, _: Family) -> (String, Result<Vec<IfAddr>, SourceError>) {
            ("wan".into(), Ok(self.addrs.clone()))
        }
        fn echo(&mut self, _: Family, _: &[String]) -> EchoResult {
            self.echo_calls += 1;
            EchoResult { addr: self.echo, answers: vec![] }
        }
        fn transport(&mut self) -> Box<dyn Transport + Send> {
            Box::new(Recorder(self.sent.clone()))
        }
    }

    fn world(addr: &str, echo: &str) -> World {
        World {
            now: 1_800_000_000,
            addrs: vec![IfAddr::new(addr.parse().unwrap(), 24)],
            echo: echo.parse().ok(),
            echo_calls: 0,
            sent: Arc::default(),
        }
    }

    fn engine(service: &str) -> Engine {
        let cfg =
            crate::config::from_str("test", &format!("config edgeddns 'global'\n option persist_file ''\n{service}"))
                .unwrap();
        assert!(cfg.errors.is_empty(), "{:?}", cfg.errors);
        Engine::new(cfg, State::default(), false)
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let seeds = 0..200u64;
        for s in seeds {
            assert!((24..=36).contains(&backoff(30, 3600, 1, s)));
            assert!((48..=72).contains(&backoff(30, 3600, 2, s)));
            assert!((192..=288).contains(&backoff(30, 3600, 4, s)));
            assert!(backoff(30, 3600, 30, s) <= 3600);
            assert!(backoff(30, 3600, 30, s) >= 2880);
        }
        let spread: std::collections::BTreeSet<u64> = (0..50).map(|s| backoff(100, 3600, 1, s)).collect();
        assert!(spread.len() > 10, "jitter must spread retries: {spread:?}");
    }

    const NOIP: &str = "config service s\n option provider 'no-ip'\n list hostname 'h.example.org'\n option username u\n option password p\n";

    fn sent(w: &World) -> Vec<String> {
        w.sent.lock().unwrap().iter().map(|r| r.url.clone()).collect()
    }

    #[test]
    fn nothing_changed_means_no_network_traffic() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.pass(&mut w, &Request::default());
        assert_eq!((w.echo_calls, sent(&w).len()), (1, 1));
        for _ in 0..2 {
            w.now += 600; // the safety re-check, every 10 minutes
            let r = e.pass(&mut w, &Request::default());
            assert!(r.results.is_empty());
        }
        assert_eq!(w.echo_calls, 1, "the echo waits for echo_interval (30m)");
        assert_eq!(sent(&w).len(), 1);
        w.now += 600;
        e.pass(&mut w, &Request::default());
        assert_eq!(w.echo_calls, 2, "echo_interval has passed");
        assert_eq!(sent(&w).len(), 1, "still the same address: nothing to send");
    }

    #[test]
    fn an_address_change_asks_the_echo_again_and_sends() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.pass(&mut w, &Request::default());
        w.addrs = vec![IfAddr::new("203.0.113.2".parse().unwrap(), 24)];
        w.echo = "203.0.113.2".parse().ok();
        w.now += 5;
        e.pass(&mut w, &Request::default());
        assert_eq!(w.echo_calls, 2);
        assert!(sent(&w)[1].ends_with("myip=203.0.113.2"), "{:?}", sent(&w));
        assert_eq!(e.wan_views().next().unwrap().verdict, Verdict::Public);
    }

    #[test]
    fn force_interval_resends_an_unchanged_address() {
        let mut e = engine(&format!("{NOIP} option force_interval '2d'\n"));
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.pass(&mut w, &Request::default());
        assert!(e.next_due().is_some_and(|t| t - w.now <= 2 * 86400));
        w.now += 2 * 86400 - 1;
        e.pass(&mut w, &Request::default());
        assert_eq!(sent(&w).len(), 1);
        w.now += 1;
        e.pass(&mut w, &Request::default());
        assert_eq!(sent(&w).len(), 2, "refresh after force_interval");
    }

    #[test]
    fn cgnat_publishes_the_echo_address_and_explains() {
        let mut e = engine(NOIP);
        let mut w = world("100.64.7.8", "198.51.100.20");
        e.pass(&mut w, &Request::default());
        assert!(sent(&w)[0].ends_with("myip=198.51.100.20"));
        let v = e.wan_views().next().unwrap();
        assert_eq!(v.verdict, Verdict::Cgnat);
        assert!(v.explanation.contains("CGNAT"));
    }

    #[test]
    fn providers_that_replace_both_families_get_both() {
        let mut e = engine(
            "config service s\n option provider 'desec'\n list hostname 'h.dedyn.io'\n option username 'h.dedyn.io'\n \
             option password p\n option ipv6 1\n",
        );
        let mut w = world("203.0.113.1", "203.0.113.1");
        w.addrs.push(IfAddr::new("2001:db8::1".parse().unwrap(), 64));
        w.echo = None; // echo unreachable: public-looking addresses are still published
        e.pass(&mut w, &Request::default());
        assert_eq!(sent(&w).len(), 1);
        assert!(sent(&w)[0].ends_with("myipv4=203.0.113.1&myipv6=2001%3Adb8%3A%3A1"), "{:?}", sent(&w));
        // Only IPv4 changes: deSEC would drop the AAAA record, so both are sent again.
        w.addrs[0] = IfAddr::new("203.0.113.9".parse().unwrap(), 24);
        w.now += 5;
        e.pass(&mut w, &Request::default());
        assert!(sent(&w)[1].ends_with("myipv4=203.0.113.9&myipv6=2001%3Adb8%3A%3A1"), "{:?}", sent(&w));
    }

    /// The daemon sleeps until `next_due`: it must never be in the past after a pass, or the
    /// loop would spin.
    #[test]
    fn nothing_is_due_in_the_past_after_a_pass() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "none");
        e.pass(&mut w, &Request::default());
        assert!(e.next_due().is_some_and(|t| t > w.now), "a failed echo is asked again later, not now");
        // The WAN goes down after a failed echo: nothing to compare, so nothing is due.
        w.addrs.clear();
        w.now += 120;
        e.pass(&mut w, &Request::default());
        assert!(e.next_due().is_none_or(|t| t > w.now), "{:?} vs {}", e.next_due(), w.now);
        // A retry whose address became the registered one again is no longer pending.
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.pass(&mut w, &Request::default());
        let key = record_key("s", "h.example.org", Family::V4);
        e.state.records.get_mut(&key).unwrap().retry_at = Some(w.now + 30);
        w.now += 31;
        e.pass(&mut w, &Request::default());
        assert!(e.next_due().is_some_and(|t| t > w.now));
        assert_eq!(e.state.records[&key].retry_at, None);
    }

    #[test]
    fn an_explicit_update_request_sends_even_without_change() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.pass(&mut w, &Request::default());
        e.pass(&mut w, &Request { echo: false, update: Some(Some("other".into())) });
        assert_eq!(sent(&w).len(), 1, "another service was asked for");
        e.pass(&mut w, &Request { echo: false, update: Some(Some("s".into())) });
        assert_eq!(sent(&w).len(), 2);
    }
}
