//! `/v1/me...`: the subject's own rights, with the subject's own token only
//! (P16: a token reaches only its own subject, as the id comes from the token).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{DateTime, Utc};
use kerro_core::contact::{Channel, ContactPrefs, EmailStatus};
use kerro_core::ids::{PurposeKey, RecipientKey, SubjectId};
use kerro_core::{CoreError, Lang};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::auth::SubjectSession;
use super::{blocking, AppError, AppState, Body};
use crate::documents::{self, ContactView, Export, ReceiptSummary, SubjectView};

#[utoipa::path(get, path = "/v1/me", tag = "self-service", operation_id = "me",
    responses((status = 200, description = "subject, declarations with provenance, consents with history, contact preferences", body = SubjectView),
              (status = 410, description = "the subject was erased")),
    security(("subject" = [])))]
pub async fn get(
    State(state): State<AppState>,
    session: SubjectSession,
) -> Result<Json<SubjectView>, AppError> {
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let data = blocking(move || store.subject_data(&actor, now, &id)).await?;
    Ok(Json(SubjectView::new(&state, &data)))
}

#[utoipa::path(get, path = "/v1/me/export", tag = "self-service", operation_id = "export",
    responses((status = 200, description = "everything held, schema kerro.export.v1 (docs/export.md), as an attachment", body = Export),
              (status = 410, description = "the subject was erased")),
    security(("subject" = [])))]
pub async fn export(
    State(state): State<AppState>,
    session: SubjectSession,
) -> Result<impl IntoResponse, AppError> {
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    // The download is audited and recorded as a completed access request, as on the pages.
    let data = blocking(move || {
        let data = store.subject_data(&actor, now, &id)?;
        store.note_export(&actor, now, &id)?;
        Ok(data)
    })
    .await?;
    let body = documents::export(&state, &data, now);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        documents::export_file_name(&data.subject.id)
    );
    Ok(([(header::CONTENT_DISPOSITION, disposition)], Json(body)))
}

#[utoipa::path(patch, path = "/v1/me/declarations", tag = "self-service", operation_id = "rectify",
    request_body(content = Object, description = "attribute key to a new value, or null to delete that answer"),
    responses((status = 200, description = "the updated view", body = SubjectView),
              (status = 404, description = "an attribute that does not exist"),
              (status = 410, description = "the subject was erased"),
              (status = 422, description = "an invalid value, or no legal basis for it; `field` names the attribute")),
    security(("subject" = [])))]
pub async fn rectify(
    State(state): State<AppState>,
    session: SubjectSession,
    Body(patches): Body<Map<String, Value>>,
) -> Result<Json<SubjectView>, AppError> {
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let data = blocking(move || store.rectify(&actor, now, &id, patches)).await?;
    Ok(Json(SubjectView::new(&state, &data)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// true grants, false withdraws: the same request both ways.
    pub given: bool,
    pub language: Option<String>,
}

#[utoipa::path(put, path = "/v1/me/consents/{purpose}", tag = "self-service", operation_id = "consent", params(("purpose" = PurposeKey, Path)), request_body = ConsentBody,
    responses((status = 200, description = "the new consent event, with its receipt", body = ReceiptSummary),
              (status = 404, description = "unknown purpose"), (status = 410, description = "the subject was erased"),
              (status = 422, description = "the purpose does not rest on consent, or an invalid language")),
    security(("subject" = [])))]
pub async fn set_consent(
    State(state): State<AppState>,
    session: SubjectSession,
    Path(purpose): Path<String>,
    Body(body): Body<ConsentBody>,
) -> Result<Json<ReceiptSummary>, AppError> {
    let language = body
        .language
        .as_deref()
        .map(|l| Lang::parse_field("language", l))
        .transpose()?;
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let event =
        blocking(move || store.set_consent(&actor, now, &id, &purpose, body.given, language))
            .await?;
    Ok(Json(ReceiptSummary::new(&state, &event)))
}

#[utoipa::path(put, path = "/v1/me/consents/{purpose}/recipients/{recipient}", tag = "self-service", operation_id = "recipient_consent",
    params(("purpose" = PurposeKey, Path, description = "a purpose whose uses include sharing"), ("recipient" = RecipientKey, Path, description = "one of the recipients the purpose names")),
    request_body = ConsentBody,
    responses((status = 200, description = "the new choice about the recipient, with its receipt; data goes to the recipient only while this and the purpose's own basis hold and the subject does not object to sharing (P21)", body = ReceiptSummary),
              (status = 404, description = "unknown purpose, or a recipient the purpose does not share with"), (status = 410, description = "the subject was erased"),
              (status = 422, description = "the purpose shares with no recipient, or an invalid language")),
    security(("subject" = [])))]
pub async fn set_recipient_consent(
    State(state): State<AppState>,
    session: SubjectSession,
    Path((purpose, recipient)): Path<(String, String)>,
    Body(body): Body<ConsentBody>,
) -> Result<Json<ReceiptSummary>, AppError> {
    let language = body
        .language
        .as_deref()
        .map(|l| Lang::parse_field("language", l))
        .transpose()?;
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let event = blocking(move || {
        store.set_recipient_consent(&actor, now, &id, &purpose, &recipient, body.given, language)
    })
    .await?;
    Ok(Json(ReceiptSummary::new(&state, &event)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// email, sms, phone, post, web to true or false; a channel never set is not opted in.
    #[serde(default)]
    pub channels: BTreeMap<String, bool>,
    /// The subject's own cap: at most this many messages per 7 days (0-100).
    pub max_per_week: Option<u32>,
    pub language: Option<String>,
}

#[utoipa::path(put, path = "/v1/me/contact", tag = "self-service", operation_id = "contact", request_body = ContactBody,
    responses((status = 200, description = "the stored preferences", body = ContactView),
              (status = 410, description = "the subject was erased"),
              (status = 422, description = "unknown channel, cap out of range or an invalid language")),
    security(("subject" = [])))]
