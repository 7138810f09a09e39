//! The DNS-hosting record APIs end to end: the real binary against a local HTTPS double of each
//! API. Every double keeps the zone example.org in memory, checks credentials, methods, paths,
//! headers and bodies the way the real API documents them, and answers in its shapes.
//!
//! One scenario per API: home.example.org holds an old address and new.example.org does not
//! exist (create_missing is on); a run fixes the first, creates the second, and leaves
//! other.example.org alone; a second run writes nothing; wrong credentials stop the service
//! without the secret showing anywhere.

mod support;

use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use support::*;

const ZONE: &str = "example.org";
const NEW_IP: &str = "203.0.113.44";
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
    fn seeded() -> Store {
        let rec = |id, name: &str, value: &str| Rec {
            id,
            name: name.into(),
            rtype: "A".into(),
            value: value.into(),
            ttl: 3600,
        };
        Store { recs: vec![rec(101, "home", "198.51.100.1"), rec(102, "other", "192.0.2.9")], writes: 0 }
    }

    fn named(&self, name: &str, rtype: &str) -> Vec<Rec> {
        self.recs.iter().filter(|r| r.name == name && r.rtype == rtype).cloned().collect()
    }

    fn by_id(&mut self, id: &str) -> Option<&mut Rec> {
        self.recs.iter_mut().find(|r| r.id.to_string() == id)
    }

    /// Add a record after checking what a real API checks: a known type, a valid address.
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
        == Some(&format!("Basic {}", edgeddns::http::base64(format!("{user}:{SECRET}").as_bytes())))
}

fn run_scenario(d: &Double) {
    let dir = TempDir::new(d.provider);
    let ca = TestCa::new();
    ca.write_bundle(&dir);
    let echo = HttpsServer::start(&ca, None, |_| Reply::ok(NEW_IP));
    let store = Arc::new(Mutex::new(Store::seeded()));
    let (db, authorized, route, error) = (store.clone(), d.authorized, d.route, d.error);
    let api = HttpsServer::start(&ca, None, move |r| {
        if !authorized(r) {
            return error(401, "authentication failed");
        }
        match route(r, &mut db.lock().unwrap()) {
            Ok(reply) => reply,
            Err((status, m)) => error(status, &m),
        }
    });
    (d.setup)(&dir, &api.url(""));
    let config = |secret: &str| {
        let cfg = format!(
            "config edgeddns 'global'\n\tlist echo_url '{}'\n\toption ca_bundle '{d}/ca.pem'\n\
             \toption run_dir '{d}/run'\n\toption persist_file ''\n\
             config service 'api'\n\toption provider '{}'\n\toption server '{}'\n\toption zone '{ZONE}'\n\
             \tlist hostname 'home.{ZONE}'\n\tlist hostname 'new.{ZONE}'\n\toption create_missing '1'\n\
             \toption ttl '600'\n\toption ip_source 'echo'\n\toption ipv6 '0'\n{}",
            echo.url("/"),
            d.provider,
            api.url(d.base),
            d.creds
                .replace("SECRET", secret)
                .replace("{DIR}", &dir.0.display().to_string())
                .replace("{API}", &api.url("")),
            d = dir.0.display()
        );
        dir.write("edgeddns", &cfg).display().to_string()
    };
    let cfg = config(SECRET);

    let out = run(&["-c", &cfg, "once"]);
    let shown = text(&out);
    assert!(out.status.success(), "{}: {shown}\n{:#?}", d.provider, api.requests());
    {
        let s = store.lock().unwrap();
        let values = |name: &str| s.named(name, "A").iter().map(|r| r.value.clone()).collect::<Vec<_>>();
        assert_eq!(values("home"), [NEW_IP], "{}: {:?}", d.provider, s.recs);
        assert_eq!(values("new"), [NEW_IP], "{}: {:?}", d.provider, s.recs);
        assert_eq!(values("other"), ["192.0.2.9"], "{}", d.provider);
        // The service asks for 600 s; NameSilo's minimum is an hour; ClouDNS rounds up to one of
        // its values; netcup records take the zone's.
        let ttl = match d.provider {
            "namesilo" => Some(3600),
            "cloudns" => Some(900),
            // These APIs take no TTL per record.
            "netcup" | "dreamhost" | "dynv6-api" => None,
            _ => Some(600),
        };
        if let Some(ttl) = ttl {
            assert_eq!(s.named("new", "A")[0].ttl, ttl, "{}", d.provider);
        }
    }
    assert!(!shown.contains(SECRET), "{shown}");

    // Everything already holds the address: a second run that forgot what it sent reads the
    // records and writes nothing.
    let writes = store.lock().unwrap().writes;
    let forget = || std::fs::remove_dir_all(dir.path("run")).unwrap();
    forget();
    api.clear();
    let out = run(&["-c", &cfg, "once"]);
    assert!(out.status.success(), "{}: {}", d.provider, text(&out));
    assert!(!api.requests().is_empty(), "{}: the records were not read", d.provider);
    assert_eq!(store.lock().unwrap().writes, writes, "{}: a record already right was written again", d.provider);

    // Wrong credentials: the service stops, nothing changes, the secret shows nowhere.
    let wrong = format!("wrong-{SECRET}");
    forget();
    let out = run(&["-c", &config(&wrong), "once"]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{}: {shown}", d.provider);
    assert!(shown.contains("stopped"), "{}: {shown}", d.provider);
    assert!(!shown.contains(SECRET), "{shown}");
    assert_eq!(store.lock().unwrap().writes, writes);
}

// ---- the doubles ----

fn hetzner(r: &Recorded, s: &mut Store) -> Answer {
    let p = r.path().strip_prefix(&format!("/v1/zones/{ZONE}/rrsets")).ok_or((404, "zone not found".into()))?;
    let parts: Vec<&str> = p.split('/').filter(|x| !x.is_empty()).collect();
    match (r.method.as_str(), parts.as_slice()) {
        ("GET", [name, rtype]) => {
            let recs = s.named(name, rtype);
            if recs.is_empty() {
                return Err((404, "rrset not found".into()));
            }
            let records: Vec<Value> = recs.iter().map(|r| json!({"value": r.value, "comment": null})).collect();
            json_ok(
                json!({"rrset": {"id": format!("{name}/{rtype}"), "name": name, "type": rtype, "ttl": recs[0].ttl, "records": records}}),
            )
        }
        ("POST", [name, rtype, "actions", "set_records"]) => {
            if s.named(name, rtype).is_empty() {
                return Err((404, "rrset not found".into()));
            }
            let b = body(r).map_err(bad)?;
            let values: Vec<String> = b["records"]
                .as_array()
                .ok_or(bad("records missing".into()))?
                .iter()
                .map(|v| v["value"].as_str().unwrap_or("").to_string())
                .collect();
            let ttl = s.named(name, rtype)[0].ttl;
            s.set(name, rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::json(201, &json!({"action": {"id": 1, "command": "set_rrset_records", "status": "running"}})))
        }
        ("POST", []) => {
            let b = body(r).map_err(bad)?;
            let (name, rtype) = (str_of(&b, "name").map_err(bad)?, str_of(&b, "type").map_err(bad)?);
            if !s.named(name, rtype).is_empty() {
                return Err((409, "rrset already exists".into()));
            }
            let values: Vec<String> = b["records"]
                .as_array()
                .ok_or(bad("records missing".into()))?
                .iter()
                .map(|v| v["value"].as_str().unwrap_or("").to_string())
                .collect();
            s.set(name, rtype, &values, u64_of(&b, "ttl").map_err(bad)?).map_err(bad)?;
            Ok(Reply::json(201, &json!({"rrset": {"name": name, "type": rtype}, "action": {"id": 2}})))
        }
        _ => no_route(),
    }
}

fn godaddy(r: &Recorded, s: &mut Store) -> Answer {
    let p = r.path().strip_prefix(&format!("/v1/domains/{ZONE}/records/")).ok_or((404, "domain not found".into()))?;
    let (rtype, name) = p.split_once('/').ok_or((404, "no route".into()))?;
    match r.method.as_str() {
        "GET" => json_ok(Value::Array(
            s.named(name, rtype)
                .iter()
                .map(|r| json!({"data": r.value, "name": name, "ttl": r.ttl, "type": rtype}))
                .collect(),
        )),
        "PUT" => {
            let b = body(r).map_err(bad)?;
            let list = b.as_array().ok_or(bad("the body must be an array of records".into()))?;
            let ttl = list.first().map(|x| u64_of(x, "ttl")).transpose().map_err(bad)?.unwrap_or(3600);
            if ttl < 600 {
                return Err((422, "ttl must be at least 600".into()));
            }
            let values: Vec<String> =
                list.iter().map(|x| str_of(x, "data").map(str::to_string)).collect::<Result<_, _>>().map_err(bad)?;
            s.set(name, rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::status(200, ""))
        }
        _ => no_route(),
    }
}

fn linode(r: &Recorded, s: &mut Store) -> Answer {
    let view =
        |r: &Rec| json!({"id": r.id, "type": r.rtype, "name": to_empty(&r.name), "target": r.value, "ttl_sec": r.ttl});
    match (r.method.as_str(), r.path()) {
        ("GET", "/v4/domains") => {
            let filter: Value =
                serde_json::from_str(r.header("x-filter").unwrap_or("{}")).map_err(|e| bad(e.to_string()))?;
            let all = [
                json!({"id": 7, "domain": ZONE, "type": "master"}),
                json!({"id": 8, "domain": "example.net", "type": "master"}),
            ];
            let data: Vec<Value> =
                all.into_iter().filter(|d| filter.get("domain").is_none_or(|f| *f == d["domain"])).collect();
            json_ok(json!({"data": data, "page": 1, "pages": 1, "results": 1}))
        }
        ("GET", "/v4/domains/7/records") => {
            json_ok(json!({"data": s.recs.iter().map(view).collect::<Vec<_>>(), "page": 1, "pages": 1}))
        }
        ("POST", "/v4/domains/7/records") => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "name").map_err(bad)?),
                    str_of(&b, "type").map_err(bad)?,
                    str_of(&b, "target").map_err(bad)?,
                    u64_of(&b, "ttl_sec").map_err(bad)?,
                )
                .map_err(bad)?;
            json_ok(view(&rec))
        }
        ("PUT", p) if p.starts_with("/v4/domains/7/records/") => {
            let b = body(r).map_err(bad)?;
            let id = p.rsplit('/').next().unwrap();
            s.edit(id, str_of(&b, "target").map_err(bad)?, b["ttl_sec"].as_u64()).map_err(|e| (404, e))?;
            json_ok(json!({"id": id}))
        }
        _ => no_route(),
    }
}

