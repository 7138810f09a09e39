//! Telling the owner: hotplug scripts (`hotplug-call edgeddns`) and the notifiers of the
//! `config notify` sections. The scripts, and each notifier, run on a lane of their own: a
//! thread that works through its queue in order, so a slow script or a dead notification
//! server delays neither the event loop, nor the updates, nor the other notifiers, and scripts
//! see events in the order they happened.

use crate::config::{Config, Notifier, NotifyType};
use crate::event::{object, Action, Event};
use crate::http::{Client, ClientOptions, Method, Request, Roots, Transport};
use nix::libc;
use std::ffi::CString;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Tasks waiting on one lane; beyond this, new ones are dropped (a flapping line must not fill
/// a router's memory with messages nobody will read in time).
const LANE_MAX: usize = 64;

/// Waits before the second and third attempt of a message.
const RETRY_WAITS: [u64; 2] = [2, 10];

type Task = Box<dyn FnOnce() + Send>;

/// A queue and whether its thread runs; the thread ends when the queue is empty.
#[derive(Clone, Default)]
struct Lane(Arc<Mutex<(Vec<Task>, bool)>>);

impl Lane {
    fn push(&self, what: &str, task: Task) {
        let Ok(mut q) = self.0.lock() else { return };
        if q.0.len() >= LANE_MAX {
            log::warn!("{what}: {LANE_MAX} waiting already; dropped");
            return;
        }
        q.0.push(task);
        if q.1 {
            return;
        }
        let lane = self.clone();
        let run = move || loop {
            let task = match lane.0.lock() {
                Ok(mut q) if !q.0.is_empty() => q.0.remove(0),
                Ok(mut q) => {
                    q.1 = false;
                    return;
                }
                Err(_) => return,
            };
            task();
        };
        match crate::worker::thread(Box::new(run)) {
            Ok(_) => q.1 = true,
            Err(e) => log::error!("{what}: cannot start a thread: {e}"),
        }
    }
}

#[derive(Default)]
pub struct Outbox {
    hotplug: Lane,
    /// Per notifier section.
    notify: Vec<(String, Lane)>,
    /// (notifier, event kind, record) → when its last message went, and the notifier's period.
    sent: Vec<(String, Instant, Duration)>,
}

impl Outbox {
    /// Run the hotplug scripts for `e` and hand it to every notifier that wants it, at most
    /// one message per kind and record per `rate_limit`.
    pub fn event(&mut self, cfg: &Config, e: &Event, roots: &Roots, http: &ClientOptions) {
        if let Some(program) = cfg.global.hotplug.clone().filter(|p| std::path::Path::new(p).exists()) {
            let (e, limit) = (e.clone(), cfg.global.hotplug_timeout);
            self.hotplug.push("hotplug", Box::new(move || hotplug(&program, &e, limit)));
        }
        for n in cfg.notifiers.iter().filter(|n| n.on.contains(&e.action)) {
            self.offer(n, e, roots, http);
        }
    }

    /// A periodic check ended, good or not: healthchecks pings tell an external monitor that
    /// the router is alive (and stop when it is dead).
    pub fn check_pass(&mut self, cfg: &Config, ok: bool, roots: &Roots, http: &ClientOptions) {
        let e = bare(if ok { Action::Updated } else { Action::Failed }, "", "check");
        for n in cfg.notifiers.iter().filter(|n| n.kind == NotifyType::Healthchecks) {
            self.offer(n, &e, roots, http);
        }
    }

    /// Send unless this notifier had the same kind of message about the same record within
    /// its `rate_limit`.
    fn offer(&mut self, n: &Notifier, e: &Event, roots: &Roots, http: &ClientOptions) {
        let now = Instant::now();
        self.sent.retain(|(_, at, period)| now.duration_since(*at) < *period);
        let key = format!("{}\0{}\0{}\0{}\0{}", n.name, e.action.as_str(), e.service, e.hostname, e.family);
        if self.sent.iter().any(|(k, _, _)| *k == key) {
            return crate::debug!("notify '{}': {} held back (rate_limit)", n.name, e.action.as_str());
        }
        self.sent.push((key, now, n.rate_limit));
        self.send(n, e, roots, http);
    }

    /// A test message through the notifier `name`, or through all; the names it went to.
    pub fn test(&mut self, cfg: &Config, name: Option<&str>, roots: &Roots, http: &ClientOptions) -> Vec<String> {
        let mut out = Vec::new();
        for n in cfg.notifiers.iter().filter(|n| name.is_none_or(|w| w == n.name)) {
            self.send(n, &bare(Action::Test, &n.name, "ok"), roots, http);
            out.push(n.name.clone());
        }
        out
    }

    fn send(&mut self, n: &Notifier, e: &Event, roots: &Roots, http: &ClientOptions) {
        if !self.notify.iter().any(|(k, _)| *k == n.name) {
            self.notify.push((n.name.clone(), Lane::default()));
        }
        let lane = self.notify.iter().find(|(k, _)| *k == n.name).map(|(_, l)| l.clone()).unwrap_or_default();
        let (req, name, roots, http) = (request(n, e), n.name.clone(), roots.clone(), http.clone());
        lane.push("notify", Box::new(move || deliver(&name, &req, &roots, &http)));
    }
}

/// An event about no record: a periodic check, a test message.
fn bare(action: Action, service: &str, result: &str) -> Event {
    Event {
        action,
        service: service.to_string(),
        hostname: String::new(),
        family: crate::net::Family::V4,
        address: None,
        result: result.to_string(),
        detail: String::new(),
    }
}

/// `hotplug-call edgeddns` with the event in the environment, and nothing of ours: the
/// daemon's environment is not passed on. Killed (its whole process group, as scripts start
/// their own children) when it outlives `limit`.
fn hotplug(program: &str, e: &Event, limit: Duration) {
    let action = e.action.as_str();
    let mut env: Vec<String> = e.fields().iter().map(|(k, v)| format!("{}={v}", k.to_ascii_uppercase())).collect();
    env.push("PATH=/usr/sbin:/usr/bin:/sbin:/bin".into());
    let pid = match spawn(program, &env) {
        Ok(pid) => pid,
        Err(err) => return log::warn!("hotplug: cannot run {program}: {err}"),
    };
    let (until, mut status) = (Instant::now() + limit, 0);
    loop {
        // SAFETY: waitpid on our own child, with a valid pointer to `status`.
        match unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) } {
            0 if Instant::now() < until => std::thread::sleep(Duration::from_millis(20)),
            0 => break,
            _ if status != 0 => {
                return log::warn!("hotplug: {program} edgeddns ({action}) failed (wait status {status})")
            }
            _ => return,
        }
    }
    log::warn!("hotplug: {program} edgeddns ({action}) still running after {} s: killed", limit.as_secs());
    let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    // SAFETY: as above; the child is dead or dying.
    unsafe { libc::waitpid(pid, &mut status, 0) };
}

