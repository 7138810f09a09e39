//! odhcpd's DHCPv6 leases (`ubus call dhcp ipv6leases`), as the address a LAN device holds by
//! its MAC. A lease names its client by DUID; DUID-LLT (type 1) and DUID-LL (type 3) end in
//! the client's link-layer address, the other types carry none and are not matched.

use crate::sources::lan::Neighbour;
use serde_json::Value;
use std::net::IpAddr;

/// The object and method odhcpd publishes.
pub const OBJECT: &str = "dhcp";
pub const METHOD: &str = "ipv6leases";

/// `{"device": {"br-lan": {"leases": [{"duid", "ipv6-addr": [{"address", …}], …}]}}}` →
/// one entry per leased address whose DUID holds an Ethernet MAC.
pub fn leases(reply: &Value) -> Vec<Neighbour> {
    let mut out = Vec::new();
    for dev in reply["device"].as_object().into_iter().flat_map(|d| d.values()) {
        for lease in dev["leases"].as_array().into_iter().flatten() {
            let Some(mac) = lease["duid"].as_str().and_then(duid_mac) else { continue };
            for a in lease["ipv6-addr"].as_array().into_iter().flatten() {
                // Older odhcpd wrote the address under an empty key.
                let addr = a.get("address").or_else(|| a.get("")).and_then(Value::as_str);
                if let Some(addr) = addr.and_then(|s| s.parse::<IpAddr>().ok()) {
                    out.push(Neighbour { addr, mac });
                }
            }
        }
    }
    out
}

/// The MAC at the end of a hex DUID-LLT or DUID-LL of hardware type 1 (Ethernet).
fn duid_mac(duid: &str) -> Option<[u8; 6]> {
    let hex = duid.to_ascii_lowercase();
    let tail = match hex.get(..8)? {
        "00010001" if hex.len() == 28 => hex.get(16..)?,
        "00030001" if hex.len() == 20 => hex.get(8..)?,
        _ => return None,
    };
    let mut mac = [0u8; 6];
    for (i, b) in mac.iter_mut().enumerate() {
        *b = u8::from_str_radix(tail.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn leases_by_the_mac_in_the_duid() {
        let reply = json!({"device": {"br-lan": {"leases": [
            {"duid": "000100012d3f5e7a525400123456", "iaid": 1, "hostname": "nas", "accept-reconf": false,
             "assigned": 4660, "flags": ["bound"], "valid": 3600,
             "ipv6-addr": [{"address": "2001:db8:0:10::1234", "preferred-lifetime": 1800, "valid-lifetime": 3600}]},
            {"duid": "00030001AABBCCDDEEFF", "ipv6-addr": [{"": "2001:db8:0:10::5", "preferred-lifetime": 1}]},
            {"duid": "0004a1b2c3d4e5f60718293a4b5c6d7e8f90", "ipv6-addr": [{"address": "2001:db8:0:10::6"}]},
            {"duid": "0001000", "ipv6-addr": [{"address": "2001:db8:0:10::7"}]},
            {"duid": 5, "ipv6-addr": "x"}
        ]}, "br-guest": "junk"}});
        let got = leases(&reply);
        assert_eq!(
            got,
            vec![
                Neighbour { addr: "2001:db8:0:10::1234".parse().unwrap(), mac: [0x52, 0x54, 0, 0x12, 0x34, 0x56] },
                Neighbour { addr: "2001:db8:0:10::5".parse().unwrap(), mac: [0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff] },
            ]
        );
        assert!(leases(&json!(null)).is_empty());
    }
}
