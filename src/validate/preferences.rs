//! `preferences`: preference set id → preference set, with the keys and
//! condition operators of the contract's §2.

use super::{check_key, wrong_type, Path, Report};
use crate::error::ProblemType;
use crate::json::{Kind, Value};
use crate::quote::quoted;

/// The channel types a preference set can name.
pub(crate) const CHANNEL_TYPES: [&str; 6] = ["chat", "email", "http", "in_app_feed", "push", "sms"];

/// The condition operators a preference set may use: Knock's 24.
const OPERATORS: [&str; 24] = [
    "equal_to",
    "not_equal_to",
    "greater_than",
    "less_than",
    "greater_than_or_equal_to",
    "less_than_or_equal_to",
    "contains",
    "not_contains",
    "empty",
    "not_empty",
    "exists",
    "not_exists",
    "contains_all",
    "not_contains_all",
    "is_timestamp",
    "is_not_timestamp",
    "is_timestamp_on_or_after",
    "is_timestamp_before",
    "is_timestamp_on_or_after_date",
    "is_timestamp_before_date",
    "is_timestamp_between",
    "is_between",
    "is_audience_member",
    "is_not_audience_member",
];

/// The key that picks how a set is stored; not stored itself.
pub(crate) const PERSISTENCE_STRATEGY: &str = "__persistence_strategy__";

/// Checks `preferences`; true when it added no problem.
pub(crate) fn check(value: Value<'_>, path: &Path<'_>, report: &mut Report) -> bool {
    let before = report.count();
    match value.kind() {
        Kind::Null => {}
        Kind::Object => {
            for (set_id, set) in value.entries() {
                let path = path.key(set_id);
                match check_key(set_id, "preference set ids") {
                    Ok(()) => check_set(set, &path, report),
                    Err(error) => report.add(&path, error),
                }
            }
        }
        _ => report.add(path, wrong_type("an object of preference sets, or null", value)),
    }
    report.count() == before
}

fn check_set(set: Value<'_>, path: &Path<'_>, report: &mut Report) {
    if !set.is_object() {
        return report.add(path, wrong_type("a preference set object", set));
    }
    for (key, value) in set.entries() {
        let path = path.key(key);
        match key {
            PERSISTENCE_STRATEGY => match value.as_str() {
                Some("merge" | "replace") => {}
                Some(strategy) => report.add_new(
                    &path,
                    ProblemType::UnknownValue,
                    format!("expected `merge` or `replace`, got {}", quoted(strategy)),
                ),
                None => report.add(&path, wrong_type("`merge` or `replace`", value)),
            },
            "commercial_subscribed" => {
                if !matches!(value.kind(), Kind::Bool | Kind::Null) {
                    report.add(&path, wrong_type("a boolean or null", value));
                }
            }
            "workflows" => check_settings(value, &path, report, "workflow keys"),
            "categories" => check_settings(value, &path, report, "category keys"),
            "channel_types" => check_channel_types(value, &path, report),
            "channels" => check_channels(value, &path, report),
            _ => report.add_new(
                &path,
                ProblemType::UnknownValue,
                format!(
                    "unknown preference set key {}; expected `workflows`, `categories`, `channel_types`, `channels`, `commercial_subscribed` or `{PERSISTENCE_STRATEGY}`",
                    quoted(key)
                ),
            ),
        }
    }
}

/// `null`, or workflow (or category) key → setting; `what` names the keys.
fn check_settings(value: Value<'_>, path: &Path<'_>, report: &mut Report, what: &str) {
    match value.kind() {
        Kind::Null => {}
        Kind::Object => {
            for (key, setting) in value.entries() {
                let path = path.key(key);
                match check_key(key, what) {
                    Ok(()) => check_workflow_setting(setting, &path, report),
                    Err(error) => report.add(&path, error),
                }
            }
        }
        _ => report.add(path, wrong_type("an object of settings, or null", value)),
    }
}

/// `null`, or channel id → boolean or `{conditions}`.
fn check_channels(value: Value<'_>, path: &Path<'_>, report: &mut Report) {
    match value.kind() {
        Kind::Null => {}
        Kind::Object => {
            for (channel, setting) in value.entries() {
                check_bool_or_conditions(setting, &path.key(channel), report);
            }
        }
        _ => report.add(path, wrong_type("an object of channel settings, or null", value)),
    }
}

