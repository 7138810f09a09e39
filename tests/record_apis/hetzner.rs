//! Hetzner Cloud DNS: RRsets under /v1/zones/{zone}/rrsets, records set by action.

use super::*;

pub const DOUBLE: Double = Double::new("hetzner", "/v1", "\toption token 'SECRET'\n", bearer_ok, route, |s, m| {
    Reply::json(s, &json!({"error": {"code": "error", "message": m}}))
});

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let p = r.path().strip_prefix(&format!("/v1/zones/{ZONE}/rrsets")).ok_or((404, "zone not found".into()))?;
    let parts: Vec<&str> = p.split('/').filter(|x| !x.is_empty()).collect();
    match (r.method.as_str(), parts.as_slice()) {
        ("GET", [name, rtype]) => {
            let recs = s.named(name, rtype);
            if recs.is_empty() {
                return Err((404, "rrset not found".into()));
            }
            let records: Vec<Value> = recs.iter().map(|r| json!({"value": r.value, "comment": null})).collect();
            json_ok(
                json!({"rrset": {"id": format!("{name}/{rtype}"), "name": name, "type": rtype, "ttl": recs[0].ttl, "records": records}}),
            )
        }
        ("POST", [name, rtype, "actions", "set_records"]) => {
            if s.named(name, rtype).is_empty() {
                return Err((404, "rrset not found".into()));
            }
            let b = body(r).map_err(bad)?;
            let values = values(&b)?;
            let ttl = s.named(name, rtype)[0].ttl;
            s.set(name, rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::json(201, &json!({"action": {"id": 1, "command": "set_rrset_records", "status": "running"}})))
        }
        ("POST", []) => {
            let b = body(r).map_err(bad)?;
            let (name, rtype) = (str_of(&b, "name").map_err(bad)?, str_of(&b, "type").map_err(bad)?);
            if !s.named(name, rtype).is_empty() {
                return Err((409, "rrset already exists".into()));
            }
            let values = values(&b)?;
            s.set(name, rtype, &values, u64_of(&b, "ttl").map_err(bad)?).map_err(bad)?;
            Ok(Reply::json(201, &json!({"rrset": {"name": name, "type": rtype}, "action": {"id": 2}})))
        }
        _ => no_route(),
    }
}

/// The values of an RRset's `records` list.
fn values(b: &Value) -> Result<Vec<String>, (u16, String)> {
    let records = b["records"].as_array().ok_or(bad("records missing".into()))?;
    Ok(records.iter().map(|v| v["value"].as_str().unwrap_or("").to_string()).collect())
}
