//! RFC 2136 dynamic update, signed with TSIG, for BIND, Knot, PowerDNS and any self-hosted DNS.
//! https://www.rfc-editor.org/rfc/rfc2136 (UPDATE) and https://www.rfc-editor.org/rfc/rfc8945 (TSIG)
//!
//! Per family, a first UPDATE carries only prerequisites ("RRset exists (value dependent)",
//! RFC 2136 §2.4.2: the A or AAAA RRset of each hostname is exactly the address) and no change:
//! NOERROR means every record is already right, nothing is written and the zone's serial stays;
//! NXRRSET means some differ (with several hostnames each is then checked alone). One UPDATE
//! then replaces the RRsets that differ: per name "delete RRset" and "add RR". Every answer's
//! TSIG is verified before it is believed.

use super::{Field, FieldKind, Job, Kind, Net, Outcome, Protocol, RecordResult, Target, ZONE_FIELD};
use crate::dns::{message_id, name_at, put_name, u16_at, Exchange, TYPE_SOA};
use crate::error::Error;
use crate::net::Family;
use ring::hmac;
use std::net::IpAddr;

pub struct Rfc2136;

static FIELDS: &[Field] = &[
    Field::required("server", FieldKind::Text, "DNS server: host, host:port or [IPv6]:port"),
    ZONE_FIELD,
    Field::required("key_name", FieldKind::Text, "TSIG key name, as in the server's configuration"),
    Field::required("token", FieldKind::Secret, "TSIG key secret (base64)"),
    Field::choice("key_algorithm", &["hmac-sha256", "hmac-sha512", "hmac-sha1"], "TSIG algorithm of the key"),
];

const TYPE_TSIG: u16 = 250;
const CLASS_IN: u16 = 1;
const CLASS_ANY: u16 = 255;
const OPCODE_UPDATE: u16 = 5;
/// Seconds of clock difference a TSIG signature tolerates (RFC 8945 recommends 300).
const FUDGE: u16 = 300;

/// A TSIG key.
pub struct Key {
    name: String,
    algorithm: &'static str,
    key: hmac::Key,
}

impl Key {
    pub fn new(name: &str, algorithm: &str, secret_b64: &str) -> Result<Key, Error> {
        let (wire, alg) = match algorithm.trim().trim_end_matches('.').to_ascii_lowercase().as_str() {
            "" | "hmac-sha256" => ("hmac-sha256", hmac::HMAC_SHA256),
            "hmac-sha512" => ("hmac-sha512", hmac::HMAC_SHA512),
            "hmac-sha1" => ("hmac-sha1", hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
            other => {
                return Err(Error::Config(format!(
                    "key_algorithm '{other}' is not one of hmac-sha256, hmac-sha512, hmac-sha1"
                )))
            }
        };
        let secret = crate::encoding::base64_decode(secret_b64).filter(|s| !s.is_empty());
        let secret = secret.ok_or_else(|| {
            Error::Config("the TSIG key secret is not base64 (as in the server's key statement)".into())
        })?;
        Ok(Key {
            name: name.trim_end_matches('.').to_ascii_lowercase(),
            algorithm: wire,
            key: hmac::Key::new(alg, &secret),
        })
    }

    /// The TSIG variables covered by the MAC (RFC 8945 §4.3.3), names in canonical form.
    fn variables(&self, time: u64, error: u16, other: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        put_name(&mut v, &self.name);
        v.extend_from_slice(&CLASS_ANY.to_be_bytes());
        v.extend_from_slice(&0u32.to_be_bytes());
        put_name(&mut v, self.algorithm);
        v.extend_from_slice(&time.to_be_bytes()[2..]);
        v.extend_from_slice(&FUDGE.to_be_bytes());
        v.extend_from_slice(&error.to_be_bytes());
        v.extend_from_slice(&(other.len() as u16).to_be_bytes());
        v.extend_from_slice(other);
        v
    }

    /// Append a TSIG record to `msg` (an unsigned message); returns the MAC, which the answer's
    /// signature covers.
    pub fn sign(&self, msg: &mut Vec<u8>, time: u64) -> Vec<u8> {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(msg);
        ctx.update(&self.variables(time, 0, &[]));
        let mac = ctx.sign().as_ref().to_vec();
        let id = [msg[0], msg[1]];
        put_name(msg, &self.name);
        msg.extend_from_slice(&TYPE_TSIG.to_be_bytes());
        msg.extend_from_slice(&CLASS_ANY.to_be_bytes());
        msg.extend_from_slice(&0u32.to_be_bytes());
        let mut rdata = Vec::new();
        put_name(&mut rdata, self.algorithm);
        rdata.extend_from_slice(&time.to_be_bytes()[2..]);
        rdata.extend_from_slice(&FUDGE.to_be_bytes());
        rdata.extend_from_slice(&(mac.len() as u16).to_be_bytes());
        rdata.extend_from_slice(&mac);
        rdata.extend_from_slice(&id);
        rdata.extend_from_slice(&[0, 0, 0, 0]); // error, other length
        msg.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        msg.extend_from_slice(&rdata);
        let ar = u16::from_be_bytes([msg[10], msg[11]]) + 1;
        msg[10..12].copy_from_slice(&ar.to_be_bytes());
        mac
    }
}

fn put_rr(out: &mut Vec<u8>, name: &str, rtype: u16, class: u16, ttl: u32, rdata: &[u8]) {
    put_name(out, name);
    out.extend_from_slice(&rtype.to_be_bytes());
    out.extend_from_slice(&class.to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

fn rtype(f: Family) -> u16 {
    match f {
        Family::V4 => 1,
        Family::V6 => 28,
    }
}

/// The header and zone section of an UPDATE with `prerequisites` and `updates` RRs to follow.
fn update_header(id: u16, zone: &str, prerequisites: usize, updates: usize) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + (prerequisites + updates) * 32);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&(OPCODE_UPDATE << 11).to_be_bytes());
    for count in [1, prerequisites as u16, updates as u16, 0] {
        m.extend_from_slice(&count.to_be_bytes());
    }
    put_name(&mut m, zone);
    m.extend_from_slice(&TYPE_SOA.to_be_bytes());
    m.extend_from_slice(&CLASS_IN.to_be_bytes());
    m
}

