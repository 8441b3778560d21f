//! The Worker's side of a user's Durable Object ([`super::object`]): one
//! RPC call per API request, and the object's answer back as the API's.
//! Whatever goes wrong on the way (the object fails, throws, or does not
//! answer within [`USER_OBJECT_TIMEOUT`]) is a 500 `internal_error` whose
//! outcome is unknown (contract §6).

use super::message::{Answer, Message, Options, Target, BINDING};
use crate::worker::error::ApiError;
use crate::worker::idempotency::Idempotency;
use crate::worker::object_call::{call, ObjectAnswer};
use crate::worker::response::Reply;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{Env, Method, Response};
/// How long the Worker waits for the object before answering 500.
const USER_OBJECT_TIMEOUT: Duration = Duration::from_secs(25);

/// A user's Durable Object, as the Worker calls it.
pub struct UserObjectClient<'a> {
    /// The object's stub, for RPC calls.
    stub: JsValue,
    target: Target,
    request_id: &'a str,
}

/// What a user's object decided for one row of a bulk operation: the same
/// on every delivery of that row.
pub enum RowDecision {
    Applied,
    /// The object's 422 answer (the merged user would pass a limit).
    Refused(Vec<u8>),
}

impl<'a> UserObjectClient<'a> {
    /// The object of `user_id` in `environment`.
    pub fn new(env: &Env, environment: &str, user_id: &str, request_id: &'a str) -> Result<Self, ApiError> {
        let namespace = env
            .durable_object(BINDING)
            .map_err(|error| ApiError::config(format!("Durable Object binding `{BINDING}`: {error}")))?;
        let target = Target { environment: environment.to_string(), user_id: user_id.to_string() };
        let stub = namespace.id_from_name(&target.object_name()).and_then(|id| id.get_stub())?.into_rpc();
        Ok(UserObjectClient { stub, target, request_id })
    }

    /// The user this client reaches.
    pub fn user_id(&self) -> &str {
        &self.target.user_id
    }

    /// A write: identify with a body the Worker has read and the core
    /// accepted (or, for a push token, none): 200 with the user after it,
    /// or the object's refusal (404, 412, 422), nothing written. The answer
    /// is `options.answer`: the user, or the part of it the route writes.
    pub async fn write(&self, body: &[u8], options: Options) -> Result<Response, ApiError> {
        api_answer(self.send(Method::Put, Some(body), &options).await?)
    }

    /// GET: 200 with the user (or the part asked, or a page of its history),
    /// a 304, or the object's 404 `resource_missing`.
    pub async fn get(&self, options: Options) -> Result<Response, ApiError> {
        api_answer(self.send(Method::Get, None, &options).await?)
    }

    /// DELETE: 204, also for a user that did not exist; or the object's 412.
    pub async fn delete(&self, options: Options) -> Result<Response, ApiError> {
        api_answer(self.send(Method::Delete, None, &options).await?)
    }

    /// The user's whole record as its object keeps it, with its ETag
    /// (contract §11: a merge's secondary); `None` for a user it does not hold.
    pub async fn record(&self) -> Result<Option<(Vec<u8>, String)>, ApiError> {
        let answer = self.send(Method::Get, None, &Options::answer(Answer::Record)).await?;
        match (answer.status, answer.etag) {
            (200, Some(etag)) => Ok(Some((answer.body, etag))),
            (404, _) => Ok(None),
            (503, _) => Err(ApiError::unavailable("user object: its store is unavailable (its log has the reason)")),
            (status, _) => Err(ApiError::internal(format!("user object answered {status} to a record's read"))),
        }
    }

    /// A merge write: `record`, the secondary's (`options.merge_from`),
    /// merged into this user and stored in one step (contract §11): 200
    /// with the user after it, or the object's refusal (404, 422), nothing
    /// written; with a key, the answer kept for it when the secondary holds
    /// nothing more to merge.
    pub async fn merge_in(&self, record: &[u8], options: Options) -> Result<Response, ApiError> {
        api_answer(self.send(Method::Post, Some(record), &options).await?)
    }

