//! The checks of the contract's §1–§2: the user id and every field of the
//! body, all of them at once, each problem placed in the [`Report`] at its
//! path. Every check reads the parsed body without copying it; whatever
//! the body, the work is linear in its size.

mod channel_data;
mod idempotency_key;
mod page_size;
mod preferences;
mod report;
mod user_id;

pub(crate) use channel_data::channel_id_error;
pub use idempotency_key::check_idempotency_key;
pub use page_size::check_page_size;
#[cfg(all(test, feature = "js"))]
pub(crate) use preferences::CHANNEL_TYPES;
pub(crate) use preferences::PERSISTENCE_STRATEGY;
pub(crate) use report::{Path, Report};
pub(crate) use user_id::user_id_error;
pub use user_id::{check_user_id, user_id_from_utf8};

use crate::error::{Problem, ProblemType};
use crate::json::{canonical_len, string_len, Tape, TapeParts, Value};
use crate::limits::{MAX_KEY_CHARS, MAX_SECTION_BYTES};
use crate::model::{check_chars, FieldError, StandardField};
use crate::quote::quoted;

/// A request that passed validation, for [`crate::merge`]: only
/// [`crate::parse_request`] makes one. It borrows the body.
#[derive(Debug)]
pub struct IdentifyRequest<'a> {
    user_id: &'a str,
    tape: Tape<'a>,
    /// Per standard field (indexed like [`StandardField::ALL`]): the node of
    /// the value sent (a string or `null`), when the field was sent.
    standard: [Option<usize>; StandardField::ALL.len()],
    /// The `preferences` object, when sent as one.
    preferences: Option<usize>,
    /// The `channel_data` object, when sent as one.
    channel_data: Option<usize>,
}

impl<'a> IdentifyRequest<'a> {
    /// The user id of the path, which the request was validated for.
    pub fn user_id(&self) -> &'a str {
        self.user_id
    }

    /// The length of the body.
    pub(crate) fn body_len(&self) -> usize {
        self.tape.text_len()
    }

    /// The value sent for a standard field (a string or `null`), if sent.
    pub(crate) fn standard(&self, field: StandardField) -> Option<Value<'_>> {
        self.standard[field as usize].map(|index| self.tape.value(index))
    }

    /// The body: its custom properties are the entries [`is_request_field`] leaves.
    pub(crate) fn body(&self) -> Value<'_> {
        self.tape.root()
    }

    pub(crate) fn preferences(&self) -> Option<Value<'_>> {
        self.preferences.map(|index| self.tape.value(index))
    }

    pub(crate) fn channel_data(&self) -> Option<Value<'_>> {
        self.channel_data.map(|index| self.tape.value(index))
    }

    /// This request with its own copy of the body and user id, to merge
    /// later without reading or checking the body again.
    pub fn keep(self) -> ValidatedRequest {
        let IdentifyRequest { user_id, tape, standard, preferences, channel_data } = self;
        ValidatedRequest {
            user_id: user_id.to_owned(),
            text: tape.text().to_owned(),
            tape: tape.detach(),
            standard,
            preferences,
            channel_data,
        }
    }
}

/// A request that passed validation, kept apart from the body it was read
/// from ([`IdentifyRequest::keep`]): the package keeps the body `validate`
/// last found valid, so the `merge` of the same body for the same user
/// that usually follows neither reads nor checks it again.
#[derive(Debug)]
pub struct ValidatedRequest {
    user_id: String,
    text: String,
    tape: TapeParts,
    standard: [Option<usize>; StandardField::ALL.len()],
    preferences: Option<usize>,
    channel_data: Option<usize>,
}

impl ValidatedRequest {
    /// Whether this is the request `body` makes for `user_id`: the same
    /// user id and the same bytes, so validation would find the same.
    pub fn is_for(&self, user_id: &str, body: &[u8]) -> bool {
        self.user_id == user_id && self.text.as_bytes() == body
    }

