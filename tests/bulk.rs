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

/// An answer as one JSON value: the users and their bodies, or the error's
/// status with its message or problems.
fn answer(body: &[u8]) -> Value {
    match bulk_identify_users(body) {
        Ok(users) => json!(users
            .iter()
            .map(|user| json!([user.id, String::from_utf8(user.body.clone()).expect("a body is UTF-8")]))
            .collect::<Vec<_>>()),
        Err(IdentifyError::InvalidParams(problems)) => json!({"422": problems}),
        Err(error) => json!({ error.status().to_string(): error.to_string() }),
    }
}

fn problem(field: &str, message: &str, kind: &str) -> Value {
    json!({ "field": field, "message": message, "type": kind })
}

/// `count` unknown keys, `k0` to `k{count - 1}`, as members of the body.
fn unknown_keys(count: usize) -> String {
    (0..count).map(|i| format!(r#""k{i}":0,"#)).collect()
}

#[test]
fn every_answer_is_exact_wherever_the_problem_lies() {
    let zeros = vec!["0"; 600_000].join(",");
    let nested = |levels: usize| format!("{}{}", "[".repeat(levels), "]".repeat(levels));
    let unknown = |key: &str| problem(key, &format!("unknown key `{key}`; expected `users`"), "unknown_value");
    let too_large = |field: &str| problem(field, "the request body is larger than 1048576 bytes (1 MiB)", "too_large");
    let not_an_email = |field: &str| problem(field, "expected one email address like `name@example.com`", "format");
    let more = |count: usize| {
        problem(
            "",
            &format!(
                "{count} more problems not listed: an answer lists at most 100; fix these and send the request again"
            ),
            "too_many_problems",
        )
    };
    let bad_users: String = (0..60).map(|i| format!(r#"{{"id":"u{i}","email":"x"}},"#)).collect();
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        (
            "each user's body as canonical JSON, its id decoded",
            r#"{ "users" : [ { "id" : "\u0061", "n" : 1.50, "s" : "\/\u00e9" } ] }"#.into(),
            json!([["a", r#"{"id":"a","n":1.50,"s":"/é"}"#]]),
        ),
        (
            "unknown keys first, in the order of the body, wherever they are",
            r#"{"x":1,"users":[{"id":"a","email":"x"}],"\u0079":{"users":[]}}"#.into(),
            json!({"422": [unknown("x"), unknown("y"), not_an_email("users.0.email")]}),
        ),
        (
            "a key that repeats, in the body or in a user",
            r#"{"users":[{"id":"a"}],"users":[]}"#.into(),
            json!({"400": "the body is not valid JSON: duplicate key `users` at line 1 column 23"}),
        ),
        (
            "a key that repeats in a user",
            "{\"users\":[{\"id\":\"a\"},\n {\"id\":\"b\",\"n\":{\"n\":1,\"n\":2}}]}".into(),
            json!({"400": "the body is not valid JSON: duplicate key `n` at line 2 column 23"}),
        ),
        (
            "bad JSON after the users",
            "{\"users\":[{\"id\":\"a\"}\n,{\"id\":\"b\",}]}".into(),
            json!({"400": "the body is not valid JSON: trailing comma at line 2 column 12"}),
        ),
        (
            "bad UTF-8 past bad JSON: UTF-8 is checked first",
            b"{\"users\":[1,]}\xff".to_vec(),
            json!({"400": "the body is not valid JSON: invalid UTF-8 at line 1 column 15"}),
        ),
        (
            "a user at 64 levels",
            format!(r#"{{"users":[{{"id":"a","x":{}}}]}}"#, nested(63)).into_bytes(),
            json!([["a", format!(r#"{{"id":"a","x":{}}}"#, nested(63))]]),
        ),
        (
            "a user at 65 levels",
            format!(r#"{{"users":[{{"id":"a","x":{}}}]}}"#, nested(64)).into_bytes(),
            json!({"422": [problem("", "a user's body is nested deeper than 64 levels", "too_deep")]}),
        ),
        (
            "an unknown key's value at 65 levels and at 66",
            format!(r#"{{"users":[{{"id":"a"}}],"x":{},"y":{}}}"#, nested(65), nested(66)).into_bytes(),
            json!({"422": [problem("", "a user's body is nested deeper than 64 levels", "too_deep")]}),
        ),
        (
            "users that are not objects, ids that are not strings or not ids",
            r#"{"users":[1,"a",null,{"id":null},{"id":5},{"name":"x"},{"id":"."},{"id":"\u0061/"}]}"#.into(),
            json!({"422": [
                problem("users.0", "expected a user object with its `id`", "type"),
                problem("users.1", "expected a user object with its `id`", "type"),
                problem("users.2", "expected a user object with its `id`", "type"),
                problem("users.3.id", "expected the user's `id`, a string", "type"),
                problem("users.4.id", "expected the user's `id`, a string", "type"),
                problem("users.5.id", "expected the user's `id`, a string", "type"),
                problem("users.6.id", "the user id must not be `.`", "format"),
                problem("users.7.id", "the user id must not contain `/`: no `/`, `#` or control characters", "format"),
            ]}),
        ),
        (
            "users past 1 MiB of compact JSON: their id is checked first",
            format!(
                r#"{{"users":[{{"z":[{zeros}],"id":"a/b"}},{{"id":"b","z":[{zeros}]}},{{"z":[{zeros}]}},{{"id":"c","s":"{}"}}]}}"#,
                "\\u00e9".repeat(524_288)
            ).into_bytes(),
            json!({"422": [
                problem("users.0.id", "the user id must not contain `/`: no `/`, `#` or control characters", "format"),
                too_large("users.1"),
                problem("users.2.id", "expected the user's `id`, a string", "type"),
                too_large("users.3"),
            ]}),
        ),
        (
            // `{"id":"d","s":"` and `"}`: 17 bytes around the text.
            "a user of exactly 1 MiB of compact JSON: checked as its identify would be",
            format!(r#"{{"users":[{{"id":"d","s":"{}"}}]}}"#, "x".repeat(1_048_576 - 17)).into_bytes(),
            json!({"422": [problem(
                "users.0",
                "custom properties take 1048567 bytes as compact JSON; the limit is 262144 (256 KiB)",
                "too_large",
            )]}),
        ),
        (
            "a user of 1 MiB and one byte of compact JSON",
            format!(r#"{{"users":[{{"id":"d","s":"{}"}}]}}"#, "x".repeat(1_048_576 - 16)).into_bytes(),
            json!({"422": [too_large("users.0")]}),
        ),
        (
            "a user within 1 MiB of compact JSON sent with more whitespace",
            format!(r#"{{"users":[{{"id":"a",{}"n":1}}]}}"#, " ".repeat(2 * 1024 * 1024)).into_bytes(),
            json!([["a", r#"{"id":"a","n":1}"#]]),
        ),
        (
            "unknown keys and users' problems share the 100 listed",
            format!(r#"{{{}"users":[{bad_users}{{"id":"last"}}]}}"#, unknown_keys(50)).into_bytes(),
            json!({"422": (0..50)
                .map(|i| unknown(&format!("k{i}")))
                .chain((0..50).map(|i| not_an_email(&format!("users.{i}.email"))))
                .chain([more(10)])
                .collect::<Vec<_>>()}),
        ),
        (
            "more than 100 unknown keys",
            format!(r#"{{{}"users":[{{"id":"a","email":"x"}}]}}"#, unknown_keys(101)).into_bytes(),
            json!({"422": (0..100).map(|i| unknown(&format!("k{i}"))).chain([more(2)]).collect::<Vec<_>>()}),
        ),
        (
            "more than 1,000 users, some bad: only their count",
            format!(r#"{{"x":1,"users":[{}{{"id":"a/b"}}]}}"#, r#"{"id":"a"},"#.repeat(MAX_BULK_USERS)).into_bytes(),
            json!({"422": [problem("users", "expected 1 to 1000 users, got 1001", "too_large")]}),
        ),
        (
            "users that are not an array",
            r#"{"users":{"0":{"id":"a"}}}"#.into(),
            json!({"422": [problem("users", "expected `users`, an array of 1 to 1000 users, each with its `id`", "type")]}),
        ),
        (
            "a body that is not an object",
            r#"[{"users":[]}]"#.into(),
            json!({"422": [problem("users", "expected `users`, an array of 1 to 1000 users, each with its `id`", "type")]}),
        ),
    ];
    for (name, body, expected) in cases {
        assert_eq!(answer(&body), expected, "{name}");
    }
}
