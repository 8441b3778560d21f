//! Writing a user's record through to Workers KV and its row to the users
//! index (D1, contract §10): a flush is planned after a change for
//! `max(now, last KV write + 1 s)`, so a key is written at most once a
//! second (KV's limit); the alarm writes the latest record (or deletes the
//! key), then the user's index row (or marks it deleted), each only when it
//! lacks the latest change, and plans the next flush, or a retry (1 s,
//! doubling up to 30 s) of what failed. A flush that wrote anything logs one
//! line, `flushed key=<first 16 hex of the key's SHA-256> op=put|delete
//! version=V kv=yes|no index=yes|no bytes=N` (`yes`: written by this flush;
//! N the record's bytes), and each write that failed its own
//! `kv-write-failed` or `index-write-failed` line.
//!
//! A change the object acknowledged always keeps a flush planned until KV
//! has it: a failing flush re-arms its own alarm rather than throwing (a
//! thrown alarm is retried by the runtime only a few times), and an object
//! woken by any request checks once that the alarm its state owes is set
//! ([`Flusher::ensure_planned`]), so an alarm that could not be set or was
//! lost is set again.
//!
//! A deleted user's tombstone is dropped by the same alarm, `TOMBSTONE_SECONDS`
//! after KV's delete was written, once KV's copies elsewhere have expired
//! (and once no bulk row decision is still remembered, see [`super::sql`]),
//! with the index's row of the deleted user: the object then holds nothing,
//! and a later request reads KV again and finds no user.

use super::kv::{key_digest, Kv};
use super::sql::{Tables, UserState, BULK_ROW_MEMORY_MS};
use crate::worker::clock::{now_ms, scheduled};
use crate::worker::error::ApiError;
use crate::worker::index::{Index, IndexRow, Listed};
use crate::worker::kept_answers::KEEP_MS;
use crate::worker::settings;
use crate::{listed_email, preference_sets_answer, StoredUser};
use worker::{console_error, console_log, Env, Storage};

/// The least time between two KV writes of one key (KV allows one per second).
const FLUSH_SPACING_MS: i64 = 1_000;
/// The longest wait between two attempts of a failing flush.
const MAX_RETRY_MS: i64 = 30_000;

/// What a flush uses of its object: the alarm, the tables and the bindings.
pub struct Flusher<'a> {
    pub storage: Storage,
    pub env: &'a Env,
    pub tables: &'a Tables,
}

