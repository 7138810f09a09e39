//! INWX DomRobot JSON-RPC: a login session carried by cookie.

use super::*;

// The login checks the password; later calls carry the session cookie.
pub const DOUBLE: Double = Double::new(
    "inwx-api",
    "/jsonrpc",
    "\toption username 'jdoe'\n\toption password 'SECRET'\n",
    |_| true,
    route,
    |_, m| Reply::json(200, &json!({"code": 2400, "msg": m})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/jsonrpc/" {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let p = &b["params"];
    let done = |data: Value| json_ok(json!({"code": 1000, "msg": "Command completed successfully", "resData": data}));
    let fail = |code: u32, msg: &str| json_ok(json!({"code": code, "msg": msg}));
    let method = b["method"].as_str().unwrap_or("");
    if method == "account.login" {
        if p["user"] != "jdoe" || p["pass"] != SECRET {
            return fail(2200, "Authentication error");
        }
        let mut reply =
            Reply::json(200, &json!({"code": 1000, "msg": "Command completed successfully", "resData": {"tfa": "0"}}));
        reply.headers.push(("Set-Cookie".into(), "domrobot=session-42; path=/; HttpOnly".into()));
        return Ok(reply);
    }
    if r.header("cookie") != Some("domrobot=session-42") {
        return fail(2002, "Command use error: not logged in");
    }
    match method {
        "nameserver.info" => {
            if p["domain"] != ZONE {
                return fail(2303, "Object does not exist");
            }
            let t = p["type"].as_str().unwrap_or("");
            let recs: Vec<Value> = s.recs.iter().filter(|x| t.is_empty() || x.rtype == t).map(|x| json!({"id": x.id, "name": fqdn(&x.name), "type": x.rtype, "content": x.value, "ttl": x.ttl, "prio": 0})).collect();
            done(json!({"domain": ZONE, "record": recs}))
        }
        "nameserver.updateRecord" => {
            let ttl = p["ttl"].as_u64().unwrap_or(3600);
            if ttl < 300 {
                return fail(2004, "Parameter value range error: ttl");
            }
            match s.edit(&p["id"].to_string(), p["content"].as_str().unwrap_or(""), Some(ttl)) {
                Ok(()) => done(Value::Null),
                Err(e) => fail(2303, &e),
            }
        }
        "nameserver.createRecord" => match s.add(
            &from_empty(p["name"].as_str().unwrap_or("")),
            p["type"].as_str().unwrap_or(""),
            p["content"].as_str().unwrap_or(""),
            p["ttl"].as_u64().unwrap_or(3600),
        ) {
            Ok(rec) => done(json!({"id": rec.id})),
            Err(e) => fail(2004, &e),
        },
        "account.logout" => json_ok(json!({"code": 1500, "msg": "Command completed successfully; ending session"})),
        _ => fail(2000, "Unknown command"),
    }
}
