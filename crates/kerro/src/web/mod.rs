//! The customer-facing web pages, server-rendered without JavaScript: hosted
//! forms (`/f/...`), sign-in (`/login...`), e-mail confirmation
//! (`/confirm-email...`), the preference centre (`/me...`),
//! the privacy policy (`/privacy`), Global Privacy Control, the staff's
//! read-only overview (`/admin`), the audit log viewer (`/admin/audit`) and
//! the rights requests (`/admin/requests`) and the record of processing
//! activities with its recipients (`/admin/records`).
//! One module per page family; templates in `templates/`, translations in
//! `locales/`.
//!
//! Pages call the same store operations as the JSON API, so a choice made on a
//! page is recorded exactly as the API records it. The API itself is in `http`;
//! the state, the store helper and the documents both render are in `app` and
//! `documents`, and this module never imports `http`.

mod admin;
mod audit;
pub mod breach_documents;
mod breaches;
mod campaign_mail;
mod charts;
mod confirm;
mod confirm_mail;
mod ctx;
mod fields;
mod form_notice;
mod forms;
pub mod i18n;
mod limits;
mod mail;
mod me;
mod me_data;
mod me_email;
mod me_recipients;
mod privacy;
mod records;
pub mod records_documents;
mod requests;
mod signin;
mod signin_queue;
mod staff;
mod unsubscribe;

pub use campaign_mail::{compose, CampaignSender, Run};
pub use ctx::{choose_lang, parse_accept_language};
pub use mail::Mailer;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;
use kerro_core::Lang;
use std::sync::Arc;

use crate::app::AppState;
use ctx::Ctx;
use i18n::{L10n, Tr};

/// The largest form body a page takes.
const MAX_FORM_BODY: usize = 64 * 1024;

/// Shared state of the pages: the API's state plus translations, the mailer, the
/// sign-in mail queue and the per-client rate limits.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub l10n: Arc<L10n>,
    pub mailer: Arc<Mailer>,
    pub sign_in: signin_queue::SignInQueue,
    pub limits: Arc<limits::Limits>,
}

impl WebState {
    pub fn new(app: AppState) -> WebState {
        let mailer = Arc::new(Mailer::from_config(&app.config));
        let l10n = Arc::new(L10n::load());
        let sign_in = signin_queue::SignInQueue::start(&app, l10n.clone(), mailer.clone());
        confirm_mail::start(&app.store, app.config.clone(), l10n.clone(), mailer.clone());
        let limits = Arc::new(limits::Limits::new(&app.config.web));
        WebState {
            app,
            l10n,
            mailer,
            sign_in,
            limits,
        }
    }

    /// Cookies get `Secure` when kerro is reached over TLS (its public URL says https).
    pub fn secure_cookies(&self) -> bool {
        self.app.config.public_url().starts_with("https://")
    }
}

