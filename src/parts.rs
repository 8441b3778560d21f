//! One user's channel data and preference sets, one at a time (contract
//! §5a). Each write is the identify request it stands for, so the same
//! checks, limits and merge apply: `PUT .../channel_data/{channel_id}`
//! `{"data": {...}}` is `{"channel_data": {"<channel_id>": {...}}}`, its
//! DELETE the same with `null`, and `PUT .../preferences/{set_id}` with a
//! set is `{"preferences": {"<set_id>": set}}`. Problems are reported where
//! the route's caller put them: `data.tokens.0`, `channel_types.push`, and
//! `channel_id` or `id` for the path's id.

use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::identify::parse_request;
use crate::json::{self, JsonWriter, Value};
use crate::limits::MAX_DEPTH;
use crate::quote::quoted;
use crate::record::StoredUser;
use crate::validate::{channel_id_error, check_key, Path, PERSISTENCE_STRATEGY};

/// A valid channel id, standing in for an invalid one while the data is checked.
const SOME_CHANNEL_ID: &str = "00000000-0000-4000-8000-000000000000";
/// A valid set id, standing in for an invalid one while the set is checked.
const SOME_SET_ID: &str = "default";

/// The identify body of `PUT /v1/users/{user_id}/channel_data/{channel_id}`
/// with `body` (`{"data": {...}}`), once it passes identify's checks.
pub fn channel_data_body(user_id: &str, channel_id: &str, body: &[u8]) -> Result<Vec<u8>, IdentifyError> {
    let tape = body::read(body)?;
    let root = tape.root();
    let data = match root.get("data") {
        Some(data) if data.is_object() => data,
        Some(data) => {
            return Err(IdentifyError::one_problem(
                "data",
                ProblemType::Type,
                format!("expected an object of channel data, got {}", data.type_phrase()),
            ))
        }
        None => {
            return Err(IdentifyError::one_problem(
                "data",
                ProblemType::Type,
                "expected `data`, an object of channel data",
            ))
        }
    };
    let mut problems = Vec::new();
    for (key, _) in root.entries().filter(|(key, _)| *key != "data") {
        problems.push(Problem::new(
            key,
            ProblemType::UnknownValue,
            format!("unknown key {}; expected `data`", quoted(key)),
        ));
    }
    let checked_id = channel_id_problem(channel_id, &mut problems);
    let identify = wrap("channel_data", checked_id, |writer| writer.value(data));
    finish(user_id, identify, ["channel_data", checked_id], &Path::Root.key("data"), problems)
}

/// The identify body of `DELETE /v1/users/{user_id}/channel_data/{channel_id}`.
pub fn unset_channel_data_body(user_id: &str, channel_id: &str) -> Result<Vec<u8>, IdentifyError> {
    let mut problems = Vec::new();
    let checked_id = channel_id_problem(channel_id, &mut problems);
    let identify = wrap("channel_data", checked_id, |writer| writer.raw("null"));
    finish(user_id, identify, ["channel_data", checked_id], &Path::Root.key("data"), problems)
}

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
            SOME_SET_ID
        }
    };
    let strategy = set.get(PERSISTENCE_STRATEGY).map(|value| value.as_str());
    let identify = wrap("preferences", checked_id, |writer| {
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
    });
    finish(user_id, identify, ["preferences", checked_id], &Path::Root, problems)
}

/// `GET .../channel_data/{channel_id}`: `{"__typename": "ChannelData",
/// "channel_id", "data"}`, or `None` when the user has no data for it.
pub fn channel_data_answer(stored: &StoredUser, channel_id: &str) -> Option<String> {
    let section = stored.channel_data_json();
    let tape = json::parse(section.as_bytes(), MAX_DEPTH + 1).ok()?;
    let data = tape.root().get(channel_id).filter(|data| data.is_object())?;
    let mut writer = JsonWriter::with_capacity(section.len() + 64);
    writer.raw(r#"{"__typename":"ChannelData","channel_id":"#);
    writer.string(channel_id);
    writer.raw(r#","data":"#);
    writer.value(data);
    writer.raw("}");
    Some(writer.into_string())
}

/// `GET .../preferences/{set_id}`: `{"__typename": "PreferenceSet", "id",
/// "categories", "channel_types", "workflows", ...}`, the three as `null`
/// when unset; a user without that set has an empty one.
pub fn preference_set_answer(stored: &StoredUser, set_id: &str) -> String {
    let section = stored.preferences_json();
    let tape = json::parse(section.as_bytes(), MAX_DEPTH + 1).ok();
    let set = tape.as_ref().and_then(|tape| tape.root().get(set_id)).filter(|set| set.is_object());
    let mut writer = JsonWriter::with_capacity(section.len() + 96);
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
    writer.into_string()
}

/// A route's channel id: a UUID, else a problem on the field `channel_id`.
pub fn check_channel_id(channel_id: &str) -> Result<(), Problem> {
    channel_id_error(channel_id).map_err(|error| error.at("channel_id"))
}

/// A route's preference set id: a key as identify's `preferences` takes
/// it, else a problem on the field `id`.
pub fn check_set_id(set_id: &str) -> Result<(), Problem> {
    check_key(set_id, "preference set ids").map_err(|error| error.at("id"))
}

/// The channel id to check the data under: `channel_id`, or a stand-in
/// after adding its problem.
fn channel_id_problem<'a>(channel_id: &'a str, problems: &mut Vec<Problem>) -> &'a str {
    match check_channel_id(channel_id) {
        Ok(()) => channel_id,
        Err(problem) => {
            problems.push(problem);
            SOME_CHANNEL_ID
        }
    }
}

/// `{"<section>":{"<id>":<what write_value writes>}}`.
fn wrap(section: &str, id: &str, write_value: impl FnOnce(&mut JsonWriter)) -> Vec<u8> {
    let mut writer = JsonWriter::with_capacity(256);
    writer.raw("{");
    writer.key(section);
    writer.raw("{");
    writer.key(id);
    write_value(&mut writer);
    writer.raw("}}");
    writer.into_string().into_bytes()
}

/// Checks `identify` as identify does; its problems under `section.id`
/// are moved to `route_path` (the route's own place for the value), after
/// the route's own `problems`.
fn finish(
    user_id: &str,
    identify: Vec<u8>,
    [section, id]: [&str; 2],
    route_path: &Path<'_>,
    mut problems: Vec<Problem>,
) -> Result<Vec<u8>, IdentifyError> {
    let prefix = Path::Root.key(section);
    let prefix = prefix.key(id).render();
    let checked = parse_request(user_id, &identify).map(|_| ());
    match checked {
        Ok(()) if problems.is_empty() => return Ok(identify),
        Ok(()) => {}
        Err(IdentifyError::InvalidParams(found)) => {
            for mut problem in found {
                if let Some(rest) = problem.field.strip_prefix(&prefix) {
                    problem.field = rest.strip_prefix('.').unwrap_or_default().to_owned();
                    problem = route_path.place(problem);
                }
                problems.push(problem);
            }
        }
        Err(other) => return Err(other),
    }
    Err(IdentifyError::InvalidParams(problems))
}
