//! Property tests of contract §3's merge and of the parser's robustness.

use knock_identify::{identify, validate, StoredUser, Timestamp};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// A record's parts as JSON values: `user`, `preferences`, `channel_data`.
fn parts(record: &StoredUser) -> Value {
    serde_json::from_str(record.as_json()).expect("a record is JSON")
}

const CHANNELS: [&str; 2] = ["97c5837d-c65c-4d54-aa39-080eeb81c69d", "0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e"];

/// Any JSON value, with keys from a small set so that merges meet.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[abcd]", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn standard_fields() -> impl Strategy<Value = Map<String, Value>> {
    let choices: [(&str, &[&str]); 7] = [
        ("avatar", &["https://example.com/a.png", "http://localhost:8080/b"]),
        ("created_at", &["2024-05-01T12:00:00Z", "2020-01-01T00:00:00.5+02:00"]),
        ("email", &["jane@example.com", "joe@example.org"]),
        ("locale", &["en-US", "fr-BE"]),
        ("name", &["Jane", "Zoë"]),
        ("phone_number", &["+14155552671", "+442071838750"]),
        ("timezone", &["UTC", "America/New_York"]),
    ];
    let per_field: Vec<_> = choices
        .into_iter()
        .map(|(key, values)| {
            let value = prop_oneof![Just(Value::Null), prop::sample::select(values).prop_map(|v| json!(v))];
            prop::option::of(value).prop_map(move |v| v.map(|v| (key.to_owned(), v)))
        })
        .collect();
    per_field.prop_map(|fields| fields.into_iter().flatten().collect())
}

fn preference_set() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop::sample::select(vec!["merge", "replace"])),
        prop::collection::btree_map(prop::sample::select(vec!["email", "sms", "push"]), any::<bool>(), 0..3),
        prop::collection::btree_map("w[12]", any::<bool>(), 0..2),
        prop::option::of(any::<bool>()),
    )
        .prop_map(|(strategy, channel_types, workflows, commercial)| {
            let mut set = Map::new();
            if let Some(strategy) = strategy {
                set.insert("__persistence_strategy__".into(), json!(strategy));
            }
            set.insert("channel_types".into(), json!(channel_types));
            if !workflows.is_empty() {
                set.insert("workflows".into(), json!(workflows));
            }
            if let Some(commercial) = commercial {
                set.insert("commercial_subscribed".into(), json!(commercial));
            }
            Value::Object(set)
        })
}

/// A valid identify body touching every part of the record.
fn request_body() -> impl Strategy<Value = Value> {
    (
        standard_fields(),
        prop::collection::btree_map(prop::sample::select(vec!["plan", "tags", "x", "y"]), json_value(), 0..4),
        prop::option::of(prop::collection::btree_map(
            prop::sample::select(vec!["default", "t1"]),
            preference_set(),
            0..3,
        )),
        prop::option::of(prop::collection::btree_map(
            prop::sample::select(CHANNELS.to_vec()),
            prop::option::of(prop::collection::vec("[a-z0-9]{1,8}", 0..3)),
            0..3,
        )),
    )
        .prop_map(|(standard, properties, preferences, channel_data)| {
            let mut body = standard;
            body.extend(properties.into_iter().map(|(k, v)| (k.to_owned(), v)));
            if let Some(sets) = preferences {
                body.insert("preferences".into(), json!(sets));
            }
            if let Some(channels) = channel_data {
                let channels: Map<String, Value> = channels
                    .into_iter()
                    .map(|(id, tokens)| (id.to_owned(), tokens.map_or(Value::Null, |t| json!({ "tokens": t }))))
                    .collect();
                body.insert("channel_data".into(), Value::Object(channels));
            }
            Value::Object(body)
        })
}

