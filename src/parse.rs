//! Reading the raw body bytes into a JSON object, with the body rules of
//! SPEC §2: size, syntax, duplicated keys, depth and the object type.

use crate::error::{IdentifyError, Problem, ProblemType};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt;

/// The largest body accepted: 1 MiB.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The deepest nesting accepted; the body object itself is level 1.
pub const MAX_DEPTH: usize = 64;

/// Parses a request body: at most [`MAX_BODY_BYTES`], valid JSON without
/// duplicated keys, nested at most [`MAX_DEPTH`] levels, and an object.
///
/// Never panics and never recurses deeper than [`MAX_DEPTH`] levels, whatever
/// the bytes.
pub fn parse_body(body: &[u8]) -> Result<Map<String, Value>, IdentifyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(IdentifyError::RequestTooLarge);
    }
    let too_deep = Cell::new(false);
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let parsed = CheckedValue { depth: 0, too_deep: &too_deep }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value));
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(IdentifyError::InvalidParams(vec![Problem::new(
            "",
            ProblemType::Type,
            format!("expected the body to be a JSON object, got {}", json_type_phrase(&other)),
        )])),
        Err(_) if too_deep.get() => Err(too_deep_error()),
        Err(error) => Err(IdentifyError::InvalidJson { message: format!("the body is not valid JSON: {error}") }),
    }
}

pub(crate) fn too_deep_error() -> IdentifyError {
    IdentifyError::InvalidParams(vec![Problem::new(
        "",
        ProblemType::TooDeep,
        format!("the body is nested deeper than {MAX_DEPTH} levels"),
    )])
}

/// "an array", "a string", ...: the JSON type of a value, for messages.
pub(crate) fn json_type_phrase(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Deserializes a [`Value`] like serde_json does, but refuses duplicated
/// keys (serde_json keeps the last) and stops at [`MAX_DEPTH`] before
/// serde_json's own recursion limit could turn depth into a syntax error.
#[derive(Clone, Copy)]
struct CheckedValue<'a> {
    /// Containers enclosing the value being read.
    depth: usize,
    /// Set when the depth limit stopped parsing, so the caller can tell a
    /// too-deep body (422) from malformed JSON (400).
    too_deep: &'a Cell<bool>,
}

impl CheckedValue<'_> {
    fn enter<E: de::Error>(&self) -> Result<CheckedValue<'_>, E> {
        let depth = self.depth + 1;
        if depth > MAX_DEPTH {
            self.too_deep.set(true);
            return Err(E::custom("nested too deep"));
        }
        Ok(CheckedValue { depth, too_deep: self.too_deep })
    }
}

impl<'de> DeserializeSeed<'de> for CheckedValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for CheckedValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::from(value))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        // serde_json rejects non-finite numbers while parsing, so this is Some.
        Ok(serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(inner)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.enter()?;
        let mut object = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            let value = map.next_value_seed(inner)?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}