fn vultr(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v2/domains/{ZONE}/records");
    let view = |r: &Rec| json!({"id": format!("uuid-{}", r.id), "type": r.rtype, "name": to_empty(&r.name), "data": r.value, "priority": -1, "ttl": r.ttl});
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => {
            json_ok(json!({"records": s.recs.iter().map(view).collect::<Vec<_>>(), "meta": {"total": s.recs.len()}}))
        }
        ("POST", p) if p == base => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "name").map_err(bad)?),
                    str_of(&b, "type").map_err(bad)?,
                    str_of(&b, "data").map_err(bad)?,
                    u64_of(&b, "ttl").map_err(bad)?,
                )
                .map_err(bad)?;
            Ok(Reply::json(201, &json!({"record": view(&rec)})))
        }
        ("PATCH", p) if p.starts_with(&format!("{base}/uuid-")) => {
            let b = body(r).map_err(bad)?;
            let id = p.rsplit("uuid-").next().unwrap();
            s.edit(id, str_of(&b, "data").map_err(bad)?, b["ttl"].as_u64()).map_err(|e| (404, e))?;
            Ok(Reply::status(204, ""))
        }
        _ => no_route(),
    }
}

fn namecom(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v4/domains/{ZONE}/records");
    let view = |r: &Rec| {
        let mut v = json!({"id": r.id, "domainName": ZONE, "fqdn": format!("{}.", fqdn(&r.name)), "type": r.rtype, "answer": r.value, "ttl": r.ttl});
        if r.name != "@" {
            v["host"] = r.name.clone().into();
        }
        v
    };
    let fields = |r: &Recorded| -> Result<NewRecord, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let ttl = u64_of(&b, "ttl").map_err(bad)?;
        if ttl < 300 {
            return Err(bad("TTL must be at least 300".into()));
        }
        Ok((
            from_empty(b["host"].as_str().unwrap_or("")),
            str_of(&b, "type").map_err(bad)?.into(),
            str_of(&b, "answer").map_err(bad)?.into(),
            ttl,
        ))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => json_ok(json!({"records": s.recs.iter().map(view).collect::<Vec<_>>()})),
        ("POST", p) if p == base => {
            let (host, rtype, answer, ttl) = fields(r)?;
            json_ok(view(&s.add(&host, &rtype, &answer, ttl).map_err(bad)?))
        }
        ("PUT", p) if p.starts_with(&format!("{base}/")) => {
            let (_, _, answer, ttl) = fields(r)?;
            s.edit(p.rsplit('/').next().unwrap(), &answer, Some(ttl)).map_err(|e| (404, e))?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}

fn ns1(r: &Recorded, s: &mut Store) -> Answer {
    let p = r.path().strip_prefix(&format!("/v1/zones/{ZONE}/")).ok_or((404, "zone not found".into()))?;
    let (domain, rtype) = p.split_once('/').ok_or((404, "no route".into()))?;
    let name = domain.strip_suffix(&format!(".{ZONE}")).map(str::to_string).unwrap_or_else(|| {
        if domain == ZONE {
            "@".into()
        } else {
            domain.into()
        }
    });
    let answers = |b: &Value| -> Result<Vec<String>, (u16, String)> {
        b["answers"]
            .as_array()
            .ok_or(bad("answers missing".into()))?
            .iter()
            .map(|a| a["answer"][0].as_str().map(str::to_string).ok_or(bad("answer must be a list of strings".into())))
            .collect()
    };
    let existing = s.named(&name, rtype);
    match r.method.as_str() {
        "GET" if existing.is_empty() => Err((404, "record not found".into())),
        "GET" => json_ok(json!({"zone": ZONE, "domain": domain, "type": rtype, "ttl": existing[0].ttl,
                                "answers": existing.iter().map(|r| json!({"answer": [r.value]})).collect::<Vec<_>>()})),
        "POST" if existing.is_empty() => Err((404, "record not found".into())),
        "POST" => {
            let b = body(r).map_err(bad)?;
            s.set(&name, rtype, &answers(&b)?, b["ttl"].as_u64().unwrap_or(existing[0].ttl)).map_err(bad)?;
            json_ok(json!({}))
        }
        "PUT" if !existing.is_empty() => Err((400, "record already exists".into())),
        "PUT" => {
            let b = body(r).map_err(bad)?;
            if b["zone"] != ZONE || b["domain"] != domain || b["type"] != rtype {
                return Err(bad("zone, domain and type must match the path".into()));
            }
            s.set(&name, rtype, &answers(&b)?, u64_of(&b, "ttl").map_err(bad)?).map_err(bad)?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}

fn scaleway(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() != format!("/domain/v2beta1/dns-zones/{ZONE}/records") {
        return no_route();
    }
    let view = |r: &Rec| json!({"id": format!("rec-{}", r.id), "name": to_empty(&r.name), "type": r.rtype, "data": r.value, "ttl": r.ttl});
    match r.method.as_str() {
        "GET" => {
            let (name, rtype) = (r.query("name"), r.query("type"));
            let recs: Vec<Value> = s
                .recs
                .iter()
                .filter(|x| {
                    name.as_deref().is_none_or(|n| to_empty(&x.name) == n)
                        && rtype.as_deref().is_none_or(|t| x.rtype == t)
                })
                .map(view)
                .collect();
            json_ok(json!({"total_count": recs.len(), "records": recs}))
        }
        "PATCH" => {
            let b = body(r).map_err(bad)?;
            for change in b["changes"].as_array().ok_or(bad("changes missing".into()))? {
                let records = |c: &Value| -> Result<Vec<NewRecord>, (u16, String)> {
                    c["records"]
                        .as_array()
                        .ok_or(bad("records missing".into()))?
                        .iter()
                        .map(|x| {
                            Ok((
                                from_empty(str_of(x, "name").map_err(bad)?),
                                str_of(x, "type").map_err(bad)?.to_string(),
                                str_of(x, "data").map_err(bad)?.to_string(),
                                u64_of(x, "ttl").map_err(bad)?,
                            ))
                        })
                        .collect()
                };
                if let Some(set) = change.get("set") {
                    let id = &set["id_fields"];
                    let (name, rtype) =
                        (from_empty(str_of(id, "name").map_err(bad)?), str_of(id, "type").map_err(bad)?.to_string());
                    let recs = records(set)?;
                    let values: Vec<String> = recs.iter().map(|x| x.2.clone()).collect();
                    s.set(&name, &rtype, &values, recs.first().map_or(300, |x| x.3)).map_err(bad)?;
                } else if let Some(add) = change.get("add") {
                    for (name, rtype, data, ttl) in records(add)? {
                        s.add(&name, &rtype, &data, ttl).map_err(bad)?;
                    }
                } else {
                    return Err(bad("unknown change".into()));
                }
            }
            json_ok(json!({"records": []}))
        }
        _ => no_route(),
    }
}

fn ionos(r: &Recorded, s: &mut Store) -> Answer {
    let zone_id = "11af3414-ebba-11e9-8df5-66fbe8a334b4";
    let view = |r: &Rec| json!({"id": format!("rec-{}", r.id), "name": fqdn(&r.name), "rootName": ZONE, "type": r.rtype, "content": r.value, "ttl": r.ttl, "disabled": false});
    let zone = format!("/dns/v1/zones/{zone_id}");
    match (r.method.as_str(), r.path()) {
        ("GET", "/dns/v1/zones") => json_ok(json!([{"name": ZONE, "id": zone_id, "type": "NATIVE"}])),
        ("GET", p) if p == zone => {
            let (name, rtype) = (r.query("recordName"), r.query("recordType"));
            let recs: Vec<Value> = s
                .recs
                .iter()
                .filter(|x| {
                    name.as_deref().is_none_or(|n| fqdn(&x.name) == n) && rtype.as_deref().is_none_or(|t| x.rtype == t)
                })
                .map(view)
                .collect();
            json_ok(json!({"id": zone_id, "name": ZONE, "type": "NATIVE", "records": recs}))
        }
        ("POST", p) if p == format!("{zone}/records") => {
            let b = body(r).map_err(bad)?;
            let mut made = Vec::new();
            for x in b.as_array().ok_or(bad("the body must be an array of records".into()))? {
                let name = str_of(x, "name").map_err(bad)?;
                let rel = if name == ZONE {
                    "@".to_string()
                } else {
                    name.strip_suffix(&format!(".{ZONE}")).ok_or(bad("name outside the zone".into()))?.to_string()
                };
                made.push(view(
                    &s.add(
                        &rel,
                        str_of(x, "type").map_err(bad)?,
                        str_of(x, "content").map_err(bad)?,
                        u64_of(x, "ttl").map_err(bad)?,
                    )
                    .map_err(bad)?,
                ));
            }
            Ok(Reply::json(201, &Value::Array(made)))
        }
        ("PUT", p) if p.starts_with(&format!("{zone}/records/rec-")) => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit("rec-").next().unwrap(), str_of(&b, "content").map_err(bad)?, b["ttl"].as_u64())
                .map_err(|e| (404, e))?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}

fn luadns(r: &Recorded, s: &mut Store) -> Answer {
    if r.header("accept") != Some("application/json") {
        return Err((406, "Accept: application/json is required".into()));
    }
    let view = |r: &Rec| json!({"id": r.id, "name": format!("{}.", fqdn(&r.name)), "type": r.rtype, "content": r.value, "ttl": r.ttl, "zone_id": 5});
    let fields = |r: &Recorded| -> Result<NewRecord, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let name = str_of(&b, "name").map_err(bad)?;
        let rel = if name == format!("{ZONE}.") {
            "@".to_string()
        } else {
            name.strip_suffix(&format!(".{ZONE}."))
                .ok_or(bad("name must be fully qualified with the final dot".into()))?
                .to_string()
        };
        Ok((
            rel,
            str_of(&b, "type").map_err(bad)?.into(),
            str_of(&b, "content").map_err(bad)?.into(),
            u64_of(&b, "ttl").map_err(bad)?,
        ))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", "/v1/zones") => json_ok(json!([{"id": 4, "name": "example.net"}, {"id": 5, "name": ZONE}])),
        ("GET", "/v1/zones/5/records") => json_ok(Value::Array(s.recs.iter().map(view).collect())),
        ("POST", "/v1/zones/5/records") => {
            let (name, rtype, content, ttl) = fields(r)?;
            json_ok(view(&s.add(&name, &rtype, &content, ttl).map_err(bad)?))
        }
        ("PUT", p) if p.starts_with("/v1/zones/5/records/") => {
            let (_, _, content, ttl) = fields(r)?;
            s.edit(p.rsplit('/').next().unwrap(), &content, Some(ttl)).map_err(|e| (404, e))?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}

fn powerdns(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() != format!("/api/v1/servers/localhost/zones/{ZONE}.") {
        return Err((404, "Could not find domain".into()));
    }
    match r.method.as_str() {
        "GET" => {
            let mut rrsets: Vec<Value> = Vec::new();
            for rec in &s.recs {
                let name = format!("{}.", fqdn(&rec.name));
                match rrsets.iter_mut().find(|x| x["name"] == name.as_str() && x["type"] == rec.rtype.as_str()) {
                    Some(x) => x["records"].as_array_mut().unwrap().push(json!({"content": rec.value, "disabled": false})),
                    None => rrsets.push(json!({"name": name, "type": rec.rtype, "ttl": rec.ttl, "records": [{"content": rec.value, "disabled": false}]})),
                }
            }
            json_ok(json!({"name": format!("{ZONE}."), "kind": "Native", "rrsets": rrsets}))
        }
        "PATCH" => {
            let b = body(r).map_err(bad)?;
            for rrset in b["rrsets"].as_array().ok_or(bad("rrsets missing".into()))? {
                if rrset["changetype"] != "REPLACE" {
                    return Err(bad("only REPLACE is expected here".into()));
                }
                let name = str_of(rrset, "name").map_err(bad)?;
                let rel = name
                    .strip_suffix(&format!(".{ZONE}."))
                    .ok_or(bad(format!("RRset {name} is not in zone {ZONE}.")))?;
                let values: Vec<String> = rrset["records"]
                    .as_array()
                    .ok_or(bad("records missing".into()))?
                    .iter()
                    .map(|x| x["content"].as_str().unwrap_or("").to_string())
                    .collect();
                s.set(rel, str_of(rrset, "type").map_err(bad)?, &values, u64_of(rrset, "ttl").map_err(bad)?)
                    .map_err(bad)?;
            }
            Ok(Reply::status(204, ""))
        }
        _ => no_route(),
    }
}

fn njalla(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/api/1/" {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let p = &b["params"];
    if p["domain"] != ZONE {
        return json_ok(json!({"jsonrpc": "2.0", "error": {"code": 404, "message": "Domain not found."}}));
    }
    let view =
        |r: &Rec| json!({"id": r.id.to_string(), "name": r.name, "type": r.rtype, "content": r.value, "ttl": r.ttl});
    let result = match b["method"].as_str() {
        Some("list-records") => json!({"records": s.recs.iter().map(view).collect::<Vec<_>>()}),
        Some("add-record") => {
            let x = (str_of(p, "name"), str_of(p, "type"), str_of(p, "content"), u64_of(p, "ttl"));
            let (Ok(n), Ok(t), Ok(c), Ok(ttl)) = x else {
                return json_ok(json!({"error": {"code": 400, "message": "Invalid params."}}));
            };
            view(&s.add(n, t, c, ttl).map_err(bad)?)
        }
        Some("edit-record") => {
            let id = p["id"]
                .as_str()
                .map(str::to_string)
                .or_else(|| p["id"].as_u64().map(|i| i.to_string()))
                .unwrap_or_default();
            if s.edit(&id, p["content"].as_str().unwrap_or(""), None).is_err() {
                return json_ok(json!({"error": {"code": 404, "message": "Record not found."}}));
            }
            json!({"id": id})
        }
        _ => return json_ok(json!({"error": {"code": 400, "message": "Unknown method."}})),
    };
    json_ok(json!({"jsonrpc": "2.0", "result": result}))
}

fn gandi(r: &Recorded, s: &mut Store) -> Answer {
    let p = r
        .path()
        .strip_prefix(&format!("/v5/livedns/domains/{ZONE}/records/"))
        .ok_or((404, "domain not found".into()))?;
    let (name, rtype) = p.split_once('/').ok_or((404, "no route".into()))?;
    let existing = s.named(name, rtype);
    match r.method.as_str() {
        "GET" if existing.is_empty() => Err((404, "Can't find the DNS record".into())),
        "GET" => json_ok(json!({"rrset_name": name, "rrset_type": rtype, "rrset_ttl": existing[0].ttl,
                                "rrset_values": existing.iter().map(|r| r.value.clone()).collect::<Vec<_>>()})),
        "PUT" => {
            let b = body(r).map_err(bad)?;
            let values: Vec<String> = b["rrset_values"]
                .as_array()
                .ok_or(bad("rrset_values missing".into()))?
                .iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect();
            s.set(name, rtype, &values, u64_of(&b, "rrset_ttl").map_err(bad)?).map_err(bad)?;
            Ok(Reply::json(201, &json!({"message": "DNS Record Created"})))
        }
        _ => no_route(),
    }
}

fn porkbun(r: &Recorded, s: &mut Store) -> Answer {
    let b = body(r).map_err(bad)?;
    if r.method != "POST" {
        return no_route();
    }
    if b["apikey"] != "pk1_key" || b["secretapikey"] != SECRET {
        return Err((403, "Invalid API key. (002)".into()));
    }
    let p = r.path().strip_prefix("/api/json/v3/dns/").ok_or((404, "no route".into()))?;
    let parts: Vec<&str> = p.split('/').collect();
    let view = |r: &Rec| json!({"id": r.id.to_string(), "name": fqdn(&r.name), "type": r.rtype, "content": r.value, "ttl": r.ttl.to_string()});
    let result = match parts.as_slice() {
        ["retrieveByNameType", ZONE, rtype, rest @ ..] => {
            let name = rest.first().copied().unwrap_or("@");
            json!({"status": "SUCCESS", "records": s.named(name, rtype).iter().map(view).collect::<Vec<_>>()})
        }
        ["editByNameType", ZONE, rtype, rest @ ..] => {
            let name = rest.first().copied().unwrap_or("@");
            let ttl = str_of(&b, "ttl").map_err(bad)?.parse().map_err(|_| bad("ttl".into()))?;
            s.set(name, rtype, &[str_of(&b, "content").map_err(bad)?.to_string()], ttl).map_err(bad)?;
            json!({"status": "SUCCESS"})
        }
        ["create", ZONE] => {
            let ttl = str_of(&b, "ttl").map_err(bad)?.parse().map_err(|_| bad("ttl".into()))?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "name").map_err(bad)?),
                    str_of(&b, "type").map_err(bad)?,
                    str_of(&b, "content").map_err(bad)?,
                    ttl,
                )
                .map_err(bad)?;
            json!({"status": "SUCCESS", "id": rec.id})
        }
        _ => return no_route(),
    };
    json_ok(result)
}

fn digitalocean(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v2/domains/{ZONE}/records");
    let view = |r: &Rec| json!({"id": r.id, "type": r.rtype, "name": r.name, "data": r.value, "ttl": r.ttl});
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => {
            let (t, n) = (r.query("type"), r.query("name"));
            let recs: Vec<Value> = s
                .recs
                .iter()
                .filter(|x| {
                    t.as_deref().is_none_or(|t| x.rtype == t) && n.as_deref().is_none_or(|n| fqdn(&x.name) == n)
                })
                .map(view)
                .collect();
            json_ok(json!({"domain_records": recs, "meta": {"total": recs.len()}}))
        }
        ("POST", p) if p == base => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    str_of(&b, "name").map_err(bad)?,
                    str_of(&b, "type").map_err(bad)?,
                    str_of(&b, "data").map_err(bad)?,
                    u64_of(&b, "ttl").map_err(bad)?,
                )
                .map_err(bad)?;
            Ok(Reply::json(201, &json!({"domain_record": view(&rec)})))
        }
        ("PATCH", p) if p.starts_with(&format!("{base}/")) => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit('/').next().unwrap(), str_of(&b, "data").map_err(bad)?, b["ttl"].as_u64())
                .map_err(|e| (404, e))?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}

