//! The daemon: triggers (start-up, netifd over ubus, rtnetlink address events, signals, the
//! safety timer) feed the engine; every pass ends with the state and status written out. The
//! `edgeddns` ubus object answers LuCI from the same loop.

use crate::cli::Options;
use crate::config::{Config, Global, IpSource, Service};
use crate::engine::{Engine, Env, Request};
use crate::http::{Client, ClientOptions, HttpError, Request as HttpRequest, Response, Roots, Transport};
use crate::net::Family;
use crate::sources::echo::{self, EchoResult};
use crate::sources::netlink::{AddressMonitor, Netlink};
use crate::sources::{routes, IfAddr, InterfaceSource, SourceError};
use crate::state::State;
use crate::ubus::session::{Event as SessionEvent, Session};
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::collections::HashMap;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The engine's window on the real machine.
pub struct RealEnv {
    roots: Roots,
    http: ClientOptions,
    kernel: Netlink,
    dry_run: bool,
    /// The ubus session, when the daemon has one: netifd is then the address source.
    ubus: Option<Session>,
    /// Logical interface → kernel device, as netifd last reported it, so that while netifd or
    /// ubus restarts the kernel is read on the right device instead of a guessed one.
    netifd_devices: HashMap<String, String>,
}

impl RealEnv {
    pub fn new(cfg: &Config, dry_run: bool) -> Result<RealEnv, String> {
        Self::with_global(&cfg.global, dry_run)
    }

    pub fn with_global(global: &Global, dry_run: bool) -> Result<RealEnv, String> {
        let roots = Roots::load(&global.ca_bundle)?;
        let http = ClientOptions { ca_bundle: global.ca_bundle.clone(), timeout: global.http_timeout };
        let kernel = Netlink::new().map_err(|e| format!("cannot read interface addresses: {e}"))?;
        Ok(RealEnv { roots, http, kernel, dry_run, ubus: None, netifd_devices: HashMap::new() })
    }

    pub fn now_unix(&self) -> u64 {
        unix_now()
    }

    /// The kernel device a service reads for `family`: its `device` option, else the device
    /// netifd last gave for the logical interface, else on a machine without netifd the logical
    /// name taken as a device if it exists, else the default route's.
    pub fn interface_label(&self, svc: &Service, family: Family) -> String {
        let dev = svc.device_for(family);
        if !dev.is_empty() {
            return dev.to_string();
        }
        let logical = svc.interface_for(family);
        if let Some(dev) = self.netifd_devices.get(logical) {
            return dev.clone();
        }
        if Path::new("/sys/class/net").join(logical).exists() {
            return logical.to_string();
        }
        routes::default_route_device(family).unwrap_or_else(|| logical.to_string())
    }

    pub fn read_device(&mut self, dev: &str) -> Result<Vec<IfAddr>, SourceError> {
        self.kernel.addresses(dev)
    }

    pub fn echo_now(&self, family: Family, urls: &[String]) -> EchoResult {
        let mut client = Client::new(&self.roots, &self.http, Some(family));
        echo::query(urls, family, &mut client)
    }
}

impl Env for RealEnv {
    fn now(&self) -> u64 {
        unix_now()
    }

    fn interface_addrs(&mut self, svc: &Service, family: Family) -> (String, Result<Vec<IfAddr>, SourceError>) {
        let netifd = self.ubus.as_ref().is_some_and(|s| s.has_netifd());
        let use_netifd = match svc.ip_source {
            IpSource::Netifd => true,
            IpSource::Auto => netifd && svc.device_for(family).is_empty(),
            IpSource::Device | IpSource::Echo => false,
        };
        if !use_netifd {
            let label = self.interface_label(svc, family);
            let addrs = self.read_device(&label);
            return (label, addrs);
        }
        let name = svc.interface_for(family).to_string();
        let addrs = match self.ubus.as_mut().filter(|s| s.has_netifd()) {
            None => Err(SourceError::Io("netifd is not reachable over ubus".into())),
            Some(s) => match s.interface_status(&name) {
                Ok(st) => {
                    if let Some(dev) = crate::ubus::netifd::l3_device(&st) {
                        self.netifd_devices.insert(name.clone(), dev.to_string());
                    }
                    Ok(crate::ubus::netifd::addresses(&st, family))
                }
                Err(crate::ubus::Error::Status(crate::ubus::STATUS_NOT_FOUND)) => {
                    Err(SourceError::NoSuchInterface(name.clone()))
                }
                Err(e) => Err(SourceError::Io(e.to_string())),
            },
        };
        (name, addrs)
    }

    fn echo(&mut self, family: Family, urls: &[String]) -> EchoResult {
        self.echo_now(family, urls)
    }

    fn transport(&mut self) -> Box<dyn Transport + Send> {
        if self.dry_run {
            Box::new(DryRun)
        } else {
            Box::new(Client::new(&self.roots, &self.http, None))
        }
    }
}

