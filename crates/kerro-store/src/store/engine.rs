//! The decision side of the store: offers, the in-memory profile index the
//! engine reads, and the decision log.
//!
//! Profiles (decrypted declared values, consent states, contact preferences)
//! live in memory so a decision never touches the disk. The store refreshes a
//! subject's profile after every write that concerns it, and drops it on
//! erasure. Decisions are logged in batches by a background flusher, so the
//! hot path never waits for an fsync; the deliveries they imply are counted in
//! memory at once, so caps hold from the very next decision.

use crate::sql::{params, Conn, Dialect};
use chrono::{DateTime, Utc};
use kerro_core::audience::{AudienceIndex, AudienceQuery};
use kerro_core::consent::ConsentState;
use kerro_core::contact::Channel;
use kerro_core::decide::{ConsentInfo, Decision, DeclaredValue, Delivery, Profile, Request};
use kerro_core::ids::{OfferKey, SubjectId};
use kerro_core::offer::compile_condition;
use kerro_core::offer::{compile_offer, OfferSpec};
use kerro_core::time::days_before;
use kerro_core::PurposeKey;
use kerro_core::{Actor, CoreError};
use parking_lot::{Mutex, RwLock};
use roaring::RoaringBitmap;
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::Arc;

use super::audit::{record, AuditAction};
use super::outbox;
use super::schema_ops::{load_snapshot, to_json};
use super::subjects::subject_key;
use super::{corrupt, parse_ts, ts, Store};
use crate::crypto::Keyring;
use crate::error::{StoreError, StoreResult};
use crate::model::{LoggedDecision, MinimisationRow, SubjectData};

/// Deliveries older than this are forgotten in memory: no cap counts further back.
pub const MAX_CAP_WINDOW_DAYS: i64 = 3650;

/// Profiles, recent deliveries and the audience bitmaps, by subject.
///
/// The locks are parking_lot's, which do not poison: a panic while one is
/// held (a bug, or an input nobody foresaw) fails that one request instead of
/// every later decision. Each step computes everything that can fail before
/// it changes any of this state, so such a panic leaves it as it was.
#[derive(Default)]
pub(crate) struct ProfileIndex {
    profiles: RwLock<HashMap<SubjectId, Arc<Profile>>>,
    /// The newest outbox event each profile reflects; `i64::MAX` marks an
    /// erased subject, so a reload that raced the erasure cannot bring it back.
    versions: Mutex<HashMap<SubjectId, i64>>,
    deliveries: Mutex<HashMap<SubjectId, Vec<Delivery>>>,
    audience: RwLock<Audience>,
}

/// The bitmap index and the dense slots it counts in.
#[derive(Default)]
pub(crate) struct Audience {
    pub(crate) index: AudienceIndex,
    slots: HashMap<SubjectId, u32>,
    /// Slot to subject; an erased subject's slot stays empty (slots are not reused).
    pub(crate) ids: Vec<Option<SubjectId>>,
}

