//! The demo's offers: what Turvakide Oy and Erämaa Store offer, targeted only
//! with what customers declared for each offer's purpose; and the demo's
//! e-mail campaign, sent to the file outbox when the demo starts.

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use kerro_core::contact::Channel;
use kerro_core::offer::OfferSpec;
use kerro_core::saved_audience::AudienceSpec;
use kerro_core::{Actor, AudienceKey, Lang, Localized, OfferKey, PurposeKey};
use kerro_store::{CampaignAudience, Store};
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn t(fi: &str, sv: &str, en: &str) -> Localized {
    Localized(BTreeMap::from([
        (Lang::Fi, fi.to_owned()),
        (Lang::Sv, sv.to_owned()),
        (Lang::En, en.to_owned()),
    ]))
}

struct Def {
    key: &'static str,
    purpose: &'static str,
    title: Localized,
    body: Localized,
    condition: Value,
    channels: &'static [Channel],
    priority: i32,
    topics: &'static [&'static str],
}

fn defs() -> Vec<Def> {
    use Channel::{Email, Web};
    vec![
        Def {
            key: "cloud_security_review",
            purpose: "security_updates",
            title: t(
                "Pilviympäristön tietoturvakatselmus",
                "Säkerhetsgranskning av molnmiljön",
                "Cloud security review",
            ),
            body: t(
                "Kahden päivän katselmus pilviympäristösi asetuksiin ja pääsynhallintaan.",
                "En tvådagarsgranskning av molninställningar och åtkomst.",
                "A two-day review of your cloud configuration and access control.",
            ),
            condition: json!({"security_interests": {"$in": ["cloud_security", "identity_access"]}}),
            channels: &[Email, Web],
            priority: 5,
            topics: &["cloud_security"],
        },
        Def {
            key: "phishing_training",
            purpose: "security_updates",
            title: t(
                "Tietojenkalastelukoulutus henkilöstölle",
                "Nätfiskeutbildning för personalen",
                "Phishing training for your staff",
            ),
            body: t(
                "Lyhyet harjoitukset ja simuloidut kampanjat koko henkilöstölle.",
                "Korta övningar och simulerade kampanjer för hela personalen.",
                "Short exercises and simulated campaigns for everyone.",
            ),
            condition: json!({"security_interests": {"$elemMatch": {"$eq": "staff_training"}}}),
            channels: &[Email, Web],
            priority: 4,
            topics: &["staff_training"],
        },
        Def {
            key: "ot_incident_drill",
            purpose: "security_updates",
            title: t(
                "Tuotantoympäristön häiriöharjoitus",
                "Incidentövning för produktionsmiljön",
                "OT incident drill",
            ),
            body: t(
                "Harjoittele tuotannon tietoturvapoikkeaman hoitoa ennen kuin sitä tarvitaan.",
                "Öva på att hantera en säkerhetsincident i produktionen.",
                "Rehearse an OT security incident before you need to.",
            ),
            condition: json!({"security_interests": {"$all": ["ot_security", "incident_response"]}}),
            channels: &[Email],
            priority: 6,
            topics: &["ot_security"],
        },
        Def {
            key: "nis2_readiness",
            purpose: "compliance_advisory",
            title: t(
                "NIS2-valmiusarvio",
                "NIS2-beredskapsbedömning",
                "NIS2 readiness assessment",
            ),
            body: t(
                "Selvitämme, mitä NIS2 edellyttää juuri teiltä, ja teemme etenemissuunnitelman.",
                "Vi reder ut vad NIS2 kräver av er och gör en plan.",
                "What NIS2 asks of you, and a plan to get there.",
            ),
            condition: json!({"compliance_needs": {"$in": ["nis2"]}}),
            channels: &[Email, Web],
            priority: 7,
            topics: &["nis2"],
        },
        Def {
            key: "iso27001_gap",
            purpose: "compliance_advisory",
            title: t(
                "ISO 27001 -puuteanalyysi",
                "ISO 27001-gapanalys",
                "ISO 27001 gap analysis",
            ),
            body: t(
                "Missä olette nyt ja mitä sertifiointi vaatii.",
                "Var ni står och vad certifieringen kräver.",
                "Where you stand, and what certification takes.",
            ),
            condition: json!({"compliance_needs": {"$in": ["iso27001"]}}),
            channels: &[Email, Web],
            priority: 5,
            topics: &["iso27001"],
        },
        Def {
            key: "security_newsletter",
            purpose: "security_updates",
            title: t(
                "Kuukauden tietoturvakatsaus",
                "Månadens säkerhetsöversikt",
                "The monthly security brief",
            ),
            body: t(
                "Tärkeimmät uhat ja korjaukset kerran kuussa.",
                "De viktigaste hoten och åtgärderna en gång i månaden.",
                "The threats and fixes that matter, once a month.",
            ),
            condition: json!({}),
            channels: &[Email, Web],
            priority: 1,
            topics: &[],
        },
        Def {
            key: "hiking_boots",
            purpose: "newsletter",
            title: t(
                "Uudet vaelluskengät",
                "Nya vandringskängor",
                "New hiking boots",
            ),
            body: t(
                "Kevään vaelluskengät ovat saapuneet.",
                "Vårens vandringskängor har kommit.",
                "This spring's hiking boots are in.",
            ),
            condition: json!({"favourite_activities": {"$in": ["hiking", "camping"]}}),
            channels: &[Email, Web],
            priority: 5,
            topics: &["hiking"],
        },
        Def {
            key: "paddling_weekend",
            purpose: "newsletter",
            title: t("Melontaviikonloppu", "Paddlingshelg", "A paddling weekend"),
            body: t(
                "Opastettu melontaviikonloppu Saaristomerellä.",
                "En guidad paddlingshelg i skärgården.",
                "A guided paddling weekend in the archipelago.",
            ),
            condition: json!({"favourite_activities": {"$elemMatch": {"$eq": "paddling"}}}),
            channels: &[Email],
            priority: 4,
            topics: &["paddling"],
        },
    ]
}

