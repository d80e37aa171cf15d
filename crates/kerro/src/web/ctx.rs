//! What every page request carries: its language (switch, then the subject's
//! locale, then `Accept-Language`), the signed-in subject or staff member from
//! the session cookie, the CSRF token, single-use form tokens, Global Privacy
//! Control, the client's address for rate limits, and the cookies the response
//! must set. Also the posted-form body and friendly error pages.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::{Duration, Utc};
use kerro_core::{Actor, ErrorCode, Lang, Role, SubjectId};
use kerro_store::WebSession;
use rand::RngCore;
use std::net::IpAddr;

use super::i18n::Tr;
use super::limits::{client_ip, Limit};
use super::WebState;
use crate::app::{blocking, AppError};

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
    /// The signed-in staff member (a full session, or one that may only enrol a second factor).
    pub staff: Option<StaffUser>,
    pub staff_secret: Option<String>,
    /// Whether the browser already sent a cookie that seeds the CSRF token.
    pub has_cookie_seed: bool,
    csrf_seed: String,
    /// `Sec-GPC: 1` was sent.
    pub gpc: bool,
    pub embed: bool,
    /// The query string's pairs.
    pub query: Vec<(String, String)>,
    /// Who is asking, for rate limits (`limits::client_ip`).
    pub client: IpAddr,
    /// The browser's `User-Agent`, shown in a staff member's list of sessions.
    pub user_agent: String,
    set_cookies: Vec<String>,
}

/// A staff member signed in to the pages.
#[derive(Debug, Clone)]
pub struct StaffUser {
    pub account: String,
    pub name: String,
    pub role: Role,
    pub session: String,
    /// `false` while the session may only enrol the second factor the role needs.
    pub full: bool,
}

impl StaffUser {
    pub fn actor(&self) -> Actor {
        Actor::Staff {
            id: self.account.clone(),
            role: self.role,
        }
    }
}

