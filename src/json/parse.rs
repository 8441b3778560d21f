//! Reading JSON text into a [`Tape`]: one pass, no recursion, no
//! allocation per value. Refuses what RFC 8259 refuses, plus duplicated
//! keys (JSON leaves them undefined; this API treats them as a mistake)
//! and unpaired surrogates in `\u` escapes (not text). Stops as soon as the
//! nesting passes the caller's limit, so depth never costs more than that.
//! The same reading, keeping no tape, checks a document ([`check`]) or
//! finds where one of its values ends ([`skip`]).

use super::scratch::{Pool, Pooled};
use super::{Node, Tag, Tape, MAX_DOCUMENT_BYTES};

/// Why a text is not a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    /// Not JSON, or a duplicated key: what is wrong, and where
    /// (`... at line 1 column 17`).
    Syntax(String),
    /// Nested deeper than the limit; reported as soon as it is reached.
    TooDeep,
}

/// Objects with more keys than this are checked for duplicates by sorting
/// their keys when they close, so no object makes the check quadratic.
const SCANNED_KEYS: usize = 16;

/// Parses `bytes` as one JSON document nested at most `max_depth` levels
/// (the outermost container is level 1).
pub(crate) fn parse(bytes: &[u8], max_depth: usize) -> Result<Tape<'_>, ParseError> {
    let text = document_text(bytes)?;
    // A node takes at least two bytes of text (`0,`), but for the last.
    tape_of(text, max_depth, bytes.len() / 2 + 2)
}

/// Checks `bytes` as [`parse`] would, with the same errors, but keeps only
/// what the check needs (the open containers and their keys), not a tape;
/// returns the text.
pub(super) fn check(bytes: &[u8], max_depth: usize) -> Result<&str, ParseError> {
    let text = document_text(bytes)?;
    let mut parser = Parser::new(text, max_depth, false, 64);
    let read = parser.run(0).and_then(|end| parser.end_of_document(end));
    parser.give_back();
    read.map(|()| text).map_err(|stop| stop.into_error(bytes))
}

/// The tape of `text`, valid UTF-8, with room for `nodes` nodes.
pub(super) fn tape_of(text: &str, max_depth: usize, nodes: usize) -> Result<Tape<'_>, ParseError> {
    let mut parser = Parser::new(text, max_depth, true, nodes);
    let read = parser.run(0).and_then(|end| parser.end_of_document(end));
    let tape = parser.give_back();
    match read {
        Ok(()) => Ok(tape),
        Err(stop) => Err(stop.into_error(text.as_bytes())),
    }
}

/// The value that starts at `at` in `text`, read and kept as [`check`]
/// reads a document: where it ends, and how many nodes its tape would take.
pub(super) fn skip(text: &str, at: usize) -> Result<(usize, usize), ParseError> {
    let mut parser = Parser::new(text, usize::MAX, false, 64);
    let read = parser.run(at);
    let nodes = parser.forgotten;
    parser.give_back();
    match read {
        Ok(end) => Ok((end, nodes)),
        Err(stop) => Err(stop.into_error(text.as_bytes())),
    }
}

/// `bytes` as text: a document is UTF-8 (checked once, here; strings are
/// then cut at ASCII bytes only), and at most [`MAX_DOCUMENT_BYTES`].
fn document_text(bytes: &[u8]) -> Result<&str, ParseError> {
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ParseError::Syntax(format!("the document is larger than {MAX_DOCUMENT_BYTES} bytes")));
    }
    std::str::from_utf8(bytes).map_err(|error| syntax(bytes, error.valid_up_to(), "invalid UTF-8"))
}

thread_local! {
    static POOLED_OPEN: Pooled<Open> = const { std::cell::RefCell::new(Vec::new()) };
    static POOLED_KEYS: Pooled<Key> = const { std::cell::RefCell::new(Vec::new()) };
}
const OPEN: Pool<Open> = Pool(&POOLED_OPEN);
const KEYS: Pool<Key> = Pool(&POOLED_KEYS);

