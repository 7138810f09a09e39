//! ClouDNS API: auth-id and password in the query; TTLs from a fixed list.

use super::*;

pub const DOUBLE: Double = Double::new("cloudns", "", "\toption username '1234'\n\toption password 'SECRET'\n", |r| {
        r.query("auth-id").as_deref() == Some("1234") && r.query("auth-password").as_deref() == Some(SECRET)
    }, route, |_, m| {
        Reply::json(
            200,
            &json!({"status": "Failed", "statusDescription": format!("Invalid authentication, incorrect auth-id or auth-password. {m}")}),
        )
    }).with_ttl(Some(900));

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let q = |k: &str| r.query(k).unwrap_or_default();
    let failed = |why: &str| json_ok(json!({"status": "Failed", "statusDescription": why}));
    if r.method != "GET" || q("domain-name") != ZONE {
        return failed("Missing domain-name or the zone is not yours.");
    }
    match r.path() {
        "/dns/records.json" => {
            let found: serde_json::Map<String, Value> = s
                .recs
                .iter()
                .filter(|x| to_empty(&x.name) == q("host") && x.rtype == q("type"))
                .map(|x| (x.id.to_string(), json!({"id": x.id.to_string(), "type": x.rtype, "host": to_empty(&x.name), "record": x.value, "ttl": x.ttl.to_string(), "status": 1})))
                .collect();
            // ClouDNS lists nothing as an empty array, not an empty object.
            json_ok(if found.is_empty() { json!([]) } else { Value::Object(found) })
        }
        "/dns/mod-record.json" | "/dns/add-record.json" => {
            let ttl: u64 = q("ttl").parse().unwrap_or(0);
            if ![60, 300, 900, 1800, 3600, 21600, 43200, 86400].contains(&ttl) {
                return failed("Invalid TTL. Choose from the list of the values we support.");
            }
            let result = if r.path() == "/dns/mod-record.json" {
                s.edit(&q("record-id"), &q("record"), Some(ttl))
            } else {
                s.add(&from_empty(&q("host")), &q("record-type"), &q("record"), ttl).map(drop)
            };
            match result {
                Ok(()) => {
                    json_ok(json!({"status": "Success", "statusDescription": "The record was saved successfully."}))
                }
                Err(e) => failed(&e),
            }
        }
        _ => no_route(),
    }
}