/// Every page route with its handlers. The router is built from this one list, and
/// the tests check that every form a page renders posts to one of these paths.
fn routes() -> Vec<(&'static str, MethodRouter<WebState>)> {
    vec![
        ("/", get(forms::home)),
        ("/static/kerro.css", get(stylesheet)),
        ("/static/kerro-offers.js", get(offers_snippet)),
        ("/f/{form}", get(forms::show).post(forms::submit)),
        ("/f/{form}/thanks", get(forms::thanks)),
        ("/login", get(signin::page).post(signin::request)),
        ("/login/sent", get(signin::sent)),
        (
            "/login/confirm",
            get(signin::confirm_get).post(signin::confirm),
        ),
        ("/login/{token}", get(signin::confirm_page)),
        ("/logout", post(signin::logout)),
        (
            "/confirm-email",
            get(confirm::confirm_get).post(confirm::confirm),
        ),
        ("/confirm-email/{token}", get(confirm::page)),
        ("/me", get(me::overview)),
        (
            "/me/answers/{attribute}",
            get(me::edit_answer).post(me::save_answer),
        ),
        ("/me/consents", get(me::consents)),
        ("/me/consents/{purpose}", post(me::toggle_consent)),
        (
            "/me/consents/{purpose}/recipients/{recipient}",
            post(me_recipients::toggle),
        ),
        ("/me/contact", get(me::contact).post(me::save_contact)),
        ("/me/email", get(me_email::page).post(me_email::save)),
        ("/me/offers", get(me::offers)),
        ("/me/history", get(me_data::history)),
        ("/me/receipts/{record}", get(me_data::receipt)),
        ("/me/data", get(me_data::data)),
        ("/me/export", get(me_data::export)),
        (
            "/me/delete",
            get(me_data::confirm_delete).post(me_data::delete),
        ),
        ("/me/deleted", get(me_data::deleted)),
        ("/me/{*rest}", get(not_found)),
        ("/u", post(unsubscribe::confirm)),
        (
            "/u/{token}",
            get(unsubscribe::page).post(unsubscribe::one_click),
        ),
        ("/privacy", get(privacy::page)),
        ("/.well-known/gpc.json", get(privacy::gpc_json)),
        ("/admin", get(admin::overview)),
        ("/admin/login", get(staff::login_page).post(staff::login)),
        ("/admin/logout", post(staff::logout)),
        (
            "/admin/invite",
            get(staff::invite_page).post(staff::accept_invite),
        ),
        ("/admin/enrol", get(staff::enrol_page).post(staff::enrol)),
        ("/admin/sessions", get(staff::sessions)),
        ("/admin/sessions/end", post(staff::end_session)),
        ("/admin/staff", get(staff::people)),
        ("/admin/staff/end-sessions", post(staff::end_sessions_of)),
        ("/admin/audit", get(audit::page)),
        ("/admin/audit.csv", get(audit::csv)),
        ("/admin/audit.json", get(audit::json)),
        (
            "/admin/requests",
            get(requests::list).post(requests::create),
        ),
        ("/admin/requests.csv", get(requests::csv)),
        ("/admin/requests/{id}", get(requests::one)),
        ("/admin/requests/{id}/verify", post(requests::verify)),
        ("/admin/requests/{id}/extend", post(requests::extend)),
        ("/admin/requests/{id}/complete", post(requests::complete)),
        ("/admin/requests/{id}/erase", post(requests::erase)),
        ("/admin/requests/{id}/export", post(requests::export)),
        ("/admin/records", get(records::page)),
        ("/admin/records.csv", get(records::csv)),
        ("/admin/records/print", get(records::print)),
        (
            "/admin/records/disclosures.csv",
            get(records::disclosures_csv),
        ),
        ("/admin/breaches", get(breaches::list)),
        ("/admin/breaches.csv", get(breaches::register_download)),
        ("/admin/breaches/{id}", get(breaches::detail)),
        ("/admin/breaches/{id}/updates", post(breaches::post_update)),
        (
            "/admin/breaches/{id}/notified",
            post(breaches::post_notified),
        ),
        (
            "/admin/breaches/{id}/notification",
            get(breaches::notification_page),
        ),
        (
            "/admin/breaches/{id}/subjects.csv",
            get(breaches::subjects_download),
        ),
    ]
}

/// The path patterns of every page route (`{name}` is one segment, `{*name}` the rest).
pub fn route_paths() -> Vec<&'static str> {
    routes().into_iter().map(|(path, _)| path).collect()
}

/// The web pages' router, merged beside the API's in `app::router`.
pub fn router(app: AppState) -> Router {
    let state = WebState::new(app);
    routes()
        .into_iter()
        .fold(Router::new(), |r, (path, handlers)| r.route(path, handlers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(DefaultBodyLimit::max(MAX_FORM_BODY))
        .with_state(state)
}

/// The offers snippet for the company's own pages (docs/messages.md).
async fn offers_snippet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/kerro-offers.js"),
    )
        .into_response()
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/kerro.css"),
    )
        .into_response()
}

async fn not_found(ctx: Ctx) -> Response {
    ctx.error(StatusCode::NOT_FOUND, "error-not-found")
}

