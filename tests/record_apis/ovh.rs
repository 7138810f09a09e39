//! OVHcloud API: requests signed with the application secret and consumer key.

use super::*;

pub const DOUBLE: Double = Double::new(
    "ovh-api",
    "/1.0",
    "\toption username 'ovh-app-key'\n\toption password 'SECRET'\n\toption token 'ovh-consumer'\n",
    ovh_signed,
    route,
    |s, m| {
        Reply::json(
            if s == 401 { 403 } else { s },
            &json!({"errorCode": "INVALID_SIGNATURE", "message": format!("Invalid signature ({m})")}),
        )
    },
);

scenario_tests!();

/// OVH's signature, checked the way the API does: over the URL as the client sent it.
fn ovh_signed(r: &Recorded) -> bool {
    let (Some(ts), Some(sig), Some(ck)) =
        (r.header("x-ovh-timestamp"), r.header("x-ovh-signature"), r.header("x-ovh-consumer"))
    else {
        return false;
    };
    if r.header("x-ovh-application") != Some("ovh-app-key") || ck != "ovh-consumer" {
        return false;
    }
    let url = format!("https://{}{}", r.header("host").unwrap_or(""), r.target);
    let plain = format!("{SECRET}+{ck}+{}+{url}+{}+{ts}", r.method, r.body);
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, plain.as_bytes());
    sig == format!("$1${}", verify::hex(digest.as_ref()))
}

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let base = format!("/1.0/domain/zone/{ZONE}");
    match (r.method.as_str(), r.path()) {
        ("GET", p) if p == format!("{base}/record") => {
            let (t, sub) = (r.query("fieldType").unwrap_or_default(), r.query("subDomain").unwrap_or_default());
            json_ok(Value::Array(
                s.recs.iter().filter(|x| x.rtype == t && to_empty(&x.name) == sub).map(|x| json!(x.id)).collect(),
            ))
        }
        ("GET", p) if p.starts_with(&format!("{base}/record/")) => {
            let id = p.rsplit('/').next().unwrap();
            let x = s.by_id(id).ok_or((404, format!("The requested object (id = {id}) does not exist")))?.clone();
            json_ok(
                json!({"id": x.id, "zone": ZONE, "subDomain": to_empty(&x.name), "fieldType": x.rtype, "target": x.value, "ttl": x.ttl}),
            )
        }
        ("PUT", p) if p.starts_with(&format!("{base}/record/")) => {
            let b = body(r).map_err(bad)?;
            s.edit(p.rsplit('/').next().unwrap(), str_of(&b, "target").map_err(bad)?, b["ttl"].as_u64())
                .map_err(|e| (404, e))?;
            json_ok(Value::Null)
        }
        ("POST", p) if p == format!("{base}/record") => {
            let b = body(r).map_err(bad)?;
            let rec = s.add_from(&b, ["subDomain", "fieldType", "target", "ttl"])?;
            json_ok(json!({"id": rec.id}))
        }
        ("POST", p) if p == format!("{base}/refresh") => json_ok(Value::Null),
        _ => no_route(),
    }
}
