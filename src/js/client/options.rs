//! `new IdentifyClient(options)`: reading and checking the options, and the
//! guard against secret keys in browser pages.

use crate::js::convert::{describe, type_error};
use wasm_bindgen::{JsCast, JsValue};

pub(crate) const DEFAULT_BASE_URL: &str = "https://api.knock.app";
const DEFAULT_MAX_RETRIES: u32 = 2;
const DEFAULT_TIMEOUT_MS: f64 = 60_000.0;
/// Upper bounds that keep a typo from meaning "forever".
const MAX_MAX_RETRIES: f64 = 100.0;
/// `setTimeout`'s largest delay (2^31 − 1 ms).
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// The client's settings, fixed at construction.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub api_key: String,
    /// Without a trailing `/`.
    pub base_url: String,
    pub max_retries: u32,
    pub timeout_ms: f64,
}

#[wasm_bindgen::prelude::wasm_bindgen(module = "/src/js/runtime.js")]
extern "C" {
    #[wasm_bindgen(js_name = inBrowser)]
    fn in_browser() -> bool;
}

impl Config {
    pub(crate) fn from_js(options: &JsValue) -> Result<Config, JsValue> {
        if !options.is_object() || js_sys::Array::is_array(options) {
            return Err(type_error(&format!(
                "expected the options `{{ apiKey, baseUrl?, maxRetries?, timeoutMs? }}`, got {}",
                describe(options)
            )));
        }
        let api_key = match get(options, "apiKey")?.as_string() {
            Some(key) if !key.is_empty() => key,
            _ => return Err(type_error("expected `apiKey` to be a non-empty string")),
        };
        if !api_key.bytes().all(|byte| (0x21..=0x7E).contains(&byte)) {
            return Err(type_error("`apiKey` must be printable ASCII without spaces: it is sent in a header"));
        }
        let base_url = match get(options, "baseUrl")? {
            value if value.is_undefined() => DEFAULT_BASE_URL.to_string(),
            value => value.as_string().ok_or_else(|| type_error("expected `baseUrl` to be a string"))?,
        };
        let url = web_sys::Url::new(&base_url).map_err(|_| {
            type_error(&format!("expected `baseUrl` to be an absolute http or https URL, got `{base_url}`"))
        })?;
        let scheme = url.protocol();
        if scheme != "http:" && scheme != "https:" {
            return Err(type_error(&format!("expected `baseUrl` to be an http or https URL, got `{base_url}`")));
        }
        if !url.search().is_empty() || !url.hash().is_empty() {
            return Err(type_error(&format!("`baseUrl` must not have a query or fragment, got `{base_url}`")));
        }
        let max_retries = number(options, "maxRetries", f64::from(DEFAULT_MAX_RETRIES))?;
        if max_retries.fract() != 0.0 || !(0.0..=MAX_MAX_RETRIES).contains(&max_retries) {
            return Err(js_sys::RangeError::new("expected `maxRetries` to be an integer from 0 to 100").into());
        }
        let timeout_ms = number(options, "timeoutMs", DEFAULT_TIMEOUT_MS)?;
        if !(timeout_ms > 0.0 && timeout_ms <= MAX_TIMEOUT_MS) {
            return Err(js_sys::RangeError::new("expected `timeoutMs` to be a number of milliseconds above 0").into());
        }
        let allow_browser = get(options, "dangerouslyAllowBrowser")?.is_truthy();
        if api_key.starts_with("sk_") && !allow_browser && !is_loopback(&url.hostname()) && in_browser() {
            return Err(js_sys::Error::new(&format!(
                "refusing to send a secret key (`sk_…`) from a browser to `{}`: anyone who loads the page can read it; \
                 call the API from a server, or pass `dangerouslyAllowBrowser: true` if you accept that",
                url.origin()
            ))
            .into());
        }
        Ok(Config {
            api_key,
            base_url: base_url.trim_end_matches('/').to_string(),
            max_retries: max_retries as u32,
            timeout_ms,
        })
    }
}

fn get(options: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(options, &JsValue::from_str(key))
}

/// An optional number option, `default` when absent.
fn number(options: &JsValue, key: &str, default: f64) -> Result<f64, JsValue> {
    let value = get(options, key)?;
    if value.is_undefined() {
        return Ok(default);
    }
    value.as_f64().ok_or_else(|| type_error(&format!("expected `{key}` to be a number, got {}", describe(&value))))
}

/// Whether a URL host is this machine, where a key cannot leak to others.
fn is_loopback(hostname: &str) -> bool {
    matches!(hostname, "localhost" | "127.0.0.1" | "[::1]")
}

/// Whether `value` is a real `AbortSignal` (or absent).
pub(crate) fn signal_option(options: &JsValue) -> Result<Option<web_sys::AbortSignal>, JsValue> {
    if options.is_undefined() || options.is_null() {
        return Ok(None);
    }
    if !options.is_object() {
        return Err(type_error(&format!("expected the call options `{{ signal? }}`, got {}", describe(options))));
    }
    let signal = get(options, "signal")?;
    if signal.is_undefined() || signal.is_null() {
        return Ok(None);
    }
    signal
        .dyn_into::<web_sys::AbortSignal>()
        .map(Some)
        .map_err(|value| type_error(&format!("expected `signal` to be an AbortSignal, got {}", describe(&value))))
}
