//! DNS message exchange for RFC 2136 updates: UDP first, TCP when the answer is truncated or
//! UDP gets no answer (RFC 1035 §4.2, RFC 2136 §6). Every wait is bounded.

use crate::http::{Deadline, HttpError};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

const TRUNCATED: u8 = 0x02;

/// DNS as a protocol sees it, apart from `http::Transport` so that HTTP transports and their
/// doubles know nothing of it. Failures are `HttpError`s, so a provider makes an outcome of a
/// failed exchange as it does of a failed request.
pub trait Exchange {
    /// One DNS exchange with `server` (`host`, `host:port`, `[v6]:port`): the answer's bytes.
    fn exchange(&mut self, server: &str, message: &[u8]) -> Result<Vec<u8>, HttpError>;
}

/// The real thing, for one job: no exchange starts past the job's deadline, each is bounded by
/// `timeout`.
pub struct Client {
    timeout: Duration,
    until: Deadline,
    /// The WAN device the exchange leaves through, if bound.
    device: Option<String>,
}

impl Client {
    pub fn new(timeout: Duration, until: Deadline, device: Option<String>) -> Client {
        Client { timeout, until, device }
    }
}

impl Exchange for Client {
    fn exchange(&mut self, server: &str, message: &[u8]) -> Result<Vec<u8>, HttpError> {
        self.until.check()?;
        exchange(server, message, self.timeout, self.device.as_deref())
    }
}

/// `host`, `host:port`, `[v6]:port` or a bare IPv6 literal; port 53 by default.
pub fn resolve(server: &str) -> Result<SocketAddr, HttpError> {
    let with_port = if server.parse::<std::net::Ipv6Addr>().is_ok() {
        format!("[{server}]:53")
    } else if server.rsplit_once(':').is_some_and(|(_, p)| p.parse::<u16>().is_ok()) {
        server.to_string()
    } else {
        format!("{server}:53")
    };
    with_port
        .to_socket_addrs()
        .map_err(|e| HttpError::Transport(format!("DNS server '{server}': {e}")))?
        .next()
        .ok_or_else(|| HttpError::Transport(format!("DNS server '{server}' has no address")))
}

/// Send `message` and return the answer whose ID matches. `timeout` bounds the whole exchange,
/// UDP and TCP together: stray datagrams and a server that drips its answer cannot stretch it.
/// A failure is a `Timeout` when the last try ran out of time, else a `Transport` failure.
pub fn exchange(server: &str, message: &[u8], timeout: Duration, device: Option<&str>) -> Result<Vec<u8>, HttpError> {
    let addr = resolve(server)?;
    let id = message.get(..2).ok_or_else(|| HttpError::Refused("empty DNS message".into()))?;
    let start = Instant::now();
    let deadline = start + timeout;
    // UDP may use half the time when nothing comes back, so the TCP retry still has some.
    let limit = crate::duration::format_duration(timeout);
    // Truncated, or no answer over UDP: TCP carries any size and passes some firewalls.
    match udp(addr, message, id, start + timeout / 2, device) {
        Ok(answer) if answer.get(2).is_some_and(|f| f & TRUNCATED == 0) => Ok(answer),
        Ok(_) => tcp(addr, message, id, deadline, device).map_err(|e| {
            reworded(e, |e| format!("{addr}: the UDP answer was truncated; {e} (the exchange may take {limit})"))
        }),
        Err(udp_err) => tcp(addr, message, id, deadline, device).map_err(|tcp_err| {
            reworded(tcp_err, |e| format!("{addr}: no answer ({udp_err}; {e}; the exchange may take {limit})"))
        }),
    }
}

/// The same kind of failure, in other words.
fn reworded(e: HttpError, say: impl FnOnce(&str) -> String) -> HttpError {
    match e {
        HttpError::Timeout(m) => HttpError::Timeout(say(&m)),
        other => HttpError::Transport(say(&other.to_string())),
    }
}

fn broken(what: &str, e: std::io::Error) -> HttpError {
    HttpError::Transport(format!("{what}: {e}"))
}

fn too_late(what: &str) -> HttpError {
    HttpError::Timeout(format!("{what}: no answer in time"))
}

/// Time left until `deadline`, as a socket timeout (which must not be zero), or a timeout error.
fn left(deadline: Instant, what: &str) -> Result<Duration, HttpError> {
    match deadline.checked_duration_since(Instant::now()) {
        Some(d) if !d.is_zero() => Ok(d),
        _ => Err(too_late(what)),
    }
}

fn udp(
    addr: SocketAddr,
    message: &[u8],
    id: &[u8],
    deadline: Instant,
    dev: Option<&str>,
) -> Result<Vec<u8>, HttpError> {
    let sock = UdpSocket::from(crate::net::socket_on(addr, dev, true).map_err(|e| broken("UDP", e))?);
    sock.connect(addr).map_err(|e| broken("UDP", e))?;
    sock.send(message).map_err(|e| broken("UDP", e))?;
    let mut buf = vec![0u8; 4096];
    let mut strays = 0;
    loop {
        let what = if strays == 0 { "UDP".to_string() } else { format!("UDP ({strays} datagrams with another ID)") };
        sock.set_read_timeout(Some(left(deadline, &what)?)).map_err(|e| broken("UDP", e))?;
        let n = match sock.recv(&mut buf) {
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return Err(too_late(&what)),
            Err(e) => return Err(broken("UDP", e)),
        };
        // A stray datagram with another ID is not our answer, and does not extend the wait.
        if buf.get(..2) == Some(id) && n >= 2 {
            return Ok(buf[..n].to_vec());
        }
        strays += 1;
    }
}

