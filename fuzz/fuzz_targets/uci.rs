//! A UCI file: the parser, the typed configuration on top, and render → parse round trips.
#![no_main]

use edgeddns::uci;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(file) = uci::parse_bytes("fuzz", data) else { return };
    let again = uci::parse("fuzz", &uci::render(&file)).expect("rendered UCI parses");
    let shape = |f: &uci::File| -> Vec<(String, Option<String>, Vec<(String, uci::Value)>)> {
        f.sections
            .iter()
            .map(|s| {
                (s.kind.clone(), s.name.clone(), s.entries.iter().map(|e| (e.name.clone(), e.value.clone())).collect())
            })
            .collect()
    };
    assert_eq!(shape(&file), shape(&again), "render does not round-trip");
    let _ = edgeddns::config::from_bytes("fuzz", data);
});
