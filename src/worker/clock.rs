//! The Worker's one clock: workerd's `Date.now()` (std's `SystemTime`
//! panics on wasm), and the time limit every await on another part of the
//! platform (an object, KV, a queue, a limiter) is given.

use futures_util::future::{select, Either};
use std::future::Future;
use std::pin::pin;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{Delay, ScheduledTime};

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// An alarm at `at_ms`.
pub fn scheduled(at_ms: i64) -> ScheduledTime {
    ScheduledTime::new(js_sys::Date::new(&JsValue::from_f64(at_ms as f64)))
}

/// The await did not settle within its limit; what it was doing may still
/// happen (a write sent is not a write undone).
#[derive(Debug)]
pub struct TimedOut;

/// `future`, unless `limit` passes first.
pub async fn within<F: Future>(limit: Duration, future: F) -> Result<F::Output, TimedOut> {
    match select(pin!(future), pin!(Delay::from(limit))).await {
        Either::Left((output, _)) => Ok(output),
        Either::Right(_) => Err(TimedOut),
    }
}
