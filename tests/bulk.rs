//! Bulk identify in the core (contract §5b): the whole request checked
//! first, every problem under `users.N`, nothing to apply when any is bad.

use knock_identify::{bulk_identify_users, IdentifyError, MAX_BULK_USERS};
use serde_json::{json, Value};

fn problems(body: &str) -> Value {
    match bulk_identify_users(body.as_bytes()) {
        Err(IdentifyError::InvalidParams(problems)) => serde_json::to_value(problems).expect("problems serialize"),
        other => panic!("expected a 422, got {other:?}"),
    }
}

#[test]
fn every_user_becomes_its_own_identify_body() {
    let users = bulk_identify_users(br#"{"users": [{"id": "a", "name": "A"}, {"id": "b", "plan": {"tier": "pro"}}]}"#)
        .expect("valid");
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].id, "a");
    assert_eq!(String::from_utf8(users[0].body.clone()).unwrap(), r#"{"id":"a","name":"A"}"#);
    assert_eq!(String::from_utf8(users[1].body.clone()).unwrap(), r#"{"id":"b","plan":{"tier":"pro"}}"#);
}

#[test]
fn one_bad_user_among_many_refuses_the_whole_request_naming_it() {
    let mut users: Vec<Value> = (0..MAX_BULK_USERS).map(|i| json!({"id": format!("u{i}"), "name": "N"})).collect();
    users[3] = json!({"id": "u3", "email": "not an email", "phone_number": "+1 (415) 555-2671"});
    users[7] = json!({"name": "no id"});
    users[9] = json!({"id": "a/b"});
    let body = json!({ "users": users }).to_string();
    assert_eq!(
        problems(&body),
        json!([
            {"field": "users.3.email", "message": "expected one email address like `name@example.com`", "type": "format"},
            {"field": "users.3.phone_number", "message": "expected an E.164 number: `+` and 7 to 15 digits starting with a country calling code, like `+14155552671`; use `+14155552671`", "type": "format"},
            {"field": "users.7.id", "message": "expected the user's `id`, a string", "type": "type"},
            {"field": "users.9.id", "message": "the user id must not contain `/`: no `/`, `#` or control characters", "type": "format"},
        ])
    );
}

#[test]
fn the_list_has_1_to_1000_users() {
    assert_eq!(problems(r#"{"users": []}"#)[0]["message"], "expected 1 to 1000 users, got 0");
    let too_many: Vec<Value> = (0..=MAX_BULK_USERS).map(|i| json!({"id": format!("u{i}")})).collect();
    assert_eq!(problems(&json!({ "users": too_many }).to_string())[0]["message"], "expected 1 to 1000 users, got 1001");
    assert_eq!(problems(r#"{"people": []}"#)[0]["field"], "users");
    assert!(matches!(bulk_identify_users(b"{"), Err(IdentifyError::InvalidJson { .. })));
    let at_most = (0..MAX_BULK_USERS).map(|i| json!({"id": format!("u{i}")})).collect::<Vec<_>>();
    assert_eq!(
        bulk_identify_users(json!({ "users": at_most }).to_string().as_bytes()).expect("1000 users").len(),
        1000
    );
}
