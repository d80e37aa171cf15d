//! `/v1/records-of-processing`: the record of processing activities (art.
//! 30(1), P22), generated from the purposes, attributes, recipients and the
//! configuration; every version stays readable (`?version=N`), as JSON,
//! CSV (one row per purpose) or a printable HTML page.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kerro_core::records::RecordOfProcessing;
use kerro_core::{CoreError, ErrorCode};
use kerro_store::RecordsVersion;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{Registers, Staff};
use super::{blocking, AppError, AppState};
use crate::app::attachment;
use crate::web::breach_documents::html_response;
use crate::web::records_documents as docs;

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordsVersionList {
    /// The newest first (at most 1000).
    pub versions: Vec<RecordsVersion>,
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Csv,
    Html,
}

/// Reads `?version=` (a positive number) and `?format=` (json, csv, html).
fn read_query(pairs: Vec<(String, String)>) -> Result<(Option<u32>, Format), AppError> {
    let (mut version, mut format) = (None, Format::Json);
    let mut seen = std::collections::HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(AppError(CoreError::at(
                ErrorCode::InvalidRequest,
                &k,
                "a query parameter given twice",
            )));
        }
        match k.as_str() {
            "version" => {
                let n = v
                    .parse::<u32>()
                    .ok()
                    .filter(|n| *n > 0 && v.bytes().all(|b| b.is_ascii_digit()));
                version = Some(n.ok_or_else(|| {
                    AppError(CoreError::invalid("version", "version is a number from 1"))
                })?);
            }
            "format" => {
                format = match v.as_str() {
                    "json" => Format::Json,
                    "csv" => Format::Csv,
                    "html" => Format::Html,
                    _ => {
                        return Err(AppError(CoreError::invalid(
                            "format",
                            "format is json, csv or html",
                        )))
                    }
                }
            }
            other => {
                return Err(AppError(CoreError::at(
                    ErrorCode::InvalidRequest,
                    other,
                    "the query parameters are version and format",
                )))
            }
        }
    }
    Ok((version, format))
}

#[utoipa::path(get, path = "/v1/records-of-processing", tag = "registers", operation_id = "get_records_of_processing",
    description = "The record of processing activities (GDPR art. 30(1)): the controller and its DPO (a), then per purpose its purpose (b), categories of subjects and of data (c), recipients (d), transfers outside the EEA with their safeguard (e) and retention (f), and the security measures (g), configured and generated. Each change of purposes, attributes, recipients or the configured identity and measures makes a new version; earlier ones read as they were.",
    params(("version" = Option<u32>, Query, description = "a version from 1; the latest by default"),
           ("format" = Option<String>, Query, description = "json (the default), csv (one row per purpose) or html (a printable page)")),
    responses((status = 200, description = "the record; `version` 0 before the first change",
               content((RecordOfProcessing = "application/json"), (String = "text/csv"), (String = "text/html"))),
              (status = 400, description = "an unknown or repeated query parameter"),
              (status = 404, description = "no such version"),
              (status = 422, description = "a version that is no number from 1, or an unknown format; `field` names it")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn get(
    State(state): State<AppState>,
    _: Staff<Registers>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(pairs) =
        query.map_err(|e| AppError(CoreError::new(ErrorCode::InvalidRequest, e.body_text())))?;
    let (version, format) = read_query(pairs)?;
    let r = docs::load(&state, version).await?;
    let internal = |e: String| AppError(CoreError::new(ErrorCode::Internal, e));
    Ok(match format {
        Format::Json => Json(r).into_response(),
        Format::Csv => attachment(
            "text/csv; charset=utf-8",
            &format!("kerro-records-of-processing-v{}.csv", r.version),
            docs::csv(&r).map_err(|e| internal(e.to_string()))?,
        ),
        Format::Html => {
            let lang = state.config.default_language;
            html_response(
                StatusCode::OK,
                docs::html(&r, lang, lang).map_err(internal)?,
            )
        }
    })
}

#[utoipa::path(get, path = "/v1/records-of-processing/versions", tag = "registers", operation_id = "list_records_of_processing_versions",
    responses((status = 200, description = "the versions, the newest first", body = RecordsVersionList)),
    security(("staff" = ["admin", "dpo"])))]
pub async fn versions(
    State(state): State<AppState>,
    _: Staff<Registers>,
) -> Result<Json<RecordsVersionList>, AppError> {
    let store = state.store.clone();
    let versions = blocking(move || store.records_versions()).await?;
    Ok(Json(RecordsVersionList { versions }))
}