/// Start `program edgeddns` with exactly `env`, in a process group of its own, in `/`, stdin on
/// /dev/null, no signal blocked. By hand rather than with std's `Command`, which would cost
/// tens of KB of flash for this one call.
fn spawn(program: &str, env: &[String]) -> std::io::Result<i32> {
    let c = |s: &str| CString::new(s).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput));
    let args = [c(program)?, c("edgeddns")?];
    let env = env.iter().map(|e| c(e)).collect::<std::io::Result<Vec<CString>>>()?;
    let ptrs = |v: &[CString]| {
        let mut p: Vec<*const libc::c_char> = v.iter().map(|s| s.as_ptr()).collect();
        p.push(std::ptr::null());
        p
    };
    let (argv, envp) = (ptrs(&args), ptrs(&env));
    // SAFETY: between fork and execve the child makes only async-signal-safe calls on data
    // prepared before the fork (no allocation, no lock), and leaves with _exit.
    unsafe {
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        match libc::fork() {
            -1 => Err(std::io::Error::last_os_error()),
            0 => {
                libc::setpgid(0, 0);
                libc::chdir(c"/".as_ptr());
                let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDONLY);
                if null > 0 {
                    libc::dup2(null, 0);
                }
                // The daemon blocks the signals it reads from its signalfd, and std ignores
                // SIGPIPE: a script gets neither.
                libc::pthread_sigmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                libc::execve(argv[0], argv.as_ptr(), envp.as_ptr());
                libc::_exit(127)
            }
            pid => {
                // Also here, so that a kill never races the child's own setpgid.
                libc::setpgid(pid, pid);
                Ok(pid)
            }
        }
    }
}

