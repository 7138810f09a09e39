//! The DNS-hosting record APIs end to end: the real binary against a local HTTPS double of each
//! API, one module per double. Every double keeps the zone example.org in memory, checks
//! credentials, methods, paths, headers and bodies the way the real API documents them, and
//! answers in its shapes.
//!
//! One scenario, run by every double once for A and once for AAAA records: home.example.org holds
//! an old address and new.example.org does not exist (create_missing is on); a run fixes the
//! first, creates the second, and leaves other.example.org and the other family's records alone;
//! a second run writes nothing; wrong credentials stop the service without the secret showing
//! anywhere. A new double is a module here with its `DOUBLE` and `scenario_tests!()`.

#[path = "../support/mod.rs"]
mod support;
mod verify;

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::*;

/// The two tests of a double's module: the scenario for A and for AAAA records.
macro_rules! scenario_tests {
    () => {
        #[test]
        fn a_records() {
            crate::run_scenario(&DOUBLE, crate::Family::V4);
        }

        #[test]
        fn aaaa_records() {
            crate::run_scenario(&DOUBLE, crate::Family::V6);
        }
    };
}

mod alidns;
mod azure;
mod bunny;
mod cloudflare;
mod cloudns;
mod digitalocean;
mod dnsimple;
mod dnspod;
mod dreamhost;
mod dynv6;
mod gandi;
mod gcp;
mod godaddy;
mod hetzner;
mod huawei;
mod inwx;
mod ionos;
mod linode;
mod luadns;
mod namecom;
mod namesilo;
mod netcup;
mod njalla;
mod ns1;
mod ovh;
mod porkbun;
mod powerdns;
mod route53;
mod scaleway;
mod spaceship;
mod tencent;
mod transip;
mod vultr;

const ZONE: &str = "example.org";

const SECRET: &str = "s3cr3t-K3y_0042";

#[derive(Clone, Debug)]
struct Rec {
    id: u32,
    /// Relative to the zone, `@` for the apex.
    name: String,
    rtype: String,
    value: String,
    ttl: u64,
}

/// The zone as the double keeps it.
#[derive(Default)]
struct Store {
    recs: Vec<Rec>,
    writes: usize,
}

impl Store {
    /// Both families of home and other; new.example.org does not exist.
    fn seeded() -> Store {
        let rec = |id, name: &str, rtype: &str, value: &str| Rec {
            id,
            name: name.into(),
            rtype: rtype.into(),
            value: value.into(),
            ttl: 3600,
        };
        let recs = vec![
            rec(101, "home", "A", "198.51.100.1"),
            rec(102, "other", "A", "192.0.2.9"),
            rec(103, "home", "AAAA", "2001:db8:1::1"),
            rec(104, "other", "AAAA", "2001:db8:9::9"),
        ];
        Store { recs, writes: 0 }
    }

    fn named(&self, name: &str, rtype: &str) -> Vec<Rec> {
        self.recs.iter().filter(|r| r.name == name && r.rtype == rtype).cloned().collect()
    }

    /// What a listing filtered by query parameters returns: `name_param` compared with the name
    /// as `spell` writes it, `type_param` with the type; an absent parameter matches everything.
    fn listed(&self, r: &Recorded, name_param: &str, spell: fn(&str) -> String, type_param: &str) -> Vec<Rec> {
        let (name, rtype) = (r.query(name_param), r.query(type_param));
        self.recs
            .iter()
            .filter(|x| {
                name.as_deref().is_none_or(|n| spell(&x.name) == n) && rtype.as_deref().is_none_or(|t| x.rtype == t)
            })
            .cloned()
            .collect()
    }

    fn by_id(&mut self, id: &str) -> Option<&mut Rec> {
        self.recs.iter_mut().find(|r| r.id.to_string() == id)
    }

    /// Add a record after checking what a real API checks: a known type, a valid address.
    /// A record made from a request's body, by the API's names for its name, type, value and TTL
    /// fields (an empty name is the apex); a missing field or a bad value is a 400.
    fn add_from(&mut self, b: &Value, [name, rtype, value, ttl]: [&str; 4]) -> Result<Rec, (u16, String)> {
        let name = from_empty(str_of(b, name).map_err(bad)?);
        let (rtype, value, ttl) =
            (str_of(b, rtype).map_err(bad)?, str_of(b, value).map_err(bad)?, u64_of(b, ttl).map_err(bad)?);
        self.add(&name, rtype, value, ttl).map_err(bad)
    }

