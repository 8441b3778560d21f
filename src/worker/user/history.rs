//! A user's change history (contract §9), in its object's SQLite: one entry
//! per write that changed something, naming what changed (never values),
//! the last [`MAX_ENTRIES`] kept, erased with the user. Entries are written
//! in the same transaction as the change they describe.

use crate::worker::error::ApiError;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use worker::{SqlStorage, SqlStorageValue};

/// The entries kept per user.
pub const MAX_ENTRIES: i64 = 100;

pub const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS change_entry (
        seq INTEGER PRIMARY KEY,
        etag TEXT NOT NULL,
        at TEXT NOT NULL,
        request_id TEXT NOT NULL,
        route TEXT NOT NULL,
        changed TEXT NOT NULL
    )";

/// One write's entry, before it is stored.
pub struct ChangeEntry {
    /// The user's ETag after the write.
    pub etag: String,
    /// The write's `updated_at`.
    pub at: String,
    pub request_id: String,
    /// The route's name (`identify`, `channel_data`, `push_token`, ...).
    pub route: String,
    /// What changed ([`crate::changed_names`]).
    pub changed: Vec<String>,
}

/// Where a page of entries starts: after the entry `seq` (newest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(i64);

impl Cursor {
    /// The cursor of `text`, or a 422 on `after` when it is not one of ours.
    pub fn parse(text: &str) -> Result<Cursor, ApiError> {
        let refused = || {
            ApiError::invalid_params(vec![crate::Problem::new(
                "after",
                crate::ProblemType::Format,
                "expected a cursor from a page's `page_info.after`",
            )])
        };
        let decoded = URL_SAFE_NO_PAD.decode(text).map_err(|_| refused())?;
        let seq = std::str::from_utf8(&decoded).ok().and_then(|text| text.strip_prefix("changes:"));
        seq.and_then(|seq| seq.parse::<i64>().ok()).filter(|seq| *seq > 0).map(Cursor).ok_or_else(refused)
    }

    fn text(self) -> String {
        URL_SAFE_NO_PAD.encode(format!("changes:{}", self.0))
    }
}

/// Stores `entry` and keeps the last [`MAX_ENTRIES`].
/// (The table exists: made with the others, or by the upgrade of an
/// object older than it, `Tables::exist`.)
pub fn add(sql: &SqlStorage, entry: &ChangeEntry) -> worker::Result<()> {
    let changed = serde_json::to_string(&entry.changed).map_err(|error| worker::Error::RustError(error.to_string()))?;
    let values: Vec<SqlStorageValue> = vec![
        entry.etag.as_str().into(),
        entry.at.as_str().into(),
        entry.request_id.as_str().into(),
        entry.route.as_str().into(),
        changed.into(),
    ];
    sql.exec("INSERT INTO change_entry (etag, at, request_id, route, changed) VALUES (?, ?, ?, ?, ?)", values)?;
    sql.exec(
        "DELETE FROM change_entry WHERE seq <= (SELECT MAX(seq) FROM change_entry) - ?",
        vec![MAX_ENTRIES.into()],
    )?;
    Ok(())
}

/// Erases every entry (the user was deleted).
pub fn erase(sql: &SqlStorage) -> worker::Result<()> {
    sql.exec("DELETE FROM change_entry", None)?;
    Ok(())
}

/// A page of entries, newest first, after `after`: the answer's JSON.
pub fn page(sql: &SqlStorage, page_size: u8, after: Option<Cursor>) -> worker::Result<String> {
    #[derive(Deserialize)]
    struct Row {
        seq: i64,
        etag: String,
        at: String,
        request_id: String,
        route: String,
        changed: String,
    }
    sql.exec(SCHEMA, None)?;
    let before_seq = after.map_or(i64::MAX, |Cursor(seq)| seq);
    // One more than the page: whether another page follows.
    let rows: Vec<Row> = sql
        .exec(
            "SELECT seq, etag, at, request_id, route, changed FROM change_entry WHERE seq < ? ORDER BY seq DESC LIMIT ?",
            vec![before_seq.into(), (i64::from(page_size) + 1).into()],
        )?
        .to_array()?;
    let more = rows.len() > usize::from(page_size);
    let rows = &rows[..rows.len().min(usize::from(page_size))];
    let entries: Vec<_> = rows
        .iter()
        .map(|row| {
            let changed: serde_json::Value = serde_json::from_str(&row.changed).unwrap_or_default();
            json!({
                "__typename": "UserChange",
                "etag": row.etag,
                "at": row.at,
                "request_id": row.request_id,
                "route": row.route,
                "changed": changed,
            })
        })
        .collect();
    let next = rows.last().filter(|_| more).map(|row| Cursor(row.seq).text());
    Ok(json!({
        "entries": entries,
        "page_info": { "__typename": "PageInfo", "after": next, "before": null, "page_size": page_size },
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_read_back_and_refuse_what_is_not_one() {
        let cursor = Cursor(42);
        assert_eq!(Cursor::parse(&cursor.text()).ok(), Some(cursor));
        for text in [
            "",
            "42",
            "Y2hhbmdlczow",
            "eA",
            "*",
            &URL_SAFE_NO_PAD.encode("changes:-1"),
            &URL_SAFE_NO_PAD.encode("users:42"),
        ] {
            assert!(Cursor::parse(text).is_err(), "{text}");
        }
    }
}
