//! The Durable Object of one user: the one writer of that user's record.
//!
//! The Worker sends every identify, GET and DELETE of a user to the object
//! named `{environment}/{user_id}` (unambiguous: an environment name has no
//! `/`). The object keeps the authoritative record in its own SQLite storage
//! ([`super::state`]) and applies the core's [`parse_request`] and [`merge`]
//! to it with no `await` between reading and writing, so concurrent
//! identifies are applied one after another, each on top of the last.
//!
//! Workers KV stays the store other readers use: after a change the object
//! marks itself dirty and, unless a flush is already pending, sets an alarm
//! for `max(now, last KV write + 1 s)`. The alarm writes the latest record
//! (or deletes the key) under the key of contract §7, so KV receives at most one
//! write of a key per second however many identifies arrive, and a failed
//! write is retried (1 s, doubling up to 30 s) until KV holds the latest
//! change. Each KV write is logged as one line,
//! `kv-write key=<first 16 hex of the key's SHA-256> op=put|delete bytes=N version=V`.
//!
//! A user the object has never held (written before the objects existed,
//! or into KV directly) is read from KV and adopted, once, while the object
//! accepts no other event. After a DELETE the object keeps a tombstone, so
//! KV is not consulted for that user again.

use super::error::ApiError;
use super::state::{record_error, Tables, UserState};
use super::store::{key_digest, Store};
use crate::{merge, parse_request, IdentifyError, Timestamp};
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use wasm_bindgen::JsValue;
use worker::{
    console_error, console_log, durable_object, DurableObject, Env, Headers, Method, Request, Response, ScheduledTime,
    State,
};

/// The Durable Object binding (wrangler.toml `[[durable_objects.bindings]]`).
pub const BINDING: &str = "USER_OBJECTS";
/// The environment of an internal request.
const ENVIRONMENT_HEADER: &str = "X-Environment";
/// The user id of an internal request, percent-encoded (header values are Latin-1).
const USER_ID_HEADER: &str = "X-User-Id";
/// The API request's id, for the object's log lines and error answers.
pub const REQUEST_ID_HEADER: &str = "X-Request-ID";

/// The least time between two KV writes of one key (KV allows one per second).
const FLUSH_SPACING_MS: i64 = 1_000;
/// A pending flush this far past its time was lost (its alarm never ran):
/// the next change schedules another.
const LOST_FLUSH_MS: i64 = 60_000;
/// The longest wait between two attempts of a failing KV write.
const MAX_RETRY_MS: i64 = 30_000;

/// The user a request to an object is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The environment of the API key.
    pub environment: String,
    /// The percent-decoded user id.
    pub user_id: String,
}

impl Target {
    /// The object's name.
    pub fn object_name(&self) -> String {
        format!("{}/{}", self.environment, self.user_id)
    }

    /// Puts the target in an internal request's headers.
    pub fn write_headers(&self, headers: &Headers) -> worker::Result<()> {
        headers.set(ENVIRONMENT_HEADER, &self.environment)?;
        headers.set(USER_ID_HEADER, &utf8_percent_encode(&self.user_id, NON_ALPHANUMERIC).to_string())
    }

    /// The target of an internal request.
    fn from_headers(headers: &Headers) -> worker::Result<Target> {
        let environment = headers.get(ENVIRONMENT_HEADER)?.ok_or("no environment header")?;
        let encoded = headers.get(USER_ID_HEADER)?.ok_or("no user id header")?;
        let user_id = percent_decode_str(&encoded).decode_utf8().map_err(|_| "a user id header that is not UTF-8")?;
        Ok(Target { environment, user_id: user_id.into_owned() })
    }
}

/// One user's Durable Object.
#[durable_object(alarm)]
pub struct UserObject {
    state: State,
    env: Env,
    tables: Tables,
}

impl DurableObject for UserObject {
    fn new(state: State, env: Env) -> Self {
        let tables = Tables::new(&state.storage());
        UserObject { state, env, tables }
    }

