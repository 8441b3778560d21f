//! `IdentifyClient`: one exported method per route of the users API (a
//! user, one channel's data, one preference set, and bulk identify). Each
//! checks its arguments locally (`checks.rs`), then sends with retries
//! (`send.rs`) and resolves to the answer (`answer.rs`).

mod answer;
mod checks;
mod fetch;
mod options;
mod retry;
mod send;
mod token;
mod url;

use crate::js::convert::{body_json, json_of, string_arg, user_id};
use crate::js::errors::validation_error;
use crate::{
    bulk_identify_users, channel_data_body, check_channel_id, check_set_id, parse_request, preference_set_body,
    unset_channel_data_body,
};
use answer::parse_answer;
use checks::{checked_by_core, checked_ids, checked_user_id, dot_segment_problem};
use gloo_net::http::Method;
use options::{signal_option, Config};
use send::{send_with_retries, ApiRequest};
use std::rc::Rc;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;
use web_sys::AbortSignal;

/// A client of the users API (`PUT`/`GET`/`DELETE /v1/users/{userId}`, a
/// user's `channel_data/{channelId}` and `preferences/{setId}`, and `POST
/// /v1/users/bulk/identify`). Its TypeScript declaration is in
/// `types.d.ts` (optional call options).
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
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Answer, move || {
            let id = user_id(&user_id_value)?;
            let text = body_json(&body)?;
            parse_request(&id, text.as_bytes()).map_err(validation_error)?;
            Ok(ApiRequest::with_body(Method::PUT, vec![id], text))
        })
    }

    /// The user with this id; an `ApiError` with status 404 when there is none.
    #[wasm_bindgen(unchecked_return_type = "Promise<User>")]
    pub fn get(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Answer, move || {
            Ok(ApiRequest::bodyless(Method::GET, vec![checked_user_id(&user_id_value)?]))
        })
    }

    /// Deletes the user with this id; resolves also when there was none.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn delete(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Nothing, move || {
            Ok(ApiRequest::bodyless(Method::DELETE, vec![checked_user_id(&user_id_value)?]))
        })
    }

    /// The data of one channel of the user; an `ApiError` with status 404
    /// when there is none. The ids are checked locally first.
    #[wasm_bindgen(js_name = getChannelData, unchecked_return_type = "Promise<ChannelData>")]
    pub fn get_channel_data(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = channelId, unchecked_param_type = "string")] channel_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Answer, move || {
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
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Answer, move || {
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
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Nothing, move || {
            let (id, channel) = (user_id(&user_id_value)?, string_arg(&channel_id_value, "channelId")?);
            checked_by_core(unset_channel_data_body(&id, &channel), None)?;
            Ok(ApiRequest::bodyless(Method::DELETE, vec![id, "channel_data".into(), channel]))
        })
    }

    /// One preference set of the user (`setId` `"default"` when
    /// `undefined`); an `ApiError` with status 404 when there is no such user.
    #[wasm_bindgen(js_name = getPreferences, unchecked_return_type = "Promise<PreferenceSet>")]
    pub fn get_preferences(
        &self,
        #[wasm_bindgen(js_name = userId, unchecked_param_type = "string")] user_id_value: JsValue,
        #[wasm_bindgen(js_name = setId, unchecked_param_type = "string | undefined")] set_id_value: JsValue,
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Answer, move || {
            let id = user_id(&user_id_value)?;
            let set =
                if set_id_value.is_undefined() { "default".to_owned() } else { string_arg(&set_id_value, "setId")? };
            checked_ids(&id, [check_set_id(&set).err(), dot_segment_problem(&set)])?;
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
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Answer, move || {
            let (id, set_id) = (user_id(&user_id_value)?, string_arg(&set_id_value, "setId")?);
            let text = json_of(&set, "set")?;
            checked_by_core(preference_set_body(&id, &set_id, text.as_bytes()), dot_segment_problem(&set_id))?;
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
        #[wasm_bindgen(unchecked_param_type = "RequestOptions")] options: Option<js_sys::Object>,
    ) -> js_sys::Promise {
        self.send_checked(options, Resolves::Answer, move || {
            let request = js_sys::Object::new();
            js_sys::Reflect::set(&request, &"users".into(), &users)?;
            let text = json_of(&request, "users")?;
            checked_by_core(bulk_identify_users(text.as_bytes()).map(|_| Vec::new()), None)?;
            Ok(ApiRequest::with_body(Method::POST, vec!["bulk".into(), "identify".into()], text))
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
    /// The answer's JSON (a user, a user's part, an operation).
    Answer,
    /// `undefined` (a delete).
    Nothing,
}

impl IdentifyClient {
    /// Every method's frame: the call options read, then `prepare` reads
    /// and checks the arguments (the promise rejects, nothing sent, when it
    /// refuses them), then the request is sent with retries.
    fn send_checked(
        &self,
        options: Option<js_sys::Object>,
        resolves: Resolves,
        prepare: impl FnOnce() -> Result<ApiRequest, JsValue> + 'static,
    ) -> js_sys::Promise {
        let config = Rc::clone(&self.config);
        future_to_promise(async move {
            let signal = signal_of(options)?;
            let request = prepare()?;
            let answer = send_with_retries(&config, &request, signal.as_ref()).await?;
            match resolves {
                Resolves::Answer => parse_answer(&answer),
                Resolves::Nothing => Ok(JsValue::UNDEFINED),
            }
        })
    }
}

/// The call options' signal.
fn signal_of(options: Option<js_sys::Object>) -> Result<Option<AbortSignal>, JsValue> {
    signal_option(&options.map(JsValue::from).unwrap_or(JsValue::UNDEFINED))
}
