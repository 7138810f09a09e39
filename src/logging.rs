//! Logging to stderr (foreground) or to syslog's /dev/log (OpenWrt's logd), with every
//! configured secret masked as a last line of defence.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::{Mutex, OnceLock};

enum Sink {
    Stderr,
    Syslog(UnixDatagram),
}

struct Logger {
    sink: Mutex<Sink>,
    secrets: Mutex<Vec<String>>,
}

static LOGGER: OnceLock<Logger> = OnceLock::new();

/// Route log records to syslog when `syslog` is set and /dev/log answers, else to stderr.
pub fn init(level: log::LevelFilter, syslog: bool) {
    let sink = if syslog {
        match UnixDatagram::unbound().and_then(|s| s.connect("/dev/log").map(|_| s)) {
            Ok(s) => Sink::Syslog(s),
            Err(e) => {
                eprintln!("edgeddns: /dev/log unavailable ({e}); logging to stderr");
                Sink::Stderr
            }
        }
    } else {
        Sink::Stderr
    };
    let logger = LOGGER.get_or_init(|| Logger { sink: Mutex::new(Sink::Stderr), secrets: Mutex::new(Vec::new()) });
    if let Ok(mut s) = logger.sink.lock() {
        *s = sink;
    }
    let _ = log::set_logger(logger);
    log::set_max_level(level);
}

/// A debug line of edgeddns's own, shown with `-v` / `log_level debug` in every build.
/// `log`'s `release_max_level_info` removes every `log::debug!` from release builds at compile
/// time; it stays, because the debug lines of ureq and rustls cost 25,476 bytes on MIPS, which
/// is over the size budget. edgeddns's own debug lines come through here instead, checked
/// against the run-time level only.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)+) => {
        $crate::logging::debug(format_args!($($arg)+))
    };
}

/// What `debug!` calls.
pub fn debug(args: std::fmt::Arguments) {
    emit(log::logger(), args);
}

fn emit(logger: &dyn log::Log, args: std::fmt::Arguments) {
    if log::max_level() >= log::LevelFilter::Debug {
        logger.log(&log::Record::builder().level(log::Level::Debug).target("edgeddns").args(args).build());
    }
}

/// Values that must never be logged (passwords, tokens; `providers::secrets_of` gives a
/// service's, with the basic-auth pairs), replaced on every reload.
pub fn set_secrets(secrets: Vec<String>) {
    if let Some(l) = LOGGER.get() {
        if let Ok(mut s) = l.secrets.lock() {
            *s = secrets.into_iter().filter(|s| !s.is_empty()).collect();
        }
    }
}

impl Logger {
    /// The line with every configured secret masked in every form, by the same function that
    /// masks provider answers (`http::mask_secrets`).
    fn masked(&self, line: &str) -> String {
        match self.secrets.lock() {
            Ok(secrets) => crate::secret::mask_secrets(line, &secrets),
            // A poisoned lock holds secrets we cannot read: show nothing rather than a secret.
            Err(_) => "(log line withheld: the secret list is unavailable)".to_string(),
        }
    }
}

impl log::Log for Logger {
    fn enabled(&self, meta: &log::Metadata) -> bool {
        meta.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let msg = self.masked(&record.args().to_string());
        let Ok(mut sink) = self.sink.lock() else {
            return;
        };
        match &mut *sink {
            Sink::Stderr => {
                let _ = writeln!(std::io::stderr(), "edgeddns: {}: {msg}", level_word(record.level()));
            }
            Sink::Syslog(sock) => {
                // logd truncates at 1024 bytes; a lost log line must never stop the daemon.
                let _ = sock.send(syslog_line(record.level(), std::process::id(), &msg).as_bytes());
            }
        }
    }

    fn flush(&self) {}
}

/// `<PRI>edgeddns[PID]: message` with facility daemon; logd adds the timestamp itself.
fn syslog_line(level: log::Level, pid: u32, msg: &str) -> String {
    let severity = match level {
        log::Level::Error => 3,
        log::Level::Warn => 4,
        log::Level::Info => 6,
        log::Level::Debug | log::Level::Trace => 7,
    };
    format!("<{}>edgeddns[{pid}]: {msg}", 3 * 8 + severity)
}

fn level_word(l: log::Level) -> &'static str {
    match l {
        log::Level::Error => "error",
        log::Level::Warn => "warning",
        log::Level::Info => "info",
        log::Level::Debug => "debug",
        log::Level::Trace => "trace",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `debug!` reaches the logger whenever the run-time level allows it, whatever the `log`
    /// crate's compile-time ceiling (run `cargo test --release` to see it hold under
    /// `release_max_level_info`, where `log::debug!` would print nothing).
    #[test]
    fn debug_lines_follow_the_run_time_level() {
        struct Capture(Mutex<Vec<String>>);
        impl log::Log for Capture {
            fn enabled(&self, _: &log::Metadata) -> bool {
                true
            }
            fn log(&self, r: &log::Record) {
                self.0.lock().unwrap().push(format!("{} {}", r.level(), r.args()));
            }
            fn flush(&self) {}
        }
        let capture = Capture(Mutex::new(Vec::new()));
        let before = log::max_level();
        log::set_max_level(log::LevelFilter::Debug);
        emit(&capture, format_args!("seen {}", 1));
        log::set_max_level(log::LevelFilter::Info);
        emit(&capture, format_args!("not seen"));
        log::set_max_level(before);
        assert_eq!(*capture.0.lock().unwrap(), ["DEBUG seen 1"]);
    }

    #[test]
    fn log_lines_mask_every_form_of_a_secret() {
        let logger = Logger { sink: Mutex::new(Sink::Stderr), secrets: Mutex::new(vec!["p w/\"x".to_string()]) };
        let line = "url p%20w%2F%22x form p+w%2F%22x json p w/\\\"x raw p w/\"x";
        assert_eq!(logger.masked(line), "url *** form *** json *** raw ***");
    }

    #[test]
    fn syslog_priorities_use_the_daemon_facility() {
        assert_eq!(syslog_line(log::Level::Error, 7, "x"), "<27>edgeddns[7]: x");
        assert_eq!(syslog_line(log::Level::Warn, 7, "x"), "<28>edgeddns[7]: x");
        assert_eq!(syslog_line(log::Level::Info, 7, "x"), "<30>edgeddns[7]: x");
        assert_eq!(syslog_line(log::Level::Debug, 7, "x"), "<31>edgeddns[7]: x");
    }
}
