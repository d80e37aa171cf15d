//! `/v1/subjects` (staff) and `/v1/forms/{key}/submissions` (a subject's own
//! token, or a `service`/`admin` token naming the subject).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use kerro_core::ids::{AttributeKey, FormKey, SubjectId};
use kerro_core::{CoreError, ErrorCode, Lang};
use kerro_store::{NewSubject, Submission};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::auth::{AccessReason, Caller, Staff, SubjectCreate, SubjectRead, SubjectToken, Submit};
use super::{blocking, path_key, AppError, AppState, Body};
use crate::documents::{Export, ReceiptSummary, SubjectView};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubjectBody {
    pub external_id: Option<String>,
    pub email: Option<String>,
    /// Whether the address comes from the company's own records (the default,
    /// `true`: it is in use at once). `false`: it waits for its owner's
    /// confirmation, and a confirmation link is mailed to it (double opt-in).
    /// Either way the calling staff member is recorded as its source.
    pub email_verified: Option<bool>,
    /// fi, sv or en.
    pub locale: Option<String>,
    /// The client company, for B2B.
    pub organization: Option<String>,
}

/// `POST /v1/subjects`: the new subject's id.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedSubject {
    pub id: SubjectId,
}

#[utoipa::path(post, path = "/v1/subjects", tag = "subjects", operation_id = "create_subject", request_body = NewSubjectBody,
    responses((status = 201, description = "created", body = CreatedSubject),
              (status = 409, description = "external_id or e-mail address taken"),
              (status = 422, description = "an invalid locale or e-mail address; `field` names it")),
    security(("staff" = ["admin", "service"])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff<SubjectCreate>,
    Body(body): Body<NewSubjectBody>,
) -> Result<(StatusCode, Json<CreatedSubject>), AppError> {
    let locale = body
        .locale
        .as_deref()
        .map(|l| Lang::parse_field("locale", l))
        .transpose()?;
    let new = NewSubject {
        external_id: body.external_id,
        email: body.email,
        locale,
        organization: body.organization,
        email_pending: body.email_verified == Some(false),
    };
    let (store, now) = (state.store.clone(), state.now());
    let id = blocking(move || store.create_subject(&staff.actor, now, new)).await?;
    Ok((StatusCode::CREATED, Json(CreatedSubject { id })))
}

fn subject_id(raw: &str) -> Result<SubjectId, AppError> {
    path_key(|_, r| SubjectId::parse(r), raw, "subject")
}

#[utoipa::path(get, path = "/v1/subjects/{id}", tag = "subjects", operation_id = "get_subject",
    params(("id" = String, Path), ("Kerro-Access-Reason" = String, Header, description = "why you read this subject's data (3 to 500 characters); stored in the audit entry")),
    responses((status = 200, description = "everything held; the read is audited with its reason", body = SubjectView),
              (status = 400, description = "no or a bad `Kerro-Access-Reason` header: `reason_required`"),
              (status = 404, description = "unknown"), (status = 410, description = "erased")),
    security(("staff" = ["admin", "support"])))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff<SubjectRead>,
    Path(id): Path<String>,
    reason: AccessReason,
) -> Result<Json<SubjectView>, AppError> {
    let id = subject_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let data = blocking(move || {
        store.subject_data_because(&staff.actor, now, &id, Some(&reason.0), false)
    })
    .await?;
    Ok(Json(SubjectView::new(&state, &data)))
}

#[utoipa::path(get, path = "/v1/subjects/{id}/export", tag = "subjects", operation_id = "export_subject",
    params(("id" = String, Path), ("Kerro-Access-Reason" = String, Header, description = "why you export this subject's data, e.g. the rights request it answers (3 to 500 characters)")),
    responses((status = 200, description = "everything held, schema kerro.export.v1, as an attachment; audited with its reason", body = Export),
              (status = 400, description = "no or a bad `Kerro-Access-Reason` header: `reason_required`"),
              (status = 404, description = "unknown"), (status = 410, description = "erased")),
    security(("staff" = ["admin", "support"])))]
pub async fn export(
    State(state): State<AppState>,
    staff: Staff<SubjectRead>,
    Path(id): Path<String>,
    reason: AccessReason,
) -> Result<impl axum::response::IntoResponse, AppError> {
    let id = subject_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let data =
        blocking(move || store.subject_data_because(&staff.actor, now, &id, Some(&reason.0), true))
            .await?;
    let body = crate::documents::export(&state, &data, now);
    let disposition = format!(
        "attachment; filename=\"{}\"",
        crate::documents::export_file_name(&data.subject.id)
    );
    Ok((
        [(axum::http::header::CONTENT_DISPOSITION, disposition)],
        Json(body),
    ))
}

