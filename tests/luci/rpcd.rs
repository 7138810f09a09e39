//! rpcd as the LuCI page meets it, for tests/luci_page.rs: logins from an rpcd-style user list,
//! sessions whose grants come from acl.d files with rpcd's rules (session.c), the JSON-RPC gate of
//! uhttpd-mod-ubus (ubus.c) in front of every call, and the `uci` object (uci.c) with per-session
//! staged changes, apply with rollback, confirm and the config.change trigger. The facts (grant
//! semantics, status and error codes, reply shapes) are taken from those sources; the code is ours.

use edgeddns::ubus::{Connection, Error};
use edgeddns::uci;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

/// ubus status codes (libubus).
pub const UBUS_NOT_FOUND: u32 = 4;
pub const UBUS_NO_DATA: u32 = 5;
pub const UBUS_PERMISSION_DENIED: u32 = 6;
const UBUS_INVALID_ARGUMENT: u32 = 2;
const UBUS_METHOD_NOT_FOUND: u32 = 3;
const UBUS_CONNECTION_FAILED: u32 = 10;

/// JSON-RPC errors of uhttpd-mod-ubus.
pub const ERROR_OBJECT: (i32, &str) = (-32000, "Object not found");
pub const ERROR_ACCESS: (i32, &str) = (-32002, "Access denied");
const ERROR_METHOD: (i32, &str) = (-32601, "Method not found");

/// rpcd's default session id: the one every request without a login uses.
pub const NULL_SID: &str = "00000000000000000000000000000000";

/// One (scope, object, function) grant.
pub type Grant = (String, String, String);

/// A `config login` of /etc/config/rpcd.
pub struct Login {
    pub username: &'static str,
    pub password: &'static str,
    pub read: Vec<&'static str>,
    pub write: Vec<&'static str>,
}

/// fnmatch(3) with `*` and `?` (rpcd passes FNM_NOESCAPE; ACL patterns use no brackets).
pub fn glob(pattern: &str, s: &str) -> bool {
    fn go(p: &[char], s: &[char]) -> bool {
        match p.split_first() {
            None => s.is_empty(),
            Some(('*', rest)) => (0..=s.len()).any(|i| go(rest, &s[i..])),
            Some(('?', rest)) => !s.is_empty() && go(rest, &s[1..]),
            Some((c, rest)) => s.first() == Some(c) && go(rest, &s[1..]),
        }
    }
    go(&pattern.chars().collect::<Vec<_>>(), &s.chars().collect::<Vec<_>>())
}

/// rpc_login_test_permission: negated entries deny first, then any match allows; write implies
/// read. Without a login (the default session) only "unauthenticated" is granted.
fn permitted(login: Option<&Login>, perm: &str, group: &str) -> bool {
    let Some(login) = login else { return group == "unauthenticated" };
    let list = if perm == "read" { &login.read } else { &login.write };
    if list.iter().filter_map(|p| p.strip_prefix('!')).any(|p| glob(p.trim_start(), group)) {
        return false;
    }
    if list.iter().any(|p| !p.is_empty() && !p.starts_with('!') && glob(p, group)) {
        return true;
    }
    perm == "read" && permitted(Some(login), "write", group)
}

/// rpc_login_setup_acl_file over every acl.d file: a scope in table notation grants object →
/// functions, in array notation grants each object with the permission ("read"/"write") as its
/// function; every granted group also lands in the "access-group" scope.
pub fn acl_grants(files: &[Value], login: Option<&Login>) -> BTreeSet<Grant> {
    let mut out = BTreeSet::new();
    for file in files {
        for (group, def) in file.as_object().into_iter().flatten() {
            for perm in ["read", "write"] {
                let Some(scopes) = def.get(perm).and_then(Value::as_object) else { continue };
                if !permitted(login, perm, group) {
                    continue;
                }
                for (scope, v) in scopes {
                    match v {
                        Value::Object(objects) => {
                            for (object, functions) in objects {
                                for f in functions.as_array().into_iter().flatten().filter_map(Value::as_str) {
                                    out.insert((scope.clone(), object.clone(), f.to_string()));
                                }
                            }
                        }
                        Value::Array(objects) => {
                            for o in objects.iter().filter_map(Value::as_str) {
                                out.insert((scope.clone(), o.to_string(), perm.to_string()));
                            }
                        }
                        _ => continue,
                    }
                    out.insert(("access-group".into(), group.clone(), perm.into()));
                }
            }
        }
    }
    out
}

