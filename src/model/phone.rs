//! `phone_number`: E.164 form (`+14155552671`), with a country calling code
//! the ITU-T assigned.

use super::calling_codes::is_assigned_calling_code;
use super::FieldError;
use crate::error::ProblemType;

const EXPECTED: &str =
    "expected an E.164 number: `+` and 7 to 15 digits starting with a country calling code, like `+14155552671`";

pub(super) fn check(value: &str) -> Result<(), FieldError> {
    check_e164(value).map_err(|error| match compact_hint(value) {
        Some(hint) if error.kind == ProblemType::Format => FieldError::format(format!("{EXPECTED}; use `{hint}`")),
        _ => error,
    })
}

fn check_e164(value: &str) -> Result<(), FieldError> {
    let digits = value.strip_prefix('+').ok_or_else(|| FieldError::format(EXPECTED))?;
    let well_formed =
        (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    if !well_formed {
        return Err(FieldError::format(EXPECTED));
    }
    if !is_assigned_calling_code(digits) {
        return Err(FieldError::new(
            ProblemType::UnknownValue,
            format!("`{value}` does not begin with an assigned country calling code"),
        ));
    }
    Ok(())
}

/// The E.164 form of a number written with spaces, dashes, dots, brackets or
/// a `00` prefix, when that form is valid.
fn compact_hint(value: &str) -> Option<String> {
    let trimmed = value.trim();
    let rest = trimmed.strip_prefix('+').or_else(|| trimmed.strip_prefix("00"))?;
    let mut compact = String::with_capacity(16);
    compact.push('+');
    for c in rest.chars() {
        match c {
            '0'..='9' => compact.push(c),
            ' ' | '-' | '.' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    (compact != value && check_e164(&compact).is_ok()).then_some(compact)
}
