//! Bulk identify on Cloudflare Queues (contract §5b). The Worker checks the
//! whole request with the core, then creates one Durable Object per
//! operation ([`BulkOperation`], named `{environment}/{operation id}`) that
//! keeps every user's identify body and its outcome in SQLite, and puts one
//! small message per user on the queue. The consumer (this Worker too)
//! identifies each user through that user's object, exactly as a single
//! identify, and reports the outcome to the operation, which counts a row
//! once: a redelivered message finds its row done and changes nothing. A
//! message whose every delivery failed reaches the dead-letter queue, whose
//! consumer (this Worker again) records its row as failed, so every
//! operation ends.

use super::error::ApiError;
use super::message::{Answer, Options};
use super::object_client::UserObjectClient;
use super::response;
use crate::BulkUser;
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{
    console_error, durable_object, event, Context, DurableObject, Env, Headers, MessageBatch, MessageExt, Method,
    Request, RequestInit, Response, SqlStorage, SqlStorageValue, State, Stub,
};

/// The operations' Durable Object binding (wrangler.toml).
const OPERATIONS_BINDING: &str = "BULK_OPERATIONS";
/// The queue's producer binding (wrangler.toml `[[queues.producers]]`).
const QUEUE_BINDING: &str = "BULK_QUEUE";
/// Messages per `sendBatch` (the Queues limit).
const SEND_BATCH: usize = 100;
/// The URL of internal requests to an operation (only the path is read).
const OPERATION_URL: &str = "https://bulk-operation.internal";
/// How the dead-letter queue's name ends (wrangler.toml: the bulk queue's
/// `dead_letter_queue`, consumed by this Worker too).
const DEAD_LETTER_SUFFIX: &str = "-dead-letter";

/// A queue message: one user of one operation, by its row.
#[derive(Debug, Serialize, Deserialize)]
pub struct BulkMessage {
    environment: String,
    operation: String,
    row: u32,
}

/// `POST /v1/users/bulk/identify` with `users` the core accepted: creates
/// the operation, queues its users and answers the `BulkOperation`.
pub async fn start(
    env: &Env,
    environment: &str,
    users: Vec<BulkUser>,
    operation: String,
) -> Result<Response, ApiError> {
    let stub = operation_stub(env, environment, &operation)?;
    let rows: Vec<Value> =
        users.iter().map(|user| json!({ "user_id": user.id, "body": String::from_utf8_lossy(&user.body) })).collect();
    let created = json!({ "id": operation, "rows": rows }).to_string();
    let (status, answer) = call(&stub, Method::Post, "/create", Some(created)).await?;
    if status != 200 {
        return Err(ApiError::internal(format!("bulk operation: create answered {status}")));
    }
    let queue =
        env.queue(QUEUE_BINDING).map_err(|error| ApiError::config(format!("queue `{QUEUE_BINDING}`: {error}")))?;
    let messages: Vec<BulkMessage> = (0..users.len() as u32)
        .map(|row| BulkMessage { environment: environment.to_owned(), operation: operation.clone(), row })
        .collect();
    for chunk in messages.chunks(SEND_BATCH) {
        queue.send_batch(chunk.iter().collect::<Vec<_>>()).await?;
    }
    Ok(response::json(200, answer.into_bytes())?)
}

/// `GET /v1/bulk_operations/{id}`: the operation, or a 404.
pub async fn get(env: &Env, environment: &str, operation: &str) -> Result<Response, ApiError> {
    let stub = operation_stub(env, environment, operation)?;
    match call(&stub, Method::Get, "/", None).await? {
        (200, answer) => Ok(response::json(200, answer.into_bytes())?),
        (404, _) => Err(ApiError::operation_missing(operation)),
        (status, _) => Err(ApiError::internal(format!("bulk operation: get answered {status}"))),
    }
}

