//! A request body read as JSON, and the answer to one that cannot be read:
//! too large (413), not JSON or a repeated key (400), nested too deep (422,
//! `too_deep`). Identify, the channel and preference set routes and bulk
//! identify all read their bodies through here, so they answer alike.

use crate::error::{IdentifyError, ProblemType};
use crate::json::{self, ParseError, Tape};
use crate::limits::{MAX_BODY_BYTES, MAX_DEPTH};

/// An identify body, or a route's: at most [`MAX_BODY_BYTES`], JSON
/// without repeated keys, nested at most [`MAX_DEPTH`] levels.
pub(crate) fn read(body: &[u8]) -> Result<Tape<'_>, IdentifyError> {
    check_size(body, MAX_BODY_BYTES)?;
    json::parse(body, MAX_DEPTH).map_err(|error| refused(error, "the body"))
}

/// A body of at most `max_bytes`, else [`IdentifyError::RequestTooLarge`].
pub(crate) fn check_size(body: &[u8], max_bytes: usize) -> Result<(), IdentifyError> {
    if body.len() > max_bytes {
        return Err(IdentifyError::RequestTooLarge);
    }
    Ok(())
}

/// The answer to a body the parser refused; `nested` names what passed
/// [`MAX_DEPTH`] (`the body`, `a user's body`).
pub(crate) fn refused(error: ParseError, nested: &str) -> IdentifyError {
    match error {
        ParseError::TooDeep => IdentifyError::one_problem(
            "",
            ProblemType::TooDeep,
            format!("{nested} is nested deeper than {MAX_DEPTH} levels"),
        ),
        ParseError::Syntax(message) => {
            IdentifyError::InvalidJson { message: format!("the body is not valid JSON: {message}") }
        }
    }
}
