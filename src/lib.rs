//! edgeddns: a dynamic DNS client that lives inside the router.
//!
//! Data flows one way: triggers → sources → verdict → engine → providers → status.

pub mod config;
pub mod http;
pub mod net;
pub mod providers;
pub mod sources;
