//! The routes, read from the request URL: `/v1/users/{user_id}` and, below
//! it, `/channel_data/{channel_id}` and `/preferences/{set_id}` (contract
//! §5, §5a); `/channel_data/{channel_id}/tokens/{token}` and `/changes`
//! (§9); `/v1/users/bulk/identify` and `/v1/bulk_operations/{id}` (§5b);
//! `/v1/users/bulk/delete` and `/v1/users/bulk/preferences` (§5c); `/v1/users`, the list (§10);
//! `/merge` (§11) and `/preferences`, the list of sets (§5a). Each id is one path segment, percent-decoded here (workers-rs'
//! `Request::path()` is not decoded). The URL reaches the Worker already
//! normalised by workerd, so `%2E` and `%2E%2E` segments are resolved before
//! this code sees them (`/v1/users/%2E%2E` arrives as `/v1/`): the ids `.`
//! and `..` of contract §1 cannot be sent over HTTP (the core still refuses
//! them, for other callers).

use super::error::ApiError;
use percent_encoding::percent_decode;

/// The prefix of the users routes.
const USERS_PREFIX: &str = "/v1/users/";
/// The users list.
const USERS_LIST: &str = "/v1/users";
/// The prefix of a bulk operation's route.
const OPERATIONS_PREFIX: &str = "/v1/bulk_operations/";

/// A request's path that names a user, or one part of a user.
#[derive(Debug, PartialEq, Eq)]
pub struct Route {
    /// The user id segment as sent, still percent-encoded.
    raw_id: String,
    part: Part,
}

/// What of the user the path names.
#[derive(Debug, PartialEq, Eq)]
enum Part {
    User,
    /// A channel's data; the channel id as sent.
    ChannelData(String),
    /// A preference set; the set id as sent.
    PreferenceSet(String),
    /// One push token of a channel; the channel id and the token as sent.
    PushToken(String, String),
    /// The user's change history.
    Changes,
    /// `/v1/users/bulk/identify`: no one user.
    BulkIdentify,
    /// `/v1/users/bulk/delete`.
    BulkDelete,
    /// `/v1/users/bulk/preferences`.
    BulkSetPreferences,
    /// `/v1/bulk_operations/{id}`; the id as sent.
    BulkOperation(String),
    /// `/v1/users`: the environment's users.
    List,
    /// `/v1/users/{user_id}/merge`: another user merged into this one.
    Merge,
    /// `/v1/users/{user_id}/preferences`: every preference set of the user.
    PreferenceSets,
}

/// What a request asks, once its route and method are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    Identify,
    GetUser,
    DeleteUser,
    /// The channel id, percent-decoded (the core checks it).
    GetChannelData(String),
    SetChannelData(String),
    UnsetChannelData(String),
    /// The set id, percent-decoded.
    GetPreferenceSet(String),
    SetPreferenceSet(String),
    /// The channel id and the token, percent-decoded (the token's bytes:
    /// the core checks that they are UTF-8).
    AddPushToken(String, Vec<u8>),
    RemovePushToken(String, Vec<u8>),
    GetChanges,
    BulkIdentify,
    BulkDelete,
    BulkSetPreferences,
    /// The operation id, percent-decoded.
    GetBulkProgress(String),
    ListUsers,
    /// `POST .../merge` (contract §11).
    MergeUsers,
    /// `GET .../preferences`: every preference set.
    ListPreferenceSets,
}

impl Operation {
    /// Whether the operation reads (its rate limit is GET's, but for the list's own).
    pub fn reads(&self) -> bool {
        matches!(
            self,
            Operation::GetUser
                | Operation::GetChannelData(_)
                | Operation::GetPreferenceSet(_)
                | Operation::GetBulkProgress(_)
                | Operation::GetChanges
                | Operation::ListUsers
                | Operation::ListPreferenceSets
        )
    }

    /// Whether the operation starts a bulk operation (contract §5b, §5c).
    pub fn starts_bulk(&self) -> bool {
        matches!(self, Operation::BulkIdentify | Operation::BulkDelete | Operation::BulkSetPreferences)
    }

    /// Whether `If-Match` applies: the writes of one user (contract §9),
    /// not a merge, which writes two (§11).
    pub fn takes_if_match(&self) -> bool {
        !self.reads() && !self.starts_bulk() && !matches!(self, Operation::MergeUsers)
    }

    /// Whether `If-None-Match` applies: creating a user, and reading one.
    pub fn takes_if_none_match(&self) -> bool {
        matches!(
            self,
            Operation::Identify
                | Operation::GetUser
                | Operation::GetChannelData(_)
                | Operation::GetPreferenceSet(_)
                | Operation::ListPreferenceSets
        )
    }

