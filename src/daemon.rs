//! The daemon: triggers (start-up, netifd over ubus, rtnetlink address events, signals, the
//! safety timer) feed the engine; every pass ends with the state and status written out. The
//! `edgeddns` ubus object answers LuCI from the same loop.

use crate::config::{Config, Global, Service};
use crate::dns::Exchange;
use crate::engine::{Engine, Env, JobNet, Request};
use crate::error::Error;
use crate::http::{Client, ClientOptions, Deadline, HttpError, Request as HttpRequest, Response, Roots, Transport};
use crate::net::Family;
use crate::notify::Outbox;
use crate::options::{load_config, Options};
use crate::sources::echo::EchoResult;
use crate::sources::netlink::{AddressMonitor, Netlink};
use crate::sources::{routes, IfAddr, InterfaceSource, Note, Reading, SourceError};
use crate::state::State;
use crate::ubus::session::{Event as SessionEvent, Session};
use crate::wan_source::{self, Facts, Source};
use crate::worker::{Done, Workers};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::collections::HashMap;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long after netifd (re)appears an interface it reports without addresses, while the
/// kernel still holds them, counts as netifd still setting it up.
const NETIFD_SETTLE: Duration = Duration::from_secs(60);

/// The engine's window on the real machine.
pub struct RealEnv {
    roots: Roots,
    http: ClientOptions,
    kernel: Netlink,
    dry_run: bool,
    /// The ubus session, when the daemon has one: netifd is then the address source.
    ubus: Option<Session>,
    /// When the session, or netifd on it, last (re)appeared.
    ubus_since: Option<Instant>,
    /// Logical interface → kernel device, as netifd last reported it, so that while netifd or
    /// ubus restarts the kernel is read on the right device instead of a guessed one.
    netifd_devices: HashMap<String, String>,
}

impl RealEnv {
    pub fn new(cfg: &Config, dry_run: bool) -> Result<RealEnv, Error> {
        Self::with_global(&cfg.global, dry_run)
    }

    pub fn with_global(global: &Global, dry_run: bool) -> Result<RealEnv, Error> {
        let roots = Roots::load(&global.ca_bundle)?;
        let http = ClientOptions { ca_bundle: global.ca_bundle.clone(), timeout: global.http_timeout, device: None };
        let kernel = Netlink::new().map_err(|e| Error::io("cannot read interface addresses", e))?;
        Ok(RealEnv { roots, http, kernel, dry_run, ubus: None, ubus_since: None, netifd_devices: HashMap::new() })
    }

    pub fn now_unix(&self) -> u64 {
        unix_now()
    }

    fn facts<T>(&self, then: impl FnOnce(&Facts) -> T) -> T {
        let exists = |dev: &str| Path::new("/sys/class/net").join(dev).exists();
        then(&Facts {
            netifd: self.ubus.as_ref().is_some_and(|s| s.has_netifd()),
            netifd_devices: &self.netifd_devices,
            device_exists: &exists,
            default_route_device: &routes::default_route_device,
        })
    }

    /// The kernel device a service reads for `family` (`wan_source::device`).
    pub fn interface_label(&self, svc: &Service, family: Family) -> String {
        self.facts(|f| wan_source::device(svc, family, f))
    }

    pub fn read_device(&mut self, dev: &str) -> Result<Vec<IfAddr>, SourceError> {
        self.kernel.addresses(dev)
    }

    pub fn echo_now(&self, family: Family, urls: &[String]) -> EchoResult {
        crate::worker::query_echo(urls, family, &self.roots, &self.http)
    }

    /// The HTTP options of requests through WAN `wan` (a label of `interface_addrs`): bound
    /// to the device netifd gave for it, or to the device it names.
    fn http_on(&self, wan: Option<&str>) -> ClientOptions {
        let device = wan.map(|w| self.netifd_devices.get(w).map_or(w, String::as_str).to_string());
        ClientOptions { device, ..self.http.clone() }
    }

