//! The status document: what `edgeddns status` prints, the daemon writes to its run directory,
//! the ubus `status` method returns and the LuCI page shows. Never holds a secret.

use crate::engine::Engine;
use crate::net::Family;
use crate::state::record_key;
use serde_json::{json, Value};

/// `next_action` texts ending in " at" are completed by `next_at` (Unix time), which the page
/// shows as a relative time.
pub fn snapshot(engine: &Engine, now: u64) -> Value {
    let cfg = &engine.config;
    let wan: Vec<Value> = engine
        .wan_views()
        .map(|w| {
            json!({
                "family": w.family.as_str(),
                "interface": w.interface,
                "address": w.address,
                "echo": w.echo,
                "verdict": w.verdict.as_str(),
                "explanation": w.explanation,
                "error": w.error,
                "checked_at": w.checked_at,
            })
        })
        .collect();
    let echo: Vec<Value> = Family::ALL
        .into_iter()
        .filter_map(|f| {
            engine.echo_result(f).map(|r| {
                let answers: Vec<Value> = r
                    .answers
                    .iter()
                    .map(|a| match &a.result {
                        Ok(ip) => json!({"service": a.service, "address": ip}),
                        Err(e) => json!({"service": a.service, "error": e}),
                    })
                    .collect();
                json!({"family": f.as_str(), "address": r.addr, "answers": answers})
            })
        })
        .collect();
    let mut services: Vec<Value> = cfg
        .services
        .iter()
        .map(|svc| {
            let mut records = Vec::new();
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
                for host in &svc.hostnames {
                    let key = record_key(&svc.name, host, family);
                    let rec = engine.state.records.get(&key).cloned().unwrap_or_default();
                    let plan = engine.plan(&key).cloned().unwrap_or_default();
                    let (next_action, next_at) = if rec.stopped {
                        ("stopped: fix the configuration, then save or press Update now".to_string(), None)
                    } else if let Some(t) = rec.retry_at.filter(|t| *t > now) {
                        ("retry at".to_string(), Some(t))
                    } else if let Some(w) = &plan.waiting {
                        (w.clone(), None)
                    } else if let Some(t) = rec.updated_at {
                        let due = t + svc.force_interval.as_secs();
                        ("update when the address changes; refresh at".to_string(), Some(due))
                    } else {
                        ("update at the next check".to_string(), None)
                    };
                    records.push(json!({
                        "hostname": host,
                        "family": family.as_str(),
                        "type": family.record_type(),
                        "desired": plan.desired,
                        "registered": rec.registered,
                        "last_update": rec.updated_at,
                        "last_attempt": rec.last_attempt,
                        "result": rec.result,
                        "error": rec.error,
                        "stopped": rec.stopped,
                        "next_action": next_action,
                        "next_at": next_at,
                    }));
                }
            }
            json!({
                "name": svc.name,
                "enabled": true,
                "provider": svc.provider,
                "provider_title": svc.preset.title,
                "hostnames": svc.hostnames,
                "records": records,
                "error": Value::Null,
            })
        })
        .collect();
    for e in &cfg.errors {
        services.push(json!({"name": e.service, "enabled": true, "error": e.message, "records": []}));
    }
    for name in &cfg.disabled {
        services.push(json!({"name": name, "enabled": false, "error": Value::Null, "records": []}));
    }
    json!({
        "version": env!("CARGO_PKG_VERSION"),
        "generated_at": now,
        "dry_run": engine.dry_run,
        "config": cfg.path,
        "wan": wan,
        "echo": echo,
        "services": services,
        "warnings": cfg.warnings,
    })
}
