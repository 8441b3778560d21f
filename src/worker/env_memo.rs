//! Values the Worker derives from its environment, kept for the isolate.
//! workerd hands every request of an isolate the same `env` object, whose
//! variables and secrets cannot change under it (a deploy or an edited
//! variable starts new isolates). Reading one costs several calls into JS
//! (the binding, its constructor's name, its text); comparing `env` with
//! the one a value came from costs one.

use std::cell::RefCell;
use wasm_bindgen::JsValue;
use worker::Env;

/// One value derived from `env`, kept with the `env` it came from (in a
/// `thread_local!`: one thread per isolate).
pub struct EnvMemo<T>(RefCell<Option<(JsValue, T)>>);

impl<T: Clone> EnvMemo<T> {
    pub const fn new() -> Self {
        EnvMemo(RefCell::new(None))
    }

    /// The value kept for this `env`, or else `derive`'s, kept only when
    /// it succeeds (a failure is derived again by the next request).
    pub fn get_or_derive<E>(&self, env: &Env, derive: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        let env: &JsValue = env.as_ref();
        if let Some((from, value)) = self.0.borrow().as_ref() {
            if from == env {
                return Ok(value.clone());
            }
        }
        let value = derive()?;
        *self.0.borrow_mut() = Some((env.clone(), value.clone()));
        Ok(value)
    }
}
