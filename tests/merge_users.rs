//! Merging one user into another (contract §11), in the core: a table of
//! (primary, secondary, the exact merged record), the stored bounds at and
//! past their limit, and the merge request's body with its exact problems.

use knock_identify::{
    identify, merge_from_user_id, merge_users, IdentifyError, Problem, ProblemType, StoredUser, Timestamp,
    MAX_SECTION_BYTES,
};
use serde_json::{json, Value};

const CHANNEL: &str = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
const OTHER_CHANNEL: &str = "0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e";
/// The time of every merge here: `2024-05-01T12:00:00.000Z`.
const NOW: Timestamp = Timestamp(1_714_564_800_000);

/// A record of user `id`: the user's members besides `id` and
/// `updated_at` (`"name":"Jane","plan":1`), its preference sets and its
/// channel data, each as the inside of its object.
fn record(id: &str, user: &str, preferences: &str, channel_data: &str) -> StoredUser {
    let comma = if user.is_empty() { "" } else { "," };
    let json = format!(
        r#"{{"user":{{"id":"{id}","updated_at":"2020-01-01T00:00:00.000Z"{comma}{user}}},"preferences":{{{preferences}}},"channel_data":{{{channel_data}}}}}"#
    );
    StoredUser::from_json(json.as_bytes()).unwrap_or_else(|error| panic!("{error}: {json}"))
}

fn merged(primary: &StoredUser, secondary: &StoredUser) -> Result<StoredUser, IdentifyError> {
    merge_users(primary.as_json().as_bytes(), secondary.as_json().as_bytes(), NOW)
}

