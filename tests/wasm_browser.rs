//! The package's exports in a browser page (headless Chromium and Firefox
//! ESR): the fixture corpus, the binding tests, the secret-key guard and a
//! real `fetch`. Run by scripts/test-js as
//! `wasm-pack test --headless --chrome --features client --test wasm_browser`,
//! then the same with `--firefox`.
#![cfg(all(target_arch = "wasm32", feature = "client"))]

#[macro_use]
#[allow(dead_code)]
mod support;
#[path = "wasm/bindings.rs"]
mod bindings;
#[path = "wasm/cases.rs"]
mod cases;

use cases::to_js;
use js_sys::Reflect;
use knock_identify::js::IdentifyClient;
use serde_json::json;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn global(path: &[&str]) -> JsValue {
    path.iter().fold(js_sys::global().into(), |value, key| {
        Reflect::get(&value, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    })
}

#[wasm_bindgen_test]
fn this_suite_runs_in_a_browser_page() {
    assert!(global(&["document", "body"]).is_object(), "no document");
    assert!(global(&["process"]).is_undefined(), "Node's process is here");
}

#[wasm_bindgen_test]
fn a_secret_key_is_refused_in_a_page_unless_the_caller_opts_in() {
    let refused = IdentifyClient::new(to_js(&json!({"apiKey": "sk_live_x"}))).err().expect("refused");
    let message = Reflect::get(&refused, &"message".into()).unwrap().as_string().unwrap();
    assert!(message.contains("refusing to send a secret key"), "{message}");
    assert!(message.contains("https://api.knock.app") && message.contains("dangerouslyAllowBrowser"), "{message}");
    let allowed = [
        json!({"apiKey": "sk_live_x", "dangerouslyAllowBrowser": true}),
        json!({"apiKey": "sk_test_x", "baseUrl": "http://localhost:8787"}),
        json!({"apiKey": "sk_test_x", "baseUrl": "http://127.0.0.1:8787"}),
        json!({"apiKey": "pk_live_x"}),
        // Enhanced security mode is meant for pages: no guard, no opt-in.
        json!({"publicKey": "pk_live_x", "userToken": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}),
    ];
    for options in allowed {
        assert!(IdentifyClient::new(to_js(&options)).is_ok(), "{options}");
    }
    let other = json!({"apiKey": "sk_test_x", "baseUrl": "http://192.168.1.2:8787"});
    assert!(IdentifyClient::new(to_js(&other)).is_err());
}

#[wasm_bindgen_test]
async fn the_client_fetches_from_a_page() {
    // The test runner's own server has no users API: a real 404 through
    // the page's fetch, typed as an ApiError.
    let origin = global(&["location", "origin"]).as_string().expect("a page has an origin");
    let client = IdentifyClient::new(to_js(&json!({"apiKey": "pk_x", "baseUrl": origin, "maxRetries": 0}))).unwrap();
    let error = JsFuture::from(client.get("user-1".into(), None)).await.unwrap_err();
    let field = |key: &str| Reflect::get(&error, &key.into()).unwrap();
    assert_eq!(field("name"), "ApiError");
    assert_eq!(field("status"), 404);
}
