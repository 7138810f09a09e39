//! The kernel's own view of interface addresses, over rtnetlink: a dump (RTM_GETADDR) for
//! reading, and a subscription to address and link events so a new WAN address is noticed the
//! moment the kernel has it. Unlike getifaddrs, rtnetlink says which IPv6 addresses are
//! deprecated, temporary (privacy) or still tentative.
//!
//! Netlink headers are in the host's byte order (big-endian on ath79 MIPS), so everything here
//! reads and writes native-endian integers.

use super::lan::Neighbour;
use super::{IfAddr, InterfaceSource, SourceError};
use nix::libc;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

const NLMSG_HDRLEN: usize = 16;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const RTM_NEWLINK: u16 = 16;
const RTM_DELLINK: u16 = 17;
const RTM_GETADDR: u16 = 22;
const RTM_NEWNEIGH: u16 = 28;
const RTM_DELNEIGH: u16 = 29;
const RTM_GETNEIGH: u16 = 30;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;

const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_CACHEINFO: u16 = 6;
const IFA_FLAGS: u16 = 8;

const IFA_F_TEMPORARY: u32 = 0x01;
const IFA_F_DADFAILED: u32 = 0x08;
const IFA_F_DEPRECATED: u32 = 0x20;
const IFA_F_TENTATIVE: u32 = 0x40;

const NDA_DST: u16 = 1;
const NDA_LLADDR: u16 = 2;
/// NUD_REACHABLE, STALE, DELAY, PROBE and PERMANENT: entries the kernel still holds as valid.
const NUD_VALID: u16 = 0x02 | 0x04 | 0x08 | 0x10 | 0x80;

const RTMGRP_LINK: u32 = 0x1;
const RTMGRP_NEIGH: u32 = 0x4;
const RTMGRP_IPV4_IFADDR: u32 = 0x10;
const RTMGRP_IPV6_IFADDR: u32 = 0x100;

