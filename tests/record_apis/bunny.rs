//! Bunny DNS: record types as numbers, the zone found by search.

use super::*;

pub const DOUBLE: Double = Double::new(
    "bunny",
    "",
    "\toption token 'SECRET'\n",
    |r| header_ok(r, "accesskey"),
    route,
    |s, m| Reply::json(s, &json!({"ErrorKey": "unauthorized", "Message": m})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let code = |t: &str| if t == "AAAA" { 1 } else { 0 };
    let rtype = |c: u64| if c == 1 { "AAAA" } else { "A" };
    match (r.method.as_str(), r.path()) {
        ("GET", "/dnszone") => {
            let records: Vec<Value> = s.recs.iter().map(|x| json!({"Id": x.id, "Type": code(&x.rtype), "Ttl": x.ttl, "Value": x.value, "Name": to_empty(&x.name)})).collect();
            let zones = vec![
                json!({"Id": 4711, "Domain": ZONE, "Records": records}),
                json!({"Id": 4712, "Domain": "example.net", "Records": []}),
            ];
            let search = r.query("search").unwrap_or_default();
            let items: Vec<Value> =
                zones.into_iter().filter(|z| z["Domain"].as_str().unwrap().contains(&search)).collect();
            json_ok(json!({"Items": items, "CurrentPage": 1, "TotalItems": items.len(), "HasMoreItems": false}))
        }
        ("PUT", "/dnszone/4711/records") => {
            let b = body(r).map_err(bad)?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "Name").map_err(bad)?),
                    rtype(u64_of(&b, "Type").map_err(bad)?),
                    str_of(&b, "Value").map_err(bad)?,
                    u64_of(&b, "Ttl").map_err(bad)?,
                )
                .map_err(bad)?;
            Ok(Reply::json(201, &json!({"Id": rec.id})))
        }
        ("POST", p) if p.starts_with("/dnszone/4711/records/") => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit('/').next().unwrap(), str_of(&b, "Value").map_err(bad)?, b["Ttl"].as_u64())
                .map_err(|e| (404, e))?;
            Ok(Reply::status(204, ""))
        }
        _ => no_route(),
    }
}
