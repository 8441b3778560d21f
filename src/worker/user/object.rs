//! The Durable Object of one user: the one writer of that user's record.
//!
//! The Worker sends every request about a user to the object named
//! `{environment}/{user_id}` (unambiguous: an environment name has no `/`).
//! The object keeps the authoritative record in its own SQLite storage
//! ([`super::sql`]) and applies the core's [`parse_request`] and [`merge`]
//! to it with no `await` between reading and writing, so concurrent writes
//! are applied one after another, each on top of the last.
//!
//! Workers KV stays the store other readers use: after a change the object
//! writes the record through to KV by an alarm ([`super::flush`]), at most
//! once a second per key.
//!
//! A user the object has never held (written before the objects existed,
//! or into KV directly) is read from KV and adopted, once, while the object
//! accepts no other event. After a DELETE the object keeps a tombstone, so
//! KV is not consulted for that user again while KV's copies may still hold
//! the user; the tombstone is dropped a while after KV's delete
//! ([`super::flush`]).
//!
//! Every write is decided here, in one step: an answer kept for its
//! `Idempotency-Key` is given again; a bulk row decided before gets its
//! decision again; `If-Match` and `If-None-Match` are held against the
//! user's ETag ([`super::conditions`]); then the merge, and one transaction
//! stores the record, the state, the bulk row's decision, the answer kept
//! for the key and the change history's entry (contract §5b, §9).

use super::conditions;
use super::flush::{plan_flush, Flusher};
use super::history::Cursor;
use super::kv::Kv;
use super::message::{Answer, Message, Options, Target};
use super::sql::{BulkRowDecision, Commit, History, Tables, UserState};
use crate::worker::clock::now_ms;
use crate::worker::error::ApiError;
use crate::worker::kept_answers::KeptAnswer;
use crate::worker::object_call::ObjectAnswer;
use crate::worker::random::random_hex16;
use crate::worker::response::Reply;
use crate::{
    changed_names, channel_data_answer, merge, parse_request, preference_set_answer, preference_sets_answer,
    push_token_body, StoredUser, Timestamp, TokenChange,
};
use std::borrow::Cow;
use std::cell::Cell;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;
use worker::{console_error, durable_object, DurableObject, Env, Method, Request, Response, State};

mod merge_write;

/// One user's Durable Object.
#[durable_object(alarm)]
pub struct UserObject {
    state: State,
    env: Env,
    tables: Tables,
    /// Whether this instance has made sure the alarm its state owes is set
    /// (reset when setting one fails, so the next request tries again).
    alarm_checked: Cell<bool>,
}

impl DurableObject for UserObject {
    fn new(state: State, env: Env) -> Self {
        let tables = Tables::new(&state.storage());
        UserObject { state, env, tables, alarm_checked: Cell::new(false) }
    }

    /// Not how the Worker calls the object (it calls [`UserObject::handle`]
    /// by RPC): a 500, the reason logged.
    async fn fetch(&self, _req: Request) -> worker::Result<Response> {
        ApiError::internal("user object: a fetch; the Worker calls it by RPC (`handle`)").into_response("")
    }

    /// The flush: writes the latest change through to KV.
    async fn alarm(&self) -> worker::Result<Response> {
        self.flusher().run().await?;
        Response::empty()
    }
}

#[wasm_bindgen]
impl UserObject {
    /// The Worker's call ([`super::client`]), by RPC: `method` PUT (a write:
    /// the identify body as the Worker read and validated it, or a push
    /// token's change), POST (a merge write, [`merge_write`]), GET or
    /// DELETE; `message` a [`Message`] as JSON; `body` the write's bytes.
    /// Answers as the API answers (200, 204, 304, or the API's error: 404,
    /// 412, 422, 503; 500 with the reason in the log only), as
    /// [`ObjectAnswer::to_js`]: the hop builds no runtime `Request`,
    /// `Response` or `Headers`, and the message crosses as one string.
    pub async fn handle(&self, method: String, message: String, body: Option<Vec<u8>>) -> JsValue {
        self.answer(Method::from(method), &message, body.unwrap_or_default()).await.to_js()
    }
}

