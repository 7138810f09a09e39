//! The device that carries the default route: the WAN on a host where nobody named one.

use crate::net::Family;

/// Read from /proc so it costs no socket; `None` without a default route.
pub fn default_route_device(family: Family) -> Option<String> {
    match family {
        Family::V4 => from_ipv4_table(&std::fs::read_to_string("/proc/net/route").ok()?),
        Family::V6 => from_ipv6_table(&std::fs::read_to_string("/proc/net/ipv6_route").ok()?),
    }
}

/// `Iface Destination Gateway Flags RefCnt Use Metric Mask ...`, hex, header line first.
fn from_ipv4_table(text: &str) -> Option<String> {
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 8 && f[1] == "00000000" && f[7] == "00000000" && f[0] != "lo")
                .then(|| (f[6].parse::<u32>().unwrap_or(u32::MAX), f[0].to_string()))
        })
        .min()
        .map(|(_, dev)| dev)
}

/// `dest plen src splen nexthop metric refcnt use flags device`, no header.
fn from_ipv6_table(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.len() >= 10 && f[0].bytes().all(|b| b == b'0') && f[1] == "00" && f[9] != "lo")
                .then(|| (u32::from_str_radix(f[5], 16).unwrap_or(u32::MAX), f[9].to_string()))
        })
        .min()
        .map(|(_, dev)| dev)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lowest_metric_default_route() {
        let v4 = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
                  eth1\t00000000\t0101A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n\
                  eth0\t00000000\t0100000A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n\
                  eth0\t0000000A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(from_ipv4_table(v4).as_deref(), Some("eth0"));
        let v6 = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n\
                  00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003    wan0\n\
                  00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n";
        assert_eq!(from_ipv6_table(v6).as_deref(), Some("wan0"));
        assert_eq!(from_ipv4_table("Iface\tDestination\n"), None);
    }
}
