//! The fixture corpus through the package's exports (`validate`, `merge`,
//! `toUser` and their JSON-text variants), as JS calls them: one
//! `wasm_bindgen_test` per case.

use crate::support::{case_body, FIXTURE_NOW};
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
    let now = JsValue::from_f64(FIXTURE_NOW.as_millis() as f64);
    let mut stored = JsValue::NULL;
    for (index, before) in case["before"].as_array().into_iter().flatten().enumerate() {
        stored = js::merge(stored, user_id.clone(), to_js(before), now.clone())
            .map_err(|e| format!("{name}: before[{index}] threw {}", from_js(&e)))?;
    }
    let (problems, merged) = match case.get("body") {
        Some(body) => {
            (js::validate(user_id.clone(), to_js(body)), js::merge(stored, user_id.clone(), to_js(body), now.clone()))
        }
        None => {
            let bytes = case_body(&case);
            if let Ok(text) = std::str::from_utf8(&bytes) {
                // The string form answers exactly as the bytes do.
                let from_text = js::validate_json(user_id.clone(), JsValue::from_str(text));
                let from_bytes = js::validate_json(user_id.clone(), Uint8Array::from(&bytes[..]).into());
                if from_text.as_ref().map(from_js).ok() != from_bytes.as_ref().map(from_js).ok() {
                    return Err(format!("{name}: validateJson differs between a string and its bytes"));
                }
            }
            let json = JsValue::from(Uint8Array::from(&bytes[..]));
            // mergeJson takes and gives records as JSON text.
            let stored_json = if stored.is_null() { JsValue::NULL } else { JSON::stringify(&stored).unwrap().into() };
            let merged = js::merge_json(stored_json, user_id.clone(), json.clone(), now.clone())
                .map(|text| JSON::parse(&text).expect("mergeJson gives JSON text"));
            (js::validate_json(user_id.clone(), json), merged)
        }
    };
    let problems = from_js(&problems.map_err(|e| format!("{name}: validate threw {}", from_js(&e)))?);
    let expect = through_js(&case["expect"]);
    let answer = match merged {
        Ok(record) => {
            if problems != json!([]) {
                return Err(format!("{name}: merge succeeded but validate listed {problems}"));
            }
            let user = js::to_user(record.clone()).map_err(|e| format!("{name}: toUser threw {}", from_js(&e)))?;
            if from_js(&user) != from_js(&get(&record, "user")) {
                return Err(format!("{name}: toUser differs from the record's user"));
            }
            let mut user = from_js(&user);
            let updated_at = user.as_object_mut().and_then(|u| u.remove("updated_at"));
            if updated_at != Some(json!("2024-06-01T00:00:00.000Z")) {
                return Err(format!("{name}: updated_at is {updated_at:?}"));
            }
            let mut answer = json!({ "status": 200, "user": user });
            for key in ["preferences", "channel_data"] {
                if expect.get(key).is_some() {
                    answer[key] = from_js(&get(&record, key));
                }
            }
            answer
        }
        Err(error) => {
            let is_error = error.is_instance_of::<js_sys::Error>();
            let class = get(&get(&error, "constructor"), "name").as_string();
            if !is_error || class.as_deref() != Some("ValidationError") || get(&error, "name") != "ValidationError" {
                return Err(format!("{name}: merge threw {class:?}, not a ValidationError: {}", from_js(&error)));
            }
            let errors = from_js(&get(&error, "errors"));
            if errors != problems {
                return Err(format!("{name}: ValidationError.errors {errors} differ from validate's {problems}"));
            }
            let mut answer =
                json!({ "status": from_js(&get(&error, "status")), "code": from_js(&get(&error, "code")) });
            if answer["status"] == 422 {
                answer["errors"] = errors;
            }
            if let Some(part) = expect["message_contains"].as_str() {
                let message = get(&error, "message").as_string().unwrap_or_default();
                answer["message_contains"] = if message.contains(part) { json!(part) } else { json!(message) };
            }
            answer
        }
    };
    if answer == expect {
        Ok(())
    } else {
        Err(format!(
            "{name}: {}\n  expected: {expect}\n  got:      {answer}",
            case["description"].as_str().unwrap_or_default()
        ))
    }
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
    assert!(crate::support::FIXTURES.len() >= 122, "the corpus has {} cases", crate::support::FIXTURES.len());
}
