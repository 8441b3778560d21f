//! Every failure of the Worker and of the users' objects as one type, and the
//! one function that turns it into contract §6's JSON answer (the object
//! answers its 404, 422 and 500 with it, and the Worker passes them on).
//! Internal details are logged, never answered.

use super::response::{self, Reply, ETAG_HEADER};
use crate::{IdentifyError, Problem};
use serde_json::json;
use worker::{console_error, Response};

/// Seconds a client waits after a 429: the rate limiters' period
/// (`simple = { period = 10 }` in wrangler.toml).
pub const RETRY_AFTER_SECONDS: u32 = 10;
/// Seconds a client waits after a 503: a store that failed is usually back
/// within seconds.
pub const RETRY_UNAVAILABLE_SECONDS: u32 = 2;

/// One failed request: its status, contract §6 code and message, the problems
/// of a 422, and what stays in the logs.
#[derive(Debug)]
pub struct ApiError {
    status: u16,
    code: &'static str,
    message: String,
    errors: Vec<Problem>,
    allow: Option<&'static str>,
    /// The user's current ETag, sent with a 412.
    etag: Option<String>,
    /// Logged with the request id; never part of the answer.
    log: Option<String>,
}

impl ApiError {
    fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), errors: Vec::new(), allow: None, etag: None, log: None }
    }

    /// 401 `api_key_missing`.
    pub fn key_missing() -> Self {
        ApiError::new(401, "api_key_missing", "no API key: send `Authorization: Bearer <secret key>`")
    }

    /// 401 `invalid_api_key`.
    pub fn key_invalid() -> Self {
        ApiError::new(401, "invalid_api_key", "the API key is not valid")
    }

    /// 401 `user_token_missing`: a public key without `X-Knock-User-Token`.
    pub fn user_token_missing() -> Self {
        ApiError::new(
            401,
            "user_token_missing",
            "a public key needs a signed user token: send `X-Knock-User-Token: <token>`",
        )
    }

    /// 401 `invalid_user_token`: the token is malformed, not RS256, not
    /// signed by one of the environment's signing keys, expired or not yet
    /// valid. The message says which, never quoting the token.
    pub fn invalid_user_token(reason: &str) -> Self {
        ApiError::new(401, "invalid_user_token", format!("the user token is not valid: {reason}"))
    }

    /// 403 `forbidden`: what a public key and its user token may not do.
    pub fn forbidden(reason: &str) -> Self {
        ApiError::new(403, "forbidden", reason)
    }

    /// 404 `resource_missing` for a path that is no route.
    pub fn route_missing() -> Self {
        ApiError::new(
            404,
            "resource_missing",
            "no such route: the users API is `/v1/users` (list), `/v1/users/{user_id}` with `/channel_data/{channel_id}`, `/preferences`, `/preferences/{set_id}`, `/merge` and `/changes`, `/v1/users/bulk/identify`, `/v1/users/bulk/delete`, `/v1/users/bulk/preferences` and `/v1/bulk_operations/{id}` (contract §5)",
        )
    }

    /// 404 `resource_missing` for an unknown user.
    pub fn user_missing(user_id: &str) -> Self {
        ApiError::new(404, "resource_missing", format!("no user with id `{user_id}`"))
    }

    /// 404 `resource_missing` for a channel a user has no data for.
    pub fn channel_data_missing(channel_id: &str) -> Self {
        ApiError::new(404, "resource_missing", format!("the user has no data for channel `{channel_id}`"))
    }

    /// 404 `resource_missing` for an unknown bulk operation.
    pub fn operation_missing(operation: &str) -> Self {
        ApiError::new(404, "resource_missing", format!("no bulk operation with id `{operation}`"))
    }

    /// 412 `precondition_failed`: `If-Match` or `If-None-Match` does not
    /// hold for the user as it is (`etag`, when it exists); nothing written.
    pub fn precondition_failed(header: &str, etag: Option<String>) -> Self {
        let message = match (header, &etag) {
            ("If-None-Match", _) => "`If-None-Match` failed: the user exists".to_owned(),
            (_, Some(_)) => {
                "`If-Match` failed: the user has changed; its current ETag is in the `ETag` header".to_owned()
            }
            (_, None) => "`If-Match` failed: the user does not exist".to_owned(),
        };
        ApiError { etag, ..ApiError::new(412, "precondition_failed", message) }
    }

    /// 409 `conflict`: the user merged from (`user_id`) changed every time
    /// it was read, `attempts` times (contract §11); its data is still in
    /// it, and what was merged of it is in the primary.
    pub fn merge_conflict(user_id: &str, attempts: usize) -> Self {
        ApiError::new(
            409,
            "conflict",
            format!(
                "the user `{user_id}` changed while it was merged, {attempts} times in a row: nothing of it was lost and it was not deleted; send the merge again"
            ),
        )
    }

    /// 422 `idempotency_key_reused`: the key came with another request.
    pub fn idempotency_key_reused() -> Self {
        ApiError::new(
            422,
            "idempotency_key_reused",
            "this `Idempotency-Key` was sent with another request: send a new key for a new request",
        )
    }

    /// 413 `request_too_large` for a body over `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        ApiError::new(
            413,
            "request_too_large",
            format!("the request body is larger than {limit} bytes ({} MiB)", limit / (1024 * 1024)),
        )
    }

    /// 405 `method_not_allowed`, with the `Allow` header.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut error = ApiError::new(405, "method_not_allowed", format!("method not allowed: use one of {allow}"));
        error.allow = Some(allow);
        error
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(media_type: &str) -> Self {
        ApiError::new(
            415,
            "unsupported_media_type",
            format!("expected `Content-Type: application/json`, got `{media_type}`"),
        )
    }

    /// 422 `invalid_params` with every problem.
    pub fn invalid_params(problems: Vec<Problem>) -> Self {
        IdentifyError::InvalidParams(problems).into()
    }

    /// 429 `rate_limit_exceeded`.
    pub fn rate_limited() -> Self {
        ApiError::new(
            429,
            "rate_limit_exceeded",
            format!("too many requests for this route: retry after {RETRY_AFTER_SECONDS} seconds"),
        )
    }

    /// 503 `service_unavailable`: a store the request needs failed or did
    /// not answer before anything was written; logged, and safe to retry.
    pub fn unavailable(detail: impl std::fmt::Display) -> Self {
        ApiError {
            log: Some(detail.to_string()),
            ..ApiError::new(
                503,
                "service_unavailable",
                format!(
                    "storage is unavailable and nothing was written: retry after {RETRY_UNAVAILABLE_SECONDS} seconds"
                ),
            )
        }
    }

    /// 500 `internal_error` for a configuration problem, named in the log.
    pub fn config(detail: impl Into<String>) -> Self {
        ApiError {
            log: Some(format!("configuration: {}", detail.into())),
            ..ApiError::new(500, "internal_error", "internal error")
        }
    }

    /// 500 `internal_error` for anything unexpected, logged.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        ApiError { log: Some(detail.to_string()), ..ApiError::new(500, "internal_error", "internal error") }
    }

    /// The answer's status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The ETag the answer carries (a 412's).
    pub fn etag(&self) -> Option<String> {
        self.etag.clone()
    }

    /// The JSON answer of contract §6; logs what must not be answered.
    pub fn into_response(self, request_id: &str) -> worker::Result<Response> {
        self.log_reason(request_id);
        let mut response = response::json(self.status, self.body(request_id))?;
        if let Some(allow) = self.allow {
            response.headers_mut().set("Allow", allow)?;
        }
        if let Some(etag) = &self.etag {
            response.headers_mut().set(ETAG_HEADER, etag)?;
        }
        match self.status {
            429 => response.headers_mut().set("Retry-After", &RETRY_AFTER_SECONDS.to_string())?,
            503 => response.headers_mut().set("Retry-After", &RETRY_UNAVAILABLE_SECONDS.to_string())?,
            _ => {}
        }
        Ok(response)
    }

    /// The answer's status, JSON body and ETag: how a user's object answers
    /// the Worker. Logs what must not be answered.
    pub fn into_reply(self, request_id: &str) -> Reply {
        self.log_reason(request_id);
        Reply { status: self.status, body: self.body(request_id), etag: self.etag }
    }

    /// What must not be answered (`log`), logged with the request id.
    fn log_reason(&self, request_id: &str) {
        if let Some(log) = &self.log {
            console_error!("request {request_id}: {} {}: {log}", self.status, self.code);
        }
    }

    /// The answer's JSON body: `code`, `message`, `status`, `request_id`,
    /// and `errors` on a 422.
    pub fn body(&self, request_id: &str) -> Vec<u8> {
        let mut body = json!({
            "code": self.code,
            "message": self.message,
            "status": self.status,
            "request_id": request_id,
        });
        if self.status == 422 {
            body["errors"] = json!(self.errors);
        }
        body.to_string().into_bytes()
    }
}

/// `500 internal_error: <what the log says>`: for a log line elsewhere
/// (the object's); never an answer.
impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.log.as_deref().unwrap_or(&self.message))
    }
}

impl From<IdentifyError> for ApiError {
    fn from(error: IdentifyError) -> Self {
        let mut answer = ApiError::new(error.status(), error.code(), error.to_string());
        match error {
            IdentifyError::InvalidParams(problems) => answer.errors = problems,
            IdentifyError::InvalidStoredRecord { detail } => answer.log = Some(detail),
            IdentifyError::RequestTooLarge | IdentifyError::InvalidJson { .. } => {}
        }
        answer
    }
}

/// Anything the runtime refuses (a binding call, a storage statement) is
/// an internal error: logged, answered as a 500.
impl From<worker::Error> for ApiError {
    fn from(error: worker::Error) -> Self {
        ApiError::internal(error)
    }
}
