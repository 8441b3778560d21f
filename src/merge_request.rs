//! The request of `POST /v1/users/{user_id}/merge` (contract §11): its
//! body, `{"from_user_id": "..."}`, names the user merged into the path's.

use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::model::FieldError;
use crate::quote::quoted;
use crate::validate::{user_id_error, Path, Report};

/// The body's only key.
const FROM_USER_ID: &str = "from_user_id";

/// The id of the user to merge into `user_id` (the secondary), read from a
/// merge request's `body`: an object whose only key is `from_user_id`, a
/// valid user id (§1) other than `user_id`. Refused as identify refuses a
/// body that cannot be read (413, 400, `too_deep`), else with every
/// problem: `user_id` for the path's id, then in the body's order
/// `from_user_id` (`type`, a bad id's own problem, or `mismatch` for the
/// path's id) and each other key (`unknown_value`), then `from_user_id`
/// (`format`) when it is missing.
///
/// ```
/// use knock_identify::merge_from_user_id;
/// assert_eq!(merge_from_user_id("user-1", br#"{"from_user_id": "anon-7"}"#)?, "anon-7");
/// assert!(merge_from_user_id("user-1", br#"{"from_user_id": "user-1"}"#).is_err());
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn merge_from_user_id(user_id: &str, body: &[u8]) -> Result<String, IdentifyError> {
    let tape = body::read(body)?;
    let root = tape.root();
    let mut report = Report::default();
    let path = Path::Root;
    if let Err(error) = user_id_error(user_id) {
        report.add(&path.key("user_id"), error);
    }
    if !root.is_object() {
        let message = format!("expected the body to be a JSON object, got {}", root.type_phrase());
        report.push(Problem::new("", ProblemType::Type, message));
        return Err(IdentifyError::InvalidParams(report.into_problems()));
    }
    // `Some(None)`: sent, but not a valid id.
    let mut from_user_id: Option<Option<&str>> = None;
    for (key, value) in root.entries() {
        let at = path.key(key);
        if key != FROM_USER_ID {
            let message = format!("unknown key {}; expected `{FROM_USER_ID}`", quoted(key));
            report.add_new(&at, ProblemType::UnknownValue, message);
            continue;
        }
        let refused = match value.as_str() {
            None => Err(FieldError::new(
                ProblemType::Type,
                format!("expected the id of the user to merge (a string), got {}", value.type_phrase()),
            )),
            Some(id) if id == user_id => Err(FieldError::new(
                ProblemType::Mismatch,
                format!("expected another user's id: {} is the user merged into", quoted(user_id)),
            )),
            Some(id) => user_id_error(id),
        };
        from_user_id = Some(value.as_str().filter(|_| refused.is_ok()));
        if let Err(error) = refused {
            report.add(&at, error);
        }
    }
    if from_user_id.is_none() {
        let message = format!("expected `{FROM_USER_ID}`, the id of the user to merge into {}", quoted(user_id));
        report.add_new(&path.key(FROM_USER_ID), ProblemType::Format, message);
    }
    match from_user_id.flatten() {
        Some(id) if report.count() == 0 => Ok(id.to_owned()),
        _ => Err(IdentifyError::InvalidParams(report.into_problems())),
    }
}
