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

use crate::{check_user_id, parse_request_bytes, user_id_from_utf8};
use auth::{ApiKeys, Caller};
use error::ApiError;
use message::REQUEST_ID_HEADER;
use object_client::UserObjectClient;
use route::{Route, UserMethod};
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
    let method = match route.method(&method_name) {
        Some(method) => method,
        None if method_name == "OPTIONS" && cors_allowed => return cors::preflight(req),
        None => return Err(ApiError::method_not_allowed(Route::ALLOW)),
    };
    let caller = keys.authenticate(req.headers())?;
    let environment = caller.environment();
    if let (Caller::Public(_), UserMethod::Delete) = (&caller, method) {
        return Err(ApiError::forbidden("a public key may identify and read its signed-in user, not delete users"));
    }
    let limiter = match method {
        UserMethod::Put => IDENTIFY_LIMITER,
        UserMethod::Get => GET_LIMITER,
        UserMethod::Delete => DELETE_LIMITER,
    };
    rate_limit(env, limiter, environment).await?;
    let id_bytes = route.user_id();
    if let Caller::Public(public_key) = &caller {
        check_user_token(req, &public_key.signing_keys, &id_bytes).await?;
    }
    match method {
        UserMethod::Put => {
            body::check_content_type(req.headers())?;
            let bytes = body::read_capped(req).await?;
            // Every 400/413/422 is answered here, before the object.
            parse_request_bytes(&id_bytes, &bytes)?;
            let user_id = checked_id(&id_bytes)?;
            UserObjectClient::new(env, environment, user_id, request_id)?.identify(bytes).await
        }
        UserMethod::Get => UserObjectClient::new(env, environment, checked_id(&id_bytes)?, request_id)?.get().await,
        UserMethod::Delete => {
            UserObjectClient::new(env, environment, checked_id(&id_bytes)?, request_id)?.delete().await
        }
    }
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
    let refused = |problem| ApiError::invalid_params(vec![problem]);
    let user_id = user_id_from_utf8(bytes).map_err(refused)?;
    check_user_id(user_id).map_err(refused)?;
    Ok(user_id)
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