/// The queue's consumer: each message's user is identified, and a message
/// whose user could not be reached is retried by the queue. On the
/// dead-letter queue (the retries are spent) each row still pending is
/// recorded as failed instead.
#[event(queue)]
pub async fn consume(batch: MessageBatch<BulkMessage>, env: Env, _ctx: Context) -> worker::Result<()> {
    let messages = batch.messages()?;
    let dead_letters = batch.queue().ends_with(DEAD_LETTER_SUFFIX);
    // The batch's users side by side: each user's object orders its own writes.
    let env = &env;
    let outcomes = join_all(messages.iter().map(|message| {
        let message = message.body();
        async move {
            if dead_letters {
                let stub = operation_stub(env, &message.environment, &message.operation)?;
                report(&stub, message.row, &Outcome::unreachable()).await
            } else {
                apply(env, message).await
            }
        }
    }))
    .await;
    for (message, outcome) in messages.iter().zip(outcomes) {
        match outcome {
            Ok(()) => message.ack(),
            Err(error) => {
                console_error!("bulk operation {} row {}: {error}", message.body().operation, message.body().row);
                message.retry();
            }
        }
    }
    Ok(())
}

/// How one row ended: applied, or an error item's `code`, `message` and
/// `errors` (what a single identify of that user would have answered).
#[derive(Debug, Serialize, Deserialize)]
struct Outcome {
    ok: bool,
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    errors: Vec<Value>,
}

impl Outcome {
    fn applied() -> Self {
        Outcome { ok: true, code: String::new(), message: String::new(), errors: Vec::new() }
    }

    /// The user's object refused the identify (a 422 `invalid_params`).
    fn refused(answer: &str) -> Result<Self, ApiError> {
        let refusal: Value = serde_json::from_str(answer).map_err(ApiError::internal)?;
        let text = |key: &str| refusal[key].as_str().unwrap_or_default().to_owned();
        let errors = refusal["errors"].as_array().cloned().unwrap_or_default();
        Ok(Outcome { ok: false, code: text("code"), message: text("message"), errors })
    }

    /// Every delivery of the row failed and the queue gave up on it.
    fn unreachable() -> Self {
        Outcome {
            ok: false,
            code: "internal_error".to_owned(),
            message: "the user could not be identified: every delivery failed and the queue's retries are spent"
                .to_owned(),
            errors: Vec::new(),
        }
    }
}

/// Identifies one row's user, unless the row is done (a redelivery), and
/// reports the outcome.
async fn apply(env: &Env, message: &BulkMessage) -> Result<(), ApiError> {
    let stub = operation_stub(env, &message.environment, &message.operation)?;
    let (status, row) = call(&stub, Method::Get, &format!("/rows/{}", message.row), None).await?;
    if status != 200 {
        return Err(ApiError::internal(format!("bulk operation: row {} answered {status}", message.row)));
    }
    let row: Value = serde_json::from_str(&row).map_err(ApiError::internal)?;
    if row["done"] == json!(true) {
        return Ok(());
    }
    let (Some(user_id), Some(body)) = (row["user_id"].as_str(), row["body"].as_str()) else {
        return Err(ApiError::internal("bulk operation: a row without its user"));
    };
    let request_id = format!("bulk_{}_{}", message.operation, message.row);
    let client = UserObjectClient::new(env, &message.environment, user_id, &request_id)?;
    let mut answer =
        client.identify(body.as_bytes().to_vec(), Options { answer: Answer::User, if_exists: false }).await?;
    let outcome = match answer.status_code() {
        200 => Outcome::applied(),
        422 => Outcome::refused(&answer.text().await?)?,
        status => return Err(ApiError::internal(format!("user object answered {status}"))),
    };
    report(&stub, message.row, &outcome).await
}

/// Records a row's outcome in its operation (a row already ended keeps its own).
async fn report(stub: &Stub, row: u32, outcome: &Outcome) -> Result<(), ApiError> {
    let body = serde_json::to_string(outcome).map_err(ApiError::internal)?;
    let (status, _) = call(stub, Method::Post, &format!("/rows/{row}"), Some(body)).await?;
    if status == 200 {
        Ok(())
    } else {
        Err(ApiError::internal(format!("bulk operation: the report of row {row} answered {status}")))
    }
}

fn operation_stub(env: &Env, environment: &str, operation: &str) -> Result<Stub, ApiError> {
    let namespace = env
        .durable_object(OPERATIONS_BINDING)
        .map_err(|error| ApiError::config(format!("Durable Object binding `{OPERATIONS_BINDING}`: {error}")))?;
    Ok(namespace.id_from_name(&format!("{environment}/{operation}"))?.get_stub()?)
}

