//! Hostile requests: every probe of the security review (issue 9) in one table,
//! each with its request, the status it must get and a check that nothing was
//! written; and the targets of every form a page renders. The attacks that take
//! more than one request are in `abuse.rs`.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use kerro_core::{Actor, Role, SubjectId};
use serde_json::{json, Value};

use crate::common::TestApp;
use crate::pages::{get, send, session_for};

/// One hostile request: to a page (form fields; with the signed-in browser's
/// cookie, or anonymous) or to the API (a JSON body, with a bearer token).
enum Req {
    Page(Method, String, Vec<(String, String)>, bool),
    Api(Method, String, Value),
    /// A page as the signed-in admin sees it (the staff pages).
    Staff(String),
    /// A request without a body, with this bearer token (`""`: none).
    Bare(Method, String, String),
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

fn staff(path: &str) -> Req {
    Req::Staff(path.to_owned())
}

fn bare(method: Method, path: &str, token: &str) -> Req {
    Req::Bare(method, path.to_owned(), token.to_owned())
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

/// Every form of a page: its method (`get` or `post`, as written) and its action.
fn forms_of(text: &str) -> Vec<(String, String)> {
    text.split("<form")
        .skip(1)
        .map(|f| {
            let tag = &f[..f.find('>').unwrap_or(f.len())];
            let method = attribute_values(tag, "method")
                .pop()
                .unwrap_or_else(|| "get".into());
            let action = attribute_values(tag, "action").pop().unwrap_or_default();
            (method.to_lowercase(), action)
        })
        .collect()
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
    // The same signed token spelt another way must not count as unused.
    let respelt = [format!("0{token}"), format!("+{token}")];
    let huge = "x".repeat(70 * 1024);
    let now = *app.clock.lock().unwrap();
    // A live confirmation link of the victim's new address, and one that never existed.
    let victim = SubjectId::parse(&id).unwrap();
    app.store
        .change_email(
            &Actor::Subject(victim.clone()),
            now,
            &victim,
            "victim-new@example.fi",
        )
        .unwrap();
    let live_link = crate::optin::wait_links(&app, "victim-new@example.fi", 1).remove(0);
    let unknown_link = format!("kec_{}", "A".repeat(43));
    let in_two_years = (now + Duration::days(731)).to_rfc3339();
    let editor = app.staff_token(kerro_core::Role::Editor);
    let decide = |when: &str, dry_run: bool| json!({"subject": id, "channel": "web", "now": when, "dry_run": dry_run});
    let submission = |review: &str| json!({"answers": {"review": review}, "consents": {"offers": true}, "notice_version": 1});
    use Method as M;
    use StatusCode as S;
    let mut probes = vec![
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
        // E-mail confirmation links (double opt-in): only the exact shape is
        // looked up, any bad link gets the neutral 404, the button needs CSRF.
        Probe {
            what: "confirmation link to /me/delete",
            req: anon(M::GET, "/confirm-email/..%2Fme%2Fdelete", &[]),
            status: S::NOT_FOUND,
            shows: "<html lang=",
        },
        Probe {
            what: "confirmation link with markup",
            req: anon(M::GET, "/confirm-email/kec_%22%3E%3Cscript%3E", &[]),
            status: S::NOT_FOUND,
            shows: "",
        },
        Probe {
            what: "an unknown confirmation link",
            req: anon(M::GET, &format!("/confirm-email/{unknown_link}"), &[]),
            status: S::NOT_FOUND,
            shows: "",
        },
        Probe {
            what: "confirming a crafted secret",
            req: page(
                M::POST,
                "/confirm-email",
                &[("csrf", &csrf), ("secret", "../me/delete")],
            ),
            status: S::NOT_FOUND,
            shows: "",
        },
        Probe {
            what: "confirming an unknown secret",
            req: page(
                M::POST,
                "/confirm-email",
                &[("csrf", &csrf), ("secret", &unknown_link)],
            ),
            status: S::NOT_FOUND,
            shows: "",
        },
        Probe {
            what: "confirming a live link without the CSRF token",
            req: anon(M::POST, "/confirm-email", &[("secret", &live_link)]),
            status: S::FORBIDDEN,
            shows: "",
        },
        Probe {
            what: "posting to a confirmation link's path",
            req: page(
                M::POST,
                &format!("/confirm-email/{live_link}"),
                &[("csrf", &csrf)],
            ),
            status: S::METHOD_NOT_ALLOWED,
            shows: "",
        },
        Probe {
            what: "changing the address without the CSRF token",
            req: page(M::POST, "/me/email", &[("email", "attacker@example.fi")]),
            status: S::FORBIDDEN,
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
            what: "a used form token with a leading zero",
            req: anon(
                M::POST,
                "/f/survey",
                &[("form_token", &respelt[0]), ("a.size", "large")],
            ),
            status: S::FORBIDDEN,
            shows: "",
        },
        Probe {
            what: "a used form token with a plus sign",
            req: anon(
                M::POST,
                "/f/survey",
                &[("form_token", &respelt[1]), ("a.size", "large")],
            ),
            status: S::FORBIDDEN,
            shows: "",
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
        Probe {
            what: "API: a recipient's country with markup",
            req: api(
                M::PUT,
                "/v1/recipients/evil",
                json!({"name": "Evil", "country": "<script>", "role": "processor"}),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "country",
        },
        Probe {
            what: "API: a recipient's name with a control character",
            req: api(
                M::PUT,
                "/v1/recipients/evil",
                json!({"name": "Evil\r\nBcc: x", "country": "FI", "role": "processor"}),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "name",
        },
        Probe {
            what: "API: a version of the record past u32",
            req: api(
                M::GET,
                "/v1/records-of-processing?version=99999999999999999999",
                Value::Null,
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "version",
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
        // Dates inside conditions and form tokens: refused, never computed with.
        Probe {
            what: "an audience condition with a date at chrono's edge",
            req: api(
                M::POST,
                "/v1/audiences/count",
                json!({"purpose": "offers", "channel": "email",
                       "condition": {"review": {"$lt": "-262143-01-01"}}}),
            ),
            status: S::UNPROCESSABLE_ENTITY,
            shows: "condition.review.$lt",
        },
        Probe {
            what: "a form token from the far future",
            req: anon(
                M::POST,
                "/f/survey",
                &[
                    ("form_token", "9223372036854775807.x.y"),
                    ("a.size", "large"),
                ],
            ),
            status: S::FORBIDDEN,
            shows: "",
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
    // Issue 11: the checkpoints (the error's field) and the audit log viewer (text on the page).
    for (query, status, field) in [
        ("limit=0", S::UNPROCESSABLE_ENTITY, "limit"),
        ("limit=1e3", S::BAD_REQUEST, "limit"),
        ("chain=forks", S::UNPROCESSABLE_ENTITY, "chain"),
        ("before=-1", S::UNPROCESSABLE_ENTITY, "before"),
        ("before=9223372036854775808", S::BAD_REQUEST, "before"),
        ("limit=1&limit=2", S::BAD_REQUEST, "limit"),
        ("head=1", S::BAD_REQUEST, "head"),
    ] {
        let req = api(M::GET, &format!("/v1/checkpoints?{query}"), Value::Null);
        probes.push(Probe {
            what: query,
            req,
            status,
            shows: field,
        });
    }
    // A test may leak one string to give it the table's lifetime.
    let long_actor: &'static str = format!("actor={}", "a".repeat(201)).leak();
    for (what, shows) in [
        ("audit?from=2026-3-1", "aria-invalid=\"true\""),
        ("audit?to=-262143-01-01", "id=\"f-to-error\""),
        (
            "audit?subject=%22%3E%3Cscript%3E",
            "value=\"&#34;&#62;&#60;script&#62;",
        ),
        ("audit?actor=staff%0Aadmin", "id=\"f-actor-error\""),
        (long_actor, "id=\"f-actor-error\""),
        ("audit.csv?from=2026-02-30", "from"),
        (
            "audit.json?before=99999999999999999999",
            "\"field\":\"before\"",
        ),
    ] {
        let path = match what.strip_prefix("actor=") {
            Some(_) => format!("/admin/audit?{what}"),
            None => format!("/admin/{what}"),
        };
        probes.push(Probe {
            what,
            req: staff(&path),
            status: S::BAD_REQUEST,
            shows,
        });
    }
    let admin_cookie = app
        .staff_person("audit-admin@example.fi", Role::Admin)
        .cookie;
    // 5. More times at and past chrono's range, and offsets that carry one past it.
    #[rustfmt::skip]
    let times = [
        ("now at chrono's maximum", "+262142-12-31T23:59:59Z", S::UNPROCESSABLE_ENTITY),
        ("now at chrono's minimum", "-262143-01-01T00:00:00Z", S::UNPROCESSABLE_ENTITY),
        ("now in the year 9999", "9999-12-31T23:59:59Z", S::UNPROCESSABLE_ENTITY),
        ("now in the year 0000", "0000-01-01T00:00:00Z", S::UNPROCESSABLE_ENTITY),
        ("now with an offset past a day", "2026-03-01T09:00:00+99:00", S::BAD_REQUEST),
        ("now offset past the maximum", "+262142-12-31T23:59:59-23:59", S::BAD_REQUEST),
        ("now offset before the minimum", "-262143-01-01T00:00:00+23:59", S::BAD_REQUEST),
    ];
    for (what, when, status) in times {
        let req = api(M::POST, "/v1/decisions", decide(when, true));
        probes.push(Probe {
            what,
            req,
            status,
            shows: "now",
        });
    }
    // 11. Metrics only for the roles that may read them, only at /metrics, only GET.
    #[rustfmt::skip]
    let scrapes = [
        ("metrics without a token", M::GET, "/metrics", "", S::UNAUTHORIZED),
        ("metrics with a subject token", M::GET, "/metrics", &subject, S::FORBIDDEN),
        ("metrics with an editor's token", M::GET, "/metrics", &editor, S::FORBIDDEN),
        ("metrics under another path", M::GET, "/metrics/..%2Fv1%2Fpurposes", &app.admin, S::NOT_FOUND),
        ("metrics posted to", M::POST, "/metrics", &app.admin, S::METHOD_NOT_ALLOWED),
        ("key set posted to", M::POST, "/.well-known/jwks.json", "", S::METHOD_NOT_ALLOWED),
    ];
    for (what, method, path, token, status) in scrapes {
        let req = bare(method, path, token);
        probes.push(Probe {
            what,
            req,
            status,
            shows: "",
        });
    }
    // 12. A purpose's public notices: a key is a key, a version a number.
    #[rustfmt::skip]
    let notices = [
        ("purpose notice by traversal", "/v1/purposes/..%2Fforms%2Fsurvey/notices/1", "purpose"),
        ("purpose notice keyed as stored", "/v1/purposes/purpose:offers/notices/1", "purpose"),
        ("purpose notice by injection", "/v1/purposes/offers/notices/1%20OR%201=1", "version"),
        ("purpose notice of a huge version", "/v1/purposes/offers/notices/99999999999999999999", "version"),
    ];
    for (what, path, shows) in notices {
        probes.push(Probe {
            what,
            req: bare(M::GET, path, ""),
            status: S::NOT_FOUND,
            shows,
        });
    }
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
            Req::Staff(path) => {
                let got = get(&app, &path, &admin_cookie).await;
                assert_eq!(got.status, p.status, "{}: {}", p.what, got.text);
                assert!(got.text.contains(p.shows), "{}: {}", p.what, got.text);
                assert!(!got.text.contains("<script>"), "{}: {}", p.what, got.text);
                assert_no_crafted_action(p.what, &got.text);
            }
            Req::Bare(method, path, token) => {
                let token = (!token.is_empty()).then_some(token.as_str());
                let got = app.call(method, &path, token, None).await;
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
    let staff = app
        .staff_person("hostile-admin@example.fi", Role::Admin)
        .cookie;
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
        "/me/email",
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
    let subject = SubjectId::parse(&id).unwrap();
    app.store
        .change_email(
            &Actor::Subject(subject.clone()),
            now,
            &subject,
            "crawl-new@example.fi",
        )
        .unwrap();
    let confirm = crate::optin::wait_links(&app, "crawl-new@example.fi", 1).remove(0);
    pages.push((format!("/confirm-email/{confirm}"), String::new()));
    pages.push(("/admin".into(), staff.clone()));
    pages.push(("/admin/audit".into(), staff.clone()));
    pages.push(("/admin/audit?from=bad".into(), staff));
    let routes = kerro::web::route_paths();
    let mut forms = 0;
    for (path, cookie) in &pages {
        let p = get(&app, path, cookie).await;
        assert!(p.status.as_u16() < 500, "{path}: {}", p.status);
        for (method, action) in forms_of(&p.text) {
            let target = action.split('?').next().unwrap();
            assert!(
                routes.iter().any(|r| declared(r, target)),
                "{path} has a form posting to '{action}', which no route declares"
            );
            let method = if method == "get" {
                Method::GET
            } else {
                Method::POST
            };
            let posted = send(&app, method, &action, cookie, &[], &[]).await;
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
