//! The message between the Worker and a user's Durable Object: the
//! binding, and an internal request's headers (the environment, the user id,
//! the API request's id, what the answer is: the user, one channel's data,
//! one preference set or a page of history; the bulk operation's row a
//! write comes from, the request's conditions and `Idempotency-Key`, the
//! route's name, a push token, a merge's secondary), read and written in
//! one place.

use crate::worker::idempotency::Idempotency;
use crate::TokenChange;
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
/// What the object answers with: absent for the user, else `channel_data/<id>`,
/// `preferences/<id>` or `changes/<page size>/<cursor>`, the ids percent-encoded.
const ANSWER_HEADER: &str = "X-Answer";
/// Present on a write that applies only to a user the object holds.
const IF_EXISTS_HEADER: &str = "X-If-Exists";
/// The bulk operation's row (`{operation id}/{row}`) an identify applies:
/// the object applies each row at most once (contract §5b).
const BULK_ROW_HEADER: &str = "X-Bulk-Row";
/// The API request's `If-Match` and `If-None-Match`, as sent (contract §9).
const IF_MATCH_HEADER: &str = "X-If-Match";
const IF_NONE_MATCH_HEADER: &str = "X-If-None-Match";
/// The API request's `Idempotency-Key` and its fingerprint (contract §9).
const IDEMPOTENCY_KEY_HEADER: &str = "X-Idempotency-Key";
const FINGERPRINT_HEADER: &str = "X-Request-Fingerprint";
/// The route of a write, as the change history names it.
const ROUTE_HEADER: &str = "X-Route";
/// A push token to add or remove: `add/<channel id>/<token>` or
/// `remove/...`, both percent-encoded.
const PUSH_TOKEN_HEADER: &str = "X-Push-Token";
/// A merge write's secondary user, percent-encoded (contract §11): the
/// body is that user's record.
const MERGE_FROM_HEADER: &str = "X-Merge-From";

/// What an object's answer to a read or a write holds (contract §4, §5a, §9).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Answer {
    /// The user, in the response shape of identify.
    #[default]
    User,
    /// The `ChannelData` of one channel.
    ChannelData(String),
    /// One `PreferenceSet`.
    PreferenceSet(String),
    /// A page of the user's change history: its size, and the cursor it
    /// starts after (checked by the Worker).
    Changes(u8, Option<String>),
    /// Every `PreferenceSet` of the user, as a list.
    PreferenceSets,
    /// The user's whole record, as the object keeps it (a merge reads its
    /// secondary so, contract §11).
    Record,
    /// Only the answer kept for the request's `Idempotency-Key` (a 204 when
    /// there is none), nothing read or written.
    Kept,
}

/// A push token's write (contract §9): the channel, the token, and whether
/// it is added or removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushToken {
    pub change: TokenChange,
    pub channel_id: String,
    pub token: String,
}

/// One internal request's options beside its target.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Options {
    pub answer: Answer,
    /// A write that applies only to a user the object holds (else a 404, nothing written).
    pub if_exists: bool,
    /// The bulk row (`{operation id}/{row}`) an identify applies, if it comes from a bulk.
    pub bulk_row: Option<String>,
    /// The API request's conditions, as sent.
    pub if_match: Option<String>,
    pub if_none_match: Option<String>,
    /// The API request's `Idempotency-Key` and fingerprint.
    pub idempotency: Option<Idempotency>,
    /// A write's route, as its history entry names it.
    pub route: Option<String>,
    /// A push token's write (a PUT without a body).
    pub push_token: Option<PushToken>,
    /// A merge write's secondary user (a POST whose body is its record).
    pub merge_from: Option<String>,
}

impl Options {
    /// A request answered with `answer`, for any user.
    pub fn answer(answer: Answer) -> Options {
        Options { answer, ..Options::default() }
    }

