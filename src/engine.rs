//! The update engine: from what the sources see, decide per record what must change, send it
//! through the providers, and remember the outcome. It owns no sockets and no clock: the
//! daemon, `once` and the tests drive it through `Env`.

use crate::config::{Config, IpSource, Service};
use crate::dns::Exchange;
use crate::event::{Action, Event};
use crate::http::Transport;
use crate::net::Family;
use crate::providers::{Code, Job, Kind, Net, Outcome, RecordResult, Target};
use crate::sources::echo::EchoResult;
use crate::sources::lan::{self, Missing, Neighbour, V6From};
use crate::sources::{self, IfAddr, Note, Reading, SourceError};
use crate::state::{Record, RecordKey, State};
use crate::verdict::{self, Verdict};
use crate::verify;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// After a failed echo, ask again this soon rather than waiting the whole echo interval.
const ECHO_RETRY_SECS: u64 = 60;

/// When this binary was built (Unix time): a clock that reads earlier has not been set yet.
pub fn build_time() -> u64 {
    env!("EDGEDDNS_BUILD_TIME").parse().unwrap_or(0)
}

/// What the engine needs from the outside world.
pub trait Env {
    /// Unix time in seconds.
    fn now(&self) -> u64;
    /// The addresses on the interface this service reads for `family`, and a label naming it
    /// (`wan`, `eth1`) for status and logs.
    fn interface_addrs(&mut self, svc: &Service, family: Family) -> Reading;
    /// Ask the echo services, through WAN `wan` (a label of `interface_addrs`) if given.
    fn echo(&mut self, family: Family, wan: Option<&str>, urls: &[String]) -> EchoResult;
    /// The kernel's neighbour table, for LAN hosts found by MAC.
    fn neighbours(&mut self) -> Vec<Neighbour> {
        Vec::new()
    }
    /// The DHCPv6 server's leases by MAC (odhcpd), where there is one.
    fn dhcpv6_leases(&mut self) -> Vec<Neighbour> {
        Vec::new()
    }
    /// The network of one provider job, through WAN `wan` if given; jobs run in parallel threads.
    fn job_net(&mut self, wan: Option<&str>) -> JobNet;
}

/// A job's `Net`, owned, so that it can move to the worker thread that runs the job.
pub struct JobNet {
    pub http: Box<dyn Transport + Send>,
    pub dns: Box<dyn Exchange + Send>,
}

impl JobNet {
    pub fn as_net(&mut self) -> Net<'_> {
        Net { http: self.http.as_mut(), dns: self.dns.as_mut() }
    }
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
    /// Why the address was read from the kernel rather than netifd, when it was.
    pub note: Option<Note>,
    pub echo: Option<IpAddr>,
    pub verdict: Verdict,
    pub explanation: String,
    pub checked_at: u64,
    /// The verdict last reported (logged, sent as an event): a "checking" in between, while
    /// the echo is asked about a new address, is no change.
    pub reported: Option<Verdict>,
}

/// The echo of one family: per WAN when requests leave through the WAN they are for
/// (`bind_wan`), else one (`wan` None) asked along the routing table.
#[derive(Clone, Debug)]
struct Echo {
    family: Family,
    wan: Option<String>,
    cache: Option<EchoCache>,
    /// A query under way: since when, and the interface addresses it speaks for.
    busy: Option<(u64, Vec<Option<IpAddr>>)>,
    /// Someone asked for a fresh echo (start-up, SIGUSR1, ubus `detect`).
    asked: bool,
}

#[derive(Clone, Debug)]
struct EchoCache {
    result: EchoResult,
    at: u64,
    /// Interface addresses when it was asked: only while they still hold does the answer
    /// speak for them, and a change makes the echo due again.
    basis: Vec<Option<IpAddr>>,
}

/// Per record, what the engine wants and why (for status).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub desired: Option<IpAddr>,
    /// Why nothing is published when `desired` is None: what it waits for, in words.
    pub waiting: Option<(WaitFor, String)>,
    /// Due, but the service's previous job is still running: sent as soon as it ends.
    pub queued: bool,
    /// The WAN `desired` comes from, and when it is not the service's first choice, why not.
    pub wan: Option<String>,
    pub fallback: Option<String>,
}

/// What a record without an address to publish waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    Wan,
    Echo,
    Ipv6Match,
    NatPolicy,
    /// A LAN host: the LAN has no global prefix.
    Lan,
    /// A LAN host: the device is not in the neighbour table (gone, or not seen yet).
    Device,
    /// The router's clock is not set yet (NTP).
    Clock,
}

impl WaitFor {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitFor::Wan => "wan",
            WaitFor::Echo => "echo",
            WaitFor::Ipv6Match => "ipv6-match",
            WaitFor::NatPolicy => "nat-policy",
            WaitFor::Lan => "lan",
            WaitFor::Device => "device",
            WaitFor::Clock => "clock",
        }
    }
}

type LanAddr = Result<IpAddr, (WaitFor, String)>;

/// Echo answers and interface reads of the last observation, per family and WAN label.
type Seen = BTreeMap<(Family, String), (Result<Vec<IfAddr>, SourceError>, Option<Note>)>;

pub struct Engine {
    pub config: Config,
    pub state: State,
    pub dry_run: bool,
    wan: BTreeMap<(Family, String), WanView>,
    echo: Vec<Echo>,
    /// `Config::bind_wan`, decided at (re)load.
    bind: bool,
    seen: Seen,
    /// (service, family) → the labels of the WANs it reads, in its order.
    label_of: BTreeMap<(String, Family), Vec<String>>,
    /// The address each LAN host record should hold, or what it waits for, and whether its
    /// device is gone (`Missing::Device`: the one absence `on_absent 'delete'` acts on).
    lan: Vec<(String, Family, LanAddr, bool)>,
    plans: BTreeMap<RecordKey, Plan>,
    /// Services asked to send now whatever the state (`update`), until their job starts.
    forced: Vec<String>,
    /// Services with jobs in flight: never two at once for one service.
    busy: Vec<Busy>,
    /// The authoritative checks of the records.
    pub checks: verify::Checks,
    /// No true clock reads earlier than this (the daemon sets the build time; 0: no floor).
    pub clock_floor: u64,
    /// The clock is not set yet (it read before `clock_floor`, or a certificate was not valid
    /// yet): no job goes out until the clock jumps or someone asks.
    clock_wait: bool,
    /// Changes of a record's result or a WAN's verdict, for the daemon to send on.
    pub events: Vec<Event>,
}

// Lists rather than maps: a router has a handful of services, and every map type costs flash.
#[derive(Clone, Debug)]
struct Busy {
    service: String,
    since: u64,
    /// Jobs still out carrying its records (A and AAAA bound to two WANs go in two).
    jobs: usize,
}

/// One record of a job, and the service (a service or a LAN host) it belongs to.
#[derive(Clone, Debug)]
pub struct Member {
    pub service: String,
    fingerprint: u64,
    pub target: Target,
}

/// One provider job, owned, so that it can run on a worker thread: the due records of one
/// account, a service's and those of the LAN hosts it publishes, sent together.
#[derive(Clone, Debug)]
pub struct JobSpec {
    /// The service whose account and provider the job uses.
    pub service: Service,
    pub records: Vec<Member>,
    /// The WAN the job leaves through, when requests are bound to theirs.
    pub wan: Option<String>,
    /// Withdraw the records (their LAN device is gone) instead of writing the addresses.
    pub delete: bool,
}

/// What one provider job answered, and which records it was meant to cover.
#[derive(Debug)]
pub struct JobDone {
    records: Vec<Member>,
    results: Vec<RecordResult>,
    delete: bool,
}

impl Member {
    /// `hosts` of `svc`, each to hold `ip`.
    fn all(svc: &Service, hosts: &[String], ip: IpAddr) -> Vec<Member> {
        (hosts.iter())
            .map(|h| Member {
                service: svc.name.clone(),
                fingerprint: svc.fingerprint,
                target: Target { host: h.clone(), ip },
            })
            .collect()
    }
}

/// The first record of each service among `records`, in order.
fn each_service(records: &[Member]) -> Vec<&Member> {
    let mut out: Vec<&Member> = Vec::new();
    for m in records {
        if !out.iter().any(|o| o.service == m.service) {
            out.push(m);
        }
    }
    out
}

