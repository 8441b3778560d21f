//! Users in Workers KV (contract §7): one JSON document per user, under a key
//! made of the environment and the user id. A KV key is at most 512 bytes,
//! so an id whose key would be longer is keyed by its SHA-256 instead; the
//! full id stays inside the stored document.
//!
//! Keys: `{environment}/users/{user_id}`, or
//! `{environment}/users#sha256/{hex digest of user_id}`. A valid user id has
//! no `/` and no `#` and an environment name has neither, so the two forms
//! never collide.

use crate::worker::clock::within;
use crate::worker::error::ApiError;
use crate::StoredUser;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::time::Duration;
use worker::{kv::KvStore, Env};

/// The KV namespace binding.
const USERS: &str = "USERS";
/// Workers KV's limit on a key, in bytes.
const MAX_KEY_BYTES: usize = 512;
/// How long one KV call may take before it counts as failed.
const KV_TIMEOUT: Duration = Duration::from_secs(10);

/// One environment's users.
pub struct Kv<'a> {
    kv: KvStore,
    environment: &'a str,
}

impl<'a> Kv<'a> {
    /// The users of `environment`.
    pub fn new(env: &Env, environment: &'a str) -> Result<Self, ApiError> {
        let kv = env.kv(USERS).map_err(|error| ApiError::config(format!("KV binding `{USERS}`: {error}")))?;
        Ok(Kv { kv, environment })
    }

    /// The stored record of `user_id`, if there is one. KV failing or not
    /// answering within [`KV_TIMEOUT`] is a 503: nothing was read, so
    /// nothing was written.
    pub async fn get(&self, user_id: &str) -> Result<Option<StoredUser>, ApiError> {
        let key = key_for(self.environment, user_id);
        let text = within(KV_TIMEOUT, self.kv.get(&key).text())
            .await
            .map_err(|_| ApiError::unavailable(format!("KV read: no answer within {} s", KV_TIMEOUT.as_secs())))?
            .map_err(|error| ApiError::unavailable(format!("KV read: {error}")))?;
        let Some(text) = text else {
            return Ok(None);
        };
        let record = StoredUser::from_json(text.as_bytes())?;
        if record.user_id() != user_id {
            return Err(ApiError::internal(format!(
                "the record under a digest key holds another user ({} bytes of id)",
                record.user_id().len()
            )));
        }
        Ok(Some(record))
    }

    /// Writes `json` (a record's [`StoredUser::as_json`]) as `user_id`'s
    /// one JSON document.
    pub async fn put_json(&self, user_id: &str, json: &str) -> Result<(), ApiError> {
        let key = key_for(self.environment, user_id);
        // A string, never a struct: a struct would go through JsValue and lose its maps.
        let put = self.kv.put(&key, json).map_err(ApiError::internal)?.execute();
        bounded("KV write", put).await
    }

    /// Removes `user_id`; removing an unknown user is not an error.
    pub async fn delete(&self, user_id: &str) -> Result<(), ApiError> {
        bounded("KV delete", self.kv.delete(&key_for(self.environment, user_id))).await
    }
}

/// A KV write, failed when it errs or takes longer than [`KV_TIMEOUT`].
async fn bounded(
    what: &str,
    call: impl std::future::Future<Output = Result<(), worker::kv::KvError>>,
) -> Result<(), ApiError> {
    match within(KV_TIMEOUT, call).await {
        Ok(written) => written.map_err(|error| ApiError::internal(format!("{what}: {error}"))),
        Err(_) => Err(ApiError::internal(format!("{what}: no answer within {} s", KV_TIMEOUT.as_secs()))),
    }
}

/// A short name of `user_id`'s KV key for log lines, which never name a
/// user: the first 16 hex digits of the key's SHA-256.
pub fn key_digest(environment: &str, user_id: &str) -> String {
    let mut digest = String::with_capacity(16);
    for byte in &Sha256::digest(key_for(environment, user_id).as_bytes())[..8] {
        let _ = write!(digest, "{byte:02x}");
    }
    digest
}

/// The KV key of `user_id` in `environment`.
fn key_for(environment: &str, user_id: &str) -> String {
    let key = format!("{environment}/users/{user_id}");
    if key.len() <= MAX_KEY_BYTES {
        return key;
    }
    let mut key = format!("{environment}/users#sha256/");
    for byte in Sha256::digest(user_id.as_bytes()) {
        let _ = write!(key, "{byte:02x}");
    }
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ids_are_kept_and_long_ids_are_digested() {
        assert_eq!(key_for("development", "jane"), "development/users/jane");
        let long = "😀".repeat(256);
        let key = key_for("development", &long);
        assert!(key.starts_with("development/users#sha256/"), "{key}");
        assert_eq!(key.len(), "development/users#sha256/".len() + 64);
        assert_ne!(key_for("development", &long), key_for("development", &"😀".repeat(255)));
        let edge = "a".repeat(MAX_KEY_BYTES - "development/users/".len());
        assert_eq!(key_for("development", &edge).len(), MAX_KEY_BYTES);
    }

    #[test]
    fn log_digests_name_the_key_not_the_user() {
        // `printf development/users/jane | sha256sum`, as the tests compute it in Node.
        assert_eq!(key_digest("development", "jane"), "717f3d23bcf80566");
        assert_ne!(key_digest("development", "jane"), key_digest("staging", "jane"));
        assert!(!key_digest("development", "jane").contains("jane"));
    }
}
