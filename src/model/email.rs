//! `email`: one address, `local@domain`: no display name, comment, quoted
//! local part or IP literal; the domain has at least two labels of letters,
//! digits and hyphens (Unicode letters allowed, for internationalised domains).

use super::{check_bytes, FieldError};

const EXPECTED: &str = "expected one email address like `name@example.com`";
const MAX_BYTES: usize = 254;
const MAX_LOCAL_BYTES: usize = 64;
const MAX_LABEL_CHARS: usize = 63;

pub(super) fn check(value: &str) -> Result<(), FieldError> {
    check_bytes(value, MAX_BYTES)?;
    if is_address(value) {
        return Ok(());
    }
    // `Jane <jane@example.com>`: say which part to send.
    if let Some(inner) = value.rsplit_once('<').and_then(|(_, rest)| rest.strip_suffix('>')) {
        if is_address(inner) {
            return Err(FieldError::format(format!("{EXPECTED}, without a display name: `{inner}`")));
        }
    }
    Err(FieldError::format(EXPECTED))
}

fn is_address(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else { return false };
    is_local_part(local) && is_domain(domain)
}

/// A dot-atom: RFC 5322 `atext` (and non-ASCII, RFC 6531) separated by
/// single dots.
fn is_local_part(local: &str) -> bool {
    let is_atext = |c: char| {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '!' | '#'
                    | '$'
                    | '%'
                    | '&'
                    | '\''
                    | '*'
                    | '+'
                    | '-'
                    | '/'
                    | '='
                    | '?'
                    | '^'
                    | '_'
                    | '`'
                    | '{'
                    | '|'
                    | '}'
                    | '~'
            )
            || is_unicode_text(c)
    };
    !local.is_empty()
        && local.len() <= MAX_LOCAL_BYTES
        && local.split('.').all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

fn is_unicode_text(c: char) -> bool {
    !c.is_ascii() && !c.is_whitespace() && !c.is_control()
}

fn is_domain(domain: &str) -> bool {
    let Some((_, top_level)) = domain.rsplit_once('.') else { return false };
    domain.split('.').all(is_label) && !top_level.chars().all(|c| c.is_ascii_digit())
}

fn is_label(label: &str) -> bool {
    !label.is_empty()
        && label.chars().count() <= MAX_LABEL_CHARS
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c.is_alphanumeric() || c == '-')
}
