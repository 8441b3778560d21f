//! `avatar`: an absolute `http` or `https` URL of at most 2,048 bytes, with
//! a host. Non-ASCII characters are accepted where a browser accepts them (IRIs).

use super::{check_bytes, FieldError};

const EXPECTED: &str = "expected an absolute http or https URL, like `https://example.com/avatar.png`";
const MAX_BYTES: usize = 2048;

pub(super) fn check(value: &str) -> Result<(), FieldError> {
    check_bytes(value, MAX_BYTES)?;
    if is_http_url(value) {
        Ok(())
    } else {
        Err(FieldError::format(EXPECTED))
    }
}

fn is_http_url(value: &str) -> bool {
    let Some(colon) = value.find(':') else { return false };
    let (scheme, rest) = (&value[..colon], &value[colon + 1..]);
    let Some(rest) = rest.strip_prefix("//") else { return false };
    if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
        return false;
    }
    if !has_only_url_characters(rest) {
        return false;
    }
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let host_port = authority.rsplit_once('@').map_or(authority, |(_userinfo, host_port)| host_port);
    is_host_port(host_port)
}

/// RFC 3986 characters (and non-ASCII ones, RFC 3987), with every `%`
/// followed by two hex digits.
fn has_only_url_characters(rest: &str) -> bool {
    let bytes = rest.as_bytes();
    rest.char_indices().all(|(index, c)| match c {
        '%' => bytes.get(index + 1..index + 3).is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)),
        c if c.is_ascii() => {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '-' | '.'
                        | '_'
                        | '~'
                        | ':'
                        | '/'
                        | '?'
                        | '#'
                        | '['
                        | ']'
                        | '@'
                        | '!'
                        | '$'
                        | '&'
                        | '\''
                        | '('
                        | ')'
                        | '*'
                        | '+'
                        | ','
                        | ';'
                        | '='
                )
        }
        c => !c.is_whitespace() && !c.is_control(),
    })
}

fn is_host_port(host_port: &str) -> bool {
    let (host, port) = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(end) => (&host_port[..=end], &host_port[end + 1..]),
            None => return false,
        }
    } else {
        match host_port.rfind(':') {
            Some(colon) => (&host_port[..colon], &host_port[colon..]),
            None => (host_port, ""),
        }
    };
    let port_ok = port.is_empty()
        || port.strip_prefix(':').is_some_and(|digits| {
            digits.is_empty() || (digits.len() <= 5 && digits.parse::<u32>().is_ok_and(|port| port <= 65_535))
        });
    port_ok && is_host(host)
}

fn is_host(host: &str) -> bool {
    if let Some(ip6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return ip6.contains(':') && ip6.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    let host = host.strip_suffix('.').unwrap_or(host);
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == '%')
        })
}
