//! A valid request kept apart from its body, as the package keeps the body
//! `validate` last found valid for the `merge` that follows (the fixture
//! corpus checks every valid case both ways, tests/support).

use knock_identify::{identify, parse_request, Timestamp};

fn now() -> Timestamp {
    Timestamp::from_millis(1_717_200_000_000)
}

#[test]
fn a_kept_request_is_for_its_own_user_id_and_bytes_only() {
    let body = br#"{"name":"Jane"}"#;
    let kept = parse_request("user-1", body).unwrap().keep();
    assert!(kept.is_for("user-1", body));
    assert!(!kept.is_for("user-2", body));
    assert!(!kept.is_for("user-1", br#"{"name":"Jane" }"#));
    assert!(!kept.is_for("user-1", br#"{"name":"Jan"}"#));
    assert!(!kept.is_for("user-1", b""));
}

#[test]
fn a_kept_request_outlives_its_body_and_merges_as_identify_does() {
    // Escapes, so the decoded strings travel with the kept request too.
    let text = r#"{"name":"Ren\u00e9e \"R\"","plan":{"tier":"pro","seats":3},"preferences":{"default":{"workflows":{"w":true}}}}"#;
    let stored = identify(None, "user-1", br#"{"email":"r@example.com","plan":{"seats":1}}"#, now()).unwrap();
    let kept = {
        let body = text.as_bytes().to_vec();
        parse_request("user-1", &body).unwrap().keep()
    };
    let merged = kept.merge(Some(stored.as_json().as_bytes()), now()).unwrap();
    let identified = identify(Some(stored.as_json().as_bytes()), "user-1", text.as_bytes(), now()).unwrap();
    assert_eq!(merged.as_json(), identified.as_json());
    assert!(merged.user_json().contains(r#""name":"Renée \"R\"""#), "{}", merged.user_json());
}
