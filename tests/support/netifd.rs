//! A stand-in for netifd on the test ubusd: publishes `network.interface` with `status`, keeps
//! interfaces and their addresses, and on every change sends what netifd sends — the
//! `interface.update`/`interface.down` notification carrying the full status, and for up/down
//! the `network.interface` event. Built on edgeddns's own ubus client.

use edgeddns::ubus::{blob, Connection, Incoming};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

enum Command {
    Set { interface: String, change: Change },
    Stop,
}

pub struct FakeNetifd {
    tx: mpsc::Sender<Command>,
    done: mpsc::Receiver<()>,
}

/// What a `Set` changes: the addresses, or the delegated prefix assigned to the interface.
enum Change {
    Addrs(Option<String>, Option<String>),
    Prefix(Option<String>),
}

/// An interface as the double keeps it: IPv4, IPv6 (IA_NA) and the delegated prefix assigned
/// to it (`2001:db8:0:10::/64`, as on a LAN).
type Iface = (Option<String>, Option<String>, Option<String>);

/// The status dump netifd gives for an interface (§3.2 of the reference): the address arrays
/// exist only while the interface is up. A prefix assigned downstream shows as netifd's
/// `ipv6-prefix-assignment` entry: the prefix (`address`, `mask`, lifetimes) and the router's
/// own address in it (`local-address`, the assignment's `::1` by netifd's default hint).
pub fn dump(v4: Option<&str>, v6: Option<&str>, prefix: Option<&str>) -> Value {
    let up = v4.is_some() || v6.is_some() || prefix.is_some();
    let mut st = json!({"up": up, "pending": false, "available": true, "autostart": true, "dynamic": false,
                        "proto": "dhcp", "device": "eth1", "data": {}});
    if up {
        st["uptime"] = json!(42);
        st["l3_device"] = json!("eth1");
        st["updated"] = json!(["addresses"]);
        st["ipv4-address"] = json!(v4.map(|a| vec![json!({"address": a, "mask": 24})]).unwrap_or_default());
        st["ipv6-address"] = json!(v6
            .map(|a| vec![json!({"address": a, "mask": 64, "preferred": 3600, "valid": 7200})])
            .unwrap_or_default());
        st["ipv6-prefix"] = json!([]);
        st["ipv6-prefix-assignment"] = json!(prefix
            .and_then(|p| p.split_once('/'))
            .map(|(net, len)| {
                let mask: u8 = len.parse().unwrap();
                let local = format!("{}1", net);
                vec![json!({"address": net, "mask": mask, "preferred": 3600, "valid": 7200,
                            "local-address": {"address": local, "mask": mask}})]
            })
            .unwrap_or_default());
        st["route"] = json!([]);
        st["dns-server"] = json!([]);
    }
    st
}

impl FakeNetifd {
    /// Connect to the ubusd at `socket` and publish `network.interface` with `interfaces`
    /// (name → (IPv4, IPv6)). Returns once the object exists.
    pub fn start(socket: &Path, interfaces: &[(&str, Option<&str>, Option<&str>)]) -> FakeNetifd {
        let mut table: BTreeMap<String, Iface> = interfaces
            .iter()
            .map(|(n, a, b)| (n.to_string(), (a.map(String::from), b.map(String::from), None)))
            .collect();
        let (tx, rx) = mpsc::channel::<Command>();
        let (ready_tx, ready) = mpsc::channel();
        let (done_tx, done) = mpsc::channel();
        let socket = socket.to_path_buf();
        std::thread::spawn(move || {
            let mut conn = Connection::connect(Some(&socket)).unwrap();
            let obj = conn
                .add_object(
                    Some("network.interface"),
                    &[("status", &[("interface", blob::BLOBMSG_STRING)]), ("dump", &[])],
                )
                .unwrap();
            ready_tx.send(()).unwrap();
            loop {
                match rx.try_recv() {
                    Ok(Command::Stop) | Err(mpsc::TryRecvError::Disconnected) => break,
                    Ok(Command::Set { interface, change }) => {
                        let (v4, v6, prefix) = table.get(&interface).cloned().unwrap_or_default();
                        let new = match change {
                            Change::Addrs(v4, v6) => (v4, v6, prefix),
                            Change::Prefix(prefix) => (v4, v6, prefix),
                        };
                        let was_up =
                            table.get(&interface).is_some_and(|i| i.0.is_some() || i.1.is_some() || i.2.is_some());
                        let st = dump(new.0.as_deref(), new.1.as_deref(), new.2.as_deref());
                        table.insert(interface.clone(), new);
                        let up = st["up"] == json!(true);
                        // netifd: the event first (only for up/down), then the notification.
                        if up != was_up {
                            let action = if up { "ifup" } else { "ifdown" };
                            conn.send_event("network.interface", &json!({"action": action, "interface": interface}))
                                .unwrap();
                        }
                        let mut note = st.clone();
                        note["interface"] = json!(interface);
                        let kind = if up { "interface.update" } else { "interface.down" };
                        conn.notify(obj, kind, &note).unwrap();
                    }
                    Err(mpsc::TryRecvError::Empty) => {}
                }
                match conn.wait_incoming(Duration::from_millis(5)) {
                    Ok(Some(Incoming::Invoke(inv))) if inv.method == "status" => {
                        match inv.data["interface"].as_str().and_then(|n| table.get(n)) {
                            Some((a, b, p)) => {
                                conn.reply(&inv, 0, Some(&dump(a.as_deref(), b.as_deref(), p.as_deref()))).unwrap()
                            }
                            None => conn.reply(&inv, edgeddns::ubus::STATUS_NOT_FOUND, None).unwrap(),
                        }
                    }
                    Ok(Some(Incoming::Invoke(inv))) if inv.method == "dump" => {
                        let list: Vec<Value> = table
                            .iter()
                            .map(|(name, (a, b, p))| {
                                let mut st = dump(a.as_deref(), b.as_deref(), p.as_deref());
                                st["interface"] = json!(name);
                                st
                            })
                            .collect();
                        conn.reply(&inv, 0, Some(&json!({"interface": list}))).unwrap()
                    }
                    Ok(Some(Incoming::Invoke(inv))) => {
                        conn.reply(&inv, edgeddns::ubus::STATUS_METHOD_NOT_FOUND, None).unwrap()
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            drop(conn);
            let _ = done_tx.send(());
        });
        ready.recv_timeout(Duration::from_secs(5)).expect("fake netifd did not start");
        FakeNetifd { tx, done }
    }

    /// Change an interface's addresses (both `None`: the interface goes down).
    pub fn set(&self, interface: &str, v4: Option<&str>, v6: Option<&str>) -> Instant {
        let at = Instant::now();
        self.tx
            .send(Command::Set {
                interface: interface.into(),
                change: Change::Addrs(v4.map(String::from), v6.map(String::from)),
            })
            .unwrap();
        at
    }

    /// Assign a delegated prefix to an interface (`2001:db8:0:10::/64`; `None` withdraws it),
    /// as netifd does on the LAN when the upstream delegation changes.
    pub fn set_prefix(&self, interface: &str, prefix: Option<&str>) -> Instant {
        let at = Instant::now();
        let change = Change::Prefix(prefix.map(String::from));
        self.tx.send(Command::Set { interface: interface.into(), change }).unwrap();
        at
    }

    /// Quit, as netifd does on restart: its object disappears from ubus.
    pub fn stop(self) {
        let _ = self.tx.send(Command::Stop);
        let _ = self.done.recv_timeout(Duration::from_secs(5));
    }
}