impl UserObject {
    /// The answer to a call: the message read, the flush's alarm made sure
    /// of once per instance, then the operation.
    async fn answer(&self, method: Method, message: &str, body: Vec<u8>) -> ObjectAnswer {
        let message = match Message::decode(message) {
            Ok(message) => message,
            Err(error) => {
                return ObjectAnswer::given(ApiError::internal(format!("user object: {error}")).into_reply(""))
            }
        };
        let request_id = &message.request_id;
        if !self.alarm_checked.get() {
            match self.flusher().ensure_planned().await {
                Ok(()) => self.alarm_checked.set(true),
                Err(error) => console_error!("request {request_id}: user object: the flush alarm: {error}"),
            }
        }
        match self.serve(method, body, &message).await {
            Ok(answer) => answer,
            Err(error) => ObjectAnswer::given(error.into_reply(request_id)),
        }
    }

    async fn serve(&self, method: Method, body: Vec<u8>, message: &Message) -> Result<ObjectAnswer, ApiError> {
        let Message { target, request_id, options } = message;
        match (method, &options.bulk_row) {
            (Method::Put, _) => self.write(target, &body, options, request_id).await,
            (Method::Get, Some(bulk_row)) => {
                let decision = self.tables.bulk_row_decision(bulk_row)?;
                Ok(decision.map_or_else(|| ObjectAnswer::plain(404, Vec::new()), replay_decision))
            }
            (Method::Post, None) => self.merge_in(target, &body, options, request_id).await,
            (Method::Get, None) if options.answer == Answer::Kept => self.kept_answer(options),
            (Method::Get, None) => self.read(target, options).await,
            (Method::Delete, _) => self.delete(target, options, request_id).await,
            (method, _) => Err(ApiError::internal(format!("user object: no operation for method {method:?}"))),
        }
    }

    /// A write: identify (the routes of one channel or one preference set
    /// are identifies too, answered with that part), or a push token's
    /// change. Read, decide and store as one step, then schedule the flush.
    async fn write(
        &self,
        target: &Target,
        body: &[u8],
        options: &Options,
        request_id: &str,
    ) -> Result<ObjectAnswer, ApiError> {
        let mut user = self.current_state(target).await?;
        // From here to the commit: no await, so no other event of this
        // object runs in between.
        let clock = now_ms();
        if let Some(answer) = self.answer_again(options, clock)? {
            return answer;
        }
        let bulk_row = options.bulk_row.as_deref();
        if let Some(decision) = bulk_row.map(|row| self.tables.bulk_row_decision(row)).transpose()?.flatten() {
            return Ok(replay_decision(decision));
        }
        let etag = user.etag();
        let checked =
            conditions::check_write(options.if_match.as_deref(), options.if_none_match.as_deref(), etag.as_deref())
                .and_then(|()| match options.if_exists && !user.holds_record() {
                    true => Err(ApiError::user_missing(&target.user_id)),
                    false => Ok(()),
                });
        if let Err(refusal) = checked {
            return self.refuse(refusal, options, request_id, clock);
        }
        let stored = if user.holds_record() { Some(self.required_record_json()?) } else { None };
        let body = match &options.push_token {
            None => Cow::Borrowed(body),
            Some(push) => {
                let stored = stored.as_deref().map(str::as_bytes);
                match push_token_body(&target.user_id, &push.channel_id, push.token.as_bytes(), stored, push.change)? {
                    Some(body) => Cow::Owned(body),
                    // Nothing to change: the token is there (or gone) already.
                    None => {
                        let reply = match push.change {
                            TokenChange::Add => self.reply_of(&self.required_record()?, &options.answer, etag)?,
                            TokenChange::Remove => Reply { status: 204, body: Vec::new(), etag },
                        };
                        return self.answer_and_keep(reply, options, clock);
                    }
                }
            }
        };
        let request = parse_request(&target.user_id, &body).map_err(|error| {
            ApiError::internal(format!("user object: the core refused a body the Worker accepted: {error}"))
        })?;
        // `updated_at` strictly increases, also when the clock has not moved.
        let now = clock.max(user.last_write_ms + 1);
        // A 422 (the merged user would pass a limit) writes nothing but a
        // bulk row's decision, or the answer kept for the key.
        let record = match merge(stored.as_deref().map(str::as_bytes), &request, Timestamp::from_millis(now)) {
            Ok(record) => record,
            Err(refusal) => {
                let refusal = ApiError::from(refusal);
                let Some(bulk_row) = bulk_row else { return self.refuse(refusal, options, request_id, clock) };
                let answer = String::from_utf8_lossy(&refusal.body(request_id)).into_owned();
                let decision = decision(bulk_row, 422, Some(answer.clone()), clock);
                self.tables.commit(Commit { decision: Some(decision), ..Commit::default() })?;
                return Ok(ObjectAnswer::plain(422, answer.into_bytes()));
            }
        };
        let before = stored.as_deref().map(|json| StoredUser::from_json(json.as_bytes())).transpose()?;
        let changed = changed_names(before.as_ref(), &record);
        user.begin_change();
        user.set_holds_record(true);
        user.last_write_ms = now;
        let alarm = plan_flush(&mut user, clock);
        let etag = user.etag();
        let reply = match bulk_row {
            Some(_) => Reply { status: 204, body: Vec::new(), etag: None },
            None => self.reply_of(&record, &options.answer, etag.clone())?,
        };
        let route = options.route.as_deref().unwrap_or("identify");
        let history = History::of_write(changed, etag, record.updated_at(), request_id, route);
        self.tables.commit(Commit {
            record: Some(Some(record.into_json())),
            state: Some(user),
            decision: bulk_row.map(|row| decision(row, 204, None, clock)),
            answer: kept(options, &reply, clock),
            history,
        })?;
        self.arm(alarm).await;
        Ok(ObjectAnswer::given(reply))
    }