fn rdata(ip: IpAddr) -> Vec<u8> {
    match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// The unsigned UPDATE: zone section, then per record "delete RRset" (RFC 2136 §2.5.2) of its
/// name and type and, with a `ttl`, "add RR" of its address; without one the RRsets are
/// withdrawn.
pub fn update_message(id: u16, zone: &str, records: &[Target], ttl: Option<u32>) -> Vec<u8> {
    let mut m = update_header(id, zone, 0, records.len() * (1 + usize::from(ttl.is_some())));
    for r in records {
        put_rr(&mut m, &r.host, rtype(r.family()), CLASS_ANY, 0, &[]);
        if let Some(ttl) = ttl {
            put_rr(&mut m, &r.host, rtype(r.family()), CLASS_IN, ttl, &rdata(r.ip));
        }
    }
    m
}

/// The unsigned check: an UPDATE whose only content is the prerequisite "RRset exists (value
/// dependent)" (class IN, TTL 0, RFC 2136 §2.4.2) for each record's RRset of exactly its address.
pub fn check_message(id: u16, zone: &str, records: &[Target]) -> Vec<u8> {
    let mut m = update_header(id, zone, records.len(), 0);
    for r in records {
        put_rr(&mut m, &r.host, rtype(r.family()), CLASS_IN, 0, &rdata(r.ip));
    }
    m
}

fn skip_name(m: &[u8], at: usize) -> Option<usize> {
    Some(name_at(m, at)?.1)
}

struct Tsig<'a> {
    /// Where the TSIG record starts: the MAC covers everything before it.
    start: usize,
    time: u64,
    mac: &'a [u8],
    error: u16,
    other: &'a [u8],
}

/// The answer's rcode and its TSIG record, if any. `None` when the message is malformed.
fn parse_answer(m: &[u8]) -> Option<(u16, Option<Tsig<'_>>)> {
    let rcode = u16::from(*m.get(3)? & 0x0f);
    let counts: Vec<u16> = (0..4).map(|i| u16_at(m, 4 + 2 * i)).collect::<Option<_>>()?;
    let mut at = 12;
    for _ in 0..counts[0] {
        at = skip_name(m, at)? + 4;
    }
    let mut tsig = None;
    for _ in 0..(u32::from(counts[1]) + u32::from(counts[2]) + u32::from(counts[3])) {
        let start = at;
        at = skip_name(m, at)?;
        let kind = u16_at(m, at)?;
        let rdlen = usize::from(u16_at(m, at + 8)?);
        let rdata = m.get(at + 10..at + 10 + rdlen)?;
        at += 10 + rdlen;
        if kind == TYPE_TSIG {
            let p = skip_name(rdata, 0)?;
            let time = rdata.get(p..p + 6)?.iter().fold(0u64, |t, b| (t << 8) | u64::from(*b));
            let mac_len = usize::from(u16_at(rdata, p + 8)?);
            let mac = rdata.get(p + 10..p + 10 + mac_len)?;
            let q = p + 10 + mac_len;
            let error = u16_at(rdata, q + 2)?;
            let other_len = usize::from(u16_at(rdata, q + 4)?);
            let other = rdata.get(q + 6..q + 6 + other_len)?;
            tsig = Some(Tsig { start, time, mac, error, other });
        }
    }
    Some((rcode, tsig))
}

