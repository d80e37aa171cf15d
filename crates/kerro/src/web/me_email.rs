//! The preference centre's e-mail address (`/me/email`): the address in
//! use, one waiting for confirmation, and changing it. A new address waits
//! for its owner to follow the link mailed to it (double opt-in); the old
//! one stays in use until then. The store issues the link and the mail
//! thread (`confirm_mail`) sends it.

use axum::http::StatusCode;
use axum::response::Response;
use kerro_core::contact::EmailStatus;
use kerro_core::Actor;
use kerro_store::EmailState;

use super::ctx::{Ctx, Posted};
use super::Chrome;
use crate::app::blocking;

#[derive(askama::Template)]
#[template(path = "me_email.html")]
struct EmailPage {
    page: Chrome,
    email: String,
    pending: String,
    typed: String,
    error: String,
    sent: bool,
}

fn email_page(ctx: &Ctx, state: &EmailState, typed: String, error: String) -> EmailPage {
    EmailPage {
        page: Chrome::new(ctx, &ctx.tr.t("email-title"), "/me/contact"),
        email: match state.status {
            EmailStatus::Verified => state.email.clone().unwrap_or_default(),
            _ => String::new(),
        },
        pending: state.pending.clone().unwrap_or_default(),
        typed,
        error,
        sent: ctx.query_value("sent").is_some(),
    }
}

pub async fn page(ctx: Ctx) -> Response {
    let Some(id) = ctx.subject.clone() else {
        return ctx.sign_in_first();
    };
    let store = ctx.state.app.store.clone();
    match blocking(move || store.email_state(&id)).await {
        Ok(state) => {
            let page = email_page(&ctx, &state, String::new(), String::new());
            ctx.page(StatusCode::OK, &page)
        }
        Err(e) => ctx.failed(&e),
    }
}

pub async fn save(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let Some(id) = ctx.subject.clone() else {
        return ctx.sign_in_first();
    };
    let typed = posted.get("email").map(str::trim).unwrap_or("").to_owned();
    let store = ctx.state.app.store.clone();
    if kerro_core::email::canonical("email", &typed).is_err() {
        let msg = ctx.tr.t("error-email");
        return match blocking(move || store.email_state(&id)).await {
            Ok(state) => {
                let page = email_page(&ctx, &state, typed, msg);
                ctx.page(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            Err(e) => ctx.failed(&e),
        };
    }
    let now = ctx.now();
    match blocking(move || store.change_email(&Actor::Subject(id.clone()), now, &id, &typed)).await
    {
        Ok(_) => ctx.redirect("/me/email?sent=1"),
        Err(e) => ctx.failed(&e),
    }
}
