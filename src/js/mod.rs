//! The npm package (`js` feature): wasm-bindgen exports over the core and
//! the fetch-based [`IdentifyClient`].
//!
//! Bodies cross the boundary as JSON text: a JS value goes through
//! `JSON.stringify` (as `fetch` would send it), the core reads the bytes,
//! and answers come back through `JSON.parse`. So a problem list here is the
//! core's list, field for field, and a custom property named `__proto__`
//! stays an own key instead of becoming a prototype. These bindings add no
//! rule of their own: they only refuse values that are not JSON at all
//! (with a `TypeError`), never panic on a JS input.

mod client;
mod convert;
mod errors;
mod exports;
mod types;

pub use client::IdentifyClient;
pub use exports::{merge, merge_json, time_zones, to_user, validate, validate_json};
