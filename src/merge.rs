//! §3: how a valid request changes the stored user. The merge reads the
//! stored record and the request where they lie (two tapes) and writes the
//! new record straight out as canonical JSON: nothing is built in between.

use crate::error::{IdentifyError, Problem, ProblemType};
use crate::json::{Entries, JsonWriter, Value};
use crate::limits::MAX_SECTION_BYTES;
use crate::model::StandardField;
use crate::record::{Offsets, ParsedRecord, StoredUser};
use crate::timestamp::Timestamp;
use crate::validate::{is_request_field, sections_too_large, IdentifyRequest, PERSISTENCE_STRATEGY};

mod users;

pub use users::merge_users;

/// Applies a validated request to the stored record (`None` for a new
/// user): standard fields replaced (`null` stored), custom properties
/// merged deeply, preference sets merged deeply unless a set asks to be
/// replaced, channel data replaced per channel (`null` removes it), and
/// `updated_at` set to `now`.
///
/// `stored` is the record as storage keeps it ([`StoredUser::as_json`]).
/// Refused, with nothing to write, when the stored record cannot be read
/// ([`IdentifyError::InvalidStoredRecord`]) or when the merged user's custom
/// properties, preferences or channel data would grow past
/// [`crate::MAX_SECTION_BYTES`] (a `too_large` problem each; a section
/// stored past it before the limits may stay or shrink).
pub fn merge(
    stored: Option<&[u8]>,
    request: &IdentifyRequest<'_>,
    now: Timestamp,
) -> Result<StoredUser, IdentifyError> {
    let stored = stored.map(ParsedRecord::read).transpose()?;
    let updated_at = now.rfc3339_bytes();
    // Digits and punctuation: ASCII.
    let updated_at = std::str::from_utf8(&updated_at).unwrap_or_default();
    let (record, sizes) = write_record(stored.as_ref(), Some(request), request.user_id(), updated_at);
    // A section that a user stored before the limits already passes may
    // stay or shrink (contract §3): only a section that grows is checked.
    let before = || stored.as_ref().map(|stored| write_record(Some(stored), None, request.user_id(), updated_at).1);
    refuse_growth_past_limits(sizes, before, "identify")?;
    Ok(record)
}

/// A `too_large` problem for each section whose merged size (`sizes`)
/// passes [`MAX_SECTION_BYTES`] and is larger than it was (`before`, the
/// sizes of the record written again as it is, asked only when a section
/// passes; `None` for a new user); `write` names the write in the message.
fn refuse_growth_past_limits(
    mut sizes: [usize; 3],
    before: impl FnOnce() -> Option<[usize; 3]>,
    write: &'static str,
) -> Result<(), IdentifyError> {
    if sizes.iter().any(|&bytes| bytes > MAX_SECTION_BYTES) {
        for (size, before) in sizes.iter_mut().zip(before().unwrap_or_default()) {
            if *size <= before {
                *size = 0;
            }
        }
    }
    let problems: Vec<Problem> = sections_too_large(sizes, Some(write))
        .map(|(field, message)| Problem::new(field, ProblemType::TooLarge, message))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(IdentifyError::InvalidParams(problems))
    }
}

impl StoredUser {
    /// Reads a record as storage keeps it (what [`StoredUser::as_json`]
    /// gave, or any JSON of the same shape) and writes it in canonical
    /// form. Anything else is [`IdentifyError::InvalidStoredRecord`].
    ///
    /// ```
    /// use knock_identify::{identify, StoredUser, Timestamp};
    ///
    /// let record = identify(None, "user-1", br#"{"name": "Jane", "n": 1.50}"#, Timestamp::from_millis(0))?;
    /// let read = StoredUser::from_json(record.as_json().as_bytes())?;
    /// assert_eq!(read, record);
    /// assert_eq!(read.user_json(), r#"{"__typename":"User","id":"user-1","avatar":null,"created_at":null,"email":null,"locale":null,"name":"Jane","phone_number":null,"timezone":null,"updated_at":"1970-01-01T00:00:00.000Z","n":1.50}"#);
    /// # Ok::<(), knock_identify::IdentifyError>(())
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<StoredUser, IdentifyError> {
        let stored = ParsedRecord::read(bytes)?;
        // Written again by the one code that writes records: canonical.
        Ok(write_record(Some(&stored), None, stored.user_id(), stored.updated_at()).0)
    }
}

