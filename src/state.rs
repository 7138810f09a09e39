//! What has been registered where. Kept in RAM, mirrored to a JSON file in the run directory
//! (tmpfs) after every change, and to an optional flash copy only when a registered address or a
//! stop changes, so a reboot does not force useless updates and flash is not worn.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::Path;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The address the provider last confirmed.
    pub registered: Option<IpAddr>,
    /// Unix time of that confirmation.
    pub updated_at: Option<u64>,
    pub last_attempt: Option<u64>,
    /// Outcome label of the last attempt (`updated`, `unchanged`, `retry`, `stopped`).
    pub result: Option<String>,
    pub error: Option<String>,
    /// What kind of failure the last attempt was (`auth`, `timeout`, …), for programs.
    #[serde(default)]
    pub kind: Option<String>,
    /// The provider said sending again cannot help; cleared when the service's config changes.
    #[serde(default)]
    pub stopped: bool,
    /// Fingerprint of the service config the record was last handled with.
    #[serde(default)]
    pub fingerprint: u64,
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub retry_at: Option<u64>,
    /// The address whose sending failed: our own backoff holds only for it.
    #[serde(default)]
    pub retry_for: Option<IpAddr>,
    /// The wait is the provider's (`Retry-After`, 911), which holds for any address.
    #[serde(default)]
    pub retry_by_provider: bool,
}

impl Record {
    /// The part worth a flash write.
    fn durable(&self) -> (Option<IpAddr>, bool, u64) {
        (self.registered, self.stopped, self.fingerprint)
    }
}

pub fn record_key(service: &str, host: &str, family: crate::net::Family) -> String {
    format!("{service}/{host}/{family}")
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct State {
    pub records: BTreeMap<String, Record>,
    #[serde(skip)]
    persisted: BTreeMap<String, (Option<IpAddr>, bool, u64)>,
}

impl State {
    /// The run-directory copy survives a daemon restart; the flash copy survives a reboot.
    pub fn load(run_file: &Path, persist_file: Option<&Path>) -> State {
        let read = |p: &Path| -> Option<State> {
            let text = std::fs::read_to_string(p).ok()?;
            match serde_json::from_str::<State>(&text) {
                Ok(s) => Some(s),
                Err(e) => {
                    log::warn!("ignoring unreadable state file {}: {e}", p.display());
                    None
                }
            }
        };
        let persisted = persist_file.and_then(read);
        let mut state = read(run_file).or_else(|| persisted.clone()).unwrap_or_default();
        state.persisted = persisted.map(|p| p.durable_view()).unwrap_or_default();
        state
    }

    fn durable_view(&self) -> BTreeMap<String, (Option<IpAddr>, bool, u64)> {
        self.records.iter().map(|(k, r)| (k.clone(), r.durable())).collect()
    }

    /// Write the run copy, and the flash copy when something durable changed.
    pub fn save(&mut self, run_file: &Path, persist_file: Option<&Path>) -> std::io::Result<()> {
        let text = serde_json::to_string(self).map_err(std::io::Error::other)?;
        write_atomic(run_file, text.as_bytes())?;
        if let Some(p) = persist_file {
            let durable = self.durable_view();
            if durable != self.persisted {
                write_atomic(p, text.as_bytes())?;
                self.persisted = durable;
                crate::debug!("state persisted to {}", p.display());
            }
        }
        Ok(())
    }

    /// Drop records of services and hosts no longer configured.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.records.retain(|k, _| keep(k));
    }
}

/// Write to a temporary sibling and rename, so a reader or a power cut never sees half a file.
pub fn write_atomic(path: &Path, data: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_copy_is_written_only_when_durable_fields_change() {
        let dir = std::env::temp_dir().join(format!("edgeddns-state-{}", std::process::id()));
        let run = dir.join("run/state.json");
        let flash = dir.join("flash/state.json");
        let mut s = State::load(&run, Some(&flash));
        let key = record_key("home", "a.example.org", crate::net::Family::V4);
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
}
