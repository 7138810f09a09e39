//! Spaceship API: one forced PUT of record items.

use super::*;

pub const DOUBLE: Double = Double::new(
    "spaceship",
    "/api/v1",
    "\toption token 'sp-key'\n\toption password 'SECRET'\n",
    |r| r.header("x-api-key") == Some("sp-key") && header_ok(r, "x-api-secret"),
    route,
    |s, m| Reply::json(s, &json!({"detail": m})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
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
