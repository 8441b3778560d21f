//! A channel's push tokens one at a time: `PUT` and `DELETE
//! /v1/users/{user_id}/channel_data/{channel_id}/tokens/{token}`. Each is
//! the channel-data write that makes the change: the channel's whole new
//! data, computed from the stored data (contract §9).

use super::channel_data::{check_channel_id, under_data};
use super::entry_as_identify;
use crate::error::{IdentifyError, Problem};
use crate::json::{JsonWriter, Kind, Value};
use crate::model::FieldError;
use crate::record::ParsedRecord;
use crate::validate::check_user_id;

/// What a push-token route does with its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenChange {
    /// `PUT`: append the token to the channel's `tokens` unless it is there.
    Add,
    /// `DELETE`: take the token out of the channel's `tokens`.
    Remove,
}

/// The identify body of a push-token route, `{"channel_data":
/// {"<channel_id>": <the channel's whole new data>}}`, checked as
/// identify checks it; `Ok(None)` when the change changes nothing.
///
/// `stored` is the user's record ([`crate::StoredUser::as_json`]; `None`
/// for a user that does not exist) and `token` the path's segment,
/// percent-decoded. [`TokenChange::Add`] keeps the stored data's other
/// keys in their order and appends the token to `tokens` (creating
/// `tokens` last, or the data `{"tokens":[token]}`); nothing changes if
/// the token is already there. [`TokenChange::Remove`] takes every copy
/// of the token out of `tokens`, which may become `[]`; nothing changes,
/// and nothing is created, without the token, the channel or the user.
///
/// Problems are listed together: `channel_id`, then `token` (not UTF-8,
/// or empty), then identify's, placed where the route's caller can act
/// on them: `user_id`; `token` for what identify says of the token added
/// (at `channel_data.<id>.tokens.N`); `data.…` for the stored data
/// carried along; `channel_data` for a channel past its size. With no
/// stored user the answer only checks the request, so the Worker can
/// refuse a bad one before it reaches the user's object.
///
/// ```
/// use knock_identify::{push_token_body, TokenChange};
///
/// let channel = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
/// let body = push_token_body("user-1", channel, b"tok", None, TokenChange::Add)?;
/// assert_eq!(body.as_deref(), Some(&br#"{"channel_data":{"97c5837d-c65c-4d54-aa39-080eeb81c69d":{"tokens":["tok"]}}}"#[..]));
/// assert_eq!(push_token_body("user-1", channel, b"tok", None, TokenChange::Remove)?, None);
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn push_token_body(
    user_id: &str,
    channel_id: &str,
    token: &[u8],
    stored: Option<&[u8]>,
    change: TokenChange,
) -> Result<Option<Vec<u8>>, IdentifyError> {
    let mut problems: Vec<Problem> = check_channel_id(channel_id).err().into_iter().collect();
    let token = token_text(token).map_err(|problem| problems.push(problem)).ok();
    let token = match token {
        Some(token) if problems.is_empty() => token,
        _ => {
            problems.extend(check_user_id(user_id).err());
            return Err(IdentifyError::InvalidParams(problems));
        }
    };
    let record = stored.map(ParsedRecord::read).transpose()?;
    // Data that is not an object has no entries: none, as the channel's GET reads it.
    let data = record.as_ref().and_then(ParsedRecord::channel_data).and_then(|channels| channels.get(channel_id));
    let tokens = data.and_then(|data| data.get("tokens"));
    let listed = tokens.is_some_and(|tokens| tokens.items().any(|item| item.as_str() == Some(token)));
    let body = match change {
        TokenChange::Add if !listed => {
            // Where identify finds the new token: after the stored ones.
            let at = format!("tokens.{}", tokens.map_or(0, Value::len));
            let place = |problem| place_added(problem, &at);
            let write = |writer: &mut JsonWriter| write_added(writer, data, token);
            entry_as_identify(user_id, ["channel_data", channel_id], write, place, Vec::new())?
        }
        TokenChange::Remove if listed => {
            let write = |writer: &mut JsonWriter| write_removed(writer, data, token);
            entry_as_identify(user_id, ["channel_data", channel_id], write, under_data, Vec::new())?
        }
        _ => {
            check_user_id(user_id).map_err(|problem| IdentifyError::InvalidParams(vec![problem]))?;
            return Ok(None);
        }
    };
    Ok(Some(body))
}

/// A problem identify found in the data a token was added to (its field
/// relative to the channel): at the new token, `at` (`tokens.N`), it is
/// the token's, else it is the stored data's, under `data`.
fn place_added(problem: Problem, at: &str) -> Problem {
    match problem.field.strip_prefix(at) {
        Some(rest) if rest.is_empty() || rest.starts_with('.') => Problem { field: "token".into(), ..problem },
        _ => under_data(problem),
    }
}

/// The token of the path as text: UTF-8, not empty.
fn token_text(token: &[u8]) -> Result<&str, Problem> {
    match std::str::from_utf8(token) {
        Ok("") => Err(FieldError::format("the push token must not be empty").at("token")),
        Ok(token) => Ok(token),
        Err(_) => Err(FieldError::format("the push token is not valid UTF-8 once percent-decoded").at("token")),
    }
}

/// `data` (none: `{}`) with `token` appended to its `tokens` array, or
/// with `"tokens":[token]` after its keys when it has none. A `tokens`
/// that is not an array is written as stored, for identify to report.
fn write_added(writer: &mut JsonWriter, data: Option<Value<'_>>, token: &str) {
    let mut separator = "";
    let mut has_tokens = false;
    writer.raw("{");
    for (key, value) in data.into_iter().flat_map(Value::entries) {
        writer.raw(std::mem::replace(&mut separator, ","));
        writer.key(key);
        if key != "tokens" {
            writer.value(value);
            continue;
        }
        has_tokens = true;
        if value.kind() != Kind::Array {
            writer.value(value);
            continue;
        }
        writer.raw("[");
        for item in value.items() {
            writer.value(item);
            writer.raw(",");
        }
        writer.string(token);
        writer.raw("]");
    }
    if !has_tokens {
        writer.raw(separator);
        writer.raw(r#""tokens":["#);
        writer.string(token);
        writer.raw("]");
    }
    writer.raw("}");
}

/// `data` with every copy of `token` taken out of its `tokens`.
fn write_removed(writer: &mut JsonWriter, data: Option<Value<'_>>, token: &str) {
    let mut separator = "";
    writer.raw("{");
    for (key, value) in data.into_iter().flat_map(Value::entries) {
        writer.raw(std::mem::replace(&mut separator, ","));
        writer.key(key);
        if key != "tokens" {
            writer.value(value);
            continue;
        }
        let mut item_separator = "";
        writer.raw("[");
        for item in value.items().filter(|item| item.as_str() != Some(token)) {
            writer.raw(std::mem::replace(&mut item_separator, ","));
            writer.value(item);
        }
        writer.raw("]");
    }
    writer.raw("}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_at_the_added_token_are_the_tokens() {
        for (field, placed) in [
            ("tokens.2", "token"),
            ("tokens.2.x", "token"),
            ("tokens.20", "data.tokens.20"),
            ("tokens.1", "data.tokens.1"),
            ("tokens", "data.tokens"),
            ("devices.2", "data.devices.2"),
            ("", "data"),
        ] {
            let problem = FieldError::format("no").at(field);
            assert_eq!(place_added(problem, "tokens.2").field, placed, "{field}");
        }
    }
}
