//! One bulk operation's Durable Object, named `{environment}/{operation id}`:
//! what it does (its kind: identify, delete or set preferences), its rows
//! and their outcomes ([`super::sql`]), and its alarm, which does what must
//! happen even when no request comes:
//!
//! - **queue the rows**: the object is created with every row in one
//!   transaction and an alarm at once; the alarm sends the rows' messages
//!   100 at a time, noting each batch sent, and when a send fails it tries
//!   again later (1 s, doubling to 30 s). So an operation whose creation
//!   was answered is queued whole, whatever fails meanwhile; a message sent
//!   twice changes nothing (each row is applied at most once).
//! - **give up on rows the queue no longer holds**: [`MESSAGE_LIFETIME_MS`]
//!   after its creation, an operation still pending records its pending
//!   rows as not identified, so that it ends.
//! - **forget the operation**: `BULK_RETENTION_SECONDS` after it ended, its
//!   storage is deleted (a GET is then a 404). A row's body is dropped as
//!   soon as its outcome is recorded.

use super::client::{ENVIRONMENT_HEADER, FINGERPRINT_HEADER, IDEMPOTENCY_KEY_HEADER, KIND_HEADER, OPERATION_HEADER};
use super::message::{encode_row, BulkMessage, OperationKind, RowOutcome, QUEUE_BINDING};
use super::sql::{NewRows, Operation, OperationTables, Progress, RowState};
use crate::worker::clock::{now_ms, scheduled, within};
use crate::worker::error::ApiError;
use crate::worker::idempotency::Idempotency;
use crate::worker::kept_answers::KeptAnswer;
use crate::worker::response::{self, Reply};
use crate::worker::settings;
use crate::worker::user::message::REQUEST_ID_HEADER;
use crate::Timestamp;
use serde_json::json;
use std::time::Duration;
use worker::{console_error, console_log, durable_object, DurableObject, Env, Method, Request, Response, State};

/// Messages per `sendBatch` (the Queues limit).
const SEND_BATCH: i64 = 100;
/// How long one `sendBatch` may take before it counts as failed.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two attempts of a failing send.
const MAX_SEND_RETRY_MS: i64 = 30_000;
/// How long after its creation an operation's messages may still be
/// delivered: Queues keeps a message at most 14 days.
const MESSAGE_LIFETIME_MS: i64 = 14 * 24 * 60 * 60 * 1000;

/// One bulk operation.
#[durable_object(alarm)]
pub struct BulkOperation {
    state: State,
    env: Env,
    tables: OperationTables,
}

impl DurableObject for BulkOperation {
    fn new(state: State, env: Env) -> Self {
        let tables = OperationTables::new(&state.storage());
        BulkOperation { state, env, tables }
    }

    /// The Worker's and the consumer's requests ([`super::client`]).
    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let request_id = req.headers().get(REQUEST_ID_HEADER).ok().flatten().unwrap_or_default();
        match self.serve(&mut req).await {
            Ok(response) => Ok(response),
            Err(error) => error.into_response(&request_id),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let next = match self.wake().await {
            Ok(next) => next,
            Err(error) => {
                console_error!("bulk operation: alarm: {error}");
                Some(now_ms() + MAX_SEND_RETRY_MS)
            }
        };
        if let Some(at) = next {
            self.state.storage().set_alarm(scheduled(at)).await?;
        }
        Response::empty()
    }
}