fn netlink_socket(groups: u32, nonblocking: bool) -> std::io::Result<OwnedFd> {
    let flags = libc::SOCK_RAW | libc::SOCK_CLOEXEC | if nonblocking { libc::SOCK_NONBLOCK } else { 0 };
    // SAFETY: plain socket(2); the descriptor is owned right away.
    let fd = unsafe { libc::socket(libc::AF_NETLINK, flags, libc::NETLINK_ROUTE) };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: fd is a fresh, valid descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: sockaddr_nl is plain data; zeroed is its documented initial state.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    addr.nl_groups = groups;
    // SAFETY: addr is a valid sockaddr_nl of the size passed.
    let rc = unsafe {
        libc::bind(
            fd.as_raw_fd(),
            &addr as *const libc::sockaddr_nl as *const libc::sockaddr,
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    if rc < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(fd)
}

fn recv(fd: &OwnedFd, buf: &mut [u8]) -> std::io::Result<usize> {
    // SAFETY: buf is valid for writes of its length.
    let n = unsafe { libc::recv(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Reads interface addresses from the kernel.
pub struct Netlink {
    fd: OwnedFd,
    seq: u32,
}

impl Netlink {
    pub fn new() -> Result<Netlink, SourceError> {
        let fd = netlink_socket(0, false).map_err(|e| SourceError::Io(format!("rtnetlink socket: {e}")))?;
        // A dump never takes long; a kernel that does not answer must not hang the daemon.
        let tv = libc::timeval { tv_sec: 2, tv_usec: 0 };
        // SAFETY: tv is a valid timeval of the size passed.
        unsafe {
            libc::setsockopt(
                fd.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                &tv as *const libc::timeval as *const libc::c_void,
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        Ok(Netlink { fd, seq: 0 })
    }

    /// Send a dump request of `kind` (its header `body_len` zero bytes: every family and
    /// device) and hand each message of the answer to `each`.
    fn dump(&mut self, kind: u16, body_len: usize, each: &mut dyn FnMut(u16, &[u8])) -> Result<(), SourceError> {
        self.seq = self.seq.wrapping_add(1);
        let req = dump_request(self.seq, kind, body_len);
        // SAFETY: req is valid for reads of its length.
        let sent = unsafe { libc::send(self.fd.as_raw_fd(), req.as_ptr().cast(), req.len(), 0) };
        if sent < 0 {
            return Err(SourceError::Io(format!("rtnetlink send: {}", std::io::Error::last_os_error())));
        }
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            let n = recv(&self.fd, &mut buf).map_err(|e| SourceError::Io(format!("rtnetlink receive: {e}")))?;
            if n == 0 {
                return Err(SourceError::Io("rtnetlink closed".into()));
            }
            if dump_datagram(&buf[..n], self.seq, each)? {
                return Ok(());
            }
        }
    }

    /// The kernel's neighbour table (ARP and NDP, every device): the entries it still
    /// believes in, with a link-layer address.
    pub fn neighbours(&mut self) -> Result<Vec<Neighbour>, SourceError> {
        let mut out = Vec::new();
        self.dump(RTM_GETNEIGH, 12, &mut |kind, p| {
            if kind == RTM_NEWNEIGH {
                out.extend(parse_neighbour(p));
            }
        })?;
        Ok(out)
    }
}

impl InterfaceSource for Netlink {
    fn addresses(&mut self, interface: &str) -> Result<Vec<IfAddr>, SourceError> {
        let ifindex = nix::net::if_::if_nametoindex(interface)
            .map_err(|_| SourceError::NoSuchInterface(interface.to_string()))?;
        let mut out = Vec::new();
        self.dump(RTM_GETADDR, 8, &mut |kind, p| address_of(kind, p, ifindex, &mut out))?;
        Ok(out)
    }
}

fn dump_request(seq: u32, kind: u16, body_len: usize) -> Vec<u8> {
    let len = (NLMSG_HDRLEN + body_len) as u32;
    let mut m = Vec::with_capacity(len as usize);
    m.extend_from_slice(&len.to_ne_bytes());
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    // ifaddrmsg / ndmsg: AF_UNSPEC (both families), the rest zero.
    m.resize(len as usize, 0);
    m
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_ne_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Netlink messages in a datagram: (type, seq, payload). Stops at the first malformed header.
fn messages(buf: &[u8]) -> impl Iterator<Item = (u16, u32, &[u8])> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let len = u32_at(buf, at)? as usize;
        if len < NLMSG_HDRLEN || at + len > buf.len() {
            return None;
        }
        let kind = u16_at(buf, at + 4)?;
        let seq = u32_at(buf, at + 8)?;
        let payload = &buf[at + NLMSG_HDRLEN..at + len];
        at += (len + 3) & !3;
        Some((kind, seq, payload))
    })
}

/// Hand each message of one datagram of the answer to dump `seq` to `each`; `Ok(true)` at its end.
fn dump_datagram(buf: &[u8], seq: u32, each: &mut dyn FnMut(u16, &[u8])) -> Result<bool, SourceError> {
    for (kind, msg_seq, payload) in messages(buf) {
        if msg_seq != seq {
            continue;
        }
        match kind {
            NLMSG_DONE => return Ok(true),
            NLMSG_ERROR => {
                let errno = u32_at(payload, 0).map(|e| -(e as i32)).unwrap_or(0);
                if errno != 0 {
                    let e = std::io::Error::from_raw_os_error(errno);
                    return Err(SourceError::Io(format!("rtnetlink: {e}")));
                }
                return Ok(true);
            }
            _ => each(kind, payload),
        }
    }
    Ok(false)
}

fn address_of(kind: u16, payload: &[u8], ifindex: u32, out: &mut Vec<IfAddr>) {
    if kind == RTM_NEWADDR {
        out.extend(parse_address(payload).filter(|(idx, _)| *idx == ifindex).map(|(_, a)| a));
    }
}

/// Add the addresses of `ifindex` in one datagram of a dump answer; `Ok(true)` at its end.
#[cfg(test)]
fn parse_dump(buf: &[u8], seq: u32, ifindex: u32, out: &mut Vec<IfAddr>) -> Result<bool, SourceError> {
    dump_datagram(buf, seq, &mut |kind, p| address_of(kind, p, ifindex, out))
}

/// An RTM_NEWNEIGH payload (ndmsg + attributes) → the entry, unless the kernel gave up on it
/// (incomplete, failed) or it has no address of each layer.
fn parse_neighbour(p: &[u8]) -> Option<Neighbour> {
    let family = *p.first()?;
    let state = u16_at(p, 8)?;
    if state & NUD_VALID == 0 {
        return None;
    }
    let (mut addr, mut mac) = (None, None);
    for_each_attr(p, 12, &mut |kind, data| match kind {
        NDA_DST => addr = ip_from(family, data),
        NDA_LLADDR => mac = <[u8; 6]>::try_from(data).ok(),
        _ => {}
    });
    Some(Neighbour { addr: addr?, mac: mac? })
}

/// An RTM_NEWADDR payload (ifaddrmsg + attributes) → (ifindex, address).
fn parse_address(p: &[u8]) -> Option<(u32, IfAddr)> {
    let family = *p.first()?;
    let prefix_len = *p.get(1)?;
    let mut flags = u32::from(*p.get(2)?);
    let ifindex = u32_at(p, 4)?;
    let (mut address, mut local, mut preferred) = (None, None, None);
    for_each_attr(p, 8, &mut |kind, data| match kind {
        IFA_ADDRESS => address = ip_from(family, data),
        IFA_LOCAL => local = ip_from(family, data),
        IFA_FLAGS => flags = u32_at(data, 0).unwrap_or(flags),
        IFA_CACHEINFO => preferred = u32_at(data, 0),
        _ => {}
    });
    // On point-to-point links (PPPoE) IFA_ADDRESS is the peer; IFA_LOCAL is ours.
    let addr = local.or(address)?;
    let v6 = matches!(addr, IpAddr::V6(_));
    Some((
        ifindex,
        IfAddr {
            addr,
            prefix_len,
            deprecated: flags & IFA_F_DEPRECATED != 0 || (v6 && preferred == Some(0)),
            temporary: v6 && flags & IFA_F_TEMPORARY != 0,
            tentative: flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED) != 0,
        },
    ))
}

/// Each route attribute (type, data) from byte `at` on, 4-byte aligned; one whose length does
/// not fit ends the walk.
fn for_each_attr(p: &[u8], mut at: usize, f: &mut dyn FnMut(u16, &[u8])) {
    while let (Some(len), Some(kind)) = (u16_at(p, at), u16_at(p, at + 2)) {
        let len = usize::from(len);
        let Some(data) = p.get(at + 4..at + len) else {
            break;
        };
        f(kind, data);
        at += (len + 3) & !3;
    }
}

fn ip_from(family: u8, data: &[u8]) -> Option<IpAddr> {
    match i32::from(family) {
        libc::AF_INET => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(data.get(..4)?).ok()?))),
        libc::AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(data.get(..16)?).ok()?))),
        _ => None,
    }
}

