//! The Cloudflare Worker (contract §1–§7): routing, authentication, rate
//! limits and the body around the core, one Durable Object per user
//! ([`user`]) that applies that user's writes one after another and writes
//! the record through to Workers KV, and bulk identify, delete and
//! preferences on a queue ([`bulk`]). None of it holds a validation or
//! merge rule of its own: the body's bytes go to the core, and every answer
//! of the core is translated to HTTP.
//!
//! One request, in order: the configuration (`API_KEYS`, `PUBLIC_KEYS`,
//! the variables of [`settings`]), the route (404, 405), the key (401; a
//! route a public key may not call, 403), then for a secret key the
//! environment's rate limit for the route (429), for a public key its user
//! token (401, 403) and then its own limits (429); then the route's
//! handler: for a write the media type (415), the body (413) and the core's
//! checks (400, 422), then the object. Every answer carries `X-Request-ID`;
//! every failure is the JSON error of [`error::ApiError`].
//!
//! Layers, from the ground up: `clock`, `env_memo`, `error`, `response`,
//! `transaction`, `settings`; `object_call` (every call to an object) and
//! `index` (the users index in D1); `user/` and `bulk/` (each object and
//! its clients); `merge_users` (a merge across two users' objects); the
//! request's steps (`route`, `auth`, `user_token`, `rate_limit`, `body`,
//! `cors`) and `list/` (the users list); this file.

mod auth;
mod body;
mod bulk;
mod clock;
mod cors;
mod env_memo;
mod error;
mod idempotency;
mod index;
mod kept_answers;
mod list;
mod merge_users;
mod object_call;
mod random;
mod rate_limit;
mod response;
mod route;
mod settings;
mod transaction;
mod user;
mod user_token;

use crate::{bulk_delete_user_ids, bulk_set_preferences};
use crate::{
    bulk_identify_users, channel_data_body, check_channel_id, check_page_size, check_set_id, check_user_id,
    merge_from_user_id, parse_request_bytes, preference_set_body, push_token_body, unset_channel_data_body,
    user_id_from_utf8, TokenChange, MAX_BODY_BYTES, MAX_BULK_BODY_BYTES,
};
use auth::{ApiKeys, Caller};
use body::Sender;
use bulk::message::{encode_ids, encode_rows, NewOperation, OperationKind};
use error::ApiError;
use idempotency::Idempotency;
use random::random_uuid;
use response::{Reply, REPLAYED_HEADER};
use route::{Operation, Route};
use user::client::UserObjectClient;
use user::history::Cursor;
use user::message::{Answer, Options, PushToken, REQUEST_ID_HEADER};
use worker::web_sys::Request;
use worker::{event, Context, Env, Headers, Response};

/// The Worker's entry. It takes the runtime's own `Request`: workers-rs'
/// `Request` would parse `request.cf` on every request (a tenth of a
/// refusal's CPU, docs/measurements.md), which the Worker never reads.
#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let request_id = format!("req_{}", random_uuid().replace('-', ""));
    let origin = cors::allowed_origin(&req, &env);
    let mut sender = Sender::Anonymous;
    let response = match handle(&req, &env, &request_id, origin.is_some(), &mut sender).await {
        Ok(response) => response,
        Err(error) => {
            body::discard_unread(&req, sender).await;
            error.into_response(&request_id)?
        }
    };
    finish(response, &request_id, origin.as_deref()).or_else(|error| {
        // Unreachable in practice (the headers are fixed ASCII); still JSON.
        let mut response =
            ApiError::internal(format!("could not build the response: {error}")).into_response(&request_id)?;
        response.headers_mut().set(REQUEST_ID_HEADER, &request_id)?;
        Ok(response)
    })
}

/// Every answer's own headers: its request id, and CORS for an allowed origin.
fn finish(mut response: Response, request_id: &str, origin: Option<&str>) -> worker::Result<Response> {
    let headers = response.headers_mut();
    headers.set(REQUEST_ID_HEADER, request_id)?;
    if let Some(origin) = origin {
        cors::add_headers(headers, origin)?;
    }
    Ok(response)
}

