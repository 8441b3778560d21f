//! Bulk operations on users named by id (contract §5c): bulk delete,
//! `{"user_ids": [...]}`, and bulk preferences, `{"user_ids": [...],
//! "preferences": {"id": ..., ...set}}`; 1 to 1,000 ids in at most 10 MiB.
//! As for bulk identify (§5b), the whole request is checked before anything
//! is applied: each id as a path's user id is (§1), each problem at
//! `user_ids.N`; the set as the preference set route checks one (§5a), its
//! problems under `preferences`. Problems come in this order: unknown keys,
//! then the ids', then the set's.
//!
//! The body is checked as JSON without a tape and read with a cursor: the
//! ids one at a time, the set in a tape of its own.

use crate::body;
use crate::error::{IdentifyError, Problem, ProblemType};
use crate::json::{self, canonical_len, Checked, Cursor, Kind, ParseError, Span, Value};
use crate::limits::{MAX_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_BULK_USERS, MAX_DEPTH};
use crate::quote::quoted;
use crate::section_entry::replacing_set_body;
use crate::validate::{check_key, user_id_error, Path, Report, PERSISTENCE_STRATEGY};

/// A bulk preferences request that passed every check: each user's set
/// `set_id` is to be replaced by identifying the user with `body`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkPreferences {
    /// The users, in the order sent (an id sent twice is there twice).
    pub user_ids: Vec<String>,
    /// The set's id: the request's `preferences.id`, `default` when absent or `null`.
    pub set_id: String,
    /// The identify body each user is written with, the same for every
    /// user: `{"preferences":{"<set_id>":{...set,"__persistence_strategy__":"replace"}}}`,
    /// the set as sent but for its `id` (canonical JSON).
    pub body: Vec<u8>,
}

/// The set a bulk preferences request writes when it names none.
const DEFAULT_SET_ID: &str = "default";
/// A user id the set is checked for: the identify body names no user.
const STAND_IN_USER_ID: &str = "user";
/// The deepest a set may be nested on its own: in the identify body it
/// stands for, it is two levels down (`{"preferences":{"<id>": set}}`).
const MAX_SET_DEPTH: usize = MAX_DEPTH - 2;
/// The most tape nodes of a set within [`MAX_BODY_BYTES`] (as bulk
/// identify's users): a set of more is past 1 MiB of compact JSON, too
/// large for the identify body it stands for, and gets no tape.
const MAX_SET_NODES: usize = MAX_BODY_BYTES.div_ceil(2);
/// A set too large for the identify body it stands for.
const SET_PAST_1_MIB: &str = "the preference set takes more than 1048576 bytes (1 MiB) as compact JSON; preferences take at most 262144 bytes (256 KiB)";

/// The ids of a bulk delete body (`POST /v1/users/bulk/delete`), once
/// every one is a valid user id; else every problem (at most 100 listed)
/// and nothing is to be applied.
///
/// ```
/// use knock_identify::bulk_delete_user_ids;
///
/// assert_eq!(bulk_delete_user_ids(br#"{"user_ids": ["jane", "joe"]}"#)?, ["jane", "joe"]);
/// let refused = bulk_delete_user_ids(br#"{"user_ids": ["jane", "a/b"]}"#).unwrap_err();
/// assert_eq!(refused.problems()[0].field, "user_ids.1");
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn bulk_delete_user_ids(body: &[u8]) -> Result<Vec<String>, IdentifyError> {
    let checked = check_body(body)?;
    let request = read_request(&checked, "`user_ids`", false)?;
    let mut report = request.unknown;
    let user_ids = request.user_ids.into_report(&mut report);
    finish(report, user_ids)
}

/// A bulk preferences body (`POST /v1/users/bulk/preferences`), once every
/// id is a valid user id and the set passes the preference set route's
/// checks; else every problem (at most 100 listed) and nothing is to be
/// applied. The set always replaces each user's set of its id: a
/// `__persistence_strategy__` other than `replace` is a problem.
///
/// ```
/// use knock_identify::bulk_set_preferences;
///
/// let bulk = bulk_set_preferences(br#"{"user_ids": ["jane"], "preferences": {"id": "default", "channel_types": {"sms": false}}}"#)?;
/// assert_eq!(bulk.set_id, "default");
/// assert_eq!(
///     bulk.body,
///     br#"{"preferences":{"default":{"channel_types":{"sms":false},"__persistence_strategy__":"replace"}}}"#
/// );
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn bulk_set_preferences(body: &[u8]) -> Result<BulkPreferences, IdentifyError> {
    let checked = check_body(body)?;
    let request = read_request(&checked, "`user_ids` or `preferences`", true)?;
    let mut report = request.unknown;
    let user_ids = request.user_ids.into_report(&mut report);
    let set = replacing_body(&checked, request.set, &mut report);
    let (user_ids, (set_id, body)) = finish(report, user_ids.zip(set))?;
    Ok(BulkPreferences { user_ids, set_id, body })
}

