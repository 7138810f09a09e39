//! Where addresses come from: the edge interface (kernel via rtnetlink, or netifd on OpenWrt)
//! and external echo services. Everything here only observes; deciding is the verdict's job.

pub mod echo;
pub mod lan;
pub mod netlink;
pub mod routes;

use crate::net::{self, Family};
use std::net::{IpAddr, Ipv6Addr};

/// One address configured on an interface, with what the kernel (or netifd) says about it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    pub addr: IpAddr,
    pub prefix_len: u8,
    /// Preferred lifetime ran out (IFA_F_DEPRECATED, or netifd's preferred = 0).
    pub deprecated: bool,
    /// RFC 4941 privacy address (IFA_F_TEMPORARY): changes daily, useless as a DNS target.
    pub temporary: bool,
    /// Duplicate address detection not finished (IFA_F_TENTATIVE) or failed (IFA_F_DADFAILED).
    pub tentative: bool,
}

impl IfAddr {
    pub fn new(addr: IpAddr, prefix_len: u8) -> IfAddr {
        IfAddr { addr, prefix_len, deprecated: false, temporary: false, tentative: false }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceError {
    /// The interface does not exist (yet): a WAN that is down or a typo in the config.
    NoSuchInterface(String),
    Io(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::NoSuchInterface(name) => write!(f, "interface '{name}' does not exist"),
            SourceError::Io(msg) => f.write_str(msg),
        }
    }
}

/// What one interface holds, as read for one service and family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The WAN's name for status and logs (`wan`, `eth1`).
    pub label: String,
    pub addrs: Result<Vec<IfAddr>, SourceError>,
    /// Set when the usual source could not be asked and the addresses are the kernel's.
    pub note: Option<Note>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// netifd restarts (or came back and still sets the interface up): the kernel still holds
    /// the addresses, and they are what the internet reaches.
    NetifdRestarting,
    /// The connection to ubusd is gone for now.
    UbusLost,
}

impl Note {
    pub fn as_str(self) -> &'static str {
        match self {
            Note::NetifdRestarting => "netifd-restarting",
            Note::UbusLost => "ubus-lost",
        }
    }

    pub fn explain(self) -> &'static str {
        match self {
            Note::NetifdRestarting => "netifd is restarting; read from the kernel",
            Note::UbusLost => "ubus is not reachable; read from the kernel",
        }
    }
}

/// Something that can list the addresses of one named interface (a kernel device for
/// rtnetlink, a logical network such as `wan` for netifd).
pub trait InterfaceSource {
    fn addresses(&mut self, interface: &str) -> Result<Vec<IfAddr>, SourceError>;
}

/// A user's pin on which IPv6 address to publish: `2001:db8:1::/48` (inside that prefix) or
/// `::1` (ends in that interface identifier; the bits set in the suffix must match).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum V6Match {
    Prefix(Ipv6Addr, u8),
    Suffix(Ipv6Addr),
}

impl V6Match {
    pub fn parse(s: &str) -> Result<V6Match, crate::error::Error> {
        if let Some((a, len)) = s.split_once('/') {
            let addr: Ipv6Addr =
                a.parse().map_err(|_| crate::error::Error::Config(format!("'{a}' is not an IPv6 address")))?;
            let len: u8 = len
                .parse()
                .ok()
                .filter(|l| *l <= 128)
                .ok_or_else(|| crate::error::Error::Config(format!("'{len}' is not a prefix length (0-128)")))?;
            Ok(V6Match::Prefix(addr, len))
        } else if s.starts_with("::") {
            let addr: Ipv6Addr =
                s.parse().map_err(|_| crate::error::Error::Config(format!("'{s}' is not an IPv6 suffix")))?;
            Ok(V6Match::Suffix(addr))
        } else {
            Err(crate::error::Error::Config(format!("'{s}' is neither a prefix (2001:db8::/48) nor a suffix (::1)")))
        }
    }

    pub fn matches(&self, a: Ipv6Addr) -> bool {
        let a = u128::from(a);
        match *self {
            V6Match::Prefix(p, len) => {
                let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
                a & mask == u128::from(p) & mask
            }
            V6Match::Suffix(s) => {
                let s = u128::from(s);
                // The suffix covers its significant bits rounded up to whole 16-bit groups.
                let groups = (128 - s.leading_zeros()).div_ceil(16).max(1);
                let mask = if groups >= 8 { u128::MAX } else { (1u128 << (groups * 16)) - 1 };
                a & mask == s
            }
        }
    }
}

/// The address worth publishing for `family` among an interface's addresses.
/// IPv4: the first address that is not loopback or link-local (a CGNAT or RFC 1918 address is
/// returned: the verdict needs to see it). IPv6: global unicast only, never deprecated,
/// temporary or tentative, and inside the user's pin when there is one.
pub fn pick(family: Family, addrs: &[IfAddr], pin: Option<&V6Match>) -> Option<IpAddr> {
    addrs
        .iter()
        .find(|a| match a.addr {
            IpAddr::V4(v4) if family == Family::V4 => !(v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()),
            IpAddr::V6(v6) if family == Family::V6 => {
                net::is_global_v6(v6)
                    && !a.deprecated
                    && !a.temporary
                    && !a.tentative
                    && pin.is_none_or(|p| p.matches(v6))
            }
            _ => false,
        })
        .map(|a| a.addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v6(s: &str) -> IfAddr {
        IfAddr::new(s.parse().unwrap(), 64)
    }

    #[test]
    fn picks_v4_skipping_link_local() {
        let addrs = [IfAddr::new("169.254.1.1".parse().unwrap(), 16), IfAddr::new("100.64.3.4".parse().unwrap(), 10)];
        assert_eq!(pick(Family::V4, &addrs, None), Some("100.64.3.4".parse().unwrap()));
        assert_eq!(pick(Family::V6, &addrs, None), None);
    }

    #[test]
    fn picks_v6_global_stable_only() {
        let mut tmp = v6("2001:db8:1::aaaa");
        tmp.temporary = true;
        let mut old = v6("2001:db8:1::bbbb");
        old.deprecated = true;
        let addrs = [v6("fe80::1"), v6("fd12::1"), tmp, old, v6("2001:db8:1::1")];
        assert_eq!(pick(Family::V6, &addrs, None), Some("2001:db8:1::1".parse().unwrap()));
    }

    #[test]
    fn v6_pin_prefix_and_suffix() {
        let addrs = [v6("2001:db8:1::5"), v6("2001:db8:2::1")];
        let p = V6Match::parse("2001:db8:2::/48").unwrap();
        assert_eq!(pick(Family::V6, &addrs, Some(&p)), Some("2001:db8:2::1".parse().unwrap()));
        let s = V6Match::parse("::5").unwrap();
        assert_eq!(pick(Family::V6, &addrs, Some(&s)), Some("2001:db8:1::5".parse().unwrap()));
        let s = V6Match::parse("::1:0:0:5").unwrap();
        assert!(!s.matches("2001:db8:1::5".parse().unwrap()));
        assert!(s.matches("2001:db8:1:0:1:0:0:5".parse().unwrap()));
        assert!(V6Match::parse("2001:db8::").is_err());
        assert!(V6Match::parse("::/129").is_err());
    }
}
