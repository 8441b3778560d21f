//! One SQLite transaction of a Durable Object, for both kinds of object:
//! `ctx.storage.transactionSync(callback)` runs the callback as one
//! transaction, rolled back if it throws. workers-rs 0.8 does not bind it.

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::Storage;

/// The object's `ctx.storage` as JS sees it, to run transactions on.
#[derive(Clone)]
pub struct RawStorage(JsValue);

impl RawStorage {
    pub fn of(storage: &Storage) -> Self {
        let raw: &JsValue = storage.as_raw().as_ref();
        RawStorage(raw.clone())
    }
}

/// Runs `write` as one transaction of `storage`: every statement it made
/// stays, or (when it fails) none does.
pub fn transaction_sync(
    storage: &RawStorage,
    write: impl FnOnce() -> worker::Result<()> + 'static,
) -> worker::Result<()> {
    let raw = &storage.0;
    let write = Closure::once_into_js(move || -> Result<(), JsValue> {
        write().map_err(|error| js_sys::Error::new(&error.to_string()).into())
    });
    let transaction_sync: js_sys::Function =
        js_sys::Reflect::get(raw, &JsValue::from_str("transactionSync"))?.dyn_into()?;
    transaction_sync.call1(raw, &write)?;
    Ok(())
}
