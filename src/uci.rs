//! Reader for OpenWrt's UCI file syntax (`/etc/config/<package>`), following libuci's lexer:
//! `package`, `config type ['name']`, `option name 'value'`, `list name 'value'` (and their
//! one-letter forms), single quotes taken literally, double quotes and bare words with
//! backslash escapes, backslash-newline continuation, `#` comments and `;` separators.

use std::collections::HashMap;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub file: String,
    pub pos: Position,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.pos.line, self.pos.column, self.message)
    }
}

impl std::error::Error for ParseError {}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Single(String),
    List(Vec<String>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub value: Value,
    pub pos: Position,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub kind: String,
    /// `None` for an anonymous section (`config service` without a name).
    pub name: Option<String>,
    pub pos: Position,
    pub entries: Vec<Entry>,
}

impl Section {
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.name == name)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct File {
    pub package: Option<String>,
    pub sections: Vec<Section>,
}

struct Token {
    text: String,
    pos: Position,
}

/// The lexer works on bytes: a file must be UTF-8 except inside comments, which are skipped
/// unread (a Latin-1 byte in a comment is common and harmless). Columns count characters.
struct Lexer<'a> {
    bytes: &'a [u8],
    at: usize,
    line: usize,
    column: usize,
    file: &'a str,
}

/// libuci splits on C's `isspace` (C locale): ASCII white space only.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        if b == b'\n' {
            self.line += 1;
            self.column = 1;
        } else if b & 0xc0 != 0x80 {
            // UTF-8 continuation bytes do not start a character.
            self.column += 1;
        }
        Some(b)
    }

    /// Move one character from the input to `text`; it must be valid UTF-8.
    fn take_char(&mut self, text: &mut String) -> Result<(), ParseError> {
        if let Some(b) = self.peek().filter(u8::is_ascii) {
            self.bump();
            text.push(char::from(b));
            return Ok(());
        }
        let rest = &self.bytes[self.at..];
        let head = &rest[..rest.len().min(4)];
        let valid = match std::str::from_utf8(head) {
            Ok(s) => s,
            Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
        };
        let Some(c) = valid.chars().next() else {
            let byte = head.first().copied().unwrap_or(0);
            return Err(self.error(
                self.pos(),
                format!(
                    "invalid UTF-8 (byte 0x{byte:02X}): the file must be UTF-8; only comments may hold other bytes"
                ),
            ));
        };
        for _ in 0..c.len_utf8() {
            self.bump();
        }
        text.push(c);
        Ok(())
    }

    fn pos(&self) -> Position {
        Position { line: self.line, column: self.column }
    }

    fn error(&self, pos: Position, message: impl Into<String>) -> ParseError {
        ParseError { file: self.file.to_string(), pos, message: message.into() }
    }

    /// The tokens of one command, up to an unescaped newline, `;` or end of input.
    /// Returns `None` at end of input.
    fn command(&mut self) -> Result<Option<Vec<Token>>, ParseError> {
        let mut tokens = Vec::new();
        loop {
            match self.peek() {
                None => return Ok(if tokens.is_empty() { None } else { Some(tokens) }),
                Some(b'\n') | Some(b';') => {
                    self.bump();
                    if !tokens.is_empty() {
                        return Ok(Some(tokens));
                    }
                }
                Some(b) if is_space(b) => {
                    self.bump();
                }
                Some(b'#') => {
                    while self.peek().is_some_and(|b| b != b'\n') {
                        self.bump();
                    }
                }
                Some(_) => tokens.push(self.word()?),
            }
        }
    }

    /// After a backslash: a newline continues the line (libuci joins the lines, even inside a
    /// bare word), any other character stands for itself. `false` at end of input.
    fn escape(&mut self, text: &mut String) -> Result<bool, ParseError> {
        self.bump();
        match self.peek() {
            Some(b'\n') => {
                self.bump();
            }
            Some(_) => self.take_char(text)?,
            None => return Ok(false),
        }
        Ok(true)
    }

    /// One word: a run of quoted and unquoted pieces with no whitespace between them.
    fn word(&mut self) -> Result<Token, ParseError> {
        let pos = self.pos();
        let mut text = String::new();
        loop {
            match self.peek() {
                Some(b'\'') => {
                    let start = self.pos();
                    self.bump();
                    loop {
                        match self.peek() {
                            Some(b'\'') => break,
                            Some(_) => self.take_char(&mut text)?,
                            None => return Err(self.error(start, "unterminated single quote")),
                        }
                    }
                    self.bump();
                }
                Some(b'"') => {
                    let start = self.pos();
                    self.bump();
                    loop {
                        match self.peek() {
                            Some(b'"') => break,
                            Some(b'\\') => {
                                if !self.escape(&mut text)? {
                                    return Err(self.error(start, "unterminated double quote"));
                                }
                            }
                            Some(_) => self.take_char(&mut text)?,
                            None => return Err(self.error(start, "unterminated double quote")),
                        }
                    }
                    self.bump();
                }
                Some(b'\\') => {
                    if !self.escape(&mut text)? {
                        return Err(self.error(self.pos(), "backslash at end of file"));
                    }
                }
                Some(b) if is_space(b) || b == b';' || b == b'#' => break,
                Some(_) => self.take_char(&mut text)?,
                None => break,
            }
        }
        Ok(Token { text, pos })
    }
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn valid_type(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| (33..=126).contains(&b))
}

