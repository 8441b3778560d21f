//! Signed user tokens (contract §6a): the `X-Knock-User-Token` that comes
//! with a public key is an RS256 JWT, signed by the customer's backend for
//! its signed-in user, whose `sub` is that user's id. The signature is
//! checked with the runtime's Web Crypto (`crypto.subtle`,
//! RSASSA-PKCS1-v1_5 with SHA-256) against the environment's signing keys;
//! `alg` must say RS256 before any key is used, so a token cannot choose
//! how it is checked (`none`, or HS256 keyed with the public key). Where
//! the public key's configuration asks for it, the token's `aud` must name
//! the environment, so that a token of one environment is refused in
//! another that shares its signing key. Tokens are never logged or quoted
//! in an answer.

use super::clock::now_ms;
use super::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use js_sys::{Array, Object, Promise, Reflect, Uint8Array};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;
use worker::Headers;

/// The header that carries the token.
pub const USER_TOKEN_HEADER: &str = "X-Knock-User-Token";
/// A longer token is refused before it is decoded (Knock's are ~600 bytes).
const MAX_TOKEN_BYTES: usize = 4 * 1024;
/// Clock skew allowed on `exp` and `nbf`, in seconds.
const CLOCK_SKEW_SECONDS: f64 = 60.0;
/// Web Crypto's name of RS256's signature scheme.
const RSASSA: &str = "RSASSA-PKCS1-v1_5";

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = importKey, catch)]
    fn import_key(
        format: &str,
        key_data: &Uint8Array,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_namespace = ["crypto", "subtle"], js_name = verify, catch)]
    fn subtle_verify(
        algorithm: &str,
        key: &JsValue,
        signature: &Uint8Array,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;
}

/// A signing key: the DER of a PEM `PUBLIC KEY` (SubjectPublicKeyInfo).
pub struct SigningKey {
    der: Vec<u8>,
    /// Names the key in the isolate's cache of imported keys.
    digest: [u8; 32],
}

impl SigningKey {
    /// The key of a PEM `-----BEGIN PUBLIC KEY-----` block.
    pub fn from_pem(pem: &str) -> Option<SigningKey> {
        let body = pem
            .trim()
            .strip_prefix("-----BEGIN PUBLIC KEY-----")?
            .trim_end()
            .strip_suffix("-----END PUBLIC KEY-----")?;
        let base64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD.decode(base64).ok().filter(|der| !der.is_empty())?;
        let digest = Sha256::digest(&der).into();
        Some(SigningKey { der, digest })
    }
}

/// What a user token of one public key must satisfy.
pub struct TokenRules<'a> {
    pub signing_keys: &'a [SigningKey],
    /// The `aud` the token must name (the environment), when required.
    pub audience: Option<&'a str>,
}

/// Why a token is refused: the end of a 401 `invalid_user_token`'s message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    TooLong,
    NotThreeSegments,
    NotBase64Url,
    NotAHeader,
    NotRs256,
    BadClaims,
    NotSigned,
    Expired,
    NotYetValid,
    WrongAudience,
}

impl Refusal {
    fn reason(self) -> &'static str {
        match self {
            Refusal::TooLong => "it is longer than 4 KiB",
            Refusal::NotThreeSegments => "it is not a JWT of three dot-separated segments",
            Refusal::NotBase64Url => "a segment is not base64url",
            Refusal::NotAHeader => "its header is not a JWT header",
            Refusal::NotRs256 => "it is not signed with RS256",
            Refusal::BadClaims => "its claims are not a JSON object with a string `sub` and a numeric `exp`",
            Refusal::NotSigned => "its signature does not verify with this environment's signing keys",
            Refusal::Expired => "it has expired",
            Refusal::NotYetValid => "it is not valid yet (`nbf`)",
            Refusal::WrongAudience => "its `aud` does not name this environment",
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        ApiError::invalid_user_token(refusal.reason())
    }
}

/// A public key's user token (contract §6a), from `X-Knock-User-Token`:
/// present (401 `user_token_missing`), valid by `rules` (401
/// `invalid_user_token`) and for the user of the path (403 `forbidden`).
/// The user id it is for.
pub async fn check_for_user(
    headers: &Headers,
    rules: &TokenRules<'_>,
    path_user_id: &[u8],
) -> Result<String, ApiError> {
    let token = headers.get(USER_TOKEN_HEADER).ok().flatten().filter(|token| !token.is_empty());
    let token = token.ok_or_else(ApiError::user_token_missing)?;
    let user_id = verify(token.trim(), rules, now_ms() as f64 / 1000.0).await?;
    if user_id.as_bytes() == path_user_id {
        Ok(user_id)
    } else {
        Err(ApiError::forbidden("the user token is for another user: a public key reaches only its token's user"))
    }
}

