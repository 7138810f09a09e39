//! DreamHost API commands: add the new value, then remove the old; no TTL per record.

use super::*;

pub const DOUBLE: Double = Double::new(
    "dreamhost",
    "",
    "\toption token 'SECRET'\n",
    |r| r.query("key").as_deref() == Some(SECRET),
    route,
    |_, _| Reply::json(200, &json!({"result": "error", "data": "invalid_api_key"})),
)
.with_ttl(None);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let q = |k: &str| r.query(k).unwrap_or_default();
    let fail = |why: &str| json_ok(json!({"result": "error", "data": why}));
    if r.method != "GET" || r.path() != "/" || q("format") != "json" || q("unique_id").is_empty() {
        return fail("invalid_request");
    }
    let rel = |record: &str| {
        if record == ZONE {
            Some("@".to_string())
        } else {
            record.strip_suffix(&format!(".{ZONE}")).map(str::to_string)
        }
    };
    match q("cmd").as_str() {
        "dns-list_records" => json_ok(
            json!({"result": "success", "data": s.recs.iter().map(|x| json!({"zone": ZONE, "record": fqdn(&x.name), "type": x.rtype, "value": x.value, "editable": "1"})).collect::<Vec<_>>()}),
        ),
        "dns-add_record" => {
            let Some(name) = rel(&q("record")) else { return fail("no_such_zone") };
            if s.named(&name, &q("type")).iter().any(|x| x.value == q("value")) {
                return fail("record_already_exists_not_editable");
            }
            match s.add(&name, &q("type"), &q("value"), 14400) {
                Ok(_) => json_ok(json!({"result": "success", "data": "record_added"})),
                Err(_) => fail("invalid_record"),
            }
        }
        "dns-remove_record" => {
            let Some(name) = rel(&q("record")) else { return fail("no_such_zone") };
            let before = s.recs.len();
            s.recs.retain(|x| !(x.name == name && x.rtype == q("type") && x.value == q("value")));
            if s.recs.len() == before {
                return fail("no_such_record");
            }
            s.writes += 1;
            json_ok(json!({"result": "success", "data": "record_removed"}))
        }
        _ => fail("no_cmd"),
    }
}
