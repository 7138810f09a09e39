//! libubox blob and blobmsg encoding, and its mapping to JSON values.
//!
//! A blob attribute is a 32-bit big-endian header (bit 31: extended, bits 24–30: id, bits 0–23:
//! length including the header, excluding padding) followed by its payload, padded to 4 bytes.
//! An extended attribute is a blobmsg: its payload starts with a 16-bit name length, the name and
//! a NUL, padded to 4 bytes, and the value follows. Decoding follows libubox's iteration rule
//! (stop at a short or overlong attribute) and never panics on hostile input.

use serde_json::{Map, Number, Value};

pub const EXTENDED: u32 = 0x8000_0000;
const ID_SHIFT: u32 = 24;
const LEN_MASK: u32 = 0x00ff_ffff;

pub const BLOBMSG_UNSPEC: u8 = 0;
pub const BLOBMSG_ARRAY: u8 = 1;
pub const BLOBMSG_TABLE: u8 = 2;
pub const BLOBMSG_STRING: u8 = 3;
pub const BLOBMSG_INT64: u8 = 4;
pub const BLOBMSG_INT32: u8 = 5;
pub const BLOBMSG_INT16: u8 = 6;
pub const BLOBMSG_INT8: u8 = 7;
pub const BLOBMSG_DOUBLE: u8 = 8;

fn pad(len: usize) -> usize {
    (len + 3) & !3
}

/// Append one attribute whose payload `fill` writes; the length is patched afterwards.
pub fn put(buf: &mut Vec<u8>, id: u8, extended: bool, fill: impl FnOnce(&mut Vec<u8>)) {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]);
    fill(buf);
    let len = (buf.len() - start) as u32;
    let header = (u32::from(id & 0x7f) << ID_SHIFT) | (len & LEN_MASK) | if extended { EXTENDED } else { 0 };
    buf[start..start + 4].copy_from_slice(&header.to_be_bytes());
    buf.resize(start + pad(len as usize), 0);
}

pub fn put_u32(buf: &mut Vec<u8>, id: u8, v: u32) {
    put(buf, id, false, |b| b.extend_from_slice(&v.to_be_bytes()));
}

pub fn put_u8(buf: &mut Vec<u8>, id: u8, v: u8) {
    put(buf, id, false, |b| b.push(v));
}

pub fn put_str(buf: &mut Vec<u8>, id: u8, s: &str) {
    put(buf, id, false, |b| {
        b.extend_from_slice(s.as_bytes());
        b.push(0);
    });
}

/// One blobmsg attribute named `name` holding `v`.
pub fn put_blobmsg(buf: &mut Vec<u8>, name: &str, v: &Value) {
    let kind = match v {
        Value::Null => BLOBMSG_UNSPEC,
        Value::Bool(_) => BLOBMSG_INT8,
        Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => BLOBMSG_INT32,
        Value::Number(n) if n.is_i64() || n.is_u64() => BLOBMSG_INT64,
        Value::Number(_) => BLOBMSG_DOUBLE,
        Value::String(_) => BLOBMSG_STRING,
        Value::Array(_) => BLOBMSG_ARRAY,
        Value::Object(_) => BLOBMSG_TABLE,
    };
    put(buf, kind, true, |b| {
        let start = b.len();
        b.extend_from_slice(&(name.len() as u16).to_be_bytes());
        b.extend_from_slice(name.as_bytes());
        b.push(0);
        b.resize(start + pad(b.len() - start), 0);
        match v {
            Value::Null => {}
            Value::Bool(x) => b.push(u8::from(*x)),
            Value::Number(n) => match (kind, n.as_i64(), n.as_u64()) {
                (BLOBMSG_INT32, Some(i), _) => b.extend_from_slice(&(i as i32).to_be_bytes()),
                (BLOBMSG_INT64, Some(i), _) => b.extend_from_slice(&i.to_be_bytes()),
                (BLOBMSG_INT64, None, Some(u)) => b.extend_from_slice(&u.to_be_bytes()),
                _ => b.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_bits().to_be_bytes()),
            },
            Value::String(x) => {
                b.extend_from_slice(x.as_bytes());
                b.push(0);
            }
            Value::Array(items) => items.iter().for_each(|item| put_blobmsg(b, "", item)),
            Value::Object(members) => b.extend_from_slice(&encode_table(members)),
        }
    });
}

/// The members of a JSON object as a run of blobmsg attributes (the form of ubus DATA).
pub fn encode_table(members: &Map<String, Value>) -> Vec<u8> {
    let mut buf = Vec::new();
    for (k, v) in members {
        put_blobmsg(&mut buf, k, v);
    }
    buf
}

