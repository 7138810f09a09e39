//! README's "Adding a provider" and "Layout" sections, checked against the code so they stay
//! true: every protocol in the registry has the pieces the section lists, the walk-through for
//! `hetzner` holds step by step, and the module graph the Layout describes has no cycle.

mod support;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use support::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The registry as README describes it: the lines `"name" => &module::Type,` of `protocol()`.
fn registry() -> Vec<(String, String)> {
    let src = read("src/providers/mod.rs");
    let table = src.split("pub fn protocol(").nth(1).expect("providers::protocol is in src/providers/mod.rs");
    let table = table.split("_ => return None").next().unwrap();
    let entries: Vec<(String, String)> = table
        .lines()
        .filter_map(|l| {
            let (name, target) = l.trim().split_once(" => &")?;
            let module = target.split("::").next()?;
            Some((name.trim_matches('"').to_string(), module.to_string()))
        })
        .collect();
    assert!(entries.len() >= 40, "{entries:?}");
    entries
}

/// Provider presets by protocol, as `edgeddns providers --json` lists them.
fn presets_by_protocol() -> BTreeMap<String, Vec<String>> {
    let out = run(&["providers", "--json"]);
    assert!(out.status.success());
    let catalogue: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut by = BTreeMap::<String, Vec<String>>::new();
    for p in catalogue["providers"].as_array().unwrap() {
        by.entry(p["protocol"].as_str().unwrap().into()).or_default().push(p["name"].as_str().unwrap().into());
    }
    by
}

/// The integration tests' text, each file once (the API doubles have their own folder).
fn integration_tests() -> String {
    let mut text = String::new();
    for e in std::fs::read_dir(Path::new(ROOT).join("tests")).unwrap() {
        let path = e.unwrap().path();
        if path.extension().is_some_and(|x| x == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    text
}

#[test]
fn every_protocol_has_what_the_readme_lists() {
    let mod_rs = read("src/providers/mod.rs");
    let doubles_main = read("tests/record_apis/main.rs");
    let readme = read("README.md");
    let tests = integration_tests();
    let presets = presets_by_protocol();
    let table = registry();
    let registered: BTreeSet<&str> = table.iter().map(|(n, _)| n.as_str()).collect();
    for (name, module) in table.iter().cloned() {
        assert!(
            Path::new(ROOT).join(format!("src/providers/{module}.rs")).exists(),
            "{name}: no src/providers/{module}.rs"
        );
        assert!(mod_rs.contains(&format!("\nmod {module};\n")), "{name}: no `mod {module};` in src/providers/mod.rs");
        let names = presets.get(&name).unwrap_or_else(|| panic!("{name}: no catalogue entry uses the protocol"));
        for p in names {
            assert!(readme.contains(&format!("`{p}`")), "{p} ({name}): no row in README's Providers table");
        }
        // End to end: an API double of its own, or a test that runs the binary with one of its
        // presets. (The update-URL presets carry their provider's real URL, which no test may
        // call: their requests are checked per preset in provider_secrets and url_template.)
        let double = Path::new(ROOT).join(format!("tests/record_apis/{module}.rs"));
        let has_double = double.exists() && doubles_main.contains(&format!("\nmod {module};\n"));
        let configured = names.iter().any(|p| tests.contains(&format!("option provider '{p}'")));
        let fixed_urls = module == "url_template" && name != "custom";
        assert!(
            has_double || configured || fixed_urls,
            "{name}: no end-to-end test (tests/record_apis/{module}.rs or a test using it)"
        );
        if double.exists() {
            assert!(has_double, "tests/record_apis/{module}.rs is not a `mod` of tests/record_apis/main.rs");
            assert!(std::fs::read_to_string(&double).unwrap().contains("scenario_tests!()"), "{module}: no scenario");
        }
    }
    for protocol in presets.keys() {
        assert!(registered.contains(protocol.as_str()), "catalogue protocol {protocol} is not in the registry");
    }
}

/// The README's numbered steps for `hetzner`, one by one.
#[test]
fn the_walk_through_holds_for_hetzner() {
    let readme = read("README.md");
    let section = readme.split("## Adding a provider").nth(1).expect("README has an 'Adding a provider' section");
    let steps = [
        "`src/providers/hetzner.rs`",
        "`mod hetzner;`",
        "`\"hetzner\" => &hetzner::Hetzner,`",
        "`src/providers/catalogue.json`",
        "`tests/record_apis/hetzner.rs`",
        "`mod hetzner;` in `tests/record_apis/main.rs`",
    ];
    for step in steps {
        assert!(section.contains(step), "README's walk-through lost the step {step}");
    }
    let file = read("src/providers/hetzner.rs");
    assert!(file.contains("impl Protocol for Hetzner") && file.contains("update_records("), "step 1");
    assert!(file.contains("ZONE_FIELD") && file.contains("SERVER_FIELD"), "step 1: shared fields");
    let mod_rs = read("src/providers/mod.rs");
    assert!(mod_rs.contains("\nmod hetzner;\n") && mod_rs.contains("\"hetzner\" => &hetzner::Hetzner,"), "step 2");
    assert_eq!(presets_by_protocol()["hetzner"], ["hetzner"], "step 3");
    let double = read("tests/record_apis/hetzner.rs");
    assert!(double.contains("pub const DOUBLE: Double") && double.contains("scenario_tests!()"), "step 4");
    assert!(read("tests/record_apis/main.rs").contains("\nmod hetzner;\n"), "step 4: registered");
    assert!(readme.contains("`hetzner`"), "step 5");
}

/// The Layout section's claim: the modules' `crate::` imports (outside tests) have no cycle.
#[test]
fn the_module_graph_has_no_cycle() {
    let src = Path::new(ROOT).join("src");
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for e in std::fs::read_dir(&src).unwrap() {
        let path = e.unwrap().path();
        let module = path.file_stem().unwrap().to_string_lossy().into_owned();
        if module == "lib" || module == "main" {
            continue;
        }
        let files: Vec<_> = if path.is_dir() {
            std::fs::read_dir(&path)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| !p.ends_with("testing.rs"))
                .collect()
        } else {
            vec![path.clone()]
        };
        let deps = graph.entry(module.clone()).or_default();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            // Unit tests may use anything.
            let code = text.split("#[cfg(test)]\nmod tests").next().unwrap();
            for part in code.split("crate::").skip(1) {
                let name: String =
                    part.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_' || c.is_ascii_digit()).collect();
                // `crate::debug!` is the logging module's macro.
                let name = if name == "debug" { "logging".to_string() } else { name };
                if name != module && !name.is_empty() {
                    deps.insert(name);
                }
            }
        }
    }
    // Kahn's algorithm: what is left after removing every module without dependencies is a cycle.
    let mut left = graph.clone();
    loop {
        let free: Vec<String> =
            left.iter().filter(|(_, d)| d.iter().all(|x| !left.contains_key(x))).map(|(m, _)| m.clone()).collect();
        if free.is_empty() {
            break;
        }
        for m in free {
            left.remove(&m);
        }
    }
    assert!(left.is_empty(), "import cycle among {:?}", left.keys().collect::<Vec<_>>());
    assert!(graph.len() >= 20, "{graph:?}");
}
