//! The Worker's and the object's successful answers: JSON as bytes, or an
//! empty answer. Failures are [`super::error::ApiError`]s, which use the
//! same JSON answer.

use worker::Response;

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
