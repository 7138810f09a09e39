//! DNS messages and their exchange, for RFC 2136 updates and the authoritative checks: UDP
//! first, TCP when the answer is truncated or UDP gets no answer (RFC 1035 §4.2, RFC 2136 §6).
//! Every wait is bounded; the parser follows RFC 1035 §4.1 and trusts no length or pointer.

use crate::http::{Deadline, HttpError};
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

const TRUNCATED: u8 = 0x02;

pub const TYPE_A: u16 = 1;
pub const TYPE_NS: u16 = 2;
pub const TYPE_CNAME: u16 = 5;
pub const TYPE_SOA: u16 = 6;
pub const TYPE_AAAA: u16 = 28;
pub const RCODE_NXDOMAIN: u8 = 3;

/// Append `name` in wire form, uncompressed.
pub fn put_name(out: &mut Vec<u8>, name: &str) {
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

pub fn u16_at(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(m.get(at..at.checked_add(2)?)?.try_into().ok()?))
}

/// The name at `at` (lower case, no final dot) and the offset after it. Compression pointers
/// must point backwards, so a loop ends; the name may not exceed 255 bytes (RFC 1035 §2.3.4).
pub fn name_at(m: &[u8], mut at: usize) -> Option<(String, usize)> {
    let mut name = String::new();
    let mut end = None;
    let mut limit = at;
    loop {
        let len = *m.get(at)?;
        match len {
            0 => return Some((name, end.unwrap_or(at + 1))),
            l if l & 0xc0 == 0xc0 => {
                let to = usize::from(u16_at(m, at)? & 0x3fff);
                if to >= limit {
                    return None;
                }
                end.get_or_insert(at + 2);
                (at, limit) = (to, to);
            }
            l if l < 64 => {
                let label = m.get(at + 1..at + 1 + usize::from(l))?;
                if !name.is_empty() {
                    name.push('.');
                }
                name.extend(label.iter().map(|b| char::from(b.to_ascii_lowercase())));
                if name.len() > 255 {
                    return None;
                }
                at += 1 + usize::from(l);
            }
            _ => return None,
        }
    }
}

/// A random message ID: with the source port, what keeps a forged answer out (RFC 5452);
/// TSIG, where used, does more.
pub fn message_id() -> u16 {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 2];
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    u16::from_be_bytes(b)
}

/// A query for `name`'s `qtype` records; `recurse` sets RD (a resolver's job, not an
/// authoritative server's).
pub fn query(id: u16, name: &str, qtype: u16, recurse: bool) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[u8::from(recurse), 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    put_name(&mut m, name);
    m.extend_from_slice(&qtype.to_be_bytes());
    m.extend_from_slice(&1u16.to_be_bytes());
    m
}

/// One resource record of a parsed message.
#[derive(Clone, Debug, PartialEq)]
pub struct Rr {
    pub name: String,
    pub rtype: u16,
    pub ttl: u32,
    /// A and AAAA: the address.
    pub addr: Option<IpAddr>,
    /// NS, CNAME: the target; SOA: the primary server (MNAME).
    pub target: String,
}

/// A parsed answer: the header bits that matter and the three record sections.
#[derive(Debug, Default)]
pub struct Message {
    pub rcode: u8,
    pub authoritative: bool,
    pub truncated: bool,
    pub answer: Vec<Rr>,
    pub authority: Vec<Rr>,
    pub additional: Vec<Rr>,
}

