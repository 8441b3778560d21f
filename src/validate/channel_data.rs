//! `channel_data`: channel id (a UUID) → that channel's data, in one of the
//! shapes of the contract's §2 (push tokens or devices, AWS SNS target ARNs
//! or devices, OneSignal player ids, Slack / Microsoft Teams / Discord
//! connections), or `null` to remove it.

use super::{wrong_type, Path, Report};
use crate::error::ProblemType;
use crate::json::{Kind, Value};
use crate::model::FieldError;
use crate::quote::quoted;

/// The keys that carry a channel's data; one of them must be present.
const DATA_KEYS: [&str; 5] = ["tokens", "devices", "target_arns", "player_ids", "connections"];

/// Connection keys whose value is a string or null.
const CONNECTION_TEXT_KEYS: [&str; 8] = [
    "access_token",
    "channel_id",
    "channel_name",
    "user_id",
    "ms_teams_channel_id",
    "ms_teams_team_id",
    "ms_teams_tenant_id",
    "ms_teams_user_id",
];

/// Checks `channel_data`; true when it added no problem.
pub(crate) fn check(value: Value<'_>, path: &Path<'_>, report: &mut Report) -> bool {
    let before = report.count();
    match value.kind() {
        Kind::Null => {}
        Kind::Object => {
            for (channel_id, data) in value.entries() {
                let path = path.key(channel_id);
                if let Err(error) = channel_id_error(channel_id) {
                    report.add(&path, error);
                }
                match data.kind() {
                    Kind::Null => {}
                    Kind::Object => check_data(data, &path, report),
                    _ => report.add(&path, wrong_type("an object of channel data, or null to remove it", data)),
                }
            }
        }
        _ => report.add(path, wrong_type("an object of channel id to channel data, or null", value)),
    }
    report.count() == before
}

fn check_data(data: Value<'_>, path: &Path<'_>, report: &mut Report) {
    if !data.entries().any(|(key, _)| DATA_KEYS.contains(&key)) {
        report.add_new(
            path,
            ProblemType::Format,
            "expected channel data with `tokens`, `devices`, `target_arns`, `player_ids` or `connections`",
        );
    }
    for (key, value) in data.entries() {
        let path = path.key(key);
        match key {
            "tokens" | "target_arns" | "player_ids" => check_strings(value, &path, report),
            "devices" => check_array(value, &path, report, "an array of devices", check_device),
            "connections" => check_array(value, &path, report, "an array of connections", check_connection),
            "token" => match value.kind() {
                Kind::Null => {}
                Kind::Object => check_text_or_null(value.get("access_token"), &path.key("access_token"), report),
                _ => report.add(&path, wrong_type("an object with `access_token`, or null", value)),
            },
            "ms_teams_tenant_id" => check_text_or_null(Some(value), &path, report),
            _ => {}
        }
    }
}

/// An array whose items pass `check_item`.
fn check_array(
    value: Value<'_>,
    path: &Path<'_>,
    report: &mut Report,
    expected: &str,
    check_item: fn(Value<'_>, &Path<'_>, &mut Report),
) {
    if value.kind() != Kind::Array {
        return report.add(path, wrong_type(expected, value));
    }
    for (index, item) in value.items().enumerate() {
        check_item(item, &path.index(index), report);
    }
}

fn check_strings(value: Value<'_>, path: &Path<'_>, report: &mut Report) {
    check_array(value, path, report, "an array of strings", |item, path, report| {
        if item.kind() != Kind::String {
            report.add(path, wrong_type("a string", item));
        }
    });
}

/// A push device: `token` (or, for AWS SNS, `target_arn`), optional
/// `locale` and `timezone`.
fn check_device(device: Value<'_>, path: &Path<'_>, report: &mut Report) {
    if !device.is_object() {
        return report.add(path, wrong_type("a device object", device));
    }
    let (token, target_arn) = (device.get("token"), device.get("target_arn"));
    for (key, value) in [("token", token), ("target_arn", target_arn)] {
        if let Some(value) = value.filter(|value| value.kind() != Kind::String) {
            report.add(&path.key(key), wrong_type("a string", value));
        }
    }
    if token.is_none() && target_arn.is_none() {
        report.add_new(path, ProblemType::Format, "expected a device with a `token` or `target_arn` string");
    }
    for key in ["locale", "timezone"] {
        check_text_or_null(device.get(key), &path.key(key), report);
    }
}

/// A Slack, Microsoft Teams or Discord connection: ids and tokens, or an
/// `incoming_webhook` with a `url`.
fn check_connection(connection: Value<'_>, path: &Path<'_>, report: &mut Report) {
    if !connection.is_object() {
        return report.add(path, wrong_type("a connection object", connection));
    }
    for (key, value) in connection.entries() {
        let path = path.key(key);
        if CONNECTION_TEXT_KEYS.contains(&key) {
            check_text_or_null(Some(value), &path, report);
        } else if key == "incoming_webhook" {
            if !value.is_object() {
                report.add(&path, wrong_type("an object with a `url` string", value));
                continue;
            }
            match value.get("url") {
                Some(url) if url.kind() == Kind::String => {}
                Some(other) => report.add(&path.key("url"), wrong_type("a string", other)),
                None => report.add_new(&path, ProblemType::Format, "expected an object with a `url` string"),
            }
        }
    }
}

fn check_text_or_null(value: Option<Value<'_>>, path: &Path<'_>, report: &mut Report) {
    if let Some(value) = value {
        if !matches!(value.kind(), Kind::String | Kind::Null) {
            report.add(path, wrong_type("a string or null", value));
        }
    }
}

/// A channel id: a UUID, as `channel_data`'s keys and the channel data
/// routes' path take it.
pub(crate) fn channel_id_error(channel_id: &str) -> Result<(), FieldError> {
    if is_uuid(channel_id) {
        return Ok(());
    }
    Err(FieldError::format(format!(
        "expected a channel id (a UUID) like `97c5837d-c65c-4d54-aa39-080eeb81c69d`, got {}",
        quoted(channel_id)
    )))
}

/// `8-4-4-4-12` hexadecimal digits, either case.
fn is_uuid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        })
}