    /// Runs `then` on the request again, over this copy of its body.
    pub(crate) fn with_request<R>(self, then: impl FnOnce(&IdentifyRequest<'_>) -> R) -> R {
        let ValidatedRequest { user_id, text, tape, standard, preferences, channel_data } = self;
        let request =
            IdentifyRequest { user_id: &user_id, tape: tape.attach(&text), standard, preferences, channel_data };
        then(&request)
    }
}

/// Whether a body key is a field of the request rather than a custom property.
pub(crate) fn is_request_field(key: &str) -> bool {
    matches!(
        key,
        "id" | "preferences"
            | "channel_data"
            | "__typename"
            | "updated_at"
            | "avatar"
            | "created_at"
            | "email"
            | "locale"
            | "name"
            | "phone_number"
            | "timezone"
    )
}

/// A `type` error: "expected {expected}, got a number".
pub(crate) fn wrong_type(expected: &str, got: Value<'_>) -> FieldError {
    FieldError::new(ProblemType::Type, format!("expected {expected}, got {}", got.type_phrase()))
}

/// A key of 1 to [`MAX_KEY_CHARS`] characters; `what` names such keys in
/// messages ("custom property keys").
pub(crate) fn check_key(key: &str, what: &str) -> Result<(), FieldError> {
    if key.is_empty() {
        return Err(FieldError::format(format!("{what} must not be empty")));
    }
    check_chars(key, MAX_KEY_CHARS).map_err(|_| {
        FieldError::new(
            ProblemType::TooLong,
            format!("{what} have at most {MAX_KEY_CHARS} characters, got {}", key.chars().count()),
        )
    })
}

/// Validates an identify request body (already parsed) for the user
/// `user_id`: every problem of §1–§2, in the order of the body.
pub(crate) fn validate_request<'a>(
    user_id: &'a str,
    tape: Tape<'a>,
    body_len: usize,
) -> Result<IdentifyRequest<'a>, Vec<Problem>> {
    let mut report = Report::default();
    let root = Path::Root;
    if let Err(error) = user_id_error(user_id) {
        report.add(&root.key("user_id"), error);
    }
    let mut request = IdentifyRequest {
        user_id,
        tape,
        standard: [None; StandardField::ALL.len()],
        preferences: None,
        channel_data: None,
    };
    let body = request.tape.root();
    for (key, value) in body.entries() {
        let path = root.key(key);
        match key {
            "id" => match value.as_str() {
                _ if value.is_null() => {}
                Some(id) if id == user_id => {}
                Some(id) => report.add_new(
                    &path,
                    ProblemType::Mismatch,
                    format!("expected the user id of the path, {}, got {}", quoted(user_id), quoted(id)),
                ),
                None => report.add_new(
                    &path,
                    ProblemType::Mismatch,
                    format!("expected the user id of the path, {}, got {}", quoted(user_id), value.type_phrase()),
                ),
            },
            "__typename" | "updated_at" => report.add_new(
                &path,
                ProblemType::ReadOnly,
                format!("`{key}` is read-only: the server sets it; remove it from the request"),
            ),
            "preferences" => {
                if preferences::check(value, &path, &mut report) && value.is_object() {
                    request.preferences = Some(value.index());
                }
            }
            "channel_data" => {
                if channel_data::check(value, &path, &mut report) && value.is_object() {
                    request.channel_data = Some(value.index());
                }
            }
            _ => match StandardField::from_key(key) {
                Some(field) => match check_standard(field, value) {
                    Ok(()) => request.standard[field as usize] = Some(value.index()),
                    Err(error) => report.add(&path, error),
                },
                None => {
                    if let Err(error) = check_key(key, "custom property keys") {
                        report.add(&path, error);
                    }
                }
            },
        }
    }
    // Canonical JSON is never longer than the text it was read from, so a
    // section can pass its limit only in a body that does.
    if body_len > MAX_SECTION_BYTES {
        check_section_sizes(&request, &mut report);
    }
    if report.count() == 0 {
        Ok(request)
    } else {
        Err(report.into_problems())
    }
}

/// The request-side limits of §2 on custom properties, preferences and channel data.
fn check_section_sizes(request: &IdentifyRequest<'_>, report: &mut Report) {
    let properties = request.body().entries().filter(|(key, _)| !is_request_field(key));
    let (count, bytes) = properties.fold((0usize, 0), |(count, bytes), (key, value)| {
        (count + 1, bytes + string_len(key) + 1 + canonical_len(value))
    });
    let sizes = [
        2 + bytes + count.saturating_sub(1),
        request.preferences().map_or(0, canonical_len),
        request.channel_data().map_or(0, canonical_len),
    ];
    for (field, message) in sections_too_large(sizes, None) {
        report.add_new(&Path::Root.key(field), ProblemType::TooLarge, message);
    }
}

/// The sections of a user that have a size limit: the field of their
/// problem and their name in its message.
const SECTIONS: [(&str, &str); 3] =
    [("", "custom properties"), ("preferences", "preferences"), ("channel_data", "channel data")];

/// The field and message of a `too_large` problem for each section of
/// [`SECTIONS`] whose size, as compact JSON, passes [`MAX_SECTION_BYTES`]:
/// in a request (`after` is `None`), or in the user a write would store
/// (`after` names it: `identify`, `merge`).
pub(crate) fn sections_too_large(
    sizes: [usize; 3],
    after: Option<&'static str>,
) -> impl Iterator<Item = (&'static str, String)> {
    SECTIONS.into_iter().zip(sizes).filter(|&(_, bytes)| bytes > MAX_SECTION_BYTES).map(move |((field, name), bytes)| {
        let message = match after {
            Some(write) => format!(
                "after this {write} the user's {name} would take {bytes} bytes as compact JSON; the limit is {MAX_SECTION_BYTES} (256 KiB): nothing was changed"
            ),
            None => format!("{name} take {bytes} bytes as compact JSON; the limit is {MAX_SECTION_BYTES} (256 KiB)"),
        };
        (field, message)
    })
}

/// A standard field's value: `null`, or a string its check accepts.
fn check_standard(field: StandardField, value: Value<'_>) -> Result<(), FieldError> {
    match value.as_str() {
        Some(text) => field.check(text),
        None if value.is_null() => Ok(()),
        None => Err(wrong_type("a string or null", value)),
    }
}