pub struct Session {
    pub username: Option<String>,
    /// The CSRF token LuCI's dispatcher hands the page with the session.
    pub token: String,
    grants: BTreeSet<Grant>,
    /// Per config: the file as this session sees it and the deltas it staged (rpcd's savedir).
    staged: HashMap<String, (uci::File, Vec<Value>)>,
}

impl Session {
    pub fn allowed(&self, scope: &str, object: &str, function: &str) -> bool {
        self.grants.iter().any(|(s, o, f)| s == scope && glob(o, object) && glob(f, function))
    }

    /// rpc_session_dump_acls: scope → object → [functions].
    fn dump_acls(&self) -> Value {
        let mut out = Map::new();
        for (s, o, f) in &self.grants {
            let scope = out.entry(s.clone()).or_insert_with(|| json!({}));
            let list = scope.as_object_mut().unwrap().entry(o.clone()).or_insert_with(|| json!([]));
            list.as_array_mut().unwrap().push(json!(f));
        }
        Value::Object(out)
    }
}

/// A pending apply with rollback: the files as they were, until confirmed.
struct Pending {
    sid: String,
    confirm_token: String,
    backups: Vec<(PathBuf, String)>,
}

pub struct Rpcd {
    pub ubus: PathBuf,
    /// UCI configs by name (/etc/config/<name>).
    pub configs: HashMap<String, PathBuf>,
    pub acl_files: Vec<Value>,
    pub logins: Vec<Login>,
    pub sessions: Mutex<HashMap<String, Session>>,
    pending: Mutex<Option<Pending>>,
    /// procd's part: what a config.change of a package sets off (the service's reload).
    pub on_config_change: Box<dyn Fn(&str) + Send + Sync>,
    pub applied: Mutex<Vec<String>>,
    /// dnsmasq's lease file (`/tmp/dhcp.leases`), one of the sources of rpcd's host hints.
    pub dhcp_leases: Mutex<Option<PathBuf>>,
    this: Weak<Rpcd>,
}

