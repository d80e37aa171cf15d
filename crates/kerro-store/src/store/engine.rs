//! The decision side of the store: offers, the decision call, audiences and
//! the minimisation report, all over the in-memory profile index (`index`)
//! so a decision never touches the disk. The impressions a web decision makes
//! are counted in memory at once, so caps hold from the very next decision;
//! a decision for a message counts only once the message is reported sent
//! (`deliveries`). The decision log (`decision_log`) writes them in batches.

use crate::sql::params;
use chrono::{DateTime, Utc};
use kerro_core::audience::AudienceQuery;
use kerro_core::consent::ConsentState;
use kerro_core::contact::Channel;
use kerro_core::decide::{Decision, Delivery, Profile, Request};
use kerro_core::ids::{OfferKey, SubjectId};
use kerro_core::offer::compile_condition;
use kerro_core::offer::{compile_offer, OfferSpec};
use kerro_core::time::days_before;
use kerro_core::PurposeKey;
use kerro_core::{Actor, CoreError};
use roaring::RoaringBitmap;
use std::sync::Arc;

use super::audit::{record, AuditAction};
use super::decision_log::{LogKind, PendingLog, UnflushedDecision};
use super::index::{load_profile, Audience};
use super::outbox;
use super::schema_ops::{load_snapshot, to_json};
use super::{ts, Store};
use crate::error::{StoreError, StoreResult};
use crate::model::MinimisationRow;
use crate::telemetry::{self, Timer};

