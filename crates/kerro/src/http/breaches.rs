//! `/v1/breaches`: the breach register (P25, GDPR art. 33 and 34), for
//! admin and dpo. Recording a breach (its deadline is `aware_at` + 72 h),
//! listing it (also as CSV, the register's export), phased append-only
//! updates, the notification to the authority (a late one needs its reason),
//! the affected subjects computed from the audit log and their ids as CSV,
//! the art. 33 notification as JSON or printable HTML, and the art. 34
//! message to the scoped subjects. The rules are `kerro_core::breach`'s,
//! storage is the store's; the notification document, the messages and the
//! CSV are `web::breach_documents`', which the staff pages share.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SubsecRound, Utc};
use kerro_core::breach::{Amendment, Report, Stage};
use kerro_core::{CoreError, ErrorCode, Lang, Localized};
use kerro_store::{Breach, BreachScope, ScopeQuery};
use serde::Deserialize;
use utoipa::ToSchema;

use super::auth::{Registers, Staff};
use super::{blocking, AppError, AppState, Body};
use crate::web::breach_documents::{self as pages, Notification, SubjectMessages};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBreachBody {
    /// When the controller became aware of the breach (RFC 3339, not in the future).
    #[schema(example = "2026-03-01T08:30:00Z")]
    pub aware_at: DateTime<Utc>,
    /// What happened (art. 33(3)(a)); at most 10 000 characters.
    pub nature: String,
    /// Categories of personal data concerned, 1 to 50, each one line of at most 500 characters.
    #[schema(example = json!(["contact details", "declared interests"]))]
    pub data_categories: Vec<String>,
    /// Categories of data subjects concerned, 1 to 50.
    #[schema(example = json!(["customers"]))]
    pub subject_categories: Vec<String>,
    /// Approximate number of data subjects concerned (at most 10^10).
    pub approx_subjects: Option<u64>,
    /// Approximate number of personal data records concerned (at most 10^10).
    pub approx_records: Option<u64>,
    /// Where more information is obtained, e.g. the DPO (art. 33(3)(b)); one line, at most 500 characters.
    pub contact_point: String,
    /// Art. 33(3)(c); at most 10 000 characters.
    pub likely_consequences: String,
    /// Measures taken or proposed (art. 33(3)(d)); at most 10 000 characters.
    pub measures: String,
}

/// Where a breach is in its handling.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StageName {
    Investigating,
    Contained,
    Resolved,
}

impl From<StageName> for Stage {
    fn from(s: StageName) -> Stage {
        match s {
            StageName::Investigating => Stage::Investigating,
            StageName::Contained => Stage::Contained,
            StageName::Resolved => Stage::Resolved,
        }
    }
}