/// Address and link events from the kernel, for the daemon's poll loop.
pub struct AddressMonitor {
    fd: OwnedFd,
}

impl AddressMonitor {
    pub fn new() -> Result<AddressMonitor, SourceError> {
        netlink_socket(RTMGRP_LINK | RTMGRP_NEIGH | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, true)
            .map(|fd| AddressMonitor { fd })
            .map_err(|e| SourceError::Io(format!("rtnetlink subscription: {e}")))
    }

    /// Read everything pending without blocking; true when an address or link changed (or
    /// events were lost to an overrun, when anything may have), or with `neighbours` a
    /// neighbour entry (a LAN host seen, changed or gone).
    pub fn changed(&mut self, neighbours: bool) -> bool {
        let mut buf = vec![0u8; 16 * 1024];
        let mut changed = false;
        loop {
            match recv(&self.fd, &mut buf) {
                Ok(0) => return changed,
                Ok(n) => {
                    changed |= messages(&buf[..n]).any(|(kind, _, _)| match kind {
                        RTM_NEWADDR | RTM_DELADDR | RTM_NEWLINK | RTM_DELLINK => true,
                        RTM_NEWNEIGH | RTM_DELNEIGH => neighbours,
                        _ => false,
                    })
                }
                Err(e) if e.raw_os_error() == Some(libc::ENOBUFS) => changed = true,
                Err(_) => return changed,
            }
        }
    }
}

