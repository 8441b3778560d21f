//! `preferences`: preference set id → preference set (SPEC §2 and the
//! reference document's `PreferenceSetRequest`).

use super::{wrong_type, Path, Report};
use crate::error::ProblemType;
use crate::json::{Json, Object};

/// The channel types a preference set can name.
pub(crate) const CHANNEL_TYPES: [&str; 6] = ["chat", "email", "http", "in_app_feed", "push", "sms"];

/// Condition operators of the reference document.
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
pub(crate) fn check(value: &Json<'_>, path: &Path<'_>, report: &mut Report) -> bool {
    let before = report.problems.len();
    match value {
        Json::Null => {}
        Json::Object(sets) => {
            for (set_id, set) in sets {
                check_set(set, &path.key(set_id), report);
            }
        }
        other => report.add(path, wrong_type("an object of preference sets, or null", other)),
    }
    report.problems.len() == before
}

fn check_set(set: &Json<'_>, path: &Path<'_>, report: &mut Report) {
    let Json::Object(set) = set else {
        return report.add(path, wrong_type("a preference set object", set));
    };
    for (key, value) in set {
        let path = path.key(key);
        match key {
            PERSISTENCE_STRATEGY => match value {
                Json::String(strategy) if strategy == "merge" || strategy == "replace" => {}
                Json::String(strategy) => report.add_new(
                    &path,
                    ProblemType::UnknownValue,
                    format!("expected `merge` or `replace`, got `{strategy}`"),
                ),
                other => report.add(&path, wrong_type("`merge` or `replace`", other)),
            },
            "commercial_subscribed" => {
                if !matches!(value, Json::Bool(_) | Json::Null) {
                    report.add(&path, wrong_type("a boolean or null", value));
                }
            }
            "workflows" | "categories" => {
                for_each_entry(value, &path, report, "an object of settings, or null", check_workflow_setting)
            }
            "channel_types" => check_channel_types(value, &path, report),
            "channels" => for_each_entry(value, &path, report, "an object of channel settings, or null", |v, p, r| {
                check_bool_or_conditions(v, p, r)
            }),
            _ => report.add_new(
                &path,
                ProblemType::UnknownValue,
                format!(
                    "unknown preference set key `{key}`; expected `workflows`, `categories`, `channel_types`, `channels`, `commercial_subscribed` or `{PERSISTENCE_STRATEGY}`"
                ),
            ),
        }
    }
}

/// `null`, or an object whose every entry passes `check_entry`.
fn for_each_entry(
    value: &Json<'_>,
    path: &Path<'_>,
    report: &mut Report,
    expected: &str,
    check_entry: impl Fn(&Json<'_>, &Path<'_>, &mut Report),
) {
    match value {
        Json::Null => {}
        Json::Object(entries) => {
            for (key, entry) in entries {
                check_entry(entry, &path.key(key), report);
            }
        }
        other => report.add(path, wrong_type(expected, other)),
    }
}

/// A workflow or category setting: a boolean, or an object of
/// `channel_types`, `channels` and `conditions`.
fn check_workflow_setting(value: &Json<'_>, path: &Path<'_>, report: &mut Report) {
    let setting = match value {
        Json::Bool(_) => return,
        Json::Object(setting) => setting,
        other => {
            return report.add(
                path,
                wrong_type("a boolean or an object with `channel_types`, `channels` or `conditions`", other),
            )
        }
    };
    for (key, value) in setting {
        let path = path.key(key);
        match key {
            "channel_types" => check_channel_types(value, &path, report),
            "channels" => for_each_entry(value, &path, report, "an object of channel settings, or null", |v, p, r| {
                check_bool_or_conditions(v, p, r)
            }),
            "conditions" if value.is_null() => {}
            "conditions" => check_conditions(value, &path, report),
            _ => report.add_new(
                &path,
                ProblemType::UnknownValue,
                format!("unknown setting key `{key}`; expected `channel_types`, `channels` or `conditions`"),
            ),
        }
    }
}

/// `null`, or channel type (`chat`, `email`, ...) → boolean or `{conditions}`.
fn check_channel_types(value: &Json<'_>, path: &Path<'_>, report: &mut Report) {
    let Json::Object(types) = value else {
        if !value.is_null() {
            report.add(path, wrong_type("an object of channel types, or null", value));
        }
        return;
    };
    for (channel_type, setting) in types {
        let path = path.key(channel_type);
        if CHANNEL_TYPES.contains(&channel_type) {
            check_bool_or_conditions(setting, &path, report);
        } else {
            report.add_new(
                &path,
                ProblemType::UnknownValue,
                format!(
                    "unknown channel type `{channel_type}`; expected `chat`, `email`, `http`, `in_app_feed`, `push` or `sms`"
                ),
            );
        }
    }
}

/// A boolean, or `{"conditions": [...]}`.
fn check_bool_or_conditions(value: &Json<'_>, path: &Path<'_>, report: &mut Report) {
    let setting = match value {
        Json::Bool(_) => return,
        Json::Object(setting) => setting,
        other => return report.add(path, wrong_type("a boolean or an object with `conditions`", other)),
    };
    match setting.get("conditions") {
        Some(conditions) => check_conditions(conditions, &path.key("conditions"), report),
        None => report.add_new(path, ProblemType::Format, "expected an object with `conditions`"),
    }
    for key in setting.keys().filter(|key| *key != "conditions") {
        report.add_new(
            &path.key(key),
            ProblemType::UnknownValue,
            format!("unknown setting key `{key}`; expected `conditions`"),
        );
    }
}

/// An array of `{variable, operator, argument}`.
fn check_conditions(value: &Json<'_>, path: &Path<'_>, report: &mut Report) {
    let Json::Array(conditions) = value else {
        return report.add(path, wrong_type("an array of conditions", value));
    };
    for (index, condition) in conditions.iter().enumerate() {
        let path = path.index(index);
        match condition {
            Json::Object(condition) => check_condition(condition, &path, report),
            other => report.add(&path, wrong_type("a condition object", other)),
        }
    }
}

fn check_condition(condition: &Object<'_>, path: &Path<'_>, report: &mut Report) {
    match condition.get("variable") {
        Some(Json::String(_)) => {}
        Some(other) => report.add(&path.key("variable"), wrong_type("a string", other)),
        None => report.add_new(path, ProblemType::Format, "a condition needs `variable`, a string"),
    }
    match condition.get("operator") {
        Some(Json::String(operator)) if OPERATORS.contains(&operator.as_ref()) => {}
        Some(Json::String(operator)) => report.add_new(
            &path.key("operator"),
            ProblemType::UnknownValue,
            format!("unknown operator `{operator}`; expected one such as `equal_to`, `contains` or `exists`"),
        ),
        Some(other) => report.add(&path.key("operator"), wrong_type("a string", other)),
        None => report.add_new(path, ProblemType::Format, "a condition needs `operator`, a string"),
    }
    match condition.get("argument") {
        Some(Json::String(_) | Json::Null) => {}
        Some(other) => report.add(&path.key("argument"), wrong_type("a string or null", other)),
        None => report.add_new(path, ProblemType::Format, "a condition needs `argument`, a string or null"),
    }
    for key in condition.keys() {
        if !matches!(key, "variable" | "operator" | "argument") {
            report.add_new(
                &path.key(key),
                ProblemType::UnknownValue,
                format!("unknown condition key `{key}`; expected `variable`, `operator` and `argument`"),
            );
        }
    }
}
