//! The list's cursors (contract §10): a place in one environment's list,
//! the id of a user, opaque to clients. A cursor is the base64url (no
//! padding) of a version byte, an 8-byte tag and the id's UTF-8 bytes; the
//! tag is the start of the SHA-256 of the environment and the id, so a
//! cursor cut short, changed or made in another environment is refused.
//! It is not a secret: a client that forged one would only name a place
//! in its own environment's list.

use crate::check_user_id;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

/// The cursors' format; another is refused.
const VERSION: u8 = 1;
/// The tag's bytes.
const TAG_BYTES: usize = 8;

/// The cursor of `user_id`'s place in `environment`'s list.
pub fn encode(environment: &str, user_id: &str) -> String {
    let mut bytes = Vec::with_capacity(1 + TAG_BYTES + user_id.len());
    bytes.push(VERSION);
    bytes.extend_from_slice(&tag(environment, user_id));
    bytes.extend_from_slice(user_id.as_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The user id `text` names a place after or before, if it is a cursor of
/// `environment`'s list.
pub fn decode(environment: &str, text: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
    let (&version, rest) = bytes.split_first()?;
    if version != VERSION || rest.len() <= TAG_BYTES {
        return None;
    }
    let (tag_bytes, id) = rest.split_at(TAG_BYTES);
    let id = std::str::from_utf8(id).ok()?;
    (tag(environment, id) == tag_bytes && check_user_id(id).is_ok()).then(|| id.to_owned())
}

fn tag(environment: &str, user_id: &str) -> [u8; TAG_BYTES] {
    let mut hash = Sha256::new();
    hash.update(b"knock-identify users list\n");
    hash.update(environment.as_bytes());
    hash.update(b"\n");
    hash.update(user_id.as_bytes());
    let mut tag = [0; TAG_BYTES];
    tag.copy_from_slice(&hash.finalize()[..TAG_BYTES]);
    tag
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_in_its_environment_only() {
        for id in ["jane", "a?b&c=d", "😀".repeat(256).as_str(), "user 100%"] {
            let cursor = encode("development", id);
            assert!(
                cursor.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_'),
                "{cursor}"
            );
            assert_eq!(decode("development", &cursor).as_deref(), Some(id));
            assert_eq!(decode("staging", &cursor), None, "another environment's");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let cursor = encode("development", "jane");
        let other_version = {
            let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
            bytes[0] = 2;
            URL_SAFE_NO_PAD.encode(bytes)
        };
        let changed_id = {
            let mut bytes = URL_SAFE_NO_PAD.decode(&cursor).unwrap();
            *bytes.last_mut().unwrap() = b'f';
            URL_SAFE_NO_PAD.encode(bytes)
        };
        let no_id = URL_SAFE_NO_PAD.encode([&[VERSION][..], &tag("development", "")].concat());
        let bad_id = URL_SAFE_NO_PAD.encode([&[VERSION][..], &tag("development", "a/b"), b"a/b"].concat());
        for text in [
            "",
            "x",
            "jane",
            "Y2hhbmdlczox",
            &cursor[..cursor.len() - 2],
            &format!("{cursor}x"),
            &format!("{cursor}="),
            &other_version,
            &changed_id,
            &no_id,
            &bad_id,
        ] {
            assert_eq!(decode("development", text), None, "{text}");
        }
    }
}
