//! A document checked without a tape, then read one value at a time: a
//! cursor walks its containers and skips what it does not need, and a
//! value wanted whole gets a tape of its own. So a caller can read a large
//! document in the memory of its largest value (bulk identify: 10 MiB of
//! users, one user at a time).

use super::parse::{self, scan_plain, skip_whitespace, tape_of};
use super::{Kind, ParseError, Tape};
use std::borrow::Cow;
use std::ops::Range;

/// Checks `bytes` as [`parse`](super::parse) would, with the same errors,
/// keeping only the open containers and their keys, not a tape.
pub(crate) fn check(bytes: &[u8], max_depth: usize) -> Result<Checked<'_>, ParseError> {
    parse::check(bytes, max_depth).map(|text| Checked { text })
}

/// The text of a document that [`check`] accepted.
pub(crate) struct Checked<'a> {
    text: &'a str,
}

/// Where a value lies in a checked document, and the number of nodes its
/// tape takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) range: Range<usize>,
    pub(crate) nodes: usize,
}

impl<'a> Checked<'a> {
    /// A cursor at the document's value.
    pub(crate) fn cursor(&self) -> Cursor<'a> {
        self.cursor_at(0)
    }

    /// A cursor at the value that starts at `at` (a [`Span`]'s start).
    pub(crate) fn cursor_at(&self, at: usize) -> Cursor<'a> {
        Cursor { text: self.text, at: skip_whitespace(self.text.as_bytes(), at) }
    }

    /// The value at `span` as a document of its own, nested at most
    /// `max_depth` levels, in a tape of exactly its nodes.
    pub(crate) fn tape(&self, span: &Span, max_depth: usize) -> Result<Tape<'a>, ParseError> {
        tape_of(&self.text[span.range.clone()], max_depth, span.nodes)
    }
}

