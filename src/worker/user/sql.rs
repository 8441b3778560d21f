//! What a user's Durable Object keeps in its own SQLite storage: one row of
//! bookkeeping, the record's JSON, and the decisions it made on bulk rows.
//! Every call here is synchronous (the SQL API of SQLite-backed objects),
//! so a read, a merge and a write made without an `await` between them are
//! one atomic step of the object.
//!
//! - `user_state`: at most one row (`id = 0`). Absent: the object has never
//!   held this user (KV may still have it, from before the objects). With
//!   `has_record = 0`: the user was deleted (a tombstone: KV is not read
//!   again until the tombstone is dropped, see [`super::flush`]). `version`
//!   counts changes, `flushed_version` is the change KV holds,
//!   `indexed_version` the change the users index holds (contract §10;
//!   0 in an object from before the index: its next wake writes its row),
//!   `flush_at_ms` the time of the pending alarm (NULL: none).
//! - `record_chunk`: the record's JSON (`StoredUser::as_json`), in chunks of
//!   at most [`CHUNK_BYTES`], as SQLite-backed objects limit a string to 2 MB.
//! - `bulk_row_decision`: each bulk row (`{operation}/{row}`) this object
//!   applied or refused in the last [`BULK_ROW_MEMORY_MS`], so that a row
//!   delivered again is decided the same way and never applied twice
//!   (contract §5b). Written in the same transaction as the change.
//! - `kept_answer` ([`crate::worker::kept_answers`]) and `change_entry`
//!   ([`super::history`]): the answers kept for `Idempotency-Key` and the
//!   change history (contract §9), written in the same transaction too.
//!
//! The user's ETag is `"{epoch}.{version}"`: `epoch` is random, drawn when
//! the state is made (a new user, a user adopted from KV, a user back
//! after its tombstone was dropped), so two lives of a user never share one.
//!
//! The tables are created by the first commit; until then every read finds
//! nothing, so a GET of an unknown user writes nothing.

use super::history::{self, ChangeEntry};
use crate::worker::kept_answers::{self, KeptAnswer, KeptAnswers};
use crate::worker::transaction::{transaction_sync, RawStorage};
use serde::Deserialize;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use worker::{SqlStorage, SqlStorageValue, Storage};

/// The largest chunk of a record's JSON in one row (SQLite-backed Durable
/// Objects refuse strings over 2 MB).
const CHUNK_BYTES: usize = 1_000_000;
/// The largest record the object keeps in memory between its events (the
/// wasm memory is shared by every object of the isolate; a larger record is
/// read from SQLite when needed).
const REMEMBERED_RECORD_BYTES: usize = 64 * 1024;
/// How long a bulk row's decision is kept: far longer than the queue keeps
/// redelivering a row (10 retries, 5 s apart, wrangler.toml).
pub const BULK_ROW_MEMORY_MS: i64 = 24 * 60 * 60 * 1000;

const SCHEMA: [&str; 3] = [
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
        failures INTEGER NOT NULL,
        epoch TEXT NOT NULL DEFAULT '',
        indexed_version INTEGER NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS record_chunk (chunk INTEGER PRIMARY KEY, text TEXT NOT NULL)",
    BULK_ROW_SCHEMA,
];
const BULK_ROW_SCHEMA: &str = "CREATE TABLE IF NOT EXISTS bulk_row_decision (
        bulk_row TEXT PRIMARY KEY,
        status INTEGER NOT NULL,
        answer TEXT,
        decided_ms INTEGER NOT NULL
    )";

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
    /// The version the users index holds (contract §10).
    pub indexed_version: i64,
    /// When KV was last written for this user (0: never by this object).
    pub last_flush_ms: i64,
    /// When the pending flush alarm is due; `None` when there is none.
    pub flush_at_ms: Option<i64>,
    /// KV writes that failed in a row (for the retry back-off).
    pub failures: i64,
    /// Random, drawn with the state: what keeps ETags of two lives apart.
    pub epoch: String,
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

    /// Whether KV and the users index both hold the latest change.
    pub fn is_synced(&self) -> bool {
        self.version == self.flushed_version && self.version == self.indexed_version
    }

    /// A deleted user whose deletion KV and the index hold: the object's
    /// only pending alarm, if any, is the one that drops the tombstone.
    pub fn is_flushed_tombstone(&self) -> bool {
        !self.holds_record() && self.is_synced()
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

    /// The user's ETag (contract §9), while the object holds it.
    pub fn etag(&self) -> Option<String> {
        self.holds_record().then(|| format!("\"{}.{}\"", self.epoch, self.version))
    }

    /// The state of a user the object has not held before; `epoch` random.
    pub fn new(environment: &str, user_id: &str, epoch: String) -> Self {
        UserState {
            environment: environment.to_string(),
            user_id: user_id.to_string(),
            has_record: 0,
            version: 0,
            last_write_ms: 0,
            flushed_version: 0,
            indexed_version: 0,
            last_flush_ms: 0,
            flush_at_ms: None,
            failures: 0,
            epoch,
        }
    }
}

