//! Enhanced security mode (contract §6a): a public key and the signed-in
//! user's token, sent as `X-Knock-User-Token`. The token is a string, or a
//! function that returns one (or a promise of one): the function is called
//! once at the start of each call, and once more when the server refuses
//! the token (`401 invalid_user_token`) — never a third time in one call.
//! (The option itself is read at construction, in `config.rs`.)

use crate::js::config::{check_token, UserToken};
use crate::js::convert::{describe, type_error};
use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

/// The error code of a refused user token (contract §6a).
const INVALID_USER_TOKEN: &str = "invalid_user_token";

#[wasm_bindgen(module = "/src/js/runtime.js")]
extern "C" {
    /// `promise`'s outcome, or `undefined` as soon as `signal` aborts.
    #[wasm_bindgen(js_name = untilAborted)]
    fn until_aborted(promise: &Promise, signal: Option<&AbortSignal>) -> Promise;
}

/// What went wrong while getting a token.
pub(crate) enum TokenError {
    /// The caller's signal aborted the wait.
    Aborted,
    /// The function threw or its promise rejected (that value), or it gave
    /// something that is not a token (a `TypeError`).
    Failed(JsValue),
}

impl UserToken {
    /// Whether a refused token can be replaced by a fresh one.
    pub(crate) fn refreshable(&self) -> bool {
        matches!(self, UserToken::Source(_))
    }

    /// The token for the next attempt: the string, or what the function
    /// gives (awaited, unless `signal` aborts first).
    pub(crate) async fn get(&self, signal: Option<&AbortSignal>) -> Result<String, TokenError> {
        let function = match self {
            UserToken::Fixed(token) => return Ok(token.clone()),
            UserToken::Source(function) => function,
        };
        let returned = function.call0(&JsValue::UNDEFINED).map_err(TokenError::Failed)?;
        // `Promise.resolve` takes a string, a promise or any thenable alike.
        let settled = JsFuture::from(until_aborted(&Promise::resolve(&returned), signal)).await;
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(TokenError::Aborted);
        }
        let value = settled.map_err(TokenError::Failed)?;
        let token = value.as_string().ok_or_else(|| {
            TokenError::Failed(type_error(&format!(
                "expected the `userToken` function to return a string or a promise of one, got {}",
                describe(&value)
            )))
        })?;
        check_token(&token).map_err(|problem| {
            TokenError::Failed(type_error(&format!("the `userToken` function's token {problem}")))
        })?;
        Ok(token)
    }
}

/// Whether an error answer asks for a fresh token: a `401 invalid_user_token`,
/// when the token comes from a function and was not refreshed yet in this call.
pub(crate) fn should_refresh(status: u16, code: &str, refreshable: bool, refreshed: bool) -> bool {
    status == 401 && code == INVALID_USER_TOKEN && refreshable && !refreshed
}

#[cfg(test)]
mod tests {
    use super::should_refresh;

    #[test]
    fn only_a_refused_token_from_a_function_is_refreshed_once() {
        assert!(should_refresh(401, "invalid_user_token", true, false));
        assert!(!should_refresh(401, "invalid_user_token", true, true), "once per call");
        assert!(!should_refresh(401, "invalid_user_token", false, false), "a fixed token");
        assert!(!should_refresh(401, "user_token_missing", true, false));
        assert!(!should_refresh(401, "invalid_api_key", true, false));
        assert!(!should_refresh(403, "forbidden", true, false));
        assert!(!should_refresh(400, "invalid_user_token", true, false));
    }
}