/// The segments of a token, decoded but not yet verified.
struct Decoded<'a> {
    /// `header.payload`, the bytes the signature covers.
    signed: &'a str,
    signature: Vec<u8>,
    claims: Claims,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: f64,
    #[serde(default)]
    nbf: Option<f64>,
    /// A string or a list of strings (RFC 7519); read only when required.
    #[serde(default)]
    aud: Option<serde_json::Value>,
}

/// The user id the token is for, once its signature verifies with one of
/// the signing keys and its claims hold at `now_seconds`; else a 401
/// `invalid_user_token` saying why.
async fn verify(token: &str, rules: &TokenRules<'_>, now_seconds: f64) -> Result<String, ApiError> {
    let decoded = decode(token)?;
    let mut verified = false;
    for key in rules.signing_keys {
        if verify_rs256(key, decoded.signed.as_bytes(), &decoded.signature).await? {
            verified = true;
            break;
        }
    }
    if !verified {
        return Err(Refusal::NotSigned.into());
    }
    check_claims(&decoded.claims, rules.audience, now_seconds)?;
    Ok(decoded.claims.sub)
}

/// Splits and decodes a compact JWS, refusing any `alg` but RS256.
fn decode(token: &str) -> Result<Decoded<'_>, Refusal> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(Refusal::TooLong);
    }
    let mut segments = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) =
        (segments.next(), segments.next(), segments.next(), segments.next())
    else {
        return Err(Refusal::NotThreeSegments);
    };
    let decoded = |segment: &str| URL_SAFE_NO_PAD.decode(segment).map_err(|_| Refusal::NotBase64Url);
    let header: Header = serde_json::from_slice(&decoded(header)?).map_err(|_| Refusal::NotAHeader)?;
    if header.alg != "RS256" {
        return Err(Refusal::NotRs256);
    }
    let claims: Claims = serde_json::from_slice(&decoded(payload)?).map_err(|_| Refusal::BadClaims)?;
    let signature = decoded(signature)?;
    let signed = &token[..token.rfind('.').unwrap_or_default()];
    Ok(Decoded { signed, signature, claims })
}

/// `exp` not passed and `nbf` reached, each give or take the clock skew,
/// and `aud` naming `audience` when one is required.
fn check_claims(claims: &Claims, audience: Option<&str>, now_seconds: f64) -> Result<(), Refusal> {
    if claims.exp + CLOCK_SKEW_SECONDS <= now_seconds {
        return Err(Refusal::Expired);
    }
    if claims.nbf.is_some_and(|nbf| nbf - CLOCK_SKEW_SECONDS > now_seconds) {
        return Err(Refusal::NotYetValid);
    }
    let Some(audience) = audience else { return Ok(()) };
    let named = match &claims.aud {
        Some(serde_json::Value::String(aud)) => aud == audience,
        Some(serde_json::Value::Array(auds)) => auds.iter().any(|aud| aud.as_str() == Some(audience)),
        _ => false,
    };
    if named {
        Ok(())
    } else {
        Err(Refusal::WrongAudience)
    }
}

