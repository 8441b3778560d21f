use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The standard fields of a user (SPEC §2): replaced by identify, returned
/// as `null` when unset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StandardField {
    Avatar,
    CreatedAt,
    Email,
    Locale,
    Name,
    PhoneNumber,
    Timezone,
}

impl StandardField {
    /// Every standard field, in the order of the response.
    pub const ALL: [StandardField; 7] = [
        StandardField::Avatar,
        StandardField::CreatedAt,
        StandardField::Email,
        StandardField::Locale,
        StandardField::Name,
        StandardField::PhoneNumber,
        StandardField::Timezone,
    ];

    /// The field's JSON key.
    pub fn key(self) -> &'static str {
        match self {
            StandardField::Avatar => "avatar",
            StandardField::CreatedAt => "created_at",
            StandardField::Email => "email",
            StandardField::Locale => "locale",
            StandardField::Name => "name",
            StandardField::PhoneNumber => "phone_number",
            StandardField::Timezone => "timezone",
        }
    }

    /// The field a JSON key names, if it names one.
    pub fn from_key(key: &str) -> Option<Self> {
        StandardField::ALL.into_iter().find(|field| field.key() == key)
    }
}

/// A user as the API returns it (SPEC §4): `__typename`, `id`, every
/// standard field (`null` when unset), `updated_at`, and the custom
/// properties at the top level.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct User {
    /// The user id, exactly as given in the path.
    pub id: String,
    /// Standard field values, indexed like [`StandardField::ALL`].
    pub standard: [Option<String>; 7],
    /// When the user was last identified (RFC 3339, UTC, milliseconds).
    pub updated_at: String,
    /// Every custom property.
    pub properties: Map<String, Value>,
}

impl User {
    /// A standard field's value.
    pub fn get(&self, field: StandardField) -> Option<&str> {
        self.standard[field as usize].as_deref()
    }
}

/// What storage keeps for one user (SPEC §7): the user, its preference sets
/// and its channel data, as one JSON document
/// `{"user": {...}, "preferences": {...}, "channel_data": {...}}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoredUser {
    /// The user, in its response shape.
    pub user: User,
    /// Preference set id → preference set.
    #[serde(default)]
    pub preferences: Map<String, Value>,
    /// Channel id → that channel's data.
    #[serde(default)]
    pub channel_data: Map<String, Value>,
}

impl Serialize for User {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(10 + self.properties.len()))?;
        map.serialize_entry("__typename", "User")?;
        map.serialize_entry("id", &self.id)?;
        for field in StandardField::ALL {
            map.serialize_entry(field.key(), &self.standard[field as usize])?;
        }
        map.serialize_entry("updated_at", &self.updated_at)?;
        for (key, value) in &self.properties {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for User {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(UserVisitor)
    }
}

struct UserVisitor;

impl<'de> Visitor<'de> for UserVisitor {
    type Value = User;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a user object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<User, A::Error> {
        let mut user = User::default();
        let (mut has_id, mut has_updated_at) = (false, false);
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "__typename" => {
                    map.next_value::<de::IgnoredAny>()?;
                }
                "id" => (user.id, has_id) = (map.next_value()?, true),
                "updated_at" => (user.updated_at, has_updated_at) = (map.next_value()?, true),
                _ => match StandardField::from_key(&key) {
                    Some(field) => user.standard[field as usize] = map.next_value()?,
                    None => {
                        let value = map.next_value()?;
                        user.properties.insert(key, value);
                    }
                },
            }
        }
        if !has_id {
            return Err(de::Error::missing_field("id"));
        }
        if !has_updated_at {
            return Err(de::Error::missing_field("updated_at"));
        }
        Ok(user)
    }
}
