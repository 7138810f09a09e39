//! IONOS DNS API: zones by id, records created as a list.

use super::*;

pub const DOUBLE: Double = Double::new(
    "ionos",
    "/dns",
    "\toption token 'SECRET'\n",
    |r| header_ok(r, "x-api-key"),
    route,
    |s, m| Reply::json(s, &json!([{"code": "UNAUTHORIZED", "message": m}])),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let zone_id = "11af3414-ebba-11e9-8df5-66fbe8a334b4";
    let view = |r: &Rec| json!({"id": format!("rec-{}", r.id), "name": fqdn(&r.name), "rootName": ZONE, "type": r.rtype, "content": r.value, "ttl": r.ttl, "disabled": false});
    let zone = format!("/dns/v1/zones/{zone_id}");
    match (r.method.as_str(), r.path()) {
        ("GET", "/dns/v1/zones") => json_ok(json!([{"name": ZONE, "id": zone_id, "type": "NATIVE"}])),
        ("GET", p) if p == zone => {
            let recs: Vec<Value> = s.listed(r, "recordName", fqdn, "recordType").iter().map(view).collect();
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
