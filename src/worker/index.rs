//! The users index in Cloudflare D1 (contract §10): one row per user, the
//! list's view of the record KV holds. A user's object writes its row
//! through the same flush as its KV record ([`super::user::flush`]); the
//! list route reads pages of rows ([`super::list`]).
//!
//! A row holds the user's environment and id (the list's order: ids
//! compared as UTF-8 bytes, SQLite's `BINARY` collation), its email, its
//! answer (contract §4) and its preference sets as `include[]=preferences`
//! answers them, and the object's epoch and version of what it holds. A
//! row takes only a later version of the same life (or any version of
//! another), so a write that lands late, after a later one, changes
//! nothing. A delete leaves the row with no user (never listed) until the
//! object drops its own tombstone, so that a late write cannot bring the
//! user back either.
//!
//! The Worker creates the table and its email index itself, once per
//! isolate, with `CREATE ... IF NOT EXISTS` (one round trip): a new
//! database, local or deployed, needs no migration step.

use super::clock::within;
use super::error::ApiError;
use serde::Deserialize;
use std::cell::Cell;
use std::time::Duration;
use wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, Env};

/// The D1 binding (wrangler.toml `[[d1_databases]]`).
const BINDING: &str = "USERS_INDEX";
/// How long one D1 call may take before it counts as failed.
const D1_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: [&str; 2] = [
    "CREATE TABLE IF NOT EXISTS listed_user (
        environment TEXT NOT NULL,
        user_id TEXT NOT NULL,
        epoch TEXT NOT NULL,
        version INTEGER NOT NULL,
        email TEXT,
        user_json TEXT,
        preference_sets TEXT,
        PRIMARY KEY (environment, user_id)
    )",
    "CREATE INDEX IF NOT EXISTS listed_user_by_email ON listed_user (environment, email, user_id)
        WHERE email IS NOT NULL",
];

/// A row's write: it applies only over an older version of the same life,
/// or over another life's row.
const WRITE: &str = "INSERT INTO listed_user (environment, user_id, epoch, version, email, user_json, preference_sets)
    VALUES (?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (environment, user_id) DO UPDATE SET
        epoch = excluded.epoch, version = excluded.version, email = excluded.email,
        user_json = excluded.user_json, preference_sets = excluded.preference_sets
    WHERE listed_user.epoch <> excluded.epoch OR listed_user.version < excluded.version";

thread_local! {
    /// Whether this isolate has created the schema (or found it there).
    static SCHEMA_READY: Cell<bool> = const { Cell::new(false) };
}

/// What a user's object writes of its user: who, which version, and the
/// user's listed parts (`None` for a deleted user).
pub struct IndexRow<'a> {
    pub environment: &'a str,
    pub user_id: &'a str,
    pub epoch: &'a str,
    pub version: i64,
    pub listed: Option<Listed>,
}

/// A user's listed parts, from its stored record.
pub struct Listed {
    pub email: Option<String>,
    pub user_json: String,
    pub preference_sets: String,
}

