//! The routes around identify (contract §5a), in the core: each write is
//! the identify request it stands for, its problems where the route's
//! caller put them, and each answer is read from the stored record.

use knock_identify::{
    channel_data_answer, channel_data_body, check_channel_id, check_set_id, identify, preference_set_answer,
    preference_set_body, preference_sets_answer, unset_channel_data_body, IdentifyError, StoredUser, Timestamp,
};
use serde_json::{json, Value};

const CHANNEL: &str = "97c5837d-c65c-4d54-aa39-080eeb81c69d";

fn problems(result: Result<Vec<u8>, IdentifyError>) -> Value {
    match result {
        Err(IdentifyError::InvalidParams(problems)) => serde_json::to_value(problems).expect("problems serialize"),
        other => panic!("expected a 422, got {other:?}"),
    }
}

/// The record after identifying `body` (an identify body) onto `stored`.
fn apply(stored: Option<&StoredUser>, body: &[u8]) -> StoredUser {
    identify(stored.map(|user| user.as_json().as_bytes()), "user-1", body, Timestamp::from_millis(0)).expect("applies")
}

fn parsed(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

#[test]
fn channel_data_is_set_replaced_and_unset_as_one_channel_of_identify() {
    let body = channel_data_body("user-1", CHANNEL, br#"{"data": {"tokens": ["a", "b"]}}"#).expect("valid");
    assert_eq!(parsed(std::str::from_utf8(&body).unwrap()), json!({"channel_data": {CHANNEL: {"tokens": ["a", "b"]}}}));
    let user = apply(None, &body);
    assert_eq!(
        parsed(&channel_data_answer(&user, CHANNEL).expect("set")),
        json!({"__typename": "ChannelData", "channel_id": CHANNEL, "data": {"tokens": ["a", "b"]}})
    );
    // A second PUT replaces the channel's data whole.
    let user = apply(Some(&user), &channel_data_body("user-1", CHANNEL, br#"{"data": {"tokens": ["c"]}}"#).unwrap());
    assert_eq!(parsed(&channel_data_answer(&user, CHANNEL).unwrap())["data"], json!({"tokens": ["c"]}));
    let user = apply(Some(&user), &unset_channel_data_body("user-1", CHANNEL).unwrap());
    assert_eq!(channel_data_answer(&user, CHANNEL), None);
}

#[test]
fn channel_data_problems_name_the_routes_fields() {
    assert_eq!(
        problems(channel_data_body("user-1", CHANNEL, br#"{"data": {"tokens": ["a", 5]}}"#)),
        json!([{"field": "data.tokens.1", "message": "expected a string, got a number", "type": "type"}])
    );
    assert_eq!(
        problems(channel_data_body("user-1", "not-a-uuid", br#"{"data": {"tokens": []}, "extra": 1}"#)),
        json!([
            {"field": "extra", "message": "unknown key `extra`; expected `data`", "type": "unknown_value"},
            {"field": "channel_id", "message": "expected a channel id (a UUID) like `97c5837d-c65c-4d54-aa39-080eeb81c69d`, got `not-a-uuid`", "type": "format"},
        ])
    );
    assert_eq!(
        problems(channel_data_body("user-1", CHANNEL, br#"{"data": ["a"]}"#)),
        json!([{"field": "data", "message": "expected an object of channel data, got an array", "type": "type"}])
    );
    assert_eq!(
        problems(channel_data_body("user-1", CHANNEL, br#"{"tokens": ["a"]}"#)),
        json!([{"field": "data", "message": "expected `data`, an object of channel data", "type": "type"}])
    );
    assert_eq!(
        problems(channel_data_body("user-1", CHANNEL, br#"{"data": {"nothing": 1}}"#)),
        json!([{"field": "data", "message": "expected channel data with `tokens`, `devices`, `target_arns`, `player_ids` or `connections`", "type": "format"}])
    );
    assert!(matches!(channel_data_body("user-1", CHANNEL, b"{"), Err(IdentifyError::InvalidJson { .. })));
    assert!(matches!(unset_channel_data_body("a/b", CHANNEL), Err(IdentifyError::InvalidParams(_))));
}

#[test]
fn a_preference_set_replaces_the_stored_one_unless_it_says_merge() {
    let first = preference_set_body(
        "user-1",
        "default",
        br#"{"channel_types": {"email": false}, "workflows": {"welcome": true}}"#,
    )
    .unwrap();
    let user = apply(None, &first);
    assert_eq!(
        parsed(&preference_set_answer(&user, "default")),
        json!({"__typename": "PreferenceSet", "id": "default", "categories": null, "channel_types": {"email": false}, "workflows": {"welcome": true}})
    );
    // Replaced: the workflows are gone.
    let user =
        apply(Some(&user), &preference_set_body("user-1", "default", br#"{"channel_types": {"sms": true}}"#).unwrap());
    assert_eq!(
        parsed(&preference_set_answer(&user, "default")),
        json!({"__typename": "PreferenceSet", "id": "default", "categories": null, "channel_types": {"sms": true}, "workflows": null})
    );
    // Merged when asked; the marker is not stored.
    let merge =
        br#"{"__persistence_strategy__": "merge", "categories": {"promo": false}, "commercial_subscribed": true}"#;
    let user = apply(Some(&user), &preference_set_body("user-1", "default", merge).unwrap());
    assert_eq!(
        parsed(&preference_set_answer(&user, "default")),
        json!({"__typename": "PreferenceSet", "id": "default", "categories": {"promo": false}, "channel_types": {"sms": true}, "workflows": null, "commercial_subscribed": true})
    );
    // Replaced when said so: the categories and the subscription are gone.
    let replace = br#"{"__persistence_strategy__": "replace", "workflows": {"w": true}}"#;
    let user = apply(Some(&user), &preference_set_body("user-1", "default", replace).unwrap());
    assert_eq!(
        parsed(&preference_set_answer(&user, "default")),
        json!({"__typename": "PreferenceSet", "id": "default", "categories": null, "channel_types": null, "workflows": {"w": true}})
    );
    // A set the user does not have is an empty one.
    assert_eq!(
        parsed(&preference_set_answer(&user, "other")),
        json!({"__typename": "PreferenceSet", "id": "other", "categories": null, "channel_types": null, "workflows": null})
    );
}

#[test]
fn preference_set_problems_name_the_sets_own_keys() {
    assert_eq!(
        problems(preference_set_body("user-1", "default", br#"{"channel_types": {"fax": true}}"#)),
        json!([{"field": "channel_types.fax", "message": "unknown channel type `fax`; expected `chat`, `email`, `http`, `in_app_feed`, `push` or `sms`", "type": "unknown_value"}])
    );
    assert_eq!(
        problems(preference_set_body("user-1", "", br#"{}"#)),
        json!([{"field": "id", "message": "preference set ids must not be empty", "type": "format"}])
    );
    assert_eq!(
        problems(preference_set_body("user-1", "default", b"[]")),
        json!([{"field": "", "message": "expected a preference set object, got an array", "type": "type"}])
    );
}

#[test]
fn a_reads_ids_are_checked_as_its_writes_check_them() {
    let problem = |result: Result<(), knock_identify::Problem>| result.err().map(|problem| json!(problem));
    assert_eq!(problem(check_channel_id(CHANNEL)), None);
    assert_eq!(
        problem(check_channel_id("not-a-uuid")),
        Some(problems(unset_channel_data_body("user-1", "not-a-uuid"))[0].clone())
    );
    assert_eq!(problem(check_set_id("default")), None);
    let long = "k".repeat(257);
    for bad in ["", long.as_str()] {
        let expected = problems(preference_set_body("user-1", bad, b"{}"))[0].clone();
        assert_eq!(expected["field"], "id");
        assert_eq!(problem(check_set_id(bad)), Some(expected), "{bad:?}");
    }
}

#[test]
fn a_users_sets_are_listed_each_as_its_own_route_answers_it() {
    // `GET /v1/users/{user_id}/preferences`: every set, in the record's order.
    let user = apply(
        None,
        br#"{"preferences": {"default": {"channel_types": {"email": false}, "commercial_subscribed": true}, "tenant-a": {}, "weekly": {"workflows": {"digest": true}}}}"#,
    );
    let listed = parsed(&preference_sets_answer(&user));
    assert_eq!(
        listed,
        json!([
            {"__typename": "PreferenceSet", "id": "default", "categories": null, "channel_types": {"email": false}, "workflows": null, "commercial_subscribed": true},
            {"__typename": "PreferenceSet", "id": "tenant-a", "categories": null, "channel_types": null, "workflows": null},
            {"__typename": "PreferenceSet", "id": "weekly", "categories": null, "channel_types": null, "workflows": {"digest": true}},
        ])
    );
    for (index, set_id) in ["default", "tenant-a", "weekly"].into_iter().enumerate() {
        assert_eq!(listed[index], parsed(&preference_set_answer(&user, set_id)), "{set_id}");
    }
    // A user without sets: an empty list.
    assert_eq!(preference_sets_answer(&apply(None, br#"{"name": "Jo"}"#)), "[]");
}
