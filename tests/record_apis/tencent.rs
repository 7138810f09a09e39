//! Tencent Cloud DNSPod API 3.0: TC3-signed JSON actions.

use super::*;

pub const DOUBLE: Double = Double::new(
    "tencent",
    "",
    "\toption username 'AKIDtest'\n\toption password 'SECRET'\n",
    |r| verify::tc3(r, "AKIDtest", SECRET),
    route,
    |_, m| {
        Reply::json(
            200,
            &json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": m}, "RequestId": "r"}}),
        )
    },
);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    if r.method != "POST" || r.path() != "/" || r.header("x-tc-version") != Some("2021-03-23") {
        return no_route();
    }
    let b = body(r).map_err(bad)?;
    let err =
        |code: &str, m: &str| json_ok(json!({"Response": {"Error": {"Code": code, "Message": m}, "RequestId": "r"}}));
    let ok = |mut v: Value| {
        v["RequestId"] = "r".into();
        json_ok(json!({"Response": v}))
    };
    if b["Domain"] != ZONE {
        return err("InvalidParameter.DomainInvalid", "domain not found");
    }
    match r.header("x-tc-action").unwrap_or("") {
        "DescribeRecordList" => {
            let (sub, t) = (b["Subdomain"].as_str().unwrap_or(""), b["RecordType"].as_str().unwrap_or(""));
            let recs: Vec<Value> = s.recs.iter().filter(|x| x.name == sub && x.rtype == t).map(|x| json!({"RecordId": x.id, "Name": x.name, "Type": x.rtype, "Value": x.value, "TTL": x.ttl, "Line": "默认"})).collect();
            if recs.is_empty() {
                return err("ResourceNotFound.NoDataOfRecord", "记录列表为空。");
            }
            ok(json!({"RecordList": recs}))
        }
        "ModifyRecord" => {
            let id = b["RecordId"].as_u64().ok_or(bad("RecordId must be an integer".into()))?;
            match s.edit(&id.to_string(), b["Value"].as_str().unwrap_or(""), b["TTL"].as_u64()) {
                Ok(()) => ok(json!({"RecordId": id})),
                Err(e) => err("InvalidParameter", &e),
            }
        }
        "CreateRecord" => {
            if b["RecordLine"] != "默认" {
                return err("InvalidParameter.RecordLineInvalid", "line");
            }
            match s.add(
                b["SubDomain"].as_str().unwrap_or(""),
                b["RecordType"].as_str().unwrap_or(""),
                b["Value"].as_str().unwrap_or(""),
                b["TTL"].as_u64().unwrap_or(600),
            ) {
                Ok(rec) => ok(json!({"RecordId": rec.id})),
                Err(e) => err("InvalidParameter", &e),
            }
        }
        _ => err("InvalidAction", "no such action"),
    }
}
