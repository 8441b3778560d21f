//! One call to a Durable Object, as the clients of both kinds of object
//! make it: an RPC call ([`super::user::client`]) or an internal request
//! ([`super::bulk::client`]), bounded by a time limit, its answer read
//! whole. An object that fails or does not answer in time is an internal
//! error whose outcome is unknown: the object may still do what it was asked.

use super::clock::{within, TimedOut};
use super::error::ApiError;
use super::response::{Reply, ETAG_HEADER, REPLAYED_HEADER};
use std::future::Future;
use std::time::Duration;
use wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Headers, Method, Request, RequestInit, ResponseBody, Stub};

/// An object's answer: its status, body, and the headers the API passes on.
pub struct ObjectAnswer {
    pub status: u16,
    pub body: Vec<u8>,
    /// `ETag` (contract §9).
    pub etag: Option<String>,
    /// `Idempotent-Replayed: true` (contract §9).
    pub replayed: bool,
}

impl ObjectAnswer {
    /// `reply`, given now.
    pub fn given(reply: Reply) -> Self {
        ObjectAnswer { status: reply.status, body: reply.body, etag: reply.etag, replayed: false }
    }

    /// `reply`, kept for an `Idempotency-Key` and given again.
    pub fn given_again(reply: Reply) -> Self {
        ObjectAnswer { replayed: true, ..ObjectAnswer::given(reply) }
    }

    /// An answer with `status` and a JSON `body` (or none), no ETag.
    pub fn plain(status: u16, body: Vec<u8>) -> Self {
        ObjectAnswer { status, body, etag: None, replayed: false }
    }

    /// The answer as an RPC method returns it, `[status, body, ETag or
    /// null, replayed]`: what [`call`] reads.
    pub fn to_js(&self) -> JsValue {
        let etag = self.etag.as_deref().map_or(JsValue::NULL, JsValue::from_str);
        let body = js_sys::Uint8Array::from(self.body.as_slice());
        js_sys::Array::of4(&self.status.into(), &body, &etag, &self.replayed.into()).into()
    }
}

/// An internal request to `url` (objects read only its path, method,
/// headers and body).
pub fn internal_request(url: &str, method: Method, headers: Headers, body: Option<&[u8]>) -> worker::Result<Request> {
    let mut init = RequestInit::new();
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(js_sys::Uint8Array::from(body).into()));
    }
    Request::new_with_init(url, &init)
}

/// Sends `request` to the object of `stub` and reads its answer, within
/// `limit`; `object` names the object in the error's log line.
pub async fn exchange(stub: &Stub, request: Request, limit: Duration, object: &str) -> Result<ObjectAnswer, ApiError> {
    let exchange = async {
        let response = stub.fetch_with_request(request).await?;
        let body = read_body(response.body()).await?;
        let headers = response.headers();
        let etag = headers.get(ETAG_HEADER)?;
        let replayed = headers.get(REPLAYED_HEADER)?.is_some();
        Ok(ObjectAnswer { status: response.status_code(), body, etag, replayed })
    };
    bounded(limit, object, exchange).await
}

/// Calls the RPC method `method` of `object_stub` (a stub taken with
/// `Stub::into_rpc`) with `args`, within `limit`; the method answers
/// [`ObjectAnswer::to_js`]. `object` names the object in
/// the error's log line.
pub async fn call(
    object_stub: &JsValue,
    method: &str,
    args: &js_sys::Array,
    limit: Duration,
    object: &str,
) -> Result<ObjectAnswer, ApiError> {
    let call = async {
        let function: js_sys::Function = js_sys::Reflect::get(object_stub, &JsValue::from_str(method))?.dyn_into()?;
        // An RPC call returns a thenable that is not a `Promise` (it also
        // pipelines calls): `Promise.resolve` adopts it.
        // `Reflect.apply`: the stub's method would take `.apply` for a remote name.
        let promise = js_sys::Promise::resolve(&js_sys::Reflect::apply(&function, object_stub, args)?);
        let answer: js_sys::Array = JsFuture::from(promise).await?.dyn_into()?;
        let status = answer.get(0).as_f64().filter(|status| (100.0..=599.0).contains(status));
        let body = answer.get(1).dyn_into::<js_sys::Uint8Array>();
        match (status, body) {
            (Some(status), Ok(body)) => Ok(ObjectAnswer {
                status: status as u16,
                body: body.to_vec(),
                etag: answer.get(2).as_string(),
                replayed: answer.get(3).as_bool() == Some(true),
            }),
            _ => Err("an answer that is not [status, body, etag, replayed]".into()),
        }
    };
    bounded(limit, object, call).await
}

/// `answer`, within `limit`: an object that fails or is late is a 500
/// naming `object` in its log line.
async fn bounded(
    limit: Duration,
    object: &str,
    answer: impl Future<Output = worker::Result<ObjectAnswer>>,
) -> Result<ObjectAnswer, ApiError> {
    match within(limit, answer).await {
        Ok(answer) => answer.map_err(|error| ApiError::internal(format!("{object}: {error}"))),
        Err(TimedOut) => Err(ApiError::internal(format!("{object}: no answer within {} s", limit.as_secs()))),
    }
}

/// The object's answer body, read by the runtime in one call
/// (`arrayBuffer()`) rather than chunk by chunk through a stream reader.
async fn read_body(body: &ResponseBody) -> worker::Result<Vec<u8>> {
    match body {
        ResponseBody::Empty => Ok(Vec::new()),
        ResponseBody::Body(bytes) => Ok(bytes.clone()),
        ResponseBody::Stream(stream) => {
            let whole = web_sys::Response::new_with_opt_readable_stream(Some(stream))?;
            let buffer = JsFuture::from(whole.array_buffer()?).await?;
            Ok(js_sys::Uint8Array::new(&buffer).to_vec())
        }
    }
}
