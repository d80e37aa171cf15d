//! What a notice version consists of and its SHA-256. The bundle holds
//! everything P4 requires the subject to see before a grant that the schema
//! knows (notice text, purposes with basis, retention and recipients by
//! name, data categories), so a change to any of them makes a new version. A form's
//! notice shows the form's purposes and questions; a purpose's own notice
//! (shown where a consent is changed outside a form) shows that purpose and
//! the attributes bound to it.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use crate::i18n::Localized;
use crate::ids::{AttributeKey, PurposeKey};
use crate::schema::{FormSpec, LegalBasis, PurposeSpec, Schema};

/// How a change to a form's notice stands to the consents given under earlier
/// versions (P7): an editorial change leaves them as they are; a material one
/// makes them due for renewal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum NoticeChange {
    #[default]
    Editorial,
    Material,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticePurpose {
    pub key: PurposeKey,
    pub title: Localized,
    pub description: Localized,
    pub legal_basis: LegalBasis,
    pub retention_days: u32,
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeBundle {
    pub notice: Localized,
    pub purposes: Vec<NoticePurpose>,
    pub data_categories: BTreeMap<AttributeKey, Localized>,
}

impl NoticeBundle {
    pub fn build(form: &FormSpec, schema: &Schema) -> NoticeBundle {
        let purposes = form
            .purposes
            .iter()
            .filter_map(|k| schema.purposes.get(k).map(|p| notice_purpose(k, p, schema)))
            .collect();
        let data_categories = form
            .attributes
            .iter()
            .filter_map(|k| {
                schema
                    .attributes
                    .get(k)
                    .map(|a| (k.clone(), a.title.clone()))
            })
            .collect();
        NoticeBundle {
            notice: form.notice.clone(),
            purposes,
            data_categories,
        }
    }

    /// A purpose's own notice: its description as the notice text, the
    /// purpose itself, and every attribute bound to it.
    pub fn for_purpose(key: &PurposeKey, purpose: &PurposeSpec, schema: &Schema) -> NoticeBundle {
        NoticeBundle {
            notice: purpose.description.clone(),
            purposes: vec![notice_purpose(key, purpose, schema)],
            data_categories: schema
                .attributes
                .iter()
                .filter(|(_, a)| a.purposes.contains(key))
                .map(|(k, a)| (k.clone(), a.title.clone()))
                .collect(),
        }
    }

    /// The canonical JSON text that is hashed and stored with the version.
    pub fn canonical(&self) -> String {
        // Struct fields serialise in declaration order and maps are BTreeMaps, so this is stable.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn sha256(&self) -> String {
        sha256_hex(self.canonical().as_bytes())
    }
}

/// A purpose as its notice shows it: recipients by the names customers see,
/// so renaming a recipient makes a new notice version.
fn notice_purpose(key: &PurposeKey, p: &PurposeSpec, schema: &Schema) -> NoticePurpose {
    NoticePurpose {
        key: key.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        legal_basis: p.legal_basis,
        retention_days: p.retention_days,
        recipients: schema.recipient_names(p),
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
