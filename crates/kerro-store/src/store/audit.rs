//! The tamper-evident audit log (P23): a closed set of actions, written in
//! the same transaction as the change or read they describe, hash-chained
//! like the consent ledger. Entries name fields, never values.

use crate::sql::{params, Conn};
use chrono::{DateTime, Utc};
use kerro_core::consent::{link, ChainBreak, GENESIS};
use kerro_core::{Actor, SubjectId};
use serde_json::{json, Value};

use super::tx::Tx;
use super::verify::Walk;
use super::{parse_ts, ts, Store};
use crate::error::StoreResult;
use crate::model::AuditEntry;

/// Everything the audit log can say.
pub(crate) enum AuditAction<'a> {
    SchemaChanged {
        kind: &'a str,
        key: &'a str,
    },
    SubjectCreated,
    /// A form's notice changed materially: consents under earlier versions need renewal (P7).
    NoticeChangedMaterially {
        form: &'a str,
        version: u32,
    },
    SubjectRead {
        reason: Option<&'a str>,
        export: bool,
    },
    SubjectTokenIssued {
        reason: Option<&'a str>,
    },
    StaffCreated {
        account: &'a str,
        role: &'a str,
    },
    StaffInvited {
        account: &'a str,
    },
    StaffChanged {
        account: &'a str,
        role: Option<&'a str>,
        name_changed: bool,
    },
    StaffDeactivated {
        account: &'a str,
    },
    StaffPasswordSet {
        account: &'a str,
    },
    StaffSecondFactorEnrolled {
        account: &'a str,
    },
    StaffSignInFailed {
        account: &'a str,
        locked: bool,
    },
    StaffSessionEnded {
        account: &'a str,
        sessions: u64,
    },
    StaffTokenRevoked {
        token_id: &'a str,
    },
    Submission {
        form: &'a str,
        fields: Vec<String>,
        purposes: Vec<String>,
    },
    DeclarationsChanged {
        fields: Vec<String>,
    },
    ConsentChanged {
        purpose: &'a str,
        state: &'a str,
    },
    /// The disclosure register was read (P21): it names subjects.
    DisclosuresRead {
        recipient: Option<&'a str>,
        count: u64,
    },
    /// The subject's choice about one recipient of a sharing purpose (P21).
    RecipientConsentChanged {
        purpose: &'a str,
        recipient: &'a str,
        state: &'a str,
    },
    ContactChanged,
    RightsChanged {
        restricted: bool,
        objected_marketing: bool,
        objected_sharing: bool,
    },
    SubjectErased,
    ReceiptRead {
        record_id: &'a str,
    },
    StaffTokenCreated {
        token_id: &'a str,
        role: &'a str,
    },
    AudienceExported {
        purpose: &'a str,
        channel: &'a str,
        count: u64,
        with_email: bool,
        /// Set when the export is a disclosure to this recipient (P21).
        recipient: Option<&'a str>,
    },
    /// A confirmation link was mailed to an address waiting for it (store/email.rs).
    EmailConfirmationIssued,
    /// The subject's address changed: `state` is `pending` (waits for its
    /// confirmation) or `verified` (in use); `source` says where it came from.
    EmailChanged {
        state: &'a str,
        source: &'a str,
    },
    /// The owner followed the confirmation link; the ledger's evidence is `record_id`.
    EmailConfirmed {
        record_id: &'a str,
    },
    // The web pages (store/web.rs).
    SignInLinkIssued,
    SignedIn {
        method: &'a str,
    },
    StaffSignedIn {
        method: &'a str,
    },
    SharingObjected {
        signal: &'a str,
    },
    DataExported,
    StatisticsRead {
        attributes: Vec<String>,
    },
    // Webhooks (store/webhooks.rs, store/webhook_queue.rs).
    WebhookCreated {
        endpoint: &'a str,
        events: Vec<String>,
    },
    WebhookDeleted {
        endpoint: &'a str,
    },
    WebhookDeliveryRetried {
        endpoint: &'a str,
        delivery: &'a str,
        /// The endpoint was disabled and is enabled again.
        enabled: bool,
    },
    /// Every attempt failed for the whole retry schedule; staff are e-mailed.
    WebhookDisabled {
        endpoint: &'a str,
    },
    /// A staff member viewed or exported the audit log (`format`: page, csv, json).
    AuditLogRead {
        format: &'a str,
        filters: Value,
        count: u64,
    },
    /// A message was sent: reported by an outside sender, or by a campaign.
    MessageSent {
        decision_id: &'a str,
        offer: &'a str,
        channel: &'a str,
        at: &'a str,
        campaign: Option<&'a str>,
    },
    /// The subject left a channel for one purpose with a message's link.
    Unsubscribed {
        purpose: &'a str,
        channel: &'a str,
        record_id: &'a str,
    },
    /// The retention job deleted or expired something: the counts by purpose and kind.
    RetentionRun {
        counts: &'a Value,
    },
    /// A campaign was created, started, finished or cancelled.
    RightsRequestChanged {
        request: &'a str,
        kind: &'a str,
        change: &'a str,
    },
    CampaignChanged {
        campaign: &'a str,
        change: &'a str,
    },
    // The breach register (store/breaches.rs, store/breach_scope.rs).
    BreachRecorded {
        breach: &'a str,
    },
    BreachUpdated {
        breach: &'a str,
        phase: u32,
        changed: Vec<String>,
    },
    BreachNotified {
        breach: &'a str,
        late: bool,
    },
    BreachScoped {
        breach: &'a str,
        subjects: u64,
        records: u64,
    },
    /// The scoped subjects' ids were downloaded.
    BreachSubjectsExported {
        breach: &'a str,
        count: u64,
    },
    /// An art. 34 message to the subject: `email_read` when its address was read to send it.
    BreachSubjectMessaged {
        breach: &'a str,
        outcome: &'a str,
        email_read: bool,
    },
}