fn tcp(
    addr: SocketAddr,
    message: &[u8],
    id: &[u8],
    deadline: Instant,
    dev: Option<&str>,
) -> Result<Vec<u8>, HttpError> {
    let mut s = crate::net::connect_tcp(addr, dev, left(deadline, "TCP")?).map_err(|e| match e.kind() {
        ErrorKind::TimedOut => too_late("TCP connect"),
        _ => broken("TCP", e),
    })?;
    let mut framed = (message.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(message);
    s.set_write_timeout(Some(left(deadline, "TCP")?)).map_err(|e| broken("TCP", e))?;
    s.write_all(&framed).map_err(|e| broken("TCP", e))?;
    let mut len = [0u8; 2];
    read_by(&mut s, &mut len, deadline)?;
    let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
    read_by(&mut s, &mut answer, deadline)?;
    if answer.get(..2) != Some(id) {
        return Err(HttpError::Transport("TCP: answer with another message ID".into()));
    }
    Ok(answer)
}

/// Fill `buf`, every read bounded by what is left until `deadline` (a per-read timeout would
/// let a server that sends one byte at a time hold the exchange for ever).
fn read_by(s: &mut TcpStream, buf: &mut [u8], deadline: Instant) -> Result<(), HttpError> {
    let mut done = 0;
    while done < buf.len() {
        let what = format!("TCP ({done} of {} bytes received)", buf.len());
        s.set_read_timeout(Some(left(deadline, &what)?)).map_err(|e| broken("TCP", e))?;
        match s.read(&mut buf[done..]) {
            Ok(0) => {
                return Err(HttpError::Transport(format!("TCP: connection closed after {done} of {} bytes", buf.len())))
            }
            Ok(n) => done += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => return Err(too_late(&what)),
            Err(e) => return Err(broken("TCP", e)),
        }
    }
    Ok(())
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

    /// A DNS server's two sockets: UDP and TCP on one loopback port.
    fn udp_and_tcp() -> (UdpSocket, std::net::TcpListener, u16) {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        (udp, std::net::TcpListener::bind(("127.0.0.1", port)).unwrap(), port)
    }

    #[test]
    fn truncated_udp_answers_are_fetched_again_over_tcp() {
        let (udp, tcp, port) = udp_and_tcp();
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
            exchange(&format!("127.0.0.1:{port}"), &[0xab, 0xcd, 0x28, 0, 0, 0], Duration::from_secs(2), None).unwrap();
        assert!(answer.ends_with(b"full"));
    }

    /// Run an exchange in a thread; fail (instead of hanging the suite) if it outlives `limit`.
    fn exchange_within(server: String, timeout: Duration, limit: Duration) -> (Result<Vec<u8>, HttpError>, Duration) {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let start = Instant::now();
            let r = exchange(&server, &[0xab, 0xcd, 0x28, 0, 0, 0], timeout, None);
            let _ = tx.send((r, start.elapsed()));
        });
        rx.recv_timeout(limit).expect("the exchange outlived its deadline")
    }

    #[test]
    fn stray_datagrams_do_not_extend_the_deadline() {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        // A hostile server: never answers the query, but sends a datagram with another ID
        // every 200 ms, each of which used to restart the receive timeout.
        let server = std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (_, from) = udp.recv_from(&mut buf).unwrap();
            let mut sent = 0;
            while !stopped.load(std::sync::atomic::Ordering::Relaxed) {
                udp.send_to(&[0x12, 0x34, 0x80, 0, 0, 0], from).unwrap();
                sent += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            sent
        });
        let timeout = Duration::from_secs(2);
        let (r, took) = exchange_within(format!("127.0.0.1:{port}"), timeout, timeout * 3);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let err = r.unwrap_err();
        // No TCP listener here: the last try was refused, so this is not a timeout.
        assert!(matches!(err, HttpError::Transport(_)), "{err:?}");
        let err = err.to_string();
        assert!(took <= timeout + Duration::from_millis(500), "took {took:?}");
        assert!(server.join().unwrap() >= 4);
        assert!(err.contains("datagrams with another ID): no answer in time"), "{err}");
        assert!(err.contains("the exchange may take 2s"), "{err}");
    }

    #[test]
    fn a_dripping_tcp_server_is_cut_off_at_the_deadline() {
        let (udp, tcp, port) = udp_and_tcp();
        // Truncated over UDP at once, then one byte of the TCP answer every 300 ms: each read
        // succeeded within its own timeout, so the exchange never ended.
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, from) = udp.recv_from(&mut buf).unwrap();
            buf[2] |= 0x80 | TRUNCATED;
            udp.send_to(&buf[..n], from).unwrap();
            let (mut s, _) = tcp.accept().unwrap();
            let answer = [&[0x01, 0x00][..], &[0xab, 0xcd, 0x80, 0, 0, 0], &[0; 250]].concat();
            for b in answer {
                if s.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        });
        let timeout = Duration::from_secs(2);
        let (r, took) = exchange_within(format!("127.0.0.1:{port}"), timeout, timeout * 3);
        let err = r.unwrap_err();
        assert!(matches!(err, HttpError::Timeout(_)), "a dripping server is a timeout: {err:?}");
        let err = err.to_string();
        assert!(took <= timeout + Duration::from_millis(500), "took {took:?}");
        assert!(err.contains("truncated; TCP (") && err.contains("of 256 bytes received): no answer in time"), "{err}");
    }
}
