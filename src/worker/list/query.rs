//! The list's query parameters (contract §10), read from the request URL
//! (percent-decoded) and checked by the core's [`list_params`], the same
//! check the client makes of its options: the Worker adds only what a
//! client cannot know, whether a cursor names a place in this
//! environment's list (`cursor.rs`).

use super::cursor;
use crate::worker::error::ApiError;
use crate::worker::index::Place;
use crate::{list_params, ListParams, ListPlace};

/// The parameters of `pairs` (the query's percent-decoded names and
/// values) for `environment`'s list, each cursor read as the user id it
/// names; a 422 listing every problem.
pub fn read<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    environment: &str,
) -> Result<ListParams<String>, ApiError> {
    Ok(list_params(pairs, |text| cursor::decode(environment, text))?)
}

/// The index's place of a page.
pub fn borrowed(place: &ListPlace<String>) -> Place<'_> {
    match place {
        ListPlace::First => Place::First,
        ListPlace::After(id) => Place::After(id),
        ListPlace::Before(id) => Place::Before(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(query: &[(&str, &str)]) -> Result<ListParams<String>, Vec<String>> {
        read(query.iter().copied(), "dev").map_err(|error| {
            let body: serde_json::Value = serde_json::from_slice(&error.body("r")).unwrap();
            body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|problem| problem["field"].as_str().unwrap().to_owned())
                .collect()
        })
    }

    #[test]
    fn cursors_are_this_environments_and_every_bad_parameter_a_422() {
        let jane = cursor::encode("dev", "jane");
        let joe = cursor::encode("dev", "joe");
        assert_eq!(fields(&[("before", &joe)]).map(|params| params.place), Ok(ListPlace::Before("joe".into())));
        assert_eq!(
            fields(&[("before", &joe), ("after", &jane)]).map(|params| params.place),
            Ok(ListPlace::After("jane".into()))
        );
        let others = cursor::encode("prod", "jane");
        assert_eq!(
            fields(&[("email", ""), ("include[]", "x"), ("before", &others), ("after", "x"), ("page_size", "0")]),
            Err(vec!["page_size".into(), "after".into(), "before".into(), "include[]".into(), "email".into()])
        );
    }
}
