//! The verdict: can the internet reach this router at the address its WAN interface holds?
//! Compares the interface address with what the echo services see, and says so in words a
//! router owner understands.

use crate::config::NatPolicy;
use crate::net::{self, Family};
use serde::Serialize;
use std::net::IpAddr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The interface holds the address the internet sees.
    Public,
    /// Interface in 100.64.0.0/10 and the internet sees another address: carrier-grade NAT.
    Cgnat,
    /// Interface in RFC 1918 or DS-Lite space and the internet sees another address: double NAT.
    PrivateNat,
    /// A public-looking interface address, but the internet sees another one.
    Mismatch,
    NoAddress,
    EchoUnreachable,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Public => "public",
            Verdict::Cgnat => "cgnat",
            Verdict::PrivateNat => "private-nat",
            Verdict::Mismatch => "mismatch",
            Verdict::NoAddress => "no-address",
            Verdict::EchoUnreachable => "echo-unreachable",
        }
    }
}

/// `iface`: the address picked from the interface; `all_iface`: every address it holds (the
/// echo may see another of them); `echo`: the agreed echo answer.
pub fn classify(iface: Option<IpAddr>, all_iface: &[IpAddr], echo: Option<IpAddr>) -> Verdict {
    let Some(addr) = iface else {
        return Verdict::NoAddress;
    };
    let Some(seen) = echo else {
        return Verdict::EchoUnreachable;
    };
    if seen == addr || all_iface.contains(&seen) {
        return Verdict::Public;
    }
    match addr {
        IpAddr::V4(v4) if net::is_cgnat(v4) => Verdict::Cgnat,
        IpAddr::V4(v4) if net::is_private_nat(v4) => Verdict::PrivateNat,
        _ => Verdict::Mismatch,
    }
}

/// One line for the status page and the log.
pub fn explain(v: Verdict, family: Family, interface: &str, iface: Option<IpAddr>, echo: Option<IpAddr>) -> String {
    let a = iface.map(|a| a.to_string()).unwrap_or_default();
    let e = echo.map(|a| a.to_string()).unwrap_or_default();
    match v {
        Verdict::Public => format!("{a} on {interface} is public and is what the internet sees: the hostname reaches this router"),
        Verdict::Cgnat => format!(
            "your ISP shares one public IPv4 among customers (CGNAT): {interface} has {a}, the internet sees {e}; \
             incoming connections cannot reach this router. Ask the ISP for a public IPv4, use IPv6, or use a tunnel"
        ),
        Verdict::PrivateNat => format!(
            "another router sits in front of this one (double NAT): {interface} has the private address {a}, the internet sees {e}; \
             forward the ports on that router or put it in bridge mode"
        ),
        Verdict::Mismatch => format!(
            "{interface} has {a} but the internet sees {e}: traffic leaves by another path (VPN, second WAN or \
             policy routing), so the hostname may not reach this router"
        ),
        Verdict::NoAddress => format!("{interface} has no {} address (down or not connected): waiting for wan", family_word(family)),
        Verdict::EchoUnreachable => {
            let hint = match iface {
                Some(IpAddr::V4(v4)) if net::is_cgnat(v4) => " — it is in the CGNAT range, so the line is most likely shared",
                Some(IpAddr::V4(v4)) if net::is_private_nat(v4) => " — it is private, so another router most likely sits in front",
                _ => "",
            };
            format!("no echo service answered, so NAT cannot be checked; {interface} has {a}{hint}")
        }
    }
}

/// The echo is switched off (`echo_interval 0`): nothing checks what the internet sees.
pub fn explain_unchecked(family: Family, interface: &str, iface: Option<IpAddr>) -> String {
    match iface {
        Some(a) => format!("{a} on {interface} is not checked against the internet: the echo is switched off"),
        None => format!("{interface} has no {} address (down or not connected): waiting for wan", family_word(family)),
    }
}

/// An echo query for the address seen now is under way.
pub fn explain_checking(family: Family, interface: &str, iface: Option<IpAddr>) -> String {
    match iface {
        Some(a) => format!("{interface} has {a}; asking the echo services what the internet sees"),
        None => format!("{interface} has no {} address (down or not connected): waiting for wan", family_word(family)),
    }
}

