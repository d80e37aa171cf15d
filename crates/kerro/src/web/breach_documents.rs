//! What the breach register's API and staff pages both render: the art. 33
//! notification to the authority as a typed document ([`notification`]) and
//! as a printable page ([`notification_html`], with the pages' CSP), the
//! art. 34 message to each scoped subject in their language and its sending
//! through the mail path ([`send_subject_messages`]), and the register's and
//! the scoped subjects' CSV. The pages are `breaches`, the API's routes
//! `http/breaches.rs`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use kerro_core::{Actor, Lang, Localized};
use kerro_store::{Breach, BreachMessage, MessageOutcome, StoreError, BREACH_PREFIX};
use serde::Serialize;
use std::sync::{Arc, OnceLock};
use utoipa::ToSchema;

use super::i18n::{L10n, Tr};
use super::mail::Mailer;
use crate::app::AppState;
use crate::documents::csv_cell;

/// The content security policy of a page: nothing but kerro's stylesheet.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn l10n() -> Arc<L10n> {
    static L: OnceLock<Arc<L10n>> = OnceLock::new();
    L.get_or_init(|| Arc::new(L10n::load())).clone()
}

/// Whether `raw` has the shape of a breach id (anything else cannot name one).
pub fn is_breach_id(raw: &str) -> bool {
    raw.len() == BREACH_PREFIX.len() + 26
        && raw.starts_with(BREACH_PREFIX)
        && raw[BREACH_PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// The controller, as the notification names it (art. 33(3)(b): with the DPO).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifyingController {
    pub name: String,
    pub address: String,
    pub email: String,
    /// The data protection officer's contact.
    pub dpo: String,
}

/// One phase of the information given (art. 33(4)).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotificationPhase {
    pub phase: u32,
    pub at: DateTime<Utc>,
    pub text: String,
}

/// The notification to the supervisory authority (GDPR art. 33(3)), as JSON.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    /// `kerro.breach-notification.v1`.
    pub format: String,
    pub breach: String,
    pub controller: NotifyingController,
    pub aware_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub notified_at: Option<DateTime<Utc>>,
    pub authority_ref: Option<String>,
    /// Whether the notification is (or, not yet made, would now be) after the deadline.
    pub late: bool,
    /// The reasons for the delay (art. 33(1)).
    pub late_reason: Option<String>,
    /// (a) The nature of the breach.
    pub nature: String,
    /// (a) Categories of personal data records concerned.
    pub data_categories: Vec<String>,
    /// (a) Categories of data subjects concerned.
    pub subject_categories: Vec<String>,
    /// (a) Approximate number of data subjects: the register's estimate, else the computed scope.
    pub approx_subjects: Option<u64>,
    /// (a) Approximate number of personal data records.
    pub approx_records: Option<u64>,
    /// (b) Where more information is obtained.
    pub contact_point: String,
    /// (c) The likely consequences.
    pub likely_consequences: String,
    /// (d) The measures taken or proposed, including to mitigate its effects.
    pub measures: String,
    /// `investigating`, `contained` or `resolved`.
    pub stage: String,
    /// The information as given in phases, oldest first.
    pub phases: Vec<NotificationPhase>,
    pub generated_at: DateTime<Utc>,
}

