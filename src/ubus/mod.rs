//! Our own synchronous ubus client: the wire protocol of OpenWrt's ubusd (framing, request
//! matching, events, subscriptions, a published object). The crates on crates.io only call
//! methods, and one panics on replies over 64 KiB; ubus allows 1 MiB.
//!
//! Every message is an 8-byte header (version, type, big-endian seq and peer) and one root blob
//! attribute holding the message's attributes. Replies are matched on seq *and* peer, like
//! libubus; anything else that arrives meanwhile (events, notifications, calls to our object)
//! is queued, never dropped.

pub mod blob;
pub mod netifd;
pub mod odhcpd;
pub mod session;

use blob::Attr;
use serde_json::{Map, Value};
use std::collections::VecDeque;
use std::io::{Read, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const SOCKET_PATHS: [&str; 2] = ["/var/run/ubus/ubus.sock", "/var/run/ubus.sock"];

/// ubusd refuses larger messages (UBUS_MAX_MSGLEN).
pub const MAX_MESSAGE: usize = 1 << 20;

pub mod msg {
    pub const HELLO: u8 = 0;
    pub const STATUS: u8 = 1;
    pub const DATA: u8 = 2;
    pub const PING: u8 = 3;
    pub const LOOKUP: u8 = 4;
    pub const INVOKE: u8 = 5;
    pub const ADD_OBJECT: u8 = 6;
    pub const REMOVE_OBJECT: u8 = 7;
    pub const SUBSCRIBE: u8 = 8;
    pub const UNSUBSCRIBE: u8 = 9;
    pub const NOTIFY: u8 = 10;
}

pub mod attr {
    pub const STATUS: u8 = 1;
    pub const OBJPATH: u8 = 2;
    pub const OBJID: u8 = 3;
    pub const METHOD: u8 = 4;
    pub const OBJTYPE: u8 = 5;
    pub const SIGNATURE: u8 = 6;
    pub const DATA: u8 = 7;
    pub const TARGET: u8 = 8;
    pub const ACTIVE: u8 = 9;
    pub const NO_REPLY: u8 = 10;
    pub const USER: u8 = 12;
    pub const GROUP: u8 = 13;
}

/// ubusd's own event object.
pub const EVENT_OBJECT: u32 = 1;

const STATUS_NAMES: [&str; 14] = [
    "OK",
    "invalid command",
    "invalid argument",
    "method not found",
    "not found",
    "no data",
    "permission denied",
    "timeout",
    "not supported",
    "unknown error",
    "connection failed",
    "no memory",
    "parse error",
    "system error",
];

pub const STATUS_OK: u32 = 0;
pub const STATUS_INVALID_ARGUMENT: u32 = 2;
pub const STATUS_METHOD_NOT_FOUND: u32 = 3;
pub const STATUS_NOT_FOUND: u32 = 4;

#[derive(Debug)]
pub enum Error {
    Io(std::io::Error),
    /// ubusd or the called object answered with a non-zero status.
    Status(u32),
    Timeout,
    Protocol(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Io(e) => write!(f, "ubus: {e}"),
            Error::Status(s) => {
                write!(f, "ubus: {}", STATUS_NAMES.get(*s as usize).copied().unwrap_or("unknown status"))
            }
            Error::Timeout => f.write_str("ubus: no answer in time"),
            Error::Protocol(m) => write!(f, "ubus: {m}"),
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
            Error::Timeout
        } else {
            Error::Io(e)
        }
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// One ubus message: header fields and the attributes inside the root blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub kind: u8,
    pub seq: u16,
    pub peer: u32,
    /// The root attribute's payload: a run of blob attributes.
    pub body: Vec<u8>,
}

impl Message {
    pub fn new(kind: u8, seq: u16, peer: u32, body: Vec<u8>) -> Message {
        Message { kind, seq, peer, body }
    }

    pub fn attr(&self, id: u8) -> Option<Attr<'_>> {
        blob::attrs(&self.body).find(|a| a.id == id && !a.extended)
    }

    pub fn u32(&self, id: u8) -> Option<u32> {
        self.attr(id).and_then(|a| a.u32())
    }

    pub fn str(&self, id: u8) -> Option<&str> {
        self.attr(id).and_then(|a| a.str())
    }

    /// The DATA attribute as a JSON object (`{}` when absent). Data nested too deep is a
    /// protocol error of this message only: it has been read whole, so the connection stays usable.
    pub fn data(&self) -> Result<Value> {
        match self.attr(attr::DATA) {
            None => Ok(Value::Object(Map::new())),
            Some(a) => blob::decode_table(a.data).map(Value::Object).map_err(|e| Error::Protocol(e.to_string())),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(12 + self.body.len());
        out.push(0);
        out.push(self.kind);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.peer.to_be_bytes());
        blob::put(&mut out, 0, false, |b| b.extend_from_slice(&self.body));
        out
    }

    /// Read one message. The buffer grows with the announced length, up to 1 MiB.
    pub fn read_from(r: &mut impl Read) -> Result<Message> {
        let mut head = [0u8; 12];
        r.read_exact(&mut head)?;
        let root = u32::from_be_bytes([head[8], head[9], head[10], head[11]]);
        let len = (root & 0x00ff_ffff) as usize;
        if !(4..=MAX_MESSAGE).contains(&len) {
            return Err(Error::Protocol(format!("message length {len} out of range")));
        }
        let mut body = vec![0u8; len - 4];
        r.read_exact(&mut body)?;
        Ok(Message {
            kind: head[1],
            seq: u16::from_be_bytes([head[2], head[3]]),
            peer: u32::from_be_bytes([head[4], head[5], head[6], head[7]]),
            body,
        })
    }
}

