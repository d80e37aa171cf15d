//! Attacks that take more than one request: a replayed form token, sign-in
//! mail amplification and lock-out, mail to a look-alike address, what the
//! timing of sign-in tells, and the per-client rate limits.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Instant;

use crate::common::TestApp;
use crate::pages::{get, mails_after_wait, send, send_from, Page};

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
    let sent = ask_link(&app, 1, &cookie, &csrf, "kate@\u{212A}erro.example").await;
    assert_eq!(sent.location(), "/login/sent", "the request was taken");
    assert_eq!(mails_after_wait(&app, 1), 1, "one request, one message");
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
    // The machine is shared (other tests run beside this one), so the load drifts
    // while the test runs. Each pair of requests is sent back to back, the order
    // swapped every pair, each request from its own address so no rate limit is
    // reached, and what is compared is the median of the pairs' own ratios: a
    // burst of load slows both halves of a pair alike. A lookup or a mail on the
    // request path would cost milliseconds against a sub-millisecond answer, far
    // past the band. Up to five rounds of 60 pairs; a real difference shows in every one.
    let mut from = 100;
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let mut ratios = Vec::new();
        for i in 0..60 {
            let mut pair = [("known@example.fi", 0.0), ("nobody@example.fi", 0.0)];
            if i % 2 == 1 {
                pair.reverse();
            }
            for (email, time) in &mut pair {
                from += 1;
                let t = Instant::now();
                let r = ask_link(&app, from, &cookie, &csrf, email).await;
                *time = t.elapsed().as_secs_f64();
                assert_eq!(r.location(), "/login/sent");
            }
            if i % 2 == 1 {
                pair.reverse();
            }
            ratios.push(pair[0].1 / pair[1].1);
        }
        let ratio = median(ratios);
        println!("sign-in request, median of known/unknown per pair: {ratio:.2}");
        rounds.push(ratio);
        if (0.8..=1.25).contains(&ratio) {
            return;
        }
    }
    panic!("median known/unknown ratio per pair, in every round: {rounds:?}");
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

/// Issue 11: `POST /admin/login` answers a wrong password for a known address
/// and any password for an unknown one alike: the same page and status, in the
/// same time (the password hash is checked against a decoy when there is no
/// account), also once the known account is locked.
#[tokio::test]
async fn staff_sign_in_does_not_tell_which_addresses_have_accounts() {
    let Some(app) = TestApp::start() else { return };
    let person = app.staff_person("known.staff@example.fi", kerro_core::Role::Editor);
    let page = get(&app, "/admin/login?lang=en", "").await;
    let cookie = format!("kerro_csrf={}", page.cookie("kerro_csrf").unwrap());
    let csrf = page.csrf();
    let try_once = |from: u32, email: &'static str| {
        let (app, cookie, csrf) = (&app, cookie.clone(), csrf.clone());
        async move {
            let t = Instant::now();
            let form = [
                ("csrf", csrf.as_str()),
                ("email", email),
                ("password", "not the password at all"),
                ("code", "123456"),
            ];
            let r = send_from(
                app,
                peer(from),
                Method::POST,
                "/admin/login",
                &cookie,
                &[],
                &form,
            )
            .await;
            (t.elapsed().as_secs_f64(), r)
        }
    };
    let known = "known.staff@example.fi";
    let unknown = "nobody.staff@example.fi";
    let (_, a) = try_once(1, known).await;
    let (_, b) = try_once(2, unknown).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    let text = |p: &Page| p.text.replace(known, "").replace(unknown, "");
    assert_eq!(text(&a), text(&b), "the same page for both");
    let mut from = 1000;
    let mut rounds = Vec::new();
    for _ in 0..3 {
        let (mut k, mut u) = (Vec::new(), Vec::new());
        for i in 0..50 {
            let mut pair = [(known, &mut k), (unknown, &mut u)];
            if i % 2 == 1 {
                pair.reverse();
            }
            for (email, times) in pair {
                from += 1;
                let (t, r) = try_once(from, email).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{email}");
                times.push(t);
            }
        }
        let (k, u) = (median(k), median(u));
        println!(
            "staff sign-in medians: known {:.1} ms, unknown {:.1} ms, ratio {:.2}",
            k * 1e3,
            u * 1e3,
            k / u
        );
        rounds.push((k, u));
        if (0.8..=1.2).contains(&(k / u)) {
            // The known account is locked by now, and the right password still fails until it opens.
            let now = *app.clock.lock().unwrap();
            let code = crate::common::totp_code(
                person.totp.as_deref().unwrap(),
                now + Duration::seconds(30),
            );
            let locked = app
                .store
                .staff_sign_in(now, known, &person.password, &code, "t")
                .unwrap();
            assert!(
                matches!(locked, kerro_store::SignIn::Locked(_)),
                "{locked:?}"
            );
            return;
        }
    }
    panic!("median known/unknown ratio per pair, in every round: {rounds:?}");
}