/// What the object decided on one bulk row: `status` 204 (applied) or 422
/// (refused, with the object's `answer`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BulkRowDecision {
    pub bulk_row: String,
    pub status: i64,
    pub answer: Option<String>,
    pub decided_ms: i64,
}

/// What one write of the object stores, as one transaction.
#[derive(Default)]
pub struct Commit {
    /// The record's new JSON (`Some(None)` removes it); `None` leaves it.
    pub record: Option<Option<String>>,
    pub state: Option<UserState>,
    pub decision: Option<BulkRowDecision>,
    pub answer: Option<KeptAnswer>,
    pub history: History,
}

/// What a write does to the change history.
#[derive(Default)]
pub enum History {
    #[default]
    Unchanged,
    Add(ChangeEntry),
    Erase,
}

impl History {
    /// A write's entry: one when it `changed` something and the user has
    /// an ETag after it (contract §9d), else none.
    pub fn of_write(changed: Vec<String>, etag: Option<String>, at: &str, request_id: &str, route: &str) -> History {
        match (changed.is_empty(), etag) {
            (false, Some(etag)) => History::Add(ChangeEntry {
                etag,
                at: at.to_owned(),
                request_id: request_id.to_owned(),
                route: route.to_owned(),
                changed,
            }),
            _ => History::Unchanged,
        }
    }
}

/// The object's SQL storage. It asks SQLite once whether the tables exist
/// and then remembers: they are created by the first commit and never
/// dropped, so most calls are one statement. The object is the only writer
/// of its storage, so the state and the record it last read or wrote are
/// remembered too ([`Memory`]): an identify and its flush read neither
/// from SQLite again.
#[derive(Clone)]
pub struct Tables {
    sql: SqlStorage,
    storage: RawStorage,
    /// `None` until known; `Some(true)` from the first successful commit.
    exist: Rc<Cell<Option<bool>>>,
    memory: Rc<RefCell<Memory>>,
    pub kept: KeptAnswers,
}

/// What the object's SQLite holds, as last read or written: `None` when
/// not known (never read, or a write that failed, whose outcome is then
/// read again), `Some(None)` when the storage holds none.
#[derive(Default)]
struct Memory {
    state: Option<Option<UserState>>,
    record: Option<Option<String>>,
}

/// What [`Memory::record`] holds for the record `json`: not known when it
/// is too large to keep.
fn remembered(json: Option<&str>) -> Option<Option<String>> {
    match json {
        Some(json) if json.len() > REMEMBERED_RECORD_BYTES => None,
        json => Some(json.map(str::to_owned)),
    }
}

impl Tables {
    /// The tables of the object whose storage this is.
    pub fn new(storage: &Storage) -> Self {
        let sql = storage.sql();
        Tables {
            kept: KeptAnswers::new(sql.clone()),
            sql,
            storage: RawStorage::of(storage),
            exist: Rc::default(),
            memory: Rc::default(),
        }
    }

    /// Whether the object has ever written its tables. The first time, it
    /// also brings the tables of an object written by an earlier version up
    /// to date (`record_part` became `record_chunk`; `bulk_row_decision`,
    /// `change_entry`, the state's `epoch` and its `indexed_version` are new).
    fn exist(&self) -> worker::Result<bool> {
        if let Some(exist) = self.exist.get() {
            return Ok(exist);
        }
        #[derive(Deserialize)]
        struct Table {
            name: String,
            sql: String,
        }
        let tables: Vec<Table> =
            self.sql.exec("SELECT name, sql FROM sqlite_master WHERE type = 'table'", None)?.to_array()?;
        let has = |name: &str| tables.iter().any(|table| table.name == name);
        let exist = has("user_state");
        self.kept.note_exists(has("kept_answer"));
        if tables.iter().any(|table| table.name == "user_state" && !table.sql.contains("indexed_version")) {
            self.sql.exec("ALTER TABLE user_state ADD COLUMN indexed_version INTEGER NOT NULL DEFAULT 0", None)?;
        }
        if tables.iter().any(|table| table.name == "user_state" && !table.sql.contains("epoch")) {
            self.sql.exec(
                "ALTER TABLE user_state ADD COLUMN epoch TEXT NOT NULL DEFAULT '';
                 UPDATE user_state SET epoch = lower(hex(randomblob(8)))",
                None,
            )?;
        }
        if exist && has("record_part") {
            self.sql.exec(
                "ALTER TABLE record_part RENAME TO record_chunk; ALTER TABLE record_chunk RENAME COLUMN part TO chunk",
                None,
            )?;
        }
        if exist && !has("bulk_row_decision") {
            self.sql.exec(BULK_ROW_SCHEMA, None)?;
        }
        if exist && !has("change_entry") {
            self.sql.exec(history::SCHEMA, None)?;
        }
        self.exist.set(Some(exist));
        Ok(exist)
    }

