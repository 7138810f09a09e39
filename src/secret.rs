//! Credentials and their masking: a `Secret` never prints, and every text that may quote one
//! (provider reasons, logs, displayed requests) goes through `mask_secrets`.

use crate::encoding::url_encode;
use std::fmt;

/// A credential. It prints as `***` everywhere, so it cannot leak through `{:?}` or `{}`.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Replace every secret in `text` by `***`, in every form it takes in the text we show:
/// as given, percent-encoded (either hex case, and with `+` for a space as forms write it),
/// JSON-escaped and XML-escaped. The one masking function: provider reasons, logs and displayed
/// requests all go through it.
pub fn mask_secrets(text: &str, secrets: &[String]) -> String {
    let mut forms: Vec<String> = secrets.iter().filter(|s| !s.is_empty()).flat_map(|s| secret_forms(s)).collect();
    // Longest first, so that no shorter form cuts a longer one apart before it is found.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    let mut out = text.to_string();
    for f in forms {
        if out.contains(f.as_str()) {
            out = out.replace(f.as_str(), "***");
        }
    }
    out
}

fn secret_forms(s: &str) -> [String; 6] {
    let encoded = url_encode(s);
    let lower_hex = lower_percent_hex(&encoded);
    let form = encoded.replace("%20", "+");
    let json = serde_json::to_string(s).unwrap_or_default();
    let json = json.trim_matches('"').to_string();
    let xml = s
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;");
    [s.to_string(), encoded, lower_hex, form, json, xml]
}

/// `%2F` → `%2f`: some servers echo percent-encodings in lower case.
fn lower_percent_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            hex_left = if c == '%' { 2 } else { 0 };
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_secret_is_masked() {
        let secret = "p a/\"s&<é>".to_string();
        let forms = [
            secret.clone(),
            url_encode(&secret),
            url_encode(&secret).to_lowercase(),
            url_encode(&secret).replace("%20", "+"),
            serde_json::to_string(&secret).unwrap().trim_matches('"').to_string(),
            "p a/&quot;s&amp;&lt;é&gt;".to_string(),
        ];
        for f in forms {
            assert_eq!(mask_secrets(&format!("[{f}]"), std::slice::from_ref(&secret)), "[***]", "{f}");
        }
    }
}
