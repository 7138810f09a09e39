//! DNSPod token API: form POSTs, status codes in HTTP 200 answers.

use super::*;

// DNSPod reports every failure with HTTP 200 and a status code.
pub const DOUBLE: Double = Double::new(
    "dnspod",
    "",
    "\toption username '13490'\n\toption password 'SECRET'\n",
    |r| r.body.contains(&format!("login_token=13490%2C{SECRET}&")),
    route,
    |_, m| Reply::json(200, &json!({"status": {"code": "-1", "message": m}})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.header("content-type") != Some("application/x-www-form-urlencoded") || r.method != "POST" {
        return Err(bad("form POST expected".into()));
    }
    let get = |k: &str| form_value(r, k);
    let ok = |extra: Value| {
        let mut v = json!({"status": {"code": "1", "message": "Action completed successful"}});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json_ok(v)
    };
    let fail = |code: &str, m: &str| json_ok(json!({"status": {"code": code, "message": m}}));
    if get("format") != "json" || get("domain") != ZONE {
        return fail("6", "Domain id invalid");
    }
    match r.path() {
        "/Record.List" => {
            let recs: Vec<Value> = s.recs.iter().filter(|x| x.name == get("sub_domain") && x.rtype == get("record_type")).map(|x| json!({"id": x.id.to_string(), "name": x.name, "type": x.rtype, "value": x.value, "ttl": x.ttl.to_string(), "line": "默认", "line_id": "0"})).collect();
            ok(json!({"records": recs}))
        }
        "/Record.Modify" => {
            if get("record_line_id") != "0" {
                return fail("-15", "Record line invalid");
            }
            match s.edit(&get("record_id"), &get("value"), get("ttl").parse().ok()) {
                Ok(()) => ok(json!({"record": {"id": get("record_id")}})),
                Err(_) => fail("8", "Record id invalid"),
            }
        }
        "/Record.Create" => {
            match s.add(&get("sub_domain"), &get("record_type"), &get("value"), get("ttl").parse().unwrap_or(600)) {
                Ok(rec) => ok(json!({"record": {"id": rec.id.to_string()}})),
                Err(_) => fail("-15", "Record value invalid"),
            }
        }
        _ => no_route(),
    }
}
