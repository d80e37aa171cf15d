//! The demo workspace behind `kerro demo`: a B2B schema for a Finnish cybersecurity company, a small B2C newsletter, and reproducible synthetic subjects who answered them.
//! The purposes, questions and forms are data (`demo_schema.toml`, in the
//! API's own shapes); this module defines them and plans the subjects.
//!
//! Everything goes through the public store API, so the demo obeys the same
//! rules as real traffic: answers are sent only where a consent or the
//! contract gives them a legal basis, and every submission names the form's
//! current notice version. Random choices come from a fixed seed, so two runs
//! produce the same answers, consents and timeline (ids and hashes differ).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, Utc};
use kerro_core::contact::{Channel, ContactPrefs};
use kerro_core::recipient::RecipientSpec;
use kerro_core::schema::{AttributeSpec, FormSpec, PurposeSpec};
use kerro_core::{Actor, AttributeKey, FormKey, Lang, PurposeKey, RecipientKey, SubjectId};
use kerro_store::{NewSubject, Store, Submission};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

mod plans;
pub mod registers;
use plans::{plan_subjects, SubjectPlan};

/// What the demo seeded (or found already seeded).
pub struct DemoSeed {
    /// Every synthetic subject, in external-id order (`demo-0000`, `demo-0001`, ...).
    pub subjects: Vec<SubjectId>,
    /// `demo-0000`: a B2B subject who consented and answered every survey question.
    pub sample_subject: SubjectId,
}

/// The purpose whose presence marks a workspace as already seeded.
const MARKER_PURPOSE: &str = "security_updates";
/// Subjects joined over this many days before `now`.
const HISTORY_DAYS: i64 = 180;
const RNG_SEED: u64 = 42;

const B2B_SURVEY: &str = "b2b_survey";
const SECURITY_QUIZ: &str = "security_quiz";
const EVENT_SIGNUP: &str = "event_signup";
const NEWSLETTER_SIGNUP: &str = "newsletter_signup";

/// Seeds the demo workspace; `now` is the present and all demo history lies before it.
///
/// Idempotent: if the schema already has the purpose `security_updates`, it only returns the
/// existing state (looking subjects up by external id) without creating anything again.
pub fn seed(store: &Store, now: DateTime<Utc>, subjects: usize) -> Result<DemoSeed> {
    if subjects == 0 {
        bail!("the demo needs at least one subject");
    }
    if store
        .schema()
        .schema
        .purposes
        .contains_key(&purpose_key(MARKER_PURPOSE)?)
    {
        crate::demo_offers::define(store, now)?;
        return existing(store, subjects);
    }
    let actor = Actor::System("demo".into());
    define_schema(store, &actor, now - Duration::days(HISTORY_DAYS + 2))?;
    crate::demo_offers::define(store, now)?;
    let plans = plan_subjects(now, subjects);
    let seeded = run(store, &actor, &plans)?;
    record_breach(store, &actor, now)?;
    Ok(seeded)
}

/// One open breach in the register (P25), discovered 20 hours ago and
/// updated once, so the staff page shows its countdown.
fn record_breach(store: &Store, actor: &Actor, now: DateTime<Utc>) -> Result<()> {
    use kerro_core::breach::{Amendment, Report, Stage};
    let b = store
        .create_breach(
            actor,
            now - Duration::hours(20),
            now - Duration::hours(20),
            Report {
                nature:
                    "A misconfigured newsletter export was reachable without sign-in for two hours."
                        .into(),
                data_categories: vec!["e-mail addresses".into(), "newsletter topics".into()],
                subject_categories: vec!["newsletter subscribers".into()],
                approx_subjects: Some(40),
                approx_records: Some(80),
                contact_point: "tietosuoja@turvakide.example".into(),
                likely_consequences: "Unwanted e-mail; targeted phishing.".into(),
                measures: "The export was removed and its link revoked.".into(),
            },
        )
        .context("recording the demo breach")?;
    store
        .update_breach(
            actor,
            now - Duration::hours(19),
            &b.id,
            "The web server's logs show no download of the export.".into(),
            Amendment {
                stage: Some(Stage::Contained),
                ..Amendment::default()
            },
        )
        .context("updating the demo breach")?;
    Ok(())
}