    /// A read: the record the object holds (adopted from KV if it held
    /// none), the part of it asked for, or a page of its history; a 304
    /// when `If-None-Match` names its ETag.
    async fn read(&self, target: &Target, options: &Options) -> Result<ObjectAnswer, ApiError> {
        let user = self.current_state(target).await?;
        if !user.holds_record() {
            return Err(ApiError::user_missing(&target.user_id));
        }
        let etag = user.etag();
        if let Answer::Changes(page_size, after) = &options.answer {
            let after = after.as_deref().map(Cursor::parse).transpose()?;
            return Ok(ObjectAnswer::plain(200, self.tables.history_page(*page_size, after)?.into_bytes()));
        }
        if options.if_none_match.as_deref().is_some_and(|header| conditions::names(header, etag.as_deref(), true)) {
            return Ok(ObjectAnswer::given(Reply { status: 304, body: Vec::new(), etag }));
        }
        Ok(ObjectAnswer::given(self.reply_of(&self.required_record()?, &options.answer, etag)?))
    }

    /// DELETE: a tombstone in the object, the history erased, and the key's
    /// removal from KV by the same flush as a write. With `If-Match`, the
    /// user is read first (from KV if the object never held it). A bulk
    /// delete's row is decided once, as a bulk identify's is.
    async fn delete(&self, target: &Target, options: &Options, request_id: &str) -> Result<ObjectAnswer, ApiError> {
        let mut user =
            if options.if_match.is_some() { self.current_state(target).await? } else { self.state_of(target)? };
        let clock = now_ms();
        if let Some(answer) = self.answer_again(options, clock)? {
            return answer;
        }
        // A bulk delete's row decided before: decided, as it was.
        let bulk_row = options.bulk_row.as_deref();
        if let Some(decision) = bulk_row.map(|row| self.tables.bulk_row_decision(row)).transpose()?.flatten() {
            return Ok(replay_decision(decision));
        }
        if let Err(refusal) = conditions::check_write(options.if_match.as_deref(), None, user.etag().as_deref()) {
            return self.refuse(refusal, options, request_id, clock);
        }
        user.begin_change();
        user.set_holds_record(false);
        let alarm = plan_flush(&mut user, clock);
        let reply = Reply { status: 204, body: Vec::new(), etag: None };
        self.tables.commit(Commit {
            record: Some(None),
            state: Some(user),
            decision: bulk_row.map(|row| decision(row, 204, None, clock)),
            answer: kept(options, &reply, clock),
            history: History::Erase,
        })?;
        self.arm(alarm).await;
        Ok(ObjectAnswer::given(reply))
    }