/// Parse a whole file. `file` names it in error messages.
pub fn parse(file: &str, text: &str) -> Result<File, ParseError> {
    parse_bytes(file, text.as_bytes())
}

/// Parse a file as read from disk: UTF-8, except that comments may hold any bytes.
/// Linear in the size of the file: sections and options are found through indexes.
pub fn parse_bytes(file: &str, bytes: &[u8]) -> Result<File, ParseError> {
    let mut lx = Lexer { bytes, at: 0, line: 1, column: 1, file };
    let mut out = File::default();
    let mut named: HashMap<String, usize> = HashMap::new();
    // Per section, option name → index in its entries.
    let mut options: Vec<HashMap<String, usize>> = Vec::new();
    let mut current: Option<usize> = None;
    while let Some(tokens) = lx.command()? {
        let head = &tokens[0];
        let args = &tokens[1..];
        let arity = |min: usize, max: usize, usage: &str| -> Result<(), ParseError> {
            if args.len() < min || args.len() > max {
                let at = args.get(max).map(|t| t.pos.clone()).unwrap_or(head.pos.clone());
                Err(lx.error(at, format!("expected: {usage}")))
            } else {
                Ok(())
            }
        };
        match head.text.as_str() {
            "package" | "p" => {
                arity(1, 1, "package <name>")?;
                out.package = Some(args[0].text.clone());
            }
            "config" | "c" => {
                arity(1, 2, "config <type> ['<name>']")?;
                if !valid_type(&args[0].text) {
                    return Err(lx.error(args[0].pos.clone(), format!("invalid section type '{}'", args[0].text)));
                }
                let name = match args.get(1) {
                    Some(t) if !valid_name(&t.text) => {
                        return Err(lx.error(
                            t.pos.clone(),
                            format!("invalid section name '{}': only letters, digits and _ are allowed", t.text),
                        ))
                    }
                    Some(t) => Some(t.text.clone()),
                    None => None,
                };
                // A named section given twice is merged into the first, as libuci does.
                if let Some(&i) = name.as_ref().and_then(|n| named.get(n)) {
                    current = Some(i);
                    continue;
                }
                let i = out.sections.len();
                if let Some(n) = &name {
                    named.insert(n.clone(), i);
                }
                out.sections.push(Section {
                    kind: args[0].text.clone(),
                    name,
                    pos: head.pos.clone(),
                    entries: Vec::new(),
                });
                options.push(HashMap::new());
                current = Some(i);
            }
            kw @ ("option" | "o" | "list" | "l") => {
                let is_list = kw.starts_with('l');
                arity(2, 2, if is_list { "list <name> '<value>'" } else { "option <name> '<value>'" })?;
                let Some(i) = current else {
                    return Err(lx.error(head.pos.clone(), format!("'{kw}' before any 'config' line")));
                };
                let name = &args[0];
                if !valid_name(&name.text) {
                    return Err(lx.error(
                        name.pos.clone(),
                        format!("invalid option name '{}': only letters, digits and _ are allowed", name.text),
                    ));
                }
                let section = &mut out.sections[i];
                let value = args[1].text.clone();
                match options[i].get(&name.text).map(|&k| &mut section.entries[k]) {
                    Some(e) if is_list => match &mut e.value {
                        Value::List(items) => items.push(value),
                        // libuci turns an option followed by a list of the same name into a list.
                        Value::Single(first) => e.value = Value::List(vec![std::mem::take(first), value]),
                    },
                    Some(e) => {
                        e.value = Value::Single(value);
                        e.pos = name.pos.clone();
                    }
                    None => {
                        options[i].insert(name.text.clone(), section.entries.len());
                        section.entries.push(Entry {
                            name: name.text.clone(),
                            value: if is_list { Value::List(vec![value]) } else { Value::Single(value) },
                            pos: name.pos.clone(),
                        });
                    }
                }
            }
            other => {
                return Err(lx.error(
                    head.pos.clone(),
                    format!("unknown keyword '{other}' (expected package, config, option or list)"),
                ))
            }
        }
    }
    Ok(out)
}

