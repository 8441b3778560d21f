//! What a bulk operation's Durable Object keeps in its SQLite storage: one
//! row about the operation, and one per user. Every call is synchronous, so
//! each is one atomic step of the object.
//!
//! - `operation`: one row (`id = 0`): the operation's id and environment,
//!   `total` users, `queued_rows` (the first rows whose messages are on the
//!   queue), `send_failures` in a row, and its times; its `kind` (what it
//!   does to each row's user, [`OperationKind::name`]) and, for
//!   `users.set_preferences`, the `shared_body` every row applies (dropped
//!   once the operation has ended).
//! - `row`: a user's id, its identify `body` (`users.identify`; empty for
//!   the other kinds, and emptied once the row has ended: personal data is
//!   kept no longer than it is needed), its `state`
//!   ([`PENDING`], [`APPLIED`], [`REFUSED`]) and, for a row not applied, its
//!   error item (a [`RowOutcome`] as JSON).

use super::message::{decode_rows, OperationKind, RowOutcome};
use crate::worker::error::ApiError;
use crate::worker::kept_answers::{KeptAnswer, KeptAnswers};
use crate::worker::transaction::{transaction_sync, RawStorage};
use serde::Deserialize;
use std::cell::Cell;
use worker::{SqlStorage, SqlStorageValue, Storage};

/// A row's state: waiting for its user's identify.
const PENDING: i64 = 0;
/// The user was identified.
const APPLIED: i64 = 1;
/// The user was not identified: refused, or unreachable on every delivery.
const REFUSED: i64 = 2;

const SCHEMA: [&str; 2] = [
    "CREATE TABLE operation (
        id INTEGER PRIMARY KEY CHECK (id = 0),
        operation_id TEXT NOT NULL,
        environment TEXT NOT NULL,
        total INTEGER NOT NULL,
        queued_rows INTEGER NOT NULL,
        send_failures INTEGER NOT NULL,
        inserted_at TEXT NOT NULL,
        inserted_ms INTEGER NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        completed_ms INTEGER,
        updated_at TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'users.identify',
        shared_body TEXT
    )",
    "CREATE TABLE row (
        idx INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        body TEXT NOT NULL,
        state INTEGER NOT NULL,
        error_item TEXT
    )",
];

/// The operation's row (but its shared body).
#[derive(Debug, Deserialize)]
pub struct Operation {
    pub operation_id: String,
    pub environment: String,
    pub total: i64,
    pub queued_rows: i64,
    pub inserted_at: String,
    pub inserted_ms: i64,
    pub started_at: Option<String>,
    pub completed_at: Option<String>,
    pub completed_ms: Option<i64>,
    pub updated_at: String,
    /// What the operation does ([`OperationKind::name`]).
    pub kind: String,
}

impl Operation {
    /// What the operation does.
    pub fn kind(&self) -> Result<OperationKind, ApiError> {
        OperationKind::from_name(&self.kind)
    }
}

/// A new operation's work, as its object stores it.
pub struct NewRows<'a> {
    pub kind: OperationKind,
    /// The identify body every row applies (`users.set_preferences`).
    pub shared_body: Option<&'a str>,
    /// The rows' lines ([`super::message::encode_rows`], [`super::message::encode_ids`]).
    pub rows: &'a str,
}

/// The operation's counts and error items, as its summary shows them.
pub struct Progress {
    pub operation: Operation,
    pub applied: i64,
    pub refused: i64,
    /// Each row not applied: its user id and outcome.
    pub error_items: Vec<(String, RowOutcome)>,
}

/// A row still to be applied: its user, what to do, and the identify
/// body (its own, the operation's shared one, or empty for a delete).
#[derive(Debug)]
pub struct PendingRow {
    pub user_id: String,
    pub kind: OperationKind,
    pub body: String,
}

/// A row as the consumer asks for it.
pub enum RowState {
    Pending(PendingRow),
    Ended,
    /// No such row: the operation does not exist (any more).
    Missing,
}

