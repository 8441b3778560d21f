//! Bulk identify (contract §5b): `{"users": [{"id": ..., ...identify body}, ...]}`,
//! 1 to 1,000 users in at most 10 MiB. The whole request is checked before
//! anything is applied: every user as its own identify would be, each
//! problem under `users.N`; then each user is identified on its own.
//!
//! The body is checked as JSON without a tape, then read one user at a
//! time, each in a tape of its own: the memory is that of the users'
//! bodies kept for the answer and of one user, not four times the body.

use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::json::{self, canonical_len, Checked, Cursor, JsonWriter, Kind, Span};
use crate::limits::{MAX_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_BULK_USERS, MAX_DEPTH};
use crate::validate::{user_id_error, validate_request, Path, Report};

/// One user of a bulk identify: its id and its identify body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkUser {
    pub id: String,
    pub body: Vec<u8>,
}

/// The most tape nodes of a user within [`MAX_BODY_BYTES`]: a value of n
/// nodes takes at least 2n - 1 bytes as compact JSON (each scalar one
/// byte or more, each container two, each key three with its `:`, and a
/// `,` between siblings), so a user of more nodes is too large, and gets
/// no tape.
const MAX_USER_NODES: usize = MAX_BODY_BYTES.div_ceil(2);

/// The users of a bulk identify body, once every one of them passes
/// identify's checks; else every problem (at most 100 listed), each under
/// `users.N`, and nothing is to be applied.
pub fn bulk_identify_users(body: &[u8]) -> Result<Vec<BulkUser>, IdentifyError> {
    body::check_size(body, MAX_BULK_BODY_BYTES)?;
    // `users` and its array add two levels to each user's body.
    let checked = json::check(body, MAX_DEPTH + 2).map_err(|error| body::refused(error, "a user's body"))?;
    let no_users = || {
        IdentifyError::one_problem(
            "users",
            ProblemType::Type,
            "expected `users`, an array of 1 to 1000 users, each with its `id`",
        )
    };
    let mut root = checked.cursor();
    if root.kind() != Kind::Object {
        return Err(no_users());
    }
    // Unknown keys are listed before the users' problems, wherever they are.
    let mut report = Report::default();
    let mut users = None;
    while let Some(key) = root.next_key() {
        if key == "users" && root.kind() == Kind::Array {
            users = Some(read_users(&checked, &mut root));
            continue;
        }
        if key != "users" {
            report.push(Problem::new(
                &*key,
                ProblemType::UnknownValue,
                format!("unknown key `{key}`; expected `users`"),
            ));
        }
        root.skip();
    }
    let Some(users) = users else { return Err(no_users()) };
    if users.count == 0 || users.count > MAX_BULK_USERS {
        return Err(IdentifyError::one_problem(
            "users",
            ProblemType::TooLarge,
            format!("expected 1 to {MAX_BULK_USERS} users, got {}", users.count),
        ));
    }
    report.append(users.report);
    let problems = report.into_problems();
    if problems.is_empty() {
        Ok(users.accepted)
    } else {
        Err(IdentifyError::InvalidParams(problems))
    }
}

/// The users of the array at `cursor`, each checked as its own identify.
struct Users {
    count: usize,
    /// The users that passed, while none has failed.
    accepted: Vec<BulkUser>,
    report: Report,
}

/// Reads the `users` array at `cursor`; past [`MAX_BULK_USERS`], only counts.
fn read_users(checked: &Checked<'_>, cursor: &mut Cursor<'_>) -> Users {
    let mut users = Users { count: 0, accepted: Vec::new(), report: Report::default() };
    let users_path = Path::Root.key("users");
    while cursor.next_item() {
        let span = cursor.skip();
        if users.count < MAX_BULK_USERS {
            check_user(checked, span, &users_path.index(users.count), &mut users);
        }
        users.count += 1;
    }
    users
}

/// Checks the user at `span` as its own identify would be, at `user_path`.
fn check_user(checked: &Checked<'_>, span: Span, user_path: &Path<'_>, users: &mut Users) {
    let report = &mut users.report;
    if span.nodes > MAX_USER_NODES {
        // Too large, once its id is right: the id is all that is read.
        let mut user = checked.cursor_at(span.range.start);
        let is_object = user.kind() == Kind::Object;
        let mut id = None;
        while let Some(key) = is_object.then(|| user.next_key()).flatten() {
            if key == "id" {
                id = Some(user.string());
                break;
            }
            user.skip();
        }
        if id_of(is_object, id.as_ref().map(|id| id.as_deref()), user_path, report).is_some() {
            report.add_new(user_path, ProblemType::TooLarge, IdentifyError::RequestTooLarge.to_string());
        }
        return;
    }
    // The body was checked nested at most two levels deeper: a user's tape
    // is refused for nothing else, but would be answered as the body is.
    let tape = match checked.tape(&span, MAX_DEPTH) {
        Ok(tape) => tape,
        Err(error) => {
            for problem in body::refused(error, "a user's body").into_problems() {
                report.push(user_path.place(problem));
            }
            return;
        }
    };
    let user = tape.root();
    let id = user.get("id").map(|id| id.as_str());
    let Some(id) = id_of(user.is_object(), id, user_path, report).map(str::to_owned) else { return };
    let canonical = canonical_len(user);
    if canonical > MAX_BODY_BYTES {
        return report.add_new(user_path, ProblemType::TooLarge, IdentifyError::RequestTooLarge.to_string());
    }
    let body = match validate_request(&id, tape, span.range.len()) {
        // Its body, as canonical JSON, while no user has failed.
        Ok(request) if report.count() == 0 => {
            let mut writer = JsonWriter::with_capacity(canonical);
            writer.value(request.body());
            writer.into_string().into_bytes()
        }
        Ok(_) => return,
        Err(problems) => {
            for problem in problems {
                report.push(user_path.place(problem));
            }
            return;
        }
    };
    users.accepted.push(BulkUser { id, body });
}

/// A user's id, as bulk identify needs it (`id`: the value of its `id`,
/// and that value's text if a string); else its problem, reported.
fn id_of<'u>(
    is_object: bool,
    id: Option<Option<&'u str>>,
    user_path: &Path<'_>,
    report: &mut Report,
) -> Option<&'u str> {
    match id {
        _ if !is_object => report.add_new(user_path, ProblemType::Type, "expected a user object with its `id`"),
        Some(Some(id)) => match user_id_error(id) {
            Ok(()) => return Some(id),
            Err(error) => report.add(&user_path.key("id"), error),
        },
        _ => report.add_new(&user_path.key("id"), ProblemType::Type, "expected the user's `id`, a string"),
    }
    None
}
