//! The Durable Object of one user: the one writer of that user's record.
//!
//! The Worker sends every identify, GET and DELETE of a user to the object
//! named `{environment}/{user_id}` (unambiguous: an environment name has no
//! `/`). The object keeps the authoritative record in its own SQLite storage
//! ([`super::sql`]) and applies the core's [`parse_request`] and [`merge`]
//! to it with no `await` between reading and writing, so concurrent
//! identifies are applied one after another, each on top of the last.
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

use super::error::ApiError;
use super::flush::plan_flush;
use super::kv::Kv;
use super::message::{Answer, Options, Target, REQUEST_ID_HEADER};
use super::response;
use super::sql::{Tables, UserState};
use crate::{channel_data_answer, merge, parse_request, preference_set_answer, StoredUser, Timestamp};
use worker::{console_error, durable_object, DurableObject, Env, Method, Request, Response, State};

/// One user's Durable Object.
#[durable_object(alarm)]
pub struct UserObject {
    pub(super) state: State,
    pub(super) env: Env,
    pub(super) tables: Tables,
}

impl DurableObject for UserObject {
    fn new(state: State, env: Env) -> Self {
        let tables = Tables::new(&state.storage());
        UserObject { state, env, tables }
    }

    /// An internal request from the Worker: PUT (identify, the body as the
    /// Worker read and validated it), GET or DELETE. Answers 200 with the
    /// user, 204 (DELETE), or the API's error, as the Worker answers it: 404
    /// (GET of an unknown user), 422 (an identify that would make the user
    /// pass a limit, nothing written), 500 (the reason in the log only).
    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let request_id = req.headers().get(REQUEST_ID_HEADER).ok().flatten().unwrap_or_default();
        match self.serve(&mut req).await {
            Ok(response) => Ok(response),
            Err(error) => error.into_response(&request_id),
        }
    }

    /// The flush: writes the latest change through to KV.
    async fn alarm(&self) -> worker::Result<Response> {
        match self.flush().await {
            Ok(()) => Response::empty(),
            Err(error) => {
                // The runtime retries a failed alarm.
                console_error!("user object: flush to KV: {error}");
                Err(worker::Error::RustError(error.to_string()))
            }
        }
    }
}

impl UserObject {
    async fn serve(&self, req: &mut Request) -> Result<Response, ApiError> {
        let target = Target::from_headers(req.headers())?;
        let options = Options::from_headers(req.headers())?;
        match req.method() {
            Method::Put => {
                let body = req.bytes().await?;
                self.identify(&target, &body, &options).await
            }
            Method::Get => self.get(&target, &options.answer).await,
            Method::Delete => self.delete(&target).await,
            method => Err(ApiError::internal(format!("user object: no operation for method {method:?}"))),
        }
    }

    /// Identify: read, merge and write as one step, then schedule the flush.
    /// (The routes of one channel or one preference set are identifies too,
    /// answered with that part.)
    async fn identify(&self, target: &Target, body: &[u8], options: &Options) -> Result<Response, ApiError> {
        let request = parse_request(&target.user_id, body).map_err(|error| {
            ApiError::internal(format!("user object: the core refused a body the Worker accepted: {error}"))
        })?;
        let mut user = self.current_state(target).await?;
        if options.if_exists && !user.holds_record() {
            return Err(ApiError::user_missing(&target.user_id));
        }
        // From the state's last read to the commit: no await, so no other
        // event of this object runs in between.
        let stored = if user.holds_record() { Some(self.required_record_json()?) } else { None };
        let clock = now_ms();
        // `updated_at` strictly increases, also when the clock has not moved.
        let now = clock.max(user.last_write_ms + 1);
        // A 422 (the merged user would pass a limit) writes nothing.
        let record = merge(stored.as_deref().map(str::as_bytes), &request, Timestamp::from_millis(now))?;
        user.begin_change();
        user.set_holds_record(true);
        user.last_write_ms = now;
        let alarm = plan_flush(&mut user, clock);
        let answer = answer_of(&record, &options.answer);
        self.tables.commit(Some(record.into_json()), &user)?;
        self.arm(alarm).await;
        answer
    }

    /// GET: the record the object holds (adopted from KV if it held none),
    /// or the part of it asked for.
    async fn get(&self, target: &Target, answer: &Answer) -> Result<Response, ApiError> {
        if self.current_state(target).await?.holds_record() {
            answer_of(&self.required_record()?, answer)
        } else {
            Err(ApiError::user_missing(&target.user_id))
        }
    }

    /// DELETE: a tombstone in the object, and the key's removal from KV by
    /// the same flush as a write.
    async fn delete(&self, target: &Target) -> Result<Response, ApiError> {
        let mut user = self.state_of(target)?;
        user.begin_change();
        user.set_holds_record(false);
        let alarm = plan_flush(&mut user, now_ms());
        self.tables.commit(None, &user)?;
        self.arm(alarm).await;
        Ok(response::empty(204)?)
    }

    /// The state of `target`'s user: what the object holds, or a fresh one.
    fn state_of(&self, target: &Target) -> Result<UserState, ApiError> {
        match self.tables.read()? {
            Some(user) => check_target(&user, target).map(|()| user),
            None => Ok(UserState::new(&target.environment, &target.user_id)),
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
        adopted.await?
    }

    /// The stored record of a user the object holds.
    fn required_record(&self) -> Result<StoredUser, ApiError> {
        Ok(StoredUser::from_json(self.required_record_json()?.as_bytes())?)
    }

    /// The stored record's JSON, as the core reads it in a merge.
    pub(super) fn required_record_json(&self) -> Result<String, ApiError> {
        self.tables
            .read_record_json()?
            .ok_or_else(|| ApiError::internal("the record of a user the object holds is missing"))
    }
}

/// Adopts the KV record of a user the object has never held, if KV has one.
async fn adopt(tables: &Tables, env: &Env, target: &Target) -> Result<(), ApiError> {
    if tables.read()?.is_some() {
        return Ok(());
    }
    let store = Kv::new(env, &target.environment)?;
    let Some(record) = store.get(&target.user_id).await? else {
        return Ok(());
    };
    let mut user = UserState::new(&target.environment, &target.user_id);
    user.set_holds_record(true);
    user.version = 1;
    // KV holds this version already.
    user.flushed_version = 1;
    let written = js_sys::Date::parse(record.updated_at());
    user.last_write_ms = if written.is_finite() { written as i64 } else { 0 };
    Ok(tables.commit(Some(record.into_json()), &user)?)
}

/// The 200 of `answer` from `record`, or a 404 for a channel it has no data for.
fn answer_of(record: &StoredUser, answer: &Answer) -> Result<Response, ApiError> {
    let json = match answer {
        Answer::User => record.user_json().to_owned(),
        Answer::ChannelData(channel_id) => {
            channel_data_answer(record, channel_id).ok_or_else(|| ApiError::channel_data_missing(channel_id))?
        }
        Answer::PreferenceSet(set_id) => preference_set_answer(record, set_id),
    };
    Ok(response::json(200, json.into_bytes())?)
}

/// An object holds one user: a request for another is a bug, never served.
fn check_target(user: &UserState, target: &Target) -> Result<(), ApiError> {
    if user.environment == target.environment && user.user_id == target.user_id {
        Ok(())
    } else {
        Err(ApiError::internal("a request for another user reached this user's object"))
    }
}

pub(super) fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}
