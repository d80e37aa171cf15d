//! Signing in to the preference centre: a single-use link by e-mail
//! (`/login`), or a subject token from the company's own site, both opened at
//! `/login/{secret}` and confirmed with one button posting to the fixed
//! `/login/confirm` (so a mail scanner that follows links cannot use them up,
//! and no part of a link ever becomes a form's target). Sign-out ends the session.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use kerro_store::is_sign_in_secret;

use super::ctx::{cookie, Ctx, Posted, SESSION_COOKIE};
use super::limits::Limit;
use super::signin_queue::SignInJob;
use super::Chrome;
use crate::app::blocking;

#[derive(askama::Template)]
#[template(path = "login.html")]
struct LoginPage {
    page: Chrome,
    error: String,
    email: String,
}

pub async fn page(ctx: Ctx) -> Response {
    if ctx.subject.is_some() {
        return ctx.redirect("/me");
    }
    let page = LoginPage {
        page: Chrome::new(&ctx, &ctx.tr.t("login-title"), ""),
        error: String::new(),
        email: String::new(),
    };
    ctx.page(StatusCode::OK, &page)
}

/// Queues a sign-in link for the address and answers at once, the same whether or
/// not the address is known: looking it up and mailing happen off the request path
/// (`signin_queue`), so neither the page nor its timing tells who is a customer.
pub async fn request(ctx: Ctx, posted: Posted) -> Response {
    if let Some(wait) = ctx.over_limit(Limit::SignIn) {
        return ctx.too_many(wait);
    }
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let typed = posted.get("email").unwrap_or("");
    let Ok(email) = kerro_core::email::canonical("email", typed) else {
        let page = LoginPage {
            page: Chrome::new(&ctx, &ctx.tr.t("login-title"), ""),
            error: ctx.tr.t("error-email"),
            email: typed.trim().to_owned(),
        };
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let lang = ctx.lang;
    if ctx.state.sign_in.push(SignInJob { email, lang }) {
        ctx.redirect("/login/sent")
    } else {
        ctx.error(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable")
    }
}

#[derive(askama::Template)]
#[template(path = "login_sent.html")]
struct SentPage {
    page: Chrome,
    text: String,
}

pub async fn sent(ctx: Ctx) -> Response {
    let page = SentPage {
        page: Chrome::new(&ctx, &ctx.tr.t("login-sent-title"), ""),
        text: ctx.tr.tn(
            "login-sent-text",
            "minutes",
            i64::from(ctx.state.app.config.web.login_link_minutes),
        ),
    };
    ctx.page(StatusCode::OK, &page)
}

#[derive(askama::Template)]
#[template(path = "login_confirm.html")]
struct ConfirmPage {
    page: Chrome,
    secret: String,
}

/// The page a link opens. Only a secret of the exact shape kerro issues is shown,
/// and only inside a hidden field; anything else is 400 before rendering.
pub async fn confirm_page(ctx: Ctx, Path(secret): Path<String>) -> Response {
    if !is_sign_in_secret(&secret) {
        return ctx.error(StatusCode::BAD_REQUEST, "error-link-invalid");
    }
    let page = ConfirmPage {
        page: Chrome::new(&ctx, &ctx.tr.t("login-confirm-title"), ""),
        secret,
    };
    ctx.page(StatusCode::OK, &page)
}

/// `GET /login/confirm` (a bookmarked or retyped form target) leads to the sign-in page.
pub async fn confirm_get(ctx: Ctx) -> Response {
    ctx.redirect("/login")
}

pub async fn confirm(mut ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let secret = posted.get("secret").unwrap_or("").to_owned();
    if !is_sign_in_secret(&secret) {
        return ctx.error(StatusCode::BAD_REQUEST, "error-link-invalid");
    }
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let ttl = Duration::minutes(i64::from(ctx.state.app.config.web.session_minutes));
    let old = ctx.session_secret.clone();
    let result = blocking(move || {
        if let Some(old) = old {
            store.end_web_session(now, &old)?;
        }
        store.sign_in_with_link(now, &secret, ttl)
    })
    .await;
    match result {
        Ok(Some((_, session))) => {
            let secure = ctx.state.secure_cookies();
            ctx.set_cookie(cookie(SESSION_COOKIE, &session, ttl.num_seconds(), secure));
            ctx.redirect("/me")
        }
        Ok(None) => ctx.error(StatusCode::BAD_REQUEST, "error-link-invalid"),
        Err(_) => ctx.error(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
    }
}

pub async fn logout(ctx: Ctx, posted: Posted) -> Response {
    let secret = ctx.session_secret.clone();
    let mut ctx = match ctx.end_session(&posted, secret).await {
        Ok(ctx) => ctx,
        Err(page) => return page,
    };
    let secure = ctx.state.secure_cookies();
    ctx.set_cookie(cookie(SESSION_COOKIE, "", 0, secure));
    let lang = ctx.lang;
    ctx.redirect(&format!("/login?lang={lang}&signed_out=1"))
}
