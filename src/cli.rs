//! Command line: a hand-written parser (an argument-parsing crate would cost more flash than
//! the whole provider catalogue) and the one-shot commands.

use crate::config::{self, Config, IpSource, NatPolicy};
use crate::daemon::{self, RealEnv};
use crate::engine::{EchoState, Engine, Request};
use crate::error::Error;
use crate::net::Family;
use crate::options::{load_config, Options};
use crate::providers::catalogue;
use crate::sources;
use std::process::ExitCode;

pub const USAGE: &str = "\
usage: edgeddns [options] <command>

commands:
  run             run the daemon (logs to syslog; with -f to stderr)
  once            one detection and update pass; exit 0 when every record is up to date
  detect          show interface addresses, echo addresses and the NAT verdict per family
  check-config    validate the configuration and show it with secrets masked
  status          print the daemon's status document (JSON)
  check [SERVICE] ask each record's authoritative nameservers; exit 0 when all are published
  providers       list the supported providers (--json: with the fields each needs)

options:
  -c, --config PATH      configuration file (default /etc/config/edgeddns)
  -n, --dry-run          detect as usual, print the update requests (secrets masked), send none
  -f, --foreground       run: log to stderr instead of syslog
  -v, --verbose          log debug messages too
      --json             machine-readable output (detect, providers)
      --ca-bundle PATH   trusted CA certificates (overrides the global ca_bundle option)
      --run-dir DIR      where state and status are kept (overrides run_dir)
      --persist-file P   flash copy of the state (overrides persist_file; empty disables)
      --ubus-socket P    ubusd's socket (default: /var/run/ubus/ubus.sock, then /var/run/ubus.sock)
  -V, --version          print the version
  -h, --help             print this help
";

/// What the command line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    Run,
    Once,
    Detect,
    CheckConfig,
    Status,
    Check,
    Providers,
    Version,
    Help,
}

impl Command {
    fn parse(s: &str) -> Option<Command> {
        Some(match s {
            "run" => Command::Run,
            "once" => Command::Once,
            "detect" => Command::Detect,
            "check-config" => Command::CheckConfig,
            "status" => Command::Status,
            "check" => Command::Check,
            "providers" => Command::Providers,
            _ => return None,
        })
    }
}

pub fn parse_args(args: &[String]) -> Result<(Command, Options), Error> {
    let mut o = Options::default();
    let mut command: Option<Command> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value =
            |name: &str| it.next().cloned().ok_or_else(|| Error::Usage(format!("option {name} needs a value")));
        match a.as_str() {
            "-c" | "--config" => o.config = Some(value(a)?),
            "-n" | "--dry-run" => o.dry_run = true,
            "-f" | "--foreground" => o.foreground = true,
            "-v" | "--verbose" => o.verbose = true,
            "--json" => o.json = true,
            "--ca-bundle" => o.ca_bundle = Some(value(a)?),
            "--run-dir" => o.run_dir = Some(value(a)?),
            "--persist-file" => o.persist_file = Some(value(a)?),
            "--ubus-socket" => o.ubus_socket = Some(value(a)?),
            "-V" | "--version" => command = Some(Command::Version),
            "-h" | "--help" => command = Some(Command::Help),
            s if s.starts_with('-') => return Err(Error::Usage(format!("unknown option '{s}'"))),
            s if command.is_none() => {
                command = Some(Command::parse(s).ok_or_else(|| Error::Usage(format!("unknown command '{s}'")))?);
            }
            s if command == Some(Command::Check) && o.service.is_none() => o.service = Some(s.to_string()),
            s => return Err(Error::Usage(format!("unexpected argument '{s}'"))),
        }
    }
    Ok((command.ok_or_else(|| Error::Usage("no command given".into()))?, o))
}

