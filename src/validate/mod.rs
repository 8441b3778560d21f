//! The checks of the contract's §1–§2: the user id and every field of the
//! body, each problem reported at its dotted path, all of them at once, up
//! to [`MAX_PROBLEMS`]. Every check reads the parsed body without copying
//! it; whatever the body, the work is linear in its size.

mod channel_data;
mod preferences;

pub(crate) use channel_data::is_uuid;
#[cfg(all(test, feature = "js"))]
pub(crate) use preferences::CHANNEL_TYPES;
pub(crate) use preferences::PERSISTENCE_STRATEGY;

use crate::error::{Problem, ProblemType};
use crate::json::{canonical_len, string_len, Tape, Value};
use crate::limits::{MAX_KEY_CHARS, MAX_PROBLEMS, MAX_SECTION_BYTES, MAX_USER_ID_CHARS};
use crate::model::{check_chars, FieldError, StandardField};
use crate::quote::{push_cut, quoted};

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

    /// The value sent for a standard field: `Some(None)` for `null`.
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

/// Checks a user id (§1): 1 to 256 characters, no `/`, `#` or control
/// character, not `.` or `..`. A bad id is a problem on the field `user_id`.
///
/// ```
/// use knock_identify::check_user_id;
/// assert!(check_user_id("jane@example.com").is_ok());
/// assert_eq!(check_user_id("a/b").unwrap_err().field, "user_id");
/// ```
pub fn check_user_id(user_id: &str) -> Result<(), Problem> {
    user_id_error(user_id).map_err(|error| error.at("user_id"))
}

/// A user id given as bytes (a percent-decoded URL segment) as text: bytes
/// that are not UTF-8 are a problem on `user_id`. The rules of §1 are
/// checked by [`check_user_id`] (and by [`crate::parse_request`]).
pub fn user_id_from_utf8(user_id: &[u8]) -> Result<&str, Problem> {
    std::str::from_utf8(user_id)
        .map_err(|_| FieldError::format("the user id is not valid UTF-8 once percent-decoded").at("user_id"))
}

fn user_id_error(user_id: &str) -> Result<(), FieldError> {
    if user_id.is_empty() {
        return Err(FieldError::format("the user id must not be empty"));
    }
    check_chars(user_id, MAX_USER_ID_CHARS)?;
    if user_id == "." || user_id == ".." {
        return Err(FieldError::format(format!("the user id must not be `{user_id}`")));
    }
    if let Some(bad) = user_id.chars().find(|&c| c == '/' || c == '#' || c.is_ascii_control()) {
        let shown = if bad.is_ascii_control() { unicode_name(bad) } else { format!("`{bad}`") };
        return Err(FieldError::format(format!(
            "the user id must not contain {shown}: no `/`, `#` or control characters"
        )));
    }
    Ok(())
}

/// `U+001F`: a character by its code point.
fn unicode_name(c: char) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let code = c as u32;
    let digits: String = (0..4).rev().map(|shift| char::from(HEX[(code >> (shift * 4) & 0xf) as usize])).collect();
    format!("U+{digits}")
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

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        self.render_into(&mut out);
        out
    }

    fn render_into(&self, out: &mut String) {
        match self {
            Path::Root => {}
            Path::Key(parent, key) => {
                parent.render_parent(out);
                push_cut(out, key);
            }
            Path::Index(parent, index) => {
                parent.render_parent(out);
                out.push_str(&index.to_string());
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

/// Every problem found so far: the first [`MAX_PROBLEMS`], and a count of
/// the rest.
#[derive(Default)]
pub(crate) struct Report {
    problems: Vec<Problem>,
    left_out: usize,
}

impl Report {
    pub(crate) fn add(&mut self, path: &Path<'_>, error: FieldError) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(error.at(path.render()));
        } else {
            self.left_out += 1;
        }
    }

    /// Adds a problem already placed (a bulk request's, under `users.N`).
    pub(crate) fn push(&mut self, problem: Problem) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.left_out += 1;
        }
    }

    pub(crate) fn add_new(&mut self, path: &Path<'_>, kind: ProblemType, message: impl Into<String>) {
        self.add(path, FieldError::new(kind, message));
    }

    /// Problems found so far, listed or not.
    pub(crate) fn count(&self) -> usize {
        self.problems.len() + self.left_out
    }

    /// The list: at most [`MAX_PROBLEMS`], then one saying how many more there were.
    pub(crate) fn into_problems(mut self) -> Vec<Problem> {
        if self.left_out > 0 {
            let plural = if self.left_out == 1 { "" } else { "s" };
            self.problems.push(Problem::new(
                "",
                ProblemType::TooManyProblems,
                format!(
                    "{} more problem{plural} not listed: an answer lists at most {MAX_PROBLEMS}; fix these and send the request again",
                    self.left_out
                ),
            ));
        }
        self.problems
    }
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
    for (field, message) in sections_too_large(sizes, false) {
        report.add_new(&Path::Root.key(field), ProblemType::TooLarge, message);
    }
}

