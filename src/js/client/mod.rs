//! `IdentifyClient`: one exported method per route of the users API (a
//! user, one channel's data, one preference set or every set, a push
//! token, a user's change history, merging two users, the users list, and
//! the bulk operations). Each reads its call options (`options.rs`),
//! checks its arguments locally with the core's check of that route
//! (`checks.rs`, `page.rs` for the paged reads), then sends with retries
//! (`send.rs`) and resolves to the answer (`answer.rs`).
//! Every write carries an `Idempotency-Key`, the caller's or a fresh one,
//! the same on each of its retries (contract §9).

mod answer;
mod checks;
mod errors;
mod fetch;
mod options;
mod page;
mod retry;
mod send;
mod token;
mod url;

use crate::js::config::Config;
use crate::js::convert::{body_json, json_of, string_arg, user_id};
use crate::js::errors::validation_error;
use crate::{
    bulk_delete_user_ids, bulk_identify_users, bulk_set_preferences, channel_data_body, check_channel_id, check_set_id,
    merge_from_user_id, parse_request, preference_set_body, push_token_body, unset_channel_data_body, TokenChange,
};
use answer::{parse_answer, Success};
use checks::{checked_by_core, checked_idempotency_key, checked_ids, checked_user_id, dot_segment_problem};
use gloo_net::http::Method;
use options::{Accepts, CallOptions};
use send::{send_with_retries, ApiRequest, IDEMPOTENCY_KEY, IF_MATCH, IF_NONE_MATCH};
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

#[wasm_bindgen(module = "/src/js/runtime.js")]
extern "C" {
    /// A fresh `Idempotency-Key`: a random UUID.
    #[wasm_bindgen(js_name = randomKey, catch)]
    fn random_key() -> Result<String, JsValue>;
    /// The async generator of every entry of a user's change history.
    #[wasm_bindgen(js_name = changeEntries)]
    fn change_entries(client: JsValue, user_id: &JsValue, options: &JsValue) -> JsValue;
    /// The async generator of every user of the environment.
    #[wasm_bindgen(js_name = userEntries)]
    fn user_entries(client: JsValue, options: &JsValue) -> JsValue;
}

/// The call options of each kind of method (contract §9).
const READ: Accepts = Accepts { idempotency_key: false, if_match: false, if_none_match: true, on_etag: true };
const IDENTIFY: Accepts = Accepts { idempotency_key: true, if_match: true, if_none_match: true, on_etag: true };
/// A write of one user answered with what it wrote (and its ETag).
const WRITE: Accepts = Accepts { idempotency_key: true, if_match: true, if_none_match: false, on_etag: true };
/// A write of one user answered with a 204.
const REMOVE: Accepts = Accepts { idempotency_key: true, if_match: true, if_none_match: false, on_etag: false };
const BULK: Accepts = Accepts { idempotency_key: true, if_match: false, if_none_match: false, on_etag: false };
/// A merge: a write of two users, answered with the primary and its ETag;
/// no condition applies (contract §11).
const MERGE: Accepts = Accepts { idempotency_key: true, if_match: false, if_none_match: false, on_etag: true };
/// Only `signal` (and the method's own options).
const PLAIN: Accepts = Accepts { idempotency_key: false, if_match: false, if_none_match: false, on_etag: false };

/// A client of the users API (`PUT`/`GET`/`DELETE /v1/users/{userId}`, a
/// user's `channel_data/{channelId}`, `preferences` and
/// `preferences/{setId}`, `changes` and `merge`, `GET /v1/users`, and
/// `POST /v1/users/bulk/identify`, `/delete` and `/preferences`). Its
/// TypeScript declaration is in `types.d.ts` (optional call options).
#[wasm_bindgen(skip_typescript)]
pub struct IdentifyClient {
    config: Rc<Config>,
}

