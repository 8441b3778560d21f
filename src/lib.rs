//! Knock's "Identify user" call, `PUT /v1/users/{user_id}`, as one Rust
//! core: the npm package (`js` feature) and the Cloudflare Worker (`worker`
//! feature) are thin layers over it, so a payload the client accepts
//! locally is exactly a payload the server accepts. The rules are written
//! down in `docs/contract.md`.
//!
//! # Identify a user
//!
//! ```
//! use knock_identify::{identify, Timestamp};
//!
//! let now = Timestamp::from_millis(1_714_564_800_000);
//! let record = identify(None, "user-1", br#"{"email": "jane@example.com", "seats": 12345678901234567890}"#, now)?;
//! // The response of the API, a slice of the stored record; numbers as written.
//! assert_eq!(
//!     record.user_json(),
//!     r#"{"__typename":"User","id":"user-1","avatar":null,"created_at":null,"email":"jane@example.com","locale":null,"name":null,"phone_number":null,"timezone":null,"updated_at":"2024-05-01T12:00:00.000Z","seats":12345678901234567890}"#
//! );
//! // The next identify merges into what storage kept.
//! let record = identify(Some(record.as_json().as_bytes()), "user-1", br#"{"name": "Jane"}"#, now)?;
//! assert!(record.user_json().contains(r#""name":"Jane""#));
//! # Ok::<(), knock_identify::IdentifyError>(())
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
//! [`Timestamp`], storage and HTTP live in the edges. Its JSON layer
//! (`json/`) reads a document into a flat tape once and writes canonical
//! JSON: no value is built in between, and no number goes through `f64`.

mod body;
mod bulk;
mod bulk_by_id;
mod changed;
mod error;
mod identify;
#[cfg(feature = "js")]
pub mod js;
mod json;
mod limits;
mod list_params;
mod listing;
mod merge;
mod merge_request;
mod model;
mod quote;
mod record;
mod section_entry;
mod timestamp;
mod validate;
#[cfg(feature = "worker")]
mod worker;

pub use bulk::{bulk_identify_users, BulkUser};
pub use bulk_by_id::{bulk_delete_user_ids, bulk_set_preferences, BulkPreferences};
pub use changed::changed_names;
pub use error::{IdentifyError, Problem, ProblemType};
pub use identify::{identify, parse_request, parse_request_bytes, validate};
pub use limits::{
    MAX_BODY_BYTES, MAX_BULK_BODY_BYTES, MAX_BULK_USERS, MAX_DEPTH, MAX_IDEMPOTENCY_KEY_BYTES, MAX_KEY_CHARS,
    MAX_NAME_CHARS, MAX_PAGE_SIZE, MAX_PROBLEMS, MAX_SECTION_BYTES, MAX_USER_ID_CHARS,
};
pub use list_params::{list_params, ListParams, ListPlace};
pub use listing::{list_entry, listed_email};
pub use merge::merge;
pub use merge::merge_users;
pub use merge_request::merge_from_user_id;
pub use model::{time_zone_names, FieldError, StandardField, TZDB_VERSION};
pub use record::StoredUser;
pub use section_entry::{
    channel_data_answer, channel_data_body, check_channel_id, check_set_id, preference_set_answer, preference_set_body,
    preference_sets_answer, push_token_body, unset_channel_data_body, TokenChange,
};
pub use timestamp::Timestamp;
pub use validate::{
    check_idempotency_key, check_page_size, check_user_id, user_id_from_utf8, IdentifyRequest, ValidatedRequest,
};
