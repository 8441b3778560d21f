//! The one entry point every edge calls: body bytes in, the new stored
//! record (or every reason not to write one) out.

use crate::error::{IdentifyError, Problem, ProblemType};
use crate::merge::merge;
use crate::model::StoredUser;
use crate::parse::parse_body;
use crate::timestamp::Timestamp;
use crate::validate::{check_user_id, validate_request, IdentifyRequest};

/// Parses and validates an identify request for `user_id`.
pub fn parse_request<'a>(user_id: &str, body: &'a [u8]) -> Result<IdentifyRequest<'a>, IdentifyError> {
    match parse_body(body) {
        Ok(object) => validate_request(user_id, object, body.len()).map_err(IdentifyError::InvalidParams),
        // A body that is JSON but not acceptable as a whole: report a bad
        // user id beside it, as validation would.
        Err(IdentifyError::InvalidParams(mut problems)) => {
            if let Err(error) = check_user_id(user_id) {
                problems.insert(0, error.at("user_id"));
            }
            Err(IdentifyError::InvalidParams(problems))
        }
        Err(other) => Err(other),
    }
}

/// Identify: parses and validates `body` for `user_id`, then merges it into
/// `stored` (`None` for a new user) at time `now`. The caller writes the
/// returned record and answers with its [`StoredUser::user`].
///
/// ```
/// use knock_identify::{identify, Timestamp};
///
/// let now = Timestamp::from_millis(1_714_564_800_000);
/// let record = identify(None, "user-1", br#"{"name": "Jane", "plan": {"tier": "pro"}}"#, now).unwrap();
/// assert_eq!(record.user.properties["plan"]["tier"], "pro");
///
/// let record = identify(Some(record), "user-1", br#"{"plan": {"seats": 3}}"#, now).unwrap();
/// assert_eq!(record.user.properties["plan"]["tier"], "pro");
/// assert_eq!(record.user.properties["plan"]["seats"], 3);
/// ```
pub fn identify(
    stored: Option<StoredUser>,
    user_id: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<StoredUser, IdentifyError> {
    let request = parse_request(user_id, body)?;
    Ok(merge(stored, user_id, request, now))
}

/// Every problem identify would report for this request, as a list: empty
/// when the request is valid. Errors that are not about a field (a body that
/// is not JSON, or too large) are reported on the field `""`.
pub fn validate(user_id: &str, body: &[u8]) -> Vec<Problem> {
    match parse_request(user_id, body) {
        Ok(_) => Vec::new(),
        Err(IdentifyError::InvalidParams(problems)) => problems,
        Err(error @ IdentifyError::RequestTooLarge) => {
            vec![Problem { field: String::new(), message: error.to_string(), kind: ProblemType::TooLarge }]
        }
        Err(error) => vec![Problem { field: String::new(), message: error.to_string(), kind: ProblemType::Format }],
    }
}

impl StoredUser {
    /// Reads a record as storage keeps it (JSON written by [`StoredUser::to_json`]).
    pub fn from_json(bytes: &[u8]) -> Result<StoredUser, IdentifyError> {
        serde_json::from_slice(bytes)
            .map_err(|error| IdentifyError::InvalidStoredRecord { detail: format!("unreadable stored user: {error}") })
    }

    /// The record as storage keeps it: one JSON document.
    pub fn to_json(&self) -> String {
        // A record of strings and JSON values always serializes.
        serde_json::to_string(self).unwrap_or_default()
    }
}
