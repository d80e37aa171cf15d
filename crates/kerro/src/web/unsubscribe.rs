//! The one-click unsubscribe of every campaign message (RFC 8058, P19):
//! `GET /u/{token}` shows a page in the subject's language with one button
//! and changes nothing (mail scanners follow GET links); `POST /u/{token}`
//! with `List-Unsubscribe=One-Click` (what a mail client sends, as
//! `multipart/form-data` or `application/x-www-form-urlencoded`, with no
//! cookie) and the page's own button (`POST /u`) leave the channel for the
//! link's purpose at once. An erased subject's link gives a neutral page.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Path, Request};
use axum::http::{header, StatusCode};
use axum::response::Response;
use kerro_store::Unsubscribe;

use super::ctx::{Ctx, Posted};
use super::i18n::Tr;
use super::Chrome;
use crate::app::blocking;

#[derive(askama::Template)]
#[template(path = "unsubscribe.html")]
struct UnsubscribePage {
    page: Chrome,
    ask: bool,
    message: String,
    token: String,
}

/// The page, in the language of the link's subject where there is one.
fn render(mut ctx: Ctx, status: StatusCode, u: &Unsubscribe, ask: bool, token: String) -> Response {
    let message = match u {
        Unsubscribe::Subject {
            link,
            language,
            already,
        } => {
            ctx.lang = *language;
            ctx.tr = Tr::new(
                ctx.state.l10n.clone(),
                *language,
                ctx.state.app.config.default_language,
            );
            let purpose = ctx
                .state
                .app
                .store
                .schema()
                .schema
                .purposes
                .get(&link.purpose)
                .map(|p| ctx.tr.text(&p.title))
                .unwrap_or_else(|| link.purpose.to_string());
            let id = match (ask, already) {
                (_, true) => "unsubscribe-already",
                (true, false) => "unsubscribe-question",
                (false, false) => "unsubscribe-done",
            };
            ctx.tr.t1(id, "purpose", &purpose)
        }
        Unsubscribe::Erased => ctx.tr.t("unsubscribe-neutral"),
    };
    let ask = ask && matches!(u, Unsubscribe::Subject { already: false, .. });
    let page = UnsubscribePage {
        page: Chrome::new(&ctx, &ctx.tr.t("unsubscribe-title"), ""),
        ask,
        message,
        token,
    };
    ctx.page(status, &page)
}

/// A token that is not one of ours gets the neutral page too, as 404.
fn neutral(ctx: Ctx) -> Response {
    render(
        ctx,
        StatusCode::NOT_FOUND,
        &Unsubscribe::Erased,
        false,
        String::new(),
    )
}

/// `GET /u/{token}`: asks; changes nothing.
pub async fn page(ctx: Ctx, Path(token): Path<String>) -> Response {
    let store = ctx.state.app.store.clone();
    let t = token.clone();
    match blocking(move || store.unsubscribe_view(&t)).await {
        Ok(u) => render(ctx, StatusCode::OK, &u, true, token),
        Err(e) if e.0.code == kerro_core::ErrorCode::NotFound => neutral(ctx),
        Err(e) => ctx.failed(&e),
    }
}

async fn leave(ctx: Ctx, token: String) -> Response {
    let (store, now) = (ctx.state.app.store.clone(), ctx.now());
    match blocking(move || store.unsubscribe(now, &token)).await {
        Ok(u) => render(ctx, StatusCode::OK, &u, false, String::new()),
        Err(e) if e.0.code == kerro_core::ErrorCode::NotFound => neutral(ctx),
        Err(e) => ctx.failed(&e),
    }
}

/// `POST /u`: the page's button (with the page's CSRF token).
pub async fn confirm(ctx: Ctx, posted: Posted) -> Response {
    if !ctx.csrf_ok(&posted) {
        return ctx.csrf_failed();
    }
    let token = posted.get("token").unwrap_or("").to_owned();
    leave(ctx, token).await
}

/// `POST /u/{token}`: RFC 8058's one-click POST. The body must say
/// `List-Unsubscribe=One-Click`; anything else is 400 and changes nothing.
pub async fn one_click(ctx: Ctx, Path(token): Path<String>, req: Request) -> Response {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        });
    let one_click = if multipart {
        match Multipart::from_request(req, &ctx.state).await {
            Ok(mut m) => {
                let mut ok = false;
                while let Ok(Some(field)) = m.next_field().await {
                    let named = field.name() == Some("List-Unsubscribe");
                    match field.text().await {
                        Ok(v) if named && v.trim() == "One-Click" => ok = true,
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
                ok
            }
            Err(_) => false,
        }
    } else {
        match Bytes::from_request(req, &ctx.state).await {
            Ok(body) => form_urlencoded::parse(&body)
                .any(|(k, v)| k == "List-Unsubscribe" && v == "One-Click"),
            Err(_) => false,
        }
    };
    if !one_click {
        return ctx.error(StatusCode::BAD_REQUEST, "error-invalid");
    }
    leave(ctx, token).await
}
