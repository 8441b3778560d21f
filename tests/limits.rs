//! Every limit of contract §1–§3 at its bound (accepted) and one past it
//! (refused), through the native core, with bodies generated here and
//! measured here before they are sent. The fixture corpus holds some of
//! these pairs too (and runs them in every layer): the first test checks
//! that each such pair really sits on its bound, the others fill the gaps
//! (bytes against characters, sizes as written rather than as sent, merges,
//! keys of every kind, depth in every part, the problem count).
//!
//! The numbers are the contract's, written out here, never the core's constants.

#[macro_use]
#[allow(dead_code)] // parts serve the fixture runners only
mod support;

use knock_identify::{identify, IdentifyError, ProblemType, StoredUser, Timestamp};
use serde_json::{json, Map, Value};

/// §2: the body, at most 1 MiB.
const BODY_BYTES: usize = 1_048_576;
/// §2: custom properties, preferences, channel data, each as compact JSON.
const SECTION_BYTES: usize = 262_144;
/// §1, §2: ids and keys, in characters.
const KEY_CHARS: usize = 256;
/// §2: nesting, the body object being level 1.
const DEPTH: usize = 64;
/// §2: problems listed in one answer.
const PROBLEMS: usize = 100;

const NOW: Timestamp = Timestamp(1_717_200_000_000);
const CHANNEL: &str = "97c5837d-c65c-4d54-aa39-080eeb81c69d";
const OTHER_CHANNEL: &str = "0a6e8e4f-4a3c-4b0e-9a59-5d6a0b1c2d3e";
/// The keys of a body that are not custom properties (§2's field table).
const REQUEST_FIELDS: [&str; 12] = [
    "avatar",
    "created_at",
    "email",
    "locale",
    "name",
    "phone_number",
    "timezone",
    "preferences",
    "channel_data",
    "id",
    "__typename",
    "updated_at",
];

fn accepted(stored: Option<&StoredUser>, body: &[u8]) -> StoredUser {
    identify(stored.map(|record| record.as_json().as_bytes()), "user-1", body, NOW)
        .unwrap_or_else(|error| panic!("refused: {error} {:?}", error.problems()))
}

fn refused(stored: Option<&StoredUser>, body: &[u8]) -> IdentifyError {
    match identify(stored.map(|record| record.as_json().as_bytes()), "user-1", body, NOW) {
        Ok(_) => panic!("accepted a body of {} bytes", body.len()),
        Err(error) => error,
    }
}

/// A 422's problems as the answer lists them.
fn problems(error: &IdentifyError) -> Value {
    assert_eq!((error.status(), error.code()), (422, "invalid_params"), "{error}");
    serde_json::to_value(error.problems()).expect("problems serialize")
}

fn one_problem(field: &str, message: &str, kind: &str) -> Value {
    json!([{ "field": field, "message": message, "type": kind }])
}

fn compact_len(value: &Value) -> usize {
    serde_json::to_string(value).expect("JSON").len()
}

/// The custom properties of a body or a user, as one object.
fn custom_properties(object: &Value) -> Value {
    let map: Map<String, Value> = object
        .as_object()
        .expect("an object")
        .iter()
        .filter(|(key, _)| !REQUEST_FIELDS.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(map)
}

/// The stored user's custom properties, as compact JSON, in bytes.
fn stored_custom_len(record: &StoredUser) -> usize {
    compact_len(&custom_properties(&serde_json::from_str(record.user_json()).expect("the user is JSON")))
}

/// The deepest nesting of a JSON text (the outermost container is level 1).
fn depth_of(bytes: &[u8]) -> usize {
    let (mut depth, mut deepest, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            b']' | b'}' => depth -= 1,
            _ => {}
        }
    }
    deepest
}

