//! What a user's Durable Object keeps in its own SQLite storage: one row of
//! bookkeeping and the record's JSON. Every call here is synchronous (the
//! SQL API of SQLite-backed objects), so a read, a merge and a write made
//! without an `await` between them are one atomic step of the object.
//!
//! - `user_state`: at most one row (`id = 0`). Absent: the object has never
//!   held this user (KV may still have it, from before the objects). With
//!   `has_record = 0`: the user was deleted (a tombstone: KV is not read
//!   again until the tombstone is dropped, see [`super::flush`]). `version`
//!   counts changes, `flushed_version` is the change KV holds, `flush_at_ms`
//!   the time of the pending alarm (NULL: none).
//! - `record_part`: the record's JSON (`StoredUser::as_json`), in parts of at
//!   most [`PART_BYTES`], as SQLite-backed objects limit a string to 2 MB.
//!
//! The tables are created by the first commit; until then every read finds
//! nothing, so a GET of an unknown user writes nothing.

use serde::de::IgnoredAny;
use serde::Deserialize;
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use worker::{SqlStorage, SqlStorageValue, Storage};

/// The largest part of a record's JSON in one row (SQLite-backed Durable
/// Objects refuse strings over 2 MB).
const PART_BYTES: usize = 1_000_000;

const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS user_state (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        environment TEXT NOT NULL,
        user_id TEXT NOT NULL,
        has_record INTEGER NOT NULL,
        version INTEGER NOT NULL,
        last_write_ms INTEGER NOT NULL,
        flushed_version INTEGER NOT NULL,
        last_flush_ms INTEGER NOT NULL,
        flush_at_ms INTEGER,
        failures INTEGER NOT NULL
    )",
    "CREATE TABLE IF NOT EXISTS record_part (part INTEGER PRIMARY KEY, text TEXT NOT NULL)",
];

/// The object's bookkeeping for its user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct UserState {
    /// The environment of the user (the object's name holds it too).
    pub environment: String,
    /// The user id, exactly as given.
    pub user_id: String,
    /// 1 while the object holds a record, 0 once the user was deleted (the
    /// SQL column; read it through [`UserState::holds_record`]).
    pub has_record: i64,
    /// Bumped by every identify and delete.
    pub version: i64,
    /// `updated_at` of the last identify, in ms: the next one is later.
    pub last_write_ms: i64,
    /// The version KV holds.
    pub flushed_version: i64,
    /// When KV was last written for this user (0: never by this object).
    pub last_flush_ms: i64,
    /// When the pending flush alarm is due; `None` when there is none.
    pub flush_at_ms: Option<i64>,
    /// KV writes that failed in a row (for the retry back-off).
    pub failures: i64,
}

impl UserState {
    /// Whether the object holds the user's record (false: deleted, a tombstone).
    pub fn holds_record(&self) -> bool {
        self.has_record != 0
    }

    /// Marks the record as held, or deleted.
    pub fn set_holds_record(&mut self, holds: bool) {
        self.has_record = i64::from(holds);
    }

    /// A deleted user whose deletion KV holds: the object's only pending
    /// alarm, if any, is the one that drops the tombstone.
    pub fn is_flushed_tombstone(&self) -> bool {
        !self.holds_record() && self.version == self.flushed_version
    }

    /// Counts a change (an identify or a delete) that KV must get. A
    /// tombstone's pending alarm only drops it, so it no longer stands for
    /// a flush: the change plans its own ([`super::flush::plan_flush`]).
    pub fn begin_change(&mut self) {
        if self.is_flushed_tombstone() {
            self.flush_at_ms = None;
        }
        self.version += 1;
    }

    /// The state of a user the object has not held before.
    pub fn new(environment: &str, user_id: &str) -> Self {
        UserState {
            environment: environment.to_string(),
            user_id: user_id.to_string(),
            has_record: 0,
            version: 0,
            last_write_ms: 0,
            flushed_version: 0,
            last_flush_ms: 0,
            flush_at_ms: None,
            failures: 0,
        }
    }
}

/// The object's SQL storage. It asks SQLite once whether the tables exist
/// and then remembers: they are created by the first commit and never
/// dropped, so most calls are one statement.
#[derive(Clone)]
pub struct Tables {
    sql: SqlStorage,
    /// The object's `ctx.storage`, for `transactionSync` (see [`Tables::commit`]).
    storage: JsValue,
    /// `None` until known; `Some(true)` from the first successful commit.
    exist: Rc<Cell<Option<bool>>>,
}

impl Tables {
    /// The tables of the object whose storage this is.
    pub fn new(storage: &Storage) -> Self {
        let raw: &JsValue = storage.as_raw().as_ref();
        Tables { sql: storage.sql(), storage: raw.clone(), exist: Rc::default() }
    }

