//! netifd's interface status (`network.interface status`, and the `interface.update`
//! notifications, which carry the same dump) turned into interface addresses.

use crate::net::Family;
use crate::sources::IfAddr;
use serde_json::Value;
use std::net::IpAddr;

/// The addresses of one family in a status dump. IPv4: `ipv4-address`. IPv6: `ipv6-address`
/// (IA_NA), then the router's own address in each delegated prefix (`ipv6-prefix-assignment`
/// `local-address`, found on LAN interfaces) — a WAN with only a delegated prefix has no other.
/// `preferred: 0` marks a deprecated address. A down interface has no address arrays at all.
pub fn addresses(status: &Value, family: Family) -> Vec<IfAddr> {
    let entry = |e: &Value| -> Option<IfAddr> {
        let addr: IpAddr = e["address"].as_str()?.parse().ok()?;
        let mask = e["mask"].as_u64().and_then(|m| u8::try_from(m).ok()).unwrap_or(0);
        let mut a = IfAddr::new(addr, mask);
        a.deprecated = e["preferred"].as_u64() == Some(0);
        Some(a)
    };
    let list = |key: &str| status[key].as_array().cloned().unwrap_or_default();
    let mut out: Vec<IfAddr> = match family {
        Family::V4 => list("ipv4-address").iter().filter_map(entry).collect(),
        Family::V6 => list("ipv6-address")
            .iter()
            .filter_map(entry)
            .chain(list("ipv6-prefix-assignment").iter().filter_map(|p| {
                let mut a = entry(&p["local-address"])?;
                a.deprecated |= p["preferred"].as_u64() == Some(0);
                Some(a)
            }))
            .collect(),
    };
    out.retain(|a| Family::of(&a.addr) == family);
    out
}

/// The kernel device carrying the interface's addresses (`pppoe-wan`, `eth0.2`, …).
pub fn l3_device(status: &Value) -> Option<&str> {
    status["l3_device"].as_str().filter(|d| !d.is_empty())
}

pub fn is_up(status: &Value) -> bool {
    status["up"].as_bool() == Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_reference_dump() {
        let st = json!({ "up": true, "pending": false, "available": true, "autostart": true, "dynamic": false,
            "uptime": 1234, "l3_device": "pppoe-wan", "proto": "pppoe", "device": "eth0.2",
            "ipv4-address": [ { "address": "100.64.12.34", "mask": 32, "ptpaddress": "100.64.0.1" } ],
            "ipv6-address": [ { "address": "2001:db8::9", "mask": 64, "preferred": 0, "valid": 100 },
                              { "address": "2001:db8::10", "mask": 64, "preferred": 3600, "valid": 7200 } ],
            "ipv6-prefix-assignment": [ { "address": "2001:db8:5::", "mask": 64, "preferred": 100,
                                          "local-address": { "address": "2001:db8:5::1", "mask": 64 } } ],
            "data": {} });
        let v4 = addresses(&st, Family::V4);
        assert_eq!(v4, vec![IfAddr::new("100.64.12.34".parse().unwrap(), 32)]);
        let v6 = addresses(&st, Family::V6);
        assert_eq!(v6.len(), 3);
        assert_eq!(l3_device(&st), Some("pppoe-wan"));
        assert!(v6[0].deprecated && !v6[1].deprecated);
        assert_eq!(v6[2].addr, "2001:db8:5::1".parse::<IpAddr>().unwrap());
        assert!(is_up(&st));
    }

    #[test]
    fn down_or_malformed_gives_nothing() {
        let down = json!({"up": false, "pending": false, "data": {}});
        assert!(addresses(&down, Family::V4).is_empty() && !is_up(&down));
        let junk = json!({"ipv4-address": [ {"address": 5}, "x", {"address": "2001:db8::1", "mask": 64}, {"address": "not-ip"} ]});
        assert!(addresses(&junk, Family::V4).is_empty());
        assert!(addresses(&json!(null), Family::V6).is_empty());
    }
}
