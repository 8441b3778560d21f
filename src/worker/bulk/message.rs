//! What a bulk operation's parts say to each other: what the operation
//! does (its kind), the rows as the Worker hands them to a new operation,
//! one queue message per row, and a row's outcome as the consumer reports
//! it to the operation.

use crate::worker::error::ApiError;
use crate::worker::user::client::RowDecision;
use crate::BulkUser;
use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The operations' Durable Object binding (wrangler.toml).
pub const OPERATIONS_BINDING: &str = "BULK_OPERATIONS";
/// The queue's producer binding (wrangler.toml `[[queues.producers]]`).
pub const QUEUE_BINDING: &str = "BULK_QUEUE";

/// What an operation does to each of its rows' users (contract §5b, §5c),
/// stored with the operation by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperationKind {
    /// `users.identify`: each row is a user and its identify body.
    Identify,
    /// `users.delete`: each row is a user id.
    Delete,
    /// `users.set_preferences`: each row is a user id; the operation holds
    /// the one identify body every row applies.
    SetPreferences,
}

impl OperationKind {
    /// Its `BulkOperation`'s `name`, as stored.
    pub fn name(self) -> &'static str {
        match self {
            OperationKind::Identify => "users.identify",
            OperationKind::Delete => "users.delete",
            OperationKind::SetPreferences => "users.set_preferences",
        }
    }

    /// The kind of a stored name.
    pub fn from_name(name: &str) -> Result<Self, ApiError> {
        match name {
            "users.identify" => Ok(OperationKind::Identify),
            "users.delete" => Ok(OperationKind::Delete),
            "users.set_preferences" => Ok(OperationKind::SetPreferences),
            other => Err(ApiError::internal(format!("bulk operation: an unknown kind `{other}`"))),
        }
    }

    /// A row's write, as the user's change history names it.
    pub fn route(self) -> &'static str {
        match self {
            OperationKind::Identify => "bulk_identify",
            OperationKind::Delete => "bulk_delete",
            OperationKind::SetPreferences => "bulk_set_preferences",
        }
    }

    /// What did not happen to a row's user that was not applied.
    pub fn not_done(self) -> &'static str {
        match self {
            OperationKind::Identify => "the user could not be identified",
            OperationKind::Delete => "the user could not be deleted",
            OperationKind::SetPreferences => "the user's preferences could not be set",
        }
    }
}

/// A new operation as the Worker hands it to its object: its kind, the
/// identify body every row applies (`users.set_preferences` only), and
/// its rows ([`encode_rows`], [`encode_ids`]).
pub struct NewOperation {
    pub kind: OperationKind,
    pub shared_body: Option<Vec<u8>>,
    pub rows: Vec<u8>,
}

/// A queue message: one row of one operation. The row's user and body stay
/// in the operation's object; the message is small whatever the body.
#[derive(Debug, Serialize, Deserialize)]
pub struct BulkMessage {
    pub environment: String,
    pub operation: String,
    pub row: u32,
}

impl BulkMessage {
    /// The row's name in the user's object, which decides it once.
    pub fn bulk_row(&self) -> String {
        format!("{}/{}", self.operation, self.row)
    }
}

/// How one row ended: applied, or an error item's `code`, `message` and
/// `errors` (what a single identify of that user would have answered).
#[derive(Debug, Serialize, Deserialize)]
pub struct RowOutcome {
    pub ok: bool,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub message: String,
    #[serde(default)]
    pub errors: Vec<Value>,
}

impl RowOutcome {
    /// The outcome of what the user's object decided.
    pub fn decided(decision: RowDecision) -> Result<Self, ApiError> {
        match decision {
            RowDecision::Applied => {
                Ok(RowOutcome { ok: true, code: String::new(), message: String::new(), errors: Vec::new() })
            }
            RowDecision::Refused(answer) => {
                let refusal: Value = serde_json::from_slice(&answer).map_err(ApiError::internal)?;
                let text = |key: &str| refusal[key].as_str().unwrap_or_default().to_owned();
                let errors = refusal["errors"].as_array().cloned().unwrap_or_default();
                Ok(RowOutcome { ok: false, code: text("code"), message: text("message"), errors })
            }
        }
    }

