//! The LuCI page end to end in headless Chromium: the real view file, served with a LuCI runtime
//! stand-in (tests/luci/runtime.js), talking JSON-RPC to a bridge that plays rpcd — the
//! `edgeddns` and `network.interface` objects are forwarded to the real daemon and the fake
//! netifd over the test ubusd, and `uci` reads, stages and commits a real UCI file, after which
//! the daemon gets SIGHUP as procd's reload trigger would send it. tests/luci/e2e.mjs drives the
//! browser; screenshots land in target/luci-screenshots. Needs Chromium and node, so plain
//! `cargo test` ignores it; scripts/test.sh runs it.

mod support;

use edgeddns::config::uci;
use edgeddns::ubus::{Connection, Error};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::netifd::FakeNetifd;
use support::ubusd::Ubusd;
use support::*;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const CHROMIUM: &str = "/usr/bin/chromium";

/// rpcd's part: ubus forwarding and the uci object with staged changes.
struct Bridge {
    ubus: PathBuf,
    config: PathBuf,
    staged: Mutex<Option<uci::File>>,
    daemon_pid: u32,
    applied: Mutex<usize>,
}

impl Bridge {
    fn load(&self) -> uci::File {
        let text = std::fs::read_to_string(&self.config).unwrap();
        uci::parse(&self.config.display().to_string(), &text).unwrap()
    }

    fn call(&self, object: &str, method: &str, args: &Value) -> Value {
        if object == "uci" {
            return self.uci(method, args);
        }
        let result = Connection::connect(Some(&self.ubus)).and_then(|mut c| {
            let id = c.lookup(object)?;
            c.invoke(id, method, args)
        });
        match result {
            Ok(v) => json!([0, v]),
            Err(Error::Status(s)) => json!([s]),
            Err(_) => json!([10]),
        }
    }

    fn uci(&self, method: &str, args: &Value) -> Value {
        let mut staged = self.staged.lock().unwrap();
        let file = staged.get_or_insert_with(|| self.load());
        let section = |f: &mut uci::File, name: &str| -> Option<usize> {
            f.sections.iter().position(|s| s.name.as_deref() == Some(name))
        };
        let set = |s: &mut uci::Section, values: &Value| {
            for (k, v) in values.as_object().into_iter().flatten() {
                let value = match v {
                    Value::Array(items) => {
                        uci::Value::List(items.iter().map(|i| i.as_str().unwrap_or("").to_string()).collect())
                    }
                    other => {
                        uci::Value::Single(other.as_str().map(str::to_string).unwrap_or_else(|| other.to_string()))
                    }
                };
                match s.entries.iter_mut().find(|e| &e.name == k) {
                    Some(e) => e.value = value,
                    None => {
                        s.entries.push(uci::Entry { name: k.clone(), value, pos: uci::Position { line: 0, column: 0 } })
                    }
                }
            }
        };
        match method {
            "get" => {
                let mut values = serde_json::Map::new();
                for (i, s) in file.sections.iter().enumerate() {
                    let name = s.name.clone().unwrap_or_else(|| format!("cfg{i:02x}"));
                    let mut obj = json!({".type": s.kind, ".name": name, ".anonymous": s.name.is_none(), ".index": i});
                    for e in &s.entries {
                        obj[&e.name] = match &e.value {
                            uci::Value::Single(v) => json!(v),
                            uci::Value::List(items) => json!(items),
                        };
                    }
                    values.insert(name, obj);
                }
                json!([0, {"values": values}])
            }
            "add" => {
                let name = args["name"].as_str().map(str::to_string);
                let mut s = uci::Section {
                    kind: args["type"].as_str().unwrap_or("").to_string(),
                    name: name.clone(),
                    pos: uci::Position { line: 0, column: 0 },
                    entries: vec![],
                };
                set(&mut s, &args["values"]);
                file.sections.push(s);
                json!([0, {"section": name}])
            }
            "set" => match section(file, args["section"].as_str().unwrap_or("")) {
                Some(i) => {
                    set(&mut file.sections[i], &args["values"]);
                    json!([0])
                }
                None => json!([4]),
            },
            "delete" => match section(file, args["section"].as_str().unwrap_or("")) {
                Some(i) => {
                    match args["options"].as_array() {
                        Some(opts) => file.sections[i].entries.retain(|e| !opts.iter().any(|o| o == &e.name)),
                        None => {
                            file.sections.remove(i);
                        }
                    }
                    json!([0])
                }
                None => json!([4]),
            },
            "apply" => {
                std::fs::write(&self.config, uci::render(file)).unwrap();
                *staged = None;
                *self.applied.lock().unwrap() += 1;
                // procd: config.change for package edgeddns → reload → reload_signal HUP.
                nix::sys::signal::kill(
                    nix::unistd::Pid::from_raw(self.daemon_pid as i32),
                    nix::sys::signal::Signal::SIGHUP,
                )
                .unwrap();
                json!([0])
            }
            _ => json!([3]),
        }
    }
}