/// Build a message body from attributes.
#[derive(Default)]
pub struct Body(Vec<u8>);

impl Body {
    pub fn u32(mut self, id: u8, v: u32) -> Body {
        blob::put_u32(&mut self.0, id, v);
        self
    }
    pub fn u8(mut self, id: u8, v: u8) -> Body {
        blob::put_u8(&mut self.0, id, v);
        self
    }
    pub fn str(mut self, id: u8, s: &str) -> Body {
        blob::put_str(&mut self.0, id, s);
        self
    }
    /// DATA with the members of `v` (an object; anything else gives an empty DATA, which ubus
    /// servers require to be present).
    pub fn data(mut self, v: &Value) -> Body {
        let members = v.as_object().map(blob::encode_table).unwrap_or_default();
        blob::put(&mut self.0, attr::DATA, false, |b| b.extend_from_slice(&members));
        self
    }
    pub fn raw(mut self, id: u8, payload: &[u8]) -> Body {
        blob::put(&mut self.0, id, false, |b| b.extend_from_slice(payload));
        self
    }
    pub fn done(self) -> Vec<u8> {
        self.0
    }
}

/// A call, event or notification addressed to one of our objects.
#[derive(Clone, Debug, PartialEq)]
pub struct Invocation {
    pub object: u32,
    /// Method name; for events the event name, for notifications their type.
    pub method: String,
    pub data: Value,
    seq: u16,
    peer: u32,
    no_reply: bool,
}

/// What arrives without being asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum Incoming {
    Invoke(Invocation),
    /// An object we subscribed to went away (its owner restarted or quit).
    Unsubscribed {
        object: u32,
        target: u32,
    },
    /// Whether one of our objects has subscribers.
    Subscribers {
        object: u32,
        active: bool,
    },
}

pub struct Connection {
    stream: UnixStream,
    pub client_id: u32,
    seq: u16,
    queue: VecDeque<Message>,
    timeout: Duration,
}