/// The art. 33 notification of `b` at `now`.
pub fn notification(app: &AppState, b: &Breach, now: DateTime<Utc>) -> Notification {
    let c = &app.config.controller;
    let n = b.notification.as_ref();
    Notification {
        format: "kerro.breach-notification.v1".into(),
        breach: b.id.clone(),
        controller: NotifyingController {
            name: c.name.clone(),
            address: c.address.clone(),
            email: c.email.clone(),
            dpo: c.dpo.clone(),
        },
        aware_at: b.aware_at,
        deadline: b.deadline,
        notified_at: n.map(|n| n.notified_at),
        authority_ref: n.map(|n| n.authority_ref.clone()),
        late: n.map_or(now > b.deadline, |n| n.late),
        late_reason: n.and_then(|n| n.late_reason.clone()),
        nature: b.nature.clone(),
        data_categories: b.data_categories.clone(),
        subject_categories: b.subject_categories.clone(),
        approx_subjects: b
            .approx_subjects
            .or(b.scope.as_ref().map(|s| s.subjects + s.unnamed_subjects)),
        approx_records: b.approx_records.or(b.scope.as_ref().map(|s| s.records)),
        contact_point: b.contact_point.clone(),
        likely_consequences: b.likely_consequences.clone(),
        measures: b.measures.clone(),
        stage: b.stage.clone(),
        phases: b
            .updates
            .iter()
            .filter(|u| u.phase > 0)
            .map(|u| NotificationPhase {
                phase: u.phase,
                at: u.at,
                text: u.text.clone(),
            })
            .collect(),
        generated_at: now,
    }
}

#[derive(askama::Template)]
#[template(path = "breach_notification.html")]
struct NotificationPage<'a> {
    tr: Tr,
    lang: &'static str,
    n: &'a Notification,
    /// Times as people of the language write them.
    aware_at: String,
    deadline: String,
    notified_at: String,
    generated_at: String,
    /// (label, time, text) of each phase.
    phases: Vec<(String, String, String)>,
}

/// The notification as a printable HTML page in `lang` (every value escaped by askama).
pub fn notification_html(n: &Notification, lang: Lang, default: Lang) -> Result<String, String> {
    let tr = Tr::new(l10n(), lang, default);
    let page = NotificationPage {
        aware_at: tr.time(&n.aware_at),
        deadline: tr.time(&n.deadline),
        notified_at: n.notified_at.map(|t| tr.time(&t)).unwrap_or_default(),
        generated_at: tr.time(&n.generated_at),
        phases: n
            .phases
            .iter()
            .map(|p| {
                (
                    tr.tn("breach-phase", "phase", i64::from(p.phase)),
                    tr.time(&p.at),
                    p.text.clone(),
                )
            })
            .collect(),
        lang: lang.as_str(),
        tr,
        n,
    };
    askama::Template::render(&page).map_err(|e| e.to_string())
}

/// The headers of a standalone HTML document: the pages' CSP, no caching.
pub fn html_response(status: StatusCode, html: String) -> Response {
    let mut resp = (status, axum::response::Html(html)).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// What `POST /v1/breaches/{id}/subject-messages` did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SubjectMessages {
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Every message of this call, as recorded.
    pub messages: Vec<BreachMessage>,
}

/// One art. 34 message: its subject line and text.
pub struct Art34Message {
    pub subject: String,
    pub body: String,
}

/// The art. 34 message about `b` in `lang`: the DPO's plain-language
/// `message` in that language if given (else the nature as recorded), the
/// likely consequences, the measures and the contact point.
pub fn compose(
    app: &AppState,
    b: &Breach,
    message: Option<&Localized>,
    lang: Lang,
) -> Art34Message {
    let tr = Tr::new(l10n(), lang, app.config.default_language);
    let controller = &app.config.controller.name;
    let what = message
        .map(|m| tr.text(m))
        .unwrap_or_else(|| b.nature.clone());
    let body = [
        tr.t1("breach-mail-intro", "controller", controller),
        String::new(),
        what,
        String::new(),
        format!(
            "{}\n{}",
            tr.t("breach-mail-consequences"),
            b.likely_consequences
        ),
        String::new(),
        format!("{}\n{}", tr.t("breach-mail-measures"), b.measures),
        String::new(),
        tr.t1("breach-mail-contact", "contact", &b.contact_point),
        tr.t1(
            "breach-mail-preferences",
            "url",
            &format!("{}/me", app.config.public_url()),
        ),
    ]
    .join("\n");
    Art34Message {
        subject: tr.t1("breach-mail-subject", "controller", controller),
        body,
    }
}

