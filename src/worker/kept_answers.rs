//! The answers an object keeps for `Idempotency-Key` (contract §9): the
//! first complete answer to a request with a key, kept 24 hours, so that
//! the same request sent again gets the same answer and writes nothing.
//! Both kinds of object keep them, in a table of their own SQLite, written
//! in the same transaction as the write the answer stands for.
//!
//! Bounded: keys older than [`KEEP_MS`] are dropped, and at most
//! [`MAX_KEPT`] answers, [`MAX_KEPT_BYTES`] of them in all, are kept (the
//! oldest go first); keys are never logged.

use serde::Deserialize;
use std::cell::Cell;
use std::rc::Rc;
use worker::{SqlStorage, SqlStorageValue};

/// How long an answer is kept: a client's retries come within minutes.
pub const KEEP_MS: i64 = 24 * 60 * 60 * 1000;
/// The most answers an object keeps.
pub const MAX_KEPT: i64 = 1_000;
/// The most bytes of answers an object keeps (a user's answer may be
/// hundreds of KB; the newest answers are kept whatever their size).
pub const MAX_KEPT_BYTES: i64 = 8 * 1024 * 1024;

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS kept_answer (
        idempotency_key TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        status INTEGER NOT NULL,
        body TEXT NOT NULL,
        etag TEXT,
        kept_ms INTEGER NOT NULL
    )";

/// One kept answer and what it answered.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct KeptAnswer {
    pub idempotency_key: String,
    /// The request's method, path and body, digested ([`super::idempotency`]).
    pub fingerprint: String,
    pub status: i64,
    pub body: String,
    pub etag: Option<String>,
    pub kept_ms: i64,
}

/// An object's kept answers, in its SQLite.
#[derive(Clone)]
pub struct KeptAnswers {
    sql: SqlStorage,
    /// Whether the table exists, once known (it is created by the first
    /// answer kept and dropped only with all of the object's storage).
    exists: Rc<Cell<Option<bool>>>,
    /// What the table holds at most, once known: a prune runs only when
    /// these say one would drop something, not on every write and flush.
    held: Rc<Cell<Option<Held>>>,
}

/// An upper bound on what the table holds: measured after a prune, then
/// raised by each answer kept (a replaced key counts twice, which only
/// brings the next prune sooner); `oldest_ms` is the oldest answer's time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Held {
    count: i64,
    bytes: i64,
    oldest_ms: Option<i64>,
}

impl Held {
    const NONE: Held = Held { count: 0, bytes: 0, oldest_ms: None };

    /// Whether a prune at `now_ms` would drop an answer: one expired, or
    /// more answers or bytes than the bounds.
    fn prune_due(&self, now_ms: i64) -> bool {
        self.count > MAX_KEPT
            || self.bytes > MAX_KEPT_BYTES
            || self.oldest_ms.is_some_and(|oldest| oldest < now_ms - KEEP_MS)
    }
}

impl KeptAnswers {
    pub fn new(sql: SqlStorage) -> Self {
        KeptAnswers { sql, exists: Rc::default(), held: Rc::default() }
    }

    /// Creates the table if it is not there (part of a transaction's writes).
    pub fn create(&self) -> worker::Result<()> {
        if self.exists.get() != Some(true) {
            self.sql.exec(SCHEMA, None)?;
            self.exists.set(Some(true));
        }
        Ok(())
    }

    /// Notes that the object's tables were dropped.
    pub fn forget(&self) {
        self.exists.set(Some(false));
        self.held.set(Some(Held::NONE));
    }

    /// Notes that a transaction failed: what it created, kept or pruned is
    /// undone, so whether the table exists and what it holds are read
    /// again before they are relied on.
    pub fn unsure(&self) {
        self.exists.set(None);
        self.held.set(None);
    }