/// The standard fields of a user, all `null` but those given, as a record writes them.
fn fields(set: &[(&str, &str)]) -> String {
    ["avatar", "created_at", "email", "locale", "name", "phone_number", "timezone"]
        .iter()
        .map(|field| {
            let value = set.iter().find(|(key, _)| key == field).map_or("null", |(_, value)| value);
            format!(r#""{field}":{value}"#)
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The merged record of user-1 as the core writes it.
fn expected(standard: &[(&str, &str)], custom: &str, preferences: &str, channel_data: &str) -> String {
    let comma = if custom.is_empty() { "" } else { "," };
    format!(
        r#"{{"user":{{"__typename":"User","id":"user-1",{},"updated_at":"2024-05-01T12:00:00.000Z"{comma}{custom}}},"preferences":{{{preferences}}},"channel_data":{{{channel_data}}}}}"#,
        fields(standard)
    )
}

#[test]
fn the_primary_wins_every_conflict_and_takes_what_it_lacks_or_holds_as_null() {
    let tokens = |channel: &str, token: &str| format!(r#""{channel}":{{"tokens":["{token}"]}}"#);
    // (primary, secondary, merged)
    let cases = [
        // The invited user's email reaches the signed-up user; the primary's name stays.
        (
            record("user-1", r#""name":"Jane","email":null"#, "", ""),
            record("invite-7", r#""name":"J.","email":"jane@example.com","phone_number":"+14155552671""#, "", ""),
            expected(
                &[("email", r#""jane@example.com""#), ("name", r#""Jane""#), ("phone_number", r#""+14155552671""#)],
                "",
                "",
                "",
            ),
        ),
        // A standard field null on both sides stays null; created_at is a standard field too.
        (
            record("user-1", r#""created_at":null,"locale":null"#, "", ""),
            record("user-2", r#""created_at":"2023-01-01T00:00:00Z","locale":null"#, "", ""),
            expected(&[("created_at", r#""2023-01-01T00:00:00Z""#)], "", "", ""),
        ),
        // Custom properties merge deeply: the primary's keys in order, then the secondary's others.
        (
            record("user-1", r#""plan":{"tier":"pro","limits":{"seats":3}},"b":1,"n":null"#, "", ""),
            record(
                "user-2",
                r#""a":0,"plan":{"limits":{"seats":9,"rooms":2},"since":2021,"tier":"free"},"n":{"x":1}"#,
                "",
                "",
            ),
            expected(
                &[],
                r#""plan":{"tier":"pro","limits":{"seats":3,"rooms":2},"since":2021},"b":1,"n":{"x":1},"a":0"#,
                "",
                "",
            ),
        ),
        // A change of type, an array or a scalar: the primary's value stays; `null` inside an object is taken too.
        (
            record("user-1", r#""p":[1,2],"q":"text","r":{"s":null,"t":[]},"u":0"#, "", ""),
            record("user-2", r#""p":{"x":1},"q":{"y":2},"r":{"s":{"deep":true},"t":[9]},"u":null"#, "", ""),
            expected(&[], r#""p":[1,2],"q":"text","r":{"s":{"deep":true},"t":[]},"u":0"#, "", ""),
        ),
        // Numbers and strings are kept exactly as written.
        (
            record("user-1", r#""big":12345678901234567890"#, "", ""),
            record("user-2", r#""small":0.1000,"name":"Jo\u00e9""#, "", ""),
            expected(&[("name", r#""Joé""#)], r#""big":12345678901234567890,"small":0.1000"#, "", ""),
        ),
        // Preference sets by id, whole: the primary's kept as they are, the secondary's others added.
        (
            record("user-1", "", r#""default":{"channel_types":{"email":false}}"#, ""),
            record(
                "user-2",
                "",
                r#""tenant-a":{"workflows":{"w":true}},"default":{"channel_types":{"sms":true},"workflows":{"x":false}}"#,
                "",
            ),
            expected(&[], "", r#""default":{"channel_types":{"email":false}},"tenant-a":{"workflows":{"w":true}}"#, ""),
        ),
        // Channel data by channel, whole.
        (
            record("user-1", "", "", &tokens(CHANNEL, "a")),
            record("user-2", "", "", &format!("{},{}", tokens(OTHER_CHANNEL, "c"), tokens(CHANNEL, "b"))),
            expected(&[], "", "", &format!("{},{}", tokens(CHANNEL, "a"), tokens(OTHER_CHANNEL, "c"))),
        ),
        // An empty secondary changes nothing but updated_at.
        (
            record("user-1", r#""name":"Jane","x":{"y":1}"#, r#""default":{}"#, &tokens(CHANNEL, "a")),
            record("user-2", "", "", ""),
            expected(&[("name", r#""Jane""#)], r#""x":{"y":1}"#, r#""default":{}"#, &tokens(CHANNEL, "a")),
        ),
        // An empty primary takes everything.
        (
            record("user-1", "", "", ""),
            record("user-2", r#""name":"Jo","x":[1]"#, r#""default":{"workflows":null}"#, &tokens(CHANNEL, "a")),
            expected(&[("name", r#""Jo""#)], r#""x":[1]"#, r#""default":{"workflows":null}"#, &tokens(CHANNEL, "a")),
        ),
    ];
    for (primary, secondary, expected) in cases {
        let merged = merged(&primary, &secondary).unwrap_or_else(|error| panic!("{error:?}: {primary:?}"));
        assert_eq!(merged.as_json(), expected, "{primary:?} <- {secondary:?}");
        // Read back as itself: the merged record is canonical.
        assert_eq!(StoredUser::from_json(merged.as_json().as_bytes()).expect("readable"), merged);
        // Merging the same secondary again changes nothing but updated_at.
        let again = merge_users(merged.as_json().as_bytes(), secondary.as_json().as_bytes(), Timestamp(0)).unwrap();
        assert_eq!(again.as_json().replace("1970-01-01T00:00:00.000Z", "2024-05-01T12:00:00.000Z"), merged.as_json());
    }
}

#[test]
fn identified_users_merge_as_the_worker_merges_them() {
    let primary = identify(None, "user-1", br#"{"name": "Jane", "plan": {"tier": "pro"}}"#, NOW).unwrap();
    let secondary = identify(
        None,
        "anon-1",
        format!(r#"{{"email": "jane@example.com", "plan": {{"seats": 2}}, "channel_data": {{"{CHANNEL}": {{"tokens": ["t"]}}}}}}"#)
            .as_bytes(),
        NOW,
    )
    .unwrap();
    let merged = merged(&primary, &secondary).unwrap();
    assert_eq!(
        merged.user_json(),
        r#"{"__typename":"User","id":"user-1","avatar":null,"created_at":null,"email":"jane@example.com","locale":null,"name":"Jane","phone_number":null,"timezone":null,"updated_at":"2024-05-01T12:00:00.000Z","plan":{"tier":"pro","seats":2}}"#
    );
    assert_eq!(merged.channel_data_json(), format!(r#"{{"{CHANNEL}":{{"tokens":["t"]}}}}"#));
    assert_eq!(merged.user_id(), "user-1");
}

/// A record of `id` holding one entry, `key`, in its custom properties,
/// preferences or channel data (`section` 0, 1 or 2), that part taking
/// exactly `bytes` as compact JSON.
fn sized(id: &str, section: usize, key: &str, bytes: usize) -> StoredUser {
    let build = |filler: &str| match section {
        0 => record(id, &format!(r#""{key}":"{filler}""#), "", ""),
        1 => record(id, "", &format!(r#""{key}":{{"workflows":{{"w{filler}":true}}}}"#), ""),
        _ => record(id, "", "", &format!(r#""{key}":{{"tokens":["{filler}"]}}"#)),
    };
    let size = |user: &StoredUser| match section {
        // The one property as an object: `{"k":"…"}`, the user's JSON less the user without it.
        0 => user.user_json().len() - record(id, "", "", "").user_json().len() + 1,
        1 => user.preferences_json().len(),
        _ => user.channel_data_json().len(),
    };
    let filled = build(&"x".repeat(bytes - size(&build(""))));
    assert_eq!(size(&filled), bytes);
    filled
}

#[test]
fn the_merged_user_obeys_every_stored_bound() {
    let sections = [
        ("", "custom properties", "k"),
        ("preferences", "preferences", "s"),
        ("channel_data", "channel data", CHANNEL),
    ];
    for (section, (field, name, key)) in sections.into_iter().enumerate() {
        let other_key = if section == 2 { OTHER_CHANNEL } else { "m" };
        // Two objects of a and b bytes merged: a + b - 1 (one pair of braces less, one comma more).
        let half = MAX_SECTION_BYTES / 2;
        let primary = sized("user-1", section, key, half);
        let at_limit = sized("user-2", section, other_key, MAX_SECTION_BYTES - half + 1);
        assert!(merged(&primary, &at_limit).is_ok(), "{name} at the limit");
        let past = sized("user-2", section, other_key, MAX_SECTION_BYTES - half + 2);
        assert_eq!(
            merged(&primary, &past),
            Err(IdentifyError::InvalidParams(vec![Problem {
                field: field.to_owned(),
                message: format!(
                    "after this merge the user's {name} would take 262145 bytes as compact JSON; the limit is 262144 (256 KiB): nothing was changed"
                ),
                kind: ProblemType::TooLarge,
            }])),
            "{name} one byte past the limit"
        );
        // A primary stored past the limit before the limits may stay so: a
        // secondary that adds nothing to that part merges; one that adds is refused.
        let legacy = sized("user-1", section, key, MAX_SECTION_BYTES + 10);
        let nothing_to_add = record("user-2", r#""name":"Jo""#, "", "");
        assert!(merged(&legacy, &nothing_to_add).is_ok(), "{name}: a legacy part that stays");
        let adds = sized("user-2", section, other_key, 100);
        assert!(
            matches!(merged(&legacy, &adds), Err(IdentifyError::InvalidParams(_))),
            "{name}: a legacy part that grows"
        );
    }
}

#[test]
fn every_part_past_its_bound_is_one_problem() {
    let filler = "x".repeat(MAX_SECTION_BYTES / 2 + 10);
    let user = |id: &str, key: &str, channel: &str| {
        record(
            id,
            &format!(r#""{key}":"{filler}""#),
            &format!(r#""{key}":{{"workflows":{{"{filler}":true}}}}"#),
            &format!(r#""{channel}":{{"tokens":["{filler}"]}}"#),
        )
    };
    let Err(IdentifyError::InvalidParams(problems)) =
        merged(&user("user-1", "a", CHANNEL), &user("user-2", "b", OTHER_CHANNEL))
    else {
        panic!("refused")
    };
    let fields: Vec<&str> = problems.iter().map(|problem| problem.field.as_str()).collect();
    assert_eq!(fields, ["", "preferences", "channel_data"]);
}

#[test]
fn an_unreadable_record_is_an_internal_error_never_a_merge() {
    let user = record("user-1", "", "", "");
    for bad in [&b"{"[..], b"[]", br#"{"user":{"id":"x"}}"#] {
        assert!(matches!(
            merge_users(bad, user.as_json().as_bytes(), NOW),
            Err(IdentifyError::InvalidStoredRecord { .. })
        ));
        assert!(matches!(
            merge_users(user.as_json().as_bytes(), bad, NOW),
            Err(IdentifyError::InvalidStoredRecord { .. })
        ));
    }
}

/// The problems of a refused merge body, as JSON.
fn problems(user_id: &str, body: &[u8]) -> Value {
    match merge_from_user_id(user_id, body) {
        Err(IdentifyError::InvalidParams(problems)) => serde_json::to_value(problems).unwrap(),
        other => panic!("expected a 422, got {other:?}"),
    }
}

#[test]
fn the_merge_body_names_another_valid_user() {
    assert_eq!(merge_from_user_id("user-1", br#"{"from_user_id": "user-2"}"#).unwrap(), "user-2");
    assert_eq!(merge_from_user_id("user-1", br#"{"from_user_id": "J\u00fcrgen \ud83d\ude00"}"#).unwrap(), "Jürgen 😀");
    assert_eq!(
        merge_from_user_id("user-1", format!(r#"{{"from_user_id": "{}"}}"#, "😀".repeat(256)).as_bytes())
            .unwrap()
            .chars()
            .count(),
        256
    );
    // (body, problems)
    let cases: Vec<(String, Value)> = vec![
        (
            "{}".into(),
            json!([{"field": "from_user_id", "message": "expected `from_user_id`, the id of the user to merge into `user-1`", "type": "format"}]),
        ),
        (
            r#"{"from_user_id": null}"#.into(),
            json!([{"field": "from_user_id", "message": "expected the id of the user to merge (a string), got null", "type": "type"}]),
        ),
        (
            r#"{"from_user_id": ["user-2"]}"#.into(),
            json!([{"field": "from_user_id", "message": "expected the id of the user to merge (a string), got an array", "type": "type"}]),
        ),
        (
            r#"{"from_user_id": ""}"#.into(),
            json!([{"field": "from_user_id", "message": "the user id must not be empty", "type": "format"}]),
        ),
        (
            r#"{"from_user_id": "a/b"}"#.into(),
            json!([{"field": "from_user_id", "message": "the user id must not contain `/`: no `/`, `#` or control characters", "type": "format"}]),
        ),
        (
            r#"{"from_user_id": ".."}"#.into(),
            json!([{"field": "from_user_id", "message": "the user id must not be `..`", "type": "format"}]),
        ),
        (
            format!(r#"{{"from_user_id": "{}"}}"#, "a".repeat(257)),
            json!([{"field": "from_user_id", "message": "expected at most 256 characters, got 257", "type": "too_long"}]),
        ),
        (
            r#"{"from_user_id": "user-1"}"#.into(),
            json!([{"field": "from_user_id", "message": "expected another user's id: `user-1` is the user merged into", "type": "mismatch"}]),
        ),
        (
            r#"{"user_id": "user-2", "from_user_id": 7, "x": 1}"#.into(),
            json!([
                {"field": "user_id", "message": "unknown key `user_id`; expected `from_user_id`", "type": "unknown_value"},
                {"field": "from_user_id", "message": "expected the id of the user to merge (a string), got a number", "type": "type"},
                {"field": "x", "message": "unknown key `x`; expected `from_user_id`", "type": "unknown_value"},
            ]),
        ),
        (
            "[]".into(),
            json!([{"field": "", "message": "expected the body to be a JSON object, got an array", "type": "type"}]),
        ),
        (
            format!("{}{}", "[".repeat(65), "]".repeat(65)),
            json!([{"field": "", "message": "the body is nested deeper than 64 levels", "type": "too_deep"}]),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(problems("user-1", body.as_bytes()), expected, "{body}");
    }
    // The path's id is checked too, first.
    assert_eq!(
        problems("a/b", br#"{"from_user_id": "user-2"}"#),
        json!([{"field": "user_id", "message": "the user id must not contain `/`: no `/`, `#` or control characters", "type": "format"}])
    );
    // Keys past 100 problems are counted, not listed.
    let many: String = (0..150).map(|i| format!(r#""k{i}":0,"#)).collect();
    let refused = problems("user-1", format!(r#"{{{many}"from_user_id":"user-2"}}"#).as_bytes());
    assert_eq!(refused.as_array().unwrap().len(), 101);
    assert_eq!(refused[100]["type"], "too_many_problems");
    assert_eq!(
        refused[100]["message"],
        "50 more problems not listed: an answer lists at most 100; fix these and send the request again"
    );
    assert!(matches!(merge_from_user_id("user-1", b"{"), Err(IdentifyError::InvalidJson { .. })));
    assert!(matches!(merge_from_user_id("user-1", &vec![b' '; 1_048_577]), Err(IdentifyError::RequestTooLarge)));
}
