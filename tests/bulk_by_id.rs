//! Bulk delete and bulk preferences in the core (contract §5c): the whole
//! request checked first, every problem under `user_ids.N` or
//! `preferences...`, nothing to apply when any is bad; a preference set
//! becomes the identify body that replaces each user's set of its id.

use knock_identify::{
    bulk_delete_user_ids, bulk_set_preferences, identify, preference_set_answer, IdentifyError, StoredUser, Timestamp,
    MAX_BULK_USERS,
};
use serde_json::{json, Value};

fn problem(field: &str, message: &str, kind: &str) -> Value {
    json!({ "field": field, "message": message, "type": kind })
}

/// The answer to an error, as one JSON value: its status with its
/// message or problems.
fn refusal(error: IdentifyError) -> Value {
    match error {
        IdentifyError::InvalidParams(problems) => json!({ "422": problems }),
        error => json!({ error.status().to_string(): error.to_string() }),
    }
}

/// A bulk delete's answer: the ids, or the refusal.
fn delete_answer(body: &[u8]) -> Value {
    bulk_delete_user_ids(body).map_or_else(refusal, |ids| json!(ids))
}

/// A bulk preferences answer: the ids, the set id and the identify body
/// (as text), or the refusal.
fn preferences_answer(body: &[u8]) -> Value {
    bulk_set_preferences(body).map_or_else(refusal, |bulk| {
        json!({
            "user_ids": bulk.user_ids,
            "set_id": bulk.set_id,
            "body": String::from_utf8(bulk.body).expect("a body is UTF-8"),
        })
    })
}