    /// Whether a public key may ask it (of its token's user): identify and
    /// read one user and its parts; not delete, list or merge users or run
    /// bulk operations.
    pub fn public_keys_may(&self) -> bool {
        !matches!(
            self,
            Operation::DeleteUser | Operation::GetBulkProgress(_) | Operation::ListUsers | Operation::MergeUsers
        ) && !self.starts_bulk()
    }
}

impl Route {
    /// The `Allow` header of the users route (and of a channel's data).
    const ALLOW: &'static str = "GET, PUT, DELETE";
    /// The `Allow` header of a preference set's route.
    const ALLOW_PREFERENCES: &'static str = "GET, PUT";

    /// The route of a request URL (`https://host/v1/users/jane?x=1`), or a 404.
    pub fn parse(url: &str) -> Result<Route, ApiError> {
        let path = path_of(url);
        if path == USERS_LIST {
            return Ok(Route { raw_id: String::new(), part: Part::List });
        }
        if let Some(operation) = path.strip_prefix(OPERATIONS_PREFIX).filter(|id| !id.is_empty() && !id.contains('/')) {
            return Ok(Route { raw_id: String::new(), part: Part::BulkOperation(operation.to_owned()) });
        }
        let rest = path.strip_prefix(USERS_PREFIX).ok_or_else(ApiError::route_missing)?;
        let segments: Vec<&str> = rest.split('/').collect();
        let (raw_id, part) = match segments.as_slice() {
            ["bulk", "identify"] => (&"", Part::BulkIdentify),
            ["bulk", "delete"] => (&"", Part::BulkDelete),
            ["bulk", "preferences"] => (&"", Part::BulkSetPreferences),
            [id] => (id, Part::User),
            [id, "channel_data", channel] if !channel.is_empty() => (id, Part::ChannelData((*channel).to_owned())),
            [id, "preferences", set] if !set.is_empty() => (id, Part::PreferenceSet((*set).to_owned())),
            [id, "channel_data", channel, "tokens", token] if !channel.is_empty() && !token.is_empty() => {
                (id, Part::PushToken((*channel).to_owned(), (*token).to_owned()))
            }
            [id, "changes"] => (id, Part::Changes),
            [id, "merge"] => (id, Part::Merge),
            [id, "preferences"] => (id, Part::PreferenceSets),
            _ => return Err(ApiError::route_missing()),
        };
        Ok(Route { raw_id: (*raw_id).to_owned(), part })
    }

    /// The `Allow` header of this route.
    pub fn allow(&self) -> &'static str {
        match self.part {
            Part::PreferenceSet(_) => Route::ALLOW_PREFERENCES,
            Part::User | Part::ChannelData(_) => Route::ALLOW,
            Part::PushToken(..) => "PUT, DELETE",
            Part::Changes => "GET",
            Part::BulkIdentify | Part::BulkDelete | Part::BulkSetPreferences | Part::Merge => "POST",
            Part::BulkOperation(_) | Part::List | Part::PreferenceSets => "GET",
        }
    }

    /// The operation for the request's method name, if the route has it.
    /// The name as sent, not workers-rs' `Method`, which reads names it
    /// does not know (`QUERY`, `PROPFIND`) as GET.
    pub fn operation(&self, name: &str) -> Option<Operation> {
        let decoded =
            |raw: &str| String::from_utf8_lossy(&percent_decode(raw.as_bytes()).collect::<Vec<u8>>()).into_owned();
        Some(match (&self.part, name) {
            (Part::User, "PUT") => Operation::Identify,
            (Part::User, "GET") => Operation::GetUser,
            (Part::User, "DELETE") => Operation::DeleteUser,
            (Part::ChannelData(channel), "GET") => Operation::GetChannelData(decoded(channel)),
            (Part::ChannelData(channel), "PUT") => Operation::SetChannelData(decoded(channel)),
            (Part::ChannelData(channel), "DELETE") => Operation::UnsetChannelData(decoded(channel)),
            (Part::PreferenceSet(set), "GET") => Operation::GetPreferenceSet(decoded(set)),
            (Part::PreferenceSet(set), "PUT") => Operation::SetPreferenceSet(decoded(set)),
            (Part::PushToken(channel, token), "PUT") => {
                Operation::AddPushToken(decoded(channel), percent_decode(token.as_bytes()).collect())
            }
            (Part::PushToken(channel, token), "DELETE") => {
                Operation::RemovePushToken(decoded(channel), percent_decode(token.as_bytes()).collect())
            }
            (Part::Changes, "GET") => Operation::GetChanges,
            (Part::BulkIdentify, "POST") => Operation::BulkIdentify,
            (Part::BulkDelete, "POST") => Operation::BulkDelete,
            (Part::BulkSetPreferences, "POST") => Operation::BulkSetPreferences,
            (Part::BulkOperation(id), "GET") => Operation::GetBulkProgress(decoded(id)),
            (Part::List, "GET") => Operation::ListUsers,
            (Part::Merge, "POST") => Operation::MergeUsers,
            (Part::PreferenceSets, "GET") => Operation::ListPreferenceSets,
            _ => return None,
        })
    }

    /// A problem with the part's id (`channel_id` or `id`) when its
    /// percent-decoded bytes are not UTF-8.
    pub fn part_id_problem(&self) -> Option<crate::Problem> {
        let (field, raw) = match &self.part {
            Part::User
            | Part::BulkIdentify
            | Part::BulkDelete
            | Part::BulkSetPreferences
            | Part::BulkOperation(_)
            | Part::Changes
            | Part::List
            | Part::Merge
            | Part::PreferenceSets => return None,
            Part::ChannelData(raw) | Part::PushToken(raw, _) => ("channel_id", raw),
            Part::PreferenceSet(raw) => ("id", raw),
        };
        let bytes: Vec<u8> = percent_decode(raw.as_bytes()).collect();
        std::str::from_utf8(&bytes).is_err().then(|| {
            crate::Problem::new(
                field,
                crate::ProblemType::Format,
                format!("the `{field}` in the path is not UTF-8 once percent-decoded"),
            )
        })
    }

    /// The user id's bytes, percent-decoded (the core checks them).
    pub fn user_id(&self) -> Vec<u8> {
        percent_decode(self.raw_id.as_bytes()).collect()
    }
}

