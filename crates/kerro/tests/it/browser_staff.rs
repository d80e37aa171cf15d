//! The staff side in a real browser: the demo's invite link, setting a
//! password, enrolling TOTP (the code computed here from the secret the page
//! shows), the overview, signing out, signing in with e-mail, password and a
//! fresh code, and signing out again.

use fantoccini::{Client, Locator};

use crate::browser_kit::*;

async fn fill(c: &Client, css: &str, text: &str) -> TestResult {
    c.find(Locator::Css(css)).await?.send_keys(text).await?;
    Ok(())
}

/// The invite link the demo printed for `email`.
fn demo_invite(k: &Kerro, email: &str) -> String {
    let printed = k.printed.lock().unwrap();
    let line = printed
        .iter()
        .find(|l| l.contains(email) && l.contains("invite link:"))
        .unwrap_or_else(|| panic!("no invite link for {email} in {printed:?}"));
    line.split_whitespace()
        .find(|w| w.contains("/admin/invite?token="))
        .unwrap()
        .to_owned()
}

pub async fn invite_enrol_sign_in_sign_out(c: &Client, k: &Kerro) -> TestResult {
    const EMAIL: &str = "admin@demo.invalid";
    const PASSWORD: &str = "correct horse battery staple";
    c.goto(&format!("{}&lang=en", demo_invite(k, EMAIL)))
        .await?;
    wait_path(c, "/admin/invite").await?;
    let shown = c.find(Locator::Css("#invite-email")).await?.text().await?;
    assert_eq!(shown, EMAIL);
    shoot(c, "staff-invite-en").await?;
    fill(c, "#password", PASSWORD).await?;
    fill(c, "#password_again", PASSWORD).await?;
    mark(c).await?;
    click(c, "#set-password").await?;
    wait_path(c, "/admin/enrol").await?;
    let qr = js(
        c,
        "return document.querySelectorAll('figure.qr svg').length",
    )
    .await?;
    assert_eq!(qr, serde_json::json!(1), "a QR code");
    let secret = c.find(Locator::Css("#totp-secret")).await?.text().await?;
    shoot(c, "staff-enrol-en").await?;
    let now = chrono::Utc::now();
    fill(c, "#code", &crate::common::totp_code(&secret, now)).await?;
    mark(c).await?;
    click(c, "#enrol").await?;
    wait_path(c, "/admin/enrol").await?;
    let codes = js(
        c,
        "return document.querySelectorAll('#recovery-codes li').length",
    )
    .await?;
    assert_eq!(codes, serde_json::json!(10), "ten recovery codes");
    let download = c
        .find(Locator::Css("#download-codes"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    assert!(download.starts_with("data:text/plain"), "{download}");
    shoot(c, "staff-recovery-codes-en").await?;
    mark(c).await?;
    click(c, "#continue").await?;
    wait_path(c, "/admin").await?;
    let charts = js(
        c,
        "return document.querySelectorAll('figure.chart svg').length",
    )
    .await?;
    assert!(charts.as_u64().unwrap_or(0) >= 3, "charts drawn: {charts}");
    assert!(c.source().await?.contains("id=\"minimisation\""));
    shoot(c, "admin-en").await?;
    mark(c).await?;
    click(c, "#admin-sign-out").await?;
    wait_path(c, "/admin/login").await?;
    // Signed out: the overview sends the browser to sign in.
    c.goto(&format!("{}/admin?lang=en", k.url)).await?;
    wait_path(c, "/admin/login").await?;
    shoot(c, "admin-login-en").await?;
    fill(c, "#email", EMAIL).await?;
    fill(c, "#password", PASSWORD).await?;
    // The enrolment's code works once: the next time step's code, which the server accepts early.
    let next = now + chrono::Duration::seconds(30);
    fill(c, "#code", &crate::common::totp_code(&secret, next)).await?;
    mark(c).await?;
    click(c, "#admin-sign-in").await?;
    wait_path(c, "/admin").await?;
    c.goto(&format!("{}/admin/sessions?lang=en", k.url)).await?;
    wait_path(c, "/admin/sessions").await?;
    let rows = js(
        c,
        "return document.querySelectorAll('#sessions tbody tr').length",
    )
    .await?;
    assert_eq!(
        rows,
        serde_json::json!(1),
        "one live session: the first one was signed out"
    );
    mark(c).await?;
    click(c, "#admin-sign-out").await?;
    wait_path(c, "/admin/login").await?;
    c.goto(&format!("{}/admin/sessions?lang=en", k.url)).await?;
    wait_path(c, "/admin/login").await?;
    Ok(())
}