/// Defines the demo offers if the store has none yet.
pub fn define(store: &Store, now: DateTime<Utc>) -> Result<()> {
    if !store.schema().offers.is_empty() {
        return Ok(());
    }
    let actor = Actor::System("demo".into());
    for d in defs() {
        let spec = OfferSpec {
            title: d.title,
            body: d.body,
            purpose: PurposeKey::parse("purpose", d.purpose)
                .map_err(|e| anyhow::anyhow!(e.message))?,
            condition: d.condition,
            channels: d.channels.iter().copied().collect(),
            priority: d.priority,
            valid_from: Some(now - Duration::days(30)),
            valid_until: None,
            max_per_subject: Some(2),
            period_days: Some(30),
            topics: d.topics.iter().map(|s| (*s).to_owned()).collect(),
        };
        let key = OfferKey::parse("key", d.key).map_err(|e| anyhow::anyhow!(e.message))?;
        store
            .put_offer(&actor, now, key, spec)
            .with_context(|| format!("defining demo offer {}", d.key))?;
    }
    Ok(())
}

/// Schedules the demo's campaign (the cloud security review, to everyone who
/// said cloud security interests them) unless one exists, and says where to
/// watch it and how to unsubscribe from its messages.
pub fn campaign(store: &Store, now: DateTime<Utc>, outbox: &std::path::Path) -> Result<String> {
    let actor = Actor::System("demo".into());
    let audience = AudienceKey::parse("audience", "cloud_security_readers")
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let saved = match store.saved_audience(&audience) {
        Ok(a) => a,
        Err(_) => {
            store
                .put_audience(
                    &actor,
                    now,
                    audience.clone(),
                    AudienceSpec {
                        name: "Interested in cloud security".into(),
                        purpose: PurposeKey::parse("purpose", "security_updates")
                            .map_err(|e| anyhow::anyhow!(e.message))?,
                        channel: Channel::Email,
                        condition: json!({"security_interests": {"$in": ["cloud_security"]}}),
                    },
                )?
                .0
        }
    };
    let existing = store.campaigns(1)?;
    let c = match existing.into_iter().next() {
        Some(c) => c,
        None => store.create_campaign(
            &actor,
            now,
            kerro_store::NewCampaign {
                offer: OfferKey::parse("offer", "cloud_security_review")
                    .map_err(|e| anyhow::anyhow!(e.message))?,
                audience: CampaignAudience::Saved(audience),
                send_at: None,
            },
        )?,
    };
    Ok(format!(
        "\nCampaign (e-mail, within each customer's own limits):\n  \
         audience:      {} ({}), {} now: <API>/v1/audiences/{}\n  \
         counts:        curl -H 'Authorization: Bearer <admin token>' <API>/v1/campaigns/{}\n  \
         messages:      {}/*.eml, each with a List-Unsubscribe link: open it, or\n  \
         one click:     curl -d List-Unsubscribe=One-Click <that link>\n",
        saved.name,
        saved.key,
        saved
            .size
            .map_or_else(|| "size unknown".to_owned(), |n| format!("{n} subjects")),
        saved.key,
        c.id,
        outbox.display()
    ))
}
