//! The client's error classes of `errors.js` (`ValidationError` is the
//! core's, `js/errors.rs`), constructed from Rust.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "/src/js/errors.js")]
extern "C" {
    #[wasm_bindgen(extends = js_sys::Error)]
    pub type ApiError;
    #[wasm_bindgen(constructor)]
    fn new(
        message: &str,
        status: u16,
        code: &str,
        request_id: Option<String>,
        errors: JsValue,
        etag: Option<String>,
    ) -> ApiError;

    #[wasm_bindgen(extends = ApiError, extends = js_sys::Error)]
    pub type RateLimitError;
    #[wasm_bindgen(constructor)]
    fn new(
        message: &str,
        status: u16,
        code: &str,
        request_id: Option<String>,
        errors: JsValue,
        retry_after_ms: Option<f64>,
    ) -> RateLimitError;

    #[wasm_bindgen(extends = js_sys::Error)]
    pub type ConnectionError;
    #[wasm_bindgen(constructor)]
    fn new(message: &str, cause: JsValue) -> ConnectionError;

    #[wasm_bindgen(extends = ConnectionError, extends = js_sys::Error)]
    pub type TimeoutError;
    #[wasm_bindgen(constructor)]
    fn new(message: &str) -> TimeoutError;

    #[wasm_bindgen(extends = js_sys::Error)]
    pub type AbortError;
    #[wasm_bindgen(constructor)]
    fn new(message: &str, cause: JsValue) -> AbortError;
}

/// The fields of an error answer from the server.
pub(crate) struct ApiErrorFields {
    pub status: u16,
    pub code: String,
    pub message: String,
    pub request_id: Option<String>,
    pub errors: JsValue,
    /// The answer's `ETag`: on a 412, the user's current one (contract §9).
    pub etag: Option<String>,
}

pub(crate) fn api_error(fields: ApiErrorFields, retry_after_ms: Option<f64>) -> JsValue {
    let ApiErrorFields { status, code, message, request_id, errors, etag } = fields;
    if status == 429 {
        RateLimitError::new(&message, status, &code, request_id, errors, retry_after_ms).into()
    } else {
        ApiError::new(&message, status, &code, request_id, errors, etag).into()
    }
}

pub(crate) fn connection_error(message: &str, cause: JsValue) -> JsValue {
    ConnectionError::new(message, cause).into()
}

pub(crate) fn timeout_error(message: &str) -> JsValue {
    TimeoutError::new(message).into()
}

pub(crate) fn abort_error(message: &str, cause: JsValue) -> JsValue {
    AbortError::new(message, cause).into()
}