/// The name of every action as stored, for the audit log viewer's filter.
pub const ACTIONS: &[&str] = &[
    "schema_changed",
    "subject_created",
    "subject_read",
    "subject_exported",
    "subject_token_issued",
    "submission",
    "declarations_changed",
    "consent_changed",
    "recipient_consent_changed",
    "disclosures_read",
    "contact_changed",
    "rights_changed",
    "subject_erased",
    "receipt_read",
    "staff_token_created",
    "audience_exported",
    "sign_in_link_issued",
    "signed_in",
    "staff_signed_in",
    "sharing_objected",
    "data_exported",
    "statistics_read",
    "audit_log_read",
    "staff_created",
    "staff_invited",
    "staff_changed",
    "staff_deactivated",
    "staff_password_set",
    "staff_second_factor_enrolled",
    "staff_sign_in_failed",
    "staff_session_ended",
    "staff_token_revoked",
    "message_sent",
    "unsubscribed",
    "campaign_changed",
    "email_confirmation_issued",
    "email_changed",
    "email_confirmed",
    "webhook_created",
    "webhook_deleted",
    "webhook_delivery_retried",
    "webhook_disabled",
    "rights_request_changed",
    "breach_recorded",
    "breach_updated",
    "breach_notified",
    "breach_scoped",
    "breach_subjects_exported",
    "breach_subject_messaged",
    "retention_run",
    "notice_changed_materially",
];

