//! The package's exports under Node: the fixture corpus and the binding
//! tests. Run by `wasm-pack test --node -- --test wasm_node` (scripts/test-js).
#![cfg(all(target_arch = "wasm32", feature = "js"))]

#[macro_use]
#[allow(dead_code)]
mod support;
#[path = "wasm/bindings.rs"]
mod bindings;
#[path = "wasm/cases.rs"]
mod cases;

use cases::{from_js, to_js};
use js_sys::Reflect;
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
    let _ = from_js(&JsValue::NULL);
}
