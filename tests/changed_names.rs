//! What a write changed, for a user's change history (contract §9): a
//! table of (the user before, the user after, the exact names), with
//! records written out here, and a few identifies as the Worker makes them.

use knock_identify::{changed_names, identify, StoredUser, Timestamp};

const CHANNEL: &str = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
const OTHER_CHANNEL: &str = "0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e";

/// A record with the user's members besides `id` and `updated_at`
/// (`"name":"Jane","plan":1`), its preference sets and its channel data.
fn record(user: &str, preferences: &str, channel_data: &str) -> StoredUser {
    record_at("2024-05-01T12:00:00.000Z", user, preferences, channel_data)
}

fn record_at(updated_at: &str, user: &str, preferences: &str, channel_data: &str) -> StoredUser {
    let comma = if user.is_empty() { "" } else { "," };
    let json = format!(
        r#"{{"user":{{"id":"user-1","updated_at":"{updated_at}"{comma}{user}}},"preferences":{{{preferences}}},"channel_data":{{{channel_data}}}}}"#
    );
    StoredUser::from_json(json.as_bytes()).unwrap_or_else(|error| panic!("{error}: {json}"))
}

#[test]
fn a_change_names_fields_then_properties_sets_and_channels() {
    let tokens = |token: &str| format!(r#""{CHANNEL}":{{"tokens":["{token}"]}}"#);
    let everything = record(
        r#""timezone":"UTC","name":"Jane","email":"jane@example.com","avatar":null,"b":1,"a":{"x":[1]}"#,
        r#""default":{"channel_types":{"email":true}},"weekly":{}"#,
        &tokens("t1"),
    );
    let cases: Vec<(Option<StoredUser>, StoredUser, &[&str])> = vec![
        // A new user: every field that is not null, every property, set and channel, in their order.
        (
            None,
            everything.clone(),
            &[
                "email",
                "name",
                "timezone",
                "custom.b",
                "custom.a",
                "preferences.default",
                "preferences.weekly",
                "channel_data.97c5837d-c65c-4d54-aa39-080eeb81c69d",
            ],
        ),
        (None, record("", "", ""), &[]),
        (None, record(r#""name":null,"locale":null"#, "", ""), &[]),
        // Only `updated_at` (and `id`, `__typename`) differ: nothing changed.
        (Some(everything.clone()), everything.clone(), &[]),
        (
            Some(everything.clone()),
            record_at(
                "2030-01-01T00:00:00.000Z",
                r#""timezone":"UTC","name":"Jane","email":"jane@example.com","b":1,"a":{"x":[1]}"#,
                r#""default":{"channel_types":{"email":true}},"weekly":{}"#,
                &tokens("t1"),
            ),
            &[],
        ),
        // Standard fields: set, changed, unset; in the response's order.
        (
            Some(record(r#""phone_number":"+14155552671","email":"a@example.com","name":"A""#, "", "")),
            record(
                r#""phone_number":null,"email":"a@example.com","name":"B","created_at":"2024-01-01T00:00:00Z","locale":"en""#,
                "",
                "",
            ),
            &["created_at", "locale", "name", "phone_number"],
        ),
        // Custom properties: added or changed in the after's order, then removed in the before's.
        (
            Some(record(r#""a":1,"b":2,"c":3,"e":5"#, "", "")),
            record(r#""c":3,"d":4,"a":6"#, "", ""),
            &["custom.d", "custom.a", "custom.b", "custom.e"],
        ),
        // Values compare as their canonical text: numbers as written, key order counts, nested changes count.
        (Some(record(r#""n":1"#, "", "")), record(r#""n":1.0"#, "", ""), &["custom.n"]),
        (Some(record(r#""n":"1""#, "", "")), record(r#""n":1"#, "", ""), &["custom.n"]),
        (Some(record(r#""o":{"a":1,"b":2}"#, "", "")), record(r#""o":{"b":2,"a":1}"#, "", ""), &["custom.o"]),
        (
            Some(record(r#""o":{"a":[1,{"b":null}]}"#, "", "")),
            record(r#""o":{"a":[1,{"b":false}]}"#, "", ""),
            &["custom.o"],
        ),
        (Some(record(r#""s":"é\n""#, "", "")), record(r#""s":"\u00e9\u000a""#, "", ""), &[]),
        (Some(record(r#""x":null"#, "", "")), record("", "", ""), &["custom.x"]),
        (Some(record("", "", "")), record(r#""x":null"#, "", ""), &["custom.x"]),
        // Preference sets and channels: changed, added, removed; one entry each, however deep the change.
        (
            Some(record("", r#""default":{"workflows":{"a":true}},"gone":{}"#, "")),
            record("", r#""new":{},"default":{"workflows":{"a":false}}"#, ""),
            &["preferences.new", "preferences.default", "preferences.gone"],
        ),
        (
            Some(record("", "", &format!(r#"{},"{OTHER_CHANNEL}":{{"tokens":[]}}"#, tokens("t1")))),
            record("", "", &tokens("t2")),
            &["channel_data.97c5837d-c65c-4d54-aa39-080eeb81c69d", "channel_data.0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e"],
        ),
        (
            Some(everything.clone()),
            record("", "", ""),
            &[
                "email",
                "name",
                "timezone",
                "custom.b",
                "custom.a",
                "preferences.default",
                "preferences.weekly",
                "channel_data.97c5837d-c65c-4d54-aa39-080eeb81c69d",
            ],
        ),
    ];
    for (before, after, expected) in cases {
        assert_eq!(changed_names(before.as_ref(), &after), expected, "{:?} -> {:?}", before, after);
    }
}

#[test]
fn groups_of_many_keys_are_compared_key_by_key() {
    // Past the few keys a scan would do: 40 properties, reversed, one changed, one removed, one added.
    let before: Vec<String> = (0..40).map(|n| format!(r#""k{n:02}":{n}"#)).collect();
    let mut after: Vec<String> = (0..40)
        .rev()
        .filter(|&n| n != 20)
        .map(|n| if n == 7 { r#""k07":"seven""#.to_owned() } else { format!(r#""k{n:02}":{n}"#) })
        .collect();
    after.insert(5, r#""k40":40"#.to_owned());
    let names = changed_names(Some(&record(&before.join(","), "", "")), &record(&after.join(","), "", ""));
    assert_eq!(names, ["custom.k40", "custom.k07", "custom.k20"]);
}

#[test]
fn identifies_name_what_they_changed() {
    let now = Timestamp::from_millis(1_714_564_800_000);
    let write = |before: Option<&StoredUser>, body: &str| {
        identify(before.map(|user| user.as_json().as_bytes()), "user-1", body.as_bytes(), now).expect("valid")
    };
    let first = write(None, r#"{"name": "Jane", "plan": {"tier": "free"}}"#);
    let cases: [(&str, &[&str]); 6] = [
        (r#"{}"#, &[]),
        (r#"{"name": "Jane", "plan": {"tier": "free"}}"#, &[]),
        // A merge that leaves the property as it was changes nothing.
        (r#"{"plan": {}}"#, &[]),
        (r#"{"plan": {"seats": 3}, "name": null}"#, &["name", "custom.plan"]),
        (r#"{"preferences": {"default": {"channel_types": {"email": false}}}}"#, &["preferences.default"]),
        (
            r#"{"channel_data": {"97c5837d-c65c-4d54-aa39-080eeb81c69d": {"tokens": ["t"]}}, "email": "jane@example.com"}"#,
            &["email", "channel_data.97c5837d-c65c-4d54-aa39-080eeb81c69d"],
        ),
    ];
    for (body, expected) in cases {
        let after = write(Some(&first), body);
        assert_eq!(changed_names(Some(&first), &after), expected, "{body}");
    }
    assert_eq!(changed_names(None, &first), ["name", "custom.plan"]);
}