/// UCI's words for a boolean, as `config_get_bool` reads them.
pub fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "yes" | "on" | "true" | "enabled" => Some(true),
        "0" | "no" | "off" | "false" | "disabled" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(s: &Section, name: &str) -> String {
        match &s.get(name).unwrap().value {
            Value::Single(v) => v.clone(),
            Value::List(_) => panic!("{name} is a list"),
        }
    }

    #[test]
    fn parses_sections_options_lists() {
        let text = "\
# comment
package edgeddns

config edgeddns 'global'
\toption check_interval '10m' # trailing comment
config service home
\toption provider \"cloudflare\"
\tlist hostname 'a.example.org'
\tlist hostname b.example.org
\toption password 'p#ss w\\\"rd'
config service
\toption enabled 0; option provider duckdns
";
        let f = parse("test", text).unwrap();
        assert_eq!(f.package.as_deref(), Some("edgeddns"));
        assert_eq!(f.sections.len(), 3);
        assert_eq!(f.sections[0].name.as_deref(), Some("global"));
        assert_eq!(single(&f.sections[0], "check_interval"), "10m");
        let home = &f.sections[1];
        assert_eq!(home.kind, "service");
        assert_eq!(single(home, "provider"), "cloudflare");
        assert_eq!(
            home.get("hostname").unwrap().value,
            Value::List(vec!["a.example.org".into(), "b.example.org".into()])
        );
        assert_eq!(single(home, "password"), "p#ss w\\\"rd");
        assert_eq!(home.get("password").unwrap().pos, Position { line: 10, column: 9 });
        assert_eq!(f.sections[2].name, None);
        assert_eq!(single(&f.sections[2], "provider"), "duckdns");
    }

    #[test]
    fn escapes_and_continuations() {
        let f = parse(
            "t",
            "config a b\noption x \"one \\\"two\\\" \\\nthree\"\noption y four\\ five\noption z 'multi\nline'\n",
        )
        .unwrap();
        let s = &f.sections[0];
        assert_eq!(single(s, "x"), "one \"two\" three");
        assert_eq!(single(s, "y"), "four five");
        assert_eq!(single(s, "z"), "multi\nline");
    }

    #[test]
    fn later_option_wins_and_sections_merge() {
        let f = parse("t", "config s a\noption x 1\noption x 2\nconfig s a\noption y 3\n").unwrap();
        assert_eq!(f.sections.len(), 1);
        assert_eq!(single(&f.sections[0], "x"), "2");
        assert_eq!(single(&f.sections[0], "y"), "3");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let cases = [
            ("option x 1\n", 1, 1, "before any 'config'"),
            ("config s a\n  option x 'open\n", 2, 12, "unterminated single quote"),
            ("config s bad-name\n", 1, 10, "invalid section name"),
            ("config s a\noption bad.name 1\n", 2, 8, "invalid option name"),
            ("config s a\n  frobnicate x\n", 2, 3, "unknown keyword 'frobnicate'"),
            ("config s a\noption x\n", 2, 1, "expected: option"),
            ("config s a\noption x 1 2\n", 2, 12, "expected: option"),
            ("config s a\noption x \"abc\n", 2, 10, "unterminated double quote"),
        ];
        for (text, line, column, msg) in cases {
            let e = parse("/etc/config/edgeddns", text).unwrap_err();
            assert_eq!((e.pos.line, e.pos.column), (line, column), "{text:?}: {e}");
            assert!(e.to_string().starts_with(&format!("/etc/config/edgeddns:{line}:{column}: ")), "{e}");
            assert!(e.message.contains(msg), "{text:?}: {e}");
        }
    }

    #[test]
    fn other_bytes_are_fine_in_comments_and_named_elsewhere() {
        // One Latin-1 byte in a comment rejected the whole file.
        let f = parse_bytes("/etc/config/edgeddns", b"# caf\xe9\nconfig s 'a' # r\xe9seau\n\toption x '1'\n").unwrap();
        assert_eq!(single(&f.sections[0], "x"), "1");
        // Elsewhere it is an error at its line and column (in characters: 'ü' is one).
        let e = parse_bytes("/etc/config/edgeddns", b"config s 'a'\n\toption x '\xc3\xbc\xe9'\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/config/edgeddns:2:13: invalid UTF-8 (byte 0xE9): the file must be UTF-8; only comments may hold other bytes"
        );
        for (bytes, column) in [(&b"config s\xff\n"[..], 9), (b"config s 'a'\noption x \"\xc3\"\n", 11)] {
            let e = parse_bytes("f", bytes).unwrap_err();
            assert_eq!((e.pos.line, e.pos.column), (if column == 9 { 1 } else { 2 }, column), "{e}");
            assert!(e.message.starts_with("invalid UTF-8"), "{e}");
        }
        assert_eq!(single(&parse("f", "config s 'a'\noption x 'ünï ✓'\n").unwrap().sections[0], "x"), "ünï ✓");
    }

    #[test]
    fn hostile_input_never_panics() {
        let mut x: u32 = 0x1234_5678;
        let alphabet = b"co pl'\"\\\n;#x_1\t";
        for _ in 0..2000 {
            let len = (x % 60) as usize;
            let mut s = String::new();
            for _ in 0..len {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                s.push(alphabet[(x as usize) % alphabet.len()] as char);
            }
            let _ = parse("fuzz", &s);
        }
    }
}

