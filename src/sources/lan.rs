//! LAN host targets: a device behind the router (camera, NAS), published at its address inside
//! the prefix the LAN holds now. Pure rules over what the sources read, so each has a test.

use super::IfAddr;
use crate::net::{self, Family};
use std::net::{IpAddr, Ipv6Addr};

/// Where a LAN host's IPv6 address comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V6From {
    /// The LAN prefix and this fixed interface identifier (`::1:2:3:4`).
    Suffix(Ipv6Addr),
    /// The LAN prefix and the modified EUI-64 identifier of the host's MAC.
    Eui64,
    /// The host's own current global address, found by its MAC in the neighbour table.
    Neighbour,
}

/// One entry of the kernel's neighbour table that the kernel believes in (not failed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Neighbour {
    pub addr: IpAddr,
    pub mac: [u8; 6],
}

/// Why a LAN host has no address to publish now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// The LAN interface holds no global IPv6 prefix (no delegation yet, or it went).
    Prefix,
    /// No neighbour entry of the host's MAC (with an address of that family in the prefix).
    Device,
    /// Several candidates and none of them stable by our rules (EUI-64 form).
    Ambiguous,
}

/// `aa:bb:cc:dd:ee:ff` (or with `-`), case-insensitive.
pub fn parse_mac(s: &str) -> Option<[u8; 6]> {
    let mut mac = [0u8; 6];
    let mut parts = s.split([':', '-']);
    for b in &mut mac {
        let p = parts.next().filter(|p| p.len() == 2)?;
        *b = u8::from_str_radix(p, 16).ok()?;
    }
    parts.next().is_none().then_some(mac)
}

/// RFC 4291 appendix A: the MAC with the universal/local bit inverted and ff:fe in its middle.
pub fn eui64(mac: [u8; 6]) -> Ipv6Addr {
    let [a, b, c, d, e, f] = mac;
    Ipv6Addr::from([0, 0, 0, 0, 0, 0, 0, 0, a ^ 2, b, c, 0xff, 0xfe, d, e, f])
}

/// The interface identifier `iid` inside the prefix of `lan` (`len` bits).
pub fn in_prefix(lan: Ipv6Addr, len: u8, iid: Ipv6Addr) -> Ipv6Addr {
    let mask = u128::MAX.checked_shl(128 - u32::from(len.min(128))).unwrap_or(0);
    Ipv6Addr::from(u128::from(lan) & mask | u128::from(iid) & !mask)
}

