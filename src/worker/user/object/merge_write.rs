//! A merge write (contract §11): the secondary user's record, read from its
//! object by the Worker, merged into this object's user by the core's
//! [`merge_users`] and stored in one step, as identify's write is: no
//! `await` between reading the user and the commit, which holds the record,
//! the state, the history's `merge` entry and the answer kept for the
//! request's `Idempotency-Key` together. The secondary is deleted by the
//! Worker only after this answered (`crate::worker::merge_users`).

use super::{kept, UserObject};
use crate::worker::clock::now_ms;
use crate::worker::error::ApiError;
use crate::worker::object_call::ObjectAnswer;
use crate::worker::user::flush::plan_flush;
use crate::worker::user::message::{Answer, Options, Target};
use crate::worker::user::sql::{Commit, History};
use crate::{changed_names, merge_users, IdentifyError, StoredUser, Timestamp};

/// The route a merge's history entry names.
const ROUTE: &str = "merge";

impl UserObject {
    /// Merges `secondary` (a record, the user `options.merge_from`) into
    /// this user: 200 with the merged user and its ETag; 404 when this
    /// object holds no user; 422 when the merged user would pass a stored
    /// bound (nothing written; both kept for the key).
    ///
    /// With a key whose merge was answered 200 before, the kept answer is
    /// given again when the secondary holds nothing that merging it would
    /// change (the secondary read again after that merge, before its
    /// delete); a secondary changed since is merged again, and the new
    /// answer kept in place of the first.
    pub(super) async fn merge_in(
        &self,
        target: &Target,
        secondary: &[u8],
        options: &Options,
        request_id: &str,
    ) -> Result<ObjectAnswer, ApiError> {
        let merge_from = options.merge_from.as_deref().unwrap_or_default();
        let secondary_id = StoredUser::from_json(secondary)?.user_id().into_owned();
        if secondary_id != merge_from || merge_from == target.user_id {
            return Err(ApiError::internal("user object: a merge write whose record is not of its secondary"));
        }
        let mut user = self.current_state(target).await?;
        // From here to the commit: no await, so no other event of this
        // object runs in between.
        let clock = now_ms();
        let merged_before = match self.answer_again(options, clock)? {
            None => None,
            Some(Ok(answer)) if answer.status == 200 => Some(answer),
            Some(answer) => return answer,
        };
        if !user.holds_record() {
            return self.refuse(ApiError::user_missing(&target.user_id), options, request_id, clock);
        }
        let stored = self.required_record_json()?;
        // `updated_at` strictly increases, as for every write.
        let now = clock.max(user.last_write_ms + 1);
        let record = match merge_users(stored.as_bytes(), secondary, Timestamp::from_millis(now)) {
            Ok(record) => record,
            Err(refusal @ IdentifyError::InvalidParams(_)) => {
                return self.refuse(refusal.into(), options, request_id, clock)
            }
            Err(other) => return Err(other.into()),
        };
        let changed = changed_names(Some(&StoredUser::from_json(stored.as_bytes())?), &record);
        if let Some(answer) = merged_before.filter(|_| changed.is_empty()) {
            return Ok(answer);
        }
        user.begin_change();
        user.last_write_ms = now;
        let alarm = plan_flush(&mut user, clock);
        let etag = user.etag();
        let reply = self.reply_of(&record, &Answer::User, etag.clone())?;
        let history = History::of_write(changed, etag, record.updated_at(), request_id, ROUTE);
        self.tables.commit(Commit {
            record: Some(Some(record.into_json())),
            state: Some(user),
            answer: kept(options, &reply, clock),
            history,
            ..Commit::default()
        })?;
        self.arm(alarm).await;
        Ok(ObjectAnswer::given(reply))
    }

    /// The answer kept for the request's `Idempotency-Key`, given again (a
    /// 422 when the key came with another request); a 204 when it has none.
    pub(super) fn kept_answer(&self, options: &Options) -> Result<ObjectAnswer, ApiError> {
        match self.answer_again(options, now_ms())? {
            Some(answer) => answer,
            None => Ok(ObjectAnswer::plain(204, Vec::new())),
        }
    }
}