pub fn main(args: &[String]) -> ExitCode {
    let (command, o) = match parse_args(args) {
        Ok(parsed) => parsed,
        Err(e) => {
            eprintln!("edgeddns: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if command != Command::Run {
        // Only the daemon reads signals from a signalfd; a one-shot command stops on Ctrl-C.
        let _ = daemon::handled_signals().thread_unblock();
    }
    match command {
        Command::Version => {
            println!("edgeddns {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Help => {
            print!("{USAGE}");
            ExitCode::SUCCESS
        }
        Command::Providers => {
            quiet_on_closed_pipe();
            providers(&o)
        }
        Command::Status => status(&o),
        Command::CheckConfig => with_config(&o, check_config),
        Command::Detect => detect(&o),
        Command::Once => with_config(&o, once),
        Command::Check => with_config(&o, check),
        Command::Run => with_config(&o, daemon::run),
    }
}

/// `edgeddns providers | head` should end quietly like any other tool, not complain about
/// the closed pipe. Only for one-shot commands: the daemon keeps ignoring SIGPIPE.
fn quiet_on_closed_pipe() {
    // SAFETY: restoring the default disposition of a signal before any thread is started.
    let _ =
        unsafe { nix::sys::signal::signal(nix::sys::signal::Signal::SIGPIPE, nix::sys::signal::SigHandler::SigDfl) };
}

fn with_config(o: &Options, f: impl FnOnce(&Options, Config) -> ExitCode) -> ExitCode {
    match load_config(o) {
        Ok(cfg) => f(o, cfg),
        Err(e) => {
            eprintln!("edgeddns: {e}");
            ExitCode::from(2)
        }
    }
}

fn providers(o: &Options) -> ExitCode {
    if o.json {
        println!("{}", serde_json::to_string(&catalogue::to_json()).unwrap_or_default());
    } else {
        for p in catalogue::all() {
            let fields: Vec<String> =
                p.fields().map(|f| if p.requires(f) { f.name.to_string() } else { format!("[{}]", f.name) }).collect();
            let v6 = if p.ipv6 { "ipv4+ipv6" } else { "ipv4" };
            println!("{:<22} {:<11} {:<9} {}", p.name, p.protocol, v6, fields.join(" "));
        }
    }
    ExitCode::SUCCESS
}

fn status(o: &Options) -> ExitCode {
    let run_dir = match load_config(o) {
        Ok(cfg) => cfg.global.run_dir,
        Err(_) => o.run_dir.clone().unwrap_or_else(|| config::Global::default().run_dir),
    };
    let path = std::path::Path::new(&run_dir).join("status.json");
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("edgeddns: no status at {} ({e}): is the daemon running?", path.display());
            ExitCode::from(1)
        }
    }
}

fn check_config(_o: &Options, cfg: Config) -> ExitCode {
    println!("{}: {} service(s) enabled, {} disabled", cfg.path, cfg.services.len(), cfg.disabled.len());
    for s in &cfg.services {
        let fams: Vec<&str> = Family::ALL.iter().filter(|f| s.wants(**f)).map(|f| f.as_str()).collect();
        println!(
            "  {}: {} ({}) for {} [{}]",
            s.name,
            s.provider,
            s.account.preset.protocol,
            s.hostnames.join(", "),
            fams.join("+")
        );
        let source = match (s.ip_source, &s.device) {
            (IpSource::Echo, _) => "echo only".to_string(),
            (_, Some(device)) => format!("device {device}"),
            // Several WANs are tried in their order.
            _ => format!("interface {}/{}", s.wans.join(" then "), s.wans6.join(" then ")),
        };
        let behind_nat = match s.nat_policy {
            NatPolicy::Echo => "publish what the internet sees",
            NatPolicy::Interface => "publish the interface address",
            NatPolicy::Skip => "publish nothing",
        };
        println!("    address from {source}; behind NAT: {behind_nat}");
        if let Some(l) = &s.lan {
            println!("    LAN host published through '{}', prefix of {}", l.service, s.interface6);
        }
        if !s.account.username.is_empty() {
            println!("    username {}", s.account.username);
        }
        for (name, secret) in [("password", &s.account.password), ("token", &s.account.token)] {
            if !secret.expose().is_empty() {
                println!("    {name} {secret}");
            }
        }
        for (k, v) in &s.account.params {
            println!("    {k} {v}");
        }
    }
    for w in &cfg.warnings {
        println!("warning: {w}");
    }
    for e in &cfg.errors {
        println!("error: {e}");
    }
    if cfg.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn once(o: &Options, cfg: Config) -> ExitCode {
    crate::logging::init(cfg.global.log_level, false);
    crate::logging::set_secrets(daemon::secrets_of(&cfg));
    for e in &cfg.errors {
        log::error!("{e}");
    }
    let mut env = match RealEnv::new(&cfg, o.dry_run) {
        Ok(env) => env,
        Err(e) => {
            eprintln!("edgeddns: {e}");
            return ExitCode::from(2);
        }
    };
    let config_ok = cfg.errors.is_empty();
    let (state_file, persist) = daemon::state_paths(&cfg);
    let state = crate::state::State::load(&state_file, persist.as_deref());
    let mut engine = Engine::new(cfg, state, o.dry_run);
    let report = engine.pass(&mut env, &Request { echo: true, update: None });
    if !o.dry_run {
        daemon::save(&mut engine, env.now_unix());
    }
    for (svc, r) in &report.results {
        let reason = r.outcome.reason().map(|s| format!(": {s}")).unwrap_or_default();
        println!("{svc}: {} {}: {}{reason}", r.host, r.family.record_type(), r.outcome.label());
    }
    if report.results.is_empty() {
        println!("nothing to update");
    }
    if report.all_ok() && config_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `check`: per record, how its zone and nameservers were found, what each said, the verdict.
fn check(o: &Options, cfg: Config) -> ExitCode {
    use crate::verify;
    let services: Vec<&config::Service> =
        cfg.services.iter().filter(|s| o.service.as_ref().is_none_or(|n| *n == s.name)).collect();
    if services.is_empty() {
        eprintln!("edgeddns: no enabled service {}", o.service.as_deref().unwrap_or(""));
        return ExitCode::from(2);
    }
    let (state_file, persist) = daemon::state_paths(&cfg);
    let state = crate::state::State::load(&state_file, persist.as_deref());
    let resolvers = verify::resolvers(&cfg.global.verify_resolver);
    let now = daemon::unix_now();
    let mut all = true;
    for svc in services {
        for host in &svc.hostnames {
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
                let rec = state.records.get(&crate::state::RecordKey::new(&svc.name, host, family));
                let registered = rec.and_then(|r| r.registered);
                let since = rec.and_then(|r| r.updated_at).map(|t| now.saturating_sub(t));
                println!(
                    "{}: {host} {}, registered {}",
                    svc.name,
                    family.record_type(),
                    registered.map_or("nothing".into(), |a| a.to_string())
                );
                let l = verify::lookup(host, family, verify::own_server(svc), &resolvers, verify::TIMEOUT);
                for t in &l.trace {
                    println!("  {t}");
                }
                for a in &l.answers {
                    let said = match &a.said {
                        Ok((v, _)) if v.is_empty() => "no such record".to_string(),
                        Ok((v, ttl)) => {
                            format!("{} TTL {ttl}", v.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(" "))
                        }
                        Err(e) => format!("no answer: {e}"),
                    };
                    println!("  {} ({}): {said}", a.server, a.at);
                }
                let (v, why) = verify::judge(&l, registered, since, false, verify::proxied(svc));
                println!("  verdict: {} ({why})", v.as_str());
                all &= v == verify::Verdict::Published;
            }
        }
    }
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `detect`: what each configured WAN holds, what the internet sees, and what that means.
fn detect(o: &Options) -> ExitCode {
    // Without a configuration file, look at the default route: useful on any machine.
    let cfg = match load_config(o) {
        Ok(cfg) => Some(cfg),
        Err(e) if o.config.is_some() => {
            eprintln!("edgeddns: {e}");
            return ExitCode::from(2);
        }
        Err(_) => None,
    };
    let global = cfg.as_ref().map(|c| c.global.clone()).unwrap_or_default();
    let mut env = match RealEnv::with_global(&global, false) {
        Ok(env) => env,
        Err(e) => {
            eprintln!("edgeddns: {e}");
            return ExitCode::from(2);
        }
    };
    let mut targets: Vec<(Family, String)> = Vec::new();
    for family in Family::ALL {
        let names: Vec<String> = match &cfg {
            Some(c) if !c.services.is_empty() => c
                .services
                .iter()
                .filter(|s| s.wants(family) && s.ip_source != IpSource::Echo)
                .map(|s| env.interface_label(s, family))
                .collect(),
            _ => sources::routes::default_route_device(family).into_iter().collect(),
        };
        for n in names {
            if !targets.contains(&(family, n.clone())) {
                targets.push((family, n));
            }
        }
    }
    let mut out = Vec::new();
    for family in Family::ALL {
        let urls = match family {
            Family::V4 => &global.echo_urls_v4,
            Family::V6 => &global.echo_urls_v6,
        };
        let echo = env.echo_now(family, urls);
        let ifaces: Vec<&String> = targets.iter().filter(|(f, _)| *f == family).map(|(_, n)| n).collect();
        if ifaces.is_empty() {
            out.push(serde_json::json!({
                "family": family.as_str(), "interface": null, "address": null, "echo": echo.addr,
                "verdict": null, "explanation": format!("no {family} WAN interface (no default route)"),
                "echo_answers": crate::status::echo_answers(&echo),
            }));
        }
        for name in ifaces {
            let addrs = env.read_device(name);
            let w = crate::engine::judge(family, name, &addrs, None, echo.addr, EchoState::Asked, env.now_unix());
            let all: Vec<_> = addrs.iter().flatten().map(|a| a.addr).collect();
            out.push(serde_json::json!({
                "family": family.as_str(),
                "interface": name,
                "address": w.address,
                "addresses": all,
                "error": w.error,
                "echo": echo.addr,
                "echo_answers": crate::status::echo_answers(&echo),
                "verdict": w.verdict.as_str(),
                "explanation": w.explanation,
            }));
        }
    }
    if o.json {
        println!("{}", serde_json::to_string(&out).unwrap_or_default());
    } else {
        for w in &out {
            let s = |k: &str| w[k].as_str().map(str::to_string).unwrap_or_else(|| "-".into());
            println!("{} on {}:", s("family"), s("interface"));
            println!("  interface address: {}", s("address"));
            println!("  echo address:      {}", s("echo"));
            for a in w["echo_answers"].as_array().into_iter().flatten() {
                let said = a["address"].as_str().or(a["error"].as_str()).unwrap_or("");
                println!("    {}: {said}", a["service"].as_str().unwrap_or(""));
            }
            println!("  verdict:           {}", s("verdict"));
            println!("  {}", s("explanation"));
        }
    }
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn parses_commands_and_options() {
        let (c, o) = parse_args(&args("-c /tmp/x --dry-run once")).unwrap();
        assert_eq!((c, o.config.as_deref(), o.dry_run), (Command::Once, Some("/tmp/x"), true));
        assert_eq!(parse_args(&args("--version")).unwrap().0, Command::Version);
        assert!(parse_args(&args("frob")).unwrap_err().to_string().contains("unknown command 'frob'"));
        assert!(parse_args(&args("once --bogus")).unwrap_err().to_string().contains("unknown option '--bogus'"));
        assert!(parse_args(&args("once -c")).unwrap_err().to_string().contains("needs a value"));
        assert!(parse_args(&args("")).is_err());
    }
}
