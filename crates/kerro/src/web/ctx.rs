//! What every page request carries: its language (switch, then the subject's
//! locale, then `Accept-Language`), the signed-in subject or staff member from
//! the session cookie, the CSRF token, Global Privacy Control, and the cookies
//! the response must set. Also the posted-form body and friendly error pages.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::{Duration, Utc};
use kerro_core::{Actor, Lang, Role, SubjectId};
use kerro_store::WebSession;
use rand::RngCore;

use super::i18n::Tr;
use super::WebState;
use crate::http::blocking;

pub const SESSION_COOKIE: &str = "kerro_session";
pub const STAFF_COOKIE: &str = "kerro_staff";
pub const CSRF_COOKIE: &str = "kerro_csrf";
pub const LANG_COOKIE: &str = "kerro_lang";

/// How long a stateless form token (for embedded forms without cookies) stays valid.
const FORM_TOKEN_HOURS: i64 = 4;

/// The language for a request: an explicit switch, then the subject's own
/// locale, then `Accept-Language`, then the configured default.
pub fn choose_lang(
    switch: Option<Lang>,
    subject_locale: Option<Lang>,
    accept_language: Option<&str>,
    default: Lang,
) -> Lang {
    switch
        .or(subject_locale)
        .or_else(|| accept_language.and_then(parse_accept_language))
        .unwrap_or(default)
}

/// The supported language with the highest quality in an `Accept-Language` header.
pub fn parse_accept_language(header: &str) -> Option<Lang> {
    let mut best: Option<(f32, Lang)> = None;
    for part in header.split(',') {
        let mut pieces = part.trim().split(';');
        let tag = pieces.next().unwrap_or("").trim();
        let q = pieces
            .find_map(|p| p.trim().strip_prefix("q="))
            .and_then(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        if let Some(lang) = Lang::parse(tag) {
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, lang));
            }
        }
    }
    best.map(|(_, l)| l)
}

pub fn cookies(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

fn random_value() -> String {
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// One request's context.
pub struct Ctx {
    pub state: WebState,
    pub tr: Tr,
    pub lang: Lang,
    /// The path without query, for the language switch.
    pub path: String,
    pub subject: Option<SubjectId>,
    pub session_secret: Option<String>,
    pub staff: Option<(String, Role)>,
    pub staff_secret: Option<String>,
    /// Whether the browser already sent a cookie that seeds the CSRF token.
    pub has_cookie_seed: bool,
    csrf_seed: String,
    /// `Sec-GPC: 1` was sent.
    pub gpc: bool,
    pub embed: bool,
    /// The query string's pairs.
    pub query: Vec<(String, String)>,
    set_cookies: Vec<String>,
}

impl FromRequestParts<WebState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let jar = cookies(&parts.headers);
        let get = |name: &str| {
            jar.iter()
                .find(|(k, v)| k == name && !v.is_empty())
                .map(|(_, v)| v.clone())
        };
        let query: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default();
        let switch = query
            .iter()
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(v));
        let embed = query.iter().any(|(k, v)| k == "embed" && v == "1");
        let now = state.app.now();
        let store = state.app.store.clone();
        let (session_secret, staff_secret) = (get(SESSION_COOKIE), get(STAFF_COOKIE));
        let (s1, s2) = (session_secret.clone(), staff_secret.clone());
        let (subject, staff, locale) = blocking(move || {
            let subject = match &s1 {
                Some(s) => match store.web_session(now, s)? {
                    Some(WebSession::Subject(id)) => Some(id),
                    _ => None,
                },
                None => None,
            };
            let staff = match &s2 {
                Some(s) => match store.web_session(now, s)? {
                    Some(WebSession::Staff { token_id, role }) => Some((token_id, role)),
                    _ => None,
                },
                None => None,
            };
            let locale = match &subject {
                Some(id) => store.subject_locale(id)?,
                None => None,
            };
            Ok((subject, staff, locale))
        })
        .await
        .map_err(|_| {
            let tr = Tr::new(
                state.l10n.clone(),
                state.app.config.default_language,
                state.app.config.default_language,
            );
            error_page(&tr, StatusCode::SERVICE_UNAVAILABLE, "error-unavailable")
        })?;
        let remembered = get(LANG_COOKIE).as_deref().and_then(Lang::parse);
        let accept = parts
            .headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let default = state.app.config.default_language;
        let lang = choose_lang(switch.or(remembered), locale, accept, default);
        let gpc = parts
            .headers
            .get("sec-gpc")
            .is_some_and(|v| v.as_bytes() == b"1");

        let secure = state.secure_cookies();
        let mut set_cookies = Vec::new();
        if let Some(l) = switch {
            set_cookies.push(cookie(LANG_COOKIE, l.as_str(), 365 * 24 * 3600, secure));
        }
        // The CSRF token is bound to a cookie: the session when there is one, else a
        // random pre-session cookie set here.
        let staff_seed = staff.as_ref().and(staff_secret.clone());
        let subject_seed = subject.as_ref().and(session_secret.clone());
        let anon = get(CSRF_COOKIE);
        let has_cookie_seed = staff_seed.is_some() || subject_seed.is_some() || anon.is_some();
        let csrf_seed = match staff_seed.or(subject_seed).or(anon) {
            Some(s) => s,
            None => {
                let v = random_value();
                set_cookies.push(cookie(CSRF_COOKIE, &v, 24 * 3600, secure));
                v
            }
        };
        let ctx = Ctx {
            tr: Tr::new(state.l10n.clone(), lang, default),
            lang,
            path: parts.uri.path().to_owned(),
            subject,
            session_secret,
            staff,
            staff_secret,
            has_cookie_seed,
            csrf_seed,
            gpc,
            embed,
            query,
            set_cookies,
            state: state.clone(),
        };
        if ctx.gpc {
            ctx.honour_gpc().await;
        }
        Ok(ctx)
    }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Secure when kerro is served over TLS.
