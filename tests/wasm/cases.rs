//! The fixture corpus through the package's exports, as JS calls them: one
//! `wasm_bindgen_test` per case. Cases with a `body` go through the object
//! exports (`validate`, `merge`, `toUser`) and are compared as JS numbers
//! see them; cases with raw bodies go through the JSON-text exports
//! (`validateJson`, `mergeJson`) and are compared exactly.

use crate::support::{case_before, case_body, compare, is_raw_case, record_answer, FIXTURE_NOW};
use js_sys::{Reflect, Uint8Array, JSON};
use knock_identify::js;
use serde_json::{json, Value};
use wasm_bindgen::{JsCast, JsValue};

/// A JSON value as a JS value (what `JSON.parse` makes of it).
pub fn to_js(value: &Value) -> JsValue {
    JSON::parse(&value.to_string()).expect("serde_json writes JSON")
}

/// A JS value read back as JSON.
pub fn from_js(value: &JsValue) -> Value {
    let text = JSON::stringify(value).expect("a JSON-able value").as_string().unwrap_or_else(|| "null".into());
    serde_json::from_str(&text).expect("JSON.stringify writes JSON")
}

/// A JSON value as JS numbers see it (`1.0` is `1`), to compare answers.
fn through_js(value: &Value) -> Value {
    from_js(&to_js(value))
}