/// Does the answer's MAC verify, given the MAC of our request (RFC 8945 §4.3.2)?
fn verify(key: &Key, answer: &[u8], tsig: &Tsig, request_mac: &[u8]) -> bool {
    let mut unsigned = answer[..tsig.start].to_vec();
    let ar = u16::from_be_bytes([unsigned[10], unsigned[11]]).saturating_sub(1);
    unsigned[10..12].copy_from_slice(&ar.to_be_bytes());
    let mut data = (request_mac.len() as u16).to_be_bytes().to_vec();
    data.extend_from_slice(request_mac);
    data.extend_from_slice(&unsigned);
    data.extend_from_slice(&key.variables(tsig.time, tsig.error, tsig.other));
    hmac::verify(&key.key, &data, tsig.mac).is_ok()
}

/// NOERROR.
const RCODE_OK: u16 = 0;
/// NXRRSET: a value-dependent prerequisite failed (the RRset differs or is missing).
const RCODE_NXRRSET: u16 = 8;

/// The rcode of an answer whose TSIG verified (or, for REFUSED and NOTAUTH, that says what it
/// means without one); any other answer is the outcome it means.
pub fn interpret(answer: &[u8], id: u16, key: &Key, request_mac: &[u8], server: &str) -> Result<u16, Outcome> {
    if answer.len() < 12 || answer[..2] != id.to_be_bytes() || answer[2] & 0x80 == 0 {
        let why = format!("{server} sent something that is not an answer to the update");
        return Err(Outcome::retry(Kind::MalformedAnswer, why));
    }
    let Some((rcode, tsig)) = parse_answer(answer) else {
        return Err(Outcome::retry(Kind::MalformedAnswer, format!("{server} sent a malformed answer")));
    };
    // RFC 8945 §5.2: a server that cannot verify our signature says why in the TSIG error of an
    // unsigned answer (BIND, Knot: NOTAUTH with BADSIG or BADKEY).
    if let Some(t) = &tsig {
        let why = match t.error {
            0 => None,
            16 => Some(
                "the server says the TSIG signature is wrong (BADSIG): check the key secret (token) and key_algorithm"
                    .to_string(),
            ),
            17 => Some(format!(
                "the server does not know the TSIG key '{}' (BADKEY): check key_name and key_algorithm",
                key.name
            )),
            18 => {
                let why = "our clock and the server's differ by more than 5 minutes (BADTIME): check the router's time";
                return Err(Outcome::retry(Kind::Config, why));
            }
            e => Some(format!("the server rejected the TSIG signature (TSIG error {e})")),
        };
        if let Some(why) = why {
            return Err(Outcome::stop(Kind::Auth, why));
        }
    }
    let signed = tsig.as_ref().is_some_and(|t| verify(key, answer, t, request_mac));
    let zone_hint = "allow-update or update-policy in BIND, TSIG-ALLOW-DNSUPDATE in PowerDNS, an acl in Knot";
    match rcode {
        RCODE_OK | RCODE_NXRRSET if signed => Ok(rcode),
        RCODE_OK | RCODE_NXRRSET => Err(Outcome::retry(
            Kind::MalformedAnswer,
            match tsig {
                Some(_) => format!("{server}'s answer carries a signature that does not verify"),
                None => format!("{server} answered without a TSIG signature"),
            },
        )),
        1 => Err(Outcome::stop(Kind::ProviderError, "the server could not parse the update (FORMERR)")),
        2 => Err(Outcome::retry(Kind::ProviderError, format!("{server} failed to apply the update (SERVFAIL)"))),
        4 => Err(Outcome::stop(Kind::ProviderError, "the server does not accept dynamic updates (NOTIMP)")),
        // A signed REFUSED: the key was accepted and may not update the zone. Unsigned: the
        // server did not take our signature at all (PowerDNS answers so for a wrong secret and
        // for an unknown key alike).
        5 if signed => Err(Outcome::stop(
            Kind::Auth,
            format!("the server accepted the TSIG key but refused the update (REFUSED): allow this key to update the zone ({zone_hint})"),
        )),
        5 => Err(Outcome::stop(
            Kind::Auth,
            format!("the server refused the update without accepting our signature (REFUSED): check that key_name, \
                     key_algorithm and the secret (token) match a key the server knows, and that it may update the zone \
                     ({zone_hint})"),
        )),
        9 if signed => Err(Outcome::stop(Kind::Config, "the server is not authoritative for the zone (NOTAUTH): check zone and server")),
        9 => Err(Outcome::stop(
            Kind::Auth,
            "the server did not accept the TSIG key (NOTAUTH): check key_name, key_algorithm and the secret (token)",
        )),
        10 => Err(Outcome::stop(Kind::Config, "a hostname is not inside the zone (NOTZONE)")),
        r => Err(Outcome::retry(Kind::ProviderError, format!("{server} answered with DNS error code {r}"))),
    }
}