/// Text whose JSON string, as the core writes it, takes exactly `written`
/// bytes between its quotes, sent as `\u00e9` escapes (six bytes of body
/// for two written: sizes are measured as written, not as sent).
fn escaped_text(written: usize) -> (String, String) {
    let sent = format!("{}{}", "x".repeat(written % 2), "\\u00e9".repeat(written / 2));
    let stored = format!("{}{}", "x".repeat(written % 2), "é".repeat(written / 2));
    (sent, stored)
}

// ---------------------------------------------------------------------------
// The corpus's pairs sit on their bounds.

fn fixture(name: &str) -> Value {
    let (_, text) = support::FIXTURES.iter().find(|(file, _)| *file == name).unwrap_or_else(|| panic!("no {name}"));
    serde_json::from_str(text).expect("a fixture is JSON")
}

fn fixture_body(name: &str) -> Value {
    serde_json::from_slice(&support::case_body(&fixture(name))).expect("the body is JSON")
}

/// The length in characters of each key of `object` (a JSON object).
fn key_lengths(object: &Value) -> Vec<usize> {
    object.as_object().expect("an object").keys().map(|key| key.chars().count()).collect()
}

/// The merged size of a `merge_*` case, by §3's rules applied here (not by the core).
fn merged_len(name: &str, part: &str) -> usize {
    let case = fixture(name);
    let mut bodies: Vec<Value> =
        support::case_before(&case).iter().map(|body| serde_json::from_slice(body).expect("JSON")).collect();
    bodies.push(fixture_body(name));
    let mut merged = json!({});
    for body in bodies {
        match part {
            "custom" => deep_merge(&mut merged, &custom_properties(&body)),
            "preferences" => {
                for (id, set) in body["preferences"].as_object().into_iter().flatten() {
                    let mut set = set.clone();
                    let replace = set.as_object_mut().and_then(|s| s.remove("__persistence_strategy__"))
                        == Some(json!("replace"));
                    if replace || !merged[id].is_object() {
                        merged[id] = set;
                    } else {
                        deep_merge(&mut merged[id], &set);
                    }
                }
            }
            _ => {
                for (id, data) in body["channel_data"].as_object().into_iter().flatten() {
                    if data.is_null() {
                        merged.as_object_mut().unwrap().remove(id);
                    } else {
                        merged[id] = data.clone();
                    }
                }
            }
        }
    }
    compact_len(&merged)
}