/// Everything between the request and its answer; failures are [`ApiError`]s.
/// `sender` becomes [`Sender::Authenticated`] once the caller is.
async fn handle(
    req: &Request,
    env: &Env,
    request_id: &str,
    cors_allowed: bool,
    sender: &mut Sender,
) -> Result<Response, ApiError> {
    let keys = ApiKeys::from_env(env)?;
    settings::check(env)?;
    let url = req.url();
    let route = Route::parse(&url)?;
    let method_name = req.method();
    let operation = match route.operation(&method_name) {
        Some(operation) => operation,
        None if method_name == "OPTIONS" && cors_allowed => return cors::preflight(req, route.allow()),
        None => return Err(ApiError::method_not_allowed(route.allow())),
    };
    let headers = Headers(req.headers());
    let caller = keys.authenticate(&headers)?;
    let environment = caller.environment();
    let id_bytes = route.user_id();
    match &caller {
        Caller::Secret { .. } => rate_limit::count_secret(env, &operation, environment).await?,
        Caller::Public(public_key) => {
            if !operation.public_keys_may() {
                return Err(ApiError::forbidden(
                    "a public key may identify and read its signed-in user, not delete or list users or run bulk operations",
                ));
            }
            // Verified before anything is counted: a token-less or forged
            // request spends no one's budget.
            let user_id = user_token::check_for_user(&headers, &public_key.token_rules(), &id_bytes).await?;
            rate_limit::count_public(env, environment, &user_id).await?;
        }
    }
    *sender = Sender::Authenticated;
    if let Some(problem) = route.part_id_problem() {
        return Err(ApiError::invalid_params(vec![problem]));
    }
    let object = |user_id| UserObjectClient::new(env, environment, user_id, request_id);
    // Contract §9: conditions on a user's routes, and a key on every write.
    let if_match = operation.takes_if_match().then(|| header(&headers, "If-Match")).flatten();
    let if_none_match = operation.takes_if_none_match().then(|| header(&headers, "If-None-Match")).flatten();
    let key = if operation.reads() { None } else { idempotency::key_of(&headers)? };
    let path = route::path_with_query(&url);
    let idempotent = |body: &[u8]| {
        key.clone().map(|key| Idempotency { key, fingerprint: idempotency::fingerprint(&method_name, path, body) })
    };
    let write = |answer, route: &str, body: &[u8]| Options {
        if_match: if_match.clone(),
        if_none_match: if_none_match.clone(),
        idempotency: idempotent(body),
        route: Some(route.to_owned()),
        ..Options::answer(answer)
    };
    let read = |answer| Options { if_none_match: if_none_match.clone(), ..Options::answer(answer) };
    match operation {
        Operation::BulkIdentify => {
            let bytes = read_json_body(req, MAX_BULK_BODY_BYTES).await?;
            let users = bulk_identify_users(&bytes)?;
            let idempotency = idempotent(&bytes);
            drop(bytes);
            let rows = encode_rows(&users);
            drop(users);
            let new = NewOperation { kind: OperationKind::Identify, shared_body: None, rows };
            bulk::start(env, environment, new, idempotency, request_id).await
        }
        Operation::BulkDelete => {
            let bytes = read_json_body(req, MAX_BULK_BODY_BYTES).await?;
            let rows = encode_ids(&bulk_delete_user_ids(&bytes)?);
            let new = NewOperation { kind: OperationKind::Delete, shared_body: None, rows };
            bulk::start(env, environment, new, idempotent(&bytes), request_id).await
        }
        Operation::BulkSetPreferences => {
            let bytes = read_json_body(req, MAX_BULK_BODY_BYTES).await?;
            let bulk = bulk_set_preferences(&bytes)?;
            let rows = encode_ids(&bulk.user_ids);
            let new = NewOperation { kind: OperationKind::SetPreferences, shared_body: Some(bulk.body), rows };
            bulk::start(env, environment, new, idempotent(&bytes), request_id).await
        }
        Operation::GetBulkProgress(id) => bulk::get(env, environment, &id, request_id).await,
        Operation::ListUsers => list::page(env, environment, &route::query_pairs(&url)).await,
        Operation::Identify => {
            let bytes = read_json_body(req, MAX_BODY_BYTES).await?;
            // Every 400/413/422 is answered here, before the object.
            parse_request_bytes(&id_bytes, &bytes)?;
            object(checked_id(&id_bytes)?)?.write(&bytes, write(Answer::User, "identify", &bytes)).await
        }
        Operation::GetUser => object(checked_id(&id_bytes)?)?.get(read(Answer::User)).await,
        Operation::DeleteUser => object(checked_id(&id_bytes)?)?.delete(write(Answer::User, "delete", b"")).await,
        Operation::GetChannelData(channel_id) => {
            let user_id = checked_id(&id_bytes)?;
            check_channel_id(&channel_id).map_err(refused)?;
            object(user_id)?.get(read(Answer::ChannelData(channel_id))).await
        }
        Operation::SetChannelData(channel_id) => {
            let user_id = checked_id(&id_bytes)?;
            let sent = read_json_body(req, MAX_BODY_BYTES).await?;
            let body = channel_data_body(user_id, &channel_id, &sent)?;
            object(user_id)?.write(&body, write(Answer::ChannelData(channel_id), "set_channel_data", &sent)).await
        }
        Operation::UnsetChannelData(channel_id) => {
            let user_id = checked_id(&id_bytes)?;
            let body = unset_channel_data_body(user_id, &channel_id)?;
            // Only a user that exists loses a channel (the object answers
            // 404 for another, writing nothing); either way, a 204.
            let options = Options { if_exists: true, ..write(Answer::User, "unset_channel_data", b"") };
            as_no_content(object(user_id)?.write(&body, options).await?)
        }
        Operation::GetPreferenceSet(set_id) => {
            let user_id = checked_id(&id_bytes)?;
            check_set_id(&set_id).map_err(refused)?;
            object(user_id)?.get(read(Answer::PreferenceSet(set_id))).await
        }
        Operation::SetPreferenceSet(set_id) => {
            let user_id = checked_id(&id_bytes)?;
            let sent = read_json_body(req, MAX_BODY_BYTES).await?;
            let body = preference_set_body(user_id, &set_id, &sent)?;
            object(user_id)?.write(&body, write(Answer::PreferenceSet(set_id), "set_preferences", &sent)).await
        }
        Operation::AddPushToken(channel_id, token) => {
            let options = write(Answer::ChannelData(channel_id.clone()), "add_push_token", b"");
            push_token(object(checked_id(&id_bytes)?)?, TokenChange::Add, channel_id, token, options).await
        }
        Operation::RemovePushToken(channel_id, token) => {
            let options = write(Answer::User, "remove_push_token", b"");
            push_token(object(checked_id(&id_bytes)?)?, TokenChange::Remove, channel_id, token, options).await
        }
        Operation::GetChanges => {
            let user_id = checked_id(&id_bytes)?;
            let pairs = route::query_pairs(&url);
            let query = |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone());
            let page_size = check_page_size(query("page_size").as_deref()).map_err(refused)?;
            let after = query("after");
            if let Some(after) = &after {
                Cursor::parse(after)?;
            }
            object(user_id)?.get(Options::answer(Answer::Changes(page_size, after))).await
        }
        Operation::MergeUsers => {
            let user_id = checked_id(&id_bytes)?;
            let bytes = read_json_body(req, MAX_BODY_BYTES).await?;
            let from_user_id = merge_from_user_id(user_id, &bytes)?;
            merge_users::merge(env, environment, [user_id, &from_user_id], idempotent(&bytes), request_id).await
        }
        Operation::ListPreferenceSets => object(checked_id(&id_bytes)?)?.get(read(Answer::PreferenceSets)).await,
    }
}