/// A decoded attribute borrowing its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr<'a> {
    pub id: u8,
    pub extended: bool,
    pub data: &'a [u8],
}

impl<'a> Attr<'a> {
    pub fn u32(&self) -> Option<u32> {
        Some(u32::from_be_bytes(self.data.get(..4)?.try_into().ok()?))
    }

    pub fn u8(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// A NUL-terminated string payload.
    pub fn str(&self) -> Option<&'a str> {
        let end = self.data.iter().position(|b| *b == 0)?;
        std::str::from_utf8(&self.data[..end]).ok()
    }
}

/// The attributes in `buf`, back to back, with libubox's bounds rule.
pub fn attrs(buf: &[u8]) -> impl Iterator<Item = Attr<'_>> {
    let mut rest = buf;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let header = u32::from_be_bytes(rest[..4].try_into().ok()?);
        let len = (header & LEN_MASK) as usize;
        let padded = pad(len);
        if len < 4 || padded > rest.len() {
            return None;
        }
        let attr =
            Attr { id: ((header >> ID_SHIFT) & 0x7f) as u8, extended: header & EXTENDED != 0, data: &rest[4..len] };
        rest = &rest[padded..];
        Some(attr)
    })
}

/// How deep arrays and tables may nest. netifd's interface status is under 8 levels; the limit
/// keeps a hostile message (20,000 nested arrays fit in ubus's 1 MiB) from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// A message nested deeper than [`MAX_DEPTH`]: refused as a whole, never decoded in part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TooDeep;

impl std::fmt::Display for TooDeep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "blobmsg data nested deeper than {MAX_DEPTH} levels")
    }
}

/// A blobmsg attribute → (name, value). `Ok(None)` for a malformed one.
pub fn blobmsg(a: &Attr) -> Result<Option<(String, Value)>, TooDeep> {
    decode(a, 0)
}

fn decode(a: &Attr, depth: usize) -> Result<Option<(String, Value)>, TooDeep> {
    let Some((name, value)) = split_name(a) else {
        return Ok(None);
    };
    let v = match a.id {
        BLOBMSG_ARRAY | BLOBMSG_TABLE if depth >= MAX_DEPTH => return Err(TooDeep),
        BLOBMSG_ARRAY => {
            let mut items = Vec::new();
            for x in attrs(value) {
                items.extend(decode(&x, depth + 1)?.map(|(_, v)| v));
            }
            Value::Array(items)
        }
        BLOBMSG_TABLE => Value::Object(table(value, depth + 1)?),
        _ => match scalar(a.id, value) {
            Some(v) => v,
            None => return Ok(None),
        },
    };
    Ok(Some((name, v)))
}

/// The name and the value's bytes of an attribute.
fn split_name<'a>(a: &Attr<'a>) -> Option<(String, &'a [u8])> {
    if !a.extended {
        // Array elements without the extended bit: the payload is the value itself.
        return Some((String::new(), a.data));
    }
    let name_len = usize::from(u16::from_be_bytes(a.data.get(..2)?.try_into().ok()?));
    let name = std::str::from_utf8(a.data.get(2..2 + name_len)?).ok()?;
    let hdr = pad(2 + name_len + 1);
    Some((name.to_string(), a.data.get(hdr..)?))
}

fn scalar(id: u8, value: &[u8]) -> Option<Value> {
    let num = |n: i64| Value::Number(Number::from(n));
    Some(match id {
        BLOBMSG_UNSPEC => Value::Null,
        BLOBMSG_STRING => {
            let end = value.iter().position(|b| *b == 0)?;
            Value::String(String::from_utf8_lossy(&value[..end]).into_owned())
        }
        BLOBMSG_INT64 => num(i64::from_be_bytes(value.get(..8)?.try_into().ok()?)),
        BLOBMSG_INT32 => num(i64::from(i32::from_be_bytes(value.get(..4)?.try_into().ok()?))),
        BLOBMSG_INT16 => num(i64::from(i16::from_be_bytes(value.get(..2)?.try_into().ok()?))),
        BLOBMSG_INT8 => Value::Bool(*value.first()? != 0),
        BLOBMSG_DOUBLE => {
            let f = f64::from_bits(u64::from_be_bytes(value.get(..8)?.try_into().ok()?));
            Number::from_f64(f).map(Value::Number).unwrap_or(Value::Null)
        }
        _ => return None,
    })
}

fn table(buf: &[u8], depth: usize) -> Result<Map<String, Value>, TooDeep> {
    let mut members = Map::new();
    for a in attrs(buf) {
        members.extend(decode(&a, depth)?);
    }
    Ok(members)
}

