//! The entry points every edge calls: body bytes in, the new stored record
//! (or every reason not to write one) out.

use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::merge::merge;
use crate::record::StoredUser;
use crate::timestamp::Timestamp;
use crate::validate::{check_user_id, user_id_from_utf8, validate_request, IdentifyRequest, ValidatedRequest};

/// Parses and validates an identify request for `user_id`: at most
/// [`crate::MAX_BODY_BYTES`], JSON without duplicated keys, nested at most
/// [`crate::MAX_DEPTH`] levels, an object, and every field as §1–§2 say.
pub fn parse_request<'a>(user_id: &'a str, body: &'a [u8]) -> Result<IdentifyRequest<'a>, IdentifyError> {
    let whole_body_problems = match body::read(body) {
        Ok(tape) if tape.root().is_object() => {
            return validate_request(user_id, tape, body.len()).map_err(IdentifyError::InvalidParams)
        }
        Ok(tape) => vec![Problem::new(
            "",
            ProblemType::Type,
            format!("expected the body to be a JSON object, got {}", tape.root().type_phrase()),
        )],
        // Nested too deep.
        Err(IdentifyError::InvalidParams(problems)) => problems,
        Err(other) => return Err(other),
    };
    // A body that is JSON but not acceptable as a whole: a bad user id beside it, as validation would.
    let problems = check_user_id(user_id).err().into_iter().chain(whole_body_problems).collect();
    Err(IdentifyError::InvalidParams(problems))
}

/// [`parse_request`] for a user id given as bytes, a percent-decoded URL
/// segment: an id that is not UTF-8 is a problem on `user_id`, reported
/// beside the body's own problems, as any other bad id is.
pub fn parse_request_bytes<'a>(user_id: &'a [u8], body: &'a [u8]) -> Result<IdentifyRequest<'a>, IdentifyError> {
    let not_utf8 = match user_id_from_utf8(user_id) {
        Ok(id) => return parse_request(id, body),
        Err(problem) => problem,
    };
    // The body's problems, as for the id with its bad bytes replaced (so a
    // body `id` is a mismatch), without any other problem on `user_id`.
    let shown = String::from_utf8_lossy(user_id);
    let mut problems = vec![not_utf8];
    match parse_request(&shown, body) {
        Ok(_) => {}
        Err(IdentifyError::InvalidParams(found)) => {
            problems.extend(found.into_iter().filter(|problem| problem.field != "user_id"))
        }
        Err(other) => return Err(other),
    }
    Err(IdentifyError::InvalidParams(problems))
}

impl ValidatedRequest {
    /// [`identify`] of this request: merged into `stored` at `now`.
    pub fn merge(self, stored: Option<&[u8]>, now: Timestamp) -> Result<StoredUser, IdentifyError> {
        self.with_request(|request| merge(stored, request, now))
    }
}

/// Identify: parses and validates `body` for `user_id`, then merges it into
/// `stored` (the record as storage keeps it, [`StoredUser::as_json`];
/// `None` for a new user) at time `now`. The caller writes the returned
/// record and answers with its [`StoredUser::user_json`].
///
/// ```
/// use knock_identify::{identify, Timestamp};
///
/// let now = Timestamp::from_millis(1_714_564_800_000);
/// let record = identify(None, "user-1", br#"{"name": "Jane", "plan": {"tier": "pro"}}"#, now)?;
/// let record = identify(Some(record.as_json().as_bytes()), "user-1", br#"{"plan": {"seats": 3}}"#, now)?;
/// assert!(record.user_json().ends_with(r#""updated_at":"2024-05-01T12:00:00.000Z","plan":{"tier":"pro","seats":3}}"#));
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn identify(
    stored: Option<&[u8]>,
    user_id: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<StoredUser, IdentifyError> {
    let request = parse_request(user_id, body)?;
    merge(stored, &request, now)
}

/// Every problem identify would report for this request without a stored
/// user, as a list: empty when the request is valid. A body that is not
/// JSON, or too large, is one problem on the field `""`.
pub fn validate(user_id: &str, body: &[u8]) -> Vec<Problem> {
    match parse_request(user_id, body) {
        Ok(_) => Vec::new(),
        Err(error) => error.into_problems(),
    }
}
