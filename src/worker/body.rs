//! The identify body as bytes for the core: its media type (415), and at
//! most `MAX_BODY_BYTES` of it (413), checked from `Content-Length` first
//! and again while streaming, so no more than the limit is ever buffered.
//!
//! A request answered before its body was read (a 413, or any refusal
//! before the body) has the rest of its body read and dropped, up to
//! [`DISCARD_BYTES`]: workerd cannot tell the client to close the
//! connection (it drops `Connection: close`), and a connection left with
//! unread body is reset under the client's next request on it. A caller
//! not authenticated gets this for a small body only
//! ([`ANONYMOUS_DISCARD_BYTES`]): past it, its connection is given up,
//! so a refusal costs the Worker a few KiB, not 16 MiB.

use super::error::ApiError;
use crate::{IdentifyError, MAX_BODY_BYTES};
use futures_util::StreamExt;
use wasm_bindgen_futures::JsFuture;
use worker::web_sys::Request;
use worker::{ByteStream, Headers};

/// How much of a refused request's body is read and dropped so that its
/// connection stays usable; past this the connection is given up. Above
/// the largest body a route takes (bulk identify's 10 MiB), so a body just
/// past any limit gets its 413 on a connection that stays usable.
pub const DISCARD_BYTES: u64 = 16 * 1024 * 1024;
/// How much of a refused body is read and dropped for a caller that is not
/// authenticated: more than a client sends with a small request.
pub const ANONYMOUS_DISCARD_BYTES: u64 = 64 * 1024;

/// Who sent a request, as far as its body is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Not (yet) authenticated: no key, a wrong key, a public key without a
    /// valid token, or refused before its key was read.
    Anonymous,
    Authenticated,
}

/// A 415 when `Content-Type` is present and not `application/json`
/// (parameters such as `charset` are allowed).
pub fn check_content_type(headers: &Headers) -> Result<(), ApiError> {
    let Some(value) = headers.get("Content-Type").ok().flatten() else {
        return Ok(());
    };
    let media_type = value.split(';').next().unwrap_or_default().trim();
    if media_type.eq_ignore_ascii_case("application/json") {
        Ok(())
    } else {
        Err(ApiError::unsupported_media_type(media_type))
    }
}

/// The body, or a 413 as soon as it is known to exceed `limit` bytes
/// (`MAX_BODY_BYTES` for every route but bulk identify).
pub async fn read_capped(req: &Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        if limit == MAX_BODY_BYTES {
            IdentifyError::RequestTooLarge.into()
        } else {
            ApiError::body_too_large(limit)
        }
    };
    let headers = Headers(req.headers());
    let declared = content_length(&headers);
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let Some(body) = req.body() else {
        return Ok(Vec::new());
    };
    let chunked = headers.get("Transfer-Encoding").ok().flatten().is_some();
    if declared.is_some() && !chunked {
        // HTTP framing ends the body at its declared length, so one read
        // (`arrayBuffer()`) buffers at most the limit. (With a
        // Transfer-Encoding the length would not bind: stream instead.)
        let body = whole_body(req).await?;
        return if body.len() > limit { Err(too_large()) } else { Ok(body) };
    }
    let mut stream = ByteStream::from(body);
    let mut body = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            // Only an authenticated caller reads a body.
            discard(stream, (body.len() + chunk.len()) as u64, DISCARD_BYTES).await;
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads and drops the body of a request answered without it (see the
/// module's doc), unless it declares more than the sender's bound.
pub async fn discard_unread(req: &Request, sender: Sender) {
    let Some(body) = req.body().filter(|_| !req.body_used()) else { return };
    let bound = match sender {
        Sender::Anonymous => ANONYMOUS_DISCARD_BYTES,
        Sender::Authenticated => DISCARD_BYTES,
    };
    if content_length(&Headers(req.headers())).is_some_and(|length| length > bound) {
        return;
    }
    discard(ByteStream::from(body), 0, bound).await;
}

/// The request's `Content-Length`, if it sent a number.
fn content_length(headers: &Headers) -> Option<u64> {
    headers.get("Content-Length").ok().flatten().and_then(|length| length.trim().parse::<u64>().ok())
}

/// The body in one read.
async fn whole_body(req: &Request) -> worker::Result<Vec<u8>> {
    let buffer = JsFuture::from(req.array_buffer()?).await?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// Reads `stream` to its end, or until `read` passes `bound`.
async fn discard(mut stream: ByteStream, mut read: u64, bound: u64) {
    while read <= bound {
        match stream.next().await {
            Some(Ok(chunk)) => read += chunk.len() as u64,
            _ => return,
        }
    }
}
