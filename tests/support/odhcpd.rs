//! A stand-in for odhcpd on the test ubusd: the `dhcp` object with its two methods, answering
//! `ipv6leases` with the leases the test sets, in odhcpd's shape (`device` → interface →
//! `leases`, each with `duid`, `iaid`, `hostname`, `accept-reconf`, `assigned`, `flags`,
//! `ipv6-addr` entries of `address`/`preferred-lifetime`/`valid-lifetime`, and `valid`).

use edgeddns::ubus::{Connection, Incoming};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

pub struct FakeOdhcpd {
    leases: Arc<Mutex<Vec<Value>>>,
    stop: mpsc::Sender<()>,
}

/// One lease of `addr` to the client with this DUID, as odhcpd lists it.
pub fn lease(duid: &str, hostname: &str, addr: &str) -> Value {
    json!({"duid": duid, "iaid": 1, "hostname": hostname, "accept-reconf": false, "assigned": 4660,
           "flags": ["bound"], "valid": 3600,
           "ipv6-addr": [{"address": addr, "preferred-lifetime": 1800, "valid-lifetime": 3600}]})
}

impl FakeOdhcpd {
    pub fn start(socket: &Path, device: &str) -> FakeOdhcpd {
        let leases = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = mpsc::channel();
        let (ready_tx, ready) = mpsc::channel();
        let (table, socket, device) = (leases.clone(), socket.to_path_buf(), device.to_string());
        std::thread::spawn(move || {
            let mut conn = Connection::connect(Some(&socket)).unwrap();
            conn.add_object(Some("dhcp"), &[("ipv4leases", &[]), ("ipv6leases", &[])]).unwrap();
            ready_tx.send(()).unwrap();
            while stopped.try_recv() == Err(mpsc::TryRecvError::Empty) {
                match conn.wait_incoming(Duration::from_millis(5)) {
                    Ok(Some(Incoming::Invoke(inv))) => {
                        let list = if inv.method == "ipv6leases" { table.lock().unwrap().clone() } else { vec![] };
                        let reply = json!({"device": {device.as_str(): {"leases": list}}});
                        conn.reply(&inv, 0, Some(&reply)).unwrap();
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
        });
        ready.recv_timeout(Duration::from_secs(5)).expect("fake odhcpd did not start");
        FakeOdhcpd { leases, stop }
    }

    pub fn set(&self, leases: Vec<Value>) {
        *self.leases.lock().unwrap() = leases;
    }
}

impl Drop for FakeOdhcpd {
    fn drop(&mut self) {
        let _ = self.stop.send(());
    }
}
