//! A ubus message off the socket: framing, attributes, and the blobmsg DATA as JSON.
#![no_main]

use edgeddns::ubus::{blob, Message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = blob::decode_table(data);
    if let Ok(m) = Message::read_from(&mut &data[..]) {
        let _ = m.data();
        let _ = m.str(edgeddns::ubus::attr::METHOD);
    }
});
