//! dynv6 REST API: the zone by name, records by id; no TTL per record.

use super::*;

pub const DOUBLE: Double =
    Double::new("dynv6-api", "/api/v2", "\toption token 'SECRET'\n", bearer_ok, route, |s, m| {
        Reply::json(s, &json!({"error": m}))
    })
    .with_ttl(None);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
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
