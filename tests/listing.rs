//! What the users index keeps of a record and how a listed user is
//! answered (contract §10): each stored user with its exact email and
//! preference sets, as the list's `email` filter and
//! `include[]=preferences` see them.

use knock_identify::{
    identify, list_entry, listed_email, preference_set_answer, preference_sets_answer, StoredUser, Timestamp,
};

fn stored(body: &str) -> StoredUser {
    identify(None, "user-1", body.as_bytes(), Timestamp::from_millis(1_714_564_800_000)).expect("a valid identify")
}

#[test]
fn the_email_of_a_user_nested_as_deep_as_a_body_may_be_is_listed() {
    // A custom property 63 levels down: the body, and the user, are 64 deep.
    let body = format!(r#"{{"email": "deep@example.com", "deep": {}1{}}}"#, "[".repeat(63), "]".repeat(63));
    assert_eq!(listed_email(&stored(&body)).as_deref(), Some("deep@example.com"));
}

#[test]
fn the_index_keeps_the_email_exactly_and_every_set_as_its_route_answers_it() {
    let cases: [(&str, Option<&str>, &str); 5] = [
        ("{}", None, "[]"),
        (r#"{"email": null, "preferences": null}"#, None, "[]"),
        (r#"{"email": "Jane.Doe@Example.com"}"#, Some("Jane.Doe@Example.com"), "[]"),
        (
            r#"{"email": "j\u00e9@exampl\u00e9.com", "preferences": {"default": {"channel_types": {"email": false}, "commercial_subscribed": true}}}"#,
            Some("jé@examplé.com"),
            r#"[{"__typename":"PreferenceSet","id":"default","categories":null,"channel_types":{"email":false},"workflows":null,"commercial_subscribed":true}]"#,
        ),
        (
            r#"{"preferences": {"z-set": {"workflows": {"w": true}}, "a-set": {"categories": {"c": {"channel_types": {"sms": false}}}}, "empty": {}}}"#,
            None,
            concat!(
                r#"[{"__typename":"PreferenceSet","id":"z-set","categories":null,"channel_types":null,"workflows":{"w":true}},"#,
                r#"{"__typename":"PreferenceSet","id":"a-set","categories":{"c":{"channel_types":{"sms":false}}},"channel_types":null,"workflows":null},"#,
                r#"{"__typename":"PreferenceSet","id":"empty","categories":null,"channel_types":null,"workflows":null}]"#
            ),
        ),
    ];
    for (body, email, sets) in cases {
        let user = stored(body);
        assert_eq!(listed_email(&user).as_deref(), email, "{body}");
        assert_eq!(preference_sets_answer(&user), sets, "{body}");
    }
    // Each set listed is its own route's answer, in the record's order.
    let user = stored(r#"{"preferences": {"b": {"channel_types": {"push": true}}, "a": {}}}"#);
    let one_by_one = format!("[{},{}]", preference_set_answer(&user, "b"), preference_set_answer(&user, "a"));
    assert_eq!(preference_sets_answer(&user), one_by_one);
}

#[test]
fn a_listed_user_is_the_user_and_with_its_sets_last() {
    let user = stored(r#"{"name": "Jane", "plan": {"tier": "pro"}, "preferences": {"default": {}}}"#);
    let plain = list_entry(user.user_json(), None);
    assert_eq!(plain, user.user_json());
    let with_sets = list_entry(user.user_json(), Some(&preference_sets_answer(&user)));
    assert_eq!(
        with_sets,
        format!(
            r#"{},"preferences":[{{"__typename":"PreferenceSet","id":"default","categories":null,"channel_types":null,"workflows":null}}]}}"#,
            user.user_json().strip_suffix('}').unwrap()
        )
    );
    assert!(with_sets.ends_with(r#""plan":{"tier":"pro"},"preferences":[{"__typename":"PreferenceSet","id":"default","categories":null,"channel_types":null,"workflows":null}]}"#));
}
