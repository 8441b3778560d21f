//! `Authorization: Bearer <key>` against the secret `API_KEYS`, a JSON
//! object of key → environment name. Keys are compared in constant time
//! (as SHA-256 digests, so their lengths do not leak either) and never
//! logged or answered.

use super::error::ApiError;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use worker::{Env, Headers};

/// The secret holding the keys.
const API_KEYS: &str = "API_KEYS";
/// The longest environment name.
const MAX_ENVIRONMENT_CHARS: usize = 64;

/// The configured keys, as digests, with their environments.
pub struct ApiKeys {
    keys: Vec<([u8; 32], String)>,
}

impl ApiKeys {
    /// Reads `API_KEYS`; a missing or malformed secret is a 500 whose log
    /// line (never the answer) names the problem, without any key.
    pub fn from_env(env: &Env) -> Result<ApiKeys, ApiError> {
        let text = env.secret(API_KEYS).map_err(|_| ApiError::config("the secret `API_KEYS` is not set"))?.to_string();
        ApiKeys::parse(&text).map_err(ApiError::config)
    }

    /// Parses the secret's JSON; the error says what is wrong without
    /// quoting any of it.
    fn parse(text: &str) -> Result<ApiKeys, String> {
        let map: BTreeMap<String, String> = serde_json::from_str(text).map_err(|error| {
            format!(
                "`API_KEYS` is not a JSON object of key → environment name (line {}, column {})",
                error.line(),
                error.column()
            )
        })?;
        if map.is_empty() {
            return Err("`API_KEYS` holds no key".into());
        }
        let mut keys = Vec::with_capacity(map.len());
        for (index, (key, environment)) in map.into_iter().enumerate() {
            if key.is_empty() {
                return Err(format!("`API_KEYS` entry {index} has an empty key"));
            }
            let valid_name = !environment.is_empty()
                && environment.len() <= MAX_ENVIRONMENT_CHARS
                && environment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid_name {
                return Err(format!(
                    "`API_KEYS` entry {index}: an environment name is 1 to {MAX_ENVIRONMENT_CHARS} letters, digits, `-` or `_`"
                ));
            }
            keys.push((Sha256::digest(key.as_bytes()).into(), environment));
        }
        Ok(ApiKeys { keys })
    }

    /// The environment of the request's key, or a 401.
    pub fn authenticate(&self, headers: &Headers) -> Result<&str, ApiError> {
        let header = headers.get("Authorization").ok().flatten().unwrap_or_default();
        let key = bearer_token(&header).ok_or_else(ApiError::key_missing)?;
        self.environment_of(key).ok_or_else(ApiError::key_invalid)
    }

    /// The environment of `key`: every configured key is compared, each in
    /// constant time, whatever matches.
    fn environment_of(&self, key: &str) -> Option<&str> {
        let digest: [u8; 32] = Sha256::digest(key.as_bytes()).into();
        let mut found = None;
        for (candidate, environment) in &self.keys {
            let difference = candidate.iter().zip(&digest).fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if difference == 0 {
                found = Some(environment.as_str());
            }
        }
        found
    }
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

    #[test]
    fn parses_keys_and_finds_their_environment() {
        let keys = ApiKeys::parse(r#"{"sk_a": "development", "sk_b": "prod-1"}"#).expect("valid");
        assert_eq!(keys.environment_of("sk_a"), Some("development"));
        assert_eq!(keys.environment_of("sk_b"), Some("prod-1"));
        assert_eq!(keys.environment_of("sk_c"), None);
        assert_eq!(keys.environment_of(""), None);
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
            let error = ApiKeys::parse(text).err().unwrap_or_else(|| panic!("{text} must be refused"));
            assert!(!error.contains("sk_secret"), "{error}");
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