macro_rules! api_test {
    ($test:ident, $double:expr) => {
        #[test]
        fn $test() {
            run_scenario(&$double);
        }
    };
}

api_test!(
    hetzner_cloud_rrsets,
    Double {
        provider: "hetzner",
        base: "/v1",
        creds: "\toption token 'SECRET'\n",
        authorized: bearer_ok,
        route: hetzner,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"error": {"code": "error", "message": m}})),
    }
);
api_test!(
    godaddy_domains,
    Double {
        provider: "godaddy",
        base: "",
        creds: "\toption token 'gd-key'\n\toption password 'SECRET'\n",
        authorized: |r| r.header("authorization") == Some(&format!("sso-key gd-key:{SECRET}")),
        route: godaddy,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"code": "UNABLE_TO_AUTHENTICATE", "message": m})),
    }
);
api_test!(
    linode_domains,
    Double {
        provider: "linode",
        base: "/v4",
        creds: "\toption token 'SECRET'\n",
        authorized: bearer_ok,
        route: linode,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"errors": [{"reason": m}]})),
    }
);
api_test!(
    vultr_dns,
    Double {
        provider: "vultr",
        base: "/v2",
        creds: "\toption token 'SECRET'\n",
        authorized: bearer_ok,
        route: vultr,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"error": m, "status": s})),
    }
);
api_test!(
    namecom_records,
    Double {
        provider: "name.com",
        base: "",
        creds: "\toption username 'nc-user'\n\toption token 'SECRET'\n",
        authorized: |r| basic_ok(r, "nc-user"),
        route: namecom,
        setup: no_setup,
        error: message_error,
    }
);
api_test!(
    ns1_records,
    Double {
        provider: "ns1",
        base: "",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| header_ok(r, "x-nsone-key"),
        route: ns1,
        setup: no_setup,
        error: message_error,
    }
);
api_test!(
    scaleway_dns_zones,
    Double {
        provider: "scaleway",
        base: "/domain/v2beta1",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| header_ok(r, "x-auth-token"),
        route: scaleway,
        setup: no_setup,
        error: message_error,
    }
);
api_test!(
    ionos_dns,
    Double {
        provider: "ionos",
        base: "/dns",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| header_ok(r, "x-api-key"),
        route: ionos,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!([{"code": "UNAUTHORIZED", "message": m}])),
    }
);
api_test!(
    luadns_records,
    Double {
        provider: "luadns",
        base: "",
        creds: "\toption username 'me@example.org'\n\toption token 'SECRET'\n",
        authorized: |r| basic_ok(r, "me@example.org"),
        route: luadns,
        setup: no_setup,
        error: message_error,
    }
);
api_test!(
    powerdns_zone_patch,
    Double {
        provider: "powerdns",
        base: "",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| header_ok(r, "x-api-key"),
        route: powerdns,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"error": m})),
    }
);
api_test!(
    njalla_json_rpc,
    Double {
        provider: "njalla",
        base: "/api/1/",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| r.header("authorization") == Some(&format!("Njalla {SECRET}")),
        route: njalla,
        setup: no_setup,
        // Njalla answers errors with HTTP 200 and an error object.
        error: |_, m| Reply::json(200, &json!({"jsonrpc": "2.0", "error": {"code": 403, "message": m}})),
    }
);
api_test!(
    gandi_livedns,
    Double {
        provider: "gandi",
        base: "/v5/livedns",
        creds: "\toption token 'SECRET'\n",
        authorized: bearer_ok,
        route: gandi,
        setup: no_setup,
        error: message_error,
    }
);
api_test!(
    porkbun_v3,
    Double {
        provider: "porkbun",
        base: "/api/json/v3",
        creds: "\toption token 'pk1_key'\n\toption password 'SECRET'\n",
        // Porkbun's credentials travel in the body; the route checks them.
        authorized: |_| true,
        route: porkbun,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"status": "ERROR", "message": m})),
    }
);
api_test!(
    digitalocean_v2,
    Double {
        provider: "digitalocean",
        base: "/v2",
        creds: "\toption token 'SECRET'\n",
        authorized: bearer_ok,
        route: digitalocean,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"id": "unauthorized", "message": m})),
    }
);

