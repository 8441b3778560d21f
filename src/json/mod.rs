//! The core's JSON layer. A document is read once into a [`Tape`]: a flat
//! vector of 8-byte nodes in document order, where strings and numbers
//! point into the text (numbers are never converted, so they keep every
//! digit as written) and only strings with escapes are copied, decoded,
//! into one side buffer. Nothing is allocated per value. [`Value`] walks a
//! tape; [`JsonWriter`] writes canonical compact JSON.

mod checked;
mod parse;
mod scratch;
mod write;

pub(crate) use checked::{check, Checked, Cursor, Span};
pub(crate) use parse::{parse, ParseError};

pub(crate) use write::{canonical_len, string_len, JsonWriter};

/// What a node is. Containers hold their entry count in [`Node::len`] and
/// the index just past their last descendant in [`Node::at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Tag {
    Null = 0,
    False = 1,
    True = 2,
    Number = 3,
    /// A string without escapes: `at`/`len` are its content in the text.
    String = 4,
    /// A string with escapes: `at`/`len` are its decoded content in the
    /// tape's side buffer.
    EscapedString = 5,
    Array = 6,
    Object = 7,
}

const TAG_BITS: u32 = 3;

/// The longest document a tape can hold: lengths and offsets are 29 and 32 bits.
pub(crate) const MAX_DOCUMENT_BYTES: usize = (1 << (32 - TAG_BITS)) - 1;

/// One value (or object key) of a document.
#[derive(Debug, Clone, Copy)]
struct Node {
    /// The tag in the low bits, a length or entry count above them.
    head: u32,
    /// An offset (scalars) or the index past the last descendant (containers).
    at: u32,
}

impl Node {
    #[inline]
    fn new(tag: Tag, len: usize, at: usize) -> Node {
        Node { head: (len as u32) << TAG_BITS | tag as u32, at: at as u32 }
    }

    #[inline]
    fn tag(self) -> Tag {
        match self.head & ((1 << TAG_BITS) - 1) {
            0 => Tag::Null,
            1 => Tag::False,
            2 => Tag::True,
            3 => Tag::Number,
            4 => Tag::String,
            5 => Tag::EscapedString,
            6 => Tag::Array,
            _ => Tag::Object,
        }
    }

    #[inline]
    fn len(self) -> usize {
        (self.head >> TAG_BITS) as usize
    }

    #[inline]
    fn at(self) -> usize {
        self.at as usize
    }
}

/// A parsed JSON document, borrowing its text.
#[derive(Debug)]
pub(crate) struct Tape<'a> {
    text: &'a str,
    nodes: Vec<Node>,
    /// Decoded contents of the strings that had escapes.
    unescaped: String,
}

thread_local! {
    static POOLED_NODES: scratch::Pooled<Node> = const { std::cell::RefCell::new(Vec::new()) };
}
/// Node buffers of dropped tapes.
const NODES: scratch::Pool<Node> = scratch::Pool(&POOLED_NODES);

impl Drop for Tape<'_> {
    fn drop(&mut self) {
        NODES.give(std::mem::take(&mut self.nodes));
    }
}

/// What a tape holds besides the text it borrows: its nodes and decoded
/// strings. A caller that keeps its own copy of a document's text keeps
/// these beside it ([`Tape::detach`]), rather than reading the text again.
#[derive(Debug)]
pub(crate) struct TapeParts {
    nodes: Vec<Node>,
    unescaped: String,
}

impl TapeParts {
    /// The tape again, over `text`: the text it was read from, or one
    /// equal to it byte for byte (the nodes point into it).
    pub(crate) fn attach(mut self, text: &str) -> Tape<'_> {
        Tape { text, nodes: std::mem::take(&mut self.nodes), unescaped: std::mem::take(&mut self.unescaped) }
    }
}

impl Drop for TapeParts {
    fn drop(&mut self) {
        NODES.give(std::mem::take(&mut self.nodes));
    }
}

impl<'a> Tape<'a> {
    /// The document's top-level value.
    pub(crate) fn root(&self) -> Value<'_> {
        Value { tape: self, index: 0 }
    }

    /// The value at a node index (from [`Value::index`]).
    #[inline]
    pub(crate) fn value(&self, index: usize) -> Value<'_> {
        Value { tape: self, index }
    }

    /// The length of the document's text.
    pub(crate) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// The document's text.
    pub(crate) fn text(&self) -> &'a str {
        self.text
    }

    /// The tape apart from its text: see [`TapeParts::attach`].
    pub(crate) fn detach(mut self) -> TapeParts {
        TapeParts { nodes: std::mem::take(&mut self.nodes), unescaped: std::mem::take(&mut self.unescaped) }
    }

    #[inline]
    fn str_of(&self, node: Node) -> &str {
        parse::str_of(self.text, &self.unescaped, node)
    }
}