fn serve(stream: TcpStream, bridge: &Bridge) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("").to_string());
    let mut len = 0;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; len];
    let _ = reader.read_exact(&mut body);
    let (status, kind, out) = match (method, path.as_str()) {
        ("GET", "/favicon.ico") => (204, "image/x-icon", Vec::new()),
        ("GET", "/") => (200, "text/html", std::fs::read(format!("{ROOT}/tests/luci/index.html")).unwrap()),
        ("GET", "/runtime.js") => {
            (200, "text/javascript", std::fs::read(format!("{ROOT}/tests/luci/runtime.js")).unwrap())
        }
        ("GET", p) if p.starts_with("/luci-static/resources/view/edgeddns/") => {
            let file = format!("{ROOT}/openwrt-package/luci-app-edgeddns/htdocs{p}");
            match std::fs::read(&file) {
                Ok(b) => (200, "text/javascript", b),
                Err(_) => (404, "text/plain", b"not found".to_vec()),
            }
        }
        ("POST", "/ubus") => {
            let req: Value = serde_json::from_slice(&body).unwrap_or_default();
            let p = &req["params"];
            let result = bridge.call(p[1].as_str().unwrap_or(""), p[2].as_str().unwrap_or(""), &p[3]);
            (
                200,
                "application/json",
                json!({"jsonrpc": "2.0", "id": req["id"], "result": result}).to_string().into_bytes(),
            )
        }
        _ => (404, "text/plain", b"not found".to_vec()),
    };
    let mut s = stream;
    let _ = write!(
        s,
        "HTTP/1.1 {status} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        out.len()
    );
    let _ = s.write_all(&out);
}

