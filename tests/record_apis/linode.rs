//! Linode (Akamai) domains API v4: the zone found by X-Filter, records by id.

use super::*;

pub const DOUBLE: Double = Double::new("linode", "/v4", "\toption token 'SECRET'\n", bearer_ok, route, |s, m| {
    Reply::json(s, &json!({"errors": [{"reason": m}]}))
});

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
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
            let rec = s.add_from(&b, ["name", "type", "target", "ttl_sec"])?;
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