/// The body at most [`MAX_BULK_BODY_BYTES`], JSON without repeated keys,
/// nested at most [`MAX_DEPTH`] levels.
fn check_body(body: &[u8]) -> Result<Checked<'_>, IdentifyError> {
    body::check_size(body, MAX_BULK_BODY_BYTES)?;
    json::check(body, MAX_DEPTH).map_err(|error| body::refused(error, "the body"))
}

/// `value` when no problem was found, else the problems.
fn finish<T>(report: Report, value: Option<T>) -> Result<T, IdentifyError> {
    match value {
        Some(value) if report.count() == 0 => Ok(value),
        _ => Err(IdentifyError::InvalidParams(report.into_problems())),
    }
}

/// A request's members as read: its unknown keys' problems, its ids, and
/// where its set lies.
struct Request {
    unknown: Report,
    user_ids: UserIds,
    /// `preferences`: its kind and span, if sent (and expected).
    set: Option<(Kind, Span)>,
}

/// Reads the body's object: `expected` names its keys in an unknown key's
/// problem; `with_set` reads `preferences` too. A body that is not an
/// object has one problem, on `user_ids`.
fn read_request(checked: &Checked<'_>, expected: &str, with_set: bool) -> Result<Request, IdentifyError> {
    let mut root = checked.cursor();
    if root.kind() != Kind::Object {
        return Err(IdentifyError::InvalidParams(vec![UserIds::NotAnArray(root.kind()).problem()]));
    }
    let mut request = Request { unknown: Report::default(), user_ids: UserIds::Absent, set: None };
    while let Some(key) = root.next_key() {
        match &*key {
            "user_ids" => request.user_ids = UserIds::read(&mut root),
            "preferences" if with_set => request.set = Some((root.kind(), root.skip())),
            _ => {
                request.unknown.push(Problem::new(
                    &*key,
                    ProblemType::UnknownValue,
                    format!("unknown key {}; expected {expected}", quoted(&key)),
                ));
                root.skip();
            }
        }
    }
    Ok(request)
}

/// `user_ids` as read.
enum UserIds {
    Absent,
    /// Not an array: its kind.
    NotAnArray(Kind),
    /// Past [`MAX_BULK_USERS`] or empty: its count.
    Count(usize),
    /// 1 to [`MAX_BULK_USERS`] ids: the valid ones, and the others' problems.
    Read(Vec<String>, Report),
}

impl UserIds {
    /// Reads the value at `cursor`; past [`MAX_BULK_USERS`] ids, only counts.
    fn read(cursor: &mut Cursor<'_>) -> UserIds {
        if cursor.kind() != Kind::Array {
            let kind = cursor.kind();
            cursor.skip();
            return UserIds::NotAnArray(kind);
        }
        let (mut ids, mut report, mut count) = (Vec::new(), Report::default(), 0);
        let path = Path::Root.key("user_ids");
        while cursor.next_item() {
            if count >= MAX_BULK_USERS {
                cursor.skip();
            } else {
                let kind = cursor.kind();
                match cursor.string() {
                    Some(id) => match user_id_error(&id) {
                        Ok(()) => ids.push(id.into_owned()),
                        Err(error) => report.add(&path.index(count), error),
                    },
                    None => report.add_new(
                        &path.index(count),
                        ProblemType::Type,
                        format!("expected a user id, a string, got {}", kind.phrase()),
                    ),
                }
            }
            count += 1;
        }
        if count == 0 || count > MAX_BULK_USERS {
            return UserIds::Count(count);
        }
        UserIds::Read(ids, report)
    }

    /// The ids when all are valid; else their problems, added to `report`.
    fn into_report(self, report: &mut Report) -> Option<Vec<String>> {
        match self {
            UserIds::Read(ids, problems) if problems.count() == 0 => return Some(ids),
            UserIds::Read(_, problems) => report.append(problems),
            other => report.push(other.problem()),
        }
        None
    }

