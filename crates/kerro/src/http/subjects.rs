//! `/v1/subjects` (staff) and `/v1/forms/{key}/submissions` (a subject's own
//! token, or a `service`/`admin` token naming the subject).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::Duration;
use kerro_core::ids::{FormKey, SubjectId};
use kerro_core::{CoreError, ErrorCode, Lang};
use kerro_store::{NewSubject, Submission};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::{Caller, Staff, SubjectCreate, SubjectRead, SubjectToken, Submit};
use super::views::{receipt_summary, subject_view};
use super::{blocking, path_key, ApiError, AppState, Body};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSubjectBody {
    pub external_id: Option<String>,
    pub email: Option<String>,
    /// fi, sv or en.
    pub locale: Option<String>,
    /// The client company, for B2B.
    pub organization: Option<String>,
}

#[utoipa::path(post, path = "/v1/subjects", tag = "subjects", request_body = NewSubjectBody,
    responses((status = 201, description = "{\"id\": \"sub_...\"}"), (status = 409, description = "external_id taken")),
    security(("staff" = [])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff<SubjectCreate>,
    Body(body): Body<NewSubjectBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
    };
    let (store, now) = (state.store.clone(), state.now());
    let id = blocking(move || store.create_subject(&staff.actor, now, new)).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

fn subject_id(raw: &str) -> Result<SubjectId, ApiError> {
    path_key(|_, r| SubjectId::parse(r), raw, "subject")
}

#[utoipa::path(get, path = "/v1/subjects/{id}", tag = "subjects", params(("id" = String, Path)),
    responses((status = 200, description = "everything held; the read is audited"), (status = 404, description = "unknown"), (status = 410, description = "erased")),
    security(("staff" = [])))]
pub async fn get(
    State(state): State<AppState>,
    staff: Staff<SubjectRead>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = subject_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let data = blocking(move || store.subject_data(&staff.actor, now, &id)).await?;
    Ok(Json(subject_view(&state, &data)))
}

#[utoipa::path(post, path = "/v1/subjects/{id}/tokens", tag = "subjects", params(("id" = String, Path)),
    responses((status = 201, description = "{\"token\", \"expires_at\"}: a short-lived self-service token"), (status = 404, description = "unknown"), (status = 410, description = "erased")),
    security(("staff" = [])))]
pub async fn issue_token(
    State(state): State<AppState>,
    staff: Staff<SubjectToken>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = subject_id(&id)?;
    let ttl = Duration::minutes(i64::from(state.config.subject_token_minutes));
    let (store, now) = (state.store.clone(), state.now());
    let (token, expires_at) =
        blocking(move || store.issue_subject_token(&staff.actor, now, &id, ttl)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "expires_at": expires_at })),
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
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
}

#[utoipa::path(post, path = "/v1/forms/{key}/submissions", tag = "collection", params(("key" = String, Path)), request_body = SubmissionBody,
    responses((status = 201, description = "recorded, with consent receipts"), (status = 409, description = "stale notice_version"),
              (status = 422, description = "an answer not on the form, outside its options, or without a legal basis")),
    security(("staff" = []), ("subject" = [])))]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    Path(form): Path<String>,
    Body(body): Body<SubmissionBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
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
            if named.as_ref().is_some_and(|n| n != own) {
                return Err(ApiError(CoreError::at(
                    ErrorCode::Forbidden,
                    "subject",
                    "a subject token submits only for its own subject",
                )));
            }
            (own.clone(), caller.actor())
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
    };
    let (store, now) = (state.store.clone(), state.now());
    let result = blocking(move || store.submit(&actor, now, sub)).await?;
    let receipts: Vec<Value> = result
        .receipts
        .iter()
        .map(|r| receipt_summary(&state, r))
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "subject": result.subject, "declarations": result.declarations, "receipts": receipts }),
        ),
    ))
}