    /// The user's state, if the object has held the user.
    pub fn read(&self) -> worker::Result<Option<UserState>> {
        if let Some(state) = &self.memory.borrow().state {
            return Ok(state.clone());
        }
        if !self.exist()? {
            return Ok(None);
        }
        let rows: Vec<UserState> = self
            .sql
            .exec(
                "SELECT environment, user_id, has_record, version, last_write_ms, flushed_version,
                        indexed_version, last_flush_ms, flush_at_ms, failures, epoch
                 FROM user_state WHERE id = 0",
                None,
            )?
            .to_array()?;
        let state = rows.into_iter().next();
        self.memory.borrow_mut().state = Some(state.clone());
        Ok(state)
    }

    /// Writes the state of a user the object holds (its tables exist).
    pub fn save(&self, state: &UserState) -> worker::Result<()> {
        self.memory.borrow_mut().state = None;
        self.save_row(state)?;
        self.memory.borrow_mut().state = Some(Some(state.clone()));
        Ok(())
    }

    /// The statement of [`Tables::save`], leaving the memory to the caller.
    fn save_row(&self, state: &UserState) -> worker::Result<()> {
        let values: Vec<SqlStorageValue> = vec![
            state.environment.as_str().into(),
            state.user_id.as_str().into(),
            state.has_record.into(),
            state.version.into(),
            state.last_write_ms.into(),
            state.flushed_version.into(),
            state.indexed_version.into(),
            state.last_flush_ms.into(),
            state.flush_at_ms.into(),
            state.failures.into(),
            state.epoch.as_str().into(),
        ];
        self.sql.exec(
            "INSERT OR REPLACE INTO user_state (id, environment, user_id, has_record, version, last_write_ms,
                 flushed_version, indexed_version, last_flush_ms, flush_at_ms, failures, epoch)
             VALUES (0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            values,
        )?;
        Ok(())
    }

    /// The record's JSON as stored (`None` when there is no record).
    pub fn read_record_json(&self) -> worker::Result<Option<String>> {
        #[derive(Deserialize)]
        struct Chunk {
            text: String,
        }
        if let Some(record) = &self.memory.borrow().record {
            return Ok(record.clone());
        }
        if !self.exist()? {
            return Ok(None);
        }
        let chunks: Vec<Chunk> = self.sql.exec("SELECT text FROM record_chunk ORDER BY chunk", None)?.to_array()?;
        let json = (!chunks.is_empty()).then(|| chunks.into_iter().map(|chunk| chunk.text).collect::<String>());
        self.memory.borrow_mut().record = remembered(json.as_deref());
        Ok(json)
    }

    /// The object's decision on `bulk_row`, if it made one.
    pub fn bulk_row_decision(&self, bulk_row: &str) -> worker::Result<Option<BulkRowDecision>> {
        if !self.exist()? {
            return Ok(None);
        }
        let rows: Vec<BulkRowDecision> = self
            .sql
            .exec(
                "SELECT bulk_row, status, answer, decided_ms FROM bulk_row_decision WHERE bulk_row = ?",
                vec![bulk_row.into()],
            )?
            .to_array()?;
        Ok(rows.into_iter().next())
    }

    /// When the latest bulk row decision still kept was made.
    pub fn latest_bulk_row_ms(&self) -> worker::Result<Option<i64>> {
        #[derive(Deserialize)]
        struct Latest {
            latest: Option<i64>,
        }
        if !self.exist()? {
            return Ok(None);
        }
        let latest: Latest = self.sql.exec("SELECT MAX(decided_ms) AS latest FROM bulk_row_decision", None)?.one()?;
        Ok(latest.latest)
    }