/// One internal request to an operation: its status and body.
async fn call(stub: &Stub, method: Method, path: &str, body: Option<String>) -> Result<(u16, String), ApiError> {
    let mut init = RequestInit::new();
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    init.with_method(method).with_headers(headers);
    if let Some(body) = body {
        init.with_body(Some(JsValue::from_str(&body)));
    }
    let request = Request::new_with_init(&format!("{OPERATION_URL}{path}"), &init)?;
    let mut answer = stub.fetch_with_request(request).await?;
    Ok((answer.status_code(), answer.text().await?))
}

/// One bulk operation: its rows and their outcomes.
#[durable_object]
pub struct BulkOperation {
    sql: SqlStorage,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS operation (
        one INTEGER PRIMARY KEY CHECK (one = 0),
        id TEXT NOT NULL,
        total INTEGER NOT NULL,
        inserted_at TEXT NOT NULL,
        started_at TEXT,
        completed_at TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS row (
        idx INTEGER PRIMARY KEY,
        user_id TEXT NOT NULL,
        body TEXT NOT NULL,
        state INTEGER NOT NULL DEFAULT 0,
        failure TEXT
    )";

/// A row's state: waiting, identified, refused.
const PENDING: i64 = 0;
const DONE: i64 = 1;
const FAILED: i64 = 2;

impl DurableObject for BulkOperation {
    fn new(state: State, _env: Env) -> Self {
        BulkOperation { sql: state.storage().sql() }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let path = req.path();
        let body = if req.method() == Method::Post { req.text().await? } else { String::new() };
        let answer = match (req.method(), path.as_str()) {
            (Method::Post, "/create") => self.create(&body),
            (Method::Get, "/") => self.summary(),
            (Method::Get, row) if row.starts_with("/rows/") => row_index(row).and_then(|index| self.row(index)),
            (Method::Post, row) if row.starts_with("/rows/") => {
                row_index(row).and_then(|index| self.report(index, &body))
            }
            _ => Err(ApiError::internal("bulk operation: no such request")),
        };
        match answer {
            Ok(answer) => Ok(answer),
            Err(error) => error.into_response(""),
        }
    }
}

impl BulkOperation {
    fn create(&self, body: &str) -> Result<Response, ApiError> {
        #[derive(Deserialize)]
        struct Create {
            id: String,
            rows: Vec<Row>,
        }
        #[derive(Deserialize)]
        struct Row {
            user_id: String,
            body: String,
        }
        let create: Create = serde_json::from_str(body).map_err(ApiError::internal)?;
        self.sql.exec(SCHEMA, None)?;
        let now = now_rfc3339();
        let values: Vec<SqlStorageValue> =
            vec![create.id.into(), (create.rows.len() as i64).into(), now.clone().into(), now.into()];
        self.sql
            .exec("INSERT INTO operation (one, id, total, inserted_at, updated_at) VALUES (0, ?, ?, ?, ?)", values)?;
        for (index, row) in create.rows.into_iter().enumerate() {
            let values: Vec<SqlStorageValue> = vec![(index as i64).into(), row.user_id.into(), row.body.into()];
            self.sql.exec("INSERT INTO row (idx, user_id, body) VALUES (?, ?, ?)", values)?;
        }
        self.summary()
    }

    /// The `BulkOperation` (contract §5b), or a 404 when there is none.
    fn summary(&self) -> Result<Response, ApiError> {
        #[derive(Deserialize)]
        struct Operation {
            id: String,
            total: i64,
            inserted_at: String,
            started_at: Option<String>,
            completed_at: Option<String>,
            updated_at: String,
        }
        #[derive(Deserialize)]
        struct Counts {
            done: i64,
            failed: i64,
        }
        #[derive(Deserialize)]
        struct Failure {
            user_id: String,
            failure: String,
        }
        if !self.has_tables()? {
            return Ok(response::json(404, b"{}".to_vec())?);
        }
        let Some(operation) =
            self.sql.exec("SELECT * FROM operation", None)?.to_array::<Operation>()?.into_iter().next()
        else {
            return Ok(response::json(404, b"{}".to_vec())?);
        };
        let counts: Counts = self
            .sql
            .exec("SELECT COALESCE(SUM(state = 1), 0) AS done, COALESCE(SUM(state = 2), 0) AS failed FROM row", None)?
            .one()?;
        let failures: Vec<Failure> =
            self.sql.exec("SELECT user_id, failure FROM row WHERE state = 2 ORDER BY idx", None)?.to_array()?;
        let error_items = failures
            .into_iter()
            .map(|row| {
                let outcome: Outcome = serde_json::from_str(&row.failure).map_err(ApiError::internal)?;
                Ok(json!({ "id": row.user_id, "code": outcome.code, "message": outcome.message, "errors": outcome.errors }))
            })
            .collect::<Result<Vec<Value>, ApiError>>()?;
        let processed = counts.done + counts.failed;
        // Every user applied or refused: `completed`, unless none could be applied.
        let status = match processed {
            0 => "queued",
            done if done < operation.total => "processing",
            _ if counts.done == 0 => "failed",
            _ => "completed",
        };
        let failed_at = if status == "failed" { operation.completed_at.clone() } else { None };
        let answer = json!({
            "__typename": "BulkOperation",
            "id": operation.id,
            "name": "users.identify",
            "status": status,
            "estimated_total_rows": operation.total,
            "processed_rows": processed,
            "success_count": counts.done,
            "error_count": counts.failed,
            "error_items": error_items,
            "progress_path": format!("/v1/bulk_operations/{}", operation.id),
            "inserted_at": operation.inserted_at,
            "started_at": operation.started_at,
            "completed_at": operation.completed_at,
            "failed_at": failed_at,
            "updated_at": operation.updated_at,
        });
        Ok(response::json(200, answer.to_string().into_bytes())?)
    }

    /// A row: its user and body, and whether it is done.
    fn row(&self, index: i64) -> Result<Response, ApiError> {
        #[derive(Deserialize, Serialize)]
        struct Row {
            user_id: String,
            body: String,
            state: i64,
        }
        let row: Option<Row> = self
            .sql
            .exec("SELECT user_id, body, state FROM row WHERE idx = ?", vec![index.into()])?
            .to_array()?
            .into_iter()
            .next();
        let row = row.ok_or_else(|| ApiError::internal(format!("bulk operation: no row {index}")))?;
        let answer = json!({ "user_id": row.user_id, "body": row.body, "done": row.state != PENDING });
        Ok(response::json(200, answer.to_string().into_bytes())?)
    }

    /// Records a row's outcome, once: a row already done stays as it is.
    fn report(&self, index: i64, body: &str) -> Result<Response, ApiError> {
        let outcome: Outcome = serde_json::from_str(body).map_err(ApiError::internal)?;
        let (state, failure) = if outcome.ok { (DONE, None) } else { (FAILED, Some(body.to_owned())) };
        let now = now_rfc3339();
        let changed = self
            .sql
            .exec(
                "UPDATE row SET state = ?, failure = ? WHERE idx = ? AND state = 0",
                vec![state.into(), failure.into(), index.into()],
            )?
            .rows_written();
        if changed > 0 {
            self.sql.exec(
                "UPDATE operation SET started_at = COALESCE(started_at, ?), updated_at = ?",
                vec![now.clone().into(), now.clone().into()],
            )?;
            self.sql.exec(
                "UPDATE operation SET completed_at = ? WHERE completed_at IS NULL AND NOT EXISTS (SELECT 1 FROM row WHERE state = 0)",
                vec![now.into()],
            )?;
        }
        Ok(response::json(200, b"{}".to_vec())?)
    }

    fn has_tables(&self) -> worker::Result<bool> {
        let names: Vec<serde::de::IgnoredAny> = self
            .sql
            .exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'operation'", None)?
            .to_array()?;
        Ok(!names.is_empty())
    }
}

fn row_index(path: &str) -> Result<i64, ApiError> {
    path.trim_start_matches("/rows/")
        .parse()
        .map_err(|_| ApiError::internal("bulk operation: a row index that is not a number"))
}

fn now_rfc3339() -> String {
    crate::Timestamp::from_millis(js_sys::Date::now() as i64).to_string()
}
