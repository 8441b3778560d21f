//! The Worker's and the object's successful answers: JSON as bytes, or an
//! empty answer. Failures are [`super::error::ApiError`]s, which use the
//! same JSON answer.

use worker::Response;

/// The header of a user's version (contract §9).
pub const ETAG_HEADER: &str = "ETag";
/// The header of an answer given again for an `Idempotency-Key` seen before.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";

/// An answer with `status` whose body is `json`, already JSON (the user as
/// the core wrote it, or an error). Never cached: each is one user's state.
pub fn json(status: u16, json: Vec<u8>) -> worker::Result<Response> {
    let mut response = Response::from_bytes(json)?.with_status(status);
    let headers = response.headers_mut();
    headers.set("Content-Type", "application/json")?;
    headers.set("Cache-Control", "no-store")?;
    Ok(response)
}

/// An answer with `status` and no body (a DELETE's 204, a preflight's 204).
pub fn empty(status: u16) -> worker::Result<Response> {
    Ok(Response::empty()?.with_status(status))
}

/// An object's answer with the user's ETag (contract §9): given now, or
/// kept for an `Idempotency-Key` and given again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    /// JSON, or empty (a 204 or a 304).
    pub body: Vec<u8>,
    pub etag: Option<String>,
}

impl Reply {
    /// The answer, with `Idempotent-Replayed: true` when it is given again.
    pub fn into_response(self, replayed: bool) -> worker::Result<Response> {
        let mut response = if self.body.is_empty() { empty(self.status)? } else { json(self.status, self.body)? };
        let headers = response.headers_mut();
        if let Some(etag) = &self.etag {
            headers.set(ETAG_HEADER, etag)?;
        }
        if replayed {
            headers.set(REPLAYED_HEADER, "true")?;
        }
        Ok(response)
    }
}
