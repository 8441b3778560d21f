//! The list's query parameters (contract §10), read from the request URL
//! (percent-decoded) and checked together: every bad one is a problem of
//! one 422, named by its parameter.

use super::cursor;
use crate::worker::error::ApiError;
use crate::worker::index::Place;
use crate::{check_page_size, quote::quoted, Problem, ProblemType};

/// A list request's parameters, checked.
#[derive(Debug, PartialEq, Eq)]
pub struct ListParams {
    pub page_size: u8,
    pub place: OwnedPlace,
    pub email: Option<String>,
    pub preferences: bool,
}

/// Where the page starts: after or before a user id (from a cursor).
#[derive(Debug, PartialEq, Eq)]
pub enum OwnedPlace {
    First,
    After(String),
    Before(String),
}

impl OwnedPlace {
    pub fn borrowed(&self) -> Place<'_> {
        match self {
            OwnedPlace::First => Place::First,
            OwnedPlace::After(id) => Place::After(id),
            OwnedPlace::Before(id) => Place::Before(id),
        }
    }
}

/// The only value `include[]` takes.
const PREFERENCES: &str = "preferences";

impl ListParams {
    /// The parameters of `pairs` (the query's percent-decoded names and
    /// values) for `environment`'s list; a 422 listing every problem.
    /// Parameters the list does not take are ignored. With both cursors,
    /// `after` is followed (as Knock's SDK sends both when it pages on from
    /// a page it fetched with `before`); each is checked.
    pub fn read<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>, environment: &str) -> Result<Self, ApiError> {
        let mut problems = Vec::new();
        let (mut page_size, mut after, mut before, mut email) = (None, None, None, None);
        let mut preferences = false;
        let mut include_problem = None;
        for (name, value) in pairs {
            match name {
                "page_size" => _ = page_size.get_or_insert(value),
                "after" => _ = after.get_or_insert(value),
                "before" => _ = before.get_or_insert(value),
                "email" => _ = email.get_or_insert(value),
                "include" | "include[]" if value == PREFERENCES => preferences = true,
                "include" | "include[]" => {
                    include_problem.get_or_insert_with(|| {
                        Problem::new(
                            name,
                            ProblemType::UnknownValue,
                            format!("expected `{PREFERENCES}`, got {}", quoted(value)),
                        )
                    });
                }
                _ => {}
            }
        }
        let page_size = check_page_size(page_size).map_err(|problem| problems.push(problem)).unwrap_or(0);
        let mut place = |field: &str, value: Option<&str>| {
            let value = value?;
            let id = cursor::decode(environment, value);
            if id.is_none() {
                problems.push(Problem::new(
                    field,
                    ProblemType::Format,
                    "expected a cursor from `page_info.after` or `page_info.before` of a page of this environment's users",
                ));
            }
            id
        };
        let after = place("after", after);
        let before = place("before", before);
        problems.extend(include_problem);
        if email == Some("") {
            problems.push(Problem::new(
                "email",
                ProblemType::Format,
                "expected an email address to find, got an empty value",
            ));
        }
        if !problems.is_empty() {
            return Err(ApiError::invalid_params(problems));
        }
        let place = match (after, before) {
            (Some(id), _) => OwnedPlace::After(id),
            (None, Some(id)) => OwnedPlace::Before(id),
            (None, None) => OwnedPlace::First,
        };
        Ok(ListParams { page_size, place, email: email.map(str::to_owned), preferences })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(query: &[(&str, &str)]) -> Result<ListParams, Vec<String>> {
        ListParams::read(query.iter().copied(), "dev").map_err(|error| {
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
    fn parameters_are_read_and_every_bad_one_named() {
        let plain = ListParams { page_size: 50, place: OwnedPlace::First, email: None, preferences: false };
        assert_eq!(read(&[]), Ok(plain));
        let jane = cursor::encode("dev", "jane");
        let joe = cursor::encode("dev", "joe");
        let asked = read(&[
            ("page_size", "7"),
            ("before", &joe),
            ("include[]", "preferences"),
            ("email", "a@b.co"),
            ("x", "y"),
        ]);
        assert_eq!(
            asked,
            Ok(ListParams {
                page_size: 7,
                place: OwnedPlace::Before("joe".into()),
                email: Some("a@b.co".into()),
                preferences: true
            })
        );
        assert_eq!(
            read(&[("before", &joe), ("after", &jane)]).map(|params| params.place),
            Ok(OwnedPlace::After("jane".into()))
        );
        assert_eq!(read(&[("include", "preferences")]).map(|params| params.preferences), Ok(true));
        let others = cursor::encode("prod", "jane");
        assert_eq!(
            read(&[("email", ""), ("include[]", "x"), ("before", &others), ("after", "x"), ("page_size", "0")]),
            Err(vec!["page_size".into(), "after".into(), "before".into(), "include[]".into(), "email".into()])
        );
    }
}
