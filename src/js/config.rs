//! `new IdentifyClient(options)`'s settings: reading and checking the
//! options, the two ways to authenticate (a secret key, or a public key
//! with a user token), and the guard against secret keys in browser pages.
//! Part of the `js` build without the client: a browser page checks a
//! client's options at construction with the small wasm and loads the
//! client's own (`client/`, feature `client`) on its first call.

use crate::js::convert::{describe, type_error};
use js_sys::Function;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

pub(crate) const DEFAULT_BASE_URL: &str = "https://api.knock.app";
const DEFAULT_MAX_RETRIES: u32 = 2;
const DEFAULT_TIMEOUT_MS: f64 = 60_000.0;
/// Upper bounds that keep a typo from meaning "forever".
const MAX_MAX_RETRIES: f64 = 100.0;
/// `setTimeout`'s largest delay (2^31 − 1 ms).
const MAX_TIMEOUT_MS: f64 = 2_147_483_647.0;

/// The client's settings, fixed at construction. (Without the `client`
/// feature only `base_url` is read: the rest is the client's.)
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) struct Config {
    /// Sent as `Authorization: Bearer <key>`: the secret key or the public key.
    pub key: String,
    /// With a public key: the user token sent as `X-Knock-User-Token`.
    pub user_token: Option<UserToken>,
    /// Without a trailing `/`.
    pub base_url: String,
    pub max_retries: u32,
    pub timeout_ms: f64,
}

#[wasm_bindgen(module = "/src/js/browser.js")]
extern "C" {
    #[wasm_bindgen(js_name = inBrowser)]
    fn in_browser() -> bool;
}

impl Config {
    pub(crate) fn from_js(options: &JsValue) -> Result<Config, JsValue> {
        if !options.is_object() || js_sys::Array::is_array(options) {
            return Err(type_error(&format!(
                "expected the options `{{ apiKey, baseUrl?, maxRetries?, timeoutMs? }}` or \
                 `{{ publicKey, userToken, baseUrl?, maxRetries?, timeoutMs? }}`, got {}",
                describe(options)
            )));
        }
        let api_key = option_value(options, "apiKey")?;
        let public_key = option_value(options, "publicKey")?;
        let user_token = option_value(options, "userToken")?;
        let form = form(!api_key.is_undefined(), !public_key.is_undefined(), !user_token.is_undefined())
            .map_err(type_error)?;
        let (key, user_token) = match form {
            Form::SecretKey => (key_option(&api_key, "apiKey")?, None),
            Form::PublicKey => {
                let key = key_option(&public_key, "publicKey")?;
                if key.starts_with("sk_") {
                    return Err(type_error(
                        "`publicKey` is a secret key (`sk_…`): pass the environment's public key (`pk_…`), \
                         and keep secret keys on servers",
                    ));
                }
                (key, Some(UserToken::from_option(user_token)?))
            }
        };
        let base_url = match option_value(options, "baseUrl")? {
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
        let max_retries = number_option(options, "maxRetries", f64::from(DEFAULT_MAX_RETRIES))?;
        if max_retries.fract() != 0.0 || !(0.0..=MAX_MAX_RETRIES).contains(&max_retries) {
            return Err(js_sys::RangeError::new("expected `maxRetries` to be an integer from 0 to 100").into());
        }
        let timeout_ms = number_option(options, "timeoutMs", DEFAULT_TIMEOUT_MS)?;
        if !(timeout_ms > 0.0 && timeout_ms <= MAX_TIMEOUT_MS) {
            return Err(js_sys::RangeError::new("expected `timeoutMs` to be a number of milliseconds above 0").into());
        }
        let allow_browser = option_value(options, "dangerouslyAllowBrowser")?.is_truthy();
        if user_token.is_none()
            && key.starts_with("sk_")
            && !allow_browser
            && !is_loopback(&url.hostname())
            && in_browser()
        {
            return Err(js_sys::Error::new(&format!(
                "refusing to send a secret key (`sk_…`) from a browser to `{}`: anyone who loads the page can read it; \
                 call the API from a server, or pass `dangerouslyAllowBrowser: true` if you accept that",
                url.origin()
            ))
            .into());
        }
        Ok(Config {
            key,
            user_token,
            base_url: base_url.trim_end_matches('/').to_string(),
            max_retries: max_retries as u32,
            timeout_ms,
        })
    }
}

/// How the client authenticates.
#[derive(Debug, PartialEq, Eq)]
enum Form {
    /// `apiKey`: a secret key, for servers.
    SecretKey,
    /// `publicKey` and `userToken`: enhanced security mode, for browsers.
    PublicKey,
}

/// Which form the options take, from which of `apiKey`, `publicKey` and
/// `userToken` are given; the `TypeError`'s message when none fits.
fn form(api_key: bool, public_key: bool, user_token: bool) -> Result<Form, &'static str> {
    match (api_key, public_key, user_token) {
        (true, true, _) => Err("pass either `apiKey` (a secret key, on a server) or `publicKey` with `userToken` \
             (in a browser), not both"),
        (true, false, true) => {
            Err("`userToken` goes with `publicKey`, not with `apiKey`: a secret key needs no user token")
        }
        (true, false, false) => Ok(Form::SecretKey),
        (false, true, true) => Ok(Form::PublicKey),
        (false, true, false) => Err("`publicKey` needs `userToken`: the signed-in user's token (a string, or a \
             function returning one or a promise of one)"),
        (false, false, _) => Err("expected `apiKey` (a secret key, on a server) or `publicKey` and `userToken` \
             (in a browser)"),
    }
}

