//! The consumer of the bulk queue and of its dead-letter queue (this
//! Worker consumes both; it tells them apart by the dead-letter queue's
//! name). Each message is one row of one operation:
//!
//! - on the bulk queue, the row is applied to its user through that user's
//!   object (an identify with the row's body, or a delete, as the
//!   operation's kind says), which applies each row at most once and
//!   answers a row delivered again with its first decision, and the outcome
//!   is reported to the operation; any failure on the way retries the
//!   message;
//! - on the dead-letter queue (every delivery failed), the row is recorded
//!   as the user's object decided it, if it did, else as not identified.
//!
//! Every await is bounded (each object call by its client, the batch as a
//! whole by [`BATCH_LIMIT`]), so a batch always settles: a message not done
//! by then is retried. Each batch logs where it enters and leaves.

use super::client::{OperationClient, Row};
use super::message::{BulkMessage, OperationKind, RowOutcome};
use crate::worker::clock::{now_ms, within};
use crate::worker::error::ApiError;
use crate::worker::user::client::UserObjectClient;
use futures_util::future::join_all;
use std::cell::RefCell;
use std::time::Duration;
use worker::{console_error, console_log, event, Context, Env, MessageBatch, MessageExt};

/// How the dead-letter queue's name ends (wrangler.toml: the bulk queue's
/// `dead_letter_queue`).
const DEAD_LETTER_SUFFIX: &str = "-dead-letter";
/// The longest a batch runs: past a row's worst case (its read, its user's
/// identify and its report, each bounded by its client), far under the
/// platform's limit on a consumer.
const BATCH_LIMIT: Duration = Duration::from_secs(60);

#[event(queue)]
pub async fn consume(batch: MessageBatch<BulkMessage>, env: Env, _ctx: Context) -> worker::Result<()> {
    let messages = batch.messages()?;
    let queue = batch.queue();
    let dead_letters = queue.ends_with(DEAD_LETTER_SUFFIX);
    let started = now_ms();
    console_log!("bulk-batch-start queue={queue} messages={}", messages.len());
    // Each message's result, as it settles; `None` for one still running at the limit.
    let settled: RefCell<Vec<Option<Result<(), ApiError>>>> = RefCell::new(messages.iter().map(|_| None).collect());
    let env = &env;
    // The batch's users side by side: each user's object orders its own writes.
    let work = join_all(messages.iter().enumerate().map(|(index, message)| {
        let settled = &settled;
        async move {
            let row = message.body();
            let result = if dead_letters { record_dead_letter(env, row).await } else { apply(env, row).await };
            settled.borrow_mut()[index] = Some(result);
        }
    }));
    let in_time = within(BATCH_LIMIT, work).await.is_ok();
    let (mut acked, mut retried) = (0, 0);
    for (message, result) in messages.iter().zip(settled.into_inner()) {
        let row = message.body();
        match result {
            Some(Ok(())) => {
                message.ack();
                acked += 1;
            }
            Some(Err(error)) => {
                console_error!("bulk operation {} row {}: {error}", row.operation, row.row);
                message.retry();
                retried += 1;
            }
            None => {
                console_error!(
                    "bulk operation {} row {}: not done within {} s",
                    row.operation,
                    row.row,
                    BATCH_LIMIT.as_secs()
                );
                message.retry();
                retried += 1;
            }
        }
    }
    let elapsed = now_ms() - started;
    console_log!(
        "bulk-batch-end queue={queue} messages={} acked={acked} retried={retried} in_time={in_time} ms={elapsed}",
        messages.len()
    );
    Ok(())
}

/// Applies one row to its user (identifies or deletes it), unless the row
/// has ended, and reports what the user's object decided.
async fn apply(env: &Env, message: &BulkMessage) -> Result<(), ApiError> {
    let request_id = request_id(message);
    let operation = OperationClient::new(env, &message.environment, &message.operation, &request_id)?;
    let Row::Pending { user_id, kind, body } = operation.row(message.row).await? else {
        // Ended (a redelivery), or the operation is gone: nothing to do.
        return Ok(());
    };
    let user = UserObjectClient::new(env, &message.environment, &user_id, &request_id)?;
    let row = message.bulk_row();
    let decision = match kind {
        OperationKind::Delete => user.delete_bulk_row(&row).await?,
        OperationKind::Identify | OperationKind::SetPreferences => {
            user.write_bulk_row(&body, &row, kind.route()).await?
        }
    };
    operation.report(message.row, &RowOutcome::decided(decision)?).await
}

/// Records a row whose every delivery failed: as its user's object decided
/// it on a delivery whose report was lost, or else as not identified.
async fn record_dead_letter(env: &Env, message: &BulkMessage) -> Result<(), ApiError> {
    let request_id = request_id(message);
    let operation = OperationClient::new(env, &message.environment, &message.operation, &request_id)?;
    let Row::Pending { user_id, kind, .. } = operation.row(message.row).await? else { return Ok(()) };
    let user = UserObjectClient::new(env, &message.environment, &user_id, &request_id)?;
    let outcome = match user.bulk_row_decision(&message.bulk_row()).await {
        Ok(Some(decision)) => RowOutcome::decided(decision)?,
        Ok(None) => RowOutcome::unreachable(kind),
        Err(error) => {
            console_error!("bulk operation {} row {}: its user's object: {error}", message.operation, message.row);
            RowOutcome::unreachable(kind)
        }
    };
    operation.report(message.row, &outcome).await
}

/// The id of a row's requests in the objects' logs.
fn request_id(message: &BulkMessage) -> String {
    format!("bulk_{}_{}", message.operation, message.row)
}
