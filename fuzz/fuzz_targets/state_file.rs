//! The state file as the daemon reads it at start-up, through the real loader.
#![no_main]

use edgeddns::state::State;
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        // tmpfs, like the run directory on a router: the target exercises the loader, not a disk.
        let shm = PathBuf::from("/dev/shm");
        let dir = if shm.is_dir() { shm } else { std::env::temp_dir() };
        dir.join(format!("edgeddns-fuzz-state-{}.json", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    std::fs::write(path(), data).unwrap();
    let mut state = State::load(path(), None);
    state.retain(|k| !k.service.is_empty());
});
