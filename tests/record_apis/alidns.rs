//! Alibaba Cloud DNS: RPC-signed GET actions.

use super::*;

pub const DOUBLE: Double = Double::new(
    "alidns",
    "",
    "\toption username 'LTAI5tTestKey'\n\toption password 'SECRET'\n",
    |r| verify::aliyun(r, "LTAI5tTestKey", SECRET),
    route,
    |s, m| {
        Reply::json(
            if s == 401 { 400 } else { s },
            &json!({"RequestId": "r", "Code": "SignatureDoesNotMatch", "Message": m}),
        )
    },
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let pairs = verify::query_pairs(r);
    let get = |k: &str| {
        pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).ok_or(bad(format!("MissingParameter: {k}")))
    };
    if r.method != "GET" || r.path() != "/" || get("Format")? != "JSON" || get("Version")? != "2015-01-09" {
        return no_route();
    }
    let view = |x: &Rec| json!({"RR": x.name, "Type": x.rtype, "Value": x.value, "RecordId": x.id.to_string(), "TTL": x.ttl, "DomainName": ZONE, "Line": "default"});
    match get("Action")?.as_str() {
        "DescribeSubDomainRecords" => {
            let sub = get("SubDomain")?;
            let t = get("Type").ok();
            let recs: Vec<Value> = s
                .recs
                .iter()
                .filter(|x| fqdn(&x.name) == sub && t.as_deref().is_none_or(|t| x.rtype == t))
                .map(view)
                .collect();
            json_ok(json!({"RequestId": "r", "TotalCount": recs.len(), "DomainRecords": {"Record": recs}}))
        }
        "UpdateDomainRecord" => {
            let id = get("RecordId")?;
            if s.by_id(&id).is_some_and(|x| x.value == get("Value").unwrap_or_default()) {
                return Err(bad("DomainRecordDuplicate: the record already exists".into()));
            }
            s.edit(&id, &get("Value")?, get("TTL")?.parse().ok()).map_err(|e| (400, e))?;
            json_ok(json!({"RequestId": "r", "RecordId": id}))
        }
        "AddDomainRecord" => {
            if get("DomainName")? != ZONE {
                return Err(bad("InvalidDomainName.NoExist".into()));
            }
            let rec = s
                .add(&get("RR")?, &get("Type")?, &get("Value")?, get("TTL")?.parse().map_err(|_| bad("TTL".into()))?)
                .map_err(bad)?;
            json_ok(json!({"RequestId": "r", "RecordId": rec.id.to_string()}))
        }
        _ => no_route(),
    }
}
