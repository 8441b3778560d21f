//! Bulk operations on Cloudflare Queues: bulk identify (contract §5b), bulk
//! delete and bulk preferences (§5c). The Worker checks the whole request
//! with the core, then creates one Durable Object per operation
//! ([`object::BulkOperation`], named `{environment}/{operation id}`) that
//! keeps its kind, every row and its outcome, and queues one small message
//! per row itself. The consumer ([`queue`], this Worker too) applies each
//! row to its user through that user's object (an identify, or a delete),
//! which applies a row at most once, and reports the outcome to the
//! operation.
//!
//! - `message.rs`: what the parts say to each other;
//! - `client.rs`: the operation's object as the Worker and the consumer call it;
//! - `object.rs` and `sql.rs`: the operation's object and its storage;
//! - `queue.rs`: the consumer of the queue and of its dead-letter queue.

pub mod client;
pub mod message;
pub mod object;
mod queue;
mod sql;

use crate::worker::error::ApiError;
use crate::worker::idempotency::Idempotency;
use crate::worker::random::random_uuid;
use crate::worker::response::{self, REPLAYED_HEADER};
use client::OperationClient;
use message::NewOperation;
use sha2::{Digest, Sha256};
use worker::{console_log, Env, Response};

/// A bulk request the core accepted (`POST /v1/users/bulk/identify`,
/// `/delete` or `/preferences`), as `new`: creates the operation (which
/// queues its rows) and answers its `BulkOperation`. A 500 here means the
/// operation may or may not have been created. With an `Idempotency-Key`,
/// the operation's id comes from the key (contract §9), so the same
/// request sent again reaches the same operation.
pub async fn start(
    env: &Env,
    environment: &str,
    new: NewOperation,
    idempotency: Option<Idempotency>,
    request_id: &str,
) -> Result<Response, ApiError> {
    let operation = match &idempotency {
        Some(idempotency) => operation_id_of_key(environment, &idempotency.key),
        None => random_uuid(),
    };
    let client = OperationClient::new(env, environment, &operation, request_id)?;
    let created = client.create(environment, &operation, &new, idempotency.as_ref()).await?;
    if created.status_code() == 200 && created.headers().get(REPLAYED_HEADER)?.is_none() {
        console_log!(
            "bulk-created operation={operation} kind={} row_bytes={} wasm_memory_bytes={}",
            new.kind.name(),
            new.rows.len(),
            wasm_memory_bytes()
        );
    }
    Ok(created)
}

/// The operation id of a bulk sent with `key`: a UUID of its SHA-256, so
/// the same key in the same environment names the same operation.
fn operation_id_of_key(environment: &str, key: &str) -> String {
    let digest = Sha256::digest(format!("{environment}\n{key}").as_bytes());
    let hex: String = digest[..16].iter().map(|byte| format!("{byte:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

/// `GET /v1/bulk_operations/{id}`: the operation, or a 404.
pub async fn get(env: &Env, environment: &str, operation: &str, request_id: &str) -> Result<Response, ApiError> {
    match OperationClient::new(env, environment, operation, request_id)?.summary().await? {
        Some(summary) => Ok(response::json(200, summary)?),
        None => Err(ApiError::operation_missing(operation)),
    }
}

/// The size of the Worker's wasm memory, which only grows: the most it has
/// held at once in this isolate (logged to measure a bulk's peak).
fn wasm_memory_bytes() -> f64 {
    use wasm_bindgen::JsCast;
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|memory| memory.buffer().unchecked_into::<js_sys::ArrayBuffer>().byte_length() as f64)
        .unwrap_or(0.0)
}