/// Where and why parsing stopped: small and `Copy`, so the hot path passes
/// it in registers; the message is written only at the end.
#[derive(Debug, Clone, Copy)]
enum Stop {
    /// A wrong byte at this offset.
    At(usize, Wrong),
    /// The text ended inside a value of this kind.
    Eof(&'static str),
    /// The key whose quote is at this offset repeats an earlier key of its object.
    Duplicate {
        offset: usize,
    },
    TooDeep,
}

#[derive(Debug, Clone, Copy)]
enum Wrong {
    ExpectedValue,
    ExpectedIdent,
    ExpectedColon,
    ExpectedCommaOrBrace,
    ExpectedCommaOrBracket,
    KeyMustBeString,
    TrailingComma,
    TrailingCharacters,
    InvalidNumber,
    InvalidEscape,
    ControlCharacter,
    LoneLeadingSurrogate,
    LoneTrailingSurrogate,
}

impl Wrong {
    fn message(self) -> &'static str {
        match self {
            Wrong::ExpectedValue => "expected value",
            Wrong::ExpectedIdent => "expected ident",
            Wrong::ExpectedColon => "expected `:`",
            Wrong::ExpectedCommaOrBrace => "expected `,` or `}`",
            Wrong::ExpectedCommaOrBracket => "expected `,` or `]`",
            Wrong::KeyMustBeString => "key must be a string",
            Wrong::TrailingComma => "trailing comma",
            Wrong::TrailingCharacters => "trailing characters",
            Wrong::InvalidNumber => "invalid number",
            Wrong::InvalidEscape => "invalid escape",
            Wrong::ControlCharacter => "control character (\\u0000-\\u001F) found while parsing a string",
            Wrong::LoneLeadingSurrogate => "lone leading surrogate in hex escape",
            Wrong::LoneTrailingSurrogate => "lone trailing surrogate in hex escape",
        }
    }
}

impl Stop {
    #[cold]
    fn into_error(self, bytes: &[u8]) -> ParseError {
        match self {
            Stop::At(at, wrong) => syntax(bytes, at, wrong.message()),
            Stop::Eof(inside) => {
                let (line, column) = line_and_column(bytes, bytes.len());
                ParseError::Syntax(format!("EOF while parsing {inside} at line {line} column {}", column - 1))
            }
            Stop::Duplicate { offset } => {
                // Read the key again from its JSON text (it parsed once).
                let mut end = offset + 1;
                while end < bytes.len() && bytes[end] != b'"' {
                    end += if bytes[end] == b'\\' { 2 } else { 1 };
                }
                let key = parse(&bytes[offset..(end + 1).min(bytes.len())], 1).ok();
                let key = key.as_ref().and_then(|tape| tape.root().as_str()).unwrap_or_default();
                syntax(bytes, offset, &format!("duplicate key {}", crate::quote::quoted(key)))
            }
            Stop::TooDeep => ParseError::TooDeep,
        }
    }
}

/// A container being read.
#[derive(Clone, Copy)]
struct Open {
    /// Its node, whose count and end are set when it closes.
    node: u32,
    /// Values read so far.
    count: u32,
    /// Where its keys start in [`Parser::keys`] (objects).
    keys_from: u32,
    object: bool,
    /// A bit per key fingerprint seen (objects): a key whose bit is clear
    /// is new without comparing it to the others.
    seen: u64,
}

/// An object key, for the duplicate check: its node, where its text
/// starts, and a fingerprint that equal keys share (their length and three
/// of their bytes). Twelve bytes, so a body of many keys holds at most
/// twice its size in them.
#[derive(Clone, Copy)]
struct Key {
    node: u32,
    offset: u32,
    print: u32,
}

