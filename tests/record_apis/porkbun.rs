//! Porkbun API v3: credentials in the JSON body.

use super::*;

// Porkbun's credentials travel in the body; the route checks them.
pub const DOUBLE: Double = Double::new(
    "porkbun",
    "/api/json/v3",
    "\toption token 'pk1_key'\n\toption password 'SECRET'\n",
    |_| true,
    route,
    |s, m| Reply::json(s, &json!({"status": "ERROR", "message": m})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let b = body(r).map_err(bad)?;
    if r.method != "POST" {
        return no_route();
    }
    if b["apikey"] != "pk1_key" || b["secretapikey"] != SECRET {
        return Err((403, "Invalid API key. (002)".into()));
    }
    let p = r.path().strip_prefix("/api/json/v3/dns/").ok_or((404, "no route".into()))?;
    let parts: Vec<&str> = p.split('/').collect();
    let view = |r: &Rec| json!({"id": r.id.to_string(), "name": fqdn(&r.name), "type": r.rtype, "content": r.value, "ttl": r.ttl.to_string()});
    let result = match parts.as_slice() {
        ["retrieveByNameType", ZONE, rtype, rest @ ..] => {
            let name = rest.first().copied().unwrap_or("@");
            json!({"status": "SUCCESS", "records": s.named(name, rtype).iter().map(view).collect::<Vec<_>>()})
        }
        ["editByNameType", ZONE, rtype, rest @ ..] => {
            let name = rest.first().copied().unwrap_or("@");
            let ttl = str_of(&b, "ttl").map_err(bad)?.parse().map_err(|_| bad("ttl".into()))?;
            s.set(name, rtype, &[str_of(&b, "content").map_err(bad)?.to_string()], ttl).map_err(bad)?;
            json!({"status": "SUCCESS"})
        }
        ["create", ZONE] => {
            let ttl = str_of(&b, "ttl").map_err(bad)?.parse().map_err(|_| bad("ttl".into()))?;
            let rec = s
                .add(
                    &from_empty(str_of(&b, "name").map_err(bad)?),
                    str_of(&b, "type").map_err(bad)?,
                    str_of(&b, "content").map_err(bad)?,
                    ttl,
                )
                .map_err(bad)?;
            json!({"status": "SUCCESS", "id": rec.id})
        }
        _ => return no_route(),
    };
    json_ok(result)
}
