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
    if value.is_ascii() {
        return is_ascii_address(value.as_bytes());
    }
    let Some((local, domain)) = value.split_once('@') else { return false };
    is_local_part(local) && is_domain(domain)
}

/// [`is_address`] for ASCII text, in one pass over the bytes.
fn is_ascii_address(value: &[u8]) -> bool {
    let Some(at) = value.iter().position(|&byte| byte == b'@') else { return false };
    let (local, domain) = (&value[..at], &value[at + 1..]);
    let atext = |byte: u8| byte.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&byte);
    let local_ok = !local.is_empty()
        && local.len() <= MAX_LOCAL_BYTES
        && local.split(|&byte| byte == b'.').all(|atom| !atom.is_empty() && atom.iter().all(|&byte| atext(byte)));
    let mut labels = 0;
    let mut last_label: &[u8] = &[];
    for label in domain.split(|&byte| byte == b'.') {
        let label_ok = !label.is_empty()
            && label.len() <= MAX_LABEL_CHARS
            && label[0] != b'-'
            && label[label.len() - 1] != b'-'
            && label.iter().all(|&byte| byte.is_ascii_alphanumeric() || byte == b'-');
        if !label_ok {
            return false;
        }
        labels += 1;
        last_label = label;
    }
    local_ok && labels >= 2 && !last_label.iter().all(u8::is_ascii_digit)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass ASCII check and the general one agree.
    #[test]
    fn the_ascii_path_agrees_with_the_general_one() {
        let pieces =
            ["", "a", "jane", ".", "..", "@", "@@", "example", "com", "-", "1", "12", "x-y", "+", "<", " ", "\"", "_"];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for d in ["", ".", ".com", ".1"] {
                        let text = format!("{a}{b}{c}{d}");
                        let general = text
                            .split_once('@')
                            .is_some_and(|(local, domain)| is_local_part(local) && is_domain(domain));
                        assert_eq!(is_ascii_address(text.as_bytes()), general, "{text:?}");
                    }
                }
            }
        }
    }
}
