//! The body an echo service answers: the first byte `6` asks over IPv6, anything else IPv4.
#![no_main]

use edgeddns::net::Family;
use edgeddns::sources::echo::parse_answer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, body)) = data.split_first() else { return };
    let family = if *first == b'6' { Family::V6 } else { Family::V4 };
    if let Ok(ip) = parse_answer(&String::from_utf8_lossy(body), family) {
        assert_eq!(Family::of(&ip), family, "an answer of the other family was accepted");
    }
});
