//! What the exports do with JS values that are not plain JSON: clear
//! `TypeError`s or the core's own answer, never a panic.

use crate::cases::{from_js, to_js};
use js_sys::{Object, Reflect, JSON};
use knock_identify::js;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

const NOW: f64 = 1_717_200_000_000.0;

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let object = Object::new();
    for (key, value) in pairs {
        Reflect::set(&object, &JsValue::from_str(key), value).expect("a plain object takes keys");
    }
    object.into()
}

/// `result` is an error of `class` whose message contains `part`.
fn assert_throws(result: Result<JsValue, JsValue>, class: &str, part: &str) {
    let error = result.expect_err("expected a thrown error");
    assert!(error.is_instance_of::<js_sys::Error>(), "not an Error: {error:?}");
    let name = get(&error, "name").as_string().unwrap_or_default();
    let message = get(&error, "message").as_string().unwrap_or_default();
    assert_eq!(name, class, "{message}");
    assert!(message.contains(part), "message `{message}` lacks `{part}`");
}

/// The core's own list for this body text.
fn core_problems(user_id: &str, body: &str) -> Value {
    serde_json::to_value(knock_identify::validate(user_id, body.as_bytes())).expect("problems serialize")
}

#[wasm_bindgen_test]
fn a_user_id_that_is_not_a_string_is_a_type_error() {
    let body = to_js(&json!({}));
    for id in [JsValue::from_f64(5.0), JsValue::NULL, JsValue::UNDEFINED, to_js(&json!(["user-1"]))] {
        assert_throws(js::validate(id.clone(), body.clone()), "TypeError", "expected `userId` to be a string, got");
        assert_throws(js::merge(JsValue::NULL, id, body.clone(), NOW.into()), "TypeError", "`userId`");
    }
    assert_throws(js::validate(JsValue::from_f64(5.0), body), "TypeError", "got a number");
}

