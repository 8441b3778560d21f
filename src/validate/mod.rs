//! The checks of SPEC §1–§2: the user id and every field of the body, each
//! problem reported at its dotted path, all of them at once.

mod channel_data;
mod preferences;

pub(crate) use preferences::PERSISTENCE_STRATEGY;

use crate::error::{Problem, ProblemType};
use crate::json::{Json, Object};
use crate::model::{
    check_chars, AvatarUrl, CreatedAt, Email, FieldError, Locale, PhoneNumber, StandardField, TimeZone,
};
use serde::Serialize;
use std::borrow::Cow;
use std::fmt::Write as _;

/// The longest user id, in characters (Unicode scalar values).
pub const MAX_USER_ID_CHARS: usize = 256;
/// The longest `name`, in characters.
pub const MAX_NAME_CHARS: usize = 1024;
/// The longest custom property key, in characters.
pub const MAX_PROPERTY_KEY_CHARS: usize = 256;
/// The largest total of custom properties, as compact JSON.
pub const MAX_PROPERTIES_BYTES: usize = 256 * 1024;

/// A request that passed validation: what identify will change. It borrows
/// from the body bytes; [`crate::merge`] copies what it stores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IdentifyRequest<'a> {
    /// Per standard field (indexed like [`StandardField::ALL`]): `None` when
    /// absent, `Some(None)` when sent as `null`, `Some(Some(v))` when set.
    pub standard: [Option<Option<Cow<'a, str>>>; 7],
    /// Custom properties sent, in document order.
    pub properties: Object<'a>,
    /// Preference sets sent (empty when absent or `null`).
    pub preferences: Object<'a>,
    /// Channel data sent (empty when absent or `null`).
    pub channel_data: Object<'a>,
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
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render_parent(out);
                out.push_str(key);
            }
            Path::Index(parent, index) => {
                parent.render_parent(out);
                let _ = write!(out, "{index}");
            }
        }
    }

    /// This path followed by the separator of a child segment.
    fn render_parent(&self, out: &mut String) {
        if !matches!(self, Path::Root) {
            self.render_into(out);
            out.push('.');
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
        self.problems.push(error.at(path.render()));
    }

    pub(crate) fn add_new(&mut self, path: &Path<'_>, kind: ProblemType, message: impl Into<String>) {
        self.add(path, FieldError::new(kind, message));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A `type` error: "expected {expected}, got a number".
pub(crate) fn wrong_type(expected: &str, got: &Json<'_>) -> FieldError {
    FieldError::new(ProblemType::Type, format!("expected {expected}, got {}", got.type_phrase()))
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
/// user `user_id`: every problem of SPEC §1–§2, in one list, in the order of
/// the body.
///
/// `body_len` is the size of the body in bytes: custom properties cannot
/// exceed [`MAX_PROPERTIES_BYTES`] as compact JSON unless the body has at
/// least an eighth of that, so smaller bodies skip measuring them.
pub(crate) fn validate_request<'a>(
    user_id: &str,
    body: Object<'a>,
    body_len: usize,
) -> Result<IdentifyRequest<'a>, Vec<Problem>> {
    let mut report = Report::default();
    let root = Path::Root;
    if let Err(error) = check_user_id(user_id) {
        report.add(&root.key("user_id"), error);
    }
    let mut request = IdentifyRequest::default();
    for (key, value) in body.0 {
        let path = root.key(&key);
        match key.as_ref() {
            "id" => match &value {
                Json::Null => {}
                Json::String(id) if id == user_id => {}
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
                    if let Json::Object(sets) = value {
                        request.preferences = sets;
                    }
                }
            }
            "channel_data" => {
                if channel_data::check(&value, &path, &mut report) {
                    if let Json::Object(channels) = value {
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
                    Ok(()) => request.properties.0.push((key, value)),
                    Err(error) => report.add(&path, error),
                },
            },
        }
    }
    if body_len.saturating_mul(MAX_NUMBER_EXPANSION) > MAX_PROPERTIES_BYTES {
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
    }
    if report.is_empty() {
        Ok(request)
    } else {
        Err(report.problems)
    }
}

/// How much longer a part of the body can get as compact JSON: only
/// numbers grow, from at least 3 characters (`1e9`) to at most 24 (the
/// longest shortest-round-trip `f64`, `-1.2345678901234567e-308`).
const MAX_NUMBER_EXPANSION: usize = 8;

/// A standard field's value: `null`, or a string that its newtype accepts.
fn check_standard(field: StandardField, value: Json<'_>) -> Result<Option<Cow<'_, str>>, FieldError> {
    let text = match value {
        Json::Null => return Ok(None),
        Json::String(text) => text,
        other => return Err(wrong_type("a string or null", &other)),
    };
    match field {
        StandardField::Avatar => AvatarUrl::check(&text)?,
        StandardField::CreatedAt => CreatedAt::check(&text)?,
        StandardField::Email => Email::check(&text)?,
        StandardField::Locale => Locale::check(&text)?,
        StandardField::Name => check_chars(&text, MAX_NAME_CHARS)?,
        StandardField::PhoneNumber => PhoneNumber::check(&text)?,
        StandardField::Timezone => TimeZone::check(&text)?,
    }
    Ok(Some(text))
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
fn shown(value: &Json<'_>) -> String {
    match value {
        Json::String(text) => format!("`{text}`"),
        other => other.type_phrase().to_owned(),
    }
}

/// The length of `properties` as a compact JSON object, without building the string.
fn compact_json_len(properties: &Object<'_>) -> usize {
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
    // Counting the bytes of JSON values cannot fail.
    let _ = properties.serialize(&mut serde_json::Serializer::new(&mut counter));
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