impl Connection {
    /// Connect to `path`, or to the first of the standard socket paths that answers
    /// (21.02 and later, then 19.07).
    pub fn connect(path: Option<&Path>) -> Result<Connection> {
        let candidates: Vec<PathBuf> = match path {
            Some(p) => vec![p.to_path_buf()],
            None => SOCKET_PATHS.iter().map(PathBuf::from).collect(),
        };
        let mut last = None;
        for p in candidates {
            match UnixStream::connect(&p) {
                Ok(stream) => return Self::hello(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(Error::Io(last.unwrap_or_else(|| std::io::Error::other("no socket path"))))
    }

    fn hello(mut stream: UnixStream) -> Result<Connection> {
        let timeout = Duration::from_secs(5);
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        let hello = Message::read_from(&mut stream)?;
        if hello.kind != msg::HELLO {
            return Err(Error::Protocol(format!("expected HELLO, got message type {}", hello.kind)));
        }
        // libubus keeps the HELLO peer unswapped; only its value as an id matters here.
        Ok(Connection { stream, client_id: hello.peer, seq: 0, queue: VecDeque::new(), timeout })
    }

    pub fn set_timeout(&mut self, t: Duration) {
        self.timeout = t;
    }

    fn send(&mut self, m: &Message) -> Result<()> {
        self.stream.write_all(&m.encode())?;
        Ok(())
    }

    /// Send a request and collect its DATA replies until the STATUS, queueing everything else.
    pub fn request(&mut self, kind: u8, peer: u32, body: Vec<u8>) -> Result<Vec<Message>> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        self.send(&Message::new(kind, seq, peer, body))?;
        let deadline = Instant::now() + self.timeout;
        let mut data = Vec::new();
        loop {
            let left = deadline.checked_duration_since(Instant::now()).ok_or(Error::Timeout)?;
            self.stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            let m = Message::read_from(&mut self.stream)?;
            // Events carry ubusd's global event counter as seq: never match them.
            let ours = m.seq == seq && m.peer == peer && matches!(m.kind, msg::DATA | msg::STATUS);
            if !ours {
                self.queue.push_back(m);
                continue;
            }
            if m.kind == msg::DATA {
                data.push(m);
                continue;
            }
            return match m.u32(attr::STATUS).unwrap_or(0) {
                STATUS_OK => Ok(data),
                s => Err(Error::Status(s)),
            };
        }
    }

    pub fn ping(&mut self) -> Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        self.send(&Message::new(msg::PING, seq, 0, Vec::new()))?;
        let deadline = Instant::now() + self.timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now()).ok_or(Error::Timeout)?;
            self.stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            let m = Message::read_from(&mut self.stream)?;
            if m.kind == msg::DATA && m.seq == seq {
                return Ok(());
            }
            self.queue.push_back(m);
        }
    }

    /// The id of the object at `path`.
    pub fn lookup(&mut self, path: &str) -> Result<u32> {
        let data = self.request(msg::LOOKUP, 0, Body::default().str(attr::OBJPATH, path).done())?;
        data.iter().find_map(|m| m.u32(attr::OBJID)).ok_or(Error::Status(STATUS_NOT_FOUND))
    }

    /// Call `method` on object `object` with JSON arguments; the reply's data (`{}` if none).
    pub fn invoke(&mut self, object: u32, method: &str, args: &Value) -> Result<Value> {
        let body = Body::default().u32(attr::OBJID, object).str(attr::METHOD, method).data(args).done();
        let data = self.request(msg::INVOKE, object, body)?;
        data.iter().find(|m| m.attr(attr::DATA).is_some()).map_or(Ok(Value::Object(Map::new())), Message::data)
    }

    /// Publish an object. Anonymous (`None`) objects receive events and notifications; a named
    /// one is callable by path, with `methods` as its signature (argument name → blobmsg type).
    pub fn add_object(&mut self, path: Option<&str>, methods: &[(&str, &[(&str, u8)])]) -> Result<u32> {
        let mut body = Body::default();
        if let Some(p) = path {
            let mut sig = Vec::new();
            for (name, args) in methods {
                let types: Map<String, Value> =
                    args.iter().map(|(arg, kind)| (arg.to_string(), Value::from(i64::from(*kind)))).collect();
                blob::put_blobmsg(&mut sig, name, &Value::Object(types));
            }
            body = body.str(attr::OBJPATH, p).raw(attr::SIGNATURE, &sig);
        }
        let data = self.request(msg::ADD_OBJECT, 0, body.done())?;
        data.iter().find_map(|m| m.u32(attr::OBJID)).ok_or_else(|| Error::Protocol("ADD_OBJECT gave no id".into()))
    }

    /// Deliver events matching `pattern` (a trailing `*` matches a prefix) to `object`.
    pub fn register_event(&mut self, object: u32, pattern: &str) -> Result<()> {
        // ubusd reads the id as a 32-bit blobmsg: keep it INT32 even above i32::MAX.
        self.invoke(EVENT_OBJECT, "register", &serde_json::json!({"object": object as i32, "pattern": pattern}))?;
        Ok(())
    }

    /// Send an event as libubus's `ubus_send_event` does, but without waiting for ubusd's
    /// STATUS: it arrives later with its own seq and is dropped like any late reply.
    pub fn send_event(&mut self, name: &str, data: &Value) -> Result<()> {
        self.seq = self.seq.wrapping_add(1);
        let args = serde_json::json!({"id": name, "data": data});
        let body = Body::default().u32(attr::OBJID, EVENT_OBJECT).str(attr::METHOD, "send").data(&args).done();
        self.send(&Message::new(msg::INVOKE, self.seq, EVENT_OBJECT, body))
    }

    /// Have `target`'s notifications delivered to our object `object`.
    pub fn subscribe(&mut self, object: u32, target: u32) -> Result<()> {
        self.request(msg::SUBSCRIBE, 0, Body::default().u32(attr::OBJID, object).u32(attr::TARGET, target).done())?;
        Ok(())
    }

    /// Send a notification from our object to its subscribers, without waiting for them.
    pub fn notify(&mut self, object: u32, kind: &str, data: &Value) -> Result<()> {
        let body =
            Body::default().u32(attr::OBJID, object).str(attr::METHOD, kind).data(data).u8(attr::NO_REPLY, 1).done();
        self.request(msg::NOTIFY, object, body)?;
        Ok(())
    }

    /// Everything that has arrived unasked and can be read without waiting.
    pub fn incoming(&mut self) -> Result<Vec<Incoming>> {
        let mut out = Vec::new();
        loop {
            if let Some(m) = self.queue.pop_front() {
                if let Some(i) = self.classify(m)? {
                    out.push(i);
                }
                continue;
            }
            let mut fds = [nix::poll::PollFd::new(self.stream.as_fd(), nix::poll::PollFlags::POLLIN)];
            let ready = nix::poll::poll(&mut fds, nix::poll::PollTimeout::ZERO).map_err(|e| Error::Io(e.into()))?;
            if ready == 0 {
                return Ok(out);
            }
            // ubusd writes whole messages; a started one completes promptly.
            self.stream.set_read_timeout(Some(self.timeout))?;
            let m = Message::read_from(&mut self.stream)?;
            self.queue.push_back(m);
        }
    }

    /// Wait up to `limit` for the next unasked message (for tests and simple servers).
    pub fn wait_incoming(&mut self, limit: Duration) -> Result<Option<Incoming>> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(m) = self.queue.pop_front() {
                if let Some(i) = self.classify(m)? {
                    return Ok(Some(i));
                }
                continue;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return Ok(None);
            };
            self.stream.set_read_timeout(Some(left.max(Duration::from_millis(1))))?;
            match Message::read_from(&mut self.stream) {
                Ok(m) => self.queue.push_back(m),
                Err(Error::Timeout) => return Ok(None),
                Err(e) => return Err(e),
            }
        }
    }

    fn classify(&mut self, m: Message) -> Result<Option<Incoming>> {
        Ok(match m.kind {
            msg::INVOKE => {
                let mut inv = Invocation {
                    object: m.u32(attr::OBJID).unwrap_or(0),
                    method: m.str(attr::METHOD).unwrap_or("").to_string(),
                    data: Value::Null,
                    seq: m.seq,
                    peer: m.peer,
                    no_reply: m.attr(attr::NO_REPLY).and_then(|a| a.u8()).unwrap_or(0) != 0,
                };
                match m.data() {
                    Ok(data) => {
                        inv.data = data;
                        Some(Incoming::Invoke(inv))
                    }
                    Err(e) => {
                        // One hostile message is refused; the connection and what follows stay.
                        log::warn!("refusing ubus '{}' from peer {:08x}: {e}", inv.method, inv.peer);
                        self.reply(&inv, STATUS_INVALID_ARGUMENT, None)?;
                        None
                    }
                }
            }
            msg::UNSUBSCRIBE => Some(Incoming::Unsubscribed {
                object: m.u32(attr::OBJID).unwrap_or(0),
                target: m.u32(attr::TARGET).unwrap_or(0),
            }),
            msg::NOTIFY => Some(Incoming::Subscribers {
                object: m.u32(attr::OBJID).unwrap_or(0),
                active: m.attr(attr::ACTIVE).and_then(|a| a.u8()).unwrap_or(0) != 0,
            }),
            // Late replies to a request that timed out, pings: nothing to do.
            _ => None,
        })
    }

    /// Answer a call on our object: DATA (when there is some) and STATUS, with the call's seq
    /// and peer. Notifications sent with NO_REPLY get no answer.
    pub fn reply(&mut self, inv: &Invocation, status: u32, data: Option<&Value>) -> Result<()> {
        if inv.no_reply {
            return Ok(());
        }
        if let Some(d) = data {
            let body = Body::default().u32(attr::OBJID, inv.object).data(d).done();
            self.send(&Message::new(msg::DATA, inv.seq, inv.peer, body))?;
        }
        let body = Body::default().u32(attr::STATUS, status).u32(attr::OBJID, inv.object).done();
        self.send(&Message::new(msg::STATUS, inv.seq, inv.peer, body))
    }
}

