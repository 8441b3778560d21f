//! The message between the Worker and a user's Durable Object: the
//! binding, and an internal request's headers (the environment, the user id,
//! the API request's id, what the answer is: the user, one channel's data or
//! one preference set, and the bulk operation's row a write comes from),
//! read and written in one place.

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
/// What the object answers with: absent for the user, else `channel_data/<id>`
/// or `preferences/<id>`, the id percent-encoded.
const ANSWER_HEADER: &str = "X-Answer";
/// Present on a write that applies only to a user the object holds.
const IF_EXISTS_HEADER: &str = "X-If-Exists";
/// The bulk operation's row (`{operation id}/{row}`) an identify applies:
/// the object applies each row at most once (contract §5b).
const BULK_ROW_HEADER: &str = "X-Bulk-Row";

/// What an object's answer to a read or a write holds (contract §4, §5a).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The user, in the response shape of identify.
    User,
    /// The `ChannelData` of one channel.
    ChannelData(String),
    /// One `PreferenceSet`.
    PreferenceSet(String),
}

/// One internal request's options beside its target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    pub answer: Answer,
    /// A write that applies only to a user the object holds (else a 404, nothing written).
    pub if_exists: bool,
    /// The bulk row (`{operation id}/{row}`) an identify applies, if it comes from a bulk.
    pub bulk_row: Option<String>,
}

impl Options {
    /// A request answered with `answer`, for any user.
    pub fn answer(answer: Answer) -> Options {
        Options { answer, if_exists: false, bulk_row: None }
    }

    /// Puts the options in an internal request's headers.
    pub fn write_headers(&self, headers: &Headers) -> worker::Result<()> {
        let encode = |id: &str| utf8_percent_encode(id, NON_ALPHANUMERIC).to_string();
        match &self.answer {
            Answer::User => {}
            Answer::ChannelData(id) => headers.set(ANSWER_HEADER, &format!("channel_data/{}", encode(id)))?,
            Answer::PreferenceSet(id) => headers.set(ANSWER_HEADER, &format!("preferences/{}", encode(id)))?,
        }
        if self.if_exists {
            headers.set(IF_EXISTS_HEADER, "1")?;
        }
        if let Some(row) = &self.bulk_row {
            headers.set(BULK_ROW_HEADER, row)?;
        }
        Ok(())
    }

    /// The options of an internal request.
    pub fn from_headers(headers: &Headers) -> worker::Result<Options> {
        let decode = |id: &str| percent_decode_str(id).decode_utf8().map(|id| id.into_owned());
        let answer = match headers.get(ANSWER_HEADER)? {
            None => Answer::User,
            Some(value) => match value.split_once('/') {
                Some(("channel_data", id)) => {
                    Answer::ChannelData(decode(id).map_err(|_| "a channel id that is not UTF-8")?)
                }
                Some(("preferences", id)) => {
                    Answer::PreferenceSet(decode(id).map_err(|_| "a set id that is not UTF-8")?)
                }
                _ => return Err("an unknown answer header".into()),
            },
        };
        Ok(Options {
            answer,
            if_exists: headers.get(IF_EXISTS_HEADER)?.is_some(),
            bulk_row: headers.get(BULK_ROW_HEADER)?,
        })
    }
}

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