/// A run of blobmsg attributes as a JSON object; malformed members are skipped, and data
/// nested deeper than [`MAX_DEPTH`] is refused.
pub fn decode_table(buf: &[u8]) -> Result<Map<String, Value>, TooDeep> {
    table(buf, 0)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// `depth` arrays inside one another, as one table member, built without recursion: the
    /// shape of the message (20,000 deep, 160 KB) that overflowed the stack.
    pub(crate) fn nested_arrays(depth: usize) -> Vec<u8> {
        let mut buf = Vec::with_capacity(8 * depth);
        for level in 0..depth {
            let len = (8 * (depth - level)) as u32;
            buf.extend_from_slice(&(EXTENDED | (u32::from(BLOBMSG_ARRAY) << ID_SHIFT) | len).to_be_bytes());
            // The empty name: its length, the NUL and padding.
            buf.extend_from_slice(&[0; 4]);
        }
        buf
    }

    fn one(name: &str, v: Value) -> Vec<u8> {
        let mut b = Vec::new();
        put_blobmsg(&mut b, name, &v);
        b
    }

    // The verified encodings of the reference (§1.4), byte for byte, both ways.
    #[test]
    fn reference_encodings() {
        let cases = [
            ("up", json!(true), "8700000d 00027570 00000000 01000000"),
            ("mask", json!(32), "85000010 0004 6d61736b 0000 00000020"),
            (
                "address",
                json!("100.64.12.34"),
                "8300001d 0007 61646472657373 00 0000 3130302e36342e31322e333400 000000",
            ),
            (
                "updated",
                json!(["addresses"]),
                "81000024 0007 75706461746564 00 0000 83000012 00000000 616464726573736573 00 0000",
            ),
        ];
        for (name, value, bytes) in cases {
            let want = hex(bytes);
            assert_eq!(one(name, value.clone()), want, "{name}");
            let a = attrs(&want).next().unwrap();
            assert_eq!(blobmsg(&a), Ok(Some((name.to_string(), value))));
        }
    }

    #[test]
    fn round_trips_every_type() {
        let v = json!({"s": "x", "t": true, "f": false, "i": -5, "big": 1i64 << 40, "d": 1.5, "n": null,
                       "a": [1, "two", [3]], "o": {"k": {"deep": 1}}});
        let enc = encode_table(v.as_object().unwrap());
        assert_eq!(Value::Object(decode_table(&enc).unwrap()), v);
    }

    #[test]
    fn hostile_input_never_panics() {
        let good = encode_table(json!({"a": [1, {"b": "c"}], "d": 2.5, "e": "ffff"}).as_object().unwrap());
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..50_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut m = good.clone();
            m.truncate((x as usize) % (m.len() + 1));
            for k in 0..3 {
                if !m.is_empty() {
                    let i = (x >> (8 + k * 16)) as usize % m.len();
                    m[i] = (x >> (k * 8)) as u8;
                }
            }
            let _ = decode_table(&m);
        }
        let random: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        let _ = decode_table(&random);
    }

    #[test]
    fn nesting_is_bounded() {
        // Before the limit, this one message aborted the daemon with a stack overflow.
        let deep = nested_arrays(20_000);
        assert_eq!(deep.len(), 160_000);
        assert_eq!(decode_table(&deep), Err(TooDeep));
        assert_eq!(TooDeep.to_string(), "blobmsg data nested deeper than 32 levels");
        // Up to the limit it decodes: 32 arrays inside one another.
        let mut v = json!([]);
        for _ in 1..MAX_DEPTH {
            v = json!([v]);
        }
        assert_eq!(decode_table(&nested_arrays(MAX_DEPTH)).unwrap()[""], v);
        assert_eq!(decode_table(&nested_arrays(MAX_DEPTH + 1)), Err(TooDeep));
        // Tables count as levels too.
        let mut t = json!({"x": 1});
        for _ in 0..=MAX_DEPTH {
            t = json!({"t": t});
        }
        assert_eq!(decode_table(&encode_table(t.as_object().unwrap())), Err(TooDeep));
    }

    #[test]
    fn fuzz_regressions() {
        // `notification-*` are whole ubus messages off the socket, the others DATA payloads.
        for (name, bytes) in crate::testing::regression_inputs("blobmsg") {
            let decoded = if name.starts_with("notification-") {
                let m = crate::ubus::Message::read_from(&mut &bytes[..]).unwrap();
                m.data().map(drop).map_err(|e| e.to_string())
            } else {
                decode_table(&bytes).map(drop).map_err(|e| format!("ubus: {e}"))
            };
            if name.contains("nested") {
                assert_eq!(decoded.unwrap_err(), "ubus: blobmsg data nested deeper than 32 levels", "{name}");
            }
        }
    }
}