#[wasm_bindgen]
impl IdentifyClient {
    /// `new IdentifyClient({ apiKey, baseUrl?, maxRetries?, timeoutMs?, dangerouslyAllowBrowser? })`,
    /// or `new IdentifyClient({ publicKey, userToken, baseUrl?, maxRetries?, timeoutMs? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "IdentifyClientOptions")] options: JsValue,
    ) -> Result<IdentifyClient, JsValue> {
        Ok(IdentifyClient { config: Rc::new(Config::from_js(&options)?) })
    }

    /// Identifies a user: validates `body` locally (a `ValidationError`, and
    /// nothing sent, when it is refused), then `PUT`s it. Resolves to the
    /// user as the server answers it.
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn identify(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "IdentifyBody")] body: JsValue,
        #[wasm_bindgen(unchecked_param_type = "IdentifyOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, IDENTIFY, Resolves::Answer, move || {
            let id = user_id(&user_id_value)?;
            let text = body_json(&body)?;
            parse_request(&id, text.as_bytes()).map_err(validation_error)?;
            Ok(ApiRequest::with_body(Method::PUT, vec![id], text))
        })
    }

    /// The user with this id; an `ApiError` with status 404 when there is
    /// none; `null` when `ifNoneMatch` names its current ETag (a 304).
    #[wasm_bindgen(unchecked_return_type = "Promise<User | null>")]
    pub fn get(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ReadOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, READ, Resolves::Answer, move || {
            Ok(ApiRequest::bodyless(Method::GET, vec![checked_user_id(&user_id_value)?]))
        })
    }

    /// The user and its ETag, `{ user, etag, notModified: false }`; or,
    /// when `ifNoneMatch` names the current ETag (a 304), `{ user: null,
    /// etag, notModified: true }`.
    #[wasm_bindgen(js_name = getWithETag, unchecked_return_type = "Promise<UserWithETag>")]
    pub fn get_with_etag(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ConditionalReadOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let accepts = Accepts { on_etag: false, ..READ };
        self.send_checked(options, accepts, Resolves::UserWithETag, move || {
            Ok(ApiRequest::bodyless(Method::GET, vec![checked_user_id(&user_id_value)?]))
        })
    }

    /// Deletes the user with this id; resolves also when there was none.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ConditionalWriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, REMOVE, Resolves::Nothing, move || {
            Ok(ApiRequest::bodyless(Method::DELETE, vec![checked_user_id(&user_id_value)?]))
        })
    }

    /// The data of one channel of the user; an `ApiError` with status 404
    /// when there is none; `null` for a 304. The ids are checked locally first.
    #[wasm_bindgen(js_name = getChannelData, unchecked_return_type = "Promise<ChannelData | null>")]
    pub fn get_channel_data(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ReadOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, READ, Resolves::Answer, move || {
            let (id, channel) = (user_id(&user_id_value)?, string_arg(&channel_id_value, "channelId")?);
            checked_ids(&id, [check_channel_id(&channel).err()])?;
            Ok(ApiRequest::bodyless(Method::GET, vec![id, "channel_data".into(), channel]))
        })
    }

    /// Sets one channel's data (replacing what it had): validates
    /// `{"data": data}` locally as the Worker does, then `PUT`s it.
    #[wasm_bindgen(js_name = setChannelData, unchecked_return_type = "Promise<ChannelData>")]
    pub fn set_channel_data(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "{ [key: string]: JsonValue }")] data: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserWriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, WRITE, Resolves::Answer, move || {
            let (id, channel) = (user_id(&user_id_value)?, string_arg(&channel_id_value, "channelId")?);
            let text = format!(r#"{{"data":{}}}"#, json_of(&data, "data")?);
            checked_by_core(channel_data_body(&id, &channel, text.as_bytes()), None)?;
            Ok(ApiRequest::with_body(Method::PUT, vec![id, "channel_data".into(), channel], text))
        })
    }

    /// Removes one channel's data; resolves also when there was none.
    #[wasm_bindgen(js_name = unsetChannelData, unchecked_return_type = "Promise<void>")]
    pub fn unset_channel_data(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ConditionalWriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, REMOVE, Resolves::Nothing, move || {
            let (id, channel) = (user_id(&user_id_value)?, string_arg(&channel_id_value, "channelId")?);
            checked_by_core(unset_channel_data_body(&id, &channel), None)?;
            Ok(ApiRequest::bodyless(Method::DELETE, vec![id, "channel_data".into(), channel]))
        })
    }

    /// One preference set of the user (`setId` `"default"` when
    /// `undefined`); an `ApiError` with status 404 when there is no such
    /// user; `null` for a 304.
    #[wasm_bindgen(js_name = getPreferences, unchecked_return_type = "Promise<PreferenceSet | null>")]
    pub fn get_preferences(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = setId, unchecked_param_type = "string | undefined")] set_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ReadOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, READ, Resolves::Answer, move || {
            let id = user_id(&user_id_value)?;
            let set =
                if set_id_value.is_undefined() { "default".to_owned() } else { string_arg(&set_id_value, "setId")? };
            checked_ids(&id, [check_set_id(&set).err(), dot_segment_problem("id", SET_ID, &set)])?;
            Ok(ApiRequest::bodyless(Method::GET, vec![id, "preferences".into(), set]))
        })
    }

    /// Writes one preference set as given: it replaces the stored set
    /// unless it says `"__persistence_strategy__": "merge"`. Validated
    /// locally as the Worker does, then `PUT`.
    #[wasm_bindgen(js_name = setPreferences, unchecked_return_type = "Promise<PreferenceSet>")]
    pub fn set_preferences(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = setId, unchecked_param_type = "string")] set_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "PreferenceSetRequest")] set: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserWriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, WRITE, Resolves::Answer, move || {
            let (id, set_id) = (user_id(&user_id_value)?, string_arg(&set_id_value, "setId")?);
            let text = json_of(&set, "set")?;
            let dot = dot_segment_problem("id", SET_ID, &set_id);
            checked_by_core(preference_set_body(&id, &set_id, text.as_bytes()), dot)?;
            Ok(ApiRequest::with_body(Method::PUT, vec![id, "preferences".into(), set_id], text))
        })
    }

    /// Bulk identify (contract §5b): every user checked locally as the
    /// Worker checks the request (problems under `users.N`, nothing sent),
    /// then `POST /v1/users/bulk/identify`; resolves to the queued
    /// `BulkOperation`.
    #[wasm_bindgen(js_name = bulkIdentify, unchecked_return_type = "Promise<BulkOperation>")]
    pub fn bulk_identify(
        &self,
        #[wasm_bindgen(unchecked_param_type = "BulkIdentifyUser[]")] users: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, BULK, Resolves::Answer, move || {
            let request = js_sys::Object::new();
            js_sys::Reflect::set(&request, &"users".into(), &users)?;
            let text = json_of(&request, "users")?;
            checked_by_core(bulk_identify_users(text.as_bytes()), None)?;
            Ok(ApiRequest::with_body(Method::POST, vec!["bulk".into(), "identify".into()], text))
        })
    }

    /// Adds a push token to one channel's `data.tokens` (contract §9c):
    /// checked locally first as the Worker checks it (problems at
    /// `channel_id`, `token`, `user_id`, nothing sent), then `PUT .../tokens/{token}`,
    /// the token one percent-encoded path segment. Resolves to the channel's data.
    #[wasm_bindgen(js_name = addPushToken, unchecked_return_type = "Promise<ChannelData>")]
    pub fn add_push_token(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "UserWriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, WRITE, Resolves::Answer, move || {
            Ok(ApiRequest::bodyless(Method::PUT, push_token_path(&user_id_value, &channel_id_value, &token)?))
        })
    }

    /// Removes a push token from one channel's `data.tokens` (contract
    /// §9c), checked locally as `addPushToken` is; resolves also when the
    /// token was not there.
    #[wasm_bindgen(js_name = removePushToken, unchecked_return_type = "Promise<void>")]
    pub fn remove_push_token(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] token: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ConditionalWriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, REMOVE, Resolves::Nothing, move || {
            Ok(ApiRequest::bodyless(Method::DELETE, push_token_path(&user_id_value, &channel_id_value, &token)?))
        })
    }

    /// One page of the user's change history, newest first (contract §9d):
    /// `{ entries, page_info }`; `pageSize` (1 to 50) checked locally by the
    /// core, `after` a cursor from a page's `page_info.after`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ChangesPage>")]
    pub fn changes(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChangesOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let page = options.clone().map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        self.send_checked(options, PLAIN, Resolves::Answer, move || {
            page::changes_request(user_id(&user_id_value)?, &page)
        })
    }

    /// Every entry of the user's change history, newest first: an async
    /// iterator that asks `changes` page after page (`pageSize` per page).
    #[wasm_bindgen(js_name = allChanges, unchecked_return_type = "AsyncIterableIterator<UserChange>")]
    pub fn all_changes(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ChangesOptions | undefined")] options: JsValue,
    ) -> JsValue {
        // The generator's own handle on this client's settings.
        let client = IdentifyClient { config: Rc::clone(&self.config) };
        change_entries(client.into(), &user_id_value, &options)
    }

    /// Every preference set of the user (contract §5a), in the order the
    /// user holds them, `[]` for none; an `ApiError` with status 404 when
    /// there is no such user; `null` for a 304.
    #[wasm_bindgen(js_name = listPreferences, unchecked_return_type = "Promise<PreferenceSet[] | null>")]
    pub fn list_preferences(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "ReadOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, READ, Resolves::Answer, move || {
            Ok(ApiRequest::bodyless(Method::GET, vec![checked_user_id(&user_id_value)?, "preferences".into()]))
        })
    }

    /// Merges the user `fromUserId` into `userId` and deletes it (contract
    /// §11): `{"from_user_id": fromUserId}` checked locally by the core as
    /// the Worker checks it (problems at `user_id` and `from_user_id`,
    /// nothing sent), then `POST .../merge`. Resolves to the merged user.
    #[wasm_bindgen(js_name = merge, unchecked_return_type = "Promise<User>")]
    pub fn merge_user(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = fromUserId, unchecked_param_type = "string")] from_user_id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "MergeOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, MERGE, Resolves::Answer, move || {
            let id = user_id(&user_id_value)?;
            let request = js_sys::Object::new();
            js_sys::Reflect::set(&request, &"from_user_id".into(), &string_arg(&from_user_id, "fromUserId")?.into())?;
            let text = json_of(&request, "fromUserId")?;
            checked_by_core(merge_from_user_id(&id, text.as_bytes()), None)?;
            Ok(ApiRequest::with_body(Method::POST, vec![id, "merge".into()], text))
        })
    }

    /// One page of the environment's users, by id (contract §10): `{
    /// entries, page_info }`. The options (`pageSize`, `after`, `before`,
    /// `include`, `email`) are checked locally by the core's check of the
    /// list's query (nothing sent when it refuses), then `GET /v1/users`.
    #[wasm_bindgen(js_name = listUsers, unchecked_return_type = "Promise<UsersPage>")]
    pub fn list_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ListUsersOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        let query = options.clone().map(JsValue::from).unwrap_or(JsValue::UNDEFINED);
        self.send_checked(options, PLAIN, Resolves::Answer, move || page::users_list_request(&query))
    }

    /// Every user of the environment, by id: an async iterator that asks
    /// `listUsers` page after page, following `page_info.after`.
    #[wasm_bindgen(js_name = allUsers, unchecked_return_type = "AsyncIterableIterator<ListedUser>")]
    pub fn all_users(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ListUsersOptions | undefined")] options: JsValue,
    ) -> JsValue {
        let client = IdentifyClient { config: Rc::clone(&self.config) };
        user_entries(client.into(), &options)
    }

    /// Bulk delete (contract §5c): the ids checked locally as the Worker
    /// checks the request (problems at `user_ids` or `user_ids.N`, nothing
    /// sent), then `POST /v1/users/bulk/delete`; resolves to the queued
    /// `BulkOperation`.
    #[wasm_bindgen(js_name = bulkDelete, unchecked_return_type = "Promise<BulkOperation>")]
    pub fn bulk_delete(
        &self,
        #[wasm_bindgen(js_name = userIds, unchecked_param_type = "string[]")] user_ids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, BULK, Resolves::Answer, move || {
            let request = js_sys::Object::new();
            js_sys::Reflect::set(&request, &"user_ids".into(), &user_ids)?;
            let text = json_of(&request, "userIds")?;
            checked_by_core(bulk_delete_user_ids(text.as_bytes()), None)?;
            Ok(ApiRequest::with_body(Method::POST, vec!["bulk".into(), "delete".into()], text))
        })
    }

    /// Bulk preferences (contract §5c): one preference set (its `id` names
    /// it, `"default"` when absent) written whole to each user, checked
    /// locally as the Worker checks the request (problems at `user_ids.N`
    /// and under `preferences`, nothing sent), then `POST
    /// /v1/users/bulk/preferences`; resolves to the queued `BulkOperation`.
    #[wasm_bindgen(js_name = bulkSetPreferences, unchecked_return_type = "Promise<BulkOperation>")]
    pub fn bulk_set_preferences(
        &self,
        #[wasm_bindgen(js_name = userIds, unchecked_param_type = "string[]")] user_ids: JsValue,
        #[wasm_bindgen(unchecked_param_type = "BulkPreferenceSet")] set: JsValue,
        #[wasm_bindgen(unchecked_param_type = "WriteOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, BULK, Resolves::Answer, move || {
            let request = js_sys::Object::new();
            js_sys::Reflect::set(&request, &"user_ids".into(), &user_ids)?;
            js_sys::Reflect::set(&request, &"preferences".into(), &set)?;
            let text = json_of(&request, "set")?;
            checked_by_core(bulk_set_preferences(text.as_bytes()), None)?;
            Ok(ApiRequest::with_body(Method::POST, vec!["bulk".into(), "preferences".into()], text))
        })
    }

    /// The base URL requests go to, without a trailing `/`.
    #[wasm_bindgen(getter, js_name = baseUrl)]
    pub fn base_url(&self) -> String {
        self.config.base_url.clone()
    }
}

