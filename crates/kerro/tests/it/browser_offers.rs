//! The offers snippet (`/static/kerro-offers.js`) on the company's own site,
//! another origin than kerro's: it reads the signed-in visitor's offers with a
//! subject token (CORS from `web.offer_origins`) and shows each with a "why
//! you see this" link into the preference centre.

use fantoccini::{Client, Locator};

use crate::browser_kit::*;

/// The demo's sample subject token, as `kerro demo` printed it.
pub fn demo_subject_token(k: &Kerro) -> String {
    let printed = k.printed.lock().unwrap();
    printed
        .iter()
        .find_map(|l| l.trim().strip_prefix("subject token: "))
        .and_then(|rest| rest.split_whitespace().next())
        .expect("the demo prints a subject token")
        .to_owned()
}

/// The snippet as docs/messages.md shows it, for the company page.
pub fn snippet(k: &Kerro) -> String {
    format!(
        r#"<div id="offers" data-kerro-offers data-kerro="{url}" data-token="{token}" data-limit="3" data-why="Why you see this"></div>
<script src="{url}/static/kerro-offers.js" defer></script>"#,
        url = k.url,
        token = demo_subject_token(k)
    )
}

pub async fn offers_on_the_company_site(c: &Client, k: &Kerro, site: &str) -> TestResult {
    c.goto(&format!("{site}/")).await?;
    let mut shown = 0;
    for _ in 0..100 {
        shown = js(
            c,
            "return document.querySelectorAll('#offers .kerro-offer').length",
        )
        .await?
        .as_u64()
        .unwrap_or(0);
        if shown > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(shown > 0, "the snippet showed no offer");
    let title = c
        .find(Locator::Css("#offers .kerro-offer-title"))
        .await?
        .text()
        .await?;
    assert!(!title.is_empty());
    let why = c
        .find(Locator::Css("#offers .kerro-offer-why"))
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    assert!(
        why.starts_with(&format!("{}/me/offers#offer-", k.url)),
        "{why}"
    );
    shoot(c, "company-site-offers").await?;
    Ok(())
}