/// A decision waiting to be written to the log.
pub(crate) struct PendingLog {
    subject: SubjectId,
    offer: OfferKey,
    channel: Channel,
    at: DateTime<Utc>,
    personalized: bool,
    reasons: serde_json::Value,
}

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
    let (locale, restricted, objected): (Option<String>, bool, bool) = conn
        .prepare_cached(
            "SELECT locale, restricted, objected_marketing FROM subjects WHERE id = ?1",
        )?
        .query_row([sid], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    p.restricted = restricted;
    p.objected_marketing = objected;
    // SQLite's planner sometimes prefers the (subject, id) index, which also
    // walks superseded rows; PostgreSQL picks the partial index by itself.
    let mut stmt = conn.prepare_cached(match conn.dialect() {
        Dialect::Sqlite => {
            "SELECT attribute, value_enc, form, given_at FROM declarations INDEXED BY declarations_current
             WHERE subject_id = ?1 AND superseded_at IS NULL"
        }
        Dialect::Postgres => {
            "SELECT attribute, value_enc, form, given_at FROM declarations
             WHERE subject_id = ?1 AND superseded_at IS NULL"
        }
    })?;
    let mut rows = stmt.query([sid])?;
    while let Some(r) = rows.next()? {
        let (attribute, value, form) = super::subjects::open_declaration(&dk, sid, r)?;
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
    p.contact = super::subjects::load_contact(conn, id)?;
    p.language = p
        .contact
        .language
        .or(locale.as_deref().and_then(kerro_core::Lang::parse));
    Ok(p)
}

/// Loads every live subject's profile and recent deliveries (at start).
pub(crate) fn load_index(conn: &Conn, keys: &Keyring) -> StoreResult<ProfileIndex> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM subjects")?
        .query_map((), |r| r.get(0))?
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
    let mut stmt =
        conn.prepare("SELECT subject_id, offer, decided_at FROM decisions ORDER BY id")?;
    let rows = stmt.query_map((), |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    for row in rows {
        let (s, o, at) = row?;
        let subject = SubjectId::parse(&s).map_err(corrupt("decision subject"))?;
        let offer = OfferKey::parse("offer", &o).map_err(corrupt("decision offer"))?;
        deliveries.entry(subject).or_default().push(Delivery {
            offer,
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

    fn put_arc(&self, profile: Arc<Profile>) {
        {
            let mut a = self.audience.write();
            let a = &mut *a;
            let slot = match a.slots.get(&profile.subject) {
                Some(s) => *s,
                None => {
                    let s = a.ids.len() as u32;
                    a.ids.push(Some(profile.subject.clone()));
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
                if let Some(entry) = a.ids.get_mut(slot as usize) {
                    *entry = None;
                }
            }
        }
        self.profiles.write().remove(id);
        self.deliveries.lock().remove(id);
    }

    /// Counts a delivery another node made (once: the follower may read an event again).
    pub(crate) fn add_delivery(&self, subject: SubjectId, offer: OfferKey, at: DateTime<Utc>) {
        let mut d = self.deliveries.lock();
        let list = d.entry(subject).or_default();
        if !list.iter().any(|x| x.offer == offer && x.at == at) {
            list.push(Delivery { offer, at });
        }
    }

    /// A snapshot of every profile, for audiences and reports.
    pub(crate) fn all(&self) -> Vec<Arc<Profile>> {
        self.profiles.read().values().cloned().collect()
    }
}

/// Starts the background thread that writes logged decisions in batches.
pub(crate) fn start_flusher(store: std::sync::Weak<super::Inner>) -> mpsc::Sender<PendingLog> {
    let (tx, rx) = mpsc::channel::<PendingLog>();
    let spawned = std::thread::Builder::new()
        .name("kerro-decision-log".into())
        .spawn(move || {
            while let Ok(first) = rx.recv() {
                // Gather what arrives within a short window into one transaction.
                std::thread::sleep(std::time::Duration::from_millis(20));
                let mut batch = vec![first];
                while let Ok(more) = rx.try_recv() {
                    batch.push(more);
                }
                let Some(inner) = store.upgrade() else { return };
                // While the database is unavailable (PostgreSQL restarting), the
                // batch is kept and retried for up to two minutes.
                let batch = Arc::new(batch);
                for attempt in 1.. {
                    let (keys, b) = (inner.keys.clone(), batch.clone());
                    match inner.writer.write(move |conn| write_logs(conn, &keys, &b)) {
                        Ok(()) => break,
                        Err(e)
                            if attempt < 240
                                && e.to_core().code == kerro_core::ErrorCode::Unavailable =>
                        {
                            if attempt == 1 {
                                tracing::warn!("the decision log waits for the database: {e}");
                            }
                            std::thread::sleep(std::time::Duration::from_millis(500));
                        }
                        Err(e) => {
                            tracing::error!(
                                "cannot write the decision log; {} decisions not logged: {e}",
                                batch.len()
                            );
                            break;
                        }
                    }
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the decision-log thread: {e}");
    }
    tx
}

fn write_logs(conn: &Conn, keys: &Keyring, batch: &[PendingLog]) -> StoreResult<()> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO decisions (subject_id, offer, channel, decided_at, personalized, reasons_enc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?;
    let mut dk_cache: HashMap<SubjectId, Option<crate::crypto::DataKey>> = HashMap::new();
    for log in batch {
        let dk = dk_cache
            .entry(log.subject.clone())
            .or_insert_with(|| subject_key(conn, keys, &log.subject).ok());
        // An erased subject (its key is gone) has its pending decisions dropped with it.
        let Some(dk) = dk else { continue };
        let sealed = dk.seal(
            log.subject.as_str(),
            "decision",
            log.reasons.to_string().as_bytes(),
        )?;
        stmt.execute(params![
            log.subject.as_str(),
            log.offer.as_str(),
            log.channel.as_str(),
            ts(&log.at),
            log.personalized,
            sealed
        ])?;
        outbox::emit(
            conn,
            outbox::kind::OFFER_DELIVERED,
            Some(&log.subject),
            serde_json::json!({
                "offer": log.offer.as_str(),
                "channel": log.channel.as_str(),
                "at": ts(&log.at),
            }),
            &log.at,
        )?;
    }
    Ok(())
}

pub(crate) fn decisions_for(
    conn: &Conn,
    keys: &Keyring,
    id: &SubjectId,
) -> StoreResult<Vec<LoggedDecision>> {
    let dk = subject_key(conn, keys, id)?;
    let mut stmt = conn.prepare_cached(
        "SELECT offer, channel, decided_at, personalized, reasons_enc FROM decisions WHERE subject_id = ?1 ORDER BY id",
    )?;
    let mut rows = stmt.query([id.as_str()])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let sealed: Vec<u8> = r.get(4)?;
        let reasons = dk.open(id.as_str(), "decision", &sealed)?;
        out.push(LoggedDecision {
            offer: r.get(0)?,
            channel: r.get(1)?,
            decided_at: parse_ts(&r.get::<_, String>(2)?)?,
            personalized: r.get(3)?,
            reasons: serde_json::from_slice(&reasons).map_err(corrupt("decision reasons"))?,
        });
    }
    Ok(out)
}

impl Store {
    /// Creates or replaces an offer after type-checking it against the schema; `true` when new.
    pub fn put_offer(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: OfferKey,
        spec: OfferSpec,
    ) -> StoreResult<bool> {
        let compiled = compile_offer(key.clone(), spec, &self.schema().schema)?;
        let actor = actor.clone();
        let snapshot = self.write(move |conn| {
            let created = conn
                .query_row("SELECT 1 FROM offers WHERE key = ?1", [key.as_str()], |_| Ok(()))
                .map(|_| false)
                .or_else(|e| if matches!(e, StoreError::NoRows) { Ok(true) } else { Err(e) })?;
            conn.execute(
                "INSERT INTO offers (key, spec, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
                params![key.as_str(), to_json(&compiled.spec)?, ts(&now)],
            )?;
            record(conn, &now, &actor, None, AuditAction::SchemaChanged { kind: "offer", key: key.as_str() })?;
            Ok((created, load_snapshot(conn)?))
        })?;
        let (created, snapshot) = snapshot;
        self.set_snapshot(snapshot);
        Ok(created)
    }

    /// Deletes an offer; past decisions stay in the log under its key.
    pub fn delete_offer(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: &OfferKey,
    ) -> StoreResult<()> {
        let (actor, key) = (actor.clone(), key.clone());
        let snapshot = self.write(move |conn| {
            let n = conn.execute("DELETE FROM offers WHERE key = ?1", [key.as_str()])?;
            if n == 0 {
                return Err(CoreError::not_found("offer", format!("no offer '{key}'")).into());
            }
            record(
                conn,
                &now,
                &actor,
                None,
                AuditAction::SchemaChanged {
                    kind: "offer_deleted",
                    key: key.as_str(),
                },
            )?;
            load_snapshot(conn)
        })?;
        self.set_snapshot(snapshot);
        Ok(())
    }

    /// Whether the subject's profile is in memory (a decision then touches no disk).
    pub fn profile_cached(&self, id: &SubjectId) -> bool {
        self.inner.index.get(id).is_some()
    }

    /// The subject's in-memory profile, loaded on a miss.
    pub fn profile(&self, id: &SubjectId) -> StoreResult<Arc<Profile>> {
        if let Some(p) = self.inner.index.get(id) {
            return Ok(p);
        }
        self.refresh_profile(id)?;
        self.inner
            .index
            .get(id)
            .ok_or_else(|| StoreError::Corrupt(format!("profile of {id} could not be loaded")))
    }

    /// Reloads a subject's profile after a write. An erased subject is dropped
    /// for good; when the database cannot be read (unavailable), the profile in
    /// place stays and the error is returned, so a caller may try again.
    pub(crate) fn refresh_profile(&self, id: &SubjectId) -> StoreResult<()> {
        let keys = self.keys();
        let id2 = id.clone();
        let loaded = self.read(move |conn| {
            let version = outbox::subject_version(conn, &id2)?;
            Ok((load_profile(conn, &keys, &id2)?, version))
        });
        match loaded {
            Ok((profile, version)) => {
                self.inner.index.put_versioned(profile, version);
                Ok(())
            }
            Err(e) => {
                if e.to_core().code == kerro_core::ErrorCode::Gone {
                    self.inner.index.remove(id);
                }
                Err(e)
            }
        }
    }

    /// Decides which offers to show `subject` on `channel`. Unless `dry_run`, the
    /// offers returned count as delivered: caps see them at once and the decision
    /// log records them with their reasons.
    pub fn decide(
        &self,
        now: DateTime<Utc>,
        subject: &SubjectId,
        channel: Channel,
        limit: usize,
        dry_run: bool,
    ) -> StoreResult<Decision> {
        let profile = self.profile(subject)?;
        let snapshot = self.schema();
        let req = Request {
            channel,
            limit,
            now,
        };
        // The lock is held from reading the deliveries to counting the new ones,
        // so two decisions at once cannot both pass a cap with one place left.
        let mut deliveries = self.inner.index.deliveries.lock();
        let past = deliveries.get(subject).map(Vec::as_slice).unwrap_or(&[]);
        let decision = snapshot
            .catalogue
            .decide(&snapshot.schema, &profile, past, &req);
        if dry_run || decision.offers.is_empty() {
            return Ok(decision);
        }
        // Everything is computed before the shared list changes, so nothing that
        // fails or panics on the way can leave it half updated.
        let horizon = days_before(now, MAX_CAP_WINDOW_DAYS);
        let logs: Vec<PendingLog> = decision
            .offers
            .iter()
            .map(|c| PendingLog {
                subject: subject.clone(),
                offer: c.offer.clone(),
                channel,
                at: now,
                personalized: c.personalized,
                reasons: serde_json::to_value(&c.reasons).unwrap_or_default(),
            })
            .collect();
        let list = deliveries.entry(subject.clone()).or_default();
        list.retain(|d| d.at > horizon);
        list.extend(logs.iter().map(|l| Delivery {
            offer: l.offer.clone(),
            at: now,
        }));
        drop(deliveries);
        for log in logs {
            if self.inner.decision_log.send(log).is_err() {
                tracing::error!("the decision log is not running; a decision was not logged");
            }
        }
        Ok(decision)
    }

    /// Subjects whose latest consent to `purpose` is active, from the in-memory index.
    pub fn consenting_count(&self, purpose: &kerro_core::PurposeKey) -> usize {
        self.inner
            .index
            .all()
            .iter()
            .filter(|p| {
                p.consents.get(purpose).is_some_and(|c| {
                    c.state == ConsentState::Given || c.state == ConsentState::Renewed
                })
            })
            .count()
    }

    /// Attributes collected but read by no offer live at `now`, with how many subjects hold them (P11).
    pub fn minimisation_report(&self, now: DateTime<Utc>) -> Vec<MinimisationRow> {
        let snap = self.schema();
        let profiles = self.inner.index.all();
        snap.schema
            .attributes
            .iter()
            .filter(|(k, _)| {
                !snap
                    .offers
                    .iter()
                    .any(|o| o.live_at(&now) && o.reads.contains(k))
            })
            .map(|(k, a)| MinimisationRow {
                attribute: k.clone(),
                purposes: a.purposes.clone(),
                forms: snap
                    .schema
                    .forms
                    .iter()
                    .filter(|(_, f)| f.attributes.contains(k))
                    .map(|(fk, _)| fk.clone())
                    .collect(),
                subjects_holding: profiles
                    .iter()
                    .filter(|p| p.declared.contains_key(k))
                    .count(),
            })
            .collect()
    }

    /// The subjects an audience reaches: they match `condition` on what they declared
    /// for `purpose`, have an active basis for it, opted in to `channel`, are not
    /// restricted and did not object (P14, P19). Answered from the bitmap index.
    pub fn audience(
        &self,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
    ) -> StoreResult<RoaringBitmap> {
        self.with_audience(purpose, channel, condition, |index, schema, q| {
            index.matching(schema, q)
        })
    }

    /// How many subjects an audience reaches (see `audience`), without building the set.
    pub fn audience_count(
        &self,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
    ) -> StoreResult<u64> {
        self.with_audience(purpose, channel, condition, |index, schema, q| {
            index.count(schema, q)
        })
    }

    /// Type-checks the condition for the purpose and runs `f` on the audience index.
    fn with_audience<T>(
        &self,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
        f: impl FnOnce(&AudienceIndex, &kerro_core::schema::Schema, &AudienceQuery<'_>) -> T,
    ) -> StoreResult<T> {
        let snap = self.schema();
        let (compiled, _) = compile_condition(purpose, condition, &snap.schema)?;
        let a = self.inner.index.audience.read();
        Ok(f(
            &a.index,
            &snap.schema,
            &AudienceQuery {
                purpose,
                channel,
                condition: &compiled,
            },
        ))
    }

    /// The ids (and, for the e-mail channel when asked, the addresses) of an
    /// audience. The export is written to the audit log.
    pub fn audience_export(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
        with_email: bool,
    ) -> StoreResult<Vec<(SubjectId, Option<String>)>> {
        let with_email = with_email && channel == Channel::Email;
        let members = self.audience(purpose, channel, condition)?;
        let ids: Vec<SubjectId> = {
            let a = self.inner.index.audience.read();
            members
                .iter()
                .filter_map(|slot| a.ids.get(slot as usize).cloned().flatten())
                .collect()
        };
        let keys = self.keys();
        let (actor, purpose_s) = (actor.clone(), purpose.to_string());
        self.write(move |conn| {
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let email = if with_email {
                    super::subjects::email_of(conn, &keys, &id)?
                } else {
                    None
                };
                out.push((id, email));
            }
            record(
                conn,
                &now,
                &actor,
                None,
                AuditAction::AudienceExported {
                    purpose: &purpose_s,
                    channel: channel.as_str(),
                    count: out.len() as u64,
                    with_email,
                },
            )?;
            Ok(out)
        })
    }

    pub(crate) fn index(&self) -> &ProfileIndex {
        &self.inner.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::NewSubject;
    use crate::{StoreOptions, Submission};
    use chrono::TimeZone;
    use kerro_core::schema::{AttrKind, AttributeSpec, FormSpec, LegalBasis, PurposeSpec, Use};
    use kerro_core::{AttributeKey, FormKey, Localized};
    use serde_json::json;

    /// A reload that read older data than the profile in place (a follower
    /// racing a node's own write) is ignored, and an erased subject stays out.
    #[test]
    fn older_profiles_never_replace_newer_ones_nor_erased_ones() {
        let index = ProfileIndex::default();
        let id = SubjectId::parse("sub_01M8JQ29V5QZTS17QGFRYCWWRA").unwrap();
        let with_language = |lang| {
            let mut p = Profile::new(id.clone());
            p.language = Some(lang);
            p
        };
        index.put_versioned(with_language(kerro_core::Lang::Fi), 7);
        index.put_versioned(with_language(kerro_core::Lang::Sv), 5);
        assert_eq!(index.get(&id).unwrap().language, Some(kerro_core::Lang::Fi));
        index.put_versioned(with_language(kerro_core::Lang::En), 9);
        assert_eq!(index.get(&id).unwrap().language, Some(kerro_core::Lang::En));
        index.remove(&id);
        index.put_versioned(with_language(kerro_core::Lang::Fi), 10);
        assert!(index.get(&id).is_none(), "an erased subject came back");
    }

    /// A panic while an index lock is held (here forced; before, a client's
    /// `now` near chrono's minimum did it inside a decision) fails only the
    /// code that panicked: every later read and write of the index still works
    /// and sees the state as it was.
    #[test]
    fn a_panic_under_an_index_lock_poisons_nothing() {
        let index = ProfileIndex::default();
        let id = SubjectId::parse("sub_01M8JQ29V5QZTS17QGFRYCWWRA").unwrap();
        let offer = OfferKey::parse("offer", "hello").unwrap();
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        index.put_versioned(Profile::new(id.clone()), 1);
        index.add_delivery(id.clone(), offer.clone(), at);
        std::thread::scope(|s| {
            let panicked = s
                .spawn(|| {
                    let _versions = index.versions.lock();
                    let _deliveries = index.deliveries.lock();
                    let _profiles = index.profiles.write();
                    let _audience = index.audience.write();
                    panic!("a bug while the index is locked");
                })
                .join();
            assert!(panicked.is_err());
        });
        assert!(index.get(&id).is_some(), "the profile is still readable");
        assert_eq!(index.all().len(), 1);
        assert_eq!(index.deliveries.lock()[&id].len(), 1);
        let mut changed = Profile::new(id.clone());
        changed.language = Some(kerro_core::Lang::Sv);
        index.put_versioned(changed, 2);
        assert_eq!(index.get(&id).unwrap().language, Some(kerro_core::Lang::Sv));
        assert_eq!(index.audience.read().index.len(), 1);
        index.add_delivery(id.clone(), offer, at + chrono::Duration::days(1));
        assert_eq!(index.deliveries.lock()[&id].len(), 2);
        index.remove(&id);
        assert!(index.get(&id).is_none());
        assert!(!index.deliveries.lock().contains_key(&id));
    }

    /// The week of the first days of chrono's range is its first date (there
    /// is no Monday before them); other weeks start on a Monday.
    #[test]
    fn week_of_the_extremes() {
        use chrono::Datelike;
        let min = DateTime::<Utc>::MIN_UTC;
        for days in 0..14 {
            let t = min + chrono::Duration::days(days);
            let w = super::super::week_of(t);
            assert!(w <= t.date_naive(), "{t}");
            assert!(
                w == chrono::NaiveDate::MIN || w.weekday() == chrono::Weekday::Mon,
                "{t}: {w}"
            );
        }
        let max = DateTime::<Utc>::MAX_UTC;
        assert_eq!(super::super::week_of(max).weekday(), chrono::Weekday::Mon);
    }

    /// A store on a fresh SQLite file with one consent purpose `offers` of `uses`.
    fn store_with_purpose(
        uses: Use,
    ) -> (tempfile::TempDir, Store, Actor, DateTime<Utc>, PurposeKey) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::new(dir.path())).unwrap();
        let actor = Actor::System("t".into());
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let t = |s: &str| Localized::one(kerro_core::Lang::En, s);
        let pk = PurposeKey::parse("p", "offers").unwrap();
        store
            .put_purpose(
                &actor,
                now,
                pk.clone(),
                PurposeSpec {
                    title: t("o"),
                    description: t("d"),
                    legal_basis: LegalBasis::Consent,
                    uses: [uses].into(),
                    retention_days: 30,
                    recipients: vec![],
                    dpv_category: None,
                },
            )
            .unwrap();
        (dir, store, actor, now, pk)
    }

    /// An offer stored by an older kerro in a form a stricter check now refuses (a
    /// lenient date) neither keeps the store from opening nor reaches a decision.
    #[test]
    fn an_offer_that_no_longer_compiles_is_left_out_not_fatal() {
        let (dir, store, actor, now, pk) = store_with_purpose(Use::Personalization);
        let t = |s: &str| Localized::one(kerro_core::Lang::En, s);
        let review = AttributeKey::parse("a", "review").unwrap();
        store
            .put_attribute(
                &actor,
                now,
                review,
                AttributeSpec {
                    title: t("r"),
                    description: None,
                    kind: AttrKind::Date,
                    options: vec![],
                    min: None,
                    max: None,
                    max_length: None,
                    purposes: vec![pk],
                    special_category: false,
                },
            )
            .unwrap();
        for (key, condition) in [
            ("strict", json!({"review": {"$lt": "2027-01-31"}})),
            ("generic", json!({})),
        ] {
            let spec: OfferSpec = serde_json::from_value(json!({
                "title": {"en": key}, "body": {"en": "b"}, "purpose": "offers",
                "channels": ["web"], "condition": condition
            }))
            .unwrap();
            store
                .put_offer(&actor, now, OfferKey::parse("key", key).unwrap(), spec)
                .unwrap();
        }
        drop(store);
        // What an older kerro accepted and stored.
        let conn =
            crate::connect(&crate::Location::Sqlite(dir.path().join("kerro.db")), true).unwrap();
        let changed = conn
            .execute(
                "UPDATE offers SET spec = REPLACE(spec, '2027-01-31', '2027-1-31') WHERE key = 'strict'",
                (),
            )
            .unwrap();
        assert_eq!(changed, 1);
        drop(conn);
        let store = Store::open(&StoreOptions::new(dir.path())).expect("the store opens");
        let keys: Vec<String> = store
            .schema()
            .offers
            .iter()
            .map(|o| o.key.to_string())
            .collect();
        assert_eq!(keys, ["generic"]);
    }

    /// A live (not dry-run) decision at the edges of chrono's range counts its
    /// deliveries without panicking under the deliveries lock.
    #[test]
    fn live_decisions_at_extreme_times() {
        let (_dir, store, actor, now, _) = store_with_purpose(Use::Communication);
        let spec: OfferSpec = serde_json::from_value(json!({
            "title": {"en": "Hello"}, "body": {"en": "Hi"}, "purpose": "offers",
            "channels": ["web"], "max_per_subject": 5, "period_days": 3650
        }))
        .unwrap();
        store
            .put_offer(&actor, now, OfferKey::parse("key", "hello").unwrap(), spec)
            .unwrap();
        let id = store
            .create_subject(&actor, now, NewSubject::default())
            .unwrap();
        let mut prefs = kerro_core::contact::ContactPrefs::default();
        prefs.channels.insert(Channel::Web, true);
        prefs.max_per_week = Some(10);
        store.set_contact(&actor, now, &id, prefs).unwrap();
        let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
        let day = chrono::Duration::days(1);
        for at in [min, min + day, max - day, max, now] {
            let d = store.decide(at, &id, Channel::Web, 3, false).unwrap();
            assert_eq!(d.offers.len(), 1, "at {at}");
        }
        // The two at the beginning of time fell out of the later decisions' window.
        assert_eq!(store.index().deliveries.lock()[&id].len(), 3);
    }

    /// The light profile load and the one derived from the full subject data agree.
    #[test]
    fn light_profile_equals_full_profile() {
        let (_dir, store, actor, now, pk) = store_with_purpose(Use::Personalization);
        let t = |s: &str| Localized::one(kerro_core::Lang::En, s);
        let ak = AttributeKey::parse("a", "topic").unwrap();
        store
            .put_attribute(
                &actor,
                now,
                ak.clone(),
                AttributeSpec {
                    title: t("t"),
                    description: None,
                    kind: AttrKind::Text,
                    options: vec![],
                    min: None,
                    max: None,
                    max_length: None,
                    purposes: vec![pk.clone()],
                    special_category: false,
                },
            )
            .unwrap();
        let fk = FormKey::parse("f", "f").unwrap();
        store
            .put_form(
                &actor,
                now,
                fk.clone(),
                FormSpec {
                    title: t("f"),
                    notice: t("n"),
                    kind: Default::default(),
                    attributes: vec![ak],
                    purposes: vec![pk],
                },
            )
            .unwrap();
        let id = store
            .create_subject(
                &actor,
                now,
                NewSubject {
                    locale: Some(kerro_core::Lang::Sv),
                    ..Default::default()
                },
            )
            .unwrap();
        for topic in ["first", "second"] {
            store
                .submit(
                    &actor,
                    now,
                    Submission {
                        form: fk.clone(),
                        subject: id.clone(),
                        notice_version: 1,
                        answers: json!({"topic": topic}).as_object().unwrap().clone(),
                        consents: json!({"offers": true}).as_object().unwrap().clone(),
                        language: None,
                    },
                )
                .unwrap();
        }
        let keys = store.keys();
        let id2 = id.clone();
        let (light, full) = store
            .read(move |conn| {
                Ok((
                    load_profile(conn, &keys, &id2)?,
                    profile_from(&super::super::subjects::load_subject_data(
                        conn, &keys, &id2,
                    )?),
                ))
            })
            .unwrap();
        assert_eq!(light, full);
        assert_eq!(
            light.declared.values().next().unwrap().value,
            json!("second")
        );
        assert_eq!(light.language, Some(kerro_core::Lang::Sv));
        assert_eq!(
            *store.profile(&id).unwrap(),
            light,
            "the index holds the same"
        );
    }
}