impl JobSpec {
    /// Whether `other`'s records can go out in this job: the same account, the same way out,
    /// the same kind of change, and no record twice.
    fn takes(&self, other: &JobSpec) -> bool {
        self.service.account_name() == other.service.account_name()
            && self.wan == other.wan
            && self.delete == other.delete
            && !other.records.iter().any(|o| {
                self.records.iter().any(|m| m.target.host == o.target.host && m.target.family() == o.target.family())
            })
    }

    /// The services the job carries records of, each once.
    fn services(&self) -> Vec<&str> {
        each_service(&self.records).into_iter().map(|m| m.service.as_str()).collect()
    }

    /// Send the job through `net` (blocking: run it off the event loop).
    pub fn run(&self, net: Net) -> JobDone {
        let mut records: Vec<Target> = self.records.iter().map(|m| m.target.clone()).collect();
        // Host by host, as protocols that write a name's records together expect.
        let hosts: Vec<&str> = self.records.iter().map(|m| m.target.host.as_str()).collect();
        records.sort_by_key(|r| hosts.iter().position(|h| *h == r.host));
        let job = Job { account: &self.service.account, records, delete: self.delete };
        // One line per service, family and address.
        let mut lines: Vec<(&str, IpAddr, Vec<&str>)> = Vec::new();
        for m in &self.records {
            match lines.iter_mut().find(|(s, ip, _)| *s == m.service && *ip == m.target.ip) {
                Some((_, _, hosts)) => hosts.push(&m.target.host),
                None => lines.push((&m.service, m.target.ip, vec![&m.target.host])),
            }
        }
        let verb = if self.delete { "deleting (device gone)" } else { "sending" };
        for (service, ip, hosts) in lines {
            let rtype = Family::of(&ip).record_type();
            log::info!("{service}: {verb} {} {rtype} → {ip} via {}", hosts.join(","), self.service.provider);
        }
        let results = self.service.account.preset.protocol().update(&job, net);
        JobDone { records: self.records.clone(), results, delete: self.delete }
    }
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
            echo: Vec::new(),
            bind: false,
            seen: BTreeMap::new(),
            label_of: BTreeMap::new(),
            lan: Vec::new(),
            plans: BTreeMap::new(),
            forced: Vec::new(),
            busy: Vec::new(),
            checks: verify::Checks::default(),
            clock_floor: 0,
            clock_wait: false,
            events: Vec::new(),
        };
        e.forget_unconfigured();
        e
    }

    /// Whether updates wait for the clock to be set (NTP).
    pub fn waiting_for_clock(&self) -> bool {
        self.clock_wait
    }

    /// Whether requests leave through the WAN they are for (then each WAN has its own echo).
    pub fn binds(&self) -> bool {
        self.bind
    }

    /// New configuration (SIGHUP, ubus reload). Records of services that are gone are dropped;
    /// a changed service gets a fresh start on its next pass (fingerprint). Jobs still running
    /// finish, but what they bring back for a changed service is dropped (`finish`).
    pub fn reload(&mut self, config: Config) {
        self.config = config;
        self.plans.clear();
        self.forget_unconfigured();
    }

    fn forget_unconfigured(&mut self) {
        self.bind = self.config.bind_wan();
        let keys: Vec<RecordKey> = self
            .config
            .services
            .iter()
            .flat_map(|s| {
                s.hostnames.iter().flat_map(move |h| {
                    Family::ALL.iter().filter(|f| s.wants(**f)).map(move |f| RecordKey::new(&s.name, h, *f))
                })
            })
            .collect();
        self.state.retain(|k| keys.iter().any(|x| x == k));
        self.checks.retain(&keys);
    }

    pub fn wan_views(&self) -> impl Iterator<Item = &WanView> {
        self.wan.values()
    }

    pub fn plan(&self, key: &RecordKey) -> Option<&Plan> {
        self.plans.get(key)
    }

    /// The first WAN a service reads for `family`, as last judged.
    pub fn wan_for(&self, svc: &Service, family: Family) -> Option<&WanView> {
        let label = self.label_of.get(&(svc.name.clone(), family))?.first()?;
        self.wan.get(&(family, label.clone()))
    }

    /// Every echo's last answer: family, and the WAN it was asked through if bound.
    pub fn echo_results(&self) -> impl Iterator<Item = (Family, Option<&str>, &EchoResult)> {
        self.echo.iter().filter_map(|e| Some((e.family, e.wan.as_deref(), &e.cache.as_ref()?.result)))
    }

    /// Since when the service's job has been running, if one is.
    pub fn in_flight(&self, service: &str) -> Option<u64> {
        self.busy.iter().find(|b| b.service == service).map(|b| b.since)
    }

    /// Take note of what was asked for; `observe`, `echo_wanted` and `take_jobs` act on it.
    pub fn request(&mut self, req: &Request) {
        // Whatever was asked, the clock may have been set meanwhile: try again.
        if req.echo || req.update.is_some() {
            self.clock_wait = false;
        }
        if req.echo {
            self.echo.iter_mut().for_each(|e| e.asked = true);
        }
        match &req.update {
            None => {}
            Some(None) => self.forced = self.config.services.iter().map(|s| s.name.clone()).collect(),
            Some(Some(name)) if !self.forced.contains(name) => self.forced.push(name.clone()),
            Some(Some(_)) => {}
        }
    }

    /// One synchronous pass for `once` and tests: observe, ask the echo when due, observe
    /// again (what is published is read after the waits), send, record.
    pub fn pass(&mut self, env: &mut dyn Env, req: &Request) -> PassReport {
        self.request(req);
        let mut asked = self.observe(env);
        // An address that changed while the echo was asked makes it due again; a line that
        // flaps for ever is judged on its third look.
        for _ in 0..3 {
            if asked.is_empty() {
                break;
            }
            for (family, wan, urls) in asked {
                let result = env.echo(family, wan.as_deref(), &urls);
                self.echo_done(family, wan, result, env.now());
            }
            asked = self.observe(env);
        }
        for e in &mut self.echo {
            e.busy = None;
        }
        let jobs = self.take_jobs(env.now(), usize::MAX);
        // One after another: each is bounded by its deadline, and the daemon runs them on its
        // workers in parallel instead.
        let done: Vec<JobDone> = jobs.iter().map(|job| job.run(env.job_net(job.wan.as_deref()).as_net())).collect();
        let now = env.now();
        let mut report = PassReport::default();
        for d in done {
            report.results.extend(self.finish(d, now));
        }
        report
    }

    /// Read every service's interface addresses (local: netifd's cache or the kernel), judge
    /// each WAN with the echo answer that still speaks for it, and return the echo queries
    /// now due (marked as under way until `echo_done`).
    pub fn observe(&mut self, env: &mut dyn Env) -> Vec<(Family, Option<String>, Vec<String>)> {
        let now = env.now();
        let mut seen: Seen = BTreeMap::new();
        let mut label_of = BTreeMap::new();
        let mut lan = Vec::new();
        // One read of the tables for every host found by MAC.
        let mut tables: Option<[Vec<Neighbour>; 2]> = None;
        for svc in &self.config.services {
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f) && svc.ip_source != IpSource::Echo) {
                if let Some(host) = svc.lan_family(family) {
                    let Reading { label, addrs, .. } = env.interface_addrs(svc, family);
                    let from = host.v6.unwrap_or(V6From::Neighbour);
                    let [neighbours, leases]: &[Vec<Neighbour>; 2] =
                        if family == Family::V4 || from == V6From::Neighbour {
                            tables.get_or_insert_with(|| [env.neighbours(), env.dhcpv6_leases()])
                        } else {
                            &[Vec::new(), Vec::new()]
                        };
                    let read = addrs.as_ref().map(|a| lan::address(family, from, host.mac, a, neighbours, leases));
                    let gone = matches!(read, Ok(Err(Missing::Device)));
                    let addr = match read {
                        Ok(r) => r.map_err(|m| lan_wait(m, &label, host.withdraw_after.is_some())),
                        Err(e) => Err((WaitFor::Lan, format!("{e}: waiting for the LAN"))),
                    };
                    lan.push((svc.name.clone(), family, addr, gone));
                    continue;
                }
                let mut labels = Vec::new();
                for wan in svc.wans(family) {
                    let Reading { label, addrs, note } = env.interface_addrs(&svc.on_wan(family, wan), family);
                    labels.push(label.clone());
                    seen.entry((family, label)).or_insert((addrs, note));
                }
                label_of.insert((svc.name.clone(), family), labels);
            }
        }
        self.seen = seen;
        self.label_of = label_of;
        self.lan = lan;
        // The echoes wanted now: per WAN seen when bound, else one per family; the unbound
        // one also for services that publish what the echo sees.
        let mut wanted: Vec<(Family, Option<String>)> = Vec::new();
        for family in Family::ALL.into_iter().filter(|f| self.config.services.iter().any(|s| s.wants(*f))) {
            if !self.bind || self.echo_services(family) {
                wanted.push((family, None));
            }
            if self.bind {
                wanted.extend(self.seen.keys().filter(|(f, _)| *f == family).map(|(f, l)| (*f, Some(l.clone()))));
            }
        }
        self.echo.retain(|e| wanted.iter().any(|(f, w)| *f == e.family && *w == e.wan));
        for (family, wan) in wanted {
            if !self.echo.iter().any(|e| e.family == family && e.wan == wan) {
                self.echo.push(Echo { family, wan, cache: None, busy: None, asked: false });
            }
        }
        let asked = self.echo_wanted(now);
        self.judge_wans(now);
        asked
    }

    fn echo_services(&self, family: Family) -> bool {
        self.config.services.iter().any(|s| s.wants(family) && s.ip_source == IpSource::Echo)
    }

    /// The picked interface address of every WAN of `family` the echo through `wan` speaks
    /// for (all of them for the unbound echo), as last observed.
    fn basis(&self, family: Family, wan: Option<&str>) -> Vec<Option<IpAddr>> {
        self.seen
            .iter()
            .filter(|((f, l), _)| *f == family && wan.is_none_or(|w| w == l))
            .map(|(_, (r, _))| r.as_ref().ok().and_then(|a| sources::pick(family, a, None)))
            .collect()
    }

    /// Whether the echo has anything to be compared with (an interface address, or a service
    /// that publishes the echo address); an unneeded echo is never due.
    fn needed(&self, e: &Echo) -> bool {
        match &e.wan {
            Some(w) => self.basis(e.family, Some(w)).iter().any(Option::is_some),
            None => {
                self.echo_services(e.family) || (!self.bind && self.basis(e.family, None).iter().any(Option::is_some))
            }
        }
    }

    /// The echo that speaks for WAN `label` (`None`: for the services that publish the echo).
    fn echo_for(&self, family: Family, label: Option<&str>) -> Option<&Echo> {
        let wan = label.filter(|_| self.bind);
        self.echo.iter().find(|e| e.family == family && e.wan.as_deref() == wan)
    }

    /// The echo's address, if it was asked for the interface addresses seen now: an answer
    /// given for an address that has gone since says nothing about the new one.
    fn current_echo(&self, family: Family, label: Option<&str>) -> Option<IpAddr> {
        let e = self.echo_for(family, label)?;
        let c = e.cache.as_ref()?;
        let fresh = c.basis == self.basis(family, e.wan.as_deref());
        (fresh || (e.wan.is_none() && self.echo_services(family))).then_some(c.result.addr).flatten()
    }

    fn echo_off(&self) -> bool {
        self.config.global.echo_interval.is_zero()
    }

    fn echo_wanted(&mut self, now: u64) -> Vec<(Family, Option<String>, Vec<String>)> {
        let mut out = Vec::new();
        for i in 0..self.echo.len() {
            let e = &self.echo[i];
            let urls = match e.family {
                Family::V4 => &self.config.global.echo_urls_v4,
                Family::V6 => &self.config.global.echo_urls_v6,
            };
            if e.busy.is_some() || urls.is_empty() || self.echo_off() || !self.needed(e) {
                continue;
            }
            let basis = self.basis(e.family, e.wan.as_deref());
            let due = match &e.cache {
                None => true,
                Some(c) => {
                    let wait = if c.result.addr.is_some() {
                        self.config.global.echo_interval.as_secs()
                    } else {
                        ECHO_RETRY_SECS
                    };
                    e.asked || c.basis != basis || now >= c.at.saturating_add(wait)
                }
            };
            if due {
                out.push((e.family, e.wan.clone(), urls.clone()));
                let e = &mut self.echo[i];
                e.asked = false;
                e.busy = Some((now, basis));
            }
        }
        out
    }

    /// The echo of `family` (through `wan`) answered: keep it for the addresses it was asked
    /// for. An echo no longer wanted (a reload) is dropped.
    pub fn echo_done(&mut self, family: Family, wan: Option<String>, result: EchoResult, now: u64) {
        let through = wan.as_deref().map(|w| format!(" through {w}")).unwrap_or_default();
        match &result.addr {
            Some(a) => crate::debug!("echo ({family}{through}): the internet sees {a}"),
            None => log::warn!("echo ({family}{through}): {}", result.failure()),
        }
        let basis = self.basis(family, wan.as_deref());
        if let Some(e) = self.echo.iter_mut().find(|e| e.family == family && e.wan == wan) {
            let basis = e.busy.take().map_or(basis, |(_, b)| b);
            e.cache = Some(EchoCache { result, at: now, basis });
        }
        self.judge_wans(now);
    }

    /// The verdict per WAN, logged when it changes; WANs no service reads any more are dropped.
    fn judge_wans(&mut self, now: u64) {
        self.wan.retain(|k, _| self.seen.contains_key(k));
        for ((family, label), (addrs, note)) in &self.seen {
            let echo = self.current_echo(*family, Some(label));
            let state = if self.echo_off() {
                EchoState::Off
            } else if self.echo_for(*family, Some(label)).is_some_and(|e| e.busy.is_some()) {
                EchoState::Asking
            } else {
                EchoState::Asked
            };
            let mut view = judge(*family, label, addrs, *note, echo, state, now);
            let v = view.verdict;
            let old = self.wan.get(&(*family, label.clone()));
            match old {
                Some(old) if old.address != view.address => log::info!(
                    "{label} ({family}): address changed from {} to {}",
                    show(old.address),
                    show(view.address)
                ),
                None if view.address.is_some() => log::info!("{label} ({family}): address {}", show(view.address)),
                _ => {}
            }
            // "Checking" is no verdict worth a log line: the answer comes in a moment.
            let checking = v == Verdict::EchoUnreachable && state == EchoState::Asking;
            view.reported = old.and_then(|o| o.reported);
            if view.reported != Some(v) && !checking {
                view.reported = Some(v);
                match v {
                    Verdict::Public | Verdict::NoAddress => log::info!("{label} ({family}): {}", view.explanation),
                    _ => log::warn!("{label} ({family}): {}", view.explanation),
                }
                self.events.push(Event {
                    action: Action::Verdict,
                    service: label.clone(),
                    hostname: String::new(),
                    family: *family,
                    address: view.address,
                    result: v.as_str().to_string(),
                    detail: view.explanation.clone(),
                });
            }
            self.wan.insert((*family, label.clone()), view);
        }
    }

    /// Decide per record what it should hold, and hand out the jobs that must be sent now:
    /// at most `limit`, never for a service whose previous job still runs (its records are
    /// marked queued and decided again when that job ends, with the addresses of then).
    pub fn take_jobs(&mut self, now: u64, limit: usize) -> Vec<JobSpec> {
        let mut jobs: Vec<JobSpec> = Vec::new();
        let services = self.config.services.clone();
        if now < self.clock_floor && !self.clock_wait {
            log::warn!("the clock reads {now}, before this program was built: waiting for the clock (NTP)");
            self.clock_wait = true;
        }
        for svc in &services {
            let forced = self.forced.contains(&svc.name);
            let due = self.due_records(svc, now, forced);
            let [(d4, a4), (d6, a6)] = due;
            // Asked every pass, as it also notes when a device went or came back.
            let withdrawal = self.withdrawal(svc, now).filter(|_| d4.is_empty() && d6.is_empty());
            if withdrawal.is_none() && d4.is_empty() && d6.is_empty() || self.clock_wait {
                continue;
            }
            let parts = match withdrawal {
                Some(job) => vec![job],
                None => {
                    let mut parts: Vec<JobSpec> = Vec::new();
                    for (hosts, ip, family) in [(&d4, a4, Family::V4), (&d6, a6, Family::V6)] {
                        if let Some(ip) = ip.filter(|_| !hosts.is_empty()) {
                            let records = Member::all(svc, hosts, ip);
                            let wan = self.job_wan(svc, family);
                            parts.push(JobSpec { service: svc.clone(), records, wan, delete: false });
                        }
                    }
                    parts
                }
            };
            // A part that rides in a job already handed out takes no worker of its own.
            let more = parts.iter().any(|p| !jobs.iter().any(|j| j.takes(p)));
            let busy = self.in_flight(&svc.name).is_some() || more && jobs.len() >= limit;
            for family in Family::ALL {
                let hosts = if family == Family::V4 { &d4 } else { &d6 };
                for host in hosts {
                    if let Some(p) = self.plans.get_mut(&RecordKey::new(&svc.name, host, family)) {
                        p.queued = busy;
                    }
                }
            }
            if busy {
                continue;
            }
            if !parts.iter().any(|p| p.delete) {
                self.forced.retain(|n| *n != svc.name);
            }
            // One job per account and way out: a service's A and AAAA records (DuckDNS and
            // others take both in one request), and the LAN hosts it publishes, which a new
            // delegated prefix makes due together.
            for part in parts {
                match jobs.iter_mut().find(|j| j.takes(&part)) {
                    Some(job) => job.records.extend(part.records),
                    None => jobs.push(part),
                }
            }
        }
        // A service stays busy until every job carrying its records is back.
        for name in jobs.iter().flat_map(JobSpec::services) {
            match self.busy.iter_mut().find(|b| b.service == name) {
                Some(b) => b.jobs += 1,
                None => self.busy.push(Busy { service: name.to_string(), since: now, jobs: 1 }),
            }
        }
        jobs
    }

    /// Per family, the hosts of `svc` that must be sent now and the address they should hold.
    fn due_records(&mut self, svc: &Service, now: u64, forced: bool) -> [(Vec<String>, Option<IpAddr>); 2] {
        let mut due: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        let mut addr: [Option<IpAddr>; 2] = [None, None];
        // Hosts that could be sent (not stopped, an address known), for providers that
        // replace both families with every update.
        let mut sendable: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
            let plan = self.plan_for(svc, family);
            addr[fidx(family)] = plan.desired;
            for host in &svc.hostnames {
                let key = RecordKey::new(&svc.name, host, family);
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
                // Our own backoff belongs to the address that failed: a new address is sent
                // at once. A wait the provider asked for holds for any address.
                if rec.retry_at.is_some() && !rec.retry_by_provider && rec.retry_for != Some(want) {
                    rec.retry_at = None;
                }
                let backing_off = rec.retry_at.is_some();
                let stale = rec.updated_at.is_none_or(|t| now >= t.saturating_add(svc.force_interval.as_secs()));
                if forced || (!backing_off && (rec.registered != Some(want) || stale)) {
                    due[fidx(family)].push(host.clone());
                }
            }
        }
        // Dyn and deSEC drop the family not sent: once anything is due, send both.
        if svc.account.preset.together && due.iter().any(|d| !d.is_empty()) {
            due = sendable;
        }
        let [d4, d6] = due;
        [(d4, addr[0]), (d6, addr[1])]
    }

    /// The deletion due for a LAN host with `on_absent 'delete'` whose device has been gone
    /// for its grace: of the records still published and not backing off, per family, or of
    /// both families at once when they cover the same hosts.
    fn withdrawal(&mut self, svc: &Service, now: u64) -> Option<JobSpec> {
        let grace = svc.lan.as_ref()?.withdraw_after?.as_secs();
        let mut due: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        let mut addr: [Option<IpAddr>; 2] = [None, None];
        for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
            let gone = self.lan.iter().any(|(n, f, _, g)| *n == svc.name && *f == family && *g);
            for host in &svc.hostnames {
                let Some(rec) = self.state.records.get_mut(&RecordKey::new(&svc.name, host, family)) else {
                    continue;
                };
                if !gone {
                    rec.absent_since = None;
                    continue;
                }
                let since = *rec.absent_since.get_or_insert(now);
                let backing_off = rec.retry_at.is_some_and(|t| now < t);
                if rec.registered.is_some() && !rec.stopped && !backing_off && now >= since.saturating_add(grace) {
                    addr[fidx(family)] = addr[fidx(family)].or(rec.registered);
                    due[fidx(family)].push(host.clone());
                }
            }
        }
        let records: Vec<Member> =
            due.iter().zip(addr).filter_map(|(hosts, ip)| Some(Member::all(svc, hosts, ip?))).flatten().collect();
        (!records.is_empty()).then(|| JobSpec { service: svc.clone(), records, wan: None, delete: true })
    }

    /// A job came back: record its outcome. A job of a service that was reconfigured or
    /// removed while it ran is dropped, as its answer is about a configuration that is gone.
    pub fn finish(&mut self, done: JobDone, now: u64) -> Vec<(String, RecordResult)> {
        let JobDone { records, results, delete } = done;
        let mut out = Vec::new();
        for (name, fingerprint) in each_service(&records).into_iter().map(|m| (m.service.as_str(), m.fingerprint)) {
            if let Some(b) = self.busy.iter_mut().find(|b| b.service == name) {
                b.jobs = b.jobs.saturating_sub(1);
            }
            let Some(svc) =
                self.config.services.iter().find(|s| s.name == name && s.fingerprint == fingerprint).cloned()
            else {
                log::info!("{name}: configuration changed while its update ran; the answer is not recorded");
                continue;
            };
            for m in records.iter().filter(|m| m.service == name) {
                let family = m.target.family();
                let r = results.iter().find(|r| r.host == m.target.host && r.family == family).cloned();
                let r = r.unwrap_or_else(|| RecordResult {
                    host: m.target.host.clone(),
                    family,
                    outcome: Outcome::retry(Kind::MalformedAnswer, "the provider's answer did not mention this record"),
                });
                let key = RecordKey::new(name, &r.host, family);
                // A withdrawn record holds nothing: the device's return publishes it again.
                self.apply(&svc, &r, Some(m.target.ip).filter(|_| !delete), now);
                if r.outcome.is_success() && delete {
                    if let Some(rec) = self.state.records.get_mut(&key) {
                        rec.result = Some(Code::Withdrawn);
                    }
                } else if r.outcome.is_success() {
                    self.checks.soon(Some(&key), now);
                }
                out.push((name.to_string(), r));
            }
        }
        self.busy.retain(|b| b.jobs > 0);
        out
    }

    /// When the next authoritative check is due, as Unix time (apart from `next_due`: a check
    /// must not cut short the coalescing of address events).
    pub fn checks_due(&self) -> Option<u64> {
        self.checks.next_due().filter(|_| !self.config.global.verify_interval.is_zero())
    }

    /// The authoritative checks due now (none for a service whose update is in flight).
    pub fn take_checks(&mut self, now: u64) -> Vec<verify::Spec> {
        let busy = |s: &str| self.busy.iter().any(|b| b.service == s);
        self.checks.take(&self.config, &self.state.records, &busy, now)
    }

    /// A check came back: its record's verdict if it changed (drift included), for events. A
    /// first drift forces one update of the service, which puts the address back.
    pub fn check_done(&mut self, done: verify::Done, now: u64) -> Option<verify::Changed> {
        let changed = self.checks.done(done, &self.config, &self.state.records, now)?;
        if changed.correct && !self.forced.contains(&changed.key.service) {
            self.forced.push(changed.key.service.clone());
        }
        if changed.verdict == verify::Verdict::Drift {
            let key = &changed.key;
            self.events.push(Event {
                action: Action::Drift,
                service: key.service.clone(),
                hostname: key.host.clone(),
                family: key.family,
                address: self.state.records.get(key).and_then(|r| r.registered),
                result: verify::Verdict::Drift.as_str().to_string(),
                detail: self.checks.get(key).map(|c| c.reason.clone()).unwrap_or_default(),
            });
        }
        Some(changed)
    }

    /// The WAN a job for `svc`'s `family` records leaves through, when requests are bound:
    /// the one the record is published from, or for an address read on the LAN, the one its
    /// account's service publishes from.
    fn job_wan(&self, svc: &Service, family: Family) -> Option<String> {
        if !self.bind {
            return None;
        }
        if svc.lan_family(family).is_none() {
            return self.plan_for(svc, family).wan;
        }
        let parent = self.config.services.iter().find(|s| s.name == svc.account_name() && s.lan.is_none())?;
        let other = if family == Family::V4 { Family::V6 } else { Family::V4 };
        [family, other].into_iter().filter(|f| parent.wants(*f)).find_map(|f| self.plan_for(parent, f).wan)
    }

    /// The plan on the first of the service's WANs that can be published; when none can, the
    /// first one's reason.
    fn plan_for(&self, svc: &Service, family: Family) -> Plan {
        let wait = |w: WaitFor, text: String| Plan { waiting: Some((w, text)), ..Plan::default() };
        if svc.ip_source == IpSource::Echo {
            let cache = self.echo_for(family, None).and_then(|e| e.cache.as_ref());
            return match self.current_echo(family, None) {
                Some(a) => Plan { desired: Some(a), ..Plan::default() },
                None => wait(
                    WaitFor::Echo,
                    cache.map(|c| c.result.failure()).unwrap_or_else(|| "waiting for the echo".into()),
                ),
            };
        }
        if svc.lan_family(family).is_some() {
            return match self.lan.iter().find(|(n, f, ..)| *n == svc.name && *f == family) {
                Some((_, _, Ok(a), _)) => Plan { desired: Some(*a), ..Plan::default() },
                Some((_, _, Err((w, text)), _)) => wait(*w, text.clone()),
                None => wait(WaitFor::Lan, "the LAN has not been read yet".into()),
            };
        }
        let mut first: Option<Plan> = None;
        for label in self.label_of.get(&(svc.name.clone(), family)).into_iter().flatten() {
            let mut plan = self.plan_on(svc, family, label);
            if plan.desired.is_some() {
                plan.wan = Some(label.clone());
                plan.fallback = first.and_then(|p| p.waiting).map(|(_, why)| why);
                return plan;
            }
            first.get_or_insert(plan);
        }
        first.unwrap_or_else(|| wait(WaitFor::Wan, "waiting for wan".into()))
    }

    fn plan_on(&self, svc: &Service, family: Family, label: &String) -> Plan {
        let echo_addr = self.current_echo(family, Some(label));
        let wait = |w: WaitFor, text: String| Plan { waiting: Some((w, text)), ..Plan::default() };
        let addrs = match self.seen.get(&(family, label.clone())).map(|s| &s.0) {
            Some(Ok(a)) => a,
            Some(Err(e)) => return wait(WaitFor::Wan, format!("{e}: waiting for {label}")),
            None => return wait(WaitFor::Wan, format!("waiting for {label}")),
        };
        let picked = sources::pick(family, addrs, svc.ipv6_match.as_ref());
        let all: Vec<IpAddr> = addrs.iter().map(|a| a.addr).collect();
        let v = verdict::classify(picked, &all, echo_addr);
        if let Some(desired) = verdict::publishable(v, picked, echo_addr, svc.nat_policy) {
            return Plan { desired: Some(desired), ..Plan::default() };
        }
        match v {
            Verdict::NoAddress if svc.ipv6_match.is_some() && family == Family::V6 => {
                wait(WaitFor::Ipv6Match, format!("no address on {label} matches ipv6_match"))
            }
            Verdict::NoAddress => wait(WaitFor::Wan, format!("{label} has no {family} address: waiting for wan")),
            Verdict::EchoUnreachable if self.echo_off() => {
                wait(WaitFor::Echo, "not published: the address is not public and the echo is switched off".into())
            }
            Verdict::EchoUnreachable => {
                wait(WaitFor::Echo, "waiting for an echo service to confirm the public address".into())
            }
            _ => wait(WaitFor::NatPolicy, format!("not published: {} and nat_policy is skip", v.as_str())),
        }
    }

    fn apply(&mut self, svc: &Service, r: &RecordResult, desired: Option<IpAddr>, now: u64) {
        let key = RecordKey::new(&svc.name, &r.host, r.family);
        let rec = self.state.records.entry(key).or_default();
        let what = format!("{}: {} {}", svc.name, r.host, r.family.record_type());
        let before = (rec.result, rec.registered);
        match &r.outcome {
            Outcome::NotSent => return,
            Outcome::Updated | Outcome::Unchanged => {
                log::info!("{what} = {} ({})", show(desired), r.outcome.label());
                rec.registered = desired;
                rec.updated_at = Some(now);
                rec.error = None;
                rec.failures = 0;
                rec.retry_at = None;
                rec.retry_for = None;
                rec.retry_by_provider = false;
            }
            // Not a failure of the provider or the line: no backoff, sent when the clock is set.
            Outcome::Retry { kind: Kind::Clock, reason, .. } => {
                if !self.clock_wait {
                    log::warn!("{what}: {reason}");
                }
                self.clock_wait = true;
                rec.error = Some(reason.clone());
            }
            Outcome::Retry { reason, after, .. } => {
                rec.failures = rec.failures.saturating_add(1);
                let ours = backoff(
                    svc.retry_interval.as_secs(),
                    svc.retry_max.as_secs(),
                    rec.failures,
                    jitter_seed(now, &r.host),
                );
                // The providers cap what they ask for; a wait that reaches here uncapped is cut too.
                let asked = after.map(|a| a.as_secs().min(crate::providers::MAX_PROVIDER_WAIT.as_secs()));
                let wait = asked.map_or(ours, |a| ours.max(a));
                rec.retry_by_provider = asked.is_some_and(|a| a >= ours);
                rec.retry_at = Some(now.saturating_add(wait));
                rec.retry_for = desired;
                rec.error = Some(reason.clone());
                let whose = if rec.retry_by_provider { " (the provider asked for this wait)" } else { "" };
                log::warn!("{what}: {reason}; retrying in {wait}s{whose}");
            }
            Outcome::Stop { reason, .. } => {
                rec.stopped = true;
                rec.retry_at = None;
                rec.error = Some(reason.clone());
                log::error!("{what}: {reason}; not retrying until the configuration changes");
            }
        }
        rec.last_attempt = Some(now);
        rec.result = Some(r.outcome.code());
        rec.kind = r.outcome.kind();
        // A result repeated (the same failure again, an address confirmed) is no event.
        let ok = |c: Option<Code>| matches!(c, Some(Code::Updated | Code::Unchanged));
        let changed =
            if r.outcome.is_success() { !ok(before.0) || before.1 != rec.registered } else { before.0 != rec.result };
        if changed {
            let action = match r.outcome {
                Outcome::Retry { .. } => Action::Failed,
                Outcome::Stop { .. } => Action::Stopped,
                _ => Action::Updated,
            };
            self.events.push(Event {
                action,
                service: svc.name.clone(),
                hostname: r.host.clone(),
                family: r.family,
                address: desired,
                result: r.outcome.label().to_string(),
                detail: r.outcome.reason().unwrap_or_default().to_string(),
            });
        }
    }

    /// When the engine next has something to do on its own (a retry, a forced refresh, an
    /// echo), as Unix time; `None` when only events can give it work.
    pub fn next_due(&self) -> Option<u64> {
        let mut next: Option<u64> = None;
        let mut at = |t: u64| next = Some(next.map_or(t, |n| n.min(t)));
        for svc in &self.config.services {
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
                for host in &svc.hostnames {
                    let key = RecordKey::new(&svc.name, host, family);
                    let Some(rec) = self.state.records.get(&key) else {
                        continue;
                    };
                    let grace = svc.lan.as_ref().and_then(|l| l.withdraw_after);
                    if let (Some(g), Some(since), Some(_), false) =
                        (grace, rec.absent_since, rec.registered, rec.stopped)
                    {
                        at(rec.retry_at.unwrap_or(0).max(since.saturating_add(g.as_secs())));
                    }
                    if rec.stopped || self.plans.get(&key).is_none_or(|p| p.desired.is_none()) {
                        continue;
                    }
                    if let Some(t) = rec.retry_at {
                        at(t);
                    } else if let Some(t) = rec.updated_at {
                        at(t.saturating_add(svc.force_interval.as_secs()));
                    }
                }
            }
        }
        if !self.echo_off() {
            for e in &self.echo {
                let Some(c) = e.cache.as_ref().filter(|_| e.busy.is_none() && self.needed(e)) else {
                    continue;
                };
                let wait =
                    if c.result.addr.is_some() { self.config.global.echo_interval.as_secs() } else { ECHO_RETRY_SECS };
                at(c.at.saturating_add(wait));
            }
        }
        next
    }
}

