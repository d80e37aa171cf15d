//! `/v1/disclosures`: the disclosure register (P21): every disclosure of a
//! subject's data to a recipient (an audience export made for it, a webhook
//! to its endpoint), newest first, with what went to each recipient in sum;
//! as JSON or CSV. It names subjects, so every read is audited.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use kerro_core::{CoreError, ErrorCode, RecipientKey};
use kerro_store::{LoggedDisclosure, RecipientDisclosures};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{Registers, Staff};
use super::{blocking, AppError, AppState};
use crate::app::attachment;
use crate::documents::disclosures_csv;

/// The register: the sums per recipient, and the disclosures asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct DisclosureRegister {
    /// Per recipient: how many disclosures, of how many subjects, the latest when.
    pub recipients: Vec<RecipientDisclosures>,
    /// Newest first, at most 10,000.
    pub disclosures: Vec<LoggedDisclosure>,
}

/// Reads `?recipient=` (a key) and `?format=` (json, csv), each at most once.
fn read_query(pairs: Vec<(String, String)>) -> Result<(Option<RecipientKey>, bool), AppError> {
    let (mut recipient, mut csv) = (None, false);
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
            "recipient" => recipient = Some(RecipientKey::parse("recipient", &v)?),
            "format" => {
                csv = match v.as_str() {
                    "json" => false,
                    "csv" => true,
                    _ => {
                        return Err(AppError(CoreError::invalid(
                            "format",
                            "format is json or csv",
                        )))
                    }
                }
            }
            other => {
                return Err(AppError(CoreError::at(
                    ErrorCode::InvalidRequest,
                    other,
                    "the query parameters are recipient and format",
                )))
            }
        }
    }
    Ok((recipient, csv))
}

#[utoipa::path(get, path = "/v1/disclosures", tag = "registers", operation_id = "list_disclosures",
    description = "The disclosure register (P21): every disclosure of a subject's data to a registered recipient, with the fields that went and how, newest first; and the sums per recipient. The read names subjects and is audited (`disclosures_read`).",
    params(("recipient" = Option<String>, Query, description = "only the disclosures to this recipient"),
           ("format" = Option<String>, Query, description = "json (the default) or csv (one row per disclosure)")),
    responses((status = 200, description = "the register", content((DisclosureRegister = "application/json"), (String = "text/csv"))),
              (status = 400, description = "an unknown or repeated query parameter"),
              (status = 422, description = "a recipient that is no key, or an unknown format; `field` names it")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn list(
    State(state): State<AppState>,
    staff: Staff<Registers>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    let Query(pairs) =
        query.map_err(|e| AppError(CoreError::new(ErrorCode::InvalidRequest, e.body_text())))?;
    let (recipient, csv) = read_query(pairs)?;
    let (store, now) = (state.store.clone(), state.now());
    let (recipients, disclosures) = blocking(move || {
        Ok((
            store.disclosure_summary()?,
            store.disclosure_register(&staff.actor, now, recipient)?,
        ))
    })
    .await?;
    if csv {
        let body = disclosures_csv(&disclosures)
            .map_err(|e| AppError(CoreError::new(ErrorCode::Internal, e.to_string())))?;
        return Ok(attachment(
            "text/csv; charset=utf-8",
            "kerro-disclosures.csv",
            body,
        ));
    }
    Ok(Json(DisclosureRegister {
        recipients,
        disclosures,
    })
    .into_response())
}
