//! The ubus client against the test ubusd and the fake netifd.

mod support;

use edgeddns::ubus::{Connection, Error, Incoming};
use serde_json::json;
use std::time::{Duration, Instant};
use support::netifd::FakeNetifd;
use support::ubusd::Ubusd;
use support::TempDir;

fn server(tag: &str) -> (TempDir, Ubusd) {
    let dir = TempDir::new(tag);
    let d = Ubusd::start(&dir.path("ubus.sock"));
    (dir, d)
}

/// Wait for an unasked message matching `pred`.
fn expect(conn: &mut Connection, what: &str, pred: impl Fn(&Incoming) -> bool) -> Incoming {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if let Some(i) = conn.wait_incoming(Duration::from_millis(50)).unwrap() {
            if pred(&i) {
                return i;
            }
        }
    }
    panic!("no {what} within 5 s");
}

#[test]
fn lookup_and_invoke_the_fake_netifd() {
    let (_dir, d) = server("invoke");
    let netifd = FakeNetifd::start(&d.path, &[("wan", Some("100.64.1.2"), None)]);
    let mut c = Connection::connect(Some(&d.path)).unwrap();
    let obj = c.lookup("network.interface").unwrap();
    let st = c.invoke(obj, "status", &json!({"interface": "wan"})).unwrap();
    assert_eq!(st["up"], true);
    assert_eq!(st["ipv4-address"][0]["address"], "100.64.1.2");
    assert!(matches!(c.invoke(obj, "status", &json!({"interface": "nope"})), Err(Error::Status(4))));
    assert!(matches!(c.lookup("no.such.object"), Err(Error::Status(4))));
    netifd.stop();
}

#[test]
fn events_arriving_during_a_call_are_queued_not_lost() {
    let (_dir, d) = server("queue");
    let netifd = FakeNetifd::start(&d.path, &[("wan", Some("203.0.113.1"), None)]);
    let mut c = Connection::connect(Some(&d.path)).unwrap();
    let anon = c.add_object(None, &[]).unwrap();
    c.register_event(anon, "network.interface").unwrap();
    // The interface goes down and up; while those events are in flight we make calls.
    netifd.set("wan", None, None);
    netifd.set("wan", Some("203.0.113.2"), None);
    let obj = c.lookup("network.interface").unwrap();
    for _ in 0..20 {
        c.invoke(obj, "status", &json!({"interface": "wan"})).unwrap();
    }
    let mut actions = Vec::new();
    while actions.len() < 2 {
        if let Incoming::Invoke(inv) =
            expect(&mut c, "event", |i| matches!(i, Incoming::Invoke(v) if v.method == "network.interface"))
        {
            actions.push(inv.data["action"].as_str().unwrap().to_string());
        }
    }
    assert_eq!(actions, vec!["ifdown", "ifup"]);
    netifd.stop();
}

#[test]
fn subscription_follows_netifd_across_its_restart() {
    let (_dir, d) = server("resub");
    let netifd = FakeNetifd::start(&d.path, &[("wan", Some("203.0.113.1"), None)]);
    let mut c = Connection::connect(Some(&d.path)).unwrap();
    let anon = c.add_object(None, &[]).unwrap();
    c.register_event(anon, "ubus.object.add").unwrap();
    let target = c.lookup("network.interface").unwrap();
    c.subscribe(anon, target).unwrap();
    netifd.set("wan", Some("203.0.113.7"), None);
    let note =
        expect(&mut c, "interface.update", |i| matches!(i, Incoming::Invoke(v) if v.method == "interface.update"));
    let Incoming::Invoke(inv) = note else { unreachable!() };
    assert_eq!(inv.data["interface"], "wan");
    assert_eq!(inv.data["ipv4-address"][0]["address"], "203.0.113.7");
    c.reply(&inv, 0, None).unwrap(); // NO_REPLY: must send nothing

    netifd.stop();
    let gone = expect(&mut c, "UNSUBSCRIBE", |i| matches!(i, Incoming::Unsubscribed { .. }));
    assert_eq!(gone, Incoming::Unsubscribed { object: anon, target });
    let netifd = FakeNetifd::start(&d.path, &[("wan", Some("203.0.113.8"), None)]);
    let added =
        expect(&mut c, "ubus.object.add", |i| matches!(i, Incoming::Invoke(v) if v.method == "ubus.object.add"));
    let Incoming::Invoke(inv) = added else { unreachable!() };
    assert_eq!(inv.data["path"], "network.interface");
    let new_target = inv.data["id"].as_i64().unwrap() as u32;
    assert_ne!(new_target, target, "object ids change");
    c.subscribe(anon, new_target).unwrap();
    netifd.set("wan", Some("203.0.113.9"), None);
    let note =
        expect(&mut c, "interface.update", |i| matches!(i, Incoming::Invoke(v) if v.method == "interface.update"));
    let Incoming::Invoke(inv) = note else { unreachable!() };
    assert_eq!(inv.data["ipv4-address"][0]["address"], "203.0.113.9");
    netifd.stop();
}