    fn add(&mut self, name: &str, rtype: &str, value: &str, ttl: u64) -> Result<Rec, String> {
        valid(rtype, value)?;
        let rec =
            Rec { id: 200 + self.recs.len() as u32, name: name.into(), rtype: rtype.into(), value: value.into(), ttl };
        self.recs.push(rec.clone());
        self.writes += 1;
        Ok(rec)
    }

    /// Make name/type hold exactly `values`.
    fn set(&mut self, name: &str, rtype: &str, values: &[String], ttl: u64) -> Result<(), String> {
        for v in values {
            valid(rtype, v)?;
        }
        self.recs.retain(|r| !(r.name == name && r.rtype == rtype));
        for v in values {
            self.add(name, rtype, v, ttl)?;
        }
        self.writes += 1;
        Ok(())
    }

    fn edit(&mut self, id: &str, value: &str, ttl: Option<u64>) -> Result<(), String> {
        let rtype = self.by_id(id).ok_or("no such record")?.rtype.clone();
        valid(&rtype, value)?;
        let r = self.by_id(id).unwrap();
        r.value = value.into();
        if let Some(t) = ttl {
            r.ttl = t;
        }
        self.writes += 1;
        Ok(())
    }
}

fn valid(rtype: &str, value: &str) -> Result<(), String> {
    let ok = match rtype {
        "A" => value.parse::<std::net::Ipv4Addr>().is_ok(),
        "AAAA" => value.parse::<std::net::Ipv6Addr>().is_ok(),
        _ => false,
    };
    ok.then_some(()).ok_or(format!("invalid {rtype} content '{value}'"))
}

fn fqdn(name: &str) -> String {
    if name == "@" {
        ZONE.into()
    } else {
        format!("{name}.{ZONE}")
    }
}

/// The relative name for an API that spells the apex as the empty string.
fn from_empty(name: &str) -> String {
    if name.is_empty() {
        "@".into()
    } else {
        name.into()
    }
}

fn to_empty(name: &str) -> &str {
    if name == "@" {
        ""
    } else {
        name
    }
}

/// The JSON body of a request that says it is JSON; anything else is refused.
fn body(r: &Recorded) -> Result<Value, String> {
    if !r.header("content-type").is_some_and(|c| c.starts_with("application/json")) {
        return Err("Content-Type must be application/json".into());
    }
    serde_json::from_str(&r.body).map_err(|e| format!("malformed JSON: {e}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> Result<&'a str, String> {
    v[key].as_str().ok_or(format!("'{key}' must be a string"))
}

fn u64_of(v: &Value, key: &str) -> Result<u64, String> {
    v[key].as_u64().ok_or(format!("'{key}' must be a number"))
}

/// A double's answer, or a refusal with its HTTP status and message.
type Answer = Result<Reply, (u16, String)>;

/// Name, type, value and TTL of a record in a request.
type NewRecord = (String, String, String, u64);

/// Name, type, values and TTL of a record set in a request.
type NewSet = (String, String, Vec<String>, u64);

/// One API double: how it authenticates and how it answers.
struct Double {
    provider: &'static str,
    /// Path of the `server` option under the double's URL.
    base: &'static str,
    /// The credential options; `SECRET` stands for the secret.
    creds: &'static str,
    authorized: fn(&Recorded) -> bool,
    /// Answer an authorized request: `Err((status, message))` for a refusal.
    route: fn(&Recorded, &mut Store) -> Answer,
    /// How the API shapes an error answer.
    error: fn(u16, &str) -> Reply,
    /// Prepares files the service needs, given the scratch dir and the double's URL.
    setup: fn(&TempDir, &str),
    /// The TTL the API keeps for a record made with `ttl 600` (some round up or have a minimum);
    /// `None` where the API takes no TTL per record.
    ttl: Option<u64>,
}

impl Double {
    /// A double that needs no files and keeps the TTL asked for.
    const fn new(
        provider: &'static str,
        base: &'static str,
        creds: &'static str,
        authorized: fn(&Recorded) -> bool,
        route: fn(&Recorded, &mut Store) -> Answer,
        error: fn(u16, &str) -> Reply,
    ) -> Double {
        Double { provider, base, creds, authorized, route, error, setup: no_setup, ttl: Some(600) }
    }

    const fn with_setup(self, setup: fn(&TempDir, &str)) -> Double {
        Double { setup, ..self }
    }

    const fn with_ttl(self, ttl: Option<u64>) -> Double {
        Double { ttl, ..self }
    }
}

#[derive(Clone, Copy, Debug)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn rtype(self) -> &'static str {
        match self {
            Family::V4 => "A",
            Family::V6 => "AAAA",
        }
    }

    /// What the echo service sees, so what the run publishes.
    fn address(self) -> &'static str {
        match self {
            Family::V4 => "203.0.113.44",
            Family::V6 => "2001:db8:44::7",
        }
    }
}