impl BulkOperation {
    async fn serve(&self, req: &mut Request) -> Result<Response, ApiError> {
        if self.tables.take_migrated()? {
            // An operation of an earlier version: its alarm decides what comes next.
            self.state.storage().set_alarm(scheduled(now_ms())).await?;
        }
        let path = req.path();
        let row = path.strip_prefix("/rows/").map(|index| {
            index.parse::<i64>().map_err(|_| ApiError::internal("bulk operation: a row index that is not a number"))
        });
        match (req.method(), path.as_str(), row) {
            (Method::Post, "/create", _) => {
                let header = |name: &str| req.headers().get(name).ok().flatten();
                let required = |name: &str| header(name).ok_or_else(|| ApiError::internal(format!("no {name}")));
                let (environment, operation) = (required(ENVIRONMENT_HEADER)?, required(OPERATION_HEADER)?);
                let idempotency = match (header(IDEMPOTENCY_KEY_HEADER), header(FINGERPRINT_HEADER)) {
                    (Some(key), Some(fingerprint)) => Some(Idempotency { key, fingerprint }),
                    _ => None,
                };
                let kind =
                    header(KIND_HEADER).map_or(Ok(OperationKind::Identify), |kind| OperationKind::from_name(&kind))?;
                let body = req.text().await?;
                // The identify body every row applies comes first, on a line of its own.
                let (shared_body, rows) = match kind {
                    OperationKind::SetPreferences => {
                        body.split_once('\n')
                            .map(|(shared, rows)| (Some(shared), rows))
                            .ok_or_else(|| ApiError::internal("bulk operation: no shared body"))?
                    }
                    _ => (None, body.as_str()),
                };
                self.create(&operation, &environment, NewRows { kind, shared_body, rows }, idempotency).await
            }
            (Method::Get, "/", _) => self.summary(),
            (Method::Get, _, Some(index)) => match self.tables.row(index?)? {
                RowState::Pending(row) => {
                    // The operation's kind on a line, then the row's line.
                    let kind = row.kind.name();
                    let mut answer = Vec::with_capacity(kind.len() + row.user_id.len() + row.body.len() + 3);
                    answer.extend_from_slice(kind.as_bytes());
                    answer.push(b'\n');
                    encode_row(&mut answer, &row.user_id, row.body.as_bytes());
                    Ok(Response::from_bytes(answer)?)
                }
                RowState::Ended => Ok(response::empty(204)?),
                RowState::Missing => Ok(response::empty(404)?),
            },
            (Method::Post, _, Some(index)) => {
                let outcome: RowOutcome = serde_json::from_str(&req.text().await?).map_err(ApiError::internal)?;
                if let Some(ended_ms) = self.tables.report(index?, &outcome, now())? {
                    self.forget_after_retention(ended_ms).await?;
                }
                Ok(response::empty(200)?)
            }
            _ => Err(ApiError::internal("bulk operation: no such request")),
        }
    }

    /// Creates the operation and sets its alarm, which queues the rows now
    /// and until every one is sent. An operation named by an
    /// `Idempotency-Key` (contract §9) that exists already was created by
    /// the same request sent again (its first answer is given again) or by
    /// another request with the same key (a 422).
    async fn create(
        &self,
        operation: &str,
        environment: &str,
        new: NewRows<'_>,
        idempotency: Option<Idempotency>,
    ) -> Result<Response, ApiError> {
        let (at, ms) = now();
        if self.tables.operation()?.is_some() {
            let Some(idempotency) = idempotency else {
                return Err(ApiError::internal("bulk operation: created twice"));
            };
            return match self.tables.kept.find(&idempotency.key, ms)? {
                Some(kept) if kept.fingerprint == idempotency.fingerprint => {
                    Ok(Reply { status: 200, body: kept.body.into_bytes(), etag: None }.into_response(true)?)
                }
                _ => Err(ApiError::idempotency_key_reused()),
            };
        }
        let created = Progress {
            operation: Operation {
                operation_id: operation.to_owned(),
                environment: environment.to_owned(),
                total: new.rows.lines().count() as i64,
                queued_rows: 0,
                inserted_at: at.clone(),
                inserted_ms: ms,
                started_at: None,
                completed_at: None,
                completed_ms: None,
                updated_at: at.clone(),
                kind: new.kind.name().to_owned(),
            },
            applied: 0,
            refused: 0,
            error_items: Vec::new(),
        };
        let answer = summary_json(created);
        let kept = idempotency.map(|idempotency| KeptAnswer {
            idempotency_key: idempotency.key,
            fingerprint: idempotency.fingerprint,
            status: 200,
            body: answer.clone(),
            etag: None,
            kept_ms: ms,
        });
        self.tables.create(operation, environment, new, (at, ms), kept)?;
        self.state.storage().set_alarm(scheduled(now_ms())).await?;
        Ok(response::json(200, answer.into_bytes())?)
    }

    /// The `BulkOperation` (contract §5b), or a 404 when there is none.
    fn summary(&self) -> Result<Response, ApiError> {
        match self.tables.progress()? {
            Some(progress) => Ok(response::json(200, summary_json(progress).into_bytes())?),
            None => Ok(response::empty(404)?),
        }
    }

