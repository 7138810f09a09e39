//! Cloudflare API v4: the zone found by name, records by type and name, PATCH and DELETE by id;
//! every answer an envelope with `success` and coded `errors`.

use super::*;

pub const DOUBLE: Double =
    Double::new("cloudflare", "/client/v4", "\toption token 'SECRET'\n", bearer_ok, route, error);

scenario_tests!();

/// Cloudflare's error envelope; a bad token is a 403 with code 9109.
fn error(status: u16, m: &str) -> Reply {
    match status {
        401 => failure(403, 9109, "Invalid access token"),
        404 => failure(404, 7003, m),
        _ => failure(status, 1004, m),
    }
}

fn failure(status: u16, code: u32, m: &str) -> Reply {
    Reply::json(
        status,
        &json!({"success": false, "errors": [{"code": code, "message": m}], "messages": [], "result": null}),
    )
}

fn success(result: Value) -> Answer {
    json_ok(json!({"success": true, "errors": [], "messages": [], "result": result}))
}

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let view = |x: &Rec| json!({"id": format!("rec{}", x.id), "type": x.rtype, "name": fqdn(&x.name), "content": x.value, "ttl": x.ttl, "proxied": false});
    let records = "/client/v4/zones/zone-1/dns_records";
    match (r.method.as_str(), r.path()) {
        ("GET", "/client/v4/zones") => match r.query("name").as_deref() {
            Some(ZONE) => success(json!([{"id": "zone-1", "name": ZONE}])),
            _ => success(json!([])),
        },
        ("GET", p) if p == records => {
            let found: Vec<Value> = s.listed(r, "name", fqdn, "type").iter().map(view).collect();
            success(Value::Array(found))
        }
        (m @ ("PATCH" | "POST"), p) if p.starts_with(records) => {
            let Ok(b) = body(r) else {
                return Ok(failure(400, 9207, "Request body is invalid."));
            };
            let (Ok(rtype), Ok(content), Some(ttl)) = (str_of(&b, "type"), str_of(&b, "content"), b["ttl"].as_u64())
            else {
                return Ok(failure(400, 9005, "Content for record is invalid."));
            };
            // ttl 1 is "automatic"; otherwise 60 s to a day.
            if (ttl != 1 && !(60..=86400).contains(&ttl)) || valid(rtype, content).is_err() {
                return Ok(failure(400, 9005, "Content for record is invalid."));
            }
            if m == "PATCH" {
                let id = p.rsplit("/rec").next().unwrap_or("");
                if s.edit(id, content, Some(ttl)).is_err() {
                    return Ok(failure(404, 81044, "Record does not exist."));
                }
                return success(view(s.by_id(id).unwrap()));
            }
            let name = str_of(&b, "name").map_err(bad)?;
            let rel = if name == ZONE {
                "@"
            } else {
                name.strip_suffix(&format!(".{ZONE}")).ok_or(bad("name outside the zone".into()))?
            };
            let rec = s.add(rel, rtype, content, ttl).map_err(bad)?;
            success(view(&rec))
        }
        // The API answers a deletion with the id of the record it removed.
        ("DELETE", p) if p.starts_with(records) => {
            let id = p.rsplit("/rec").next().unwrap_or("");
            if s.by_id(id).is_none() {
                return Ok(failure(404, 81044, "Record does not exist."));
            }
            s.recs.retain(|x| x.id.to_string() != id);
            s.writes += 1;
            success(json!({"id": format!("rec{id}")}))
        }
        _ => no_route(),
    }
}

/// `on_absent 'delete'`: a LAN host published before whose device is in no neighbour table (a
/// MAC nothing on this machine has) is withdrawn: one DELETE, the zone loses that record and only
/// it, the state says `withdrawn`, and a second run sends nothing more.
#[test]
fn a_gone_lan_device_is_deleted() {
    let rig = Rig::start(&DOUBLE, Family::V4);
    let path = rig.config(SECRET, "");
    let host = "config host 'nas'\n\toption service 'api'\n\tlist hostname 'other.example.org'\n\
                \toption mac '02:00:5e:10:ed:01'\n\toption ipv4 'lan'\n\toption lan_device 'lo'\n\
                \toption on_absent 'delete'\n\toption absent_grace '0'\n";
    let cfg = std::fs::read_to_string(&path).unwrap().replace("\tlist hostname 'new.example.org'\n", "");
    std::fs::write(&path, format!("{cfg}{host}")).unwrap();
    std::fs::create_dir_all(rig.dir.path("run")).unwrap();
    rig.dir.write("run/state.json", r#"{"records": {"nas/other.example.org/ipv4": {"registered": "192.0.2.9"}}}"#);
    let deletes =
        || rig.api.requests().iter().filter(|r| r.method == "DELETE").map(|r| r.path().to_string()).collect::<Vec<_>>();
    for _ in 0..2 {
        let out = run(&["-c", &path, "once"]);
        assert!(out.status.success(), "{}\n{:#?}", text(&out), rig.api.requests());
        assert_eq!(deletes(), ["/client/v4/zones/zone-1/dns_records/rec102"], "{}", text(&out));
    }
    assert!(rig.values("other").is_empty());
    assert_eq!(rig.values("home"), [Family::V4.address()], "the router's own record is updated as ever");
    let state: Value = serde_json::from_str(&std::fs::read_to_string(rig.dir.path("run/state.json")).unwrap()).unwrap();
    let rec = &state["records"]["nas/other.example.org/ipv4"];
    assert_eq!((rec["result"].as_str(), rec["registered"].as_str()), (Some("withdrawn"), None), "{rec}");
}

#[test]
fn a_missing_record_is_named_and_the_others_still_updated() {
    let rig = Rig::start(&DOUBLE, Family::V4);
    let out = rig.once(&rig.config(SECRET, ""));
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "new.example.org does not exist and may not be made: {shown}");
    assert!(shown.contains("the A record new.example.org does not exist at Cloudflare"), "{shown}");
    assert_eq!(rig.values("home"), [Family::V4.address()]);
    assert!(rig.values("new").is_empty());
}

#[test]
fn a_bad_token_shows_cloudflares_reason_and_code() {
    let rig = Rig::start(&DOUBLE, Family::V4);
    let out = rig.once(&rig.config(&format!("wrong-{SECRET}"), ""));
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("Invalid access token (9109)") && shown.contains("stopped"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert_eq!(rig.values("home"), ["198.51.100.1"]);
}