// ---- signed APIs: each double checks the signature with its own implementation of the scheme ----

mod verify {
    use super::support::{percent_decode, Recorded};
    use ring::{digest, hmac};

    pub fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    pub fn sha256(data: &[u8]) -> String {
        hex(digest::digest(&digest::SHA256, data).as_ref())
    }

    pub fn mac(key: &[u8], msg: &str) -> Vec<u8> {
        hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg.as_bytes()).as_ref().to_vec()
    }

    /// RFC 3986 encoding, as the SigV4 family canonicalises.
    pub fn enc(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    pub fn query_pairs(r: &Recorded) -> Vec<(String, String)> {
        let Some((_, q)) = r.target.split_once('?') else { return vec![] };
        q.split('&')
            .filter(|kv| !kv.is_empty())
            .map(|kv| {
                let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
                (percent_decode(k), percent_decode(v))
            })
            .collect()
    }

    /// The canonical request the SigV4 family signs, rebuilt from what arrived.
    pub fn canonical(r: &Recorded, path: &str, signed_headers: &str) -> String {
        let mut q: Vec<String> = query_pairs(r).iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        q.sort();
        let headers: String =
            signed_headers.split(';').map(|h| format!("{h}:{}\n", r.header(h).unwrap_or("").trim())).collect();
        format!("{}\n{path}\n{}\n{headers}\n{signed_headers}\n{}", r.method, q.join("&"), sha256(r.body.as_bytes()))
    }

    /// `Credential=…, SignedHeaders=…, Signature=…` (or `Access=…`) of an Authorization value.
    pub fn auth_fields(r: &Recorded, scheme: &str) -> Option<(String, String, String)> {
        let rest = r.header("authorization")?.strip_prefix(scheme)?.trim();
        let mut cred = None;
        let mut signed = None;
        let mut sig = None;
        for part in rest.split(", ") {
            let (k, v) = part.split_once('=')?;
            match k {
                "Credential" | "Access" => cred = Some(v.to_string()),
                "SignedHeaders" => signed = Some(v.to_string()),
                "Signature" => sig = Some(v.to_string()),
                _ => return None,
            }
        }
        Some((cred?, signed?, sig?))
    }

    /// AWS SigV4 for Route 53 with `secret`.
    pub fn aws(r: &Recorded, key_id: &str, secret: &str) -> bool {
        let Some((cred, signed, sig)) = auth_fields(r, "AWS4-HMAC-SHA256") else { return false };
        let Some((id, scope)) = cred.split_once('/') else { return false };
        let parts: Vec<&str> = scope.split('/').collect();
        let Some(date) = r.header("x-amz-date") else { return false };
        if id != key_id
            || parts.len() != 4
            || parts[1..] != ["us-east-1", "route53", "aws4_request"]
            || !date.starts_with(parts[0])
        {
            return false;
        }
        if !signed.split(';').any(|h| h == "host") {
            return false;
        }
        let to_sign =
            format!("AWS4-HMAC-SHA256\n{date}\n{scope}\n{}", sha256(canonical(r, r.path(), &signed).as_bytes()));
        let mut key = format!("AWS4{secret}").into_bytes();
        for p in &parts {
            key = mac(&key, p);
        }
        hex(&mac(&key, &to_sign)) == sig
    }

    /// Tencent Cloud TC3-HMAC-SHA256 for service dnspod.
    pub fn tc3(r: &Recorded, id: &str, secret: &str) -> bool {
        let Some((cred, signed, sig)) = auth_fields(r, "TC3-HMAC-SHA256") else { return false };
        let parts: Vec<&str> = cred.split('/').collect();
        let Some(ts) = r.header("x-tc-timestamp").and_then(|t| t.parse::<u64>().ok()) else { return false };
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        if parts.len() != 4 || parts[0] != id || parts[2..] != ["dnspod", "tc3_request"] || now.abs_diff(ts) > 300 {
            return false;
        }
        let scope = parts[1..].join("/");
        let to_sign = format!("TC3-HMAC-SHA256\n{ts}\n{scope}\n{}", sha256(canonical(r, "/", &signed).as_bytes()));
        let mut key = format!("TC3{secret}").into_bytes();
        for p in &parts[1..] {
            key = mac(&key, p);
        }
        hex(&mac(&key, &to_sign)) == sig
    }

    /// Huawei Cloud APIG SDK-HMAC-SHA256 (canonical URI with a final slash).
    pub fn huawei(r: &Recorded, ak: &str, sk: &str) -> bool {
        let Some((access, signed, sig)) = auth_fields(r, "SDK-HMAC-SHA256") else { return false };
        let Some(date) = r.header("x-sdk-date") else { return false };
        if access != ak || !signed.split(';').any(|h| h == "x-sdk-date") {
            return false;
        }
        let path = format!("{}/", r.path().trim_end_matches('/'));
        let to_sign = format!("SDK-HMAC-SHA256\n{date}\n{}", sha256(canonical(r, &path, &signed).as_bytes()));
        hex(&mac(sk.as_bytes(), &to_sign)) == sig
    }

    /// Alibaba Cloud RPC signature v1 (HMAC-SHA1 over the sorted query).
    pub fn aliyun(r: &Recorded, key_id: &str, secret: &str) -> bool {
        let pairs = query_pairs(r);
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if get("AccessKeyId") != Some(key_id)
            || get("SignatureMethod") != Some("HMAC-SHA1")
            || get("SignatureNonce").is_none()
        {
            return false;
        }
        let mut rest: Vec<String> =
            pairs.iter().filter(|(k, _)| k != "Signature").map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        rest.sort();
        let to_sign = format!("GET&%2F&{}", enc(&rest.join("&")));
        let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, format!("{secret}&").as_bytes());
        let expected = edgeddns::http::base64(hmac::sign(&key, to_sign.as_bytes()).as_ref());
        get("Signature") == Some(expected.as_str())
    }
}

fn xml_tag<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    Some(&xml[start..start + xml[start..].find(&format!("</{tag}>"))?])
}

fn route53(r: &Recorded, s: &mut Store) -> Answer {
    let xml = |body: String| Reply { status: 200, headers: vec![("Content-Type".into(), "text/xml".into())], body };
    match (r.method.as_str(), r.path()) {
        ("GET", "/2013-04-01/hostedzonesbyname") => Ok(xml(format!(
            "<?xml version=\"1.0\"?>\n<ListHostedZonesByNameResponse><HostedZones><HostedZone><Id>/hostedzone/ZTEST1</Id>\
             <Name>{ZONE}.</Name></HostedZone></HostedZones><IsTruncated>false</IsTruncated></ListHostedZonesByNameResponse>"
        ))),
        ("GET", "/2013-04-01/hostedzone/ZTEST1/rrset") => {
            // Like Route 53: the listing starts at the name and type asked for, in DNS order.
            let want = r.query("name").unwrap_or_default();
            let mut names: Vec<(String, String)> =
                s.recs.iter().map(|x| (format!("{}.", fqdn(&x.name)), x.rtype.clone())).collect();
            names.sort();
            names.dedup();
            let first = names.into_iter().find(|(n, t)| (n.as_str(), t.as_str()) >= (want.as_str(), r.query("type").unwrap_or_default().as_str()));
            let sets = first.map(|(n, t)| {
                let recs = s.named(n.trim_end_matches(&format!(".{ZONE}.")), &t);
                let values: String = recs.iter().map(|x| format!("<ResourceRecord><Value>{}</Value></ResourceRecord>", x.value)).collect();
                format!("<ResourceRecordSet><Name>{n}</Name><Type>{t}</Type><TTL>{}</TTL><ResourceRecords>{values}</ResourceRecords></ResourceRecordSet>", recs[0].ttl)
            });
            Ok(xml(format!(
                "<?xml version=\"1.0\"?>\n<ListResourceRecordSetsResponse><ResourceRecordSets>{}</ResourceRecordSets>\
                 <IsTruncated>false</IsTruncated><MaxItems>1</MaxItems></ListResourceRecordSetsResponse>",
                sets.unwrap_or_default()
            )))
        }
        ("POST", "/2013-04-01/hostedzone/ZTEST1/rrset/") => {
            // Like Route 53: the batch is checked whole, then applied.
            let changes: Vec<&str> = r.body.split("<Change>").skip(1).collect();
            if changes.is_empty() {
                return Err(bad("InvalidChangeBatch: no changes".into()));
            }
            let mut parsed = Vec::new();
            for c in changes {
                if xml_tag(c, "Action") != Some("UPSERT") {
                    return Err(bad("InvalidChangeBatch: only UPSERT expected".into()));
                }
                let (Some(name), Some(rtype), Some(ttl), Some(value)) =
                    (xml_tag(c, "Name"), xml_tag(c, "Type"), xml_tag(c, "TTL"), xml_tag(c, "Value"))
                else {
                    return Err(bad("InvalidInput: incomplete ResourceRecordSet".into()));
                };
                let rel = name.strip_suffix(&format!(".{ZONE}.")).ok_or(bad(format!("{name} is not in the zone")))?;
                parsed.push((rel.to_string(), rtype.to_string(), value.to_string(), ttl.parse::<u64>().map_err(|_| bad("TTL".into()))?));
            }
            for (rel, rtype, value, ttl) in parsed {
                s.set(&rel, &rtype, &[value], ttl).map_err(bad)?;
            }
            Ok(xml("<?xml version=\"1.0\"?>\n<ChangeResourceRecordSetsResponse><ChangeInfo><Id>/change/C1</Id><Status>PENDING</Status></ChangeInfo></ChangeResourceRecordSetsResponse>".into()))
        }
        _ => no_route(),
    }
}

fn alidns(r: &Recorded, s: &mut Store) -> Answer {
    let pairs = verify::query_pairs(r);
    let get = |k: &str| {
        pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).ok_or(bad(format!("MissingParameter: {k}")))
    };
    if r.method != "GET" || r.path() != "/" || get("Format")? != "JSON" || get("Version")? != "2015-01-09" {
        return no_route();
    }
    let view = |x: &Rec| json!({"RR": x.name, "Type": x.rtype, "Value": x.value, "RecordId": x.id.to_string(), "TTL": x.ttl, "DomainName": ZONE, "Line": "default"});
    match get("Action")?.as_str() {
        "DescribeSubDomainRecords" => {
            let sub = get("SubDomain")?;
            let t = get("Type").ok();
            let recs: Vec<Value> = s
                .recs
                .iter()
                .filter(|x| fqdn(&x.name) == sub && t.as_deref().is_none_or(|t| x.rtype == t))
                .map(view)
                .collect();
            json_ok(json!({"RequestId": "r", "TotalCount": recs.len(), "DomainRecords": {"Record": recs}}))
        }
        "UpdateDomainRecord" => {
            let id = get("RecordId")?;
            if s.by_id(&id).is_some_and(|x| x.value == get("Value").unwrap_or_default()) {
                return Err(bad("DomainRecordDuplicate: the record already exists".into()));
            }
            s.edit(&id, &get("Value")?, get("TTL")?.parse().ok()).map_err(|e| (400, e))?;
            json_ok(json!({"RequestId": "r", "RecordId": id}))
        }
        "AddDomainRecord" => {
            if get("DomainName")? != ZONE {
                return Err(bad("InvalidDomainName.NoExist".into()));
            }
            let rec = s
                .add(&get("RR")?, &get("Type")?, &get("Value")?, get("TTL")?.parse().map_err(|_| bad("TTL".into()))?)
                .map_err(bad)?;
            json_ok(json!({"RequestId": "r", "RecordId": rec.id.to_string()}))
        }
        _ => no_route(),
    }
}

