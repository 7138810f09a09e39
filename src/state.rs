//! What has been registered where. Kept in RAM, mirrored to a JSON file in the run directory
//! (tmpfs) after every change, and to an optional flash copy only when a registered address or a
//! stop changes, so a reboot does not force useless updates and flash is not worn.

use crate::error::Error;
use crate::net::Family;
use crate::providers::{Code, Kind};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// The largest state file read back: a record takes about 300 bytes, so this is thousands of them.
pub const MAX_STATE_FILE: u64 = 4 << 20;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The address the provider last confirmed.
    pub registered: Option<IpAddr>,
    /// Unix time of that confirmation.
    pub updated_at: Option<u64>,
    pub last_attempt: Option<u64>,
    /// What came of the last attempt.
    pub result: Option<Code>,
    pub error: Option<String>,
    /// What kind of failure the last attempt was (`auth`, `timeout`, …), for programs.
    pub kind: Option<Kind>,
    /// The provider said sending again cannot help; cleared when the service's config changes.
    pub stopped: bool,
    /// Fingerprint of the service config the record was last handled with.
    pub fingerprint: u64,
    pub failures: u32,
    pub retry_at: Option<u64>,
    /// The address whose sending failed: our own backoff holds only for it.
    pub retry_for: Option<IpAddr>,
    /// The wait is the provider's (`Retry-After`, 911), which holds for any address.
    pub retry_by_provider: bool,
    /// Since when its LAN device is gone (not kept: after a restart the grace starts again).
    #[serde(skip)]
    pub absent_since: Option<u64>,
}

impl Record {
    /// A record as the state file holds it. Read through `Value`, not a derived reader (which
    /// costs several KB of flash); a field that is missing or of another type is left unset.
    fn from_json(v: &Value) -> Result<Record, Error> {
        let num = |k: &str| v.get(k).and_then(Value::as_u64);
        let text = |k: &str| v.get(k).and_then(Value::as_str);
        let addr = |k: &str| text(k).and_then(|t| t.parse().ok());
        let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
        Ok(Record {
            registered: addr("registered"),
            updated_at: num("updated_at"),
            last_attempt: num("last_attempt"),
            result: by_code(&Code::ALL, Code::as_str, text("result"))?,
            error: text("error").map(str::to_string),
            kind: by_code(&Kind::ALL, Kind::as_str, text("kind"))?,
            stopped: flag("stopped"),
            fingerprint: num("fingerprint").unwrap_or(0),
            failures: num("failures").map_or(0, |n| n.min(u32::MAX.into()) as u32),
            retry_at: num("retry_at"),
            retry_for: addr("retry_for"),
            retry_by_provider: flag("retry_by_provider"),
            absent_since: None,
        })
    }

    /// The part worth a flash write.
    fn durable(&self) -> (Option<IpAddr>, bool, u64) {
        (self.registered, self.stopped, self.fingerprint)
    }
}

/// The code `text` names among `all`; an unknown one is an error (a newer daemon's file).
fn by_code<T: Copy>(all: &[T], name: fn(T) -> &'static str, text: Option<&str>) -> Result<Option<T>, Error> {
    let Some(text) = text else { return Ok(None) };
    let found = all.iter().find(|c| name(**c) == text);
    found.map(|c| Some(*c)).ok_or_else(|| Error::Corrupt(format!("unknown code '{text}'")))
}

/// Which record: one hostname of a service, in one family. The state file writes it as
/// `service/host/family`, which cannot be ambiguous: neither UCI section names nor host names
/// hold a `/`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey {
    pub service: String,
    pub host: String,
    pub family: Family,
}

impl RecordKey {
    pub fn new(service: &str, host: &str, family: Family) -> RecordKey {
        RecordKey { service: service.into(), host: host.into(), family }
    }

    fn parse(text: &str) -> Option<RecordKey> {
        let (rest, family) = text.rsplit_once('/')?;
        let (service, host) = rest.split_once('/')?;
        let family = Family::ALL.into_iter().find(|f| f.as_str() == family)?;
        Some(RecordKey::new(service, host, family))
    }
}

impl std::fmt::Display for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}/{}", self.service, self.host, self.family)
    }
}

