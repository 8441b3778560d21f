//! SPEC §3: how a valid request changes the stored user.

use crate::json::{Json, Object};
use crate::model::StoredUser;
use crate::timestamp::Timestamp;
use crate::validate::{IdentifyRequest, PERSISTENCE_STRATEGY};
use serde_json::{Map, Value};

/// Applies a validated request to the stored user (`None` for a new user):
/// standard fields replaced (`null` stored), custom properties merged
/// deeply, preference sets merged deeply unless the set asks to be
/// replaced, channel data replaced per channel (`null` removes it), and
/// `updated_at` set to `now`.
pub fn merge(stored: Option<StoredUser>, user_id: &str, request: IdentifyRequest<'_>, now: Timestamp) -> StoredUser {
    let mut record = stored.unwrap_or_default();
    let user = &mut record.user;
    if user.id != user_id {
        user.id = user_id.to_owned();
    }
    for (slot, change) in user.standard.iter_mut().zip(request.standard) {
        if let Some(value) = change {
            *slot = value.map(|text| text.into_owned());
        }
    }
    merge_object(&mut user.properties, request.properties);
    user.updated_at = now.to_rfc3339();

    for (set_id, set) in request.preferences.0 {
        let Json::Object(mut set) = set else { continue };
        let replace =
            set.remove(PERSISTENCE_STRATEGY).is_some_and(|strategy| strategy == Json::String("replace".into()));
        match record.preferences.get_mut(set_id.as_ref()) {
            Some(Value::Object(stored_set)) if !replace => merge_object(stored_set, set),
            _ => {
                record.preferences.insert(set_id.into_owned(), Value::Object(set.into_map()));
            }
        }
    }
    for (channel_id, data) in request.channel_data.0 {
        if data.is_null() {
            record.channel_data.remove(channel_id.as_ref());
        } else {
            record.channel_data.insert(channel_id.into_owned(), data.into_value());
        }
    }
    record
}

/// Merges `patch` into `target` key by key: where both values are objects,
/// recursively; otherwise the patch's value replaces the stored one.
/// Recursion follows the patch, whose depth the parser bounds.
fn merge_object(target: &mut Map<String, Value>, patch: Object<'_>) {
    for (key, new_value) in patch.0 {
        match (target.get_mut(key.as_ref()), new_value) {
            (Some(Value::Object(stored)), Json::Object(new_object)) => merge_object(stored, new_object),
            (Some(stored), new_value) => *stored = new_value.into_value(),
            (None, new_value) => {
                target.insert(key.into_owned(), new_value.into_value());
            }
        }
    }
}
