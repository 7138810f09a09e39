// TEMPORARY SHIM (not committed): replaced by the netlink helper's implementation.
use super::{IfAddr, InterfaceSource, SourceError};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
pub struct Netlink;
impl Netlink {
    pub fn new() -> Result<Netlink, SourceError> {
        Ok(Netlink)
    }
}
impl InterfaceSource for Netlink {
    fn addresses(&mut self, interface: &str) -> Result<Vec<IfAddr>, SourceError> {
        if !std::path::Path::new("/sys/class/net")
            .join(interface)
            .exists()
        {
            return Err(SourceError::NoSuchInterface(interface.into()));
        }
        let mut out = Vec::new();
        for ifa in nix::ifaddrs::getifaddrs().map_err(|e| SourceError::Io(e.to_string()))? {
            if ifa.interface_name != interface {
                continue;
            }
            if let Some(a) = ifa.address {
                if let Some(s) = a.as_sockaddr_in() {
                    out.push(IfAddr::new(std::net::IpAddr::V4(s.ip()), 24));
                }
                if let Some(s) = a.as_sockaddr_in6() {
                    out.push(IfAddr::new(std::net::IpAddr::V6(s.ip()), 64));
                }
            }
        }
        Ok(out)
    }
}
pub struct AddressMonitor(OwnedFd);
impl AddressMonitor {
    pub fn new() -> Result<AddressMonitor, SourceError> {
        Err(SourceError::Io("shim".into()))
    }
    pub fn drain(&mut self) -> Vec<u32> {
        vec![]
    }
}
impl AsFd for AddressMonitor {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}
