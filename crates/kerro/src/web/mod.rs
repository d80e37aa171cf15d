//! The customer-facing web pages, server-rendered without JavaScript: hosted
//! forms (`/f/...`), sign-in (`/login...`), the preference centre (`/me...`),
//! the privacy policy (`/privacy`), Global Privacy Control and the staff's
//! read-only overview (`/admin`). One module per page family; templates in
//! `templates/`, translations in `locales/`.
//!
//! Pages call the same store operations as the JSON API, so a choice made on a
//! page is recorded exactly as the API records it. The API itself is in `http`.

mod admin;
mod charts;
mod ctx;
mod fields;
mod forms;
pub mod i18n;
mod mail;
mod me;
mod me_data;
mod privacy;
mod signin;

pub use ctx::{choose_lang, parse_accept_language};
pub use mail::Mailer;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use kerro_core::Lang;
use std::sync::Arc;

use crate::http::AppState;
use ctx::Ctx;
use i18n::{L10n, Tr};

/// The largest form body a page takes.
const MAX_FORM_BODY: usize = 64 * 1024;

/// Shared state of the pages: the API's state plus translations and the mailer.
#[derive(Clone)]
pub struct WebState {
    pub app: AppState,
    pub l10n: Arc<L10n>,
    pub mailer: Arc<Mailer>,
}

impl WebState {
    pub fn new(app: AppState) -> WebState {
        let mailer = Arc::new(Mailer::from_config(&app.config));
        WebState {
            app,
            l10n: Arc::new(L10n::load()),
            mailer,
        }
    }

    /// Cookies get `Secure` when kerro is reached over TLS (its public URL says https).
    pub fn secure_cookies(&self) -> bool {
        self.app.config.public_url().starts_with("https://")
    }
}

/// The web pages' router, merged beside the API's in `http::router`.
pub fn router(app: AppState) -> Router {
    let state = WebState::new(app);
    Router::new()
        .route("/", get(forms::home))
        .route("/static/kerro.css", get(stylesheet))
        .route("/f/{form}", get(forms::show).post(forms::submit))
        .route("/f/{form}/thanks", get(forms::thanks))
        .route("/login", get(signin::page).post(signin::request))
        .route("/login/sent", get(signin::sent))
        .route(
            "/login/{token}",
            get(signin::confirm_page).post(signin::confirm),
        )
        .route("/logout", post(signin::logout))
        .route("/me", get(me::overview))
        .route(
            "/me/answers/{attribute}",
            get(me::edit_answer).post(me::save_answer),
        )
        .route("/me/consents", get(me::consents))
        .route("/me/consents/{purpose}", post(me::toggle_consent))
        .route("/me/contact", get(me::contact).post(me::save_contact))
        .route("/me/offers", get(me::offers))
        .route("/me/history", get(me_data::history))
        .route("/me/receipts/{record}", get(me_data::receipt))
        .route("/me/data", get(me_data::data))
        .route("/me/export", get(me_data::export))
        .route(
            "/me/delete",
            get(me_data::confirm_delete).post(me_data::delete),
        )
        .route("/me/deleted", get(me_data::deleted))
        .route("/me/{*rest}", get(not_found))
        .route("/privacy", get(privacy::page))
        .route("/.well-known/gpc.json", get(privacy::gpc_json))
        .route("/admin", get(admin::overview))
        .route("/admin/login", get(admin::login_page).post(admin::login))
        .route("/admin/logout", post(admin::logout))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers,
        ))
        .layer(DefaultBodyLimit::max(MAX_FORM_BODY))
        .with_state(state)
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

impl Chrome {
    pub fn new(ctx: &Ctx, title: &str, section: &str) -> Chrome {
        let query = ctx.query_without_lang();
        let langs = Lang::ALL
            .into_iter()
            .map(|l| LangLink {
                code: l.as_str(),
                name: Tr::native_name(l),
                href: format!("{}?{}lang={}", ctx.path, query, l.as_str()),
                current: l == ctx.lang,
            })
            .collect();
        let nav = if ctx.subject.is_some() {
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
            signed_in: ctx.subject.is_some(),
            staff: ctx.staff.is_some() && ctx.path.starts_with("/admin"),
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