/// A workflow or category setting: a boolean, or an object of
/// `channel_types`, `channels` and `conditions`.
fn check_workflow_setting(value: Value<'_>, path: &Path<'_>, report: &mut Report) {
    match value.kind() {
        Kind::Bool => return,
        Kind::Object => {}
        _ => {
            return report.add(
                path,
                wrong_type("a boolean or an object with `channel_types`, `channels` or `conditions`", value),
            )
        }
    }
    for (key, value) in value.entries() {
        let path = path.key(key);
        match key {
            "channel_types" => check_channel_types(value, &path, report),
            "channels" => check_channels(value, &path, report),
            "conditions" if value.is_null() => {}
            "conditions" => check_conditions(value, &path, report),
            _ => report.add_new(
                &path,
                ProblemType::UnknownValue,
                format!("unknown setting key {}; expected `channel_types`, `channels` or `conditions`", quoted(key)),
            ),
        }
    }
}

/// `null`, or channel type (`chat`, `email`, ...) → boolean or `{conditions}`.
fn check_channel_types(value: Value<'_>, path: &Path<'_>, report: &mut Report) {
    match value.kind() {
        Kind::Null => return,
        Kind::Object => {}
        _ => return report.add(path, wrong_type("an object of channel types, or null", value)),
    }
    for (channel_type, setting) in value.entries() {
        let path = path.key(channel_type);
        if CHANNEL_TYPES.contains(&channel_type) {
            check_bool_or_conditions(setting, &path, report);
        } else {
            report.add_new(
                &path,
                ProblemType::UnknownValue,
                format!(
                    "unknown channel type {}; expected `chat`, `email`, `http`, `in_app_feed`, `push` or `sms`",
                    quoted(channel_type)
                ),
            );
        }
    }
}

/// A boolean, or `{"conditions": [...]}`.
fn check_bool_or_conditions(value: Value<'_>, path: &Path<'_>, report: &mut Report) {
    match value.kind() {
        Kind::Bool => return,
        Kind::Object => {}
        _ => return report.add(path, wrong_type("a boolean or an object with `conditions`", value)),
    }
    match value.get("conditions") {
        Some(conditions) => check_conditions(conditions, &path.key("conditions"), report),
        None => report.add_new(path, ProblemType::Format, "expected an object with `conditions`"),
    }
    for (key, _) in value.entries().filter(|(key, _)| *key != "conditions") {
        report.add_new(
            &path.key(key),
            ProblemType::UnknownValue,
            format!("unknown setting key {}; expected `conditions`", quoted(key)),
        );
    }
}

/// An array of `{variable, operator, argument}`.
fn check_conditions(value: Value<'_>, path: &Path<'_>, report: &mut Report) {
    if value.kind() != Kind::Array {
        return report.add(path, wrong_type("an array of conditions", value));
    }
    for (index, condition) in value.items().enumerate() {
        let path = path.index(index);
        if condition.is_object() {
            check_condition(condition, &path, report);
        } else {
            report.add(&path, wrong_type("a condition object", condition));
        }
    }
}

fn check_condition(condition: Value<'_>, path: &Path<'_>, report: &mut Report) {
    let (mut variable, mut operator, mut argument) = (None, None, None);
    for (key, value) in condition.entries() {
        match key {
            "variable" => variable = Some(value),
            "operator" => operator = Some(value),
            "argument" => argument = Some(value),
            _ => {}
        }
    }
    match variable {
        Some(value) if value.kind() == Kind::String => {}
        Some(other) => report.add(&path.key("variable"), wrong_type("a string", other)),
        None => report.add_new(path, ProblemType::Format, "a condition needs `variable`, a string"),
    }
    match operator.map(|value| (value, value.as_str())) {
        Some((_, Some(operator))) if OPERATORS.contains(&operator) => {}
        Some((_, Some(operator))) => report.add_new(
            &path.key("operator"),
            ProblemType::UnknownValue,
            format!("unknown operator {}; expected one such as `equal_to`, `contains` or `exists`", quoted(operator)),
        ),
        Some((other, None)) => report.add(&path.key("operator"), wrong_type("a string", other)),
        None => report.add_new(path, ProblemType::Format, "a condition needs `operator`, a string"),
    }
    match argument {
        Some(value) if matches!(value.kind(), Kind::String | Kind::Null) => {}
        Some(other) => report.add(&path.key("argument"), wrong_type("a string or null", other)),
        None => report.add_new(path, ProblemType::Format, "a condition needs `argument`, a string or null"),
    }
    for (key, _) in condition.entries() {
        if !matches!(key, "variable" | "operator" | "argument") {
            report.add_new(
                &path.key(key),
                ProblemType::UnknownValue,
                format!("unknown condition key {}; expected `variable`, `operator` and `argument`", quoted(key)),
            );
        }
    }
}
