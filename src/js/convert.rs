//! JS values in and out: user ids, bodies as JSON text, the clock, and
//! problem lists.

use js_sys::{JsString, Uint8Array, JSON};
use serde::Serialize;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

#[wasm_bindgen(module = "/src/js/text.js")]
extern "C" {
    #[wasm_bindgen(js_name = encodeInto)]
    fn encode_into(text: &JsString, memory: &JsValue, at: usize, room: usize) -> i32;
}

thread_local! {
    /// The wasm's memory, for `encodeInto` (the object stays the same when
    /// the memory grows; its buffer does not, so the JS side reads it each time).
    static MEMORY: JsValue = wasm_bindgen::memory();
}

/// A JS string as Rust text, a lone surrogate as U+FFFD (as `fetch` would
/// send it, and as wasm-bindgen converts it), copied in by one native
/// `TextEncoder.encodeInto`: room for one byte per UTF-16 unit, which ASCII
/// needs, then for three, which any text fits in.
pub(crate) fn text_of(text: &JsString) -> String {
    let units = text.length() as usize;
    let mut bytes = Vec::<u8>::new();
    for room in [units, units.saturating_mul(3)] {
        bytes.reserve_exact(room);
        let written = MEMORY.with(|memory| encode_into(text, memory, bytes.as_mut_ptr() as usize, room));
        if let Ok(written) = usize::try_from(written) {
            // SAFETY: `encodeInto` wrote `written` <= `room` bytes of UTF-8
            // (TextEncoder writes nothing else, and never part of a
            // character) into the vector's spare capacity, from its start.
            unsafe {
                bytes.set_len(written);
                return String::from_utf8_unchecked(bytes);
            }
        }
    }
    String::from(text)
}

/// [`text_of`] a JS value that is a string.
pub(crate) fn string_of(value: &JsValue) -> Option<String> {
    value.dyn_ref::<JsString>().map(text_of)
}

/// A `TypeError` with `message`.
pub(crate) fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}

/// A short description of a JS value's type, for error messages.
pub(crate) fn describe(value: &JsValue) -> &'static str {
    if value.is_null() {
        "null"
    } else if value.is_undefined() {
        "undefined"
    } else if js_sys::Array::is_array(value) {
        "an array"
    } else if value.is_string() {
        "a string"
    } else if value.as_f64().is_some() {
        "a number"
    } else if value.as_bool().is_some() {
        "a boolean"
    } else if value.is_bigint() {
        "a bigint"
    } else if value.is_symbol() {
        "a symbol"
    } else if value.is_function() {
        "a function"
    } else {
        "an object"
    }
}

/// The message of a thrown JS value, which need not be an `Error`.
pub(crate) fn message_of(value: &JsValue) -> String {
    if let Some(error) = value.dyn_ref::<js_sys::Error>() {
        String::from(error.message())
    } else if let Some(text) = value.as_string() {
        text
    } else {
        format!("a thrown value that is {}", describe(value))
    }
}

/// A user id: a JS string of valid Unicode.
pub(crate) fn user_id(value: &JsValue) -> Result<String, JsValue> {
    string_arg(value, "userId")
}

/// An id argument (`name` in messages): a JS string of valid Unicode.
pub(crate) fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    match value.dyn_ref::<JsString>() {
        Some(text) if text.is_valid_utf16() => Ok(text_of(text)),
        Some(_) => Err(type_error(&format!("expected `{name}` to be a string of valid Unicode, got a lone surrogate"))),
        None => Err(type_error(&format!("expected `{name}` to be a string, got {}", describe(value)))),
    }
}

/// A request body as `fetch` would send it: the text of `JSON.stringify`,
/// which drops `undefined` fields and keeps own `__proto__` keys. A lone
/// surrogate becomes U+FFFD, as `fetch` would send it.
pub(crate) fn body_json(body: &JsValue) -> Result<String, JsValue> {
    json_of(body, "body")
}

/// [`body_json`] of the argument `name`.
pub(crate) fn json_of(value: &JsValue, name: &str) -> Result<String, JsValue> {
    if value.is_undefined() || value.is_function() || value.is_symbol() {
        return Err(type_error(&format!("expected `{name}` to be a JSON object, got {}", describe(value))));
    }
    let text = JSON::stringify(value)
        .map_err(|error| type_error(&format!("`{name}` cannot be written as JSON: {}", message_of(&error))))?;
    // `toJSON` may return `undefined`, which has no JSON text.
    string_of(&text).ok_or_else(|| type_error(&format!("`{name}` cannot be written as JSON: it has no JSON text")))
}

/// JSON text given as a string or as the bytes of one; `name` is the
/// argument's name in messages.
pub(crate) fn json_text(value: &JsValue, name: &str) -> Result<Vec<u8>, JsValue> {
    if let Some(text) = string_of(value) {
        return Ok(text.into_bytes());
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Ok(bytes.to_vec());
    }
    Err(type_error(&format!("expected `{name}` to be a string or a Uint8Array, got {}", describe(value))))
}

/// A problem list as plain JS objects: problems have fixed keys (`field`,
/// `message`, `type`), so serde-wasm-bindgen builds them directly.
pub(crate) fn problems_to_js(problems: &[crate::Problem]) -> Result<JsValue, JsValue> {
    if problems.is_empty() {
        return Ok(js_sys::Array::new().into());
    }
    problems.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(JsValue::from)
}

/// The time of a write: a `Date`, milliseconds since the epoch, or
/// `undefined` for now.
pub(crate) fn now_millis(value: &JsValue) -> Result<i64, JsValue> {
    // ECMAScript's time range: ±8.64e15 ms around the epoch.
    const LIMIT: f64 = 8.64e15;
    let millis = if value.is_undefined() {
        js_sys::Date::now()
    } else if let Some(date) = value.dyn_ref::<js_sys::Date>() {
        date.get_time()
    } else if let Some(number) = value.as_f64() {
        number
    } else {
        return Err(type_error(&format!("expected `now` to be a Date or milliseconds, got {}", describe(value))));
    };
    if !millis.is_finite() || millis.abs() > LIMIT {
        return Err(js_sys::RangeError::new("`now` is not a valid time: NaN, infinite or beyond ±8.64e15 ms").into());
    }
    Ok(millis.floor() as i64)
}
