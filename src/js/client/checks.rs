//! The client's local checks: a method's ids and body checked by the core
//! as the Worker checks them, and refused with one `ValidationError` of
//! every problem before anything is sent.

use crate::js::convert::user_id;
use crate::js::errors::validation_error;
use crate::{check_idempotency_key, check_user_id, IdentifyError, Problem, ProblemType};
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

/// A route's request checked by the core (what the core makes of it is not
/// needed), with the client's own `extra` problem: a `ValidationError` when
/// either refuses it.
pub(super) fn checked_by_core<T>(core: Result<T, IdentifyError>, extra: Option<Problem>) -> Result<(), JsValue> {
    let mut problems = match core {
        Ok(_) => Vec::new(),
        Err(IdentifyError::InvalidParams(problems)) => problems,
        Err(other) => return Err(validation_error(other)),
    };
    problems.extend(extra);
    refused_if_any(problems)
}

/// A caller's `idempotencyKey` checked by the core as the Worker checks the
/// header (contract §9): a `ValidationError` at `Idempotency-Key`. A key
/// the core takes may still not arrive as given: HTTP trims a header
/// value's leading and trailing spaces (`fetch` does it before sending),
/// so such a key is refused here, at the same field.
pub(super) fn checked_idempotency_key(key: &str) -> Result<(), JsValue> {
    let problem = check_idempotency_key(key.as_bytes()).err().or_else(|| edge_space_problem(key));
    refused_if_any(problem.into_iter().collect())
}

/// A key that begins or ends with a space: no header can carry it as it is.
fn edge_space_problem(key: &str) -> Option<Problem> {
    (key.starts_with(' ') || key.ends_with(' ')).then(|| {
        Problem::new(
            "Idempotency-Key",
            ProblemType::Format,
            "an idempotency key must not begin or end with a space: HTTP trims a header's value, so the server \
             would get another key",
        )
    })
}

/// A `ValidationError` of `problems`, unless there are none.
fn refused_if_any(problems: Vec<Problem>) -> Result<(), JsValue> {
    if problems.is_empty() {
        Ok(())
    } else {
        Err(validation_error(IdentifyError::InvalidParams(problems)))
    }
}

/// A set id or a push token of `.` or `..` is valid to the core but no
/// path segment: URLs resolve it away (also as `%2E`), so the request
/// would reach another path. It is refused locally, on the route's field
/// (`id` for a set, `token`); `what` names the value in the message.
pub(super) fn dot_segment_problem(field: &str, what: &str, value: &str) -> Option<Problem> {
    matches!(value, "." | "..").then(|| {
        Problem::new(
            field,
            ProblemType::Format,
            format!("{what} in a URL path must not be `{value}`: URLs resolve it away"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::{dot_segment_problem, edge_space_problem};
    use crate::ProblemType;

    #[test]
    fn keys_with_spaces_at_their_ends_are_refused() {
        for key in [" k", "k ", " ", "  k  "] {
            assert_eq!(edge_space_problem(key).expect("refused").field, "Idempotency-Key", "{key:?}");
        }
        for key in ["k", "a b", "~!"] {
            assert!(edge_space_problem(key).is_none(), "{key:?}");
        }
    }

    #[test]
    fn segments_that_urls_resolve_away_are_refused() {
        for id in [".", ".."] {
            let problem = dot_segment_problem("id", "a preference set id", id).expect("refused");
            assert_eq!((problem.field.as_str(), problem.kind), ("id", ProblemType::Format));
            assert_eq!(
                problem.message,
                format!("a preference set id in a URL path must not be `{id}`: URLs resolve it away")
            );
        }
        let problem = dot_segment_problem("token", "a push token", "..").expect("refused");
        assert_eq!(problem.field, "token");
        for id in ["default", "...", ".a", "a."] {
            assert!(dot_segment_problem("id", "a preference set id", id).is_none(), "{id}");
        }
    }
}
