//! A ubusd-compatible server for tests, behaving as the reference describes (§1.6): HELLO with
//! a random client id, random object ids from 1024, LOOKUP, ADD_OBJECT/REMOVE_OBJECT, INVOKE
//! forwarded to the owner with the reply's peer rewritten to the object id, events through
//! object 1 (`register`, `send`, and ubusd's own `ubus.object.add`/`remove`), SUBSCRIBE, NOTIFY
//! fanned out with NO_REPLY, UNSUBSCRIBE to subscribers when a target disappears, PING.

use edgeddns::ubus::{attr, msg, Body, Message};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

struct Object {
    owner: u32,
    path: Option<String>,
    signature: Vec<u8>,
}

#[derive(Default)]
struct State {
    clients: HashMap<u32, UnixStream>,
    objects: HashMap<u32, Object>,
    /// (target object, subscriber client, subscriber object)
    subscriptions: Vec<(u32, u32, u32)>,
    /// (client, object, pattern)
    listeners: Vec<(u32, u32, String)>,
    event_seq: u16,
    rng: u64,
}

impl State {
    fn random_id(&mut self) -> u32 {
        loop {
            self.rng ^= self.rng << 13;
            self.rng ^= self.rng >> 7;
            self.rng ^= self.rng << 17;
            let id = (self.rng >> 16) as u32;
            if id >= 1024 && !self.objects.contains_key(&id) && !self.clients.contains_key(&id) {
                return id;
            }
        }
    }

    fn send(&mut self, client: u32, m: &Message) {
        if let Some(s) = self.clients.get_mut(&client) {
            let _ = s.write_all(&m.encode());
        }
    }

    fn status(&mut self, client: u32, seq: u16, peer: u32, status: u32) {
        self.send(client, &Message::new(msg::STATUS, seq, peer, Body::default().u32(attr::STATUS, status).done()));
    }

    fn event(&mut self, sender: u32, name: &str, data: &Value) {
        self.event_seq = self.event_seq.wrapping_add(1);
        let seq = self.event_seq;
        let mut delivered: Vec<u32> = Vec::new();
        let targets: Vec<(u32, u32)> = self
            .listeners
            .iter()
            .filter(|(c, _, p)| {
                *c != sender && (p == "*" || p == name || p.strip_suffix('*').is_some_and(|pre| name.starts_with(pre)))
            })
            .map(|(c, o, _)| (*c, *o))
            .collect();
        for (client, obj) in targets {
            if delivered.contains(&obj) {
                continue;
            }
            delivered.push(obj);
            let body = Body::default().u32(attr::OBJID, obj).str(attr::METHOD, name).data(data).done();
            self.send(client, &Message::new(msg::INVOKE, seq, 0, body));
        }
    }

    fn remove_object(&mut self, id: u32) {
        let Some(obj) = self.objects.remove(&id) else {
            return;
        };
        let subs: Vec<(u32, u32)> =
            self.subscriptions.iter().filter(|(t, _, _)| *t == id).map(|(_, c, o)| (*c, *o)).collect();
        self.subscriptions.retain(|(t, _, _)| *t != id);
        for (client, sub) in subs {
            let body = Body::default().u32(attr::OBJID, sub).u32(attr::TARGET, id).done();
            self.send(client, &Message::new(msg::UNSUBSCRIBE, 0, 0, body));
        }
        self.listeners.retain(|(_, o, _)| *o != id);
        self.subscriptions.retain(|(_, _, o)| *o != id);
        if let Some(path) = obj.path {
            self.event(0, "ubus.object.remove", &json!({"id": id as i32, "path": path}));
        }
    }

    fn disconnect(&mut self, client: u32) {
        self.clients.remove(&client);
        let owned: Vec<u32> = self.objects.iter().filter(|(_, o)| o.owner == client).map(|(id, _)| *id).collect();
        for id in owned {
            self.remove_object(id);
        }
        self.subscriptions.retain(|(_, c, _)| *c != client);
        self.listeners.retain(|(c, _, _)| *c != client);
    }