impl AuditAction<'_> {
    fn name(&self) -> &'static str {
        match self {
            AuditAction::SchemaChanged { .. } => "schema_changed",
            AuditAction::NoticeChangedMaterially { .. } => "notice_changed_materially",
            AuditAction::SubjectCreated => "subject_created",
            AuditAction::SubjectRead { export: false, .. } => "subject_read",
            AuditAction::SubjectRead { export: true, .. } => "subject_exported",
            AuditAction::SubjectTokenIssued { .. } => "subject_token_issued",
            AuditAction::StaffCreated { .. } => "staff_created",
            AuditAction::StaffInvited { .. } => "staff_invited",
            AuditAction::StaffChanged { .. } => "staff_changed",
            AuditAction::StaffDeactivated { .. } => "staff_deactivated",
            AuditAction::StaffPasswordSet { .. } => "staff_password_set",
            AuditAction::StaffSecondFactorEnrolled { .. } => "staff_second_factor_enrolled",
            AuditAction::StaffSignInFailed { .. } => "staff_sign_in_failed",
            AuditAction::StaffSessionEnded { .. } => "staff_session_ended",
            AuditAction::StaffTokenRevoked { .. } => "staff_token_revoked",
            AuditAction::Submission { .. } => "submission",
            AuditAction::DeclarationsChanged { .. } => "declarations_changed",
            AuditAction::ConsentChanged { .. } => "consent_changed",
            AuditAction::RecipientConsentChanged { .. } => "recipient_consent_changed",
            AuditAction::DisclosuresRead { .. } => "disclosures_read",
            AuditAction::ContactChanged => "contact_changed",
            AuditAction::RightsChanged { .. } => "rights_changed",
            AuditAction::SubjectErased => "subject_erased",
            AuditAction::ReceiptRead { .. } => "receipt_read",
            AuditAction::StaffTokenCreated { .. } => "staff_token_created",
            AuditAction::AudienceExported { .. } => "audience_exported",
            AuditAction::EmailConfirmationIssued => "email_confirmation_issued",
            AuditAction::EmailChanged { .. } => "email_changed",
            AuditAction::EmailConfirmed { .. } => "email_confirmed",
            AuditAction::SignInLinkIssued => "sign_in_link_issued",
            AuditAction::SignedIn { .. } => "signed_in",
            AuditAction::StaffSignedIn { .. } => "staff_signed_in",
            AuditAction::SharingObjected { .. } => "sharing_objected",
            AuditAction::DataExported => "data_exported",
            AuditAction::StatisticsRead { .. } => "statistics_read",
            AuditAction::AuditLogRead { .. } => "audit_log_read",
            AuditAction::MessageSent { .. } => "message_sent",
            AuditAction::Unsubscribed { .. } => "unsubscribed",
            AuditAction::CampaignChanged { .. } => "campaign_changed",
            AuditAction::RightsRequestChanged { .. } => "rights_request_changed",
            AuditAction::WebhookCreated { .. } => "webhook_created",
            AuditAction::WebhookDeleted { .. } => "webhook_deleted",
            AuditAction::WebhookDeliveryRetried { .. } => "webhook_delivery_retried",
            AuditAction::WebhookDisabled { .. } => "webhook_disabled",
            AuditAction::BreachRecorded { .. } => "breach_recorded",
            AuditAction::BreachUpdated { .. } => "breach_updated",
            AuditAction::BreachNotified { .. } => "breach_notified",
            AuditAction::BreachScoped { .. } => "breach_scoped",
            AuditAction::BreachSubjectsExported { .. } => "breach_subjects_exported",
            AuditAction::BreachSubjectMessaged { .. } => "breach_subject_messaged",
            AuditAction::RetentionRun { .. } => "retention_run",
        }
    }

    fn detail(&self) -> Value {
        match self {
            AuditAction::RetentionRun { counts } => (*counts).clone(),
            AuditAction::SchemaChanged { kind, key } => json!({"kind": kind, "key": key}),
            AuditAction::NoticeChangedMaterially { form, version } => {
                json!({"form": form, "version": version})
            }
            AuditAction::Submission {
                form,
                fields,
                purposes,
            } => {
                json!({"form": form, "fields": fields, "purposes": purposes})
            }
            AuditAction::DeclarationsChanged { fields } => json!({"fields": fields}),
            AuditAction::ConsentChanged { purpose, state } => {
                json!({"purpose": purpose, "state": state})
            }
            AuditAction::DisclosuresRead { recipient, count } => {
                json!({"fields": ["subject", "recipient", "purpose", "fields", "via", "at"], "recipient": recipient, "count": count})
            }
            AuditAction::RecipientConsentChanged {
                purpose,
                recipient,
                state,
            } => {
                json!({"purpose": purpose, "recipient": recipient, "state": state})
            }
            AuditAction::ReceiptRead { record_id } | AuditAction::EmailConfirmed { record_id } => {
                json!({"record_id": record_id})
            }
            AuditAction::EmailChanged { state, source } => {
                json!({"fields": ["email"], "state": state, "source": source})
            }
            AuditAction::StaffTokenCreated { token_id, role } => {
                json!({"token_id": token_id, "role": role})
            }
            AuditAction::AudienceExported {
                purpose,
                channel,
                count,
                with_email,
                recipient,
            } => {
                let fields = if *with_email {
                    vec!["id", "email"]
                } else {
                    vec!["id"]
                };
                let mut d = json!({"purpose": purpose, "channel": channel, "count": count, "fields": fields});
                if let Some(r) = recipient {
                    d["recipient"] = json!(r);
                }
                d
            }
            AuditAction::RightsChanged {
                restricted,
                objected_marketing,
                objected_sharing,
            } => {
                json!({"restricted": restricted, "objected_marketing": objected_marketing, "objected_sharing": objected_sharing})
            }
            AuditAction::SubjectRead { reason, .. } => {
                json!({"fields": ["subject", "declarations", "consents", "contact"], "reason": reason})
            }
            AuditAction::SubjectTokenIssued { reason } => json!({"reason": reason}),
            AuditAction::StaffCreated { account, role } => {
                json!({"account": account, "role": role})
            }
            AuditAction::StaffChanged {
                account,
                role,
                name_changed,
            } => {
                json!({"account": account, "role": role, "name_changed": name_changed})
            }
            AuditAction::StaffInvited { account }
            | AuditAction::StaffDeactivated { account }
            | AuditAction::StaffPasswordSet { account }
            | AuditAction::StaffSecondFactorEnrolled { account } => json!({"account": account}),
            AuditAction::StaffSignInFailed { account, locked } => {
                json!({"account": account, "locked": locked})
            }
            AuditAction::StaffSessionEnded { account, sessions } => {
                json!({"account": account, "sessions": sessions})
            }
            AuditAction::StaffTokenRevoked { token_id } => json!({"token_id": token_id}),
            AuditAction::StaffSignedIn { method } => json!({"method": method}),
            AuditAction::SignedIn { method } => json!({"method": method}),
            AuditAction::SharingObjected { signal } => {
                json!({"objection": "sharing", "signal": signal})
            }
            AuditAction::StatisticsRead { attributes } => {
                json!({"fields": attributes, "aggregate": true})
            }
            AuditAction::AuditLogRead {
                format,
                filters,
                count,
            } => json!({"format": format, "filters": filters, "count": count}),
            AuditAction::MessageSent {
                decision_id,
                offer,
                channel,
                at,
                campaign,
            } => json!({"decision_id": decision_id, "offer": offer, "channel": channel, "at": at,
                        "campaign": campaign, "fields": ["email"]}),
            AuditAction::Unsubscribed {
                purpose,
                channel,
                record_id,
            } => json!({"purpose": purpose, "channel": channel, "record_id": record_id}),
            AuditAction::CampaignChanged { campaign, change } => {
                json!({"campaign": campaign, "change": change})
            }
            AuditAction::RightsRequestChanged {
                request,
                kind,
                change,
            } => json!({"request": request, "kind": kind, "change": change}),
            AuditAction::WebhookCreated { endpoint, events } => {
                json!({"endpoint": endpoint, "events": events})
            }
            AuditAction::WebhookDeleted { endpoint }
            | AuditAction::WebhookDisabled { endpoint } => {
                json!({"endpoint": endpoint})
            }
            AuditAction::WebhookDeliveryRetried {
                endpoint,
                delivery,
                enabled,
            } => json!({"endpoint": endpoint, "delivery": delivery, "enabled": enabled}),
            AuditAction::BreachRecorded { breach } => json!({"breach": breach}),
            AuditAction::BreachUpdated {
                breach,
                phase,
                changed,
            } => json!({"breach": breach, "phase": phase, "changed": changed}),
            AuditAction::BreachNotified { breach, late } => {
                json!({"breach": breach, "late": late})
            }
            AuditAction::BreachScoped {
                breach,
                subjects,
                records,
            } => json!({"breach": breach, "subjects": subjects, "records": records}),
            AuditAction::BreachSubjectsExported { breach, count } => {
                json!({"breach": breach, "count": count, "fields": ["id"]})
            }
            AuditAction::BreachSubjectMessaged {
                breach,
                outcome,
                email_read,
            } => {
                let fields: &[&str] = if *email_read { &["email"] } else { &[] };
                json!({"breach": breach, "outcome": outcome, "fields": fields})
            }
            AuditAction::SignInLinkIssued
            | AuditAction::EmailConfirmationIssued
            | AuditAction::DataExported
            | AuditAction::SubjectCreated
            | AuditAction::ContactChanged
            | AuditAction::SubjectErased => json!({}),
        }
    }
}

