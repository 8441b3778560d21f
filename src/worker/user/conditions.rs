//! `If-Match` and `If-None-Match` (contract §9), held against the user's
//! ETag as the object has it: what a write may do, and when a read is a 304.

use crate::worker::error::ApiError;

/// Whether `header` (a condition's value as sent) names `etag`: `*` names
/// any user that exists; otherwise one of its comma-separated entity tags
/// must equal `etag`, compared strongly (a `W/` tag never matches) or,
/// for `If-None-Match`, weakly.
pub fn names(header: &str, etag: Option<&str>, weak: bool) -> bool {
    let Some(etag) = etag else { return false };
    let header = header.trim();
    if header == "*" {
        return true;
    }
    header.split(',').map(str::trim).any(|tag| {
        let tag = if weak { tag.strip_prefix("W/").unwrap_or(tag) } else { tag };
        tag == etag
    })
}

/// A write's conditions against the user's ETag (`None`: no such user):
/// `If-Match` must name it, `If-None-Match` must not; else the 412.
pub fn check_write(if_match: Option<&str>, if_none_match: Option<&str>, etag: Option<&str>) -> Result<(), ApiError> {
    let refused = |header| Err(ApiError::precondition_failed(header, etag.map(str::to_owned)));
    if if_match.is_some_and(|header| !names(header, etag, false)) {
        return refused("If-Match");
    }
    if if_none_match.is_some_and(|header| names(header, etag, true)) {
        return refused("If-None-Match");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_name_the_etag_or_any_user() {
        let etag = Some("\"ab.3\"");
        for (header, weak, named) in [
            ("\"ab.3\"", false, true),
            ("\"x.1\", \"ab.3\"", false, true),
            ("*", false, true),
            ("\"ab.2\"", false, false),
            ("W/\"ab.3\"", false, false),
            ("W/\"ab.3\"", true, true),
            ("ab.3", false, false),
            ("", false, false),
        ] {
            assert_eq!(names(header, etag, weak), named, "{header} weak={weak}");
        }
        // No user: nothing names it, `*` neither.
        assert!(!names("*", None, false));
        assert!(!names("\"ab.3\"", None, true));
    }

    #[test]
    fn a_write_needs_if_match_named_and_if_none_match_not() {
        let etag = Some("\"ab.3\"");
        assert!(check_write(Some("\"ab.3\""), None, etag).is_ok());
        assert!(check_write(Some("\"ab.2\""), None, etag).is_err());
        assert!(check_write(Some("*"), None, None).is_err(), "If-Match: * needs a user");
        assert!(check_write(None, Some("*"), None).is_ok(), "If-None-Match: * creates");
        assert!(check_write(None, Some("*"), etag).is_err(), "but only creates");
        assert!(check_write(None, None, None).is_ok());
    }
}
