//! The checks of SPEC §1–§2: the user id and every field of the body, each
//! problem reported at its dotted path, all of them at once.

mod channel_data;
mod preferences;

pub(crate) use preferences::PERSISTENCE_STRATEGY;

use crate::error::{Problem, ProblemType};
use crate::model::{
    check_chars, AvatarUrl, CreatedAt, Email, FieldError, Locale, PhoneNumber, StandardField, TimeZone,
};
use crate::parse::json_type_phrase;
use serde_json::{Map, Value};
use std::fmt::Write as _;

/// The longest user id, in characters (Unicode scalar values).
pub const MAX_USER_ID_CHARS: usize = 256;
/// The longest `name`, in characters.
pub const MAX_NAME_CHARS: usize = 1024;
/// The longest custom property key, in characters.
pub const MAX_PROPERTY_KEY_CHARS: usize = 256;
/// The largest total of custom properties, as compact JSON.
pub const MAX_PROPERTIES_BYTES: usize = 256 * 1024;

/// A request that passed validation: what identify will change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdentifyRequest {
    /// Per standard field (indexed like [`StandardField::ALL`]): `None` when
    /// absent, `Some(None)` when sent as `null`, `Some(Some(v))` when set.
    pub standard: [Option<Option<String>>; 7],
    /// Custom properties sent.
    pub properties: Map<String, Value>,
    /// Preference sets sent (empty when absent or `null`).
    pub preferences: Map<String, Value>,
    /// Channel data sent (empty when absent or `null`).
    pub channel_data: Map<String, Value>,
}

/// A place in the body, built on the stack while walking it and rendered as
/// a dotted path only when a problem is reported there.
#[derive(Clone, Copy)]
pub(crate) enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    pub(crate) fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    pub(crate) fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }

    fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        let (parent, segment_is_first) = match self {
            Path::Root => return,
            Path::Key(parent, _) | Path::Index(parent, _) => (parent, matches!(parent, Path::Root)),
        };
        parent.render_into(out);
        if !segment_is_first {
            out.push('.');
        }
        match self {
            Path::Key(_, key) => out.push_str(key),
            Path::Index(_, index) => {
                let _ = write!(out, "{index}");
            }
            Path::Root => {}
        }
    }
}

/// Every problem found so far.
#[derive(Default)]
pub(crate) struct Report {
    problems: Vec<Problem>,
}

impl Report {
    pub(crate) fn add(&mut self, path: &Path<'_>, error: FieldError) {
        self.problems.push(Problem { field: path.render(), message: error.message, kind: error.kind });
    }

