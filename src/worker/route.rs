//! The one route, `/v1/users/{user_id}`, read from the request URL: the id is
//! one path segment, percent-decoded here (workers-rs' `Request::path()` is
//! not decoded). The URL reaches the Worker already normalised by workerd,
//! so `%2E` and `%2E%2E` segments are resolved before this code sees them
//! (`/v1/users/%2E%2E` arrives as `/v1/`): the ids `.` and `..` of contract §1
//! cannot be sent over HTTP (the core still refuses them, for other callers).

use super::error::ApiError;
use percent_encoding::percent_decode;

/// The prefix of the users route.
const USERS_PREFIX: &str = "/v1/users/";

/// A request's path that names a user.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    /// The id segment as sent, still percent-encoded.
    raw_id: String,
}

/// The methods of the users route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserMethod {
    Get,
    Put,
    Delete,
}

impl Route {
    /// The `Allow` header of the users route.
    pub const ALLOW: &'static str = "GET, PUT, DELETE";

    /// The route of a request URL (`https://host/v1/users/jane?x=1`), or a 404.
    pub fn parse(url: &str) -> Result<Route, ApiError> {
        let path = path_of(url);
        match path.strip_prefix(USERS_PREFIX) {
            Some(segment) if !segment.contains('/') => Ok(Route { raw_id: segment.to_string() }),
            _ => Err(ApiError::route_missing()),
        }
    }

    /// The route's method for the request's method name, if the route has
    /// it. The name as sent, not workers-rs' `Method`, which reads names it
    /// does not know (`QUERY`, `PROPFIND`) as GET.
    pub fn method(&self, name: &str) -> Option<UserMethod> {
        match name {
            "GET" => Some(UserMethod::Get),
            "PUT" => Some(UserMethod::Put),
            "DELETE" => Some(UserMethod::Delete),
            _ => None,
        }
    }

    /// The user id's bytes, percent-decoded (the core checks them).
    pub fn user_id(&self) -> Vec<u8> {
        percent_decode(self.raw_id.as_bytes()).collect()
    }
}

/// The path of an absolute URL, without its query or fragment.
fn path_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    let end = path.find(['?', '#']).unwrap_or(path.len());
    &path[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_id_segment_percent_decoded() {
        let cases = [
            ("https://h/v1/users/jane", Some("jane")),
            ("https://h/v1/users/a%2Fb?x=1", Some("a/b")),
            ("http://127.0.0.1:8787/v1/users/%2E%2E", Some("..")),
            ("https://h/v1/users/", Some("")),
            ("https://h/v1/users/J%C3%BCrgen%20%C3%9Cnal#frag", Some("Jürgen Ünal")),
            ("https://h/v1/users/a/b", None),
            ("https://h/v1/users", None),
            ("https://h/v1/user/jane", None),
            ("https://h/", None),
        ];
        for (url, expected) in cases {
            let id = Route::parse(url).ok().map(|route| route.user_id());
            assert_eq!(id.as_deref(), expected.map(str::as_bytes), "{url}");
        }
    }

    #[test]
    fn keeps_bytes_that_are_not_utf8_for_the_core_to_refuse() {
        let route = Route::parse("https://h/v1/users/%FF").expect("a route");
        assert_eq!(route.user_id(), [0xff]);
    }
}
