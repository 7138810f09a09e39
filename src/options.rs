//! What the command line sets for every command, and the configuration it names with its
//! overrides applied. The daemon reads it again on SIGHUP, so it lives beside neither.

use crate::config::{self, Config};

#[derive(Debug, Default, Clone)]
pub struct Options {
    pub config: Option<String>,
    pub dry_run: bool,
    pub foreground: bool,
    pub verbose: bool,
    pub json: bool,
    pub ca_bundle: Option<String>,
    pub run_dir: Option<String>,
    pub persist_file: Option<String>,
    pub ubus_socket: Option<String>,
    /// `check`: the one service to check.
    pub service: Option<String>,
}

/// The configuration with the command line's overrides applied.
pub fn load_config(o: &Options) -> Result<Config, crate::error::Error> {
    let path = o.config.as_deref().unwrap_or(config::DEFAULT_PATH);
    let mut cfg = config::load(path)?;
    if let Some(ca) = &o.ca_bundle {
        cfg.global.ca_bundle = ca.clone();
    }
    if let Some(d) = &o.run_dir {
        cfg.global.run_dir = d.clone();
    }
    if let Some(p) = &o.persist_file {
        cfg.global.persist_file = Some(p.clone()).filter(|p| !p.is_empty());
    }
    if o.verbose {
        cfg.global.log_level = log::LevelFilter::Debug;
    }
    Ok(cfg)
}