/// A page to read: the environment's users after or before a place (a
/// user id), those with `email` only when it is given.
pub struct PageQuery<'a> {
    pub environment: &'a str,
    pub place: Place<'a>,
    pub email: Option<&'a str>,
    pub page_size: u8,
    pub preferences: bool,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place<'a> {
    First,
    After(&'a str),
    Before(&'a str),
}

/// A page read: its users in the list's order, whether users come before
/// and after it, and the rows D1 read for it.
pub struct Page {
    pub rows: Vec<PageRow>,
    pub more_before: bool,
    pub more_after: bool,
    pub rows_read: usize,
}

/// One listed user.
#[derive(Deserialize)]
pub struct PageRow {
    pub user_id: String,
    pub user_json: String,
    #[serde(default)]
    pub preference_sets: Option<String>,
}

/// The users index.
pub struct Index {
    db: D1Database,
}

impl Index {
    /// The index of the Worker's D1 binding; a 500 when it is missing.
    pub fn new(env: &Env) -> Result<Self, ApiError> {
        let db = env.d1(BINDING).map_err(|error| ApiError::config(format!("D1 binding `{BINDING}`: {error}")))?;
        Ok(Index { db })
    }

    /// Writes `row`: the user listed as it is now, or no longer listed.
    pub async fn write(&self, row: &IndexRow<'_>) -> Result<(), ApiError> {
        let (email, user_json, sets) = match &row.listed {
            Some(listed) => {
                (text(listed.email.as_deref()), text(Some(&listed.user_json)), text(Some(&listed.preference_sets)))
            }
            None => (JsValue::NULL, JsValue::NULL, JsValue::NULL),
        };
        let values = [
            row.environment.into(),
            row.user_id.into(),
            row.epoch.into(),
            JsValue::from_f64(row.version as f64),
            email,
            user_json,
            sets,
        ];
        let statement = self.db.prepare(WRITE).bind(&values).map_err(|error| unavailable("write", error))?;
        self.call("write", async {
            self.ready().await?;
            statement.run().await.map(drop)
        })
        .await
    }

    /// Removes the row of a deleted user (no longer listed, the same life),
    /// once its object drops its tombstone.
    pub async fn forget(&self, environment: &str, user_id: &str, epoch: &str) -> Result<(), ApiError> {
        let statement = self
            .db
            .prepare(
                "DELETE FROM listed_user WHERE environment = ? AND user_id = ? AND epoch = ? AND user_json IS NULL",
            )
            .bind(&[environment.into(), user_id.into(), epoch.into()])
            .map_err(|error| unavailable("delete", error))?;
        self.call("delete", async {
            self.ready().await?;
            statement.run().await.map(drop)
        })
        .await
    }

    /// A page of users, and whether others lie before and after it: one
    /// round trip (a batch of the page's query and a check the other way).
    pub async fn page(&self, query: &PageQuery<'_>) -> Result<Page, ApiError> {
        #[derive(Deserialize)]
        struct Found {
            found: i64,
        }
        let size = usize::from(query.page_size);
        let mut filter = String::from("environment = ? AND user_json IS NOT NULL");
        let mut values: Vec<JsValue> = vec![query.environment.into()];
        if let Some(email) = query.email {
            filter.push_str(" AND email = ?");
            values.push(email.into());
        }
        let columns = if query.preferences { "user_id, user_json, preference_sets" } else { "user_id, user_json" };
        let (page_sql, other_sql) = match query.place {
            Place::First => {
                (format!("SELECT {columns} FROM listed_user WHERE {filter} ORDER BY user_id LIMIT {}", size + 1), None)
            }
            Place::After(_) => (
                format!(
                    "SELECT {columns} FROM listed_user WHERE {filter} AND user_id > ? ORDER BY user_id LIMIT {}",
                    size + 1
                ),
                Some(format!("SELECT EXISTS (SELECT 1 FROM listed_user WHERE {filter} AND user_id <= ?) AS found")),
            ),
            Place::Before(_) => (
                format!(
                    "SELECT {columns} FROM listed_user WHERE {filter} AND user_id < ? ORDER BY user_id DESC LIMIT {}",
                    size + 1
                ),
                Some(format!("SELECT EXISTS (SELECT 1 FROM listed_user WHERE {filter} AND user_id >= ?) AS found")),
            ),
        };
        if let Place::After(id) | Place::Before(id) = query.place {
            values.push(id.into());
        }
        let bind = |sql: &str| self.db.prepare(sql).bind(&values).map_err(|error| unavailable("read", error));
        let mut statements = vec![bind(&page_sql)?];
        if let Some(other_sql) = &other_sql {
            statements.push(bind(other_sql)?);
        }
        let results = self
            .call("read", async {
                self.ready().await?;
                self.db.batch(statements).await
            })
            .await?;
        let rows_read = results.iter().filter_map(|result| result.meta().ok().flatten()?.rows_read).sum();
        let read = |error: worker::Error| unavailable("read", error);
        let mut rows: Vec<PageRow> =
            results.first().map(|result| result.results()).transpose().map_err(read)?.unwrap_or_default();
        let other = match results.get(1) {
            Some(result) => result.results::<Found>().map_err(read)?.first().is_some_and(|found| found.found != 0),
            None => false,
        };
        let beyond = rows.len() > size;
        rows.truncate(size);
        Ok(match query.place {
            Place::Before(_) => {
                rows.reverse();
                Page { rows, more_before: beyond, more_after: other, rows_read }
            }
            _ => Page { rows, more_before: other, more_after: beyond, rows_read },
        })
    }

    /// The schema, created once per isolate.
    async fn ready(&self) -> worker::Result<()> {
        if SCHEMA_READY.get() {
            return Ok(());
        }
        let statements = SCHEMA.iter().map(|sql| self.db.prepare(*sql)).collect::<Vec<D1PreparedStatement>>();
        self.db.batch(statements).await?;
        SCHEMA_READY.set(true);
        Ok(())
    }

    /// One D1 call, `what` it does, within [`D1_TIMEOUT`]: a failure or no
    /// answer is a 503 whose reason is logged, never answered.
    async fn call<T>(
        &self,
        what: &str,
        call: impl std::future::Future<Output = worker::Result<T>>,
    ) -> Result<T, ApiError> {
        within(D1_TIMEOUT, call)
            .await
            .map_err(|_| {
                ApiError::unavailable(format!("users index {what}: no answer within {} s", D1_TIMEOUT.as_secs()))
            })?
            .map_err(|error| unavailable(what, error))
    }
}

/// A text value, or SQL's NULL.
fn text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// A D1 failure as a 503, its message (D1's own, not workers-rs' debug
/// form) in the log.
fn unavailable(what: &str, error: worker::Error) -> ApiError {
    let detail = match &error {
        worker::Error::D1(d1) => {
            let inner: &js_sys::Error = d1.as_ref();
            String::from(inner.message())
        }
        other => other.to_string(),
    };
    ApiError::unavailable(format!("users index {what}: {detail}"))
}
