//! Confirming an e-mail address (double opt-in): the link mailed to it opens
//! `/confirm-email/{secret}`, a page in the subject's language with one
//! button that posts to the fixed `/confirm-email`. Opening the link changes
//! nothing (mail scanners follow links); only the post confirms. A used,
//! expired, unknown or superseded link, or one of an erased subject, gets
//! the same neutral page, so a link tells nothing about who is a customer.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use kerro_core::Lang;
use kerro_store::{is_confirm_secret, Confirmed};

use super::ctx::{Ctx, Posted};
use super::i18n::Tr;
use super::Chrome;
use crate::app::blocking;

#[derive(askama::Template)]
#[template(path = "confirm_email.html")]
struct ConfirmEmailPage {
    page: Chrome,
    secret: String,
    done: bool,
}

/// Speaks `lang` on this page, unless the visitor switched language.
fn speak(ctx: &mut Ctx, lang: Lang) {
    if ctx.query_value("lang").is_none() {
        ctx.lang = lang;
        ctx.tr = Tr::new(
            ctx.state.l10n.clone(),
            lang,
            ctx.state.app.config.default_language,
        );
    }
}

fn invalid(ctx: Ctx) -> Response {
    ctx.error(StatusCode::NOT_FOUND, "confirm-email-invalid")
}

/// The page the link opens: reads, never writes.
pub async fn page(mut ctx: Ctx, Path(secret): Path<String>) -> Response {
    if !is_confirm_secret(&secret) {
        return invalid(ctx);
    }
    let (store, now, probe) = (ctx.state.app.store.clone(), ctx.now(), secret.clone());
    match blocking(move || store.confirmation_lang(now, &probe)).await {
        Ok(Some(lang)) => {
            speak(&mut ctx, lang);
            let page = ConfirmEmailPage {
                page: Chrome::new(&ctx, &ctx.tr.t("confirm-email-title"), ""),
                secret,
                done: false,
            };
            ctx.page(StatusCode::OK, &page)
        }
        Ok(None) => invalid(ctx),
        Err(e) => ctx.failed(&e),
    }
}

/// `GET /confirm-email` (a bookmarked or retyped form target) leads to the start page.
pub async fn confirm_get(ctx: Ctx) -> Response {
    ctx.redirect("/")
}

/// The button: confirms the address behind the link, once.
pub async fn confirm(mut ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let secret = posted.get("secret").unwrap_or("").to_owned();
    if !is_confirm_secret(&secret) {
        return invalid(ctx);
    }
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    match blocking(move || store.confirm_email(now, &secret)).await {
        Ok(Confirmed::Done { lang, .. }) => {
            speak(&mut ctx, lang);
            let page = ConfirmEmailPage {
                page: Chrome::new(&ctx, &ctx.tr.t("confirm-email-done-title"), ""),
                secret: String::new(),
                done: true,
            };
            ctx.page(StatusCode::OK, &page)
        }
        Ok(Confirmed::Invalid) => invalid(ctx),
        Err(e) => ctx.failed(&e),
    }
}