fn random_hex() -> String {
    let mut b = [0u8; 16];
    getrandom(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn getrandom(buf: &mut [u8]) {
    use std::io::Read;
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(buf)).unwrap();
}

impl Rpcd {
    pub fn new(
        ubus: PathBuf,
        configs: HashMap<String, PathBuf>,
        acl_files: Vec<Value>,
        logins: Vec<Login>,
        on_config_change: Box<dyn Fn(&str) + Send + Sync>,
    ) -> Arc<Rpcd> {
        let rpcd = Arc::new_cyclic(|this| Rpcd {
            ubus,
            configs,
            acl_files,
            logins,
            sessions: Mutex::new(HashMap::new()),
            pending: Mutex::new(None),
            on_config_change,
            applied: Mutex::new(Vec::new()),
            dhcp_leases: Mutex::new(None),
            this: this.clone(),
        });
        let grants = acl_grants(&rpcd.acl_files, None);
        rpcd.sessions
            .lock()
            .unwrap()
            .insert(NULL_SID.into(), Session { username: None, token: String::new(), grants, staged: HashMap::new() });
        rpcd
    }

    /// `session login`: the session id, or None for a wrong user name or password.
    pub fn login(&self, username: &str, password: &str) -> Option<String> {
        let login = self.logins.iter().find(|l| l.username == username && l.password == password)?;
        let sid = random_hex();
        let grants = acl_grants(&self.acl_files, Some(login));
        self.sessions.lock().unwrap().insert(
            sid.clone(),
            Session { username: Some(username.into()), token: random_hex(), grants, staged: HashMap::new() },
        );
        Some(sid)
    }

    pub fn with_session<T>(&self, sid: &str, f: impl FnOnce(&Session) -> T) -> Option<T> {
        self.sessions.lock().unwrap().get(sid).map(f)
    }

    /// A JSON-RPC 2.0 request as uhttpd-mod-ubus answers it (legacy `call` with a params array).
    /// Through LuCI's own endpoint (admin/ubus) a session may always ask `session access` about
    /// itself, as it does on a real router (an unknown session gets `access: false`, not an error).
    pub fn jsonrpc(&self, req: &Value, luci_dispatcher: bool) -> Value {
        let reply = |body: (&str, Value)| {
            let mut m = json!({"jsonrpc": "2.0", "id": req["id"]});
            m[body.0] = body.1;
            m
        };
        let error = |(code, message): (i32, &str)| reply(("error", json!({"code": code, "message": message})));
        if req["method"] != "call" {
            return error(ERROR_METHOD);
        }
        let p = &req["params"];
        let (sid, object, method) =
            (p[0].as_str().unwrap_or(""), p[1].as_str().unwrap_or(""), p[2].as_str().unwrap_or(""));
        let builtin = ["session", "uci", "luci", "luci-rpc"].contains(&object);
        if !builtin && self.lookup(object).is_err() {
            return error(ERROR_OBJECT);
        }
        let self_query = luci_dispatcher && object == "session" && method == "access";
        if self_query && self.with_session(sid, |_| ()).is_none() {
            return reply(("result", json!([0, {"access": false}])));
        }
        if !self_query && self.with_session(sid, |s| s.allowed("ubus", object, method)) != Some(true) {
            return error(ERROR_ACCESS);
        }
        // uhttpd hands the session to the callee as ubus_rpc_session.
        let mut args = if p[3].is_object() { p[3].clone() } else { json!({}) };
        args["ubus_rpc_session"] = json!(sid);
        let (status, data) = match object {
            "session" => self.session_call(method, &args),
            "uci" => self.uci_call(sid, method, &args),
            "luci" if method == "getFeatures" => (0, Some(json!({"ipv6": true, "firewall4": true}))),
            "luci-rpc" if method == "getNetworkDevices" => (0, Some(network_devices())),
            "luci-rpc" if method == "getHostHints" => {
                (0, Some(host_hints(self.dhcp_leases.lock().unwrap().as_deref())))
            }
            "luci" | "luci-rpc" => (UBUS_METHOD_NOT_FOUND, None),
            _ => self.forward(object, method, &args),
        };
        reply((
            "result",
            match data {
                Some(d) => json!([status, d]),
                None => json!([status]),
            },
        ))
    }

    fn lookup(&self, object: &str) -> Result<u32, Error> {
        Connection::connect(Some(&self.ubus)).and_then(|mut c| c.lookup(object))
    }

    fn forward(&self, object: &str, method: &str, args: &Value) -> (u32, Option<Value>) {
        let mut args = args.clone();
        args.as_object_mut().unwrap().remove("ubus_rpc_session");
        let result = Connection::connect(Some(&self.ubus)).and_then(|mut c| {
            let id = c.lookup(object)?;
            c.invoke(id, method, &args)
        });
        match result {
            Ok(v) => (0, Some(v)),
            Err(Error::Status(s)) => (s, None),
            Err(_) => (UBUS_CONNECTION_FAILED, None),
        }
    }

    fn session_call(&self, method: &str, args: &Value) -> (u32, Option<Value>) {
        match method {
            "access" => {
                let sid = args["ubus_rpc_session"].as_str().unwrap_or("");
                let answer = self.with_session(sid, |s| match (args["object"].as_str(), args["function"].as_str()) {
                    (Some(o), Some(f)) => json!({"access": s.allowed(args["scope"].as_str().unwrap_or("ubus"), o, f)}),
                    _ => s.dump_acls(),
                });
                match answer {
                    Some(a) => (0, Some(a)),
                    None => (UBUS_NOT_FOUND, None),
                }
            }
            "login" => {
                match self.login(args["username"].as_str().unwrap_or(""), args["password"].as_str().unwrap_or("")) {
                    Some(sid) => {
                        let dump = self.with_session(&sid, |s| {
                            json!({"ubus_rpc_session": sid, "timeout": 300, "expires": 300, "acls": s.dump_acls(),
                               "data": {"username": s.username}})
                        });
                        (0, dump)
                    }
                    None => (UBUS_PERMISSION_DENIED, None),
                }
            }
            _ => (UBUS_METHOD_NOT_FOUND, None),
        }
    }

    fn read_config(&self, name: &str) -> Option<uci::File> {
        let path = self.configs.get(name)?;
        let text = std::fs::read_to_string(path).ok()?;
        uci::parse(name, &text).ok()
    }

    /// The `uci` object: reads need uci read access to the config, changes write access.
    fn uci_call(&self, sid: &str, method: &str, args: &Value) -> (u32, Option<Value>) {
        let config = args["config"].as_str().unwrap_or("").to_string();
        let mut sessions = self.sessions.lock().unwrap();
        let Some(session) = sessions.get_mut(sid) else { return (UBUS_NOT_FOUND, None) };
        let need = match method {
            "get" | "changes" => "read",
            "apply" | "confirm" | "rollback" => "",
            _ => "write",
        };
        if method == "changes" && config.is_empty() {
            let mut all = Map::new();
            for (name, (_, deltas)) in &session.staged {
                if session.allowed("uci", name, "read") && !deltas.is_empty() {
                    all.insert(name.clone(), json!(deltas));
                }
            }
            return (0, Some(json!({"changes": all})));
        }
        if !need.is_empty() {
            if config.is_empty() {
                return (UBUS_INVALID_ARGUMENT, None);
            }
            if !session.allowed("uci", &config, need) {
                return (UBUS_PERMISSION_DENIED, None);
            }
        }
        match method {
            "apply" => {
                drop(sessions);
                return self.apply(
                    sid,
                    args["rollback"].as_bool().unwrap_or(false),
                    args["timeout"].as_u64().unwrap_or(30),
                );
            }
            "confirm" => {
                drop(sessions);
                let mut pending = self.pending.lock().unwrap();
                return match pending.as_ref() {
                    None => (UBUS_NO_DATA, None),
                    Some(p) if p.sid != sid => (UBUS_PERMISSION_DENIED, None),
                    Some(_) => {
                        *pending = None;
                        (0, None)
                    }
                };
            }
            "rollback" => return (UBUS_METHOD_NOT_FOUND, None),
            _ => {}
        }
        if !session.staged.contains_key(&config) {
            match self.read_config(&config) {
                Some(f) => {
                    session.staged.insert(config.clone(), (f, Vec::new()));
                }
                None => return (UBUS_NOT_FOUND, None),
            }
        }
        let (file, deltas) = session.staged.get_mut(&config).unwrap();
        uci_method(file, deltas, method, args)
    }

    /// rpc_uci_apply: every config the session changed needs write access; the files are
    /// committed and each package gets its config.change; with rollback they come back unless
    /// confirmed within the timeout.
    fn apply(&self, sid: &str, rollback: bool, timeout: u64) -> (u32, Option<Value>) {
        let mut pending = self.pending.lock().unwrap();
        if pending.is_some() && rollback {
            return (UBUS_PERMISSION_DENIED, None);
        }
        let mut sessions = self.sessions.lock().unwrap();
        let Some(session) = sessions.get_mut(sid) else { return (UBUS_NOT_FOUND, None) };
        let changed: Vec<String> =
            session.staged.iter().filter(|(_, (_, d))| !d.is_empty()).map(|(n, _)| n.clone()).collect();
        if changed.iter().any(|c| !session.allowed("uci", c, "write")) {
            return (UBUS_PERMISSION_DENIED, None);
        }
        let mut backups = Vec::new();
        for name in &changed {
            let (file, _) = session.staged.remove(name).unwrap();
            let path = self.configs[name].clone();
            backups.push((path.clone(), std::fs::read_to_string(&path).unwrap_or_default()));
            std::fs::write(&path, uci::render(&file)).unwrap();
            self.applied.lock().unwrap().push(name.clone());
            (self.on_config_change)(name);
        }
        session.staged.clear();
        if rollback {
            let token = random_hex();
            *pending = Some(Pending { sid: sid.into(), confirm_token: token, backups });
            self.arm_rollback(sid.to_string(), Duration::from_secs(timeout));
        }
        (0, None)
    }

    /// rpc_uci_apply_timeout: unconfirmed, the old files return and the packages reload again.
    fn arm_rollback(&self, sid: String, timeout: Duration) {
        let me = self.this.clone();
        let deadline = Instant::now() + timeout;
        std::thread::spawn(move || {
            std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
            let Some(rpcd) = me.upgrade() else { return };
            let mut pending = rpcd.pending.lock().unwrap();
            if pending.as_ref().is_some_and(|p| p.sid == sid) {
                for (path, text) in pending.take().unwrap().backups {
                    std::fs::write(&path, text).unwrap();
                    let name = path.file_name().unwrap().to_string_lossy().to_string();
                    (rpcd.on_config_change)(&name);
                }
            }
        });
    }

    /// LuCI's admin/uci/apply_rollback: the page's session applies with rollback; the answer is
    /// the token that admin/uci/confirm must bring back (None: nothing to apply).
    pub fn apply_rollback(&self, sid: &str, timeout: u64) -> Result<Option<String>, u32> {
        let has_changes = self.with_session(sid, |s| s.staged.values().any(|(_, d)| !d.is_empty()));
        if has_changes != Some(true) {
            return Ok(None);
        }
        match self.apply(sid, true, timeout) {
            (0, _) => Ok(self.pending.lock().unwrap().as_ref().map(|p| p.confirm_token.clone())),
            (s, _) => Err(s),
        }
    }

    /// LuCI's admin/uci/confirm: `uci confirm` for the session that applied, given its token.
    pub fn confirm(&self, token: &str) -> bool {
        let sid = match self.pending.lock().unwrap().as_ref() {
            Some(p) if p.confirm_token == token => p.sid.clone(),
            _ => return false,
        };
        self.uci_call(&sid, "confirm", &json!({})).0 == 0
    }
}

/// rpcd's uci get/add/set/delete on the session's copy, recording the deltas as `uci changes`
/// lists them: [op, section, option?, value?].
fn uci_method(file: &mut uci::File, deltas: &mut Vec<Value>, method: &str, args: &Value) -> (u32, Option<Value>) {
    let find = |f: &uci::File, name: &str| f.sections.iter().position(|s| s.name.as_deref() == Some(name));
    let pos = uci::Position { line: 0, column: 0 };
    let section = args["section"].as_str().unwrap_or("");
    match method {
        "get" => {
            let mut values = Map::new();
            for (i, s) in file.sections.iter().enumerate() {
                let name = s.name.clone().unwrap_or_else(|| format!("cfg{i:02x}"));
                let mut obj = json!({".type": s.kind, ".name": name, ".anonymous": s.name.is_none(), ".index": i});
                for e in &s.entries {
                    obj[&e.name] = match &e.value {
                        uci::Value::Single(v) => json!(v),
                        uci::Value::List(items) => json!(items),
                    };
                }
                values.insert(name, obj);
            }
            (0, Some(json!({"values": values})))
        }
        "changes" => (0, Some(json!({"changes": deltas}))),
        "add" => {
            let name = args["name"].as_str().map(str::to_string);
            let kind = args["type"].as_str().unwrap_or("").to_string();
            let sid = name.clone().unwrap_or_else(|| format!("cfg{:02x}", file.sections.len()));
            if name.as_deref().is_some_and(|n| find(file, n).is_some()) {
                return (UBUS_INVALID_ARGUMENT, None);
            }
            file.sections.push(uci::Section { kind: kind.clone(), name, pos, entries: vec![] });
            deltas.push(json!(["add", sid, kind]));
            let i = file.sections.len() - 1;
            set_values(&mut file.sections[i], &sid, &args["values"], deltas);
            (0, Some(json!({"section": sid})))
        }
        "set" => match find(file, section) {
            Some(i) => {
                set_values(&mut file.sections[i], section, &args["values"], deltas);
                (0, None)
            }
            None => (UBUS_NOT_FOUND, None),
        },
        "delete" => match find(file, section) {
            Some(i) => {
                let options: Vec<String> = match (&args["options"], &args["option"]) {
                    (Value::Array(o), _) => o.iter().filter_map(Value::as_str).map(str::to_string).collect(),
                    (_, Value::String(o)) => vec![o.clone()],
                    _ => {
                        file.sections.remove(i);
                        deltas.push(json!(["remove", section]));
                        return (0, None);
                    }
                };
                for o in options {
                    if file.sections[i].entries.iter().any(|e| e.name == o) {
                        file.sections[i].entries.retain(|e| e.name != o);
                        deltas.push(json!(["remove", section, o]));
                    }
                }
                (0, None)
            }
            None => (UBUS_NOT_FOUND, None),
        },
        _ => (UBUS_METHOD_NOT_FOUND, None),
    }
}

fn set_values(s: &mut uci::Section, sid: &str, values: &Value, deltas: &mut Vec<Value>) {
    for (k, v) in values.as_object().into_iter().flatten() {
        let value = match v {
            Value::Array(items) => {
                uci::Value::List(items.iter().map(|i| i.as_str().unwrap_or("").to_string()).collect())
            }
            Value::String(s) => uci::Value::Single(s.clone()),
            other => uci::Value::Single(other.to_string()),
        };
        match &value {
            uci::Value::List(items) => {
                deltas.push(json!(["remove", sid, k]));
                for item in items {
                    deltas.push(json!(["list-add", sid, k, item]));
                }
            }
            uci::Value::Single(v) => deltas.push(json!(["set", sid, k, v])),
        }
        match s.entries.iter_mut().find(|e| &e.name == k) {
            Some(e) => e.value = value,
            None => s.entries.push(uci::Entry { name: k.clone(), value, pos: uci::Position { line: 0, column: 0 } }),
        }
    }
}

/// luci-rpc getNetworkDevices from the kernel's own list (name → flags, as LuCI reads them).
fn network_devices() -> Value {
    let mut out = Map::new();
    for entry in std::fs::read_dir("/sys/class/net").into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let read = |f: &str| std::fs::read_to_string(entry.path().join(f)).unwrap_or_default().trim().to_string();
        out.insert(
            name.clone(),
            json!({"name": name, "ifindex": read("ifindex").parse::<u64>().unwrap_or(0), "mac": read("address"),
                   "up": read("operstate") == "up"}),
        );
    }
    Value::Object(out)
}

