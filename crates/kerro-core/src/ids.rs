//! Newtypes for every identifier, so a purpose key can never be passed where a
//! subject id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::{CoreError, CoreResult};

macro_rules! key_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Parses a key: 1-64 characters of `a-z`, `0-9`, `_` and `-`, starting with a letter.
            pub fn parse(field: &str, raw: &str) -> CoreResult<Self> {
                if is_valid_key(raw) {
                    Ok($name(raw.to_owned()))
                } else {
                    Err(CoreError::invalid(
                        field,
                        format!("'{raw}' is not a valid key: use 1-64 of a-z, 0-9, '_' and '-', starting with a letter"),
                    ))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

key_type!(
    /// The key of a purpose, e.g. `newsletter`.
    PurposeKey
);
key_type!(
    /// The key of an attribute (a declared field), e.g. `security_interests`.
    AttributeKey
);
key_type!(
    /// The key of a form (a collection point), e.g. `b2b_onboarding`.
    FormKey
);
key_type!(
    /// The key of an offer, e.g. `nis2_workshop`.
    OfferKey
);
key_type!(
    /// The key of a saved audience, e.g. `cloud_buyers`.
    AudienceKey
);
key_type!(
    /// The key of a recipient in the recipients register, e.g. `mailer_eu`.
    RecipientKey
);

/// Keys are short, lower-case and URL-safe so they can stand in paths unescaped.
pub fn is_valid_key(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 64
        && bytes[0].is_ascii_lowercase()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'_' || *b == b'-')
}

/// A subject's opaque id: `sub_` followed by a ULID-shaped 26-character string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct SubjectId(String);

impl SubjectId {
    pub const PREFIX: &'static str = "sub_";

    /// Wraps an already generated suffix (the store generates ULIDs; core has no randomness).
    pub fn from_suffix(suffix: &str) -> Self {
        SubjectId(format!("{}{}", Self::PREFIX, suffix))
    }

    pub fn parse(raw: &str) -> CoreResult<Self> {
        let ok = raw.len() == Self::PREFIX.len() + 26
            && raw.starts_with(Self::PREFIX)
            && raw[Self::PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        if ok {
            Ok(SubjectId(raw.to_owned()))
        } else {
            Err(CoreError::not_found(
                "subject",
                format!("'{raw}' is not a subject id"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of one consent record (one event of the ledger): `rec_` + ULID.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct RecordId(String);

impl RecordId {
    pub const PREFIX: &'static str = "rec_";

    pub fn from_suffix(suffix: &str) -> Self {
        RecordId(format!("{}{}", Self::PREFIX, suffix))
    }

    pub fn from_stored(raw: String) -> Self {
        RecordId(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for (raw, ok) in [
            ("newsletter", true),
            ("a", true),
            ("cloud_security-2", true),
            ("", false),
            ("Newsletter", false),
            ("1abc", false),
            ("a b", false),
            ("ä", false),
            (&"a".repeat(65), false),
        ] {
            assert_eq!(PurposeKey::parse("key", raw).is_ok(), ok, "{raw}");
        }
    }

    #[test]
    fn subject_ids() {
        assert!(SubjectId::parse("sub_01HZY3K6Q5W9X8V7T6S5R4P3N2").is_ok());
        assert!(SubjectId::parse("sub_01hzy3k6q5w9x8v7t6s5r4p3n2").is_err());
        assert!(SubjectId::parse("usr_01HZY3K6Q5W9X8V7T6S5R4P3N2").is_err());
        assert!(SubjectId::parse("sub_short").is_err());
    }
}