/// `--dry-run`: print what would be sent, secrets masked, and send nothing.
struct DryRun;

impl Transport for DryRun {
    fn dns(&mut self, server: &str, message: &[u8]) -> Result<Vec<u8>, HttpError> {
        println!("dry-run: would send a TSIG-signed DNS UPDATE ({} bytes) to {server}", message.len());
        Err(HttpError::DryRun)
    }

    fn send(&mut self, req: &HttpRequest) -> Result<Response, HttpError> {
        println!("dry-run: would send:\n  {}", req.display_masked().replace('\n', "\n  "));
        Err(HttpError::DryRun)
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

pub fn secrets_of(cfg: &Config) -> Vec<String> {
    cfg.services
        .iter()
        .flat_map(|s| [s.password.expose().to_string(), s.token.expose().to_string()])
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn state_paths(cfg: &Config) -> (PathBuf, Option<PathBuf>) {
    let run = Path::new(&cfg.global.run_dir).join("state.json");
    let persist = Some(PathBuf::from(&cfg.global.persist_file)).filter(|p| !p.as_os_str().is_empty());
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
    let text = serde_json::to_string_pretty(&status).unwrap_or_default();
    if let Err(e) = crate::state::write_atomic(&path, text.as_bytes()) {
        log::error!("cannot write status {}: {e}", path.display());
    }
}

pub fn run(o: &Options, cfg: Config) -> ExitCode {
    crate::logging::init(cfg.global.log_level, !o.foreground);
    crate::logging::set_secrets(secrets_of(&cfg));
    let mut signals = SigSet::empty();
    for s in [Signal::SIGHUP, Signal::SIGUSR1, Signal::SIGTERM, Signal::SIGINT] {
        signals.add(s);
    }
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
    let engine = Engine::new(cfg, state, o.dry_run);
    log::info!("started: {} service(s)", engine.config.services.len());
    let now = Instant::now();
    let mut d = Daemon {
        o,
        env,
        engine,
        monitor,
        pending: Some(now),
        burst: Burst::default(),
        request: Request { echo: true, update: None },
        next_check: now,
        reconnect: Reconnect { at: now, wait: Duration::from_secs(1) },
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
    /// When the next pass is wanted (events, signals, calls).
    pending: Option<Instant>,
    burst: Burst,
    request: Request,
    next_check: Instant,
    reconnect: Reconnect,
}

impl Daemon<'_> {
    /// Wait for the next thing to do and do it; `Some` to stop with that code.
    fn turn(&mut self, sigfd: &SignalFd) -> Option<ExitCode> {
        // Notifications that arrived while the last pass called netifd sit in the connection's
        // queue, not in the socket: poll() would not wake for them. Handle them first.
        self.ubus_events();
        let now = Instant::now();
        let due = self.engine.next_due().map(|t| now + Duration::from_secs(t.saturating_sub(unix_now())));
        let reconnect = (self.env.ubus.is_none() && self.ubus_expected()).then_some(self.reconnect.at);
        let wake = [self.pending, Some(self.next_check), due, reconnect]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.next_check);
        let timeout = PollTimeout::try_from(wake.saturating_duration_since(now).max(Duration::from_millis(1)))
            .unwrap_or(PollTimeout::MAX);
        let (sig_ready, nl_ready, ubus_ready) = {
            let mut fds = vec![PollFd::new(sigfd.as_fd(), PollFlags::POLLIN)];
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
            (ready(Some(0)), ready(nl), ready(ub))
        };
        if sig_ready {
            if let Some(code) = self.signals(sigfd) {
                return Some(code);
            }
        }
        if nl_ready && self.monitor.as_mut().is_some_and(|m| m.changed()) {
            self.address_event();
        }
        if ubus_ready {
            self.ubus_events();
        }
        if self.env.ubus.is_none() && self.ubus_expected() && Instant::now() >= self.reconnect.at {
            self.connect_ubus();
        }
        let now = Instant::now();
        if self.pending.is_some_and(|p| now >= p) || now >= self.next_check || due.is_some_and(|d| now >= d) {
            self.pending = None;
            self.burst = Burst::default();
            self.next_check = now + self.engine.config.global.check_interval;
            self.engine.pass(&mut self.env, &std::mem::take(&mut self.request));
            if !self.o.dry_run {
                save(&mut self.engine, unix_now());
            }
        }
        None
    }

    fn signals(&mut self, sigfd: &SignalFd) -> Option<ExitCode> {
        while let Ok(Some(info)) = sigfd.read_signal() {
            match Signal::try_from(info.ssi_signo as i32) {
                Ok(Signal::SIGHUP) => {
                    reload(self.o, &mut self.engine);
                    self.request.echo = true;
                    self.pending = Some(Instant::now());
                }
                Ok(Signal::SIGUSR1) => {
                    log::info!("check requested (SIGUSR1)");
                    self.request.echo = true;
                    self.pending = Some(self.pending.map_or(Instant::now(), |p| p.min(Instant::now())));
                }
                Ok(Signal::SIGTERM) | Ok(Signal::SIGINT) => {
                    log::info!("stopping");
                    if !self.o.dry_run {
                        save(&mut self.engine, unix_now());
                    }
                    return Some(ExitCode::SUCCESS);
                }
                _ => {}
            }
        }
        None
    }

    fn address_event(&mut self) {
        self.pending = Some(self.burst.event(Instant::now(), self.engine.config.global.coalesce, self.pending));
    }

    /// ubus is worth (re)trying when a socket was named or one of the standard ones exists.
    fn ubus_expected(&self) -> bool {
        self.o.ubus_socket.is_some() || crate::ubus::SOCKET_PATHS.iter().any(|p| Path::new(p).exists())
    }

    fn connect_ubus(&mut self) {
        if !self.ubus_expected() {
            return;
        }
        match Session::open(self.o.ubus_socket.as_deref().map(Path::new)) {
            Ok(s) => {
                log::info!(
                    "connected to ubus{}",
                    if s.has_netifd() { ", following netifd" } else { " (netifd not there yet)" }
                );
                self.env.ubus = Some(s);
                self.reconnect.wait = Duration::from_secs(1);
                // Addresses may have changed while we were away.
                self.request.echo = true;
                self.pending = Some(Instant::now());
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
                log::warn!("lost ubus ({e}); reconnecting");
                self.env.ubus = None;
                self.reconnect.at = Instant::now() + self.reconnect.wait;
                return;
            }
        };
        for event in events {
            match event {
                SessionEvent::InterfaceChanged(_) => self.address_event(),
                SessionEvent::Call(call) => {
                    let (status, data) = self.answer(&call);
                    if let Some(s) = self.env.ubus.as_mut() {
                        if let Err(e) = s.reply(&call, status, data.as_ref()) {
                            log::warn!("ubus reply: {e}");
                        }
                    }
                }
            }
        }
    }

    /// The methods of our `edgeddns` object.
    fn answer(&mut self, call: &crate::ubus::Invocation) -> (u32, Option<serde_json::Value>) {
        use serde_json::json;
        match call.method.as_str() {
            "status" => (0, Some(crate::status::snapshot(&self.engine, unix_now()))),
            "update" => {
                let service = call.data["service"].as_str().filter(|s| !s.is_empty()).map(str::to_string);
                if let Some(name) = &service {
                    if !self.engine.config.services.iter().any(|s| &s.name == name) {
                        return (
                            crate::ubus::STATUS_NOT_FOUND,
                            Some(json!({"error": format!("no enabled service named '{name}'")})),
                        );
                    }
                }
                log::info!("update requested over ubus ({})", service.as_deref().unwrap_or("all services"));
                self.request.update = Some(service.clone());
                self.pending = Some(Instant::now());
                (0, Some(json!({"queued": true, "service": service})))
            }
            "detect" => {
                self.request.echo = true;
                self.pending = Some(Instant::now());
                (0, Some(json!({"queued": true})))
            }
            "reload" => {
                reload(self.o, &mut self.engine);
                self.request.echo = true;
                self.pending = Some(Instant::now());
                (0, Some(json!({"services": self.engine.config.services.len()})))
            }
            "providers" => (0, Some(crate::providers::catalogue::to_json())),
            _ => (crate::ubus::STATUS_METHOD_NOT_FOUND, None),
        }
    }
}

/// Coalescing of address events: the pass waits until the events have been quiet for a fifth
/// of the window (so a single change is published in about 200 ms at the default 1 s), but never
/// longer than the whole window after the first event of the burst, and reads the addresses as
/// they are then: a burst gives one update carrying the final address.
#[derive(Default)]
struct Burst {
    first: Option<Instant>,
}

impl Burst {
    fn event(&mut self, now: Instant, window: Duration, pending: Option<Instant>) -> Instant {
        let first = *self.first.get_or_insert(now);
        let when = (now + window / 5).min(first + window);
        // An earlier pass (a signal asked for one now) stays earlier.
        pending.map_or(when, |p| p.min(when))
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
    match crate::cli::load_config(o) {
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

    #[test]
    fn a_burst_waits_for_quiet_but_not_beyond_the_window() {
        let t0 = Instant::now();
        let w = Duration::from_millis(1000);
        let mut b = Burst::default();
        assert_eq!(b.event(t0, w, None), t0 + Duration::from_millis(200));
        // Events every 150 ms keep pushing the pass back...
        let p = b.event(t0 + Duration::from_millis(150), w, None);
        assert_eq!(p, t0 + Duration::from_millis(350));
        // ...until the window since the first event is over.
        assert_eq!(b.event(t0 + Duration::from_millis(300), w, Some(p)), t0 + Duration::from_millis(350));
        assert_eq!(b.event(t0 + Duration::from_millis(950), w, None), t0 + w);
        // A pass already due now is not delayed.
        assert_eq!(Burst::default().event(t0, w, Some(t0)), t0);
    }
}