fn get(value: &JsValue, key: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Runs one case through the exports; `Err` says how the answer differs.
pub fn run_case(name: &str, text: &str) -> Result<(), String> {
    let case: Value = serde_json::from_str(text).map_err(|e| format!("{name}: not JSON: {e}"))?;
    let user_id = JsValue::from_str(case["user_id"].as_str().ok_or_else(|| format!("{name}: no user_id"))?);
    let answer =
        if is_raw_case(&case) { run_as_text(name, &case, &user_id)? } else { run_as_objects(name, &case, &user_id)? };
    compare(name, &case, &answer)
}

fn now() -> JsValue {
    JsValue::from_f64(FIXTURE_NOW.as_millis() as f64)
}

/// `validate`, `merge` and `toUser` on JS objects.
fn run_as_objects(name: &str, case: &Value, user_id: &JsValue) -> Result<Value, String> {
    let mut stored = JsValue::NULL;
    for (index, before) in case["before"].as_array().into_iter().flatten().enumerate() {
        stored = js::merge(stored, user_id.clone(), to_js(before), now())
            .map_err(|e| format!("{name}: before[{index}] threw {}", from_js(&e)))?;
    }
    let body = to_js(&case["body"]);
    let problems =
        js::validate(user_id.clone(), body.clone()).map_err(|e| format!("{name}: validate threw {}", from_js(&e)))?;
    let problems = from_js(&problems);
    let expect = through_js(&case["expect"]);
    match js::merge(stored, user_id.clone(), body, now()) {
        Ok(record) => {
            if problems != json!([]) {
                return Err(format!("{name}: merge succeeded but validate listed {problems}"));
            }
            let frozen = |value: &JsValue| js_sys::Object::is_frozen::<JsValue>(value.unchecked_ref());
            if !frozen(&record) || !frozen(&get(&record, "user")) {
                return Err(format!("{name}: merge's record is not frozen"));
            }
            let user = js::to_user(record.clone()).map_err(|e| format!("{name}: toUser threw {}", from_js(&e)))?;
            let mut user = from_js(&user);
            let updated_at = user.as_object_mut().and_then(|u| u.remove("updated_at"));
            if updated_at != Some(json!("2024-06-01T00:00:00.000Z")) {
                return Err(format!("{name}: updated_at is {updated_at:?}"));
            }
            let mut answer = json!({ "status": 200 });
            if expect.get("user").is_some() {
                answer["user"] = user;
            }
            for key in ["preferences", "channel_data"] {
                if expect.get(key).is_some() {
                    answer[key] = from_js(&get(&record, key));
                }
            }
            // Compared as JS numbers see them, on both sides.
            Ok(through_js(&answer))
        }
        Err(error) => {
            let errors = validation_errors(name, &error)?;
            if errors != problems {
                return Err(format!("{name}: ValidationError.errors {errors} differ from validate's {problems}"));
            }
            thrown_answer(&error, errors, &expect)
        }
    }
}

/// `validateJson` and `mergeJson` on JSON text: numbers stay exact.
fn run_as_text(name: &str, case: &Value, user_id: &JsValue) -> Result<Value, String> {
    let mut stored = JsValue::NULL;
    for (index, body) in case_before(case).iter().enumerate() {
        let record = js::merge_json(stored, user_id.clone(), Uint8Array::from(&body[..]).into(), now())
            .map_err(|e| format!("{name}: before[{index}] threw {}", from_js(&e)))?;
        stored = JsValue::from_str(&record);
    }
    let bytes = case_body(case);
    let json = JsValue::from(Uint8Array::from(&bytes[..]));
    let problems = from_js(
        &js::validate_json(user_id.clone(), json.clone())
            .map_err(|e| format!("{name}: validateJson threw {}", from_js(&e)))?,
    );
    if let Ok(text) = std::str::from_utf8(&bytes) {
        // The string form answers exactly as the bytes do.
        let from_text = js::validate_json(user_id.clone(), JsValue::from_str(text)).map(|p| from_js(&p)).ok();
        if from_text.as_ref() != Some(&problems) {
            return Err(format!("{name}: validateJson differs between a string and its bytes"));
        }
    }
    let expect = &case["expect"];
    match js::merge_json(stored, user_id.clone(), json, now()) {
        Ok(record) => {
            if problems != json!([]) {
                return Err(format!("{name}: mergeJson succeeded but validateJson listed {problems}"));
            }
            record_answer(&record, expect).map_err(|e| format!("{name}: {e}"))
        }
        Err(error) => {
            let errors = validation_errors(name, &error)?;
            // The request's own problems are validate's; a merged user past a
            // limit is known only to the merge (validate has no stored user).
            let past_a_limit = errors.as_array().is_some_and(|list| list.iter().all(|p| p["type"] == "too_large"));
            if errors != problems && !(problems == json!([]) && past_a_limit) {
                return Err(format!("{name}: ValidationError.errors {errors} differ from validateJson's {problems}"));
            }
            thrown_answer(&error, errors, expect)
        }
    }
}

/// The `errors` of a thrown `ValidationError`, or how the throw was wrong.
fn validation_errors(name: &str, error: &JsValue) -> Result<Value, String> {
    let is_error = error.is_instance_of::<js_sys::Error>();
    let class = get(&get(error, "constructor"), "name").as_string();
    if !is_error || class.as_deref() != Some("ValidationError") || get(error, "name") != "ValidationError" {
        return Err(format!("{name}: threw {class:?}, not a ValidationError: {}", from_js(error)));
    }
    Ok(from_js(&get(error, "errors")))
}

/// A thrown `ValidationError` as a case states an error.
fn thrown_answer(error: &JsValue, errors: Value, expect: &Value) -> Result<Value, String> {
    let mut answer = json!({ "status": from_js(&get(error, "status")), "code": from_js(&get(error, "code")) });
    if answer["status"] == 422 {
        answer["errors"] = errors;
    }
    if let Some(part) = expect["message_contains"].as_str() {
        let message = get(error, "message").as_string().unwrap_or_default();
        answer["message_contains"] = if message.contains(part) { json!(part) } else { json!(message) };
    }
    Ok(answer)
}

macro_rules! wasm_case {
    ($test:ident, $name:expr, $text:expr) => {
        #[wasm_bindgen_test::wasm_bindgen_test]
        fn $test() {
            if let Err(difference) = crate::cases::run_case($name, $text) {
                panic!("{difference}");
            }
        }
    };
}

for_each_fixture!(wasm_case);

#[wasm_bindgen_test::wasm_bindgen_test]
fn corpus_has_every_case() {
    assert!(crate::support::FIXTURES.len() >= 150, "the corpus has {} cases", crate::support::FIXTURES.len());
}
