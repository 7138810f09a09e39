//! PowerDNS HTTP API: one PATCH of REPLACE rrsets per zone.

use super::*;

pub const DOUBLE: Double = Double::new(
    "powerdns",
    "",
    "\toption token 'SECRET'\n",
    |r| header_ok(r, "x-api-key"),
    route,
    |s, m| Reply::json(s, &json!({"error": m})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() != format!("/api/v1/servers/localhost/zones/{ZONE}.") {
        return Err((404, "Could not find domain".into()));
    }
    match r.method.as_str() {
        "GET" => {
            let mut rrsets: Vec<Value> = Vec::new();
            for rec in &s.recs {
                let name = format!("{}.", fqdn(&rec.name));
                match rrsets.iter_mut().find(|x| x["name"] == name.as_str() && x["type"] == rec.rtype.as_str()) {
                    Some(x) => x["records"].as_array_mut().unwrap().push(json!({"content": rec.value, "disabled": false})),
                    None => rrsets.push(json!({"name": name, "type": rec.rtype, "ttl": rec.ttl, "records": [{"content": rec.value, "disabled": false}]})),
                }
            }
            json_ok(json!({"name": format!("{ZONE}."), "kind": "Native", "rrsets": rrsets}))
        }
        "PATCH" => {
            let b = body(r).map_err(bad)?;
            for rrset in b["rrsets"].as_array().ok_or(bad("rrsets missing".into()))? {
                if rrset["changetype"] != "REPLACE" {
                    return Err(bad("only REPLACE is expected here".into()));
                }
                let name = str_of(rrset, "name").map_err(bad)?;
                let rel = name
                    .strip_suffix(&format!(".{ZONE}."))
                    .ok_or(bad(format!("RRset {name} is not in zone {ZONE}.")))?;
                let values: Vec<String> = rrset["records"]
                    .as_array()
                    .ok_or(bad("records missing".into()))?
                    .iter()
                    .map(|x| x["content"].as_str().unwrap_or("").to_string())
                    .collect();
                s.set(rel, str_of(rrset, "type").map_err(bad)?, &values, u64_of(rrset, "ttl").map_err(bad)?)
                    .map_err(bad)?;
            }
            Ok(Reply::status(204, ""))
        }
        _ => no_route(),
    }
}
