//! The options of the paged reads, `changes` and `listUsers`: read from
//! the caller's options object as the query text the server would get,
//! and checked by the core's own check of that query (a `TypeError` for a
//! value of the wrong type, before any check).

use super::checks::{checked_by_core, checked_ids};
use super::send::ApiRequest;
use crate::js::convert::{describe, string_arg, type_error};
use crate::{check_page_size, list_params};
use gloo_net::http::Method;
use wasm_bindgen::{JsCast, JsValue};

/// The request of `changes(userId, { pageSize, after })` for `user_id`,
/// once the id and the page size pass the core's checks (both refused at
/// once, in that order).
pub(super) fn changes_request(user_id: String, options: &JsValue) -> Result<ApiRequest, JsValue> {
    let page_size = page_size_text(options)?;
    let after = cursor_option(options, "after")?;
    let checked = page_size.as_deref().map(|text| check_page_size(Some(text))).transpose();
    checked_ids(&user_id, [checked.as_ref().err().cloned()])?;
    let mut request = ApiRequest::bodyless(Method::GET, vec![user_id, "changes".into()]);
    if let Ok(Some(size)) = checked {
        request = request.query("page_size", size.to_string());
    }
    if let Some(after) = after {
        request = request.query("after", after);
    }
    Ok(request)
}

/// The request of `listUsers({ pageSize, after, before, include, email })`:
/// `GET /v1/users` with the options as its query, once the core's check
/// of that query (contract §10) passes. Cursors are opaque here: whether
/// one names a place in the key's environment only the server can tell.
pub(super) fn users_list_request(options: &JsValue) -> Result<ApiRequest, JsValue> {
    let mut query: Vec<(&'static str, String)> = Vec::new();
    query.extend(page_size_text(options)?.map(|text| ("page_size", text)));
    query.extend(cursor_option(options, "after")?.map(|after| ("after", after)));
    query.extend(cursor_option(options, "before")?.map(|before| ("before", before)));
    query.extend(include_option(options)?.into_iter().map(|value| ("include[]", value)));
    query.extend(optional_string(options, "email")?.map(|email| ("email", email)));
    checked_by_core(list_params(query.iter().map(|(name, value)| (*name, value.as_str())), |_| Some(())), None)?;
    Ok(query
        .into_iter()
        .fold(ApiRequest::bodyless(Method::GET, Vec::new()), |request, (name, value)| request.query(name, value)))
}

/// The `pageSize` option: absent, else the number as the query would carry
/// it (`String(pageSize)`: `7`, `2.5`, `NaN`), for the core to check.
fn page_size_text(options: &JsValue) -> Result<Option<String>, JsValue> {
    let Some(value) = present(options, "pageSize")? else { return Ok(None) };
    if value.as_f64().is_none() {
        return Err(type_error(&format!("expected `pageSize` to be a number, got {}", describe(&value))));
    }
    Ok(Some(String::from(value.unchecked_into::<js_sys::Number>().to_string_with_radix(10)?)))
}

/// A cursor option (`after`, `before`): absent, or a cursor string.
fn cursor_option(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    optional_string(options, name)
}

/// The `include` option: absent, or an array of strings (`["preferences"]`).
fn include_option(options: &JsValue) -> Result<Vec<String>, JsValue> {
    let Some(value) = present(options, "include")? else { return Ok(Vec::new()) };
    let Some(values) = value.dyn_ref::<js_sys::Array>() else {
        return Err(type_error(&format!(
            "expected `include` to be an array, like [\"preferences\"], got {}",
            describe(&value)
        )));
    };
    values.iter().map(|value| string_arg(&value, "include")).collect()
}

/// The string option `name`: absent (`undefined` or `null`), or a string.
fn optional_string(options: &JsValue, name: &str) -> Result<Option<String>, JsValue> {
    present(options, name)?.map(|value| string_arg(&value, name)).transpose()
}

/// The option `name` unless it is absent, `undefined` or `null` (no options: none).
fn present(options: &JsValue, name: &str) -> Result<Option<JsValue>, JsValue> {
    if !options.is_object() {
        return Ok(None);
    }
    let value = js_sys::Reflect::get(options, &JsValue::from_str(name))?;
    Ok((!value.is_undefined() && !value.is_null()).then_some(value))
}