pub fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    )
}

impl Ctx {
    /// The query string without `lang`, ready to take `lang=..` appended.
    pub fn query_without_lang(&self) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        let mut any = false;
        for (k, v) in self.query.iter().filter(|(k, _)| k != "lang") {
            s.append_pair(k, v);
            any = true;
        }
        if any {
            s.finish() + "&"
        } else {
            String::new()
        }
    }

    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// P17: `Sec-GPC: 1` from a signed-in subject records an objection to sharing (once).
    async fn honour_gpc(&self) {
        let Some(id) = self.subject.clone() else {
            return;
        };
        let (store, now) = (self.state.app.store.clone(), self.state.app.now());
        let result = blocking(move || {
            if store.objected_sharing(&id)? {
                return Ok(false);
            }
            store.object_to_sharing(&Actor::Subject(id.clone()), now, &id, "gpc")
        })
        .await;
        if let Err(e) = result {
            tracing::warn!("could not record a GPC objection: {:?}", e.0);
        }
    }

    /// The CSRF token for forms on this page.
    pub fn csrf(&self) -> String {
        self.state.app.store.web_mac("csrf", &self.csrf_seed)
    }

    /// Whether a posted CSRF token is the one bound to this browser's cookie.
    pub fn csrf_ok(&self, posted: &Posted) -> bool {
        self.has_cookie_seed && posted.get("csrf").is_some_and(|t| t == self.csrf())
    }

    /// A token for an anonymous form submission that does not rely on cookies (a form
    /// embedded in another site's page may get none). It proves the page was fetched from
    /// kerro recently; a submission carrying only it never signs the browser in.
    pub fn form_token(&self, form: &str) -> String {
        let issued = self.state.app.now().timestamp();
        let mac = self
            .state
            .app
            .store
            .web_mac("form", &format!("{form}|{issued}"));
        format!("{issued}.{mac}")
    }

    pub fn form_token_ok(&self, form: &str, token: &str) -> bool {
        let Some((issued, mac)) = token.split_once('.') else {
            return false;
        };
        let Ok(at) = issued.parse::<i64>() else {
            return false;
        };
        let now = self.state.app.now().timestamp();
        let fresh = at <= now + 60 && now - at <= Duration::hours(FORM_TOKEN_HOURS).num_seconds();
        fresh
            && self
                .state
                .app
                .store
                .web_mac("form", &format!("{form}|{at}"))
                == mac
    }

    pub fn set_cookie(&mut self, value: String) {
        self.set_cookies.push(value);
    }

    /// Attaches the cookies this request decided on to a response.
    pub fn finish(self, resp: impl IntoResponse) -> Response {
        let mut resp = resp.into_response();
        for c in self.set_cookies {
            if let Ok(v) = HeaderValue::from_str(&c) {
                resp.headers_mut().append(header::SET_COOKIE, v);
            }
        }
        resp
    }

    /// Renders a template into a page response.
    pub fn page(self, status: StatusCode, tmpl: &impl askama::Template) -> Response {
        match tmpl.render() {
            Ok(html) => self.finish((status, Html(html))),
            Err(e) => {
                tracing::error!("template failed: {e}");
                let r = error_page(
                    &self.tr,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "error-internal",
                );
                self.finish(r)
            }
        }
    }

    pub fn redirect(self, to: &str) -> Response {
        self.finish(Redirect::to(to))
    }

    /// A friendly error page in the request's language.
    pub fn error(self, status: StatusCode, message_id: &str) -> Response {
        let r = error_page(&self.tr, status, message_id);
        self.finish(r)
    }

    /// The 403 page for a missing or wrong CSRF token.
    /// A sign-out: checks the CSRF token and ends the session behind `secret`
    /// (if any). `Err` is the page to answer with instead.
    pub async fn end_session(
        self,
        posted: &Posted,
        secret: Option<String>,
    ) -> Result<Ctx, Response> {
        if !self.csrf_ok(posted) {
            return Err(self.csrf_failed());
        }
        if let Some(secret) = secret {
            let store = self.state.app.store.clone();
            if blocking(move || store.end_web_session(&secret))
                .await
                .is_err()
            {
                return Err(self.error(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"));
            }
        }
        Ok(self)
    }

    pub fn csrf_failed(self) -> Response {
        self.error(StatusCode::FORBIDDEN, "error-csrf")
    }

    /// Sends a subject who is not signed in to the sign-in page.
    pub fn sign_in_first(self) -> Response {
        let lang = self.lang;
        self.redirect(&format!("/login?lang={lang}"))
    }

    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.state.app.now()
    }
}