    /// Whether the object has ever written its tables.
    fn exist(&self) -> worker::Result<bool> {
        if let Some(exist) = self.exist.get() {
            return Ok(exist);
        }
        let tables: Vec<IgnoredAny> = self
            .sql
            .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'user_state'", None)?
            .to_array()?;
        let exist = !tables.is_empty();
        self.exist.set(Some(exist));
        Ok(exist)
    }

    /// The user's state, if the object has held the user.
    pub fn read(&self) -> worker::Result<Option<UserState>> {
        if !self.exist()? {
            return Ok(None);
        }
        let rows: Vec<UserState> = self
            .sql
            .exec(
                "SELECT environment, user_id, has_record, version, last_write_ms, flushed_version,
                        last_flush_ms, flush_at_ms, failures
                 FROM user_state WHERE id = 0",
                None,
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// Writes the state of a user the object holds (its tables exist).
    pub fn save(&self, state: &UserState) -> worker::Result<()> {
        let values: Vec<SqlStorageValue> = vec![
            state.environment.as_str().into(),
            state.user_id.as_str().into(),
            state.has_record.into(),
            state.version.into(),
            state.last_write_ms.into(),
            state.flushed_version.into(),
            state.last_flush_ms.into(),
            state.flush_at_ms.into(),
            state.failures.into(),
        ];
        self.sql.exec(
            "INSERT OR REPLACE INTO user_state (id, environment, user_id, has_record, version, last_write_ms,
                 flushed_version, last_flush_ms, flush_at_ms, failures)
             VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )?;
        Ok(())
    }

    /// The record's JSON as stored (`None` when there is no record).
    pub fn read_record_json(&self) -> worker::Result<Option<String>> {
        #[derive(Deserialize)]
        struct Part {
            text: String,
        }
        if !self.exist()? {
            return Ok(None);
        }
        let parts: Vec<Part> = self.sql.exec("SELECT text FROM record_part ORDER BY part", None)?.to_array()?;
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(parts.into_iter().map(|part| part.text).collect()))
    }

    /// Writes the record's JSON (`None` removes it) and the bookkeeping row
    /// as one transaction, creating the tables first if they are not there:
    /// if any statement fails, none of them stays, so a failed write never
    /// leaves a cut record or a change the flush would not see.
    pub fn commit(&self, json: Option<String>, state: &UserState) -> worker::Result<()> {
        let tables = self.clone();
        let create = !self.exist()?;
        let state = state.clone();
        let write = Closure::once_into_js(move || -> Result<(), JsValue> {
            tables
                .write_record_json(create, json.as_deref())
                .and_then(|()| tables.save(&state))
                .map_err(|error| js_sys::Error::new(&error.to_string()).into())
        });
        // `ctx.storage.transactionSync(callback)` runs the callback as one SQLite
        // transaction, rolled back if it throws; workers-rs 0.8 does not bind it.
        let transaction_sync: js_sys::Function =
            js_sys::Reflect::get(&self.storage, &JsValue::from_str("transactionSync"))?.dyn_into()?;
        transaction_sync.call1(&self.storage, &write).map_err(worker::Error::from)?;
        self.exist.set(Some(true));
        Ok(())
    }

    /// Drops both tables: the object is as if it had never held its user
    /// (its next request reads KV again). One statement, no `await`.
    pub fn drop_all(&self) -> worker::Result<()> {
        if self.exist()? {
            self.sql.exec("DROP TABLE record_part; DROP TABLE user_state", None)?;
        }
        self.exist.set(Some(false));
        Ok(())
    }

    /// Replaces the record's JSON (`None` removes it); see [`Tables::commit`].
    fn write_record_json(&self, create_tables: bool, json: Option<&str>) -> worker::Result<()> {
        if create_tables {
            for statement in SCHEMA {
                self.sql.exec(statement, None)?;
            }
        }
        self.sql.exec("DELETE FROM record_part", None)?;
        if let Some(json) = json {
            for (index, part) in parts(json, PART_BYTES).enumerate() {
                self.sql.exec(
                    "INSERT INTO record_part (part, text) VALUES (?, ?)",
                    vec![(index as i64).into(), part.into()],
                )?;
            }
        }
        Ok(())
    }
}

/// `text` cut into pieces of at most `max` bytes, at character boundaries.
fn parts(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.len().min(max);
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        if end == 0 {
            // `max` is smaller than the first character: that one alone.
            end = rest.chars().next().map_or(rest.len(), char::len_utf8);
        }
        let (part, tail) = rest.split_at(end);
        rest = tail;
        Some(part)
    })
}

#[cfg(test)]
mod tests {
    use super::parts;

    #[test]
    fn parts_keep_characters_whole_and_join_to_the_text() {
        let text = "aé😀b".repeat(5);
        for max in [1, 4, 5, 7, 100] {
            let pieces: Vec<&str> = parts(&text, max).collect();
            assert!(pieces.iter().all(|piece| !piece.is_empty() && piece.len() <= max.max(4)), "{max}: {pieces:?}");
            assert_eq!(pieces.concat(), text);
        }
        assert_eq!(parts("", 4).count(), 0);
    }
}