impl AsFd for Connection {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// The captures of the reference (§1.6), decoded and re-encoded byte for byte.
    #[test]
    fn reference_captures_round_trip() {
        let captures = [
            "00 00 0000 b9544b97 00000004",
            "00 06 0001 00000000 00000004",
            "00 02 0001 00000000 0000000c 03000008 47a5c401",
            "00 01 0001 00000000 0000000c 01000008 00000000",
            // register {"object": 0x47a5c401, "pattern": "network.interface"} on object 1
            "00 05 0002 00000001 00000058 03000008 00000001 0400000d 72656769737465720000 0000
             0700003c 85000014 0006 6f626a656374 00 000000 47a5c401
             83000022 0007 7061747465726e 00 0000 6e6574776f726b2e696e7465726661636500 0000",
            "00 04 0002 00000000 0000001c 02000016 6e6574776f726b2e696e7465726661636500 0000",
            "00 08 0003 00000000 00000014 03000008 25ea2039 08000008 5ab30ae2",
            "00 05 0002 859b3dcf 0000001c 03000008 859b3dcf 0400000b 73746174757300 00 07000004",
            "00 01 0002 859b3dcf 00000014 01000008 00000000 03000008 859b3dcf",
        ];
        for c in captures {
            let bytes = hex(c);
            let m = Message::read_from(&mut &bytes[..]).unwrap();
            assert_eq!(m.encode(), bytes, "{c}");
        }
        let reg = Message::read_from(&mut &hex(captures[4])[..]).unwrap();
        assert_eq!(reg.str(attr::METHOD), Some("register"));
        assert_eq!(
            reg.data().unwrap(),
            serde_json::json!({"object": 0x47a5c401u32 as i32, "pattern": "network.interface"})
        );
        // Built with our own encoder, the same bytes come out.
        let built = Message::new(
            msg::INVOKE,
            2,
            1,
            Body::default()
                .u32(attr::OBJID, 1)
                .str(attr::METHOD, "register")
                .data(&serde_json::json!({"object": 0x47a5c401u32 as i32, "pattern": "network.interface"}))
                .done(),
        );
        assert_eq!(built.encode(), hex(captures[4]));
    }

