//! Pages through the router, in-process: one request with cookies, form fields,
//! headers and an optional client address, and what came back (status, headers,
//! text, cookies, hidden fields); sessions made directly; waiting for sign-in mail.

use axum::body::Body;
use axum::http::{header, HeaderMap, Method, Request, StatusCode};
use chrono::Duration;
use http_body_util::BodyExt;
use kerro_core::SubjectId;
use tower::ServiceExt;

use crate::common::TestApp;

pub struct Page {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Page {
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|c| c.strip_prefix(&format!("{name}=")))
            .map(|c| c.split(';').next().unwrap_or("").to_owned())
    }

    pub fn csrf(&self) -> String {
        let at = self
            .text
            .find("name=\"csrf\" value=\"")
            .expect("a CSRF field")
            + 19;
        self.text[at..].split('"').next().unwrap().to_owned()
    }

    pub fn hidden(&self, name: &str) -> String {
        let key = format!("name=\"{name}\" value=\"");
        let at = self.text.find(&key).expect("the field") + key.len();
        self.text[at..].split('"').next().unwrap().to_owned()
    }

    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

pub async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    cookies: &str,
    extra: &[(&str, &str)],
    form: &[(&str, &str)],
) -> Page {
    send_from(app, None, method, path, cookies, extra, form).await
}

/// `send` from a given client address (as the real server's listener passes it on).
pub async fn send_from(
    app: &TestApp,
    peer: Option<std::net::SocketAddr>,
    method: Method,
    path: &str,
    cookies: &str,
    extra: &[(&str, &str)],
    form: &[(&str, &str)],
) -> Page {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/x-www-form-urlencoded");
    if !cookies.is_empty() {
        req = req.header("cookie", cookies);
    }
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    let mut req = req.body(Body::from(body)).unwrap();
    if let Some(peer) = peer {
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(peer));
    }
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(
        status != StatusCode::INTERNAL_SERVER_ERROR,
        "500 for {path}: {text}"
    );
    Page {
        status,
        headers,
        text,
    }
}

pub async fn get(app: &TestApp, path: &str, cookies: &str) -> Page {
    send(app, Method::GET, path, cookies, &[], &[]).await
}

/// The messages in the mail outbox once there are at least `n` (waiting up to 10 s
/// for the sign-in thread), or however many there are then.
pub fn mails_after_wait(app: &TestApp, n: usize) -> usize {
    let dir = app.dir.path().join("outbox");
    let count = || std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    // Generous: under a full parallel suite on two cores a mail thread can wait its turn for long.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while count() < n && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    count()
}

pub fn session_for(app: &TestApp, id: &str) -> String {
    let id = SubjectId::parse(id).unwrap();
    let secret = app
        .store
        .start_session(*app.clock.lock().unwrap(), &id, Duration::minutes(30))
        .unwrap();
    format!("kerro_session={secret}")
}
