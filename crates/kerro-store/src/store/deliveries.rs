//! Messages sent (P19): what an outside sender reports it sent against a
//! decision (`POST /v1/deliveries`), checked against that decision and the
//! subject's opt-in, then logged as `sent`. The subject's weekly cap counts
//! these rows, and a campaign's (`campaigns`), never web impressions.

use chrono::{DateTime, Duration, Utc};
use kerro_core::contact::Channel;
use kerro_core::decide::Delivery;
use kerro_core::ids::{OfferKey, SubjectId};
use kerro_core::{Actor, CoreError, ErrorCode};

use super::audit::{record, AuditAction};
use super::decision_log::LogKind;
use super::shared::subject_key;
use super::tx::Tx;
use super::{parse_ts, ts, Store};
use crate::error::StoreResult;
use crate::sql::{params, OptionalExtension};

/// How far ahead of the server's clock a reported `sent_at` may be (clock skew).
const MAX_SKEW: Duration = Duration::minutes(5);

/// What an outside sender says it sent.
#[derive(Debug, Clone)]
pub struct DeliveryReport {
    pub decision_id: String,
    pub offer: OfferKey,
    pub channel: Channel,
    pub sent_at: DateTime<Utc>,
}

/// A delivery as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedDelivery {
    pub decision_id: String,
    pub subject: SubjectId,
    pub offer: OfferKey,
    pub channel: Channel,
    pub sent_at: DateTime<Utc>,
}

/// The decision a report names, as the log (or the flusher's queue) holds it.
struct Decided {
    subject: SubjectId,
    channel: Channel,
    at: DateTime<Utc>,
    personalized: bool,
    /// Sealed reasons from the log, or plain ones from the flusher's queue.
    reasons: Reasons,
}

enum Reasons {
    Sealed(Vec<u8>),
    Plain(serde_json::Value),
}

fn unknown(field: &str, message: &str) -> CoreError {
    CoreError::at(ErrorCode::UnknownDecision, field, message)
}