    #[test]
    fn rejects_oversized_and_truncated_messages() {
        let huge = hex("00 02 0001 00000000 00fffff0");
        assert!(matches!(Message::read_from(&mut &huge[..]), Err(Error::Protocol(_))));
        let short = hex("00 02 0001 00000000 00000010 0300");
        assert!(Message::read_from(&mut &short[..]).is_err());
    }

    /// A peer that speaks ubus on the other end of a real socket pair.
    fn connected() -> (Connection, UnixStream) {
        let (ours, mut theirs) = UnixStream::pair().unwrap();
        theirs.write_all(&Message::new(msg::HELLO, 0, 0x1234, Vec::new()).encode()).unwrap();
        (Connection::hello(ours).unwrap(), theirs)
    }

    fn deep_data() -> Vec<u8> {
        blob::tests::nested_arrays(20_000)
    }

    #[test]
    fn a_too_deep_notification_is_refused_and_the_connection_stays() {
        let (mut conn, mut peer) = connected();
        let deep = Body::default().u32(attr::OBJID, 7).str(attr::METHOD, "interface.update");
        let deep = deep.raw(attr::DATA, &deep_data()).done();
        peer.write_all(&Message::new(msg::INVOKE, 5, 0x99, deep).encode()).unwrap();
        let fine = Body::default()
            .u32(attr::OBJID, 7)
            .str(attr::METHOD, "interface.update")
            .data(&serde_json::json!({"interface": "wan", "up": true}))
            .done();
        peer.write_all(&Message::new(msg::INVOKE, 6, 0x99, fine).encode()).unwrap();
        let mut got = Vec::new();
        while got.is_empty() {
            got = conn.incoming().unwrap();
        }
        assert_eq!(got.len(), 1, "{got:?}");
        let Incoming::Invoke(inv) = &got[0] else { panic!("{got:?}") };
        assert_eq!((inv.seq, inv.data["interface"].as_str()), (6, Some("wan")));
        // The refused call was answered, as ubus expects of every call without NO_REPLY.
        let status = Message::read_from(&mut peer).unwrap();
        assert_eq!(
            (status.kind, status.seq, status.u32(attr::STATUS)),
            (msg::STATUS, 5, Some(STATUS_INVALID_ARGUMENT))
        );
    }

    #[test]
    fn a_too_deep_reply_fails_that_call_only() {
        let (mut conn, mut peer) = connected();
        let server = std::thread::spawn(move || {
            for data in [deep_data(), blob::encode_table(serde_json::json!({"ok": 1}).as_object().unwrap())] {
                let call = Message::read_from(&mut peer).unwrap();
                let body = Body::default().u32(attr::OBJID, 9).raw(attr::DATA, &data).done();
                peer.write_all(&Message::new(msg::DATA, call.seq, call.peer, body).encode()).unwrap();
                let body = Body::default().u32(attr::STATUS, STATUS_OK).done();
                peer.write_all(&Message::new(msg::STATUS, call.seq, call.peer, body).encode()).unwrap();
            }
        });
        let err = conn.invoke(9, "status", &serde_json::json!({})).unwrap_err();
        assert_eq!(err.to_string(), "ubus: blobmsg data nested deeper than 32 levels");
        assert_eq!(conn.invoke(9, "status", &serde_json::json!({})).unwrap(), serde_json::json!({"ok": 1}));
        server.join().unwrap();
    }
}