/// The JSON type of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl Kind {
    /// "an array", "a string", ...: the type, for messages.
    pub(crate) fn phrase(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::Array => "an array",
            Kind::Object => "an object",
        }
    }
}

/// A value in a [`Tape`].
#[derive(Clone, Copy)]
pub(crate) struct Value<'t> {
    tape: &'t Tape<'t>,
    index: usize,
}

impl<'t> Value<'t> {
    #[inline]
    fn node(self) -> Node {
        self.tape.nodes[self.index]
    }

    /// This value's node index in its tape.
    pub(crate) fn index(self) -> usize {
        self.index
    }

    #[inline]
    pub(crate) fn kind(self) -> Kind {
        match self.node().tag() {
            Tag::Null => Kind::Null,
            Tag::False | Tag::True => Kind::Bool,
            Tag::Number => Kind::Number,
            Tag::String | Tag::EscapedString => Kind::String,
            Tag::Array => Kind::Array,
            Tag::Object => Kind::Object,
        }
    }

    #[inline]
    pub(crate) fn is_null(self) -> bool {
        self.kind() == Kind::Null
    }

    #[inline]
    pub(crate) fn is_object(self) -> bool {
        self.kind() == Kind::Object
    }

    /// The decoded text of a string.
    #[inline]
    pub(crate) fn as_str(self) -> Option<&'t str> {
        let node = self.node();
        matches!(node.tag(), Tag::String | Tag::EscapedString).then(|| self.tape.str_of(node))
    }

    /// "an array", "a string", ...: the JSON type, for messages.
    pub(crate) fn type_phrase(self) -> &'static str {
        self.kind().phrase()
    }

    /// The number of entries of an object or items of an array; 0 otherwise.
    #[inline]
    pub(crate) fn len(self) -> usize {
        let node = self.node();
        if matches!(node.tag(), Tag::Array | Tag::Object) {
            node.len()
        } else {
            0
        }
    }

    /// The index just past this value and everything in it.
    #[inline]
    fn end(self) -> usize {
        let node = self.node();
        if matches!(node.tag(), Tag::Array | Tag::Object) {
            node.at()
        } else {
            self.index + 1
        }
    }

    /// An object's entries in document order (none for other values).
    #[inline]
    pub(crate) fn entries(self) -> Entries<'t> {
        let end = if self.is_object() { self.end() } else { self.index + 1 };
        Entries { tape: self.tape, next: self.index + 1, end }
    }

    /// An array's items in order (none for other values).
    pub(crate) fn items(self) -> Items<'t> {
        let end = if self.kind() == Kind::Array { self.end() } else { self.index + 1 };
        Items { tape: self.tape, next: self.index + 1, end }
    }

    /// The value of `key` in an object, by a scan of its entries.
    pub(crate) fn get(self, key: &str) -> Option<Value<'t>> {
        self.entries().find(|(k, _)| *k == key).map(|(_, value)| value)
    }

    /// Whether the two values are the same canonical JSON text: the same
    /// structure, keys in the same order, strings of the same text and
    /// numbers written alike (`1.0` is not `1`). One pass over their
    /// nodes, which a tape holds in document order with each container's
    /// count, so equal node runs are equal values.
    pub(crate) fn written_alike(self, other: Value<'_>) -> bool {
        let (these, those) = (self.index..self.end(), other.index..other.end());
        these.len() == those.len()
            && these.zip(those).all(|(this, that)| {
                let (a, b) = (self.tape.nodes[this], other.tape.nodes[that]);
                match (a.tag(), b.tag()) {
                    (Tag::String | Tag::EscapedString, Tag::String | Tag::EscapedString) => {
                        self.tape.str_of(a) == other.tape.str_of(b)
                    }
                    (Tag::Number, Tag::Number) => {
                        self.tape.text[a.at()..a.at() + a.len()] == other.tape.text[b.at()..b.at() + b.len()]
                    }
                    (Tag::Array, Tag::Array) | (Tag::Object, Tag::Object) => a.len() == b.len(),
                    (this_tag, that_tag) => this_tag == that_tag,
                }
            })
    }
}