impl Flusher<'_> {
    /// Sets the alarm planned by [`plan_flush`]; false when it could not be
    /// set. The plan stays in the state either way, so the object's next
    /// wake sets it ([`Flusher::ensure_planned`]); the change is in the
    /// object, so its answer stands.
    pub async fn arm(&self, alarm: Option<i64>) -> bool {
        let Some(at) = alarm else { return true };
        match self.storage.set_alarm(scheduled(at)).await {
            Ok(()) => true,
            Err(error) => {
                console_error!("user object: could not set the flush alarm: {error}");
                false
            }
        }
    }

    /// Sets the alarm the state owes (a flush not yet written to KV, or a
    /// tombstone to drop) if the runtime has none: run when the object
    /// wakes, before its first request.
    pub async fn ensure_planned(&self) -> worker::Result<()> {
        let Some(mut user) = self.tables.read()? else { return Ok(()) };
        let now = now_ms();
        let owed = match user.flush_at_ms {
            Some(at) => at,
            None if !user.is_synced() => now,
            None => match self.tables.kept.next_expiry_ms()? {
                // Kept answers expire by the alarm too.
                Some(expiry) => {
                    if self.storage.get_alarm().await?.is_none() {
                        self.storage.set_alarm(scheduled(expiry.max(now))).await?;
                    }
                    return Ok(());
                }
                None => return Ok(()),
            },
        };
        if self.storage.get_alarm().await?.is_some() {
            return Ok(());
        }
        if user.flush_at_ms != Some(owed) {
            user.flush_at_ms = Some(owed);
            self.tables.save(&user)?;
        }
        console_log!("flush-replanned key={}", key_digest(&user.environment, &user.user_id));
        self.storage.set_alarm(scheduled(owed.max(now))).await
    }

    /// The alarm: writes the latest change to KV, then sets the next alarm
    /// (changes arrived meanwhile, a retry, a tombstone's drop). Fails only
    /// when even that alarm cannot be set, for the runtime to retry.
    pub async fn run(&self) -> worker::Result<()> {
        let next = match self.flush().await {
            Ok(next) => next,
            Err(error) => {
                // The state could not be read or saved: try again later.
                console_error!("user object: flush: {error}");
                Some(now_ms() + MAX_RETRY_MS)
            }
        };
        // Answers kept for `Idempotency-Key` past their 24 hours go, and the
        // next to expire keeps an alarm coming.
        let now = now_ms();
        self.tables.kept.prune(now)?;
        let expiry = if self.tables.read()?.is_some() { self.tables.kept.next_expiry_ms()? } else { None };
        let next = match (next, expiry) {
            (Some(at), Some(expiry)) => Some(at.min(expiry)),
            (at, expiry) => at.or(expiry),
        };
        match next {
            Some(at) => self.storage.set_alarm(scheduled(at)).await,
            None => Ok(()),
        }
    }

    /// One flush; the time of the next alarm, if one is due.
    async fn flush(&self) -> Result<Option<i64>, ApiError> {
        let Some(pending) = self.tables.read()? else { return Ok(None) };
        if pending.is_flushed_tombstone() {
            return self.drop_tombstone(pending).await;
        }
        if pending.is_synced() {
            if pending.flush_at_ms.is_some() {
                self.tables.save(&UserState { flush_at_ms: None, ..pending })?;
            }
            return Ok(None);
        }
        let version = pending.version;
        // The record of `version`, read with its state (no await between).
        let json = match pending.holds_record() {
            true => Some(
                self.tables
                    .read_record_json()?
                    .ok_or_else(|| ApiError::internal("the record of a user the object holds is missing"))?,
            ),
            false => None,
        };
        let started = now_ms();
        let kv = match pending.flushed_version != version {
            true => Some(self.write_to_kv(&pending, json.as_deref()).await),
            false => None,
        };
        let index = match pending.indexed_version != version {
            true => Some(self.write_to_index(&pending, json.as_deref()).await),
            false => None,
        };
        // Identifies may have run during the writes: read the state again.
        let mut user =
            self.tables.read()?.ok_or_else(|| ApiError::internal("the user's state vanished during a flush"))?;
        let clock = now_ms();
        let key = key_digest(&user.environment, &user.user_id);
        let failed = matches!(kv, Some(Err(_))) || matches!(index, Some(Err(_)));
        let retry = if failed {
            user.failures += 1;
            retry_delay_ms(user.failures)
        } else {
            user.failures = 0;
            0
        };
        let wrote_kv = matches!(kv, Some(Ok(())));
        let wrote_index = matches!(index, Some(Ok(())));
        if wrote_kv {
            user.flushed_version = version;
            user.last_flush_ms = started;
        }
        if wrote_index {
            user.indexed_version = version;
        }
        if wrote_kv || wrote_index {
            let op = if json.is_some() { "put" } else { "delete" };
            let (kv, index) = (yes_no(wrote_kv), yes_no(wrote_index));
            let bytes = json.as_deref().map_or(0, str::len);
            console_log!("flushed key={key} op={op} version={version} kv={kv} index={index} bytes={bytes}");
        }
        if let Some(Err(error)) = kv {
            console_error!("kv-write-failed key={key} version={version} retry_in_ms={retry}: {error}")
        }
        if let Some(Err(error)) = index {
            console_error!("index-write-failed key={key} version={version} retry_in_ms={retry}: {error}")
        }
        user.flush_at_ms = if failed {
            Some(clock + retry)
        } else if user.version != version {
            Some(clock.max(user.last_flush_ms + FLUSH_SPACING_MS))
        } else if user.is_flushed_tombstone() {
            Some(user.last_flush_ms + settings::tombstone_seconds(self.env)? * 1_000)
        } else {
            None
        };
        self.tables.save(&user)?;
        Ok(user.flush_at_ms)
    }

    /// Writes the record `json` to KV (or deletes the key when `None`).
    async fn write_to_kv(&self, user: &UserState, json: Option<&str>) -> Result<(), ApiError> {
        let store = Kv::new(self.env, &user.environment)?;
        match json {
            Some(json) => store.put_json(&user.user_id, json).await,
            None => store.delete(&user.user_id).await,
        }
    }

    /// Writes the user's row of the index from the record `json` (or marks
    /// it deleted when `None`).
    async fn write_to_index(&self, user: &UserState, json: Option<&str>) -> Result<(), ApiError> {
        let index = Index::new(self.env)?;
        let listed = match json {
            Some(json) => {
                let record = StoredUser::from_json(json.as_bytes())?;
                Some(Listed {
                    email: listed_email(&record),
                    preference_sets: preference_sets_answer(&record),
                    user_json: record.user_json().to_owned(),
                })
            }
            None => None,
        };
        let row = IndexRow {
            environment: &user.environment,
            user_id: &user.user_id,
            epoch: &user.epoch,
            version: user.version,
            listed,
        };
        index.write(&row).await
    }

    /// A tombstone whose KV delete and index row are written: dropped, with
    /// its index row, once its time has come and neither a bulk row's
    /// decision nor an answer kept for an `Idempotency-Key` is still
    /// remembered, else kept until then. An index that fails keeps it too,
    /// retried as a flush is.
    async fn drop_tombstone(&self, mut user: UserState) -> Result<Option<i64>, ApiError> {
        let Some(at) = user.flush_at_ms else { return Ok(None) };
        let now = now_ms();
        let decided_until = self.tables.latest_bulk_row_ms()?.map(|latest| latest + BULK_ROW_MEMORY_MS);
        let kept_until = self.tables.kept.latest_ms()?.map(|latest| latest + KEEP_MS);
        let remembered_until = decided_until.max(kept_until);
        let due = remembered_until.map_or(at, |until| until.max(at));
        if due > now {
            if due != at {
                user.flush_at_ms = Some(due);
                self.tables.save(&user)?;
            }
            return Ok(Some(due));
        }
        let key = key_digest(&user.environment, &user.user_id);
        let forgotten = match Index::new(self.env) {
            Ok(index) => index.forget(&user.environment, &user.user_id, &user.epoch).await,
            Err(error) => Err(error),
        };
        // The object may have changed while the index was called.
        let Some(mut current) = self.tables.read()? else { return Ok(None) };
        if let Err(error) = forgotten {
            current.failures += 1;
            let retry = retry_delay_ms(current.failures);
            console_error!("index-forget-failed key={key} retry_in_ms={retry}: {error}");
            if current.is_flushed_tombstone() {
                current.flush_at_ms = Some(now_ms() + retry);
            }
            self.tables.save(&current)?;
            return Ok(current.flush_at_ms);
        }
        if !current.is_flushed_tombstone() {
            // Written again meanwhile: its own flush is planned.
            return Ok(current.flush_at_ms);
        }
        console_log!("tombstone-dropped key={key}");
        self.tables.drop_all()?;
        Ok(None)
    }
}