impl Key {
    #[inline(always)]
    fn fingerprint(key: &str) -> u32 {
        let bytes = key.as_bytes();
        let byte = |at: Option<&u8>| u32::from(at.copied().unwrap_or(0));
        (bytes.len() as u32 & 0xff)
            | byte(bytes.first()) << 8
            | byte(bytes.get(bytes.len() / 2)) << 16
            | byte(bytes.last()) << 24
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    nodes: Vec<Node>,
    unescaped: String,
    open: Vec<Open>,
    /// The keys of every open object, innermost last.
    keys: Vec<Key>,
    max_depth: usize,
    /// Whether the nodes make a tape; if not, a finished value's nodes are
    /// forgotten (counted in `forgotten`), and only open containers and
    /// their keys stay.
    keep: bool,
    forgotten: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str, max_depth: usize, keep: bool, nodes: usize) -> Parser<'a> {
        Parser {
            bytes: text.as_bytes(),
            text,
            nodes: super::NODES.take(nodes),
            unescaped: String::new(),
            open: OPEN.take(max_depth.min(16)),
            keys: KEYS.take(32),
            max_depth,
            keep,
            forgotten: 0,
        }
    }

    /// Returns the buffers to their pools, and the tape read.
    fn give_back(mut self) -> Tape<'a> {
        OPEN.give(std::mem::take(&mut self.open));
        KEYS.give(std::mem::take(&mut self.keys));
        Tape { text: self.text, nodes: std::mem::take(&mut self.nodes), unescaped: std::mem::take(&mut self.unescaped) }
    }

    /// After the document's value, which ends at `at`: only whitespace.
    fn end_of_document(&self, at: usize) -> Result<(), Stop> {
        let at = skip_whitespace(self.bytes, at);
        if at < self.bytes.len() {
            return Err(Stop::At(at, Wrong::TrailingCharacters));
        }
        Ok(())
    }

    /// Reads the value that starts at `at` (after whitespace); returns
    /// where it ends.
    fn run(&mut self, at: usize) -> Result<usize, Stop> {
        let bytes = self.bytes;
        let mut at = at;
        let keep = self.keep;
        // The innermost open container (the others wait in `self.open`);
        // `None` at the top level.
        let mut current: Option<Open> = None;
        'value: loop {
            at = skip_whitespace(bytes, at);
            let Some(&byte) = bytes.get(at) else { return Err(Stop::Eof("a value")) };
            match byte {
                b'"' => at = self.string(at)?,
                b'{' | b'[' => {
                    let object = byte == b'{';
                    if self.open.len() + usize::from(current.is_some()) >= self.max_depth {
                        return Err(Stop::TooDeep);
                    }
                    let node = self.nodes.len() as u32;
                    self.nodes.push(Node::new(if object { Tag::Object } else { Tag::Array }, 0, 0));
                    let mut container = Open { node, count: 0, keys_from: self.keys.len() as u32, object, seen: 0 };
                    at = skip_whitespace(bytes, at + 1);
                    if bytes.get(at) == Some(if object { &b'}' } else { &b']' }) {
                        at += 1;
                        self.close(container)?;
                    } else {
                        if object {
                            at = self.key(at, &mut container)?;
                        }
                        if let Some(parent) = current.replace(container) {
                            self.open.push(parent);
                        }
                        continue 'value;
                    }
                }
                b'-' | b'0'..=b'9' => at = self.number(at)?,
                b't' => at = self.literal(at, b"true", Tag::True)?,
                b'f' => at = self.literal(at, b"false", Tag::False)?,
                b'n' => at = self.literal(at, b"null", Tag::Null)?,
                _ => return Err(Stop::At(at, Wrong::ExpectedValue)),
            }
            if !keep {
                self.forget_from(self.nodes.len() - 1);
            }
            // A value is complete: what follows it in its container. A
            // container that closes here is a value of the one around it.
            while let Some(container) = current.as_mut() {
                container.count += 1;
                at = skip_whitespace(bytes, at);
                match bytes.get(at) {
                    Some(b',') => {
                        at = skip_whitespace(bytes, at + 1);
                        if container.object {
                            at = self.key(at, container)?;
                        } else if bytes.get(at) == Some(&b']') {
                            return Err(Stop::At(at, Wrong::TrailingComma));
                        }
                        continue 'value;
                    }
                    Some(&closer) if closer == if container.object { b'}' } else { b']' } => {
                        at += 1;
                        let closed = *container;
                        self.close(closed)?;
                        if !keep {
                            self.forget_from(closed.node as usize);
                        }
                        current = self.open.pop();
                    }
                    Some(_) if container.object => return Err(Stop::At(at, Wrong::ExpectedCommaOrBrace)),
                    Some(_) => return Err(Stop::At(at, Wrong::ExpectedCommaOrBracket)),
                    None => return Err(Stop::Eof(if container.object { "an object" } else { "a list" })),
                }
            }
            break;
        }
        Ok(at)
    }

    /// Forgets the nodes of a finished value (`from` on: a scalar, or a
    /// container with its keys) and the decoded text of its strings.
    fn forget_from(&mut self, from: usize) {
        let forgotten = &self.nodes[from..];
        if let Some(first) = forgotten.iter().find(|node| node.tag() == Tag::EscapedString) {
            self.unescaped.truncate(first.at());
        }
        self.forgotten += forgotten.len();
        self.nodes.truncate(from);
    }

    /// Ends a container: its count and end, and for a large object the
    /// duplicate check of its keys.
    #[inline(always)]
    fn close(&mut self, container: Open) -> Result<(), Stop> {
        let end = self.nodes.len();
        let tag = if container.object { Tag::Object } else { Tag::Array };
        self.nodes[container.node as usize] = Node::new(tag, container.count as usize, end);
        if container.object {
            let from = container.keys_from as usize;
            if self.keys.len() - from > SCANNED_KEYS {
                self.check_sorted_keys(from)?;
            }
            self.keys.truncate(from);
        }
        Ok(())
    }

    /// A key of `object` at `at` (after whitespace) and its `:`; returns
    /// where the value may start. Keys of small objects are checked for
    /// duplicates as they come; larger objects when they close.
    #[inline(always)]
    fn key(&mut self, at: usize, object: &mut Open) -> Result<usize, Stop> {
        match self.bytes.get(at) {
            Some(b'"') => {}
            Some(b'}') => return Err(Stop::At(at, Wrong::TrailingComma)),
            Some(_) => return Err(Stop::At(at, Wrong::KeyMustBeString)),
            None => return Err(Stop::Eof("an object")),
        }
        let end = self.string(at)?;
        let node = self.nodes.len() - 1;
        let key = str_of(self.text, &self.unescaped, self.nodes[node]);
        let print = Key::fingerprint(key);
        let from = object.keys_from as usize;
        let bit = 1u64 << (print.wrapping_mul(0x9E37_79B9) >> 26);
        let maybe_seen = object.seen & bit != 0;
        object.seen |= bit;
        if maybe_seen && self.keys.len() - from <= SCANNED_KEYS {
            let (nodes, text, unescaped) = (&self.nodes, self.text, self.unescaped.as_str());
            let earlier = &self.keys[from..];
            if earlier
                .iter()
                .any(|earlier| earlier.print == print && str_of(text, unescaped, nodes[earlier.node as usize]) == key)
            {
                return Err(Stop::Duplicate { offset: at });
            }
        }
        self.keys.push(Key { node: node as u32, offset: at as u32, print });
        let at = skip_whitespace(self.bytes, end);
        match self.bytes.get(at) {
            Some(b':') => Ok(at + 1),
            Some(_) => Err(Stop::At(at, Wrong::ExpectedColon)),
            None => Err(Stop::Eof("an object")),
        }
    }

    /// Sorts the keys of a closing object (`self.keys[from..]`) and refuses
    /// it if two are equal, naming the first repeat in document order.
    #[cold]
    fn check_sorted_keys(&mut self, from: usize) -> Result<(), Stop> {
        let (nodes, text, unescaped) = (&self.nodes, self.text, self.unescaped.as_str());
        let key_of = |key: &Key| str_of(text, unescaped, nodes[key.node as usize]);
        let keys = &mut self.keys[from..];
        super::sort_by(keys, |a, b| (key_of(a), a.node) < (key_of(b), b.node));
        let repeat = keys
            .windows(2)
            .filter(|pair| key_of(&pair[0]) == key_of(&pair[1]))
            .map(|pair| pair[1])
            .min_by_key(|key| key.node);
        match repeat {
            Some(key) => Err(Stop::Duplicate { offset: key.offset as usize }),
            None => Ok(()),
        }
    }

    /// A string whose opening quote is at `at`; returns the index after it.
    #[inline(always)]
    fn string(&mut self, at: usize) -> Result<usize, Stop> {
        let start = at + 1;
        let end = scan_plain(self.bytes, start);
        match self.bytes.get(end) {
            Some(b'"') => {
                self.nodes.push(Node::new(Tag::String, end - start, start));
                Ok(end + 1)
            }
            Some(b'\\') => self.escaped_string(start, end),
            Some(_) => Err(Stop::At(end, Wrong::ControlCharacter)),
            None => Err(Stop::Eof("a string")),
        }
    }

    /// The rest of a string from its first escape at `at`, decoded into
    /// the side buffer; returns the index after its closing quote.
    fn escaped_string(&mut self, start: usize, mut at: usize) -> Result<usize, Stop> {
        let decoded_from = self.unescaped.len();
        self.unescaped.push_str(&self.text[start..at]);
        loop {
            match self.bytes.get(at) {
                Some(b'"') => break,
                Some(b'\\') => at = self.escape(at)?,
                Some(_) => return Err(Stop::At(at, Wrong::ControlCharacter)),
                None => return Err(Stop::Eof("a string")),
            }
            let plain_end = scan_plain(self.bytes, at);
            self.unescaped.push_str(&self.text[at..plain_end]);
            at = plain_end;
        }
        let len = self.unescaped.len() - decoded_from;
        self.nodes.push(Node::new(Tag::EscapedString, len, decoded_from));
        Ok(at + 1)
    }

    /// Decodes the escape at `at` (its backslash) into the side buffer;
    /// returns the index after it.
    fn escape(&mut self, at: usize) -> Result<usize, Stop> {
        let decoded = match self.bytes.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => return self.unicode_escape(at),
            Some(_) => return Err(Stop::At(at + 1, Wrong::InvalidEscape)),
            None => return Err(Stop::Eof("a string")),
        };
        self.unescaped.push(decoded);
        Ok(at + 2)
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00`, at `at`.
    fn unicode_escape(&mut self, at: usize) -> Result<usize, Stop> {
        let first = self.hex4(at + 2)?;
        let (code, next) = match first {
            0xD800..=0xDBFF => {
                if self.bytes.get(at + 6..at + 8) != Some(b"\\u") {
                    return Err(Stop::At(at + 6, Wrong::LoneLeadingSurrogate));
                }
                let second = self.hex4(at + 8)?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(Stop::At(at + 8, Wrong::LoneLeadingSurrogate));
                }
                (0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00), at + 12)
            }
            0xDC00..=0xDFFF => return Err(Stop::At(at + 2, Wrong::LoneTrailingSurrogate)),
            code => (code, at + 6),
        };
        // Surrogates were excluded above, so this is a scalar value.
        let decoded = char::from_u32(code).ok_or(Stop::At(at, Wrong::InvalidEscape))?;
        self.unescaped.push(decoded);
        Ok(next)
    }

    fn hex4(&self, at: usize) -> Result<u32, Stop> {
        let digits = self.bytes.get(at..at + 4).ok_or(Stop::Eof("a string"))?;
        let mut value = 0;
        for (index, &byte) in digits.iter().enumerate() {
            let digit = match byte {
                b'0'..=b'9' => byte - b'0',
                b'a'..=b'f' => byte - b'a' + 10,
                b'A'..=b'F' => byte - b'A' + 10,
                _ => return Err(Stop::At(at + index, Wrong::InvalidEscape)),
            };
            value = value << 4 | u32::from(digit);
        }
        Ok(value)
    }

    /// A number at `start`, kept as written:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    #[inline(always)]
    fn number(&mut self, start: usize) -> Result<usize, Stop> {
        let bytes = self.bytes;
        let mut at = start;
        if bytes[at] == b'-' {
            at += 1;
        }
        match bytes.get(at) {
            Some(b'0') => at += 1,
            Some(b'1'..=b'9') => at = digits_end(bytes, at),
            Some(_) => return Err(Stop::At(at, Wrong::InvalidNumber)),
            None => return Err(Stop::Eof("a number")),
        }
        if bytes.get(at) == Some(&b'.') {
            let end = digits_end(bytes, at + 1);
            if end == at + 1 {
                return Err(number_stop(bytes, end));
            }
            at = end;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            let end = digits_end(bytes, at);
            if end == at {
                return Err(number_stop(bytes, end));
            }
            at = end;
        }
        self.nodes.push(Node::new(Tag::Number, at - start, start));
        Ok(at)
    }

    #[inline(always)]
    fn literal(&mut self, at: usize, word: &[u8], tag: Tag) -> Result<usize, Stop> {
        let end = at + word.len();
        if self.bytes.get(at..end) == Some(word) {
            self.nodes.push(Node::new(tag, 0, at));
            return Ok(end);
        }
        let wrong = (at..self.bytes.len().min(end)).find(|&i| self.bytes[i] != word[i - at]);
        Err(wrong.map_or(Stop::Eof("a value"), |at| Stop::At(at, Wrong::ExpectedIdent)))
    }
}

/// The text of a string node (see `Tape::str_of`).
#[inline(always)]
pub(super) fn str_of<'t>(text: &'t str, unescaped: &'t str, node: Node) -> &'t str {
    let range = node.at()..node.at() + node.len();
    let text = if node.tag() == Tag::EscapedString { unescaped } else { text };
    debug_assert!(text.get(range.clone()).is_some(), "a string node lies on character boundaries");
    // SAFETY: the parser makes string nodes only from ranges of `text` cut
    // at ASCII bytes (quotes) of valid UTF-8, or from what it pushed whole
    // into `unescaped`: both ends are in bounds and on character boundaries.
    unsafe { text.get_unchecked(range) }
}

#[inline(always)]
pub(super) fn skip_whitespace(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\r' | b'\t') = bytes.get(at) {
        at += 1;
    }
    at
}

#[cold]
fn number_stop(bytes: &[u8], at: usize) -> Stop {
    if at < bytes.len() {
        Stop::At(at, Wrong::InvalidNumber)
    } else {
        Stop::Eof("a number")
    }
}

#[cold]
fn syntax(bytes: &[u8], at: usize, what: &str) -> ParseError {
    let (line, column) = line_and_column(bytes, at);
    ParseError::Syntax(format!("{what} at line {line} column {column}"))
}

/// The 1-based line and column (in bytes) of the byte at `at`.
fn line_and_column(bytes: &[u8], at: usize) -> (usize, usize) {
    let before = &bytes[..at.min(bytes.len())];
    let line_start = before.iter().rposition(|&byte| byte == b'\n').map_or(0, |newline| newline + 1);
    let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count();
    (line, before.len() - line_start + 1)
}

/// Bytes that end a run of plain string content: `"`, `\` and control characters.
const STRING_STOPS: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = true;
        byte += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// The index of the first byte from `at` that ends plain string content