/// The state of an earlier seed, found by external id.
fn existing(store: &Store, subjects: usize) -> Result<DemoSeed> {
    let mut found = Vec::with_capacity(subjects);
    for n in 0..subjects {
        let ext = external_id(n);
        if let Some(id) = store
            .find_by_external_id(&ext)
            .with_context(|| format!("looking up demo subject {ext}"))?
        {
            found.push(id);
        }
    }
    let sample = store
        .find_by_external_id(&external_id(0))
        .context("looking up the demo's sample subject")?
        .with_context(|| {
            format!(
                "the workspace already has a '{MARKER_PURPOSE}' purpose but no demo subject {}: \
                 it was not made by `kerro demo`, or an earlier demo run stopped early; \
                 seed the demo into an empty data directory",
                external_id(0)
            )
        })?;
    Ok(DemoSeed {
        subjects: found,
        sample_subject: sample,
    })
}

/// The demo company, shown as the controller on notices, receipts and the privacy policy
/// unless the configuration names one.
pub fn controller() -> crate::config::Controller {
    crate::config::Controller {
        name: "Turvakide Oy".into(),
        address: "Esimerkkikatu 1, 00100 Helsinki, Finland".into(),
        email: "privacy@turvakide.example".into(),
        dpo: "dpo@turvakide.example".into(),
        privacy_policy_url: None,
    }
}

/// The demo's web pages, for the banner: a new user's way through survey, preference centre and policy.
pub fn web_banner(url: &str, sign_in_token: &str) -> String {
    format!(
        "\nWeb pages (Finnish first; every page has a language switch):\n  \
         start page:         {url}/\n  \
         B2B survey:         {url}/f/{B2B_SURVEY}?lang=fi  |  ?lang=sv  |  ?lang=en\n  \
         B2C newsletter:     {url}/f/{NEWSLETTER_SIGNUP}?lang=fi  |  ?lang=sv  |  ?lang=en\n  \
         preference centre:  {url}/login  (e-mail demo0@example.invalid; the sign-in link is printed here)\n  \
         or sign in once:    {url}/login/{sign_in_token}\n  \
         privacy policy:     {url}/privacy?lang=fi  |  ?lang=sv  |  ?lang=en\n  \
         admin overview:     {url}/admin  (staff sign in as named people: see below)\n"
    )
}

/// The demo's staff: an admin and a data protection officer, invited on first
/// start. Prints each invite link (set a password, enrol an authenticator app),
/// or, once set up, where to sign in.
pub fn invite_staff(
    store: &Store,
    now: DateTime<Utc>,
    url: &str,
) -> kerro_store::StoreResult<String> {
    let demo = Actor::System("demo".into());
    let people = [
        ("admin@demo.invalid", "Demo Admin", kerro_core::Role::Admin),
        ("dpo@demo.invalid", "Demo DPO", kerro_core::Role::Dpo),
    ];
    let known = store.list_staff()?;
    let mut lines = String::from("\nStaff (named accounts with a second factor):\n");
    for (email, name, role) in people {
        let line = match known.iter().find(|a| a.email == email) {
            None => {
                let i = store.create_staff(&demo, now, email, name, role)?;
                format!("invite link:  {url}/admin/invite?token={}", i.secret)
            }
            Some(a) if a.state == kerro_core::staff::StaffState::Invited => {
                let i = store.reinvite_staff(&demo, now, &a.id)?;
                format!("invite link:  {url}/admin/invite?token={}", i.secret)
            }
            Some(_) => format!("sign in at {url}/admin/login"),
        };
        lines.push_str(&format!("  {role:<6} {email:<20} {line}\n"));
    }
    Ok(lines)
}

fn external_id(n: usize) -> String {
    format!("demo-{n:04}")
}

// ---------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------

struct Definitions {
    recipients: Vec<(RecipientKey, RecipientSpec)>,
    purposes: Vec<(PurposeKey, PurposeSpec)>,
    attributes: Vec<(AttributeKey, AttributeSpec)>,
    forms: Vec<(FormKey, FormSpec)>,
}

