//! The staff's audit log viewer at `/admin/audit` (admin and dpo): entries
//! filtered by person or token, subject, action and time range, newest first
//! a page at a time; the audit chain's status and its checkpoints'; and the
//! same filters exported as CSV (`/admin/audit.csv`) and JSON
//! (`/admin/audit.json`). Filters are checked here, before anything is read:
//! a bad one is a 400 naming the field and changes nothing. Every view and
//! export is recorded in the audit log by the store.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use kerro_core::{Role, SubjectId};
use kerro_store::{AuditFilter, AuditRow, Chain, ChainProblem, ChainReport, AUDIT_ACTIONS};
use serde_json::{json, Value};

use super::ctx::Ctx;
use super::staff::allowed_or_return;
use super::Chrome;
use crate::app::blocking;
use crate::documents::csv_cell as cell;

/// Roles that may read the audit log.
pub const ROLES: [Role; 2] = [Role::Admin, Role::Dpo];
/// Entries on one page.
const PAGE: usize = 100;
/// Entries in one export; past it the answer says where to go on (`before`).
const EXPORT_MAX: usize = 50_000;
/// The longest actor filter taken.
const MAX_ACTOR: usize = 200;

/// The filters as typed, to show them again.
#[derive(Default, Clone)]
pub struct Typed {
    pub actor: String,
    pub subject: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub before: String,
}

/// A filter that cannot be read: the field and the message id that says why.
pub struct Invalid {
    pub field: &'static str,
    pub message: &'static str,
}

fn date(field: &'static str, raw: &str) -> Result<Option<NaiveDate>, Invalid> {
    if raw.is_empty() {
        return Ok(None);
    }
    kerro_core::time::parse_date(raw).map(Some).ok_or(Invalid {
        field,
        message: "audit-bad-date",
    })
}

/// Reads the filters from the query; blank fields are no filter.
fn read_filters(ctx: &Ctx) -> (Typed, Result<AuditFilter, Invalid>) {
    let get = |name: &str| ctx.query_value(name).unwrap_or("").trim().to_owned();
    let typed = Typed {
        actor: get("actor"),
        subject: get("subject"),
        action: get("action"),
        from: get("from"),
        to: get("to"),
        before: get("before"),
    };
    let parsed = (|| {
        let t = &typed;
        if t.actor.chars().count() > MAX_ACTOR || t.actor.chars().any(char::is_control) {
            return Err(Invalid {
                field: "actor",
                message: "audit-bad-actor",
            });
        }
        let subject = match t.subject.as_str() {
            "" => None,
            s => Some(SubjectId::parse(s).map_err(|_| Invalid {
                field: "subject",
                message: "audit-bad-subject",
            })?),
        };
        let action_ok = t.action.len() <= 64
            && t.action
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_');
        if !action_ok {
            return Err(Invalid {
                field: "action",
                message: "audit-bad-action",
            });
        }
        let (from, to) = (date("from", &t.from)?, date("to", &t.to)?);
        if let (Some(f), Some(t)) = (from, to) {
            if t < f {
                return Err(Invalid {
                    field: "to",
                    message: "audit-bad-range",
                });
            }
        }
        let before = match t.before.as_str() {
            "" => None,
            b => Some(b.parse::<i64>().ok().filter(|n| *n > 0).ok_or(Invalid {
                field: "before",
                message: "audit-bad-before",
            })?),
        };
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        Ok(AuditFilter {
            actor: some(&t.actor),
            subject,
            action: some(&t.action),
            from,
            to,
            before,
        })
    })();
    (typed, parsed)
}

/// The query string of `typed` with `before` replaced (`None`: left out).
fn query(typed: &Typed, before: Option<i64>) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("actor", &typed.actor),
        ("subject", &typed.subject),
        ("action", &typed.action),
        ("from", &typed.from),
        ("to", &typed.to),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    if let Some(b) = before {
        s.append_pair("before", &b.to_string());
    }
    s.finish()
}

