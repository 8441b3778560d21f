//! Bulk identify (contract §5b): `{"users": [{"id": ..., ...identify body}, ...]}`,
//! 1 to 1,000 users in at most 10 MiB. The whole request is checked before
//! anything is applied: every user as its own identify would be, each
//! problem under `users.N`; then each user is identified on its own.

use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::identify::parse_request;
use crate::json::{self, JsonWriter};
use crate::limits::{MAX_BULK_BODY_BYTES, MAX_BULK_USERS, MAX_DEPTH};
use crate::validate::{user_id_error, Path, Report};

/// One user of a bulk identify: its id and its identify body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUser {
    pub id: String,
    pub body: Vec<u8>,
}

/// The users of a bulk identify body, once every one of them passes
/// identify's checks; else every problem (at most 100 listed), each under
/// `users.N`, and nothing is to be applied.
pub fn bulk_identify_users(body: &[u8]) -> Result<Vec<BulkUser>, IdentifyError> {
    body::check_size(body, MAX_BULK_BODY_BYTES)?;
    // `users` and its array add two levels to each user's body.
    let tape = json::parse(body, MAX_DEPTH + 2).map_err(|error| body::refused(error, "a user's body"))?;
    let root = tape.root();
    let Some(users) = root.get("users").filter(|users| users.kind() == json::Kind::Array) else {
        return Err(IdentifyError::one_problem(
            "users",
            ProblemType::Type,
            "expected `users`, an array of 1 to 1000 users, each with its `id`",
        ));
    };
    let count = users.len();
    if count == 0 || count > MAX_BULK_USERS {
        return Err(IdentifyError::one_problem(
            "users",
            ProblemType::TooLarge,
            format!("expected 1 to {MAX_BULK_USERS} users, got {count}"),
        ));
    }
    let mut report = Report::default();
    for (key, _) in root.entries().filter(|(key, _)| *key != "users") {
        report.push(Problem::new(key, ProblemType::UnknownValue, format!("unknown key `{key}`; expected `users`")));
    }
    let mut accepted = Vec::with_capacity(count);
    let users_path = Path::Root.key("users");
    for (index, user) in users.items().enumerate() {
        let user_path = users_path.index(index);
        let id = match user.get("id").filter(|_| user.is_object()).map(|id| id.as_str()) {
            Some(Some(id)) => id,
            _ if user.is_object() => {
                report.add_new(&user_path.key("id"), ProblemType::Type, "expected the user's `id`, a string");
                continue;
            }
            _ => {
                report.add_new(&user_path, ProblemType::Type, "expected a user object with its `id`");
                continue;
            }
        };
        if let Err(error) = user_id_error(id) {
            report.add(&user_path.key("id"), error);
            continue;
        }
        let mut writer = JsonWriter::with_capacity(64);
        writer.value(user);
        let body = writer.into_string().into_bytes();
        let checked = parse_request(id, &body).map(|_| ());
        match checked {
            Ok(()) => accepted.push(BulkUser { id: id.to_owned(), body }),
            // Every problem, or the one of a body too large.
            Err(error) => {
                for problem in error.into_problems() {
                    report.push(user_path.place(problem));
                }
            }
        }
    }
    let problems = report.into_problems();
    if problems.is_empty() {
        Ok(accepted)
    } else {
        Err(IdentifyError::InvalidParams(problems))
    }
}
