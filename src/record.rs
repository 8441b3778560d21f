//! The stored record of one user (§7): one JSON document,
//! `{"user": {...}, "preferences": {...}, "channel_data": {...}}`, whose
//! `user` is the response of §4. This module reads records and holds
//! them; `merge.rs` writes them, in canonical compact JSON only, so a
//! record read and written again is the same bytes.

use crate::error::IdentifyError;
use crate::json::{self, Kind, ParseError, Tape, Value};
use crate::limits::MAX_DEPTH;
use crate::model::StandardField;
use crate::quote::quoted;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

/// A user as storage keeps it: the canonical JSON of the record.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredUser {
    json: String,
    offsets: Offsets,
}

/// Where the pieces of a record lie in its JSON, as the core wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Offsets {
    /// Where the `user` object ends (it starts after `{"user":`).
    pub(crate) user_end: usize,
    /// The JSON string of the user id.
    pub(crate) id: Range<usize>,
    /// The text of `updated_at` (no escapes: the core wrote it).
    pub(crate) updated_at: Range<usize>,
    /// The `preferences` object.
    pub(crate) preferences: Range<usize>,
    /// The `channel_data` object.
    pub(crate) channel_data: Range<usize>,
}

/// The offset of the `user` object in a record the core wrote.
const USER_START: usize = "{\"user\":".len();

impl StoredUser {
    pub(crate) fn new(json: String, offsets: Offsets) -> Self {
        StoredUser { json, offsets }
    }

    /// The record as storage keeps it: one JSON document.
    pub fn as_json(&self) -> &str {
        &self.json
    }

    /// The record's JSON, as an owned string.
    pub fn into_json(self) -> String {
        self.json
    }

    /// The user in the response shape of §4, as JSON: a slice of the record.
    pub fn user_json(&self) -> &str {
        &self.json[USER_START..self.offsets.user_end]
    }

    /// The preference sets, as one JSON object: a slice of the record.
    pub fn preferences_json(&self) -> &str {
        &self.json[self.offsets.preferences.clone()]
    }

    /// The channel data, as one JSON object: a slice of the record.
    pub fn channel_data_json(&self) -> &str {
        &self.json[self.offsets.channel_data.clone()]
    }

    /// The user id.
    pub fn user_id(&self) -> Cow<'_, str> {
        let token = &self.json[self.offsets.id.clone()];
        match token.strip_prefix('"').and_then(|text| text.strip_suffix('"')) {
            Some(plain) if !plain.contains('\\') => Cow::Borrowed(plain),
            _ => json::parse(token.as_bytes(), 1)
                .ok()
                .and_then(|tape| tape.root().as_str().map(str::to_owned))
                .map_or(Cow::Borrowed(""), Cow::Owned),
        }
    }

    /// When the user was last identified: RFC 3339, UTC, milliseconds.
    pub fn updated_at(&self) -> &str {
        &self.json[self.offsets.updated_at.clone()]
    }
}

impl fmt::Debug for StoredUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StoredUser").field(&self.json).finish()
    }
}

/// A stored record parsed for a merge: its tape, and the nodes of its
/// user, id, `updated_at`, standard fields and sections.
pub(crate) struct ParsedRecord<'a> {
    tape: Tape<'a>,
    user: usize,
    id: usize,
    updated_at: usize,
    standard: [Option<usize>; StandardField::ALL.len()],
    preferences: Option<usize>,
    channel_data: Option<usize>,
}

impl<'a> ParsedRecord<'a> {
    /// Reads and checks a stored record. A record holds what requests
    /// (nested at most [`MAX_DEPTH`]) put in it, one level down.
    pub(crate) fn read(bytes: &'a [u8]) -> Result<ParsedRecord<'a>, IdentifyError> {
        let tape = json::parse(bytes, MAX_DEPTH + 1).map_err(|error| match error {
            ParseError::Syntax(message) => unreadable(&message),
            ParseError::TooDeep => unreadable(&format!("nested deeper than {} levels", MAX_DEPTH + 1)),
        })?;
        let mut record = ParsedRecord {
            user: 0,
            id: 0,
            updated_at: 0,
            standard: [None; StandardField::ALL.len()],
            preferences: None,
            channel_data: None,
            tape,
        };
        let root = record.tape.root();
        if !root.is_object() {
            return Err(unreadable(&format!("expected an object, got {}", root.type_phrase())));
        }
        let mut user = None;
        for (key, value) in root.entries() {
            let slot = match key {
                "user" => &mut user,
                "preferences" => &mut record.preferences,
                "channel_data" => &mut record.channel_data,
                _ => return Err(unreadable(&format!("unknown field {}", quoted(key)))),
            };
            if !value.is_object() {
                return Err(unreadable(&format!("`{key}` is {}, not an object", value.type_phrase())));
            }
            *slot = Some(value.index());
        }
        let user = user.ok_or_else(|| unreadable("no `user`"))?;
        record.user = user;
        let (mut id, mut updated_at) = (None, None);
        for (key, value) in record.tape.value(user).entries() {
            let is_string = value.kind() == Kind::String;
            match key {
                "__typename" => {}
                "id" if is_string => id = Some(value.index()),
                "updated_at" if is_string => updated_at = Some(value.index()),
                "id" | "updated_at" => return Err(unreadable(&format!("`user.{key}` is not a string"))),
                _ => {
                    if let Some(field) = StandardField::from_key(key) {
                        if !is_string && !value.is_null() {
                            return Err(unreadable(&format!("`user.{key}` is neither a string nor null")));
                        }
                        record.standard[field as usize] = Some(value.index());
                    }
                }
            }
        }
        record.id = id.ok_or_else(|| unreadable("no `user.id`"))?;
        record.updated_at = updated_at.ok_or_else(|| unreadable("no `user.updated_at`"))?;
        Ok(record)
    }

    pub(crate) fn text_len(&self) -> usize {
        self.tape.text_len()
    }

    /// The user object; its custom properties are the keys that are not request fields.
    pub(crate) fn user(&self) -> Value<'_> {
        self.tape.value(self.user)
    }

    pub(crate) fn standard(&self, field: StandardField) -> Option<Value<'_>> {
        self.standard[field as usize].map(|index| self.tape.value(index))
    }

    pub(crate) fn preferences(&self) -> Option<Value<'_>> {
        self.preferences.map(|index| self.tape.value(index))
    }

    pub(crate) fn channel_data(&self) -> Option<Value<'_>> {
        self.channel_data.map(|index| self.tape.value(index))
    }

    pub(crate) fn user_id(&self) -> &str {
        self.tape.value(self.id).as_str().unwrap_or_default()
    }

    pub(crate) fn updated_at(&self) -> &str {
        self.tape.value(self.updated_at).as_str().unwrap_or_default()
    }
}

fn unreadable(detail: &str) -> IdentifyError {
    IdentifyError::InvalidStoredRecord { detail: format!("unreadable stored user: {detail}") }
}
