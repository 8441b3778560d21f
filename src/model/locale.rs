//! `locale`: a well-formed BCP 47 language tag: `en`, `en-US`, `zh-Hant-TW`, `es-419`.

use super::FieldError;
use crate::quote::quoted;
use oxilangtag::LanguageTag;

const EXPECTED: &str = "expected a BCP 47 language tag, like `en-US`";

pub(super) fn check(value: &str) -> Result<(), FieldError> {
    if is_language_and_region(value) || LanguageTag::parse(value).is_ok() {
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

/// The common tags, without the general parser: a language of two or three
/// letters, then perhaps a region of two letters or three digits (`en`,
/// `en-US`, `es-419`). Each is well-formed BCP 47.
fn is_language_and_region(value: &str) -> bool {
    let letters = |part: &str| part.bytes().all(|byte| byte.is_ascii_alphabetic());
    let is_language = |part: &str| (2..=3).contains(&part.len()) && letters(part);
    match value.split_once('-') {
        None => is_language(value),
        Some((language, region)) => {
            let is_region = (region.len() == 2 && letters(region))
                || (region.len() == 3 && region.bytes().all(|byte| byte.is_ascii_digit()));
            is_language(language) && is_region
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_short_path_accepts_only_what_the_parser_accepts() {
        let alphabet = ["", "e", "en", "eng", "engl", "-", "US", "us", "419", "41", "4192", "1", "x"];
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    let tag = format!("{a}{b}{c}");
                    if is_language_and_region(&tag) {
                        assert!(LanguageTag::parse(tag.as_str()).is_ok(), "{tag}");
                    }
                }
            }
        }
        for tag in ["en", "en-US", "en-us", "es-419", "zho-CN"] {
            assert!(is_language_and_region(tag), "{tag}");
        }
    }
}