/// The server of a zone, as one service talks to it.
struct Zone<'a> {
    dns: &'a mut dyn Exchange,
    server: &'a str,
    key: &'a Key,
    name: &'a str,
}

impl Zone<'_> {
    /// Sign `msg` (built for message `id`), send it and read the verified answer's rcode.
    fn exchange(&mut self, id: u16, mut msg: Vec<u8>) -> Result<u16, Outcome> {
        let mac = self.key.sign(&mut msg, super::sign::now());
        let answer = self.dns.exchange(self.server, &msg).map_err(|e| Outcome::from_http_error(&e))?;
        interpret(&answer, id, self.key, &mac, self.server)
    }

    /// Do these records' RRsets hold exactly their addresses? (`Ok(false)`: one does not.)
    fn holds(&mut self, records: &[Target]) -> Result<bool, Outcome> {
        let id = message_id();
        Ok(self.exchange(id, check_message(id, self.name, records))? == RCODE_OK)
    }

    /// The outcome of every record: those already right are unchanged (and not written), the
    /// others, of both families and whatever their addresses, are replaced in one UPDATE.
    /// With no `ttl`, the RRsets are deleted instead, with no check first (deleting what is not
    /// there is NOERROR too).
    fn sync(&mut self, records: &[Target], ttl: Option<u32>) -> Vec<Outcome> {
        let all = |o: Outcome| vec![o; records.len()];
        let stale: Vec<Target> = match ttl.map(|_| self.holds(records)).unwrap_or(Ok(false)) {
            Err(o) => return all(o),
            Ok(true) => return all(Outcome::Unchanged),
            Ok(false) if records.len() == 1 || ttl.is_none() => records.to_vec(),
            Ok(false) => {
                let mut stale = Vec::new();
                for r in records {
                    match self.holds(std::slice::from_ref(r)) {
                        Err(o) => return all(o),
                        Ok(true) => {}
                        Ok(false) => stale.push(r.clone()),
                    }
                }
                stale
            }
        };
        let id = message_id();
        let written = match self.exchange(id, update_message(id, self.name, &stale, ttl)) {
            Ok(RCODE_OK) => Outcome::Updated,
            Ok(rcode) => Outcome::retry(
                Kind::ProviderError,
                format!("{} answered an update without prerequisites with DNS error code {rcode}", self.server),
            ),
            Err(o) => o,
        };
        records.iter().map(|r| if stale.contains(r) { written.clone() } else { Outcome::Unchanged }).collect()
    }
}

fn in_zone(host: &str, zone: &str) -> bool {
    let (h, z) = (host.trim_end_matches('.').to_ascii_lowercase(), zone.trim_end_matches('.').to_ascii_lowercase());
    h == z || h.ends_with(&format!(".{z}"))
}

impl Protocol for Rfc2136 {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn deletes(&self) -> bool {
        true
    }

