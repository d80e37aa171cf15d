//! Defining purposes, attributes and forms. Every change is checked against
//! the whole schema it would produce, so no change can leave another
//! definition breaking P8 or P10; a change to anything a notice shows makes a
//! new notice version of each form and purpose concerned (a purpose's own
//! notice is versioned like a form's, in the same table, see `NoticeOf`).

use crate::sql::{params, Conn, OptionalExtension};
use chrono::{DateTime, Utc};
use kerro_core::catalogue::Catalogue;
use kerro_core::consent::NoticeOf;
use kerro_core::ids::{AttributeKey, FormKey, OfferKey, PurposeKey, RecipientKey};
use kerro_core::notice::{NoticeBundle, NoticeChange};
use kerro_core::offer::{compile_offer, CompiledOffer, OfferSpec};
use kerro_core::schema::{AttributeSpec, FormSpec, PurposeSpec, Schema};
use kerro_core::{Actor, CoreError};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::audit::{record, AuditAction};
use super::{corrupt, parse_ts, ts, Store};
use crate::error::{StoreError, StoreResult};
use crate::model::{NoticeVersion, SchemaSnapshot};

/// One definition to put.
pub(crate) enum Put {
    Purpose(PurposeKey, PurposeSpec),
    Attribute(AttributeKey, AttributeSpec),
    Form(FormKey, FormSpec, NoticeChange),
}

impl Store {
    /// Creates or replaces a purpose; returns `true` when it was new.
    pub fn put_purpose(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: PurposeKey,
        spec: PurposeSpec,
    ) -> StoreResult<bool> {
        self.put(actor, now, Put::Purpose(key, spec))
    }

    pub fn put_attribute(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: AttributeKey,
        spec: AttributeSpec,
    ) -> StoreResult<bool> {
        self.put(actor, now, Put::Attribute(key, spec))
    }

    pub fn put_form(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: FormKey,
        spec: FormSpec,
    ) -> StoreResult<bool> {
        self.put_form_with(actor, now, key, spec, NoticeChange::Editorial)
    }

    /// Creates or replaces a form; a new notice version is marked material
    /// when `change` says so (consents under earlier versions then need renewal).
    pub fn put_form_with(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: FormKey,
        spec: FormSpec,
        change: NoticeChange,
    ) -> StoreResult<bool> {
        self.put(actor, now, Put::Form(key, spec, change))
    }

    fn put(&self, actor: &Actor, now: DateTime<Utc>, put: Put) -> StoreResult<bool> {
        self.write(actor, now, move |tx| {
            let mut snap = load_snapshot(tx)?;
            let created = apply(&mut snap.schema, &put)?;
            validate_all(tx, &snap.schema)?;
            let (table, key, spec, kind) = match &put {
                Put::Purpose(k, s) => ("purposes", k.as_str(), to_json(s)?, "purpose"),
                Put::Attribute(k, s) => ("attributes", k.as_str(), to_json(s)?, "attribute"),
                Put::Form(k, s, _) => ("forms", k.as_str(), to_json(s)?, "form"),
            };
            tx.execute(
                &format!(
                    "INSERT INTO {table} (key, spec, updated_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT(key) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at"
                ),
                params![key, spec, ts(&now)],
            )?;
            let material = match &put {
                Put::Form(k, _, NoticeChange::Material) => Some(k),
                _ => None,
            };
            let before = material.and_then(|k| snap.notices.get(k).map(|v| v.version));
            bump_notices(tx, &mut snap, &now, material)?;
            if let Some(k) = material {
                let after = snap.notices.get(k).map(|v| v.version);
                if let (Some(b), Some(version)) = (before, after) {
                    if b != version {
                        record(
                            tx,
                            None,
                            AuditAction::NoticeChangedMaterially {
                                form: k.as_str(),
                                version,
                            },
                        )?;
                    }
                }
            }
            super::records::bump(tx, &snap.schema, &now)?;
            snap.offers = load_offers(tx, &snap.schema)?;
            snap.catalogue = Arc::new(Catalogue::new(&snap.schema, snap.offers.clone()));
            record(tx, None, AuditAction::SchemaChanged { kind, key })?;
            tx.schema_changed(snap);
            Ok(created)
        })
    }

