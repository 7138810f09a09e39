//! Gandi LiveDNS v5: rrsets by name and type.

use super::*;

pub const DOUBLE: Double =
    Double::new("gandi", "/v5/livedns", "\toption token 'SECRET'\n", bearer_ok, route, message_error);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let p = r
        .path()
        .strip_prefix(&format!("/v5/livedns/domains/{ZONE}/records/"))
        .ok_or((404, "domain not found".into()))?;
    let (name, rtype) = p.split_once('/').ok_or((404, "no route".into()))?;
    let existing = s.named(name, rtype);
    match r.method.as_str() {
        "GET" if existing.is_empty() => Err((404, "Can't find the DNS record".into())),
        "GET" => json_ok(json!({"rrset_name": name, "rrset_type": rtype, "rrset_ttl": existing[0].ttl,
                                "rrset_values": existing.iter().map(|r| r.value.clone()).collect::<Vec<_>>()})),
        "PUT" => {
            let b = body(r).map_err(bad)?;
            let values: Vec<String> = b["rrset_values"]
                .as_array()
                .ok_or(bad("rrset_values missing".into()))?
                .iter()
                .map(|v| v.as_str().unwrap_or("").to_string())
                .collect();
            s.set(name, rtype, &values, u64_of(&b, "rrset_ttl").map_err(bad)?).map_err(bad)?;
            Ok(Reply::json(201, &json!({"message": "DNS Record Created"})))
        }
        _ => no_route(),
    }
}
