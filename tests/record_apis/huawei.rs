//! Huawei Cloud DNS: APIG-signed record sets.

use super::*;

pub const DOUBLE: Double = Double::new(
    "huaweicloud",
    "",
    "\toption username 'HWTESTAK'\n\toption password 'SECRET'\n",
    |r| verify::huawei(r, "HWTESTAK", SECRET),
    route,
    |s, m| Reply::json(s, &json!({"error_code": "APIGW.0301", "error_msg": m})),
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let zone = "/v2/zones/ff8080825b8fc86c015b94bc6f8712c3";
    let set_of = |name: &str, rtype: &str, recs: &[Rec]| json!({"id": format!("rs-{name}-{rtype}"), "name": format!("{}.", fqdn(name)), "type": rtype, "ttl": recs[0].ttl, "records": recs.iter().map(|x| x.value.clone()).collect::<Vec<_>>()});
    let fields = |r: &Recorded| -> Result<NewSet, (u16, String)> {
        let b = body(r).map_err(bad)?;
        let name = str_of(&b, "name").map_err(bad)?;
        let rel = name
            .strip_suffix(&format!(".{ZONE}."))
            .ok_or(bad("DNS.0303: name must end with the zone and a dot".into()))?;
        let values = b["records"]
            .as_array()
            .ok_or(bad("records missing".into()))?
            .iter()
            .map(|v| v.as_str().unwrap_or("").to_string())
            .collect();
        Ok((rel.into(), str_of(&b, "type").map_err(bad)?.into(), values, u64_of(&b, "ttl").map_err(bad)?))
    };
    match (r.method.as_str(), r.path()) {
        ("GET", "/v2/zones") => {
            let zones: Vec<Value> =
                [json!({"id": "ff8080825b8fc86c015b94bc6f8712c3", "name": format!("{ZONE}."), "zone_type": "public"})]
                    .into_iter()
                    .filter(|z| r.query("name").is_none_or(|n| z["name"] == n.as_str()))
                    .collect();
            json_ok(json!({"zones": zones, "metadata": {"total_count": zones.len()}}))
        }
        ("GET", p) if p == format!("{zone}/recordsets") => {
            let name = r.query("name").unwrap_or_default();
            let rtype = r.query("type").unwrap_or_default();
            let rel = name.strip_suffix(&format!(".{ZONE}.")).unwrap_or("");
            let recs = s.named(rel, &rtype);
            let sets = if recs.is_empty() { vec![] } else { vec![set_of(rel, &rtype, &recs)] };
            json_ok(json!({"recordsets": sets, "metadata": {"total_count": sets.len()}}))
        }
        ("POST", p) if p == format!("{zone}/recordsets") => {
            let (rel, rtype, values, ttl) = fields(r)?;
            if !s.named(&rel, &rtype).is_empty() {
                return Err(bad("DNS.0312: the record set exists".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::json(202, &json!({"id": format!("rs-{rel}-{rtype}"), "status": "PENDING_CREATE"})))
        }
        ("PUT", p) if p.starts_with(&format!("{zone}/recordsets/rs-")) => {
            let (rel, rtype, values, ttl) = fields(r)?;
            if p.rsplit('/').next() != Some(&format!("rs-{rel}-{rtype}")) || s.named(&rel, &rtype).is_empty() {
                return Err((404, "DNS.0305: record set not found".into()));
            }
            s.set(&rel, &rtype, &values, ttl).map_err(bad)?;
            Ok(Reply::json(202, &json!({"status": "PENDING_UPDATE"})))
        }
        _ => no_route(),
    }
}
