//! RFC 2136 dynamic update, signed with TSIG, for BIND, Knot, PowerDNS and any self-hosted DNS.
//! https://www.rfc-editor.org/rfc/rfc2136 (UPDATE) and https://www.rfc-editor.org/rfc/rfc8945 (TSIG)
//!
//! One UPDATE per family replaces the A or AAAA RRset of every hostname of the service: for each
//! name, "delete RRset" then "add RR". The answer's TSIG is verified before it is believed.

use super::{Field, FieldKind, Job, Outcome, Protocol, RecordResult};
use crate::http::Transport;
use crate::net::Family;
use ring::hmac;
use std::net::IpAddr;

pub struct Rfc2136;

static FIELDS: &[Field] = &[
    Field::required("server", FieldKind::Text, "DNS server: host, host:port or [IPv6]:port"),
    Field::required("zone", FieldKind::Text, "the zone the hostnames are in, e.g. example.org"),
    Field::required("key_name", FieldKind::Text, "TSIG key name, as in the server's configuration"),
    Field::required("token", FieldKind::Secret, "TSIG key secret (base64)"),
    Field::choice("key_algorithm", &["hmac-sha256", "hmac-sha512", "hmac-sha1"], "TSIG algorithm of the key"),
];

const TYPE_SOA: u16 = 6;
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
    pub fn new(name: &str, algorithm: &str, secret_b64: &str) -> Result<Key, String> {
        let (wire, alg) = match algorithm.trim().trim_end_matches('.').to_ascii_lowercase().as_str() {
            "" | "hmac-sha256" => ("hmac-sha256", hmac::HMAC_SHA256),
            "hmac-sha512" => ("hmac-sha512", hmac::HMAC_SHA512),
            "hmac-sha1" => ("hmac-sha1", hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
            other => return Err(format!("key_algorithm '{other}' is not one of hmac-sha256, hmac-sha512, hmac-sha1")),
        };
        let secret = crate::http::base64_decode(secret_b64).filter(|s| !s.is_empty());
        let secret = secret.ok_or("the TSIG key secret is not base64 (as in the server's key statement)")?;
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

fn put_name(out: &mut Vec<u8>, name: &str) {
    for label in name.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
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

/// The unsigned UPDATE: zone section, then per host "delete RRset" and "add RR".
pub fn update_message(id: u16, zone: &str, hosts: &[String], ip: IpAddr, ttl: u32) -> Vec<u8> {
    let family = Family::of(&ip);
    let mut m = Vec::with_capacity(64 + hosts.len() * 64);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(&(OPCODE_UPDATE << 11).to_be_bytes());
    for count in [1u16, 0, (hosts.len() * 2) as u16, 0] {
        m.extend_from_slice(&count.to_be_bytes());
    }
    put_name(&mut m, zone);
    m.extend_from_slice(&TYPE_SOA.to_be_bytes());
    m.extend_from_slice(&CLASS_IN.to_be_bytes());
    let rdata = match ip {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    for h in hosts {
        put_rr(&mut m, h, rtype(family), CLASS_ANY, 0, &[]);
        put_rr(&mut m, h, rtype(family), CLASS_IN, ttl, &rdata);
    }
    m
}

/// Skip a possibly compressed name at `at`; the offset after it.
fn skip_name(m: &[u8], mut at: usize) -> Option<usize> {
    loop {
        let len = *m.get(at)?;
        match len {
            0 => return Some(at + 1),
            l if l & 0xc0 == 0xc0 => return Some(at + 2),
            l if l < 64 => at += 1 + usize::from(l),
            _ => return None,
        }
    }
}

fn u16_at(m: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(m.get(at..at + 2)?.try_into().ok()?))
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

/// What the server's answer means.
pub fn interpret(answer: &[u8], id: u16, key: &Key, request_mac: &[u8], server: &str) -> Outcome {
    if answer.len() < 12 || answer[..2] != id.to_be_bytes() || answer[2] & 0x80 == 0 {
        return Outcome::retry(format!("{server} sent something that is not an answer to the update"));
    }
    let Some((rcode, tsig)) = parse_answer(answer) else {
        return Outcome::retry(format!("{server} sent a malformed answer"));
    };
    if let Some(t) = &tsig {
        match t.error {
            0 => {}
            16 => return Outcome::stop("the server says the TSIG signature is wrong (BADSIG): check the key secret"),
            17 => {
                return Outcome::stop(format!(
                    "the server does not know the TSIG key '{}' (BADKEY): check key_name and key_algorithm",
                    key.name
                ))
            }
            18 => return Outcome::retry("our clock and the server's differ by more than 5 minutes (BADTIME)"),
            e => return Outcome::stop(format!("the server rejected the TSIG signature (error {e})")),
        }
    }
    match rcode {
        0 => match tsig {
            Some(t) if verify(key, answer, &t, request_mac) => Outcome::Updated,
            Some(_) => Outcome::retry(format!("{server}'s answer carries a signature that does not verify")),
            None => Outcome::retry(format!("{server} answered without a TSIG signature")),
        },
        1 => Outcome::stop("the server could not parse the update (FORMERR)"),
        2 => Outcome::retry(format!("{server} failed to apply the update (SERVFAIL)")),
        4 => Outcome::stop("the server does not accept dynamic updates (NOTIMP)"),
        5 => Outcome::stop(
            "the server refused the update (REFUSED): allow this key to update the zone (allow-update or update-policy)",
        ),
        9 => Outcome::stop("the server is not authoritative for the zone or refused the key (NOTAUTH)"),
        10 => Outcome::stop("a hostname is not inside the zone (NOTZONE)"),
        r => Outcome::retry(format!("{server} answered with DNS error code {r}")),
    }
}

fn in_zone(host: &str, zone: &str) -> bool {
    let (h, z) = (host.trim_end_matches('.').to_ascii_lowercase(), zone.trim_end_matches('.').to_ascii_lowercase());
    h == z || h.ends_with(&format!(".{z}"))
}

fn message_id() -> u16 {
    use ring::rand::SecureRandom;
    let mut b = [0u8; 2];
    // A predictable ID only weakens spoofing protection, which TSIG already gives.
    let _ = ring::rand::SystemRandom::new().fill(&mut b);
    u16::from_be_bytes(b)
}

impl Protocol for Rfc2136 {
    fn fields(&self) -> &'static [Field] {
        FIELDS
    }

    fn update(&self, job: &Job, net: &mut dyn Transport) -> Vec<RecordResult> {
        let svc = job.service;
        let zone = svc.param("zone").unwrap_or("").trim_end_matches('.').to_string();
        let key = match Key::new(
            svc.param("key_name").unwrap_or(""),
            svc.param("key_algorithm").unwrap_or(""),
            svc.token.expose(),
        ) {
            Ok(k) => k,
            Err(e) => return job.all(Outcome::stop(e)),
        };
        let (inside, outside): (Vec<String>, Vec<String>) = job.hosts.iter().cloned().partition(|h| in_zone(h, &zone));
        let mut results = Vec::new();
        for (family, ip) in job.families() {
            for h in &outside {
                let outcome = Outcome::stop(format!("{h} is not inside the zone {zone}"));
                results.push(RecordResult { host: h.clone(), family, outcome });
            }
            if inside.is_empty() {
                continue;
            }
            let id = message_id();
            let mut msg = update_message(id, &zone, &inside, ip, svc.ttl.unwrap_or(60));
            let now =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
            let mac = key.sign(&mut msg, now);
            let server = job.endpoint();
            let outcome = match net.dns(server, &msg) {
                Ok(answer) => interpret(&answer, id, &key, &mac, server),
                Err(e) => Outcome::from_http_error(&e),
            };
            results.extend(inside.iter().map(|h| RecordResult { host: h.clone(), family, outcome: outcome.clone() }));
        }
        results
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0xMjM0NTY3OA==";

    /// The server's side of TSIG, written independently from `Key::sign` (RFC 8945 §4.3.2:
    /// request MAC, then the answer, then the variables), to sign answers for the tests.
    fn server_sign(answer: &mut Vec<u8>, request_mac: &[u8], time: u64, error: u16) {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &crate::http::base64_decode(SECRET).unwrap());
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
        let hosts = vec!["home.example.org".to_string()];
        let m = update_message(0x1234, "example.org", &hosts, "203.0.113.9".parse().unwrap(), 60);
        let mut want = vec![0x12, 0x34, 0x28, 0x00, 0, 1, 0, 0, 0, 2, 0, 0];
        want.extend_from_slice(b"\x07example\x03org\x00\x00\x06\x00\x01");
        want.extend_from_slice(b"\x04home\x07example\x03org\x00\x00\x01\x00\xff\x00\x00\x00\x00\x00\x00");
        want.extend_from_slice(
            b"\x04home\x07example\x03org\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xcb\x00\x71\x09",
        );
        assert_eq!(m, want);
        let m6 = update_message(1, "example.org", &hosts, "2001:db8::9".parse().unwrap(), 300);
        assert_eq!(&m6[m6.len() - 22..m6.len() - 18], &[0, 0, 0x01, 0x2c][..], "TTL 300");
        assert_eq!(u16::from_be_bytes([m6[m6.len() - 26], m6[m6.len() - 25]]), 28, "AAAA");
    }

    #[test]
    fn signed_answers_verify_and_tampering_is_caught() {
        let key = Key::new("ddns-key.", "hmac-sha256", SECRET).unwrap();
        let mut req = update_message(7, "example.org", &["a.example.org".into()], "203.0.113.1".parse().unwrap(), 60);
        let mac = key.sign(&mut req, 1_800_000_000);
        assert_eq!(req[11], 1, "TSIG counted in ARCOUNT");
        let mut good = answer_to(7, 0);
        server_sign(&mut good, &mac, 1_800_000_001, 0);
        assert_eq!(interpret(&good, 7, &key, &mac, "ns"), Outcome::Updated);
        let mut forged = good.clone();
        forged[15] ^= 1; // a flipped bit in the zone section
        assert_eq!(interpret(&forged, 7, &key, &mac, "ns").label(), "retry");
        let unsigned = answer_to(7, 0);
        assert!(
            matches!(interpret(&unsigned, 7, &key, &mac, "ns"), Outcome::Retry { reason, .. } if reason.contains("without a TSIG"))
        );
        assert_eq!(interpret(&good, 8, &key, &mac, "ns").label(), "retry", "another message ID");
    }

    #[test]
    fn error_answers_map() {
        let key = Key::new("ddns-key", "", SECRET).unwrap();
        let mac = [0u8; 32];
        let mut badsig = answer_to(3, 9);
        server_sign(&mut badsig, &mac, 1, 16);
        assert!(
            matches!(interpret(&badsig, 3, &key, &mac, "ns"), Outcome::Stop { reason } if reason.contains("BADSIG"))
        );
        let cases = [(5, "stopped"), (9, "stopped"), (10, "stopped"), (2, "retry"), (4, "stopped"), (1, "stopped")];
        for (rcode, want) in cases {
            assert_eq!(interpret(&answer_to(3, rcode), 3, &key, &mac, "ns").label(), want, "rcode {rcode}");
        }
        for len in 0..40 {
            let mut a = answer_to(3, 0);
            server_sign(&mut a, &mac, 1, 0);
            a.truncate(len);
            let _ = interpret(&a, 3, &key, &mac, "ns");
        }
    }

    #[test]
    fn keys_and_zones() {
        assert!(Key::new("k", "hmac-md5", SECRET).err().unwrap().contains("hmac-md5"));
        assert!(Key::new("k", "hmac-sha512", "not base64!").err().unwrap().contains("base64"));
        assert!(in_zone("a.Example.org.", "example.org"));
        assert!(in_zone("example.org", "example.org"));
        assert!(!in_zone("badexample.org", "example.org"));
    }
}
