//! What a notice version consists of and its SHA-256. The bundle holds
//! everything P4 requires the subject to see before a grant that the schema
//! knows (notice text, purposes with basis, retention and recipients by name,
//! data categories), so a change to any of them makes a new version.

use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

use crate::i18n::Localized;
use crate::ids::{AttributeKey, PurposeKey};
use crate::schema::{FormSpec, LegalBasis, PurposeSpec, Schema};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticePurpose {
    pub key: PurposeKey,
    pub title: Localized,
    pub description: Localized,
    pub legal_basis: LegalBasis,
    pub retention_days: u32,
    pub recipients: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
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