/// An update: its text, and any report fields it amends (the rest stay).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateBody {
    /// What is new (art. 33(4): information given in phases); at most 10 000 characters.
    pub text: String,
    pub stage: Option<StageName>,
    pub nature: Option<String>,
    pub data_categories: Option<Vec<String>>,
    pub subject_categories: Option<Vec<String>>,
    pub approx_subjects: Option<u64>,
    pub approx_records: Option<u64>,
    pub contact_point: Option<String>,
    pub likely_consequences: Option<String>,
    pub measures: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotifiedBody {
    /// The authority's reference for the notification; one line, at most 500 characters.
    #[schema(example = "TSV/1234/2026")]
    pub authority_ref: String,
    /// When the authority was notified (RFC 3339; not before `aware_at`, not in the future).
    pub notified_at: DateTime<Utc>,
    /// The reasons for the delay: required when `notified_at` is after the deadline.
    pub late_reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScopeBody {
    /// The window's start (RFC 3339, included).
    pub from: DateTime<Utc>,
    /// The window's end (RFC 3339, included; not before `from`).
    pub to: DateTime<Utc>,
    /// Only reads by these staff accounts (`stf_...`) or API tokens (`tok_...`); at most 100.
    #[schema(example = json!(["tok_01HZX0000000000000000000AB"]))]
    pub actors: Option<Vec<String>>,
    /// Only these fields, as audit entries name them (`subject`, `declarations`, `consents`, `contact`, `email`, `id`); at most 100.
    pub fields: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectMessagesBody {
    /// The plain-language description for the subjects per language (fi, sv, en), at most
    /// 10 000 characters each; a subject's own language is used, else the default one. Without
    /// it the message quotes the breach's nature.
    #[schema(value_type = Option<Object>, example = json!({"fi": "Kannettava tietokone varastettiin.", "en": "A laptop was stolen."}))]
    pub message: Option<Localized>,
}

fn breach_id(raw: &str) -> Result<String, AppError> {
    if pages::is_breach_id(raw) {
        Ok(raw.to_owned())
    } else {
        let shown: String = raw.chars().take(40).collect();
        Err(AppError(CoreError::not_found(
            "id",
            format!("no breach '{shown}'"),
        )))
    }
}

fn bad_request(field: &str, message: &str) -> AppError {
    AppError(CoreError::at(ErrorCode::InvalidRequest, field, message))
}

/// Reads the query's pairs: each name at most once, only the `allowed` ones.
fn query_pairs(
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
    allowed: &[&str],
) -> Result<Vec<(String, String)>, AppError> {
    let Query(pairs) =
        query.map_err(|e| AppError(CoreError::new(ErrorCode::InvalidRequest, e.body_text())))?;
    let mut seen = std::collections::HashSet::new();
    for (k, _) in &pairs {
        if !allowed.contains(&k.as_str()) {
            let shown: String = k.chars().take(40).collect();
            return Err(bad_request(
                &shown,
                &format!("the query parameters are {}", allowed.join(", ")),
            ));
        }
        if !seen.insert(k.clone()) {
            return Err(bad_request(k, "a query parameter given twice"));
        }
    }
    Ok(pairs)
}

fn format_of(pairs: &[(String, String)], formats: &[&str]) -> Result<String, AppError> {
    match pairs.iter().find(|(k, _)| k == "format") {
        None => Ok("json".into()),
        Some((_, v)) if formats.contains(&v.as_str()) => Ok(v.clone()),
        Some(_) => Err(AppError(CoreError::invalid(
            "format",
            format!("format is {}", formats.join(" or ")),
        ))),
    }
}

fn csv_failed(e: csv::Error) -> AppError {
    tracing::error!("cannot write a breach CSV: {e}");
    AppError(CoreError::new(
        ErrorCode::Internal,
        "internal error; nothing was changed",
    ))
}

#[utoipa::path(post, path = "/v1/breaches", tag = "breaches", operation_id = "create_breach", request_body = NewBreachBody,
    description = "Records a personal data breach with the art. 33(3) content. Its `deadline` for notifying the supervisory authority is `aware_at` + 72 h. Audited under the caller.",
    responses((status = 201, description = "recorded, with its id and deadline; phase 0 of its history is the report as given", body = Breach),
              (status = 422, description = "`aware_at` in the future, a blank, too long or multi-line text, no or too many categories, a number over 10^10; `field` names it")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn create(
    State(state): State<AppState>,
    staff: Staff<Registers>,
    Body(body): Body<NewBreachBody>,
) -> Result<(StatusCode, Json<Breach>), AppError> {
    let (store, now) = (state.store.clone(), state.now());
    let aware_at = body.aware_at.trunc_subsecs(6);
    let report = Report {
        nature: body.nature,
        data_categories: body.data_categories,
        subject_categories: body.subject_categories,
        approx_subjects: body.approx_subjects,
        approx_records: body.approx_records,
        contact_point: body.contact_point,
        likely_consequences: body.likely_consequences,
        measures: body.measures,
    };
    let b = blocking(move || store.create_breach(&staff.actor, now, aware_at, report)).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

#[utoipa::path(get, path = "/v1/breaches", tag = "breaches", operation_id = "list_breaches",
    params(("format" = Option<String>, Query, description = "`json` (the default) or `csv`: the register's export, one breach a row")),
    responses((status = 200, description = "every breach, the most recently discovered first",
               content((Vec<Breach> = "application/json"), (String = "text/csv"))),
              (status = 400, description = "an unknown or repeated query parameter; `field` names it"),
              (status = 422, description = "a format other than json or csv")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn list(
    State(state): State<AppState>,
    _staff: Staff<Registers>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let pairs = query_pairs(query, &["format"])?;
    let format = format_of(&pairs, &["json", "csv"])?;
    let store = state.store.clone();
    let all = blocking(move || store.breaches()).await?;
    if format == "csv" {
        let body = pages::register_csv(&all).map_err(csv_failed)?;
        return Ok(pages::csv_download("kerro-breaches.csv", body));
    }
    Ok(Json(all).into_response())
}

#[utoipa::path(get, path = "/v1/breaches/{id}", tag = "breaches", operation_id = "get_breach", params(("id" = String, Path, description = "`brc_...`")),
    responses((status = 200, description = "the breach as it stands, with every phase of its history", body = Breach),
              (status = 404, description = "unknown breach")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn get(
    State(state): State<AppState>,
    _staff: Staff<Registers>,
    Path(id): Path<String>,
) -> Result<Json<Breach>, AppError> {
    let id = breach_id(&id)?;
    let store = state.store.clone();
    Ok(Json(blocking(move || store.breach(&id)).await?))
}

#[utoipa::path(post, path = "/v1/breaches/{id}/updates", tag = "breaches", operation_id = "update_breach", params(("id" = String, Path)), request_body = UpdateBody,
    description = "Adds the next phase of the breach's history at the server's time. The fields given amend the current view; the history keeps every update. Updates cannot be changed or removed.",
    responses((status = 201, description = "added; the breach as it now stands", body = Breach),
              (status = 404, description = "unknown breach"),
              (status = 422, description = "a blank or too long text, or an amended field that breaks the rules of a new report; `field` names it")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn update(
    State(state): State<AppState>,
    staff: Staff<Registers>,
    Path(id): Path<String>,
    Body(body): Body<UpdateBody>,
) -> Result<(StatusCode, Json<Breach>), AppError> {
    let id = breach_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let amendment = Amendment {
        nature: body.nature,
        data_categories: body.data_categories,
        subject_categories: body.subject_categories,
        approx_subjects: body.approx_subjects,
        approx_records: body.approx_records,
        contact_point: body.contact_point,
        likely_consequences: body.likely_consequences,
        measures: body.measures,
        stage: body.stage.map(Stage::from),
    };
    let b =
        blocking(move || store.update_breach(&staff.actor, now, &id, body.text, amendment)).await?;
    Ok((StatusCode::CREATED, Json(b)))
}

#[utoipa::path(post, path = "/v1/breaches/{id}/notified", tag = "breaches", operation_id = "notify_breach", params(("id" = String, Path)), request_body = NotifiedBody,
    description = "Records the notification to the supervisory authority, once. One after the deadline (`aware_at` + 72 h) needs `late_reason`.",
    responses((status = 200, description = "recorded; the breach as it now stands", body = Breach),
              (status = 404, description = "unknown breach"),
              (status = 409, description = "the notification is recorded already"),
              (status = 422, description = "`notified_at` in the future or before `aware_at`, a bad `authority_ref`, or no `late_reason` for a late notification (`field` is `late_reason`)")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn notified(
    State(state): State<AppState>,
    staff: Staff<Registers>,
    Path(id): Path<String>,
    Body(body): Body<NotifiedBody>,
) -> Result<Json<Breach>, AppError> {
    let id = breach_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let at = body.notified_at.trunc_subsecs(6);
    let b = blocking(move || {
        store.notify_breach(
            &staff.actor,
            now,
            &id,
            body.authority_ref,
            at,
            body.late_reason,
        )
    })
    .await?;
    Ok(Json(b))
}

#[utoipa::path(post, path = "/v1/breaches/{id}/scope", tag = "breaches", operation_id = "scope_breach", params(("id" = String, Path)), request_body = ScopeBody,
    description = "Computes the affected subjects from the tamper-evident audit log: the distinct subjects, and the records (a subject's field), whose personal data the actors (any, without `actors`) read or exported between `from` and `to`. Audience exports are counted but do not name their subjects. The scope is stored on the breach, replacing an earlier one; its subjects are downloaded with GET .../subjects.",
    responses((status = 200, description = "the scope as stored", body = BreachScope),
              (status = 404, description = "unknown breach"),
              (status = 422, description = "`to` before `from`, an actor that is not a staff or token id, a malformed field, or more than 100 of either; `field` names it")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn scope(
    State(state): State<AppState>,
    staff: Staff<Registers>,
    Path(id): Path<String>,
    Body(body): Body<ScopeBody>,
) -> Result<Json<BreachScope>, AppError> {
    let id = breach_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let query = ScopeQuery {
        from: body.from.trunc_subsecs(6),
        to: body.to.trunc_subsecs(6),
        actors: body.actors.unwrap_or_default(),
        fields: body.fields.unwrap_or_default(),
    };
    let s = blocking(move || store.scope_breach(&staff.actor, now, &id, query)).await?;
    Ok(Json(s))
}

#[utoipa::path(get, path = "/v1/breaches/{id}/subjects", tag = "breaches", operation_id = "breach_subjects", params(("id" = String, Path)),
    description = "The ids of the subjects of the breach's newest scope, as CSV (one column, `subject`). The download is recorded in the audit log.",
    responses((status = 200, description = "the subject ids (pseudonymous), one a row; only the header when no scope is computed", body = String, content_type = "text/csv"),
              (status = 404, description = "unknown breach")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn subjects(
    State(state): State<AppState>,
    staff: Staff<Registers>,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = breach_id(&id)?;
    let (store, now) = (state.store.clone(), state.now());
    let ids = blocking(move || store.breach_subject_ids(&staff.actor, now, &id)).await?;
    let body = pages::subjects_csv(&ids).map_err(csv_failed)?;
    Ok(pages::csv_download("kerro-breach-subjects.csv", body))
}

#[utoipa::path(get, path = "/v1/breaches/{id}/notification", tag = "breaches", operation_id = "breach_notification",
    params(("id" = String, Path),
           ("format" = Option<String>, Query, description = "`json` (the default) or `html`: a printable page"),
           ("lang" = Option<String>, Query, description = "the HTML page's language: fi, sv or en (default: the configured one)")),
    description = "The art. 33 notification to the supervisory authority, with the controller, the DPO, the art. 33(3) content, the phases and, for a late one, the reasons for the delay.",
    responses((status = 200, description = "the notification",
               content((Notification = "application/json"), (String = "text/html"))),
              (status = 400, description = "an unknown or repeated query parameter; `field` names it"),
              (status = 404, description = "unknown breach"),
              (status = 422, description = "a format other than json or html, or a language other than fi, sv or en")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn notification(
    State(state): State<AppState>,
    _staff: Staff<Registers>,
    Path(id): Path<String>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let id = breach_id(&id)?;
    let pairs = query_pairs(query, &["format", "lang"])?;
    let format = format_of(&pairs, &["json", "html"])?;
    let default = state.config.default_language;
    let lang = match pairs.iter().find(|(k, _)| k == "lang") {
        None => default,
        Some((_, v)) => Lang::parse(v)
            .ok_or_else(|| AppError(CoreError::invalid("lang", "lang is fi, sv or en")))?,
    };
    let (store, now) = (state.store.clone(), state.now());
    let b = blocking(move || store.breach(&id)).await?;
    let n = pages::notification(&state, &b, now);
    if format == "html" {
        let html = pages::notification_html(&n, lang, default).map_err(|e| {
            tracing::error!("cannot render the notification: {e}");
            AppError(CoreError::new(
                ErrorCode::Internal,
                "internal error; nothing was changed",
            ))
        })?;
        return Ok(pages::html_response(StatusCode::OK, html));
    }
    Ok(Json(n).into_response())
}

#[utoipa::path(post, path = "/v1/breaches/{id}/subject-messages", tag = "breaches", operation_id = "message_breach_subjects", params(("id" = String, Path)), request_body = SubjectMessagesBody,
    description = "Sends the art. 34 message to every subject of the breach's scope whom it has not reached yet and who has an e-mail address in use (confirmed, or from the company's own records), each in their own language (fi, sv, en), through kerro's mail path. Every message is recorded (who, when, outcome) and audited; a subject without an address, or erased, is recorded as skipped.",
    responses((status = 200, description = "what this call sent, and each message as recorded", body = SubjectMessages),
              (status = 404, description = "unknown breach"),
              (status = 409, description = "no scope is computed yet (`field` is `scope`)"),
              (status = 422, description = "a blank or too long message; `field` names it")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn subject_messages(
    State(state): State<AppState>,
    staff: Staff<Registers>,
    Path(id): Path<String>,
    Body(body): Body<SubjectMessagesBody>,
) -> Result<Json<SubjectMessages>, AppError> {
    let id = breach_id(&id)?;
    if let Some(m) = &body.message {
        m.validate("message")?;
        for (lang, text) in &m.0 {
            kerro_core::breach::check_text(
                &format!("message.{lang}"),
                text,
                kerro_core::breach::MAX_TEXT,
            )?;
        }
    }
    let now = state.now();
    let app = state.clone();
    let sent = blocking(move || {
        pages::send_subject_messages(&app, &staff.actor, now, &id, body.message.as_ref())
    })
    .await?;
    Ok(Json(sent))
}