/// A place in a checked document, just before a value or a container's
/// next member. Each value the cursor reaches is to be moved past
/// ([`Cursor::skip`], [`Cursor::string`], or entered and read to its end)
/// before the next `next_key` or `next_item` of its container.
#[derive(Clone)]
pub(crate) struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Cursor<'a> {
    /// The kind of the value at the cursor, from its first byte.
    pub(crate) fn kind(&self) -> Kind {
        match self.text.as_bytes().get(self.at) {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// Moves past the value at the cursor: its span.
    pub(crate) fn skip(&mut self) -> Span {
        // The document parsed whole, so each of its values parses alone;
        // were it ever not so, the rest of the text is the value.
        let (end, nodes) = parse::skip(self.text, self.at).unwrap_or((self.text.len(), 0));
        let span = Span { range: self.at..end, nodes };
        self.at = end;
        span
    }

    /// Moves past the value at the cursor: its text, if it is a string.
    pub(crate) fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.kind() != Kind::String {
            self.skip();
            return None;
        }
        let bytes = self.text.as_bytes();
        let start = self.at + 1;
        let end = scan_plain(bytes, start);
        if bytes.get(end) == Some(&b'"') {
            self.at = end + 1;
            return Some(Cow::Borrowed(&self.text[start..end]));
        }
        // Escaped: decoded by the parser, in a tape of one node.
        let span = self.skip();
        let tape = tape_of(&self.text[span.range], 1, 1).ok()?;
        tape.root().as_str().map(|text| Cow::Owned(text.to_owned()))
    }

    /// In an object (the cursor at it, or past a member's value): the next
    /// member's key, the cursor then at its value; `None` after the last,
    /// the cursor then past the object.
    pub(crate) fn next_key(&mut self) -> Option<Cow<'a, str>> {
        if !self.next_in(b'}') {
            return None;
        }
        let key = self.string();
        // Past the `:`.
        self.at = skip_whitespace(self.text.as_bytes(), self.at) + 1;
        self.at = skip_whitespace(self.text.as_bytes(), self.at);
        key
    }

    /// In an array (the cursor at it, or past an item): whether there is a
    /// next item, the cursor then at it; after the last, past the array.
    pub(crate) fn next_item(&mut self) -> bool {
        self.next_in(b']')
    }

    /// Past the `{`, `[` or `,` before a container's next member, or past
    /// its `closer`; whether there is a member.
    fn next_in(&mut self, closer: u8) -> bool {
        let bytes = self.text.as_bytes();
        let mut at = skip_whitespace(bytes, self.at);
        if bytes.get(at) != Some(&closer) {
            // `{`, `[` or `,`: then the member, or (after an opening) the closer.
            at = skip_whitespace(bytes, at + 1);
        }
        if bytes.get(at) == Some(&closer) || at >= bytes.len() {
            self.at = at + 1;
            return false;
        }
        self.at = at;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::parse;
    use proptest::prelude::*;

    /// The nodes of the value at `cursor`, counted by walking it with the
    /// cursor; the cursor ends where [`Cursor::skip`] would put it.
    fn walk(cursor: &mut Cursor<'_>) -> usize {
        let expected = cursor.clone().skip();
        let nodes = match cursor.kind() {
            Kind::Object => {
                let mut nodes = 1;
                while cursor.next_key().is_some() {
                    nodes += 1 + walk(cursor);
                }
                nodes
            }
            Kind::Array => {
                let mut nodes = 1;
                while cursor.next_item() {
                    nodes += walk(cursor);
                }
                nodes
            }
            _ => cursor.skip().nodes,
        };
        assert_eq!((nodes, cursor.at), (expected.nodes, expected.range.end));
        nodes
    }

    #[test]
    fn a_cursor_reads_keys_and_items_and_spans_with_their_nodes() {
        let text = br#" { "a" : [1, {"b": null} , "x\"y"], "\u0063" : {"d": []} , "e":"f" } "#;
        let checked = check(text, 64).expect("JSON");
        let mut root = checked.cursor();
        assert_eq!(root.kind(), Kind::Object);
        assert_eq!(root.next_key().as_deref(), Some("a"));
        assert_eq!(root.kind(), Kind::Array);
        let mut items = Vec::new();
        while root.next_item() {
            let span = root.skip();
            items.push((&checked.text[span.range.clone()], span.nodes));
        }
        assert_eq!(items, [("1", 1), (r#"{"b": null}"#, 3), (r#""x\"y""#, 1)]);
        assert_eq!(root.next_key().as_deref(), Some("c"));
        let span = root.skip();
        let tape = checked.tape(&span, 2).expect("a value of the document");
        assert_eq!(tape.nodes.len(), span.nodes);
        assert_eq!(tape.root().get("d").map(|d| d.kind()), Some(Kind::Array));
        assert_eq!(root.next_key().as_deref(), Some("e"));
        assert_eq!(root.string().as_deref(), Some("f"));
        assert_eq!(root.next_key(), None);
        let mut whole = checked.cursor();
        assert_eq!(walk(&mut whole), parse(text, 64).expect("JSON").nodes.len());
    }

    /// JSON text with spaces, escapes and repeated keys, nested up to 5 levels.
    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_owned()),
            Just("-1.5e3".to_owned()),
            Just("true".to_owned()),
            Just(r#""\u00e9\n""#.to_owned()),
            "[a-c]{0,3}".prop_map(|text| format!("\"{text}\"")),
        ];
        leaf.prop_recursive(4, 48, 5, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(|items| format!("[ {} ]", items.join(" ,"))),
                proptest::collection::vec(("[a-c]{0,2}", inner), 0..5).prop_map(|entries| {
                    let entries: Vec<String> =
                        entries.iter().map(|(key, value)| format!("\"{key}\" :{value}")).collect();
                    format!("{{{}}}", entries.join(",\n"))
                }),
            ]
        })
    }

    /// Some bytes of JSON-like text, or JSON text cut or with a byte changed.
    fn text() -> impl Strategy<Value = Vec<u8>> {
        let alphabet = b"{}[]{}[],,::\"\"\"aa\\u00e90-1.5e truefalsenull \n\xff".to_vec();
        prop_oneof![
            proptest::collection::vec(proptest::sample::select(alphabet.clone()), 0..48),
            json_text().prop_map(String::into_bytes),
            (json_text(), any::<prop::sample::Index>(), proptest::sample::select(alphabet)).prop_map(
                |(text, at, byte)| {
                    let mut text = text.into_bytes();
                    let at = at.index(text.len() + 1);
                    text.insert(at, byte);
                    text
                }
            ),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// `check` answers as `parse` does, error for error; and a document
        /// it accepts is walked value by value into the nodes of its tape.
        #[test]
        fn check_answers_as_parse_does(text in text(), depth in 1usize..7) {
            let parsed = parse(&text, depth);
            let checked = check(&text, depth);
            prop_assert_eq!(checked.as_ref().err(), parsed.as_ref().err());
            if let (Ok(checked), Ok(tape)) = (checked, parsed) {
                prop_assert_eq!(walk(&mut checked.cursor()), tape.nodes.len());
            }
        }
    }
}