/// The zone's records as (name, type, value), sorted, leaving out name/type pairs in `skip`.
fn records_except(s: &Store, skip: &[(&str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = s
        .recs
        .iter()
        .filter(|r| !skip.contains(&(r.name.as_str(), r.rtype.as_str())))
        .map(|r| (r.name.clone(), r.rtype.clone(), r.value.clone()))
        .collect();
    v.sort();
    v
}

/// An RSA key pair of the tests' own in tests/fixtures (PKCS#8 PEM): the PEM text and the public
/// half as PKCS#1 DER, the form ring verifies with.
fn rsa_fixture(file: &str) -> (String, Vec<u8>) {
    let pem = std::fs::read_to_string(format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = edgeddns::encoding::base64_decode(&b64).unwrap();
    let pair = ring::signature::RsaKeyPair::from_pkcs8(&der).unwrap();
    (pem, pair.public().as_ref().to_vec())
}

/// The account's key, which a double accepts signatures from.
const ACCOUNT_KEY: &str = "rsa-test-key.pem";
/// Another key, standing for wrong credentials.
const STRANGER_KEY: &str = "rsa-other-key.pem";

/// The value of `key` in a form-encoded body, empty when absent.
fn form_value(r: &Recorded, key: &str) -> String {
    r.body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| percent_decode(v))
        .unwrap_or_default()
}

/// A double serving the seeded zone, an echo service seeing the family's address, and a scratch
/// directory for the configuration and the run directory.
struct Rig<'a> {
    double: &'a Double,
    family: Family,
    dir: TempDir,
    store: Arc<Mutex<Store>>,
    api: HttpsServer,
    echo: HttpsServer,
}

impl Rig<'_> {
    fn start(double: &Double, family: Family) -> Rig<'_> {
        let dir = TempDir::new(&format!("{}-{}", double.provider, family.rtype()));
        let ca = TestCa::new();
        ca.write_bundle(&dir);
        // An IPv6 echo is asked over IPv6 only: it listens on ::1.
        let bind = match family {
            Family::V4 => "127.0.0.1:0",
            Family::V6 => "[::1]:0",
        };
        let address = family.address();
        let echo = HttpsServer::start_on(&ca, None, bind, move |_| Reply::ok(address));
        let store = Arc::new(Mutex::new(Store::seeded()));
        let (db, authorized, route, error) = (store.clone(), double.authorized, double.route, double.error);
        let api = HttpsServer::start(&ca, None, move |r| {
            if !authorized(r) {
                return error(401, "authentication failed");
            }
            match route(r, &mut db.lock().unwrap()) {
                Ok(reply) => reply,
                Err((status, m)) => error(status, &m),
            }
        });
        (double.setup)(&dir, &api.url(""));
        Rig { double, family, dir, store, api, echo }
    }

    /// The configuration of one service for home and new.example.org with `secret` and
    /// `options`; returns its path.
    fn config(&self, secret: &str, options: &str) -> String {
        let (echo_list, families) = match self.family {
            Family::V4 => ("echo_url", "\toption ipv4 '1'\n\toption ipv6 '0'\n"),
            Family::V6 => ("echo_url6", "\toption ipv4 '0'\n\toption ipv6 '1'\n"),
        };
        let d = self.dir.0.display();
        let cfg = format!(
            "config edgeddns 'global'\n\tlist {echo_list} '{}'\n\toption ca_bundle '{d}/ca.pem'\n\
             \toption run_dir '{d}/run'\n\toption persist_file ''\n\
             config service 'api'\n\toption provider '{}'\n\toption server '{}'\n\toption zone '{ZONE}'\n\
             \tlist hostname 'home.{ZONE}'\n\tlist hostname 'new.{ZONE}'\n\toption ip_source 'echo'\n{families}{options}{}",
            self.echo.url("/"),
            self.double.provider,
            self.api.url(self.double.base),
            self.double
                .creds
                .replace("SECRET", secret)
                .replace("{DIR}", &d.to_string())
                .replace("{API}", &self.api.url("")),
        );
        self.dir.write("edgeddns", &cfg).display().to_string()
    }

    /// `once` with the configuration at `cfg`, having forgotten what earlier runs sent.
    fn once(&self, cfg: &str) -> std::process::Output {
        let _ = std::fs::remove_dir_all(self.dir.path("run"));
        run(&["-c", cfg, "once"])
    }

    /// The values the zone holds for `name` in the rig's family.
    fn values(&self, name: &str) -> Vec<String> {
        self.store.lock().unwrap().named(name, self.family.rtype()).iter().map(|r| r.value.clone()).collect()
    }
}

