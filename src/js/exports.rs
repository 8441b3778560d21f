//! `validate`, `merge` and friends: plain JS values in and out, the core's
//! answers unchanged. (`toUser` is plain JS, `records.js`: it reshapes
//! nothing, so it does not enter wasm.)

use crate::js::convert::{body_json, describe, json_text, now_millis, problems_to_js, string_of, type_error, user_id};
use crate::js::errors::validation_error;
use crate::{
    identify, parse_request, time_zone_names, IdentifyError, StandardField, StoredUser, Timestamp, ValidatedRequest,
};
use std::cell::Cell;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

#[wasm_bindgen(module = "/src/js/records.js")]
extern "C" {
    #[wasm_bindgen(js_name = recordFromJson)]
    fn record_from_json(text: &str) -> JsValue;
    #[wasm_bindgen(js_name = recordJson)]
    fn record_json(value: &JsValue) -> JsValue;
    #[wasm_bindgen(js_name = toUser, catch)]
    fn to_user_js(stored: &JsValue) -> Result<JsValue, JsValue>;
}

thread_local! {
    /// The body `validate` or `validateJson` last found valid, and what it
    /// read: an app validates a body, then merges it, and the `merge` of
    /// that same body for the same user takes this instead of reading and
    /// checking it again. Used once; a small body only, so little is held.
    static LAST_VALID: Cell<Option<ValidatedRequest>> = const { Cell::new(None) };
}

/// The largest body [`LAST_VALID`] keeps, with its reading (about five
/// times the text at most).
const MAX_KEPT_BODY_BYTES: usize = 16 * 1024;

/// Every problem identify would report for `body` sent for `userId` (contract §2),
/// in the core's order; empty when the request is valid.
#[wasm_bindgen(js_name = validate, unchecked_return_type = "Problem[]")]
pub fn validate(
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "unknown")] body: JsValue,
) -> Result<JsValue, JsValue> {
    let id = user_id(&user_id_value)?;
    let body = body_json(&body)?;
    validate_text(&id, body.as_bytes())
}

/// `validate` for a body given as JSON text (a string or UTF-8 bytes):
/// also reports what an object cannot show, such as a duplicated key.
#[wasm_bindgen(js_name = validateJson, unchecked_return_type = "Problem[]")]
pub fn validate_json(
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] json: JsValue,
) -> Result<JsValue, JsValue> {
    let id = user_id(&user_id_value)?;
    let bytes = json_text(&json, "json")?;
    validate_text(&id, &bytes)
}

/// Identify without a server: merges `body` into `stored` (`null` for a new
/// user) at time `now` (a `Date` or milliseconds; default: now) and returns
/// the new stored record (contract §3), frozen. Throws `ValidationError` when
/// the request is refused. Declared in `types.d.ts`, where `now` is optional.
#[wasm_bindgen(js_name = merge, skip_typescript)]
pub fn merge(
    #[wasm_bindgen(unchecked_param_type = "StoredUser | null")] stored: JsValue,
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "IdentifyBody")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Date | number")] now: JsValue,
) -> Result<JsValue, JsValue> {
    let stored = stored_text(&stored)?;
    let id = user_id(&user_id_value)?;
    let body = body_json(&body)?;
    let now = Timestamp::from_millis(now_millis(&now)?);
    let record = merge_text(stored.as_deref(), &id, body.as_bytes(), now)?;
    Ok(record_from_json(record.as_json()))
}

/// `merge` with JSON text in and out, for callers that keep records as
/// JSON (storage, a Worker): the stored record as JSON text (or `null`),
/// the body as JSON text (a string or UTF-8 bytes); returns the new record
/// as JSON text, numbers exactly as written. Declared in `types.d.ts`,
/// where `now` is optional.
#[wasm_bindgen(js_name = mergeJson, skip_typescript)]
pub fn merge_json(
    #[wasm_bindgen(js_name = storedJson, unchecked_param_type = "string | null")] stored_json: JsValue,
    #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] json: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Date | number")] now: JsValue,
) -> Result<String, JsValue> {
    let stored = if stored_json.is_null() || stored_json.is_undefined() {
        None
    } else {
        let text = string_of(&stored_json).ok_or_else(|| {
            type_error(&format!("expected `storedJson` to be a string or null, got {}", describe(&stored_json)))
        })?;
        Some(text)
    };
    let id = user_id(&user_id_value)?;
    let bytes = json_text(&json, "json")?;
    let now = Timestamp::from_millis(now_millis(&now)?);
    Ok(merge_text(stored.as_deref(), &id, &bytes, now)?.into_json())
}

/// The user of a stored record, in the response shape of contract §4: the
/// package's `toUser` (plain JS), for the Rust side and its tests.
pub fn to_user(stored: JsValue) -> Result<JsValue, JsValue> {
    to_user_js(&stored)
}

/// The IANA time zone names `timezone` accepts, sorted.
#[wasm_bindgen(js_name = timeZones, unchecked_return_type = "string[]")]
pub fn time_zones() -> JsValue {
    time_zone_names().map(JsValue::from_str).collect::<js_sys::Array>().into()
}

/// The standard fields' keys (contract §2), in the order of the response:
/// a form or a table of a user can be built from the same list as the core.
#[wasm_bindgen(js_name = standardFields, unchecked_return_type = "StandardField[]")]
pub fn standard_fields() -> JsValue {
    StandardField::ALL.iter().map(|field| JsValue::from_str(field.key())).collect::<js_sys::Array>().into()
}

/// The core's validation on text, as a problem list; a valid body is kept
/// in [`LAST_VALID`].
fn validate_text(id: &str, body: &[u8]) -> Result<JsValue, JsValue> {
    match parse_request(id, body) {
        Ok(request) => {
            LAST_VALID.set((body.len() <= MAX_KEPT_BODY_BYTES).then(|| request.keep()));
            problems_to_js(&[])
        }
        Err(error) => {
            LAST_VALID.set(None);
            problems_to_js(&error.into_problems())
        }
    }
}

/// The core's identify on text, its refusals as the package's errors: with
/// the request [`LAST_VALID`] keeps when the body is that one.
fn merge_text(stored: Option<&str>, id: &str, body: &[u8], now: Timestamp) -> Result<StoredUser, JsValue> {
    let stored = stored.map(str::as_bytes);
    let merged = match LAST_VALID.take() {
        Some(valid) if valid.is_for(id, body) => valid.merge(stored, now),
        _ => identify(stored, id, body, now),
    };
    merged.map_err(|error| match error {
        IdentifyError::InvalidStoredRecord { detail } => {
            type_error(&format!("expected `stored` to be a record returned by `merge` (or null): {detail}"))
        }
        refused => validation_error(refused),
    })
}

/// The JSON text of a stored record from JS: `null`/`undefined` for none;
/// a record `merge` returned gives the text it was made from; any other
/// value goes through `JSON.stringify`, as a body does.
fn stored_text(stored: &JsValue) -> Result<Option<String>, JsValue> {
    if stored.is_null() || stored.is_undefined() {
        return Ok(None);
    }
    if let Some(text) = string_of(&record_json(stored)) {
        return Ok(Some(text));
    }
    body_json(stored).map(Some).map_err(|_| {
        type_error("expected `stored` to be a record returned by `merge` (or null), but it cannot be written as JSON")
    })
}