fn dnspod(r: &Recorded, s: &mut Store) -> Answer {
    if r.header("content-type") != Some("application/x-www-form-urlencoded") || r.method != "POST" {
        return Err(bad("form POST expected".into()));
    }
    let form: Vec<(String, String)> = r
        .body
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), percent_decode(v)))
        .collect();
    let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let ok = |extra: Value| {
        let mut v = json!({"status": {"code": "1", "message": "Action completed successful"}});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json_ok(v)
    };
    let fail = |code: &str, m: &str| json_ok(json!({"status": {"code": code, "message": m}}));
    if get("format") != "json" || get("domain") != ZONE {
        return fail("6", "Domain id invalid");
    }
    match r.path() {
        "/Record.List" => {
            let recs: Vec<Value> = s.recs.iter().filter(|x| x.name == get("sub_domain") && x.rtype == get("record_type")).map(|x| json!({"id": x.id.to_string(), "name": x.name, "type": x.rtype, "value": x.value, "ttl": x.ttl.to_string(), "line": "默认", "line_id": "0"})).collect();
            ok(json!({"records": recs}))
        }
        "/Record.Modify" => {
            if get("record_line_id") != "0" {
                return fail("-15", "Record line invalid");
            }
            match s.edit(&get("record_id"), &get("value"), get("ttl").parse().ok()) {
                Ok(()) => ok(json!({"record": {"id": get("record_id")}})),
                Err(_) => fail("8", "Record id invalid"),
            }
        }
        "/Record.Create" => {
            match s.add(&get("sub_domain"), &get("record_type"), &get("value"), get("ttl").parse().unwrap_or(600)) {
                Ok(rec) => ok(json!({"record": {"id": rec.id.to_string()}})),
                Err(_) => fail("-15", "Record value invalid"),
            }
        }
        _ => no_route(),
    }
}

fn tencent(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/" || r.header("x-tc-version") != Some("2021-03-23") {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let err =
        |code: &str, m: &str| json_ok(json!({"Response": {"Error": {"Code": code, "Message": m}, "RequestId": "r"}}));
    let ok = |mut v: Value| {
        v["RequestId"] = "r".into();
        json_ok(json!({"Response": v}))
    };
    if b["Domain"] != ZONE {
        return err("InvalidParameter.DomainInvalid", "domain not found");
    }
    match r.header("x-tc-action").unwrap_or("") {
        "DescribeRecordList" => {
            let (sub, t) = (b["Subdomain"].as_str().unwrap_or(""), b["RecordType"].as_str().unwrap_or(""));
            let recs: Vec<Value> = s.recs.iter().filter(|x| x.name == sub && x.rtype == t).map(|x| json!({"RecordId": x.id, "Name": x.name, "Type": x.rtype, "Value": x.value, "TTL": x.ttl, "Line": "默认"})).collect();
            if recs.is_empty() {
                return err("ResourceNotFound.NoDataOfRecord", "记录列表为空。");
            }
            ok(json!({"RecordList": recs}))
        }
        "ModifyRecord" => {
            let id = b["RecordId"].as_u64().ok_or(bad("RecordId must be an integer".into()))?;
            match s.edit(&id.to_string(), b["Value"].as_str().unwrap_or(""), b["TTL"].as_u64()) {
                Ok(()) => ok(json!({"RecordId": id})),
                Err(e) => err("InvalidParameter", &e),
            }
        }
        "CreateRecord" => {
            if b["RecordLine"] != "默认" {
                return err("InvalidParameter.RecordLineInvalid", "line");
            }
            match s.add(
                b["SubDomain"].as_str().unwrap_or(""),
                b["RecordType"].as_str().unwrap_or(""),
                b["Value"].as_str().unwrap_or(""),
                b["TTL"].as_u64().unwrap_or(600),
            ) {
                Ok(rec) => ok(json!({"RecordId": rec.id})),
                Err(e) => err("InvalidParameter", &e),
            }
        }
        _ => err("InvalidAction", "no such action"),
    }
}

fn huawei(r: &Recorded, s: &mut Store) -> Answer {
    let zone = "/v2/zones/ff8080825b8fc86c015b94bc6f8712c3";
    let set_of = |name: &str, rtype: &str, recs: &[Rec]| json!({"id": format!("rs-{name}-{rtype}"), "name": format!("{}.", fqdn(name)), "type": rtype, "ttl": recs[0].ttl, "records": recs.iter().map(|x| x.value.clone()).collect::<Vec<_>>()});
    let fields = |r: &Recorded| -> Result<NewSet, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let name = str_of(&b, "name").map_err(bad)?;
        let rel = name
            .strip_suffix(&format!(".{ZONE}."))
            .ok_or(bad("DNS.0303: name must end with the zone and a dot".into()))?;
        let values = b["records"]
            .as_array()
            .ok_or(bad("records missing".into()))?
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        Ok((rel.into(), str_of(&b, "type").map_err(bad)?.into(), values, u64_of(&b, "ttl").map_err(bad)?))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", "/v2/zones") => {
            let zones: Vec<Value> =
                [json!({"id": "ff8080825b8fc86c015b94bc6f8712c3", "name": format!("{ZONE}."), "zone_type": "public"})]
                    .into_iter()
                    .filter(|z| r.query("name").is_none_or(|n| z["name"] == n.as_str()))
                    .collect();
            json_ok(json!({"zones": zones, "metadata": {"total_count": zones.len()}}))
        }
        ("GET", p) if p == format!("{zone}/recordsets") => {
            let name = r.query("name").unwrap_or_default();
            let rtype = r.query("type").unwrap_or_default();
            let rel = name.strip_suffix(&format!(".{ZONE}.")).unwrap_or("");
            let recs = s.named(rel, &rtype);
            let sets = if recs.is_empty() { vec![] } else { vec![set_of(rel, &rtype, &recs)] };
            json_ok(json!({"recordsets": sets, "metadata": {"total_count": sets.len()}}))
        }
        ("POST", p) if p == format!("{zone}/recordsets") => {
            let (rel, rtype, values, ttl) = fields(r)?;
            if !s.named(&rel, &rtype).is_empty() {
                return Err(bad("DNS.0312: the record set exists".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::json(202, &json!({"id": format!("rs-{rel}-{rtype}"), "status": "PENDING_CREATE"})))
        }
        ("PUT", p) if p.starts_with(&format!("{zone}/recordsets/rs-")) => {
            let (rel, rtype, values, ttl) = fields(r)?;
            if p.rsplit('/').next() != Some(&format!("rs-{rel}-{rtype}")) || s.named(&rel, &rtype).is_empty() {
                return Err((404, "DNS.0305: record set not found".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::json(202, &json!({"status": "PENDING_UPDATE"})))
        }
        _ => no_route(),
    }
}

api_test!(
    route53_sigv4,
    Double {
        provider: "route53",
        base: "",
        creds: "\toption username 'AKIDEXAMPLE'\n\toption password 'SECRET'\n",
        authorized: |r| verify::aws(r, "AKIDEXAMPLE", SECRET),
        route: route53,
        setup: no_setup,
        error: |s, m| {
            Reply {
        status: if s == 401 { 403 } else { s },
        headers: vec![("Content-Type".into(), "text/xml".into())],
        body: format!("<?xml version=\"1.0\"?>\n<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>{m}</Message></Error></ErrorResponse>"),
    }
        },
    }
);
api_test!(
    alidns_rpc_signature,
    Double {
        provider: "alidns",
        base: "",
        creds: "\toption username 'LTAI5tTestKey'\n\toption password 'SECRET'\n",
        authorized: |r| verify::aliyun(r, "LTAI5tTestKey", SECRET),
        route: alidns,
        setup: no_setup,
        error: |s, m| Reply::json(
            if s == 401 { 400 } else { s },
            &json!({"RequestId": "r", "Code": "SignatureDoesNotMatch", "Message": m})
        ),
    }
);
api_test!(
    dnspod_token_api,
    Double {
        provider: "dnspod",
        base: "",
        creds: "\toption username '13490'\n\toption password 'SECRET'\n",
        authorized: |r| r.body.contains(&format!("login_token=13490%2C{SECRET}&")),
        route: dnspod,
        setup: no_setup,
        // DNSPod reports every failure with HTTP 200 and a status code.
        error: |_, m| Reply::json(200, &json!({"status": {"code": "-1", "message": m}})),
    }
);
api_test!(
    tencent_tc3,
    Double {
        provider: "tencent",
        base: "",
        creds: "\toption username 'AKIDtest'\n\toption password 'SECRET'\n",
        authorized: |r| verify::tc3(r, "AKIDtest", SECRET),
        route: tencent,
        setup: no_setup,
        error: |_, m| Reply::json(
            200,
            &json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": m}, "RequestId": "r"}})
        ),
    }
);
api_test!(
    huawei_apig_signature,
    Double {
        provider: "huaweicloud",
        base: "",
        creds: "\toption username 'HWTESTAK'\n\toption password 'SECRET'\n",
        authorized: |r| verify::huawei(r, "HWTESTAK", SECRET),
        route: huawei,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"error_code": "APIGW.0301", "error_msg": m})),
    }
);

fn namesilo(r: &Recorded, s: &mut Store) -> Answer {
    let reply = |code: u32, detail: &str, extra: Value| {
        let mut v = json!({"request": {"operation": r.path().trim_start_matches("/api/"), "ip": "127.0.0.1"}, "reply": {"code": code, "detail": detail}});
        v["reply"].as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json_ok(v)
    };
    if r.method != "GET" || r.query("version").as_deref() != Some("1") || r.query("type").as_deref() != Some("json") {
        return no_route();
    }
    if r.query("domain").as_deref() != Some(ZONE) {
        return reply(200, "Domain is not active, or does not belong to this user", json!({}));
    }
    let q = |k: &str| r.query(k).unwrap_or_default();
    match r.path() {
        "/api/dnsListRecords" => {
            let recs: Vec<Value> = s.recs.iter().map(|x| json!({"record_id": format!("rr{}", x.id), "type": x.rtype, "host": fqdn(&x.name), "value": x.value, "ttl": x.ttl.to_string(), "distance": 0})).collect();
            reply(300, "success", json!({"resource_record": recs}))
        }
        "/api/dnsUpdateRecord" => {
            let ttl: u64 = q("rrttl").parse().unwrap_or(7207);
            if ttl < 3600 {
                return reply(280, "TTL must be at least 3600", json!({}));
            }
            match s.edit(q("rrid").trim_start_matches("rr"), &q("rrvalue"), Some(ttl)) {
                Ok(()) => reply(300, "success", json!({"record_id": q("rrid")})),
                Err(e) => reply(280, &e, json!({})),
            }
        }
        "/api/dnsAddRecord" => {
            match s.add(&from_empty(&q("rrhost")), &q("rrtype"), &q("rrvalue"), q("rrttl").parse().unwrap_or(7207)) {
                Ok(rec) => reply(300, "success", json!({"record_id": format!("rr{}", rec.id)})),
                Err(e) => reply(280, &e, json!({})),
            }
        }
        _ => no_route(),
    }
}