/// `,"avatar":` and so on: each standard field's key as written.
const FIELD_KEYS: [&str; StandardField::ALL.len()] = [
    ",\"avatar\":",
    ",\"created_at\":",
    ",\"email\":",
    ",\"locale\":",
    ",\"name\":",
    ",\"phone_number\":",
    ",\"timezone\":",
];

/// Writes the record of `stored` changed by `request` (either may be
/// absent): the user in its response shape (`__typename`, `id`, the
/// standard fields, `updated_at`, then the custom properties, stored ones
/// first in their order, new ones after in the request's), then the
/// preference sets and the channel data. With it, the sizes the limits
/// apply to: the custom properties (as one object), the preferences and
/// the channel data, as compact JSON.
pub(crate) fn write_record(
    stored: Option<&ParsedRecord<'_>>,
    request: Option<&IdentifyRequest<'_>>,
    user_id: &str,
    updated_at: &str,
) -> (StoredUser, [usize; 3]) {
    let capacity = stored.map_or(0, ParsedRecord::text_len) + request.map_or(0, IdentifyRequest::body_len) + 256;
    let parts = RecordParts {
        standard: &|field| {
            let sent = request.and_then(|request| request.standard(field));
            sent.or_else(|| stored.and_then(|stored| stored.standard(field)))
        },
        properties: &|out, first| {
            let stored = stored.map(ParsedRecord::user);
            merge_members(out, stored, request.map(IdentifyRequest::body), is_request_field, first)
        },
        preferences: &|out| {
            let stored = stored.and_then(ParsedRecord::preferences);
            merge_preferences(out, stored, request.and_then(IdentifyRequest::preferences))
        },
        channel_data: &|out| {
            let stored = stored.and_then(ParsedRecord::channel_data);
            merge_channel_data(out, stored, request.and_then(IdentifyRequest::channel_data))
        },
    };
    parts.write(capacity, user_id, updated_at)
}

/// What a new record is written from, part by part: the value of each
/// standard field, and writers of the custom properties (each as
/// `,"key":value`, no comma before the first while `first` holds), the
/// preference sets and the channel data (each a whole object). Identify's
/// merge ([`write_record`]) and the merge of two users ([`users`]) differ
/// only in these.
struct RecordParts<'p, 'v> {
    standard: &'p dyn Fn(StandardField) -> Option<Value<'v>>,
    properties: &'p dyn Fn(&mut JsonWriter, &mut bool),
    preferences: &'p dyn Fn(&mut JsonWriter),
    channel_data: &'p dyn Fn(&mut JsonWriter),
}