    /// The answer this object kept for `idempotency`'s key, given again
    /// (or the 422 of a key sent with another request); `None` when it
    /// kept none. Nothing is read or written.
    pub async fn kept_answer(&self, idempotency: &Idempotency) -> Result<Option<Response>, ApiError> {
        let options = Options { idempotency: Some(idempotency.clone()), ..Options::answer(Answer::Kept) };
        let answer = self.send(Method::Get, None, &options).await?;
        if answer.status == 204 && !answer.replayed {
            return Ok(None);
        }
        api_answer(answer).map(Some)
    }

    /// Applies one bulk row, `row` (`{operation}/{index}`), as an identify
    /// with `body`, named `route` in the user's history (`bulk_identify`,
    /// `bulk_set_preferences`), unless the object has decided that row
    /// before: then its first decision stands and nothing is written.
    pub async fn write_bulk_row(&self, body: &[u8], row: &str, route: &str) -> Result<RowDecision, ApiError> {
        let options =
            Options { bulk_row: Some(row.to_owned()), route: Some(route.to_owned()), ..Options::answer(Answer::User) };
        let answer = self.send(Method::Put, Some(body), &options).await?;
        row_decision(answer)?.ok_or_else(|| ApiError::internal("user object: a bulk row neither applied nor refused"))
    }

    /// Deletes the user for one bulk row, `row` (applied also when there
    /// was no such user, as a DELETE is), unless the object has decided
    /// that row before: then its first decision stands and nothing is written.
    pub async fn delete_bulk_row(&self, row: &str) -> Result<RowDecision, ApiError> {
        let options = Options { bulk_row: Some(row.to_owned()), ..Options::answer(Answer::User) };
        let answer = self.send(Method::Delete, None, &options).await?;
        row_decision(answer)?.ok_or_else(|| ApiError::internal("user object: a bulk row neither applied nor refused"))
    }

    /// The object's decision on bulk row `row`, if it made one.
    pub async fn bulk_row_decision(&self, row: &str) -> Result<Option<RowDecision>, ApiError> {
        let options = Options { bulk_row: Some(row.to_owned()), ..Options::answer(Answer::User) };
        row_decision(self.send(Method::Get, None, &options).await?)
    }

    /// One call of the object's `handle` ([`super::object::UserObject::handle`]),
    /// within [`USER_OBJECT_TIMEOUT`].
    async fn send(&self, method: Method, body: Option<&[u8]>, options: &Options) -> Result<ObjectAnswer, ApiError> {
        let message = Message::encode(&self.target, self.request_id, options)
            .map_err(|error| ApiError::internal(format!("user object: its message: {error}")))?;
        let body = body.map_or(JsValue::UNDEFINED, |body| js_sys::Uint8Array::from(body).into());
        let args = js_sys::Array::of3(&JsValue::from_str(method.as_ref()), &JsValue::from_str(&message), &body);
        call(&self.stub, "handle", &args, USER_OBJECT_TIMEOUT, "user object").await
    }
}

/// The object's answer as the API's: its 200, 204, 304, 404, 412 and 422
/// are the API's answers already (JSON from the same [`ApiError`], with
/// their `ETag` and `Idempotent-Replayed`); a 503 is the API's 503;
/// anything else is a 500 (the object logged why).
fn api_answer(answer: ObjectAnswer) -> Result<Response, ApiError> {
    match answer.status {
        200 | 204 | 304 | 404 | 412 | 422 => {
            let reply = Reply { status: answer.status, body: answer.body, etag: answer.etag };
            Ok(reply.into_response(answer.replayed)?)
        }
        503 => Err(ApiError::unavailable("user object: its store is unavailable (its log has the reason)")),
        status => Err(ApiError::internal(format!("user object answered {status} (its log has the reason)"))),
    }
}

/// A bulk row's decision from the object's answer: 204 applied, 422
/// refused, 404 not decided.
fn row_decision(answer: ObjectAnswer) -> Result<Option<RowDecision>, ApiError> {
    match answer.status {
        204 => Ok(Some(RowDecision::Applied)),
        422 => Ok(Some(RowDecision::Refused(answer.body))),
        404 => Ok(None),
        status => Err(ApiError::internal(format!("user object answered {status} to a bulk row"))),
    }
}