    fn run(&self, job: &Job, Net { dns, .. }: Net) -> Vec<RecordResult> {
        let svc = job.account;
        let zone = svc.param("zone").unwrap_or("").trim_end_matches('.').to_string();
        let key = match Key::new(
            svc.param("key_name").unwrap_or(""),
            svc.param("key_algorithm").unwrap_or(""),
            svc.token.expose(),
        ) {
            Ok(k) => k,
            Err(e) => return job.all(Outcome::stop(Kind::Config, e.to_string())),
        };
        let (inside, outside): (Vec<Target>, Vec<Target>) =
            job.records.iter().cloned().partition(|r| in_zone(&r.host, &zone));
        let mut results: Vec<RecordResult> = (outside.into_iter())
            .map(|r| RecordResult {
                outcome: Outcome::stop(Kind::Config, format!("{} is not inside the zone {zone}", r.host)),
                family: r.family(),
                host: r.host,
            })
            .collect();
        if !inside.is_empty() {
            let mut server = Zone { dns, server: job.endpoint(), key: &key, name: &zone };
            let synced = server.sync(&inside, Some(svc.ttl.unwrap_or(60)).filter(|_| !job.delete));
            results.extend(inside.into_iter().zip(synced).map(|(r, outcome)| RecordResult {
                family: r.family(),
                host: r.host,
                outcome,
            }));
        }
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::testing::Update;

    const SECRET: &str = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OA==";

    /// The server's side of TSIG, written independently from `Key::sign` (RFC 8945 §4.3.2:
    /// request MAC, then the answer, then the variables), to sign answers for the tests.
    fn server_sign(answer: &mut Vec<u8>, request_mac: &[u8], time: u64, error: u16) {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &crate::encoding::base64_decode(SECRET).unwrap());
        let mut vars = Vec::new();
        put_name(&mut vars, "ddns-key");
        vars.extend_from_slice(&[0, 255, 0, 0, 0, 0]);
        put_name(&mut vars, "hmac-sha256");
        vars.extend_from_slice(&time.to_be_bytes()[2..]);
        vars.extend_from_slice(&[1, 44]);
        vars.extend_from_slice(&error.to_be_bytes());
        vars.extend_from_slice(&[0, 0]);
        let mut data = (request_mac.len() as u16).to_be_bytes().to_vec();
        data.extend_from_slice(request_mac);
        data.extend_from_slice(answer);
        data.extend_from_slice(&vars);
        let mac = hmac::sign(&key, &data);
        let id = [answer[0], answer[1]];
        put_name(answer, "ddns-key");
        answer.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0]);
        let mut rdata = Vec::new();
        put_name(&mut rdata, "hmac-sha256");
        rdata.extend_from_slice(&time.to_be_bytes()[2..]);
        rdata.extend_from_slice(&[1, 44, 0, 32]);
        rdata.extend_from_slice(mac.as_ref());
        rdata.extend_from_slice(&id);
        rdata.extend_from_slice(&error.to_be_bytes());
        rdata.extend_from_slice(&[0, 0]);
        answer.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        answer.extend_from_slice(&rdata);
        answer[11] += 1;
    }

    fn answer_to(id: u16, rcode: u8) -> Vec<u8> {
        let mut a = id.to_be_bytes().to_vec();
        a.extend_from_slice(&[0xa8, rcode, 0, 1, 0, 0, 0, 0, 0, 0]);
        put_name(&mut a, "example.org");
        a.extend_from_slice(&[0, 6, 0, 1]);
        a
    }

    #[test]
    fn update_message_layout() {
        let one = |ip: &str| [Target { host: "home.example.org".into(), ip: ip.parse().unwrap() }];
        let m = update_message(0x1234, "example.org", &one("203.0.113.9"), Some(60));
        let mut want = vec![0x12, 0x34, 0x28, 0x00, 0, 1, 0, 0, 0, 2, 0, 0];
        want.extend_from_slice(b"\x07example\x03org\x00\x00\x06\x00\x01");
        want.extend_from_slice(b"\x04home\x07example\x03org\x00\x00\x01\x00\xff\x00\x00\x00\x00\x00\x00");
        want.extend_from_slice(
            b"\x04home\x07example\x03org\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xcb\x00\x71\x09",
        );
        assert_eq!(m, want);
        let m6 = update_message(1, "example.org", &one("2001:db8::9"), Some(300));
        assert_eq!(&m6[m6.len() - 22..m6.len() - 18], &[0, 0, 0x01, 0x2c][..], "TTL 300");
        assert_eq!(u16::from_be_bytes([m6[m6.len() - 26], m6[m6.len() - 25]]), 28, "AAAA");
        let gone = update_message(0x1234, "example.org", &one("203.0.113.9"), None);
        // Only the "delete RRset" RR, counted once.
        assert_eq!((&gone[..9], gone[9], &gone[10..]), (&want[..9], 1, &want[10..want.len() - 32]));
    }

    #[test]
    fn signed_answers_verify_and_tampering_is_caught() {
        let key = Key::new("ddns-key.", "hmac-sha256", SECRET).unwrap();
        let target = Target { host: "a.example.org".into(), ip: "203.0.113.1".parse().unwrap() };
        let mut req = update_message(7, "example.org", &[target], Some(60));
        let mac = key.sign(&mut req, 1_800_000_000);
        assert_eq!(req[11], 1, "TSIG counted in ARCOUNT");
        let mut good = answer_to(7, 0);
        server_sign(&mut good, &mac, 1_800_000_001, 0);
        assert_eq!(interpret(&good, 7, &key, &mac, "ns"), Ok(RCODE_OK));
        let mut forged = good.clone();
        forged[15] ^= 1; // a flipped bit in the zone section
        assert_eq!(interpret(&forged, 7, &key, &mac, "ns").unwrap_err().kind(), Some(Kind::MalformedAnswer));
        let unsigned = answer_to(7, 0);
        assert!(
            matches!(interpret(&unsigned, 7, &key, &mac, "ns"), Err(Outcome::Retry { reason, .. }) if reason.contains("without a TSIG"))
        );
        let mut unsigned_nxrrset = answer_to(7, 8);
        assert!(interpret(&unsigned_nxrrset, 7, &key, &mac, "ns").is_err(), "an unsigned NXRRSET decides nothing");
        server_sign(&mut unsigned_nxrrset, &mac, 1_800_000_001, 0);
        assert_eq!(interpret(&unsigned_nxrrset, 7, &key, &mac, "ns"), Ok(RCODE_NXRRSET));
        assert_eq!(interpret(&good, 8, &key, &mac, "ns").unwrap_err().label(), "retry", "another message ID");
    }

    #[test]
    fn error_answers_map() {
        let key = Key::new("ddns-key", "", SECRET).unwrap();
        let mac = [0u8; 32];
        let mut badsig = answer_to(3, 9);
        server_sign(&mut badsig, &mac, 1, 16);
        let outcome = interpret(&badsig, 3, &key, &mac, "ns").unwrap_err();
        assert!(
            matches!(&outcome, Outcome::Stop { kind: Kind::Auth, reason } if reason.contains("BADSIG")),
            "{outcome:?}"
        );
        let cases = [
            (5, "stopped", Kind::Auth),
            (9, "stopped", Kind::Auth),
            (10, "stopped", Kind::Config),
            (2, "retry", Kind::ProviderError),
            (4, "stopped", Kind::ProviderError),
            (1, "stopped", Kind::ProviderError),
        ];
        for (rcode, want, kind) in cases {
            let outcome = interpret(&answer_to(3, rcode), 3, &key, &mac, "ns").unwrap_err();
            assert_eq!((outcome.label(), outcome.kind()), (want, Some(kind)), "rcode {rcode}");
        }
        for len in 0..40 {
            let mut a = answer_to(3, 0);
            server_sign(&mut a, &mac, 1, 0);
            a.truncate(len);
            let _ = interpret(&a, 3, &key, &mac, "ns");
        }
    }

    /// PowerDNS answers an unsigned REFUSED both to a wrong secret and to an unknown key; BIND
    /// answers a signed REFUSED to a key it knows but that may not update the zone. The hints
    /// must tell these apart.
    #[test]
    fn refused_says_key_problem_or_update_policy() {
        let key = Key::new("ddns-key", "", SECRET).unwrap();
        let mac = [7u8; 32];
        let unsigned = interpret(&answer_to(3, 5), 3, &key, &mac, "ns").unwrap_err();
        let reason = unsigned.reason().unwrap();
        assert!(reason.contains("without accepting our signature") && reason.contains("secret"), "{reason}");
        let mut signed = answer_to(3, 5);
        server_sign(&mut signed, &mac, 1, 0);
        let policy = interpret(&signed, 3, &key, &mac, "ns").unwrap_err();
        let reason = policy.reason().unwrap();
        assert!(reason.contains("accepted the TSIG key") && reason.contains("allow this key"), "{reason}");
        let mut notauth = answer_to(3, 9);
        server_sign(&mut notauth, &mac, 1, 0);
        let outcome = interpret(&notauth, 3, &key, &mac, "ns").unwrap_err();
        assert_eq!(outcome.kind(), Some(Kind::Config), "a signed NOTAUTH is about the zone: {outcome:?}");
    }

    /// An authoritative server for the tests, as RFC 2136 §3 describes one: it checks the
    /// request's TSIG, evaluates the prerequisites (§3.2: a value-dependent RRset must match
    /// exactly, else NXRRSET), applies the updates (§3.4) and bumps the SOA serial only when
    /// something changed (§3.6); answers are signed.
    struct Server {
        records: std::collections::BTreeMap<(String, u16), Vec<Vec<u8>>>,
        serial: u32,
        exchanges: usize,
        updates_seen: Vec<Vec<String>>,
    }

    /// One RR of a request: name, type, class, rdata.
    fn read_rr(m: &[u8], at: &mut usize) -> (String, u16, u16, Vec<u8>) {
        let mut labels = Vec::new();
        while m[*at] != 0 {
            let len = usize::from(m[*at]);
            labels.push(String::from_utf8(m[*at + 1..*at + 1 + len].to_vec()).unwrap());
            *at += 1 + len;
        }
        *at += 1;
        let (kind, class) = (u16_at(m, *at).unwrap(), u16_at(m, *at + 2).unwrap());
        let len = usize::from(u16_at(m, *at + 8).unwrap());
        let rdata = m[*at + 10..*at + 10 + len].to_vec();
        *at += 10 + len;
        (labels.join("."), kind, class, rdata)
    }

    impl Exchange for Server {
        fn exchange(&mut self, _server: &str, m: &[u8]) -> Result<Vec<u8>, crate::http::HttpError> {
            self.exchanges += 1;
            let (_, tsig) = parse_answer(m).unwrap();
            let tsig = tsig.expect("every request is signed");
            let key = Key::new("ddns-key", "", SECRET).unwrap();
            let mut unsigned = m[..tsig.start].to_vec();
            unsigned[11] -= 1;
            let mut data = unsigned.clone();
            data.extend_from_slice(&key.variables(tsig.time, 0, &[]));
            assert!(hmac::verify(&key.key, &data, tsig.mac).is_ok(), "request signature");
            let counts: Vec<u16> = (0..4).map(|i| u16_at(m, 4 + 2 * i).unwrap()).collect();
            let mut at = 12;
            let _zone = read_rr_zone(m, &mut at);
            let mut rcode = 0;
            let mut wanted: std::collections::BTreeMap<(String, u16), Vec<Vec<u8>>> = Default::default();
            for _ in 0..counts[1] {
                let (name, kind, class, rdata) = read_rr(m, &mut at);
                assert_eq!(class, CLASS_IN, "only value-dependent prerequisites are sent");
                wanted.entry((name, kind)).or_default().push(rdata);
            }
            for (k, rrs) in &wanted {
                if self.records.get(k) != Some(rrs) {
                    rcode = RCODE_NXRRSET as u8;
                }
            }
            let mut changed = Vec::new();
            if rcode == 0 {
                for _ in 0..counts[2] {
                    let (name, kind, class, rdata) = read_rr(m, &mut at);
                    let rrset = self.records.entry((name.clone(), kind)).or_default();
                    let before = rrset.clone();
                    match class {
                        CLASS_ANY => rrset.clear(),
                        CLASS_IN if !rrset.contains(&rdata) => rrset.push(rdata),
                        _ => {}
                    }
                    if *rrset != before && !changed.contains(&name) {
                        changed.push(name);
                    }
                }
                if counts[2] > 0 {
                    self.updates_seen.push(changed.clone());
                }
                self.records.retain(|_, v| !v.is_empty());
            }
            if !changed.is_empty() {
                self.serial += 1;
            }
            let mut answer = unsigned[..12].to_vec();
            answer[2] |= 0x80;
            answer[3] = rcode;
            answer[4..12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
            answer.extend_from_slice(b"\x07example\x03org\x00\x00\x06\x00\x01");
            server_sign(&mut answer, tsig.mac, tsig.time, 0);
            Ok(answer)
        }
    }

    fn read_rr_zone(m: &[u8], at: &mut usize) -> usize {
        *at = skip_name(m, *at).unwrap() + 4;
        *at
    }

    fn a(ip: &str) -> Vec<u8> {
        ip.parse::<std::net::Ipv4Addr>().unwrap().octets().to_vec()
    }

    fn rfc2136_service(hosts: &[&str]) -> crate::config::Service {
        let hosts: String = hosts.iter().map(|h| format!(" list hostname '{h}'\n")).collect();
        crate::providers::testing::service(&format!(
            "config service s\n option provider 'rfc2136'\n{hosts} option server '192.0.2.53'\n \
             option zone 'example.org'\n option key_name 'ddns-key'\n option token '{SECRET}'\n"
        ))
    }

    #[test]
    fn a_record_already_right_is_not_rewritten() {
        use crate::providers::testing::job;
        let mut server = Server {
            records: [(("home.example.org".to_string(), 1), vec![a("203.0.113.1")])].into(),
            serial: 1,
            exchanges: 0,
            updates_seen: Vec::new(),
        };
        let svc = rfc2136_service(&["home.example.org"]);
        let r = Rfc2136.update_dns(&job(&svc, Some("203.0.113.1"), None), &mut server);
        assert_eq!(r[0].outcome, Outcome::Unchanged);
        assert_eq!((server.exchanges, server.serial), (1, 1), "one check, no write, no serial bump");
        let r = Rfc2136.update_dns(&job(&svc, Some("203.0.113.2"), None), &mut server);
        assert_eq!(r[0].outcome, Outcome::Updated);
        assert_eq!((server.exchanges, server.serial), (3, 2), "check, then one write");
        assert_eq!(server.records[&("home.example.org".to_string(), 1)], vec![a("203.0.113.2")]);
    }

    #[test]
    fn only_the_hosts_that_differ_are_written() {
        use crate::providers::testing::job;
        let mut server = Server {
            records: [
                (("a.example.org".to_string(), 1), vec![a("203.0.113.1")]),
                (("b.example.org".to_string(), 1), vec![a("198.51.100.1"), a("198.51.100.2")]),
            ]
            .into(),
            serial: 1,
            exchanges: 0,
            updates_seen: Vec::new(),
        };
        let svc = rfc2136_service(&["a.example.org", "b.example.org", "new.example.org"]);
        let r = Rfc2136.update_dns(&job(&svc, Some("203.0.113.1"), None), &mut server);
        let labels: Vec<_> = r.iter().map(|r| (r.host.as_str(), r.outcome.label())).collect();
        assert_eq!(
            labels,
            [("a.example.org", "unchanged"), ("b.example.org", "updated"), ("new.example.org", "updated")]
        );
        assert_eq!(server.updates_seen, [vec!["b.example.org".to_string(), "new.example.org".to_string()]]);
        assert_eq!(server.serial, 2, "one write for both");
        let r = Rfc2136.update_dns(&job(&svc, Some("203.0.113.1"), None), &mut server);
        assert!(r.iter().all(|r| r.outcome == Outcome::Unchanged), "{r:?}");
        assert_eq!(server.serial, 2);
    }

    /// A service's A and AAAA and its LAN hosts' AAAA records, each with an address of its
    /// own, are checked in one exchange and written in one UPDATE.
    #[test]
    fn records_with_different_addresses_go_in_one_update() {
        let mut server = Server { records: Default::default(), serial: 1, exchanges: 0, updates_seen: Vec::new() };
        let svc = rfc2136_service(&["home.example.org"]);
        let mut job = crate::providers::testing::job(&svc, Some("203.0.113.1"), Some("2001:db8::1"));
        for i in 2..=6 {
            job.records
                .push(Target { host: format!("h{i}.example.org"), ip: format!("2001:db8::{i}").parse().unwrap() });
        }
        let r = Rfc2136.update_dns(&job, &mut server);
        assert!(r.iter().all(|r| r.outcome == Outcome::Updated), "{r:?}");
        assert_eq!(r.len(), 7);
        // The first check fails, then each record is checked alone, then one write.
        assert_eq!((server.exchanges, server.serial, server.updates_seen.len()), (1 + 7 + 1, 2, 1));
        assert_eq!(server.records.len(), 7);
        assert_eq!(
            server.records[&("h4.example.org".to_string(), 28)],
            vec!["2001:db8::4".parse::<std::net::Ipv6Addr>().unwrap().octets().to_vec()]
        );
        let again = Rfc2136.update_dns(&job, &mut server);
        assert!(again.iter().all(|r| r.outcome == Outcome::Unchanged));
        assert_eq!((server.exchanges, server.serial), (10, 2), "one check for all seven");
    }

    #[test]
    fn keys_and_zones() {
        assert!(Key::new("k", "hmac-md5", SECRET).err().unwrap().to_string().contains("hmac-md5"));
        assert!(Key::new("k", "hmac-sha512", "not base64!").err().unwrap().to_string().contains("base64"));
        assert!(in_zone("a.Example.org.", "example.org"));
        assert!(in_zone("example.org", "example.org"));
        assert!(!in_zone("badexample.org", "example.org"));
    }
}
