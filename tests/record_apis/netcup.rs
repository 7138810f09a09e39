//! netcup CCP DNS API: a session per run, records with the zone's TTL.

use super::*;

// The password is checked at login; later calls carry the session instead.
pub const DOUBLE: Double = Double::new(
    "netcup",
    "/run/webservice/servers/endpoint.php?JSON",
    "\toption username '12345'\n\toption token 'nc-key'\n\toption password 'SECRET'\n",
    |r| !r.body.contains("\"login\"") || r.body.contains(&format!("\"apipassword\":\"{SECRET}\"")),
    route,
    |_, m| Reply::json(200, &json!({"status": "error", "statuscode": 4013, "longmessage": m})),
)
.with_ttl(None);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/run/webservice/servers/endpoint.php" || r.query("JSON").is_none() {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let p = &b["param"];
    let reply = |status: &str, code: u32, msg: &str, data: Value| {
        json_ok(json!({"serverrequestid": "s", "action": b["action"], "status": status, "statuscode": code,
                       "shortmessage": msg, "longmessage": msg, "responsedata": data}))
    };
    if p["customernumber"] != "12345" || p["apikey"] != "nc-key" {
        return reply("error", 4013, "The given api key is not valid.", json!(""));
    }
    let action = b["action"].as_str().unwrap_or("");
    if action == "login" {
        return reply("success", 2000, "Login successful", json!({"apisessionid": "sess-77"}));
    }
    if p["apisessionid"] != "sess-77" || p.get("apipassword").is_some() {
        return reply("error", 4001, "The session id is not in a valid format.", json!(""));
    }
    if action != "logout" && p["domainname"] != ZONE {
        return reply("error", 5029, "Can not get DNS records for zone.", json!(""));
    }
    let view = |x: &Rec| json!({"id": x.id.to_string(), "hostname": x.name, "type": x.rtype, "priority": "0", "destination": x.value, "deleterecord": false, "state": "yes"});
    match action {
        "infoDnsRecords" => reply(
            "success",
            2000,
            "DNS records found",
            json!({"dnsrecords": s.recs.iter().map(view).collect::<Vec<_>>()}),
        ),
        "updateDnsRecords" => {
            for rec in p["dnsrecordset"]["dnsrecords"].as_array().ok_or(bad("dnsrecords missing".into()))? {
                let dest = str_of(rec, "destination").map_err(bad)?;
                let result = match rec["id"].as_str() {
                    Some(id) => s.edit(id, dest, None),
                    None => s
                        .add(str_of(rec, "hostname").map_err(bad)?, str_of(rec, "type").map_err(bad)?, dest, 300)
                        .map(drop),
                };
                if let Err(e) = result {
                    return reply("error", 4014, &e, json!(""));
                }
            }
            reply(
                "success",
                2000,
                "DNS records successful updated",
                json!({"dnsrecords": s.recs.iter().map(view).collect::<Vec<_>>()}),
            )
        }
        "logout" => reply("success", 2000, "Logout successful", json!("")),
        _ => no_route(),
    }
}