impl RecordParts<'_, '_> {
    /// The record of user `user_id` at `updated_at`, and the sizes the
    /// limits apply to: the custom properties (as one object), the
    /// preferences and the channel data, as compact JSON.
    fn write(&self, capacity: usize, user_id: &str, updated_at: &str) -> (StoredUser, [usize; 3]) {
        let mut out = JsonWriter::with_capacity(capacity);
        out.raw("{\"user\":{\"__typename\":\"User\",\"id\":");
        let id_from = out.len();
        out.string(user_id);
        let id = id_from..out.len();
        for (field, key) in StandardField::ALL.into_iter().zip(FIELD_KEYS) {
            out.raw(key);
            match (self.standard)(field) {
                Some(value) => out.value(value),
                None => out.raw("null"),
            }
        }
        out.raw(",\"updated_at\":");
        let updated_at_from = out.len() + 1;
        out.string(updated_at);
        let updated_at = updated_at_from..out.len() - 1;

        let properties_from = out.len();
        (self.properties)(&mut out, &mut false);
        // Written as `,"k":v` each: as one object, `{"k":v}`.
        let properties_bytes = match out.len() - properties_from {
            0 => 2,
            written => written + 1,
        };
        out.raw("}");
        let user_end = out.len();

        out.raw(",\"preferences\":");
        let preferences_from = out.len();
        (self.preferences)(&mut out);
        let preferences = preferences_from..out.len();
        out.raw(",\"channel_data\":");
        let channel_data_from = out.len();
        (self.channel_data)(&mut out);
        let channel_data = channel_data_from..out.len();
        out.raw("}");
        let sizes = [properties_bytes, preferences.len(), channel_data.len()];
        let offsets = Offsets { user_end, id, updated_at, preferences, channel_data };
        (StoredUser::new(out.into_string(), offsets), sizes)
    }
}

/// The entries of an object that may be absent.
fn entries(object: Option<Value<'_>>) -> Entries<'_> {
    match object {
        Some(object) => object.entries(),
        None => Entries::empty(),
    }
}

/// Skips no key (as `merge_members`' `skip`).
fn skip_none(_: &str) -> bool {
    false
}

/// Skips a set's `__persistence_strategy__`, which is never stored.
fn skip_strategy(key: &str) -> bool {
    key == PERSISTENCE_STRATEGY
}

/// Writes `,"key":` for the member whose value is `value` (no comma
/// before the first member).
fn member_key(out: &mut JsonWriter, first: &mut bool, value: Value<'_>) {
    if !std::mem::take(first) {
        out.raw(",");
    }
    out.key_of(value);
}

/// Writes the members of `stored` merged with those of `patch`, leaving
/// out keys `skip` names on both sides: where both values are objects,
/// merged the same way; otherwise the patch's value replaces the stored
/// one. Stored keys keep their order; new keys follow in the patch's.
/// Recursion follows values that are objects on both sides, so it is no
/// deeper than the shallower document.
fn merge_members(
    out: &mut JsonWriter,
    stored: Option<Value<'_>>,
    patch: Option<Value<'_>>,
    skip: fn(&str) -> bool,
    first: &mut bool,
) {
    let mut patch = PatchKeys::new(patch, skip);
    for (key, stored_value) in entries(stored) {
        if skip(key) {
            continue;
        }
        member_key(out, first, stored_value);
        match patch.take(key) {
            Some(new_value) if new_value.is_object() && stored_value.is_object() => {
                out.raw("{");
                merge_members(out, Some(stored_value), Some(new_value), skip_none, &mut true);
                out.raw("}");
            }
            Some(new_value) => out.value(new_value),
            None => out.value(stored_value),
        }
    }
    patch.each_rest(|new_value| {
        member_key(out, first, new_value);
        out.value(new_value);
    });
}

/// The preference sets: each sent set merged into the stored set of its
/// id, or replacing it when it says `"__persistence_strategy__": "replace"`;
/// the marker itself is never written.
fn merge_preferences(out: &mut JsonWriter, stored: Option<Value<'_>>, sent: Option<Value<'_>>) {
    let replaces = |set: Value<'_>| set.get(PERSISTENCE_STRATEGY).and_then(Value::as_str) == Some("replace");
    let mut sent = PatchKeys::new(sent, skip_none);
    let mut first = true;
    out.raw("{");
    for (set_id, stored_set) in entries(stored) {
        member_key(out, &mut first, stored_set);
        match sent.take(set_id) {
            Some(set) => {
                let base = (!replaces(set) && stored_set.is_object()).then_some(stored_set);
                out.raw("{");
                merge_members(out, base, Some(set), skip_strategy, &mut true);
                out.raw("}");
            }
            None => out.value(stored_set),
        }
    }
    sent.each_rest(|set| {
        member_key(out, &mut first, set);
        out.raw("{");
        merge_members(out, None, Some(set), skip_strategy, &mut true);
        out.raw("}");
    });
    out.raw("}");
}

/// The channel data: each sent channel replaces the stored one; `null` removes it.
fn merge_channel_data(out: &mut JsonWriter, stored: Option<Value<'_>>, sent: Option<Value<'_>>) {
    let mut sent = PatchKeys::new(sent, skip_none);
    let mut first = true;
    out.raw("{");
    for (channel_id, stored_data) in entries(stored) {
        let data = sent.take(channel_id).unwrap_or(stored_data);
        if !data.is_null() {
            member_key(out, &mut first, stored_data);
            out.value(data);
        }
    }
    sent.each_rest(|data| {
        if !data.is_null() {
            member_key(out, &mut first, data);
            out.value(data);
        }
    });
    out.raw("}");
}

/// Patches with more entries than this are looked up through a sorted index.
const SCANNED_ENTRIES: usize = 16;

/// The entries of a patch object (less the skipped keys), looked up by key
/// as the stored object is walked, remembering which were taken. Small
/// patches are scanned where they lie (no allocation); larger ones get a
/// sorted index, so a merge of two large objects is O(n log n), never
/// quadratic.
struct PatchKeys<'t> {
    patch: Option<Value<'t>>,
    skip: fn(&str) -> bool,
    /// Positions taken, a bit each (small patches).
    taken_bits: u64,
    /// The entries of a large patch in order, `None` once taken ...
    large: Vec<(&'t str, Option<Value<'t>>)>,
    /// ... and their positions sorted by key.
    sorted: Vec<u32>,
}