/// `count` ids, `u0` to `u{count - 1}`, as JSON array items with a comma after each.
fn ids(count: usize) -> String {
    (0..count).map(|i| format!(r#""u{i}","#)).collect()
}

const BAD_SLASH: &str = "the user id must not contain `/`: no `/`, `#` or control characters";
const NO_USER_IDS: &str = "expected `user_ids`, an array of 1 to 1000 user ids";
const MORE_THAN_100: &str =
    "more problems not listed: an answer lists at most 100; fix these and send the request again";

#[test]
fn a_bulk_delete_is_its_ids_or_every_problem() {
    let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let long_id = "é".repeat(257);
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        ("two ids, in order", br#"{"user_ids": ["b", "a"]}"#.to_vec(), json!(["b", "a"])),
        (
            "ids decoded, repeats kept",
            br#"{"user_ids": ["\u0061", "a", "\u00e9 x"]}"#.to_vec(),
            json!(["a", "a", "é x"]),
        ),
        (
            "1,000 ids",
            format!(r#"{{"user_ids":[{}"last"]}}"#, ids(MAX_BULK_USERS - 1)).into_bytes(),
            json!((0..MAX_BULK_USERS - 1).map(|i| format!("u{i}")).chain(["last".to_owned()]).collect::<Vec<_>>()),
        ),
        (
            "no ids",
            br#"{"user_ids": []}"#.to_vec(),
            json!({"422": [problem("user_ids", "expected 1 to 1000 user ids, got 0", "too_large")]}),
        ),
        (
            "1,001 ids, one of them bad: only their count",
            format!(r#"{{"user_ids":[{}"a/b"]}}"#, ids(MAX_BULK_USERS)).into_bytes(),
            json!({"422": [problem("user_ids", "expected 1 to 1000 user ids, got 1001", "too_large")]}),
        ),
        (
            "bad ids, each at its index",
            format!(r#"{{"user_ids": ["ok", "a/b", 5, "", null, ".", "{long_id}", ["x"], "\u0007"]}}"#).into_bytes(),
            json!({"422": [
                problem("user_ids.1", BAD_SLASH, "format"),
                problem("user_ids.2", "expected a user id, a string, got a number", "type"),
                problem("user_ids.3", "the user id must not be empty", "format"),
                problem("user_ids.4", "expected a user id, a string, got null", "type"),
                problem("user_ids.5", "the user id must not be `.`", "format"),
                problem("user_ids.6", "expected at most 256 characters, got 257", "too_long"),
                problem("user_ids.7", "expected a user id, a string, got an array", "type"),
                problem("user_ids.8", "the user id must not contain U+0007: no `/`, `#` or control characters", "format"),
            ]}),
        ),
        (
            "ids of every other JSON type",
            br#"{"user_ids": [true, false, 7, {}]}"#.to_vec(),
            json!({"422": [
                problem("user_ids.0", "expected a user id, a string, got a boolean", "type"),
                problem("user_ids.1", "expected a user id, a string, got a boolean", "type"),
                problem("user_ids.2", "expected a user id, a string, got a number", "type"),
                problem("user_ids.3", "expected a user id, a string, got an object", "type"),
            ]}),
        ),
        (
            "good ids and an unknown key: refused for the key",
            br#"{"user_ids": ["a"], "x": 1}"#.to_vec(),
            json!({"422": [problem("x", "unknown key `x`; expected `user_ids`", "unknown_value")]}),
        ),
        (
            "unknown keys first, then the ids",
            br#"{"user_ids": ["a/b"], "preferences": {}, "x": 1}"#.to_vec(),
            json!({"422": [
                problem("preferences", "unknown key `preferences`; expected `user_ids`", "unknown_value"),
                problem("x", "unknown key `x`; expected `user_ids`", "unknown_value"),
                problem("user_ids.0", BAD_SLASH, "format"),
            ]}),
        ),
        ("no user_ids", br#"{}"#.to_vec(), json!({"422": [problem("user_ids", NO_USER_IDS, "type")]})),
        (
            "user_ids that are not an array",
            br#"{"user_ids": "a"}"#.to_vec(),
            json!({"422": [problem("user_ids", &format!("{NO_USER_IDS}, got a string"), "type")]}),
        ),
        (
            "a body that is not an object",
            br#"["a"]"#.to_vec(),
            json!({"422": [problem("user_ids", &format!("{NO_USER_IDS}, got an array"), "type")]}),
        ),
        (
            "150 bad ids: 100 listed",
            format!(r#"{{"user_ids":[{}"ok"]}}"#, r#""a/b","#.repeat(150)).into_bytes(),
            json!({"422": (0..100)
                .map(|i| problem(&format!("user_ids.{i}"), BAD_SLASH, "format"))
                .chain([problem("", &format!("50 {MORE_THAN_100}"), "too_many_problems")])
                .collect::<Vec<_>>()}),
        ),
        (
            "a key that repeats",
            br#"{"user_ids": ["a"], "user_ids": ["b"]}"#.to_vec(),
            json!({"400": "the body is not valid JSON: duplicate key `user_ids` at line 1 column 21"}),
        ),
        (
            "not JSON",
            b"{\"user_ids\": [\"a\",]}".to_vec(),
            json!({"400": "the body is not valid JSON: trailing comma at line 1 column 19"}),
        ),
        (
            "nested deeper than 64 levels",
            format!(r#"{{"user_ids":["a"],"x":{}}}"#, nested(64)).into_bytes(),
            json!({"422": [problem("", "the body is nested deeper than 64 levels", "too_deep")]}),
        ),
        (
            "past 10 MiB",
            format!(r#"{{"user_ids":["a"],"pad":"{}"}}"#, "x".repeat(10 * 1024 * 1024)).into_bytes(),
            // The core's 413; the Worker answers its own, naming 10 MiB, before reading past it.
            json!({"413": IdentifyError::RequestTooLarge.to_string()}),
        ),
    ];
    for (name, body, expected) in cases {
        assert_eq!(delete_answer(&body), expected, "{name}");
    }
}

const NO_PREFERENCES: &str = "expected `preferences`, a preference set object with its `id` (`default` or a tenant id)";
const UNKNOWN_SET_KEY_X: &str = "unknown preference set key `x`; expected `workflows`, `categories`, `channel_types`, `channels`, `commercial_subscribed` or `__persistence_strategy__`";
const UNKNOWN_PREFERENCES_KEY: &str = "unknown key `x`; expected `user_ids` or `preferences`";

#[test]
fn a_bulk_preferences_is_one_replacing_identify_body_or_every_problem() {
    let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let workflows: String = (0..20_000).map(|i| format!(r#""w{i:05}":true"#)).collect::<Vec<_>>().join(",");
    let huge: String = (0..80_000).map(|i| format!(r#""w{i:05}":true"#)).collect::<Vec<_>>().join(",");
    // The section as identify measures it: the set under its id, with its marker.
    let big_section =
        format!(r#"{{"default":{{"workflows":{{{workflows}}},"__persistence_strategy__":"replace"}}}}"#).len();
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        (
            "the set replaces the set of its id; `id` is not written",
            br#"{"user_ids": ["a", "b"], "preferences": {"id": "default", "channel_types": {"email": true}, "workflows": null}}"#.to_vec(),
            json!({
                "user_ids": ["a", "b"],
                "set_id": "default",
                "body": r#"{"preferences":{"default":{"channel_types":{"email":true},"workflows":null,"__persistence_strategy__":"replace"}}}"#,
            }),
        ),
        (
            "a tenant's set, `preferences` first, `replace` said",
            br#"{"preferences": {"__persistence_strategy__": "replace", "id": "tenant-\u00e9", "commercial_subscribed": false}, "user_ids": ["a"]}"#.to_vec(),
            json!({
                "user_ids": ["a"],
                "set_id": "tenant-é",
                "body": r#"{"preferences":{"tenant-é":{"commercial_subscribed":false,"__persistence_strategy__":"replace"}}}"#,
            }),
        ),
        (
            "no `id`, or `null`: the default set",
            br#"{"user_ids": ["a"], "preferences": {"id": null}}"#.to_vec(),
            json!({
                "user_ids": ["a"],
                "set_id": "default",
                "body": r#"{"preferences":{"default":{"__persistence_strategy__":"replace"}}}"#,
            }),
        ),
        (
            "no `id` at all",
            br#"{"user_ids": ["a"], "preferences": {"channels": {}}}"#.to_vec(),
            json!({
                "user_ids": ["a"],
                "set_id": "default",
                "body": r#"{"preferences":{"default":{"channels":{},"__persistence_strategy__":"replace"}}}"#,
            }),
        ),
        (
            "a bad set, its problems under `preferences`",
            br#"{"user_ids": ["a"], "preferences": {"id": "default", "channel_types": {"fax": true}, "workflow": {}}}"#.to_vec(),
            json!({"422": [
                problem("preferences.channel_types.fax", "unknown channel type `fax`; expected `chat`, `email`, `http`, `in_app_feed`, `push` or `sms`", "unknown_value"),
                problem("preferences.workflow", "unknown preference set key `workflow`; expected `workflows`, `categories`, `channel_types`, `channels`, `commercial_subscribed` or `__persistence_strategy__`", "unknown_value"),
            ]}),
        ),
        (
            "bad set ids",
            br#"{"user_ids": ["a"], "preferences": {"id": "", "channel_types": {"fax": true}}}"#.to_vec(),
            json!({"422": [
                problem("preferences.id", "preference set ids must not be empty", "format"),
                problem("preferences.channel_types.fax", "unknown channel type `fax`; expected `chat`, `email`, `http`, `in_app_feed`, `push` or `sms`", "unknown_value"),
            ]}),
        ),
        (
            "a set id that is not a string",
            br#"{"user_ids": ["a"], "preferences": {"id": 7}}"#.to_vec(),
            json!({"422": [problem("preferences.id", "expected the preference set's id, a string (`default` or a tenant id), got a number", "type")]}),
        ),
        (
            "a set asking to merge: a bulk set always replaces",
            br#"{"user_ids": ["a"], "preferences": {"__persistence_strategy__": "merge"}}"#.to_vec(),
            json!({"422": [problem("preferences.__persistence_strategy__", "a bulk preference set always replaces the stored set: expected `replace`, got `merge`", "unknown_value")]}),
        ),
        (
            "a strategy that is not a string",
            br#"{"user_ids": ["a"], "preferences": {"__persistence_strategy__": true}}"#.to_vec(),
            json!({"422": [problem("preferences.__persistence_strategy__", "expected `replace`, got a boolean", "type")]}),
        ),
        (
            "unknown keys, then ids, then the set",
            br#"{"preferences": {"channel_types": {"fax": true}}, "user_ids": ["a/b"], "x": 1}"#.to_vec(),
            json!({"422": [
                problem("x", UNKNOWN_PREFERENCES_KEY, "unknown_value"),
                problem("user_ids.0", BAD_SLASH, "format"),
                problem("preferences.channel_types.fax", "unknown channel type `fax`; expected `chat`, `email`, `http`, `in_app_feed`, `push` or `sms`", "unknown_value"),
            ]}),
        ),
        (
            "no ids and no set",
            br#"{"user_ids": []}"#.to_vec(),
            json!({"422": [
                problem("user_ids", "expected 1 to 1000 user ids, got 0", "too_large"),
                problem("preferences", NO_PREFERENCES, "type"),
            ]}),
        ),
        (
            "1,001 ids",
            format!(r#"{{"user_ids":[{}"a"],"preferences":{{}}}}"#, ids(MAX_BULK_USERS)).into_bytes(),
            json!({"422": [problem("user_ids", "expected 1 to 1000 user ids, got 1001", "too_large")]}),
        ),
        (
            "a set that is not an object",
            br#"{"user_ids": ["a"], "preferences": ["default"]}"#.to_vec(),
            json!({"422": [problem("preferences", &format!("{NO_PREFERENCES}, got an array"), "type")]}),
        ),
        (
            "a body that is not an object",
            br#"7"#.to_vec(),
            json!({"422": [problem("user_ids", &format!("{NO_USER_IDS}, got a number"), "type")]}),
        ),
        (
            "a set past 256 KiB as compact JSON",
            format!(r#"{{"user_ids":["a"],"preferences":{{"workflows":{{{workflows}}}}}}}"#).into_bytes(),
            json!({"422": [problem("preferences", &format!("preferences take {big_section} bytes as compact JSON; the limit is 262144 (256 KiB)"), "too_large")]}),
        ),
        (
            "a set past 1 MiB as compact JSON",
            format!(r#"{{"user_ids":["a"],"preferences":{{"workflows":{{{huge}}}}}}}"#).into_bytes(),
            json!({"422": [problem("preferences", "the preference set takes more than 1048576 bytes (1 MiB) as compact JSON; preferences take at most 262144 bytes (256 KiB)", "too_large")]}),
        ),
        (
            "a set of 62 levels of its own: 64 in its identify body",
            format!(r#"{{"user_ids":["a"],"preferences":{{"x":{}}}}}"#, nested(61)).into_bytes(),
            json!({"422": [problem("preferences.x", UNKNOWN_SET_KEY_X, "unknown_value")]}),
        ),
        (
            "a set of 63 levels of its own",
            format!(r#"{{"user_ids":["a"],"preferences":{{"x":{}}}}}"#, nested(62)).into_bytes(),
            json!({"422": [problem("preferences", "the preference set is nested deeper than 62 levels, the most an identify body of 64 levels holds", "too_deep")]}),
        ),
        (
            "a body nested deeper than 64 levels",
            format!(r#"{{"user_ids":["a"],"preferences":{{"x":{}}}}}"#, nested(63)).into_bytes(),
            json!({"422": [problem("", "the body is nested deeper than 64 levels", "too_deep")]}),
        ),
    ];
    for (name, body, expected) in cases {
        assert_eq!(preferences_answer(&body), expected, "{name}");
    }
}

#[test]
fn the_bulk_body_replaces_each_users_set_of_its_id_and_leaves_the_others() {
    let now = Timestamp::from_millis(0);
    let stored = identify(
        None,
        "jane",
        br#"{"name": "Jane", "preferences": {"default": {"workflows": {"welcome": false}}, "tenant-1": {"channel_types": {"sms": true}}}}"#,
        now,
    )
    .expect("identified");
    let bulk = bulk_set_preferences(
        br#"{"user_ids": ["jane", "new-user"], "preferences": {"id": "default", "channel_types": {"email": false}}}"#,
    )
    .expect("valid");
    // The same body for every user: it names no user.
    for user_id in &bulk.user_ids {
        assert!(identify(None, user_id, &bulk.body, now).is_ok(), "{user_id}");
    }
    let after: StoredUser = identify(Some(stored.as_json().as_bytes()), "jane", &bulk.body, now).expect("applied");
    let set =
        |user: &StoredUser, id: &str| serde_json::from_str::<Value>(&preference_set_answer(user, id)).expect("JSON");
    assert_eq!(
        set(&after, "default"),
        json!({"__typename": "PreferenceSet", "id": "default", "categories": null, "channel_types": {"email": false}, "workflows": null})
    );
    assert_eq!(set(&after, "tenant-1"), set(&stored, "tenant-1"), "another set stays");
    assert!(after.user_json().contains(r#""name":"Jane""#), "the user's fields stay");
}
