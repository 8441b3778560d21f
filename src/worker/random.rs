//! Randomness from workerd's Web Crypto: request and operation ids, and the
//! epoch that keeps a user's ETags apart across its lives.

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
extern "C" {
    /// The global `crypto.randomUUID()` of workerd.
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID)]
    pub fn random_uuid() -> String;
}

/// 64 random bits as 16 hex digits.
pub fn random_hex16() -> String {
    random_uuid().replace('-', "")[..16].to_owned()
}
