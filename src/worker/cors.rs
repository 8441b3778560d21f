//! CORS for the origins listed in the optional variable `ALLOWED_ORIGINS`
//! (comma-separated, e.g. `https://app.example.com,http://localhost:5173`).
//! Without it, no CORS header is sent and browsers keep the API same-origin.

use super::error::ApiError;
use super::response;
use worker::web_sys::Request;
use worker::{Env, Headers, Response};

/// The variable listing allowed origins.
const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";

/// The request's `Origin` when it is one of the allowed origins.
pub fn allowed_origin(req: &Request, env: &Env) -> Option<String> {
    let origin = req.headers().get("Origin").ok().flatten()?;
    let allowed = env.var(ALLOWED_ORIGINS).ok()?.to_string();
    allowed.split(',').map(str::trim).any(|allowed| allowed == origin).then_some(origin)
}

/// The headers of a CORS answer for an allowed `origin`.
pub fn add_headers(headers: &mut Headers, origin: &str) -> worker::Result<()> {
    headers.set("Access-Control-Allow-Origin", origin)?;
    headers.set("Access-Control-Expose-Headers", "X-Request-ID, Retry-After, ETag, Idempotent-Replayed")?;
    headers.append("Vary", "Origin")
}

/// The answer to a preflight `OPTIONS` from an allowed origin, allowing
/// the route's methods (`allow`, as its `Allow` header).
pub fn preflight(req: &Request, allow: &str) -> Result<Response, ApiError> {
    let requested = req.headers().get("Access-Control-Request-Headers").ok().flatten();
    let mut response = response::empty(204)?;
    let headers = response.headers_mut();
    headers.set("Access-Control-Allow-Methods", allow)?;
    headers.set(
        "Access-Control-Allow-Headers",
        requested
            .as_deref()
            .unwrap_or("Authorization, Content-Type, X-Knock-User-Token, If-Match, If-None-Match, Idempotency-Key"),
    )?;
    headers.set("Access-Control-Max-Age", "600")?;
    Ok(response)
}
