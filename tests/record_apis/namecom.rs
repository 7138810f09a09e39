//! Name.com API v4 with basic authentication.

use super::*;

pub const DOUBLE: Double = Double::new(
    "name.com",
    "",
    "\toption username 'nc-user'\n\toption token 'SECRET'\n",
    |r| basic_ok(r, "nc-user"),
    route,
    message_error,
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/v4/domains/{ZONE}/records");
    let view = |r: &Rec| {
        let mut v = json!({"id": r.id, "domainName": ZONE, "fqdn": format!("{}.", fqdn(&r.name)), "type": r.rtype, "answer": r.value, "ttl": r.ttl});
        if r.name != "@" {
            v["host"] = r.name.clone().into();
        }
        v
    };
    let fields = |r: &Recorded| -> Result<NewRecord, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let ttl = u64_of(&b, "ttl").map_err(bad)?;
        if ttl < 300 {
            return Err(bad("TTL must be at least 300".into()));
        }
        Ok((
            from_empty(b["host"].as_str().unwrap_or("")),
            str_of(&b, "type").map_err(bad)?.into(),
            str_of(&b, "answer").map_err(bad)?.into(),
            ttl,
        ))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == base => json_ok(json!({"records": s.recs.iter().map(view).collect::<Vec<_>>()})),
        ("POST", p) if p == base => {
            let (host, rtype, answer, ttl) = fields(r)?;
            json_ok(view(&s.add(&host, &rtype, &answer, ttl).map_err(bad)?))
        }
        ("PUT", p) if p.starts_with(&format!("{base}/")) => {
            let (_, _, answer, ttl) = fields(r)?;
            s.edit(p.rsplit('/').next().unwrap(), &answer, Some(ttl)).map_err(|e| (404, e))?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}
