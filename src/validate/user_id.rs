//! The user id of the path (§1): its rules, and its bytes as text.

use crate::error::Problem;
use crate::limits::MAX_USER_ID_CHARS;
use crate::model::{check_chars, FieldError};

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

pub(crate) fn user_id_error(user_id: &str) -> Result<(), FieldError> {
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