/// The operation's tables.
pub struct OperationTables {
    sql: SqlStorage,
    /// The answer kept for the creating request's `Idempotency-Key`.
    pub kept: KeptAnswers,
    storage: RawStorage,
    /// Whether the operation exists, once known.
    exists: Cell<Option<bool>>,
    /// Whether this instance brought an earlier version's tables up to date.
    migrated: Cell<bool>,
}

impl OperationTables {
    pub fn new(storage: &Storage) -> Self {
        OperationTables {
            kept: KeptAnswers::new(storage.sql()),
            sql: storage.sql(),
            storage: RawStorage::of(storage),
            exists: Cell::new(None),
            migrated: Cell::new(false),
        }
    }

    /// Creates the operation and its pending rows (from [`super::message::encode_rows`])
    /// as one transaction: all of it, or nothing.
    pub fn create(
        &self,
        operation_id: &str,
        environment: &str,
        new: NewRows<'_>,
        now: (String, i64),
        kept: Option<KeptAnswer>,
    ) -> Result<(), ApiError> {
        if self.exists()? {
            return Err(ApiError::internal("bulk operation: created twice"));
        }
        let sql = self.sql.clone();
        let kept_answers = self.kept.clone();
        let (operation_id, environment, rows) = (operation_id.to_owned(), environment.to_owned(), new.rows.to_owned());
        let (kind, shared_body) = (new.kind.name(), new.shared_body.map(str::to_owned));
        let write = move || -> Result<(), ApiError> {
            for statement in SCHEMA {
                sql.exec(statement, None)?;
            }
            let mut total = 0;
            for (index, row) in decode_rows(&rows).enumerate() {
                let (user_id, body) = row?;
                let values: Vec<SqlStorageValue> =
                    vec![(index as i64).into(), user_id.into(), body.into(), PENDING.into()];
                sql.exec("INSERT INTO row (idx, user_id, body, state) VALUES (?, ?, ?, ?)", values)?;
                total += 1;
            }
            let (at, ms) = now;
            let values: Vec<SqlStorageValue> = vec![
                operation_id.into(),
                environment.into(),
                total.into(),
                at.clone().into(),
                ms.into(),
                at.into(),
                kind.into(),
                shared_body.clone().into(),
            ];
            sql.exec(
                "INSERT INTO operation (id, operation_id, environment, total, queued_rows, send_failures,
                     inserted_at, inserted_ms, updated_at, kind, shared_body)
                 VALUES (0, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?)",
                values,
            )?;
            if let Some(kept) = &kept {
                kept_answers.keep(kept)?;
            }
            Ok(())
        };
        transaction_sync(&self.storage, move || write().map_err(|error| worker::Error::RustError(error.to_string())))
            .map_err(|error| {
            self.kept.unsure();
            ApiError::internal(error)
        })?;
        self.exists.set(Some(true));
        Ok(())
    }

    /// The operation, if it exists.
    pub fn operation(&self) -> Result<Option<Operation>, ApiError> {
        if !self.exists()? {
            return Ok(None);
        }
        // Not its shared body, which the rows read when they need it.
        let columns = "operation_id, environment, total, queued_rows, inserted_at, inserted_ms, started_at,
                       completed_at, completed_ms, updated_at, kind";
        let query = format!("SELECT {columns} FROM operation");
        Ok(self.sql.exec(&query, None)?.to_array::<Operation>()?.into_iter().next())
    }

    /// The operation with its counts and error items, if it exists.
    pub fn progress(&self) -> Result<Option<Progress>, ApiError> {
        #[derive(Deserialize)]
        struct Counts {
            applied: i64,
            refused: i64,
        }
        #[derive(Deserialize)]
        struct ErrorItem {
            user_id: String,
            error_item: String,
        }
        let Some(operation) = self.operation()? else { return Ok(None) };
        let counts: Counts = self
            .sql
            .exec(
                "SELECT COALESCE(SUM(state = ?), 0) AS applied, COALESCE(SUM(state = ?), 0) AS refused FROM row",
                vec![APPLIED.into(), REFUSED.into()],
            )?
            .one()?;
        let items: Vec<ErrorItem> = self
            .sql
            .exec("SELECT user_id, error_item FROM row WHERE state = ? ORDER BY idx", vec![REFUSED.into()])?
            .to_array()?;
        let error_items = items
            .into_iter()
            .map(|item| Ok((item.user_id, serde_json::from_str(&item.error_item).map_err(ApiError::internal)?)))
            .collect::<Result<_, ApiError>>()?;
        Ok(Some(Progress { operation, applied: counts.applied, refused: counts.refused, error_items }))
    }

    /// Row `index`: pending (with its user, kind and body), ended, or missing.
    pub fn row(&self, index: i64) -> Result<RowState, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            user_id: String,
            body: String,
            state: i64,
            kind: String,
            shared_body: Option<String>,
        }
        if !self.exists()? {
            return Ok(RowState::Missing);
        }
        let row: Option<Row> = self
            .sql
            .exec(
                "SELECT row.user_id, row.body, row.state, operation.kind,
                        CASE WHEN row.state = ? THEN operation.shared_body END AS shared_body
                 FROM row, operation WHERE row.idx = ?",
                vec![PENDING.into(), index.into()],
            )?
            .to_array()?
            .into_iter()
            .next();
        Ok(match row {
            None => RowState::Missing,
            Some(row) if row.state == PENDING => RowState::Pending(PendingRow {
                user_id: row.user_id,
                kind: OperationKind::from_name(&row.kind)?,
                body: row.shared_body.unwrap_or(row.body),
            }),
            Some(_) => RowState::Ended,
        })
    }

    /// Records a pending row's outcome and drops its body (a row already
    /// ended keeps its first outcome); the time the operation ended, if
    /// this was its last pending row.
    pub fn report(&self, index: i64, outcome: &RowOutcome, now: (String, i64)) -> Result<Option<i64>, ApiError> {
        let (state, error_item) = if outcome.ok {
            (APPLIED, None)
        } else {
            (REFUSED, Some(serde_json::to_string(outcome).map_err(ApiError::internal)?))
        };
        let changed = self
            .sql
            .exec(
                "UPDATE row SET state = ?, error_item = ?, body = '' WHERE idx = ? AND state = ?",
                vec![state.into(), error_item.into(), index.into(), PENDING.into()],
            )?
            .rows_written();
        if changed == 0 {
            return Ok(None);
        }
        let (at, ms) = now;
        self.sql.exec(
            "UPDATE operation SET started_at = COALESCE(started_at, ?), updated_at = ?",
            vec![at.clone().into(), at.clone().into()],
        )?;
        self.end_if_done(at, ms)
    }

    /// Ends the operation once no row is pending; the time it ended then.
    fn end_if_done(&self, at: String, ms: i64) -> Result<Option<i64>, ApiError> {
        let ended = self
            .sql
            .exec(
                "UPDATE operation SET completed_at = ?, completed_ms = ?, shared_body = NULL
                 WHERE completed_at IS NULL AND NOT EXISTS (SELECT 1 FROM row WHERE state = ?)",
                vec![at.into(), ms.into(), PENDING.into()],
            )?
            .rows_written();
        Ok((ended > 0).then_some(ms))
    }

    /// Records every row still pending as `outcome` (the queue can no
    /// longer deliver them) and ends the operation; the time it ended.
    pub fn give_up(&self, outcome: &RowOutcome, now: (String, i64)) -> Result<Option<i64>, ApiError> {
        let error_item = serde_json::to_string(outcome).map_err(ApiError::internal)?;
        self.sql.exec(
            "UPDATE row SET state = ?, error_item = ?, body = '' WHERE state = ?",
            vec![REFUSED.into(), error_item.into(), PENDING.into()],
        )?;
        let (at, ms) = now;
        self.end_if_done(at, ms)
    }

    /// The rows from `first`, at most `count`, as queue messages are made of them.
    pub fn row_indexes(&self, first: i64, count: i64) -> Result<Vec<i64>, ApiError> {
        #[derive(Deserialize)]
        struct Index {
            idx: i64,
        }
        let rows: Vec<Index> = self
            .sql
            .exec("SELECT idx FROM row WHERE idx >= ? ORDER BY idx LIMIT ?", vec![first.into(), count.into()])?
            .to_array()?;
        Ok(rows.into_iter().map(|row| row.idx).collect())
    }

    /// Notes that the messages of the rows before `queued` are on the queue.
    pub fn set_queued(&self, queued: i64) -> Result<(), ApiError> {
        self.sql.exec("UPDATE operation SET queued_rows = ?, send_failures = 0", vec![queued.into()])?;
        Ok(())
    }

    /// Counts a failed send; the failures in a row.
    pub fn send_failed(&self) -> Result<i64, ApiError> {
        #[derive(Deserialize)]
        struct Failures {
            send_failures: i64,
        }
        self.sql.exec("UPDATE operation SET send_failures = send_failures + 1", None)?;
        Ok(self.sql.exec("SELECT send_failures FROM operation", None)?.one::<Failures>()?.send_failures)
    }

    /// Whether the tables were just brought up to date (once per instance):
    /// such an operation has no alarm yet.
    pub fn take_migrated(&self) -> Result<bool, ApiError> {
        self.exists()?;
        Ok(self.migrated.replace(false))
    }

    /// Notes that the object's storage was deleted (`deleteAll`).
    pub fn forget(&self) {
        self.exists.set(Some(false));
        self.kept.forget();
    }

    /// Whether the operation exists. The first time, an operation made by
    /// an earlier version is brought up to date: one whose single row is
    /// keyed by a column `one` (its rows queued by the Worker itself), and
    /// one made before operations had kinds (a bulk identify).
    fn exists(&self) -> Result<bool, ApiError> {
        #[derive(Deserialize)]
        struct Table {
            sql: String,
        }
        if let Some(exists) = self.exists.get() {
            return Ok(exists);
        }
        let tables: Vec<Table> = self
            .sql
            .exec("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'operation'", None)?
            .to_array()?;
        if tables.iter().any(|table| table.sql.contains("one INTEGER PRIMARY KEY")) {
            let sql = self.sql.clone();
            transaction_sync(&self.storage, move || sql.exec(MIGRATION, None).map(|_| ()))?;
            self.migrated.set(true);
        }
        if tables.iter().any(|table| !table.sql.contains("kind TEXT")) {
            let sql = self.sql.clone();
            transaction_sync(&self.storage, move || sql.exec(KIND_MIGRATION, None).map(|_| ()))?;
        }
        let exists = !tables.is_empty();
        self.exists.set(Some(exists));
        Ok(exists)
    }
}

/// The tables of an operation made before rows were queued by the object
/// and their bodies dropped, as they are now.
const MIGRATION: &str = "
    ALTER TABLE operation RENAME COLUMN id TO operation_id;
    ALTER TABLE operation RENAME COLUMN one TO id;
    ALTER TABLE operation ADD COLUMN environment TEXT NOT NULL DEFAULT '';
    ALTER TABLE operation ADD COLUMN queued_rows INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE operation ADD COLUMN send_failures INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE operation ADD COLUMN inserted_ms INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE operation ADD COLUMN completed_ms INTEGER;
    UPDATE operation SET queued_rows = total,
        inserted_ms = CAST(strftime('%s', inserted_at) AS INTEGER) * 1000,
        completed_ms = CAST(strftime('%s', completed_at) AS INTEGER) * 1000;
    ALTER TABLE row RENAME COLUMN failure TO error_item;
    UPDATE row SET body = '' WHERE state != 0";

/// The tables of an operation made before operations had kinds: a bulk
/// identify, whose rows hold their own bodies.
const KIND_MIGRATION: &str = "
    ALTER TABLE operation ADD COLUMN kind TEXT NOT NULL DEFAULT 'users.identify';
    ALTER TABLE operation ADD COLUMN shared_body TEXT";
