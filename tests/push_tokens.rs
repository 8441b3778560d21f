//! The push-token routes in the core (contract §9): each `PUT` or `DELETE
//! .../channel_data/{channel_id}/tokens/{token}` is the identify body that
//! writes the channel's whole new data, or nothing when nothing changes.
//! Tables of (stored user, change, token, exact body or exact problems).

use knock_identify::{
    channel_data_answer, identify, push_token_body, IdentifyError, StoredUser, Timestamp, TokenChange,
    TokenChange::{Add, Remove},
};
use serde_json::{json, Value};

const CHANNEL: &str = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
const OTHER_CHANNEL: &str = "0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e";

/// A stored user named `user-1` whose channel data is `channel_data`
/// (the inside of the object), as a record storage keeps.
fn stored(channel_data: &str) -> StoredUser {
    let json = format!(
        r#"{{"user":{{"id":"user-1","updated_at":"2024-05-01T12:00:00.000Z","name":"Jane"}},"preferences":{{}},"channel_data":{{{channel_data}}}}}"#
    );
    StoredUser::from_json(json.as_bytes()).unwrap_or_else(|error| panic!("{error}: {json}"))
}

/// A user whose channel `CHANNEL` holds `data`.
fn with_data(data: &str) -> StoredUser {
    stored(&format!(r#""{CHANNEL}":{data}"#))
}

fn body(
    user_id: &str,
    channel_id: &str,
    token: &[u8],
    user: Option<&StoredUser>,
    change: TokenChange,
) -> Result<Option<Vec<u8>>, IdentifyError> {
    push_token_body(user_id, channel_id, token, user.map(|user| user.as_json().as_bytes()), change)
}

/// The body `{"channel_data":{CHANNEL:data}}`, as bytes.
fn writes(data: &str) -> Option<String> {
    Some(format!(r#"{{"channel_data":{{"{CHANNEL}":{data}}}}}"#))
}

#[test]
fn a_token_is_added_or_removed_as_the_channels_whole_new_data() {
    let no_user = None;
    let other_channel = Some(stored(&format!(r#""{OTHER_CHANNEL}":{{"tokens":["a"]}}"#)));
    let two = Some(with_data(r#"{"tokens":["a","b"]}"#));
    let mixed = Some(with_data(r#"{"devices":[{"token":"d"}],"tokens":["a"],"x":{"y":1.50}}"#));
    let devices = Some(with_data(r#"{"devices":[{"token":"d"}]}"#));
    let twice = Some(with_data(r#"{"tokens":["a","b","a"],"x":1}"#));
    let one = Some(with_data(r#"{"tokens":["a"],"x":1}"#));
    let escaped = Some(with_data(r#"{"tokens":["q\"\\é"]}"#));
    let not_an_object = Some(with_data(r#"["a"]"#));
    type Case<'a> = (&'a Option<StoredUser>, TokenChange, &'a [u8], Option<String>);
    let cases: [Case<'_>; 21] = [
        // Created: the user, the channel's data, its `tokens`.
        (&no_user, Add, b"a", writes(r#"{"tokens":["a"]}"#)),
        (&other_channel, Add, b"a", writes(r#"{"tokens":["a"]}"#)),
        (&devices, Add, b"b", writes(r#"{"devices":[{"token":"d"}],"tokens":["b"]}"#)),
        // Appended; the other keys kept in their order, as stored.
        (&two, Add, b"c", writes(r#"{"tokens":["a","b","c"]}"#)),
        (&mixed, Add, b"b", writes(r#"{"devices":[{"token":"d"}],"tokens":["a","b"],"x":{"y":1.50}}"#)),
        // Tokens are compared as text, exactly.
        (&two, Add, b"A", writes(r#"{"tokens":["a","b","A"]}"#)),
        (&two, Add, b"a ", writes(r#"{"tokens":["a","b","a "]}"#)),
        (&no_user, Add, "q\"\\é/%".as_bytes(), writes(r#"{"tokens":["q\"\\é/%"]}"#)),
        // Already there: nothing to write.
        (&two, Add, b"a", None),
        (&two, Add, b"b", None),
        (&escaped, Add, "q\"\\é".as_bytes(), None),
        // Removed, every copy; the rest kept in order, `[]` kept.
        (&two, Remove, b"a", writes(r#"{"tokens":["b"]}"#)),
        (&twice, Remove, b"a", writes(r#"{"tokens":["b"],"x":1}"#)),
        (&one, Remove, b"a", writes(r#"{"tokens":[],"x":1}"#)),
        (&escaped, Remove, "q\"\\é".as_bytes(), writes(r#"{"tokens":[]}"#)),
        // A Remove never creates anything.
        (&two, Remove, b"c", None),
        (&devices, Remove, b"d", None),
        (&other_channel, Remove, b"a", None),
        (&no_user, Remove, b"a", None),
        // Stored data that is not an object is no data, as its GET reads it.
        (&not_an_object, Remove, b"a", None),
        (&not_an_object, Add, b"a", writes(r#"{"tokens":["a"]}"#)),
    ];
    for (user, change, token, expected) in cases {
        let answer = body("user-1", CHANNEL, token, user.as_ref(), change).expect("valid");
        let answer = answer.map(|bytes| String::from_utf8(bytes).expect("UTF-8"));
        assert_eq!(answer, expected, "{change:?} {:?} on {user:?}", String::from_utf8_lossy(token));
    }
}

#[test]
fn the_bodies_apply_as_identifies() {
    let now = Timestamp::from_millis(0);
    let mut user: Option<StoredUser> = None;
    let steps: [(TokenChange, &str, Option<Value>); 6] = [
        (Add, "a", Some(json!({"tokens": ["a"]}))),
        (Add, "b", Some(json!({"tokens": ["a", "b"]}))),
        (Add, "a", None),
        (Remove, "a", Some(json!({"tokens": ["b"]}))),
        (Remove, "b", Some(json!({"tokens": []}))),
        (Remove, "b", None),
    ];
    for (change, token, expected) in steps {
        let stored = user.as_ref().map(|user| user.as_json().as_bytes());
        match push_token_body("user-1", CHANNEL, token.as_bytes(), stored, change).expect("valid") {
            Some(body) => {
                user = Some(identify(stored, "user-1", &body, now).expect("applies"));
                let answer = channel_data_answer(user.as_ref().unwrap(), CHANNEL).expect("the channel");
                let answer: Value = serde_json::from_str(&answer).expect("JSON");
                assert_eq!(Some(answer["data"].clone()), expected, "{change:?} {token}");
            }
            None => assert_eq!(None, expected, "{change:?} {token}"),
        }
    }
}

fn problems(result: Result<Option<Vec<u8>>, IdentifyError>) -> Value {
    match result {
        Err(IdentifyError::InvalidParams(problems)) => serde_json::to_value(problems).expect("problems serialize"),
        other => panic!("expected a 422, got {other:?}"),
    }
}

#[test]
fn problems_name_the_routes_fields() {
    let channel_id = json!({"field": "channel_id", "type": "format", "message": "expected a channel id (a UUID) like `97c5837d-c65c-4d54-aa39-080eeb81c69d`, got `not-a-uuid`"});
    let not_utf8 = json!({"field": "token", "type": "format", "message": "the push token is not valid UTF-8 once percent-decoded"});
    let empty = json!({"field": "token", "type": "format", "message": "the push token must not be empty"});
    let user_id = json!({"field": "user_id", "type": "format", "message": "the user id must not contain `/`: no `/`, `#` or control characters"});
    let two = with_data(r#"{"tokens":["a","b"]}"#);
    let bad_devices = with_data(r#"{"tokens":["a"],"devices":5}"#);
    let bad_tokens = with_data(r#"{"tokens":[5,"a"]}"#);
    let tokens_text = with_data(r#"{"tokens":"a"}"#);
    let devices =
        json!({"field": "data.devices", "type": "type", "message": "expected an array of devices, got a number"});
    type Case<'a> = (&'a str, &'a str, &'a [u8], Option<&'a StoredUser>, TokenChange, Value);
    let cases: [Case<'_>; 17] = [
        ("user-1", "not-a-uuid", b"a", None, Add, json!([channel_id])),
        ("user-1", "not-a-uuid", b"a", None, Remove, json!([channel_id])),
        ("user-1", CHANNEL, b"\xff", None, Add, json!([not_utf8])),
        ("user-1", CHANNEL, b"a\xc3", Some(&two), Remove, json!([not_utf8])),
        ("user-1", CHANNEL, b"", None, Add, json!([empty])),
        ("user-1", CHANNEL, b"", Some(&two), Remove, json!([empty])),
        // All at once: the channel id, then the token, then the user id.
        ("a/b", "not-a-uuid", b"", None, Add, json!([channel_id, empty, user_id])),
        ("a/b", "not-a-uuid", b"\xff", Some(&two), Remove, json!([channel_id, not_utf8, user_id])),
        // The user id, as identify checks it, whether or not anything would change.
        ("a/b", CHANNEL, b"c", Some(&two), Add, json!([user_id])),
        ("a/b", CHANNEL, b"a", Some(&two), Add, json!([user_id])),
        ("a/b", CHANNEL, b"a", None, Remove, json!([user_id])),
        ("a/b", CHANNEL, b"a", Some(&two), Remove, json!([user_id])),
        // Stored data carried along and refused by identify: under `data`, as the channel's PUT names it.
        ("user-1", CHANNEL, b"b", Some(&bad_devices), Add, json!([devices])),
        ("user-1", CHANNEL, b"a", Some(&bad_devices), Remove, json!([devices])),
        (
            "a/b",
            CHANNEL,
            b"b",
            Some(&bad_tokens),
            Add,
            json!([user_id, {"field": "data.tokens.0", "type": "type", "message": "expected a string, got a number"}]),
        ),
        (
            "user-1",
            CHANNEL,
            b"b",
            Some(&tokens_text),
            Add,
            json!([{"field": "data.tokens", "type": "type", "message": "expected an array of strings, got a string"}]),
        ),
        // A `tokens` that is not a list holds no token to remove.
        ("user-1", CHANNEL, b"a", Some(&tokens_text), Remove, Value::Null),
    ];
    for (user_id, channel_id, token, user, change, expected) in cases {
        let answer = body(user_id, channel_id, token, user, change);
        let shown = format!("{user_id} {channel_id} {:?} {change:?} on {user:?}", String::from_utf8_lossy(token));
        if expected.is_null() {
            assert_eq!(answer, Ok(None), "{shown}");
        } else {
            assert_eq!(problems(answer), expected, "{shown}");
        }
    }
}

#[test]
fn a_token_that_grows_the_channel_past_its_size_is_refused() {
    // §2: channel data of at most 262,144 bytes as compact JSON, in the request too.
    let frame = format!(r#"{{"{CHANNEL}":{{"tokens":["","a"]}}}}"#).len();
    let first = "t".repeat(262_144 - frame);
    let user = with_data(&format!(r#"{{"tokens":["{first}"]}}"#));
    let at_limit = body("user-1", CHANNEL, b"a", Some(&user), Add).expect("valid").expect("a body");
    let section = format!(r#"{{"{CHANNEL}":{{"tokens":["{first}","a"]}}}}"#);
    assert_eq!(section.len(), 262_144);
    assert_eq!(at_limit, format!(r#"{{"channel_data":{section}}}"#).into_bytes());
    assert_eq!(
        problems(body("user-1", CHANNEL, b"ab", Some(&user), Add)),
        json!([{"field": "channel_data", "type": "too_large", "message": "channel data take 262145 bytes as compact JSON; the limit is 262144 (256 KiB)"}])
    );
}

#[test]
fn a_stored_record_that_cannot_be_read_is_the_servers_fault() {
    for change in [Add, Remove] {
        let answer = push_token_body("user-1", CHANNEL, b"a", Some(b"{\"user\":{}}"), change);
        assert!(matches!(answer, Err(IdentifyError::InvalidStoredRecord { .. })), "{change:?} {answer:?}");
    }
}