    fn handle(&mut self, from: u32, m: Message) {
        let (seq, peer) = (m.seq, m.peer);
        match m.kind {
            msg::PING => self.send(from, &Message::new(msg::DATA, seq, peer, Vec::new())),
            msg::LOOKUP => {
                let want = m.str(attr::OBJPATH).map(str::to_string);
                let mut found: Vec<(u32, String, Vec<u8>)> = self
                    .objects
                    .iter()
                    .filter_map(|(id, o)| Some((*id, o.path.clone()?, o.signature.clone())))
                    .filter(|(_, p, _)| match &want {
                        None => true,
                        Some(w) => match w.strip_suffix('*') {
                            Some(pre) => p.starts_with(pre),
                            None => p == w,
                        },
                    })
                    .collect();
                found.sort();
                for (id, path, sig) in &found {
                    let body = Body::default()
                        .str(attr::OBJPATH, path)
                        .u32(attr::OBJID, *id)
                        .u32(attr::OBJTYPE, *id)
                        .raw(attr::SIGNATURE, sig)
                        .done();
                    self.send(from, &Message::new(msg::DATA, seq, peer, body));
                }
                self.status(from, seq, peer, if found.is_empty() { 4 } else { 0 });
            }
            msg::ADD_OBJECT => {
                let id = self.random_id();
                let path = m.str(attr::OBJPATH).map(str::to_string);
                let signature = m.attr(attr::SIGNATURE).map(|a| a.data.to_vec()).unwrap_or_default();
                if path.as_ref().is_some_and(|p| self.objects.values().any(|o| o.path.as_ref() == Some(p))) {
                    return self.status(from, seq, peer, 12);
                }
                self.objects.insert(id, Object { owner: from, path: path.clone(), signature });
                let mut body = Body::default().u32(attr::OBJID, id);
                if path.is_some() {
                    body = body.u32(attr::OBJTYPE, id);
                }
                self.send(from, &Message::new(msg::DATA, seq, peer, body.done()));
                self.status(from, seq, peer, 0);
                if let Some(p) = path {
                    // ubusd adds ids with blobmsg_add_u32: an INT32, negative above i32::MAX.
                    self.event(0, "ubus.object.add", &json!({"id": id as i32, "path": p}));
                }
            }
            msg::REMOVE_OBJECT => {
                let id = m.u32(attr::OBJID).unwrap_or(0);
                if self.objects.get(&id).is_some_and(|o| o.owner == from) {
                    self.remove_object(id);
                    self.status(from, seq, peer, 0);
                } else {
                    self.status(from, seq, peer, 4);
                }
            }
            msg::INVOKE => {
                let obj = m.u32(attr::OBJID).unwrap_or(0);
                let method = m.str(attr::METHOD).unwrap_or("").to_string();
                let data = m.data().unwrap_or_default();
                if obj == 1 {
                    let status = self.system_event(from, &method, &data);
                    return self.status(from, seq, peer, status);
                }
                let Some(owner) = self.objects.get(&obj).map(|o| o.owner) else {
                    return self.status(from, seq, peer, 4);
                };
                let body = Body::default()
                    .u32(attr::OBJID, obj)
                    .str(attr::METHOD, &method)
                    .str(attr::USER, "root")
                    .str(attr::GROUP, "root")
                    .data(&data)
                    .done();
                self.send(owner, &Message::new(msg::INVOKE, seq, from, body));
            }
            msg::DATA | msg::STATUS => {
                // A server's reply to a forwarded call: to the caller, peer = the object.
                if peer == 0 || !self.clients.contains_key(&peer) {
                    return;
                }
                let obj = m.u32(attr::OBJID).unwrap_or(0);
                self.send(peer, &Message::new(m.kind, seq, obj, m.body.clone()));
            }
            msg::SUBSCRIBE => {
                let (obj, target) = (m.u32(attr::OBJID).unwrap_or(0), m.u32(attr::TARGET).unwrap_or(0));
                let Some(owner) = self.objects.get(&target).map(|o| o.owner) else {
                    return self.status(from, seq, peer, 4);
                };
                let first = !self.subscriptions.iter().any(|(t, _, _)| *t == target);
                self.subscriptions.push((target, from, obj));
                self.status(from, seq, peer, 0);
                if first {
                    let body = Body::default().u32(attr::OBJID, target).u8(attr::ACTIVE, 1).done();
                    self.send(owner, &Message::new(msg::NOTIFY, 0, 0, body));
                }
            }
            msg::UNSUBSCRIBE => {
                let (obj, target) = (m.u32(attr::OBJID).unwrap_or(0), m.u32(attr::TARGET).unwrap_or(0));
                self.subscriptions.retain(|s| *s != (target, from, obj));
                self.status(from, seq, peer, 0);
            }
            msg::NOTIFY => {
                let obj = m.u32(attr::OBJID).unwrap_or(0);
                let method = m.str(attr::METHOD).unwrap_or("").to_string();
                let data = m.data().unwrap_or_default();
                let subs: Vec<(u32, u32)> =
                    self.subscriptions.iter().filter(|(t, _, _)| *t == obj).map(|(_, c, o)| (*c, *o)).collect();
                for (client, sub) in subs {
                    let body = Body::default()
                        .u8(attr::NO_REPLY, 1)
                        .u32(attr::OBJID, sub)
                        .str(attr::METHOD, &method)
                        .str(attr::USER, "root")
                        .str(attr::GROUP, "root")
                        .data(&data)
                        .done();
                    self.send(client, &Message::new(msg::INVOKE, seq, from, body));
                }
                self.status(from, seq, peer, 0);
            }
            _ => self.status(from, seq, peer, 1),
        }
    }

