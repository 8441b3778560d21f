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
//!
//! An identify from a bulk operation names its row: the object applies or
//! refuses each row once, remembers that decision in the same transaction
//! as the write, and answers a row delivered again with the same decision,
//! writing nothing (contract §5b).

use super::flush::{plan_flush, Flusher};
use super::kv::Kv;
use super::message::{Answer, Options, Target, REQUEST_ID_HEADER};
use super::sql::{BulkRowDecision, Tables, UserState};
use crate::worker::clock::now_ms;
use crate::worker::error::ApiError;
use crate::worker::response;
use crate::{channel_data_answer, merge, parse_request, preference_set_answer, StoredUser, Timestamp};
use std::cell::Cell;
use worker::{console_error, durable_object, DurableObject, Env, Method, Request, Response, State};

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

    /// An internal request from the Worker: PUT (identify, the body as the
    /// Worker read and validated it), GET or DELETE. Answers 200 with the
    /// user, 204 (DELETE), or the API's error, as the Worker answers it: 404
    /// (GET of an unknown user), 422 (an identify that would make the user
    /// pass a limit, nothing written), 500 (the reason in the log only).
    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let request_id = req.headers().get(REQUEST_ID_HEADER).ok().flatten().unwrap_or_default();
        if !self.alarm_checked.get() {
            match self.flusher().ensure_planned().await {
                Ok(()) => self.alarm_checked.set(true),
                Err(error) => console_error!("request {request_id}: user object: the flush alarm: {error}"),
            }
        }
        match self.serve(&mut req, &request_id).await {
            Ok(response) => Ok(response),
            Err(error) => error.into_response(&request_id),
        }
    }

    /// The flush: writes the latest change through to KV.
    async fn alarm(&self) -> worker::Result<Response> {
        self.flusher().run().await?;
        Response::empty()
    }
}

impl UserObject {
    async fn serve(&self, req: &mut Request, request_id: &str) -> Result<Response, ApiError> {
        let target = Target::from_headers(req.headers())?;
        let options = Options::from_headers(req.headers())?;
        match (req.method(), &options.bulk_row) {
            (Method::Put, _) => {
                let body = req.bytes().await?;
                self.identify(&target, &body, &options, request_id).await
            }
            (Method::Get, Some(bulk_row)) => {
                let decision = self.tables.bulk_row_decision(bulk_row)?;
                decision.map_or_else(|| Ok(response::empty(404)?), replay)
            }
            (Method::Get, None) => self.get(&target, &options.answer).await,
            (Method::Delete, _) => self.delete(&target).await,
            (method, _) => Err(ApiError::internal(format!("user object: no operation for method {method:?}"))),
        }
    }

    /// Identify: read, merge and write as one step, then schedule the flush.
    /// (The routes of one channel or one preference set are identifies too,
    /// answered with that part.) A bulk row is decided once: 204 when
    /// applied, the 422 when refused, now and on every later delivery.
    async fn identify(
        &self,
        target: &Target,
        body: &[u8],
        options: &Options,
        request_id: &str,
    ) -> Result<Response, ApiError> {
        let request = parse_request(&target.user_id, body).map_err(|error| {
            ApiError::internal(format!("user object: the core refused a body the Worker accepted: {error}"))
        })?;
        let mut user = self.current_state(target).await?;
        // From the state's last read to the commit: no await, so no other
        // event of this object runs in between.
        let bulk_row = options.bulk_row.as_deref();
        if let Some(decision) = bulk_row.map(|row| self.tables.bulk_row_decision(row)).transpose()?.flatten() {
            return replay(decision);
        }
        if options.if_exists && !user.holds_record() {
            return Err(ApiError::user_missing(&target.user_id));
        }
        let stored = if user.holds_record() { Some(self.required_record_json()?) } else { None };
        let clock = now_ms();
        // `updated_at` strictly increases, also when the clock has not moved.
        let now = clock.max(user.last_write_ms + 1);
        // A 422 (the merged user would pass a limit) writes nothing but a bulk row's decision.
        let record = match merge(stored.as_deref().map(str::as_bytes), &request, Timestamp::from_millis(now)) {
            Ok(record) => record,
            Err(refusal) => {
                let refusal = ApiError::from(refusal);
                let Some(bulk_row) = bulk_row else { return Err(refusal) };
                let answer = String::from_utf8_lossy(&refusal.body(request_id)).into_owned();
                self.tables.commit_decision(decision(bulk_row, 422, Some(answer.clone()), clock))?;
                return Ok(response::json(422, answer.into_bytes())?);
            }
        };
        user.begin_change();
        user.set_holds_record(true);
        user.last_write_ms = now;
        let alarm = plan_flush(&mut user, clock);
        let answer = match bulk_row {
            Some(_) => Ok(response::empty(204)?),
            None => answer_of(&record, &options.answer),
        };
        let applied = bulk_row.map(|row| decision(row, 204, None, clock));
        self.tables.commit(Some(record.into_json()), &user, applied)?;
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
        self.tables.commit(None, &user, None)?;
        self.arm(alarm).await;
        Ok(response::empty(204)?)
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
    fn required_record_json(&self) -> Result<String, ApiError> {
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
    Ok(tables.commit(Some(record.into_json()), &user, None)?)
}

/// A bulk row's decision, made at `now`.
fn decision(bulk_row: &str, status: i64, answer: Option<String>, now: i64) -> BulkRowDecision {
    BulkRowDecision { bulk_row: bulk_row.to_owned(), status, answer, decided_ms: now }
}

/// The answer to a bulk row decided before: the same as the first time.
fn replay(decision: BulkRowDecision) -> Result<Response, ApiError> {
    match (decision.status, decision.answer) {
        (422, Some(answer)) => Ok(response::json(422, answer.into_bytes())?),
        _ => Ok(response::empty(204)?),
    }
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
