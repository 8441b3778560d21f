//! Writing a user's record through to Workers KV: a flush is planned after
//! a change for `max(now, last KV write + 1 s)`, so a key is written at most
//! once a second (KV's limit); the alarm writes the latest record (or
//! deletes the key) and plans the next flush, or a retry (1 s, doubling up
//! to 30 s) when the write failed. Each write is logged as one line,
//! `kv-write key=<first 16 hex of the key's SHA-256> op=put|delete bytes=N version=V`.
//!
//! A deleted user's tombstone is dropped by the same alarm, `TOMBSTONE_SECONDS`
//! (a variable; 300 when unset) after KV's delete was written, once KV's
//! copies elsewhere have expired: the object then holds nothing, and a later
//! request reads KV again and finds no user.

use super::error::ApiError;
use super::kv::{key_digest, Kv};
use super::object::{now_ms, UserObject};
use super::sql::UserState;
use wasm_bindgen::JsValue;
use worker::{console_error, console_log, ScheduledTime};

/// The least time between two KV writes of one key (KV allows one per second).
const FLUSH_SPACING_MS: i64 = 1_000;
/// A pending flush this far past its time was lost (its alarm never ran):
/// the next change schedules another.
const LOST_FLUSH_MS: i64 = 60_000;
/// The longest wait between two attempts of a failing KV write.
const MAX_RETRY_MS: i64 = 30_000;
/// How long a tombstone outlives KV's delete when `TOMBSTONE_SECONDS` is
/// unset: well past the ~60 s KV's copies in other locations may lag.
const DEFAULT_TOMBSTONE_SECONDS: i64 = 300;

impl UserObject {
    /// Sets the flush alarm planned by [`plan_flush`]. A failure is logged
    /// and the plan dropped, so the next change plans again; the answer
    /// stands, as the change is in the object.
    pub(super) async fn arm(&self, alarm: Option<i64>) {
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
    pub(super) async fn flush(&self) -> Result<(), ApiError> {
        let Some(pending) = self.tables.read()? else { return Ok(()) };
        if let (true, Some(at)) = (pending.is_flushed_tombstone(), pending.flush_at_ms) {
            if at > now_ms() {
                // Early (a retried alarm): the tombstone's time stands.
                return Ok(self.state.storage().set_alarm(scheduled(at)).await?);
            }
            console_log!("tombstone-dropped key={}", key_digest(&pending.environment, &pending.user_id));
            return Ok(self.tables.drop_all()?);
        }
        if pending.version == pending.flushed_version {
            if pending.flush_at_ms.is_some() {
                self.tables.save(&UserState { flush_at_ms: None, ..pending })?;
            }
            return Ok(());
        }
        let version = pending.version;
        let json = if pending.holds_record() { Some(self.required_record_json()?) } else { None };
        let store = Kv::new(&self.env, &pending.environment)?;
        let started = now_ms();
        let written = match &json {
            Some(json) => store.put_json(&pending.user_id, json).await,
            None => store.delete(&pending.user_id).await,
        };
        // Identifies may have run during the write: read the state again.
        let mut user =
            self.tables.read()?.ok_or_else(|| ApiError::internal("the user's state vanished during a flush"))?;
        let clock = now_ms();
        let key = key_digest(&user.environment, &user.user_id);
        match written {
            Ok(()) => {
                let (op, bytes) = json.as_ref().map_or(("delete", 0), |json| ("put", json.len()));
                console_log!("kv-write key={key} op={op} bytes={bytes} version={version}");
                user.flushed_version = version;
                user.last_flush_ms = started;
                user.failures = 0;
                user.flush_at_ms = if user.version != version {
                    Some(clock.max(started + FLUSH_SPACING_MS))
                } else if user.is_flushed_tombstone() {
                    Some(started + self.tombstone_ms())
                } else {
                    None
                };
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

impl UserObject {
    /// How long a tombstone outlives KV's delete (`TOMBSTONE_SECONDS`).
    fn tombstone_ms(&self) -> i64 {
        let configured: Option<i64> =
            self.env.var("TOMBSTONE_SECONDS").ok().and_then(|seconds| seconds.to_string().parse().ok());
        match configured {
            Some(seconds) if seconds >= 0 => seconds * 1_000,
            _ => DEFAULT_TOMBSTONE_SECONDS * 1_000,
        }
    }
}

/// Plans a flush after a change, unless one is pending: at once, or a
/// second after the last KV write of the key. Returns the alarm's time.
pub(super) fn plan_flush(user: &mut UserState, clock: i64) -> Option<i64> {
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

fn scheduled(at_ms: i64) -> ScheduledTime {
    ScheduledTime::new(js_sys::Date::new(&JsValue::from_f64(at_ms as f64)))
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
    fn a_change_to_a_flushed_tombstone_is_flushed_at_once_not_at_the_tombstones_time() {
        // Deleted, KV's delete written at 10_000, the drop due at 310_000.
        let mut user = dirty(3, 3, 10_000, Some(310_000));
        assert!(user.is_flushed_tombstone());
        user.begin_change();
        user.set_holds_record(true);
        assert_eq!(plan_flush(&mut user, 20_000), Some(20_000));
        // A change while a flush is pending still waits for that flush.
        let mut user = dirty(3, 2, 10_000, Some(11_000));
        user.begin_change();
        assert_eq!(plan_flush(&mut user, 10_500), None);
    }

    #[test]
    fn retries_back_off_to_thirty_seconds() {
        let delays: Vec<i64> = (1..=8).map(retry_delay_ms).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
        assert_eq!(retry_delay_ms(i64::MAX), 30_000);
    }
}