impl<'t> PatchKeys<'t> {
    fn new(patch: Option<Value<'t>>, skip: fn(&str) -> bool) -> Self {
        let mut keys = PatchKeys { patch, skip, taken_bits: 0, large: Vec::new(), sorted: Vec::new() };
        if patch.map_or(0, Value::len) > SCANNED_ENTRIES {
            let entries = entries(patch).filter(|(key, _)| !skip(key));
            keys.large = entries.map(|(key, value)| (key, Some(value))).collect();
            keys.sorted = (0..keys.large.len() as u32).collect();
            let large = &keys.large;
            crate::json::sort_by(&mut keys.sorted, |&a, &b| large[a as usize].0 < large[b as usize].0);
        }
        keys
    }

    /// The patch's value for `key`, marked as taken.
    fn take(&mut self, key: &str) -> Option<Value<'t>> {
        if !self.sorted.is_empty() {
            let large = &self.large;
            let found = self.sorted.binary_search_by(|&at| large[at as usize].0.cmp(key)).ok()?;
            return self.large[self.sorted[found] as usize].1.take();
        }
        if (self.skip)(key) {
            return None;
        }
        let (at, (_, value)) = self.patch?.entries().enumerate().find(|(_, (k, _))| *k == key)?;
        self.taken_bits |= 1 << at;
        Some(value)
    }

    /// Calls `write` with the value of each entry not taken, in the patch's
    /// order (its key is the node before it: `JsonWriter::key_of`).
    fn each_rest(&self, mut write: impl FnMut(Value<'t>)) {
        if self.sorted.is_empty() {
            for (at, (key, value)) in entries(self.patch).enumerate() {
                if self.taken_bits & 1 << at == 0 && !(self.skip)(key) {
                    write(value);
                }
            }
        } else {
            for &(_, value) in &self.large {
                if let Some(value) = value {
                    write(value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_keys_are_the_standard_fields_as_written() {
        for (field, key) in StandardField::ALL.into_iter().zip(FIELD_KEYS) {
            assert_eq!(key, format!(",\"{}\":", field.key()));
        }
    }
}
