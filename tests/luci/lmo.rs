//! LuCI's .lmo catalogue read back the way lmo.c reads it: strings padded to 4 bytes, then an
//! index of (key hash, value id, offset, length) entries in network byte order sorted by key,
//! then the index's offset in the last 4 bytes. Keys are SuperFastHash values of the msgid.

/// SuperFastHash (Paul Hsieh) as lmo.c computes it, seeded with the length; the 1 to 3 trailing
/// bytes are read as signed chars there, which matters for non-ASCII text.
pub fn sfh(data: &[u8]) -> u32 {
    if data.is_empty() {
        return 0;
    }
    let get16 = |d: &[u8]| u32::from(d[0]) | (u32::from(d[1]) << 8);
    let signed = |b: u8| b as i8 as i32 as u32;
    let mut hash = data.len() as u32;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        hash = hash.wrapping_add(get16(c));
        let tmp = (get16(&c[2..]) << 11) ^ hash;
        hash = (hash << 16) ^ tmp;
        hash = hash.wrapping_add(hash >> 11);
    }
    let rest = chunks.remainder();
    match rest.len() {
        3 => {
            hash = hash.wrapping_add(get16(rest));
            hash ^= hash << 16;
            hash ^= signed(rest[2]) << 18;
            hash = hash.wrapping_add(hash >> 11);
        }
        2 => {
            hash = hash.wrapping_add(get16(rest));
            hash ^= hash << 11;
            hash = hash.wrapping_add(hash >> 17);
        }
        1 => {
            hash = hash.wrapping_add(signed(rest[0]));
            hash ^= hash << 10;
            hash = hash.wrapping_add(hash >> 1);
        }
        _ => {}
    }
    hash ^= hash << 3;
    hash = hash.wrapping_add(hash >> 5);
    hash ^= hash << 4;
    hash = hash.wrapping_add(hash >> 17);
    hash ^= hash << 25;
    hash.wrapping_add(hash >> 6)
}

pub struct Catalogue {
    /// (key hash, translation), sorted by key as in the file.
    pub entries: Vec<(u32, String)>,
}

impl Catalogue {
    pub fn parse(data: &[u8]) -> Result<Catalogue, String> {
        let u32_at = |o: usize| -> Result<u32, String> {
            data.get(o..o + 4).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]])).ok_or(format!("truncated at {o}"))
        };
        if data.len() < 4 {
            return Err("shorter than its index offset".into());
        }
        let index = u32_at(data.len() - 4)? as usize;
        if index >= data.len() || (data.len() - 4 - index) % 16 != 0 {
            return Err(format!("index offset {index} does not fit a file of {} bytes", data.len()));
        }
        let mut entries = Vec::new();
        for e in (index..data.len() - 4).step_by(16) {
            let (key, offset, length) = (u32_at(e)?, u32_at(e + 8)? as usize, u32_at(e + 12)? as usize);
            let bytes = data.get(offset..offset + length).ok_or(format!("entry {key:08x} points outside the file"))?;
            entries
                .push((key, String::from_utf8(bytes.to_vec()).map_err(|_| format!("entry {key:08x} is not UTF-8"))?));
        }
        if entries.windows(2).any(|w| w[0].0 > w[1].0) {
            return Err("index not sorted by key".into());
        }
        Ok(Catalogue { entries })
    }

    /// lmo_translate: binary search of the whitespace-normalised msgid's hash.
    pub fn translate(&self, msgid: &str) -> Option<&str> {
        let key = msgid.split_whitespace().collect::<Vec<_>>().join(" ");
        let hash = sfh(key.as_bytes());
        self.entries.binary_search_by_key(&hash, |e| e.0).ok().map(|i| self.entries[i].1.as_str())
    }

    /// What LuCI's translations endpoint hands the page: TR keyed by the hex hash.
    pub fn to_js(&self) -> String {
        let map: serde_json::Map<String, serde_json::Value> =
            self.entries.iter().filter(|e| e.0 != 0).map(|(k, v)| (format!("{k:08x}"), v.clone().into())).collect();
        format!("window.TR={};", serde_json::Value::Object(map))
    }
}