/// Where the echo stands for a WAN being judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EchoState {
    /// Asked for the addresses seen now (`echo` holds its answer, if any).
    Asked,
    /// A query for them is under way.
    Asking,
    /// Switched off (`echo_interval 0`).
    Off,
}

/// One WAN's verdict and its explanation, from what it holds and what the echo says: the one
/// judgement `detect` and the engine share.
pub fn judge(
    family: Family,
    label: &str,
    addrs: &Result<Vec<IfAddr>, SourceError>,
    note: Option<Note>,
    echo: Option<IpAddr>,
    state: EchoState,
    now: u64,
) -> WanView {
    let (address, all, error) = match addrs {
        Ok(a) => (sources::pick(family, a, None), a.iter().map(|x| x.addr).collect::<Vec<_>>(), None),
        Err(e) => (None, Vec::new(), Some(e.to_string())),
    };
    let v = verdict::classify(address, &all, echo);
    let mut explanation = match (v, state) {
        (Verdict::EchoUnreachable, EchoState::Off) => verdict::explain_unchecked(family, label, address),
        (Verdict::EchoUnreachable, EchoState::Asking) => verdict::explain_checking(family, label, address),
        _ => verdict::explain(v, family, label, address, echo),
    };
    if let Some(n) = note {
        explanation = format!("{explanation} ({})", n.explain());
    }
    WanView {
        family,
        interface: label.to_string(),
        address,
        error,
        note,
        echo,
        verdict: v,
        explanation,
        checked_at: now,
        reported: None,
    }
}

