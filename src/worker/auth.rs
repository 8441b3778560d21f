//! Who is calling: `Authorization: Bearer <key>`, a secret key from the
//! secret `API_KEYS` (a JSON object of key → environment name), or a public
//! key from the optional `PUBLIC_KEYS` (key → `{ "environment": name,
//! "signing_keys": [PEM public keys], "require_audience": bool }`), which
//! must bring a signed user token ([`super::user_token`]). Keys are compared
//! in constant time (as SHA-256 digests, so their lengths do not leak
//! either) and never logged or answered.

use super::env_memo::EnvMemo;
use super::error::ApiError;
use super::user_token::{SigningKey, TokenRules};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::rc::Rc;
use worker::{Env, Headers};

/// The secret holding the secret keys.
const API_KEYS: &str = "API_KEYS";
/// The secret (or variable) holding the public keys.
const PUBLIC_KEYS: &str = "PUBLIC_KEYS";
/// The longest environment name.
const MAX_ENVIRONMENT_CHARS: usize = 64;

/// A public key's environment and the keys its user tokens are signed with.
pub struct PublicKey {
    pub environment: String,
    pub signing_keys: Vec<SigningKey>,
    /// Whether its tokens must carry an `aud` naming the environment.
    pub require_audience: bool,
}

impl PublicKey {
    /// What a user token of this key must satisfy.
    pub fn token_rules(&self) -> TokenRules<'_> {
        TokenRules {
            signing_keys: &self.signing_keys,
            audience: self.require_audience.then_some(self.environment.as_str()),
        }
    }
}

/// A request's caller, once its key is known.
pub enum Caller<'a> {
    /// A secret key: every route of its environment.
    Secret { environment: &'a str },
    /// A public key: only its user token's user, once the token verifies.
    Public(&'a PublicKey),
}

impl Caller<'_> {
    /// The environment whose users the caller reaches.
    pub fn environment(&self) -> &str {
        match self {
            Caller::Secret { environment } => environment,
            Caller::Public(key) => &key.environment,
        }
    }
}

/// The configured keys, as digests, with what each gives access to.
pub struct ApiKeys {
    secret: Vec<([u8; 32], String)>,
    public: Vec<([u8; 32], PublicKey)>,
}

thread_local! {
    /// The keys of this isolate's secrets.
    static PARSED: EnvMemo<Rc<ApiKeys>> = const { EnvMemo::new() };
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublicKeyEntry {
    environment: String,
    signing_keys: Vec<String>,
    #[serde(default)]
    require_audience: bool,
}

impl ApiKeys {
    /// Reads `API_KEYS` and `PUBLIC_KEYS` (which may be absent); a missing
    /// or malformed secret is a 500 whose log line (never the answer)
    /// names the problem, without any key.
    ///
    /// Read, parsed and digested once per isolate ([`EnvMemo`]): doing it
    /// on every request was work of the request's front that the keys do
    /// not need.
    pub fn from_env(env: &Env) -> Result<Rc<ApiKeys>, ApiError> {
        PARSED.with(|parsed| {
            parsed.get_or_derive(env, || {
                let secret =
                    env.secret(API_KEYS).map_err(|_| ApiError::config("the secret `API_KEYS` is not set"))?.to_string();
                let public = env.secret(PUBLIC_KEYS).ok().map(|text| text.to_string());
                ApiKeys::parse(&secret, public.as_deref()).map(Rc::new)
            })
        })
    }

    /// Parses the secrets' JSON; the error says what is wrong without
    /// quoting any of it.
    fn parse(secret: &str, public: Option<&str>) -> Result<ApiKeys, ApiError> {
        let map: BTreeMap<String, String> = serde_json::from_str(secret).map_err(|error| {
            ApiError::config(format!(
                "`API_KEYS` is not a JSON object of key → environment name (line {}, column {})",
                error.line(),
                error.column()
            ))
        })?;
        if map.is_empty() {
            return Err(ApiError::config("`API_KEYS` holds no key"));
        }
        let mut keys = ApiKeys { secret: Vec::with_capacity(map.len()), public: Vec::new() };
        for (index, (key, environment)) in map.into_iter().enumerate() {
            check_entry(API_KEYS, index, &key, &environment)?;
            keys.secret.push((Sha256::digest(key.as_bytes()).into(), environment));
        }
        let Some(public) = public else { return Ok(keys) };
        let map: BTreeMap<String, PublicKeyEntry> = serde_json::from_str(public).map_err(|error| {
            ApiError::config(format!(
                "`PUBLIC_KEYS` is not a JSON object of key → {{ environment, signing_keys, require_audience? }} (line {}, column {})",
                error.line(),
                error.column()
            ))
        })?;
        for (index, (key, entry)) in map.into_iter().enumerate() {
            check_entry(PUBLIC_KEYS, index, &key, &entry.environment)?;
            let signing_keys: Option<Vec<SigningKey>> =
                entry.signing_keys.iter().map(|pem| SigningKey::from_pem(pem)).collect();
            let signing_keys = signing_keys.filter(|keys| !keys.is_empty()).ok_or_else(|| {
                ApiError::config(format!(
                    "`PUBLIC_KEYS` entry {index}: `signing_keys` is not a list of PEM public keys"
                ))
            })?;
            let public_key =
                PublicKey { environment: entry.environment, signing_keys, require_audience: entry.require_audience };
            keys.public.push((Sha256::digest(key.as_bytes()).into(), public_key));
        }
        Ok(keys)
    }

    /// The caller of the request's key, or a 401.
    pub fn authenticate(&self, headers: &Headers) -> Result<Caller<'_>, ApiError> {
        let header = headers.get("Authorization").ok().flatten().unwrap_or_default();
        let key = bearer_token(&header).ok_or_else(ApiError::key_missing)?;
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        // Both lists are searched whole, whichever matches.
        let secret = find(&self.secret, &digest).map(|environment| Caller::Secret { environment });
        let public = find(&self.public, &digest).map(Caller::Public);
        secret.or(public).ok_or_else(ApiError::key_invalid)
    }
}