/// Placeholders of a webhook URL template: `[ACTION]`, `[SERVICE]`... as the hotplug variables.
const PLACEHOLDERS: [&str; 10] =
    ["action", "service", "interface", "hostname", "family", "address", "result", "error", "explanation", "verdict"];

/// The request each service documents for one message.
// One copy: inlined, it was built twice (1.4 KB on x86_64 for the pair).
#[inline(never)]
pub fn request(n: &Notifier, e: &Event) -> Request {
    let token = n.token.as_ref().map_or("", |t| t.expose());
    let base = n.url.trim_end_matches('/');
    let (text, title) = (e.text(), format!("edgeddns: {}", e.action.as_str()));
    let (url, mut body) = match n.kind {
        NotifyType::Webhook => {
            let fields = e.fields();
            let value = |k: &str| fields.iter().find(|(n, _)| *n == k).map_or("", |(_, v)| v.as_str());
            let url = PLACEHOLDERS.iter().fold(n.url.clone(), |u, k| {
                u.replace(&format!("[{}]", k.to_ascii_uppercase()), &crate::encoding::url_encode(value(k)))
            });
            (url, e.to_json())
        }
        NotifyType::Ntfy => {
            (base.to_string(), object(vec![("topic", n.target.clone()), ("title", title), ("message", text)]))
        }
        NotifyType::Telegram => {
            (format!("{base}/bot{token}/sendMessage"), object(vec![("chat_id", n.target.clone()), ("text", text)]))
        }
        NotifyType::Gotify => (format!("{base}/message"), object(vec![("title", title), ("message", text)])),
        NotifyType::Healthchecks => {
            let bad = matches!(e.action, Action::Failed | Action::Stopped | Action::Drift);
            (if bad { format!("{base}/fail") } else { base.to_string() }, e.to_json())
        }
    };
    // ntfy knows priorities 1 to 5, Gotify 0 to 10.
    let priority = match n.kind {
        NotifyType::Ntfy => n.priority.map(|p| p.clamp(1, 5)),
        NotifyType::Gotify => n.priority,
        _ => None,
    };
    if let (Some(p), Some(o)) = (priority, body.as_object_mut()) {
        o.insert("priority".into(), p.into());
    }
    // A URL template carries the event itself: it is called as it is.
    let mut req = if n.kind == NotifyType::Webhook && url != n.url {
        Request::get(url)
    } else {
        Request::new(Method::Post, url).json_body(&body)
    };
    req = match (n.kind, token) {
        (_, "") => req,
        (NotifyType::Gotify, t) => req.header("X-Gotify-Key", t).secret(t),
        (NotifyType::Telegram, t) => req.secret(t),
        (_, t) => req.bearer(t),
    };
    // A webhook's or ping's path is a credential of its own (anyone who has it can post):
    // logs show the host only.
    if matches!(n.kind, NotifyType::Webhook | NotifyType::Healthchecks) {
        if let Some(i) = n.url.find("://").and_then(|i| n.url[i + 3..].find('/').map(|j| i + 3 + j + 1)) {
            req = req.secret(n.url.get(i..).unwrap_or_default());
        }
    }
    req.allow_http = n.allow_http;
    req
}

