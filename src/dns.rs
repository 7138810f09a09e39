//! DNS message exchange for RFC 2136 updates: UDP first, TCP when the answer is truncated or
//! UDP gets no answer (RFC 1035 §4.2, RFC 2136 §6). Every wait is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::Duration;

const TRUNCATED: u8 = 0x02;

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 literal; port 53 by default.
pub fn resolve(server: &str) -> Result<SocketAddr, String> {
    let with_port = if server.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{server}]:53")
    } else if server.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        server.to_string()
    } else {
        format!("{server}:53")
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| format!("DNS server '{server}': {e}"))?
        .next()
        .ok_or_else(|| format!("DNS server '{server}' has no address"))
}

/// Send `message` and return the answer whose ID matches.
pub fn exchange(server: &str, message: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let addr = resolve(server)?;
    let id = message.get(..2).ok_or("empty DNS message")?;
    match udp(addr, message, id, timeout) {
        Ok(answer) if answer.get(2).is_some_and(|f| f & TRUNCATED == 0) => Ok(answer),
        // Truncated, or no answer over UDP: TCP carries any size and passes some firewalls.
        Ok(_) | Err(_) => tcp(addr, message, id, timeout),
    }
}

fn udp(addr: SocketAddr, message: &[u8], id: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let bind = if addr.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" };
    let sock = UdpSocket::bind(bind).map_err(|e| e.to_string())?;
    sock.connect(addr).map_err(|e| format!("{addr}: {e}"))?;
    sock.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    sock.send(message).map_err(|e| format!("{addr}: {e}"))?;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = sock.recv(&mut buf).map_err(|e| format!("{addr}: no answer over UDP ({e})"))?;
        // A stray datagram with another ID is not our answer.
        if buf.get(..2) == Some(id) {
            return Ok(buf[..n].to_vec());
        }
    }
}

fn tcp(addr: SocketAddr, message: &[u8], id: &[u8], timeout: Duration) -> Result<Vec<u8>, String> {
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("{addr}: {e}"))?;
    s.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    s.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    let mut framed = (message.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(message);
    s.write_all(&framed).map_err(|e| format!("{addr}: {e}"))?;
    let mut len = [0u8; 2];
    s.read_exact(&mut len).map_err(|e| format!("{addr}: no answer over TCP ({e})"))?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    s.read_exact(&mut answer).map_err(|e| format!("{addr}: {e}"))?;
    if answer.get(..2) != Some(id) {
        return Err(format!("{addr}: answer with another message ID"));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_forms() {
        assert_eq!(resolve("127.0.0.1").unwrap(), "127.0.0.1:53".parse().unwrap());
        assert_eq!(resolve("127.0.0.1:5353").unwrap(), "127.0.0.1:5353".parse().unwrap());
        assert_eq!(resolve("::1").unwrap(), "[::1]:53".parse().unwrap());
        assert_eq!(resolve("[::1]:5353").unwrap(), "[::1]:5353".parse().unwrap());
    }

    #[test]
    fn truncated_udp_answers_are_fetched_again_over_tcp() {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        let tcp = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, from) = udp.recv_from(&mut buf).unwrap();
            let mut answer = buf[..n].to_vec();
            answer[2] |= 0x80 | TRUNCATED;
            udp.send_to(&answer, from).unwrap();
            let (mut s, _) = tcp.accept().unwrap();
            let mut len = [0u8; 2];
            s.read_exact(&mut len).unwrap();
            let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut msg).unwrap();
            msg[2] |= 0x80;
            msg.extend_from_slice(b"full");
            s.write_all(&(msg.len() as u16).to_be_bytes()).unwrap();
            s.write_all(&msg).unwrap();
        });
        let answer =
            exchange(&format!("127.0.0.1:{port}"), &[0xab, 0xcd, 0x28, 0, 0, 0], Duration::from_secs(2)).unwrap();
        assert!(answer.ends_with(b"full"));
    }
}
