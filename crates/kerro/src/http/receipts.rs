//! `GET /v1/receipts/{record_id}`: the consent record in the ISO/IEC TS 27560
//! shape (default) or the Kantara Consent Receipt v1.1 shape (`?format=kantara`).
//! Both documents are built in `documents`; this module checks who may read one.

use axum::extract::{Path, Query, State};
use axum::Json;
use kerro_core::{CoreError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Caller, ReceiptRead, Staff};
use super::{blocking, AppError, AppState};
use crate::documents::{iso27560, kantara, Iso27560Receipt, KantaraReceipt};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptQuery {
    pub format: Option<String>,
}

/// A consent receipt in the shape `format` asked for.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Receipt {
    Iso27560(Iso27560Receipt),
    Kantara(KantaraReceipt),
}

#[utoipa::path(get, path = "/v1/receipts/{record_id}", tag = "consent", operation_id = "receipt",
    params(("record_id" = String, Path), ("format" = Option<String>, Query, description = "iso27560 (default) or kantara")),
    responses((status = 200, description = "the consent record", body = Receipt),
              (status = 400, description = "a query parameter other than format"),
              (status = 404, description = "unknown, or not this subject's"),
              (status = 422, description = "a format other than iso27560 or kantara")),
    security(("staff" = ["admin", "support"]), ("subject" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(record_id): Path<String>,
    query: Result<Query<ReceiptQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Receipt>, AppError> {
    let format = match query {
        Ok(Query(q)) => q.format.unwrap_or_else(|| "iso27560".into()),
        Err(_) => {
            return Err(AppError(CoreError::at(
                ErrorCode::InvalidRequest,
                "format",
                "the only query parameter is format",
            )))
        }
    };
    if format != "iso27560" && format != "kantara" {
        return Err(AppError(CoreError::invalid(
            "format",
            "format is iso27560 or kantara",
        )));
    }
    let actor = match &caller {
        Caller::Subject(_) => caller.actor(),
        Caller::Staff { .. } => Staff::<ReceiptRead>::check(caller.clone())?.actor,
    };
    let (store, now) = (state.store.clone(), state.now());
    let data = blocking(move || store.receipt(&actor, now, &record_id)).await?;
    if let Caller::Subject(own) = &caller {
        // P16: a subject reaches only its own records; others look the same as unknown ones.
        if own.subject != data.event.event.subject {
            return Err(AppError(CoreError::not_found(
                "record_id",
                "no such consent record",
            )));
        }
    }
    Ok(Json(if format == "kantara" {
        Receipt::Kantara(kantara(&state, &data))
    } else {
        Receipt::Iso27560(iso27560(&state, &data))
    }))
}