/// What a method's promise resolves to.
#[derive(Clone, Copy)]
enum Resolves {
    /// The answer's JSON (a user, a user's part, an operation, a page);
    /// `null` for a 304.
    Answer,
    /// `undefined` (a delete).
    Nothing,
    /// `{ user, etag, notModified }`.
    UserWithETag,
}

/// How the messages name a preference set id.
const SET_ID: &str = "a preference set id";

impl IdentifyClient {
    /// Every method's frame: the call options read (those `accepts` names)
    /// and a caller's idempotency key checked by the core, then `prepare`
    /// reads and checks the arguments (the promise rejects, nothing sent,
    /// when either refuses), then the request is sent with retries, a
    /// write with its idempotency key (the caller's or a fresh one) on
    /// every attempt. `onETag` hears the answer's ETag before the call resolves.
    fn send_checked(
        &self,
        options: Option<js_sys::Object>,
        accepts: Accepts,
        resolves: Resolves,
        prepare: impl FnOnce() -> Result<ApiRequest, JsValue> + 'static,
    ) -> js_sys::Promise {
        let config = Rc::clone(&self.config);
        future_to_promise(async move {
            let options = CallOptions::from_js(&options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED), accepts)?;
            if let Some(key) = &options.idempotency_key {
                checked_idempotency_key(key)?;
            }
            let request = prepare()?;
            let key = match options.idempotency_key {
                Some(key) => Some(key),
                None if accepts.idempotency_key => Some(random_key()?),
                None => None,
            };
            let request = request
                .header(IDEMPOTENCY_KEY, key)
                .header(IF_MATCH, options.if_match)
                .header(IF_NONE_MATCH, options.if_none_match);
            let answer = send_with_retries(&config, &request, options.signal.as_ref()).await?;
            if let Some(listener) = &options.on_etag {
                listener.call1(&JsValue::UNDEFINED, &etag_value(&answer))?;
            }
            match resolves {
                Resolves::Answer if answer.not_modified() => Ok(JsValue::NULL),
                Resolves::Answer => parse_answer(&answer.body),
                Resolves::Nothing => Ok(JsValue::UNDEFINED),
                Resolves::UserWithETag => user_with_etag(&answer),
            }
        })
    }
}