impl Serialize for RecordKey {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct State {
    pub records: BTreeMap<RecordKey, Record>,
    /// A digest of the durable part of what the flash copy holds (a digest, not a copy: a
    /// second map type costs flash).
    #[serde(skip)]
    persisted: u64,
}

impl State {
    /// The run-directory copy survives a daemon restart; the flash copy survives a reboot.
    pub fn load(run_file: &Path, persist_file: Option<&Path>) -> State {
        let read = |p: &Path| -> Option<State> {
            let parsed = match crate::files::read_regular_file(p, MAX_STATE_FILE) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
                Err(e) => Err(e.to_string()),
                // Through `str`, as every other JSON the daemon reads: one reader in the binary.
                Ok(bytes) => std::str::from_utf8(&bytes)
                    .map_err(|e| e.to_string())
                    .and_then(|text| State::from_json(text).map_err(|e| e.to_string())),
            };
            parsed.map_err(|e| log::warn!("ignoring state file {}: {e}; starting without it", p.display())).ok()
        };
        let persisted = persist_file.and_then(read);
        let mut state = read(run_file).or_else(|| persisted.clone()).unwrap_or_default();
        state.persisted = persisted.map(|p| p.durable_view()).unwrap_or_default();
        state
    }

    /// The state file's text, as `save` writes it.
    pub fn from_json(text: &str) -> Result<State, Error> {
        let v: Value = serde_json::from_str(text).map_err(|e| Error::Corrupt(e.to_string()))?;
        let mut records = BTreeMap::new();
        for (key, rec) in v.get("records").and_then(Value::as_object).into_iter().flatten() {
            let k = RecordKey::parse(key)
                .ok_or_else(|| Error::Corrupt(format!("'{key}' is not service/host/ipv4|ipv6")))?;
            records.insert(k, Record::from_json(rec).map_err(|e| Error::Corrupt(format!("{key}: {e}")))?);
        }
        Ok(State { records, persisted: 0 })
    }

    fn durable_view(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        for (k, r) in &self.records {
            (k, r.durable()).hash(&mut h);
        }
        h.finish()
    }

    /// Write the run copy, and the flash copy when something durable changed.
    pub fn save(&mut self, run_file: &Path, persist_file: Option<&Path>) -> std::io::Result<()> {
        let text = serde_json::to_string(self).map_err(std::io::Error::other)?;
        crate::files::write_atomic(run_file, text.as_bytes())?;
        if let Some(p) = persist_file {
            let durable = self.durable_view();
            if durable != self.persisted {
                crate::files::write_atomic(p, text.as_bytes())?;
                self.persisted = durable;
                crate::debug!("state persisted to {}", p.display());
            }
        }
        Ok(())
    }