/// The address of `family` a LAN host should hold: `lan` is what the LAN interface holds (the
/// router's own address in the delegated prefix), `neighbours` the kernel's neighbour table and
/// `leases` the DHCPv6 server's. IPv4 is always the neighbour entry of `mac` (its LAN address).
pub fn address(
    family: Family,
    from: V6From,
    mac: Option<[u8; 6]>,
    lan: &[IfAddr],
    neighbours: &[Neighbour],
    leases: &[Neighbour],
) -> Result<IpAddr, Missing> {
    let of_mac = |n: &&Neighbour| Some(n.mac) == mac;
    let leased: Vec<IpAddr> = leases.iter().filter(of_mac).map(|n| n.addr).collect();
    let mine = neighbours.iter().filter(of_mac).map(|n| n.addr).chain(leased.iter().copied());
    if family == Family::V4 {
        return mine.into_iter().find(|a| a.is_ipv4()).ok_or(Missing::Device);
    }
    let prefix =
        super::pick(Family::V6, lan, None).and_then(|p| lan.iter().find(|a| a.addr == p)).and_then(|a| match a.addr {
            IpAddr::V6(v6) => Some((v6, a.prefix_len)),
            IpAddr::V4(_) => None,
        });
    let iid = match (from, mac) {
        (V6From::Suffix(s), _) => s,
        (_, Some(mac)) => eui64(mac),
        (_, None) => return Err(Missing::Device),
    };
    if from != V6From::Neighbour {
        return prefix.map(|(p, len)| IpAddr::V6(in_prefix(p, len, iid))).ok_or(Missing::Prefix);
    }
    // Only addresses of the current prefix: the old prefix's entries linger in the table.
    let candidates: Vec<Ipv6Addr> = mine
        .filter_map(|a| match a {
            IpAddr::V6(v6) if net::is_global_v6(v6) => Some(v6),
            _ => None,
        })
        .filter(|a| prefix.is_none_or(|(p, len)| in_prefix(p, len, *a) == *a))
        .collect();
    // A privacy address looks random and changes daily; the EUI-64 one is the device's own, and
    // so is the one its DHCPv6 lease gives. Of several random-looking ones none can be told
    // stable from a single look.
    let stable = candidates
        .iter()
        .find(|a| in_prefix(**a, 64, iid) == **a)
        .or_else(|| candidates.iter().find(|a| leased.contains(&IpAddr::V6(**a))));
    match (stable, candidates.as_slice()) {
        (Some(a), _) | (None, [a]) => Ok(IpAddr::V6(*a)),
        (None, []) => Err(Missing::Device),
        (None, _) => Err(Missing::Ambiguous),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAC: [u8; 6] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    fn lan(a: &str) -> Vec<IfAddr> {
        vec![IfAddr::new("fd00::1".parse().unwrap(), 64), IfAddr::new(a.parse().unwrap(), 64)]
    }

    fn n(a: &str) -> Neighbour {
        Neighbour { addr: a.parse().unwrap(), mac: MAC }
    }

    #[test]
    fn macs_and_eui64() {
        assert_eq!(parse_mac("52:54:00:12:34:56"), Some(MAC));
        assert_eq!(parse_mac("52-54-00-12-34-56"), Some(MAC));
        for bad in ["52:54:00:12:34", "52:54:00:12:34:56:78", "5:54:00:12:34:56", "zz:54:00:12:34:56", ""] {
            assert_eq!(parse_mac(bad), None, "{bad}");
        }
        assert_eq!(eui64(MAC), "::5054:ff:fe12:3456".parse::<Ipv6Addr>().unwrap());
    }

    #[test]
    fn prefix_and_suffix() {
        let s: Ipv6Addr = "::1:2:3:4".parse().unwrap();
        let got = address(Family::V6, V6From::Suffix(s), None, &lan("2001:db8:5:10::1"), &[], &[]);
        assert_eq!(got, Ok("2001:db8:5:10:1:2:3:4".parse().unwrap()));
        let got = address(Family::V6, V6From::Eui64, Some(MAC), &lan("2001:db8:5:10::1"), &[], &[]);
        assert_eq!(got, Ok("2001:db8:5:10:5054:ff:fe12:3456".parse().unwrap()));
        // A /60 LAN keeps its own bits; a ULA alone is no prefix to publish.
        assert_eq!(
            in_prefix("2001:db8::1".parse().unwrap(), 60, s),
            "2001:db8:0:0:1:2:3:4".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(in_prefix("2001:db8::1".parse().unwrap(), 0, s), s);
        let ula = [IfAddr::new("fd00::1".parse().unwrap(), 64)];
        assert_eq!(address(Family::V6, V6From::Suffix(s), None, &ula, &[], &[]), Err(Missing::Prefix));
    }

    #[test]
    fn neighbours_by_mac_in_the_current_prefix() {
        let l = lan("2001:db8:5:10::1");
        let other = Neighbour { addr: "2001:db8:5:10::99".parse().unwrap(), mac: [2; 6] };
        let table = [n("fe80::1"), n("2001:db8:4:10::abcd"), n("2001:db8:5:10::abcd"), other, n("192.168.1.50")];
        assert_eq!(
            address(Family::V6, V6From::Neighbour, Some(MAC), &l, &table, &[]),
            Ok("2001:db8:5:10::abcd".parse().unwrap())
        );
        assert_eq!(
            address(Family::V4, V6From::Neighbour, Some(MAC), &l, &table, &[]),
            Ok("192.168.1.50".parse().unwrap())
        );
        // A privacy address beside the EUI-64 one: the EUI-64 one wins.
        let table = [n("2001:db8:5:10:8f1e:1c2:aa:3"), n("2001:db8:5:10:5054:ff:fe12:3456")];
        assert_eq!(
            address(Family::V6, V6From::Neighbour, Some(MAC), &l, &table, &[]),
            Ok("2001:db8:5:10:5054:ff:fe12:3456".parse().unwrap())
        );
        let table = [n("2001:db8:5:10:8f1e:1c2:aa:3"), n("2001:db8:5:10::abcd")];
        // The DHCPv6 lease settles it; a lease alone is enough.
        let lease = [n("2001:db8:5:10::abcd")];
        assert_eq!(
            address(Family::V6, V6From::Neighbour, Some(MAC), &l, &table, &lease),
            Ok("2001:db8:5:10::abcd".parse().unwrap())
        );
        assert_eq!(
            address(Family::V6, V6From::Neighbour, Some(MAC), &l, &[], &lease),
            Ok("2001:db8:5:10::abcd".parse().unwrap())
        );
        assert_eq!(address(Family::V6, V6From::Neighbour, Some(MAC), &l, &table, &[]), Err(Missing::Ambiguous));
        assert_eq!(
            address(Family::V6, V6From::Neighbour, Some(MAC), &l, &[n("2001:db8:4:10::1")], &[]),
            Err(Missing::Device)
        );
        assert_eq!(address(Family::V4, V6From::Neighbour, Some(MAC), &l, &[], &[]), Err(Missing::Device));
    }
}
