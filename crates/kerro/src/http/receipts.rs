//! `GET /v1/receipts/{record_id}`: the consent record in the ISO/IEC TS 27560
//! shape (default) or the Kantara Consent Receipt v1.1 shape (`?format=kantara`).
//! Both documents are built in `documents`; this module checks who may read one.
//! With `Accept: application/jose` the same document comes as a compact JWS
//! signed with the receipt key (`jose.rs`), published at `/.well-known/jwks.json`.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kerro_core::{CoreError, ErrorCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{Caller, ReceiptRead, Staff};
use super::jose;
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
    description = "The consent record as JSON, or with `Accept: application/jose` as a compact JWS (EdDSA, Ed25519) whose payload is the same JSON, signed with the key published at `/.well-known/jwks.json` (the JWS header's `kid` names it). Any other `Accept` gets JSON.",
    responses((status = 200, description = "the consent record, or its compact JWS",
               content((Receipt = "application/json"), (String = "application/jose"))),
              (status = 400, description = "a query parameter other than format"),
              (status = 404, description = "unknown, or not this subject's"),
              (status = 422, description = "a format other than iso27560 or kantara")),
    security(("staff" = ["admin", "support"]), ("subject" = [])))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(record_id): Path<String>,
    query: Result<Query<ReceiptQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
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
    let receipt = if format == "kantara" {
        Receipt::Kantara(kantara(&state, &data))
    } else {
        Receipt::Iso27560(iso27560(&state, &data))
    };
    if jose::wants_jose(&headers) {
        return Ok(jose::response(jose::sign(
            state.store.receipt_key(),
            &receipt,
        )?));
    }
    Ok(Json(receipt).into_response())
}
