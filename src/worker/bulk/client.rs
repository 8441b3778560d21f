//! The Worker's and the consumer's side of a bulk operation's Durable
//! Object ([`super::object`]): one internal request each, bounded by
//! [`OPERATION_TIMEOUT`] like every call to an object.

use super::message::{decode_row, NewOperation, OperationKind, RowOutcome, OPERATIONS_BINDING};
use crate::worker::error::ApiError;
use crate::worker::idempotency::Idempotency;
use crate::worker::object_call::{exchange, internal_request, ObjectAnswer};
use crate::worker::response::Reply;
use crate::worker::user::message::REQUEST_ID_HEADER;
use std::time::Duration;
use worker::{Env, Headers, Method, Response, Stub};

/// The URL of internal requests to an operation (only the path is read).
const OPERATION_URL: &str = "https://bulk-operation.internal";
/// How long a caller waits for the operation's object.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// The environment of a new operation (its object sends its messages).
pub const ENVIRONMENT_HEADER: &str = "X-Environment";
/// A new operation's id.
pub const OPERATION_HEADER: &str = "X-Operation-Id";
/// A new operation's request's `Idempotency-Key` and fingerprint (contract §9).
pub const IDEMPOTENCY_KEY_HEADER: &str = "X-Idempotency-Key";
pub const FINGERPRINT_HEADER: &str = "X-Request-Fingerprint";
/// A new operation's kind ([`OperationKind::name`]).
pub const KIND_HEADER: &str = "X-Operation-Kind";

/// A row as the operation answers for it.
pub enum Row {
    /// Still to be applied: its user, what to do, and the identify body
    /// (empty for a delete).
    Pending { user_id: String, kind: OperationKind, body: Vec<u8> },
    /// Applied or not, and recorded: nothing more to do.
    Ended,
    /// No such operation (it has expired) or row.
    Missing,
}

/// One operation's object, as its callers see it.
pub struct OperationClient<'a> {
    stub: Stub,
    request_id: &'a str,
}

impl<'a> OperationClient<'a> {
    /// The object of `operation` in `environment`.
    pub fn new(env: &Env, environment: &str, operation: &str, request_id: &'a str) -> Result<Self, ApiError> {
        let namespace = env
            .durable_object(OPERATIONS_BINDING)
            .map_err(|error| ApiError::config(format!("Durable Object binding `{OPERATIONS_BINDING}`: {error}")))?;
        let stub = namespace.id_from_name(&format!("{environment}/{operation}"))?.get_stub()?;
        Ok(OperationClient { stub, request_id })
    }

    /// Creates the operation `new`; its `BulkOperation`, or the object's
    /// 422 for a key sent with another request. The object queues the
    /// rows' messages itself. The request's body is the rows, after the
    /// shared identify body and a newline when there is one (compact JSON
    /// has no raw newline).
    pub async fn create(
        &self,
        environment: &str,
        operation: &str,
        new: &NewOperation,
        idempotency: Option<&Idempotency>,
    ) -> Result<Response, ApiError> {
        let headers = Headers::new();
        headers.set(ENVIRONMENT_HEADER, environment)?;
        headers.set(OPERATION_HEADER, operation)?;
        headers.set(KIND_HEADER, new.kind.name())?;
        let with_shared;
        let body = match &new.shared_body {
            None => &new.rows,
            Some(shared) => {
                with_shared = [shared.as_slice(), b"\n", &new.rows].concat();
                &with_shared
            }
        };
        if let Some(idempotency) = idempotency {
            headers.set(IDEMPOTENCY_KEY_HEADER, &idempotency.key)?;
            headers.set(FINGERPRINT_HEADER, &idempotency.fingerprint)?;
        }
        match self.send(Method::Post, "/create", headers, Some(body)).await? {
            answer @ ObjectAnswer { status: 200 | 422, .. } => {
                let reply = Reply { status: answer.status, body: answer.body, etag: None };
                Ok(reply.into_response(answer.replayed)?)
            }
            ObjectAnswer { status, .. } => Err(ApiError::internal(format!("bulk operation: create answered {status}"))),
        }
    }

    /// The operation's `BulkOperation` JSON, or `None` when there is none.
    pub async fn summary(&self) -> Result<Option<Vec<u8>>, ApiError> {
        match self.send(Method::Get, "/", Headers::new(), None).await? {
            ObjectAnswer { status: 200, body, .. } => Ok(Some(body)),
            ObjectAnswer { status: 404, .. } => Ok(None),
            ObjectAnswer { status, .. } => Err(ApiError::internal(format!("bulk operation: get answered {status}"))),
        }
    }

    /// Row `row`: pending (with its user, kind and body), ended, or missing.
    pub async fn row(&self, row: u32) -> Result<Row, ApiError> {
        let answer = self.send(Method::Get, &format!("/rows/{row}"), Headers::new(), None).await?;
        match answer.status {
            200 => {
                // The operation's kind on a line, then the row's line.
                let text = std::str::from_utf8(&answer.body).map_err(ApiError::internal)?;
                let (kind, line) = text
                    .split_once('\n')
                    .ok_or_else(|| ApiError::internal("bulk operation: a row without its kind"))?;
                let kind = OperationKind::from_name(kind)?;
                let (user_id, body) = decode_row(line.trim_end_matches('\n'))?;
                Ok(Row::Pending { user_id, kind, body: body.as_bytes().to_vec() })
            }
            204 => Ok(Row::Ended),
            404 => Ok(Row::Missing),
            status => Err(ApiError::internal(format!("bulk operation: row {row} answered {status}"))),
        }
    }

    /// Records row `row`'s outcome (a row already ended keeps its own).
    pub async fn report(&self, row: u32, outcome: &RowOutcome) -> Result<(), ApiError> {
        let body = serde_json::to_vec(outcome).map_err(ApiError::internal)?;
        match self.send(Method::Post, &format!("/rows/{row}"), Headers::new(), Some(&body)).await?.status {
            200 => Ok(()),
            status => Err(ApiError::internal(format!("bulk operation: the report of row {row} answered {status}"))),
        }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        headers: Headers,
        body: Option<&[u8]>,
    ) -> Result<ObjectAnswer, ApiError> {
        headers.set(REQUEST_ID_HEADER, self.request_id)?;
        let request = internal_request(&format!("{OPERATION_URL}{path}"), method, headers, body)?;
        exchange(&self.stub, request, OPERATION_TIMEOUT, "bulk operation").await
    }
}
