//! DigitalOcean domains API v2.

use super::*;

pub const DOUBLE: Double = Double::new("digitalocean", "/v2", "\toption token 'SECRET'\n", bearer_ok, route, |s, m| {
    Reply::json(s, &json!({"id": "unauthorized", "message": m}))
});

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v2/domains/{ZONE}/records");
    let view = |r: &Rec| json!({"id": r.id, "type": r.rtype, "name": r.name, "data": r.value, "ttl": r.ttl});
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => {
            let recs: Vec<Value> = s.listed(r, "name", fqdn, "type").iter().map(view).collect();
            json_ok(json!({"domain_records": recs, "meta": {"total": recs.len()}}))
        }
        ("POST", p) if p == base => {
            let b = body(r).map_err(bad)?;
            let rec = s.add_from(&b, ["name", "type", "data", "ttl"])?;
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
