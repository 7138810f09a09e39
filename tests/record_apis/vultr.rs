//! Vultr DNS API v2: records by UUID.

use super::*;

pub const DOUBLE: Double = Double::new("vultr", "/v2", "\toption token 'SECRET'\n", bearer_ok, route, |s, m| {
    Reply::json(s, &json!({"error": m, "status": s}))
});

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v2/domains/{ZONE}/records");
    let view = |r: &Rec| json!({"id": format!("uuid-{}", r.id), "type": r.rtype, "name": to_empty(&r.name), "data": r.value, "priority": -1, "ttl": r.ttl});
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => {
            json_ok(json!({"records": s.recs.iter().map(view).collect::<Vec<_>>(), "meta": {"total": s.recs.len()}}))
        }
        ("POST", p) if p == base => {
            let b = body(r).map_err(bad)?;
            let rec = s.add_from(&b, ["name", "type", "data", "ttl"])?;
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