fn run_scenario(d: &Double, family: Family) {
    let (rtype, address) = (family.rtype(), family.address());
    let rig = Rig::start(d, family);
    let (store, api) = (&rig.store, &rig.api);
    let cfg = rig.config(SECRET, "\toption create_missing '1'\n\toption ttl '600'\n");
    let others = records_except(&store.lock().unwrap(), &[("home", rtype), ("new", rtype)]);

    let out = rig.once(&cfg);
    let shown = text(&out);
    assert!(out.status.success(), "{} {rtype}: {shown}\n{:#?}", d.provider, api.requests());
    assert_eq!(rig.values("home"), [address], "{} {rtype}: {:?}", d.provider, store.lock().unwrap().recs);
    assert_eq!(rig.values("new"), [address], "{} {rtype}: {:?}", d.provider, store.lock().unwrap().recs);
    {
        let s = store.lock().unwrap();
        // other.example.org and the other family's records are left as they were.
        assert_eq!(records_except(&s, &[("home", rtype), ("new", rtype)]), others, "{} {rtype}", d.provider);
        if let Some(ttl) = d.ttl {
            assert_eq!(s.named("new", rtype)[0].ttl, ttl, "{} {rtype}", d.provider);
        }
    }
    assert!(!shown.contains(SECRET), "{shown}");

    // Everything already holds the address: a second run that forgot what it sent reads the
    // records and writes nothing.
    let writes = store.lock().unwrap().writes;
    api.clear();
    let out = rig.once(&cfg);
    assert!(out.status.success(), "{} {rtype}: {}", d.provider, text(&out));
    assert!(!api.requests().is_empty(), "{} {rtype}: the records were not read", d.provider);
    assert_eq!(
        store.lock().unwrap().writes,
        writes,
        "{} {rtype}: a record already right was written again",
        d.provider
    );

    // Wrong credentials: the service stops, nothing changes, the secret shows nowhere.
    let wrong = format!("wrong-{SECRET}");
    let out = rig.once(&rig.config(&wrong, "\toption create_missing '1'\n\toption ttl '600'\n"));
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{} {rtype}: {shown}", d.provider);
    assert!(shown.contains("stopped"), "{} {rtype}: {shown}", d.provider);
    assert!(!shown.contains(SECRET), "{shown}");
    assert_eq!(store.lock().unwrap().writes, writes);
}

fn no_setup(_: &TempDir, _: &str) {}

fn bad(e: String) -> (u16, String) {
    (400, e)
}

fn json_ok(v: Value) -> Answer {
    Ok(Reply::json(200, &v))
}

fn no_route() -> Answer {
    Err((404, "no such route".into()))
}

fn message_error(status: u16, m: &str) -> Reply {
    Reply::json(status, &json!({"message": m}))
}

fn bearer_ok(r: &Recorded) -> bool {
    r.header("authorization") == Some(&format!("Bearer {SECRET}"))
}

fn header_ok(r: &Recorded, name: &str) -> bool {
    r.header(name) == Some(SECRET)
}

fn basic_ok(r: &Recorded, user: &str) -> bool {
    r.header("authorization")
        == Some(&format!("Basic {}", edgeddns::encoding::base64(format!("{user}:{SECRET}").as_bytes())))
}
