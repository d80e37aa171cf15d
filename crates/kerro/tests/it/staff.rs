//! Staff identity and access: named accounts and invites, API tokens that
//! expire and are revoked, per-token limits, the bootstrap token, subject
//! tokens minted by staff acting on the subject's behalf, access reasons,
//! lock-out, and sessions that end when idle, when old or when the person is
//! deactivated.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use kerro_core::{Actor, Role};
use kerro_store::{SignIn, TokenCheck};
use serde_json::json;

use crate::common::{totp_code, TestApp};
use crate::pages::get;

#[tokio::test]
async fn staff_accounts_are_invited_changed_and_deactivated() {
    let Some(app) = TestApp::start() else { return };
    let r = app
        .post(
            "/v1/staff",
            &app.admin,
            json!({"email": "Anna@Example.fi", "name": "Anna", "role": "support"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let url = r.body["invite_url"].as_str().unwrap();
    assert!(url.contains("/admin/invite?token=kin_"), "{url}");
    let again = app
        .post(
            "/v1/staff",
            &app.admin,
            json!({"email": "anna@example.fi", "name": "A", "role": "admin"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["field"], "email");
    let bad = app
        .post(
            "/v1/staff",
            &app.admin,
            json!({"email": "x@example.fi", "name": "X", "role": "root"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let editor = app.staff_token(Role::Editor);
    let r = app.get("/v1/staff", &editor).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let list = app.get("/v1/staff", &app.admin).await;
    assert_eq!(list.body[0]["state"], "invited");
    // The domain is lower-cased; the local part is kept as typed (RFC 5321).
    assert_eq!(list.body[0]["email"], "Anna@example.fi");
    assert!(
        !list.body.to_string().contains("kin_"),
        "no secret is listed"
    );
    let r = app
        .call(
            Method::PATCH,
            &format!("/v1/staff/{id}"),
            Some(&app.admin),
            Some(json!({"role": "dpo", "name": "Anna K."})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        (r.body["role"].as_str(), r.body["name"].as_str()),
        (Some("dpo"), Some("Anna K."))
    );
    let r = app
        .post(&format!("/v1/staff/{id}/deactivate"), &app.admin, json!({}))
        .await;
    assert_eq!(r.body["state"], "deactivated");
    // The invite link died with the account.
    let r = app.get("/v1/staff/stf_nope", &app.admin).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    let r = app
        .post(
            "/v1/staff/stf_01AAAAAAAAAAAAAAAAAAAAAAAA/deactivate",
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(app.store.audit_count("staff_created", None).unwrap() >= 1);
    assert_eq!(app.store.audit_count("staff_deactivated", None).unwrap(), 1);
}

#[tokio::test]
async fn deactivating_a_person_ends_their_sessions_and_tokens_at_once() {
    let Some(app) = TestApp::start() else { return };
    let person = app.staff_person("eve@example.fi", Role::Admin);
    let now = *app.clock.lock().unwrap();
    let actor = Actor::Staff {
        id: person.id.clone(),
        role: Role::Admin,
    };
    let (_, token) = app
        .store
        .create_api_token(&actor, now, "eve's script", Role::Service, None, None)
        .unwrap();
    assert_eq!(app.get("/v1/purposes", &token).await.status, StatusCode::OK);
    assert_eq!(
        get(&app, "/admin/sessions", &person.cookie).await.status,
        StatusCode::OK
    );
    let _second_admin = app.staff_person("root@example.fi", Role::Admin);
    let r = app
        .post(
            &format!("/v1/staff/{}/deactivate", person.id),
            &app.admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.get("/v1/purposes", &token).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_revoked"))
    );
    let page = get(&app, "/admin/sessions", &person.cookie).await;
    assert!(
        page.location().starts_with("/admin/login"),
        "the session ended"
    );
    // Nor can the person sign in again.
    let code = totp_code(person.totp.as_deref().unwrap(), now + Duration::seconds(60));
    app.advance(Duration::seconds(60));
    let again = app
        .store
        .staff_sign_in(
            now + Duration::seconds(60),
            &person.email,
            &person.password,
            &code,
            "t",
        )
        .unwrap();
    assert_eq!(again, SignIn::Failed);
}

#[tokio::test]
async fn api_tokens_expire_are_revoked_and_never_show_their_secret() {
    let Some(app) = TestApp::start() else { return };
    let r = app
        .post(
            "/v1/tokens",
            &app.admin,
            json!({"name": "CRM sync", "role": "service", "expires_in_days": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let (id, token) = (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["token"].as_str().unwrap().to_owned(),
    );
    for days in [0, 366] {
        let r = app
            .post(
                "/v1/tokens",
                &app.admin,
                json!({"name": "x", "role": "service", "expires_in_days": days}),
            )
            .await;
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("expires_in_days"))
        );
    }
    let default = app
        .post(
            "/v1/tokens",
            &app.admin,
            json!({"name": "default", "role": "editor"}),
        )
        .await;
    let created =
        chrono::DateTime::parse_from_rfc3339(default.body["expires_at"].as_str().unwrap()).unwrap();
    assert_eq!(
        (created.with_timezone(&chrono::Utc) - *app.clock.lock().unwrap()).num_days(),
        90
    );
    assert_eq!(app.get("/v1/purposes", &token).await.status, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let list = app.get("/v1/tokens", &app.admin).await;
    assert!(
        !list.body.to_string().contains(&token),
        "no secret in the list"
    );
    let listed = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(listed["name"], "CRM sync");
    assert!(
        listed["created_by"]
            .as_str()
            .unwrap()
            .starts_with("staff:tok_"),
        "{listed}"
    );
    assert!(listed["last_used_at"].is_string(), "{listed}");
    app.advance(Duration::days(2));
    let r = app.get("/v1/purposes", &token).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_expired"))
    );
    let other = app
        .post(
            "/v1/tokens",
            &app.admin,
            json!({"name": "other", "role": "service"}),
        )
        .await;
    let (oid, otoken) = (
        other.body["id"].as_str().unwrap().to_owned(),
        other.body["token"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        app.get("/v1/purposes", &otoken).await.status,
        StatusCode::OK,
        "cached now"
    );
    let r = app
        .call(
            Method::DELETE,
            &format!("/v1/tokens/{oid}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = app.get("/v1/purposes", &otoken).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_revoked"))
    );
    let r = app
        .call(
            Method::DELETE,
            "/v1/tokens/tok_unknown",
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/v1/purposes", "kst_not-a-token").await;
    assert_eq!(r.body["error"]["code"], "unauthenticated");
}

#[tokio::test]
async fn a_token_with_a_limit_gets_429_with_retry_after() {
    let Some(app) = TestApp::start() else { return };
    let r = app
        .post(
            "/v1/tokens",
            &app.admin,
            json!({"name": "slow", "role": "service", "per_minute": 3}),
        )
        .await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    for _ in 0..3 {
        assert_eq!(app.get("/v1/purposes", &token).await.status, StatusCode::OK);
    }
    let r = app.get("/v1/purposes", &token).await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let wait: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(
        (1..=20).contains(&wait),
        "one of three a minute comes back within 20 s: {wait}"
    );
    // An unlimited token is not slowed by it.
    for _ in 0..20 {
        assert_eq!(
            app.get("/v1/purposes", &app.admin).await.status,
            StatusCode::OK
        );
    }
    let r = app
        .post(
            "/v1/tokens",
            &app.admin,
            json!({"name": "none", "role": "service", "per_minute": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn the_bootstrap_token_stops_once_an_admin_account_is_active() {
    let Some(app) = TestApp::start() else { return };
    let secret = "bootstrap-secret-of-at-least-thirty-two-chars";
    assert!(app
        .store
        .ensure_bootstrap_token(chrono::Utc::now(), secret)
        .unwrap());
    assert_eq!(app.get("/v1/staff", secret).await.status, StatusCode::OK);
    let _admin = app.staff_person("first@example.fi", Role::Admin);
    let r = app.get("/v1/staff", secret).await;
    assert_eq!(r.body["error"]["code"], "token_revoked");
    assert!(!app
        .store
        .ensure_bootstrap_token(
            chrono::Utc::now(),
            "another-bootstrap-secret-thirty-two-chars"
        )
        .unwrap());
}

#[tokio::test]
async fn only_admin_and_support_mint_subject_tokens_and_then_act_on_behalf() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, _) = app.answered_subject("s@example.fi").await;
    let path = format!("/v1/subjects/{id}/tokens");
    let service = app.staff_token(Role::Service);
    let r = app.post(&path, &service, json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let support = app.staff_token(Role::Support);
    let r = app
        .request(Method::POST, &path, Some(&support), &[], b"{}".to_vec())
        .await;
    assert_eq!(
        (r.status, r.body["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("reason_required"))
    );
    let r = app
        .request(
            Method::POST,
            &path,
            Some(&support),
            &[(
                "kerro-access-reason",
                "ticket 4711: the customer asked us to fix an answer",
            )],
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let minted = r.body["token"].as_str().unwrap().to_owned();
    let me = app.get("/v1/me", &minted).await;
    assert_eq!(me.status, StatusCode::OK);
    let r = app
        .put("/v1/me/consents/events", &minted, json!({"given": true}))
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let rows = app
        .sql()
        .rows(
            "SELECT actor, action, detail FROM audit_log WHERE subject_id = ?1 ORDER BY seq",
            [id.as_str()],
        )
        .unwrap();
    let entries: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get(0).unwrap(), r.get(1).unwrap(), r.get(2).unwrap()))
        .collect();
    let minting = entries
        .iter()
        .find(|e| e.1 == "subject_token_issued" && e.2.contains("ticket 4711"))
        .expect("the mint with its reason");
    assert!(minting.0.starts_with("staff:support:tok_"), "{minting:?}");
    let read = entries
        .iter()
        .rev()
        .find(|e| e.1 == "subject_read")
        .expect("the read is audited");
    assert!(
        read.0.ends_with(":on-behalf-of-subject") && read.0.starts_with("staff:support:"),
        "{read:?}"
    );
    let consent = entries
        .iter()
        .rev()
        .find(|e| e.1 == "consent_changed")
        .unwrap();
    assert!(consent.0.contains(":on-behalf-of-subject"), "{consent:?}");
    let ledger: String = app
        .sql()
        .query_row(
            "SELECT actor FROM consent_events WHERE subject_id = ?1 ORDER BY seq DESC LIMIT 1",
            [id.as_str()],
            |r| r.get(0),
        )
        .unwrap();
    assert!(ledger.contains(":on-behalf-of-subject"), "{ledger}");
    // A minted token never becomes the subject's own browser session.
    let page = get(&app, &format!("/login/{minted}"), "").await;
    assert!(page.cookie("kerro_session").is_none());
}

#[tokio::test]
async fn reading_a_subject_needs_a_reason_that_is_stored() {
    let Some(app) = TestApp::start() else { return };
    app.schema().await;
    let (id, _) = app.answered_subject("r@example.fi").await;
    let support = app.staff_token(Role::Support);
    for path in [
        format!("/v1/subjects/{id}"),
        format!("/v1/subjects/{id}/export"),
    ] {
        for bad in [
            vec![],
            vec![("kerro-access-reason", "no")],
            vec![("kerro-access-reason", "x\tyz")],
        ] {
            let headers: Vec<(&str, &str)> = bad;
            let r = app
                .request(Method::GET, &path, Some(&support), &headers, vec![])
                .await;
            assert_eq!(
                (r.status, r.body["error"]["code"].as_str()),
                (StatusCode::BAD_REQUEST, Some("reason_required")),
                "{path}"
            );
        }
        let r = app
            .request(
                Method::GET,
                &path,
                Some(&support),
                &[(
                    "kerro-access-reason",
                    "oikeuspyyntö 12: asiakas pyysi tietonsa",
                )],
                vec![],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
    }
    let details: Vec<String> = app
        .sql()
        .rows("SELECT detail FROM audit_log WHERE subject_id = ?1 AND action IN ('subject_read', 'subject_exported')", [id.as_str()])
        .unwrap()
        .iter()
        .map(|r| r.get(0).unwrap())
        .collect();
    assert_eq!(details.len(), 2, "{details:?}");
    assert!(
        details.iter().all(|d| d.contains("oikeuspyynt")),
        "{details:?}"
    );
    assert_eq!(app.store.audit_count("subject_exported", None).unwrap(), 1);
}

#[tokio::test]
async fn wrong_passwords_and_codes_lock_the_account_with_growing_pauses() {
    let Some(app) = TestApp::start() else { return };
    let p = app.staff_person("lock@example.fi", Role::Editor);
    let t0 = *app.clock.lock().unwrap() + Duration::seconds(90);
    let code = |at| totp_code(p.totp.as_deref().unwrap(), at);
    for _ in 0..4 {
        assert_eq!(
            app.store
                .staff_sign_in(t0, &p.email, "wrong password!", &code(t0), "t")
                .unwrap(),
            SignIn::Failed
        );
    }
    // A wrong code counts as much as a wrong password.
    assert_eq!(
        app.store
            .staff_sign_in(t0, &p.email, &p.password, "000000", "t")
            .unwrap(),
        SignIn::Failed
    );
    let locked = app
        .store
        .staff_sign_in(t0, &p.email, &p.password, &code(t0), "t")
        .unwrap();
    assert_eq!(
        locked,
        SignIn::Locked(t0 + Duration::seconds(30)),
        "the right password waits too"
    );
    let t1 = t0 + Duration::seconds(31);
    assert_eq!(
        app.store
            .staff_sign_in(t1, &p.email, "wrong again!!", &code(t1), "t")
            .unwrap(),
        SignIn::Failed
    );
    assert_eq!(
        app.store
            .staff_sign_in(t1, &p.email, &p.password, &code(t1), "t")
            .unwrap(),
        SignIn::Locked(t1 + Duration::seconds(60))
    );
    let t2 = t1 + Duration::seconds(61);
    assert!(matches!(
        app.store
            .staff_sign_in(t2, &p.email, &p.password, &code(t2), "t")
            .unwrap(),
        SignIn::Session { .. }
    ));
    // A recovery code works once, in place of the TOTP code.
    let unknown = app
        .store
        .staff_sign_in(t2, "nobody@example.fi", &p.password, &code(t2), "t")
        .unwrap();
    assert_eq!(unknown, SignIn::Failed);
}

#[tokio::test]
async fn staff_sessions_end_when_idle_or_after_twelve_hours_and_can_be_ended() {
    let Some(app) = TestApp::start() else { return };
    let p = app.staff_person("idle@example.fi", Role::Dpo);
    assert_eq!(
        get(&app, "/admin/sessions", &p.cookie).await.status,
        StatusCode::OK
    );
    app.advance(Duration::minutes(31));
    assert!(
        get(&app, "/admin/sessions", &p.cookie)
            .await
            .location()
            .starts_with("/admin/login"),
        "idle 31 min"
    );
    let q = app.staff_person("long@example.fi", Role::Dpo);
    for _ in 0..(11 * 3) {
        app.advance(Duration::minutes(20));
        assert_eq!(
            get(&app, "/admin/sessions", &q.cookie).await.status,
            StatusCode::OK
        );
    }
    app.advance(Duration::minutes(61));
    assert!(
        get(&app, "/admin/sessions", &q.cookie)
            .await
            .location()
            .starts_with("/admin/login"),
        "past 12 h"
    );
    // An admin ends another person's sessions.
    let admin = app.staff_person("chief@example.fi", Role::Admin);
    let r = app.staff_person("other@example.fi", Role::Dpo);
    let people = get(&app, "/admin/staff?lang=en", &admin.cookie).await;
    assert_eq!(people.status, StatusCode::OK);
    assert!(people.text.contains("other@example.fi"));
    let r2 = crate::pages::send(
        &app,
        Method::POST,
        "/admin/staff/end-sessions",
        &admin.cookie,
        &[],
        &[("csrf", &people.csrf()), ("account", &r.id)],
    )
    .await;
    assert_eq!(r2.status, StatusCode::SEE_OTHER);
    assert!(get(&app, "/admin/sessions", &r.cookie)
        .await
        .location()
        .starts_with("/admin/login"));
    // A dpo may not see the staff list.
    let dpo = app.staff_person("dpo2@example.fi", Role::Dpo);
    assert_eq!(
        get(&app, "/admin/staff", &dpo.cookie).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn revocation_clears_the_token_cache_of_a_store_that_had_it() {
    let Some(app) = TestApp::start() else { return };
    let (_, token) = app
        .store
        .create_staff_token(
            &Actor::System("t".into()),
            chrono::Utc::now(),
            Role::Service,
            "t",
        )
        .unwrap();
    let now = chrono::Utc::now();
    let TokenCheck::Valid(h) = app.store.check_staff_token(&token, now).unwrap() else {
        panic!()
    };
    assert!(app
        .store
        .revoke_api_token(&Actor::System("t".into()), now, &h.id)
        .unwrap());
    assert_eq!(
        app.store.check_staff_token(&token, now).unwrap(),
        TokenCheck::Revoked
    );
}
