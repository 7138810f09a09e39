//! Address families and the address-range facts the verdict and the sources share.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::OwnedFd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    pub const ALL: [Family; 2] = [Family::V4, Family::V6];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::V4 => "ipv4",
            Family::V6 => "ipv6",
        }
    }

    /// DNS record type this family is published as.
    pub fn record_type(self) -> &'static str {
        match self {
            Family::V4 => "A",
            Family::V6 => "AAAA",
        }
    }

    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// RFC 6598 shared address space, handed out by carrier-grade NAT.
pub fn is_cgnat(a: Ipv4Addr) -> bool {
    let o = a.octets();
    o[0] == 100 && (o[1] & 0xc0) == 64
}

/// RFC 1918 space or the DS-Lite B4 range (192.0.0.0/29): a WAN address from these means
/// another NAT sits between this router and the internet.
pub fn is_private_nat(a: Ipv4Addr) -> bool {
    let o = a.octets();
    a.is_private() || (o[0] == 192 && o[1] == 0 && o[2] == 0 && o[3] < 8)
}

/// Whether an IPv4 address can be reached from the internet at all. The documentation ranges
/// (TEST-NET-1/2/3) count as public: they never appear on a real WAN, and the tests use them as
/// stand-ins for public addresses.
pub fn is_public_v4(a: Ipv4Addr) -> bool {
    !(a.is_unspecified()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_broadcast()
        || a.is_multicast()
        || is_cgnat(a)
        || is_private_nat(a)
        || a.octets()[0] >= 240
        || a.octets()[0] == 0)
}

/// Global unicast (2000::/3): excludes ULA, link-local and multicast. 2001:db8::/32 stays in,
/// like the IPv4 documentation ranges.
pub fn is_global_v6(a: Ipv6Addr) -> bool {
    (a.segments()[0] & 0xe000) == 0x2000
}

pub fn is_public(a: IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

/// A socket for `addr` that leaves through `device` only (SO_BINDTODEVICE): with two WANs,
/// policy routing or a second default route could otherwise send it out of the other link.
pub fn socket_on(addr: std::net::SocketAddr, device: Option<&str>, datagram: bool) -> std::io::Result<OwnedFd> {
    use nix::sys::socket::{setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType};
    let domain = if addr.is_ipv4() { AddressFamily::Inet } else { AddressFamily::Inet6 };
    let kind = if datagram { SockType::Datagram } else { SockType::Stream };
    let fd = socket(domain, kind, SockFlag::SOCK_CLOEXEC, None)?;
    if let Some(dev) = device {
        setsockopt(&fd, sockopt::BindToDevice, &std::ffi::OsString::from(dev))
            .map_err(|e| std::io::Error::other(format!("cannot send through {dev}: {e}")))?;
    }
    Ok(fd)
}

/// A TCP connection to `addr` through `device`, given up after `timeout` (Linux bounds a
/// blocking connect by the send timeout).
pub fn connect_tcp(
    addr: std::net::SocketAddr,
    device: Option<&str>,
    timeout: std::time::Duration,
) -> std::io::Result<std::net::TcpStream> {
    use nix::sys::socket::{connect, setsockopt, sockopt, SockaddrStorage};
    use nix::sys::time::{TimeVal, TimeValLike};
    use std::os::fd::AsRawFd;
    let fd = socket_on(addr, device, false)?;
    // A zero send timeout would mean none at all.
    let micros = i64::try_from(timeout.as_micros()).unwrap_or(i64::MAX).max(1000);
    setsockopt(&fd, sockopt::SendTimeout, &TimeVal::microseconds(micros))?;
    match connect(fd.as_raw_fd(), &SockaddrStorage::from(addr)) {
        Ok(()) => Ok(std::net::TcpStream::from(fd)),
        Err(nix::errno::Errno::EINPROGRESS) => Err(std::io::ErrorKind::TimedOut.into()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert!(is_cgnat("100.64.0.1".parse().unwrap()));
        assert!(is_cgnat("100.127.255.254".parse().unwrap()));
        assert!(!is_cgnat("100.128.0.1".parse().unwrap()));
        assert!(!is_cgnat("100.63.255.255".parse().unwrap()));
        assert!(is_private_nat("192.168.1.2".parse().unwrap()));
        assert!(is_private_nat("172.31.0.1".parse().unwrap()));
        assert!(is_private_nat("192.0.0.2".parse().unwrap()));
        assert!(!is_private_nat("192.0.0.9".parse().unwrap()));
        assert!(is_public_v4("203.0.114.9".parse().unwrap()));
        assert!(is_public_v4("203.0.113.9".parse().unwrap()));
        assert!(!is_public_v4("169.254.3.3".parse().unwrap()));
        assert!(!is_public_v4("100.80.1.1".parse().unwrap()));
        assert!(is_global_v6("2a00:1450::1".parse().unwrap()));
        assert!(!is_global_v6("fd00::1".parse().unwrap()));
        assert!(!is_global_v6("fe80::1".parse().unwrap()));
        assert!(!is_global_v6("ff02::1".parse().unwrap()));
    }
}