pub(crate) fn canonical(
    time: &str,
    actor: &str,
    action: &str,
    subject: Option<&str>,
    detail: &str,
) -> String {
    json!([1, time, actor, action, subject, detail]).to_string()
}

/// Records `action` by the transaction's actor at its `now`.
pub(crate) fn record(
    tx: &Tx,
    subject: Option<&SubjectId>,
    action: AuditAction<'_>,
) -> StoreResult<()> {
    let (now, actor) = (tx.now, tx.actor.clone());
    record_as(tx, &now, &actor, subject, action)
}

/// Records `action` at another time or by another actor than the transaction's (imports keep each record's time).
pub(crate) fn record_as(
    tx: &Tx,
    now: &DateTime<Utc>,
    actor: &Actor,
    subject: Option<&SubjectId>,
    action: AuditAction<'_>,
) -> StoreResult<()> {
    let prev = tx.chain_head("audit_log", GENESIS)?;
    let time = ts(now);
    let actor = actor.label();
    let name = action.name();
    publish(tx, now, subject, &action)?;
    let subject = subject.map(SubjectId::as_str);
    let detail = action.detail().to_string();
    let hash = link(&prev, &canonical(&time, &actor, name, subject, &detail));
    tx.defer(
        "INSERT INTO audit_log (time, actor, action, subject_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![time, actor, name, subject, detail, prev, hash],
    )?;
    tx.advance_chain("audit_log", &hash);
    Ok(())
}