    /// An internal request from the Worker: PUT (identify, the body as the
    /// Worker read and validated it), GET or DELETE. Answers 200 with the
    /// user, 404 (GET of an unknown user), 204 (DELETE), 422 with the API's
    /// error (an identify that would make the user pass a limit, nothing
    /// written), or 500 with the reason in the log only.
    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let request_id = req.headers().get(REQUEST_ID_HEADER).ok().flatten().unwrap_or_default();
        match self.serve(&mut req, &request_id).await {
            Ok(response) => Ok(response),
            Err(error) => {
                console_error!("request {request_id}: user object: {error}");
                Response::error("internal error", 500)
            }
        }
    }

    /// The flush: writes the latest change through to KV.
    async fn alarm(&self) -> worker::Result<Response> {
        match self.flush().await {
            Ok(()) => Response::empty(),
            Err(error) => {
                // The runtime retries a failed alarm.
                console_error!("user object: flush to KV: {error}");
                Err(error)
            }
        }
    }
}

impl UserObject {
    async fn serve(&self, req: &mut Request, request_id: &str) -> worker::Result<Response> {
        let target = Target::from_headers(req.headers())?;
        match req.method() {
            Method::Put => {
                let body = req.bytes().await?;
                self.identify(&target, &body, request_id).await
            }
            Method::Get => self.get(&target).await,
            Method::Delete => self.delete(&target).await,
            method => Err(format!("no operation for method {method:?}").into()),
        }
    }

    /// Identify: read, merge and write as one step, then schedule the flush.
    async fn identify(&self, target: &Target, body: &[u8], request_id: &str) -> worker::Result<Response> {
        let request = parse_request(&target.user_id, body)
            .map_err(|error| format!("the core refused a body the Worker accepted: {error}"))?;
        let mut user = self.current_state(target).await?;
        // From the state's last read to the commit: no await, so no other
        // event of this object runs in between.
        let stored = if user.holds_record() { Some(self.required_record_json()?) } else { None };
        let clock = now_ms();
        // `updated_at` strictly increases, also when the clock has not moved.
        let now = clock.max(user.last_write_ms + 1);
        let record = match merge(stored.as_deref().map(str::as_bytes), &request, Timestamp::from_millis(now)) {
            Ok(record) => record,
            // The merged user would pass a limit: nothing is written.
            Err(error @ IdentifyError::InvalidParams(_)) => return ApiError::from(error).into_response(request_id),
            Err(error) => return Err(record_error(error)),
        };
        user.set_holds_record(true);
        user.version += 1;
        user.last_write_ms = now;
        let alarm = plan_flush(&mut user, clock);
        let answer = record.user_json().as_bytes().to_vec();
        self.tables.commit(Some(record.into_json()), &user)?;
        self.arm(alarm).await;
        json_response(answer)
    }

    /// GET: the record the object holds (adopted from KV if it held none).
    async fn get(&self, target: &Target) -> worker::Result<Response> {
        if self.current_state(target).await?.holds_record() {
            json_response(self.required_record()?.user_json().as_bytes().to_vec())
        } else {
            Ok(Response::empty()?.with_status(404))
        }
    }

    /// DELETE: a tombstone in the object, and the key's removal from KV by
    /// the same flush as a write.
    async fn delete(&self, target: &Target) -> worker::Result<Response> {
        let mut user = self.state_of(target)?;
        user.set_holds_record(false);
        user.version += 1;
        let alarm = plan_flush(&mut user, now_ms());
        self.tables.commit(None, &user)?;
        self.arm(alarm).await;
        Ok(Response::empty()?.with_status(204))
    }

    /// The state of `target`'s user: what the object holds, or a fresh one.
    fn state_of(&self, target: &Target) -> worker::Result<UserState> {
        match self.tables.read()? {
            Some(user) => check_target(&user, target).map(|()| user),
            None => Ok(UserState::new(&target.environment, &target.user_id)),
        }
    }

