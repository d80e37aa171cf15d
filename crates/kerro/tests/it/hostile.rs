//! Hostile requests: every probe of the security review (issue 9) in one table,
//! each with its request, the status it must get and a check that nothing was
//! written; then the attacks that take more than one request: a replayed form
//! token, mail amplification and lock-out, what sign-in timing tells, the rate
//! limits, and the targets of every form a page renders.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use kerro_core::{Actor, SubjectId};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Instant;

use crate::common::TestApp;
use crate::pages::{get, mails_after_wait, send, send_from, session_for};

/// One hostile request: to a page (form fields; with the signed-in browser's
/// cookie, or anonymous) or to the API (a JSON body, with a bearer token).
enum Req {
    Page(Method, String, Vec<(String, String)>, bool),
    Api(Method, String, Value),
}

struct Probe {
    what: &'static str,
    req: Req,
    status: StatusCode,
    /// Text the answer must contain (for the API: the error's field).
    shows: &'static str,
}

fn fields(form: &[(&str, &str)]) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// A page request from the signed-in victim's browser.
fn page(method: Method, path: &str, form: &[(&str, &str)]) -> Req {
    Req::Page(method, path.to_owned(), fields(form), true)
}

/// A page request with no cookie at all.
fn anon(method: Method, path: &str, form: &[(&str, &str)]) -> Req {
    Req::Page(method, path.to_owned(), fields(form), false)
}

fn api(method: Method, path: &str, body: Value) -> Req {
    Req::Api(method, path.to_owned(), body)
}

/// No form on a page may post to a path with `..` in it, or outside kerro.
fn assert_no_crafted_action(what: &str, text: &str) {
    for action in attribute_values(text, "action") {
        assert!(
            !action.contains("..") && !action.starts_with("//") && action.starts_with('/'),
            "{what}: a form posts to '{action}'"
        );
    }
}

/// Every value of `name="..."` in a page.
fn attribute_values(text: &str, name: &str) -> Vec<String> {
    let key = format!(" {name}=\"");
    text.match_indices(&key)
        .map(|(at, _)| {
            let rest = &text[at + key.len()..];
            rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
        })
        .collect()
}