/// One entry as the page shows it.
pub struct Entry {
    pub seq: i64,
    /// As stored (RFC 3339), for `<time datetime>`.
    pub time: String,
    /// To the second, readable.
    pub shown_time: String,
    pub actor: String,
    /// The person's name, for an entry by a named staff account.
    pub who: String,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// The name of the staff account an actor label (`staff:<role>:stf_…[:…]`) names.
fn person_of(actor: &str, people: &[kerro_store::StaffAccount]) -> String {
    let id = actor.split(':').nth(2).unwrap_or("");
    people
        .iter()
        .find(|p| p.id == id)
        .map(|p| p.name.clone())
        .unwrap_or_default()
}

impl From<AuditRow> for Entry {
    fn from(r: AuditRow) -> Entry {
        Entry {
            seq: r.seq,
            shown_time: r.time.get(..19).unwrap_or(&r.time).replacen('T', " ", 1),
            time: r.time,
            actor: r.actor,
            who: String::new(),
            action: r.action,
            subject: r.subject.unwrap_or_default(),
            detail: r.detail,
        }
    }
}

/// The audit chain's state, in the page's words.
pub struct Integrity {
    pub intact: bool,
    pub lines: Vec<String>,
}

fn integrity(ctx: &Ctx, r: &ChainReport) -> Integrity {
    let tr = &ctx.tr;
    let mut lines = Vec::new();
    for p in &r.problems {
        lines.push(match p {
            ChainProblem::Broken(b) => tr.t2(
                "audit-chain-broken",
                "seq",
                &b.seq.to_string(),
                "reason",
                &b.reason,
            ),
            ChainProblem::TailRemoved {
                checkpoint,
                chain_end,
                head_seq,
                ..
            } => format!(
                "{} {}",
                tr.t1("audit-chain-end", "end", &chain_end.to_string()),
                tr.t2(
                    "audit-chain-tail",
                    "checkpoint",
                    &checkpoint.seq.to_string(),
                    "head",
                    &head_seq.to_string()
                )
            ),
            ChainProblem::Rewritten {
                checkpoint, seq, ..
            } => tr.t2(
                "audit-chain-rewritten",
                "seq",
                &seq.to_string(),
                "checkpoint",
                &checkpoint.seq.to_string(),
            ),
            ChainProblem::Forged { checkpoint, .. } => tr.t1(
                "audit-chain-forged",
                "checkpoint",
                &checkpoint.seq.to_string(),
            ),
            // The page checks no copies, so no copy can name a missing checkpoint.
            other => other.to_string(),
        });
    }
    if r.is_ok() {
        lines.push(tr.tn("audit-chain-intact", "count", r.entries as i64));
    }
    match &r.newest {
        Some(c) => {
            lines.push(tr.t2(
                "audit-checkpoint-newest",
                "checkpoint",
                &c.seq.to_string(),
                "head",
                &c.head_seq.to_string(),
            ));
            lines.push(tr.tn("audit-checkpoint-since", "count", r.unanchored()));
        }
        None => lines.push(tr.t("audit-checkpoint-none")),
    }
    Integrity {
        intact: r.is_ok(),
        lines,
    }
}

#[derive(askama::Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    page: Chrome,
    typed: Typed,
    /// The field in error and what to say, if any.
    error_field: &'static str,
    /// The label of that field.
    error_label: String,
    error: String,
    actions: &'static [&'static str],
    entries: Vec<Entry>,
    /// Whether the entries were read (no error).
    shown: bool,
    older: String,
    newest: String,
    csv: String,
    json: String,
    integrity: Option<Integrity>,
}

fn page_with(ctx: &Ctx, typed: Typed) -> AuditPage {
    let q = query(&typed, None);
    AuditPage {
        page: Chrome::new(ctx, &ctx.tr.t("audit-title"), "/admin/audit"),
        csv: format!("/admin/audit.csv?{q}"),
        json: format!("/admin/audit.json?{q}"),
        newest: format!("/admin/audit?{q}"),
        typed,
        error_field: "",
        error_label: String::new(),
        error: String::new(),
        actions: AUDIT_ACTIONS,
        entries: Vec::new(),
        shown: false,
        older: String::new(),
        integrity: None,
    }
}