/// Puts every definition the workspace lacks; refuses to replace one that differs from the demo's.
fn define_schema(store: &Store, actor: &Actor, at: DateTime<Utc>) -> Result<()> {
    let defs = definitions()?;
    let current = store.schema();
    let schema = &current.schema;
    for (k, s) in &defs.recipients {
        check_unchanged("recipient", k, schema.recipients.get(k), s)?;
    }
    for (k, s) in &defs.purposes {
        check_unchanged("purpose", k, schema.purposes.get(k), s)?;
    }
    for (k, s) in &defs.attributes {
        check_unchanged("attribute", k, schema.attributes.get(k), s)?;
    }
    for (k, s) in &defs.forms {
        check_unchanged("form", k, schema.forms.get(k), s)?;
    }
    // Recipients, then the purposes naming them, the attributes bound to those, then the
    // forms asking them: each step is valid on its own, and every form starts at notice version 1.
    for (k, s) in defs.recipients {
        if !schema.recipients.contains_key(&k) {
            store
                .put_recipient(actor, at, k.clone(), s)
                .with_context(|| format!("defining demo recipient '{k}'"))?;
        }
    }
    for (k, s) in defs.purposes {
        if !schema.purposes.contains_key(&k) {
            store
                .put_purpose(actor, at, k.clone(), s)
                .with_context(|| format!("defining demo purpose '{k}'"))?;
        }
    }
    for (k, s) in defs.attributes {
        if !schema.attributes.contains_key(&k) {
            store
                .put_attribute(actor, at, k.clone(), s)
                .with_context(|| format!("defining demo attribute '{k}'"))?;
        }
    }
    for (k, s) in defs.forms {
        if !schema.forms.contains_key(&k) {
            store
                .put_form(actor, at, k.clone(), s)
                .with_context(|| format!("defining demo form '{k}'"))?;
        }
    }
    Ok(())
}

fn check_unchanged<K: std::fmt::Display, S: PartialEq>(
    kind: &str,
    key: &K,
    current: Option<&S>,
    demo: &S,
) -> Result<()> {
    match current {
        Some(c) if c != demo => bail!(
            "the workspace already defines a different {kind} '{key}'; the demo will not replace it: \
             seed the demo into an empty data directory"
        ),
        _ => Ok(()),
    }
}

fn purpose_key(raw: &str) -> Result<PurposeKey> {
    PurposeKey::parse("purpose", raw).with_context(|| format!("demo purpose key '{raw}'"))
}

fn attribute_key(raw: &str) -> Result<AttributeKey> {
    AttributeKey::parse("attribute", raw).with_context(|| format!("demo attribute key '{raw}'"))
}

fn form_key(raw: &str) -> Result<FormKey> {
    FormKey::parse("form", raw).with_context(|| format!("demo form key '{raw}'"))
}

/// The B2B survey's options (also the import benchmark's).
pub const SECURITY_INTERESTS: [&str; 8] = [
    "breach_prevention",
    "staff_training",
    "cloud_security",
    "endpoint_security",
    "identity_access",
    "incident_response",
    "ot_security",
    "supply_chain",
];
pub const PROTECT_AREAS: [&str; 6] = [
    "customer_data",
    "payments",
    "production",
    "r_and_d",
    "email",
    "remote_work",
];
/// `none` is kept apart: it is never combined with a real requirement.
const COMPLIANCE_NEEDS: [&str; 5] = ["nis2", "iso27001", "gdpr", "dora", "pci_dss"];
/// Option values must start with a letter, hence `size_` before the head-count range.
/// Each with the range of employees it stands for.
pub const COMPANY_SIZES: [(&str, u32, u32); 5] = [
    ("size_1_9", 1, 9),
    ("size_10_49", 10, 49),
    ("size_50_249", 50, 249),
    ("size_250_999", 250, 999),
    ("size_1000_plus", 1000, 20_000),
];
const ACTIVITIES: [&str; 6] = [
    "hiking", "paddling", "skiing", "climbing", "cycling", "camping",
];

/// The demo workspace's purposes, questions and forms, in the API's own shapes.
const SCHEMA: &str = include_str!("demo_schema.toml");

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaFile {
    recipients: BTreeMap<String, RecipientSpec>,
    purposes: BTreeMap<String, PurposeSpec>,
    attributes: BTreeMap<String, AttributeSpec>,
    forms: BTreeMap<String, FormSpec>,
}

fn definitions() -> Result<Definitions> {
    let file: SchemaFile = toml::from_str(SCHEMA).context("the demo schema (demo_schema.toml)")?;
    Ok(Definitions {
        recipients: file
            .recipients
            .into_iter()
            .map(|(k, s)| Ok((RecipientKey::parse("key", &k)?, s)))
            .collect::<Result<_>>()?,
        purposes: file
            .purposes
            .into_iter()
            .map(|(k, s)| Ok((purpose_key(&k)?, s)))
            .collect::<Result<_>>()?,
        attributes: file
            .attributes
            .into_iter()
            .map(|(k, s)| Ok((attribute_key(&k)?, s)))
            .collect::<Result<_>>()?,
        forms: file
            .forms
            .into_iter()
            .map(|(k, s)| Ok((form_key(&k)?, s)))
            .collect::<Result<_>>()?,
    })
}

