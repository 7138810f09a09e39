//! What the JSON record APIs of DNS hosts have in common: one authenticated call with its
//! errors mapped to outcomes (`Api`), and the per-record flow (`update_records`): find the
//! record set of a name and type, leave it when it already holds the address, replace it when
//! it differs, create it only when the user asked for that.

use super::{excerpt, relative_name, Job, Kind, Outcome, RecordResult};
use crate::http::{Method, Request, Response, Transport};
use serde_json::Value;

/// One provider's API: where it is, how a request is authenticated, where an error answer
/// keeps its message.
pub struct Api<'a> {
    pub http: &'a mut dyn Transport,
    pub job: &'a Job<'a>,
    /// The provider's name in messages.
    pub title: &'static str,
    /// JSON pointers tried in turn for an error answer's message (`/message`, `/error/message`).
    pub message_at: &'static [&'static str],
    /// Adds the credentials (and marks them secret) to a request.
    pub auth: fn(Request, &Job) -> Request,
    /// Listings already fetched in this job, by the caller's key (see `cached`).
    pub cache: std::collections::HashMap<String, Value>,
}

impl<'a> Api<'a> {
    pub fn new(
        http: &'a mut dyn Transport,
        job: &'a Job<'a>,
        title: &'static str,
        message_at: &'static [&'static str],
        auth: fn(Request, &Job) -> Request,
    ) -> Api<'a> {
        Api { http, job, title, message_at, auth, cache: std::collections::HashMap::new() }
    }

    pub fn base(&self) -> &str {
        self.job.endpoint().trim_end_matches('/')
    }

    /// Call `path` under the endpoint; a 2xx answer's JSON (`Null` when empty or not JSON).
    pub fn call(&mut self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Outcome> {
        let mut req = Request::new(method, format!("{}{path}", self.base()));
        if let Some(b) = body {
            req = req.json_body(b);
        }
        self.send((self.auth)(req, self.job))
    }

    /// A listing of the whole zone, fetched once per job: each name and type is looked at once
    /// per job, so what a write changes is never looked up again, and a service with several
    /// hostnames costs one listing instead of one per hostname and family.
    pub fn cached(
        &mut self,
        key: &str,
        fetch: impl FnOnce(&mut Self) -> Result<Value, Outcome>,
    ) -> Result<Value, Outcome> {
        remember(self, |api| &mut api.cache, key, fetch)
    }

    /// GET `path`; `None` when the API answers 404 (what many say for "no such record").
    pub fn get_optional(&mut self, path: &str) -> Result<Option<Value>, Outcome> {
        let req = (self.auth)(Request::new(Method::Get, format!("{}{path}", self.base())), self.job);
        self.exchange(req, true)
    }

    /// Send a request built elsewhere (signed APIs build their own).
    pub fn send(&mut self, req: Request) -> Result<Value, Outcome> {
        self.exchange(req, false).map(Option::unwrap_or_default)
    }

    fn exchange(&mut self, req: Request, absent_ok: bool) -> Result<Option<Value>, Outcome> {
        match self.send_raw(req, absent_ok)? {
            None => Ok(None),
            Some(resp) => Ok(Some(resp.json().unwrap_or(Value::Null))),
        }
    }

    /// Send and return a 2xx answer as it came (for APIs that answer in XML); with `absent_ok`,
    /// a 404 is `None`. Any other answer is the outcome it means.
    pub fn send_raw(&mut self, mut req: Request, absent_ok: bool) -> Result<Option<Response>, Outcome> {
        req.allow_http = self.job.account.allow_http;
        let resp = self.http.send(&req).map_err(|e| Outcome::from_http_error(&e))?;
        if (200..300).contains(&resp.status) {
            return Ok(Some(resp));
        }
        if absent_ok && resp.status == 404 {
            return Ok(None);
        }
        // JSON APIs name their message field; XML APIs say `<Message>`; anything else (a
        // proxy's page, PowerDNS's plain "Not Found") is quoted as it starts.
        let message = match resp.json() {
            Some(answer) => self.message_at.iter().find_map(|p| answer.pointer(p)).map(text).unwrap_or_default(),
            None => xml_text(&resp.body, "Message").map_or_else(|| excerpt(&resp.body), str::to_string),
        };
        Err(Outcome::from_status(&resp, self.title, &message))
    }
}