fn dnsimple(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v2/1385/zones/{ZONE}/records");
    let view = |x: &Rec| json!({"id": x.id, "zone_id": ZONE, "name": to_empty(&x.name), "content": x.value, "ttl": x.ttl, "type": x.rtype});
    match (r.method.as_str(), r.path()) {
        ("GET", "/v2/whoami") => {
            json_ok(json!({"data": {"user": null, "account": {"id": 1385, "email": "a@example.org"}}}))
        }
        ("GET", p) if p == base => {
            let (n, t) = (r.query("name"), r.query("type"));
            let recs: Vec<Value> = s
                .recs
                .iter()
                .filter(|x| {
                    n.as_deref().is_none_or(|n| to_empty(&x.name) == n) && t.as_deref().is_none_or(|t| x.rtype == t)
                })
                .map(view)
                .collect();
            json_ok(json!({"data": recs, "pagination": {"current_page": 1, "total_pages": 1}}))
        }
        ("POST", p) if p == base => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "name").map_err(bad)?),
                    str_of(&b, "type").map_err(bad)?,
                    str_of(&b, "content").map_err(bad)?,
                    u64_of(&b, "ttl").map_err(bad)?,
                )
                .map_err(bad)?;
            Ok(Reply::json(201, &json!({"data": view(&rec)})))
        }
        ("PATCH", p) if p.starts_with(&format!("{base}/")) => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit('/').next().unwrap(), str_of(&b, "content").map_err(bad)?, b["ttl"].as_u64())
                .map_err(|e| (404, e))?;
            json_ok(json!({"data": {}}))
        }
        _ => no_route(),
    }
}

fn spaceship(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() != format!("/api/v1/dns/records/{ZONE}") {
        return Err((404, "Domain not found".into()));
    }
    match r.method.as_str() {
        "GET" => {
            if r.query("take").is_none() || r.query("skip").is_none() {
                return Err((422, "take and skip are required".into()));
            }
            let items: Vec<Value> = s.recs.iter().map(|x| json!({"type": x.rtype, "name": x.name, "address": x.value, "ttl": x.ttl, "group": {"type": "custom"}})).collect();
            json_ok(json!({"items": items, "total": items.len()}))
        }
        "PUT" => {
            let b = body(r).map_err(bad)?;
            if b["force"] != true {
                return Err((422, "conflicting records without force".into()));
            }
            for item in b["items"].as_array().ok_or(bad("items missing".into()))? {
                let (name, rtype) = (str_of(item, "name").map_err(bad)?, str_of(item, "type").map_err(bad)?);
                s.set(
                    name,
                    rtype,
                    &[str_of(item, "address").map_err(bad)?.to_string()],
                    u64_of(item, "ttl").map_err(bad)?,
                )
                .map_err(bad)?;
            }
            Ok(Reply::status(204, ""))
        }
        _ => no_route(),
    }
}

api_test!(
    namesilo_v1,
    Double {
        provider: "namesilo",
        base: "/api",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| r.query("key").as_deref() == Some(SECRET),
        route: namesilo,
        setup: no_setup,
        error: |_, m| Reply::json(200, &json!({"reply": {"code": 110, "detail": m}})),
    }
);
api_test!(
    dnsimple_v2,
    Double {
        provider: "dnsimple",
        base: "/v2",
        creds: "\toption token 'SECRET'\n",
        authorized: bearer_ok,
        route: dnsimple,
        setup: no_setup,
        error: message_error,
    }
);
api_test!(
    spaceship_v1,
    Double {
        provider: "spaceship",
        base: "/api/v1",
        creds: "\toption token 'sp-key'\n\toption password 'SECRET'\n",
        authorized: |r| r.header("x-api-key") == Some("sp-key") && header_ok(r, "x-api-secret"),
        route: spaceship,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"detail": m})),
    }
);

fn netcup(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/run/webservice/servers/endpoint.php" || r.query("JSON").is_none() {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let p = &b["param"];
    let reply = |status: &str, code: u32, msg: &str, data: Value| {
        json_ok(json!({"serverrequestid": "s", "action": b["action"], "status": status, "statuscode": code,
                       "shortmessage": msg, "longmessage": msg, "responsedata": data}))
    };
    if p["customernumber"] != "12345" || p["apikey"] != "nc-key" {
        return reply("error", 4013, "The given api key is not valid.", json!(""));
    }
    let action = b["action"].as_str().unwrap_or("");
    if action == "login" {
        return reply("success", 2000, "Login successful", json!({"apisessionid": "sess-77"}));
    }
    if p["apisessionid"] != "sess-77" || p.get("apipassword").is_some() {
        return reply("error", 4001, "The session id is not in a valid format.", json!(""));
    }
    if action != "logout" && p["domainname"] != ZONE {
        return reply("error", 5029, "Can not get DNS records for zone.", json!(""));
    }
    let view = |x: &Rec| json!({"id": x.id.to_string(), "hostname": x.name, "type": x.rtype, "priority": "0", "destination": x.value, "deleterecord": false, "state": "yes"});
    match action {
        "infoDnsRecords" => reply(
            "success",
            2000,
            "DNS records found",
            json!({"dnsrecords": s.recs.iter().map(view).collect::<Vec<_>>()}),
        ),
        "updateDnsRecords" => {
            for rec in p["dnsrecordset"]["dnsrecords"].as_array().ok_or(bad("dnsrecords missing".into()))? {
                let dest = str_of(rec, "destination").map_err(bad)?;
                let result = match rec["id"].as_str() {
                    Some(id) => s.edit(id, dest, None),
                    None => s
                        .add(str_of(rec, "hostname").map_err(bad)?, str_of(rec, "type").map_err(bad)?, dest, 300)
                        .map(drop),
                };
                if let Err(e) = result {
                    return reply("error", 4014, &e, json!(""));
                }
            }
            reply(
                "success",
                2000,
                "DNS records successful updated",
                json!({"dnsrecords": s.recs.iter().map(view).collect::<Vec<_>>()}),
            )
        }
        "logout" => reply("success", 2000, "Logout successful", json!("")),
        _ => no_route(),
    }
}

api_test!(
    netcup_ccp_session,
    Double {
        provider: "netcup",
        base: "/run/webservice/servers/endpoint.php?JSON",
        creds: "\toption username '12345'\n\toption token 'nc-key'\n\toption password 'SECRET'\n",
        // The password is checked at login; later calls carry the session instead.
        authorized: |r| !r.body.contains("\"login\"") || r.body.contains(&format!("\"apipassword\":\"{SECRET}\"")),
        route: netcup,
        setup: no_setup,
        error: |_, m| Reply::json(200, &json!({"status": "error", "statuscode": 4013, "longmessage": m})),
    }
);

/// The RSA public key (PKCS#1 DER) the Google double accepts assertions from.
static GCP_ACCOUNT_KEY: Mutex<Vec<u8>> = Mutex::new(Vec::new());
const GCP_TOKEN: &str = "ya29.c.test-access-token";

/// A 2048-bit RSA key made with openssl at `pem`; its public half as PKCS#1 DER.
fn rsa_key(pem: &std::path::Path) -> Vec<u8> {
    let made = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out"])
        .arg(pem)
        .status()
        .expect("openssl is needed for the key-signing providers' tests");
    assert!(made.success());
    let public = std::process::Command::new("openssl")
        .args(["rsa", "-RSAPublicKey_out", "-outform", "DER", "-in"])
        .arg(pem)
        .output()
        .unwrap();
    public.stdout
}

/// Two service-account key files: the account's (under the right secret's name) and a
/// stranger's (under the wrong one), both naming the double as token endpoint.
fn gcp_keys(dir: &TempDir, api: &str) {
    for secret in [SECRET.to_string(), format!("wrong-{SECRET}")] {
        let pem = dir.path(&format!("rsa-{secret}.pem"));
        let public = rsa_key(&pem);
        if secret == SECRET {
            *GCP_ACCOUNT_KEY.lock().unwrap() = public;
        }
        let key = json!({"type": "service_account", "project_id": "home-dns", "private_key": std::fs::read_to_string(&pem).unwrap(),
                         "client_email": "ddns@home-dns.iam.gserviceaccount.com", "token_uri": format!("{api}/token")});
        dir.write(&format!("key-{secret}.json"), &key.to_string());
    }
}

