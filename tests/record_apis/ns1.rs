//! NS1 records API: one answer list per domain and type.

use super::*;

pub const DOUBLE: Double =
    Double::new("ns1", "", "\toption token 'SECRET'\n", |r| header_ok(r, "x-nsone-key"), route, message_error);

scenario_tests!();

fn route(r: &Recorded, s: &mut Store) -> Answer {
    let p = r.path().strip_prefix(&format!("/v1/zones/{ZONE}/")).ok_or((404, "zone not found".into()))?;
    let (domain, rtype) = p.split_once('/').ok_or((404, "no route".into()))?;
    let name = domain.strip_suffix(&format!(".{ZONE}")).map(str::to_string).unwrap_or_else(|| {
        if domain == ZONE {
            "@".into()
        } else {
            domain.into()
        }
    });
    let answers = |b: &Value| -> Result<Vec<String>, (u16, String)> {
        b["answers"]
            .as_array()
            .ok_or(bad("answers missing".into()))?
            .iter()
            .map(|a| a["answer"][0].as_str().map(str::to_string).ok_or(bad("answer must be a list of strings".into())))
            .collect()
    };
    let existing = s.named(&name, rtype);
    match r.method.as_str() {
        "GET" if existing.is_empty() => Err((404, "record not found".into())),
        "GET" => json_ok(json!({"zone": ZONE, "domain": domain, "type": rtype, "ttl": existing[0].ttl,
                                "answers": existing.iter().map(|r| json!({"answer": [r.value]})).collect::<Vec<_>>()})),
        "POST" if existing.is_empty() => Err((404, "record not found".into())),
        "POST" => {
            let b = body(r).map_err(bad)?;
            s.set(&name, rtype, &answers(&b)?, b["ttl"].as_u64().unwrap_or(existing[0].ttl)).map_err(bad)?;
            json_ok(json!({}))
        }
        "PUT" if !existing.is_empty() => Err((400, "record already exists".into())),
        "PUT" => {
            let b = body(r).map_err(bad)?;
            if b["zone"] != ZONE || b["domain"] != domain || b["type"] != rtype {
                return Err(bad("zone, domain and type must match the path".into()));
            }
            s.set(&name, rtype, &answers(&b)?, u64_of(&b, "ttl").map_err(bad)?).map_err(bad)?;
            json_ok(json!({}))
        }
        _ => no_route(),
    }
}