/// Changes other nodes must follow (and webhooks announce) go to the
/// outbox in the same transaction. Consent events are published by the ledger.
fn publish(
    tx: &Tx,
    now: &DateTime<Utc>,
    subject: Option<&SubjectId>,
    action: &AuditAction<'_>,
) -> StoreResult<()> {
    use super::outbox::{emit, forget, kind};
    let (event, payload) = match action {
        AuditAction::SchemaChanged { kind: k, key } if k.starts_with("offer") => {
            (kind::OFFER_CHANGED, json!({"key": key, "change": k}))
        }
        AuditAction::SchemaChanged { kind: k, key } => {
            (kind::SCHEMA_CHANGED, json!({"kind": k, "key": key}))
        }
        AuditAction::SubjectCreated => (kind::SUBJECT_CREATED, json!({})),
        AuditAction::Submission { form, fields, .. } => (
            kind::DECLARATION_CHANGED,
            json!({"form": form, "attributes": fields}),
        ),
        AuditAction::DeclarationsChanged { fields } => {
            (kind::DECLARATION_CHANGED, json!({"attributes": fields}))
        }
        AuditAction::ContactChanged => (kind::SUBJECT_CHANGED, json!({"changed": "contact"})),
        AuditAction::EmailChanged { .. } | AuditAction::EmailConfirmed { .. } => {
            (kind::SUBJECT_CHANGED, json!({"changed": "email"}))
        }
        AuditAction::RightsChanged { .. } | AuditAction::SharingObjected { .. } => {
            (kind::SUBJECT_CHANGED, json!({"changed": "rights"}))
        }
        // The event says what the audit entry says, less the fields it names.
        AuditAction::MessageSent { .. } => {
            let mut detail = action.detail();
            if let Some(d) = detail.as_object_mut() {
                d.remove("fields");
            }
            (kind::DELIVERY_SENT, detail)
        }
        AuditAction::Unsubscribed { .. } => (kind::UNSUBSCRIBED, action.detail()),
        AuditAction::SubjectErased => {
            if let Some(s) = subject {
                forget(tx, s)?;
            }
            (kind::SUBJECT_ERASED, json!({}))
        }
        _ => return Ok(()),
    };
    let mut payload = payload;
    if let Some(s) = subject {
        payload["subject"] = json!(s.as_str());
    }
    emit(tx, event, subject, payload, now)
}

