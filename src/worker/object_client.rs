//! The Worker's side of a user's Durable Object ([`super::object`]): one
//! internal request per API request, and the object's answer back as the
//! API's. Whatever goes wrong on the way (the object fails, throws, or does
//! not answer within [`OBJECT_TIMEOUT`]) is a 500 `internal_error`.

use super::error::ApiError;
use super::message::{Answer, Options, Target, BINDING, REQUEST_ID_HEADER};
use super::response;
use futures_util::future::{select, Either};
use std::pin::pin;
use std::time::Duration;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{web_sys, Delay, Env, Headers, Method, Request, RequestInit, Response, ResponseBody, Stub};

/// The URL of internal requests (the object only reads method, headers and body).
const OBJECT_URL: &str = "https://user-object.internal/";
/// How long the Worker waits for the object before answering 500.
const OBJECT_TIMEOUT: Duration = Duration::from_secs(25);

/// A user's Durable Object, as the Worker calls it.
pub struct UserObjectClient<'a> {
    stub: Stub,
    target: Target,
    request_id: &'a str,
}

impl<'a> UserObjectClient<'a> {
    /// The object of `user_id` in `environment`.
    pub fn new(env: &Env, environment: &str, user_id: &str, request_id: &'a str) -> Result<Self, ApiError> {
        let namespace = env
            .durable_object(BINDING)
            .map_err(|error| ApiError::config(format!("Durable Object binding `{BINDING}`: {error}")))?;
        let target = Target { environment: environment.to_string(), user_id: user_id.to_string() };
        let stub = namespace.id_from_name(&target.object_name()).and_then(|id| id.get_stub())?;
        Ok(UserObjectClient { stub, target, request_id })
    }

    /// Identify with a body the Worker has read and the core accepted:
    /// 200 with the user after this identify, or the object's 422 when the
    /// merged user would pass a limit (nothing written).
    /// The answer is `options.answer`: the user, or the part of it that a
    /// route of one channel or one preference set writes.
    pub async fn identify(&self, body: Vec<u8>, options: Options) -> Result<Response, ApiError> {
        self.send(Method::Put, Some(body), options).await
    }

    /// GET: 200 with the user (or the part asked), or the object's 404 `resource_missing`.
    pub async fn get(&self, answer: Answer) -> Result<Response, ApiError> {
        self.send(Method::Get, None, Options { answer, if_exists: false }).await
    }

    /// DELETE: 204, also for a user that did not exist.
    pub async fn delete(&self) -> Result<Response, ApiError> {
        self.send(Method::Delete, None, Options { answer: Answer::User, if_exists: false }).await
    }

    /// One internal request, and the object's answer as the API's: its 200,
    /// 204, 404 and 422 are the API's answers already (JSON from the same
    /// [`ApiError`]); anything else is a 500 (the object logged why).
    async fn send(&self, method: Method, body: Option<Vec<u8>>, options: Options) -> Result<Response, ApiError> {
        let headers = Headers::new();
        self.target.write_headers(&headers)?;
        options.write_headers(&headers)?;
        headers.set(REQUEST_ID_HEADER, self.request_id)?;
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if let Some(body) = body {
            init.with_body(Some(js_sys::Uint8Array::from(body.as_slice()).into()));
        }
        let request = Request::new_with_init(OBJECT_URL, &init)?;
        let exchange = async {
            let response = self.stub.fetch_with_request(request).await?;
            let bytes = read_body(response.body()).await?;
            Ok::<_, worker::Error>((response.status_code(), bytes))
        };
        let (status, answer) = match select(pin!(exchange), pin!(Delay::from(OBJECT_TIMEOUT))).await {
            Either::Left((answer, _)) => answer.map_err(|error| ApiError::internal(format!("user object: {error}")))?,
            Either::Right(_) => {
                return Err(ApiError::internal(format!("user object: no answer within {} s", OBJECT_TIMEOUT.as_secs())))
            }
        };
        match status {
            200 | 404 | 422 => Ok(response::json(status, answer)?),
            204 => Ok(response::empty(204)?),
            _ => Err(ApiError::internal(format!("user object answered {status} (its log has the reason)"))),
        }
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