/// The entries of an object: `(key, value)`.
pub(crate) struct Entries<'t> {
    tape: &'t Tape<'t>,
    next: usize,
    end: usize,
}

impl Entries<'_> {
    /// No entries at all.
    pub(crate) fn empty() -> Self {
        const EMPTY: &Tape<'static> = &Tape { text: "", nodes: Vec::new(), unescaped: String::new() };
        Entries { tape: EMPTY, next: 0, end: 0 }
    }
}

impl<'t> Iterator for Entries<'t> {
    type Item = (&'t str, Value<'t>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let key = self.tape.str_of(self.tape.nodes[self.next]);
        let value = Value { tape: self.tape, index: self.next + 1 };
        self.next = value.end();
        Some((key, value))
    }
}

/// The items of an array.
pub(crate) struct Items<'t> {
    tape: &'t Tape<'t>,
    next: usize,
    end: usize,
}

impl<'t> Iterator for Items<'t> {
    type Item = Value<'t>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let value = Value { tape: self.tape, index: self.next };
        self.next = value.end();
        Some(value)
    }
}

/// Sorts `items` by `less`, in place, in O(n log n) at worst (heapsort).
/// The standard library's sorts are faster on large inputs but cost the
/// package kilobytes per use; this runs only on objects of many keys.
pub(crate) fn sort_by<T>(items: &mut [T], less: impl Fn(&T, &T) -> bool) {
    let sift_down = |items: &mut [T], mut root: usize, end: usize| loop {
        let mut child = 2 * root + 1;
        if child >= end {
            break;
        }
        if child + 1 < end && less(&items[child], &items[child + 1]) {
            child += 1;
        }
        if !less(&items[root], &items[child]) {
            break;
        }
        items.swap(root, child);
        root = child;
    };
    for start in (0..items.len() / 2).rev() {
        sift_down(items, start, items.len());
    }
    for end in (1..items.len()).rev() {
        items.swap(0, end);
        sift_down(items, 0, end);
    }
}

#[cfg(test)]
mod tests {
    use super::{parse, sort_by};

    #[test]
    fn values_written_alike_are_the_same_canonical_text() {
        for (a, b, alike) in [
            ("null", "null", true),
            ("null", "false", false),
            ("true", "false", false),
            ("1", "1", true),
            ("1", "1.0", false),
            ("1", "\"1\"", false),
            ("\"é\"", "\"\\u00e9\"", true),
            ("\"a\\nb\"", "\"a\\u000ab\"", true),
            ("\"ab\"", "\"abc\"", false),
            ("[]", "{}", false),
            ("[1,2]", "[1,2]", true),
            ("[1,2]", "[2,1]", false),
            ("[1,[2]]", "[[1],2]", false),
            ("[[1,2]]", "[[1],2]", false),
            (r#"{"a":1,"b":2}"#, r#"{"a":1,"b":2}"#, true),
            (r#"{"a":1,"b":2}"#, r#"{"b":2,"a":1}"#, false),
            (r#"{"a":1}"#, r#"{"b":1}"#, false),
            (r#"{"a":{"b":[null]}}"#, r#"{"a":{"b":[null]}}"#, true),
            (r#"{"a":{"b":[null]}}"#, r#"{"a":{"b":[]}}"#, false),
        ] {
            let (a_tape, b_tape) = (parse(a.as_bytes(), 8).unwrap(), parse(b.as_bytes(), 8).unwrap());
            assert_eq!(a_tape.root().written_alike(b_tape.root()), alike, "{a} {b}");
            assert_eq!(b_tape.root().written_alike(a_tape.root()), alike, "{b} {a}");
        }
        // Values inside a document compare as themselves.
        let tape = parse(br#"{"x":[1,{"k":"v"}],"y":[1,{"k":"v"}],"z":[1,{"k":"w"}]}"#, 8).unwrap();
        let [x, y, z] = ["x", "y", "z"].map(|key| tape.root().get(key).unwrap());
        assert!(x.written_alike(y));
        assert!(!x.written_alike(z));
    }

    #[test]
    fn heapsort_sorts() {
        for len in 0..40u32 {
            let mut items: Vec<u32> = (0..len).map(|i| i.wrapping_mul(2_654_435_761) % 17).collect();
            let mut expected = items.clone();
            expected.sort_unstable();
            sort_by(&mut items, |a, b| a < b);
            assert_eq!(items, expected, "{len}");
        }
    }
}