/// Plans a flush after a change, unless one is pending: at once, or a
/// second after the last KV write of the key. Returns the alarm's time.
pub fn plan_flush(user: &mut UserState, clock: i64) -> Option<i64> {
    if user.is_synced() || user.flush_at_ms.is_some() {
        return None;
    }
    let at = clock.max(user.last_flush_ms + FLUSH_SPACING_MS);
    user.flush_at_ms = Some(at);
    Some(at)
}

/// A log line's word for whether a write was made.
fn yes_no(written: bool) -> &'static str {
    if written {
        "yes"
    } else {
        "no"
    }
}

/// The wait before the next attempt after `failures` failed KV writes in a row.
fn retry_delay_ms(failures: i64) -> i64 {
    let doublings = failures.clamp(1, 16) - 1;
    (FLUSH_SPACING_MS << doublings).min(MAX_RETRY_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirty(version: i64, flushed_version: i64, last_flush_ms: i64, flush_at_ms: Option<i64>) -> UserState {
        UserState {
            version,
            flushed_version,
            // The index is written by the same flushes as KV.
            indexed_version: flushed_version,
            last_flush_ms,
            flush_at_ms,
            ..UserState::new("dev", "jane", "e".to_owned())
        }
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
        // A pending flush, however overdue, stands: a wake sets its alarm
        // again if the runtime lost it (`ensure_planned`).
        let mut user = dirty(6, 5, 10_000, Some(11_000));
        assert_eq!(plan_flush(&mut user, 500_000), None);
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
    fn a_change_only_the_index_lacks_is_flushed() {
        // Adopted from KV, or held from before the index: KV has it, the index not.
        let mut user = dirty(1, 1, 0, None);
        user.indexed_version = 0;
        assert!(!user.is_synced());
        assert_eq!(plan_flush(&mut user, 20_000), Some(20_000));
        // A deleted user whose KV delete is written but whose row is not: not
        // yet a tombstone to drop.
        let mut user = dirty(4, 4, 10_000, None);
        user.set_holds_record(false);
        assert!(user.is_flushed_tombstone());
        user.indexed_version = 3;
        assert!(!user.is_flushed_tombstone());
    }

    #[test]
    fn retries_back_off_to_thirty_seconds() {
        let delays: Vec<i64> = (1..=8).map(retry_delay_ms).collect();
        assert_eq!(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000]);
        assert_eq!(retry_delay_ms(i64::MAX), 30_000);
    }
}