    /// netifd's view of a logical interface, or the kernel's when netifd is restarting and
    /// says nothing yet (or "down") about addresses the device still holds.
    fn via_netifd(&mut self, name: &str, family: Family) -> (Result<Vec<IfAddr>, SourceError>, Option<Note>) {
        let settling = self.ubus_since.is_none_or(|t| t.elapsed() < NETIFD_SETTLE);
        let from_netifd = match self.ubus.as_mut().filter(|s| s.has_netifd()) {
            None => None,
            Some(s) => Some(match s.interface_status(name) {
                Ok(st) => {
                    if let Some(dev) = crate::ubus::netifd::l3_device(&st) {
                        self.netifd_devices.insert(name.to_string(), dev.to_string());
                    }
                    Ok(crate::ubus::netifd::addresses(&st, family))
                }
                Err(crate::ubus::Error::Status(crate::ubus::STATUS_NOT_FOUND)) => {
                    Err(SourceError::NoSuchInterface(name.to_string()))
                }
                Err(e) => Err(SourceError::Io(e.to_string())),
            }),
        };
        let kernel = |env: &mut RealEnv| {
            let dev = env.netifd_devices.get(name).cloned()?;
            Some(env.read_device(&dev))
        };
        match from_netifd {
            // ubus or netifd is away: the kernel, on the device netifd last named, is the truth.
            None => match kernel(self) {
                Some(addrs) => (addrs, Some(if self.ubus.is_some() { Note::NetifdRestarting } else { Note::UbusLost })),
                None => (Err(SourceError::Io("netifd is not reachable over ubus".into())), None),
            },
            // netifd is back but has not set the interface up again, while the device still
            // holds its address: that address is what the internet reaches.
            Some(r) if settling && r.as_ref().map_or(true, |a| crate::sources::pick(family, a, None).is_none()) => {
                match kernel(self) {
                    Some(Ok(k)) if crate::sources::pick(family, &k, None).is_some() => {
                        (Ok(k), Some(Note::NetifdRestarting))
                    }
                    _ => (r, None),
                }
            }
            Some(r) => (r, None),
        }
    }
}

impl Env for RealEnv {
    fn now(&self) -> u64 {
        unix_now()
    }

    fn interface_addrs(&mut self, svc: &Service, family: Family) -> Reading {
        match self.facts(|f| wan_source::choose(svc, family, f)) {
            Source::Kernel(label) => {
                let addrs = self.read_device(&label);
                Reading { label, addrs, note: None }
            }
            Source::Netifd(name) => {
                let (addrs, note) = self.via_netifd(&name, family);
                Reading { label: name, addrs, note }
            }
        }
    }

    fn echo(&mut self, family: Family, wan: Option<&str>, urls: &[String]) -> EchoResult {
        crate::worker::query_echo(urls, family, &self.roots, &self.http_on(wan))
    }

    /// odhcpd's leases; none without ubus or odhcpd (dnsmasq serves DHCPv6 on some routers).
    fn dhcpv6_leases(&mut self) -> Vec<crate::sources::lan::Neighbour> {
        use crate::ubus::odhcpd;
        let reply = self.ubus.as_mut().map(|s| s.call(odhcpd::OBJECT, odhcpd::METHOD));
        reply.and_then(Result::ok).map(|r| odhcpd::leases(&r)).unwrap_or_default()
    }

    fn neighbours(&mut self) -> Vec<crate::sources::lan::Neighbour> {
        self.kernel.neighbours().unwrap_or_else(|e| {
            log::warn!("cannot read the neighbour table: {e}");
            Vec::new()
        })
    }

    /// The network of one provider job, bounded by the job's deadline: a few requests' worth
    /// of the HTTP timeout, which also bounds each DNS exchange.
    fn job_net(&mut self, wan: Option<&str>) -> JobNet {
        if self.dry_run {
            return JobNet { http: Box::new(DryRun), dns: Box::new(DryRun) };
        }
        let until = Deadline::after(self.http.timeout * 3);
        let opts = self.http_on(wan);
        JobNet {
            dns: Box::new(crate::dns::Client::new(self.http.timeout, until, opts.device.clone())),
            http: Box::new(Client::new(&self.roots, &opts, None).with_deadline(until)),
        }
    }
}