    /// Every delivery of a row of `kind` failed and the queue gave up on it.
    pub fn unreachable(kind: OperationKind) -> Self {
        Self::not_done(kind, "every delivery failed and the queue's retries are spent")
    }

    /// A row of `kind` not applied, for `reason`: an `internal_error` item.
    pub fn not_done(kind: OperationKind, reason: &str) -> Self {
        RowOutcome {
            ok: false,
            code: "internal_error".to_owned(),
            message: format!("{}: {reason}", kind.not_done()),
            errors: Vec::new(),
        }
    }
}

/// The rows of a new operation as one body: a line per user ([`encode_row`]).
/// About the size of the request, with no JSON escaping.
pub fn encode_rows(users: &[BulkUser]) -> Vec<u8> {
    let mut rows = Vec::with_capacity(users.iter().map(|user| user.id.len() + user.body.len() + 2).sum());
    for user in users {
        encode_row(&mut rows, &user.id, &user.body);
    }
    rows
}

/// The rows of an operation whose rows are only user ids: each a line
/// with an empty body ([`encode_row`]).
pub fn encode_ids(user_ids: &[String]) -> Vec<u8> {
    let mut rows = Vec::with_capacity(user_ids.iter().map(|id| id.len() + 2).sum());
    for id in user_ids {
        encode_row(&mut rows, id, b"");
    }
    rows
}

/// One row as a line: the user id percent-encoded, a tab, then its identify
/// body (compact JSON, which has no raw newline), then a newline.
pub fn encode_row(into: &mut Vec<u8>, user_id: &str, body: &[u8]) {
    into.extend(utf8_percent_encode(user_id, NON_ALPHANUMERIC).flat_map(str::bytes));
    into.push(b'\t');
    into.extend_from_slice(body);
    into.push(b'\n');
}

/// The rows of [`encode_rows`]: each user id and body.
pub fn decode_rows(rows: &str) -> impl Iterator<Item = Result<(String, &str), ApiError>> {
    rows.lines().map(decode_row)
}

/// The user id and body of one row's line (without its newline).
pub fn decode_row(line: &str) -> Result<(String, &str), ApiError> {
    let (id, body) =
        line.split_once('\t').ok_or_else(|| ApiError::internal("bulk operation: a row without its tab"))?;
    let id = percent_decode_str(id)
        .decode_utf8()
        .map_err(|_| ApiError::internal("bulk operation: a row id that is not UTF-8"))?;
    Ok((id.into_owned(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip_whatever_the_id() {
        let users = vec![
            BulkUser { id: "jane".into(), body: br#"{"id":"jane","name":"a\tb\nc"}"#.to_vec() },
            BulkUser { id: "a b\t%\n😀".into(), body: b"{}".to_vec() },
        ];
        let encoded = String::from_utf8(encode_rows(&users)).expect("UTF-8");
        assert_eq!(encoded.lines().count(), 2);
        let decoded: Vec<(String, String)> = decode_rows(&encoded)
            .map(|row| row.map(|(id, body)| (id, body.to_owned())))
            .collect::<Result<_, _>>()
            .expect("rows");
        let expected: Vec<(String, String)> =
            users.into_iter().map(|user| (user.id, String::from_utf8(user.body).expect("UTF-8"))).collect();
        assert_eq!(decoded, expected);
        let ids = String::from_utf8(encode_ids(&["jane".into(), "a b\t%".into()])).expect("UTF-8");
        let decoded: Vec<(String, &str)> = decode_rows(&ids).collect::<Result<_, _>>().expect("rows");
        assert_eq!(decoded, [("jane".to_owned(), ""), ("a b\t%".to_owned(), "")]);
    }

    #[test]
    fn kinds_are_stored_by_their_names() {
        for kind in [OperationKind::Identify, OperationKind::Delete, OperationKind::SetPreferences] {
            assert_eq!(OperationKind::from_name(kind.name()).ok(), Some(kind));
        }
        assert!(OperationKind::from_name("users.merge").is_err());
    }
}