    /// Every version of a form's or a purpose's notice, oldest first, with the bundle that was hashed.
    pub fn notice_versions(
        &self,
        of: &NoticeOf,
    ) -> StoreResult<Vec<(NoticeVersion, serde_json::Value)>> {
        let key = of.stored_key();
        self.read(move |conn| {
            let rows = conn.query_map(
                "SELECT version, sha256, created_at, bundle FROM notice_versions WHERE form = ?1 ORDER BY version",
[key.as_str()], |r| {
                Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (version, sha256, created, bundle) = row?;
                out.push((
                    NoticeVersion { version, sha256, created_at: parse_ts(&created)? },
                    serde_json::from_str(&bundle).map_err(corrupt("notice bundle"))?,
                ));
            }
            Ok(out)
        })
    }
}

fn apply(schema: &mut Schema, put: &Put) -> StoreResult<bool> {
    Ok(match put {
        Put::Purpose(k, s) => {
            if k.as_str() == kerro_core::consent::EMAIL_CONFIRMATION_PURPOSE {
                return Err(CoreError::invalid(
                    "key",
                    "this key is reserved for e-mail confirmations in the consent ledger",
                )
                .into());
            }
            s.validate()?;
            // Only the purpose being written must name registered recipients,
            // so a schema stored before the register keeps accepting changes.
            s.check_recipients(&schema.recipients)?;
            schema.purposes.insert(k.clone(), s.clone()).is_none()
        }
        Put::Attribute(k, s) => {
            s.validate(&schema.purposes).map_err(|e| within("", e))?;
            schema.attributes.insert(k.clone(), s.clone()).is_none()
        }
        Put::Form(k, s, _) => {
            s.validate(&schema.purposes, &schema.attributes)?;
            schema.forms.insert(k.clone(), s.clone()).is_none()
        }
    })
}

/// Checks that every definition, offers included, is still valid in the changed schema.
fn validate_all(conn: &Conn, schema: &Schema) -> StoreResult<()> {
    let specs: BTreeMap<OfferKey, OfferSpec> =
        load_table(conn, "offers", |k| OfferKey::parse("key", k).ok())?;
    for (k, spec) in specs {
        compile_offer(k.clone(), spec, schema)
            .map_err(|e| within(&format!("this change would make offer '{k}' invalid: "), e))?;
    }
    for (k, a) in &schema.attributes {
        a.validate(&schema.purposes).map_err(|e| {
            within(
                &format!("this change would make attribute '{k}' invalid: "),
                e,
            )
        })?;
    }
    for (k, f) in &schema.forms {
        f.validate(&schema.purposes, &schema.attributes)
            .map_err(|e| within(&format!("this change would make form '{k}' invalid: "), e))?;
    }
    Ok(())
}

fn within(prefix: &str, mut e: CoreError) -> StoreError {
    e.message = format!("{prefix}{}", e.message);
    StoreError::Core(e)
}

/// Appends a notice version for every form and every purpose whose notice
/// bundle changed; the new version of `material`'s notice, if any, is a material change.
pub(crate) fn bump_notices(
    conn: &Conn,
    snap: &mut SchemaSnapshot,
    now: &DateTime<Utc>,
    material: Option<&FormKey>,
) -> StoreResult<()> {
    for (key, form) in &snap.schema.forms {
        let bundle = NoticeBundle::build(form, &snap.schema);
        let before = snap.notices.get(key).map(|v| v.version);
        let is_material = material == Some(key);
        let v = current_notice(
            conn,
            &NoticeOf::Form(key.clone()),
            &bundle,
            now,
            is_material,
        )?;
        if is_material && before.is_some_and(|b| b != v.version) {
            snap.material_notices.insert(key.clone(), v.version);
        }
        snap.notices.insert(key.clone(), v);
    }
    for (key, purpose) in &snap.schema.purposes {
        let bundle = NoticeBundle::for_purpose(key, purpose, &snap.schema);
        current_notice(conn, &NoticeOf::Purpose(key.clone()), &bundle, now, false)?;
    }
    Ok(())
}

/// The newest stored version of `of`'s notice if it hashes as `bundle`
/// does, else a new version of it, appended now. A purpose defined before
/// purposes had notices gets its first version the first time it is needed.
pub(crate) fn current_notice(
    conn: &Conn,
    of: &NoticeOf,
    bundle: &NoticeBundle,
    now: &DateTime<Utc>,
    material: bool,
) -> StoreResult<NoticeVersion> {
    let key = of.stored_key();
    let sha = bundle.sha256();
    let latest = latest_notice(conn, &key)?;
    if let Some(v) = latest.as_ref().filter(|v| v.sha256 == sha) {
        return Ok(v.clone());
    }
    let version = latest.map(|c| c.version + 1).unwrap_or(1);
    conn.execute(
        "INSERT INTO notice_versions (form, version, sha256, bundle, created_at, material) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![key, version, sha, bundle.canonical(), ts(now), i64::from(material)],
    )?;
    Ok(NoticeVersion {
        version,
        sha256: sha,
        created_at: *now,
    })
}

/// The current version of `purpose`'s own notice, for a consent change in
/// `tx`. The bundle is built from `snap`; should the stored version differ
/// (a schema change committed since `snap` was taken, perhaps earlier in
/// this very transaction), it is built again from the schema as stored, so
/// an older snapshot never adds a version with outdated content.
pub(crate) fn purpose_notice(
    conn: &Conn,
    snap: &SchemaSnapshot,
    purpose: &PurposeKey,
    now: &DateTime<Utc>,
) -> StoreResult<NoticeVersion> {
    let of = NoticeOf::Purpose(purpose.clone());
    let unknown = || CoreError::not_found("purpose", format!("unknown purpose '{purpose}'"));
    let spec = snap.schema.purposes.get(purpose).ok_or_else(unknown)?;
    let bundle = NoticeBundle::for_purpose(purpose, spec, &snap.schema);
    if let Some(v) = latest_notice(conn, &of.stored_key())? {
        if v.sha256 == bundle.sha256() {
            return Ok(v);
        }
    }
    let stored = Schema {
        purposes: load_table(conn, "purposes", |k| PurposeKey::parse("key", k).ok())?,
        attributes: load_table(conn, "attributes", |k| AttributeKey::parse("key", k).ok())?,
        forms: BTreeMap::new(),
        recipients: load_table(conn, "recipients", |k| RecipientKey::parse("key", k).ok())?,
    };
    let spec = stored.purposes.get(purpose).ok_or_else(unknown)?;
    let bundle = NoticeBundle::for_purpose(purpose, spec, &stored);
    current_notice(conn, &of, &bundle, now, false)
}

/// The newest version stored under a notice key.
fn latest_notice(conn: &Conn, key: &str) -> StoreResult<Option<NoticeVersion>> {
    let row = conn
        .query_row(
            "SELECT version, sha256, created_at FROM notice_versions WHERE form = ?1 ORDER BY version DESC LIMIT 1",
            [key],
            |r| Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
        )
        .optional()?;
    row.map(|(version, sha256, created)| {
        Ok(NoticeVersion {
            version,
            sha256,
            created_at: parse_ts(&created)?,
        })
    })
    .transpose()
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> StoreResult<String> {
    serde_json::to_string(v).map_err(corrupt("serialise definition"))
}

pub(crate) fn load_table<K: Ord, V: DeserializeOwned>(
    conn: &Conn,
    table: &str,
    parse_key: impl Fn(&str) -> Option<K>,
) -> StoreResult<BTreeMap<K, V>> {
    let rows = conn.query_map(&format!("SELECT key, spec FROM {table}"), (), |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = BTreeMap::new();
    for row in rows {
        let (k, spec) = row?;
        let key = parse_key(&k)
            .ok_or_else(|| StoreError::Corrupt(format!("bad key '{k}' in {table}")))?;
        out.insert(key, serde_json::from_str(&spec).map_err(corrupt(table))?);
    }
    Ok(out)
}

pub(crate) fn load_snapshot(conn: &Conn) -> StoreResult<SchemaSnapshot> {
    let schema = Schema {
        purposes: load_table(conn, "purposes", |k| PurposeKey::parse("key", k).ok())?,
        attributes: load_table(conn, "attributes", |k| AttributeKey::parse("key", k).ok())?,
        forms: load_table(conn, "forms", |k| FormKey::parse("key", k).ok())?,
        recipients: load_table(conn, "recipients", |k| RecipientKey::parse("key", k).ok())?,
    };
    let mut notices = BTreeMap::new();
    for key in schema.forms.keys() {
        if let Some(v) = latest_notice(conn, key.as_str())? {
            notices.insert(key.clone(), v);
        }
    }
    let mut material_notices = BTreeMap::new();
    let rows = conn.query_map(
        "SELECT form, MAX(version) FROM notice_versions WHERE material = 1 GROUP BY form",
        (),
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, u32>(1)?)),
    )?;
    for row in rows {
        let (key, version) = row?;
        if let Ok(NoticeOf::Form(form)) = NoticeOf::from_stored(&key) {
            material_notices.insert(form, version);
        }
    }
    let offers = load_offers(conn, &schema)?;
    let catalogue = Arc::new(Catalogue::new(&schema, offers.clone()));
    Ok(SchemaSnapshot {
        schema,
        notices,
        material_notices,
        offers,
        catalogue,
        outbox_seq: super::outbox::last_seq(conn)?,
    })
}

/// Compiles every stored offer against `schema`. An offer stored by an older
/// kerro that a stricter check now refuses (e.g. a date condition written
/// `2027-1-31`) is left out of decisions and logged, rather than keeping the
/// server from starting: it shows to no one until it is corrected.
pub(crate) fn load_offers(conn: &Conn, schema: &Schema) -> StoreResult<Vec<CompiledOffer>> {
    let specs: BTreeMap<OfferKey, OfferSpec> =
        load_table(conn, "offers", |k| OfferKey::parse("key", k).ok())?;
    Ok(specs
        .into_iter()
        .filter_map(|(k, spec)| match compile_offer(k.clone(), spec, schema) {
            Ok(offer) => Some(offer),
            Err(e) => {
                tracing::error!(
                    offer = %k,
                    "stored offer no longer compiles and is left out of decisions until it is corrected (PUT /v1/offers/{k}): {e}"
                );
                None
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;
    use kerro_core::i18n::Localized;
    use kerro_core::schema::LegalBasis;
    use kerro_core::Lang;

    fn purpose(retention_days: u32) -> PurposeSpec {
        let t = |s: &str| Localized([(Lang::En, s.to_owned())].into());
        PurposeSpec {
            title: t("News"),
            description: t("About news"),
            legal_basis: LegalBasis::Consent,
            uses: Default::default(),
            retention_days,
            consent_validity_days: None,
            recipients: vec![],
            subject_categories: vec![],
            dpv_category: None,
        }
    }

    /// A consent change holding a snapshot from before a schema change names
    /// the version the change made, and never adds one with the old content.
    #[test]
    fn a_stale_snapshot_never_adds_an_outdated_purpose_notice() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::new(dir.path())).unwrap();
        let actor = Actor::System("test".into());
        let key = PurposeKey::parse("p", "news").unwrap();
        let now = Utc::now();
        store
            .put_purpose(&actor, now, key.clone(), purpose(30))
            .unwrap();
        let stale = store.schema();
        store
            .put_purpose(&actor, now, key.clone(), purpose(365))
            .unwrap();
        let of = NoticeOf::Purpose(key.clone());
        let k = key.clone();
        let v = store
            .write(&actor, now, move |tx| purpose_notice(tx, &stale, &k, &now))
            .unwrap();
        assert_eq!(v.version, 2);
        let versions = store.notice_versions(&of).unwrap();
        assert_eq!(versions.len(), 2);
        assert_eq!(versions[1].1["purposes"][0]["retention_days"], 365);
        // With the current snapshot it is the same version, read, not written.
        let fresh = store.schema();
        let v = store
            .write(&actor, now, move |tx| {
                purpose_notice(tx, &fresh, &key, &now)
            })
            .unwrap();
        assert_eq!(v.version, 2);
        assert_eq!(store.notice_versions(&of).unwrap().len(), 2);
    }
}
