//! Scaleway Domains and DNS: one PATCH of changes per zone.

use super::*;

pub const DOUBLE: Double = Double::new(
    "scaleway",
    "/domain/v2beta1",
    "\toption token 'SECRET'\n",
    |r| header_ok(r, "x-auth-token"),
    route,
    message_error,
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() != format!("/domain/v2beta1/dns-zones/{ZONE}/records") {
        return no_route();
    }
    let view = |r: &Rec| json!({"id": format!("rec-{}", r.id), "name": to_empty(&r.name), "type": r.rtype, "data": r.value, "ttl": r.ttl});
    match r.method.as_str() {
        "GET" => {
            let recs: Vec<Value> = s.listed(r, "name", |n| to_empty(n).to_string(), "type").iter().map(view).collect();
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