/// `apiKey` or `publicKey`: a non-empty string that fits in a header.
fn key_option(value: &JsValue, name: &str) -> Result<String, JsValue> {
    let key = match value.as_string() {
        Some(key) if !key.is_empty() => key,
        Some(_) => return Err(type_error(&format!("expected `{name}` to be a non-empty string, got an empty one"))),
        None => {
            return Err(type_error(&format!("expected `{name}` to be a non-empty string, got {}", describe(value))))
        }
    };
    if check_token(&key).is_err() {
        return Err(type_error(&format!("`{name}` must be printable ASCII without spaces: it is sent in a header")));
    }
    Ok(key)
}

/// The option `key` (`undefined` when absent).
pub(crate) fn option_value(options: &JsValue, key: &str) -> Result<JsValue, JsValue> {
    js_sys::Reflect::get(options, &JsValue::from_str(key))
}

/// An optional number option, `default` when absent.
fn number_option(options: &JsValue, key: &str, default: f64) -> Result<f64, JsValue> {
    let value = option_value(options, key)?;
    if value.is_undefined() {
        return Ok(default);
    }
    value.as_f64().ok_or_else(|| type_error(&format!("expected `{key}` to be a number, got {}", describe(&value))))
}

/// Whether a URL host is this machine, where a key cannot leak to others.
fn is_loopback(hostname: &str) -> bool {
    matches!(hostname, "localhost" | "127.0.0.1" | "[::1]")
}

/// The browser entry's `IdentifyClient` (`lazy-client.js`) checks its
/// options with this at construction, as the client's own constructor
/// does: the base URL it will send to, or the same error.
#[wasm_bindgen(js_name = clientBaseUrl, skip_typescript)]
pub fn client_base_url(options: JsValue) -> Result<String, JsValue> {
    Ok(Config::from_js(&options)?.base_url)
}

/// Where the user token comes from.
#[derive(Debug, Clone)]
#[cfg_attr(not(feature = "client"), allow(dead_code))]
pub(crate) enum UserToken {
    /// A fixed token: never fetched again, so a refusal is final.
    Fixed(String),
    /// A function returning a token or a promise of one.
    Source(Function),
}

impl UserToken {
    /// The `userToken` option: a valid token string or a function.
    pub(crate) fn from_option(value: JsValue) -> Result<UserToken, JsValue> {
        if let Some(function) = value.dyn_ref::<Function>() {
            return Ok(UserToken::Source(function.clone()));
        }
        match value.as_string() {
            Some(token) => match check_token(&token) {
                Ok(()) => Ok(UserToken::Fixed(token)),
                Err(problem) => Err(type_error(&format!("`userToken` {problem}"))),
            },
            None => Err(type_error(&format!(
                "expected `userToken` to be a string or a function returning one, got {}",
                describe(&value)
            ))),
        }
    }
}

/// A token goes in a header: non-empty printable ASCII without spaces (a
/// JWT is base64url parts and dots). Returns the problem, worded to follow
/// the token's name.
pub(crate) fn check_token(token: &str) -> Result<(), &'static str> {
    if token.is_empty() {
        Err("is empty: expected the signed user token (a JWT)")
    } else if !token.bytes().all(|byte| (0x21..=0x7E).contains(&byte)) {
        Err("must be printable ASCII without spaces: it is sent in the `X-Knock-User-Token` header")
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{check_token, form, Form};

    #[test]
    fn exactly_one_key_and_a_token_only_with_the_public_key() {
        assert_eq!(form(true, false, false), Ok(Form::SecretKey));
        assert_eq!(form(false, true, true), Ok(Form::PublicKey));
        let refused = [
            ((true, true, false), "not both"),
            ((true, true, true), "not both"),
            ((true, false, true), "`userToken` goes with `publicKey`"),
            ((false, true, false), "`publicKey` needs `userToken`"),
            ((false, false, false), "expected `apiKey`"),
            ((false, false, true), "expected `apiKey`"),
        ];
        for ((api_key, public_key, user_token), expected) in refused {
            let message = form(api_key, public_key, user_token).unwrap_err();
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn a_token_is_printable_ascii_without_spaces() {
        let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2ln-_";
        assert_eq!(check_token(jwt), Ok(()));
        assert_eq!(check_token("~!"), Ok(()));
        for bad in ["", "a b", "tok\n", "tok\r\nX-Evil: 1", "é", "tab\t", "\u{7f}"] {
            assert!(check_token(bad).is_err(), "{bad:?}");
        }
    }
}