/// Send one message, retrying a failed connection, 429 or 5xx twice with growing waits.
fn deliver(name: &str, req: &Request, roots: &Roots, http: &ClientOptions) {
    let mut why = String::new();
    for attempt in 0..=RETRY_WAITS.len() {
        if let Some(wait) = attempt.checked_sub(1).and_then(|i| RETRY_WAITS.get(i)) {
            std::thread::sleep(Duration::from_secs(*wait));
        }
        match Client::new(roots, http, None).send(req) {
            Ok(r) if (200..300).contains(&r.status) => return crate::debug!("notify '{name}': sent"),
            Ok(r) if r.status == 429 || r.status >= 500 => why = format!("HTTP {}", r.status),
            Ok(r) => {
                let body: String = r.body.chars().take(200).collect();
                return log::warn!("notify '{name}': refused with HTTP {}: {}", r.status, req.mask(&body));
            }
            Err(e) => why = req.mask(&e.to_string()),
        }
    }
    log::warn!("notify '{name}': not sent after {} attempts: {why}", RETRY_WAITS.len() + 1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;

    fn notifier(kind: NotifyType, url: &str, target: &str, token: &str) -> Notifier {
        Notifier {
            name: "n".into(),
            kind,
            on: vec![Action::Updated],
            url: url.into(),
            target: target.into(),
            token: Some(token).filter(|t| !t.is_empty()).map(Secret::new),
            priority: Some(7),
            rate_limit: Duration::from_secs(60),
            allow_http: false,
        }
    }

    fn event(action: Action) -> Event {
        Event {
            action,
            service: "home".into(),
            hostname: "h.example.org".into(),
            family: crate::net::Family::V6,
            address: "2001:db8::7".parse().ok(),
            result: "updated".into(),
            detail: String::new(),
        }
    }

    /// What each service documents, field by field; secrets masked when shown.
    #[test]
    fn each_type_builds_its_documented_request() {
        let body = |r: &Request| serde_json::from_str::<serde_json::Value>(r.body.as_deref().unwrap()).unwrap();
        let t = request(
            &notifier(NotifyType::Telegram, "https://api.telegram.org/", "-100", "123:ABC"),
            &event(Action::Updated),
        );
        assert_eq!((t.method, t.url.as_str()), (Method::Post, "https://api.telegram.org/bot123:ABC/sendMessage"));
        assert_eq!(body(&t), serde_json::json!({"chat_id": "-100", "text": event(Action::Updated).text()}));
        assert!(!t.display_masked().contains("123:ABC"), "{}", t.display_masked());
        let g = request(&notifier(NotifyType::Gotify, "https://g.example", "", "AppTok"), &event(Action::Updated));
        assert_eq!((g.url.as_str(), g.header_value("X-Gotify-Key")), ("https://g.example/message", Some("AppTok")));
        assert_eq!(body(&g)["priority"], 7);
        assert!(!g.display_masked().contains("AppTok"));
        let n = request(&notifier(NotifyType::Ntfy, "https://ntfy.sh", "t", ""), &event(Action::Updated));
        assert_eq!((n.url.as_str(), body(&n)["priority"].as_u64()), ("https://ntfy.sh", Some(5)));
        assert_eq!(n.header_value("Authorization"), None);
        let hc = notifier(NotifyType::Healthchecks, "https://hc-ping.com/uuid-1", "", "");
        assert_eq!(request(&hc, &event(Action::Updated)).url, "https://hc-ping.com/uuid-1");
        let fail = request(&hc, &event(Action::Failed));
        assert_eq!(fail.url, "https://hc-ping.com/uuid-1/fail");
        assert!(!fail.display_masked().contains("uuid-1"), "{}", fail.display_masked());
        let w = notifier(NotifyType::Webhook, "https://h.example/in?a=[ACTION]&ip=[ADDRESS]&e=[ERROR]", "", "");
        let w = request(&w, &event(Action::Updated));
        assert_eq!((w.method, w.url.as_str()), (Method::Get, "https://h.example/in?a=updated&ip=2001%3Adb8%3A%3A7&e="));
        let w = request(&notifier(NotifyType::Webhook, "https://h.example/in", "", "tok"), &event(Action::Drift));
        assert_eq!((w.method, body(&w)["action"].as_str()), (Method::Post, Some("drift")));
        assert_eq!(w.header_value("Authorization"), Some("Bearer tok"));
    }

    /// A script that hangs is killed with its children at the limit, and the next one runs.
    #[test]
    fn a_hanging_hotplug_script_is_killed_at_the_limit() {
        let dir = std::env::temp_dir().join(format!("edgeddns-hp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let script = dir.join("hotplug-call");
        let mark = dir.join("child-alive");
        let text = format!("#!/bin/sh\n(sleep 3; echo alive > {}) &\nsleep 30\n", mark.display());
        std::fs::write(&script, text).unwrap();
        std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let t = Instant::now();
        hotplug(script.to_str().unwrap(), &event(Action::Updated), Duration::from_secs(1));
        let took = t.elapsed();
        assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(3), "{took:?}");
        std::thread::sleep(Duration::from_millis(3000));
        assert!(!mark.exists(), "a child of the killed script lived on");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
