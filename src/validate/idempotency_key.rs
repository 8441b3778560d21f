//! The `Idempotency-Key` header of a write (contract §9).

use crate::error::{Problem, ProblemType};
use crate::limits::MAX_IDEMPOTENCY_KEY_BYTES;
use crate::model::FieldError;

/// The field of the header's problems: the header's name as Knock's SDKs send it.
const FIELD: &str = "Idempotency-Key";

/// An `Idempotency-Key` header value: 1 to [`MAX_IDEMPOTENCY_KEY_BYTES`]
/// (255) bytes, each printable ASCII (0x20 to 0x7E), as the header
/// arrived. Else one problem on the field `Idempotency-Key`: `too_long`
/// past 255 bytes (whatever the bytes), `format` when empty or for the
/// first byte outside printable ASCII.
///
/// ```
/// use knock_identify::check_idempotency_key;
/// assert!(check_idempotency_key(b"5c3f9e1a-retry").is_ok());
/// assert_eq!(check_idempotency_key(b"").unwrap_err().field, "Idempotency-Key");
/// ```
pub fn check_idempotency_key(value: &[u8]) -> Result<(), Problem> {
    if value.len() > MAX_IDEMPOTENCY_KEY_BYTES {
        return Err(FieldError::new(
            ProblemType::TooLong,
            format!("an idempotency key has at most {MAX_IDEMPOTENCY_KEY_BYTES} bytes, got {}", value.len()),
        )
        .at(FIELD));
    }
    if value.is_empty() {
        return Err(FieldError::format(format!(
            "the idempotency key must not be empty: send 1 to {MAX_IDEMPOTENCY_KEY_BYTES} printable ASCII characters (0x20 to 0x7E), or no header"
        ))
        .at(FIELD));
    }
    match value.iter().position(|byte| !(0x20..=0x7e).contains(byte)) {
        None => Ok(()),
        Some(at) => Err(FieldError::format(format!(
            "an idempotency key holds printable ASCII only (0x20 to 0x7E), got the byte 0x{:02X} at index {at}",
            value[at]
        ))
        .at(FIELD)),
    }
}
