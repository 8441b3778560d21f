//! One attempt: a request built with gloo-net, sent with the global `fetch`
//! (so it runs in pages, workers, Node and workerd), bounded by a deadline.
//! gloo-net's own `send` panics when `fetch` rejects with a non-`Error`
//! value; here every rejection becomes an [`AttemptOutcome`].

use crate::js::convert::message_of;
use gloo_net::http::{Method, RequestBuilder};
use js_sys::Promise;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

#[wasm_bindgen]
extern "C" {
    /// The global `fetch`, whatever the global object is.
    #[wasm_bindgen(js_name = fetch, catch)]
    fn global_fetch(request: &web_sys::Request) -> Result<Promise, JsValue>;
}

#[wasm_bindgen(module = "/src/js/runtime.js")]
extern "C" {
    type Deadline;
    #[wasm_bindgen(constructor)]
    fn new(ms: f64, outer: Option<&AbortSignal>) -> Deadline;
    #[wasm_bindgen(method, getter)]
    fn signal(this: &Deadline) -> AbortSignal;
    #[wasm_bindgen(method, getter, js_name = timedOut)]
    fn timed_out(this: &Deadline) -> bool;
    #[wasm_bindgen(method)]
    fn dispose(this: &Deadline);

    /// Resolves `true` after `ms`, `false` when `signal` aborts first.
    #[wasm_bindgen(js_name = sleep)]
    fn sleep_promise(ms: f64, signal: Option<&AbortSignal>) -> Promise;
}

/// What one attempt got.
pub(crate) enum AttemptOutcome {
    /// An answer, its body read in full.
    Answer { status: u16, headers: web_sys::Headers, body: JsValue },
    /// No answer within the deadline.
    TimedOut,
    /// The caller's signal aborted the attempt.
    Aborted,
    /// No answer: what `fetch` (or reading the body) threw.
    Failed { message: String, cause: JsValue },
}

/// The request of one attempt.
pub(crate) struct Attempt<'a> {
    pub method: Method,
    pub url: &'a str,
    /// The secret or public key.
    pub key: &'a str,
    /// With a public key: the user token.
    pub user_token: Option<&'a str>,
    /// The call's own headers (`Idempotency-Key`, `If-Match`, `If-None-Match`).
    pub headers: &'a [(&'static str, String)],
    pub body: Option<&'a str>,
    pub timeout_ms: f64,
    pub signal: Option<&'a AbortSignal>,
}

impl Attempt<'_> {
    pub(crate) async fn send(&self) -> AttemptOutcome {
        let deadline = Deadline::new(self.timeout_ms, self.signal);
        let result = self.exchange(&deadline.signal()).await;
        deadline.dispose();
        match result {
            Ok(outcome) => outcome,
            Err(_) if self.signal.is_some_and(AbortSignal::aborted) => AttemptOutcome::Aborted,
            Err(_) if deadline.timed_out() => AttemptOutcome::TimedOut,
            Err(cause) => AttemptOutcome::Failed { message: failure_message(&cause), cause },
        }
    }

    async fn exchange(&self, signal: &AbortSignal) -> Result<AttemptOutcome, JsValue> {
        let headers = web_sys::Headers::new()?;
        headers.set("Authorization", &format!("Bearer {}", self.key))?;
        if let Some(token) = self.user_token {
            headers.set("X-Knock-User-Token", token)?;
        }
        headers.set("Accept", "application/json")?;
        for (name, value) in self.headers {
            headers.set(name, value)?;
        }
        let builder = RequestBuilder::new(self.url)
            .method(self.method.clone())
            .headers(gloo_net::http::Headers::from_raw(headers))
            .abort_signal(Some(signal));
        let request = match self.body {
            Some(body) => {
                let builder = builder.header("Content-Type", "application/json");
                builder.body(JsValue::from_str(body))
            }
            None => builder.build(),
        }
        .map_err(|error| JsValue::from(js_sys::Error::new(&error.to_string())))?;
        let request = web_sys::Request::from(request);
        let response = JsFuture::from(global_fetch(&request)?).await?;
        let response: web_sys::Response = response.dyn_into().map_err(|_| {
            JsValue::from(js_sys::TypeError::new("`fetch` resolved to something that is not a Response"))
        })?;
        let body = JsFuture::from(response.text()?).await?;
        Ok(AttemptOutcome::Answer { status: response.status(), headers: response.headers(), body })
    }
}

/// What `fetch` threw, with its `cause` when it has one (Node's
/// "fetch failed" says why only there).
fn failure_message(error: &JsValue) -> String {
    let message = message_of(error);
    let cause = js_sys::Reflect::get(error, &JsValue::from_str("cause")).unwrap_or(JsValue::UNDEFINED);
    if cause.is_undefined() || cause.is_null() {
        message
    } else {
        format!("{message}: {}", message_of(&cause))
    }
}

/// Waits `ms`; `false` when `signal` aborted the wait.
pub(crate) async fn sleep(ms: f64, signal: Option<&AbortSignal>) -> bool {
    JsFuture::from(sleep_promise(ms, signal)).await.ok().and_then(|value| value.as_bool()).unwrap_or(false)
}
