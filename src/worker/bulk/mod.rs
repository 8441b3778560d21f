//! Bulk identify on Cloudflare Queues (contract §5b). The Worker checks the
//! whole request with the core, then creates one Durable Object per
//! operation ([`object::BulkOperation`], named `{environment}/{operation id}`)
//! that keeps every row and its outcome, and queues one small message per
//! row itself. The consumer ([`queue`], this Worker too) identifies each
//! row's user through that user's object, which applies a row at most once,
//! and reports the outcome to the operation.
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
use crate::worker::response;
use crate::BulkUser;
use client::OperationClient;
use message::encode_rows;
use worker::{console_log, Env, Response};

/// `POST /v1/users/bulk/identify` with `users` the core accepted: creates
/// the operation (which queues its rows) and answers its `BulkOperation`.
/// A 500 here means the operation may or may not have been created.
pub async fn start(
    env: &Env,
    environment: &str,
    users: Vec<BulkUser>,
    operation: &str,
    request_id: &str,
) -> Result<Response, ApiError> {
    let rows = encode_rows(&users);
    drop(users);
    let created =
        OperationClient::new(env, environment, operation, request_id)?.create(environment, operation, &rows).await?;
    console_log!(
        "bulk-created operation={operation} row_bytes={} wasm_memory_bytes={}",
        rows.len(),
        wasm_memory_bytes()
    );
    Ok(response::json(200, created)?)
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
