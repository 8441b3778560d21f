//! The URLs the client sends to: `{base_url}/v1/users` (the list) or
//! `{base_url}/v1/users/` and the request's path segments, each
//! percent-encoded so that an id is always one segment, and the query's
//! names and values encoded the same way.

/// `{base_url}/v1/users`, then `/` and the `path`'s segments when it has
/// any, and the `query`'s pairs, each segment, name and value
/// percent-encoded (`include[]` as `include%5B%5D`).
pub(super) fn users_url<S: AsRef<str>>(base_url: &str, path: &[S], query: &[(&str, String)]) -> String {
    let mut url = format!("{base_url}/v1/users");
    for segment in path {
        url.push('/');
        url.push_str(&encode(segment.as_ref()));
    }
    for (index, (name, value)) in query.iter().enumerate() {
        url.push(if index == 0 { '?' } else { '&' });
        url.push_str(&encode(name));
        url.push('=');
        url.push_str(&encode(value));
    }
    url
}

/// A user id (or a channel or set id, a push token, a query value) as one
/// path segment: every byte but RFC 3986's unreserved characters
/// percent-encoded.
fn encode(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{encode, users_url};

    #[test]
    fn encodes_all_but_unreserved_characters() {
        let cases = [
            ("user-1", "user-1"),
            ("a b/c?d#e%f", "a%20b%2Fc%3Fd%23e%25f"),
            ("jane@example.com", "jane%40example.com"),
            ("é😀", "%C3%A9%F0%9F%98%80"),
            ("A.Z_9~", "A.Z_9~"),
        ];
        for (id, expected) in cases {
            assert_eq!(encode(id), expected, "{id}");
        }
    }

    #[test]
    fn a_part_path_encodes_each_segment() {
        let base = "https://api.knock.app";
        assert_eq!(users_url(base, &["a b/c"], &[]), "https://api.knock.app/v1/users/a%20b%2Fc");
        assert_eq!(
            users_url(base, &["jane@x", "channel_data", "97c5837d-c65c-4d54-aa39-080eeb81c69d"], &[]),
            "https://api.knock.app/v1/users/jane%40x/channel_data/97c5837d-c65c-4d54-aa39-080eeb81c69d"
        );
        assert_eq!(
            users_url(base, &["u", "preferences", "a/b?#"], &[]),
            "https://api.knock.app/v1/users/u/preferences/a%2Fb%3F%23"
        );
        assert_eq!(
            users_url(base, &["u", "channel_data", "c", "tokens", "a/b c"], &[]),
            "https://api.knock.app/v1/users/u/channel_data/c/tokens/a%2Fb%20c"
        );
    }

    #[test]
    fn query_values_are_encoded_and_joined() {
        let base = "https://api.knock.app";
        assert_eq!(
            users_url(base, &["u", "changes"], &[("page_size", "20".into()), ("after", "a b&c=d".into())]),
            "https://api.knock.app/v1/users/u/changes?page_size=20&after=a%20b%26c%3Dd"
        );
    }

    #[test]
    fn the_list_has_no_trailing_slash_and_its_names_are_encoded() {
        let base = "https://api.knock.app";
        assert_eq!(users_url::<&str>(base, &[], &[]), "https://api.knock.app/v1/users");
        assert_eq!(
            users_url::<&str>(base, &[], &[("page_size", "5".into()), ("include[]", "preferences".into())]),
            "https://api.knock.app/v1/users?page_size=5&include%5B%5D=preferences"
        );
        assert_eq!(users_url(base, &["bulk", "delete"], &[]), "https://api.knock.app/v1/users/bulk/delete");
    }
}