/// A push token's write (contract §9): its channel's and token's problems
/// answered here, before the object, which makes the change.
async fn push_token(
    object: UserObjectClient<'_>,
    change: TokenChange,
    channel_id: String,
    token: Vec<u8>,
    options: Options,
) -> Result<Response, ApiError> {
    push_token_body(object.user_id(), &channel_id, &token, None, TokenChange::Add)?;
    let token = String::from_utf8(token).map_err(|_| ApiError::internal("a token the core accepted is not UTF-8"))?;
    let answer =
        object.write(b"", Options { push_token: Some(PushToken { change, channel_id, token }), ..options }).await?;
    match change {
        TokenChange::Add => Ok(answer),
        TokenChange::Remove => as_no_content(answer),
    }
}

/// A request header's value, if it was sent.
fn header(headers: &Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

/// A write answered 204 whatever it found (unsetting a channel of a user
/// that does not exist, or removing a token, changes nothing): its
/// refusals pass through.
fn as_no_content(answer: Response) -> Result<Response, ApiError> {
    if !matches!(answer.status_code(), 200 | 404) {
        return Ok(answer);
    }
    let replayed = answer.headers().get(REPLAYED_HEADER)?.is_some();
    Ok(Reply { status: 204, body: Vec::new(), etag: None }.into_response(replayed)?)
}

/// A JSON body: its media type (415), at most `limit` bytes of it (413).
async fn read_json_body(req: &Request, limit: usize) -> Result<Vec<u8>, ApiError> {
    body::check_content_type(&Headers(req.headers()))?;
    body::read_capped(req, limit).await
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
