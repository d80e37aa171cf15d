//! Saved audiences: a named purpose, channel and condition that campaigns and
//! the console reuse, and the rules a definition must follow.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::contact::Channel;
use crate::error::{CoreError, CoreResult};
use crate::ids::{AudienceKey, PurposeKey};
use crate::offer::compile_condition;
use crate::schema::Schema;

/// The longest name a saved audience may have, in characters.
pub const NAME_MAX: usize = 120;

/// Keys the API's own audience routes use (`/v1/audiences/count`, `/export`).
pub const RESERVED_KEYS: [&str; 2] = ["count", "export"];

/// What a saved audience is: subjects reachable on `channel` for `purpose`
/// whose declarations for it match `condition`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AudienceSpec {
    /// A name for people, e.g. "Cloud buyers in Finland" (1-120 characters).
    pub name: String,
    /// The purpose the audience serves: its basis and bound attributes apply.
    pub purpose: PurposeKey,
    pub channel: Channel,
    /// A GrowthBook condition over attributes bound to the purpose; `{}` for everyone reachable.
    #[serde(default = "everyone")]
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub condition: Value,
}

fn everyone() -> Value {
    Value::Object(Default::default())
}

impl AudienceSpec {
    /// Checks the key and the definition against the schema; an error names
    /// the field (`name`, `purpose`, `condition.<path>`).
    pub fn check(&self, key: &AudienceKey, schema: &Schema) -> CoreResult<()> {
        if RESERVED_KEYS.contains(&key.as_str()) {
            return Err(CoreError::invalid(
                "key",
                format!("'{key}' is reserved for the API's own audience routes"),
            ));
        }
        let name = self.name.trim();
        if name.is_empty() || self.name.chars().count() > NAME_MAX {
            return Err(CoreError::invalid(
                "name",
                format!("a saved audience has a name of 1-{NAME_MAX} characters"),
            ));
        }
        if self.name.chars().any(char::is_control) {
            return Err(CoreError::invalid(
                "name",
                "a name has no control characters",
            ));
        }
        compile_condition(&self.purpose, &self.condition, schema).map_err(|mut e| {
            if e.field.as_deref() != Some("purpose") {
                e.field = Some(match e.field.take() {
                    Some(f) if f.starts_with("condition") => f,
                    Some(f) => format!("condition.{f}"),
                    None => "condition".into(),
                });
            }
            e
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::offer::tests::schema;
    use serde_json::json;

    fn spec(name: &str, purpose: &str, condition: Value) -> AudienceSpec {
        AudienceSpec {
            name: name.into(),
            purpose: PurposeKey::parse("p", purpose).unwrap(),
            channel: Channel::Email,
            condition,
        }
    }

    fn field(key: &str, s: AudienceSpec) -> Option<String> {
        s.check(&AudienceKey::parse("k", key).unwrap(), &schema())
            .err()
            .map(|e| e.field.unwrap_or_default())
    }

    #[test]
    fn a_definition_is_checked_beside_its_field() {
        let cloud = json!({"interests": {"$in": ["a"]}});
        assert_eq!(field("cloud", spec("Cloud", "offers", cloud.clone())), None);
        assert_eq!(field("cloud", spec("Cloud", "offers", json!({}))), None);
        for reserved in RESERVED_KEYS {
            assert_eq!(
                field(reserved, spec("Cloud", "offers", json!({}))).as_deref(),
                Some("key")
            );
        }
        for name in ["", "  ", "a\nb", &"x".repeat(NAME_MAX + 1)] {
            assert_eq!(
                field("cloud", spec(name, "offers", json!({}))).as_deref(),
                Some("name"),
                "{name:?}"
            );
        }
        assert_eq!(
            field("cloud", spec(&"x".repeat(NAME_MAX), "offers", json!({}))),
            None
        );
        assert_eq!(
            field("cloud", spec("Cloud", "ghost", json!({}))).as_deref(),
            Some("purpose")
        );
        // `internal` serves another purpose; `$gt` on a choice does not type-check.
        assert_eq!(
            field("cloud", spec("Cloud", "offers", json!({"internal": "a"}))).as_deref(),
            Some("condition.internal")
        );
        assert_eq!(
            field(
                "cloud",
                spec("Cloud", "offers", json!({"size": {"$gt": "a"}}))
            )
            .as_deref(),
            Some("condition.size.$gt")
        );
        assert_eq!(
            field("cloud", spec("Cloud", "offers", json!([]))).as_deref(),
            Some("condition")
        );
    }
}
