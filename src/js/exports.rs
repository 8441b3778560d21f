//! `validate`, `merge`, `toUser` and friends: plain JS values in and out,
//! the core's answers unchanged.

use crate::js::convert::{
    body_json, describe, json_bytes, now_millis, problems_to_js, to_js, type_error, user_id, utf8,
};
use crate::js::errors::validation_error;
use crate::{identify, StoredUser, Timestamp, TIME_ZONE_NAMES};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;
use wasm_bindgen::JsValue;

/// Every problem identify would report for `body` sent for `userId` (SPEC §2),
/// in the core's order; empty when the request is valid.
#[wasm_bindgen(js_name = validate, unchecked_return_type = "Problem[]")]
pub fn validate(
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] body: JsValue,
) -> Result<JsValue, JsValue> {
    let id = user_id(&user_id_value)?;
    let (_, bytes) = body_json(&body)?;
    problems_to_js(&crate::validate(&id, &bytes))
}

/// `validate` for a body given as JSON text (a string or UTF-8 bytes):
/// also reports what an object cannot show, such as a duplicated key.
#[wasm_bindgen(js_name = validateJson, unchecked_return_type = "Problem[]")]
pub fn validate_json(
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] json: JsValue,
) -> Result<JsValue, JsValue> {
    let id = user_id(&user_id_value)?;
    let bytes = json_bytes(&json)?;
    problems_to_js(&crate::validate(&id, &bytes))
}

/// Identify without a server: merges `body` into `stored` (`null` for a new
/// user) at time `now` (a `Date` or milliseconds; default: now) and returns
/// the new stored record (SPEC §3). Throws `ValidationError` when the
/// request is refused.
/// Declared in `types.rs`, where `now` is optional.
#[wasm_bindgen(js_name = merge, skip_typescript)]
pub fn merge(
    #[wasm_bindgen(unchecked_param_type = "StoredUser | null")] stored: JsValue,
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "IdentifyBody")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Date | number")] now: JsValue,
) -> Result<JsValue, JsValue> {
    let record = stored_record(&stored)?;
    let id = user_id(&user_id_value)?;
    let (_, bytes) = body_json(&body)?;
    merge_bytes(record, &id, &bytes, &now)
}

/// `merge` with JSON text in and out, for callers that keep records as
/// JSON (storage, a Worker): the stored record as JSON text (or `null`),
/// the body as JSON text (a string or UTF-8 bytes); returns the new record
/// as JSON text. Skips every conversion between JS objects and JSON.
/// Declared in `types.rs`, where `now` is optional.
#[wasm_bindgen(js_name = mergeJson, skip_typescript)]
pub fn merge_json(
    #[wasm_bindgen(js_name = storedJson, unchecked_param_type = "string | null")] stored_json: JsValue,
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] json: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Date | number")] now: JsValue,
) -> Result<String, JsValue> {
    let record = if stored_json.is_null() || stored_json.is_undefined() {
        None
    } else {
        let text = stored_json.dyn_ref::<js_sys::JsString>().ok_or_else(|| {
            type_error(&format!("expected `storedJson` to be a string or null, got {}", describe(&stored_json)))
        })?;
        Some(read_record(&utf8(text))?)
    };
    let id = user_id(&user_id_value)?;
    let bytes = json_bytes(&json)?;
    let now = Timestamp::from_millis(now_millis(&now)?);
    match identify(record, &id, &bytes, now) {
        Ok(record) => Ok(record.to_json()),
        Err(error) => Err(validation_error(&error, &crate::validate(&id, &bytes))),
    }
}

/// The user of a stored record, in the response shape of SPEC §4.
#[wasm_bindgen(js_name = toUser, unchecked_return_type = "User")]
pub fn to_user(#[wasm_bindgen(unchecked_param_type = "StoredUser")] stored: JsValue) -> Result<JsValue, JsValue> {
    match stored_record(&stored)? {
        Some(record) => to_js(&record.user),
        None => Err(type_error("expected `stored` to be a record returned by `merge`, got null")),
    }
}

/// The IANA time zone names `timezone` accepts, sorted.
#[wasm_bindgen(js_name = timeZones, unchecked_return_type = "string[]")]
pub fn time_zones() -> JsValue {
    TIME_ZONE_NAMES.iter().map(|name| JsValue::from_str(name)).collect::<js_sys::Array>().into()
}

fn merge_bytes(record: Option<StoredUser>, id: &str, body: &[u8], now: &JsValue) -> Result<JsValue, JsValue> {
    let now = Timestamp::from_millis(now_millis(now)?);
    match identify(record, id, body, now) {
        Ok(record) => to_js(&record),
        Err(error) => Err(validation_error(&error, &crate::validate(id, body))),
    }
}

/// A stored record from JS: `null`/`undefined` for none, else an object
/// `merge` returned (it goes through JSON like a body).
fn stored_record(stored: &JsValue) -> Result<Option<StoredUser>, JsValue> {
    if stored.is_null() || stored.is_undefined() {
        return Ok(None);
    }
    let (_, bytes) = body_json(stored).map_err(|_| {
        type_error("expected `stored` to be a record returned by `merge` (or null), but it cannot be written as JSON")
    })?;
    read_record(&bytes).map(Some)
}

/// A stored record from its JSON text.
fn read_record(text: &[u8]) -> Result<StoredUser, JsValue> {
    StoredUser::from_json(text).map_err(|error| {
        let detail = match error {
            crate::IdentifyError::InvalidStoredRecord { detail } => detail,
            other => other.to_string(),
        };
        type_error(&format!("expected `stored` to be a record returned by `merge` (or null): {detail}"))
    })
}
