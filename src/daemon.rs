//! The daemon: triggers (start-up, rtnetlink address events, signals, the safety timer) feed
//! the engine; every pass ends with the state and status written out.

use crate::cli::Options;
use crate::config::{Config, Global, Service};
use crate::engine::{Engine, Env, Request};
use crate::http::{
    Client, ClientOptions, HttpError, Request as HttpRequest, Response, Roots, Transport,
};
use crate::net::Family;
use crate::sources::echo::{self, EchoResult};
use crate::sources::netlink::{AddressMonitor, Netlink};
use crate::sources::{routes, IfAddr, InterfaceSource, SourceError};
use crate::state::State;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
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
}

impl RealEnv {
    pub fn new(cfg: &Config, dry_run: bool) -> Result<RealEnv, String> {
        Self::with_global(&cfg.global, dry_run)
    }

    pub fn with_global(global: &Global, dry_run: bool) -> Result<RealEnv, String> {
        let roots = Roots::load(&global.ca_bundle)?;
        let http = ClientOptions {
            ca_bundle: global.ca_bundle.clone(),
            timeout: global.http_timeout,
        };
        let kernel = Netlink::new().map_err(|e| format!("cannot read interface addresses: {e}"))?;
        Ok(RealEnv {
            roots,
            http,
            kernel,
            dry_run,
        })
    }

    pub fn now_unix(&self) -> u64 {
        unix_now()
    }

    /// The kernel device a service reads for `family`: its `device` option, else on a machine
    /// without netifd the logical name taken as a device if it exists, else the default route's.
    pub fn interface_label(&self, svc: &Service, family: Family) -> String {
        let dev = svc.device_for(family);
        if !dev.is_empty() {
            return dev.to_string();
        }
        let logical = svc.interface_for(family);
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

    fn interface_addrs(
        &mut self,
        svc: &Service,
        family: Family,
    ) -> (String, Result<Vec<IfAddr>, SourceError>) {
        let label = self.interface_label(svc, family);
        let addrs = self.read_device(&label);
        (label, addrs)
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
    fn send(&mut self, req: &HttpRequest) -> Result<Response, HttpError> {
        println!(
            "dry-run: would send:\n  {}",
            req.display_masked().replace('\n', "\n  ")
        );
        Err(HttpError::DryRun)
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub fn secrets_of(cfg: &Config) -> Vec<String> {
    cfg.services
        .iter()
        .flat_map(|s| {
            [
                s.password.expose().to_string(),
                s.token.expose().to_string(),
            ]
        })
        .filter(|s| !s.is_empty())
        .collect()
}

pub fn state_paths(cfg: &Config) -> (PathBuf, Option<PathBuf>) {
    let run = Path::new(&cfg.global.run_dir).join("state.json");
    let persist =
        Some(PathBuf::from(&cfg.global.persist_file)).filter(|p| !p.as_os_str().is_empty());
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
    for s in [
        Signal::SIGHUP,
        Signal::SIGUSR1,
        Signal::SIGTERM,
        Signal::SIGINT,
    ] {
        signals.add(s);
    }
    let sigfd = match signals.thread_block().and_then(|_| {
        SignalFd::with_flags(&signals, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
    }) {
        Ok(fd) => fd,
        Err(e) => {
            log::error!("cannot set up signal handling: {e}");
            return ExitCode::from(1);
        }
    };
    let mut env = match RealEnv::new(&cfg, o.dry_run) {
        Ok(env) => env,
        Err(e) => {
            log::error!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut monitor = match AddressMonitor::new() {
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
    log::info!("started: {} service(s)", engine.config.services.len());

    let mut pending: Option<Instant> = Some(Instant::now());
    let mut burst = Burst::default();
    let mut request = Request {
        echo: true,
        update: None,
    };
    let mut next_check = Instant::now();
    loop {
        let now = Instant::now();
        let due = engine
            .next_due()
            .map(|t| now + Duration::from_secs(t.saturating_sub(unix_now())));
        let wake = [pending, Some(next_check), due]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(next_check);
        let timeout = wake.saturating_duration_since(now);
        let timeout = PollTimeout::try_from(timeout.max(Duration::from_millis(1)))
            .unwrap_or(PollTimeout::MAX);
        let (sig_ready, nl_ready) = {
            let mut fds = vec![PollFd::new(sigfd.as_fd(), PollFlags::POLLIN)];
            if let Some(m) = &monitor {
                fds.push(PollFd::new(m.as_fd(), PollFlags::POLLIN));
            }
            match poll(&mut fds, timeout) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    log::error!("poll: {e}");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
            let ready = |fd: &PollFd| fd.revents().is_some_and(|r| !r.is_empty());
            (ready(&fds[0]), fds.get(1).is_some_and(ready))
        };
        if sig_ready {
            while let Ok(Some(info)) = sigfd.read_signal() {
                match Signal::try_from(info.ssi_signo as i32) {
                    Ok(Signal::SIGHUP) => {
                        reload(o, &mut engine);
                        request.echo = true;
                        pending = Some(Instant::now());
                    }
                    Ok(Signal::SIGUSR1) => {
                        log::info!("check requested (SIGUSR1)");
                        request.echo = true;
                        pending = pending.or(Some(Instant::now()));
                    }
                    Ok(Signal::SIGTERM) | Ok(Signal::SIGINT) => {
                        log::info!("stopping");
                        if !o.dry_run {
                            save(&mut engine, unix_now());
                        }
                        return ExitCode::SUCCESS;
                    }
                    _ => {}
                }
            }
        }
        if nl_ready {
            if let Some(m) = monitor.as_mut() {
                if m.changed() {
                    pending =
                        Some(burst.event(Instant::now(), engine.config.global.coalesce, pending));
                }
            }
        }
        let now = Instant::now();
        let check_due = now >= next_check;
        if pending.is_some_and(|p| now >= p) || check_due || due.is_some_and(|d| now >= d) {
            pending = None;
            burst = Burst::default();
            next_check = now + engine.config.global.check_interval;
            engine.pass(&mut env, &std::mem::take(&mut request));
            if !o.dry_run {
                save(&mut engine, unix_now());
            }
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
        assert_eq!(
            b.event(t0 + Duration::from_millis(300), w, Some(p)),
            t0 + Duration::from_millis(350)
        );
        assert_eq!(b.event(t0 + Duration::from_millis(950), w, None), t0 + w);
        // A pass already due now is not delayed.
        assert_eq!(Burst::default().event(t0, w, Some(t0)), t0);
    }
}