fn lan_wait(m: Missing, lan: &str, withdraw: bool) -> (WaitFor, String) {
    let then = if withdraw { "deleted after absent_grace" } else { "left alone" };
    match m {
        Missing::Prefix => (WaitFor::Lan, format!("{lan} has no global IPv6 prefix: waiting for the LAN")),
        Missing::Device => (WaitFor::Device, format!("the device is not in the neighbour table of {lan}: {then}")),
        Missing::Ambiguous => (
            WaitFor::Device,
            "the device has several addresses and none in EUI-64 form: set 'suffix' or ipv6 'eui64'".into(),
        ),
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
    use crate::providers::testing::Scripted;
    use serde_json::{json, Value};
    use std::sync::{Arc, Mutex};

    /// The provider's answer to `job`'s IPv4 record h.example.org.
    fn answered(job: &JobSpec, outcome: Outcome) -> JobDone {
        JobDone {
            records: job.records.clone(),
            delete: false,
            results: vec![RecordResult { host: "h.example.org".into(), family: Family::V4, outcome }],
        }
    }

    /// The records of `job`, as `(service, host, address)`.
    fn carried(job: &JobSpec) -> Vec<(&str, &str, IpAddr)> {
        job.records.iter().map(|m| (m.service.as_str(), m.target.host.as_str(), m.target.ip)).collect()
    }

    /// The world as the engine sees it, under the test's control.
    struct World {
        now: u64,
        addrs: Vec<IfAddr>,
        echo: Option<IpAddr>,
        echo_calls: usize,
        /// What the WAN `wanb` holds, and the WANs echoes and jobs were sent through.
        wanb: Vec<IfAddr>,
        through: Vec<String>,
        sent: Arc<Mutex<Vec<HttpRequest>>>,
        down: Arc<Mutex<bool>>,
        neighbours: Vec<Neighbour>,
    }

    /// Records every request; answers `good`, or fails as a network error while `down` holds.
    struct Recorder(Arc<Mutex<Vec<HttpRequest>>>, Arc<Mutex<bool>>);

    impl Transport for Recorder {
        fn send(&mut self, req: &HttpRequest) -> Result<Response, HttpError> {
            self.0.lock().unwrap().push(req.clone());
            if *self.1.lock().unwrap() {
                return Err(HttpError::Transport("members.example: connection failed".into()));
            }
            Ok(Response { status: 200, headers: vec![], body: "good\n".into() })
        }
    }

    impl Env for World {
        fn now(&self) -> u64 {
            self.now
        }
        fn interface_addrs(&mut self, svc: &Service, _: Family) -> Reading {
            let addrs = if svc.interface == "wanb" { self.wanb.clone() } else { self.addrs.clone() };
            Reading { label: svc.interface.clone(), addrs: Ok(addrs), note: None }
        }
        fn echo(&mut self, _: Family, wan: Option<&str>, _: &[String]) -> EchoResult {
            self.echo_calls += 1;
            self.through.push(format!("echo {}", wan.unwrap_or("-")));
            let addr = if wan == Some("wanb") { self.wanb.first().map(|a| a.addr) } else { self.echo };
            EchoResult { addr, answers: vec![] }
        }
        fn neighbours(&mut self) -> Vec<Neighbour> {
            self.neighbours.clone()
        }
        fn job_net(&mut self, wan: Option<&str>) -> JobNet {
            self.through.push(format!("job {}", wan.unwrap_or("-")));
            JobNet {
                http: Box::new(Recorder(self.sent.clone(), self.down.clone())),
                dns: Box::new(crate::providers::testing::NoDns),
            }
        }
    }

    fn world(addr: &str, echo: &str) -> World {
        World {
            now: 1_800_000_000,
            addrs: vec![IfAddr::new(addr.parse().unwrap(), 24)],
            echo: echo.parse().ok(),
            echo_calls: 0,
            wanb: Vec::new(),
            through: Vec::new(),
            sent: Arc::default(),
            down: Arc::default(),
            neighbours: Vec::new(),
        }
    }

    fn engine(service: &str) -> Engine {
        let cfg =
            crate::config::from_str("test", &format!("config edgeddns 'global'\n option persist_file ''\n{service}"))
                .unwrap();
        assert!(cfg.errors.is_empty(), "{:?}", cfg.errors);
        Engine::new(cfg, State::default(), false)
    }

    /// `interface 'wan wanb'`: the first WAN that can be published is, each WAN with its own
    /// echo and requests through it; when wan loses its address wanb takes over, and back.
    #[test]
    fn ordered_wans_fail_over_and_back_through_their_own_link() {
        let mut e = engine(&format!("{NOIP} option interface 'wan wanb'\n"));
        assert!(e.binds(), "two WANs: requests are bound to theirs");
        let mut w = world("203.0.113.1", "203.0.113.1");
        w.wanb = vec![IfAddr::new("198.51.100.9".parse().unwrap(), 24)];
        let key = RecordKey::new("s", "h.example.org", Family::V4);
        e.pass(&mut w, &Request::default());
        assert_eq!(e.state.records[&key].registered, "203.0.113.1".parse().ok());
        assert_eq!(e.plan(&key).unwrap().wan.as_deref(), Some("wan"));
        assert_eq!(w.through, ["echo wan", "echo wanb", "job wan"]);
        w.addrs.clear();
        w.now += 1;
        w.through.clear();
        e.pass(&mut w, &Request::default());
        assert_eq!(e.state.records[&key].registered, "198.51.100.9".parse().ok());
        let plan = e.plan(&key).unwrap();
        assert_eq!(plan.wan.as_deref(), Some("wanb"));
        assert_eq!(plan.fallback.as_deref(), Some("wan has no ipv4 address: waiting for wan"));
        assert_eq!(w.through, ["job wanb"], "wanb's echo still speaks for its address");
        w.addrs = vec![IfAddr::new("203.0.113.1".parse().unwrap(), 24)];
        w.now += 1;
        w.through.clear();
        e.pass(&mut w, &Request::default());
        assert_eq!(e.state.records[&key].registered, "203.0.113.1".parse().ok());
        assert_eq!(w.through, ["job wan"], "the echo of wan spoke for this very address");
        assert_eq!(sent(&w).len(), 3);
    }

    /// A clock before the build, or a certificate "not valid yet": nothing is sent, nothing
    /// backs off, and the update goes out as soon as the clock is set.
    #[test]
    fn updates_wait_for_the_clock_without_backoff() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        let key = RecordKey::new("s", "h.example.org", Family::V4);
        e.clock_floor = w.now + 1000;
        e.pass(&mut w, &Request::default());
        assert!(sent(&w).is_empty() && e.waiting_for_clock());
        assert_eq!(e.plan(&key).unwrap().desired, "203.0.113.1".parse().ok(), "decided, only held back");
        w.now += 2000;
        e.pass(&mut w, &Request::default());
        assert!(sent(&w).is_empty(), "still waiting: nobody said the clock was set");
        e.pass(&mut w, &Request { echo: true, update: None });
        assert_eq!(sent(&w).len(), 1, "the clock was set: sent at once");

        // The handshake says "not valid yet": a wait, with no failure counted.
        e.request(&Request { echo: false, update: Some(None) });
        let job = e.take_jobs(w.now, usize::MAX).remove(0);
        let done = answered(&job, Outcome::retry(Kind::Clock, "h: TLS: the certificate is not valid yet"));
        e.finish(done, w.now);
        let rec = &e.state.records[&key];
        assert!(e.waiting_for_clock());
        assert_eq!((rec.failures, rec.retry_at, rec.kind), (0, None, Some(Kind::Clock)));
        assert!(e.take_jobs(w.now, usize::MAX).is_empty());
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
        let key = RecordKey::new("s", "h.example.org", Family::V4);
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

    #[test]
    fn a_new_address_is_not_held_back_by_the_backoff_of_the_old_one() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        *w.down.lock().unwrap() = true;
        e.pass(&mut w, &Request::default());
        let key = RecordKey::new("s", "h.example.org", Family::V4);
        assert!(e.state.records[&key].retry_at.is_some_and(|t| t > w.now + 10), "our backoff is set");
        // Still failing, same address: the backoff holds.
        w.now += 5;
        e.pass(&mut w, &Request::default());
        assert_eq!(sent(&w).len(), 1);
        // A new address is due at once, whatever the backoff of the old one says.
        *w.down.lock().unwrap() = false;
        w.addrs = vec![IfAddr::new("203.0.113.2".parse().unwrap(), 24)];
        w.echo = "203.0.113.2".parse().ok();
        w.now += 1;
        e.pass(&mut w, &Request::default());
        assert_eq!(sent(&w).len(), 2);
        assert!(sent(&w)[1].ends_with("myip=203.0.113.2"), "{:?}", sent(&w));
        assert_eq!(e.state.records[&key].registered, "203.0.113.2".parse().ok());
    }

    /// A change of result is an event, a repetition is not: failing twice is one `failed`,
    /// good again is `updated`, a re-check that confirms the verdict says nothing.
    #[test]
    fn only_changes_are_events() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        let actions = |e: &mut Engine| -> Vec<String> {
            e.events.drain(..).map(|ev| format!("{} {} {}", ev.action.as_str(), ev.result, show(ev.address))).collect()
        };
        *w.down.lock().unwrap() = true;
        e.pass(&mut w, &Request::default());
        assert_eq!(actions(&mut e), ["verdict public 203.0.113.1", "failed retry 203.0.113.1"]);
        w.now += 3600;
        e.pass(&mut w, &Request::default());
        assert_eq!(sent(&w).len(), 2, "retried");
        assert!(actions(&mut e).is_empty(), "the same failure again is no event");
        *w.down.lock().unwrap() = false;
        w.now += 3600;
        e.pass(&mut w, &Request::default());
        assert_eq!(actions(&mut e), ["updated updated 203.0.113.1"]);
        e.pass(&mut w, &Request { echo: true, update: Some(None) });
        assert_eq!(sent(&w).len(), 4);
        assert!(actions(&mut e).is_empty(), "a confirmed address and verdict are no event");
        w.addrs = vec![IfAddr::new("100.64.0.9".parse().unwrap(), 10)];
        e.pass(&mut w, &Request { echo: true, update: None });
        assert_eq!(actions(&mut e)[0], "verdict cgnat 100.64.0.9");
    }

    #[test]
    fn a_wait_the_provider_asked_for_holds_for_any_address_and_is_capped() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.observe(&mut w);
        let job = e.take_jobs(w.now, usize::MAX).remove(0);
        // Retry-After: 18446744073709551615 — must neither wrap into the past nor last for ever.
        let done = answered(
            &job,
            Outcome::Retry {
                kind: Kind::RateLimited,
                reason: "rate limited".into(),
                after: Some(std::time::Duration::MAX),
            },
        );
        e.finish(done, w.now);
        let rec = &e.state.records[&RecordKey::new("s", "h.example.org", Family::V4)];
        assert_eq!(rec.retry_at, Some(w.now + crate::providers::MAX_PROVIDER_WAIT.as_secs()));
        assert!(rec.retry_by_provider);
        // A new address does not lift a wait the provider imposed.
        w.addrs = vec![IfAddr::new("203.0.113.2".parse().unwrap(), 24)];
        w.echo = "203.0.113.2".parse().ok();
        w.now += 60;
        e.pass(&mut w, &Request::default());
        assert!(sent(&w).is_empty(), "{:?}", sent(&w));
    }

    /// The daemon's order of calls: a service whose job runs is not started again; the newer
    /// address is queued and goes out when the job is back, read afresh then.
    #[test]
    fn one_job_per_service_at_a_time_and_the_newer_address_follows() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.request(&Request { echo: true, update: None });
        assert_eq!(e.observe(&mut w).len(), 1, "the echo is asked");
        let job = e.take_jobs(w.now, usize::MAX);
        assert_eq!(job.len(), 1, "a public-looking address is published while the echo runs");
        assert!(e.in_flight("s").is_some());
        e.echo_done(Family::V4, None, EchoResult { addr: w.echo, answers: vec![] }, w.now);
        // The address changes while the job runs.
        w.addrs = vec![IfAddr::new("203.0.113.7".parse().unwrap(), 24)];
        w.echo = "203.0.113.7".parse().ok();
        e.observe(&mut w);
        assert!(e.take_jobs(w.now, usize::MAX).is_empty(), "never two jobs for one service");
        let key = RecordKey::new("s", "h.example.org", Family::V4);
        assert!(e.plan(&key).unwrap().queued);
        let done = job[0].run(w.job_net(None).as_net());
        e.finish(done, w.now);
        assert!(e.in_flight("s").is_none());
        let next = e.take_jobs(w.now, usize::MAX);
        assert_eq!(next.len(), 1);
        assert_eq!(carried(&next[0]), [("s", "h.example.org", "203.0.113.7".parse().unwrap())]);
    }

    #[test]
    fn with_the_echo_off_nothing_is_asked_and_public_addresses_are_published() {
        let cfg = crate::config::from_str(
            "test",
            &format!("config edgeddns 'global'\n option persist_file ''\n option echo_interval 0\n{NOIP}"),
        )
        .unwrap();
        let mut e = Engine::new(cfg, State::default(), false);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.pass(&mut w, &Request { echo: true, update: None });
        assert_eq!(w.echo_calls, 0);
        assert_eq!(sent(&w).len(), 1);
        assert!(e.wan_views().next().unwrap().explanation.contains("echo is switched off"));
        assert!(e.next_due().is_none_or(|t| t > w.now));
    }

    /// A new delegated prefix on the LAN: every LAN host of it is due in the same look, each with
    /// its own address, and the LAN is never judged as a WAN.
    #[test]
    fn a_new_lan_prefix_makes_every_lan_host_due_at_once() {
        let hosts: String = (1..=5)
            .map(|i| format!("config host 'h{i}'\n option service 's'\n list hostname 'h{i}.example.org'\n option suffix '::{i}'\n"))
            .collect();
        let mut e = engine(&format!("{NOIP}{hosts}"));
        let mut w = world("203.0.113.1", "203.0.113.1");
        w.addrs.push(IfAddr::new("2001:db8:0:10::1".parse().unwrap(), 64));
        e.pass(&mut w, &Request::default());
        assert_eq!(sent(&w).len(), 6, "{:?}", sent(&w));
        w.addrs[1] = IfAddr::new("2001:db8:0:20::1".parse().unwrap(), 64);
        w.now += 5;
        e.observe(&mut w);
        let jobs = e.take_jobs(w.now, usize::MAX);
        assert_eq!(jobs.len(), 1, "one job for the account: {jobs:?}");
        let names: Vec<(String, String)> = (1..=5).map(|i| (format!("h{i}"), format!("h{i}.example.org"))).collect();
        let want: Vec<(&str, &str, IpAddr)> = (names.iter().enumerate())
            .map(|(i, (s, h))| (s.as_str(), h.as_str(), format!("2001:db8:0:20::{}", i + 1).parse().unwrap()))
            .collect();
        assert_eq!(carried(&jobs[0]), want);
        assert!((1..=5).all(|i| e.in_flight(&format!("h{i}")).is_some()), "each host busy until the job is back");
        assert!(e.in_flight("s").is_none(), "the router's record was not due");
        assert!(e.wan_views().all(|v| v.family == Family::V4), "the LAN is no WAN");
    }

    const CLOUDFLARE: &str = "config service s\n option provider 'cloudflare'\n list hostname 'r.example.org'\n \
                              option token t\n option zone 'example.org'\n";
    const MAC: [u8; 6] = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

    /// Cloudflare with one zone, z1, answering `records` to every record lookup and success to
    /// any change.
    struct Cloudflare {
        records: Value,
        sent: Vec<String>,
    }

    impl Transport for Cloudflare {
        fn send(&mut self, req: &HttpRequest) -> Result<Response, HttpError> {
            self.sent.push(format!("{} {}", req.method.as_str(), req.url));
            let result = if req.url.contains("/zones?name=") {
                json!([{"id": "z1"}])
            } else if req.url.contains("/dns_records?") {
                self.records.clone()
            } else {
                json!({"id": "r1"})
            };
            Scripted::body(200, &json!({"success": true, "errors": [], "result": result}).to_string())
        }
    }

    /// Run `job` against `Cloudflare`; returns what came back and the requests sent.
    fn at_cloudflare(job: &JobSpec, records: Value) -> (JobDone, Vec<String>) {
        let mut t = Cloudflare { records, sent: Vec::new() };
        let done = job.run(Net { http: &mut t, dns: &mut crate::providers::testing::NoDns });
        (done, t.sent)
    }

    /// `on_absent 'delete'`: a device gone for less than `absent_grace` (rebooting) is left
    /// alone; then one deletion goes out, the record is `withdrawn`, and the device's return
    /// publishes it again.
    #[test]
    fn a_gone_device_is_withdrawn_after_its_grace_and_published_on_return() {
        let host = "config host 'nas'\n option service 's'\n list hostname 'nas.example.org'\n \
                    option mac '52:54:00:12:34:56'\n option ipv4 'lan'\n option on_absent 'delete'\n \
                    option absent_grace '60'\n";
        let mut e = engine(&format!("{CLOUDFLARE}{host}"));
        let mut w = world("203.0.113.1", "203.0.113.1");
        let nas: IpAddr = "192.168.1.5".parse().unwrap();
        w.neighbours = vec![Neighbour { addr: nas, mac: MAC }];
        let key = RecordKey::new("nas", "nas.example.org", Family::V4);
        let nas_jobs = |e: &mut Engine, now: u64| {
            let jobs = e.take_jobs(now, usize::MAX);
            jobs.into_iter().filter(|j| j.services().contains(&"nas")).collect::<Vec<_>>()
        };
        let nas_record = [("nas", "nas.example.org", nas)];
        e.observe(&mut w);
        let jobs = nas_jobs(&mut e, w.now);
        assert_eq!(jobs.len(), 1);
        assert_eq!((&carried(&jobs[0])[1..], jobs[0].delete), (&nas_record[..], false), "with the router's record");
        let (done, _) = at_cloudflare(&jobs[0], json!([{"id": "r1", "content": "192.168.1.4"}]));
        e.finish(done, w.now);
        assert_eq!(e.state.records[&key].registered, Some(nas));

        w.neighbours.clear();
        w.now += 10;
        e.observe(&mut w);
        let gone_at = w.now;
        assert!(nas_jobs(&mut e, w.now).is_empty(), "within the grace: maybe rebooting");
        assert_eq!(e.plan(&key).unwrap().waiting.as_ref().map(|w| w.0), Some(WaitFor::Device));
        assert_eq!(e.next_due().filter(|t| *t <= gone_at + 60), Some(gone_at + 60), "woken when the grace ends");
        w.now = gone_at + 59;
        e.observe(&mut w);
        assert!(nas_jobs(&mut e, w.now).is_empty());
        w.now = gone_at + 60;
        e.observe(&mut w);
        let jobs = nas_jobs(&mut e, w.now);
        assert_eq!(jobs.len(), 1);
        assert_eq!((jobs[0].delete, &carried(&jobs[0])[..]), (true, &nas_record[..]));
        let (done, sent) = at_cloudflare(&jobs[0], json!([{"id": "r1", "content": "192.168.1.5"}]));
        assert_eq!(
            sent.last().map(String::as_str),
            Some("DELETE https://api.cloudflare.com/client/v4/zones/z1/dns_records/r1")
        );
        e.finish(done, w.now);
        let rec = &e.state.records[&key];
        assert_eq!((rec.registered, rec.result), (None, Some(Code::Withdrawn)));
        w.now += 3600;
        e.observe(&mut w);
        assert!(nas_jobs(&mut e, w.now).is_empty(), "withdrawn once");

        w.neighbours = vec![Neighbour { addr: nas, mac: MAC }];
        w.now += 1;
        e.observe(&mut w);
        let jobs = nas_jobs(&mut e, w.now);
        assert_eq!(
            (jobs.len(), &carried(&jobs[0])[..], jobs[0].delete),
            (1, &nas_record[..], false),
            "back: published again"
        );
        e.finish(at_cloudflare(&jobs[0], json!([{"id": "r1", "content": "192.168.1.4"}])).0, w.now);
        assert_eq!(e.state.records[&key].registered, Some(nas));
        // Gone again: a fresh grace, not the one of the last absence.
        w.neighbours.clear();
        w.now += 1;
        e.observe(&mut w);
        assert!(nas_jobs(&mut e, w.now).is_empty(), "the grace starts again");
    }

    /// A LAN that lost its prefix says nothing about the device: its record is never deleted.
    #[test]
    fn a_missing_prefix_never_deletes() {
        let host = "config host 'cam'\n option service 's'\n list hostname 'cam.example.org'\n \
                    option suffix '::5'\n option on_absent 'delete'\n option absent_grace '0'\n";
        let mut e = engine(&format!("{CLOUDFLARE}{host}"));
        let mut w = world("203.0.113.1", "203.0.113.1");
        w.addrs.push(IfAddr::new("2001:db8:0:10::1".parse().unwrap(), 64));
        e.observe(&mut w);
        let jobs = e.take_jobs(w.now, usize::MAX);
        let cam = jobs.iter().find(|j| j.services().contains(&"cam")).unwrap();
        e.finish(at_cloudflare(cam, json!([{"id": "r6", "content": "2001:db8::1"}])).0, w.now);
        let key = RecordKey::new("cam", "cam.example.org", Family::V6);
        assert_eq!(e.state.records[&key].registered, "2001:db8:0:10::5".parse().ok());
        w.addrs.pop();
        for _ in 0..3 {
            w.now += 86400;
            e.observe(&mut w);
            assert!(e.take_jobs(w.now, usize::MAX).iter().all(|j| !j.delete));
        }
        assert_eq!(e.plan(&key).unwrap().waiting.as_ref().map(|w| w.0), Some(WaitFor::Lan));
        assert!(e.state.records[&key].registered.is_some());
    }

    /// SIGHUP while a job runs: the answer of a service whose configuration changed meanwhile
    /// is about a configuration that is gone, and is not recorded; the new one is sent afresh.
    #[test]
    fn a_reload_during_a_job_drops_its_answer_for_a_changed_service() {
        let mut e = engine(NOIP);
        let mut w = world("203.0.113.1", "203.0.113.1");
        e.observe(&mut w);
        let job = e.take_jobs(w.now, usize::MAX).remove(0);
        let changed = crate::config::from_str(
            "test",
            &format!("config edgeddns 'global'\n option persist_file ''\n{NOIP} option force_interval '3d'\n"),
        )
        .unwrap();
        e.reload(changed);
        let done = job.run(w.job_net(None).as_net());
        assert!(e.finish(done, w.now).is_empty());
        let key = RecordKey::new("s", "h.example.org", Family::V4);
        assert_eq!(e.state.records.get(&key).and_then(|r| r.registered), None);
        assert!(e.in_flight("s").is_none());
        e.observe(&mut w);
        assert_eq!(e.take_jobs(w.now, usize::MAX).len(), 1, "the new configuration is sent");
    }
}