    /// The answer kept for `key`, unless older than [`KEEP_MS`] at `now_ms`.
    pub fn find(&self, key: &str, now_ms: i64) -> worker::Result<Option<KeptAnswer>> {
        if !self.exists()? {
            return Ok(None);
        }
        let rows: Vec<KeptAnswer> = self
            .sql
            .exec(
                "SELECT idempotency_key, fingerprint, status, body, etag, kept_ms FROM kept_answer
                 WHERE idempotency_key = ? AND kept_ms >= ?",
                vec![key.into(), (now_ms - KEEP_MS).into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// Keeps `answer` and drops what the bounds leave out. Call it inside
    /// the transaction of the write it answers.
    pub fn keep(&self, answer: &KeptAnswer) -> worker::Result<()> {
        self.create()?;
        let values: Vec<SqlStorageValue> = vec![
            answer.idempotency_key.as_str().into(),
            answer.fingerprint.as_str().into(),
            answer.status.into(),
            answer.body.as_str().into(),
            answer.etag.clone().into(),
            answer.kept_ms.into(),
        ];
        self.sql.exec(
            "INSERT OR REPLACE INTO kept_answer (idempotency_key, fingerprint, status, body, etag, kept_ms)
             VALUES (?, ?, ?, ?, ?, ?)",
            values,
        )?;
        if let Some(held) = self.held.get() {
            self.held.set(Some(Held {
                count: held.count + 1,
                bytes: held.bytes + answer.body.len() as i64,
                oldest_ms: Some(held.oldest_ms.map_or(answer.kept_ms, |oldest| oldest.min(answer.kept_ms))),
            }));
        }
        self.prune(answer.kept_ms)
    }

    /// Drops answers older than [`KEEP_MS`], then the oldest past
    /// [`MAX_KEPT`] answers or [`MAX_KEPT_BYTES`]; nothing to do (and no
    /// statement beyond measuring it once) when what the table holds is
    /// within them, as it is for most objects (no key, or few).
    pub fn prune(&self, now_ms: i64) -> worker::Result<()> {
        if !self.exists()? || !self.held()?.prune_due(now_ms) {
            return Ok(());
        }
        self.sql.exec("DELETE FROM kept_answer WHERE kept_ms < ?", vec![(now_ms - KEEP_MS).into()])?;
        self.sql.exec(
            "DELETE FROM kept_answer WHERE idempotency_key IN (
                 SELECT idempotency_key FROM (
                     SELECT idempotency_key,
                            ROW_NUMBER() OVER (ORDER BY kept_ms DESC, rowid DESC) AS newer,
                            SUM(LENGTH(body)) OVER (ORDER BY kept_ms DESC, rowid DESC) AS bytes
                     FROM kept_answer)
                 WHERE newer > ? OR (newer > 1 AND bytes > ?))",
            vec![MAX_KEPT.into(), MAX_KEPT_BYTES.into()],
        )?;
        self.measure()?;
        Ok(())
    }

    /// When the newest kept answer was kept, if any: until 24 hours past
    /// it, the object keeps its storage.
    pub fn latest_ms(&self) -> worker::Result<Option<i64>> {
        #[derive(Deserialize)]
        struct Latest {
            latest: Option<i64>,
        }
        if !self.exists()? {
            return Ok(None);
        }
        Ok(self.sql.exec("SELECT MAX(kept_ms) AS latest FROM kept_answer", None)?.one::<Latest>()?.latest)
    }

    /// When the oldest kept answer expires, if any.
    pub fn next_expiry_ms(&self) -> worker::Result<Option<i64>> {
        if !self.exists()? {
            return Ok(None);
        }
        Ok(self.held()?.oldest_ms.map(|kept| kept + KEEP_MS))
    }

    /// Notes whether the table exists, when the caller has read the
    /// object's tables anyway (one query fewer when an object wakes).
    pub fn note_exists(&self, exists: bool) {
        self.exists.set(Some(exists));
    }

    /// What the table holds at most: known, or measured now. Call it only
    /// when the table exists.
    fn held(&self) -> worker::Result<Held> {
        match self.held.get() {
            Some(held) => Ok(held),
            None => self.measure(),
        }
    }

    /// Measures what the table holds, one statement.
    fn measure(&self) -> worker::Result<Held> {
        #[derive(Deserialize)]
        struct Measured {
            count: i64,
            bytes: Option<i64>,
            oldest: Option<i64>,
        }
        let measured = self
            .sql
            .exec(
                "SELECT COUNT(*) AS count, SUM(LENGTH(body)) AS bytes, MIN(kept_ms) AS oldest FROM kept_answer",
                None,
            )?
            .one::<Measured>()?;
        let held = Held { count: measured.count, bytes: measured.bytes.unwrap_or(0), oldest_ms: measured.oldest };
        self.held.set(Some(held));
        Ok(held)
    }

    fn exists(&self) -> worker::Result<bool> {
        if let Some(exists) = self.exists.get() {
            return Ok(exists);
        }
        let tables: Vec<serde::de::IgnoredAny> = self
            .sql
            .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'kept_answer'", None)?
            .to_array()?;
        self.exists.set(Some(!tables.is_empty()));
        Ok(!tables.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::{Held, KEEP_MS, MAX_KEPT, MAX_KEPT_BYTES};

    #[test]
    fn a_prune_is_due_one_past_each_bound() {
        let now = 10 * KEEP_MS;
        let within = Held { count: MAX_KEPT, bytes: MAX_KEPT_BYTES, oldest_ms: Some(now - KEEP_MS) };
        assert!(!within.prune_due(now));
        assert!(Held { count: MAX_KEPT + 1, ..within }.prune_due(now));
        assert!(Held { bytes: MAX_KEPT_BYTES + 1, ..within }.prune_due(now));
        assert!(Held { oldest_ms: Some(now - KEEP_MS - 1), ..within }.prune_due(now));
        assert!(!Held::NONE.prune_due(now));
    }
}