fn family_word(f: Family) -> &'static str {
    match f {
        Family::V4 => "IPv4",
        Family::V6 => "global IPv6",
    }
}

/// The address to publish, or `None` to publish nothing this time.
pub fn publishable(v: Verdict, iface: Option<IpAddr>, echo: Option<IpAddr>, policy: NatPolicy) -> Option<IpAddr> {
    match v {
        Verdict::Public | Verdict::Mismatch => iface,
        Verdict::Cgnat | Verdict::PrivateNat => match policy {
            NatPolicy::Echo => echo,
            NatPolicy::Interface => iface,
            NatPolicy::Skip => None,
        },
        Verdict::NoAddress => None,
        // Without an echo a public-looking address is still the best guess; a private one is
        // only published when the user asked for interface addresses.
        Verdict::EchoUnreachable => iface.filter(|a| net::is_public(*a) || policy == NatPolicy::Interface),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn classification_table() {
        let cases = [
            (ip("203.0.113.7"), ip("203.0.113.7"), Verdict::Public),
            (ip("100.64.1.2"), ip("198.51.100.9"), Verdict::Cgnat),
            (ip("192.168.1.2"), ip("198.51.100.9"), Verdict::PrivateNat),
            (ip("192.0.0.2"), ip("198.51.100.9"), Verdict::PrivateNat),
            (ip("203.0.113.7"), ip("198.51.100.9"), Verdict::Mismatch),
            (None, ip("198.51.100.9"), Verdict::NoAddress),
            (ip("100.64.1.2"), None, Verdict::EchoUnreachable),
            (ip("2001:db8::1"), ip("2001:db8::1"), Verdict::Public),
            (ip("2001:db8::1"), ip("2001:db8::99"), Verdict::Mismatch),
        ];
        for (iface, echo, want) in cases {
            assert_eq!(classify(iface, &[], echo), want, "{iface:?} vs {echo:?}");
        }
        // The echo may see another of the interface's addresses.
        let all = ["2001:db8::1".parse().unwrap(), "2001:db8::2".parse().unwrap()];
        assert_eq!(classify(ip("2001:db8::1"), &all, ip("2001:db8::2")), Verdict::Public);
    }

    #[test]
    fn explanations_name_the_addresses_and_the_remedy() {
        let s = explain(Verdict::Cgnat, Family::V4, "wan", ip("100.64.1.2"), ip("198.51.100.9"));
        assert!(
            s.contains("CGNAT") && s.contains("100.64.1.2") && s.contains("198.51.100.9") && s.contains("use IPv6"),
            "{s}"
        );
        let s = explain(Verdict::PrivateNat, Family::V4, "wan", ip("192.168.0.5"), ip("198.51.100.9"));
        assert!(s.contains("double NAT") && s.contains("bridge mode"), "{s}");
        let s = explain(Verdict::EchoUnreachable, Family::V4, "wan", ip("100.64.0.9"), None);
        assert!(s.contains("CGNAT range"), "{s}");
        assert!(explain(Verdict::NoAddress, Family::V6, "wan6", None, None).contains("waiting for wan"));
    }

    #[test]
    fn publish_policy() {
        let (i, e) = (ip("100.64.1.2"), ip("198.51.100.9"));
        assert_eq!(publishable(Verdict::Cgnat, i, e, NatPolicy::Echo), e);
        assert_eq!(publishable(Verdict::Cgnat, i, e, NatPolicy::Interface), i);
        assert_eq!(publishable(Verdict::Cgnat, i, e, NatPolicy::Skip), None);
        assert_eq!(
            publishable(Verdict::Public, ip("203.0.113.1"), ip("203.0.113.1"), NatPolicy::Skip),
            ip("203.0.113.1")
        );
        assert_eq!(publishable(Verdict::EchoUnreachable, i, None, NatPolicy::Echo), None);
        assert_eq!(publishable(Verdict::EchoUnreachable, ip("203.0.113.1"), None, NatPolicy::Echo), ip("203.0.113.1"));
        assert_eq!(publishable(Verdict::NoAddress, None, e, NatPolicy::Echo), None);
    }
}
