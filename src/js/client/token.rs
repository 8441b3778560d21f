//! Enhanced security mode (contract §6a): a public key and the signed-in
//! user's token, sent as `X-Knock-User-Token`. The token is a string, or a
//! function that returns one (or a promise of one): the function is called
//! once at the start of each call, and once more when the server refuses
//! the token (`401 invalid_user_token`) — never a third time in one call.

use crate::js::convert::{describe, type_error};
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

/// The error code of a refused user token (contract §6a).
const INVALID_USER_TOKEN: &str = "invalid_user_token";

/// Where the user token comes from.
#[derive(Debug, Clone)]
pub(crate) enum UserToken {
    /// A fixed token: never fetched again, so a refusal is final.
    Fixed(String),
    /// A function returning a token or a promise of one.
    Source(Function),
}

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
    /// The `userToken` option: a valid token string or a function.
    pub(crate) fn from_option(value: JsValue) -> Result<UserToken, JsValue> {
        if let Some(function) = value.dyn_ref::<Function>() {
            return Ok(UserToken::Source(function.clone()));
        }
        match value.as_string() {
            Some(token) => match check_token(&token) {
                Ok(()) => Ok(UserToken::Fixed(token)),
                Err(problem) => Err(type_error(&format!("`userToken` {problem}"))),
            },
            None => Err(type_error(&format!(
                "expected `userToken` to be a string or a function returning one, got {}",
                describe(&value)
            ))),
        }
    }

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

/// A token goes in a header: non-empty printable ASCII without spaces (a
/// JWT is base64url parts and dots). Returns the problem, worded to follow
/// the token's name.
pub(crate) fn check_token(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        Err("is empty: expected the signed user token (a JWT)")
    } else if !token.bytes().all(|byte| (0x21..=0x7E).contains(&byte)) {
        Err("must be printable ASCII without spaces: it is sent in the `X-Knock-User-Token` header")
    } else {
        Ok(())
    }
}

/// Whether an error answer asks for a fresh token: a `401 invalid_user_token`,
/// when the token comes from a function and was not refreshed yet in this call.
pub(crate) fn should_refresh(status: u16, code: &str, refreshable: bool, refreshed: bool) -> bool {
    status == 401 && code == INVALID_USER_TOKEN && refreshable && !refreshed
}

#[cfg(test)]
mod tests {
    use super::{check_token, should_refresh};

    #[test]
    fn a_token_is_printable_ascii_without_spaces() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2ln-_";
        assert_eq!(check_token(jwt), Ok(()));
        assert_eq!(check_token("~!"), Ok(()));
        for bad in ["", "a b", "tok\n", "tok\r\nX-Evil: 1", "é", "tab\t", "\u{7f}"] {
            assert!(check_token(bad).is_err(), "{bad:?}");
        }
    }

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
