//! The identify body as bytes for the core: its media type (415), and at
//! most `MAX_BODY_BYTES` of it (413), checked from `Content-Length` first
//! and again while streaming, so no more than the limit is ever buffered.

use super::error::ApiError;
use crate::{IdentifyError, MAX_BODY_BYTES};
use futures_util::StreamExt;
use worker::{Headers, Request};

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

/// The body, or a 413 as soon as it is known to exceed the limit.
pub async fn read_capped(req: &mut Request) -> Result<Vec<u8>, ApiError> {
    let declared =
        req.headers().get("Content-Length").ok().flatten().and_then(|length| length.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Err(IdentifyError::RequestTooLarge.into());
    }
    if req.inner().body().is_none() {
        return Ok(Vec::new());
    }
    let chunked = req.headers().get("Transfer-Encoding").ok().flatten().is_some();
    if declared.is_some() && !chunked {
        // HTTP framing ends the body at its declared length, so one read
        // (`arrayBuffer()`) buffers at most the limit. (With a
        // Transfer-Encoding the length would not bind: stream instead.)
        let body = req.bytes().await.map_err(ApiError::internal)?;
        return if body.len() > MAX_BODY_BYTES { Err(IdentifyError::RequestTooLarge.into()) } else { Ok(body) };
    }
    let mut stream = req.stream().map_err(ApiError::internal)?;
    let mut body = Vec::with_capacity(declared.map_or(0, |length| length as usize));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ApiError::internal)?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(IdentifyError::RequestTooLarge.into());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