/// Parse an answer; `None` for anything malformed (a record running past the end, a bad name,
/// a pointer loop, an address of the wrong length).
pub fn parse(m: &[u8]) -> Option<Message> {
    let flags = u16_at(m, 2)?;
    let mut msg = Message {
        rcode: (flags & 0x0f) as u8,
        authoritative: flags & 0x0400 != 0,
        truncated: flags & 0x0200 != 0,
        ..Message::default()
    };
    let mut at = 12;
    for _ in 0..u16_at(m, 4)? {
        at = name_at(m, at)?.1 + 4;
    }
    for (section, count_at) in [(0, 6), (1, 8), (2, 10)] {
        for _ in 0..u16_at(m, count_at)? {
            let (name, p) = name_at(m, at)?;
            let rtype = u16_at(m, p)?;
            let ttl = u32::from(u16_at(m, p + 4)?) << 16 | u32::from(u16_at(m, p + 6)?);
            let len = usize::from(u16_at(m, p + 8)?);
            let data = m.get(p + 10..p + 10 + len)?;
            let addr = match (rtype, data.len()) {
                (TYPE_A, 4) => Some(IpAddr::from(<[u8; 4]>::try_from(data).ok()?)),
                (TYPE_AAAA, 16) => Some(IpAddr::from(<[u8; 16]>::try_from(data).ok()?)),
                (TYPE_A | TYPE_AAAA, _) => return None,
                _ => None,
            };
            let target = match rtype {
                TYPE_NS | TYPE_CNAME | TYPE_SOA => name_at(m, p + 10)?.0,
                _ => String::new(),
            };
            at = p + 10 + len;
            let rr = Rr { name, rtype, ttl, addr, target };
            [&mut msg.answer, &mut msg.authority, &mut msg.additional][section].push(rr);
        }
    }
    Some(msg)
}

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

    /// An authoritative referral-style answer: `home.example.test A`, compressed names, an NS in
    /// authority and its glue in additional.
    fn sample() -> Vec<u8> {
        let mut m = query(0x4242, "home.example.test", TYPE_A, false);
        m[2] = 0x84; // QR, AA
        m[7] = 1; // ANCOUNT
        m[9] = 1; // NSCOUNT
        m[11] = 1; // ARCOUNT
                   // answer: pointer to the question's name (offset 12), A, IN, TTL 60, 198.51.100.7
        m.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 198, 51, 100, 7]);
        // authority: example.test (offset 17) NS ns1.example.test (label + pointer)
        m.extend_from_slice(&[0xc0, 17, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, b'n', b's', b'1', 0xc0, 17]);
        let ns1 = m.len() - 6;
        // additional: glue for ns1 (pointer to the NS target)
        m.extend_from_slice(&[0xc0, ns1 as u8, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 10, 53, 0, 2]);
        m
    }

    #[test]
    fn parses_answers_with_compression_and_glue() {
        let m = parse(&sample()).unwrap();
        assert!(m.authoritative && !m.truncated && m.rcode == 0);
        assert_eq!(m.answer.len(), 1);
        assert_eq!((m.answer[0].name.as_str(), m.answer[0].ttl), ("home.example.test", 60));
        assert_eq!(m.answer[0].addr, Some("198.51.100.7".parse().unwrap()));
        assert_eq!((m.authority[0].rtype, m.authority[0].target.as_str()), (TYPE_NS, "ns1.example.test"));
        assert_eq!(m.additional[0].name, "ns1.example.test");
        assert_eq!(m.additional[0].addr, Some("10.53.0.2".parse().unwrap()));
    }

    #[test]
    fn hostile_messages_are_refused_not_panicked_on() {
        let good = sample();
        // Every truncation of a good message.
        for n in 0..good.len() {
            assert!(parse(&good[..n]).is_none(), "cut at {n}");
        }
        // A pointer to itself, a forward pointer, and two pointers pointing at each other.
        let mut lp = query(1, "a", TYPE_A, false);
        lp[7] = 1;
        let at = lp.len() as u8;
        lp.extend_from_slice(&[0xc0, at, 0, 1, 0, 1, 0, 0, 0, 1, 0, 4, 1, 2, 3, 4]);
        assert!(parse(&lp).is_none(), "self pointer");
        lp[at as usize + 1] = at + 20;
        assert!(parse(&lp).is_none(), "forward pointer");
        let mut pair = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 14, 0xc0, 12, 0, 1, 0, 1];
        assert!(parse(&pair).is_none(), "pointer pair");
        pair[13] = 200;
        assert!(parse(&pair).is_none(), "pointer past the end");
        // A 40-byte A record, a reserved label type, an overlong name built from pointers.
        let mut wrong = sample();
        wrong[good.len() - 34 - 5] = 40;
        assert!(parse(&wrong).is_none());
        let mut reserved = query(1, "a", TYPE_A, false);
        reserved[12] = 0x41;
        assert!(parse(&reserved).is_none());
        let mut long = vec![0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        long.extend_from_slice(&[63; 64]);
        long.push(0);
        let mut prev = 12usize;
        for _ in 0..5 {
            let here = long.len();
            long.extend_from_slice(&[63]);
            long.extend_from_slice(&[b'x'; 63]);
            long.extend_from_slice(&[0xc0 | (prev >> 8) as u8, prev as u8]);
            prev = here;
        }
        long[4..6].copy_from_slice(&[0, 0]);
        assert!(name_at(&long, prev).is_none(), "a name over 255 bytes");
    }

    #[test]
    fn fuzz_regressions_are_refused() {
        for (name, input) in crate::testing::regression_inputs("dns_answer") {
            assert!(parse(&input).is_none(), "{name}");
        }
    }

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
