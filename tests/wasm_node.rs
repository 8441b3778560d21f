//! The package's exports under Node: the fixture corpus and the binding
//! tests. Run by `wasm-pack test --node -- --test wasm_node` (scripts/test-js).
#![cfg(all(target_arch = "wasm32", feature = "client"))]

#[macro_use]
#[allow(dead_code)]
mod support;
#[path = "wasm/bindings.rs"]
mod bindings;
#[path = "wasm/cases.rs"]
mod cases;

use cases::{from_js, to_js};
use js_sys::{Reflect, Uint8Array};
use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::wasm_bindgen_test;

fn global(path: &[&str]) -> JsValue {
    path.iter().fold(js_sys::global().into(), |value, key| {
        Reflect::get(&value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    })
}

#[wasm_bindgen_test]
fn this_suite_runs_in_node() {
    assert!(global(&["process", "versions", "node"]).is_string(), "not Node");
    assert!(global(&["document"]).is_undefined(), "a browser page");
}

#[wasm_bindgen_test]
fn outside_a_browser_a_secret_key_needs_no_opt_in() {
    let options = json!({"apiKey": "sk_test_x", "baseUrl": "https://api.knock.app"});
    assert!(knock_identify::js::IdentifyClient::new(to_js(&options)).is_ok());
}

/// `validateJson(userId, bytes)`: bytes that are not UTF-8 are the 400 of
/// contract §2 (as `mergeJson` throws it), one problem on the body as a
/// whole naming line and column (in bytes); the same text made valid is
/// accepted, so it is the bytes that are refused.
#[wasm_bindgen_test]
fn validate_json_refuses_bytes_that_are_not_utf8() {
    let cases: [(&[u8], &str); 5] = [
        (b"{\"name\": \"Jo\xffe\"}", "line 1 column 13"),
        (b"{\"a\": 1,\n \"name\": \"\xe2\x82\"}", "line 2 column 11"),
        (b"{\"name\": \"x\"}\xe2", "line 1 column 14"),
        (b"{\"name\": \"\xc0\xaf\"}", "line 1 column 11"),
        (b"{\"name\": \"\xed\xa0\x80\"}", "line 1 column 11"),
    ];
    let user_id = JsValue::from_str("user-1");
    for (bytes, place) in cases {
        let json = JsValue::from(Uint8Array::from(bytes));
        let problems = from_js(&knock_identify::js::validate_json(user_id.clone(), json.clone()).expect("an answer"));
        let message = format!("the body is not valid JSON: invalid UTF-8 at {place}");
        assert_eq!(problems, json!([{"field": "", "message": message, "type": "format"}]), "{bytes:?}");
        let thrown = knock_identify::js::merge_json(JsValue::NULL, user_id.clone(), json, JsValue::from_f64(0.0))
            .expect_err("refused");
        let answer = json!({"status": from_js(&Reflect::get(&thrown, &"status".into()).unwrap()),
            "code": from_js(&Reflect::get(&thrown, &"code".into()).unwrap()),
            "message": from_js(&Reflect::get(&thrown, &"message".into()).unwrap())});
        assert_eq!(answer, json!({"status": 400, "code": "invalid_json", "message": message}), "{bytes:?}");
    }
    let valid = JsValue::from(Uint8Array::from("{\"name\": \"Jo€\"}".as_bytes()));
    assert_eq!(from_js(&knock_identify::js::validate_json(user_id, valid).unwrap()), json!([]));
}
