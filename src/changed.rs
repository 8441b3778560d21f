//! What a write changed, for a user's change history (contract §9): the
//! names of the parts of the record whose value differs, never the values.

use crate::json::{sort_by, Value};
use crate::model::StandardField;
use crate::record::{ParsedRecord, StoredUser};
use crate::validate::is_request_field;

/// The names of what differs between the user `before` a write (`None`
/// for a new user) and `after` it, in this order: the standard fields
/// (`avatar`, `created_at`, `email`, `locale`, `name`, `phone_number`,
/// `timezone`; never `id`, `__typename` or `updated_at`), then
/// `custom.<key>` for each first-level custom property added, removed or
/// changed, then `preferences.<set id>` for each preference set, then
/// `channel_data.<channel id>` for each channel, likewise. Within a group,
/// the keys of `after` in its order, then those only in `before` in
/// theirs. A value changed when its canonical JSON text differs. A new
/// user names every field that is not `null` and every property, set and
/// channel; a write that changed only `updated_at` names nothing.
///
/// ```
/// use knock_identify::{changed_names, identify, Timestamp};
///
/// let now = Timestamp::from_millis(0);
/// let before = identify(None, "user-1", br#"{"name": "Jane", "plan": "free"}"#, now)?;
/// let after = identify(Some(before.as_json().as_bytes()), "user-1", br#"{"name": "Jane", "plan": "pro"}"#, now)?;
/// assert_eq!(changed_names(Some(&before), &after), ["custom.plan"]);
/// assert_eq!(changed_names(None, &before), ["name", "custom.plan"]);
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn changed_names(before: Option<&StoredUser>, after: &StoredUser) -> Vec<String> {
    let (before, after) = (before.and_then(read), read(after));
    let (before, after) = (before.as_ref(), after.as_ref());
    let mut names = Vec::new();
    for field in StandardField::ALL {
        let changed = match (standard(before, field), standard(after, field)) {
            (None, None) => false,
            (Some(was), Some(is)) => !was.written_alike(is),
            _ => true,
        };
        if changed {
            names.push(field.key().to_owned());
        }
    }
    let groups = ["custom", "preferences", "channel_data"].into_iter().zip(parts(before)).zip(parts(after));
    for ((group, was), is) in groups {
        changed_members(group, members(group, was), members(group, is), &mut names);
    }
    names
}

/// A `StoredUser` holds a record the core wrote, so reading it cannot
/// fail; one that did would count as a user with nothing in it.
fn read(user: &StoredUser) -> Option<ParsedRecord<'_>> {
    ParsedRecord::read(user.as_json().as_bytes()).ok()
}

/// A standard field's value, unless it is `null` (or the user is none).
fn standard<'r>(record: Option<&'r ParsedRecord<'_>>, field: StandardField) -> Option<Value<'r>> {
    record?.standard(field).filter(|value| !value.is_null())
}

/// The objects whose members are compared: the user (its custom
/// properties), the preference sets and the channel data.
fn parts<'r>(record: Option<&'r ParsedRecord<'_>>) -> [Option<Value<'r>>; 3] {
    match record {
        Some(record) => [Some(record.user()), record.preferences(), record.channel_data()],
        None => [None; 3],
    }
}

/// The members of a group's object: for `custom`, the user's members
/// that are not its fields.
fn members<'r>(group: &'r str, object: Option<Value<'r>>) -> impl Iterator<Item = (&'r str, Value<'r>)> {
    let entries = object.into_iter().flat_map(Value::entries);
    entries.filter(move |(key, _)| group != "custom" || !is_request_field(key))
}

/// Adds `<group>.<key>` to `names` for each member added, changed or
/// removed between `before` and `after`: `after`'s keys in its order, then
/// those only in `before`. `before` is looked up through a sorted index,
/// so a group of many keys costs O(n log n).
fn changed_members<'a>(
    group: &str,
    before: impl Iterator<Item = (&'a str, Value<'a>)>,
    after: impl Iterator<Item = (&'a str, Value<'a>)>,
    names: &mut Vec<String>,
) {
    let mut before: Vec<(&str, Value<'_>, bool)> = before.map(|(key, value)| (key, value, false)).collect();
    let mut sorted: Vec<u32> = (0..before.len() as u32).collect();
    sort_by(&mut sorted, |&a, &b| before[a as usize].0 < before[b as usize].0);
    for (key, value) in after {
        let found = sorted.binary_search_by(|&at| before[at as usize].0.cmp(key)).ok();
        let changed = match found.map(|found| &mut before[sorted[found] as usize]) {
            Some((_, was, seen)) => {
                *seen = true;
                !was.written_alike(value)
            }
            None => true,
        };
        if changed {
            names.push(format!("{group}.{key}"));
        }
    }
    for (key, _, _) in before.iter().filter(|(_, _, seen)| !seen) {
        names.push(format!("{group}.{key}"));
    }
}
