//! The in-memory profile index decisions read: each live subject's decrypted
//! declared values, consent states and contact preferences, the deliveries
//! its caps count, and the audience bitmaps; how a profile is loaded from the
//! database and kept from going back in time. Decisions and their log are
//! elsewhere (`engine`, `decision_log`).
//!
//! Plaintext exists only here, in RAM. The store refreshes a subject's profile
//! after every write that concerns it and drops it on erasure.

use crate::sql::{Conn, Dialect};
use kerro_core::audience::AudienceIndex;
use kerro_core::contact::Channel;
use kerro_core::decide::{ConsentInfo, DeclaredValue, Delivery, Profile};
use kerro_core::ids::{OfferKey, SubjectId};
use kerro_core::slot_ids::SlotIds;
use parking_lot::{Mutex, RwLock};
use std::collections::HashMap;
use std::sync::Arc;

use super::shared::subject_key;
use super::{corrupt, parse_ts};
use crate::crypto::Keyring;
use crate::error::{StoreError, StoreResult};
#[cfg(test)]
use crate::model::SubjectData;

/// Profiles, recent deliveries and the audience bitmaps, by subject.
///
/// The locks are parking_lot's, which do not poison: a panic while one is
/// held (a bug, or an input nobody foresaw) fails that one request instead of
/// every later decision. Each step computes everything that can fail before
/// it changes any of this state, so such a panic leaves it as it was.
#[derive(Default)]
pub(crate) struct ProfileIndex {
    pub(super) profiles: RwLock<HashMap<SubjectId, Arc<Profile>>>,
    /// The newest outbox event each profile reflects; `i64::MAX` marks an
    /// erased subject, so a reload that raced the erasure cannot bring it back.
    pub(super) versions: Mutex<HashMap<SubjectId, i64>>,
    pub(super) deliveries: Mutex<HashMap<SubjectId, Vec<Delivery>>>,
    pub(super) audience: RwLock<Audience>,
}

/// The bitmap index and the dense slots it counts in.
#[derive(Default)]
pub(crate) struct Audience {
    pub(crate) index: AudienceIndex,
    pub(super) slots: HashMap<SubjectId, u32>,
    /// Slot to subject; an erased subject's slot stays empty (slots are not reused).
    pub(crate) ids: SlotIds,
}

/// The profile of what `load_subject_data` read (tests hold it equal to `load_profile`).
#[cfg(test)]
pub(crate) fn profile_from(data: &SubjectData) -> Profile {
    let mut p = Profile::new(data.subject.id.clone());
    for d in &data.declarations {
        p.declared.insert(
            d.attribute.clone(),
            DeclaredValue {
                value: d.value.clone(),
                form: d.provenance.form.clone(),
                given_at: d.provenance.given_at,
            },
        );
    }
    for e in &data.consents {
        p.consents.insert(
            e.event.purpose.clone(),
            ConsentInfo {
                state: e.event.state,
                at: e.event.event_time,
                record_id: e.event.record_id.clone(),
                notice: e.event.notice.clone(),
            },
        );
    }
    p.contact = data.contact.clone();
    p.restricted = data.subject.restricted;
    p.objected_marketing = data.subject.objected_marketing;
    p.email = data.subject.email_status;
    p.locale = data.subject.locale;
    p.language = data.contact.language.or(data.subject.locale);
    p
}

/// Loads just what a decision needs about one subject: current declarations
/// (decrypted), the latest consent event per purpose, contact preferences and
/// flags. Lighter than the full `load_subject_data` (no history, audit or log).
pub(crate) fn load_profile(conn: &Conn, keys: &Keyring, id: &SubjectId) -> StoreResult<Profile> {
    let dk = subject_key(conn, keys, id)?;
    let sid = id.as_str();
    let mut p = Profile::new(id.clone());
    type Row = (Option<String>, bool, bool, bool, bool);
    let (locale, restricted, objected, in_use, pending): Row = conn.query_row(
        "SELECT locale, restricted, objected_marketing, email_enc IS NOT NULL,
                email_pending_enc IS NOT NULL FROM subjects WHERE id = ?1",
        [sid],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
    )?;
    // The address in use counts; one only waiting for confirmation makes the subject unreachable by e-mail.
    p.email = match (in_use, pending) {
        (true, _) => kerro_core::contact::EmailStatus::Verified,
        (false, true) => kerro_core::contact::EmailStatus::Pending,
        (false, false) => kerro_core::contact::EmailStatus::None,
    };
    p.restricted = restricted;
    p.objected_marketing = objected;
    // SQLite's planner sometimes prefers the (subject, id) index, which also
    // walks superseded rows; PostgreSQL picks the partial index by itself.
    for r in &conn.rows(match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT attribute, value_enc, form, given_at FROM declarations INDEXED BY declarations_current
             WHERE subject_id = ?1 AND superseded_at IS NULL"
        }
        Dialect::Postgres => {
            "SELECT attribute, value_enc, form, given_at FROM declarations
             WHERE subject_id = ?1 AND superseded_at IS NULL"
        }
    }, [sid])? {
        let (attribute, value, form) = super::shared::open_declaration(&dk, sid, r)?;
        p.declared.insert(
            attribute,
            DeclaredValue {
                value,
                form,
                given_at: parse_ts(&r.get::<_, String>(3)?)?,
            },
        );
    }
    for e in super::ledger::latest_events(conn, id)? {
        p.consents.insert(
            e.event.purpose.clone(),
            ConsentInfo {
                state: e.event.state,
                at: e.event.event_time,
                record_id: e.event.record_id,
                notice: e.event.notice,
            },
        );
    }
    p.contact = super::shared::load_contact(conn, id)?;
    p.locale = locale.as_deref().and_then(kerro_core::Lang::parse);
    p.language = p.contact.language.or(p.locale);
    Ok(p)
}

