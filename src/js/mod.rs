//! The npm package: wasm-bindgen exports over the core and the check of a
//! client's options (`js` feature, the wasm a page loads at first), and the
//! fetch-based `IdentifyClient` (`client` feature, `client/`, the whole
//! package's wasm; a browser page loads it on the client's first call).
//!
//! Bodies cross the boundary as JSON text: a JS value goes through
//! `JSON.stringify` (as `fetch` would send it), the core reads the bytes,
//! and answers come back through `JSON.parse`. So a problem list here is the
//! core's list, field for field, and a custom property named `__proto__`
//! stays an own key instead of becoming a prototype. These bindings add no
//! rule of their own: they only refuse values that are not JSON at all
//! (with a `TypeError`), never panic on a JS input.

#[cfg(feature = "client")]
mod client;
mod config;
mod convert;
mod errors;
mod exports;
mod types;

#[cfg(feature = "client")]
pub use client::IdentifyClient;
pub use config::client_base_url;
pub use exports::{merge, merge_json, time_zones, to_user, validate, validate_json};
