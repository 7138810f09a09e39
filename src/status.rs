//! The status document: what `edgeddns status` prints, the daemon writes to its run directory,
//! the ubus `status` method returns and the LuCI page shows. Never holds a secret.

use crate::config::Service;
use crate::engine::{Engine, Plan, WaitFor};
use crate::net::Family;
use crate::providers::Kind;
use crate::state::{Record, RecordKey};
use serde_json::{json, Value};

/// The version of the document's shape; README's "Status document" section describes it.
pub const SCHEMA: u32 = 2;

/// Each entry carries stable codes with their parameters (`verdict`, `note`, `outcome`, `next`)
/// for programs and the LuCI page, beside English text for people (`explanation`,
/// `next_action`; texts ending in " at" are completed by `next_at`).
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
                "note": w.note.map(|n| json!({"code": n.as_str()})),
                "explanation": w.explanation,
                "error": w.error,
                "checked_at": w.checked_at,
            })
        })
        .collect();
    let echo: Vec<Value> = engine
        .echo_results()
        .map(|(f, wan, r)| json!({"family": f.as_str(), "interface": wan, "address": r.addr, "answers": echo_answers(r)}))
        .collect();
    let mut services: Vec<Value> = cfg
        .services
        .iter()
        .map(|svc| {
            let mut records = Vec::new();
            for family in Family::ALL.into_iter().filter(|f| svc.wants(*f)) {
                for host in &svc.hostnames {
                    let key = RecordKey::new(&svc.name, host, family);
                    let rec = engine.state.records.get(&key).cloned().unwrap_or_default();
                    let plan = engine.plan(&key).cloned().unwrap_or_default();
                    let next = next_step(engine, svc, &rec, &plan, family, now);
                    let (next_action, next_at) = next.english();
                    records.push(json!({
                        "hostname": host,
                        "family": family.as_str(),
                        "type": family.record_type(),
                        "desired": plan.desired,
                        "wan": plan.wan.as_ref().map(|w| json!({"interface": w, "fallback": plan.fallback})),
                        "registered": rec.registered,
                        "last_update": rec.updated_at,
                        "last_attempt": rec.last_attempt,
                        "result": rec.result,
                        "error": rec.error,
                        "stopped": rec.stopped,
                        "outcome": rec.result.as_ref().map(|code| json!({"code": code, "kind": rec.kind})),
                        "next": next.to_json(),
                        "next_action": next_action,
                        "next_at": next_at,
                        "dns": engine.checks.get(&key).and_then(dns),
                    }));
                }
            }
            json!({
                "name": svc.name,
                "enabled": true,
                "provider": svc.provider,
                "provider_title": svc.account.preset.title,
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
        "schema": SCHEMA,
        "version": env!("CARGO_PKG_VERSION"),
        "generated_at": now,
        "dry_run": engine.dry_run,
        "config": cfg.path,
        "wan": wan,
        "bind_wan": engine.binds(),
        "echo": echo,
        "services": services,
        "warnings": cfg.warnings,
    })
}

/// A record's last authoritative check: the verdict, why, and what each server answered.
fn dns(c: &crate::verify::Check) -> Option<Value> {
    let answers: Vec<Value> = c
        .answers
        .iter()
        .map(|a| match &a.said {
            Ok((addrs, ttl)) => json!({"server": a.server, "at": a.at, "addresses": addrs, "ttl": ttl}),
            Err(e) => json!({"server": a.server, "at": a.at, "error": e}),
        })
        .collect();
    Some(json!({"verdict": c.verdict?.as_str(), "reason": c.reason, "checked_at": c.checked_at, "answers": answers}))
}

/// What happens next to one record.
enum Next {
    InFlight { since: u64 },
    Queued,
    Stopped { kind: Option<Kind> },
    Retry { at: u64, by_provider: bool, kind: Option<Kind> },
    Waiting { why: String, wait_for: WaitFor, interface: Option<String>, verdict: Option<&'static str> },
    Refresh { at: u64 },
    AtNextCheck,
}

fn next_step(engine: &Engine, svc: &Service, rec: &Record, plan: &Plan, family: Family, now: u64) -> Next {
    if let Some(since) = engine.in_flight(&svc.name) {
        return Next::InFlight { since };
    }
    if plan.queued {
        return Next::Queued;
    }
    if rec.stopped {
        return Next::Stopped { kind: rec.kind };
    }
    if engine.waiting_for_clock() && plan.desired.is_some_and(|d| rec.registered != Some(d)) {
        return Next::Waiting {
            why: "waiting for the clock (NTP): the router's time is not set yet".into(),
            wait_for: WaitFor::Clock,
            interface: None,
            verdict: None,
        };
    }
    if let Some(at) = rec.retry_at.filter(|t| *t > now) {
        return Next::Retry { at, by_provider: rec.retry_by_provider, kind: rec.kind };
    }
    if let Some((wait_for, why)) = &plan.waiting {
        let wan = engine.wan_for(svc, family);
        return Next::Waiting {
            why: why.clone(),
            wait_for: *wait_for,
            interface: wan.map(|w| w.interface.clone()),
            verdict: wan.map(|w| w.verdict.as_str()),
        };
    }
    match rec.updated_at {
        Some(t) => Next::Refresh { at: t.saturating_add(svc.force_interval.as_secs()) },
        None => Next::AtNextCheck,
    }
}

impl Next {
    fn to_json(&self) -> Value {
        match self {
            Next::InFlight { since } => json!({"code": "in-flight", "since": since}),
            Next::Queued => json!({"code": "queued"}),
            Next::Stopped { kind } => json!({"code": "stopped", "reason": {"kind": kind}}),
            Next::Retry { at, by_provider, kind } => json!({
                "code": "retry",
                "at": at,
                "by": if *by_provider { "provider" } else { "backoff" },
                "reason": {"kind": kind},
            }),
            Next::Waiting { wait_for, interface, verdict, .. } => {
                json!({"code": "waiting", "for": wait_for.as_str(), "interface": interface, "verdict": verdict})
            }
            Next::Refresh { at } => json!({"code": "refresh", "at": at}),
            Next::AtNextCheck => json!({"code": "next-check"}),
        }
    }

    /// The CLI's sentence, and the time that completes it.
    fn english(&self) -> (String, Option<u64>) {
        match self {
            Next::InFlight { .. } => ("sending now".into(), None),
            Next::Queued => ("sending as soon as the running update ends".into(), None),
            Next::Stopped { .. } => ("stopped: fix the configuration, then save or press Update now".into(), None),
            Next::Retry { at, by_provider: true, .. } => ("retry (as the provider asked) at".into(), Some(*at)),
            Next::Retry { at, .. } => ("retry at".into(), Some(*at)),
            Next::Waiting { why, .. } => (why.clone(), None),
            Next::Refresh { at } => ("update when the address changes; refresh at".into(), Some(*at)),
            Next::AtNextCheck => ("update at the next check".into(), None),
        }
    }
}

/// What each echo service answered, for the status and `detect`.
pub fn echo_answers(r: &crate::sources::echo::EchoResult) -> Value {
    r.answers
        .iter()
        .map(|a| match &a.result {
            Ok(ip) => json!({"service": a.service, "address": ip}),
            Err(e) => json!({"service": a.service, "error": e}),
        })
        .collect()
}
