//! The daemon's life on ubus: netifd as address source and change trigger, and our own
//! `edgeddns` object for LuCI and scripts.
//!
//! netifd sends `interface.update`/`interface.down` notifications with the full status to
//! subscribers of `network.interface` (the `network.interface` event covers only ifup/ifdown,
//! not a new address on a running interface). Notifications are cached, so reading an address
//! after one costs no call. When netifd restarts the subscription dies (UNSUBSCRIBE); its
//! object's return is announced by `ubus.object.add`, and we subscribe again.

use super::{Connection, Incoming, Invocation, Result};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

pub const OBJECT: &str = "edgeddns";
const NETIFD: &str = "network.interface";

/// What the daemon needs to act on.
#[derive(Debug)]
pub enum Event {
    /// An interface's status changed (address, up, down).
    InterfaceChanged(String),
    /// netifd (re)appeared on ubus; for a while it may report interfaces down that the
    /// kernel still has up.
    NetifdBack,
    /// A call on our object; answer it with `Session::reply`.
    Call(Invocation),
}

pub struct Session {
    conn: Connection,
    /// Our anonymous object: receives events and notifications.
    listener: u32,
    object: u32,
    netifd: Option<u32>,
    cache: HashMap<String, Value>,
}

impl Session {
    /// Connect, and publish our object with `methods` (name and typed arguments).
    pub fn open(socket: Option<&Path>, methods: &[(&str, &[(&str, u8)])]) -> Result<Session> {
        let mut conn = Connection::connect(socket)?;
        let listener = conn.add_object(None, &[])?;
        conn.register_event(listener, NETIFD)?;
        conn.register_event(listener, "ubus.object.add")?;
        let object = conn.add_object(Some(OBJECT), methods)?;
        let mut session = Session { conn, listener, object, netifd: None, cache: HashMap::new() };
        session.subscribe();
        Ok(session)
    }

    /// Subscribe to netifd if it is there; without it (not OpenWrt, or netifd restarting) the
    /// kernel source and the timers carry on.
    fn subscribe(&mut self) {
        self.netifd = match self.conn.lookup(NETIFD) {
            Ok(id) => match self.conn.subscribe(self.listener, id) {
                Ok(()) => Some(id),
                Err(e) => {
                    log::warn!("cannot subscribe to netifd: {e}");
                    None
                }
            },
            Err(_) => None,
        };
        self.cache.clear();
    }

    pub fn has_netifd(&self) -> bool {
        self.netifd.is_some()
    }

    /// Call `method` of the object at `path` without arguments (odhcpd's leases).
    pub fn call(&mut self, path: &str, method: &str) -> Result<Value> {
        let id = self.conn.lookup(path)?;
        self.conn.invoke(id, method, &serde_json::json!({}))
    }

    /// netifd's status of a logical interface, from the last notification or by asking.
    pub fn interface_status(&mut self, interface: &str) -> Result<Value> {
        if let Some(st) = self.cache.get(interface) {
            return Ok(st.clone());
        }
        let id = self.netifd.ok_or(super::Error::Status(super::STATUS_NOT_FOUND))?;
        let st = self.conn.invoke(id, "status", &serde_json::json!({"interface": interface}))?;
        self.cache.insert(interface.to_string(), st.clone());
        Ok(st)
    }

    /// Handle everything pending; an error means the connection is gone.
    pub fn process(&mut self) -> Result<Vec<Event>> {
        let mut out = Vec::new();
        for incoming in self.conn.incoming()? {
            match incoming {
                Incoming::Invoke(inv) if inv.object == self.object => out.push(Event::Call(inv)),
                Incoming::Invoke(inv) if inv.object == self.listener => match inv.method.as_str() {
                    "interface.update" | "interface.down" => {
                        if let Some(name) = inv.data["interface"].as_str().map(str::to_string) {
                            let mut st = inv.data.clone();
                            if let Some(o) = st.as_object_mut() {
                                o.remove("interface");
                            }
                            self.cache.insert(name.clone(), st);
                            out.push(Event::InterfaceChanged(name));
                        }
                    }
                    NETIFD => {
                        if let Some(name) = inv.data["interface"].as_str() {
                            self.cache.remove(name);
                            out.push(Event::InterfaceChanged(name.to_string()));
                        }
                    }
                    "ubus.object.add" if inv.data["path"] == NETIFD => {
                        log::info!("netifd is back on ubus: subscribing again");
                        self.subscribe();
                        out.push(Event::NetifdBack);
                    }
                    _ => {}
                },
                Incoming::Unsubscribed { target, .. } if Some(target) == self.netifd => {
                    // Usually netifd is gone (ubus.object.add brings it back); if its object is
                    // still there, the subscription alone was dropped: take it again now.
                    self.subscribe();
                    if self.netifd.is_none() {
                        log::warn!("netifd left ubus; waiting for it to come back");
                    }
                    out.push(Event::InterfaceChanged(String::new()));
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// Publish an event (`ubus listen edgeddns.*` sees it); never waits for ubusd.
    pub fn send_event(&mut self, name: &str, data: &Value) -> Result<()> {
        self.conn.send_event(name, data)
    }

    pub fn reply(&mut self, call: &Invocation, status: u32, data: Option<&Value>) -> Result<()> {
        self.conn.reply(call, status, data)
    }
}

impl std::os::fd::AsFd for Session {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.conn.as_fd()
    }
}