/// Loads every live subject's profile and recent deliveries (at start).
pub(crate) fn load_index(conn: &Conn, keys: &Keyring) -> StoreResult<ProfileIndex> {
    let ids: Vec<String> = conn
        // A subject whose key is gone (a restored backup, P13) is removed after start.
        .query_map(
            "SELECT id FROM subjects WHERE id IN (SELECT subject_id FROM kerro_keys.subject_keys)",
            (),
            |r| r.get(0),
        )?
        .collect::<Result<_, _>>()?;
    let mut profiles = HashMap::with_capacity(ids.len());
    for id in ids {
        let id = SubjectId::parse(&id).map_err(corrupt("subject id"))?;
        let profile = load_profile(conn, keys, &id)?;
        profiles.insert(id, Arc::new(profile));
    }
    // The store has no clock: every logged delivery is loaded, and old ones are
    // pruned as new decisions are made.
    let mut deliveries: HashMap<SubjectId, Vec<Delivery>> = HashMap::new();
    let rows = conn.query_map(
        "SELECT subject_id, offer, decided_at, channel FROM decisions WHERE kind <> 'decided' ORDER BY id",
        (),
        |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        },
    )?;
    for row in rows {
        let (s, o, at, channel) = row?;
        let channel = Channel::parse(&channel)
            .ok_or_else(|| StoreError::Corrupt(format!("decision channel '{channel}'")))?;
        let subject = SubjectId::parse(&s).map_err(corrupt("decision subject"))?;
        let offer = OfferKey::parse("offer", &o).map_err(corrupt("decision offer"))?;
        deliveries.entry(subject).or_default().push(Delivery {
            offer,
            channel,
            at: parse_ts(&at)?,
        });
    }
    let index = ProfileIndex {
        profiles: RwLock::new(HashMap::new()),
        versions: Mutex::default(),
        deliveries: Mutex::new(deliveries),
        audience: RwLock::default(),
    };
    for (_, p) in profiles {
        index.put_arc(p);
    }
    Ok(index)
}

impl ProfileIndex {
    pub(crate) fn get(&self, id: &SubjectId) -> Option<Arc<Profile>> {
        self.profiles.read().get(id).cloned()
    }

    /// Installs a profile read as of outbox event `version`, unless a newer
    /// one is in place or the subject was erased.
    pub(crate) fn put_versioned(&self, profile: Profile, version: i64) {
        let mut versions = self.versions.lock();
        let newest = versions.entry(profile.subject.clone()).or_insert(version);
        if version < *newest {
            return;
        }
        *newest = version;
        self.put_arc(Arc::new(profile));
    }

    /// Installs a profile this node's writer just built from its own edits.
    /// `version` is the newest outbox event the job wrote about the subject
    /// (0 if it wrote none: then the profile keeps the version it had).
    /// Nothing is installed for a subject erased meanwhile, or over a newer reload.
    pub(crate) fn put_edited(&self, profile: Profile, version: i64) {
        let mut versions = self.versions.lock();
        let newest = versions.entry(profile.subject.clone()).or_insert(version);
        if *newest == i64::MAX || version < *newest && version != 0 {
            return;
        }
        *newest = (*newest).max(version);
        self.put_arc(Arc::new(profile));
    }

    /// Notes that the subject's stored state is as of outbox event `version`
    /// without changing its profile (the job changed nothing a decision reads).
    pub(crate) fn saw_version(&self, id: &SubjectId, version: i64) {
        let mut versions = self.versions.lock();
        let newest = versions.entry(id.clone()).or_insert(version);
        *newest = (*newest).max(version);
    }

    fn put_arc(&self, profile: Arc<Profile>) {
        {
            let mut a = self.audience.write();
            let a = &mut *a;
            let slot = match a.slots.get(&profile.subject) {
                Some(s) => *s,
                None => {
                    let s = a.ids.push(&profile.subject);
                    a.slots.insert(profile.subject.clone(), s);
                    s
                }
            };
            a.index.set(slot, &profile);
        }
        self.profiles
            .write()
            .insert(profile.subject.clone(), profile);
    }

    pub(crate) fn remove(&self, id: &SubjectId) {
        self.versions.lock().insert(id.clone(), i64::MAX);
        {
            let mut a = self.audience.write();
            if let Some(slot) = a.slots.remove(id) {
                a.index.remove(slot);
                a.ids.clear(slot);
            }
        }
        self.profiles.write().remove(id);
        self.deliveries.lock().remove(id);
    }

    /// Counts a delivery (an impression another node made, or a message sent),
    /// once: the follower may read an event again.
    pub(crate) fn add_delivery(&self, subject: SubjectId, delivery: Delivery) {
        let mut d = self.deliveries.lock();
        let list = d.entry(subject).or_default();
        if !list.contains(&delivery) {
            list.push(delivery);
        }
    }

    /// A snapshot of every profile, for audiences and reports.
    pub(crate) fn all(&self) -> Vec<Arc<Profile>> {
        self.profiles.read().values().cloned().collect()
    }
}