fn gcp(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() == "/token" {
        let form: Vec<(String, String)> = r
            .body
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        let invalid = |why: &str| Ok(Reply::json(400, &json!({"error": "invalid_grant", "error_description": why})));
        if get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
            return invalid("Invalid grant_type");
        }
        let jwt = get("assertion");
        let Some((input, sig)) = jwt.rsplit_once('.') else { return invalid("Invalid JWT") };
        let b64 = |t: &str| edgeddns::http::base64_decode(&t.replace('-', "+").replace('_', "/")).unwrap_or_default();
        let key = GCP_ACCOUNT_KEY.lock().unwrap().clone();
        let verified = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA256, key)
            .verify(input.as_bytes(), &b64(sig));
        if verified.is_err() {
            return invalid("Invalid JWT Signature.");
        }
        let (header, claims) = input.split_once('.').unwrap();
        let header: Value = serde_json::from_slice(&b64(header)).unwrap_or_default();
        let claims: Value = serde_json::from_slice(&b64(claims)).unwrap_or_default();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let (iat, exp) = (claims["iat"].as_u64().unwrap_or(0), claims["exp"].as_u64().unwrap_or(0));
        if header["alg"] != "RS256"
            || claims["iss"] != "ddns@home-dns.iam.gserviceaccount.com"
            || claims["scope"] != "https://www.googleapis.com/auth/ndev.clouddns.readwrite"
            || !claims["aud"].as_str().is_some_and(|a| a.ends_with("/token"))
            || now.abs_diff(iat) > 300
            || exp <= iat
            || exp - iat > 3600
        {
            return invalid("Invalid JWT: Token must be a short-lived token and in a reasonable timeframe");
        }
        return json_ok(json!({"access_token": GCP_TOKEN, "expires_in": 3599, "token_type": "Bearer"}));
    }
    if r.header("authorization") != Some(&format!("Bearer {GCP_TOKEN}")) {
        return Err((401, "Request had invalid authentication credentials.".into()));
    }
    let base = "/projects/home-dns/managedZones/example-org/rrsets";
    let set = |name: &str, rtype: &str, recs: &[Rec]| json!({"kind": "dns#resourceRecordSet", "name": format!("{}.", fqdn(name)), "type": rtype, "ttl": recs[0].ttl, "rrdatas": recs.iter().map(|x| x.value.clone()).collect::<Vec<_>>()});
    let parsed = |r: &Recorded| -> Result<NewSet, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let name = str_of(&b, "name").map_err(bad)?;
        let rel = name
            .strip_suffix(&format!(".{ZONE}."))
            .ok_or(bad(format!("Invalid value for 'entity.change.additions[0].name': '{name}'")))?;
        let values = b["rrdatas"]
            .as_array()
            .ok_or(bad("rrdatas missing".into()))?
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        Ok((rel.into(), str_of(&b, "type").map_err(bad)?.into(), values, u64_of(&b, "ttl").map_err(bad)?))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => {
            let name = r.query("name").unwrap_or_default();
            let rel = name.strip_suffix(&format!(".{ZONE}.")).unwrap_or("");
            let rtype = r.query("type").unwrap_or_default();
            let recs = s.named(rel, &rtype);
            let sets: Vec<Value> = if recs.is_empty() { vec![] } else { vec![set(rel, &rtype, &recs)] };
            json_ok(json!({"kind": "dns#resourceRecordSetsListResponse", "rrsets": sets}))
        }
        ("POST", p) if p == base => {
            let (rel, rtype, values, ttl) = parsed(r)?;
            if !s.named(&rel, &rtype).is_empty() {
                return Err((409, "The resource already exists".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            json_ok(json!({}))
        }
        ("PATCH", p) if p.starts_with(&format!("{base}/")) => {
            let (rel, rtype, values, ttl) = parsed(r)?;
            if p != format!("{base}/{}./{rtype}", fqdn(&rel)) || s.named(&rel, &rtype).is_empty() {
                return Err((404, "The 'parameters.name' resource named 'x' does not exist.".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}

api_test!(
    gcp_service_account,
    Double {
        provider: "gcp",
        base: "",
        creds: "\toption key_file '{DIR}/key-SECRET.json'\n\toption managed_zone 'example-org'\n",
        // The token endpoint checks the signed assertion; the DNS API checks the token it issued.
        authorized: |_| true,
        route: gcp,
        setup: gcp_keys,
        error: |s, m| Reply::json(s, &json!({"error": {"code": s, "message": m}, "error_description": m})),
    }
);

fn cloudns(r: &Recorded, s: &mut Store) -> Answer {
    let q = |k: &str| r.query(k).unwrap_or_default();
    let failed = |why: &str| json_ok(json!({"status": "Failed", "statusDescription": why}));
    if r.method != "GET" || q("domain-name") != ZONE {
        return failed("Missing domain-name or the zone is not yours.");
    }
    match r.path() {
        "/dns/records.json" => {
            let found: serde_json::Map<String, Value> = s
                .recs
                .iter()
                .filter(|x| to_empty(&x.name) == q("host") && x.rtype == q("type"))
                .map(|x| (x.id.to_string(), json!({"id": x.id.to_string(), "type": x.rtype, "host": to_empty(&x.name), "record": x.value, "ttl": x.ttl.to_string(), "status": 1})))
                .collect();
            // ClouDNS lists nothing as an empty array, not an empty object.
            json_ok(if found.is_empty() { json!([]) } else { Value::Object(found) })
        }
        "/dns/mod-record.json" | "/dns/add-record.json" => {
            let ttl: u64 = q("ttl").parse().unwrap_or(0);
            if ![60, 300, 900, 1800, 3600, 21600, 43200, 86400].contains(&ttl) {
                return failed("Invalid TTL. Choose from the list of the values we support.");
            }
            let result = if r.path() == "/dns/mod-record.json" {
                s.edit(&q("record-id"), &q("record"), Some(ttl))
            } else {
                s.add(&from_empty(&q("host")), &q("record-type"), &q("record"), ttl).map(drop)
            };
            match result {
                Ok(()) => {
                    json_ok(json!({"status": "Success", "statusDescription": "The record was saved successfully."}))
                }
                Err(e) => failed(&e),
            }
        }
        _ => no_route(),
    }
}

fn bunny(r: &Recorded, s: &mut Store) -> Answer {
    let code = |t: &str| if t == "AAAA" { 1 } else { 0 };
    let rtype = |c: u64| if c == 1 { "AAAA" } else { "A" };
    match (r.method.as_str(), r.path()) {
        ("GET", "/dnszone") => {
            let records: Vec<Value> = s.recs.iter().map(|x| json!({"Id": x.id, "Type": code(&x.rtype), "Ttl": x.ttl, "Value": x.value, "Name": to_empty(&x.name)})).collect();
            let zones = vec![
                json!({"Id": 4711, "Domain": ZONE, "Records": records}),
                json!({"Id": 4712, "Domain": "example.net", "Records": []}),
            ];
            let search = r.query("search").unwrap_or_default();
            let items: Vec<Value> =
                zones.into_iter().filter(|z| z["Domain"].as_str().unwrap().contains(&search)).collect();
            json_ok(json!({"Items": items, "CurrentPage": 1, "TotalItems": items.len(), "HasMoreItems": false}))
        }
        ("PUT", "/dnszone/4711/records") => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "Name").map_err(bad)?),
                    rtype(u64_of(&b, "Type").map_err(bad)?),
                    str_of(&b, "Value").map_err(bad)?,
                    u64_of(&b, "Ttl").map_err(bad)?,
                )
                .map_err(bad)?;
            Ok(Reply::json(201, &json!({"Id": rec.id})))
        }
        ("POST", p) if p.starts_with("/dnszone/4711/records/") => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit('/').next().unwrap(), str_of(&b, "Value").map_err(bad)?, b["Ttl"].as_u64())
                .map_err(|e| (404, e))?;
            Ok(Reply::status(204, ""))
        }
        _ => no_route(),
    }
}

api_test!(
    cloudns_api_user,
    Double {
        provider: "cloudns",
        base: "",
        creds: "\toption username '1234'\n\toption password 'SECRET'\n",
        authorized: |r| r.query("auth-id").as_deref() == Some("1234")
            && r.query("auth-password").as_deref() == Some(SECRET),
        route: cloudns,
        setup: no_setup,
        error: |_, m| Reply::json(
            200,
            &json!({"status": "Failed", "statusDescription": format!("Invalid authentication, incorrect auth-id or auth-password. {m}")})
        ),
    }
);
api_test!(
    bunny_dns,
    Double {
        provider: "bunny",
        base: "",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| header_ok(r, "accesskey"),
        route: bunny,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"ErrorKey": "unauthorized", "Message": m})),
    }
);

fn dynv6(r: &Recorded, s: &mut Store) -> Answer {
    let view = |x: &Rec| json!({"type": x.rtype, "name": x.name, "data": x.value, "id": x.id, "zoneID": 4711});
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == format!("/api/v2/zones/by-name/{ZONE}") => {
            json_ok(json!({"id": 4711, "name": ZONE, "ipv4address": "", "ipv6prefix": ""}))
        }
        ("GET", "/api/v2/zones/4711/records") => json_ok(Value::Array(s.recs.iter().map(view).collect())),
        ("POST", "/api/v2/zones/4711/records") => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    str_of(&b, "name").map_err(bad)?,
                    str_of(&b, "type").map_err(bad)?,
                    str_of(&b, "data").map_err(bad)?,
                    600,
                )
                .map_err(bad)?;
            json_ok(view(&rec))
        }
        ("PATCH", p) if p.starts_with("/api/v2/zones/4711/records/") => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit('/').next().unwrap(), str_of(&b, "data").map_err(bad)?, None).map_err(|e| (404, e))?;
            json_ok(json!({}))
        }
        _ => Err((404, "zone not found".into())),
    }
}

fn dreamhost(r: &Recorded, s: &mut Store) -> Answer {
    let q = |k: &str| r.query(k).unwrap_or_default();
    let fail = |why: &str| json_ok(json!({"result": "error", "data": why}));
    if r.method != "GET" || r.path() != "/" || q("format") != "json" || q("unique_id").is_empty() {
        return fail("invalid_request");
    }
    let rel = |record: &str| {
        if record == ZONE {
            Some("@".to_string())
        } else {
            record.strip_suffix(&format!(".{ZONE}")).map(str::to_string)
        }
    };
    match q("cmd").as_str() {
        "dns-list_records" => json_ok(
            json!({"result": "success", "data": s.recs.iter().map(|x| json!({"zone": ZONE, "record": fqdn(&x.name), "type": x.rtype, "value": x.value, "editable": "1"})).collect::<Vec<_>>()}),
        ),
        "dns-add_record" => {
            let Some(name) = rel(&q("record")) else { return fail("no_such_zone") };
            if s.named(&name, &q("type")).iter().any(|x| x.value == q("value")) {
                return fail("record_already_exists_not_editable");
            }
            match s.add(&name, &q("type"), &q("value"), 14400) {
                Ok(_) => json_ok(json!({"result": "success", "data": "record_added"})),
                Err(_) => fail("invalid_record"),
            }
        }
        "dns-remove_record" => {
            let Some(name) = rel(&q("record")) else { return fail("no_such_zone") };
            let before = s.recs.len();
            s.recs.retain(|x| !(x.name == name && x.rtype == q("type") && x.value == q("value")));
            if s.recs.len() == before {
                return fail("no_such_record");
            }
            s.writes += 1;
            json_ok(json!({"result": "success", "data": "record_removed"}))
        }
        _ => fail("no_cmd"),
    }
}

api_test!(
    dynv6_rest,
    Double {
        provider: "dynv6-api",
        base: "/api/v2",
        creds: "\toption token 'SECRET'\n",
        authorized: bearer_ok,
        route: dynv6,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"error": m})),
    }
);
api_test!(
    dreamhost_commands,
    Double {
        provider: "dreamhost",
        base: "",
        creds: "\toption token 'SECRET'\n",
        authorized: |r| r.query("key").as_deref() == Some(SECRET),
        route: dreamhost,
        setup: no_setup,
        error: |_, _| Reply::json(200, &json!({"result": "error", "data": "invalid_api_key"})),
    }
);

/// OVH's signature, checked the way the API does: over the URL as the client sent it.
fn ovh_signed(r: &Recorded) -> bool {
    let (Some(ts), Some(sig), Some(ck)) =
        (r.header("x-ovh-timestamp"), r.header("x-ovh-signature"), r.header("x-ovh-consumer"))
    else {
        return false;
    };
    if r.header("x-ovh-application") != Some("ovh-app-key") || ck != "ovh-consumer" {
        return false;
    }
    let url = format!("https://{}{}", r.header("host").unwrap_or(""), r.target);
    let plain = format!("{SECRET}+{ck}+{}+{url}+{}+{ts}", r.method, r.body);
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, plain.as_bytes());
    sig == format!("$1${}", verify::hex(digest.as_ref()))
}