/// Deliveries older than this are forgotten in memory: no cap counts further back.
pub const MAX_CAP_WINDOW_DAYS: i64 = 3650;

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
        self.write(actor, now, move |tx| {
            let created = tx
                .query_row("SELECT 1 FROM offers WHERE key = ?1", [key.as_str()], |_| Ok(()))
                .map(|_| false)
                .or_else(|e| if matches!(e, StoreError::NoRows) { Ok(true) } else { Err(e) })?;
            tx.execute(
                "INSERT INTO offers (key, spec, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(key) DO UPDATE SET spec = excluded.spec, updated_at = excluded.updated_at",
                params![key.as_str(), to_json(&compiled.spec)?, ts(&now)],
            )?;
            record(tx, None, AuditAction::SchemaChanged { kind: "offer", key: key.as_str() })?;
            tx.schema_changed(load_snapshot(tx)?);
            Ok(created)
        })
    }

    /// Deletes an offer; past decisions stay in the log under its key.
    pub fn delete_offer(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        key: &OfferKey,
    ) -> StoreResult<()> {
        let key = key.clone();
        self.write(actor, now, move |tx| {
            let n = tx.execute("DELETE FROM offers WHERE key = ?1", [key.as_str()])?;
            if n == 0 {
                return Err(CoreError::not_found("offer", format!("no offer '{key}'")).into());
            }
            record(
                tx,
                None,
                AuditAction::SchemaChanged {
                    kind: "offer_deleted",
                    key: key.as_str(),
                },
            )?;
            tx.schema_changed(load_snapshot(tx)?);
            Ok(())
        })
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

    /// Decides which offers to show `subject` on `channel` (see `decide_logged`).
    pub fn decide(
        &self,
        now: DateTime<Utc>,
        subject: &SubjectId,
        channel: Channel,
        limit: usize,
        dry_run: bool,
    ) -> StoreResult<Decision> {
        Ok(self.decide_logged(now, subject, channel, limit, dry_run)?.0)
    }

    /// Decides which offers to show `subject` on `channel`. Unless `dry_run`,
    /// the decision log records the offers with their reasons under a new
    /// decision id, which is returned (`None` for a dry run or no offer). On
    /// the web the offers are impressions, counted at once against the
    /// offers' own caps; on another channel they are a choice for a message,
    /// which counts once reported sent (`Store::report_delivery`).
    pub fn decide_logged(
        &self,
        now: DateTime<Utc>,
        subject: &SubjectId,
        channel: Channel,
        limit: usize,
        dry_run: bool,
    ) -> StoreResult<(Decision, Option<String>)> {
        let _timer = Timer::start(telemetry::DECISION_SECONDS);
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
            return Ok((decision, None));
        }
        // Everything is computed before the shared list changes, so nothing that
        // fails or panics on the way can leave it half updated.
        let horizon = days_before(now, MAX_CAP_WINDOW_DAYS);
        let decision_id = format!("dec_{}", super::new_ulid());
        let kind = LogKind::for_decision(channel);
        let logs: Vec<PendingLog> = decision
            .offers
            .iter()
            .map(|c| PendingLog {
                decision_id: decision_id.clone(),
                kind,
                subject: subject.clone(),
                offer: c.offer.clone(),
                channel,
                at: now,
                personalized: c.personalized,
                reasons: serde_json::to_value(&c.reasons).unwrap_or_default(),
            })
            .collect();
        if kind == LogKind::Shown {
            let list = deliveries.entry(subject.clone()).or_default();
            list.retain(|d| d.at > horizon);
            list.extend(logs.iter().map(|l| Delivery {
                offer: l.offer.clone(),
                channel,
                at: now,
            }));
        } else {
            let offers = logs
                .iter()
                .map(|l| (l.offer.clone(), l.personalized, l.reasons.clone()))
                .collect();
            self.inner.unflushed.decisions.lock().insert(
                decision_id.clone(),
                UnflushedDecision {
                    subject: subject.clone(),
                    channel,
                    at: now,
                    offers,
                },
            );
        }
        drop(deliveries);
        for log in logs {
            if self.inner.decision_log.send(log).is_err() {
                tracing::error!("the decision log is not running; a decision was not logged");
            }
        }
        Ok((decision, Some(decision_id)))
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
        self.with_audience(purpose, channel, condition, |a, schema, q| {
            a.index.matching(schema, q)
        })
    }

    /// The subject ids of an audience (see `audience`), read from the flat
    /// slot table as the index lists the members.
    pub(crate) fn audience_ids(
        &self,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
    ) -> StoreResult<Vec<SubjectId>> {
        self.with_audience(purpose, channel, condition, |a, schema, q| {
            let mut ids = Vec::new();
            a.index.each_member(schema, q, |slots| {
                ids.extend(slots.iter().filter_map(|s| a.ids.id(*s)))
            });
            ids
        })
    }

    /// How many subjects an audience reaches (see `audience`), without building the set.
    pub fn audience_count(
        &self,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
    ) -> StoreResult<u64> {
        self.with_audience(purpose, channel, condition, |a, schema, q| {
            a.index.count(schema, q)
        })
    }

    /// Type-checks the condition for the purpose and runs `f` on the audience index.
    fn with_audience<T>(
        &self,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
        f: impl FnOnce(&Audience, &kerro_core::schema::Schema, &AudienceQuery<'_>) -> T,
    ) -> StoreResult<T> {
        let _timer = Timer::start(telemetry::AUDIENCE_SECONDS);
        let snap = self.schema();
        let (compiled, _) = compile_condition(purpose, condition, &snap.schema)?;
        let a = self.inner.index.audience.read();
        Ok(f(
            &a,
            &snap.schema,
            &AudienceQuery {
                purpose,
                channel,
                condition: &compiled,
            },
        ))
    }

    /// The ids (and, for the e-mail channel when asked, the addresses) of an
    /// audience. The export is written to the audit log. With `recipient` it
    /// is an export made for that recipient of the purpose (P21): only those
    /// who consented to it and did not object to sharing, each logged as a
    /// disclosure.
    #[allow(clippy::too_many_arguments)]
    pub fn audience_export(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        purpose: &PurposeKey,
        channel: Channel,
        condition: &serde_json::Value,
        with_email: bool,
        recipient: Option<&str>,
    ) -> StoreResult<Vec<(SubjectId, Option<String>)>> {
        let with_email = with_email && channel == Channel::Email;
        let snapshot = self.schema();
        let recipient = match recipient {
            Some(r) => {
                let (_, spec, key) =
                    super::disclosures::shared_purpose(&snapshot, purpose.as_str(), r)?;
                Some((spec.clone(), key))
            }
            None => None,
        };
        let ids = self.audience_ids(purpose, channel, condition)?;
        let keys = self.keys();
        let (actor, purpose) = (actor.clone(), purpose.clone());
        self.write(&actor, now, move |tx| {
            let ids = match &recipient {
                Some((spec, r)) => super::disclosures::disclosable(tx, spec, &purpose, r, ids)?,
                None => ids,
            };
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                let email = if with_email {
                    super::shared::email_of(tx, &keys, id)?
                } else {
                    None
                };
                out.push((id.clone(), email));
            }
            if let Some((_, r)) = &recipient {
                let fields: &[&str] = if with_email {
                    &["id", "email"]
                } else {
                    &["id"]
                };
                super::disclosures::log(
                    tx,
                    &ids,
                    r,
                    &purpose,
                    fields,
                    kerro_core::disclosure::DisclosureVia::AudienceExport,
                )?;
            }
            record(
                tx,
                None,
                AuditAction::AudienceExported {
                    purpose: purpose.as_str(),
                    channel: channel.as_str(),
                    count: out.len() as u64,
                    with_email,
                    recipient: recipient.as_ref().map(|(_, r)| r.as_str()),
                },
            )?;
            Ok(out)
        })
    }
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
