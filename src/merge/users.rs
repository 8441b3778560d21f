//! Contract §11: merging one user (the secondary) into another (the
//! primary). Like identify's merge, it reads both stored records where
//! they lie and writes the merged record straight out; the rule differs:
//! the primary wins every conflict, and preference sets and channels are
//! taken whole.

use super::{entries, member_key, refuse_growth_past_limits, skip_none, write_record, PatchKeys, RecordParts};
use crate::error::IdentifyError;
use crate::json::{JsonWriter, Value};
use crate::model::StandardField;
use crate::record::{ParsedRecord, StoredUser};
use crate::timestamp::Timestamp;
use crate::validate::is_request_field;

/// Merges the user `secondary` into the user `primary` (both records as
/// storage keeps them, [`StoredUser::as_json`]) at `now`: the primary's
/// record, with
///
/// - each standard field and each custom property the primary lacks or
///   holds as `null` taken from the secondary; custom properties that are
///   objects on both sides merged key by key by this same rule (the
///   primary's keys in their order, then the secondary's others in
///   theirs); any other conflict kept as the primary has it;
/// - each preference set and each channel's data the primary lacks added
///   from the secondary, whole, after the primary's; one the primary has
///   kept as it is;
/// - its own `id`, and `updated_at` set to `now`.
///
/// Refused, with nothing to write, when a record cannot be read
/// ([`IdentifyError::InvalidStoredRecord`]) or when the merged user's
/// custom properties, preferences or channel data would grow past
/// [`crate::MAX_SECTION_BYTES`] (a `too_large` problem each, as identify's
/// merge; a section the primary stored past it before the limits may stay).
///
/// ```
/// use knock_identify::{identify, merge_users, Timestamp};
///
/// let now = Timestamp::from_millis(1_714_564_800_000);
/// let signed_up = identify(None, "user-1", br#"{"name": "Jane", "email": null, "plan": {"tier": "pro"}}"#, now)?;
/// let invited = identify(None, "invite-7", br#"{"name": "J.", "email": "jane@example.com", "plan": {"seats": 3}}"#, now)?;
/// let merged = merge_users(signed_up.as_json().as_bytes(), invited.as_json().as_bytes(), now)?;
/// assert_eq!(
///     merged.user_json(),
///     r#"{"__typename":"User","id":"user-1","avatar":null,"created_at":null,"email":"jane@example.com","locale":null,"name":"Jane","phone_number":null,"timezone":null,"updated_at":"2024-05-01T12:00:00.000Z","plan":{"tier":"pro","seats":3}}"#
/// );
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn merge_users(primary: &[u8], secondary: &[u8], now: Timestamp) -> Result<StoredUser, IdentifyError> {
    let primary = ParsedRecord::read(primary)?;
    let secondary = ParsedRecord::read(secondary)?;
    let updated_at = now.rfc3339_bytes();
    // Digits and punctuation: ASCII.
    let updated_at = std::str::from_utf8(&updated_at).unwrap_or_default();
    let parts = RecordParts {
        standard: &|field| present(&primary, field).or_else(|| present(&secondary, field)),
        properties: &|out, first| {
            prefer_members(out, Some(primary.user()), Some(secondary.user()), is_request_field, first)
        },
        preferences: &|out| add_missing_entries(out, primary.preferences(), secondary.preferences()),
        channel_data: &|out| add_missing_entries(out, primary.channel_data(), secondary.channel_data()),
    };
    let capacity = primary.text_len() + secondary.text_len() + 64;
    let (record, sizes) = parts.write(capacity, primary.user_id(), updated_at);
    let before = || Some(write_record(Some(&primary), None, primary.user_id(), updated_at).1);
    refuse_growth_past_limits(sizes, before, "merge")?;
    Ok(record)
}

/// A standard field's value, unless it is `null`.
fn present<'r>(record: &'r ParsedRecord<'_>, field: StandardField) -> Option<Value<'r>> {
    record.standard(field).filter(|value| !value.is_null())
}

/// Writes the members of `primary` merged with those of `secondary`,
/// leaving out keys `skip` names on both sides: where both values are
/// objects, merged the same way; where the primary's is `null` or absent,
/// the secondary's; otherwise the primary's. The primary's keys keep their
/// order; the secondary's others follow in theirs. Recursion follows values
/// that are objects on both sides, so it is no deeper than the shallower
/// record.
fn prefer_members(
    out: &mut JsonWriter,
    primary: Option<Value<'_>>,
    secondary: Option<Value<'_>>,
    skip: fn(&str) -> bool,
    first: &mut bool,
) {
    let mut secondary = PatchKeys::new(secondary, skip);
    for (key, kept) in entries(primary) {
        if skip(key) {
            continue;
        }
        member_key(out, first, kept);
        match secondary.take(key) {
            Some(other) if kept.is_object() && other.is_object() => {
                out.raw("{");
                prefer_members(out, Some(kept), Some(other), skip_none, &mut true);
                out.raw("}");
            }
            Some(other) if kept.is_null() => out.value(other),
            _ => out.value(kept),
        }
    }
    secondary.each_rest(|value| {
        member_key(out, first, value);
        out.value(value);
    });
}

/// An object of entries taken whole (preference sets by id, channels by
/// id): the primary's, then the secondary's whose id the primary lacks.
fn add_missing_entries(out: &mut JsonWriter, primary: Option<Value<'_>>, secondary: Option<Value<'_>>) {
    let mut secondary = PatchKeys::new(secondary, skip_none);
    let mut first = true;
    out.raw("{");
    for (id, kept) in entries(primary) {
        secondary.take(id);
        member_key(out, &mut first, kept);
        out.value(kept);
    }
    secondary.each_rest(|value| {
        member_key(out, &mut first, value);
        out.value(value);
    });
    out.raw("}");
}