    /// The answer kept for the request's `Idempotency-Key`, given again; a
    /// 422 when the key came with another request; `None` when it is new.
    fn answer_again(&self, options: &Options, clock: i64) -> Result<Option<Result<ObjectAnswer, ApiError>>, ApiError> {
        let Some(idempotency) = &options.idempotency else { return Ok(None) };
        let Some(kept) = self.tables.kept.find(&idempotency.key, clock)? else { return Ok(None) };
        if kept.fingerprint != idempotency.fingerprint {
            return Ok(Some(Err(ApiError::idempotency_key_reused())));
        }
        let reply = Reply { status: kept.status as u16, body: kept.body.into_bytes(), etag: kept.etag };
        Ok(Some(Ok(ObjectAnswer::given_again(reply))))
    }

    /// A write refused by the request itself (404, 412, 422): the refusal,
    /// kept for its `Idempotency-Key` (nothing else is written).
    fn refuse(
        &self,
        refusal: ApiError,
        options: &Options,
        request_id: &str,
        clock: i64,
    ) -> Result<ObjectAnswer, ApiError> {
        let reply = Reply { status: refusal.status(), body: refusal.body(request_id), etag: refusal.etag() };
        if let Some(answer) = kept(options, &reply, clock) {
            self.tables.commit(Commit { answer: Some(answer), ..Commit::default() })?;
        }
        Err(refusal)
    }

    /// An answer that changed nothing, kept for the request's key.
    fn answer_and_keep(&self, reply: Reply, options: &Options, clock: i64) -> Result<ObjectAnswer, ApiError> {
        if let Some(answer) = kept(options, &reply, clock) {
            self.tables.commit(Commit { answer: Some(answer), ..Commit::default() })?;
        }
        Ok(ObjectAnswer::given(reply))
    }

    /// The 200 of `answer` from `record`, with its ETag; a 404 for a channel
    /// it has no data for.
    fn reply_of(&self, record: &StoredUser, answer: &Answer, etag: Option<String>) -> Result<Reply, ApiError> {
        let json = match answer {
            Answer::User | Answer::Changes(..) => record.user_json().to_owned(),
            Answer::ChannelData(channel_id) => {
                channel_data_answer(record, channel_id).ok_or_else(|| ApiError::channel_data_missing(channel_id))?
            }
            Answer::PreferenceSet(set_id) => preference_set_answer(record, set_id),
            Answer::PreferenceSets => preference_sets_answer(record),
            Answer::Record => record.as_json().to_owned(),
            Answer::Kept => record.user_json().to_owned(),
        };
        Ok(Reply { status: 200, body: json.into_bytes(), etag })
    }