impl Store {
    /// Records that the message a decision chose was sent. Refused with 422
    /// when no decision chose `offer` for a message on `channel`, when the
    /// subject is not (or no longer) opted in to the channel for the offer's
    /// purpose, or when `sent_at` is before the decision or in the future; 409
    /// when it was already reported.
    pub fn report_delivery(
        &self,
        actor: &Actor,
        now: DateTime<Utc>,
        report: DeliveryReport,
    ) -> StoreResult<RecordedDelivery> {
        if !report.channel.is_message() {
            return Err(CoreError::invalid(
                "channel",
                "the web channel has impressions, which decisions count themselves; report messages only (email, sms, phone, post)",
            )
            .into());
        }
        if report.sent_at > now + MAX_SKEW {
            return Err(CoreError::invalid("sent_at", "sent_at is in the future").into());
        }
        let queued = self
            .inner
            .unflushed
            .decisions
            .lock()
            .get(&report.decision_id)
            .cloned();
        let id = report.decision_id.clone();
        let offer = report.offer.clone();
        let logged = self.read(move |conn| {
            let row = conn
                .query_row(
                    "SELECT subject_id, channel, decided_at, personalized, reasons_enc FROM decisions
                     WHERE decision_id = ?1 AND offer = ?2 AND kind = 'decided'",
                    params![id.as_str(), offer.as_str()],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, bool>(3)?,
                            r.get::<_, Vec<u8>>(4)?,
                        ))
                    },
                )
                .optional()?;
            let any = conn
                .query_row(
                    "SELECT 1 FROM decisions WHERE decision_id = ?1 LIMIT 1",
                    [id.as_str()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some();
            Ok((row, any))
        })?;
        let decided = match (logged, queued) {
            ((Some((s, c, at, personalized, sealed)), _), _) => Decided {
                subject: SubjectId::parse(&s).map_err(super::corrupt("decision subject"))?,
                channel: Channel::parse(&c)
                    .ok_or_else(|| crate::StoreError::Corrupt(format!("channel '{c}'")))?,
                at: parse_ts(&at)?,
                personalized,
                reasons: Reasons::Sealed(sealed),
            },
            (_, Some(q)) => match q.offers.iter().find(|(o, _, _)| o == &report.offer) {
                Some((_, personalized, reasons)) => Decided {
                    subject: q.subject.clone(),
                    channel: q.channel,
                    at: q.at,
                    personalized: *personalized,
                    reasons: Reasons::Plain(reasons.clone()),
                },
                None => {
                    return Err(unknown("offer", "that decision did not choose this offer").into())
                }
            },
            ((None, true), None) => {
                return Err(unknown(
                    "offer",
                    "that decision did not choose this offer for a message",
                )
                .into())
            }
            ((None, false), None) => {
                return Err(unknown("decision_id", "no decision has this id").into())
            }
        };
        if decided.channel != report.channel {
            return Err(unknown(
                "channel",
                &format!("the decision chose it for {}", decided.channel.as_str()),
            )
            .into());
        }
        if report.sent_at < decided.at - Duration::minutes(1) {
            return Err(CoreError::invalid("sent_at", "sent_at is before the decision").into());
        }
        let profile = self.profile(&decided.subject)?;
        let purpose = self
            .schema()
            .offers
            .iter()
            .find(|o| o.key == report.offer)
            .map(|o| o.spec.purpose.clone());
        let reachable = match &purpose {
            Some(p) => profile.contact.reachable(report.channel, p),
            None => profile.contact.opted_in(report.channel),
        };
        if !reachable {
            return Err(CoreError::at(
                ErrorCode::NotOptedIn,
                "channel",
                format!(
                    "the subject is not opted in to {} for this offer's purpose",
                    report.channel.as_str()
                ),
            )
            .into());
        }
        let out = RecordedDelivery {
            decision_id: report.decision_id,
            subject: decided.subject.clone(),
            offer: report.offer,
            channel: report.channel,
            sent_at: report.sent_at,
        };
        let row = out.clone();
        self.write(actor, now, move |tx| {
            let sealed = match &decided.reasons {
                Reasons::Sealed(b) => b.clone(),
                Reasons::Plain(v) => subject_key(tx, tx.keys, &row.subject)?.seal(
                    row.subject.as_str(),
                    "decision",
                    v.to_string().as_bytes(),
                )?,
            };
            log_sent(tx, &row, decided.personalized, &sealed, None)
        })?;
        self.inner.index.add_delivery(
            out.subject.clone(),
            Delivery {
                offer: out.offer.clone(),
                channel: out.channel,
                at: out.sent_at,
            },
        );
        Ok(out)
    }
}

/// Logs one message sent (with its reasons, sealed), audits it and announces
/// it (`delivery.sent`). A second report of the same decided offer is a conflict.
pub(crate) fn log_sent(
    tx: &Tx,
    d: &RecordedDelivery,
    personalized: bool,
    sealed_reasons: &[u8],
    campaign: Option<&str>,
) -> StoreResult<()> {
    subject_key(tx, tx.keys, &d.subject)?;
    let again = tx
        .query_row(
            "SELECT 1 FROM decisions WHERE decision_id = ?1 AND offer = ?2 AND kind = 'sent'",
            params![d.decision_id.as_str(), d.offer.as_str()],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if again {
        return Err(CoreError::new(
            ErrorCode::Conflict,
            "this decision's offer was already reported sent",
        )
        .into());
    }
    let at = ts(&d.sent_at);
    tx.defer(
        "INSERT INTO decisions (subject_id, offer, channel, decided_at, personalized, reasons_enc,
                                decision_id, kind, campaign_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            d.subject.as_str(),
            d.offer.as_str(),
            d.channel.as_str(),
            at.as_str(),
            personalized,
            sealed_reasons.to_vec(),
            d.decision_id.as_str(),
            LogKind::Sent.as_str(),
            campaign
        ],
    )?;
    record(
        tx,
        Some(&d.subject),
        AuditAction::MessageSent {
            decision_id: &d.decision_id,
            offer: d.offer.as_str(),
            channel: d.channel.as_str(),
            at: &at,
            campaign,
        },
    )
}
