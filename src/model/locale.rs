use super::FieldError;
use oxilangtag::LanguageTag;

/// A well-formed BCP 47 language tag: `en`, `en-US`, `zh-Hant-TW`, `es-419`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

checked_string!(Locale);

const EXPECTED: &str = "expected a BCP 47 language tag, like `en-US`";

impl Locale {
    /// Checks `value`; [`Self::parse`] also wraps it.
    ///
    /// ```
    /// use knock_identify::Locale;
    /// assert!(Locale::parse("zh-Hant-TW".into()).is_ok());
    /// let error = Locale::parse("en_US".into()).unwrap_err();
    /// assert!(error.message.ends_with("use `en-US`"));
    /// ```
    pub fn check(value: &str) -> Result<(), FieldError> {
        if LanguageTag::parse(value).is_ok() {
            return Ok(());
        }
        let hyphenated = value.replace('_', "-");
        if hyphenated != value && LanguageTag::parse(hyphenated.as_str()).is_ok() {
            return Err(FieldError::format(format!("{EXPECTED}; use `{hyphenated}`")));
        }
        Err(FieldError::format(EXPECTED))
    }
}