/// The parts of a user that have a size limit: the field of their problem
/// and their name in its message.
const SECTIONS: [(&str, &str); 3] =
    [("", "custom properties"), ("preferences", "preferences"), ("channel_data", "channel data")];

/// The field and message of a `too_large` problem for each part of
/// [`SECTIONS`] whose size, as compact JSON, passes [`MAX_SECTION_BYTES`]:
/// in a request, or (`merged`) in the user a merge would store.
pub(crate) fn sections_too_large(sizes: [usize; 3], merged: bool) -> impl Iterator<Item = (&'static str, String)> {
    SECTIONS.into_iter().zip(sizes).filter(|&(_, bytes)| bytes > MAX_SECTION_BYTES).map(move |((field, name), bytes)| {
        let message = if merged {
            format!(
                "after this identify the user's {name} would take {bytes} bytes as compact JSON; the limit is {MAX_SECTION_BYTES} (256 KiB): nothing was changed"
            )
        } else {
            format!("{name} take {bytes} bytes as compact JSON; the limit is {MAX_SECTION_BYTES} (256 KiB)")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quote::QUOTED_CHARS;

    #[test]
    fn paths_render_dotted_with_long_keys_cut() {
        let root = Path::Root;
        let channel = root.key("channel_data");
        let id = channel.key("97c5837d-c65c-4d54-aa39-080eeb81c69d");
        let tokens = id.key("tokens");
        assert_eq!(tokens.index(2).render(), "channel_data.97c5837d-c65c-4d54-aa39-080eeb81c69d.tokens.2");
        assert_eq!(root.key("phone_number").render(), "phone_number");
        assert_eq!(root.render(), "");
        let at_limit = "é".repeat(QUOTED_CHARS);
        assert_eq!(root.key(&at_limit).render(), at_limit);
        let past = "é".repeat(QUOTED_CHARS + 1);
        let cut = root.key(&past).key("x").render();
        assert_eq!(cut, format!("{}….x", "é".repeat(QUOTED_CHARS - 1)));
    }

    #[test]
    fn the_report_keeps_the_first_hundred_and_counts_the_rest() {
        for (added, listed) in
            [(MAX_PROBLEMS, MAX_PROBLEMS), (MAX_PROBLEMS + 1, MAX_PROBLEMS + 1), (1000, MAX_PROBLEMS + 1)]
        {
            let mut report = Report::default();
            for index in 0..added {
                report.add(&Path::Root.index(index), FieldError::format("no"));
            }
            assert_eq!(report.count(), added);
            let problems = report.into_problems();
            assert_eq!(problems.len(), listed, "{added}");
            if added > MAX_PROBLEMS {
                let last = problems.last().unwrap();
                assert_eq!((last.field.as_str(), last.kind), ("", ProblemType::TooManyProblems));
                assert!(
                    last.message.starts_with(&format!("{} more problem", added - MAX_PROBLEMS)),
                    "{}",
                    last.message
                );
            }
        }
    }
}
