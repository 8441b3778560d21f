//! Canonical compact JSON: no whitespace, numbers exactly as written,
//! strings escaped only where JSON requires it (`"`, `\` and control
//! characters: `\n`-style escapes where they exist, else `\u00xx`), as
//! `JSON.stringify` and serde_json write them. Canonical text read into a
//! tape and written again is the same bytes, so a stored record never
//! drifts.

use super::parse::scan_plain;
use super::{Node, Tag, Tape, Value};

/// Where canonical JSON goes: a string, or a counter of its length.
trait Sink {
    fn push_str(&mut self, text: &str);
}

impl Sink for String {
    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }
}

/// Counts bytes instead of keeping them.
struct Length(usize);

impl Sink for Length {
    fn push_str(&mut self, text: &str) {
        self.0 += text.len();
    }
}

/// Canonical compact JSON, written piece by piece.
pub(crate) struct JsonWriter {
    out: String,
}

impl JsonWriter {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        JsonWriter { out: String::with_capacity(capacity) }
    }

    /// Bytes written so far.
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// Text that is already JSON (punctuation, fixed keys).
    pub(crate) fn raw(&mut self, json: &str) {
        self.out.push_str(json);
    }

    /// A string value.
    pub(crate) fn string(&mut self, text: &str) {
        write_string(&mut self.out, text);
    }

    /// `"key":`.
    pub(crate) fn key(&mut self, key: &str) {
        write_string(&mut self.out, key);
        self.out.push(':');
    }

    /// `"key":` for the object member whose value is `value`, written from
    /// the key's own node (just before the value's on the tape): a key
    /// read without an escape is copied, not scanned again.
    pub(crate) fn key_of(&mut self, value: Value<'_>) {
        let key = value.tape.nodes[value.index - 1];
        debug_assert!(matches!(key.tag(), Tag::String | Tag::EscapedString), "a member's key precedes its value");
        write_string_node(&mut self.out, value.tape, key);
        self.out.push(':');
    }

    /// A value of a tape, in canonical form.
    pub(crate) fn value(&mut self, value: Value<'_>) {
        write_value(&mut self.out, value.tape, value.index);
    }

    pub(crate) fn into_string(self) -> String {
        self.out
    }
}

/// The length of `value` as canonical compact JSON, without writing it.
pub(crate) fn canonical_len(value: Value<'_>) -> usize {
    let mut length = Length(0);
    write_value(&mut length, value.tape, value.index);
    length.0
}

/// The length of the string `text` as canonical JSON, quotes included.
pub(crate) fn string_len(text: &str) -> usize {
    let mut length = Length(0);
    write_string(&mut length, text);
    length.0
}

fn write_value(sink: &mut impl Sink, tape: &Tape<'_>, index: usize) {
    let node = tape.nodes[index];
    match node.tag() {
        Tag::Null => sink.push_str("null"),
        Tag::False => sink.push_str("false"),
        Tag::True => sink.push_str("true"),
        Tag::Number => sink.push_str(&tape.text[node.at()..node.at() + node.len()]),
        Tag::String | Tag::EscapedString => write_string_node(sink, tape, node),
        Tag::Array => {
            sink.push_str("[");
            let mut at = index + 1;
            while at < node.at() {
                if at > index + 1 {
                    sink.push_str(",");
                }
                write_value(sink, tape, at);
                at = tape.value(at).end();
            }
            sink.push_str("]");
        }
        Tag::Object => {
            sink.push_str("{");
            let mut at = index + 1;
            while at < node.at() {
                if at > index + 1 {
                    sink.push_str(",");
                }
                write_string_node(sink, tape, tape.nodes[at]);
                sink.push_str(":");
                write_value(sink, tape, at + 1);
                at = tape.value(at + 1).end();
            }
            sink.push_str("}");
        }
    }
}

fn write_string_node(sink: &mut impl Sink, tape: &Tape<'_>, node: Node) {
    let text = tape.str_of(node);
    if node.tag() == Tag::String {
        // Read from JSON text without a single escape: nothing to escape.
        sink.push_str("\"");
        sink.push_str(text);
        sink.push_str("\"");
    } else {
        write_string(sink, text);
    }
}

fn write_string(sink: &mut impl Sink, text: &str) {
    sink.push_str("\"");
    let bytes = text.as_bytes();
    let mut plain_from = 0;
    loop {
        // The bytes JSON escapes are exactly those that end plain content when reading.
        let at = scan_plain(bytes, plain_from);
        sink.push_str(&text[plain_from..at]);
        let Some(&byte) = bytes.get(at) else { break };
        let short = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            _ => "",
        };
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            let escape = [b'\\', b'u', b'0', b'0', HEX[usize::from(byte >> 4)], HEX[usize::from(byte & 0xf)]];
            // Six ASCII bytes.
            sink.push_str(std::str::from_utf8(&escape).unwrap_or_default());
        } else {
            sink.push_str(short);
        }
        // Escaped bytes are ASCII, so the next byte starts a character.
        plain_from = at + 1;
    }
    sink.push_str("\"");
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn canonical(text: &str) -> String {
        let tape = parse(text.as_bytes(), 64).unwrap();
        let mut writer = JsonWriter::with_capacity(0);
        writer.value(tape.root());
        let written = writer.into_string();
        assert_eq!(canonical_len(tape.root()), written.len(), "{text}");
        written
    }

    #[test]
    fn writes_compact_json_with_numbers_as_written() {
        let cases = [
            (
                r#" { "a" : [ 1 , -0 , 0.1000 , 1e400 , 12345678901234567890 ] , "b" : { } , "c" : [ ] } "#,
                r#"{"a":[1,-0,0.1000,1e400,12345678901234567890],"b":{},"c":[]}"#,
            ),
            (
                r#"{"s": "\u0041\/\"\\\n\t\b\f\r\u0001\u001f é 😀 \ud83d\ude00"}"#,
                "{\"s\":\"A/\\\"\\\\\\n\\t\\b\\f\\r\\u0001\\u001f é 😀 😀\"}",
            ),
            (r#"{"k\u0022ey": null, "t": true, "f": false}"#, r#"{"k\"ey":null,"t":true,"f":false}"#),
        ];
        for (text, expected) in cases {
            let written = canonical(text);
            assert_eq!(written, expected);
            // Canonical text is a fixed point.
            assert_eq!(canonical(&written), written);
        }
    }
}
