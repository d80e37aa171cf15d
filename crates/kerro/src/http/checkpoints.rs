//! `GET /v1/checkpoints`: the signed checkpoints of the ledger and the audit
//! log, newest first, a page at a time, for copying elsewhere. A copy can be
//! checked without kerro: each checkpoint's Ed25519 signature covers the
//! JSON array `["kerro-checkpoint/1", chain, head_seq, head_hash,
//! created_at]` (compact, fields exactly as given), and `kerro ledger verify
//! --checkpoints FILE` compares a saved answer with the database. Which heads
//! get checkpoints is the store's.

use axum::extract::{Query, State};
use axum::Json;
use kerro_core::{CoreError, ErrorCode};
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::{AuditRead, Staff};
use super::{blocking, AppError, AppState};
use kerro_store::Chain;

/// The most checkpoints one page holds.
const MAX_LIMIT: usize = 1000;
/// A page's size when `limit` is not given.
const DEFAULT_LIMIT: usize = 100;

/// Which chain a checkpoint names.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChainName {
    /// The consent ledger.
    Ledger,
    /// The audit log.
    Audit,
}

/// A signed statement that a chain's entry `head_seq` had hash `head_hash` at `created_at`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointView {
    /// The checkpoint's own number (`before` pages by it).
    pub seq: i64,
    pub chain: ChainName,
    /// The chain's newest entry when the checkpoint was written.
    pub head_seq: i64,
    /// That entry's SHA-256 chain hash, in hex.
    pub head_hash: String,
    /// When it was written: RFC 3339 with microseconds, exactly as signed.
    #[schema(format = DateTime)]
    pub created_at: String,
    /// The Ed25519 public key it was signed with, in hex.
    pub public_key: String,
    /// The Ed25519 signature of `["kerro-checkpoint/1", chain, head_seq, head_hash, created_at]`, in hex.
    pub signature: String,
}

/// A page of checkpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct CheckpointList {
    /// The installation's checkpoint public key (Ed25519, hex); a checkpoint
    /// signed with any other key is forged.
    pub public_key: String,
    /// Newest first.
    pub checkpoints: Vec<CheckpointView>,
    /// Pass as `before` for the next, older page; null on the last page.
    pub next_before: Option<i64>,
}

/// The query, read by hand so every problem names its parameter.
struct ListQuery {
    chain: Option<Chain>,
    limit: usize,
    before: Option<i64>,
}

fn bad_request(field: &str, message: &str) -> AppError {
    AppError(CoreError::at(ErrorCode::InvalidRequest, field, message))
}

fn read_query(pairs: Vec<(String, String)>) -> Result<ListQuery, AppError> {
    let mut q = ListQuery {
        chain: None,
        limit: DEFAULT_LIMIT,
        before: None,
    };
    let mut seen = std::collections::HashSet::new();
    for (k, v) in pairs {
        if !seen.insert(k.clone()) {
            return Err(bad_request(&k, "a query parameter given twice"));
        }
        match k.as_str() {
            "chain" => {
                q.chain = Some(Chain::parse(&v).ok_or_else(|| {
                    AppError(CoreError::invalid("chain", "chain is ledger or audit"))
                })?)
            }
            "limit" => {
                let n: usize = v
                    .parse()
                    .map_err(|_| bad_request("limit", "limit is a number"))?;
                if n == 0 || n > MAX_LIMIT {
                    return Err(AppError(CoreError::invalid(
                        "limit",
                        format!("limit is 1-{MAX_LIMIT}"),
                    )));
                }
                q.limit = n;
            }
            "before" => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| bad_request("before", "before is a checkpoint's number"))?;
                if n < 1 {
                    return Err(AppError(CoreError::invalid(
                        "before",
                        "before is a checkpoint's number (1 or more)",
                    )));
                }
                q.before = Some(n);
            }
            other => {
                return Err(bad_request(
                    other,
                    "the query parameters are chain, limit and before",
                ))
            }
        }
    }
    Ok(q)
}

#[utoipa::path(get, path = "/v1/checkpoints", tag = "audit", operation_id = "checkpoints",
    params(("chain" = Option<String>, Query, description = "ledger or audit; both when absent"),
           ("limit" = Option<usize>, Query, description = "1-1000, default 100"),
           ("before" = Option<i64>, Query, description = "only checkpoints numbered below this (the previous page's next_before)")),
    responses((status = 200, description = "signed checkpoints of the chains, newest first", body = CheckpointList),
              (status = 400, description = "an unknown, repeated or non-numeric query parameter; `field` names it"),
              (status = 422, description = "a chain other than ledger or audit, or a limit or before out of range; `field` names it")),
    security(("staff" = ["admin", "dpo"])))]
pub async fn list(
    State(state): State<AppState>,
    _: Staff<AuditRead>,
    query: Result<Query<Vec<(String, String)>>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<CheckpointList>, AppError> {
    let Query(pairs) =
        query.map_err(|e| AppError(CoreError::new(ErrorCode::InvalidRequest, e.body_text())))?;
    let q = read_query(pairs)?;
    let store = state.store.clone();
    let mut found = blocking(move || store.checkpoints(q.chain, q.before, q.limit + 1)).await?;
    let next_before = (found.len() > q.limit).then(|| found[q.limit - 1].seq);
    found.truncate(q.limit);
    Ok(Json(CheckpointList {
        public_key: state.store.checkpoint_public_key().to_owned(),
        checkpoints: found
            .into_iter()
            .map(|c| CheckpointView {
                seq: c.seq,
                chain: match c.chain {
                    Chain::Ledger => ChainName::Ledger,
                    Chain::Audit => ChainName::Audit,
                },
                head_seq: c.head_seq,
                head_hash: c.head_hash,
                created_at: c.created_at,
                public_key: c.public_key,
                signature: c.signature,
            })
            .collect(),
        next_before,
    }))
}