/// The answer's ETag as JS sees it: a string, or `null`.
fn etag_value(answer: &Success) -> JsValue {
    answer.etag.as_deref().map_or(JsValue::NULL, JsValue::from_str)
}

/// `getWithETag`'s answer: `{ user, etag, notModified }`, `user` `null` for a 304.
fn user_with_etag(answer: &Success) -> Result<JsValue, JsValue> {
    let user = if answer.not_modified() { JsValue::NULL } else { parse_answer(&answer.body)? };
    let tagged = js_sys::Object::new();
    js_sys::Reflect::set(&tagged, &"user".into(), &user)?;
    js_sys::Reflect::set(&tagged, &"etag".into(), &etag_value(answer))?;
    js_sys::Reflect::set(&tagged, &"notModified".into(), &answer.not_modified().into())?;
    Ok(tagged.into())
}

/// A push token's path, its arguments checked as the Worker checks them:
/// the core's problems of adding the token (for a removal too, as the
/// Worker does), and a token that no URL can carry.
fn push_token_path(
    user_id_value: &JsValue,
    channel_id_value: &JsValue,
    token: &JsValue,
) -> Result<Vec<String>, JsValue> {
    let (id, channel) = (user_id(user_id_value)?, string_arg(channel_id_value, "channelId")?);
    let token = string_arg(token, "token")?;
    let core = push_token_body(&id, &channel, token.as_bytes(), None, TokenChange::Add);
    checked_by_core(core, dot_segment_problem("token", "a push token", &token))?;
    Ok(vec![id, "channel_data".into(), channel, "tokens".into(), token])
}