/// A form token that passed its check: the key it is remembered by once used, and
/// until when it would have been accepted.
pub struct FormToken {
    pub used_key: String,
    pub expires_at: chrono::DateTime<Utc>,
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
        let client = client_ip(parts, &state.app.config.web.trusted_proxies);
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
                Some(s) => match store.staff_session(now, s)? {
                    Some(live) => {
                        if live.touch_due {
                            store.touch_staff_session(now, &live.id)?;
                        }
                        Some(StaffUser {
                            account: live.account.id,
                            name: live.account.name,
                            role: live.account.role,
                            session: live.id,
                            full: live.stage == kerro_store::Stage::Full,
                        })
                    }
                    None => None,
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
        let default = state.app.config.default_language;
        let remembered = get(LANG_COOKIE).as_deref().and_then(Lang::parse);
        let accept = accept_language(&parts.headers);
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
            client,
            user_agent: parts
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned(),
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
    /// kerro recently, works once (`Store::use_form_token`) and never signs the browser in.
    /// Shape: `{issued}.{nonce}.{mac}`, the MAC over form, time and nonce.
    pub fn form_token(&self, form: &str) -> String {
        let issued = self.state.app.now().timestamp();
        let nonce = random_value();
        let mac = self
            .state
            .app
            .store
            .web_mac("form", &format!("{form}|{issued}|{nonce}"));
        format!("{issued}.{nonce}.{mac}")
    }

    /// Checks a form token's MAC and age (not whether it was used: that is a write).
    pub fn form_token_check(&self, form: &str, token: &str) -> Option<FormToken> {
        let mut parts = token.splitn(3, '.');
        let (issued, nonce, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let at = issued.parse::<i64>().ok()?;
        // One spelling per token: `0123` or `+123` for `123` would be another string,
        // hence another "unused" token, for the same signed values.
        if issued != at.to_string() {
            return None;
        }
        let issued_at = chrono::DateTime::<Utc>::from_timestamp(at, 0)?;
        let now = self.state.app.now();
        let lifetime = Duration::hours(FORM_TOKEN_HOURS);
        let expires_at = issued_at.checked_add_signed(lifetime)?;
        let fresh = issued_at <= now + Duration::minutes(1) && now <= expires_at;
        let store = &self.state.app.store;
        let signed = format!("{form}|{at}|{nonce}");
        let expected = store.web_mac("form", &signed);
        // Remembered by what was signed, not by the token's text.
        (fresh && expected == mac).then(|| FormToken {
            used_key: store.web_mac("form-used", &signed),
            expires_at,
        })
    }

    /// Takes one request from this client's allowance; over it, how long until the next
    /// is allowed (answer with `too_many`).
    pub fn over_limit(&self, which: Limit) -> Option<std::time::Duration> {
        self.state.limits.check(which, self.client).err()
    }

    /// 429 with `Retry-After` (whole seconds, at least 1) and a page saying when to try again.
    pub fn too_many(self, wait: std::time::Duration) -> Response {
        let seconds = wait.as_secs_f64().ceil().max(1.0) as i64;
        let mut page = too_many_page(&self.tr, seconds);
        if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
            page.headers_mut().insert(header::RETRY_AFTER, v);
        }
        self.finish(page)
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

    /// The page for a failed store call: see [`failure_page`].
    pub fn failed(self, e: &AppError) -> Response {
        let r = failure_page(&self.tr, e);
        self.finish(r)
    }

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
            let (store, now) = (self.state.app.store.clone(), self.now());
            if let Err(e) = blocking(move || store.end_web_session(now, &secret)).await {
                return Err(self.failed(&e));
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
    } else if status == StatusCode::TOO_MANY_REQUESTS {
        "error-too-many-title"
    } else {
        "error-title"
    };
    error_page_with(tr, status, heading_id, tr.t(message_id))
}

/// The one place a failed store call becomes a page: the status is the one
/// the API answers (`status_of`), the sentence says what happened: nothing
/// there, not allowed, try again (kerro's side failed), or refused.
pub fn failure_page(tr: &Tr, e: &AppError) -> Response {
    let message_id = match e.0.code {
        ErrorCode::NotFound | ErrorCode::Gone => "error-not-found",
        ErrorCode::Forbidden | ErrorCode::Unauthenticated => "error-forbidden",
        ErrorCode::Internal => "error-internal",
        ErrorCode::Unavailable => "error-unavailable",
        _ => "error-invalid",
    };
    error_page(tr, e.status(), message_id)
}

/// The 429 page: how many seconds until the client may try again.
fn too_many_page(tr: &Tr, seconds: i64) -> Response {
    let message = tr.tn("error-too-many", "seconds", seconds);
    error_page_with(
        tr,
        StatusCode::TOO_MANY_REQUESTS,
        "error-too-many-title",
        message,
    )
}

fn error_page_with(tr: &Tr, status: StatusCode, heading_id: &str, message: String) -> Response {
    let page = ErrorPage {
        page: super::Chrome::plain(tr, &tr.t(heading_id)),
        heading: tr.t(heading_id),
        message,
        tr,
    };
    match askama::Template::render(&page) {
        Ok(html) => (status, Html(html)).into_response(),
        Err(_) => (status, page.message).into_response(),
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

impl FromRequest<WebState> for Posted {
    type Rejection = Response;

    /// A body over the limit is 413, one that did not arrive in time 408, anything else
    /// unreadable 400: each as a page in the visitor's language.
    async fn from_request(req: Request, state: &WebState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let lang = request_lang(&parts, state);
        let req = Request::from_parts(parts, body);
        match Bytes::from_request(req, state).await {
            Ok(bytes) => Ok(Posted(
                form_urlencoded::parse(&bytes).into_owned().collect(),
            )),
            Err(rejection) => {
                let tr = Tr::new(state.l10n.clone(), lang, state.app.config.default_language);
                let (status, message) = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    (StatusCode::PAYLOAD_TOO_LARGE, "error-too-large")
                } else if crate::server::is_body_timeout(&rejection) {
                    (StatusCode::REQUEST_TIMEOUT, "error-timeout")
                } else {
                    (StatusCode::BAD_REQUEST, "error-csrf")
                };
                Err(error_page(&tr, status, message))
            }
        }
    }
}

/// The language of a posted body's error page, read before its session is known: the
/// switch (`?lang=`), the remembered choice, then `Accept-Language`.
fn request_lang(parts: &Parts, state: &WebState) -> Lang {
    let switch = parts.uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == "lang")
            .and_then(|(_, v)| Lang::parse(&v))
    });
    let remembered = cookies(&parts.headers)
        .into_iter()
        .find(|(k, _)| k == LANG_COOKIE)
        .and_then(|(_, v)| Lang::parse(&v));
    choose_lang(
        switch.or(remembered),
        None,
        accept_language(&parts.headers),
        state.app.config.default_language,
    )
}

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
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