/// A key and its environment name, as both secrets hold them.
fn check_entry(secret: &str, index: usize, key: &str, environment: &str) -> Result<(), ApiError> {
    if key.is_empty() {
        return Err(ApiError::config(format!("`{secret}` entry {index} has an empty key")));
    }
    let valid_name = !environment.is_empty()
        && environment.len() <= MAX_ENVIRONMENT_CHARS
        && environment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if valid_name {
        Ok(())
    } else {
        Err(ApiError::config(format!(
            "`{secret}` entry {index}: an environment name is 1 to {MAX_ENVIRONMENT_CHARS} letters, digits, `-` or `_`"
        )))
    }
}

/// What `digest` names in `keys`: every entry is compared, each in
/// constant time, whatever matches.
fn find<'a, T>(keys: &'a [([u8; 32], T)], digest: &[u8; 32]) -> Option<&'a T> {
    let mut found = None;
    for (candidate, value) in keys {
        let difference = candidate.iter().zip(digest).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        if difference == 0 {
            found = Some(value);
        }
    }
    found
}

/// The token of `Bearer <token>` (the scheme in any case), if there is one.
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PUBLIC KEY-----\\nMIIBIjAN\\n-----END PUBLIC KEY-----";

    /// The environment and kind of `key`, as `authenticate` finds them.
    fn lookup(keys: &ApiKeys, key: &str) -> Option<(String, bool)> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let secret = find(&keys.secret, &digest).map(|environment| (environment.clone(), false));
        secret.or_else(|| find(&keys.public, &digest).map(|public| (public.environment.clone(), true)))
    }

    #[test]
    fn parses_keys_and_finds_their_environment() {
        let public = format!(r#"{{"pk_a": {{"environment": "development", "signing_keys": ["{PEM}", "{PEM}"]}}}}"#);
        let keys = ApiKeys::parse(r#"{"sk_a": "development", "sk_b": "prod-1"}"#, Some(&public)).expect("valid");
        assert!(!keys.public[0].1.require_audience);
        let strict =
            format!(r#"{{"pk_a": {{"environment": "dev", "signing_keys": ["{PEM}"], "require_audience": true}}}}"#);
        let strict_keys = ApiKeys::parse(r#"{"sk_a": "dev"}"#, Some(&strict)).expect("valid");
        assert_eq!(strict_keys.public[0].1.token_rules().audience, Some("dev"));
        assert_eq!(keys.public[0].1.token_rules().audience, None);
        assert_eq!(lookup(&keys, "sk_a"), Some(("development".into(), false)));
        assert_eq!(lookup(&keys, "sk_b"), Some(("prod-1".into(), false)));
        assert_eq!(lookup(&keys, "pk_a"), Some(("development".into(), true)));
        assert_eq!(keys.public[0].1.signing_keys.len(), 2);
        assert_eq!(lookup(&keys, "sk_c"), None);
        assert_eq!(lookup(&keys, ""), None);
        assert!(ApiKeys::parse(r#"{"sk_a": "development"}"#, None).expect("valid").public.is_empty());
    }

    #[test]
    fn malformed_secrets_are_refused_without_quoting_them() {
        for text in [
            "",
            "sk_secret",
            r#"["sk_secret"]"#,
            "{}",
            r#"{"sk_secret": 1}"#,
            r#"{"sk_secret": "a/b"}"#,
            r#"{"": "dev"}"#,
        ] {
            let error =
                ApiKeys::parse(text, None).err().unwrap_or_else(|| panic!("{text} must be refused")).to_string();
            assert!(!error.contains("sk_secret"), "{error}");
        }
        for public in [
            "pk_secret".to_owned(),
            r#"{"pk_secret": "development"}"#.to_owned(),
            r#"{"pk_secret": {"environment": "development", "signing_keys": []}}"#.to_owned(),
            r#"{"pk_secret": {"environment": "development", "signing_keys": ["not a key"]}}"#.to_owned(),
            format!(r#"{{"pk_secret": {{"environment": "a/b", "signing_keys": ["{PEM}"]}}}}"#),
            format!(r#"{{"pk_secret": {{"environment": "dev", "signing_keys": ["{PEM}"], "extra": 1}}}}"#),
            format!(
                r#"{{"pk_secret": {{"environment": "dev", "signing_keys": ["{PEM}"], "require_audience": "yes"}}}}"#
            ),
        ] {
            let error = ApiKeys::parse(r#"{"sk_a": "dev"}"#, Some(&public))
                .err()
                .unwrap_or_else(|| panic!("{public} must be refused"))
                .to_string();
            assert!(!error.contains("pk_secret") && error.contains("PUBLIC_KEYS"), "{error}");
        }
    }

    #[test]
    fn reads_bearer_tokens() {
        assert_eq!(bearer_token("Bearer sk_a"), Some("sk_a"));
        assert_eq!(bearer_token("bearer  sk_a "), Some("sk_a"));
        assert_eq!(bearer_token("Basic sk_a"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token(""), None);
    }
}
