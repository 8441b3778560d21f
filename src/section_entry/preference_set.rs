//! One preference set: `GET` and `PUT /v1/users/{user_id}/preferences/{set_id}`.

use super::entry_as_identify;
use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::json::{self, JsonWriter, Value};
use crate::limits::MAX_DEPTH;
use crate::record::StoredUser;
use crate::validate::{check_key, PERSISTENCE_STRATEGY};

/// A valid set id, standing in for an invalid one while the set is checked.
const STAND_IN_SET_ID: &str = "default";

/// The identify body of `PUT /v1/users/{user_id}/preferences/{set_id}` with
/// `body`, a preference set. As Knock's route, the set replaces the stored
/// one unless it says `"__persistence_strategy__": "merge"`.
pub fn preference_set_body(user_id: &str, set_id: &str, body: &[u8]) -> Result<Vec<u8>, IdentifyError> {
    let tape = body::read(body)?;
    let set = tape.root();
    if !set.is_object() {
        return Err(IdentifyError::one_problem(
            "",
            ProblemType::Type,
            format!("expected a preference set object, got {}", set.type_phrase()),
        ));
    }
    let mut problems = Vec::new();
    let checked_id = match check_set_id(set_id) {
        Ok(()) => set_id,
        Err(problem) => {
            problems.push(problem);
            STAND_IN_SET_ID
        }
    };
    let strategy = set.get(PERSISTENCE_STRATEGY).map(|value| value.as_str());
    let write_set = |writer: &mut JsonWriter| {
        writer.raw("{");
        let mut first = true;
        let mut entry = |writer: &mut JsonWriter, key: &str| {
            if !std::mem::take(&mut first) {
                writer.raw(",");
            }
            writer.key(key);
        };
        for (key, value) in set.entries() {
            // `merge` is identify's own way; it need not be written.
            if key == PERSISTENCE_STRATEGY && strategy == Some(Some("merge")) {
                continue;
            }
            entry(writer, key);
            writer.value(value);
        }
        if strategy.is_none() {
            entry(writer, PERSISTENCE_STRATEGY);
            writer.string("replace");
        }
        writer.raw("}");
    };
    // The set is the route's whole body: its problems stay where they are.
    entry_as_identify(user_id, ["preferences", checked_id], write_set, |problem| problem, problems)
}

/// `GET .../preferences/{set_id}`: `{"__typename": "PreferenceSet", "id",
/// "categories", "channel_types", "workflows", ...}`, the three as `null`
/// when unset; a user without that set has an empty one.
pub fn preference_set_answer(stored: &StoredUser, set_id: &str) -> String {
    let section = stored.preferences_json();
    let tape = json::parse(section.as_bytes(), MAX_DEPTH + 1).ok();
    let set = tape.as_ref().and_then(|tape| tape.root().get(set_id));
    let mut writer = JsonWriter::with_capacity(section.len() + 96);
    write_set_answer(&mut writer, set_id, set);
    writer.into_string()
}

/// Every preference set of the user, each as [`preference_set_answer`]
/// answers it, in the order the record keeps them: a JSON array (`[]` for
/// a user without sets). What a listed user carries with
/// `include[]=preferences` (contract §10).
pub fn preference_sets_answer(stored: &StoredUser) -> String {
    let section = stored.preferences_json();
    let tape = json::parse(section.as_bytes(), MAX_DEPTH + 1).ok();
    let mut writer = JsonWriter::with_capacity(section.len() + 2);
    writer.raw("[");
    let sets = tape.as_ref().map(|tape| tape.root()).filter(|sets| sets.is_object());
    for (index, (set_id, set)) in sets.map(Value::entries).into_iter().flatten().enumerate() {
        if index > 0 {
            writer.raw(",");
        }
        write_set_answer(&mut writer, set_id, Some(set));
    }
    writer.raw("]");
    writer.into_string()
}

/// One set's answer: `__typename`, `id`, the three keys Knock always
/// answers (`null` when unset), then the set's other keys.
fn write_set_answer(writer: &mut JsonWriter, set_id: &str, set: Option<Value<'_>>) {
    let set = set.filter(|set| set.is_object());
    writer.raw(r#"{"__typename":"PreferenceSet","id":"#);
    writer.string(set_id);
    for key in ["categories", "channel_types", "workflows"] {
        writer.raw(",");
        writer.key(key);
        match set.and_then(|set| set.get(key)) {
            Some(value) => writer.value(value),
            None => writer.raw("null"),
        }
    }
    for (key, value) in set.map(Value::entries).into_iter().flatten() {
        if !matches!(key, "categories" | "channel_types" | "workflows") {
            writer.raw(",");
            writer.key(key);
            writer.value(value);
        }
    }
    writer.raw("}");
}

/// A route's preference set id: a key as identify's `preferences` takes
/// it, else a problem on the field `id`.
pub fn check_set_id(set_id: &str) -> Result<(), Problem> {
    check_key(set_id, "preference set ids").map_err(|error| error.at("id"))
}