// ---------------------------------------------------------------------------
// Writing the plans
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Create,
    Submit(usize),
    Contact,
}

/// Writes the plans in time order across all subjects, so the ledger and the audit log read
/// as one history rather than subject by subject.
fn run(store: &Store, actor: &Actor, plans: &[SubjectPlan]) -> Result<DemoSeed> {
    let snapshot = store.schema();
    let mut notice_versions = BTreeMap::new();
    for raw in [B2B_SURVEY, SECURITY_QUIZ, EVENT_SIGNUP, NEWSLETTER_SIGNUP] {
        let key = form_key(raw)?;
        let version = snapshot
            .notices
            .get(&key)
            .with_context(|| format!("demo form '{raw}' has no notice version"))?
            .version;
        notice_versions.insert(raw, (key, version));
    }

    let mut timeline: Vec<(DateTime<Utc>, usize, Op)> = Vec::new();
    for (i, p) in plans.iter().enumerate() {
        timeline.push((p.joined, i, Op::Create));
        for (s, step) in p.steps.iter().enumerate() {
            timeline.push((step.at, i, Op::Submit(s)));
        }
        if let Some((at, _)) = &p.contact {
            timeline.push((*at, i, Op::Contact));
        }
    }
    timeline.sort();

    let mut ids: Vec<Option<SubjectId>> = vec![None; plans.len()];
    for (at, i, op) in timeline {
        let plan = &plans[i];
        let ext = plan.new.external_id.as_deref().unwrap_or("?");
        match op {
            Op::Create => {
                let id = store
                    .create_subject(actor, at, plan.new.clone())
                    .with_context(|| format!("creating demo subject {ext}"))?;
                ids[i] = Some(id);
            }
            Op::Submit(s) => {
                let step = &plan.steps[s];
                let subject = created(&ids[i], ext)?;
                // The synthetic subject answers its own form, as a real one would.
                let by_subject = Actor::Subject(subject.clone());
                let (form, version) = notice_versions
                    .get(step.form)
                    .with_context(|| format!("demo form '{}' is not defined", step.form))?;
                store
                    .submit(
                        &by_subject,
                        at,
                        Submission {
                            form: form.clone(),
                            subject,
                            notice_version: *version,
                            answers: step.answers.clone(),
                            consents: step.consents.clone(),
                            language: Some(plan.lang),
                            explicit: vec![],
                            recipients: step.recipients.clone(),
                        },
                    )
                    .with_context(|| {
                        format!("submitting form '{}' for demo subject {ext}", step.form)
                    })?;
            }
            Op::Contact => {
                if let Some((_, prefs)) = &plan.contact {
                    let subject = created(&ids[i], ext)?;
                    store
                        .set_contact(
                            &Actor::Subject(subject.clone()),
                            at,
                            &subject,
                            prefs.clone(),
                        )
                        .with_context(|| {
                            format!("setting contact preferences of demo subject {ext}")
                        })?;
                }
            }
        }
    }

    let subjects: Vec<SubjectId> = ids.into_iter().flatten().collect();
    let sample_subject = subjects
        .first()
        .cloned()
        .context("the demo created no subjects")?;
    Ok(DemoSeed {
        subjects,
        sample_subject,
    })
}

fn created(id: &Option<SubjectId>, ext: &str) -> Result<SubjectId> {
    id.clone()
        .with_context(|| format!("demo subject {ext} acts before it was created"))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_schema_file_holds_every_form_the_demo_fills() {
        let d = super::definitions().unwrap();
        let forms: Vec<String> = d.forms.iter().map(|(k, _)| k.to_string()).collect();
        for form in [
            super::B2B_SURVEY,
            super::SECURITY_QUIZ,
            super::EVENT_SIGNUP,
            super::NEWSLETTER_SIGNUP,
        ] {
            assert!(forms.iter().any(|f| f == form), "{form} in {forms:?}");
        }
        assert!(d
            .purposes
            .iter()
            .any(|(k, _)| k.as_str() == super::MARKER_PURPOSE));
    }
}