/// (or the length of `bytes`).
#[inline]
pub(super) fn scan_plain(bytes: &[u8], mut at: usize) -> usize {
    // Eight bytes at a time: the lowest byte `stops` flags is the first stop.
    while let Some(chunk) = bytes.get(at..at + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else { break };
        let flags = stops(u64::from_le_bytes(chunk));
        if flags != 0 {
            return at + (flags.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while at < bytes.len() && !STRING_STOPS[bytes[at] as usize] {
        at += 1;
    }
    at
}

/// The high bit of each byte of `word` that is `"`, `\` or below 0x20, and
/// possibly of bytes above the lowest such one (borrows); bytes of 0x80 and
/// above are never flagged. So the lowest flag is exact.
#[inline]
fn stops(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
    quote | backslash | control
}

fn digits_end(bytes: &[u8], mut at: usize) -> usize {
    while let Some(b'0'..=b'9') = bytes.get(at) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> String {
        match parse(text.as_bytes(), 64) {
            Err(ParseError::Syntax(message)) => message,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let cases = [
            ("", "EOF while parsing a value at line 1 column 0"),
            ("hello", "expected value at line 1 column 1"),
            ("nulL", "expected ident at line 1 column 4"),
            ("x", "expected value at line 1 column 1"),
            ("{} x", "trailing characters at line 1 column 4"),
            (r#"{"name": "Jane",}"#, "trailing comma at line 1 column 17"),
            ("[1,]", "trailing comma at line 1 column 4"),
            ("{\"a\" 1}", "expected `:` at line 1 column 6"),
            ("{\"a\":1\n \"b\":2}", "expected `,` or `}` at line 2 column 2"),
            ("[1 2]", "expected `,` or `]` at line 1 column 4"),
            ("{1:2}", "key must be a string at line 1 column 2"),
            ("[01]", "expected `,` or `]` at line 1 column 3"),
            ("[1.]", "invalid number at line 1 column 4"),
            ("[-]", "invalid number at line 1 column 3"),
            ("[1e]", "invalid number at line 1 column 4"),
            ("1e", "EOF while parsing a number at line 1 column 2"),
            ("\"a\u{1}\"", "control character (\\u0000-\\u001F) found while parsing a string at line 1 column 3"),
            (r#""\x""#, "invalid escape at line 1 column 3"),
            (r#""\ud800""#, "lone leading surrogate in hex escape at line 1 column 8"),
            (r#""\udc00""#, "lone trailing surrogate in hex escape at line 1 column 4"),
            (r#""\u12"#, "EOF while parsing a string at line 1 column 5"),
            ("{\"a\":", "EOF while parsing a value at line 1 column 5"),
            ("[1", "EOF while parsing a list at line 1 column 2"),
            ("\"abc", "EOF while parsing a string at line 1 column 4"),
            ("nul", "EOF while parsing a value at line 1 column 3"),
        ];
        for (text, expected) in cases {
            assert_eq!(error(text), expected, "{text:?}");
        }
    }

    #[test]
    fn invalid_utf8_is_refused_with_its_position() {
        match parse(b"{\"name\":\n  \"Jo\xffe\"}", 64) {
            Err(ParseError::Syntax(message)) => assert_eq!(message, "invalid UTF-8 at line 2 column 6"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn duplicates_are_found_in_small_and_large_objects() {
        for size in [1, 15, 16, 17, 40] {
            let keys: Vec<String> = (0..size).map(|i| format!("\"k{i}\": {i}")).collect();
            let unique = format!("{{{}}}", keys.join(","));
            assert!(parse(unique.as_bytes(), 64).is_ok(), "{size}");
            let duplicated = format!("{{{}, \"k0\": 0}}", keys.join(","));
            assert!(error(&duplicated).starts_with("duplicate key `k0` at line 1 column"), "{size}");
            let last = format!("{{{}, \"k{}\": 0}}", keys.join(","), size - 1);
            assert!(error(&last).contains("duplicate key"), "{size}");
        }
        // Escaped keys are compared decoded.
        assert_eq!(error(r#"{"a": 1, "\u0061": 2}"#), "duplicate key `a` at line 1 column 10");
    }

    #[test]
    fn depth_is_refused_past_the_limit() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(nested(3).as_bytes(), 3).is_ok());
        assert_eq!(parse(nested(4).as_bytes(), 3).unwrap_err(), ParseError::TooDeep);
        // As soon as it is reached, even if the rest is not JSON.
        assert_eq!(parse(b"[[[[x", 3).unwrap_err(), ParseError::TooDeep);
    }

    #[test]
    fn values_keep_their_text() {
        let tape =
            parse(br#"{"n": [12345678901234567890, -0, 0.1000, 1e400, 2E-3], "s": "a\"\u00e9\ud83d\ude00/"}"#, 64)
                .unwrap();
        let root = tape.root();
        let numbers: Vec<&str> =
            root.get("n").unwrap().items().map(|v| &tape.text[v.node().at()..v.node().at() + v.node().len()]).collect();
        assert_eq!(numbers, ["12345678901234567890", "-0", "0.1000", "1e400", "2E-3"]);
        assert_eq!(root.get("s").unwrap().as_str(), Some("a\"é😀/"));
        assert_eq!(root.len(), 2);
    }

    #[test]
    fn an_object_with_50000_keys_parses() {
        let keys: Vec<String> = (0..50_000).map(|i| format!("\"k{i}\":0")).collect();
        let body = format!("{{{}}}", keys.join(","));
        assert_eq!(parse(body.as_bytes(), 64).map(|tape| tape.root().len()), Ok(50_000));
    }

    #[test]
    fn the_stop_scan_finds_every_stop() {
        for stop in [b'"', b'\\', 0, 0x1f] {
            for at in 0..20 {
                let mut bytes = vec![b'a'; 20];
                bytes[at] = stop;
                assert_eq!(scan_plain(&bytes, 0), at);
            }
        }
        let text = "é😀 plain text, ünïcode ✓".as_bytes();
        assert_eq!(scan_plain(text, 0), text.len());
    }
}