#[tokio::test]
async fn hostile_requests_are_refused_and_change_nothing() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, subject) = app.answered_subject("victim@example.fi").await;
    let cookie = session_for(&app, &id);
    let me = get(&app, "/me", &cookie).await;
    let csrf = me.csrf();
    let form = get(&app, "/f/survey?lang=fi", "").await;
    let token = form.hidden("form_token");
    let version = form.hidden("notice_version");
    // A token used once, for the replay below.
    let first = send(
        &app,
        Method::POST,
        "/f/survey",
        "",
        &[],
        &[
            ("form_token", &token),
            ("notice_version", &version),
            ("a.size", "small"),
        ],
    )
    .await;
    assert_eq!(first.status, StatusCode::SEE_OTHER, "{}", first.text);
    let other_form_token = get(&app, "/f/survey", "").await.hidden("form_token");
    let forged = {
        let mut parts: Vec<&str> = other_form_token.splitn(3, '.').collect();
        parts[2] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        parts.join(".")
    };
    let huge = "x".repeat(70 * 1024);
    let now = *app.clock.lock().unwrap();
    let in_two_years = (now + Duration::days(731)).to_rfc3339();
    let decide = |when: &str, dry_run: bool| json!({"subject": id, "channel": "web", "now": when, "dry_run": dry_run});
    let submission = |review: &str| json!({"answers": {"review": review}, "consents": {"offers": true}, "notice_version": 1});
    use Method as M;
    use StatusCode as S;
    let probes = vec![
        // 1. A crafted sign-in link must not make the confirm form post elsewhere (high).
        Probe {
            what: "sign-in link to /me/delete",
            req: page(M::GET, "/login/..%2Fme%2Fdelete", &[]),
            status: S::BAD_REQUEST,
            shows: "<html lang=",
        },
        Probe {
            what: "sign-in link to a withdrawal",
            req: page(M::GET, "/login/..%2Fme%2Fconsents%2Foffers", &[]),
            status: S::BAD_REQUEST,
            shows: "",
        },
        Probe {
            what: "sign-in link to the channels",
            req: page(M::GET, "/login/..%2Fme%2Fcontact", &[]),
            status: S::BAD_REQUEST,
            shows: "",
        },
        Probe {
            what: "sign-in link with markup",
            req: page(M::GET, "/login/kml_%22%3E%3Cscript%3E", &[]),
            status: S::BAD_REQUEST,
            shows: "",
        },
        Probe {
            what: "sign-in link one character short",
            req: page(M::GET, &format!("/login/kml_{}", "A".repeat(42)), &[]),
            status: S::BAD_REQUEST,
            shows: "",
        },
        Probe {
            what: "confirming a crafted secret",
            req: page(
                M::POST,
                "/login/confirm",
                &[("csrf", &csrf), ("secret", "../me/delete")],
            ),
            status: S::BAD_REQUEST,
            shows: "",
        },
        Probe {
            what: "posting to the old link target",
            req: page(M::POST, "/login/..%2Fme%2Fdelete", &[("csrf", &csrf)]),
            status: S::METHOD_NOT_ALLOWED,
            shows: "",
        },
        // 2. Anonymous form posts cannot be replayed (medium).
        Probe {
            what: "a used form token again",
            req: anon(
                M::POST,
                "/f/survey",
                &[
                    ("form_token", &token),
                    ("notice_version", &version),
                    ("a.size", "large"),
                ],
            ),
            status: S::FORBIDDEN,
            shows: "on jo lähetetty",
        },
        Probe {
            what: "a form token with a forged MAC",
            req: anon(
                M::POST,
                "/f/survey",
                &[
                    ("form_token", &forged),
                    ("notice_version", &version),
                    ("a.size", "large"),
                ],
            ),
            status: S::FORBIDDEN,
            shows: "",
        },
        Probe {
            what: "a form token without a nonce",
            req: anon(
                M::POST,
                "/f/survey",
                &[("form_token", "1767254400.abc"), ("a.size", "large")],
            ),
            status: S::FORBIDDEN,
            shows: "",
        },
        Probe {
            what: "a form token from the far past",
            req: anon(
                M::POST,
                "/f/survey",
                &[
                    ("form_token", "-9223372036854775808.x.y"),
                    ("a.size", "large"),
                ],
            ),
            status: S::FORBIDDEN,
            shows: "",
        },
        // 7. Addresses the mail library cannot send to (low).
        Probe {
            what: "API: an address with markup",
            req: api(
                M::POST,
                "/v1/subjects",
                json!({"email": "xss\"<b>@example.invalid"}),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "email",
        },
        Probe {
            what: "API: a quoted local part",
            req: api(
                M::POST,
                "/v1/subjects",
                json!({"email": "\"a b\"@example.fi"}),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "email",
        },
        Probe {
            what: "API: a header injection",
            req: api(
                M::POST,
                "/v1/subjects",
                json!({"email": "a@example.fi\r\nBcc: b@example.fi"}),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "email",
        },
        Probe {
            what: "form: an address with markup",
            req: anon(
                M::POST,
                "/f/survey",
                &[
                    ("form_token", &other_form_token),
                    ("notice_version", &version),
                    ("email", "xss\"<b>@example.invalid"),
                    ("a.size", "small"),
                ],
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "",
        },
        // 8. Dates only as YYYY-MM-DD (low).
        Probe {
            what: "date 2020-1-1",
            req: api(
                M::POST,
                "/v1/forms/survey/submissions",
                submission("2020-1-1"),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "answers.review",
        },
        Probe {
            what: "date with a space",
            req: api(
                M::POST,
                "/v1/forms/survey/submissions",
                submission(" 2020-01-01"),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "answers.review",
        },
        Probe {
            what: "date with a plus",
            req: api(
                M::POST,
                "/v1/forms/survey/submissions",
                submission("+2020-01-01"),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "answers.review",
        },
        Probe {
            what: "date at chrono's edge",
            req: api(
                M::POST,
                "/v1/forms/survey/submissions",
                submission("-262143-01-01"),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "answers.review",
        },
        // 5. A client's `now` only for a preview, within a year (medium).
        Probe {
            what: "now near chrono's minimum, dry run",
            req: api(
                M::POST,
                "/v1/decisions",
                decide("-262134-01-01T00:00:00Z", true),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "now",
        },
        Probe {
            what: "now near chrono's minimum",
            req: api(
                M::POST,
                "/v1/decisions",
                decide("-262134-01-01T00:00:00Z", false),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "now",
        },
        Probe {
            what: "now two years ahead, dry run",
            req: api(M::POST, "/v1/decisions", decide(&in_two_years, true)),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "now",
        },
        Probe {
            what: "any now without dry run",
            req: api(M::POST, "/v1/decisions", decide(&now.to_rfc3339(), false)),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "now",
        },
        // 10. A web body over 64 KiB gets a page in the visitor's language.
        Probe {
            what: "a page body over 64 KiB",
            req: page(
                M::POST,
                "/me/contact?lang=sv",
                &[("csrf", &csrf), ("pad", &huge)],
            ),
            status: S::PAYLOAD_TOO_LARGE,
            shows: "<html lang=\"sv\">",
        },
        Probe {
            what: "an anonymous body over 64 KiB",
            req: anon(M::POST, "/f/survey?lang=fi", &[("pad", &huge)]),
            status: S::PAYLOAD_TOO_LARGE,
            shows: "<html lang=\"fi\">",
        },
    ];
    let before = app.fingerprint();
    for p in probes {
        match p.req {
            Req::Page(method, path, form, signed_in) => {
                let form: Vec<(&str, &str)> =
                    form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                let jar = if signed_in { cookie.as_str() } else { "" };
                let got = send(&app, method, &path, jar, &[], &form).await;
                assert_eq!(got.status, p.status, "{}: {}", p.what, got.text);
                assert!(got.text.contains(p.shows), "{}: {}", p.what, got.text);
                assert_no_crafted_action(p.what, &got.text);
            }
            Req::Api(method, path, body) => {
                // Submissions are the subject's own; everything else is staff's.
                let as_who = if path.starts_with("/v1/forms") {
                    &subject
                } else {
                    &app.admin
                };
                let got = app.call(method, &path, Some(as_who), Some(body)).await;
                assert_eq!(got.status, p.status, "{}: {}", p.what, got.body);
                assert_eq!(got.field(), p.shows, "{}: {}", p.what, got.body);
            }
        }
        assert_eq!(app.fingerprint(), before, "{} changed something", p.what);
    }
    // 9. /healthz tells anyone only that kerro is well.
    let health = app.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body, json!({"status": "ok"}));
    // After all that the victim is still there, signed in, with every consent.
    let me = app.get("/v1/me", &subject).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(get(&app, "/me", &cookie).await.status, StatusCode::OK);
}

/// A client address for requests that must not share one rate-limit allowance.
fn peer(n: u32) -> Option<SocketAddr> {
    let [_, b, c, d] = n.to_be_bytes();
    Some(SocketAddr::from(([10, b, c, d], 40000)))
}

/// The sign-in page's CSRF cookie and token, for posting `/login`.
async fn login_form(app: &TestApp) -> (String, String) {
    let p = get(app, "/login?lang=en", "").await;
    (
        format!("kerro_csrf={}", p.cookie("kerro_csrf").unwrap()),
        p.csrf(),
    )
}

async fn ask_link(app: &TestApp, from: u32, cookie: &str, csrf: &str, email: &str) -> Page {
    send_from(
        app,
        peer(from),
        Method::POST,
        "/login",
        cookie,
        &[],
        &[("csrf", csrf), ("email", email)],
    )
    .await
}

/// The messages in the mail outbox, oldest first, quoted-printable soft breaks undone.
fn mails(app: &TestApp) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(app.dir.path().join("outbox"))
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort_by_key(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
    files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .replace("=\r\n", "")
                .replace("=\n", "")
                .replace("=3D", "=")
        })
        .collect()
}

fn links_in(mail: &str) -> Vec<String> {
    mail.match_indices("/login/kml_")
        .map(|(at, _)| mail[at + 7..at + 7 + 47].to_owned())
        .collect()
}

use crate::pages::Page;

#[tokio::test]
async fn a_form_token_works_once() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let form = get(&app, "/f/survey?embed=1", "").await;
    let post = |token: String| {
        let app = &app;
        async move {
            send(
                app,
                Method::POST,
                "/f/survey?embed=1",
                "",
                &[],
                &[
                    ("form_token", &token),
                    ("notice_version", "1"),
                    ("email", "someone@example.fi"),
                    ("a.interests", "cloud"),
                    ("c.offers", "yes"),
                ],
            )
            .await
        }
    };
    assert_eq!(
        post(form.hidden("form_token")).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.store.subject_count().unwrap(), 1);
    let before = app.fingerprint();
    for _ in 0..20 {
        let again = post(form.hidden("form_token")).await;
        assert_eq!(again.status, StatusCode::FORBIDDEN);
        assert!(again.text.contains("already been sent") || again.text.contains("lähetetty"));
    }
    assert_eq!(app.fingerprint(), before, "a replay writes nothing");
    assert_eq!(app.store.subject_count().unwrap(), 1);
    // Two loads of the page in the same second get different tokens, each good once.
    let (a, b) = (
        get(&app, "/f/survey", "").await.hidden("form_token"),
        get(&app, "/f/survey", "").await.hidden("form_token"),
    );
    assert_ne!(a, b);
    assert_eq!(post(a).await.status, StatusCode::SEE_OTHER);
    assert_eq!(post(b).await.status, StatusCode::SEE_OTHER);
    // A token is refused once its four hours are over.
    let late = get(&app, "/f/survey", "").await.hidden("form_token");
    app.advance(Duration::hours(4) + Duration::seconds(1));
    assert_eq!(post(late).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn sign_in_sends_one_link_to_the_owner_and_never_locks_anyone_out() {
    let Some(app) = TestApp::start() else { return };
    // The owner, then profiles others made later with the same address.
    let owner = app.subject("shared@example.fi").await;
    for _ in 0..5 {
        app.subject("Shared@Example.fi").await;
    }
    let (cookie, csrf) = login_form(&app).await;
    let sent = ask_link(&app, 1, &cookie, &csrf, "shared@example.fi").await;
    assert_eq!(sent.location(), "/login/sent");
    assert_eq!(mails_after_wait(&app, 1), 1, "one request, one message");
    let first = mails(&app).remove(0);
    let links = links_in(&first);
    assert_eq!(links.len(), 1, "one link in it: {first}");
    assert!(first.len() < 4096, "a small message: {} bytes", first.len());

    // Asking again and again (as an attacker might) replaces the link; the newest works.
    for i in 0..7 {
        ask_link(&app, 10 + i, &cookie, &csrf, "shared@example.fi").await;
    }
    assert_eq!(mails_after_wait(&app, 8), 8, "every request gets its link");
    let newest = links_in(mails(&app).last().unwrap()).remove(0);
    let now = *app.clock.lock().unwrap();
    assert!(
        app.store
            .sign_in_with_link(now, &links[0], Duration::minutes(5))
            .unwrap()
            .is_none(),
        "an older link was replaced"
    );
    let (who, _) = app
        .store
        .sign_in_with_link(now, &newest, Duration::minutes(5))
        .unwrap()
        .expect("the newest link signs in");
    assert_eq!(who.as_str(), owner, "the oldest profile with the address");
}

#[tokio::test]
async fn mail_goes_to_the_stored_address_whatever_was_typed() {
    let Some(app) = TestApp::start() else { return };
    let id = app.subject("kate@kerro.example").await;
    // A Kelvin sign (U+212A) is the letter k in a domain: the same address, and the
    // message goes to the address kerro holds, not to the spelling typed.
    let (cookie, csrf) = login_form(&app).await;
    ask_link(&app, 1, &cookie, &csrf, "kate@\u{212A}erro.example").await;
    assert_eq!(mails_after_wait(&app, 1), 1);
    let mail = mails(&app).remove(0);
    assert!(mail.contains("To: kate@kerro.example"), "{mail}");
    assert!(!mail.contains('\u{212A}'));
    // The API stores the canonical form too.
    let r = app
        .post(
            "/v1/subjects",
            &app.admin,
            json!({"email": "Kate@\u{212A}ERRO.example"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let other = r.body["id"].as_str().unwrap().to_owned();
    let got = app.get(&format!("/v1/subjects/{other}"), &app.admin).await;
    assert_eq!(got.body["subject"]["email"], "Kate@kerro.example");
    let found = app.store.find_by_email("KATE@kerro.example").unwrap();
    assert_eq!(found.len(), 2, "one look-up key for both spellings");
    assert_eq!(found[0].as_str(), id);
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::test]
async fn sign_in_timing_does_not_tell_who_is_a_customer() {
    let Some(app) = TestApp::start() else { return };
    app.subject("known@example.fi").await;
    let (cookie, csrf) = login_form(&app).await;
    // Warm up both paths once.
    ask_link(&app, 1, &cookie, &csrf, "known@example.fi").await;
    ask_link(&app, 2, &cookie, &csrf, "nobody@example.fi").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..50 {
        // Interleaved, each from its own address so no limit is reached.
        for (email, times) in [
            ("known@example.fi", &mut known),
            ("nobody@example.fi", &mut unknown),
        ] {
            let t = Instant::now();
            let r = ask_link(
                &app,
                100 + 2 * i + u32::from(times.is_empty()),
                &cookie,
                &csrf,
                email,
            )
            .await;
            times.push(t.elapsed().as_secs_f64());
            assert_eq!(r.location(), "/login/sent");
        }
    }
    let (k, u) = (median(known), median(unknown));
    let ratio = k / u;
    println!(
        "sign-in request medians: known {:.0} µs, unknown {:.0} µs, ratio {ratio:.2}",
        k * 1e6,
        u * 1e6
    );
    assert!(
        (0.8..=1.2).contains(&ratio),
        "known {k:.6} s against unknown {u:.6} s"
    );
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_in_the_visitors_language() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let allowance = kerro::config::WebConfig::default().form_posts_per_minute;
    let before = app.fingerprint();
    let post = |from: Option<SocketAddr>| {
        let app = &app;
        async move {
            send_from(
                app,
                from,
                Method::POST,
                "/f/survey?lang=sv",
                "",
                &[],
                &[("form_token", "1.x.y"), ("a.size", "small")],
            )
            .await
        }
    };
    let attacker = peer(7);
    for _ in 0..allowance {
        assert_eq!(post(attacker).await.status, StatusCode::FORBIDDEN);
    }
    let limited = post(attacker).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
    assert!(
        limited.text.contains("<html lang=\"sv\">"),
        "{}",
        limited.text
    );
    assert!(limited.text.contains("För många"), "{}", limited.text);
    assert_eq!(
        post(peer(8)).await.status,
        StatusCode::FORBIDDEN,
        "another client is not limited"
    );
    assert_eq!(app.fingerprint(), before);

    // Sign-in requests, per client address: not per target address.
    let (cookie, csrf) = login_form(&app).await;
    let per_minute = kerro::config::WebConfig::default().sign_in_requests_per_minute;
    for i in 0..per_minute {
        let r = ask_link(&app, 9, &cookie, &csrf, &format!("n{i}@example.fi")).await;
        assert_eq!(r.location(), "/login/sent");
    }
    let r = ask_link(&app, 9, &cookie, &csrf, "n@example.fi").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers.contains_key("retry-after"));
    let r = ask_link(&app, 10, &cookie, &csrf, "n@example.fi").await;
    assert_eq!(r.location(), "/login/sent");
}

/// Whether `path` is one a route pattern declares (`{x}` one plain segment, `{*x}` the rest).
fn declared(pattern: &str, path: &str) -> bool {
    let plain = |s: &str| {
        !s.is_empty()
            && s != "."
            && s != ".."
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
    };
    let (want, got): (Vec<&str>, Vec<&str>) =
        (pattern.split('/').collect(), path.split('/').collect());
    for (i, seg) in want.iter().enumerate() {
        if seg.starts_with("{*") {
            return got.len() > i && got[i..].iter().all(|s| plain(s));
        }
        let Some(g) = got.get(i) else { return false };
        let ok = if seg.starts_with('{') {
            plain(g)
        } else {
            seg == g
        };
        if !ok {
            return false;
        }
    }
    want.len() == got.len()
}

#[tokio::test]
async fn every_form_posts_to_a_route_the_router_declares() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, token) = app.answered_subject("crawl@example.fi").await;
    let cookie = session_for(&app, &id);
    let record = app.get("/v1/me", &token).await.body["consents"][0]["history"][0]["record_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let now = *app.clock.lock().unwrap();
    let link = app
        .store
        .issue_login_link(
            &Actor::System("test".into()),
            now,
            &SubjectId::parse(&id).unwrap(),
            Duration::minutes(15),
        )
        .unwrap();
    let (staff, _) = app
        .store
        .staff_sign_in(now, &app.admin, Duration::minutes(30))
        .unwrap()
        .unwrap();
    let staff = format!("kerro_staff={staff}");
    let mut pages: Vec<(String, String)> = [
        "/",
        "/f/survey",
        "/f/survey?embed=1",
        "/f/survey/thanks?given=offers&dropped=diet",
        "/login",
        "/login/sent",
        "/privacy",
        "/admin/login",
        "/f/nothing",
        "/login/..%2Fme",
    ]
    .iter()
    .map(|p| ((*p).to_owned(), String::new()))
    .collect();
    for p in [
        "/",
        "/f/survey",
        "/me",
        "/me/answers/interests",
        "/me/consents",
        "/me/contact",
        "/me/offers",
        "/me/history",
        "/me/data",
        "/me/delete",
        "/me/nothing",
    ] {
        pages.push((p.to_owned(), cookie.clone()));
    }
    pages.push((format!("/me/receipts/{record}"), cookie.clone()));
    pages.push((format!("/login/{link}"), String::new()));
    pages.push(("/admin".into(), staff));
    let routes = kerro::web::route_paths();
    let mut forms = 0;
    for (path, cookie) in &pages {
        let p = get(&app, path, cookie).await;
        assert!(p.status.as_u16() < 500, "{path}: {}", p.status);
        for action in attribute_values(&p.text, "action") {
            let target = action.split('?').next().unwrap();
            assert!(
                routes.iter().any(|r| declared(r, target)),
                "{path} has a form posting to '{action}', which no route declares"
            );
            let posted = send(&app, Method::POST, &action, cookie, &[], &[]).await;
            assert!(
                posted.status != StatusCode::METHOD_NOT_ALLOWED
                    && posted.status != StatusCode::NOT_FOUND,
                "{path}: the route of '{action}' takes no POST ({})",
                posted.status
            );
            forms += 1;
        }
        for name in ["href", "src"] {
            for v in attribute_values(&p.text, name) {
                assert!(
                    !v.contains("..")
                        && !v.starts_with("//")
                        && !v.to_lowercase().starts_with("javascript:"),
                    "{path}: {name}=\"{v}\""
                );
            }
        }
    }
    assert!(forms >= 15, "the crawl saw {forms} forms");
    assert!(!declared(
        "/me/answers/{attribute}",
        "/me/answers/../delete"
    ));
    assert!(!declared("/login/{token}", "/login/a/b"));
}