/// The path of an absolute URL, without its query or fragment.
fn path_of(url: &str) -> &str {
    let path = path_with_query(url);
    &path[..path.find('?').unwrap_or(path.len())]
}

/// The path of an absolute URL with its query, as sent, without the
/// fragment: what an `Idempotency-Key`'s request is known by (contract §9b).
/// Read from the string, as [`path_of`] is: workers-rs' `Request::url()`
/// parses with the `url` crate, whose IDNA tables are a third of the
/// Worker's gzipped wasm.
pub fn path_with_query(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |at| &url[at + 3..]);
    let path = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    &path[..path.find('#').unwrap_or(path.len())]
}

/// The query of an absolute URL as name–value pairs, decoded as an HTML
/// form is (`+` is a space, then percent-decoding; bytes that are not UTF-8
/// become U+FFFD), in the order sent: what `Url::query_pairs` gives.
pub fn query_pairs(url: &str) -> Vec<(String, String)> {
    let path = path_with_query(url);
    let Some(at) = path.find('?') else { return Vec::new() };
    let decode = |text: &str| {
        let spaced = text.replace('+', " ");
        percent_decode(spaced.as_bytes()).decode_utf8_lossy().into_owned()
    };
    path[at + 1..]
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(name), decode(value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_query_as_a_form() {
        let pairs = |url| query_pairs(url);
        let owned = |list: &[(&str, &str)]| -> Vec<(String, String)> {
            list.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
        };
        assert_eq!(pairs("https://h/v1/users"), owned(&[]));
        assert_eq!(pairs("https://h/v1/users?"), owned(&[]));
        assert_eq!(
            pairs("https://h/v1/users?page_size=2&include%5B%5D=preferences&&email=a+b%2Bc%40x#after=no"),
            owned(&[("page_size", "2"), ("include[]", "preferences"), ("email", "a b+c@x")])
        );
        assert_eq!(pairs("https://h/?flag&after=%FF"), owned(&[("flag", ""), ("after", "\u{fffd}")]));
        assert_eq!(path_with_query("https://h/v1/users/a%20b?x=1#f"), "/v1/users/a%20b?x=1");
        assert_eq!(path_with_query("https://h"), "/");
    }

    #[test]
    fn reads_the_id_segment_percent_decoded() {
        let cases = [
            ("https://h/v1/users/jane", Some("jane")),
            ("https://h/v1/users/a%2Fb?x=1", Some("a/b")),
            ("http://127.0.0.1:8787/v1/users/%2E%2E", Some("..")),
            ("https://h/v1/users/", Some("")),
            ("https://h/v1/users/J%C3%BCrgen%20%C3%9Cnal#frag", Some("Jürgen Ünal")),
            ("https://h/v1/users/a/b", None),
            ("https://h/v1/users/a/channel_data/", None),
            ("https://h/v1/users/a/preferences/default/x", None),
            ("https://h/v1/user/jane", None),
            ("https://h/", None),
        ];
        for (url, expected) in cases {
            let id = Route::parse(url).ok().map(|route| route.user_id());
            assert_eq!(id.as_deref(), expected.map(str::as_bytes), "{url}");
        }
    }

    #[test]
    fn reads_the_parts_of_a_user_and_their_methods() {
        let route =
            Route::parse("https://h/v1/users/jane/channel_data/97c5837d-c65c-4d54-aa39-080eeb81c69d").expect("a route");
        assert_eq!(route.user_id(), b"jane");
        let channel = "97c5837d-c65c-4d54-aa39-080eeb81c69d".to_owned();
        assert_eq!(route.operation("DELETE"), Some(Operation::UnsetChannelData(channel)));
        assert_eq!(route.allow(), "GET, PUT, DELETE");
        let route = Route::parse("https://h/v1/users/jane/preferences/my%20set").expect("a route");
        assert_eq!(route.operation("PUT"), Some(Operation::SetPreferenceSet("my set".into())));
        assert_eq!(route.operation("DELETE"), None);
        assert_eq!(route.allow(), "GET, PUT");
        assert_eq!(Route::parse("https://h/v1/users/jane").unwrap().operation("PATCH"), None);
        let route = Route::parse("https://h/v1/users/jane/channel_data/c1/tokens/a%2Fb%FF").expect("a route");
        assert_eq!(route.operation("PUT"), Some(Operation::AddPushToken("c1".into(), b"a/b\xff".to_vec())));
        assert_eq!(route.operation("DELETE"), Some(Operation::RemovePushToken("c1".into(), b"a/b\xff".to_vec())));
        assert_eq!(route.operation("GET"), None);
        assert_eq!(route.allow(), "PUT, DELETE");
        let route = Route::parse("https://h/v1/users/jane/changes?page_size=2").expect("a route");
        assert_eq!((route.operation("GET"), route.allow()), (Some(Operation::GetChanges), "GET"));
        assert!(Route::parse("https://h/v1/users/jane/channel_data/c1/tokens/").is_err());
    }

    #[test]
    fn reads_the_bulk_routes_beside_a_user_named_bulk() {
        for (url, operation) in [
            ("https://h/v1/users/bulk/identify", Operation::BulkIdentify),
            ("https://h/v1/users/bulk/delete", Operation::BulkDelete),
            ("https://h/v1/users/bulk/preferences", Operation::BulkSetPreferences),
        ] {
            let route = Route::parse(url).expect("a route");
            assert_eq!((route.operation("POST"), route.allow()), (Some(operation.clone()), "POST"), "{url}");
            assert_eq!(route.operation("DELETE"), None, "{url}");
            assert!(operation.starts_bulk() && !operation.takes_if_match() && !operation.public_keys_may(), "{url}");
        }
        // The user `bulk` keeps its own routes.
        assert_eq!(Route::parse("https://h/v1/users/bulk").unwrap().operation("DELETE"), Some(Operation::DeleteUser));
        let route = Route::parse("https://h/v1/users/bulk/preferences/default").expect("a route");
        assert_eq!(route.operation("PUT"), Some(Operation::SetPreferenceSet("default".into())));
    }

    #[test]
    fn the_list_is_the_users_path_itself() {
        let route = Route::parse("https://h/v1/users?page_size=5&after=x").expect("a route");
        assert_eq!(
            (route.operation("GET"), route.operation("PUT"), route.allow()),
            (Some(Operation::ListUsers), None, "GET")
        );
        assert!(!Operation::ListUsers.public_keys_may());
        assert!(
            Route::parse("https://h/v1/users/").is_ok_and(|route| route.operation("GET") == Some(Operation::GetUser))
        );
        assert!(Route::parse("https://h/v1/userss").is_err());
    }

    #[test]
    fn reads_a_merge_and_the_list_of_sets() {
        let route = Route::parse("https://h/v1/users/jane/merge").expect("a route");
        assert_eq!(
            (route.operation("POST"), route.operation("PUT"), route.allow()),
            (Some(Operation::MergeUsers), None, "POST")
        );
        assert_eq!(route.user_id(), b"jane");
        assert!(!Operation::MergeUsers.public_keys_may() && !Operation::MergeUsers.takes_if_match());
        assert!(!Operation::MergeUsers.reads());
        let route = Route::parse("https://h/v1/users/jane/preferences").expect("a route");
        assert_eq!(
            (route.operation("GET"), route.operation("PUT"), route.allow()),
            (Some(Operation::ListPreferenceSets), None, "GET")
        );
        assert!(Operation::ListPreferenceSets.reads() && Operation::ListPreferenceSets.public_keys_may());
        // The user `merge` and a set named `merge` keep their routes.
        assert_eq!(Route::parse("https://h/v1/users/merge").unwrap().operation("GET"), Some(Operation::GetUser));
        let route = Route::parse("https://h/v1/users/jane/preferences/merge").expect("a route");
        assert_eq!(route.operation("GET"), Some(Operation::GetPreferenceSet("merge".into())));
        assert!(Route::parse("https://h/v1/users/jane/merge/x").is_err());
    }

    #[test]
    fn keeps_bytes_that_are_not_utf8_for_the_core_to_refuse() {
        let route = Route::parse("https://h/v1/users/%FF").expect("a route");
        assert_eq!(route.user_id(), [0xff]);
    }
}
