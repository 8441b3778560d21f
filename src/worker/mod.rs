//! The Cloudflare Worker (contract §1–§7): routing, authentication, rate
//! limits and the body around the core, and one Durable Object per user
//! ([`object::UserObject`]) that applies that user's identifies one after
//! another and writes the record through to Workers KV. Neither holds a
//! validation or merge rule of its own: the body's bytes go to
//! [`crate::parse_request`] and [`crate::merge`], and every answer of the
//! core is translated to HTTP.
//!
//! One request, in order: the configuration (`API_KEYS`, `PUBLIC_KEYS`),
//! the route (404, 405), the key (401; a public key may not DELETE, 403),
//! the environment's rate limit (429), a public key's user token (401, 403),
//! then the route's handler: for identify the media type (415), the body (413) and the core's
//! checks (400, 422), then the user's object. Every answer carries
//! `X-Request-ID`; every failure is the JSON error of [`error::ApiError`].

mod auth;
mod body;
mod bulk;
mod cors;
mod error;
mod flush;
mod kv;
mod message;
mod object;
mod object_client;
mod response;
mod route;
mod sql;
mod user_token;

use crate::{
    bulk_identify_users, channel_data_body, check_channel_id, check_set_id, check_user_id, parse_request_bytes,
    preference_set_body, unset_channel_data_body, user_id_from_utf8, MAX_BODY_BYTES, MAX_BULK_BODY_BYTES,
};
use auth::{ApiKeys, Caller};
use error::ApiError;
use message::REQUEST_ID_HEADER;
use message::{Answer, Options};
use object_client::UserObjectClient;
use route::{Operation, Route};
use wasm_bindgen::prelude::wasm_bindgen;
use worker::{console_error, event, Context, Env, Request, Response};

#[wasm_bindgen]
extern "C" {
    /// The global `crypto.randomUUID()` of workerd.
    #[wasm_bindgen(js_namespace = crypto, js_name = randomUUID)]
    fn random_uuid() -> String;
}

/// The rate-limit binding of each route (wrangler.toml `[[ratelimits]]`).
const IDENTIFY_LIMITER: &str = "IDENTIFY_LIMITER";
const GET_LIMITER: &str = "GET_LIMITER";
const DELETE_LIMITER: &str = "DELETE_LIMITER";
const BULK_LIMITER: &str = "BULK_LIMITER";

#[event(fetch)]
async fn fetch(mut req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let request_id = format!("req_{}", random_uuid().replace('-', ""));
    let origin = cors::allowed_origin(&req, &env);
    let response = match handle(&mut req, &env, &request_id, origin.is_some()).await {
        Ok(response) => Ok(response),
        Err(error) => {
            body::discard_unread(&mut req).await;
            error.into_response(&request_id)
        }
    };
    let finished = response.and_then(|mut response| {
        let headers = response.headers_mut();
        headers.set(REQUEST_ID_HEADER, &request_id)?;
        if let Some(origin) = &origin {
            cors::add_headers(headers, origin)?;
        }
        Ok(response)
    });
    finished.or_else(|error| {
        // Unreachable in practice (headers are fixed ASCII); still JSON.
        console_error!("request {request_id}: could not build the response: {error}");
        let body = format!(
            r#"{{"code":"internal_error","message":"internal error","request_id":"{request_id}","status":500}}"#
        );
        let mut response = response::json(500, body.into_bytes())?;
        response.headers_mut().set(REQUEST_ID_HEADER, &request_id)?;
        Ok(response)
    })
}