/// A short-lived self-service token for one subject.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubjectTokenIssued {
    /// `ksu_...`: send it as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[utoipa::path(post, path = "/v1/subjects/{id}/tokens", tag = "subjects", operation_id = "issue_token",
    params(("id" = String, Path), ("Kerro-Access-Reason" = String, Header, description = "why you act on this subject's behalf (3 to 500 characters)")),
    responses((status = 201, description = "a short-lived token to act on the subject's behalf: everything done with it is audited as this staff member on behalf of the subject", body = SubjectTokenIssued),
              (status = 400, description = "no or a bad `Kerro-Access-Reason` header: `reason_required`"),
              (status = 404, description = "unknown"), (status = 410, description = "erased")),
    security(("staff" = ["admin", "support"])))]
pub async fn issue_token(
    State(state): State<AppState>,
    staff: Staff<SubjectToken>,
    Path(id): Path<String>,
    reason: AccessReason,
) -> Result<(StatusCode, Json<SubjectTokenIssued>), AppError> {
    let id = subject_id(&id)?;
    let ttl = Duration::minutes(i64::from(state.config.subject_token_minutes));
    let (store, now) = (state.store.clone(), state.now());
    let (token, expires_at) =
        blocking(move || store.issue_subject_token(&staff.actor, now, &id, ttl, Some(&reason.0)))
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(SubjectTokenIssued { token, expires_at }),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmissionBody {
    /// Required with a staff token; with a subject token it may only name that subject.
    pub subject: Option<String>,
    /// Attribute key to answer.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub answers: Map<String, Value>,
    /// Purpose key to an explicit true or false; a purpose left out is not given.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub consents: Map<String, Value>,
    /// The notice version the subject was shown; a stale one is 409.
    pub notice_version: u32,
    /// The language the form was shown in.
    pub language: Option<String>,
    /// The special-category questions (P10) whose own explicit statement the
    /// subject ticked (art. 9(2)(a)); an answer to such a question without it
    /// is 422 `special_category`. Each is recorded as a ledger event of its own.
    #[serde(default)]
    pub explicit: Vec<String>,
    /// Choices about the recipients of the form's sharing purposes (P21):
    /// `{purpose: {recipient key: true|false}}`; a recipient left out is not
    /// consented to. Each is recorded as a ledger event naming the recipient.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub recipients: Map<String, Value>,
}

/// What a submission recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubmissionRecorded {
    pub subject: SubjectId,
    /// The attributes whose answers were stored.
    pub declarations: Vec<AttributeKey>,
    /// One per consent given or refused, one per choice about a recipient
    /// (P21), and one per explicit statement (P10).
    pub receipts: Vec<ReceiptSummary>,
}

#[utoipa::path(post, path = "/v1/forms/{key}/submissions", tag = "collection", operation_id = "submit", params(("key" = FormKey, Path)), request_body = SubmissionBody,
    responses((status = 201, description = "recorded, with consent receipts", body = SubmissionRecorded),
              (status = 400, description = "a staff submission that names no subject, or a malformed body"),
              (status = 403, description = "a subject token naming another subject, or a staff role that may not submit"),
              (status = 404, description = "unknown form or subject"), (status = 410, description = "the subject was erased"),
              (status = 409, description = "stale notice_version"),
              (status = 422, description = "an answer not on the form, outside its options, or without a legal basis")),
    security(("staff" = ["admin", "service"]), ("subject" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(form): Path<String>,
    Body(body): Body<SubmissionBody>,
) -> Result<(StatusCode, Json<SubmissionRecorded>), AppError> {
    let form = path_key(FormKey::parse, &form, "form")?;
    let named = body
        .subject
        .as_deref()
        .map(|s| {
            SubjectId::parse(s)
                .map_err(|_| CoreError::not_found("subject", format!("no subject '{s}'")))
        })
        .transpose()?;
    let (subject, actor) = match &caller {
        Caller::Subject(own) => {
            if named.as_ref().is_some_and(|n| n != &own.subject) {
                return Err(AppError(CoreError::at(
                    ErrorCode::Forbidden,
                    "subject",
                    "a subject token submits only for its own subject",
                )));
            }
            (own.subject.clone(), caller.actor())
        }
        Caller::Staff { .. } => {
            let staff = Staff::<Submit>::check(caller.clone())?;
            let subject = named.ok_or_else(|| {
                CoreError::at(
                    ErrorCode::InvalidRequest,
                    "subject",
                    "a staff submission names the subject",
                )
            })?;
            (subject, staff.actor)
        }
    };
    let language = body
        .language
        .as_deref()
        .map(|l| Lang::parse_field("language", l))
        .transpose()?;
    let sub = Submission {
        form,
        subject,
        notice_version: body.notice_version,
        answers: body.answers,
        consents: body.consents,
        language,
        explicit: body.explicit,
        recipients: body.recipients,
    };
    let (store, now) = (state.store.clone(), state.now());
    let result = blocking(move || store.submit(&actor, now, sub)).await?;
    let receipts = result
        .receipts
        .iter()
        .map(|r| ReceiptSummary::new(&state, r))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(SubmissionRecorded {
            subject: result.subject,
            declarations: result.declarations,
            receipts,
        }),
    ))
}
