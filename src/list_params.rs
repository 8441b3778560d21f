//! The query of `GET /v1/users` (contract §10): its parameters read and
//! checked together, every bad one a problem named by its parameter. The
//! Worker reads them from the request URL; the client checks its options
//! with the same function before it sends anything.

use crate::error::{IdentifyError, Problem, ProblemType};
use crate::quote::quoted;
use crate::validate::check_page_size;

/// Where a page of the list starts: the first page, or after or before
/// the place a cursor names (`C`, what the caller's cursor reader gives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListPlace<C> {
    First,
    After(C),
    Before(C),
}

/// A list request's parameters, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams<C> {
    /// 1 to 50; 50 when not given.
    pub page_size: u8,
    pub place: ListPlace<C>,
    /// `email`: only the users with exactly this address.
    pub email: Option<String>,
    /// `include[]=preferences`: each entry with its preference sets.
    pub preferences: bool,
}

/// The only value `include[]` takes.
const PREFERENCES: &str = "preferences";

/// The parameters of a users list request, from `pairs` (the query's
/// names and values, percent-decoded, in order; the first of a repeated
/// name counts, names the list does not take are ignored), or every
/// problem in the order `page_size`, `after`, `before`, `include[]`,
/// `email`. `cursor` reads a cursor (`None`: not a cursor of this list):
/// cursors name a place in one environment's list, which only the
/// server can tell, so a client passes a reader that takes any. With
/// both cursors, `after` is followed (as Knock's SDK sends both when it
/// pages on from a page it asked with `before`); each is checked.
///
/// ```
/// use knock_identify::{list_params, ListPlace};
///
/// let any_cursor = |text: &str| Some(text.to_owned());
/// let params = list_params([("page_size", "7"), ("include[]", "preferences"), ("after", "c1")], any_cursor)?;
/// assert_eq!((params.page_size, params.place, params.preferences), (7, ListPlace::After("c1".into()), true));
/// let refused = list_params([("include[]", "channel_data"), ("page_size", "0")], any_cursor).unwrap_err();
/// let fields: Vec<&str> = refused.problems().iter().map(|problem| problem.field.as_str()).collect();
/// assert_eq!(fields, ["page_size", "include[]"]);
/// # Ok::<(), knock_identify::IdentifyError>(())
/// ```
pub fn list_params<'a, C>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    mut cursor: impl FnMut(&str) -> Option<C>,
) -> Result<ListParams<C>, IdentifyError> {
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
    let mut problems = Vec::new();
    let page_size = check_page_size(page_size).map_err(|problem| problems.push(problem)).unwrap_or(0);
    let mut place = |field: &str, value: Option<&str>| {
        let read = cursor(value?);
        if read.is_none() {
            problems.push(Problem::new(
                field,
                ProblemType::Format,
                "expected a cursor from `page_info.after` or `page_info.before` of a page of this environment's users",
            ));
        }
        read
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
        return Err(IdentifyError::InvalidParams(problems));
    }
    let place = match (after, before) {
        (Some(after), _) => ListPlace::After(after),
        (None, Some(before)) => ListPlace::Before(before),
        (None, None) => ListPlace::First,
    };
    Ok(ListParams { page_size, place, email: email.map(str::to_owned), preferences })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cursor is `c:` and a user id here.
    fn read(query: &[(&str, &str)]) -> Result<ListParams<String>, Vec<(String, ProblemType)>> {
        list_params(query.iter().copied(), |text| text.strip_prefix("c:").map(str::to_owned))
            .map_err(|error| error.problems().iter().map(|problem| (problem.field.clone(), problem.kind)).collect())
    }

    #[test]
    fn parameters_are_read_and_every_bad_one_named_in_order() {
        let plain = ListParams { page_size: 50, place: ListPlace::First, email: None, preferences: false };
        assert_eq!(read(&[]), Ok(plain));
        let asked = read(&[
            ("page_size", "7"),
            ("before", "c:joe"),
            ("include[]", "preferences"),
            ("email", "a@b.co"),
            ("x", "y"),
            ("page_size", "99"),
        ]);
        let expected = ListParams {
            page_size: 7,
            place: ListPlace::Before("joe".into()),
            email: Some("a@b.co".into()),
            preferences: true,
        };
        assert_eq!(asked, Ok(expected));
        let both = read(&[("before", "c:joe"), ("after", "c:jane")]).map(|params| params.place);
        assert_eq!(both, Ok(ListPlace::After("jane".into())));
        assert_eq!(read(&[("include", "preferences")]).map(|params| params.preferences), Ok(true));
        use ProblemType::{Format, UnknownValue};
        assert_eq!(
            read(&[("email", ""), ("include[]", "x"), ("before", "d:joe"), ("after", "x"), ("page_size", "0")]),
            Err(vec![
                ("page_size".into(), Format),
                ("after".into(), Format),
                ("before".into(), Format),
                ("include[]".into(), UnknownValue),
                ("email".into(), Format),
            ])
        );
        // The parameter as sent names the problem; only the first bad value counts.
        assert_eq!(read(&[("include", "a"), ("include[]", "b")]), Err(vec![("include".into(), UnknownValue)]));
    }

    #[test]
    fn messages_quote_the_value() {
        let refused = list_params([("include[]", "channel_data")], |_| Some(())).unwrap_err();
        assert_eq!(refused.problems()[0].message, "expected `preferences`, got `channel_data`");
        let refused = list_params([("email", "")], |_| Some(())).unwrap_err();
        assert_eq!(refused.problems()[0].message, "expected an email address to find, got an empty value");
    }
}