#[derive(askama::Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    page: super::Chrome,
    heading: String,
    message: String,
    tr: &'a Tr,
}

/// An error page: a heading, a sentence, links onwards. Never a stack trace.
pub fn error_page(tr: &Tr, status: StatusCode, message_id: &str) -> Response {
    let heading_id = if status == StatusCode::NOT_FOUND {
        "error-not-found-title"
    } else if status == StatusCode::FORBIDDEN {
        "error-forbidden-title"
    } else {
        "error-title"
    };
    let page = ErrorPage {
        page: super::Chrome::plain(tr, &tr.t(heading_id)),
        heading: tr.t(heading_id),
        message: tr.t(message_id),
        tr,
    };
    match askama::Template::render(&page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, tr.t(message_id)).into_response(),
    }
}

/// A posted `application/x-www-form-urlencoded` body, keeping repeated names (multi-choice).
pub struct Posted(pub Vec<(String, String)>);

impl Posted {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl<S: Send + Sync> FromRequest<S> for Posted {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let bytes = Bytes::from_request(req, state).await.map_err(|_| {
            (StatusCode::PAYLOAD_TOO_LARGE, "the form is too large").into_response()
        })?;
        Ok(Posted(
            form_urlencoded::parse(&bytes).into_owned().collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language() {
        for (header, expected) in [
            ("fi-FI,fi;q=0.9,en;q=0.8", Some(Lang::Fi)),
            ("de-DE,sv;q=0.5,en;q=0.7", Some(Lang::En)),
            ("sv-SE", Some(Lang::Sv)),
            ("de, fr;q=0.5", None),
            ("en;q=0, fi;q=0.1", Some(Lang::Fi)),
            ("", None),
        ] {
            assert_eq!(parse_accept_language(header), expected, "{header}");
        }
        assert_eq!(
            choose_lang(None, Some(Lang::Sv), Some("en"), Lang::Fi),
            Lang::Sv
        );
        assert_eq!(
            choose_lang(Some(Lang::En), Some(Lang::Sv), None, Lang::Fi),
            Lang::En
        );
        assert_eq!(choose_lang(None, None, Some("en-GB"), Lang::Fi), Lang::En);
        assert_eq!(choose_lang(None, None, None, Lang::Sv), Lang::Sv);
    }
}