fn apply(stored: Option<StoredUser>, body: &Value, millis: i64) -> StoredUser {
    let bytes = serde_json::to_vec(body).unwrap();
    match identify(stored.as_ref().map(|r| r.as_json().as_bytes()), "user-1", &bytes, Timestamp(millis)) {
        Ok(record) => record,
        Err(error) => panic!("generated body refused: {error} {:?}\n{body}", error.problems()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Contract §3: merging the same request twice gives the same user as once,
    /// but for `updated_at`.
    #[test]
    fn merging_twice_equals_merging_once(history in prop::collection::vec(request_body(), 0..3), request in request_body()) {
        let stored = history.iter().fold(None, |stored, body| Some(apply(stored, body, 1)));
        let once = apply(stored, &request, 2);
        let twice = apply(Some(once.clone()), &request, 3);
        prop_assert_eq!(twice.updated_at(), "1970-01-01T00:00:00.003Z");
        let (mut once, mut twice) = (parts(&once), parts(&twice));
        once["user"]["updated_at"] = json!(null);
        twice["user"]["updated_at"] = json!(null);
        prop_assert_eq!(once, twice);
    }

    /// Contract §3: keys absent from a request keep their stored values.
    #[test]
    fn absent_keys_are_untouched(history in prop::collection::vec(request_body(), 1..3), request in request_body()) {
        let stored = history.iter().fold(None, |stored, body| Some(apply(stored, body, 1))).unwrap();
        let merged = parts(&apply(Some(stored.clone()), &request, 2));
        let stored = parts(&stored);
        let sent = request.as_object().unwrap();
        for (key, value) in stored["user"].as_object().unwrap() {
            if !sent.contains_key(key) && key != "updated_at" {
                prop_assert_eq!(Some(value), merged["user"].get(key), "top-level key {}", key);
            }
        }
        let sent_sets = sent.get("preferences").and_then(Value::as_object);
        for (set_id, set) in stored["preferences"].as_object().unwrap() {
            if !sent_sets.is_some_and(|sets| sets.contains_key(set_id)) {
                prop_assert_eq!(Some(set), merged["preferences"].get(set_id));
            }
        }
        let sent_channels = sent.get("channel_data").and_then(Value::as_object);
        for (channel, data) in stored["channel_data"].as_object().unwrap() {
            if !sent_channels.is_some_and(|channels| channels.contains_key(channel)) {
                prop_assert_eq!(Some(data), merged["channel_data"].get(channel));
            }
        }
    }

    /// Contract §3: what a request sends is what the user then holds, where it
    /// is not an object merged into a stored object.
    #[test]
    fn sent_scalars_win(history in prop::collection::vec(request_body(), 0..2), request in request_body()) {
        let stored = history.iter().fold(None, |stored, body| Some(apply(stored, body, 1)));
        let merged: Value = serde_json::from_str(apply(stored, &request, 2).user_json()).unwrap();
        for (key, value) in request.as_object().unwrap() {
            if !value.is_object() && key != "preferences" && key != "channel_data" {
                prop_assert_eq!(Some(value), merged.get(key), "key {}", key);
            }
        }
    }

    /// No bytes make parsing and validation panic, and a request is never
    /// a 500: validate lists a problem exactly when identify refuses.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        agree("user-1", &bytes)?;
    }

    /// Nor does JSON-like text: brackets, quotes, escapes and duplicates.
    #[test]
    fn json_like_text_never_panics(text in r#"[\[\]{}",:0-9a-z\\ \n.eE+-]{0,300}"#, user_id in "\\PC{0,8}") {
        agree(&user_id, text.as_bytes())?;
    }

    /// Nor does a deeply nested body, of any depth: it is too_deep, never a stack overflow.
    #[test]
    fn any_depth_is_an_answer(depth in 0usize..5000) {
        let body = format!("{{\"a\":{}0{}}}", "[".repeat(depth), "]".repeat(depth));
        let problems = validate("user-1", body.as_bytes());
        prop_assert_eq!(problems.is_empty(), depth < 64);
    }

    /// A stored record survives storage: read back, it is the same record, byte for byte.
    #[test]
    fn stored_records_round_trip(history in prop::collection::vec(request_body(), 1..3)) {
        let stored = history.iter().fold(None, |stored, body| Some(apply(stored, body, 1))).unwrap();
        prop_assert_eq!(StoredUser::from_json(stored.as_json().as_bytes()).unwrap(), stored);
    }
}

/// A new user's identify and validate agree: problems exactly when it is
/// refused, and a refusal is the caller's (4xx), never `internal_error`.
fn agree(user_id: &str, body: &[u8]) -> Result<(), TestCaseError> {
    let problems = validate(user_id, body);
    match identify(None, user_id, body, Timestamp(0)) {
        Ok(_) => prop_assert!(problems.is_empty(), "accepted, but validate listed {problems:?}"),
        Err(error) => {
            prop_assert!((400..500).contains(&error.status()), "{} {}", error.status(), error.code());
            prop_assert!(!problems.is_empty(), "refused ({}), but validate listed nothing", error.code());
        }
    }
    Ok(())
}

/// A stored record comes from storage or, through the npm package, from the
/// caller: a hostile one is an error, never a stack overflow. The core
/// writes records at most 65 levels deep (a body of 64 levels, one level
/// down in `user`), so it reads exactly that deep: one level more cannot be
/// a record it wrote, and is `internal_error` (§6: storage's detail goes to
/// the log, never to the answer).
#[test]
fn deeply_nested_stored_records_are_read_safely() {
    // The record, `user`, then `depth` objects `{"a": ...}`: 2 + depth levels.
    let record = |depth: usize| {
        let deep = format!("{}0{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        format!(r#"{{"user": {{"id": "u", "updated_at": "2024-01-01T00:00:00.000Z", "deep": {deep}}}}}"#)
    };
    // 65 levels: read, merged into, and the result read again.
    let stored = StoredUser::from_json(record(63).as_bytes()).expect("a record 65 levels deep reads");
    let merged =
        identify(Some(stored.as_json().as_bytes()), "u", br#"{"deep": {"a": {"b": 1}}}"#, Timestamp(0)).unwrap();
    assert!(StoredUser::from_json(merged.as_json().as_bytes()).is_ok());
    for depth in [64, 100, 200, 100_000] {
        let error = StoredUser::from_json(record(depth).as_bytes()).expect_err("deeper than the core writes");
        assert_eq!((error.status(), error.code()), (500, "internal_error"), "depth {depth}");
        let detail = format!("{error:?}");
        assert!(detail.contains("nested deeper than 65 levels"), "depth {depth}: {detail}");
        assert_eq!(error.to_string(), "internal error", "the answer reveals nothing");
        let merge = identify(Some(record(depth).as_bytes()), "u", br#"{"name": "Jo"}"#, Timestamp(0));
        assert_eq!(merge.map_err(|error| error.code()).err(), Some("internal_error"), "depth {depth}");
    }
}
