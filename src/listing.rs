//! Listing users (contract §10): what the users index keeps of a stored
//! record beside its user, and a listed user as the list answers it.

use crate::json;
use crate::limits::MAX_DEPTH;
use crate::record::StoredUser;

/// The user's `email` when it is a string (`None` when it is `null` or
/// unset): the address the list's `email` filter finds, exactly as stored.
///
/// ```
/// use knock_identify::{identify, listed_email, Timestamp};
/// let now = Timestamp::from_millis(0);
/// let user = identify(None, "u", br#"{"email": "Jane@example.com"}"#, now)?;
/// assert_eq!(listed_email(&user).as_deref(), Some("Jane@example.com"));
/// assert_eq!(listed_email(&identify(None, "u", b"{}", now)?), None);
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn listed_email(stored: &StoredUser) -> Option<String> {
    let tape = json::parse(stored.user_json().as_bytes(), MAX_DEPTH + 1).ok()?;
    tape.root().get("email")?.as_str().map(str::to_owned)
}

/// A listed user: `user_json` (the user of §4, as [`StoredUser::user_json`]
/// gives it) and, when `preference_sets` is given (the JSON array of
/// [`crate::preference_sets_answer`]), those sets as its last key,
/// `preferences`. No custom property can be called `preferences`: that
/// key of identify's body is the sets.
///
/// ```
/// use knock_identify::list_entry;
/// assert_eq!(list_entry(r#"{"id":"u"}"#, None), r#"{"id":"u"}"#);
/// assert_eq!(list_entry(r#"{"id":"u"}"#, Some("[]")), r#"{"id":"u","preferences":[]}"#);
/// ```
pub fn list_entry(user_json: &str, preference_sets: Option<&str>) -> String {
    let Some(sets) = preference_sets else { return user_json.to_owned() };
    let open = user_json.strip_suffix('}').unwrap_or(user_json);
    let comma = if open.ends_with('{') { "" } else { "," };
    format!("{open}{comma}\"preferences\":{sets}}}")
}
