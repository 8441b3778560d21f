//! Sending one request (contract §8): attempts with retries and waits,
//! the user token fetched and refreshed, and the last attempt's outcome as
//! the successful answer or the typed error. Every attempt of a call sends
//! the same request, its `Idempotency-Key` included (contract §9), so a
//! write whose answer was lost is not applied twice.

use super::answer::{error_fields, Success};
use super::errors::{abort_error, api_error, connection_error, timeout_error};
use super::fetch::{sleep, Attempt, AttemptOutcome};
use super::retry;
use super::token::{self, TokenError};
use super::url::users_url;
use crate::js::config::Config;
use crate::js::config::UserToken;
use gloo_net::http::Method;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use web_sys::AbortSignal;

/// One request of a method, its arguments read and checked.
pub(super) struct ApiRequest {
    method: Method,
    /// The path's segments below `/v1/users/`, as text (encoded when sent).
    path: Vec<String>,
    /// The query's names and values (values encoded when sent).
    query: Vec<(&'static str, String)>,
    /// The call's own headers: `Idempotency-Key`, `If-Match`, `If-None-Match`.
    headers: Vec<(&'static str, String)>,
    /// The JSON sent: the very text the core checked.
    body: Option<String>,
}

impl ApiRequest {
    pub(super) fn bodyless(method: Method, path: Vec<String>) -> Self {
        ApiRequest { method, path, query: Vec::new(), headers: Vec::new(), body: None }
    }

    pub(super) fn with_body(method: Method, path: Vec<String>, body: String) -> Self {
        ApiRequest { body: Some(body), ..ApiRequest::bodyless(method, path) }
    }

    /// The request with `name=value` added to its query.
    pub(super) fn query(mut self, name: &'static str, value: String) -> Self {
        self.query.push((name, value));
        self
    }

    /// The request with the header `name` (when `value` is some).
    pub(super) fn header(mut self, name: &'static str, value: Option<String>) -> Self {
        self.headers.extend(value.map(|value| (name, value)));
        self
    }

    /// Whether a 304 answers it: a read that sent `If-None-Match`.
    fn conditional_read(&self) -> bool {
        self.method == Method::GET && self.headers.iter().any(|(name, _)| *name == IF_NONE_MATCH)
    }
}

/// The request headers of contract §9.
pub(super) const IDEMPOTENCY_KEY: &str = "Idempotency-Key";
pub(super) const IF_MATCH: &str = "If-Match";
pub(super) const IF_NONE_MATCH: &str = "If-None-Match";

/// Sends `request` to `/v1/users/` and its path's segments (each
/// percent-encoded) with retries: the successful answer (a 2xx, or a 304
/// to a conditional read), or the typed error of the last attempt. With a user token function, the
/// function is called before the first attempt, and once more (the attempt
/// sent again at once) when the server answers `401 invalid_user_token`.
pub(super) async fn send_with_retries(
    config: &Config,
    request: &ApiRequest,
    signal: Option<&AbortSignal>,
) -> Result<Success, JsValue> {
    let url = users_url(&config.base_url, &request.path, &request.query);
    if signal.is_some_and(AbortSignal::aborted) {
        return Err(aborted(signal));
    }
    let mut token = match &config.user_token {
        Some(source) => Some(user_token(source, signal).await?),
        None => None,
    };
    let refreshable = config.user_token.as_ref().is_some_and(UserToken::refreshable);
    let mut refreshed = false;
    let mut retry = 0;
    loop {
        if signal.is_some_and(AbortSignal::aborted) {
            return Err(aborted(signal));
        }
        let attempt = Attempt {
            method: request.method.clone(),
            url: &url,
            key: &config.key,
            user_token: token.as_deref(),
            headers: &request.headers,
            body: request.body.as_deref(),
            timeout_ms: config.timeout_ms,
            signal,
        };
        let outcome = attempt.send().await;
        let (wait, error) = match outcome {
            AttemptOutcome::Answer { status, headers, body }
                if (200..300).contains(&status) || (status == 304 && request.conditional_read()) =>
            {
                return Ok(Success { status, etag: headers.get("etag").ok().flatten(), body });
            }
            AttemptOutcome::Answer { status, headers, body } => {
                let request_id = headers.get("x-request-id").ok().flatten();
                let fields = error_fields(status, &body, request_id, headers.get("etag").ok().flatten());
                if token::should_refresh(status, &fields.code, refreshable, refreshed) {
                    if let Some(source) = &config.user_token {
                        refreshed = true;
                        token = Some(user_token(source, signal).await?);
                        continue;
                    }
                }
                let asked = retry::asked_wait_ms(
                    headers.get("retry-after-ms").ok().flatten().as_deref(),
                    headers.get("retry-after").ok().flatten().as_deref(),
                    js_sys::Date::now(),
                    &JsParsers,
                );
                (retry::retryable_status(status).then_some(asked), api_error(fields, asked))
            }
            AttemptOutcome::TimedOut => (
                Some(None),
                timeout_error(&format!("no answer within {} ms from {url}", config.timeout_ms.ceil() as u64)),
            ),
            AttemptOutcome::Failed { message, cause } => {
                (Some(None), connection_error(&format!("could not reach {url}: {message}"), cause))
            }
            AttemptOutcome::Aborted => return Err(aborted(signal)),
        };
        match wait {
            Some(asked) if retry < config.max_retries => {
                let ms = retry::wait_ms(asked, retry, js_sys::Math::random());
                if !sleep(ms, signal).await {
                    return Err(aborted(signal));
                }
                retry += 1;
            }
            _ => return Err(error),
        }
    }
}

/// The user token for the next attempt; what the token function threw (or
/// a `TypeError` for what it returned) fails the call as it is.
async fn user_token(source: &UserToken, signal: Option<&AbortSignal>) -> Result<String, JsValue> {
    source.get(signal).await.map_err(|error| match error {
        TokenError::Aborted => aborted(signal),
        TokenError::Failed(error) => error,
    })
}

#[wasm_bindgen]
extern "C" {
    /// JS's `Number(text)`: NaN when `text` is not a number.
    #[wasm_bindgen(js_name = Number)]
    fn to_number(text: &str) -> f64;
}

/// Header numbers and dates read as JS reads them.
struct JsParsers;

impl retry::HeaderParsers for JsParsers {
    fn number(&self, text: &str) -> Option<f64> {
        if text.is_empty() {
            return None; // `Number("")` is 0
        }
        let number = to_number(text);
        number.is_finite().then_some(number)
    }

    fn date(&self, text: &str) -> Option<f64> {
        let millis = js_sys::Date::parse(text);
        millis.is_finite().then_some(millis)
    }
}

fn aborted(signal: Option<&AbortSignal>) -> JsValue {
    let reason = signal.map(AbortSignal::reason).unwrap_or(JsValue::UNDEFINED);
    abort_error("the call was aborted by its signal", reason)
}
