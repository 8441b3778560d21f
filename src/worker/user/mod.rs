//! One Durable Object per user, the one writer of that user's record, and
//! the Worker's side of it:
//!
//! - `message.rs`: the binding and the message of the Worker's RPC call;
//! - `client.rs`: the object as the Worker and the bulk consumer call it;
//! - `object.rs`: the object, its requests;
//! - `conditions.rs`: `If-Match` and `If-None-Match` against its ETag;
//! - `history.rs`: its change history;
//! - `sql.rs`: its SQLite storage;
//! - `flush.rs`: writing the record through to KV by alarm;
//! - `kv.rs`: the users' KV keys and calls.

pub mod client;
mod conditions;
mod flush;
pub mod history;
mod kv;
pub mod message;
pub mod object;
mod sql;
