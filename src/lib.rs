//! edgeddns: a dynamic DNS client that lives inside the router.
//!
//! Data flows one way: triggers → sources → verdict → engine → providers → status.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod dns;
pub mod duration;
pub mod encoding;
pub mod engine;
pub mod error;
pub mod event;
pub mod files;
pub mod http;
pub mod logging;
pub mod net;
pub mod notify;
pub mod options;
pub mod providers;
pub mod secret;
pub mod sources;
pub mod state;
pub mod status;
pub mod ubus;
pub mod uci;
pub mod verdict;
pub mod verify;
pub mod wan_source;
pub mod worker;

/// What the unit tests share.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::Path;

    /// The inputs under `fuzz/regressions/<target>/` (what the fuzz targets once failed on, and
    /// the hostile cases), so `cargo test` runs them without a fuzzer.
    pub(crate) fn regression_inputs(target: &str) -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/regressions").join(target);
        let mut inputs: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no regression inputs in {}", dir.display());
        inputs
    }
}