#[test]
#[ignore = "needs chromium, node and `npm ci` in tests/luci; run scripts/test.sh"]
fn the_page_configures_services_shows_the_truth_and_updates_now() {
    require(&format!("{CHROMIUM} (Debian package chromium)"), Path::new(CHROMIUM).exists());
    require("node (Debian package nodejs)", have("node", &["--version"]));
    require(
        "playwright-core (`npm ci` in tests/luci)",
        Path::new(&format!("{ROOT}/tests/luci/node_modules/playwright-core")).exists(),
    );
    let dir = TempDir::new("luci");
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let ubusd = Ubusd::start(&dir.path("ubus.sock"));
    // A public line at first; the test moves it behind CGNAT later.
    let netifd =
        FakeNetifd::start(&ubusd.path, &[("wan", Some("203.0.113.60"), None), ("lan", Some("192.168.1.1"), None)]);
    let echo_ip = Arc::new(Mutex::new("203.0.113.60".to_string()));
    let ip = echo_ip.clone();
    let echo = HttpsServer::start(&ca, None, move |_| Reply::ok(ip.lock().unwrap().clone()));
    let provider = HttpsServer::start(&ca, None, |r| {
        if r.query("hostname").as_deref() == Some("broken.example.org") {
            // A provider answering garbage with markup in it: the page must show it as text.
            return Reply::ok("<b id=\"injected\">maintenance</b>");
        }
        Reply::ok(format!("good {}\n", r.query("myip").unwrap_or_default()))
    });
    let cfg = format!(
        "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\toption run_dir '{d}/run'\n\
         \toption persist_file ''\n\toption check_interval '10m'\n\n\
         config service 'home'\n\toption provider 'dyndns2'\n\toption server '{p}'\n\tlist hostname 'home.example.org'\n\
         \toption username 'alice'\n\toption password 'sekrit-pw-5'\n\toption interface 'wan'\n\n\
         config service 'broken'\n\toption provider 'dyndns2'\n\toption server '{p}'\n\tlist hostname 'broken.example.org'\n\
         \toption username 'bob'\n\toption password 'other-pw-6'\n\toption interface 'wan'\n",
        echo.url("/"),
        p = provider.url("/nic/update"),
        d = dir.0.display()
    );
    let config = dir.write("edgeddns", &cfg);
    let mut cmd = edgeddns();
    cmd.args(["-c", config.to_str().unwrap(), "--ubus-socket", ubusd.path.to_str().unwrap(), "run", "-f"]);
    let daemon = Daemon::start(cmd);
    provider.wait_for(2, Duration::from_secs(10));

    let bridge = Arc::new(Bridge {
        ubus: ubusd.path.clone(),
        config: config.clone(),
        staged: Mutex::new(None),
        daemon_pid: daemon.child.id(),
        applied: Mutex::new(0),
    });
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let b = bridge.clone();
    std::thread::spawn(move || {
        for s in listener.incoming().flatten() {
            let b = b.clone();
            std::thread::spawn(move || serve(s, &b));
        }
    });

    // The line goes behind CGNAT while the page is open: the banner must appear by polling.
    let shots = PathBuf::from(format!("{ROOT}/target/luci-screenshots"));
    std::fs::create_dir_all(&shots).unwrap();
    let mut node = std::process::Command::new("node")
        .arg(format!("{ROOT}/tests/luci/e2e.mjs"))
        .arg(&url)
        .arg(&shots)
        .arg(provider.url("/nic/update"))
        .current_dir(format!("{ROOT}/tests/luci"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(node.stdout.take().unwrap());
    let mut steps = Vec::new();
    let started = Instant::now();
    loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        let line = line.trim().to_string();
        eprintln!("e2e: {line}");
        if line == "STEP public-shown" {
            // The ISP moves the line behind CGNAT.
            *echo_ip.lock().unwrap() = "198.51.100.77".into();
            netifd.set("wan", Some("100.64.33.44"), None);
        }
        steps.push(line);
        assert!(started.elapsed() < Duration::from_secs(120), "browser test took too long");
    }
    let status = node.wait().unwrap();
    let mut err = String::new();
    node.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "e2e.mjs failed:\n{}\n{err}\ndaemon log:\n{}", steps.join("\n"), daemon.log());
    for want in [
        "STEP public-shown",
        "STEP cgnat-banner",
        "STEP update-now",
        "STEP invalid-hostname-refused",
        "STEP saved-applied",
        "DONE",
    ] {
        assert!(steps.iter().any(|s| s.starts_with(want)), "missing {want}: {steps:?}");
    }

    // Update now reached the provider although the address had not changed since the last update.
    let home: Vec<Recorded> = provider
        .requests()
        .into_iter()
        .filter(|r| r.query("hostname").as_deref() == Some("home.example.org"))
        .collect();
    assert!(home.len() >= 3, "initial, CGNAT change, Update now: {home:#?}");
    assert_eq!(home.last().unwrap().query("myip").as_deref(), Some("198.51.100.77"));

    // Save & Apply wrote the real file and the daemon reloaded it and served the new service.
    let file = uci::parse("edgeddns", &std::fs::read_to_string(&config).unwrap()).unwrap();
    let office = file.sections.iter().find(|s| s.name.as_deref() == Some("office")).expect("office section written");
    let single = |name: &str| office.get(name).map(|e| e.value.clone());
    assert_eq!(single("provider"), Some(uci::Value::Single("dyndns2".into())));
    assert_eq!(single("hostname"), Some(uci::Value::List(vec!["office.example.org".into()])));
    assert_eq!(single("password"), Some(uci::Value::Single("carol-pw".into())));
    assert_eq!(single("server"), Some(uci::Value::Single(provider.url("/nic/update"))));
    assert!(
        provider.requests().iter().any(|r| r.query("hostname").as_deref() == Some("office.example.org")),
        "the new service was updated after the reload"
    );
    assert!(*bridge.applied.lock().unwrap() >= 1);
    daemon.wait_log("configuration reloaded: 3 service(s)", Duration::from_secs(5));
    let st = Connection::connect(Some(&ubusd.path))
        .and_then(|mut c| {
            let id = c.lookup("edgeddns")?;
            c.invoke(id, "status", &json!({}))
        })
        .unwrap();
    assert!(st["services"].as_array().unwrap().iter().any(|s| s["name"] == "office"), "{st}");
    assert!(!daemon.log().contains("sekrit-pw-5") && !st.to_string().contains("sekrit-pw-5"));
    netifd.stop();
}
