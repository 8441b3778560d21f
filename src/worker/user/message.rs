//! The message between the Worker and a user's Durable Object: the
//! binding, and the JSON text the Worker's RPC call carries beside the
//! method and the body (`UserObject::handle`): the user (environment and
//! id), the API request's id, and the options (what the answer is: the
//! user, one channel's data, one preference set or a page of history; the
//! bulk operation's row a write comes from, the request's conditions and
//! `Idempotency-Key`, the route's name, a push token, a merge's
//! secondary), read and written in one place. One string rather than a
//! value per option: every value crosses the wasm boundary on both sides.

use crate::worker::idempotency::Idempotency;
use crate::TokenChange;
use serde::{Deserialize, Serialize};

/// The Durable Object binding (wrangler.toml `[[durable_objects.bindings]]`).
pub const BINDING: &str = "USER_OBJECTS";
/// The API request's id, on the API's answers.
pub const REQUEST_ID_HEADER: &str = "X-Request-ID";

/// A call's message: whom it is about, the API request's id (for the
/// object's log lines and error answers), and its options.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Message {
    pub target: Target,
    pub request_id: String,
    pub options: Options,
}

/// A message as the Worker writes it, borrowing its parts.
#[derive(Serialize)]
struct Outgoing<'a> {
    target: &'a Target,
    request_id: &'a str,
    options: &'a Options,
}

impl Message {
    /// The message about `target`, as the Worker sends it.
    pub fn encode(target: &Target, request_id: &str, options: &Options) -> Result<String, String> {
        serde_json::to_string(&Outgoing { target, request_id, options }).map_err(|error| error.to_string())
    }

    /// The message a call carries.
    pub fn decode(json: &str) -> Result<Message, String> {
        serde_json::from_str(json).map_err(|error| format!("an unreadable message: {error}"))
    }
}

/// What an object's answer to a read or a write holds (contract §4, §5a, §9).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushToken {
    #[serde(with = "TokenChangeWire")]
    pub change: TokenChange,
    pub channel_id: String,
    pub token: String,
}

/// [`TokenChange`] in a message.
#[derive(Serialize, Deserialize)]
#[serde(remote = "TokenChange")]
enum TokenChangeWire {
    Add,
    Remove,
}

/// One call's options beside its target (what is not set is
/// left out of the message).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Options {
    #[serde(skip_serializing_if = "is_user")]
    pub answer: Answer,
    /// A write that applies only to a user the object holds (else a 404, nothing written).
    #[serde(skip_serializing_if = "is_false")]
    pub if_exists: bool,
    /// The bulk row (`{operation id}/{row}`) an identify applies, if it comes from a bulk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bulk_row: Option<String>,
    /// The API request's conditions, as sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub if_none_match: Option<String>,
    /// The API request's `Idempotency-Key` and fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<Idempotency>,
    /// A write's route, as its history entry names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// A push token's write (a PUT without a body).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub push_token: Option<PushToken>,
    /// A merge write's secondary user (a POST whose body is its record).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_from: Option<String>,
}

impl Options {
    /// A request answered with `answer`, for any user.
    pub fn answer(answer: Answer) -> Options {
        Options { answer, ..Options::default() }
    }
}

/// Whether an answer is the default one (left out of a message).
fn is_user(answer: &Answer) -> bool {
    *answer == Answer::User
}

fn is_false(value: &bool) -> bool {
    !*value
}

/// The user a request to an object is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The environment of the API key.
    pub environment: String,
    /// The user id, as given.
    pub user_id: String,
}

impl Target {
    /// The object's name.
    pub fn object_name(&self) -> String {
        format!("{}/{}", self.environment, self.user_id)
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

    #[test]
    fn a_message_reads_back_as_written() {
        let target = |user_id: &str| Target { environment: "production".into(), user_id: user_id.into() };
        let every_option = Options {
            answer: Answer::Changes(50, Some("7.3".into())),
            if_exists: true,
            bulk_row: Some("op_1/9".into()),
            if_match: Some("\"a.1\"".into()),
            if_none_match: Some("*".into()),
            idempotency: Some(Idempotency { key: "key%20é".into(), fingerprint: "ab".into() }),
            route: Some("add_push_token".into()),
            push_token: Some(PushToken {
                change: TokenChange::Remove,
                channel_id: "c/1".into(),
                token: "t\u{7}😀".into(),
            }),
            merge_from: Some("ünder".into()),
        };
        let messages = [
            Message { target: target("jane"), request_id: "req_1".into(), options: Options::default() },
            Message { target: target("ü/%41\n\"x\""), request_id: String::new(), options: every_option },
            Message {
                target: target("j"),
                request_id: "r".into(),
                options: Options::answer(Answer::ChannelData("c".into())),
            },
        ];
        for message in messages {
            let value = Message::encode(&message.target, &message.request_id, &message.options).unwrap();
            assert_eq!(Message::decode(&value), Ok(message));
        }
        // What is not set is left out.
        assert_eq!(
            Message::encode(&target("jane"), "req_1", &Options::default()).unwrap(),
            r#"{"target":{"environment":"production","user_id":"jane"},"request_id":"req_1","options":{}}"#
        );
        assert!(Message::decode("{}").is_err());
    }
}
