//! GoDaddy domains API: PUT replaces a name/type set; TTL at least 600.

use super::*;

pub const DOUBLE: Double = Double::new(
    "godaddy",
    "",
    "\toption token 'gd-key'\n\toption password 'SECRET'\n",
    |r| r.header("authorization") == Some(&format!("sso-key gd-key:{SECRET}")),
    route,
    |s, m| Reply::json(s, &json!({"code": "UNABLE_TO_AUTHENTICATE", "message": m})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let p = r.path().strip_prefix(&format!("/v1/domains/{ZONE}/records/")).ok_or((404, "domain not found".into()))?;
    let (rtype, name) = p.split_once('/').ok_or((404, "no route".into()))?;
    match r.method.as_str() {
        "GET" => json_ok(Value::Array(
            s.named(name, rtype)
                .iter()
                .map(|r| json!({"data": r.value, "name": name, "ttl": r.ttl, "type": rtype}))
                .collect(),
        )),
        "PUT" => {
            let b = body(r).map_err(bad)?;
            let list = b.as_array().ok_or(bad("the body must be an array of records".into()))?;
            let ttl = list.first().map(|x| u64_of(x, "ttl")).transpose().map_err(bad)?.unwrap_or(3600);
            if ttl < 600 {
                return Err((422, "ttl must be at least 600".into()));
            }
            let values: Vec<String> =
                list.iter().map(|x| str_of(x, "data").map(str::to_string)).collect::<Result<_, _>>().map_err(bad)?;
            s.set(name, rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::status(200, ""))
        }
        _ => no_route(),
    }
}
