//! The server's answer read: a success's JSON (a user, a user's part, an
//! operation, a page of changes) and its `ETag`, or an error answer's
//! fields (contract §6) for the typed error.

use super::errors::{api_error, ApiErrorFields};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen]
extern "C" {
    /// `JSON.parse` of a JS string, without copying it into wasm.
    #[wasm_bindgen(js_namespace = JSON, js_name = parse, catch)]
    fn parse_json(text: &JsValue) -> Result<JsValue, JsValue>;
}

/// A successful answer: a 2xx, or the 304 of a read that sent `If-None-Match`.
pub(super) struct Success {
    pub status: u16,
    /// The user's `ETag` (contract §9), when the answer has one.
    pub etag: Option<String>,
    /// The body's text (empty for a 204 or a 304).
    pub body: JsValue,
}

impl Success {
    /// Whether the server answered `304 Not Modified`: the caller's ETag is current.
    pub(super) fn not_modified(&self) -> bool {
        self.status == 304
    }
}

/// The answer's user, channel data or preference set, which must be JSON.
pub(super) fn parse_answer(body: &JsValue) -> Result<JsValue, JsValue> {
    parse_json(body).map_err(|_| {
        api_error(
            ApiErrorFields {
                status: 200,
                code: "invalid_response".into(),
                message: "the server answered with a body that is not JSON".into(),
                request_id: None,
                errors: js_sys::Array::new().into(),
                etag: None,
            },
            None,
        )
    })
}

/// The fields of an error answer: contract §6's JSON when it is that, else the status.
pub(super) fn error_fields(
    status: u16,
    body: &JsValue,
    header_request_id: Option<String>,
    etag: Option<String>,
) -> ApiErrorFields {
    let json = parse_json(body).ok().filter(JsValue::is_object).unwrap_or(JsValue::UNDEFINED);
    let field = |key: &str| {
        if json.is_undefined() {
            JsValue::UNDEFINED
        } else {
            js_sys::Reflect::get(&json, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
        }
    };
    let text = |key: &str| field(key).as_string();
    let errors = Some(field("errors")).filter(js_sys::Array::is_array);
    ApiErrorFields {
        status,
        code: text("code").unwrap_or_else(|| "unknown".into()),
        message: text("message").unwrap_or_else(|| format!("the server answered {status}")),
        request_id: text("request_id").or(header_request_id),
        errors: errors.unwrap_or_else(|| js_sys::Array::new().into()),
        etag,
    }
}
