//! Signing in to the preference centre: a single-use link by e-mail
//! (`/login`), or a subject token from the company's own site, both opened at
//! `/login/{secret}` and confirmed with one button (so a mail scanner that
//! follows links cannot use them up). Sign-out ends the session.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Duration;
use kerro_core::Actor;

use super::ctx::{cookie, Ctx, Posted, SESSION_COOKIE};
use super::Chrome;
use crate::http::blocking;

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

fn looks_like_email(s: &str) -> bool {
    s.split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.ends_with('.'))
        && !s.contains(char::is_whitespace)
        && s.len() <= 254
}

/// Sends a sign-in link to every live subject with this address. The answer is the
/// same whether or not the address is known, so the page reveals nothing.
pub async fn request(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let email = posted.get("email").map(str::trim).unwrap_or("").to_owned();
    if !looks_like_email(&email) {
        let page = LoginPage {
            page: Chrome::new(&ctx, &ctx.tr.t("login-title"), ""),
            error: ctx.tr.t("error-email"),
            email,
        };
        return ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let store = ctx.state.app.store.clone();
    let mailer = ctx.state.mailer.clone();
    let now = ctx.now();
    let cfg = ctx.state.app.config.clone();
    let ttl = Duration::minutes(i64::from(cfg.web.login_link_minutes));
    let (tr, base) = (ctx.tr.clone(), cfg.public_url());
    let result = blocking(move || {
        let mut links = Vec::new();
        for id in store.find_by_email(&email)? {
            let actor = Actor::System("web-sign-in".into());
            if let Some(secret) = store.issue_login_link(&actor, now, &id, ttl)? {
                links.push(format!("{base}/login/{secret}"));
            }
        }
        if links.is_empty() {
            return Ok(());
        }
        let minutes = i64::from(cfg.web.login_link_minutes);
        let body = format!(
            "{}\n\n{}\n\n{}\n",
            tr.t("mail-body-intro"),
            links.join("\n\n"),
            tr.tn("mail-body-expiry", "minutes", minutes)
        );
        if let Err(e) = mailer.send(&email, &tr.t("mail-subject"), body) {
            tracing::error!("could not send a sign-in link: {e}");
        }
        if cfg.mail.print_links {
            for l in &links {
                println!("sign-in link (demo): {l}");
            }
        }
        Ok(())
    })
    .await;
    match result {
        Ok(()) => ctx.redirect("/login/sent"),
        Err(_) => ctx.error(StatusCode::SERVICE_UNAVAILABLE, "error-unavailable"),
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

pub async fn confirm_page(ctx: Ctx, Path(secret): Path<String>) -> Response {
    let page = ConfirmPage {
        page: Chrome::new(&ctx, &ctx.tr.t("login-confirm-title"), ""),
        secret,
    };
    ctx.page(StatusCode::OK, &page)
}

pub async fn confirm(mut ctx: Ctx, Path(secret): Path<String>, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    let ttl = Duration::minutes(i64::from(ctx.state.app.config.web.session_minutes));
    let old = ctx.session_secret.clone();
    let result = blocking(move || {
        if let Some(old) = old {
            store.end_web_session(&old)?;
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
