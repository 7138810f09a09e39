//! Njalla JSON-RPC API: errors as HTTP 200 with an error object.

use super::*;

// Njalla answers errors with HTTP 200 and an error object.
pub const DOUBLE: Double = Double::new(
    "njalla",
    "/api/1/",
    "\toption token 'SECRET'\n",
    |r| r.header("authorization") == Some(&format!("Njalla {SECRET}")),
    route,
    |_, m| Reply::json(200, &json!({"jsonrpc": "2.0", "error": {"code": 403, "message": m}})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/api/1/" {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let p = &b["params"];
    if p["domain"] != ZONE {
        return json_ok(json!({"jsonrpc": "2.0", "error": {"code": 404, "message": "Domain not found."}}));
    }
    let view =
        |r: &Rec| json!({"id": r.id.to_string(), "name": r.name, "type": r.rtype, "content": r.value, "ttl": r.ttl});
    let result = match b["method"].as_str() {
        Some("list-records") => json!({"records": s.recs.iter().map(view).collect::<Vec<_>>()}),
        Some("add-record") => {
            let x = (str_of(p, "name"), str_of(p, "type"), str_of(p, "content"), u64_of(p, "ttl"));
            let (Ok(n), Ok(t), Ok(c), Ok(ttl)) = x else {
                return json_ok(json!({"error": {"code": 400, "message": "Invalid params."}}));
            };
            view(&s.add(n, t, c, ttl).map_err(bad)?)
        }
        Some("edit-record") => {
            let id = p["id"]
                .as_str()
                .map(str::to_string)
                .or_else(|| p["id"].as_u64().map(|i| i.to_string()))
                .unwrap_or_default();
            if s.edit(&id, p["content"].as_str().unwrap_or(""), None).is_err() {
                return json_ok(json!({"error": {"code": 404, "message": "Record not found."}}));
            }
            json!({"id": id})
        }
        _ => return json_ok(json!({"error": {"code": 400, "message": "Unknown method."}})),
    };
    json_ok(json!({"jsonrpc": "2.0", "result": result}))
}
