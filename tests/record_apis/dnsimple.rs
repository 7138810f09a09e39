//! DNSimple API v2: the account found through whoami.

use super::*;

pub const DOUBLE: Double = Double::new("dnsimple", "/v2", "\toption token 'SECRET'\n", bearer_ok, route, message_error);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v2/1385/zones/{ZONE}/records");
    let view = |x: &Rec| json!({"id": x.id, "zone_id": ZONE, "name": to_empty(&x.name), "content": x.value, "ttl": x.ttl, "type": x.rtype});
    match (r.method.as_str(), r.path()) {
        ("GET", "/v2/whoami") => {
            json_ok(json!({"data": {"user": null, "account": {"id": 1385, "email": "a@example.org"}}}))
        }
        ("GET", p) if p == base => {
            let recs: Vec<Value> = s.listed(r, "name", |n| to_empty(n).to_string(), "type").iter().map(view).collect();
            json_ok(json!({"data": recs, "pagination": {"current_page": 1, "total_pages": 1}}))
        }
        ("POST", p) if p == base => {
            let b = body(r).map_err(bad)?;
            let rec = s.add_from(&b, ["name", "type", "content", "ttl"])?;
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