#[test]
fn our_object_answers_calls_with_large_replies() {
    let (_dir, d) = server("object");
    let path = d.path.clone();
    let big = "x".repeat(200 * 1024);
    let expected = big.clone();
    let server = std::thread::spawn(move || {
        let mut s = Connection::connect(Some(&path)).unwrap();
        let obj = s.add_object(Some("edgeddns"), &[("status", &[]), ("update", &[("service", 3)])]).unwrap();
        let mut served = 0;
        while served < 2 {
            if let Some(Incoming::Invoke(inv)) = s.wait_incoming(Duration::from_secs(5)).unwrap() {
                assert_eq!(inv.object, obj);
                match inv.method.as_str() {
                    "status" => s.reply(&inv, 0, Some(&json!({"blob": big}))).unwrap(),
                    _ => s.reply(&inv, 0, Some(&json!({"queued": inv.data["service"]}))).unwrap(),
                }
                served += 1;
            }
        }
    });
    let mut c = Connection::connect(Some(&d.path)).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    let obj = loop {
        match c.lookup("edgeddns") {
            Ok(id) => break id,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => panic!("{e}"),
        }
    };
    let st = c.invoke(obj, "status", &json!({})).unwrap();
    assert_eq!(st["blob"].as_str().unwrap().len(), expected.len(), "a reply over 64 KiB");
    assert_eq!(c.invoke(obj, "update", &json!({"service": "home"})).unwrap(), json!({"queued": "home"}));
    server.join().unwrap();
    c.ping().unwrap();
}

#[test]
fn a_dead_ubusd_is_an_error_not_a_hang() {
    let (_dir, d) = server("dead");
    let mut c = Connection::connect(Some(&d.path)).unwrap();
    c.set_timeout(Duration::from_secs(2));
    d.stop();
    let start = Instant::now();
    assert!(c.lookup("network.interface").is_err());
    assert!(start.elapsed() < Duration::from_secs(3));
    assert!(Connection::connect(Some(&d.path)).is_err());
}

/// Events as ubusd_event.c handles them: delivered to every object registered with a matching
/// pattern (once, never back to the sender), and refused when `id` is not a string or `data`
/// not a table, or when a client pretends to be ubusd (`ubus.*`).
#[test]
fn events_are_sent_without_waiting_and_checked_like_ubusd() {
    let (_dir, d) = server("events");
    let mut listener = Connection::connect(Some(&d.path)).unwrap();
    let obj = listener.add_object(None, &[]).unwrap();
    listener.register_event(obj, "edgeddns.*").unwrap();
    listener.register_event(obj, "edgeddns.record").unwrap();
    let mut sender = Connection::connect(Some(&d.path)).unwrap();
    let own = sender.add_object(None, &[]).unwrap();
    sender.register_event(own, "*").unwrap();
    let data = json!({"action": "updated", "service": "home", "address": "192.0.2.1"});
    sender.send_event("edgeddns.record", &data).unwrap();
    let got = expect(&mut listener, "the event", |i| matches!(i, Incoming::Invoke(_)));
    let Incoming::Invoke(inv) = got else { unreachable!() };
    assert_eq!((inv.object, inv.method.as_str(), &inv.data), (obj, "edgeddns.record", &data));
    // Two matching patterns, one delivery; the sender's own "*" does not see it.
    assert!(listener.wait_incoming(Duration::from_millis(300)).unwrap().is_none());
    // The STATUS ubusd sends back is not waited for, and is dropped when it arrives.
    assert!(sender.wait_incoming(Duration::from_millis(300)).unwrap().is_none());
    for (args, status) in [
        (json!({"id": "edgeddns.record"}), 2),
        (json!({"id": "edgeddns.record", "data": "text"}), 2),
        (json!({"id": "edgeddns.record", "data": [1]}), 2),
        (json!({"data": {}}), 2),
        (json!({"id": "ubus.object.add", "data": {}}), 6),
    ] {
        let r = sender.invoke(edgeddns::ubus::EVENT_OBJECT, "send", &args);
        assert!(matches!(r, Err(Error::Status(s)) if s == status), "{args}: {r:?}");
    }
    assert!(listener.wait_incoming(Duration::from_millis(200)).unwrap().is_none(), "a refused event was delivered");
}