    fn flusher(&self) -> Flusher<'_> {
        Flusher { storage: self.state.storage(), env: &self.env, tables: &self.tables }
    }

    /// Sets the flush alarm `plan_flush` asked for; if it cannot be set, the
    /// next request sets it ([`Flusher::ensure_planned`]).
    async fn arm(&self, alarm: Option<i64>) {
        if !self.flusher().arm(alarm).await {
            self.alarm_checked.set(false);
        }
    }

    /// The state of `target`'s user: what the object holds, or a fresh one.
    fn state_of(&self, target: &Target) -> Result<UserState, ApiError> {
        match self.tables.read()? {
            Some(user) => check_target(&user, target).map(|()| user),
            None => Ok(UserState::new(&target.environment, &target.user_id, random_hex16())),
        }
    }

    /// The state of `target`'s user, adopted from KV first if the object
    /// has never held it. When the object holds the user this returns
    /// without awaiting anything, so a caller's read-merge-write stays one
    /// step; after an adoption the state is read again.
    async fn current_state(&self, target: &Target) -> Result<UserState, ApiError> {
        if let Some(user) = self.tables.read()? {
            check_target(&user, target)?;
            return Ok(user);
        }
        self.adopt_from_kv(target).await?;
        self.state_of(target)
    }

    /// Reads KV once for a user the object has never held and adopts what
    /// it finds. No other event reaches the object meanwhile, so no
    /// identify can land between the read and the adoption.
    async fn adopt_from_kv(&self, target: &Target) -> Result<(), ApiError> {
        let (tables, env, target) = (self.tables.clone(), self.env.clone(), target.clone());
        // Errors come back as values: an `Err` out of the gate would reset the object.
        let adopted = self.state.block_concurrency_while(async move { Ok(adopt(&tables, &env, &target).await) });
        // The user adopted is not in the users index yet: its flush writes it.
        let alarm = adopted.await??;
        self.arm(alarm).await;
        Ok(())
    }

    /// The stored record of a user the object holds.
    fn required_record(&self) -> Result<StoredUser, ApiError> {
        Ok(StoredUser::from_json(self.required_record_json()?.as_bytes())?)
    }

    /// The stored record's JSON, as the core reads it in a merge.
    fn required_record_json(&self) -> Result<String, ApiError> {
        self.tables
            .read_record_json()?
            .ok_or_else(|| ApiError::internal("the record of a user the object holds is missing"))
    }
}

/// Adopts the KV record of a user the object has never held, if KV has
/// one: the time of the flush that writes it to the users index, which KV
/// knows nothing of.
async fn adopt(tables: &Tables, env: &Env, target: &Target) -> Result<Option<i64>, ApiError> {
    if tables.read()?.is_some() {
        return Ok(None);
    }
    let store = Kv::new(env, &target.environment)?;
    let Some(record) = store.get(&target.user_id).await? else {
        return Ok(None);
    };
    let mut user = UserState::new(&target.environment, &target.user_id, random_hex16());
    user.set_holds_record(true);
    user.version = 1;
    // KV holds this version already.
    user.flushed_version = 1;
    let written = js_sys::Date::parse(record.updated_at());
    user.last_write_ms = if written.is_finite() { written as i64 } else { 0 };
    let alarm = plan_flush(&mut user, now_ms());
    tables.commit(Commit { record: Some(Some(record.into_json())), state: Some(user), ..Commit::default() })?;
    Ok(alarm)
}

/// The answer to keep for the request's `Idempotency-Key`, if it sent one.
fn kept(options: &Options, reply: &Reply, clock: i64) -> Option<KeptAnswer> {
    options.idempotency.as_ref().map(|idempotency| KeptAnswer {
        idempotency_key: idempotency.key.clone(),
        fingerprint: idempotency.fingerprint.clone(),
        status: i64::from(reply.status),
        body: String::from_utf8_lossy(&reply.body).into_owned(),
        etag: reply.etag.clone(),
        kept_ms: clock,
    })
}

/// A bulk row's decision, made at `now`.
fn decision(bulk_row: &str, status: i64, answer: Option<String>, now: i64) -> BulkRowDecision {
    BulkRowDecision { bulk_row: bulk_row.to_owned(), status, answer, decided_ms: now }
}

/// The answer to a bulk row decided before: the same as the first time.
fn replay_decision(decision: BulkRowDecision) -> ObjectAnswer {
    match (decision.status, decision.answer) {
        (422, Some(answer)) => ObjectAnswer::plain(422, answer.into_bytes()),
        _ => ObjectAnswer::plain(204, Vec::new()),
    }
}

/// An object holds one user: a request for another is a bug, never served.
fn check_target(user: &UserState, target: &Target) -> Result<(), ApiError> {
    if user.environment == target.environment && user.user_id == target.user_id {
        Ok(())
    } else {
        Err(ApiError::internal("a request for another user reached this user's object"))
    }
}