    pub(crate) fn add_new(&mut self, path: &Path<'_>, kind: ProblemType, message: impl Into<String>) {
        self.add(path, FieldError::new(kind, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A `type` error: "expected {expected}, got a number".
pub(crate) fn wrong_type(expected: &str, got: &Value) -> FieldError {
    FieldError::new(ProblemType::Type, format!("expected {expected}, got {}", json_type_phrase(got)))
}

/// Checks a user id (SPEC §1): 1 to 256 characters, no `/`, `#` or control
/// character, not `.` or `..`.
pub fn check_user_id(user_id: &str) -> Result<(), FieldError> {
    if user_id.is_empty() {
        return Err(FieldError::format("the user id must not be empty"));
    }
    check_chars(user_id, MAX_USER_ID_CHARS)?;
    if user_id == "." || user_id == ".." {
        return Err(FieldError::format(format!("the user id must not be `{user_id}`")));
    }
    if let Some(bad) = user_id.chars().find(|&c| c == '/' || c == '#' || c.is_ascii_control()) {
        let shown = if bad.is_ascii_control() { format!("U+{:04X}", bad as u32) } else { format!("`{bad}`") };
        return Err(FieldError::format(format!(
            "the user id must not contain {shown}: no `/`, `#` or control characters"
        )));
    }
    Ok(())
}

/// Validates an identify request body (already parsed as an object) for the
/// user `user_id`: every problem of SPEC §1–§2, in one list.
pub fn validate_request(user_id: &str, body: Map<String, Value>) -> Result<IdentifyRequest, Vec<Problem>> {
    let mut report = Report::default();
    let root = Path::Root;
    if let Err(error) = check_user_id(user_id) {
        report.add(&root.key("user_id"), error);
    }
    let mut request = IdentifyRequest::default();
    for (key, value) in body {
        let path = root.key(&key);
        match key.as_str() {
            "id" => match &value {
                Value::Null => {}
                Value::String(id) if id == user_id => {}
                other => report.add_new(
                    &path,
                    ProblemType::Mismatch,
                    format!("expected the user id of the path, `{user_id}`, got {}", shown(other)),
                ),
            },
            "__typename" | "updated_at" => report.add_new(
                &path,
                ProblemType::ReadOnly,
                format!("`{key}` is read-only: the server sets it; remove it from the request"),
            ),
            "preferences" => {
                if preferences::check(&value, &path, &mut report) {
                    if let Value::Object(sets) = value {
                        request.preferences = sets;
                    }
                }
            }
            "channel_data" => {
                if channel_data::check(&value, &path, &mut report) {
                    if let Value::Object(channels) = value {
                        request.channel_data = channels;
                    }
                }
            }
            _ => match StandardField::from_key(&key) {
                Some(field) => match check_standard(field, value) {
                    Ok(checked) => request.standard[field as usize] = Some(checked),
                    Err(error) => report.add(&path, error),
                },
                None => match check_property_key(&key) {
                    Ok(()) => {
                        request.properties.insert(key, value);
                    }
                    Err(error) => report.add(&path, error),
                },
            },
        }
    }
    let properties_bytes = compact_json_len(&request.properties);
    if properties_bytes > MAX_PROPERTIES_BYTES {
        report.add_new(
            &root,
            ProblemType::TooLarge,
            format!(
                "custom properties take {properties_bytes} bytes as compact JSON; the limit is {MAX_PROPERTIES_BYTES} (256 KiB)"
            ),
        );
    }
    if report.is_empty() {
        Ok(request)
    } else {
        Err(report.problems)
    }
}

/// A standard field's value: `null`, or a string that its newtype accepts.
fn check_standard(field: StandardField, value: Value) -> Result<Option<String>, FieldError> {
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(text) => text,
        other => return Err(wrong_type("a string or null", &other)),
    };
    let checked = match field {
        StandardField::Avatar => AvatarUrl::parse(text)?.into_string(),
        StandardField::CreatedAt => CreatedAt::parse(text)?.into_string(),
        StandardField::Email => Email::parse(text)?.into_string(),
        StandardField::Locale => Locale::parse(text)?.into_string(),
        StandardField::Name => {
            check_chars(&text, MAX_NAME_CHARS)?;
            text
        }
        StandardField::PhoneNumber => PhoneNumber::parse(text)?.into_string(),
        StandardField::Timezone => TimeZone::parse(text)?.into_string(),
    };
    Ok(Some(checked))
}

/// A custom property key: 1 to 256 characters.
fn check_property_key(key: &str) -> Result<(), FieldError> {
    if key.is_empty() {
        return Err(FieldError::format("custom property keys must not be empty"));
    }
    check_chars(key, MAX_PROPERTY_KEY_CHARS).map_err(|_| {
        FieldError::new(
            ProblemType::TooLong,
            format!(
                "custom property keys have at most {MAX_PROPERTY_KEY_CHARS} characters, got {}",
                key.chars().count()
            ),
        )
    })
}

/// A value for a message: strings quoted in backticks, others by type.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("`{text}`"),
        other => json_type_phrase(other).to_owned(),
    }
}

/// The length of `value` as compact JSON, without building the string.
fn compact_json_len(properties: &Map<String, Value>) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a map of JSON values into memory cannot fail.
    let _ = serde_json::to_writer(&mut counter, properties);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_dotted() {
        let root = Path::Root;
        let channel = root.key("channel_data");
        let id = channel.key("97c5837d-c65c-4d54-aa39-080eeb81c69d");
        let tokens = id.key("tokens");
        assert_eq!(tokens.index(2).render(), "channel_data.97c5837d-c65c-4d54-aa39-080eeb81c69d.tokens.2");
        assert_eq!(root.key("phone_number").render(), "phone_number");
        assert_eq!(root.render(), "");
    }
}