    /// Drop records of services and hosts no longer configured.
    pub fn retain(&mut self, keep: impl Fn(&RecordKey) -> bool) {
        self.records.retain(|k, _| keep(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::{create_private, read_regular_file};

    #[test]
    fn flash_copy_is_written_only_when_durable_fields_change() {
        let dir = std::env::temp_dir().join(format!("edgeddns-state-{}", std::process::id()));
        let run = dir.join("run/state.json");
        let flash = dir.join("flash/state.json");
        let mut s = State::load(&run, Some(&flash));
        let key = RecordKey::new("home", "a.example.org", Family::V4);
        s.records.insert(key.clone(), Record { registered: "203.0.113.1".parse().ok(), ..Default::default() });
        s.save(&run, Some(&flash)).unwrap();
        let first = std::fs::metadata(&flash).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        // A retry bookkeeping change is not durable: no flash write.
        s.records.get_mut(&key).unwrap().failures = 3;
        s.save(&run, Some(&flash)).unwrap();
        assert_eq!(std::fs::metadata(&flash).unwrap().modified().unwrap(), first);
        // After a reboot (run dir gone) the flash copy is what we know.
        std::fs::remove_file(&run).unwrap();
        let mut s = State::load(&run, Some(&flash));
        assert_eq!(s.records[&key].registered, "203.0.113.1".parse().ok());
        s.records.get_mut(&key).unwrap().registered = "203.0.113.2".parse().ok();
        s.save(&run, Some(&flash)).unwrap();
        assert!(std::fs::read_to_string(&flash).unwrap().contains("203.0.113.2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("edgeddns-state-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Load in a thread, so a load that blocks fails the test instead of hanging the suite.
    fn load_within(run: &Path) -> State {
        let run = run.to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(State::load(&run, None)));
        rx.recv_timeout(std::time::Duration::from_secs(5)).expect("State::load blocked")
    }

    #[test]
    fn only_regular_files_of_bounded_size_are_read() {
        let dir = scratch("kinds");
        std::fs::create_dir_all(dir.join("a-directory")).unwrap();
        let fifo = dir.join("fifo");
        nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
        let cases = [
            (fifo.clone(), "is a FIFO, not a regular file"),
            (Path::new("/dev/zero").to_path_buf(), "is a character device, not a regular file"),
            (dir.join("a-directory"), "is a directory, not a regular file"),
        ];
        for (path, why) in &cases {
            // Each of these hung start-up (a FIFO without writer) or was read without end.
            assert!(load_within(path).records.is_empty());
            let e = read_regular_file(path, MAX_STATE_FILE).unwrap_err();
            assert_eq!(e.to_string(), *why, "{}", path.display());
        }
        let big = dir.join("big.json");
        std::fs::write(&big, vec![b' '; 101]).unwrap();
        assert_eq!(read_regular_file(&big, 100).unwrap_err().to_string(), "is larger than the limit of 100 bytes");
        assert_eq!(read_regular_file(&big, 101).unwrap().len(), 101);
        assert_eq!(read_regular_file(&dir.join("absent"), 1).unwrap_err().kind(), std::io::ErrorKind::NotFound);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn files_are_private_and_temporaries_never_follow_a_planted_symlink() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("perm");
        let run = dir.join("run/state.json");
        let victim = dir.join("victim");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(&victim, "precious").unwrap();
        std::fs::create_dir_all(dir.join("run")).unwrap();
        // What the old code wrote through: a symlink at the fixed temporary name.
        std::os::unix::fs::symlink(&victim, dir.join("run/state.tmp")).unwrap();
        let mut s = State::default();
        s.records.insert(
            RecordKey::new("home", "a.example.org", Family::V4),
            Record { error: Some("kept".into()), ..Default::default() },
        );
        s.save(&run, Some(&dir.join("flash/sub/state.json"))).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(std::fs::read_to_string(&run).unwrap().contains("kept"));
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&run), 0o600);
        assert_eq!(mode(&dir.join("flash/sub/state.json")), 0o600);
        assert_eq!(mode(&dir.join("flash")), 0o700);
        assert_eq!(mode(&dir.join("flash/sub")), 0o700);
        // Were a symlink planted at the unique name itself, it would be refused, not followed.
        let planted = dir.join("run/planted.tmp");
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        assert_eq!(create_private(&planted).unwrap_err().kind(), std::io::ErrorKind::AlreadyExists);
        std::os::unix::fs::symlink(dir.join("nowhere"), dir.join("run/dangling.tmp")).unwrap();
        assert_eq!(
            create_private(&dir.join("run/dangling.tmp")).unwrap_err().kind(),
            std::io::ErrorKind::AlreadyExists
        );
        assert!(!dir.join("nowhere").exists());
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        for link in ["planted.tmp", "dangling.tmp"] {
            std::fs::remove_file(dir.join("run").join(link)).unwrap();
        }
        // No temporary is left behind.
        let left: Vec<_> = std::fs::read_dir(dir.join("run")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left.len(), 2, "{left:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// The file keeps the keys and codes the status document and older daemons use.
    #[test]
    fn typed_keys_and_codes_are_written_as_text() {
        let key = RecordKey::new("home", "a.example.org", Family::V6);
        let mut s = State::default();
        let rec = Record { result: Some(Code::Retry), kind: Some(Kind::RateLimited), ..Default::default() };
        s.records.insert(key.clone(), rec.clone());
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains(r#""home/a.example.org/ipv6":{"#), "{text}");
        assert!(text.contains(r#""result":"retry""#) && text.contains(r#""kind":"rate-limited""#), "{text}");
        let back = State::from_json(&text).unwrap();
        assert_eq!(back.records[&key], rec);
        for bad in [r#"{"records":{"home/a.example.org":{}}}"#, r#"{"records":{"a/b/ipv5":{}}}"#] {
            let e = State::from_json(bad).unwrap_err();
            assert!(e.to_string().contains("is not service/host/ipv4|ipv6"), "{bad}: {e}");
        }
        let e = State::from_json(r#"{"records":{"a/b/ipv4":{"kind":"bogus"}}}"#).unwrap_err();
        assert_eq!(e, Error::Corrupt("a/b/ipv4: unknown code 'bogus'".into()));
        // Every field the daemon writes comes back.
        let full = Record {
            registered: "203.0.113.1".parse().ok(),
            updated_at: Some(1),
            last_attempt: Some(2),
            result: Some(Code::Stopped),
            error: Some("e".into()),
            kind: Some(Kind::Auth),
            stopped: true,
            fingerprint: u64::MAX,
            failures: 3,
            retry_at: Some(4),
            retry_for: "2001:db8::1".parse().ok(),
            retry_by_provider: true,
            absent_since: None,
        };
        s.records.insert(key.clone(), full.clone());
        assert_eq!(State::from_json(&serde_json::to_string(&s).unwrap()).unwrap().records[&key], full);
    }

    #[test]
    fn fuzz_regressions() {
        let dir = scratch("regressions");
        std::fs::create_dir_all(&dir).unwrap();
        for (name, bytes) in crate::testing::regression_inputs("state_file") {
            let path = dir.join(&name);
            std::fs::write(&path, &bytes).unwrap();
            assert!(State::load(&path, None).records.is_empty(), "{name}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
