//! Azure DNS (Resource Manager): a client-credentials token, one PUT per record set.

use super::*;

// The token endpoint checks the client secret; Resource Manager checks the token.
pub const DOUBLE: Double = Double::new(
    "azure",
    "",
    "\toption username 'app-id'\n\toption password 'SECRET'\n\toption tenant 'tenant-1'\n\
     \toption subscription 'sub-1'\n\toption resource_group 'rg-dns'\n\toption login_server '{API}'\n",
    |_| true,
    route,
    |s, m| Reply::json(s, &json!({"error": {"code": "Error", "message": m}})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.path() == "/tenant-1/oauth2/v2.0/token" {
        let get = |k: &str| form_value(r, k);
        if get("grant_type") != "client_credentials" || get("scope") != "https://management.azure.com/.default" {
            return Ok(Reply::json(
                400,
                &json!({"error": "invalid_request", "error_description": "AADSTS900144: bad request"}),
            ));
        }
        if get("client_id") != "app-id" || get("client_secret") != SECRET {
            return Ok(Reply::json(
                401,
                &json!({"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."}),
            ));
        }
        return json_ok(json!({"token_type": "Bearer", "expires_in": 3599, "access_token": "azure-access-token"}));
    }
    if r.header("authorization") != Some("Bearer azure-access-token") {
        return Err((401, "The access token is invalid.".into()));
    }
    if r.query("api-version").as_deref() != Some("2018-05-01") {
        return Err(bad("The api-version query parameter is required".into()));
    }
    let prefix = format!("/subscriptions/sub-1/resourceGroups/rg-dns/providers/Microsoft.Network/dnsZones/{ZONE}/");
    let rest = r.path().strip_prefix(&prefix).ok_or((404, "The Resource was not found.".into()))?;
    let (rtype, name) = rest.split_once('/').ok_or((404, "no route".into()))?;
    let (key, field) = if rtype == "AAAA" { ("AAAARecords", "ipv6Address") } else { ("ARecords", "ipv4Address") };
    match r.method.as_str() {
        "GET" => {
            let recs = s.named(name, rtype);
            if recs.is_empty() {
                return Err((404, format!("The resource record '{name}' does not exist in resource group 'rg-dns'.")));
            }
            let list: Vec<Value> = recs.iter().map(|x| json!({field: x.value})).collect();
            json_ok(json!({"name": name, "properties": {"TTL": recs[0].ttl, key: list}}))
        }
        "PUT" => {
            let b = body(r).map_err(bad)?;
            let values: Vec<String> = b["properties"][key]
                .as_array()
                .ok_or(bad(format!("{key} missing")))?
                .iter()
                .map(|v| v[field].as_str().unwrap_or("").to_string())
                .collect();
            let ttl = b["properties"]["TTL"].as_u64().ok_or(bad("TTL missing".into()))?;
            s.set(name, rtype, &values, ttl).map_err(bad)?;
            json_ok(json!({"name": name, "properties": b["properties"]}))
        }
        _ => no_route(),
    }
}
