//! One internal request to a Durable Object, as the clients of both kinds
//! of object send it ([`super::user::client`], [`super::bulk::client`]):
//! bounded by a time limit, its answer read whole. An object that fails or
//! does not answer in time is an internal error whose outcome is unknown:
//! the object may still do what it was asked.

use super::clock::{within, TimedOut};
use super::error::ApiError;
use super::response::{ETAG_HEADER, REPLAYED_HEADER};
use std::time::Duration;
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
        Ok::<_, worker::Error>(ObjectAnswer { status: response.status_code(), body, etag, replayed })
    };
    match within(limit, exchange).await {
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