    /// The state of `target`'s user, adopted from KV first if the object
    /// has never held it. When the object holds the user this returns
    /// without awaiting anything, so a caller's read-merge-write stays one
    /// step; after an adoption the state is read again.
    async fn current_state(&self, target: &Target) -> worker::Result<UserState> {
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
    async fn adopt_from_kv(&self, target: &Target) -> worker::Result<()> {
        let (tables, env, target) = (self.tables.clone(), self.env.clone(), target.clone());
        // Errors come back as values: an `Err` out of the gate would reset the object.
        let adopted = self.state.block_concurrency_while(async move { Ok(adopt(&tables, &env, &target).await) });
        adopted.await?
    }

    /// The stored record of a user the object holds.
    fn required_record(&self) -> worker::Result<crate::StoredUser> {
        self.tables.read_record()?.ok_or_else(|| "the record of a user the object holds is missing".into())
    }

    /// The stored record's JSON, as the core reads it in a merge.
    fn required_record_json(&self) -> worker::Result<String> {
        self.tables.read_record_json()?.ok_or_else(|| "the record of a user the object holds is missing".into())
    }

    /// Sets the flush alarm planned by [`plan_flush`]. A failure is logged
    /// and the plan dropped, so the next change plans again; the answer
    /// stands, as the change is in the object.
    async fn arm(&self, alarm: Option<i64>) {
        let Some(at) = alarm else { return };
        if let Err(error) = self.state.storage().set_alarm(scheduled(at)).await {
            console_error!("user object: could not set the flush alarm: {error}");
            let dropped = self.tables.read().and_then(|user| match user {
                Some(mut user) if user.flush_at_ms == Some(at) => {
                    user.flush_at_ms = None;
                    self.tables.save(&user)
                }
                _ => Ok(()),
            });
            if let Err(error) = dropped {
                console_error!("user object: could not drop the flush plan: {error}");
            }
        }
    }

    /// The alarm: writes the latest change to KV, then plans the next
    /// flush if changes arrived meanwhile, or a retry if the write failed.
    async fn flush(&self) -> worker::Result<()> {
        let Some(pending) = self.tables.read()? else { return Ok(()) };
        if pending.version == pending.flushed_version {
            if pending.flush_at_ms.is_some() {
                self.tables.save(&UserState { flush_at_ms: None, ..pending })?;
            }
            return Ok(());
        }
        let version = pending.version;
        let json = if pending.holds_record() {
            Some(self.tables.read_record_json()?.ok_or("the record of a user the object holds is missing")?)
        } else {
            None
        };
        let store = Store::new(&self.env, &pending.environment).map_err(worker_error)?;
        let started = now_ms();
        let written = match &json {
            Some(json) => store.put_json(&pending.user_id, json).await,
            None => store.delete(&pending.user_id).await,
        };
        // Identifies may have run during the write: read the state again.
        let mut user = self.tables.read()?.ok_or("the user's state vanished during a flush")?;
        let clock = now_ms();
        let key = key_digest(&user.environment, &user.user_id);
        match written {
            Ok(()) => {
                let (op, bytes) = json.as_ref().map_or(("delete", 0), |json| ("put", json.len()));
                console_log!("kv-write key={key} op={op} bytes={bytes} version={version}");
                user.flushed_version = version;
                user.last_flush_ms = started;
                user.failures = 0;
                user.flush_at_ms = (user.version != version).then(|| clock.max(started + FLUSH_SPACING_MS));
            }
            Err(error) => {
                user.failures += 1;
                let retry = retry_delay_ms(user.failures);
                console_error!("kv-write-failed key={key} version={version} retry_in_ms={retry}: {error}");
                user.flush_at_ms = Some(clock + retry);
            }
        }
        self.tables.save(&user)?;
        if let Some(at) = user.flush_at_ms {
            self.state.storage().set_alarm(scheduled(at)).await?;
        }
        Ok(())
    }
}

/// Adopts the KV record of a user the object has never held, if KV has one.
async fn adopt(tables: &Tables, env: &Env, target: &Target) -> worker::Result<()> {
    if tables.read()?.is_some() {
        return Ok(());
    }
    let store = Store::new(env, &target.environment).map_err(worker_error)?;
    let Some(record) = store.get(&target.user_id).await.map_err(worker_error)? else {
        return Ok(());
    };
    let mut user = UserState::new(&target.environment, &target.user_id);
    user.set_holds_record(true);
    user.version = 1;
    // KV holds this version already.
    user.flushed_version = 1;
    let written = js_sys::Date::parse(record.updated_at());
    user.last_write_ms = if written.is_finite() { written as i64 } else { 0 };
    tables.commit(Some(record.into_json()), &user)
}

/// Plans a flush after a change, unless one is pending: at once, or a
/// second after the last KV write of the key. Returns the alarm's time.
fn plan_flush(user: &mut UserState, clock: i64) -> Option<i64> {
    if user.version == user.flushed_version {
        return None;
    }
    if user.flush_at_ms.is_some_and(|at| at > clock - LOST_FLUSH_MS) {
        return None;
    }
    let at = clock.max(user.last_flush_ms + FLUSH_SPACING_MS);
    user.flush_at_ms = Some(at);
    Some(at)
}

/// The wait before the next attempt after `failures` failed KV writes in a row.
fn retry_delay_ms(failures: i64) -> i64 {
    let doublings = failures.clamp(1, 16) - 1;
    (FLUSH_SPACING_MS << doublings).min(MAX_RETRY_MS)
}

/// An object holds one user: a request for another is a bug, never served.
fn check_target(user: &UserState, target: &Target) -> worker::Result<()> {
    if user.environment == target.environment && user.user_id == target.user_id {
        Ok(())
    } else {
        Err("a request for another user reached this user's object".into())
    }
}

/// 200 with the user's JSON.
fn json_response(body: Vec<u8>) -> worker::Result<Response> {
    let mut response = Response::from_bytes(body)?;
    response.headers_mut().set("Content-Type", "application/json")?;
    Ok(response)
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

fn scheduled(at_ms: i64) -> ScheduledTime {
    ScheduledTime::new(js_sys::Date::new(&JsValue::from_f64(at_ms as f64)))
}

fn worker_error(error: ApiError) -> worker::Error {
    worker::Error::RustError(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirty(version: i64, flushed_version: i64, last_flush_ms: i64, flush_at_ms: Option<i64>) -> UserState {
        UserState { version, flushed_version, last_flush_ms, flush_at_ms, ..UserState::new("dev", "jane") }
    }

    #[test]
    fn a_flush_is_planned_once_and_a_second_after_the_last_write() {
        // The first change of a user: at once.
        let mut user = dirty(1, 0, 0, None);
        assert_eq!(plan_flush(&mut user, 10_000), Some(10_000));
        assert_eq!(user.flush_at_ms, Some(10_000));
        // More changes while it is pending: nothing more.
        user.version = 5;
        assert_eq!(plan_flush(&mut user, 10_050), None);
        // After a write at 10_000: not before 11_000.
        let mut user = dirty(6, 5, 10_000, None);
        assert_eq!(plan_flush(&mut user, 10_300), Some(11_000));
        // Long after it: at once.
        let mut user = dirty(6, 5, 10_000, None);
        assert_eq!(plan_flush(&mut user, 20_000), Some(20_000));
        // Nothing to write: no flush.
        let mut user = dirty(5, 5, 10_000, None);
        assert_eq!(plan_flush(&mut user, 20_000), None);
        // A pending flush long overdue was lost: plan again.
        let mut user = dirty(6, 5, 10_000, Some(11_000));
        assert_eq!(plan_flush(&mut user, 11_000 + LOST_FLUSH_MS + 1), Some(11_000 + LOST_FLUSH_MS + 1));
    }

    #[test]
    fn retries_back_off_to_thirty_seconds() {
        let delays: Vec<i64> = (1..=8).map(retry_delay_ms).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
        assert_eq!(retry_delay_ms(i64::MAX), 30_000);
    }

    #[test]
    fn object_names_are_unambiguous() {
        let name = |environment: &str, user_id: &str| {
            Target { environment: environment.into(), user_id: user_id.into() }.object_name()
        };
        assert_eq!(name("development", "jane"), "development/jane");
        // An environment has no `/`, so the first `/` ends it.
        assert_ne!(name("a", "b c"), name("a b", "c"));
    }
}
