//! NameSilo API v1: GET operations with the key in the query; TTL at least an hour.

use super::*;

pub const DOUBLE: Double = Double::new(
    "namesilo",
    "/api",
    "\toption token 'SECRET'\n",
    |r| r.query("key").as_deref() == Some(SECRET),
    route,
    |_, m| Reply::json(200, &json!({"reply": {"code": 110, "detail": m}})),
)
.with_ttl(Some(3600));

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let reply = |code: u32, detail: &str, extra: Value| {
        let mut v = json!({"request": {"operation": r.path().trim_start_matches("/api/"), "ip": "127.0.0.1"}, "reply": {"code": code, "detail": detail}});
        v["reply"].as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        json_ok(v)
    };
    if r.method != "GET" || r.query("version").as_deref() != Some("1") || r.query("type").as_deref() != Some("json") {
        return no_route();
    }
    if r.query("domain").as_deref() != Some(ZONE) {
        return reply(200, "Domain is not active, or does not belong to this user", json!({}));
    }
    let q = |k: &str| r.query(k).unwrap_or_default();
    match r.path() {
        "/api/dnsListRecords" => {
            let recs: Vec<Value> = s.recs.iter().map(|x| json!({"record_id": format!("rr{}", x.id), "type": x.rtype, "host": fqdn(&x.name), "value": x.value, "ttl": x.ttl.to_string(), "distance": 0})).collect();
            reply(300, "success", json!({"resource_record": recs}))
        }
        "/api/dnsUpdateRecord" => {
            let ttl: u64 = q("rrttl").parse().unwrap_or(7207);
            if ttl < 3600 {
                return reply(280, "TTL must be at least 3600", json!({}));
            }
            match s.edit(q("rrid").trim_start_matches("rr"), &q("rrvalue"), Some(ttl)) {
                Ok(()) => reply(300, "success", json!({"record_id": q("rrid")})),
                Err(e) => reply(280, &e, json!({})),
            }
        }
        "/api/dnsAddRecord" => {
            match s.add(&from_empty(&q("rrhost")), &q("rrtype"), &q("rrvalue"), q("rrttl").parse().unwrap_or(7207)) {
                Ok(rec) => reply(300, "success", json!({"record_id": format!("rr{}", rec.id)})),
                Err(e) => reply(280, &e, json!({})),
            }
        }
        _ => no_route(),
    }
}