/// Headers on every page: no framing except hosted forms (by the configured sites),
/// no inline script, no referrer outside kerro (sign-in links carry secrets), and
/// no caching of personal pages.
async fn security_headers(State(state): State<WebState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    let mut resp = next.run(req).await;
    let frame_ancestors = if path.starts_with("/f/") {
        let mut v = vec!["'self'".to_owned()];
        v.extend(state.app.config.web.embed_origins.iter().cloned());
        v.join(" ")
    } else {
        "'none'".to_owned()
    };
    let csp = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors {frame_ancestors}"
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !path.starts_with("/static/") && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// A link of the language switch.
pub struct LangLink {
    pub code: &'static str,
    pub name: &'static str,
    pub href: String,
    pub current: bool,
}

/// A link of the preference centre's navigation.
pub struct NavLink {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// What every page shows around its content: title, language switch, navigation, footer.
pub struct Chrome {
    pub tr: Tr,
    pub title: String,
    pub lang: &'static str,
    pub langs: Vec<LangLink>,
    pub csrf: String,
    pub signed_in: bool,
    pub staff: bool,
    pub nav: Vec<NavLink>,
    pub embed: bool,
    pub controller: String,
}

/// The preference centre's pages, in navigation order (P26: each is one click from every other).
pub const ME_PAGES: [(&str, &str); 6] = [
    ("/me", "nav-overview"),
    ("/me/consents", "nav-consents"),
    ("/me/contact", "nav-contact"),
    ("/me/offers", "nav-offers"),
    ("/me/history", "nav-history"),
    ("/me/data", "nav-data"),
];

/// The staff pages, in navigation order, with the roles that see each.
pub const STAFF_PAGES: [(&str, &str, &[kerro_core::Role]); 7] = {
    use kerro_core::Role::*;
    [
        (
            "/admin",
            "admin-nav-overview",
            &[Admin, Editor, Support, Dpo],
        ),
        ("/admin/audit", "admin-nav-audit", &[Admin, Dpo]),
        (
            "/admin/requests",
            "admin-nav-requests",
            &[Admin, Support, Dpo],
        ),
        ("/admin/breaches", "admin-nav-breaches", &[Admin, Dpo]),
        ("/admin/records", "admin-nav-records", &[Admin, Dpo]),
        ("/admin/staff", "admin-nav-staff", &[Admin]),
        (
            "/admin/sessions",
            "admin-nav-sessions",
            &[Admin, Editor, Support, Service, Dpo],
        ),
    ]
};

impl Chrome {
    pub fn new(ctx: &Ctx, title: &str, section: &str) -> Chrome {
        let query = ctx.query_without_lang();
        let path = plain_path(&ctx.path);
        let langs = Lang::ALL
            .into_iter()
            .map(|l| LangLink {
                code: l.as_str(),
                name: Tr::native_name(l),
                href: format!("{path}?{query}lang={}", l.as_str()),
                current: l == ctx.lang,
            })
            .collect();
        let staff_page = ctx.path.starts_with("/admin");
        let nav = if let (Some(who), true) = (ctx.staff.as_ref().filter(|s| s.full), staff_page) {
            STAFF_PAGES
                .iter()
                .filter(|(_, _, roles)| roles.contains(&who.role))
                .map(|(href, id, _)| NavLink {
                    href,
                    label: ctx.tr.t(id),
                    current: *href == section,
                })
                .collect()
        } else if ctx.subject.is_some() && !staff_page {
            ME_PAGES
                .iter()
                .map(|(href, id)| NavLink {
                    href,
                    label: ctx.tr.t(id),
                    current: *href == section,
                })
                .collect()
        } else {
            Vec::new()
        };
        Chrome {
            tr: ctx.tr.clone(),
            title: title.to_owned(),
            lang: ctx.lang.as_str(),
            langs,
            csrf: ctx.csrf(),
            // The staff pages never show a customer's navigation, even in a browser signed in as one.
            signed_in: ctx.subject.is_some() && !staff_page,
            staff: ctx.staff.as_ref().is_some_and(|s| s.full) && staff_page,
            nav,
            embed: ctx.embed,
            controller: ctx.state.app.config.controller.name.clone(),
        }
    }

    /// For error pages made without a request context: links to the start page only.
    pub fn plain(tr: &Tr, title: &str) -> Chrome {
        Chrome {
            tr: tr.clone(),
            title: title.to_owned(),
            lang: tr.lang.as_str(),
            langs: Lang::ALL
                .into_iter()
                .map(|l| LangLink {
                    code: l.as_str(),
                    name: Tr::native_name(l),
                    href: format!("/?lang={}", l.as_str()),
                    current: l == tr.lang,
                })
                .collect(),
            csrf: String::new(),
            signed_in: false,
            staff: false,
            nav: Vec::new(),
            embed: false,
            controller: String::new(),
        }
    }
}

/// The request path, for links back to the same page, if it is a plain path kerro
/// itself links to (letters, digits, `/ _ - .`, no `..`, not `//`); otherwise `/`, so
/// no crafted path is ever written back into a page.
fn plain_path(path: &str) -> &str {
    let plain = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains("..")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/_-.".contains(&b));
    if plain {
        path
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_plain_paths_are_linked_back() {
        for (path, shown) in [
            ("/f/b2b_survey", "/f/b2b_survey"),
            ("/login/kml_AbC-_9", "/login/kml_AbC-_9"),
            ("/.well-known/gpc.json", "/.well-known/gpc.json"),
            ("//evil.example/x", "/"),
            ("/login/..%2Fme%2Fdelete", "/"),
            ("/login/../me/delete", "/"),
            ("/f/a\\b", "/"),
            ("/f/a\"onmouseover=x", "/"),
            ("", "/"),
        ] {
            assert_eq!(super::plain_path(path), shown, "{path}");
        }
    }
}
