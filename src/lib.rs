//! edgeddns: a dynamic DNS client that lives inside the router.
//!
//! Data flows one way: triggers → sources → verdict → engine → providers → status.

pub mod cli;
pub mod config;
pub mod daemon;
pub mod dns;
pub mod duration;
pub mod engine;
pub mod http;
pub mod logging;
pub mod net;
pub mod options;
pub mod providers;
pub mod sources;
pub mod state;
pub mod status;
pub mod ubus;
pub mod verdict;
pub mod wan_source;
pub mod worker;
