//! One entry of a user's sections at a time (contract §5a): one channel of
//! its channel data, one set of its preferences. Each write is the
//! identify request it stands for, so the same checks, limits and merge
//! apply: `PUT .../channel_data/{channel_id}` `{"data": {...}}` is
//! `{"channel_data": {"<channel_id>": {...}}}`, its DELETE the same with
//! `null`, and `PUT .../preferences/{set_id}` with a set is
//! `{"preferences": {"<set_id>": set}}`. Problems are reported where the
//! route's caller put them: `data.tokens.0`, `channel_types.push`, and
//! `channel_id` or `id` for the path's id.

mod channel_data;
mod preference_set;
mod push_token;

pub use channel_data::{channel_data_answer, channel_data_body, check_channel_id, unset_channel_data_body};
pub use preference_set::{check_set_id, preference_set_answer, preference_set_body, preference_sets_answer};
pub use push_token::{push_token_body, TokenChange};

use crate::error::{IdentifyError, Problem};
use crate::identify::parse_request;
use crate::json::JsonWriter;
use crate::validate::Path;

/// The identify body that writes one entry, `{"<section>":{"<id>":value}}`
/// with the value `write_value` writes, once it passes identify's checks.
/// Identify's problems at the entry are given to `place` with their field
/// relative to the entry (`tokens.0`, `""` for the entry itself), to be
/// put at the route's own place for them, and follow the route's own
/// `problems`.
fn entry_as_identify(
    user_id: &str,
    [section, id]: [&str; 2],
    write_value: impl FnOnce(&mut JsonWriter),
    place: impl Fn(Problem) -> Problem,
    mut problems: Vec<Problem>,
) -> Result<Vec<u8>, IdentifyError> {
    let mut writer = JsonWriter::with_capacity(256);
    writer.raw("{");
    writer.key(section);
    writer.raw("{");
    writer.key(id);
    write_value(&mut writer);
    writer.raw("}}");
    let identify = writer.into_string().into_bytes();

    let entry_path = Path::Root.key(section);
    let entry_path = entry_path.key(id).render();
    match parse_request(user_id, &identify).map(|_| ()) {
        Ok(()) if problems.is_empty() => return Ok(identify),
        Ok(()) => {}
        Err(IdentifyError::InvalidParams(found)) => {
            for mut problem in found {
                if let Some(rest) = problem.field.strip_prefix(&entry_path) {
                    problem.field = rest.strip_prefix('.').unwrap_or_default().to_owned();
                    problem = place(problem);
                }
                problems.push(problem);
            }
        }
        Err(other) => return Err(other),
    }
    Err(IdentifyError::InvalidParams(problems))
}