#[wasm_bindgen_test]
fn a_user_id_with_a_lone_surrogate_is_a_type_error() {
    let id = JSON::parse(r#""user-\ud800""#).unwrap();
    assert_throws(js::validate(id, to_js(&json!({}))), "TypeError", "lone surrogate");
}

#[wasm_bindgen_test]
fn an_array_body_gets_the_cores_answer() {
    let problems = js::validate("user-1".into(), to_js(&json!([1, 2]))).unwrap();
    assert_eq!(from_js(&problems), core_problems("user-1", "[1,2]"));
    assert_eq!(from_js(&problems)[0]["field"], "");
    let error = js::merge(JsValue::NULL, "user-1".into(), to_js(&json!([])), NOW.into()).unwrap_err();
    assert_eq!(get(&error, "status"), 422);
    assert_eq!(from_js(&get(&error, "errors")), core_problems("user-1", "[]"));
}

#[wasm_bindgen_test]
fn scalar_and_null_bodies_get_the_cores_answer() {
    for (body, text) in [(JsValue::NULL, "null"), ("hi".into(), "\"hi\""), (JsValue::from_f64(3.0), "3")] {
        let problems = js::validate("user-1".into(), body).unwrap();
        assert_eq!(from_js(&problems), core_problems("user-1", text), "{text}");
    }
}

#[wasm_bindgen_test]
fn undefined_fields_are_left_out_as_json_stringify_does() {
    let body =
        object(&[("name", JsValue::UNDEFINED), ("email", "jane@example.com".into()), ("plan", JsValue::UNDEFINED)]);
    assert_eq!(from_js(&js::validate("user-1".into(), body.clone()).unwrap()), json!([]));
    let stored = js::merge(JsValue::NULL, "user-1".into(), body, NOW.into()).unwrap();
    let user = js::to_user(stored).unwrap();
    assert_eq!(get(&user, "name"), JsValue::NULL);
    assert_eq!(get(&user, "email"), "jane@example.com");
    assert!(!Reflect::has(&user, &"plan".into()).unwrap());
}

#[wasm_bindgen_test]
fn an_undefined_or_unserializable_body_is_a_type_error() {
    assert_throws(js::validate("u".into(), JsValue::UNDEFINED), "TypeError", "got undefined");
    assert_throws(js::validate("u".into(), JsValue::symbol(None)), "TypeError", "got a symbol");
    let cyclic = object(&[]);
    Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    assert_throws(js::validate("u".into(), cyclic), "TypeError", "`body` cannot be written as JSON");
    let big = object(&[("n", js_sys::BigInt::from(1u32).into())]);
    assert_throws(js::validate("u".into(), big.clone()), "TypeError", "`body` cannot be written as JSON");
    assert_throws(js::merge(JsValue::NULL, "u".into(), big, NOW.into()), "TypeError", "cannot be written as JSON");
    // A `toJSON` that throws a string, not an Error.
    let thrower = js_sys::Function::new_no_args("throw 'nope'");
    let odd = object(&[("toJSON", thrower.into())]);
    assert_throws(js::validate("u".into(), odd), "TypeError", "nope");
}

#[wasm_bindgen_test]
fn own_proto_keys_stay_own_keys_and_never_a_prototype() {
    let body = JSON::parse(r#"{"__proto__": {"admin": true}, "name": "Jane"}"#).unwrap();
    assert_eq!(from_js(&js::validate("user-1".into(), body.clone()).unwrap()), json!([]));
    let stored = js::merge(JsValue::NULL, "user-1".into(), body, NOW.into()).unwrap();
    let user = js::to_user(stored.clone()).unwrap();
    let user_object: &Object = user.unchecked_ref();
    let own = Object::get_own_property_descriptor(user_object, &"__proto__".into());
    assert!(!own.is_undefined(), "`__proto__` is not an own key of the user");
    assert_eq!(from_js(&get(&own, "value")), json!({"admin": true}));
    assert_eq!(Object::get_prototype_of(&user), Object::get_prototype_of(&Object::new().into()));
    assert!(get(&user, "admin").is_undefined());
    // And the record goes back in unchanged.
    let again = js::merge(stored, "user-1".into(), to_js(&json!({})), NOW.into()).unwrap();
    assert_eq!(from_js(&js::to_user(again).unwrap())["__proto__"], json!({"admin": true}));
}

#[wasm_bindgen_test]
fn an_inherited_proto_from_an_object_literal_is_not_sent() {
    // `{ __proto__: x }` in JS sets the prototype: not an own key, not JSON.
    let proto = object(&[("admin", JsValue::TRUE)]);
    let body: Object = Object::create(proto.unchecked_ref::<Object>());
    Reflect::set(&body, &"name".into(), &"Jane".into()).unwrap();
    let stored = js::merge(JsValue::NULL, "user-1".into(), body.into(), NOW.into()).unwrap();
    let user = from_js(&js::to_user(stored).unwrap());
    assert_eq!(user["name"], "Jane");
    assert!(user.get("admin").is_none() && user.get("__proto__").is_none());
}

#[wasm_bindgen_test]
fn stored_records_and_times_are_checked() {
    assert_throws(
        js::merge(to_js(&json!({"foo": 1})), "u".into(), to_js(&json!({})), NOW.into()),
        "TypeError",
        "expected `stored` to be a record returned by `merge`",
    );
    assert_throws(js::to_user(JsValue::NULL), "TypeError", "got null");
    assert_throws(js::to_user(JsValue::from_f64(1.0)), "TypeError", "`stored`");
    assert_throws(js::merge(JsValue::NULL, "u".into(), to_js(&json!({})), "2024".into()), "TypeError", "`now`");
    assert_throws(js::merge(JsValue::NULL, "u".into(), to_js(&json!({})), f64::NAN.into()), "RangeError", "`now`");
    let date = js_sys::Date::new(&JsValue::from_f64(NOW));
    let stored = js::merge(JsValue::NULL, "u".into(), to_js(&json!({})), date.into()).unwrap();
    assert_eq!(get(&get(&stored, "user"), "updated_at"), "2024-06-01T00:00:00.000Z");
    let stored = js::merge(JsValue::NULL, "u".into(), to_js(&json!({})), JsValue::UNDEFINED).unwrap();
    let written = js_sys::Date::parse(&get(&get(&stored, "user"), "updated_at").as_string().unwrap());
    assert!((js_sys::Date::now() - written).abs() < 60_000.0, "`now` defaults to the clock");
}

#[wasm_bindgen_test]
fn json_variants_take_strings_and_bytes_only() {
    assert_throws(js::validate_json("u".into(), JsValue::from_f64(1.0)), "TypeError", "a string or a Uint8Array");
    assert_throws(js::validate_json("u".into(), to_js(&json!({}))), "TypeError", "got an object");
    let text = r#"{"a": 1, "a": 2}"#;
    let problems = js::validate_json("u".into(), text.into()).unwrap();
    assert_eq!(from_js(&problems), core_problems("u", text));
    let error = js::merge_json(JsValue::NULL, "u".into(), text.into(), NOW.into()).unwrap_err();
    assert_eq!(get(&error, "status"), 400);
    assert_eq!(get(&error, "code"), "invalid_json");
    assert_throws(
        js::merge_json(JsValue::from_f64(1.0), "u".into(), "{}".into(), NOW.into()).map(JsValue::from),
        "TypeError",
        "`storedJson`",
    );
    assert_throws(
        js::merge_json("{}".into(), "u".into(), "{}".into(), NOW.into()).map(JsValue::from),
        "TypeError",
        "`stored`",
    );
    let record = js::merge_json(JsValue::NULL, "u".into(), r#"{"name": "Jane"}"#.into(), NOW.into()).unwrap();
    let record = js::merge_json(record.into(), "u".into(), r#"{"plan": "pro"}"#.into(), NOW.into()).unwrap();
    let record: Value = serde_json::from_str(&record).unwrap();
    assert_eq!((&record["user"]["name"], &record["user"]["plan"]), (&json!("Jane"), &json!("pro")));
}

#[wasm_bindgen_test]
fn strings_of_any_text_arrive_whole() {
    // One-, two-, three- and four-byte characters, first, inside and last:
    // the copy into the wasm makes room for one byte per UTF-16 unit, then
    // for three.
    let longest = "é".repeat(1_024);
    for name in ["Jane", "é", "Zoë", "✓ Jane", "Jane 😀", "😀", "é✓😀 x", &longest] {
        let id = format!("usér-{}", name.chars().take(8).collect::<String>());
        let stored =
            js::merge(JsValue::NULL, id.as_str().into(), object(&[("name", name.into())]), NOW.into()).unwrap();
        assert_eq!(get(&get(&stored, "user"), "name"), name);
        assert_eq!(get(&get(&stored, "user"), "id"), id.as_str());
        let text = serde_json::to_string(&json!({"name": name})).unwrap();
        let record = js::merge_json(JsValue::NULL, id.as_str().into(), text.as_str().into(), NOW.into()).unwrap();
        let record: Value = serde_json::from_str(&record).unwrap();
        assert_eq!(record["user"]["name"], name);
        let again = js::merge(stored, id.as_str().into(), object(&[("plan", "pro".into())]), NOW.into()).unwrap();
        assert_eq!(get(&get(&again, "user"), "name"), name, "the record's own text read back");
    }
    // A lone surrogate in JSON text given as a string is U+FFFD, as `fetch`
    // would send it.
    let text = JSON::parse(r#""{\"name\": \"a\ud800b\"}""#).unwrap();
    let record = js::merge_json(JsValue::NULL, "u".into(), text, NOW.into()).unwrap();
    let record: Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["user"]["name"], "a\u{fffd}b");
}

#[wasm_bindgen_test]
fn a_merge_after_validate_reads_its_own_user_id_and_body() {
    // `validate` keeps the body it found valid for the merge that follows;
    // a merge for another user, or of a body changed since, reads its own.
    let body = object(&[("name", "Jane".into())]);
    assert_eq!(from_js(&js::validate("user-1".into(), body.clone()).unwrap()), json!([]));
    let record = js::merge(JsValue::NULL, "user-2".into(), body.clone(), NOW.into()).unwrap();
    assert_eq!(get(&get(&record, "user"), "id"), "user-2");
    assert_eq!(from_js(&js::validate("user-1".into(), body.clone()).unwrap()), json!([]));
    Reflect::set(&body, &"name".into(), &"Joan".into()).unwrap();
    let record = js::merge(JsValue::NULL, "user-1".into(), body.clone(), NOW.into()).unwrap();
    assert_eq!(get(&get(&record, "user"), "name"), "Joan");
    // The same for JSON text, and across the two forms.
    let text = r#"{"name":"Jane"}"#;
    assert_eq!(from_js(&js::validate_json("user-1".into(), text.into()).unwrap()), json!([]));
    let record = js::merge_json(JsValue::NULL, "user-1".into(), r#"{"name":"Jan"}"#.into(), NOW.into()).unwrap();
    assert!(record.contains(r#""name":"Jan""#), "{record}");
    Reflect::set(&body, &"name".into(), &"Jane".into()).unwrap();
    assert_eq!(from_js(&js::validate_json("user-1".into(), text.into()).unwrap()), json!([]));
    let record = js::merge(JsValue::NULL, "user-1".into(), body, NOW.into()).unwrap();
    assert_eq!(get(&get(&record, "user"), "name"), "Jane");
}

#[wasm_bindgen_test]
fn the_problem_list_is_the_cores_field_for_field() {
    let body = json!({"email": "x", "phone_number": "+1 (415) 555-2671", "locale": "en_US", "updated_at": "now",
        "preferences": {"default": {"channel_types": {"pigeon": true}}}, "timezone": "Mars/Olympus"});
    let problems = js::validate("bad/id".into(), to_js(&body)).unwrap();
    assert_eq!(from_js(&problems), core_problems("bad/id", &body.to_string()));
    assert!(from_js(&problems).as_array().unwrap().len() >= 6);
}

#[wasm_bindgen_test]
fn time_zones_lists_the_core_table() {
    let zones = js::time_zones();
    let zones: Vec<String> = serde_json::from_value(from_js(&zones)).unwrap();
    assert_eq!(zones.len(), knock_identify::time_zone_names().count());
    assert!(zones.iter().any(|zone| zone == "America/New_York"));
}

#[wasm_bindgen_test]
fn client_options_are_checked() {
    use knock_identify::js::IdentifyClient;
    let cases = [
        (JsValue::UNDEFINED, "TypeError", "expected the options"),
        (to_js(&json!({})), "TypeError", "`apiKey`"),
        (to_js(&json!({"apiKey": "pk_x\n"})), "TypeError", "printable ASCII"),
        (to_js(&json!({"apiKey": "pk_x", "baseUrl": "/relative"})), "TypeError", "absolute"),
        (to_js(&json!({"apiKey": "pk_x", "baseUrl": "ftp://x.example"})), "TypeError", "http or https"),
        (to_js(&json!({"apiKey": "pk_x", "maxRetries": -1})), "RangeError", "`maxRetries`"),
        (to_js(&json!({"apiKey": "pk_x", "maxRetries": 1.5})), "RangeError", "`maxRetries`"),
        (to_js(&json!({"apiKey": "pk_x", "maxRetries": "2"})), "TypeError", "`maxRetries`"),
        (to_js(&json!({"apiKey": "pk_x", "timeoutMs": 0})), "RangeError", "`timeoutMs`"),
    ];
    for (options, class, part) in cases {
        // The browser entry's client checks its options with `client_base_url` at construction.
        assert_throws(js::client_base_url(options.clone()).map(JsValue::from), class, part);
        assert_throws(IdentifyClient::new(options).map(JsValue::from), class, part);
    }
    let options = to_js(&json!({"apiKey": "pk_x", "baseUrl": "http://127.0.0.1:1/knock/"}));
    assert_eq!(js::client_base_url(options.clone()).unwrap(), "http://127.0.0.1:1/knock");
    assert_eq!(IdentifyClient::new(options).unwrap().base_url(), "http://127.0.0.1:1/knock");
}

#[wasm_bindgen_test]
async fn the_client_refuses_an_invalid_body_before_sending() {
    use knock_identify::js::IdentifyClient;
    // Nothing listens on port 1: a request would be a ConnectionError.
    let options = json!({"apiKey": "sk_test", "baseUrl": "http://127.0.0.1:1", "maxRetries": 0});
    let client = IdentifyClient::new(to_js(&options)).unwrap();
    let body = json!({"email": "not-an-email", "phone_number": "12"});
    let promise = client.identify("user-1".into(), to_js(&body), None);
    let error = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap_err();
    assert_eq!(get(&error, "name"), "ValidationError");
    assert_eq!(from_js(&get(&error, "errors")), core_problems("user-1", &body.to_string()));
    let promise = client.get("..".into(), None);
    let error = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap_err();
    assert_eq!(get(&error, "name"), "ValidationError");
    assert_eq!(from_js(&get(&error, "errors"))[0]["field"], "user_id");
    let promise = client.delete(JsValue::from_f64(1.0), None);
    let error = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap_err();
    assert_eq!(get(&error, "name"), "TypeError");
    let promise = client.identify("user-1".into(), to_js(&json!({})), Some(to_js(&json!({"signal": 1})).into()));
    let error = wasm_bindgen_futures::JsFuture::from(promise).await.unwrap_err();
    assert!(get(&error, "message").as_string().unwrap().contains("AbortSignal"));
}
