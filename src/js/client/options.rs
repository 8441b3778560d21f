//! Each call's own options: `signal`, and contract §9's `idempotencyKey`,
//! `ifMatch`, `ifNoneMatch` and `onETag`.

use crate::js::config::option_value;
use crate::js::convert::{describe, string_arg, type_error};
use wasm_bindgen::{JsCast, JsValue};

/// Which call options a method reads (contract §8, §9); it ignores the others.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Accepts {
    /// A write: `idempotencyKey` (a fresh key is sent when it is absent).
    pub idempotency_key: bool,
    /// A write of one user: `ifMatch`.
    pub if_match: bool,
    /// Identify and the reads of one user: `ifNoneMatch`.
    pub if_none_match: bool,
    /// A call answered with a user or a user's part: `onETag`.
    pub on_etag: bool,
}

/// One call's options, read and checked for their types.
#[derive(Debug, Default)]
pub(crate) struct CallOptions {
    pub signal: Option<web_sys::AbortSignal>,
    /// The caller's `idempotencyKey`, for the core to check.
    pub idempotency_key: Option<String>,
    /// Sent as `If-Match`.
    pub if_match: Option<String>,
    /// Sent as `If-None-Match`.
    pub if_none_match: Option<String>,
    /// Called with the answer's `ETag` (or `null`) before the call resolves.
    pub on_etag: Option<js_sys::Function>,
}

impl CallOptions {
    /// The call options (`undefined` or `null`: none) of a method that
    /// reads what `accepts` says, besides `signal`.
    pub(crate) fn from_js(options: &JsValue, accepts: Accepts) -> Result<CallOptions, JsValue> {
        if options.is_undefined() || options.is_null() {
            return Ok(CallOptions::default());
        }
        if !options.is_object() {
            return Err(type_error(&format!("expected the call options to be an object, got {}", describe(options))));
        }
        let read = |yes: bool, key: &str| if yes { present(options, key) } else { Ok(None) };
        let idempotency_key = read(accepts.idempotency_key, "idempotencyKey")?
            .map(|value| string_arg(&value, "idempotencyKey"))
            .transpose()?;
        let if_match = read(accepts.if_match, "ifMatch")?.map(|value| header_option(&value, "ifMatch", "If-Match"));
        let if_none_match = read(accepts.if_none_match, "ifNoneMatch")?
            .map(|value| header_option(&value, "ifNoneMatch", "If-None-Match"));
        let on_etag = read(accepts.on_etag, "onETag")?
            .map(|value| {
                value.dyn_into::<js_sys::Function>().map_err(|value| {
                    type_error(&format!("expected `onETag` to be a function, got {}", describe(&value)))
                })
            })
            .transpose()?;
        Ok(CallOptions {
            signal: signal_option(options)?,
            idempotency_key,
            if_match: if_match.transpose()?,
            if_none_match: if_none_match.transpose()?,
            on_etag,
        })
    }
}

/// The option `key` unless it is absent, `undefined` or `null`.
fn present(options: &JsValue, key: &str) -> Result<Option<JsValue>, JsValue> {
    let value = option_value(options, key)?;
    Ok((!value.is_undefined() && !value.is_null()).then_some(value))
}

/// `ifMatch` or `ifNoneMatch`: a string that a header can carry (an ETag,
/// a list of them, or `*`), non-empty printable ASCII. Which ETags it names
/// is the server's to judge.
fn header_option(value: &JsValue, name: &str, header: &str) -> Result<String, JsValue> {
    let text = string_arg(value, name)?;
    if text.is_empty() {
        return Err(type_error(&format!("`{name}` is empty: expected an ETag, a list of ETags, or `*`")));
    }
    if !text.bytes().all(|byte| (0x20..=0x7E).contains(&byte)) {
        return Err(type_error(&format!("`{name}` must be printable ASCII: it is sent in the `{header}` header")));
    }
    Ok(text)
}

/// The call options' `signal`: a real `AbortSignal`, or absent.
fn signal_option(options: &JsValue) -> Result<Option<web_sys::AbortSignal>, JsValue> {
    let signal = option_value(options, "signal")?;
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    signal
        .dyn_into::<web_sys::AbortSignal>()
        .map(Some)
        .map_err(|value| type_error(&format!("expected `signal` to be an AbortSignal, got {}", describe(&value))))
}