    /// `register` and `send` on object 1; the status to answer.
    fn system_event(&mut self, from: u32, method: &str, data: &Value) -> u32 {
        match method {
            "register" => {
                let (Some(obj), Some(pattern)) = (data["object"].as_i64(), data["pattern"].as_str()) else {
                    return 2;
                };
                let obj = obj as u32;
                match self.objects.get(&obj) {
                    None => 4,
                    Some(o) if o.owner != from || obj < 1024 => 6,
                    Some(_) => {
                        self.listeners.push((from, obj, pattern.to_string()));
                        0
                    }
                }
            }
            "send" => {
                // ubusd_forward_event: "id" must be a string and "data" a table (blobmsg_parse
                // drops a wrongly typed one), else UBUS_STATUS_INVALID_ARGUMENT.
                let (Some(id), d) = (data["id"].as_str(), data["data"].clone()) else {
                    return 2;
                };
                if !d.is_object() {
                    return 2;
                }
                if id.starts_with("ubus.") {
                    return 6;
                }
                self.event(from, id, &d);
                0
            }
            _ => 3,
        }
    }
}

/// The server; `stop()` (or drop) closes every connection, like a killed ubusd.
pub struct Ubusd {
    pub path: PathBuf,
    state: Arc<Mutex<State>>,
    stopped: Arc<AtomicBool>,
}

impl Ubusd {
    pub fn start(path: &Path) -> Ubusd {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).unwrap();
        let seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
        let state = Arc::new(Mutex::new(State { rng: seed, ..State::default() }));
        let stopped = Arc::new(AtomicBool::new(false));
        let (st, stop) = (state.clone(), stopped.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                let id = {
                    let mut s = st.lock().unwrap();
                    let id = s.random_id();
                    s.clients.insert(id, stream.try_clone().unwrap());
                    id
                };
                let _ = stream.write_all(&Message::new(msg::HELLO, 0, id, Vec::new()).encode());
                let (st, stop) = (st.clone(), stop.clone());
                std::thread::spawn(move || {
                    while let Ok(m) = Message::read_from(&mut stream) {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        st.lock().unwrap().handle(id, m);
                    }
                    st.lock().unwrap().disconnect(id);
                });
            }
        });
        Ubusd { path: path.to_path_buf(), state, stopped }
    }

    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        let mut s = self.state.lock().unwrap();
        for c in s.clients.values() {
            let _ = c.shutdown(std::net::Shutdown::Both);
        }
        s.clients.clear();
        drop(s);
        // Unblock the accept loop, then remove the socket as a dead ubusd leaves no listener.
        let _ = UnixStream::connect(&self.path);
        let _ = std::fs::remove_file(&self.path);
    }

    /// Paths of the named objects right now.
    pub fn objects(&self) -> Vec<String> {
        self.state.lock().unwrap().objects.values().filter_map(|o| o.path.clone()).collect()
    }

    pub fn subscribers_of(&self, path: &str) -> usize {
        let s = self.state.lock().unwrap();
        let ids: Vec<u32> =
            s.objects.iter().filter(|(_, o)| o.path.as_deref() == Some(path)).map(|(id, _)| *id).collect();
        s.subscriptions.iter().filter(|(t, _, _)| ids.contains(t)).count()
    }
}

impl Drop for Ubusd {
    fn drop(&mut self) {
        self.stop();
    }
}