/// Write a file back in UCI syntax (what `uci commit` produces: tab-indented, single-quoted).
/// Parsing the result gives the same `File`: a section type is written bare like `uci commit`
/// does only when it is a plain word, and quoted when it holds `#`, `;`, quotes or backslashes.
pub fn render(file: &File) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "'\\''"));
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    let kind = |s: &str| if plain(s) { s.to_string() } else { quote(s) };
    let mut out = String::new();
    if let Some(p) = &file.package {
        out.push_str(&format!("package {}\n\n", quote(p)));
    }
    for s in &file.sections {
        match &s.name {
            Some(n) => out.push_str(&format!("config {} {}\n", kind(&s.kind), quote(n))),
            None => out.push_str(&format!("config {}\n", kind(&s.kind))),
        }
        for e in &s.entries {
            match &e.value {
                Value::Single(v) => out.push_str(&format!("\toption {} {}\n", e.name, quote(v))),
                Value::List(items) => {
                    for v in items {
                        out.push_str(&format!("\tlist {} {}\n", e.name, quote(v)));
                    }
                }
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod render_tests {
    use super::*;

    type Shape = (String, Option<String>, Vec<(String, Value)>);

    fn shape(f: &File) -> Vec<Shape> {
        f.sections
            .iter()
            .map(|s| {
                (s.kind.clone(), s.name.clone(), s.entries.iter().map(|e| (e.name.clone(), e.value.clone())).collect())
            })
            .collect()
    }

    #[test]
    fn render_round_trips() {
        let text = "config edgeddns 'global'\n\toption a 'it''s'\nconfig service 'home'\n\tlist hostname 'a b'\n\tlist hostname \"c'd\"\n\toption x '1'\nconfig service\n\toption y 'multi\nline'\n";
        let f = parse("t", text).unwrap();
        let again = parse("t", &render(&f)).unwrap();
        assert_eq!(shape(&f), shape(&again));
        assert!(render(&f).contains("\tlist hostname 'c'\\''d'\n"));
        assert!(render(&f).contains("config service 'home'\n"), "plain types stay bare, as uci commit writes them");
    }

    #[test]
    fn hostile_types_and_values_round_trip() {
        let pos = Position { line: 1, column: 1 };
        let hostile = ["a#b", "a;b", "it's", "say\"hi\"", "back\\slash", "x#'y;\"z\\"];
        let mut f = File { package: Some("p#'q".into()), sections: Vec::new() };
        for (i, t) in hostile.iter().enumerate() {
            let entry = |name: &str, value: Value| Entry { name: name.into(), value, pos: pos.clone() };
            let entries = vec![
                entry("v", Value::Single(format!("{t} # no comment; \\\nnext line"))),
                entry("l", Value::List(vec![t.to_string(), String::new(), "'".into(), "t\u{e9}st ✓".into()])),
            ];
            let name = (i % 2 == 0).then(|| format!("s{i}"));
            f.sections.push(Section { kind: t.to_string(), name, pos: pos.clone(), entries });
        }
        let text = render(&f);
        let again = parse("t", &text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(again.package, f.package);
        assert_eq!(shape(&again), shape(&f), "{text}");
    }

    #[test]
    fn fuzz_regressions() {
        for (name, bytes) in crate::testing::regression_inputs("uci") {
            let f = parse_bytes(&name, &bytes).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(shape(&parse("again", &render(&f)).unwrap()), shape(&f), "{name}");
            let cfg = crate::config::from_bytes(&name, &bytes);
            assert_eq!(cfg.is_err(), name.starts_with("second-global"), "{name}");
        }
    }
}