impl AsFd for AddressMonitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An RTM_NEWADDR message as the kernel sends it.
    fn newaddr(seq: u32, family: u8, ifindex: u32, flags8: u8, attrs: &[(u16, Vec<u8>)]) -> Vec<u8> {
        let mut payload = vec![family, 64, flags8, 0];
        payload.extend_from_slice(&ifindex.to_ne_bytes());
        for (kind, data) in attrs {
            payload.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
            payload.extend_from_slice(&kind.to_ne_bytes());
            payload.extend_from_slice(data);
            while payload.len() % 4 != 0 {
                payload.push(0);
            }
        }
        let mut m = Vec::new();
        m.extend_from_slice(&((NLMSG_HDRLEN + payload.len()) as u32).to_ne_bytes());
        m.extend_from_slice(&RTM_NEWADDR.to_ne_bytes());
        m.extend_from_slice(&2u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&payload);
        m
    }

    fn done(seq: u32) -> Vec<u8> {
        let mut m = Vec::new();
        m.extend_from_slice(&20u32.to_ne_bytes());
        m.extend_from_slice(&NLMSG_DONE.to_ne_bytes());
        m.extend_from_slice(&2u16.to_ne_bytes());
        m.extend_from_slice(&seq.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m
    }

    #[test]
    fn parses_a_dump_with_flags_and_filters_the_interface() {
        let v6: Ipv6Addr = "2001:db8::5".parse().unwrap();
        let mut cache = Vec::new();
        cache.extend_from_slice(&0u32.to_ne_bytes()); // preferred 0: deprecated
        cache.extend_from_slice(&3600u32.to_ne_bytes());
        cache.extend_from_slice(&[0; 8]);
        let mut buf = newaddr(
            7,
            libc::AF_INET as u8,
            3,
            0,
            &[(IFA_ADDRESS, vec![100, 64, 0, 1]), (IFA_LOCAL, vec![100, 64, 9, 9])],
        );
        buf.extend(newaddr(
            7,
            libc::AF_INET6 as u8,
            3,
            0,
            &[(IFA_ADDRESS, v6.octets().to_vec()), (IFA_CACHEINFO, cache)],
        ));
        buf.extend(newaddr(
            7,
            libc::AF_INET6 as u8,
            3,
            0,
            &[
                (IFA_ADDRESS, v6.octets().to_vec()),
                (IFA_FLAGS, (IFA_F_TEMPORARY | IFA_F_TENTATIVE).to_ne_bytes().to_vec()),
            ],
        ));
        buf.extend(newaddr(7, libc::AF_INET as u8, 4, 0, &[(IFA_ADDRESS, vec![203, 0, 113, 1])]));
        buf.extend(newaddr(6, libc::AF_INET as u8, 3, 0, &[(IFA_ADDRESS, vec![203, 0, 113, 2])]));
        buf.extend(done(7));
        let mut out = Vec::new();
        assert_eq!(parse_dump(&buf, 7, 3, &mut out), Ok(true));
        assert_eq!(out.len(), 3, "{out:?}");
        assert_eq!(out[0].addr, IpAddr::V4(Ipv4Addr::new(100, 64, 9, 9)), "IFA_LOCAL wins on point-to-point links");
        assert!(out[1].deprecated && !out[1].temporary);
        assert!(out[2].temporary && out[2].tentative && !out[2].deprecated);
    }

    #[test]
    fn errors_are_reported() {
        let mut m = Vec::new();
        m.extend_from_slice(&36u32.to_ne_bytes());
        m.extend_from_slice(&NLMSG_ERROR.to_ne_bytes());
        m.extend_from_slice(&0u16.to_ne_bytes());
        m.extend_from_slice(&9u32.to_ne_bytes());
        m.extend_from_slice(&0u32.to_ne_bytes());
        m.extend_from_slice(&(-libc::EPERM).to_ne_bytes());
        m.extend_from_slice(&[0; 16]);
        let e = parse_dump(&m, 9, 1, &mut Vec::new()).unwrap_err();
        assert!(e.to_string().starts_with("rtnetlink: "), "{e}");
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let good =
            newaddr(1, libc::AF_INET6 as u8, 1, 0, &[(IFA_ADDRESS, vec![0x20; 16]), (IFA_FLAGS, vec![1, 2, 3, 4])]);
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut m = good.clone();
            let cut = (x as usize) % (m.len() + 1);
            m.truncate(cut);
            if !m.is_empty() {
                let i = (x >> 20) as usize % m.len();
                m[i] = (x >> 40) as u8;
            }
            let _ = parse_dump(&m, 1, 1, &mut Vec::new());
        }
    }

    #[test]
    fn reads_loopback_from_the_kernel() {
        let mut nl = Netlink::new().unwrap();
        let lo = nl.addresses("lo").unwrap();
        assert!(lo.iter().any(|a| a.addr == IpAddr::V4(Ipv4Addr::LOCALHOST)), "{lo:?}");
        assert_eq!(nl.addresses("no-such-if0"), Err(SourceError::NoSuchInterface("no-such-if0".into())));
    }
}
