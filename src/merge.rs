//! SPEC §3: how a valid request changes the stored user.

use crate::model::StoredUser;
use crate::timestamp::Timestamp;
use crate::validate::IdentifyRequest;
use crate::validate::PERSISTENCE_STRATEGY;
use serde_json::{Map, Value};

/// Applies a validated request to the stored user (`None` for a new user):
/// standard fields replaced (`null` stored), custom properties merged
/// deeply, preference sets merged deeply unless the set asks to be
/// replaced, channel data replaced per channel (`null` removes it), and
/// `updated_at` set to `now`.
pub fn merge(stored: Option<StoredUser>, user_id: &str, request: IdentifyRequest, now: Timestamp) -> StoredUser {
    let mut record = stored.unwrap_or_default();
    let user = &mut record.user;
    user.id.clear();
    user.id.push_str(user_id);
    for (slot, change) in user.standard.iter_mut().zip(request.standard) {
        if let Some(value) = change {
            *slot = value;
        }
    }
    merge_objects(&mut user.properties, request.properties);
    user.updated_at = now.to_string();

    for (set_id, set) in request.preferences {
        let Value::Object(mut set) = set else { continue };
        let replace = set.remove(PERSISTENCE_STRATEGY).is_some_and(|strategy| strategy == "replace");
        match record.preferences.get_mut(&set_id) {
            Some(Value::Object(stored_set)) if !replace => merge_objects(stored_set, set),
            _ => {
                record.preferences.insert(set_id, Value::Object(set));
            }
        }
    }
    for (channel_id, data) in request.channel_data {
        if data.is_null() {
            record.channel_data.remove(&channel_id);
        } else {
            record.channel_data.insert(channel_id, data);
        }
    }
    record
}

/// Merges `patch` into `target` key by key: where both values are objects,
/// recursively; otherwise the patch's value replaces the stored one.
/// Recursion follows the patch, whose depth the parser bounds.
fn merge_objects(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (key, new_value) in patch {
        match (target.get_mut(&key), new_value) {
            (Some(Value::Object(stored)), Value::Object(new_object)) => merge_objects(stored, new_object),
            (Some(stored), new_value) => *stored = new_value,
            (None, new_value) => {
                target.insert(key, new_value);
            }
        }
    }
}