/// `GET /admin/audit`.
pub async fn page(ctx: Ctx) -> Response {
    let actor = allowed_or_return!(ctx, &ROLES);
    let (typed, filter) = read_filters(&ctx);
    let mut view = page_with(&ctx, typed);
    let filter = match filter {
        Ok(f) => f,
        Err(bad) => {
            view.error_field = bad.field;
            view.error_label = ctx.tr.t(&format!("audit-{}", bad.field));
            view.error = ctx.tr.t(bad.message);
            return ctx.page(StatusCode::BAD_REQUEST, &view);
        }
    };
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let read = blocking(move || {
        let page = store.audit_log(&actor, now, &filter, PAGE, "page")?;
        let report = store.verify_chain(Chain::Audit, &[])?;
        Ok((page, report, store.list_staff()?))
    })
    .await;
    let (found, report, people) = match read {
        Ok(r) => r,
        Err(e) => return ctx.failed(&e),
    };
    if found.more {
        if let Some(last) = found.rows.last() {
            view.older = format!("/admin/audit?{}", query(&view.typed, Some(last.seq)));
        }
    }
    view.shown = true;
    view.entries = found
        .rows
        .into_iter()
        .map(|r| {
            let who = person_of(&r.actor, &people);
            Entry {
                who,
                ..Entry::from(r)
            }
        })
        .collect();
    view.integrity = Some(integrity(&ctx, &report));
    ctx.page(StatusCode::OK, &view)
}

fn csv_body(rows: &[AuditRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "seq",
        "time",
        "actor",
        "action",
        "subject",
        "detail",
        "prev_hash",
        "hash",
    ])?;
    for r in rows {
        w.write_record([
            r.seq.to_string(),
            cell(&r.time),
            cell(&r.actor),
            cell(&r.action),
            cell(r.subject.as_deref().unwrap_or("")),
            cell(&r.detail),
            cell(&r.prev_hash),
            cell(&r.hash),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn json_body(rows: Vec<AuditRow>, next_before: Option<i64>, typed: &Typed) -> Value {
    let entries: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "seq": r.seq,
                "time": r.time,
                "actor": r.actor,
                "action": r.action,
                "subject": r.subject,
                "detail": serde_json::from_str::<Value>(&r.detail).unwrap_or(Value::String(r.detail)),
                "prev_hash": r.prev_hash,
                "hash": r.hash,
            })
        })
        .collect();
    json!({
        "format": "kerro.audit.v1",
        "filters": {
            "actor": typed.actor, "subject": typed.subject, "action": typed.action,
            "from": typed.from, "to": typed.to, "before": typed.before,
        },
        "entries": entries,
        "next_before": next_before,
    })
}

fn download(content_type: &'static str, name: &str, body: Vec<u8>, next: Option<i64>) -> Response {
    let mut resp = crate::app::attachment(content_type, name, body);
    if let Some(n) = next.and_then(|n| HeaderValue::from_str(&n.to_string()).ok()) {
        resp.headers_mut().insert("x-kerro-next-before", n);
    }
    resp
}

/// `GET /admin/audit.csv` and `GET /admin/audit.json`: the page's filters, up to `EXPORT_MAX` entries.
async fn export(ctx: Ctx, format: &'static str) -> Response {
    let actor = allowed_or_return!(ctx, &ROLES);
    let (typed, filter) = read_filters(&ctx);
    let filter = match filter {
        Ok(f) => f,
        Err(bad) => {
            let message = format!("{}: {}", bad.field, ctx.tr.t(bad.message));
            let body = if format == "json" {
                json!({"error": {"code": "invalid_request", "message": message, "field": bad.field}})
                    .to_string()
            } else {
                message
            };
            let kind = if format == "json" {
                "application/json"
            } else {
                "text/plain; charset=utf-8"
            };
            return ctx.finish((
                StatusCode::BAD_REQUEST,
                [(header::CONTENT_TYPE, kind)],
                body,
            ));
        }
    };
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let found =
        match blocking(move || store.audit_log(&actor, now, &filter, EXPORT_MAX, format)).await {
            Ok(f) => f,
            Err(e) => return ctx.failed(&e),
        };
    let next = found
        .more
        .then(|| found.rows.last().map(|r| r.seq))
        .flatten();
    let resp = if format == "json" {
        let body = json_body(found.rows, next, &typed).to_string().into_bytes();
        download("application/json", "kerro-audit.json", body, next)
    } else {
        match csv_body(&found.rows) {
            Ok(body) => download("text/csv; charset=utf-8", "kerro-audit.csv", body, next),
            Err(e) => {
                tracing::error!("cannot write the audit CSV: {e}");
                return ctx.error(StatusCode::INTERNAL_SERVER_ERROR, "error-internal");
            }
        }
    };
    ctx.finish(resp)
}

pub async fn csv(ctx: Ctx) -> Response {
    export(ctx, "csv").await
}

pub async fn json(ctx: Ctx) -> Response {
    export(ctx, "json").await
}