pub async fn set_contact(
    State(state): State<AppState>,
    session: SubjectSession,
    Body(body): Body<ContactBody>,
) -> Result<Json<ContactView>, AppError> {
    let mut channels = BTreeMap::new();
    for (raw, on) in body.channels {
        let c = Channel::parse(&raw).ok_or_else(|| {
            CoreError::invalid(
                format!("channels.{raw}"),
                "channels are email, sms, phone, post and web",
            )
        })?;
        channels.insert(c, on);
    }
    let language = body
        .language
        .as_deref()
        .map(|l| Lang::parse_field("language", l))
        .transpose()?;
    let prefs = ContactPrefs {
        channels,
        max_per_week: body.max_per_week,
        language,
        ..Default::default()
    };
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let saved = blocking(move || store.set_contact(&actor, now, &id, prefs)).await?;
    Ok(Json(ContactView::new(&saved)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBody {
    /// The new address. It waits for its owner's confirmation; the address
    /// in use stays in use until then.
    pub email: String,
}

/// The subject's e-mail address as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EmailView {
    /// `verified` (an address is in use), `pending` (only an address waiting
    /// for confirmation is held) or `none`.
    pub status: EmailStatus,
    /// The address in use.
    pub email: Option<String>,
    /// The new address waiting for its confirmation.
    pub pending: Option<String>,
}

#[utoipa::path(put, path = "/v1/me/email", tag = "self-service", operation_id = "change_email", request_body = EmailBody,
    responses((status = 200, description = "the address in use and the new one, which waits for its confirmation: a link is mailed to it (at most one per address per 10 minutes). The address already in use changes nothing and drops a pending change.", body = EmailView),
              (status = 410, description = "the subject was erased"),
              (status = 422, description = "not an e-mail address: `field` is `email`")),
    security(("subject" = [])))]
pub async fn change_email(
    State(state): State<AppState>,
    session: SubjectSession,
    Body(body): Body<EmailBody>,
) -> Result<Json<EmailView>, AppError> {
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let s = blocking(move || store.change_email(&actor, now, &id, &body.email)).await?;
    Ok(Json(EmailView {
        status: s.status,
        email: s.email,
        pending: s.pending,
    }))
}

/// What an erasure removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureView {
    pub subject: SubjectId,
    pub erased_at: DateTime<Utc>,
    pub declarations_deleted: u64,
    pub tokens_revoked: u64,
    pub consent_events_kept: u64,
}

/// `DELETE /v1/me`: what was deleted and what pseudonymous proof remains.
#[derive(Debug, Serialize, ToSchema)]
pub struct Erased {
    pub erased: ErasureView,
    pub remains: String,
}

#[utoipa::path(delete, path = "/v1/me", tag = "self-service", operation_id = "erase",
    responses((status = 200, description = "erased: what was deleted and what pseudonymous proof remains", body = Erased),
              (status = 410, description = "already erased")),
    security(("subject" = [])))]
pub async fn erase(
    State(state): State<AppState>,
    session: SubjectSession,
) -> Result<Json<Erased>, AppError> {
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let s = blocking(move || store.erase(&actor, now, &id)).await?;
    Ok(Json(Erased {
        erased: ErasureView {
            subject: s.subject,
            erased_at: s.erased_at,
            declarations_deleted: s.declarations_deleted,
            tokens_revoked: s.tokens_revoked,
            consent_events_kept: s.consent_events_kept,
        },
        remains: "the consent ledger's events under the pseudonymous subject id, and a keyed hash of the e-mail address on the suppression list; the data key was destroyed".into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RightsBody {
    /// Restriction of processing (art. 18): kept, but used in no decision or audience.
    pub restricted: Option<bool>,
    /// Objection to direct marketing (art. 21(2)): stops every marketing purpose on every channel.
    pub objected_marketing: Option<bool>,
    /// Objection to sharing or sale (also recorded from `Sec-GPC: 1`).
    pub objected_sharing: Option<bool>,
}

/// The rights flags now in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct Rights {
    pub restricted: bool,
    pub objected_marketing: bool,
    pub objected_sharing: bool,
}

#[utoipa::path(put, path = "/v1/me/rights", tag = "self-service", operation_id = "rights", request_body = RightsBody,
    responses((status = 200, description = "the flags now in force", body = Rights),
              (status = 410, description = "the subject was erased"),
              (status = 422, description = "none of the flags was sent")),
    security(("subject" = [])))]
pub async fn set_rights(
    State(state): State<AppState>,
    session: SubjectSession,
    Body(body): Body<RightsBody>,
) -> Result<Json<Rights>, AppError> {
    if body.restricted.is_none()
        && body.objected_marketing.is_none()
        && body.objected_sharing.is_none()
    {
        return Err(AppError(CoreError::invalid(
            "restricted",
            "send at least one of restricted, objected_marketing, objected_sharing",
        )));
    }
    let (store, now, actor, id) = (state.store.clone(), state.now(), session.actor, session.id);
    let (r, m, s) = blocking(move || {
        store.set_rights(
            &actor,
            now,
            &id,
            body.restricted,
            body.objected_marketing,
            body.objected_sharing,
        )
    })
    .await?;
    Ok(Json(Rights {
        restricted: r,
        objected_marketing: m,
        objected_sharing: s,
    }))
}