/// `--dry-run`: print what would be sent, secrets masked, and send nothing.
struct DryRun;

impl Transport for DryRun {
    fn send(&mut self, req: &HttpRequest) -> Result<Response, HttpError> {
        println!("dry-run: would send:\n  {}", req.display_masked().replace('\n', "\n  "));
        Err(HttpError::DryRun)
    }
}

impl Exchange for DryRun {
    fn exchange(&mut self, server: &str, message: &[u8]) -> Result<Vec<u8>, HttpError> {
        println!("dry-run: would send a TSIG-signed DNS UPDATE ({} bytes) to {server}", message.len());
        Err(HttpError::DryRun)
    }
}

pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// Every secret of every service, in the forms a log line could carry them.
pub fn secrets_of(cfg: &Config) -> Vec<String> {
    let mut all: Vec<String> =
        cfg.services.iter().flat_map(|s| crate::providers::secrets_of(&s.account, &s.hostnames)).collect();
    all.extend(cfg.notifiers.iter().filter_map(|n| Some(n.token.as_ref()?.expose().to_string())));
    all
}

pub fn state_paths(cfg: &Config) -> (PathBuf, Option<PathBuf>) {
    let run = Path::new(&cfg.global.run_dir).join("state.json");
    let persist = cfg.global.persist_file.as_ref().map(PathBuf::from);
    (run, persist)
}

/// Write the state (run copy, and flash copy if something durable changed) and the status.
pub fn save(engine: &mut Engine, now: u64) {
    let (run, persist) = state_paths(&engine.config);
    if let Err(e) = engine.state.save(&run, persist.as_deref()) {
        log::error!("cannot write state {}: {e}", run.display());
    }
    let status = crate::status::snapshot(engine, now);
    let path = Path::new(&engine.config.global.run_dir).join("status.json");
    let text = serde_json::to_string(&status).unwrap_or_default();
    if let Err(e) = crate::files::write_atomic(&path, text.as_bytes()) {
        log::error!("cannot write status {}: {e}", path.display());
    }
}

/// The signals the daemon handles through its signalfd. They are blocked first thing in
/// `main`, before anything that takes time, so that one arriving during start-up (procd and
/// hotplug scripts send them early) waits in the signalfd instead of killing the process.
pub fn handled_signals() -> SigSet {
    let mut signals = SigSet::empty();
    for s in [Signal::SIGHUP, Signal::SIGUSR1, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(s);
    }
    signals
}

pub fn run(o: &Options, cfg: Config) -> ExitCode {
    crate::logging::init(cfg.global.log_level, !o.foreground);
    crate::logging::set_secrets(secrets_of(&cfg));
    let signals = handled_signals();
    let sigfd = match signals
        .thread_block()
        .and_then(|_| SignalFd::with_flags(&signals, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC))
    {
        Ok(fd) => fd,
        Err(e) => {
            log::error!("cannot set up signal handling: {e}");
            return ExitCode::from(1);
        }
    };
    let env = match RealEnv::new(&cfg, o.dry_run) {
        Ok(env) => env,
        Err(e) => {
            log::error!("{e}");
            return ExitCode::from(2);
        }
    };
    let workers = match Workers::new() {
        Ok(w) => w,
        Err(e) => {
            log::error!("cannot set up the worker channel: {e}");
            return ExitCode::from(1);
        }
    };
    let monitor = match AddressMonitor::new() {
        Ok(m) => Some(m),
        Err(e) => {
            log::warn!("no rtnetlink address events ({e}); relying on the check timer");
            None
        }
    };
    report_config(&cfg);
    let (run_file, persist) = state_paths(&cfg);
    let state = State::load(&run_file, persist.as_deref());
    let mut engine = Engine::new(cfg, state, o.dry_run);
    engine.clock_floor = crate::engine::build_time();
    engine.request(&Request { echo: true, update: None });
    log::info!("started: {} service(s)", engine.config.services.len());
    let now = Instant::now();
    let mut d = Daemon {
        o,
        env,
        engine,
        monitor,
        workers,
        asap: true,
        debounce: Debounce::default(),
        next_check: now,
        outbox: Outbox::default(),
        reconnect: Reconnect { at: now, wait: Duration::from_secs(1) },
        clock: clock_offset(),
    };
    d.connect_ubus();
    loop {
        if let Some(code) = d.turn(&sigfd) {
            return code;
        }
    }
}

