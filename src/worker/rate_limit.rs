//! Rate limits (contract §6): a secret key's request counts against its
//! environment's limiter for the route, as Knock's tiers. A public key's
//! request counts only once its user token is verified, and only against
//! limiters of its own: one per user, and one for all public-key traffic
//! of the environment. So no visitor of a web app, with or without a
//! token, can spend the budget of the app's backend.

use super::clock::within;
use super::error::ApiError;
use super::route::Operation;
use sha2::{Digest, Sha256};
use std::fmt::Write;
use std::time::Duration;
use worker::Env;

/// The secret keys' limiters, one per route (wrangler.toml `[[ratelimits]]`).
const IDENTIFY_LIMITER: &str = "IDENTIFY_LIMITER";
const GET_LIMITER: &str = "GET_LIMITER";
const DELETE_LIMITER: &str = "DELETE_LIMITER";
const BULK_LIMITER: &str = "BULK_LIMITER";
/// Listing users (Knock's tier 4, as GET's rate but a budget of its own).
const LIST_LIMITER: &str = "LIST_LIMITER";
/// Merging users (Knock's tier 2, as DELETE's rate but a budget of its own).
const MERGE_LIMITER: &str = "MERGE_LIMITER";
/// A public key's requests for one user (environment and user id).
const PUBLIC_USER_LIMITER: &str = "PUBLIC_USER_LIMITER";
/// All public-key requests of one environment.
const PUBLIC_LIMITER: &str = "PUBLIC_LIMITER";
/// How long a limiter may take to answer before the request is a 503.
const LIMITER_TIMEOUT: Duration = Duration::from_secs(5);

/// Counts a secret key's request against its environment's limit for `operation`.
pub async fn count_secret(env: &Env, operation: &Operation, environment: &str) -> Result<(), ApiError> {
    let limiter = match operation {
        Operation::DeleteUser => DELETE_LIMITER,
        _ if operation.starts_bulk() => BULK_LIMITER,
        Operation::ListUsers => LIST_LIMITER,
        Operation::MergeUsers => MERGE_LIMITER,
        _ if operation.reads() => GET_LIMITER,
        _ => IDENTIFY_LIMITER,
    };
    count(env, limiter, environment.to_owned()).await
}

/// Counts a public key's request, its token verified for `user_id`: per
/// user, then against the environment's public-key ceiling.
pub async fn count_public(env: &Env, environment: &str, user_id: &str) -> Result<(), ApiError> {
    // The user as a digest: limiter keys stay short and name no user.
    let mut user_key = format!("{environment}/");
    for byte in &Sha256::digest(user_id.as_bytes())[..16] {
        let _ = write!(user_key, "{byte:02x}");
    }
    count(env, PUBLIC_USER_LIMITER, user_key).await?;
    count(env, PUBLIC_LIMITER, environment.to_owned()).await
}

/// One request counted against `binding` under `key`: a 429 past its limit.
async fn count(env: &Env, binding: &str, key: String) -> Result<(), ApiError> {
    let limiter =
        env.rate_limiter(binding).map_err(|error| ApiError::config(format!("rate limiter `{binding}`: {error}")))?;
    let outcome = within(LIMITER_TIMEOUT, limiter.limit(key))
        .await
        .map_err(|_| ApiError::unavailable(format!("rate limiter `{binding}`: no answer within 5 s")))??;
    if outcome.success {
        Ok(())
    } else {
        Err(ApiError::rate_limited())
    }
}
