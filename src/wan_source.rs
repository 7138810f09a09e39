//! Where a service's addresses come from, for one family: netifd's view of a logical interface,
//! or the kernel's view of a device. Pure policy, so that every case has a test.

use crate::config::{IpSource, Service};
use crate::net::Family;
use std::collections::HashMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// Ask netifd about this logical interface (`wan`).
    Netifd(String),
    /// Read this kernel device (`eth1`, `pppoe-wan`).
    Kernel(String),
}

/// What the daemon knows about the machine when it chooses.
pub struct Facts<'a> {
    /// netifd is on ubus now.
    pub netifd: bool,
    /// Logical interface → kernel device, as netifd last reported it.
    pub netifd_devices: &'a HashMap<String, String>,
    pub device_exists: &'a dyn Fn(&str) -> bool,
    pub default_route_device: &'a dyn Fn(Family) -> Option<String>,
}

/// netifd when the service asks for it, or (`ip_source auto`) when it names no device and netifd
/// is there or was — while netifd restarts its last word still names the device to read.
pub fn choose(svc: &Service, family: Family, facts: &Facts) -> Source {
    let logical = svc.interface_for(family);
    let use_netifd = match svc.ip_source {
        IpSource::Netifd => true,
        IpSource::Auto => {
            svc.device_for(family).is_none() && (facts.netifd || facts.netifd_devices.contains_key(logical))
        }
        IpSource::Device | IpSource::Echo => false,
    };
    if use_netifd {
        Source::Netifd(logical.to_string())
    } else {
        Source::Kernel(device(svc, family, facts))
    }
}

/// The kernel device: the service's `device` option, else the one netifd last gave for the
/// logical interface, else on a machine without netifd the logical name taken as a device if
/// it exists, else (not for a LAN host) the default route's.
pub fn device(svc: &Service, family: Family, facts: &Facts) -> String {
    if let Some(dev) = svc.device_for(family) {
        return dev.to_string();
    }
    let logical = svc.interface_for(family);
    if let Some(dev) = facts.netifd_devices.get(logical) {
        return dev.clone();
    }
    // A LAN host's prefix never comes from the WAN that carries the default route.
    if (facts.device_exists)(logical) || svc.lan_family(family).is_some() {
        return logical.to_string();
    }
    (facts.default_route_device)(family).unwrap_or_else(|| logical.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(extra: &str) -> Service {
        let text = format!(
            "config service s\n option provider 'no-ip'\n list hostname 'h.example.org'\n option username u\n \
             option password p\n{extra}"
        );
        let cfg = crate::config::from_str("test", &text).unwrap();
        assert!(cfg.errors.is_empty(), "{:?}", cfg.errors);
        cfg.services[0].clone()
    }

    fn facts<'a>(netifd: bool, devices: &'a HashMap<String, String>, exists: &'a dyn Fn(&str) -> bool) -> Facts<'a> {
        Facts { netifd, netifd_devices: devices, device_exists: exists, default_route_device: &|_| Some("eth9".into()) }
    }

    #[test]
    fn auto_follows_netifd_when_it_is_or_was_there() {
        let none = HashMap::new();
        let known: HashMap<String, String> = [("wan".to_string(), "eth1".to_string())].into();
        let no_dev = |_: &str| false;
        let svc = service("");
        assert_eq!(choose(&svc, Family::V4, &facts(true, &none, &no_dev)), Source::Netifd("wan".into()));
        // netifd restarting: its last word about wan still decides.
        assert_eq!(choose(&svc, Family::V4, &facts(false, &known, &no_dev)), Source::Netifd("wan".into()));
        // Never seen netifd (plain Linux): the default route's device.
        assert_eq!(choose(&svc, Family::V4, &facts(false, &none, &no_dev)), Source::Kernel("eth9".into()));
        // ...or the logical name when such a device exists.
        assert_eq!(choose(&svc, Family::V4, &facts(false, &none, &|d| d == "wan")), Source::Kernel("wan".into()));
    }

    #[test]
    fn a_device_option_or_ip_source_decides_first() {
        let known: HashMap<String, String> = [("wan".to_string(), "eth1".to_string())].into();
        let no_dev = |_: &str| false;
        let f = facts(true, &known, &no_dev);
        assert_eq!(
            choose(&service(" option device 'pppoe-wan'\n"), Family::V4, &f),
            Source::Kernel("pppoe-wan".into())
        );
        let svc = service(" option ip_source 'device'\n option device 'eth0'\n");
        assert_eq!(choose(&svc, Family::V4, &f), Source::Kernel("eth0".into()), "never netifd");
        // A netifd-less read of the logical interface goes to the device netifd last named.
        assert_eq!(device(&service(""), Family::V4, &f), "eth1");
        let gone = HashMap::new();
        let f = facts(false, &gone, &no_dev);
        assert_eq!(choose(&service(" option ip_source 'netifd'\n"), Family::V4, &f), Source::Netifd("wan".into()));
        assert_eq!(
            choose(&service(" option ipv6 1\n option interface6 'wan6'\n"), Family::V6, &facts(true, &gone, &no_dev)),
            Source::Netifd("wan6".into())
        );
    }
}