pub(crate) fn entries_for(conn: &Conn, subject: &SubjectId) -> StoreResult<Vec<AuditEntry>> {
    let rows = conn.query_map(
        "SELECT seq, time, actor, action, detail FROM audit_log WHERE subject_id = ?1 ORDER BY seq",
        [subject.as_str()],
        |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (seq, time, actor, action, detail) = row?;
        out.push(AuditEntry {
            seq,
            time: parse_ts(&time)?,
            actor,
            action,
            detail: serde_json::from_str(&detail).unwrap_or(Value::Null),
        });
    }
    Ok(out)
}

/// Shows `w` every entry of the audit log, in order.
pub(crate) fn walk(conn: &Conn, w: &mut Walk) -> StoreResult<()> {
    let rows = conn.rows(
        "SELECT seq, time, actor, action, subject_id, detail, prev_hash, hash FROM audit_log ORDER BY seq",
        (),
    )?;
    for r in &rows {
        let seq: i64 = r.get(0)?;
        let subject: Option<String> = r.get(4)?;
        let canon = canonical(
            &r.get::<_, String>(1)?,
            &r.get::<_, String>(2)?,
            &r.get::<_, String>(3)?,
            subject.as_deref(),
            &r.get::<_, String>(5)?,
        );
        w.entry(
            seq,
            &r.get::<_, String>(6)?,
            &canon,
            &r.get::<_, String>(7)?,
        );
    }
    Ok(())
}

impl Store {
    /// Walks the audit log's hash chain; `Ok(Err(..))` names the first broken entry.
    /// (`verify_chain` also checks it against its checkpoints.)
    pub fn verify_audit(&self) -> StoreResult<Result<u64, ChainBreak>> {
        self.read(|conn| {
            let mut w = Walk::default();
            walk(conn, &mut w)?;
            Ok(w.result())
        })
    }

    /// How many audit entries exist for `action` (for tests and reports).
    pub fn audit_count(&self, action: &str, subject: Option<&SubjectId>) -> StoreResult<u64> {
        let action = action.to_owned();
        let subject = subject.map(|s| s.as_str().to_owned());
        self.read(move |conn| {
            let n: i64 = conn.query_row("SELECT COUNT(*) FROM audit_log WHERE action = ?1 AND (CAST(?2 AS TEXT) IS NULL OR subject_id = ?2)", params![action, subject],
                |r| r.get(0),
            )?;
            Ok(n as u64)
        })
    }
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