/// §3: objects merge key by key; anything else is replaced.
fn deep_merge(stored: &mut Value, sent: &Value) {
    match (stored.as_object_mut(), sent.as_object()) {
        (Some(stored), Some(sent)) => {
            for (key, value) in sent {
                match stored.get_mut(key) {
                    Some(old) if old.is_object() && value.is_object() => deep_merge(old, value),
                    _ => {
                        stored.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        _ => *stored = sent.clone(),
    }
}

#[test]
fn the_corpus_limit_pairs_sit_on_their_bounds() {
    let body_len = |name: &str| support::case_body(&fixture(name)).len();
    let body_depth = |name: &str| depth_of(&support::case_body(&fixture(name)));
    let custom = |name: &str| compact_len(&custom_properties(&fixture_body(name)));
    let part = |key: &'static str| move |name: &str| compact_len(&fixture_body(name)[key]);
    let user_id = |name: &str| fixture(name)["user_id"].as_str().unwrap().chars().count();
    let set_id = |name: &str| key_lengths(&fixture_body(name)["preferences"])[0];
    let custom_key = |name: &str| key_lengths(&custom_properties(&fixture_body(name)))[0];
    let field_bytes = |key: &'static str| move |name: &str| fixture_body(name)[key].as_str().unwrap().len();
    let field_chars = |key: &'static str| move |name: &str| fixture_body(name)[key].as_str().unwrap().chars().count();
    let local_part = |name: &str| fixture_body(name)["email"].as_str().unwrap().split('@').next().unwrap().len();
    let digits = |name: &str| fixture_body(name)["phone_number"].as_str().unwrap().len() - 1;
    let listed = |name: &str| fixture(name)["expect"]["errors"].as_array().unwrap().len();
    type Measure<'a> = &'a dyn Fn(&str) -> usize;
    // (what, measure, bound, the case at it, the case one past it)
    let pairs: [(&str, Measure, usize, &str, &str); 15] = [
        ("body bytes", &body_len, BODY_BYTES, "body_exactly_1_mib.json", "body_1_mib_and_one_byte.json"),
        ("depth", &body_depth, DEPTH, "body_depth_64.json", "body_depth_65.json"),
        (
            "custom",
            &custom,
            SECTION_BYTES,
            "custom_properties_at_the_limit.json",
            "custom_properties_one_byte_past_the_limit.json",
        ),
        (
            "preferences",
            &part("preferences"),
            SECTION_BYTES,
            "preferences_at_the_limit.json",
            "preferences_one_byte_past_the_limit.json",
        ),
        (
            "channel data",
            &part("channel_data"),
            SECTION_BYTES,
            "channel_data_at_the_limit.json",
            "channel_data_one_byte_past_the_limit.json",
        ),
        (
            "merged custom",
            &|name| merged_len(name, "custom"),
            SECTION_BYTES,
            "merge_custom_properties_at_the_limit.json",
            "merge_custom_properties_one_byte_past_the_limit.json",
        ),
        (
            "merged preferences",
            &|name| merged_len(name, "preferences"),
            SECTION_BYTES,
            "merge_preferences_at_the_limit.json",
            "merge_preferences_one_byte_past_the_limit.json",
        ),
        (
            "merged channel data",
            &|name| merged_len(name, "channel_data"),
            SECTION_BYTES,
            "merge_channel_data_at_the_limit.json",
            "merge_channel_data_one_byte_past_the_limit.json",
        ),
        ("user id", &user_id, KEY_CHARS, "user_id_256_chars.json", "user_id_257_chars.json"),
        ("set id", &set_id, KEY_CHARS, "preferences_set_id_256_chars.json", "preferences_set_id_257_chars.json"),
        ("custom key", &custom_key, KEY_CHARS, "custom_key_256_chars.json", "custom_key_too_long.json"),
        ("name", &field_chars("name"), 1024, "name_1024_chars.json", "name_too_long.json"),
        ("avatar", &field_bytes("avatar"), 2048, "avatar_2048_bytes.json", "avatar_too_long.json"),
        ("email", &field_bytes("email"), 254, "email_254_bytes.json", "email_too_long.json"),
        ("problems", &listed, PROBLEMS, "problems_100_all_listed.json", "problems_101_one_left_out.json"),
    ];
    for (what, measure, bound, at, past) in pairs {
        assert_eq!(measure(at), bound, "{what}: {at}");
        assert_eq!(measure(past), bound + 1, "{what}: {past}");
        let status = |name: &str| fixture(name)["expect"]["status"].as_u64().unwrap();
        let accepted = if what == "problems" { 422 } else { 200 };
        assert_eq!(status(at), accepted, "{what}: {at} is accepted");
        assert_ne!(status(past), 200, "{what}: {past} is refused");
    }
    assert_eq!((local_part("email_254_bytes.json"), local_part("email_local_part_65_bytes.json")), (64, 65));
    assert_eq!((digits("phone_7_digits.json"), digits("phone_too_short.json")), (7, 6));
    assert_eq!((digits("phone_15_digits.json"), digits("phone_too_long.json")), (15, 16));
    assert_eq!(fixture_body("user_id_256_four_byte_chars.json"), json!({}));
    assert_eq!(fixture("user_id_256_four_byte_chars.json")["user_id"].as_str().unwrap().len(), 4 * KEY_CHARS);
    // Keys of 256 and 257 characters side by side.
    for (name, key) in [
        ("preferences_workflow_key_257_chars.json", "workflows"),
        ("preferences_category_key_257_chars.json", "categories"),
    ] {
        let mut lengths = key_lengths(&fixture_body(name)["preferences"]["default"][key]);
        lengths.sort_unstable();
        assert_eq!(lengths, [KEY_CHARS, KEY_CHARS + 1], "{name}");
    }
    let errors = &fixture("problems_101_one_left_out.json")["expect"]["errors"];
    assert_eq!(errors[PROBLEMS]["type"], "too_many_problems");
    let errors = fixture("problems_100_all_listed.json")["expect"]["errors"].clone();
    assert!(errors.as_array().unwrap().iter().all(|problem| problem["type"] != "too_many_problems"));
}

// ---------------------------------------------------------------------------
// The body: bytes of text, escapes and all.

#[test]
fn the_body_limit_counts_the_bytes_sent() {
    // A DEL sent as `\u007f` (six bytes) is written as one byte: the body is
    // full, its custom properties far from theirs.
    // `{"s": "` and `"}`: 9 bytes around the text.
    let dels = (BODY_BYTES - 9) / 6;
    let body = |filler: usize| format!("{{\"s\": \"{}{}\"}}", "x".repeat(filler), "\\u007f".repeat(dels)).into_bytes();
    let at = body(BODY_BYTES - 9 - dels * 6);
    assert_eq!(at.len(), BODY_BYTES);
    let record = accepted(None, &at);
    let user: Value = serde_json::from_str(record.user_json()).unwrap();
    assert_eq!(user["s"].as_str().unwrap().chars().filter(|&c| c == '\u{7f}').count(), dels);
    assert!(stored_custom_len(&record) < SECTION_BYTES);

    let past = body(BODY_BYTES - 9 - dels * 6 + 1);
    assert_eq!(past.len(), BODY_BYTES + 1);
    let error = refused(None, &past);
    assert_eq!((error.status(), error.code()), (413, "request_too_large"));
    assert_eq!(error.to_string(), "the request body is larger than 1048576 bytes (1 MiB)");
    // validate says the same, as one problem on the body.
    let problems = serde_json::to_value(knock_identify::validate("user-1", &past)).unwrap();
    assert_eq!(problems, one_problem("", "the request body is larger than 1048576 bytes (1 MiB)", "too_large"));
}

// ---------------------------------------------------------------------------
// Custom properties, preferences and channel data: 256 KiB as written.

/// A part of the user with a size limit: how a body holding `text` in it
/// looks, and what its problem says.
#[derive(Clone, Copy)]
enum Part {
    Custom,
    Preferences,
    ChannelData,
}

impl Part {
    const ALL: [Part; 3] = [Part::Custom, Part::Preferences, Part::ChannelData];

    /// The part as sent, with `text` (JSON string content, escapes allowed) in it; `slot` tells two entries apart.
    fn sent(self, slot: &str, text: &str) -> String {
        match self {
            Part::Custom => format!(r#""big_{slot}": "{text}""#),
            Part::Preferences => format!(
                r#""preferences": {{"set_{slot}": {{"channel_types": {{"email": {{"conditions": [{{"variable": "{text}", "operator": "exists", "argument": null}}]}}}}}}}}"#
            ),
            Part::ChannelData => {
                let channel = if slot == "a" { CHANNEL } else { OTHER_CHANNEL };
                format!(r#""channel_data": {{"{channel}": {{"tokens": ["{text}"]}}}}"#)
            }
        }
    }

    /// The part as the core writes it, by §2 and §3, from the stored text of each slot.
    fn written(self, slots: &[(&str, &str)]) -> Value {
        let mut part = Map::new();
        for (slot, text) in slots {
            let (key, value) = match self {
                Part::Custom => (format!("big_{slot}"), json!(text)),
                Part::Preferences => (
                    format!("set_{slot}"),
                    json!({"channel_types": {"email": {"conditions": [{"variable": text, "operator": "exists", "argument": null}]}}}),
                ),
                Part::ChannelData => {
                    let channel = if *slot == "a" { CHANNEL } else { OTHER_CHANNEL };
                    (channel.to_owned(), json!({"tokens": [text]}))
                }
            };
            part.insert(key, value);
        }
        Value::Object(part)
    }

    fn stored_len(self, record: &StoredUser) -> usize {
        match self {
            Part::Custom => stored_custom_len(record),
            Part::Preferences => record.preferences_json().len(),
            Part::ChannelData => record.channel_data_json().len(),
        }
    }

    fn field(self) -> &'static str {
        match self {
            Part::Custom => "",
            Part::Preferences => "preferences",
            Part::ChannelData => "channel_data",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Part::Custom => "custom properties",
            Part::Preferences => "preferences",
            Part::ChannelData => "channel data",
        }
    }
}

/// A body with `name` beside the part, so the part is not the whole body.
fn body_with(parts: &str) -> Vec<u8> {
    format!(r#"{{"name": "Jane", {parts}}}"#).into_bytes()
}

#[test]
fn each_part_is_measured_as_written_at_the_bound_and_one_past() {
    for part in Part::ALL {
        // The written size for `text_bytes` bytes of text, measured here.
        let written = |text_bytes: usize| compact_len(&part.written(&[("a", &escaped_text(text_bytes).1)]));
        let text_bytes = SECTION_BYTES - written(0);
        assert_eq!(written(text_bytes), SECTION_BYTES);
        let at = body_with(&part.sent("a", &escaped_text(text_bytes).0));
        // Three times larger as sent than as written: the limit is on the latter.
        assert!(at.len() > 2 * SECTION_BYTES, "{}", part.name());
        let record = accepted(None, &at);
        assert_eq!(part.stored_len(&record), SECTION_BYTES, "{}", part.name());

        assert_eq!(written(text_bytes + 1), SECTION_BYTES + 1);
        let past = body_with(&part.sent("a", &escaped_text(text_bytes + 1).0));
        let message = format!("{} take 262145 bytes as compact JSON; the limit is 262144 (256 KiB)", part.name());
        assert_eq!(
            problems(&refused(None, &past)),
            one_problem(part.field(), &message, "too_large"),
            "{}",
            part.name()
        );
    }
}

#[test]
fn all_three_parts_at_their_bound_in_one_body_are_accepted() {
    let texts: Vec<(Part, usize)> =
        Part::ALL.iter().map(|&part| (part, SECTION_BYTES - compact_len(&part.written(&[("a", "")])))).collect();
    let sent: Vec<String> = texts.iter().map(|&(part, bytes)| part.sent("a", &"x".repeat(bytes))).collect();
    let body = body_with(&sent.join(", "));
    assert!(body.len() <= BODY_BYTES, "{}", body.len());
    let record = accepted(None, &body);
    for (part, _) in texts {
        assert_eq!(part.stored_len(&record), SECTION_BYTES, "{}", part.name());
    }
}

#[test]
fn custom_properties_of_several_keys_count_the_commas_between_them() {
    // `{"a":"`, `","b":"` and `"}`: 15 bytes around the two texts; the
    // body is the custom properties, compact.
    let body = |bytes: usize| format!(r#"{{"a":"{}","b":"{}"}}"#, "x".repeat(1_000), "y".repeat(bytes - 15 - 1_000));
    let problems =
        |bytes: usize| serde_json::to_value(knock_identify::validate("user-1", body(bytes).as_bytes())).unwrap();
    assert_eq!(problems(SECTION_BYTES), json!([]));
    assert_eq!(
        problems(SECTION_BYTES + 1),
        one_problem(
            "",
            "custom properties take 262145 bytes as compact JSON; the limit is 262144 (256 KiB)",
            "too_large"
        )
    );
}

#[test]
fn a_merge_is_measured_at_the_bound_and_one_past() {
    for part in Part::ALL {
        let stored_text = "s".repeat(100_000);
        let stored = accepted(None, &body_with(&part.sent("a", &stored_text)));
        let written =
            |text_bytes: usize| compact_len(&part.written(&[("a", &stored_text), ("b", &escaped_text(text_bytes).1)]));
        let text_bytes = SECTION_BYTES - written(0);
        assert_eq!(written(text_bytes), SECTION_BYTES);
        let at = body_with(&part.sent("b", &escaped_text(text_bytes).0));
        let record = accepted(Some(&stored), &at);
        assert_eq!(part.stored_len(&record), SECTION_BYTES, "{}", part.name());

        assert_eq!(written(text_bytes + 1), SECTION_BYTES + 1);
        let past = body_with(&part.sent("b", &escaped_text(text_bytes + 1).0));
        let message = format!(
            "after this identify the user's {} would take 262145 bytes as compact JSON; the limit is 262144 (256 KiB): nothing was changed",
            part.name()
        );
        assert_eq!(problems(&refused(Some(&stored), &past)), one_problem(part.field(), &message, "too_large"));
        // The request alone is well under the limit: validate (no stored user) has nothing to say.
        assert!(knock_identify::validate("user-1", &past).is_empty());
    }
}

#[test]
fn a_user_stored_past_a_limit_may_stay_or_shrink_but_never_grow() {
    // A record from before the limits: 301,000 bytes of custom properties.
    let kept = "k".repeat(1000);
    let legacy = format!(
        r#"{{"user":{{"__typename":"User","id":"user-1","avatar":null,"created_at":null,"email":null,"locale":null,"name":null,"phone_number":null,"timezone":null,"updated_at":"2020-01-01T00:00:00.000Z","big_a":"{}","big_b":"{kept}"}},"preferences":{{}},"channel_data":{{}}}}"#,
        "x".repeat(300_000)
    );
    let stored = StoredUser::from_json(legacy.as_bytes()).expect("a legacy record reads");
    let before = stored_custom_len(&stored);
    assert!(before > SECTION_BYTES);
    // Another field changes: the custom properties stay as they were, past the limit.
    let renamed = accepted(Some(&stored), br#"{"name": "Jane"}"#);
    assert_eq!(stored_custom_len(&renamed), before);
    // They shrink, still past the limit (262,145 bytes): accepted.
    let written =
        |text_bytes: usize| compact_len(&Part::Custom.written(&[("a", &"x".repeat(text_bytes)), ("b", &kept)]));
    let text_bytes = SECTION_BYTES - written(0);
    assert_eq!(written(text_bytes + 1), SECTION_BYTES + 1);
    let shrunk = accepted(Some(&stored), &body_with(&Part::Custom.sent("a", &"x".repeat(text_bytes + 1))));
    assert_eq!(stored_custom_len(&shrunk), SECTION_BYTES + 1);
    // Back to the bound: accepted, and from there the limit holds as for anyone.
    let at = accepted(Some(&shrunk), &body_with(&Part::Custom.sent("a", &"x".repeat(text_bytes))));
    assert_eq!(stored_custom_len(&at), SECTION_BYTES);
    let message = "after this identify the user's custom properties would take 262145 bytes as compact JSON; the limit is 262144 (256 KiB): nothing was changed";
    let regrown = body_with(&Part::Custom.sent("a", &"x".repeat(text_bytes + 1)));
    assert_eq!(problems(&refused(Some(&at), &regrown)), one_problem("", message, "too_large"));
    // Growing the stored user, by a property of six bytes (`,"c":1`), is refused, naming its new size.
    let message = format!(
        "after this identify the user's custom properties would take {} bytes as compact JSON; the limit is 262144 (256 KiB): nothing was changed",
        before + 6
    );
    assert_eq!(problems(&refused(Some(&stored), br#"{"c": 1}"#)), one_problem("", &message, "too_large"));
}

#[test]
fn a_user_stored_past_every_limit_may_change_another_field() {
    // All three parts past 256 KiB: none grows when the name changes.
    let big = "x".repeat(300_000);
    let legacy = format!(
        r#"{{"user":{{"__typename":"User","id":"user-1","avatar":null,"created_at":null,"email":null,"locale":null,"name":null,"phone_number":null,"timezone":null,"updated_at":"2020-01-01T00:00:00.000Z","big":"{big}"}},"preferences":{{"default":{{"workflows":{{"{big}":true}}}}}},"channel_data":{{"{CHANNEL}":{{"tokens":["{big}"]}}}}}}"#
    );
    let stored = StoredUser::from_json(legacy.as_bytes()).expect("a legacy record reads");
    let renamed = accepted(Some(&stored), br#"{"name": "Jane"}"#);
    let user: Value = serde_json::from_str(renamed.user_json()).unwrap();
    assert_eq!((user["name"].as_str(), user["big"].as_str().map(str::len)), (Some("Jane"), Some(300_000)));
}

// ---------------------------------------------------------------------------
// Keys: 1 to 256 characters (not bytes).

#[test]
fn every_kind_of_key_is_one_to_256_characters() {
    // (what the messages call them, the body for a key, the field of its problem)
    type Body = fn(&str) -> String;
    type Field = fn(&str) -> String;
    let kinds: [(&str, Body, Field); 4] = [
        ("custom property keys", |key| format!(r#"{{"{key}": 1}}"#), |key| key.to_owned()),
        (
            "preference set ids",
            |key| format!(r#"{{"preferences": {{"{key}": {{"commercial_subscribed": true}}}}}}"#),
            |key| format!("preferences.{key}"),
        ),
        (
            "workflow keys",
            |key| format!(r#"{{"preferences": {{"default": {{"workflows": {{"{key}": true}}}}}}}}"#),
            |key| format!("preferences.default.workflows.{key}"),
        ),
        (
            "category keys",
            |key| format!(r#"{{"preferences": {{"default": {{"categories": {{"{key}": false}}}}}}}}"#),
            |key| format!("preferences.default.categories.{key}"),
        ),
    ];
    for (what, body, field) in kinds {
        // Four bytes a character: the bound is in characters.
        for key in ["k".to_owned(), "k".repeat(KEY_CHARS), "😀".repeat(KEY_CHARS)] {
            accepted(None, body(&key).as_bytes());
        }
        assert_eq!(
            problems(&refused(None, body("").as_bytes())),
            one_problem(&field(""), &format!("{what} must not be empty"), "format"),
            "{what}"
        );
        for past in ["k".repeat(KEY_CHARS + 1), "😀".repeat(KEY_CHARS + 1)] {
            // Paths quote a long key cut to 255 characters and `…`.
            let shown = format!("{}…", past.chars().take(255).collect::<String>());
            let message = format!("{what} have at most 256 characters, got 257");
            assert_eq!(
                problems(&refused(None, body(&past).as_bytes())),
                one_problem(&field(&shown), &message, "too_long"),
                "{what}"
            );
        }
    }
}

#[test]
fn the_user_id_is_one_to_256_characters() {
    for id in ["u".to_owned(), "u".repeat(KEY_CHARS), "😀".repeat(KEY_CHARS)] {
        assert!(identify(None, &id, b"{}", NOW).is_ok(), "{} characters", id.chars().count());
    }
    for (id, message) in [
        (String::new(), "the user id must not be empty"),
        ("u".repeat(KEY_CHARS + 1), "expected at most 256 characters, got 257"),
        ("😀".repeat(KEY_CHARS + 1), "expected at most 256 characters, got 257"),
    ] {
        let error = identify(None, &id, b"{}", NOW).expect_err("refused");
        let listed = problems(&error);
        assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
        assert_eq!((&listed[0]["field"], &listed[0]["message"]), (&json!("user_id"), &json!(message)));
    }
}

// ---------------------------------------------------------------------------
// Depth: 64 levels in any part, 65 refused as soon as it opens.

#[test]
fn nesting_is_64_levels_in_every_part_and_65_is_too_deep() {
    let too_deep = one_problem("", "the body is nested deeper than 64 levels", "too_deep");
    // (a body whose deepest value is `levels` down)
    type Body = fn(usize) -> String;
    let shapes: [(&str, Body); 3] = [
        // The body (1), then objects.
        ("objects", |levels| format!("{}{}", "{\"a\": ".repeat(levels - 1) + "{}", "}".repeat(levels - 1))),
        // A custom property's array (2...).
        ("arrays", |levels| format!("{{\"a\": {}{}}}", "[".repeat(levels - 1), "]".repeat(levels - 1))),
        // A key kept as sent in channel data: body 1, channel_data 2, the channel 3, then arrays.
        ("channel data", |levels| {
            format!(
                r#"{{"channel_data": {{"{CHANNEL}": {{"tokens": ["t"], "extra": {}{}}}}}}}"#,
                "[".repeat(levels - 3),
                "]".repeat(levels - 3)
            )
        }),
    ];
    for (what, body) in shapes {
        let at = body(DEPTH);
        assert_eq!(depth_of(at.as_bytes()), DEPTH, "{what}");
        accepted(None, at.as_bytes());
        let past = body(DEPTH + 1);
        assert_eq!(depth_of(past.as_bytes()), DEPTH + 1, "{what}");
        assert_eq!(problems(&refused(None, past.as_bytes())), too_deep, "{what}");
    }
    // Decided as soon as level 65 opens: what follows is never read.
    let cut = |levels: usize| format!("{{\"a\": {}x", "[".repeat(levels - 1));
    assert_eq!(problems(&refused(None, cut(DEPTH + 1).as_bytes())), too_deep);
    let error = refused(None, cut(DEPTH).as_bytes());
    assert_eq!((error.status(), error.code()), (400, "invalid_json"));
    assert_eq!(error.to_string(), "the body is not valid JSON: expected value at line 1 column 70");
}

// ---------------------------------------------------------------------------
// Problems: 100 listed, then one saying how many more.

#[test]
fn one_hundred_problems_are_listed_and_the_rest_counted() {
    let body = |count: usize| {
        format!(r#"{{"channel_data": {{"{CHANNEL}": {{"tokens": [{}]}}}}}}"#, vec!["1"; count].join(","))
    };
    let token = |index: usize| json!({"field": format!("channel_data.{CHANNEL}.tokens.{index}"), "message": "expected a string, got a number", "type": "type"});
    let first_hundred: Vec<Value> = (0..PROBLEMS).map(token).collect();
    assert_eq!(problems(&refused(None, body(PROBLEMS).as_bytes())), json!(first_hundred));
    for (count, more) in
        [(PROBLEMS + 1, "1 more problem"), (PROBLEMS + 2, "2 more problems"), (5000, "4900 more problems")]
    {
        let mut expected = first_hundred.clone();
        expected.push(json!({
            "field": "",
            "message": format!("{more} not listed: an answer lists at most 100; fix these and send the request again"),
            "type": "too_many_problems",
        }));
        assert_eq!(problems(&refused(None, body(count).as_bytes())), json!(expected), "{count}");
    }
}

#[test]
fn a_refusals_message_counts_its_problems_and_each_problem_names_its_type() {
    let message = |body: &str| refused(None, body.as_bytes()).to_string();
    assert_eq!(message(r#"{"email": 1}"#), "the request has 1 problem, listed in `errors`");
    assert_eq!(message(r#"{"email": 1, "name": 2}"#), "the request has 2 problems, listed in `errors`");
    // The word a problem's `type` is written as is the word `as_str` gives.
    for kind in ProblemType::ALL {
        assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str(), "{kind:?}");
    }
}