/// Sends the art. 34 message to every scoped subject not reached yet who has
/// an address in use, in their language, through the mail path, and records
/// every message (sent, failed, or skipped with why). Blocking.
pub fn send_subject_messages(
    app: &AppState,
    actor: &Actor,
    now: DateTime<Utc>,
    id: &str,
    message: Option<&Localized>,
) -> Result<SubjectMessages, StoreError> {
    let store = &app.store;
    let b = store.breach(id)?;
    let recipients = store.breach_recipients(id)?;
    let mailer = Mailer::from_config(&app.config);
    let mut outcomes = Vec::with_capacity(recipients.len());
    for r in recipients {
        let (lang, outcome, reason) = match (&r.email, r.erased) {
            (_, true) => (None, "skipped", Some("erased".to_owned())),
            (None, false) => (None, "skipped", Some("no_verified_email".to_owned())),
            (Some(to), false) => {
                let m = compose(app, &b, message, r.language);
                match mailer.send(to, &m.subject, m.body) {
                    Ok(()) => (Some(r.language), "sent", None),
                    Err(e) => (
                        Some(r.language),
                        "failed",
                        Some(e.chars().take(200).collect()),
                    ),
                }
            }
        };
        outcomes.push(MessageOutcome {
            subject: r.subject,
            lang,
            outcome,
            reason,
        });
    }
    let messages = store.record_breach_messages(actor, now, id, outcomes)?;
    let count = |o: &str| messages.iter().filter(|m| m.outcome == o).count() as u64;
    Ok(SubjectMessages {
        sent: count("sent"),
        failed: count("failed"),
        skipped: count("skipped"),
        messages,
    })
}

/// A CSV download that is never cached.
pub fn csv_download(name: &str, body: Vec<u8>) -> Response {
    crate::app::attachment("text/csv; charset=utf-8", name, body)
}

/// The register as CSV, one breach a row (`GET /v1/breaches?format=csv`, `/admin/breaches.csv`).
pub fn register_csv(all: &[Breach]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "aware_at",
        "deadline",
        "stage",
        "nature",
        "data_categories",
        "subject_categories",
        "approx_subjects",
        "approx_records",
        "contact_point",
        "likely_consequences",
        "measures",
        "notified_at",
        "authority_ref",
        "late",
        "late_reason",
        "scope_subjects",
        "scope_records",
        "updates",
        "messages_sent",
        "created_by",
        "created_at",
    ])?;
    let t = kerro_core::consent::format_time;
    let n = |v: Option<u64>| v.map(|v| v.to_string()).unwrap_or_default();
    for b in all {
        let notified = b.notification.as_ref();
        w.write_record([
            b.id.clone(),
            t(&b.aware_at),
            t(&b.deadline),
            b.stage.clone(),
            csv_cell(&b.nature),
            csv_cell(&b.data_categories.join("; ")),
            csv_cell(&b.subject_categories.join("; ")),
            n(b.approx_subjects),
            n(b.approx_records),
            csv_cell(&b.contact_point),
            csv_cell(&b.likely_consequences),
            csv_cell(&b.measures),
            notified.map(|x| t(&x.notified_at)).unwrap_or_default(),
            csv_cell(notified.map_or("", |x| x.authority_ref.as_str())),
            notified.map(|x| x.late.to_string()).unwrap_or_default(),
            csv_cell(
                notified
                    .and_then(|x| x.late_reason.as_deref())
                    .unwrap_or(""),
            ),
            n(b.scope.as_ref().map(|s| s.subjects)),
            n(b.scope.as_ref().map(|s| s.records)),
            b.updates.len().saturating_sub(1).to_string(),
            b.messages.sent.to_string(),
            b.created_by.clone(),
            t(&b.created_at),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The scoped subjects' ids as CSV.
pub fn subjects_csv(ids: &[String]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["subject"])?;
    for id in ids {
        w.write_record([id])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}