/// The text of the first `<tag>…</tag>` in an XML document (the simple, unattributed elements
/// of the XML APIs we read).
pub fn xml_text<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let len = xml[start..].find(&format!("</{tag}>"))?;
    Some(&xml[start..start + len])
}

/// `Api::cached` for an API wrapper whose own calls (sessions, RPC envelopes) fetch the listing:
/// `cache` finds the job's cache inside `owner`.
pub fn remember<T>(
    owner: &mut T,
    cache: fn(&mut T) -> &mut std::collections::HashMap<String, Value>,
    key: &str,
    fetch: impl FnOnce(&mut T) -> Result<Value, Outcome>,
) -> Result<Value, Outcome> {
    if let Some(v) = cache(owner).get(key) {
        return Ok(v.clone());
    }
    let v = fetch(owner)?;
    cache(owner).insert(key.to_string(), v.clone());
    Ok(v)
}

/// A message field as text, whatever JSON shape it has.
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The record being updated, named every way an API may want it.
pub struct Name<'a> {
    /// The hostname as configured.
    pub host: &'a str,
    /// Relative to the zone, `@` for the apex.
    pub relative: String,
    pub zone: &'a str,
    /// `A` or `AAAA`.
    pub rtype: &'static str,
}

impl Name<'_> {
    /// Relative name with the apex as the empty string, as several APIs want it.
    pub fn relative_or_empty(&self) -> &str {
        if self.relative == "@" {
            ""
        } else {
            &self.relative
        }
    }

    /// Fully qualified, without the trailing dot.
    pub fn fqdn(&self) -> String {
        if self.relative == "@" {
            self.zone.to_string()
        } else {
            format!("{}.{}", self.relative, self.zone)
        }
    }
}

/// A record as the provider lists it: its handle for later calls and its value.
pub struct Existing {
    pub id: String,
    pub value: String,
}

impl Existing {
    /// The records of a JSON array that `keep` accepts, their `id` and `value` fields read as
    /// text (numbers or strings). Anything but an array is no records.
    pub fn collect(list: &Value, id: &str, value: &str, keep: impl Fn(&Value) -> bool) -> Vec<Existing> {
        let all = list.as_array().map(Vec::as_slice).unwrap_or_default();
        all.iter().filter(|r| keep(r)).map(|r| Existing { id: text(&r[id]), value: text(&r[value]) }).collect()
    }

    /// The values of an RRset given as a JSON array of strings (they need no id).
    pub fn values(list: &Value) -> Vec<Existing> {
        let all = list.as_array().map(Vec::as_slice).unwrap_or_default();
        all.iter().map(|v| Existing { id: String::new(), value: text(v) }).collect()
    }
}

/// The three operations the flow needs from a record API.
pub trait Records {
    /// The records of this name and type (empty when there are none).
    fn find(&mut self, name: &Name) -> Result<Vec<Existing>, Outcome>;
    /// Make the name and type hold `ip` only; `found` is what `find` returned.
    fn replace(&mut self, name: &Name, found: &[Existing], ip: &str, ttl: u32) -> Result<(), Outcome>;
    fn create(&mut self, name: &Name, ip: &str, ttl: u32) -> Result<(), Outcome>;
    /// Send what `replace` and `create` collected, for APIs that take every change of a job in
    /// one request (all hostnames, A and AAAA together).
    fn flush(&mut self) -> Result<(), Outcome> {
        Ok(())
    }
}

/// Every hostname and family of the job through `api`; the hostnames lie in the service's
/// `zone`. `ttl` is the provider's default when the service sets none, raised to `min_ttl`.
pub fn update_records(job: &Job, title: &str, api: &mut dyn Records, ttl: u32, min_ttl: u32) -> Vec<RecordResult> {
    let zone = job.account.param("zone").unwrap_or("").trim_end_matches('.').to_ascii_lowercase();
    let ttl = job.account.ttl.unwrap_or(ttl).max(min_ttl);
    let mut results = Vec::new();
    for target in &job.records {
        let (host, family, ip) = (&target.host, target.family(), target.ip);
        let outcome = match relative_name(host, &zone) {
            None => Outcome::stop(Kind::Config, format!("{host} is not inside the domain {zone}")),
            Some(relative) => {
                let name = Name { host, relative, zone: &zone, rtype: family.record_type() };
                one(job, title, api, &name, &ip.to_string(), ttl).unwrap_or_else(|o| o)
            }
        };
        results.push(RecordResult { host: host.clone(), family, outcome });
    }
    // A batched write that fails is the outcome of every record it carried.
    if let Err(failed) = api.flush() {
        for r in results.iter_mut().filter(|r| r.outcome == Outcome::Updated) {
            r.outcome = failed.clone();
        }
    }
    results
}

