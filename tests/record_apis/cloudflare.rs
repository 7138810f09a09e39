//! Cloudflare API v4: the zone found by name, records by type and name, PATCH by id; every
//! answer an envelope with `success` and coded `errors`.

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
        _ => no_route(),
    }
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