/// When to try ubus again after losing it (1 s, doubling to 30 s).
struct Reconnect {
    at: Instant,
    wait: Duration,
}

struct Daemon<'a> {
    o: &'a Options,
    env: RealEnv,
    engine: Engine,
    monitor: Option<AddressMonitor>,
    workers: Workers,
    /// Someone asked for a look now (start-up, a signal, a ubus call, a job that ended).
    asap: bool,
    debounce: Debounce,
    next_check: Instant,
    outbox: Outbox,
    reconnect: Reconnect,
    /// The wall clock minus the time since boot, at the last turn: a change is a clock step.
    clock: i64,
}

/// CLOCK_REALTIME − CLOCK_BOOTTIME in seconds: constant while the clock runs, changed by
/// whatever sets it (NTP's step at boot, `date -s`).
fn clock_offset() -> i64 {
    use nix::time::{clock_gettime, ClockId};
    // time_t is 32 bits on the MIPS and ARM musl targets.
    #[allow(clippy::unnecessary_cast)]
    let secs = |id| clock_gettime(id).map_or(0, |t| t.tv_sec() as i64);
    secs(ClockId::CLOCK_REALTIME) - secs(ClockId::CLOCK_BOOTTIME)
}

impl Daemon<'_> {
    /// Wait in `poll` for the next thing to do and do it; `Some` to stop with that code.
    /// Nothing here waits on the network: that is the workers' part.
    fn turn(&mut self, sigfd: &SignalFd) -> Option<ExitCode> {
        // Notifications that arrived while we last called netifd sit in the connection's
        // queue, not in the socket: poll() would not wake for them. Handle them first.
        self.ubus_events();
        let now = Instant::now();
        let due = self.engine.next_due().map(|t| now + Duration::from_secs(t.saturating_sub(unix_now())));
        let reconnect = (self.env.ubus.is_none() && self.ubus_expected()).then_some(self.reconnect.at);
        let checks = self.engine.checks_due().map(|t| now + Duration::from_secs(t.saturating_sub(unix_now())));
        // Waiting for the clock: look every second whether it was set.
        let clock = self.engine.waiting_for_clock().then(|| now + Duration::from_secs(1));
        let wake = [
            checks,
            self.asap.then_some(now),
            clock,
            self.debounce.due(self.engine.config.global.coalesce),
            Some(self.next_check),
            due,
            reconnect,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(self.next_check);
        let timeout = PollTimeout::try_from(wake.saturating_duration_since(now)).unwrap_or(PollTimeout::MAX);
        let (sig_ready, nl_ready, ubus_ready, work_ready) = {
            let mut fds = vec![
                PollFd::new(sigfd.as_fd(), PollFlags::POLLIN),
                PollFd::new(self.workers.as_fd(), PollFlags::POLLIN),
            ];
            let nl = self.monitor.as_ref().map(|m| {
                fds.push(PollFd::new(m.as_fd(), PollFlags::POLLIN));
                fds.len() - 1
            });
            let ub = self.env.ubus.as_ref().map(|s| {
                fds.push(PollFd::new(s.as_fd(), PollFlags::POLLIN));
                fds.len() - 1
            });
            match poll(&mut fds, timeout) {
                Ok(_) | Err(nix::errno::Errno::EINTR) => {}
                Err(e) => {
                    log::error!("poll: {e}");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            let ready = |i: Option<usize>| i.is_some_and(|i| fds[i].revents().is_some_and(|r| !r.is_empty()));
            (ready(Some(0)), ready(nl), ready(ub), ready(Some(1)))
        };
        if sig_ready {
            if let Some(code) = self.signals(sigfd) {
                return Some(code);
            }
        }
        // Neighbour events are many on a busy LAN: they count only for hosts found by MAC.
        let by_mac =
            self.engine.config.services.iter().any(|s| {
                s.lan.as_ref().is_some_and(|l| l.v4_lan || l.v6 == Some(crate::sources::lan::V6From::Neighbour))
            });
        if nl_ready && self.monitor.as_mut().is_some_and(|m| m.changed(by_mac)) {
            self.debounce.event(Instant::now());
        }
        if ubus_ready {
            self.ubus_events();
        }
        if work_ready {
            self.collect();
        }
        let offset = clock_offset();
        if (offset - self.clock).abs() > 5 {
            log::info!("the clock was set ({:+} s): looking again", offset - self.clock);
            self.engine.request(&Request { echo: true, update: None });
            self.asap = true;
        }
        self.clock = offset;
        if self.env.ubus.is_none() && self.ubus_expected() && Instant::now() >= self.reconnect.at {
            self.connect_ubus();
        }
        let now = Instant::now();
        let quiet = self.debounce.due(self.engine.config.global.coalesce).is_some_and(|t| now >= t);
        if self.asap || quiet || now >= self.next_check || due.is_some_and(|d| now >= d) {
            self.cycle();
        } else if checks.is_some_and(|c| now >= c) {
            self.start_checks();
        }
        self.dispatch();
        None
    }

    /// Send on what changed: a ubus event (never waiting for ubusd), the hotplug scripts and
    /// the notifiers (on their own threads).
    fn dispatch(&mut self) {
        // A dry run sends nothing, and tells no one about what it did not send.
        if self.engine.events.is_empty() || self.o.dry_run {
            self.engine.events.clear();
            return;
        }
        let secrets = secrets_of(&self.engine.config);
        for mut e in std::mem::take(&mut self.engine.events) {
            e.detail = crate::secret::mask_secrets(&e.detail, &secrets);
            if let Some(s) = self.env.ubus.as_mut() {
                if let Err(err) = s.send_event(e.ubus_name(), &e.to_json()) {
                    log::warn!("cannot send the ubus event {}: {err}", e.ubus_name());
                }
            }
            self.outbox.event(&self.engine.config, &e, &self.env.roots, &self.env.http);
        }
    }

    /// Look at the interfaces, and hand out the echo queries and provider jobs now due.
    fn cycle(&mut self) {
        let now = Instant::now();
        let timer = now >= self.next_check;
        self.asap = false;
        self.debounce.fired(now, self.engine.config.global.coalesce);
        self.next_check = now + self.engine.config.global.check_interval;
        for (family, wan, urls) in self.engine.observe(&mut self.env) {
            let opts = self.env.http_on(wan.as_deref());
            self.workers.echo(family, wan, urls, self.env.roots.clone(), opts);
        }
        for job in self.engine.take_jobs(unix_now(), self.workers.free_job_slots()) {
            let net = self.env.job_net(job.wan.as_deref());
            self.workers.job(job, net);
        }
        self.start_checks();
        if timer {
            let ok = self.engine.state.records.values().all(|r| r.error.is_none());
            self.outbox.check_pass(&self.engine.config, ok, &self.env.roots, &self.env.http);
        }
        self.save();
    }

    fn start_checks(&mut self) {
        for check in self.engine.take_checks(unix_now()) {
            self.workers.verify(check);
        }
    }

    /// Take in what the workers finished. An echo answer or a job's end may make more work
    /// due (the addresses are read again, a queued record goes out): look again at once,
    /// unless address events are being coalesced — then the burst's end decides.
    fn collect(&mut self) {
        let done = self.workers.finished();
        if done.is_empty() {
            return;
        }
        for d in done {
            match d {
                Done::Echo(family, wan, result) => self.engine.echo_done(family, wan, result, unix_now()),
                Done::Job(job) => {
                    self.engine.finish(job, unix_now());
                }
                Done::Verify(check) => {
                    self.engine.check_done(check, unix_now());
                }
            }
        }
        if self.debounce.due(self.engine.config.global.coalesce).is_none() {
            self.asap = true;
        } else {
            self.save();
        }
    }

    fn save(&mut self) {
        if !self.o.dry_run {
            save(&mut self.engine, unix_now());
        }
    }

    fn signals(&mut self, sigfd: &SignalFd) -> Option<ExitCode> {
        while let Ok(Some(info)) = sigfd.read_signal() {
            match Signal::try_from(info.ssi_signo as i32) {
                Ok(Signal::SIGHUP) => {
                    reload(self.o, &mut self.engine);
                    self.engine.request(&Request { echo: true, update: None });
                    self.asap = true;
                }
                Ok(Signal::SIGUSR1) => {
                    // Coalesced like an address event: a hook that signals every change (as
                    // ddns-scripts' hotplug does) must not turn a flapping line into a storm.
                    log::info!("check requested (SIGUSR1)");
                    self.engine.request(&Request { echo: true, update: None });
                    self.engine.checks.soon(None, unix_now());
                    self.debounce.event(Instant::now());
                }
                Ok(Signal::SIGTERM) | Ok(Signal::SIGINT) => {
                    // Jobs still running are abandoned: their outcome is simply not recorded.
                    log::info!("stopping");
                    self.save();
                    return Some(ExitCode::SUCCESS);
                }
                _ => {}
            }
        }
        None
    }

    /// ubus is worth (re)trying when a socket was named or one of the standard ones exists.
    fn ubus_expected(&self) -> bool {
        self.o.ubus_socket.is_some() || crate::ubus::SOCKET_PATHS.iter().any(|p| Path::new(p).exists())
    }

    fn connect_ubus(&mut self) {
        if !self.ubus_expected() {
            return;
        }
        match Session::open(self.o.ubus_socket.as_deref().map(Path::new), METHODS) {
            Ok(s) => {
                log::info!(
                    "connected to ubus{}",
                    if s.has_netifd() { ", following netifd" } else { " (netifd not there yet)" }
                );
                self.env.ubus = Some(s);
                self.env.ubus_since = Some(Instant::now());
                self.reconnect.wait = Duration::from_secs(1);
                // Addresses may have changed while we were away.
                self.engine.request(&Request { echo: true, update: None });
                self.asap = true;
            }
            Err(e) => {
                crate::debug!("ubus: {e}; trying again in {} s", self.reconnect.wait.as_secs());
                self.reconnect.at = Instant::now() + self.reconnect.wait;
                self.reconnect.wait = (self.reconnect.wait * 2).min(Duration::from_secs(30));
            }
        }
    }

    fn ubus_events(&mut self) {
        let Some(session) = self.env.ubus.as_mut() else {
            return;
        };
        let events = match session.process() {
            Ok(e) => e,
            Err(e) => {
                log::warn!("lost the connection to ubusd; reconnecting");
                log::debug!("ubus: {e}");
                self.env.ubus = None;
                self.env.ubus_since = None;
                self.reconnect.at = Instant::now() + self.reconnect.wait;
                return;
            }
        };
        for event in events {
            match event {
                SessionEvent::InterfaceChanged(_) => self.debounce.event(Instant::now()),
                SessionEvent::NetifdBack => {
                    self.env.ubus_since = Some(Instant::now());
                    self.debounce.event(Instant::now());
                }
                SessionEvent::Call(call) => {
                    let (status, data) = match check_args(&call.method, &call.data) {
                        Ok(()) => self.answer(&call),
                        Err(e) => {
                            (crate::ubus::STATUS_INVALID_ARGUMENT, Some(serde_json::json!({"error": e.to_string()})))
                        }
                    };
                    if let Some(s) = self.env.ubus.as_mut() {
                        if let Err(e) = s.reply(&call, status, data.as_ref()) {
                            log::warn!("ubus reply: {e}");
                        }
                    }
                }
            }
        }
    }

    /// The methods of our `edgeddns` object (arguments already checked against `METHODS`).
    fn answer(&mut self, call: &crate::ubus::Invocation) -> (u32, Option<serde_json::Value>) {
        use serde_json::json;
        match call.method.as_str() {
            "status" => (0, Some(crate::status::snapshot(&self.engine, unix_now()))),
            "update" => {
                let service = call.data.get("service").and_then(|v| v.as_str()).map(str::to_string);
                if let Some(name) = &service {
                    if !self.engine.config.services.iter().any(|s| &s.name == name) {
                        return (
                            crate::ubus::STATUS_NOT_FOUND,
                            Some(json!({"error": format!("no enabled service named '{name}'")})),
                        );
                    }
                }
                log::info!("update requested over ubus ({})", service.as_deref().unwrap_or("all services"));
                self.engine.request(&Request { echo: false, update: Some(service.clone()) });
                self.asap = true;
                (0, Some(json!({"queued": true, "service": service})))
            }
            "detect" => {
                self.engine.request(&Request { echo: true, update: None });
                self.asap = true;
                (0, Some(json!({"queued": true})))
            }
            "reload" => {
                reload(self.o, &mut self.engine);
                self.engine.request(&Request { echo: true, update: None });
                self.asap = true;
                (0, Some(json!({"services": self.engine.config.services.len()})))
            }
            "providers" => (0, Some(crate::providers::catalogue::to_json())),
            "notify_test" => {
                let name = call.data.get("name").and_then(|v| v.as_str());
                let sent = self.outbox.test(&self.engine.config, name, &self.env.roots, &self.env.http);
                match (name, sent.is_empty()) {
                    (Some(n), true) => (
                        crate::ubus::STATUS_NOT_FOUND,
                        Some(json!({"error": format!("no notify section named '{n}'")})),
                    ),
                    _ => (0, Some(json!({"queued": sent}))),
                }
            }
            _ => (crate::ubus::STATUS_METHOD_NOT_FOUND, None),
        }
    }
}

/// The `edgeddns` object's methods and their arguments: what ubus announces (`ubus -v list`)
/// and what a call is checked against before it is answered.
pub const METHODS: &[(&str, &[(&str, u8)])] = &[
    ("status", &[]),
    ("update", &[("service", crate::ubus::blob::BLOBMSG_STRING)]),
    ("detect", &[]),
    ("reload", &[]),
    ("providers", &[]),
    ("notify_test", &[("name", crate::ubus::blob::BLOBMSG_STRING)]),
];

/// A call's arguments against `METHODS`: a wrongly typed or unknown argument is refused, never
/// read as absent (`{"service": 5}` must not mean "every service").
fn check_args(method: &str, data: &serde_json::Value) -> Result<(), Error> {
    let Some((_, policy)) = METHODS.iter().find(|(m, _)| *m == method) else {
        return Ok(());
    };
    let Some(args) = data.as_object() else {
        return Ok(());
    };
    for (name, value) in args {
        let Some((_, kind)) = policy.iter().find(|(n, _)| n == name) else {
            return Err(Error::Argument(format!("{method}: unknown argument '{name}'")));
        };
        let fits = match *kind {
            crate::ubus::blob::BLOBMSG_STRING => value.is_string(),
            _ => true,
        };
        if !fits {
            return Err(Error::Argument(format!("{method}: argument '{name}' must be a string")));
        }
    }
    Ok(())
}

/// Coalescing of address events: the pass waits until the events have been quiet for a fifth
/// of the window (so a single change is published in about 200 ms at the default 1 s), but never
/// longer than the window after the first event of the burst, and reads the addresses as they
/// are then: a burst gives one pass carrying the final address. A line that keeps flapping past
/// the window gets a pass at the cut, and the next limit doubles (up to 32 windows), so a long
/// flap costs a handful of updates, not one per window.
#[derive(Default)]
struct Debounce {
    first: Option<Instant>,
    last: Option<Instant>,
    /// Passes in a row that the limit forced while events still came.
    cuts: u32,
}

impl Debounce {
    fn event(&mut self, now: Instant) {
        self.first.get_or_insert(now);
        self.last = Some(now);
    }

    fn due(&self, window: Duration) -> Option<Instant> {
        Some((self.last? + window / 5).min(self.first? + window * (1 << self.cuts.min(5))))
    }

    /// A pass runs now: the burst so far is consumed. Was it cut short by the limit? (A pass
    /// for another reason, with no events pending, leaves the streak as it is.)
    fn fired(&mut self, now: Instant, window: Duration) {
        if let Some(last) = self.last {
            self.cuts = if now < last + window / 5 { self.cuts + 1 } else { 0 };
        }
        self.first = None;
        self.last = None;
    }
}

fn report_config(cfg: &Config) {
    for w in &cfg.warnings {
        log::warn!("{w}");
    }
    for e in &cfg.errors {
        log::error!("{e}");
    }
}

fn reload(o: &Options, engine: &mut Engine) {
    match load_config(o) {
        Ok(cfg) => {
            log::info!("configuration reloaded: {} service(s)", cfg.services.len());
            report_config(&cfg);
            crate::logging::set_secrets(secrets_of(&cfg));
            log::set_max_level(cfg.global.log_level);
            engine.reload(cfg);
        }
        Err(e) => log::error!("reload failed, keeping the running configuration: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same `Debounce` calls the loop makes: five changes 150 ms apart give one pass,
    /// 200 ms after the last; a burst that never ends is cut at the window.
    #[test]
    fn a_burst_waits_for_quiet_but_not_beyond_the_window() {
        let t0 = Instant::now();
        let w = Duration::from_millis(1000);
        let ms = Duration::from_millis;
        let mut d = Debounce::default();
        assert_eq!(d.due(w), None);
        d.event(t0);
        assert_eq!(d.due(w), Some(t0 + ms(200)));
        for i in 1..5 {
            d.event(t0 + ms(150 * i));
            assert!(d.due(w).unwrap() > t0 + ms(150 * i), "no pass in the middle of the burst");
        }
        assert_eq!(d.due(w), Some(t0 + ms(800)), "one pass, after the last change");
        let mut d = Debounce::default();
        for i in 0..20 {
            d.event(t0 + ms(50 * i));
        }
        assert_eq!(d.due(w), Some(t0 + w), "never later than the window after the first event");
        // The line keeps flapping (a change every 100 ms): the next limit is twice as far,
        // then four times...
        d.fired(t0 + w, w);
        for i in 0..25 {
            d.event(t0 + ms(1050 + 100 * i));
        }
        assert_eq!(d.due(w), Some(t0 + ms(1050) + 2 * w));
        d.fired(t0 + ms(3050), w);
        for i in 0..45 {
            d.event(t0 + ms(3100 + 100 * i));
        }
        assert_eq!(d.due(w), Some(t0 + ms(3100) + 4 * w));
        // ...until it calms down: a pass after quiet brings back the short window.
        d.fired(t0 + ms(7800), w);
        d.event(t0 + ms(9000));
        assert_eq!(d.due(w), Some(t0 + ms(9200)));
    }

    #[test]
    fn ubus_arguments_are_checked_by_type() {
        assert!(check_args("update", &serde_json::json!({"service": "home"})).is_ok());
        assert!(check_args("update", &serde_json::json!({})).is_ok());
        let e = check_args("update", &serde_json::json!({"service": 5})).unwrap_err().to_string();
        assert!(e.contains("'service' must be a string"), "{e}");
        let e = check_args("status", &serde_json::json!({"x": 1})).unwrap_err().to_string();
        assert!(e.contains("unknown argument 'x'"), "{e}");
    }
}
