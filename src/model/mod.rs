//! The standard fields of a user (§2) and the check of each one's value.
//! A check only reads the value: the core stores the text exactly as sent.

mod calling_codes;
mod created_at;
mod email;
mod locale;
mod phone;
mod timezone;
mod timezones;
mod url;

pub use timezone::{time_zone_names, TZDB_VERSION};

use crate::error::{Problem, ProblemType};
use crate::limits::MAX_NAME_CHARS;

/// Why a single value is invalid, before it is placed at a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The machine word of the problem.
    pub kind: ProblemType,
    /// What was expected and, where one exists, the fix.
    pub message: String,
}

impl FieldError {
    /// The problem this error makes at `field` (a dotted path).
    pub fn at(self, field: impl Into<String>) -> Problem {
        Problem::new(field, self.kind, self.message)
    }

    pub(crate) fn new(kind: ProblemType, message: impl Into<String>) -> Self {
        FieldError { kind, message: message.into() }
    }

    pub(crate) fn format(message: impl Into<String>) -> Self {
        FieldError::new(ProblemType::Format, message)
    }
}

/// The standard fields of a user (§2): replaced by identify, returned as
/// `null` when unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardField {
    Avatar,
    CreatedAt,
    Email,
    Locale,
    Name,
    PhoneNumber,
    Timezone,
}

impl StandardField {
    /// Every standard field, in the order of the response.
    pub const ALL: [StandardField; 7] = [
        StandardField::Avatar,
        StandardField::CreatedAt,
        StandardField::Email,
        StandardField::Locale,
        StandardField::Name,
        StandardField::PhoneNumber,
        StandardField::Timezone,
    ];

    /// The field's JSON key.
    pub fn key(self) -> &'static str {
        match self {
            StandardField::Avatar => "avatar",
            StandardField::CreatedAt => "created_at",
            StandardField::Email => "email",
            StandardField::Locale => "locale",
            StandardField::Name => "name",
            StandardField::PhoneNumber => "phone_number",
            StandardField::Timezone => "timezone",
        }
    }

    /// The field a JSON key names, if it names one.
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "avatar" => StandardField::Avatar,
            "created_at" => StandardField::CreatedAt,
            "email" => StandardField::Email,
            "locale" => StandardField::Locale,
            "name" => StandardField::Name,
            "phone_number" => StandardField::PhoneNumber,
            "timezone" => StandardField::Timezone,
            _ => return None,
        })
    }

    /// Checks a value of this field (a string; `null` is always accepted):
    ///
    /// - `avatar`: an absolute `http` or `https` URL of at most 2,048 bytes;
    /// - `created_at`: an RFC 3339 date-time with an offset;
    /// - `email`: one address `local@domain`, at most 254 bytes, no display name;
    /// - `locale`: a well-formed BCP 47 language tag;
    /// - `name`: at most 1,024 characters;
    /// - `phone_number`: E.164, with an assigned country calling code;
    /// - `timezone`: an IANA tz database zone or link name, exact case.
    ///
    /// ```
    /// use knock_identify::StandardField;
    /// assert!(StandardField::PhoneNumber.check("+14155552671").is_ok());
    /// let error = StandardField::PhoneNumber.check("+1 (415) 555-2671").unwrap_err();
    /// assert!(error.message.ends_with("use `+14155552671`"));
    /// let error = StandardField::Timezone.check("america/new_york").unwrap_err();
    /// assert!(error.message.ends_with("did you mean `America/New_York`?"));
    /// assert!(StandardField::Email.check("Jane <jane@example.com>").is_err());
    /// ```
    pub fn check(self, value: &str) -> Result<(), FieldError> {
        match self {
            StandardField::Avatar => url::check(value),
            StandardField::CreatedAt => created_at::check(value),
            StandardField::Email => email::check(value),
            StandardField::Locale => locale::check(value),
            StandardField::Name => check_chars(value, MAX_NAME_CHARS),
            StandardField::PhoneNumber => phone::check(value),
            StandardField::Timezone => timezone::check(value),
        }
    }
}

/// A `too_long` error if `value` has more than `limit` characters.
pub(crate) fn check_chars(value: &str, limit: usize) -> Result<(), FieldError> {
    // Byte length bounds the character count: skip the count when it is short.
    if value.len() > limit {
        let count = value.chars().count();
        if count > limit {
            return Err(FieldError::new(
                ProblemType::TooLong,
                format!("expected at most {limit} characters, got {count}"),
            ));
        }
    }
    Ok(())
}

/// A `too_long` error if `value` has more than `limit` bytes of UTF-8.
pub(crate) fn check_bytes(value: &str, limit: usize) -> Result<(), FieldError> {
    if value.len() > limit {
        return Err(FieldError::new(
            ProblemType::TooLong,
            format!("expected at most {limit} bytes, got {}", value.len()),
        ));
    }
    Ok(())
}