    /// Writes what `commit` holds as one transaction, creating the tables
    /// first if they are not there: if any statement fails, none of them
    /// stays, so a failed write never leaves a cut record, a change the
    /// flush would not see, a row applied but not remembered, an answer
    /// kept for a write that did not happen, or a change not in the history.
    pub fn commit(&self, commit: Commit) -> worker::Result<()> {
        // Until the transaction has ended, what the storage holds is not known.
        let state = commit.state.clone();
        let record = commit.record.as_ref().map(|json| remembered(json.as_deref()));
        *self.memory.borrow_mut() = Memory::default();
        self.transaction(move |tables, create| {
            if create {
                tables.create()?;
            }
            if let Some(json) = commit.record {
                tables.write_record_json(json.as_deref())?;
            }
            if let Some(state) = &commit.state {
                tables.save_row(state)?;
            }
            if let Some(decision) = &commit.decision {
                tables.remember(decision)?;
            }
            if let Some(answer) = &commit.answer {
                tables.kept.keep(answer)?;
            }
            match &commit.history {
                History::Unchanged => Ok(()),
                History::Add(entry) => history::add(&tables.sql, entry),
                History::Erase => history::erase(&tables.sql),
            }
        })?;
        let mut memory = self.memory.borrow_mut();
        if let Some(state) = state {
            memory.state = Some(Some(state));
        }
        if let Some(record) = record {
            memory.record = record;
        }
        Ok(())
    }

    /// A page of the change history ([`history::page`]).
    pub fn history_page(&self, page_size: u8, after: Option<history::Cursor>) -> worker::Result<String> {
        history::page(&self.sql, page_size, after)
    }

    /// Runs `write` as one transaction ([`transaction_sync`]), telling it
    /// whether the tables are yet to be created.
    fn transaction(&self, write: impl FnOnce(&Tables, bool) -> worker::Result<()> + 'static) -> worker::Result<()> {
        let tables = self.clone();
        let create = !self.exist()?;
        transaction_sync(&self.storage, move || write(&tables, create)).inspect_err(|_| self.kept.unsure())?;
        self.exist.set(Some(true));
        Ok(())
    }

    /// Keeps `decision`, and forgets decisions older than [`BULK_ROW_MEMORY_MS`].
    fn remember(&self, decision: &BulkRowDecision) -> worker::Result<()> {
        self.sql.exec(
            "DELETE FROM bulk_row_decision WHERE decided_ms < ?",
            vec![(decision.decided_ms - BULK_ROW_MEMORY_MS).into()],
        )?;
        let values: Vec<SqlStorageValue> = vec![
            decision.bulk_row.as_str().into(),
            decision.status.into(),
            decision.answer.clone().into(),
            decision.decided_ms.into(),
        ];
        self.sql.exec(
            "INSERT OR REPLACE INTO bulk_row_decision (bulk_row, status, answer, decided_ms) VALUES (?, ?, ?, ?)",
            values,
        )?;
        Ok(())
    }

    /// Creates every table in one statement: a new user's first write
    /// runs one call into SQLite for them, not one a table.
    fn create(&self) -> worker::Result<()> {
        let script =
            SCHEMA.iter().copied().chain([history::SCHEMA, kept_answers::SCHEMA]).collect::<Vec<_>>().join(";\n");
        self.sql.exec(&script, None)?;
        self.kept.note_exists(true);
        Ok(())
    }

    /// Drops every table: the object is as if it had never held its user
    /// (its next request reads KV again). One statement, no `await`.
    pub fn drop_all(&self) -> worker::Result<()> {
        *self.memory.borrow_mut() = Memory::default();
        if self.exist()? {
            self.sql.exec(
                "DROP TABLE record_chunk; DROP TABLE user_state; DROP TABLE bulk_row_decision;
                 DROP TABLE IF EXISTS kept_answer; DROP TABLE IF EXISTS change_entry",
                None,
            )?;
        }
        self.exist.set(Some(false));
        self.kept.forget();
        *self.memory.borrow_mut() = Memory { state: Some(None), record: Some(None) };
        Ok(())
    }

    /// Replaces the record's JSON (`None` removes it); see [`Tables::commit`].
    fn write_record_json(&self, json: Option<&str>) -> worker::Result<()> {
        self.sql.exec("DELETE FROM record_chunk", None)?;
        if let Some(json) = json {
            for (index, chunk) in chunks(json, CHUNK_BYTES).enumerate() {
                self.sql.exec(
                    "INSERT INTO record_chunk (chunk, text) VALUES (?, ?)",
                    vec![(index as i64).into(), chunk.into()],
                )?;
            }
        }
        Ok(())
    }
}

/// `text` cut into pieces of at most `max` bytes, at character boundaries.
fn chunks(text: &str, max: usize) -> impl Iterator<Item = &str> {
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
        let (chunk, tail) = rest.split_at(end);
        rest = tail;
        Some(chunk)
    })
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_keep_characters_whole_and_join_to_the_text() {
        let text = "aé😀b".repeat(5);
        for max in [1, 4, 5, 7, 100] {
            let pieces: Vec<&str> = chunks(&text, max).collect();
            assert!(pieces.iter().all(|piece| !piece.is_empty() && piece.len() <= max.max(4)), "{max}: {pieces:?}");
            assert_eq!(pieces.concat(), text);
        }
        assert_eq!(chunks("", 4).count(), 0);
    }
}