    /// The alarm's work; the time of the next alarm, if one is due.
    async fn wake(&self) -> Result<Option<i64>, ApiError> {
        let Some(operation) = self.tables.operation()? else { return Ok(None) };
        if operation.queued_rows < operation.total {
            if let Some(retry) = self.queue_rows(&operation).await? {
                return Ok(Some(retry));
            }
        }
        // Read again: rows may have been reported, even the last, while the
        // rows were being queued.
        let Some(operation) = self.tables.operation()? else { return Ok(None) };
        let clock = now_ms();
        if let Some(ended_ms) = operation.completed_ms {
            let forget_at = ended_ms + settings::bulk_retention_seconds(&self.env)? * 1000;
            if forget_at > clock {
                return Ok(Some(forget_at));
            }
            console_log!("bulk-operation-forgotten operation={}", operation.operation_id);
            self.state.storage().delete_all().await?;
            self.tables.forget();
            return Ok(None);
        }
        let give_up_at = operation.inserted_ms + MESSAGE_LIFETIME_MS;
        if give_up_at > clock {
            return Ok(Some(give_up_at));
        }
        let gone = RowOutcome::not_done(operation.kind()?, "its message is no longer on the queue");
        match self.tables.give_up(&gone, now())? {
            Some(ended_ms) => Ok(Some(ended_ms + settings::bulk_retention_seconds(&self.env)? * 1000)),
            None => Ok(None),
        }
    }

    /// Sends the messages of every row not yet queued, a batch at a time;
    /// the time of a retry when a send failed.
    async fn queue_rows(&self, operation: &Operation) -> Result<Option<i64>, ApiError> {
        let Operation { operation_id, environment, .. } = operation;
        let queue = self
            .env
            .queue(QUEUE_BINDING)
            .map_err(|error| ApiError::config(format!("queue `{QUEUE_BINDING}`: {error}")))?;
        let mut queued = operation.queued_rows;
        loop {
            let rows = self.tables.row_indexes(queued, SEND_BATCH)?;
            let Some(&last) = rows.last() else { break };
            let messages: Vec<BulkMessage> = rows
                .iter()
                .map(|&row| BulkMessage {
                    environment: environment.clone(),
                    operation: operation_id.clone(),
                    row: row as u32,
                })
                .collect();
            let sent = match within(SEND_TIMEOUT, queue.send_batch(messages.iter().collect::<Vec<_>>())).await {
                Ok(sent) => sent.map_err(|error| error.to_string()),
                Err(_) => Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
            };
            if let Err(error) = sent {
                let failures = self.tables.send_failed()?;
                let retry = (1_000_i64 << (failures.clamp(1, 16) - 1)).min(MAX_SEND_RETRY_MS);
                console_error!(
                    "bulk-queue-failed operation={operation_id} from_row={queued} retry_in_ms={retry}: {error}"
                );
                return Ok(Some(now_ms() + retry));
            }
            queued = last + 1;
            self.tables.set_queued(queued)?;
        }
        console_log!("bulk-queued operation={operation_id} rows={queued}");
        Ok(None)
    }

    /// Sets the alarm that deletes the operation's storage once it has been
    /// kept `BULK_RETENTION_SECONDS` after it ended.
    async fn forget_after_retention(&self, ended_ms: i64) -> Result<(), ApiError> {
        let at = ended_ms + settings::bulk_retention_seconds(&self.env)? * 1000;
        Ok(self.state.storage().set_alarm(scheduled(at)).await?)
    }
}

/// The `BulkOperation` JSON of `progress`.
fn summary_json(progress: Progress) -> String {
    let Progress { operation, applied, refused, error_items } = progress;
    let processed = applied + refused;
    // Every user applied or refused: `completed`, unless none could be applied.
    let status = match processed {
        0 => "queued",
        done if done < operation.total => "processing",
        _ if applied == 0 => "failed",
        _ => "completed",
    };
    let failed_at = if status == "failed" { operation.completed_at.clone() } else { None };
    let error_items: Vec<_> = error_items
        .into_iter()
        .map(|(id, outcome)| json!({ "id": id, "code": outcome.code, "message": outcome.message, "errors": outcome.errors }))
        .collect();
    json!({
        "__typename": "BulkOperation",
        "id": operation.operation_id,
        "name": operation.kind,
        "status": status,
        "estimated_total_rows": operation.total,
        "processed_rows": processed,
        "success_count": applied,
        "error_count": refused,
        "error_items": error_items,
        "progress_path": format!("/v1/bulk_operations/{}", operation.operation_id),
        "inserted_at": operation.inserted_at,
        "started_at": operation.started_at,
        "completed_at": operation.completed_at,
        "failed_at": failed_at,
        "updated_at": operation.updated_at,
    })
    .to_string()
}

/// Now, as the operation's times are written (RFC 3339) and compared (ms).
fn now() -> (String, i64) {
    let ms = now_ms();
    (Timestamp::from_millis(ms).to_string(), ms)
}
