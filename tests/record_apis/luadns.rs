//! LuaDNS REST API: fully qualified names with the final dot.

use super::*;

pub const DOUBLE: Double = Double::new(
    "luadns",
    "",
    "\toption username 'me@example.org'\n\toption token 'SECRET'\n",
    |r| basic_ok(r, "me@example.org"),
    route,
    message_error,
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.header("accept") != Some("application/json") {
        return Err((406, "Accept: application/json is required".into()));
    }
    let view = |r: &Rec| json!({"id": r.id, "name": format!("{}.", fqdn(&r.name)), "type": r.rtype, "content": r.value, "ttl": r.ttl, "zone_id": 5});
    let fields = |r: &Recorded| -> Result<NewRecord, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let name = str_of(&b, "name").map_err(bad)?;
        let rel = if name == format!("{ZONE}.") {
            "@".to_string()
        } else {
            name.strip_suffix(&format!(".{ZONE}."))
                .ok_or(bad("name must be fully qualified with the final dot".into()))?
                .to_string()
        };
        Ok((
            rel,
            str_of(&b, "type").map_err(bad)?.into(),
            str_of(&b, "content").map_err(bad)?.into(),
            u64_of(&b, "ttl").map_err(bad)?,
        ))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", "/v1/zones") => json_ok(json!([{"id": 4, "name": "example.net"}, {"id": 5, "name": ZONE}])),
        ("GET", "/v1/zones/5/records") => json_ok(Value::Array(s.recs.iter().map(view).collect())),
        ("POST", "/v1/zones/5/records") => {
            let (name, rtype, content, ttl) = fields(r)?;
            json_ok(view(&s.add(&name, &rtype, &content, ttl).map_err(bad)?))
        }
        ("PUT", p) if p.starts_with("/v1/zones/5/records/") => {
            let (_, _, content, ttl) = fields(r)?;
            s.edit(p.rsplit('/').next().unwrap(), &content, Some(ttl)).map_err(|e| (404, e))?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}
