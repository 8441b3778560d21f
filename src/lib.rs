//! Knock's "Identify user" call, `PUT /v1/users/{user_id}`, as one Rust
//! core: the npm package (`js` feature) and the Cloudflare Worker (`worker`
//! feature) are thin layers over it, so a payload the client accepts
//! locally is exactly a payload the server accepts.
//!
//! # Identify a user
//!
//! ```
//! use knock_identify::{identify, Timestamp};
//!
//! let now = Timestamp::from_millis(1_714_564_800_000);
//! let record = identify(None, "user-1", br#"{"email": "jane@example.com"}"#, now)?;
//! let response = serde_json::to_value(&record.user)?;
//! assert_eq!(response["__typename"], "User");
//! assert_eq!(response["updated_at"], "2024-05-01T12:00:00.000Z");
//! assert_eq!(response["name"], serde_json::Value::Null);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Report every problem at once
//!
//! ```
//! use knock_identify::{validate, ProblemType};
//!
//! let problems = validate("user-1", br#"{"phone_number": "+1 (415) 555-2671", "locale": "en_US"}"#);
//! assert_eq!(problems.len(), 2);
//! assert_eq!(problems[0].field, "phone_number");
//! assert_eq!(problems[0].message, "expected an E.164 number: `+` and 7 to 15 digits starting with a country calling code, like `+14155552671`; use `+14155552671`");
//! assert_eq!(problems[1].field, "locale");
//! assert_eq!(problems[1].kind, ProblemType::Format);
//! ```
//!
//! The core never reads a clock or does I/O: time comes in as a
//! [`Timestamp`], storage and HTTP live in the edges.

mod error;
mod identify;
#[cfg(feature = "js")]
pub mod js;
mod json;
mod merge;
mod model;
mod parse;
mod timestamp;
mod validate;
#[cfg(feature = "worker")]
mod worker;

pub use error::{IdentifyError, Problem, ProblemType};
pub use identify::{identify, parse_request, validate};
pub use json::{Json, Object};
pub use merge::merge;
pub use model::{
    AvatarUrl, CreatedAt, Email, FieldError, Locale, PhoneNumber, StandardField, StoredUser, TimeZone, User,
    TIME_ZONE_NAMES, TZDB_VERSION,
};
pub use parse::{MAX_BODY_BYTES, MAX_DEPTH};
pub use timestamp::Timestamp;
pub use validate::{
    check_user_id, IdentifyRequest, MAX_NAME_CHARS, MAX_PROPERTIES_BYTES, MAX_PROPERTY_KEY_CHARS, MAX_USER_ID_CHARS,
};
