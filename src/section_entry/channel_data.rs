//! One channel's data: `GET`, `PUT` and `DELETE
//! /v1/users/{user_id}/channel_data/{channel_id}`.

use super::entry_as_identify;
use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::json::{self, JsonWriter};
use crate::limits::MAX_DEPTH;
use crate::quote::quoted;
use crate::record::StoredUser;
use crate::validate::{channel_id_error, Path};

/// A valid channel id, standing in for an invalid one while the data is checked.
const STAND_IN_CHANNEL_ID: &str = "00000000-0000-4000-8000-000000000000";

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
    let checked_id = channel_id_or_stand_in(channel_id, &mut problems);
    let write_data = |writer: &mut JsonWriter| writer.value(data);
    entry_as_identify(user_id, ["channel_data", checked_id], write_data, under_data, problems)
}

/// The identify body of `DELETE /v1/users/{user_id}/channel_data/{channel_id}`.
pub fn unset_channel_data_body(user_id: &str, channel_id: &str) -> Result<Vec<u8>, IdentifyError> {
    let mut problems = Vec::new();
    let checked_id = channel_id_or_stand_in(channel_id, &mut problems);
    let write_null = |writer: &mut JsonWriter| writer.raw("null");
    entry_as_identify(user_id, ["channel_data", checked_id], write_null, under_data, problems)
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

/// A problem of a channel's data, placed under the route's `data`.
pub(super) fn under_data(problem: Problem) -> Problem {
    Path::Root.key("data").place(problem)
}

/// A route's channel id: a UUID, else a problem on the field `channel_id`.
pub fn check_channel_id(channel_id: &str) -> Result<(), Problem> {
    channel_id_error(channel_id).map_err(|error| error.at("channel_id"))
}

/// The channel id to check the data under: `channel_id`, or a stand-in
/// after adding its problem.
fn channel_id_or_stand_in<'a>(channel_id: &'a str, problems: &mut Vec<Problem>) -> &'a str {
    match check_channel_id(channel_id) {
        Ok(()) => channel_id,
        Err(problem) => {
            problems.push(problem);
            STAND_IN_CHANNEL_ID
        }
    }
}