fn ovh(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/1.0/domain/zone/{ZONE}");
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == format!("{base}/record") => {
            let (t, sub) = (r.query("fieldType").unwrap_or_default(), r.query("subDomain").unwrap_or_default());
            json_ok(Value::Array(
                s.recs.iter().filter(|x| x.rtype == t && to_empty(&x.name) == sub).map(|x| json!(x.id)).collect(),
            ))
        }
        ("GET", p) if p.starts_with(&format!("{base}/record/")) => {
            let id = p.rsplit('/').next().unwrap();
            let x = s.by_id(id).ok_or((404, format!("The requested object (id = {id}) does not exist")))?.clone();
            json_ok(
                json!({"id": x.id, "zone": ZONE, "subDomain": to_empty(&x.name), "fieldType": x.rtype, "target": x.value, "ttl": x.ttl}),
            )
        }
        ("PUT", p) if p.starts_with(&format!("{base}/record/")) => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit('/').next().unwrap(), str_of(&b, "target").map_err(bad)?, b["ttl"].as_u64())
                .map_err(|e| (404, e))?;
            json_ok(Value::Null)
        }
        ("POST", p) if p == format!("{base}/record") => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "subDomain").map_err(bad)?),
                    str_of(&b, "fieldType").map_err(bad)?,
                    str_of(&b, "target").map_err(bad)?,
                    u64_of(&b, "ttl").map_err(bad)?,
                )
                .map_err(bad)?;
            json_ok(json!({"id": rec.id}))
        }
        ("POST", p) if p == format!("{base}/refresh") => json_ok(Value::Null),
        _ => no_route(),
    }
}

api_test!(
    ovh_signed_api,
    Double {
        provider: "ovh-api",
        base: "/1.0",
        creds: "\toption username 'ovh-app-key'\n\toption password 'SECRET'\n\toption token 'ovh-consumer'\n",
        authorized: ovh_signed,
        route: ovh,
        setup: no_setup,
        error: |s, m| Reply::json(
            if s == 401 { 403 } else { s },
            &json!({"errorCode": "INVALID_SIGNATURE", "message": format!("Invalid signature ({m})")})
        ),
    }
);

/// The public key (PKCS#1 DER) of the TransIP account's key pair.
static TRANSIP_KEY: Mutex<Vec<u8>> = Mutex::new(Vec::new());

fn transip_keys(dir: &TempDir, _: &str) {
    *TRANSIP_KEY.lock().unwrap() = rsa_key(&dir.path(&format!("transip-{SECRET}.pem")));
    rsa_key(&dir.path(&format!("transip-wrong-{SECRET}.pem")));
}

fn transip(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() == "/v6/auth" {
        let signature = edgeddns::http::base64_decode(r.header("signature").unwrap_or("")).unwrap_or_default();
        let key = TRANSIP_KEY.lock().unwrap().clone();
        let valid = ring::signature::UnparsedPublicKey::new(&ring::signature::RSA_PKCS1_2048_8192_SHA512, key)
            .verify(r.body.as_bytes(), &signature);
        let b = body(r).map_err(bad)?;
        if valid.is_err()
            || b["login"] != "jdoe"
            || !b["nonce"].as_str().is_some_and(|n| !n.is_empty() && n.len() <= 32)
        {
            return Err((401, "Signature is not valid".into()));
        }
        return Ok(Reply::json(201, &json!({"token": "transip-access-token"})));
    }
    if r.header("authorization") != Some("Bearer transip-access-token") {
        return Err((401, "No valid authentication token".into()));
    }
    if r.path() != format!("/v6/domains/{ZONE}/dns") {
        return Err((404, "Domain not found".into()));
    }
    let entry = |r: &Recorded| -> Result<Value, (u16, String)> { Ok(body(r).map_err(bad)?["dnsEntry"].clone()) };
    match r.method.as_str() {
        "GET" => json_ok(
            json!({"dnsEntries": s.recs.iter().map(|x| json!({"name": x.name, "expire": x.ttl, "type": x.rtype, "content": x.value})).collect::<Vec<_>>()}),
        ),
        "PATCH" => {
            let e = entry(r)?;
            let matching: Vec<Rec> = s
                .recs
                .iter()
                .filter(|x| e["name"] == x.name.as_str() && e["type"] == x.rtype.as_str() && e["expire"] == x.ttl)
                .cloned()
                .collect();
            if matching.len() != 1 {
                return Err((404, "Entry not found or not unique".into()));
            }
            s.edit(&matching[0].id.to_string(), str_of(&e, "content").map_err(bad)?, None).map_err(bad)?;
            Ok(Reply::status(204, ""))
        }
        "POST" => {
            let e = entry(r)?;
            s.add(
                str_of(&e, "name").map_err(bad)?,
                str_of(&e, "type").map_err(bad)?,
                str_of(&e, "content").map_err(bad)?,
                u64_of(&e, "expire").map_err(bad)?,
            )
            .map_err(bad)?;
            Ok(Reply::status(201, ""))
        }
        _ => no_route(),
    }
}

api_test!(
    transip_signed_login,
    Double {
        provider: "transip",
        base: "/v6",
        creds: "\toption username 'jdoe'\n\toption key_file '{DIR}/transip-SECRET.pem'\n",
        // The login checks the key's signature; the DNS calls check the token it issued.
        authorized: |_| true,
        route: transip,
        setup: transip_keys,
        error: |s, m| Reply::json(s, &json!({"error": m})),
    }
);

fn azure(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() == "/tenant-1/oauth2/v2.0/token" {
        let form: Vec<(String, String)> = r
            .body
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), percent_decode(v)))
            .collect();
        let get = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
        if get("grant_type") != "client_credentials" || get("scope") != "https://management.azure.com/.default" {
            return Ok(Reply::json(
                400,
                &json!({"error": "invalid_request", "error_description": "AADSTS900144: bad request"}),
            ));
        }
        if get("client_id") != "app-id" || get("client_secret") != SECRET {
            return Ok(Reply::json(
                401,
                &json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}),
            ));
        }
        return json_ok(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "azure-access-token"}));
    }
    if r.header("authorization") != Some("Bearer azure-access-token") {
        return Err((401, "The access token is invalid.".into()));
    }
    if r.query("api-version").as_deref() != Some("2018-05-01") {
        return Err(bad("The api-version query parameter is required".into()));
    }
    let prefix = format!("/subscriptions/sub-1/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/{ZONE}/");
    let rest = r.path().strip_prefix(&prefix).ok_or((404, "The Resource was not found.".into()))?;
    let (rtype, name) = rest.split_once('/').ok_or((404, "no route".into()))?;
    let (key, field) = if rtype == "AAAA" { ("AAAARecords", "ipv6Address") } else { ("ARecords", "ipv4Address") };
    match r.method.as_str() {
        "GET" => {
            let recs = s.named(name, rtype);
            if recs.is_empty() {
                return Err((404, format!("The resource record '{name}' does not exist in resource group 'rg-dns'.")));
            }
            let list: Vec<Value> = recs.iter().map(|x| json!({field: x.value})).collect();
            json_ok(json!({"name": name, "properties": {"TTL": recs[0].ttl, key: list}}))
        }
        "PUT" => {
            let b = body(r).map_err(bad)?;
            let values: Vec<String> = b["properties"][key]
                .as_array()
                .ok_or(bad(format!("{key} missing")))?
                .iter()
                .map(|v| v[field].as_str().unwrap_or("").to_string())
                .collect();
            let ttl = b["properties"]["TTL"].as_u64().ok_or(bad("TTL missing".into()))?;
            s.set(name, rtype, &values, ttl).map_err(bad)?;
            json_ok(json!({"name": name, "properties": b["properties"]}))
        }
        _ => no_route(),
    }
}

api_test!(
    azure_service_principal,
    Double {
        provider: "azure",
        base: "",
        creds: "\toption username 'app-id'\n\toption password 'SECRET'\n\toption tenant 'tenant-1'\n\toption subscription 'sub-1'\n\
                \toption resource_group 'rg-dns'\n\toption login_server '{API}'\n",
        // The token endpoint checks the client secret; Resource Manager checks the token.
        authorized: |_| true,
        route: azure,
        setup: no_setup,
        error: |s, m| Reply::json(s, &json!({"error": {"code": "Error", "message": m}})),
    }
);

fn inwx(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/jsonrpc/" {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let p = &b["params"];
    let done = |data: Value| json_ok(json!({"code": 1000, "msg": "Command completed successfully", "resData": data}));
    let fail = |code: u32, msg: &str| json_ok(json!({"code": code, "msg": msg}));
    let method = b["method"].as_str().unwrap_or("");
    if method == "account.login" {
        if p["user"] != "jdoe" || p["pass"] != SECRET {
            return fail(2200, "Authentication error");
        }
        let mut reply =
            Reply::json(200, &json!({"code": 1000, "msg": "Command completed successfully", "resData": {"tfa": "0"}}));
        reply.headers.push(("Set-Cookie".into(), "domrobot=session-42; path=/; HttpOnly".into()));
        return Ok(reply);
    }
    if r.header("cookie") != Some("domrobot=session-42") {
        return fail(2002, "Command use error: not logged in");
    }
    match method {
        "nameserver.info" => {
            if p["domain"] != ZONE {
                return fail(2303, "Object does not exist");
            }
            let t = p["type"].as_str().unwrap_or("");
            let recs: Vec<Value> = s.recs.iter().filter(|x| t.is_empty() || x.rtype == t).map(|x| json!({"id": x.id, "name": fqdn(&x.name), "type": x.rtype, "content": x.value, "ttl": x.ttl, "prio": 0})).collect();
            done(json!({"domain": ZONE, "record": recs}))
        }
        "nameserver.updateRecord" => {
            let ttl = p["ttl"].as_u64().unwrap_or(3600);
            if ttl < 300 {
                return fail(2004, "Parameter value range error: ttl");
            }
            match s.edit(&p["id"].to_string(), p["content"].as_str().unwrap_or(""), Some(ttl)) {
                Ok(()) => done(Value::Null),
                Err(e) => fail(2303, &e),
            }
        }
        "nameserver.createRecord" => match s.add(
            &from_empty(p["name"].as_str().unwrap_or("")),
            p["type"].as_str().unwrap_or(""),
            p["content"].as_str().unwrap_or(""),
            p["ttl"].as_u64().unwrap_or(3600),
        ) {
            Ok(rec) => done(json!({"id": rec.id})),
            Err(e) => fail(2004, &e),
        },
        "account.logout" => json_ok(json!({"code": 1500, "msg": "Command completed successfully; ending session"})),
        _ => fail(2000, "Unknown command"),
    }
}

api_test!(
    inwx_domrobot_session,
    Double {
        provider: "inwx-api",
        base: "/jsonrpc",
        creds: "\toption username 'jdoe'\n\toption password 'SECRET'\n",
        // The login checks the password; later calls carry the session cookie.
        authorized: |_| true,
        route: inwx,
        setup: no_setup,
        error: |_, m| Reply::json(200, &json!({"code": 2400, "msg": m})),
    }
);
