//! The request and stored-user types, and newtypes for the standard fields
//! that can only be built from a valid value.

/// The surface every standard-field newtype shares; each defines `check`.
macro_rules! checked_string {
    ($name:ident) => {
        impl $name {
            /// Checks `value` (see `check`) and wraps it.
            pub fn parse(value: String) -> Result<Self, FieldError> {
                Self::check(&value).map(|()| $name(value))
            }

            /// The value as sent.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The value as sent.
            pub fn into_string(self) -> String {
                self.0
            }
        }
    };
}

mod calling_codes;
mod created_at;
mod email;
mod locale;
mod phone;
mod timezone;
mod timezones;
mod url;
mod user;

pub use created_at::CreatedAt;
pub use email::Email;
pub use locale::Locale;
pub use phone::PhoneNumber;
pub use timezone::{TimeZone, TIME_ZONE_NAMES, TZDB_VERSION};
pub use url::AvatarUrl;
pub use user::{StandardField, StoredUser, User};

use crate::error::ProblemType;

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
    pub fn at(self, field: impl Into<String>) -> crate::Problem {
        crate::Problem { field: field.into(), message: self.message, kind: self.kind }
    }

    pub(crate) fn new(kind: ProblemType, message: impl Into<String>) -> Self {
        FieldError { kind, message: message.into() }
    }

    pub(crate) fn format(message: impl Into<String>) -> Self {
        FieldError::new(ProblemType::Format, message)
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
