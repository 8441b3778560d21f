//! Reading the raw body bytes into a JSON object, with the body rules of
//! SPEC §2: size, syntax, duplicated keys, depth and the object type.

use crate::error::{IdentifyError, Problem, ProblemType};
use crate::json::{Json, Object};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;
use std::fmt;

/// The largest body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The deepest nesting accepted; the body object itself is level 1.
pub const MAX_DEPTH: usize = 64;

/// Objects with more keys than this check duplicates with a hash set
/// instead of a scan, so a hostile object cannot make parsing quadratic.
const LINEAR_DUPLICATE_SCAN_LIMIT: usize = 16;

/// Parses a request body: at most [`MAX_BODY_BYTES`], valid JSON without
/// duplicated keys, nested at most [`MAX_DEPTH`] levels, and an object.
///
/// Never panics and never recurses deeper than [`MAX_DEPTH`] levels, whatever
/// the bytes.
pub(crate) fn parse_body(body: &[u8]) -> Result<Object<'_>, IdentifyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(IdentifyError::RequestTooLarge);
    }
    // One UTF-8 check of the whole body (fast on ASCII) instead of one per
    // string, which serde_json does when reading bytes.
    let text = std::str::from_utf8(body).map_err(|error| {
        let (line, column) = line_and_column(&body[..error.valid_up_to()]);
        IdentifyError::InvalidJson {
            message: format!("the body is not valid JSON: invalid UTF-8 at line {line} column {column}"),
        }
    })?;
    let too_deep = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = CheckedValue { depth: 0, too_deep: &too_deep }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match parsed {
        Ok(Json::Object(object)) => Ok(object),
        Ok(other) => Err(IdentifyError::InvalidParams(vec![Problem::new(
            "",
            ProblemType::Type,
            format!("expected the body to be a JSON object, got {}", other.type_phrase()),
        )])),
        Err(_) if too_deep.get() => Err(IdentifyError::InvalidParams(vec![Problem::new(
            "",
            ProblemType::TooDeep,
            format!("the body is nested deeper than {MAX_DEPTH} levels"),
        )])),
        Err(error) => Err(IdentifyError::InvalidJson { message: format!("the body is not valid JSON: {error}") }),
    }
}

/// The 1-based line and column just after `before`, as serde_json counts
/// them in its messages (columns in bytes).
fn line_and_column(before: &[u8]) -> (usize, usize) {
    let line = 1 + before.iter().filter(|&&byte| byte == b'\n').count();
    let column = 1 + before.iter().rev().take_while(|&&byte| byte != b'\n').count();
    (line, column)
}

/// Deserializes a [`Json`] tree, refusing duplicated keys (serde_json keeps
/// the last) and stopping at [`MAX_DEPTH`] before serde_json's own recursion
/// limit could turn depth into a syntax error.
#[derive(Clone, Copy)]
struct CheckedValue<'c> {
    /// Containers enclosing the value being read.
    depth: usize,
    /// Set when the depth limit stopped parsing, so the caller can tell a
    /// too-deep body (422) from malformed JSON (400).
    too_deep: &'c Cell<bool>,
}

impl CheckedValue<'_> {
    fn enter<E: de::Error>(&self) -> Result<Self, E> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            self.too_deep.set(true);
            return Err(E::custom("nested too deep"));
        }
        Ok(CheckedValue { depth, ..*self })
    }
}

impl<'de> DeserializeSeed<'de> for CheckedValue<'_> {
    type Value = Json<'de>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Json<'de>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CheckedValue<'_> {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json<'de>, E> {
        // serde_json refuses non-finite numbers while parsing, so this is Some.
        Ok(serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number))
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Borrowed(value)))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(value.to_owned())))
    }

    fn visit_string<E>(self, value: String) -> Result<Json<'de>, E> {
        Ok(Json::String(Cow::Owned(value)))
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let inner = self.enter()?;
        let mut entries: Vec<(Cow<'de, str>, Json<'de>)> = Vec::new();
        let mut seen: Option<HashSet<Cow<'de, str>>> = None;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let duplicate = if let Some(seen) = &mut seen {
                !seen.insert(key.clone())
            } else if entries.len() < LINEAR_DUPLICATE_SCAN_LIMIT {
                entries.iter().any(|(k, _)| *k == key)
            } else {
                let mut keys: HashSet<_> = entries.iter().map(|(k, _)| k.clone()).collect();
                let duplicate = !keys.insert(key.clone());
                seen = Some(keys);
                duplicate
            };
            if duplicate {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let value = map.next_value_seed(inner)?;
            entries.push((key, value));
        }
        Ok(Json::Object(Object(entries)))
    }
}

/// An object key, borrowed from the body unless it holds escapes.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Cow<'de, str>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E>(self, value: &'de str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Borrowed(value))
    }

    fn visit_str<E>(self, value: &str) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Cow<'de, str>, E> {
        Ok(Cow::Owned(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_in_small_and_large_objects() {
        for size in [1, 15, 16, 17, 40] {
            let keys: Vec<String> = (0..size).map(|i| format!("\"k{i}\": {i}")).collect();
            let unique = format!("{{{}}}", keys.join(","));
            assert!(parse_body(unique.as_bytes()).is_ok(), "{size}");
            let duplicated = format!("{{{}, \"k0\": 0}}", keys.join(","));
            let error = parse_body(duplicated.as_bytes()).unwrap_err();
            assert!(error.to_string().contains("duplicate key `k0`"), "{size}: {error}");
            let last = format!("{{{}, \"k{}\": 0}}", keys.join(","), size - 1);
            assert!(parse_body(last.as_bytes()).unwrap_err().to_string().contains("duplicate key"), "{size}");
        }
    }

    #[test]
    fn invalid_utf8_is_invalid_json_with_its_position() {
        let error = parse_body(b"{\"name\":\n  \"Jo\xffe\"}").unwrap_err();
        assert_eq!(error.to_string(), "the body is not valid JSON: invalid UTF-8 at line 2 column 6");
        assert_eq!(error.code(), "invalid_json");
    }

    #[test]
    fn escaped_keys_are_compared_decoded() {
        let error = parse_body(br#"{"a": 1, "\u0061": 2}"#).unwrap_err();
        assert!(error.to_string().contains("duplicate key `a` at line 1 column"), "{error}");
    }

    #[test]
    fn an_object_with_50000_keys_parses() {
        let keys: Vec<String> = (0..50_000).map(|i| format!("\"k{i}\":0")).collect();
        let body = format!("{{{}}}", keys.join(","));
        assert_eq!(parse_body(body.as_bytes()).map(|object| object.0.len()), Ok(50_000));
    }
}
