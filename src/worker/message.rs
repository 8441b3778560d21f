//! The message between the Worker and a user's Durable Object: the
//! binding, and an internal request's headers (the environment, the user id
//! and the API request's id), read and written in one place.

use percent_encoding::{percent_decode_str, utf8_percent_encode, NON_ALPHANUMERIC};
use worker::Headers;

/// The Durable Object binding (wrangler.toml `[[durable_objects.bindings]]`).
pub const BINDING: &str = "USER_OBJECTS";
/// The environment of an internal request.
const ENVIRONMENT_HEADER: &str = "X-Environment";
/// The user id of an internal request, percent-encoded (header values are Latin-1).
const USER_ID_HEADER: &str = "X-User-Id";
/// The API request's id, for the object's log lines and error answers.
pub const REQUEST_ID_HEADER: &str = "X-Request-ID";

/// The user a request to an object is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The environment of the API key.
    pub environment: String,
    /// The percent-decoded user id.
    pub user_id: String,
}

impl Target {
    /// The object's name.
    pub fn object_name(&self) -> String {
        format!("{}/{}", self.environment, self.user_id)
    }

    /// Puts the target in an internal request's headers.
    pub fn write_headers(&self, headers: &Headers) -> worker::Result<()> {
        headers.set(ENVIRONMENT_HEADER, &self.environment)?;
        headers.set(USER_ID_HEADER, &utf8_percent_encode(&self.user_id, NON_ALPHANUMERIC).to_string())
    }

    /// The target of an internal request.
    pub fn from_headers(headers: &Headers) -> worker::Result<Target> {
        let environment = headers.get(ENVIRONMENT_HEADER)?.ok_or("no environment header")?;
        let encoded = headers.get(USER_ID_HEADER)?.ok_or("no user id header")?;
        let user_id = percent_decode_str(&encoded).decode_utf8().map_err(|_| "a user id header that is not UTF-8")?;
        Ok(Target { environment, user_id: user_id.into_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_unambiguous() {
        let name = |environment: &str, user_id: &str| {
            Target { environment: environment.into(), user_id: user_id.into() }.object_name()
        };
        assert_eq!(name("development", "jane"), "development/jane");
        // An environment has no `/`, so the first `/` ends it.
        assert_ne!(name("a", "b c"), name("a b", "c"));
    }
}