    /// Puts the options in an internal request's headers.
    pub fn write_headers(&self, headers: &Headers) -> worker::Result<()> {
        let encode = |id: &str| utf8_percent_encode(id, NON_ALPHANUMERIC).to_string();
        match &self.answer {
            Answer::User => {}
            Answer::ChannelData(id) => headers.set(ANSWER_HEADER, &format!("channel_data/{}", encode(id)))?,
            Answer::PreferenceSet(id) => headers.set(ANSWER_HEADER, &format!("preferences/{}", encode(id)))?,
            Answer::Changes(page_size, after) => {
                headers.set(ANSWER_HEADER, &format!("changes/{page_size}/{}", after.as_deref().unwrap_or_default()))?
            }
            Answer::PreferenceSets => headers.set(ANSWER_HEADER, "preference_sets")?,
            Answer::Record => headers.set(ANSWER_HEADER, "record")?,
            Answer::Kept => headers.set(ANSWER_HEADER, "kept")?,
        }
        if self.if_exists {
            headers.set(IF_EXISTS_HEADER, "1")?;
        }
        let optional = [
            (BULK_ROW_HEADER, self.bulk_row.as_deref()),
            (IF_MATCH_HEADER, self.if_match.as_deref()),
            (IF_NONE_MATCH_HEADER, self.if_none_match.as_deref()),
            (ROUTE_HEADER, self.route.as_deref()),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                headers.set(name, value)?;
            }
        }
        if let Some(idempotency) = &self.idempotency {
            headers.set(IDEMPOTENCY_KEY_HEADER, &idempotency.key)?;
            headers.set(FINGERPRINT_HEADER, &idempotency.fingerprint)?;
        }
        if let Some(push) = &self.push_token {
            let change = match push.change {
                TokenChange::Add => "add",
                TokenChange::Remove => "remove",
            };
            headers
                .set(PUSH_TOKEN_HEADER, &format!("{change}/{}/{}", encode(&push.channel_id), encode(&push.token)))?;
        }
        if let Some(from) = &self.merge_from {
            headers.set(MERGE_FROM_HEADER, &encode(from))?;
        }
        Ok(())
    }

    /// The options of an internal request.
    pub fn from_headers(headers: &Headers) -> worker::Result<Options> {
        let decode = |id: &str| {
            percent_decode_str(id).decode_utf8().map(|id| id.into_owned()).map_err(|_| "an id that is not UTF-8")
        };
        let answer = match headers.get(ANSWER_HEADER)? {
            None => Answer::User,
            Some(value) => match value.split_once('/') {
                Some(("channel_data", id)) => Answer::ChannelData(decode(id)?),
                Some(("preferences", id)) => Answer::PreferenceSet(decode(id)?),
                Some(("changes", page)) => {
                    let (size, after) = page.split_once('/').ok_or("a changes answer without its cursor")?;
                    let size = size.parse().map_err(|_| "a page size that is not a number")?;
                    Answer::Changes(size, Some(after.to_owned()).filter(|after| !after.is_empty()))
                }
                None if value == "preference_sets" => Answer::PreferenceSets,
                None if value == "record" => Answer::Record,
                None if value == "kept" => Answer::Kept,
                _ => return Err("an unknown answer header".into()),
            },
        };
        let idempotency = match (headers.get(IDEMPOTENCY_KEY_HEADER)?, headers.get(FINGERPRINT_HEADER)?) {
            (Some(key), Some(fingerprint)) => Some(Idempotency { key, fingerprint }),
            _ => None,
        };
        let push_token = match headers.get(PUSH_TOKEN_HEADER)? {
            None => None,
            Some(value) => {
                let mut parts = value.splitn(3, '/');
                let (Some(change), Some(channel_id), Some(token)) = (parts.next(), parts.next(), parts.next()) else {
                    return Err("a push token header without its parts".into());
                };
                let change = match change {
                    "add" => TokenChange::Add,
                    "remove" => TokenChange::Remove,
                    _ => return Err("an unknown push token change".into()),
                };
                Some(PushToken { change, channel_id: decode(channel_id)?, token: decode(token)? })
            }
        };
        Ok(Options {
            answer,
            if_exists: headers.get(IF_EXISTS_HEADER)?.is_some(),
            bulk_row: headers.get(BULK_ROW_HEADER)?,
            if_match: headers.get(IF_MATCH_HEADER)?,
            if_none_match: headers.get(IF_NONE_MATCH_HEADER)?,
            idempotency,
            route: headers.get(ROUTE_HEADER)?,
            push_token,
            merge_from: headers.get(MERGE_FROM_HEADER)?.as_deref().map(decode).transpose()?,
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
