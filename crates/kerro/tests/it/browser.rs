//! End-to-end tests in a real browser: the real `kerro demo` binary, Debian's
//! Chromium driven through chromedriver (WebDriver, via fantoccini). They fill
//! the demo's survey, sign in by the e-mailed link, withdraw, download and
//! delete, measure P26 in the browser, answer a form embedded in another site's
//! page while the browser blocks third-party cookies, and save screenshots of
//! every page at 1280x800 and 390x844 under `target/screenshots/`.
//!
//! Without /usr/bin/chromedriver they print a loud SKIPPED line and pass, so
//! `cargo test` works anywhere; `.ci/run` installs the driver so CI runs them.

use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::Path;

use crate::browser_kit::*;

/// P26, measured: the accept and decline buttons look the same and their text is readable.
async fn accept_and_decline_equal(c: &Client) -> TestResult {
    let v = js(
        c,
        r#"
        const lum = (rgb) => {
          const [r, g, b] = rgb.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map(v => {
            v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
          return 0.2126 * r + 0.7152 * g + 0.0722 * b;
        };
        const info = (id) => {
          const el = document.getElementById(id), s = getComputedStyle(el), r = el.getBoundingClientRect();
          const [a, b] = [lum(s.color), lum(s.backgroundColor)];
          return {w: Math.round(r.width), h: Math.round(r.height), bg: s.backgroundColor, fg: s.color,
                  font: s.fontSize + ' ' + s.fontWeight, border: s.borderTopWidth + ' ' + s.borderTopColor,
                  contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05)};
        };
        return [info('accept'), info('decline')];
        "#,
    )
    .await?;
    let (a, d) = (&v[0], &v[1]);
    for key in ["w", "h", "bg", "fg", "font", "border"] {
        assert_eq!(
            a[key], d[key],
            "accept and decline differ in {key}: {a} / {d}"
        );
    }
    let contrast = a["contrast"].as_f64().unwrap_or(0.0);
    assert!(contrast >= 4.5, "button contrast {contrast} < 4.5");
    Ok(())
}

async fn nothing_prechecked(c: &Client) -> TestResult {
    let n = js(
        c,
        "return [...document.querySelectorAll('input[type=checkbox], input[type=radio]')].filter(i => i.checked).length",
    )
    .await?;
    assert_eq!(
        n,
        json!(0),
        "a checkbox starts checked on {}",
        c.current_url().await?
    );
    let selected = js(
        c,
        "return [...document.querySelectorAll('select')].filter(s => s.value !== '').length",
    )
    .await?;
    assert_eq!(selected, json!(0), "a select starts with an answer");
    Ok(())
}

/// Strings of one language that must not appear on a page in another (P26: one language per page).
const MARKERS: [(&str, [&str; 3]); 3] = [
    ("fi", ["Tietosuojaseloste", "Siirry sisältöön", "Etusivu"]),
    (
        "sv",
        [
            "Dataskyddsbeskrivning",
            "Hoppa till innehållet",
            "Startsida",
        ],
    ),
    ("en", ["Privacy policy", "Skip to content", "Start page"]),
];

async fn one_language(c: &Client, lang: &str) -> TestResult {
    let page_lang = js(c, "return document.documentElement.lang").await?;
    assert_eq!(page_lang, json!(lang));
    let html = c.source().await?;
    for (l, words) in MARKERS {
        for w in words {
            assert_eq!(
                html.contains(w),
                l == lang,
                "'{w}' ({l}) on a {lang} page: {}",
                c.current_url().await?
            );
        }
    }
    Ok(())
}

/// Every preference-centre page: one language, every link answers 200, every page within
/// two clicks of every other (P26), and a screenshot.
async fn walk_preference_centre(c: &Client, k: &Kerro, lang: &str, shots: bool) -> TestResult {
    let pages = [
        "/me",
        "/me/consents",
        "/me/contact",
        "/me/offers",
        "/me/history",
        "/me/data",
    ];
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut checked = BTreeSet::new();
    for p in pages {
        c.goto(&format!("{}{p}", k.url)).await?;
        wait_path(c, p).await?;
        one_language(c, lang).await?;
        let found = links(c).await?;
        for href in &found {
            if checked.insert(href.clone()) {
                // Following a language switch from script would change this browser's language.
                let status = if href.contains("lang=") {
                    status_outside(k, href).await
                } else {
                    status_in_browser(c, href).await?
                };
                assert_eq!(status, 200, "{href} (linked from {p}) answered {status}");
            }
        }
        graph.insert(
            p.to_owned(),
            found
                .iter()
                .map(|h| h.split(['?', '#']).next().unwrap_or("").to_owned())
                .collect(),
        );
        if shots {
            let name = format!("me{}-{lang}", p.trim_start_matches("/me").replace('/', "-"));
            shoot(c, &name).await?;
        }
    }
    for from in pages {
        let mut dist: BTreeMap<&str, usize> = BTreeMap::from([(from, 0)]);
        let mut queue = VecDeque::from([from]);
        while let Some(at) = queue.pop_front() {
            let d = dist[at];
            for next in graph.get(at).into_iter().flatten() {
                if let Some(p) = pages.iter().find(|p| **p == next.as_str()) {
                    if !dist.contains_key(p) {
                        dist.insert(p, d + 1);
                        queue.push_back(p);
                    }
                }
            }
        }
        for to in pages {
            let d = dist.get(to).copied().unwrap_or(usize::MAX);
            assert!(d <= 2, "{to} is {d} clicks from {from}");
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_end_to_end() {
    if !(Path::new(CHROMEDRIVER).exists() && Path::new(CHROMIUM).exists()) {
        let line = "SKIPPED: chromium-driver not installed (apt-get install chromium chromium-driver); the browser tests did not run";
        println!("{line}");
        eprintln!("\n*** {line} ***\n");
        return;
    }
    // The company's own site, which shows a hosted form in an iframe: kerro must allow
    // it to, so it is bound (and its origin known) before kerro starts.
    let site = OtherSite::bind();
    let origin = site.origin.clone();
    let k = std::sync::Arc::new(start_kerro(&format!(
        "[web]\nembed_origins = [\"{origin}\"]\noffer_origins = [\"{origin}\"]\n"
    )));
    site.serve(company_page(&k));
    let driver = start_driver();
    let _ = DRIVER_URL.set(driver.url.clone());
    let c = browser(&driver).await;
    // Run in a task so that a failed assertion still reaches `close`, which ends Chromium.
    let task = {
        let (c, k) = (c.clone(), k.clone());
        tokio::spawn(async move { run(&c, &k, &origin).await })
    };
    let outcome = task.await;
    let _ = c.close().await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("browser test failed: {e}"),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("browser test task: {e}"),
    }
}

async fn run(c: &Client, k: &Kerro, site: &str) -> TestResult {
    viewport(c, SIZES[0].0, SIZES[0].1).await?;
    c.goto(&format!("{}/?lang=fi", k.url)).await?;
    one_language(c, "fi").await?;
    shoot(c, "home-fi").await?;
    // First, while the demo's sample subject is as the demo made it.
    crate::browser_offers::offers_on_the_company_site(c, k, site).await?;
    survey_in_finnish(c, k).await?;
    sign_in_and_withdraw(c, k).await?;
    export_and_delete(c, k).await?;
    other_pages(c, k).await?;
    embedded_form(c, k, site).await?;
    // Last: once an admin account is active, the bootstrap token the steps above use stops working.
    crate::browser_staff::invite_enrol_sign_in_sign_out(c, k).await?;
    Ok(())
}

/// The address given in the embedded form.
const FRAME_EMAIL: &str = "embedded@example.invalid";

/// The company's page with kerro's newsletter form in an iframe, as docs/web.md shows.
fn company_page(k: &Kerro) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Erämaa Store</title>
<style>body {{ font-family: sans-serif; margin: 0; padding: 1rem; }} iframe {{ display: block; width: 100%; border: 0; }}</style>
</head><body>
<h1>Erämaa Store</h1>
<p>Outdoor gear for every season. Join our newsletter:</p>
<iframe id="kerro" src="{}/f/newsletter_signup?embed=1&amp;lang=en" title="Erämaa Store newsletter" height="1400"></iframe>
<h2>For you</h2>
{}
</body></html>"#,
        k.url,
        crate::browser_offers::snippet(k)
    )
}

/// Issue 9: a hosted form in an iframe on the company's own site (another site than
/// kerro's) works in a browser that blocks third-party cookies. The frame stays
/// anonymous, and what it sent is recorded under the address given.
async fn embedded_form(c: &Client, k: &Kerro, site: &str) -> TestResult {
    let kerro_url = reqwest::Url::parse(&k.url)?;
    let host = kerro_url.host_str().unwrap_or("");
    let csp = reqwest::get(format!("{}/f/newsletter_signup?embed=1", k.url))
        .await?
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(
        csp.contains(&format!("frame-ancestors 'self' {site}")),
        "kerro.toml's embed_origins let the company's site frame the form: {csp}"
    );
    // A visitor who has never opened kerro itself.
    cdp(c, "Network.clearBrowserCookies", json!({})).await?;
    c.goto(&format!("{site}/")).await?;
    enter_kerro_frame(c).await?;
    wait_path(c, "/f/newsletter_signup").await?;
    // The browser really blocks third-party cookies in this frame. The only cookie a
    // frame of another site could keep is `SameSite=None; Secure` (Chromium takes
    // `Secure` on 127.0.0.1 over http): this probe is not kept, the cookie store holds
    // nothing for kerro's host, and the frame has no storage access. With blocking off
    // (`cookie_controls_mode` 0 and no switch, see `browser`) the probe is kept and
    // `hasStorageAccess` is true, so this test fails here. kerro's own cookies are
    // `SameSite=Lax`, which Chromium keeps in no such frame either way.
    let probe = js(
        c,
        "document.cookie = 'kerro_probe=1; Path=/; SameSite=None; Secure'; return document.cookie",
    )
    .await?;
    assert_eq!(
        probe,
        json!(""),
        "a third-party cookie was kept in the frame"
    );
    let access = c
        .execute_async(
            "const done = arguments[0]; document.hasStorageAccess().then(done, e => done(String(e)))",
            vec![],
        )
        .await?;
    assert_eq!(access, json!(false), "the frame has access to its cookies");
    assert_eq!(stored_cookies(c, host).await?, Vec::<String>::new());

    let lang = js(c, "return document.documentElement.lang").await?;
    assert_eq!(lang, json!("en"));
    nothing_prechecked(c).await?;
    accept_and_decline_equal(c).await?;
    c.enter_parent_frame().await?;
    shoot(c, "embedded-form-third-party-cookies-blocked").await?;
    enter_kerro_frame(c).await?;

    let holding = || async {
        let (_, report) = api(k, "/v1/reports/minimisation").await;
        report["attributes"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|a| a["attribute"] == "shoe_size")
            .and_then(|a| a["subjects_holding"].as_u64())
    };
    let before = holding()
        .await
        .ok_or("shoe_size is not in the minimisation report")?;
    click(c, "#q-favourite_activities-paddling").await?;
    click(c, "#q-favourite_activities-skiing").await?;
    c.find(Locator::Css("#q-shoe_size"))
        .await?
        .send_keys("43")
        .await?;
    click(c, "#c-newsletter").await?;
    c.find(Locator::Css("#email"))
        .await?
        .send_keys(FRAME_EMAIL)
        .await?;
    // The post carries no cookie at all: its form token alone admits it.
    let before_post = outbox(k);
    click(c, "#accept").await?;
    wait_path(c, "/f/newsletter_signup/thanks").await?;
    let window = c.current_url().await?;
    assert_eq!(
        window.origin().ascii_serialization(),
        site,
        "the thank-you page is in the frame"
    );
    let text = c.find(Locator::Css("main")).await?.text().await?;
    assert!(text.contains("Thank you"), "{text}");
    assert!(text.contains("Erämaa Store newsletter"), "{text}");
    // Not signed in: no preference-centre navigation, and the way on is to sign in.
    let nav = js(
        c,
        "return [document.querySelectorAll('.me-nav').length, [...document.querySelectorAll('main a.button-link')].map(a => a.pathname)]",
    )
    .await?;
    assert_eq!(nav, json!([0, ["/login"]]), "the frame is not signed in");
    assert_eq!(stored_cookies(c, host).await?, Vec::<String>::new());
    c.enter_parent_frame().await?;
    js(c, "window.scrollTo(0, 0)").await?;
    shoot(c, "embedded-form-thanks").await?;
    assert_eq!(
        holding().await,
        Some(before + 1),
        "one more subject holds a shoe size"
    );

    // The address typed into the frame waits for its owner (double opt-in): the one
    // message it got is its confirmation link, whose page confirms with one button.
    let confirmation = added(&before_post, &wait_outbox(k, before_post.len() + 1).await?);
    assert_eq!(confirmation.len(), 1, "one message: {confirmation:?}");
    assert_eq!(recipient(&confirmation[0]), FRAME_EMAIL);
    c.goto(&confirm_link_in(k, &confirmation[0])).await?;
    shoot(c, "confirm-email-en").await?;
    click(c, "#confirm").await?;
    wait_path(c, "/confirm-email").await?;
    let text = c.find(Locator::Css("main")).await?.text().await?;
    assert!(text.contains("Address confirmed"), "{text}");

    // What the frame sent is held under the address given: a sign-in link for it
    // opens a profile with exactly those answers and that consent, from that form.
    c.goto(&format!("{}/login?lang=en", k.url)).await?;
    let before = outbox(k);
    send_link_to(c, FRAME_EMAIL).await?;
    let new = added(&before, &wait_outbox(k, before.len() + 1).await?);
    assert_eq!(new.len(), 1, "one message: {new:?}");
    assert_eq!(recipient(&new[0]), FRAME_EMAIL);
    c.goto(&link_in(k, &new[0])).await?;
    click(c, "#continue").await?;
    wait_path(c, "/me").await?;
    let (me, held) = signed_in_subject(c, k).await?;
    assert_eq!(
        held,
        BTreeMap::from([
            (
                "favourite_activities".to_owned(),
                json!(["paddling", "skiing"])
            ),
            ("shoe_size".to_owned(), json!(43)),
        ])
    );
    let consents: Vec<(&str, &str)> = me["consents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| Some((c["purpose"].as_str()?, c["state"].as_str()?)))
        .collect();
    assert_eq!(consents, [("newsletter", "given")]);
    assert_eq!(
        me["declarations"][0]["provenance"]["form"],
        "newsletter_signup"
    );
    Ok(())
}

/// Enters the iframe of the company's page in which kerro's form is shown.
async fn enter_kerro_frame(c: &Client) -> TestResult {
    c.find(Locator::Css("iframe#kerro"))
        .await?
        .enter_frame()
        .await?;
    Ok(())
}

/// Fill the B2B survey in Finnish, decline one purpose, submit; the API shows exactly that.
async fn survey_in_finnish(c: &Client, k: &Kerro) -> TestResult {
    for lang in ["sv", "en", "fi"] {
        c.goto(&format!("{}/f/b2b_survey?lang={lang}", k.url))
            .await?;
        one_language(c, lang).await?;
        nothing_prechecked(c).await?;
        accept_and_decline_equal(c).await?;
        shoot(c, &format!("form-b2b_survey-{lang}")).await?;
    }
    viewport(c, 390, 844).await?;
    accept_and_decline_equal(c).await?;
    viewport(c, SIZES[0].0, SIZES[0].1).await?;

    click(c, "#q-security_interests-breach_prevention").await?;
    click(c, "#q-security_interests-cloud_security").await?;
    c.find(Locator::Css("#q-company_size"))
        .await?
        .select_by_value("size_10_49")
        .await?;
    c.find(Locator::Css("#q-employees"))
        .await?
        .send_keys("42")
        .await?;
    // Serves only compliance offers, which are declined below: it must not be stored.
    click(c, "#q-compliance_needs-nis2").await?;
    click(c, "#c-security_updates").await?;
    let compliance_ticked = c
        .find(Locator::Css("#c-compliance_advisory"))
        .await?
        .is_selected()
        .await?;
    assert!(!compliance_ticked);
    // Keyboard: focus is visible, and Enter on the accept button sends the form.
    js(c, "document.activeElement.blur(); window.scrollTo(0, 0)").await?;
    press(c, Key::Tab).await?;
    focus_visible(c).await?;
    press(c, Key::Tab).await?;
    focus_visible(c).await?;
    js(c, "document.getElementById('accept').focus()").await?;
    focus_visible(c).await?;
    mark(c).await?;
    press(c, Key::Enter).await?;
    wait_path(c, "/thanks").await?;
    one_language(c, "fi").await?;
    let text = c.find(Locator::Css("main")).await?.text().await?;
    assert!(text.contains("Kiitos"), "{text}");
    assert!(text.contains("Tietoturvauutiset ja -tarjoukset"), "{text}");
    assert!(
        text.contains("Mitkä vaatimukset koskevat yritystänne?"),
        "the dropped answer is named: {text}"
    );
    shoot(c, "thanks-fi").await?;

    let (me, held) = signed_in_subject(c, k).await?;
    assert_eq!(
        held,
        BTreeMap::from([
            ("company_size".to_owned(), json!("size_10_49")),
            ("employees".to_owned(), json!(42)),
            (
                "security_interests".to_owned(),
                json!(["breach_prevention", "cloud_security"])
            ),
        ])
    );
    let consents: Vec<(String, String)> = me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["purpose"].as_str().unwrap().to_owned(),
                c["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        consents,
        vec![("security_updates".to_owned(), "given".to_owned())]
    );
    assert_eq!(me["declarations"][0]["provenance"]["form"], "b2b_survey");

    walk_preference_centre(c, k, "fi", false).await?;
    click(c, ".signout button").await?;
    wait_path(c, "/login").await?;
    Ok(())
}

/// Sign in by the magic link from the outbox; withdraw a consent with one click.
async fn sign_in_and_withdraw(c: &Client, k: &Kerro) -> TestResult {
    c.goto(&format!("{}/login?lang=fi", k.url)).await?;
    shoot(c, "login-fi").await?;
    let before = outbox(k);
    send_link_to(c, SAMPLE_EMAIL).await?;
    shoot(c, "login-sent-fi").await?;
    let new = added(&before, &wait_outbox(k, before.len() + 1).await?);
    assert_eq!(new.len(), 1, "one message: {new:?}");
    assert_eq!(recipient(&new[0]), SAMPLE_EMAIL);
    let link = link_in(k, &new[0]);
    assert!(
        k.printed.lock().unwrap().iter().any(|l| l.contains(&link)),
        "the demo prints the sign-in link"
    );
    c.goto(&link).await?;
    shoot(c, "login-confirm-fi").await?;
    click(c, "#continue").await?;
    wait_path(c, "/me").await?;

    walk_preference_centre(c, k, "fi", true).await?;
    for lang in ["sv", "en"] {
        c.goto(&format!("{}/me?lang={lang}", k.url)).await?;
        walk_preference_centre(c, k, lang, lang == "en").await?;
    }
    c.goto(&format!("{}/me/consents?lang=fi", k.url)).await?;
    let before = c
        .find(Locator::Css("#state-security_updates"))
        .await?
        .text()
        .await?;
    assert!(before.contains("annettu"), "{before}");
    click(c, "#toggle-security_updates").await?;
    wait_path(c, "/me/consents").await?;
    let after = c
        .find(Locator::Css("#state-security_updates"))
        .await?
        .text()
        .await?;
    assert!(after.contains("Peruit"), "{after}");
    let button = c
        .find(Locator::Css("#toggle-security_updates"))
        .await?
        .text()
        .await?;
    assert!(
        button.contains("Anna suostumus"),
        "toggle text matches the new state: {button}"
    );
    shoot(c, "me-consents-withdrawn-fi").await?;

    let (_, me) = api(k, &format!("/v1/subjects/{}", k.sample)).await;
    let state = me["consents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["purpose"] == "security_updates")
        .map(|x| x["state"].clone());
    assert_eq!(state, Some(json!("withdrawn")));
    Ok(())
}

/// Download the export and check it; delete everything; signing in again finds nothing.
async fn export_and_delete(c: &Client, k: &Kerro) -> TestResult {
    c.goto(&format!("{}/me/data", k.url)).await?;
    let href = c
        .find(Locator::Css("#download"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    let export: Value = serde_json::from_str(&fetch_text(c, &href).await?)?;
    assert_eq!(export["schema_version"], "kerro.export.v1");
    assert_eq!(export["subject"]["id"], json!(k.sample));
    let attrs: BTreeSet<&str> = export["declarations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["attribute"].as_str())
        .collect();
    assert!(
        attrs.contains("company_size") && attrs.contains("compliance_needs"),
        "{attrs:?}"
    );

    click(c, "#delete").await?;
    wait_path(c, "/me/delete").await?;
    shoot(c, "me-delete-fi").await?;
    viewport(c, 390, 844).await?;
    let same = js(
        c,
        "const a = document.getElementById('confirm-delete').getBoundingClientRect(), b = document.getElementById('cancel-delete').getBoundingClientRect(); return Math.round(a.width) === Math.round(b.width) && Math.round(a.height) === Math.round(b.height);",
    )
    .await?;
    assert_eq!(same, json!(true), "delete and cancel have the same size");
    viewport(c, SIZES[0].0, SIZES[0].1).await?;
    click(c, "#confirm-delete").await?;
    wait_path(c, "/me/deleted").await?;
    let summary = c
        .find(Locator::Css("#deleted-summary"))
        .await?
        .text()
        .await?;
    assert!(summary.contains("Poistimme"), "{summary}");
    shoot(c, "me-deleted-fi").await?;

    let (status, _) = api(k, &format!("/v1/subjects/{}", k.sample)).await;
    assert_eq!(status, 410);
    c.goto(&format!("{}/me", k.url)).await?;
    wait_path(c, "/login").await?;
    let before = outbox(k);
    send_link_to(c, SAMPLE_EMAIL).await?;
    // One thread mails the links, taking the requests in order: once the message for
    // a later request (for an address that exists) has been written, the erased
    // subject's request is done, and a message for it would be there too.
    c.goto(&format!("{}/login?lang=fi", k.url)).await?;
    send_link_to(c, OTHER_EMAIL).await?;
    let new = added(&before, &wait_outbox(k, before.len() + 1).await?);
    let to: Vec<String> = new.iter().map(|m| recipient(m)).collect();
    assert_eq!(to, [OTHER_EMAIL], "no link is sent for an erased subject");
    Ok(())
}

/// On the sign-in page: asks for a link to `email`.
async fn send_link_to(c: &Client, email: &str) -> TestResult {
    c.find(Locator::Css("#email"))
        .await?
        .send_keys(email)
        .await?;
    click(c, "#send-link").await?;
    wait_path(c, "/login/sent").await?;
    Ok(())
}

/// The privacy policy and the error pages, with screenshots.
async fn other_pages(c: &Client, k: &Kerro) -> TestResult {
    for lang in ["fi", "sv", "en"] {
        c.goto(&format!("{}/privacy?lang={lang}", k.url)).await?;
        one_language(c, lang).await?;
        let version = c
            .find(Locator::Css("#policy-version"))
            .await?
            .text()
            .await?;
        assert!(version.contains('1'), "{version}");
        shoot(c, &format!("privacy-{lang}")).await?;
    }
    c.goto(&format!("{}/f/newsletter_signup?lang=en", k.url))
        .await?;
    nothing_prechecked(c).await?;
    accept_and_decline_equal(c).await?;
    shoot(c, "form-newsletter_signup-en").await?;
    for href in links(c).await? {
        assert_eq!(status_outside(k, &href).await, 200, "{href}");
    }

    c.goto(&format!("{}/f/no-such-form?lang=sv", k.url)).await?;
    one_language(c, "sv").await?;
    shoot(c, "error-404-sv").await?;
    Ok(())
}

/// The signed-in browser's subject as the API shows it to staff, and its answers by attribute.
async fn signed_in_subject(c: &Client, k: &Kerro) -> TestResult<(Value, BTreeMap<String, Value>)> {
    c.goto(&format!("{}/me/data", k.url)).await?;
    let id = c.find(Locator::Css("#subject-id")).await?.text().await?;
    let (status, me) = api(k, &format!("/v1/subjects/{id}")).await;
    assert_eq!(status, 200, "{me}");
    let held = crate::common::declared(&me).into_iter().collect();
    Ok((me, held))
}
