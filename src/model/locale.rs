//! `locale`: a well-formed BCP 47 language tag: `en`, `en-US`, `zh-Hant-TW`, `es-419`.

use super::FieldError;
use crate::validate::quoted;
use oxilangtag::LanguageTag;

const EXPECTED: &str = "expected a BCP 47 language tag, like `en-US`";

pub(super) fn check(value: &str) -> Result<(), FieldError> {
    if LanguageTag::parse(value).is_ok() {
        return Ok(());
    }
    // `en_US`: say how it is written.
    if value.contains('_') {
        let hyphenated = value.replace('_', "-");
        if LanguageTag::parse(hyphenated.as_str()).is_ok() {
            return Err(FieldError::format(format!("{EXPECTED}; use {}", quoted(&hyphenated))));
        }
    }
    Err(FieldError::format(EXPECTED))
}