/// luci-rpc getHostHints as rpcd-mod-luci answers it: an object keyed by MAC (upper case, as
/// its ea2str writes it) with `ipv4`, `ipv6` and `name` where known. Here from dnsmasq's lease
/// file (`expiry mac ip hostname clientid` per line; `*` is no name), one of rpcd's sources.
fn host_hints(leases: Option<&Path>) -> Value {
    let mut out = Map::new();
    let text = leases.and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let [_, mac, ip, name, ..] = f[..] else { continue };
        let hint = out.entry(mac.to_ascii_uppercase()).or_insert_with(|| json!({}));
        hint[if ip.contains(':') { "ipv6" } else { "ipv4" }] = json!(ip);
        if name != "*" {
            hint["name"] = json!(name);
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login(read: &[&'static str], write: &[&'static str]) -> Login {
        Login { username: "u", password: "p", read: read.to_vec(), write: write.to_vec() }
    }

    /// Apply with rollback commits at once and undoes it unless confirmed; confirm keeps it.
    #[test]
    fn an_unconfirmed_apply_rolls_back() {
        let dir = std::env::temp_dir().join(format!("edgeddns-rpcd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("edgeddns");
        let original = "config service 'home'\n\toption ttl '60'\n";
        std::fs::write(&path, original).unwrap();
        let reloads = Arc::new(Mutex::new(0));
        let r = reloads.clone();
        let files = vec![json!({"app": {"read": {"ubus": {"uci": ["*"]}, "uci": ["edgeddns"]},
                                        "write": {"uci": ["edgeddns"]}}})];
        let rpcd = Rpcd::new(
            dir.join("no-ubus"),
            HashMap::from([("edgeddns".to_string(), path.clone())]),
            files,
            vec![Login { username: "u", password: "p", read: vec![], write: vec!["app"] }],
            Box::new(move |_| *r.lock().unwrap() += 1),
        );
        let sid = rpcd.login("u", "p").unwrap();
        let call = |method: &str, args: Value| {
            rpcd.jsonrpc(
                &json!({"jsonrpc": "2.0", "id": 1, "method": "call", "params": [sid, "uci", method, args]}),
                false,
            )
        };
        let set = json!({"config": "edgeddns", "section": "home", "values": {"ttl": "300"}});
        assert_eq!(call("set", set.clone())["result"], json!([0]));
        assert_eq!(
            call("changes", json!({}))["result"][1]["changes"]["edgeddns"],
            json!([["set", "home", "ttl", "300"]])
        );
        let token = rpcd.apply_rollback(&sid, 1).unwrap().unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("'300'"));
        // A second apply with rollback while one is pending is refused, as rpcd does.
        assert_eq!(call("apply", json!({"rollback": true}))["result"], json!([UBUS_PERMISSION_DENIED]));
        std::thread::sleep(Duration::from_millis(1500));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original, "rolled back");
        assert_eq!(*reloads.lock().unwrap(), 2, "the apply and the rollback each reload");
        assert!(!rpcd.confirm(&token), "nothing left to confirm");
        call("set", set);
        let token = rpcd.apply_rollback(&sid, 1).unwrap().unwrap();
        assert!(rpcd.confirm(&token));
        std::thread::sleep(Duration::from_millis(1500));
        assert!(std::fs::read_to_string(&path).unwrap().contains("'300'"), "confirmed changes stay");
        // Without the uci grant a read is refused with rpcd's status, without the ubus grant uhttpd's error.
        let denied = |object: &str, method: &str| {
            rpcd.jsonrpc(&json!({"jsonrpc": "2.0", "id": 1, "method": "call", "params": [sid, object, method, {"config": "network"}]}), true)
        };
        assert_eq!(denied("uci", "get")["result"], json!([UBUS_PERMISSION_DENIED]));
        assert_eq!(denied("luci-rpc", "getNetworkDevices")["error"]["code"], json!(ERROR_ACCESS.0));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn grants_follow_rpcd() {
        let files = vec![json!({
            "app": {"read": {"uci": ["app", "network"], "ubus": {"app": ["status"]}},
                    "write": {"uci": ["app"], "ubus": {"app": ["update"]}}},
            "other": {"read": {"ubus": {"x": ["*"]}}}
        })];
        let ro = acl_grants(&files, Some(&login(&["app"], &[])));
        assert!(ro.contains(&("uci".into(), "network".into(), "read".into())));
        assert!(!ro.iter().any(|g| g.2 == "write" || g.2 == "update"));
        // Write implies the group's read; a negation wins over a wildcard.
        let rw = acl_grants(&files, Some(&login(&["!other", "*"], &["app"])));
        assert!(rw.contains(&("ubus".into(), "app".into(), "status".into())));
        assert!(rw.contains(&("access-group".into(), "app".into(), "write".into())));
        assert!(!rw.iter().any(|g| g.1 == "x" || g.1 == "other"));
        assert!(acl_grants(&files, None).is_empty());
        assert!(glob("hostapd.*", "hostapd.wlan0") && !glob("network", "network.interface"));
    }
}