fn one(job: &Job, title: &str, api: &mut dyn Records, name: &Name, ip: &str, ttl: u32) -> Result<Outcome, Outcome> {
    let found = api.find(name)?;
    if found.is_empty() {
        if !job.account.create_missing {
            return Ok(Outcome::stop(
                Kind::NoSuchRecord,
                format!(
                    "the {} record {} does not exist at {title}: create it there, or set create_missing 1",
                    name.rtype, name.host
                ),
            ));
        }
        api.create(name, ip, ttl)?;
    } else if found.iter().all(|r| r.value == ip) {
        return Ok(Outcome::Unchanged);
    } else {
        api.replace(name, &found, ip, ttl)?;
    }
    Ok(Outcome::Updated)
}

/// For APIs that carry the credentials themselves (signatures, bodies, queries, sessions): the
/// password and the token only become secrets, masked wherever the request is shown.
pub fn secrets_only(req: Request, job: &Job) -> Request {
    req.secret(job.account.password.expose()).secret(job.account.token.expose())
}

/// Authentication by `Authorization: Bearer <token>`.
pub fn bearer(req: Request, job: &Job) -> Request {
    req.bearer(job.account.token.expose())
}

/// The listed records that do not hold `ip` yet.
pub fn stale<'a>(found: &'a [Existing], ip: &'a str) -> impl Iterator<Item = &'a Existing> {
    found.iter().filter(move |r| r.value != ip)
}

/// The APIs that list their zones at `/v1/zones` and address one as `/v1/zones/{id}` (IONOS,
/// LuaDNS): the API, and the zone's path, looked up by name once per job.
pub struct V1Zones<'a> {
    pub api: Api<'a>,
    zone: ZoneId,
}

impl<'a> V1Zones<'a> {
    pub fn new(api: Api<'a>) -> V1Zones<'a> {
        V1Zones { api, zone: ZoneId::default() }
    }

    /// `/v1/zones/{id}` of `zone`.
    pub fn path(&mut self, zone: &str) -> Result<String, Outcome> {
        let list = |api: &mut Api| api.call(Method::Get, "/v1/zones", None);
        Ok(format!("/v1/zones/{}", self.zone.get(&mut self.api, zone, list, ("", "name"))?))
    }
}

/// A zone's (or domain's) id at the provider, looked up by name once per job.
#[derive(Default)]
pub struct ZoneId(Option<String>);

impl ZoneId {
    /// The id of `zone` in the listing `list` returns: the array at the pointer `at`, whose
    /// entries carry the name in `name_key` and the id in `id`.
    pub fn get(
        &mut self,
        api: &mut Api,
        zone: &str,
        list: impl FnOnce(&mut Api) -> Result<Value, Outcome>,
        (at, name_key): (&str, &str),
    ) -> Result<String, Outcome> {
        if let Some(id) = &self.0 {
            return Ok(id.clone());
        }
        let listed = list(api)?;
        let zones = listed.pointer(at).unwrap_or(&Value::Null);
        let found = Existing::collect(zones, "id", name_key, |z| z[name_key] == zone).into_iter().next();
        let id = found
            .ok_or_else(|| {
                Outcome::stop(Kind::NoSuchRecord, format!("{} has no zone {zone} for these credentials", api.title))
            })?
            .id;
        self.0 = Some(id.clone());
        Ok(id)
    }
}

/// The contents of every `<tag>…</tag>` element, in order.
pub fn xml_all<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(inner) = xml_text(rest, tag) {
        out.push(inner);
        let consumed = inner.as_ptr() as usize - rest.as_ptr() as usize + inner.len() + tag.len() + 3;
        rest = &rest[consumed..];
    }
    out
}
