//! The client's local checks: a method's ids and body checked by the core
//! as the Worker checks them, and refused with one `ValidationError` of
//! every problem before anything is sent.

use crate::js::convert::user_id;
use crate::js::errors::validation_error;
use crate::{check_user_id, IdentifyError, Problem, ProblemType};
use wasm_bindgen::JsValue;

/// A user id checked as contract §1 says, for `get` and `delete`: a bad id
/// would not even name one path segment (`..` is resolved away by URLs).
pub(super) fn checked_user_id(value: &JsValue) -> Result<String, JsValue> {
    let id = user_id(value)?;
    checked_ids(&id, [])?;
    Ok(id)
}

/// A read's ids checked as the Worker checks them: the user id and the
/// part's own problems, all in one `ValidationError`.
pub(super) fn checked_ids<const N: usize>(user_id: &str, part_problems: [Option<Problem>; N]) -> Result<(), JsValue> {
    refused_if_any(std::iter::once(check_user_id(user_id).err()).chain(part_problems).flatten().collect())
}

/// A route's request checked by the core (its identify body is not
/// needed), with the client's own `extra` problem: a `ValidationError` when
/// either refuses it.
pub(super) fn checked_by_core(core: Result<Vec<u8>, IdentifyError>, extra: Option<Problem>) -> Result<(), JsValue> {
    let mut problems = match core {
        Ok(_) => Vec::new(),
        Err(IdentifyError::InvalidParams(problems)) => problems,
        Err(other) => return Err(validation_error(other)),
    };
    problems.extend(extra);
    refused_if_any(problems)
}

/// A `ValidationError` of `problems`, unless there are none.
fn refused_if_any(problems: Vec<Problem>) -> Result<(), JsValue> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(validation_error(IdentifyError::InvalidParams(problems)))
    }
}

/// A set id of `.` or `..` is a valid key but no path segment: URLs
/// resolve it away (also as `%2E`), so the request would reach another
/// path. It is refused locally, on the route's field `id`.
pub(super) fn dot_segment_problem(set_id: &str) -> Option<Problem> {
    matches!(set_id, "." | "..").then(|| {
        Problem::new(
            "id",
            ProblemType::Format,
            format!("a preference set id in a URL path must not be `{set_id}`: URLs resolve it away"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::dot_segment_problem;
    use crate::ProblemType;

    #[test]
    fn set_ids_that_urls_resolve_away_are_refused() {
        for id in [".", ".."] {
            let problem = dot_segment_problem(id).expect("refused");
            assert_eq!((problem.field.as_str(), problem.kind), ("id", ProblemType::Format));
        }
        for id in ["default", "...", ".a", "a."] {
            assert!(dot_segment_problem(id).is_none(), "{id}");
        }
    }
}
