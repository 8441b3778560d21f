//! `ValidationError` (of `errors.js`), constructed from Rust; the client's
//! own error classes are in `client/errors.rs`.

use crate::js::convert::problems_to_js;
use crate::IdentifyError;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "/src/js/errors.js")]
extern "C" {
    #[wasm_bindgen(extends = js_sys::Error)]
    pub type ValidationError;
    #[wasm_bindgen(constructor)]
    fn new(message: &str, status: u16, code: &str, errors: JsValue) -> ValidationError;
}

/// A `ValidationError` for a refused request: the core's status, code and
/// message, and `errors` as `validate` lists them.
pub(crate) fn validation_error(error: IdentifyError) -> JsValue {
    let (message, status, code) = (error.to_string(), error.status(), error.code());
    let errors = problems_to_js(&error.into_problems()).unwrap_or_else(|_| js_sys::Array::new().into());
    ValidationError::new(&message, status, code, errors).into()
}
