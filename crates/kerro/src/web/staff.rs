//! Staff sign-in for the pages: e-mail, password and TOTP code at
//! `/admin/login`; the invite link (`/admin/invite`) that sets a password; the
//! second factor's enrolment with its QR code and recovery codes
//! (`/admin/enrol`); a person's own sessions (`/admin/sessions`) and, for
//! admins, everyone's (`/admin/staff`). Sessions are HttpOnly, SameSite=Strict
//! cookies on `/admin`, idle 30 minutes, at most 12 hours.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use kerro_core::staff::SESSION_ABSOLUTE_HOURS;
use kerro_core::{Actor, Role};
use kerro_store::{SessionInfo, SignIn, StaffAccount, Stage};

use super::ctx::{Ctx, Posted, StaffUser, STAFF_COOKIE};
use super::limits::Limit;
use super::Chrome;
use crate::app::blocking;

fn staff_cookie(value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{STAFF_COOKIE}={value}; Path=/admin; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// Starts the browser's staff session and sends it where its stage allows.
fn signed_in(mut ctx: Ctx, secret: &str, stage: Stage) -> Response {
    let secure = ctx.state.secure_cookies();
    ctx.set_cookie(staff_cookie(secret, SESSION_ABSOLUTE_HOURS * 3600, secure));
    let lang = ctx.lang;
    match stage {
        Stage::Full => ctx.redirect(&format!("/admin?lang={lang}")),
        Stage::Enrol => ctx.redirect(&format!("/admin/enrol?lang={lang}")),
    }
}

/// Whether a staff page may be shown: to a full session holding one of the
/// page's roles; a session that may only enrol its second factor reads nothing.
pub enum Access {
    Allowed(Actor),
    Anonymous,
    Forbidden,
}

pub fn access(ctx: &Ctx, roles: &[Role]) -> Access {
    match &ctx.staff {
        None => Access::Anonymous,
        Some(s) if !s.full => Access::Anonymous,
        Some(s) if roles.contains(&s.role) => Access::Allowed(s.actor()),
        Some(_) => Access::Forbidden,
    }
}

/// The acting staff member if `access` allows, else returns the sign-in
/// page (no or a partial session) or 403 from the handler.
macro_rules! allowed_or_return {
    ($ctx:ident, $roles:expr) => {
        match $crate::web::staff::access(&$ctx, $roles) {
            $crate::web::staff::Access::Allowed(actor) => actor,
            $crate::web::staff::Access::Anonymous => {
                let lang = $ctx.lang;
                return $ctx.redirect(&format!("/admin/login?lang={lang}"));
            }
            $crate::web::staff::Access::Forbidden => {
                return $ctx.error(axum::http::StatusCode::FORBIDDEN, "error-forbidden")
            }
        }
    };
}
pub(crate) use allowed_or_return;

/// The signed-in staff member with a full session, or the page to answer instead.
/// (`async` only so the large `Err` costs nothing in the caller's frame until awaited.)
pub async fn require_staff(ctx: Ctx) -> Result<(Ctx, StaffUser), Response> {
    match ctx.staff.clone() {
        Some(s) if s.full => Ok((ctx, s)),
        Some(_) => {
            let lang = ctx.lang;
            Err(ctx.redirect(&format!("/admin/enrol?lang={lang}")))
        }
        None => {
            let lang = ctx.lang;
            Err(ctx.redirect(&format!("/admin/login?lang={lang}")))
        }
    }
}

#[derive(askama::Template)]
#[template(path = "admin_login.html")]
struct LoginPage {
    page: Chrome,
    error: String,
    email: String,
}

fn login_form(ctx: Ctx, status: StatusCode, error: String, email: String) -> Response {
    let page = LoginPage {
        page: Chrome::new(&ctx, &ctx.tr.t("admin-login-title"), ""),
        error,
        email,
    };
    ctx.page(status, &page)
}

pub async fn login_page(ctx: Ctx) -> Response {
    if ctx.staff.as_ref().is_some_and(|s| s.full) {
        return ctx.redirect("/admin");
    }
    login_form(ctx, StatusCode::OK, String::new(), String::new())
}

pub async fn login(ctx: Ctx, posted: Posted) -> Response {
    if let Some(wait) = ctx.over_limit(Limit::SignIn) {
        return ctx.too_many(wait);
    }
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let field = |k: &str| posted.get(k).unwrap_or("").to_owned();
    let (email, password, code) = (field("email"), field("password"), field("code"));
    let (store, now, ua) = (
        ctx.state.app.store.clone(),
        ctx.now(),
        ctx.user_agent.clone(),
    );
    let shown = email.trim().chars().take(254).collect::<String>();
    match blocking(move || store.staff_sign_in(now, &email, &password, &code, &ua)).await {
        Ok(SignIn::Session { secret, stage, .. }) => signed_in(ctx, &secret, stage),
        // A locked account answers as a wrong password does (the message says sign-in
        // pauses after repeated failures), so the answer never tells which addresses exist.
        Ok(SignIn::Failed | SignIn::Locked(_)) => {
            let msg = ctx.tr.t("admin-login-failed");
            login_form(ctx, StatusCode::UNAUTHORIZED, msg, shown)
        }
        Err(e) => ctx.failed(&e),
    }
}

pub async fn logout(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let mut ctx = ctx;
    if let Some(secret) = ctx.staff_secret.clone() {
        let (store, now) = (ctx.state.app.store.clone(), ctx.now());
        if let Err(e) = blocking(move || store.staff_sign_out(now, &secret)).await {
            return ctx.failed(&e);
        }
    }
    let secure = ctx.state.secure_cookies();
    ctx.set_cookie(staff_cookie("", 0, secure));
    let lang = ctx.lang;
    ctx.redirect(&format!("/admin/login?lang={lang}"))
}

#[derive(askama::Template)]
#[template(path = "staff_invite.html")]
struct InvitePage {
    page: Chrome,
    account: StaffAccount,
    token: String,
    error: String,
    min: usize,
    min_count: i64,
}

/// The invite's account, or the "link no longer works" page.
async fn invited(ctx: Ctx, token: &str) -> Result<(Ctx, StaffAccount), Response> {
    let (store, now, t) = (ctx.state.app.store.clone(), ctx.now(), token.to_owned());
    match blocking(move || store.staff_invite(now, &t)).await {
        Ok(Some(a)) => Ok((ctx, a)),
        Ok(None) => Err(ctx.error(StatusCode::GONE, "admin-invite-invalid")),
        Err(e) => Err(ctx.failed(&e)),
    }
}

fn invite_form(
    ctx: Ctx,
    status: StatusCode,
    account: StaffAccount,
    token: String,
    error: String,
) -> Response {
    let page = InvitePage {
        page: Chrome::new(&ctx, &ctx.tr.t("admin-invite-title"), ""),
        account,
        token,
        error,
        min: kerro_core::staff::PASSWORD_MIN_CHARS,
        min_count: kerro_core::staff::PASSWORD_MIN_CHARS as i64,
    };
    ctx.page(status, &page)
}

pub async fn invite_page(ctx: Ctx) -> Response {
    let token = ctx.query_value("token").unwrap_or("").to_owned();
    match invited(ctx, &token).await {
        Ok((ctx, account)) => invite_form(ctx, StatusCode::OK, account, token, String::new()),
        Err(page) => page,
    }
}

pub async fn accept_invite(ctx: Ctx, posted: Posted) -> Response {
    if let Some(wait) = ctx.over_limit(Limit::Invite) {
        return ctx.too_many(wait);
    }
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let token = posted.get("token").unwrap_or("").to_owned();
    let (password, again) = (
        posted.get("password").unwrap_or(""),
        posted.get("password_again").unwrap_or(""),
    );
    let (ctx, account) = match invited(ctx, &token).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if password != again {
        let msg = ctx.tr.t("admin-password-mismatch");
        return invite_form(ctx, StatusCode::UNPROCESSABLE_ENTITY, account, token, msg);
    }
    let password = password.to_owned();
    let (store, now, ua, t) = (
        ctx.state.app.store.clone(),
        ctx.now(),
        ctx.user_agent.clone(),
        token.clone(),
    );
    match blocking(move || store.accept_staff_invite(now, &t, &password, &ua)).await {
        Ok(Some(SignIn::Session { secret, stage, .. })) => signed_in(ctx, &secret, stage),
        Ok(_) => ctx.error(StatusCode::GONE, "admin-invite-invalid"),
        // A password the rules refuse: shown beside the field, with the rule's message.
        Err(e) if e.0.field.as_deref() == Some("password") => {
            let msg = format!("{} {}", ctx.tr.t("admin-password-rule"), e.0.message);
            invite_form(ctx, StatusCode::UNPROCESSABLE_ENTITY, account, token, msg)
        }
        Err(e) => ctx.failed(&e),
    }
}

#[derive(askama::Template)]
#[template(path = "staff_enrol.html")]
struct EnrolPage {
    page: Chrome,
    qr_svg: String,
    secret: String,
    error: String,
}

#[derive(askama::Template)]
#[template(path = "staff_codes.html")]
struct CodesPage {
    page: Chrome,
    codes: Vec<String>,
    download: String,
}

/// The enrolling staff member, or the page to answer instead.
async fn enrolling(ctx: Ctx) -> Result<(Ctx, StaffUser), Response> {
    match ctx.staff.clone() {
        Some(s) if !s.full => Ok((ctx, s)),
        Some(_) => Err(ctx.redirect("/admin")),
        None => {
            let lang = ctx.lang;
            Err(ctx.redirect(&format!("/admin/login?lang={lang}")))
        }
    }
}

async fn enrol_form(ctx: Ctx, status: StatusCode, who: &StaffUser, error: String) -> Response {
    let (store, now, id) = (ctx.state.app.store.clone(), ctx.now(), who.account.clone());
    let e = match blocking(move || store.staff_enrolment(now, &id)).await {
        Ok(e) => e,
        Err(e) => return ctx.failed(&e),
    };
    let qr_svg = match qrcode::QrCode::new(e.otpauth_url.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
        Err(_) => String::new(),
    };
    // The SVG's own XML prologue is dropped: it is placed inside the page.
    let qr_svg = qr_svg
        .find("<svg")
        .map(|i| qr_svg[i..].to_owned())
        .unwrap_or_default();
    let page = EnrolPage {
        page: Chrome::new(&ctx, &ctx.tr.t("admin-enrol-title"), ""),
        qr_svg,
        secret: e.secret_base32,
        error,
    };
    ctx.page(status, &page)
}

pub async fn enrol_page(ctx: Ctx) -> Response {
    match enrolling(ctx).await {
        Ok((ctx, who)) => enrol_form(ctx, StatusCode::OK, &who, String::new()).await,
        Err(page) => page,
    }
}

pub async fn enrol(ctx: Ctx, posted: Posted) -> Response {
    if let Some(wait) = ctx.over_limit(Limit::SecondFactor) {
        return ctx.too_many(wait);
    }
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let (ctx, who) = match enrolling(ctx).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let code = posted.get("code").unwrap_or("").to_owned();
    let Some(session) = ctx.staff_secret.clone() else {
        return ctx.error(StatusCode::FORBIDDEN, "error-forbidden");
    };
    let (store, now, id) = (ctx.state.app.store.clone(), ctx.now(), who.account.clone());
    match blocking(move || store.confirm_staff_enrolment(now, &id, &session, &code)).await {
        Ok(Some(codes)) => {
            let text = codes.join("\r\n") + "\r\n";
            let download = format!(
                "data:text/plain;charset=utf-8,{}",
                form_urlencoded::byte_serialize(text.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20")
            );
            let page = CodesPage {
                page: Chrome::new(&ctx, &ctx.tr.t("admin-codes-title"), ""),
                codes,
                download,
            };
            ctx.page(StatusCode::OK, &page)
        }
        Ok(None) => {
            let msg = ctx.tr.t("admin-code-wrong");
            enrol_form(ctx, StatusCode::UNPROCESSABLE_ENTITY, &who, msg).await
        }
        Err(e) => ctx.failed(&e),
    }
}

pub struct SessionRow {
    pub id: String,
    pub who: String,
    pub user_agent: String,
    pub started: String,
    pub last_seen: String,
    pub current: bool,
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn rows(sessions: Vec<SessionInfo>, current: &str, names: &[StaffAccount]) -> Vec<SessionRow> {
    sessions
        .into_iter()
        .map(|s| SessionRow {
            who: names
                .iter()
                .find(|a| a.id == s.account)
                .map(|a| a.name.clone())
                .unwrap_or(s.account),
            current: s.id == current,
            started: when(s.created_at),
            last_seen: when(s.last_seen_at),
            user_agent: s.user_agent,
            id: s.id,
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "staff_sessions.html")]
struct SessionsPage {
    page: Chrome,
    sessions: Vec<SessionRow>,
    all: bool,
}

pub async fn sessions(ctx: Ctx) -> Response {
    let (ctx, who) = match require_staff(ctx).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let all = who.role == Role::Admin && ctx.query_value("all") == Some("1");
    let (store, now, id) = (ctx.state.app.store.clone(), ctx.now(), who.account.clone());
    let found = blocking(move || {
        let list = store.staff_sessions(now, (!all).then_some(id.as_str()))?;
        Ok((list, store.list_staff()?))
    })
    .await;
    match found {
        Ok((list, people)) => {
            let page = SessionsPage {
                page: Chrome::new(&ctx, &ctx.tr.t("admin-sessions-title"), "/admin/sessions"),
                sessions: rows(list, &who.session, &people),
                all,
            };
            ctx.page(StatusCode::OK, &page)
        }
        Err(e) => ctx.failed(&e),
    }
}

/// Ends one session: one's own, or anyone's for an admin.
pub async fn end_session(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let (ctx, who) = match require_staff(ctx).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let id = posted.get("session").unwrap_or("").to_owned();
    let of = (who.role != Role::Admin).then(|| who.account.clone());
    let (store, now, actor) = (ctx.state.app.store.clone(), ctx.now(), who.actor());
    match blocking(move || store.end_staff_session(&actor, now, &id, of.as_deref())).await {
        Ok(true) => {
            let lang = ctx.lang;
            ctx.redirect(&format!("/admin/sessions?lang={lang}"))
        }
        Ok(false) => ctx.error(StatusCode::NOT_FOUND, "error-not-found"),
        Err(e) => ctx.failed(&e),
    }
}

#[derive(askama::Template)]
#[template(path = "staff_people.html")]
struct PeoplePage {
    page: Chrome,
    people: Vec<StaffAccount>,
}

/// `/admin/staff`: everyone's accounts, for admins, with "end all sessions".
pub async fn people(ctx: Ctx) -> Response {
    let (ctx, who) = match require_staff(ctx).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if who.role != Role::Admin {
        return ctx.error(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let store = ctx.state.app.store.clone();
    match blocking(move || store.list_staff()).await {
        Ok(people) => {
            let page = PeoplePage {
                page: Chrome::new(&ctx, &ctx.tr.t("admin-staff-title"), "/admin/staff"),
                people,
            };
            ctx.page(StatusCode::OK, &page)
        }
        Err(e) => ctx.failed(&e),
    }
}

pub async fn end_sessions_of(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let (ctx, who) = match require_staff(ctx).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    if who.role != Role::Admin {
        return ctx.error(StatusCode::FORBIDDEN, "error-forbidden");
    }
    let account = posted.get("account").unwrap_or("").to_owned();
    let (store, now, actor) = (ctx.state.app.store.clone(), ctx.now(), who.actor());
    match blocking(move || store.end_staff_sessions(&actor, now, &account)).await {
        Ok(_) => {
            let lang = ctx.lang;
            ctx.redirect(&format!("/admin/staff?lang={lang}"))
        }
        Err(e) => ctx.failed(&e),
    }
}