thread_local! {
    /// Signing keys imported into Web Crypto, kept for the isolate's life:
    /// importing a key costs more than verifying with it.
    static IMPORTED: RefCell<Vec<([u8; 32], JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// Whether `signature` is `key`'s RS256 signature of `data`.
async fn verify_rs256(key: &SigningKey, data: &[u8], signature: &[u8]) -> Result<bool, ApiError> {
    let crypto_key = imported(key).await?;
    let checked = subtle_verify(RSASSA, &crypto_key, &Uint8Array::from(signature), &Uint8Array::from(data))
        .map_err(|_| ApiError::internal("crypto.subtle.verify refused its arguments"))?;
    // A signature of the wrong length rejects rather than answering false.
    Ok(JsFuture::from(checked).await.is_ok_and(|answer| answer.as_bool() == Some(true)))
}

/// `key` as a Web Crypto key, imported once per isolate.
async fn imported(key: &SigningKey) -> Result<JsValue, ApiError> {
    let cached =
        IMPORTED.with_borrow(|keys| keys.iter().find(|(digest, _)| *digest == key.digest).map(|(_, k)| k.clone()));
    if let Some(crypto_key) = cached {
        return Ok(crypto_key);
    }
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &RSASSA.into()).map_err(worker::Error::from)?;
    Reflect::set(&algorithm, &"hash".into(), &"SHA-256".into()).map_err(worker::Error::from)?;
    let usages = Array::of1(&"verify".into());
    let not_rsa = |_| ApiError::config("a signing key of `PUBLIC_KEYS` is not an RSA public key");
    let promise =
        import_key("spki", &Uint8Array::from(key.der.as_slice()), &algorithm, false, &usages).map_err(not_rsa)?;
    let crypto_key = JsFuture::from(promise).await.map_err(not_rsa)?;
    IMPORTED.with_borrow_mut(|keys| keys.push((key.digest, crypto_key.clone())));
    Ok(crypto_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(header: &str, payload: &str, signature: &[u8]) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    #[test]
    fn decodes_an_rs256_token_and_keeps_the_signed_text() {
        let text = token(r#"{"alg":"RS256","typ":"JWT"}"#, r#"{"sub":"jane","exp":2000,"iat":1000}"#, b"sig");
        let decoded = decode(&text).expect("an RS256 token decodes");
        assert_eq!(decoded.claims.sub, "jane");
        assert_eq!(decoded.signature, b"sig");
        assert_eq!(format!("{}.{}", decoded.signed, URL_SAFE_NO_PAD.encode(b"sig")), text);
    }

    #[test]
    fn refuses_other_algorithms_and_malformed_tokens_before_any_key() {
        let claims = r#"{"sub":"jane","exp":2000}"#;
        for (text, reason) in [
            (token(r#"{"alg":"none"}"#, claims, b""), "it is not signed with RS256"),
            (token(r#"{"alg":"HS256"}"#, claims, b"mac"), "it is not signed with RS256"),
            (token(r#"{"alg":"rs256"}"#, claims, b"sig"), "it is not signed with RS256"),
            (token(r#"{"typ":"JWT"}"#, claims, b"sig"), "its header is not a JWT header"),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"exp":2000}"#, b"sig"),
                "its claims are not a JSON object with a string `sub` and a numeric `exp`",
            ),
            (
                token(r#"{"alg":"RS256"}"#, r#"{"sub":"jane"}"#, b"sig"),
                "its claims are not a JSON object with a string `sub` and a numeric `exp`",
            ),
            ("a.b".to_owned(), "it is not a JWT of three dot-separated segments"),
            ("a.b.c.d".to_owned(), "it is not a JWT of three dot-separated segments"),
            (
                format!("{}.***", &token(r#"{"alg":"RS256"}"#, claims, b"")[..].trim_end_matches('.')),
                "a segment is not base64url",
            ),
            ("e30=.e30.c2ln".to_owned(), "a segment is not base64url"),
            ("x".repeat(MAX_TOKEN_BYTES + 1), "it is longer than 4 KiB"),
        ] {
            assert_eq!(decode(&text).err().map(Refusal::reason), Some(reason), "{}", &text[..text.len().min(60)]);
        }
    }

    #[test]
    fn times_allow_sixty_seconds_of_skew() {
        let claims = |exp, nbf| Claims { sub: "jane".into(), exp, nbf, aud: None };
        assert_eq!(check_claims(&claims(1000.0, None), None, 1059.0), Ok(()));
        assert_eq!(check_claims(&claims(1000.0, None), None, 1060.0), Err(Refusal::Expired));
        assert_eq!(check_claims(&claims(5000.0, Some(1060.0)), None, 1000.0), Ok(()));
        assert_eq!(check_claims(&claims(5000.0, Some(1061.0)), None, 1000.0), Err(Refusal::NotYetValid));
    }

    #[test]
    fn an_audience_when_required_is_named_by_aud() {
        let claims = |aud: Option<serde_json::Value>| Claims { sub: "jane".into(), exp: 2000.0, nbf: None, aud };
        let required = Some("production");
        for aud in [serde_json::json!("production"), serde_json::json!(["staging", "production"])] {
            assert_eq!(check_claims(&claims(Some(aud.clone())), required, 1000.0), Ok(()), "{aud}");
        }
        for aud in
            [None, Some(serde_json::json!("staging")), Some(serde_json::json!(["staging"])), Some(serde_json::json!(7))]
        {
            assert_eq!(check_claims(&claims(aud.clone()), required, 1000.0), Err(Refusal::WrongAudience), "{aud:?}");
        }
        // Not required: any `aud`, or none, is fine.
        assert_eq!(check_claims(&claims(Some(serde_json::json!("staging"))), None, 1000.0), Ok(()));
        assert_eq!(check_claims(&claims(None), None, 1000.0), Ok(()));
    }

    #[test]
    fn reads_pem_public_keys() {
        let pem = "-----BEGIN PUBLIC KEY-----\nMIIBIjAN\nBgkqhkiG\n-----END PUBLIC KEY-----\n";
        assert!(SigningKey::from_pem(pem).is_some());
        assert!(SigningKey::from_pem("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----").is_none());
        assert!(SigningKey::from_pem("-----BEGIN PUBLIC KEY-----\n%%%\n-----END PUBLIC KEY-----").is_none());
        assert!(SigningKey::from_pem("").is_none());
    }
}
