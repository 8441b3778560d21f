//! `Idempotency-Key` (contract §9) as the Worker reads it: the key, checked
//! by the core, and the request's fingerprint (its method, path and body,
//! digested), which the object the request goes to compares with the
//! request that first came with the key ([`super::kept_answers`]).

use super::error::ApiError;
use crate::check_idempotency_key;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use worker::Headers;

/// The request header.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";

/// A request's key and fingerprint.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Idempotency {
    pub key: String,
    pub fingerprint: String,
}

/// The request's `Idempotency-Key`, if it sent one: a 422 naming the header
/// when it is not 1 to 255 printable ASCII characters.
pub fn key_of(headers: &Headers) -> Result<Option<String>, ApiError> {
    let Some(key) = headers.get(IDEMPOTENCY_KEY_HEADER).ok().flatten() else { return Ok(None) };
    check_idempotency_key(key.as_bytes()).map_err(|problem| ApiError::invalid_params(vec![problem]))?;
    Ok(Some(key))
}

/// What a repeated request must match: SHA-256 of its method, its path (as
/// sent, with its query) and its body.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut digest = Sha256::new();
    digest.update(method.as_bytes());
    digest.update(b"\n");
    digest.update(path.as_bytes());
    digest.update(b"\n");
    digest.update(body);
    let mut hex = String::with_capacity(64);
    for byte in digest.finalize() {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}