/// Everything between the request and its answer; failures are [`ApiError`]s.
async fn handle(req: &mut Request, env: &Env, request_id: &str, cors_allowed: bool) -> Result<Response, ApiError> {
    let keys = ApiKeys::from_env(env)?;
    let route = Route::parse(&req.inner().url())?;
    let method_name = req.inner().method();
    let operation = match route.operation(&method_name) {
        Some(operation) => operation,
        None if method_name == "OPTIONS" && cors_allowed => return cors::preflight(req, route.allow()),
        None => return Err(ApiError::method_not_allowed(route.allow())),
    };
    let caller = keys.authenticate(req.headers())?;
    let environment = caller.environment();
    if let Caller::Public(_) = &caller {
        if operation == Operation::DeleteUser || !operation.is_one_users() {
            return Err(ApiError::forbidden(
                "a public key may identify and read its signed-in user, not delete users or run bulk operations",
            ));
        }
    }
    let limiter = match operation {
        Operation::DeleteUser => DELETE_LIMITER,
        Operation::BulkIdentify => BULK_LIMITER,
        _ if operation.reads() => GET_LIMITER,
        _ => IDENTIFY_LIMITER,
    };
    rate_limit(env, limiter, environment).await?;
    let id_bytes = route.user_id();
    if let Caller::Public(public_key) = &caller {
        check_user_token(req, &public_key.signing_keys, &id_bytes).await?;
    }
    if let Some(problem) = route.part_id_problem() {
        return Err(ApiError::invalid_params(vec![problem]));
    }
    let object = |user_id| UserObjectClient::new(env, environment, user_id, request_id);
    let write = |answer| Options { answer, if_exists: false };
    match operation {
        Operation::BulkIdentify => {
            let bytes = read_json_body(req, MAX_BULK_BODY_BYTES).await?;
            let users = bulk_identify_users(&bytes)?;
            bulk::start(env, environment, users, random_uuid()).await
        }
        Operation::GetBulkProgress(id) => bulk::get(env, environment, &id).await,
        Operation::Identify => {
            let bytes = read_json_body(req, MAX_BODY_BYTES).await?;
            // Every 400/413/422 is answered here, before the object.
            parse_request_bytes(&id_bytes, &bytes)?;
            object(checked_id(&id_bytes)?)?.identify(bytes, write(Answer::User)).await
        }
        Operation::GetUser => object(checked_id(&id_bytes)?)?.get(Answer::User).await,
        Operation::DeleteUser => object(checked_id(&id_bytes)?)?.delete().await,
        Operation::GetChannelData(channel_id) => {
            let user_id = checked_id(&id_bytes)?;
            check_channel_id(&channel_id).map_err(refused)?;
            object(user_id)?.get(Answer::ChannelData(channel_id)).await
        }
        Operation::SetChannelData(channel_id) => {
            let user_id = checked_id(&id_bytes)?;
            let body = channel_data_body(user_id, &channel_id, &read_json_body(req, MAX_BODY_BYTES).await?)?;
            object(user_id)?.identify(body, write(Answer::ChannelData(channel_id))).await
        }
        Operation::UnsetChannelData(channel_id) => {
            let user_id = checked_id(&id_bytes)?;
            let body = unset_channel_data_body(user_id, &channel_id)?;
            // Only a user that exists loses a channel (the object answers
            // 404 for another, writing nothing); either way, a 204.
            let options = Options { answer: Answer::User, if_exists: true };
            object(user_id)?.identify(body, options).await?;
            Ok(response::empty(204)?)
        }
        Operation::GetPreferenceSet(set_id) => {
            let user_id = checked_id(&id_bytes)?;
            check_set_id(&set_id).map_err(refused)?;
            object(user_id)?.get(Answer::PreferenceSet(set_id)).await
        }
        Operation::SetPreferenceSet(set_id) => {
            let user_id = checked_id(&id_bytes)?;
            let body = preference_set_body(user_id, &set_id, &read_json_body(req, MAX_BODY_BYTES).await?)?;
            object(user_id)?.identify(body, write(Answer::PreferenceSet(set_id))).await
        }
    }
}

/// A JSON body: its media type (415), at most `limit` bytes of it (413).
async fn read_json_body(req: &mut Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    body::check_content_type(req.headers())?;
    body::read_capped(req, limit).await
}

/// A public key's user token (contract §6a): present (401
/// `user_token_missing`), valid (401 `invalid_user_token`) and for the
/// user of the path (403 `forbidden`).
async fn check_user_token(
    req: &Request,
    signing_keys: &[user_token::SigningKey],
    id_bytes: &[u8],
) -> Result<(), ApiError> {
    let token = req.headers().get(user_token::USER_TOKEN_HEADER).ok().flatten().filter(|token| !token.is_empty());
    let token = token.ok_or_else(ApiError::user_token_missing)?;
    let now_seconds = js_sys::Date::now() / 1000.0;
    let user_id = user_token::verify(token.trim(), signing_keys, now_seconds).await?;
    if user_id.as_bytes() == id_bytes {
        Ok(())
    } else {
        Err(ApiError::forbidden("the user token is for another user: a public key reaches only its token's user"))
    }
}

/// The user id of a GET or DELETE, checked as identify checks it (a 422 on `user_id`).
fn checked_id(bytes: &[u8]) -> Result<&str, ApiError> {
    let user_id = user_id_from_utf8(bytes).map_err(refused)?;
    check_user_id(user_id).map_err(refused)?;
    Ok(user_id)
}

/// The 422 of a path's one bad id.
fn refused(problem: crate::Problem) -> ApiError {
    ApiError::invalid_params(vec![problem])
}

/// Counts one request against the environment's limit for this route.
async fn rate_limit(env: &Env, binding: &str, environment: &str) -> Result<(), ApiError> {
    let limiter =
        env.rate_limiter(binding).map_err(|error| ApiError::config(format!("rate limiter `{binding}`: {error}")))?;
    let outcome = limiter.limit(environment.to_string()).await?;
    if outcome.success {
        Ok(())
    } else {
        Err(ApiError::rate_limited())
    }
}