    /// The one problem of `user_ids` absent, not an array, or of a count out of range.
    fn problem(&self) -> Problem {
        const EXPECTED: &str = "expected `user_ids`, an array of 1 to 1000 user ids";
        match self {
            UserIds::Count(count) => Problem::new(
                "user_ids",
                ProblemType::TooLarge,
                format!("expected 1 to {MAX_BULK_USERS} user ids, got {count}"),
            ),
            UserIds::NotAnArray(kind) => {
                Problem::new("user_ids", ProblemType::Type, format!("{EXPECTED}, got {}", kind.phrase()))
            }
            UserIds::Absent | UserIds::Read(..) => Problem::new("user_ids", ProblemType::Type, EXPECTED),
        }
    }
}

/// The set id and identify body of the set at `set` (`preferences`), once
/// they pass the checks; else their problems, added to `report`.
fn replacing_body(checked: &Checked<'_>, set: Option<(Kind, Span)>, report: &mut Report) -> Option<(String, Vec<u8>)> {
    const EXPECTED: &str = "expected `preferences`, a preference set object with its `id` (`default` or a tenant id)";
    let path = Path::Root.key("preferences");
    let span = match set {
        Some((Kind::Object, span)) => span,
        Some((kind, _)) => {
            report.add_new(&path, ProblemType::Type, format!("{EXPECTED}, got {}", kind.phrase()));
            return None;
        }
        None => {
            report.add_new(&path, ProblemType::Type, EXPECTED);
            return None;
        }
    };
    if span.nodes > MAX_SET_NODES {
        report.add_new(&path, ProblemType::TooLarge, SET_PAST_1_MIB);
        return None;
    }
    let tape = match checked.tape(&span, MAX_SET_DEPTH) {
        Ok(tape) => tape,
        Err(ParseError::TooDeep) => {
            report.add_new(
                &path,
                ProblemType::TooDeep,
                format!(
                    "the preference set is nested deeper than {MAX_SET_DEPTH} levels, the most an identify body of {MAX_DEPTH} levels holds"
                ),
            );
            return None;
        }
        Err(error) => {
            // The body was checked whole: not reached.
            body::refused(error, "the preference set")
                .into_problems()
                .into_iter()
                .for_each(|problem| report.push(problem));
            return None;
        }
    };
    let set = tape.root();
    if canonical_len(set) > MAX_BODY_BYTES {
        // Not written out: the identify body would be refused for its size.
        report.add_new(&path, ProblemType::TooLarge, SET_PAST_1_MIB);
        return None;
    }
    let mut problems = Vec::new();
    let set_id = set_id(set.get("id"), &mut problems);
    if let Some(strategy) = set.get(PERSISTENCE_STRATEGY) {
        problems.extend(strategy_problem(strategy));
    }
    let under_preferences = |problem| path.place(problem);
    // A bad id stands as `default` while the set is checked.
    match replacing_set_body(STAND_IN_USER_ID, set_id, set, "id", under_preferences, problems) {
        Ok(body) => Some((set_id.to_owned(), body)),
        Err(IdentifyError::InvalidParams(problems)) => {
            problems.into_iter().for_each(|problem| report.push(problem));
            None
        }
        Err(IdentifyError::RequestTooLarge) => {
            report.add_new(&path, ProblemType::TooLarge, SET_PAST_1_MIB);
            None
        }
        Err(other) => {
            report.push(Problem::new("preferences", ProblemType::Format, other.to_string()));
            None
        }
    }
}

/// The set's id (`id`): a preference set id, `default` when absent or
/// `null`; else its problem, added to `problems`, and `default`.
fn set_id<'t>(id: Option<Value<'t>>, problems: &mut Vec<Problem>) -> &'t str {
    let Some(id) = id.filter(|id| !id.is_null()) else { return DEFAULT_SET_ID };
    match id.as_str() {
        Some(text) => match check_key(text, "preference set ids") {
            Ok(()) => return text,
            Err(error) => problems.push(error.at("preferences.id")),
        },
        None => problems.push(Problem::new(
            "preferences.id",
            ProblemType::Type,
            format!("expected the preference set's id, a string (`default` or a tenant id), got {}", id.type_phrase()),
        )),
    }
    DEFAULT_SET_ID
}

/// The problem of a `__persistence_strategy__` other than `replace`: a
/// bulk set always replaces.
fn strategy_problem(strategy: Value<'_>) -> Option<Problem> {
    const FIELD: &str = "preferences.__persistence_strategy__";
    match strategy.as_str() {
        Some("replace") => None,
        Some(other) => Some(Problem::new(
            FIELD,
            ProblemType::UnknownValue,
            format!("a bulk preference set always replaces the stored set: expected `replace`, got {}", quoted(other)),
        )),
        None => {
            Some(Problem::new(FIELD, ProblemType::Type, format!("expected `replace`, got {}", strategy.type_phrase())))
        }
    }
}
