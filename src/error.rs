//! The core's errors: malformed input (the body cannot be read as a request)
//! versus invalid input (a report listing every problem at once).

use crate::limits::MAX_BODY_BYTES;
use serde::Serialize;
use std::fmt;

/// The machine word of a [`Problem`]: stable, part of the API contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemType {
    /// The value has the right JSON type but the wrong form.
    Format,
    /// The value has the wrong JSON type.
    Type,
    /// A string is longer than its limit.
    TooLong,
    /// A group of values is larger than its limit.
    TooLarge,
    /// The body is nested deeper than 64 levels.
    TooDeep,
    /// The field is set by the server and cannot be sent.
    ReadOnly,
    /// The value must equal another one (the body's `id` and the path's
    /// id), or differ from it (a merge's `from_user_id` and the path's id).
    Mismatch,
    /// A key or value outside the known set.
    UnknownValue,
    /// More problems than an answer lists: how many were left out.
    TooManyProblems,
}

impl ProblemType {
    /// Every type, in the contract's order.
    pub const ALL: [ProblemType; 9] = [
        ProblemType::Format,
        ProblemType::Type,
        ProblemType::TooLong,
        ProblemType::TooLarge,
        ProblemType::TooDeep,
        ProblemType::ReadOnly,
        ProblemType::Mismatch,
        ProblemType::UnknownValue,
        ProblemType::TooManyProblems,
    ];

    /// The word itself: `format`, `too_long`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemType::Format => "format",
            ProblemType::Type => "type",
            ProblemType::TooLong => "too_long",
            ProblemType::TooLarge => "too_large",
            ProblemType::TooDeep => "too_deep",
            ProblemType::ReadOnly => "read_only",
            ProblemType::Mismatch => "mismatch",
            ProblemType::UnknownValue => "unknown_value",
            ProblemType::TooManyProblems => "too_many_problems",
        }
    }
}

/// One problem with a request: where (a dotted path), what, and its type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Dotted path of the offending value: `phone_number`,
    /// `preferences.default.channel_types.push`, `channel_data.<id>.tokens.2`;
    /// `""` for the body as a whole.
    pub field: String,
    /// What was expected and, where one exists, the fix.
    pub message: String,
    /// The stable machine word for the kind of problem.
    #[serde(rename = "type")]
    pub kind: ProblemType,
}

impl Problem {
    pub(crate) fn new(field: impl Into<String>, kind: ProblemType, message: impl Into<String>) -> Self {
        Problem { field: field.into(), message: message.into(), kind }
    }
}

/// Why an identify request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentifyError {
    /// The body is larger than [`crate::MAX_BODY_BYTES`].
    RequestTooLarge,
    /// The body is not JSON, or an object in it repeats a key.
    InvalidJson {
        /// What is wrong, naming the line and column.
        message: String,
    },
    /// The body is JSON but breaks the rules, or the merged user would pass
    /// a limit: every problem, in the order of the body.
    InvalidParams(Vec<Problem>),
    /// The stored record handed to the core could not be read. Storage holds
    /// only records the core wrote, so this is a bug or corruption, never
    /// the caller's fault.
    InvalidStoredRecord {
        /// What could not be read (for logs, never for answers).
        detail: String,
    },
}

impl IdentifyError {
    /// An [`IdentifyError::InvalidParams`] of one problem.
    pub(crate) fn one_problem(field: &str, kind: ProblemType, message: impl Into<String>) -> IdentifyError {
        IdentifyError::InvalidParams(vec![Problem::new(field, kind, message)])
    }

    /// The HTTP status the contract assigns to this error.
    pub fn status(&self) -> u16 {
        match self {
            IdentifyError::RequestTooLarge => 413,
            IdentifyError::InvalidJson { .. } => 400,
            IdentifyError::InvalidParams(_) => 422,
            IdentifyError::InvalidStoredRecord { .. } => 500,
        }
    }

    /// The error code the contract assigns to this error.
    pub fn code(&self) -> &'static str {
        match self {
            IdentifyError::RequestTooLarge => "request_too_large",
            IdentifyError::InvalidJson { .. } => "invalid_json",
            IdentifyError::InvalidParams(_) => "invalid_params",
            IdentifyError::InvalidStoredRecord { .. } => "internal_error",
        }
    }

    /// The problems of an [`IdentifyError::InvalidParams`], else empty.
    pub fn problems(&self) -> &[Problem] {
        match self {
            IdentifyError::InvalidParams(problems) => problems,
            _ => &[],
        }
    }

    /// The error as a list of problems, as [`crate::validate`] gives it: a
    /// body that is too large or not JSON is one problem on the field `""`;
    /// a stored record that cannot be read is none (it is not the request's).
    pub fn into_problems(self) -> Vec<Problem> {
        match self {
            IdentifyError::InvalidParams(problems) => problems,
            IdentifyError::RequestTooLarge => vec![Problem::new("", ProblemType::TooLarge, self.to_string())],
            IdentifyError::InvalidJson { message } => vec![Problem::new("", ProblemType::Format, message)],
            IdentifyError::InvalidStoredRecord { .. } => Vec::new(),
        }
    }
}

impl fmt::Display for IdentifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdentifyError::RequestTooLarge => {
                write!(f, "the request body is larger than {MAX_BODY_BYTES} bytes (1 MiB)")
            }
            IdentifyError::InvalidJson { message } => f.write_str(message),
            IdentifyError::InvalidParams(problems) => {
                let plural = if problems.len() == 1 { "" } else { "s" };
                write!(f, "the request has {} problem{plural}, listed in `errors`", problems.len())
            }
            IdentifyError::InvalidStoredRecord { .. } => f.write_str("internal error"),
        }
    }
}

impl std::error::Error for IdentifyError {}
