//! Merging users (contract §11) across the two users' objects, which
//! share no transaction. Each step is one bounded call to one object, in
//! this order, so that no failure between two of them loses the
//! secondary's data:
//!
//! 1. the secondary's object answers its record and ETag;
//! 2. the primary's object merges that record and commits, in one step
//!    ([`UserObjectClient::merge_in`]; with an `Idempotency-Key`, its kept
//!    answer when there is nothing more to merge);
//! 3. the secondary's object deletes it with `If-Match` of the ETag read in
//!    1: only if it still holds what the primary merged. A 412 means it
//!    was written meanwhile: read and merged again, at most [`ATTEMPTS`]
//!    times in all, then a 409.
//!
//! Stopped anywhere, the secondary's data is in the primary or still in
//! the secondary (or in both), and the same merge sent again completes:
//! the secondary, if still there, is merged (again) and deleted; if it is
//! gone, a request with a key gets the answer the primary kept for it, one
//! without a 404.

use super::error::ApiError;
use super::idempotency::Idempotency;
use super::response::REPLAYED_HEADER;
use super::user::client::UserObjectClient;
use super::user::message::{Answer, Options};
use worker::{Env, Response};

/// How many times a merge reads its secondary before giving up on one
/// that is written every time (a 409).
const ATTEMPTS: usize = 3;

/// Merges the user `secondary_id` into `primary_id`, both in
/// `environment`, then deletes it; the answer is the primary's merge
/// write's (200 with the merged user and its ETag, or its 404 or 422), a
/// 404 for an unknown secondary, or a 409.
pub async fn merge(
    env: &Env,
    environment: &str,
    [primary_id, secondary_id]: [&str; 2],
    idempotency: Option<Idempotency>,
    request_id: &str,
) -> Result<Response, ApiError> {
    let primary = UserObjectClient::new(env, environment, primary_id, request_id)?;
    let secondary = UserObjectClient::new(env, environment, secondary_id, request_id)?;
    // The primary's answer once this request has merged the secondary.
    let mut merged: Option<Response> = None;
    for _ in 0..ATTEMPTS {
        let Some((record, etag)) = secondary.record().await? else {
            // Gone: merged by this request already, or by the first of
            // this key's requests (the primary kept its answer), or never.
            if let Some(answer) = merged {
                return Ok(answer);
            }
            if let Some(answer) = match &idempotency {
                Some(idempotency) => primary.kept_answer(idempotency).await?,
                None => None,
            } {
                return Ok(answer);
            }
            return Err(ApiError::user_missing(secondary_id));
        };
        let options = Options {
            idempotency: idempotency.clone(),
            route: Some("merge".to_owned()),
            merge_from: Some(secondary_id.to_owned()),
            ..Options::answer(Answer::User)
        };
        let mut answer = primary.merge_in(&record, options).await?;
        if answer.status_code() != 200 {
            return Ok(answer);
        }
        if merged.is_some() {
            // This request made the merge its key kept: not a replay.
            answer.headers_mut().delete(REPLAYED_HEADER)?;
        }
        let delete = Options { if_match: Some(etag), ..Options::answer(Answer::User) };
        if secondary.delete(delete).await?.status_code() == 204 {
            return Ok(answer);
        }
        // 412: the secondary changed (or went) since it was read.
        merged = Some(answer);
    }
    Err(ApiError::merge_conflict(secondary_id, ATTEMPTS))
}
