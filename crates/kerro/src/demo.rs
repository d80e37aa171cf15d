//! The demo workspace behind `kerro demo`: a B2B schema for a Finnish cybersecurity company, a small B2C newsletter, and reproducible synthetic subjects who answered them.
//!
//! Everything goes through the public store API, so the demo obeys the same
//! rules as real traffic: answers are sent only where a consent or the
//! contract gives them a legal basis, and every submission names the form's
//! current notice version. Random choices come from a fixed seed, so two runs
//! produce the same answers, consents and timeline (ids and hashes differ).

use anyhow::{bail, Context, Result};
use chrono::{DateTime, Duration, Utc};
use kerro_core::contact::{Channel, ContactPrefs};
use kerro_core::schema::{
    AttrKind, AttrOption, AttributeSpec, FormKind, FormSpec, LegalBasis, PurposeSpec, Use,
};
use kerro_core::{Actor, AttributeKey, FormKey, Lang, Localized, PurposeKey, SubjectId};
use kerro_store::{NewSubject, Store, Submission};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

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
    run(store, &actor, &plans)
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
         admin overview:     {url}/admin  (sign in with the admin token above)\n"
    )
}

fn external_id(n: usize) -> String {
    format!("demo-{n:04}")
}

// ---------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------

struct Definitions {
    purposes: Vec<(PurposeKey, PurposeSpec)>,
    attributes: Vec<(AttributeKey, AttributeSpec)>,
    forms: Vec<(FormKey, FormSpec)>,
}

/// Puts every definition the workspace lacks; refuses to replace one that differs from the demo's.
fn define_schema(store: &Store, actor: &Actor, at: DateTime<Utc>) -> Result<()> {
    let defs = definitions()?;
    let current = store.schema();
    let schema = &current.schema;
    for (k, s) in &defs.purposes {
        check_unchanged("purpose", k, schema.purposes.get(k), s)?;
    }
    for (k, s) in &defs.attributes {
        check_unchanged("attribute", k, schema.attributes.get(k), s)?;
    }
    for (k, s) in &defs.forms {
        check_unchanged("form", k, schema.forms.get(k), s)?;
    }
    // Purposes, then the attributes bound to them, then the forms asking them: each step
    // is valid on its own, and every form starts at notice version 1.
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

fn t(fi: &str, sv: &str, en: &str) -> Localized {
    Localized(BTreeMap::from([
        (Lang::Fi, fi.to_owned()),
        (Lang::Sv, sv.to_owned()),
        (Lang::En, en.to_owned()),
    ]))
}

fn opt(value: &str, fi: &str, sv: &str, en: &str) -> AttrOption {
    AttrOption {
        value: value.to_owned(),
        title: t(fi, sv, en),
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

fn purpose_keys(raw: &[&str]) -> Result<Vec<PurposeKey>> {
    raw.iter().map(|r| purpose_key(r)).collect()
}

fn purpose(
    title: Localized,
    description: Localized,
    legal_basis: LegalBasis,
    uses: &[Use],
    retention_days: u32,
    recipients: &[&str],
    dpv_category: &str,
) -> PurposeSpec {
    PurposeSpec {
        title,
        description,
        legal_basis,
        uses: uses.iter().copied().collect(),
        retention_days,
        recipients: recipients.iter().map(|r| (*r).to_owned()).collect(),
        dpv_category: Some(dpv_category.to_owned()),
    }
}

/// An attribute without range, length or description; callers fill those in.
fn attribute(
    title: Localized,
    kind: AttrKind,
    options: Vec<AttrOption>,
    purposes: &[&str],
) -> Result<AttributeSpec> {
    Ok(AttributeSpec {
        title,
        description: None,
        kind,
        options,
        min: None,
        max: None,
        max_length: None,
        purposes: purpose_keys(purposes)?,
        special_category: false,
    })
}

fn form(
    title: Localized,
    notice: Localized,
    kind: FormKind,
    attributes: &[&str],
    purposes: &[&str],
) -> Result<FormSpec> {
    Ok(FormSpec {
        title,
        notice,
        kind,
        attributes: attributes
            .iter()
            .map(|a| attribute_key(a))
            .collect::<Result<_>>()?,
        purposes: purpose_keys(purposes)?,
    })
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

fn definitions() -> Result<Definitions> {
    use LegalBasis::{Consent, Contract};
    use Use::{Communication, Personalization, Service, Sharing};

    let purposes = vec![
        (
            purpose_key("security_updates")?,
            purpose(
                t(
                    "Tietoturvauutiset ja -tarjoukset",
                    "Säkerhetsnyheter och erbjudanden",
                    "Security news and offers",
                ),
                t(
                    "Turvakide Oy lähettää uutiskirjeen ja tarjouksia valitsemistanne tietoturva-aiheista ja kohdentaa ne vastaustenne perusteella.",
                    "Turvakide Oy skickar nyhetsbrev och erbjudanden om de säkerhetsämnen ni valt och anpassar dem efter era svar.",
                    "Turvakide Oy sends a newsletter and offers about the security topics you chose, tailored to your answers.",
                ),
                Consent,
                &[Personalization, Communication],
                730,
                &[],
                "dpv:DirectMarketing",
            ),
        ),
        (
            purpose_key("account_service")?,
            purpose(
                t(
                    "Asiakkuuden ja palvelusopimuksen hoito",
                    "Kundrelation och serviceavtal",
                    "Your customer account and service agreement",
                ),
                t(
                    "Turvakide Oy käyttää yrityksenne kokoa ja suojattavia liiketoiminta-alueita palvelusopimuksen mitoittamiseen ja toimittamiseen.",
                    "Turvakide Oy använder företagets storlek och de affärsområden som ska skyddas för att dimensionera och leverera serviceavtalet.",
                    "Turvakide Oy uses your company's size and the business areas to protect to scope and deliver your service agreement.",
                ),
                Contract,
                &[Service],
                1095,
                &[],
                "dpv:ServiceProvision",
            ),
        ),
        (
            purpose_key("compliance_advisory")?,
            purpose(
                t(
                    "Vaatimustenmukaisuuspalveluiden tarjoukset",
                    "Erbjudanden om tjänster för regelefterlevnad",
                    "Compliance advisory offers",
                ),
                t(
                    "Turvakide Oy lähettää tarjouksia vaatimustenmukaisuuspalveluista (kuten NIS2 ja ISO 27001) tarpeidenne ja seuraavan auditoinnin ajankohdan perusteella.",
                    "Turvakide Oy skickar erbjudanden om tjänster för regelefterlevnad (som NIS2 och ISO 27001) utifrån era behov och tidpunkten för nästa granskning.",
                    "Turvakide Oy sends offers for compliance services (such as NIS2 and ISO 27001) based on your needs and when your next review is due.",
                ),
                Consent,
                &[Personalization, Communication],
                730,
                &[],
                "dpv:DirectMarketing",
            ),
        ),
        (
            purpose_key("partner_events")?,
            purpose(
                t(
                    "Kumppanien tapahtumakutsut",
                    "Inbjudningar till partnerevenemang",
                    "Partner event invitations",
                ),
                t(
                    "Turvakide Oy luovuttaa yhteystietonne tapahtumakumppanilleen Tapahtumakumppani Oy:lle, joka lähettää teille kutsuja tietoturvatapahtumiin.",
                    "Turvakide Oy lämnar ut era kontaktuppgifter till sin evenemangspartner Tapahtumakumppani Oy, som skickar inbjudningar till säkerhetsevenemang.",
                    "Turvakide Oy shares your contact details with its event partner Tapahtumakumppani Oy, which sends you invitations to security events.",
                ),
                Consent,
                &[Sharing, Communication],
                365,
                &["Tapahtumakumppani Oy"],
                "dpv:DirectMarketing",
            ),
        ),
        (
            purpose_key("newsletter")?,
            purpose(
                t(
                    "Erämaa Storen uutiskirje",
                    "Erämaa Stores nyhetsbrev",
                    "Erämaa Store newsletter",
                ),
                t(
                    "Erämaa Store lähettää uutiskirjeen ja tarjouksia suosikkilajiesi mukaan, kertoo kun kokosi on alennuksessa ja muistaa sinua syntymäkuussasi.",
                    "Erämaa Store skickar nyhetsbrev och erbjudanden efter dina favoritaktiviteter, berättar när din storlek är på rea och minns dig i din födelsemånad.",
                    "Erämaa Store sends a newsletter and offers for your favourite activities, tells you when your size is on sale and remembers you in your birthday month.",
                ),
                Consent,
                &[Communication, Personalization],
                365,
                &[],
                "dpv:DirectMarketing",
            ),
        ),
    ];

    let security_interests = attribute(
        t(
            "Mitkä tietoturva-aiheet kiinnostavat teitä?",
            "Vilka säkerhetsämnen intresserar er?",
            "Which security topics interest you?",
        ),
        AttrKind::MultiChoice,
        vec![
            opt(
                "breach_prevention",
                "Tietomurtojen ennaltaehkäisy",
                "Förebyggande av dataintrång",
                "Breach prevention",
            ),
            opt(
                "staff_training",
                "Henkilöstön tietoturvakoulutus",
                "Säkerhetsutbildning för personalen",
                "Staff security training",
            ),
            opt(
                "cloud_security",
                "Pilvipalveluiden tietoturva",
                "Molnsäkerhet",
                "Cloud security",
            ),
            opt(
                "endpoint_security",
                "Päätelaitteiden suojaus",
                "Skydd av slutpunkter",
                "Endpoint security",
            ),
            opt(
                "identity_access",
                "Identiteetin- ja pääsynhallinta",
                "Identitets- och åtkomsthantering",
                "Identity and access management",
            ),
            opt(
                "incident_response",
                "Poikkeamiin reagointi",
                "Incidenthantering",
                "Incident response",
            ),
            opt(
                "ot_security",
                "Teollisuusautomaation (OT) tietoturva",
                "Säkerhet för industriell automation (OT)",
                "Industrial (OT) security",
            ),
            opt(
                "supply_chain",
                "Toimitusketjun tietoturva",
                "Säkerhet i leveranskedjan",
                "Supply chain security",
            ),
        ],
        &["security_updates"],
    )?;

    let protect_areas = attribute(
        t(
            "Mitä liiketoiminta-alueita haluatte suojata?",
            "Vilka affärsområden vill ni skydda?",
            "Which business areas do you want to protect?",
        ),
        AttrKind::MultiChoice,
        vec![
            opt(
                "customer_data",
                "Asiakastiedot",
                "Kunddata",
                "Customer data",
            ),
            opt("payments", "Maksuliikenne", "Betalningar", "Payments"),
            opt("production", "Tuotanto", "Produktion", "Production"),
            opt(
                "r_and_d",
                "Tutkimus ja tuotekehitys",
                "Forskning och utveckling",
                "Research and development",
            ),
            opt("email", "Sähköposti", "E-post", "Email"),
            opt("remote_work", "Etätyö", "Distansarbete", "Remote work"),
        ],
        &["account_service", "security_updates"],
    )?;

    let compliance_needs = attribute(
        t(
            "Mitkä vaatimukset koskevat yritystänne?",
            "Vilka krav gäller för ert företag?",
            "Which compliance requirements apply to your company?",
        ),
        AttrKind::MultiChoice,
        vec![
            opt(
                "nis2",
                "NIS2-direktiivi",
                "NIS2-direktivet",
                "NIS2 directive",
            ),
            opt(
                "iso27001",
                "ISO/IEC 27001",
                "ISO/IEC 27001",
                "ISO/IEC 27001",
            ),
            opt(
                "gdpr",
                "GDPR eli tietosuoja-asetus",
                "GDPR (dataskyddsförordningen)",
                "GDPR",
            ),
            opt(
                "dora",
                "DORA (rahoitusalan digitaalinen häiriönsietokyky)",
                "DORA (digital operativ motståndskraft i finanssektorn)",
                "DORA (digital operational resilience in finance)",
            ),
            opt("pci_dss", "PCI DSS", "PCI DSS", "PCI DSS"),
            opt(
                "none",
                "Ei mikään näistä",
                "Inget av dessa",
                "None of these",
            ),
        ],
        &["compliance_advisory"],
    )?;

    let company_size = attribute(
        t(
            "Yrityksenne koko",
            "Företagets storlek",
            "Your company's size",
        ),
        AttrKind::Choice,
        vec![
            opt("size_1_9", "1–9 henkilöä", "1–9 personer", "1–9 people"),
            opt(
                "size_10_49",
                "10–49 henkilöä",
                "10–49 personer",
                "10–49 people",
            ),
            opt(
                "size_50_249",
                "50–249 henkilöä",
                "50–249 personer",
                "50–249 people",
            ),
            opt(
                "size_250_999",
                "250–999 henkilöä",
                "250–999 personer",
                "250–999 people",
            ),
            opt(
                "size_1000_plus",
                "1 000 henkilöä tai enemmän",
                "1 000 personer eller fler",
                "1,000 people or more",
            ),
        ],
        &["account_service"],
    )?;

    let employees = AttributeSpec {
        description: Some(t(
            "Tarvitsemme henkilöstömäärän lisenssien ja koulutusten mitoittamiseen.",
            "Vi behöver antalet anställda för att dimensionera licenser och utbildningar.",
            "We need the head count to size licences and training.",
        )),
        min: Some(1.0),
        max: Some(1_000_000.0),
        ..attribute(
            t("Henkilöstömäärä", "Antal anställda", "Number of employees"),
            AttrKind::Number,
            vec![],
            &["account_service"],
        )?
    };

    let next_review = attribute(
        t(
            "Milloin on seuraava tietoturva-auditointinne?",
            "När är er nästa säkerhetsgranskning?",
            "When is your next security review?",
        ),
        AttrKind::Date,
        vec![],
        &["compliance_advisory"],
    )?;

    let wishes = AttributeSpec {
        max_length: Some(500),
        ..attribute(
            t(
                "Mitä meidän pitäisi rakentaa seuraavaksi?",
                "Vad borde vi bygga härnäst?",
                "What should we build next?",
            ),
            AttrKind::Text,
            vec![],
            &["security_updates"],
        )?
    };

    let favourite_activities = attribute(
        t(
            "Mitkä ovat suosikkilajejasi?",
            "Vilka är dina favoritaktiviteter?",
            "What are your favourite activities?",
        ),
        AttrKind::MultiChoice,
        vec![
            opt("hiking", "Vaellus", "Vandring", "Hiking"),
            opt("paddling", "Melonta", "Paddling", "Paddling"),
            opt("skiing", "Hiihto", "Skidåkning", "Skiing"),
            opt("climbing", "Kiipeily", "Klättring", "Climbing"),
            opt("cycling", "Pyöräily", "Cykling", "Cycling"),
            opt("camping", "Telttailu", "Tältning", "Camping"),
        ],
        &["newsletter"],
    )?;

    let shoe_size = AttributeSpec {
        description: Some(t(
            "Kerromme, kun kokoisiasi kenkiä on alennuksessa.",
            "Vi berättar när skor i din storlek är på rea.",
            "We tell you when shoes in your size are on sale.",
        )),
        min: Some(30.0),
        max: Some(50.0),
        ..attribute(
            t(
                "Kengänkokosi (EU)",
                "Din skostorlek (EU)",
                "Your shoe size (EU)",
            ),
            AttrKind::Number,
            vec![],
            &["newsletter"],
        )?
    };

    const MONTHS: [(&str, &str, &str); 12] = [
        ("tammikuu", "januari", "January"),
        ("helmikuu", "februari", "February"),
        ("maaliskuu", "mars", "March"),
        ("huhtikuu", "april", "April"),
        ("toukokuu", "maj", "May"),
        ("kesäkuu", "juni", "June"),
        ("heinäkuu", "juli", "July"),
        ("elokuu", "augusti", "August"),
        ("syyskuu", "september", "September"),
        ("lokakuu", "oktober", "October"),
        ("marraskuu", "november", "November"),
        ("joulukuu", "december", "December"),
    ];
    let birthday_month = AttributeSpec {
        description: Some(t(
            "Vain kuukausi, ei päivää eikä vuotta: lähetämme syntymäpäiväetusi.",
            "Bara månaden, varken dag eller år: vi skickar din födelsedagsförmån.",
            "Only the month, neither day nor year: we send your birthday offer.",
        )),
        ..attribute(
            t(
                "Syntymäkuukautesi",
                "Din födelsemånad",
                "Your birthday month",
            ),
            AttrKind::Choice,
            MONTHS
                .iter()
                .enumerate()
                .map(|(i, (fi, sv, en))| opt(&format!("m{:02}", i + 1), fi, sv, en))
                .collect(),
            &["newsletter"],
        )?
    };

    let attributes = vec![
        (attribute_key("security_interests")?, security_interests),
        (attribute_key("protect_areas")?, protect_areas),
        (attribute_key("compliance_needs")?, compliance_needs),
        (attribute_key("company_size")?, company_size),
        (attribute_key("employees")?, employees),
        (attribute_key("next_review")?, next_review),
        (attribute_key("wishes")?, wishes),
        (attribute_key("favourite_activities")?, favourite_activities),
        (attribute_key("shoe_size")?, shoe_size),
        (attribute_key("birthday_month")?, birthday_month),
    ];

    let forms = vec![
        (
            form_key(B2B_SURVEY)?,
            form(
                t(
                    "Turvakiteen tietoturvakartoitus",
                    "Turvakides säkerhetskartläggning",
                    "Turvakide security survey",
                ),
                t(
                    "Turvakide Oy kysyy näitä tietoja yrityksestänne. Yrityksen kokoa, henkilöstömäärää ja suojattavia alueita tarvitsemme palvelusopimuksenne hoitamiseen. Kiinnostavat aiheet, vaatimukset, auditoinnin ajankohdan ja toiveenne tallennamme vain, jos annatte alla suostumuksen uutiskirjeisiin ja tarjouksiin. Kaikki kysymykset ovat vapaaehtoisia. Voitte perua suostumuksenne milloin tahansa asetuskeskuksessa, jolloin poistamme vain sitä varten annetut tiedot.",
                    "Turvakide Oy frågar de här uppgifterna om ert företag. Företagets storlek, antal anställda och de områden som ska skyddas behöver vi för att sköta ert serviceavtal. Intressanta ämnen, krav, tidpunkten för granskningen och era önskemål sparar vi bara om ni nedan samtycker till nyhetsbrev och erbjudanden. Alla frågor är frivilliga. Ni kan när som helst återkalla ert samtycke i inställningscentret, och då raderar vi de uppgifter som gavs enbart för det.",
                    "Turvakide Oy asks these questions about your company. We need your company's size, head count and the areas to protect to run your service agreement. Your topics of interest, requirements, review date and wishes are stored only if you consent below to newsletters and offers. Every question is optional. You can withdraw your consent at any time in the preference centre, and we then delete what was given only for it.",
                ),
                FormKind::Survey,
                &[
                    "security_interests",
                    "protect_areas",
                    "compliance_needs",
                    "company_size",
                    "employees",
                    "next_review",
                    "wishes",
                ],
                &["security_updates", "account_service", "compliance_advisory"],
            )?,
        ),
        (
            form_key(SECURITY_QUIZ)?,
            form(
                t(
                    "Tietoturvavisa: kuinka hyvin yrityksenne on suojattu?",
                    "Säkerhetsquiz: hur väl skyddat är ert företag?",
                    "Security quiz: how well protected is your company?",
                ),
                t(
                    "Turvakide Oy kysyy yrityksenne kokoa asiakkuutenne hoitamiseksi. Kiinnostavat aiheet tallennamme vain, jos annatte suostumuksen tietoturvauutisiin ja -tarjouksiin. Voitte perua suostumuksen milloin tahansa asetuskeskuksessa.",
                    "Turvakide Oy frågar efter företagets storlek för att sköta er kundrelation. Intressanta ämnen sparar vi bara om ni samtycker till säkerhetsnyheter och erbjudanden. Ni kan när som helst återkalla samtycket i inställningscentret.",
                    "Turvakide Oy asks your company's size to run your customer account. Your topics of interest are stored only if you consent to security news and offers. You can withdraw your consent at any time in the preference centre.",
                ),
                FormKind::Quiz,
                &["security_interests", "company_size"],
                &["security_updates", "account_service"],
            )?,
        ),
        (
            form_key(EVENT_SIGNUP)?,
            form(
                t(
                    "Turvakiteen tietoturvapäivä: tapahtumakutsut",
                    "Turvakides säkerhetsdag: inbjudningar",
                    "Turvakide Security Day: invitations",
                ),
                t(
                    "Turvakide Oy järjestää tietoturvatapahtumia yhdessä Tapahtumakumppani Oy:n kanssa. Jos annatte luvan, luovutamme yhteystietonne Tapahtumakumppani Oy:lle, joka lähettää teille kutsut. Kiinnostavat aiheet tallennamme vain, jos annatte suostumuksen tietoturvauutisiin ja -tarjouksiin. Voitte perua suostumukset milloin tahansa asetuskeskuksessa.",
                    "Turvakide Oy ordnar säkerhetsevenemang tillsammans med Tapahtumakumppani Oy. Om ni samtycker lämnar vi ut era kontaktuppgifter till Tapahtumakumppani Oy, som skickar inbjudningarna. Intressanta ämnen sparar vi bara om ni samtycker till säkerhetsnyheter och erbjudanden. Ni kan när som helst återkalla samtyckena i inställningscentret.",
                    "Turvakide Oy runs security events together with Tapahtumakumppani Oy. If you agree, we share your contact details with Tapahtumakumppani Oy, which sends the invitations. Your topics of interest are stored only if you consent to security news and offers. You can withdraw your consents at any time in the preference centre.",
                ),
                FormKind::EventSignup,
                &["security_interests"],
                &["partner_events", "security_updates"],
            )?,
        ),
        (
            form_key(NEWSLETTER_SIGNUP)?,
            form(
                t(
                    "Erämaa Storen uutiskirje",
                    "Erämaa Stores nyhetsbrev",
                    "Erämaa Store newsletter",
                ),
                t(
                    "Erämaa Store kysyy suosikkilajisi, kengänkokosi ja syntymäkuukautesi lähettääkseen sinulle juuri sinua kiinnostavia uutisia ja tarjouksia. Kaikki kysymykset ovat vapaaehtoisia, ja vastauksesi tallennetaan vain suostumuksellasi. Voit perua suostumuksen milloin tahansa asetuskeskuksessa, jolloin poistamme nämä tiedot.",
                    "Erämaa Store frågar efter dina favoritaktiviteter, din skostorlek och din födelsemånad för att skicka nyheter och erbjudanden som intresserar just dig. Alla frågor är frivilliga och dina svar sparas bara med ditt samtycke. Du kan när som helst återkalla samtycket i inställningscentret, och då raderar vi uppgifterna.",
                    "Erämaa Store asks for your favourite activities, shoe size and birthday month to send you news and offers that interest you. Every question is optional, and your answers are stored only with your consent. You can withdraw your consent at any time in the preference centre, and we then delete these answers.",
                ),
                FormKind::PreferenceCentre,
                &["favourite_activities", "shoe_size", "birthday_month"],
                &["newsletter"],
            )?,
        ),
    ];

    Ok(Definitions {
        purposes,
        attributes,
        forms,
    })
}

// ---------------------------------------------------------------------------
// The synthetic subjects
// ---------------------------------------------------------------------------

/// One form submission a subject makes.
struct Step {
    at: DateTime<Utc>,
    form: &'static str,
    answers: Map<String, Value>,
    consents: Map<String, Value>,
}

/// What one subject does: joins at `joined`, submits forms, then sets contact preferences.
struct SubjectPlan {
    new: NewSubject,
    lang: Lang,
    joined: DateTime<Utc>,
    steps: Vec<Step>,
    contact: Option<(DateTime<Utc>, ContactPrefs)>,
}

const FI_ORGANIZATIONS: [&str; 6] = [
    "Esimerkki Oy",
    "Malliyritys Oy",
    "Testitehdas Oy",
    "Näyte Logistiikka Oy",
    "Kuvitelma Konepaja Oy",
    "Harjoitus Kauppa Oy",
];
const EN_ORGANIZATIONS: [&str; 3] = [
    "Example Nordic Oy",
    "Sample Systems Oy",
    "Placeholder Health Oy",
];
const WISHES_FI: [&str; 6] = [
    "Selkeä NIS2-raportti johtoryhmälle kerran kuukaudessa.",
    "Lyhyitä tietoturvakoulutusvideoita henkilöstölle.",
    "Valvontaa myös viikonloppuisin.",
    "Yksinkertainen tarkistuslista etätyöhön.",
    "Hinnoittelu, joka sopii pienelle yritykselle.",
    "Kalasteluharjoituksia suomeksi ja ruotsiksi.",
];
const WISHES_EN: [&str; 6] = [
    "A clear monthly NIS2 report for the management team.",
    "Short security training videos for staff.",
    "Monitoring at weekends too.",
    "A simple checklist for remote work.",
    "Pricing that fits a small company.",
    "Phishing drills in English and Finnish.",
];

/// `k` of `options`, at random, in the options' own order.
fn some_of(rng: &mut StdRng, options: &[&str], min: usize, max: usize) -> Value {
    let k = rng.gen_range(min..=max.min(options.len()));
    let chosen: BTreeSet<&str> = options.choose_multiple(rng, k).copied().collect();
    Value::Array(
        options
            .iter()
            .filter(|o| chosen.contains(*o))
            .map(|o| Value::String((*o).to_owned()))
            .collect(),
    )
}

/// One item of a non-empty constant list.
fn one_of<'a>(rng: &mut StdRng, options: &[&'a str]) -> &'a str {
    options[rng.gen_range(0..options.len())]
}

fn date(t: DateTime<Utc>) -> Value {
    Value::String(t.format("%Y-%m-%d").to_string())
}

fn consents(pairs: &[(&str, bool)]) -> Map<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Value::Bool(*v)))
        .collect()
}

/// Plans `count` subjects from the fixed seed; the first is always the sample subject.
fn plan_subjects(now: DateTime<Utc>, count: usize) -> Vec<SubjectPlan> {
    let mut rng = StdRng::seed_from_u64(RNG_SEED);
    let mut plans = Vec::with_capacity(count);
    plans.push(sample_plan(now));
    for n in 1..count {
        // Every third subject is a newsletter reader of the shop; the rest are client companies.
        plans.push(if n % 3 == 2 {
            b2c_plan(&mut rng, now, n)
        } else {
            b2b_plan(&mut rng, now, n)
        });
    }
    plans
}

fn contact_prefs(rng: &mut StdRng, email: bool, sms_chance: f64, lang: Lang) -> ContactPrefs {
    let mut channels = BTreeMap::from([(Channel::Email, email), (Channel::Web, true)]);
    if rng.gen_bool(sms_chance) {
        channels.insert(Channel::Sms, true);
    }
    ContactPrefs {
        channels,
        max_per_week: Some(rng.gen_range(1..=3)),
        language: Some(lang),
    }
}

/// `demo-0000`: consents to security news and compliance offers and answers every survey question.
fn sample_plan(now: DateTime<Utc>) -> SubjectPlan {
    let joined = now - Duration::days(30) - Duration::hours(5);
    let quiz_at = joined + Duration::minutes(2);
    let survey_at = joined + Duration::days(9);
    let quiz = Step {
        at: quiz_at,
        form: SECURITY_QUIZ,
        answers: Map::from_iter([
            (
                "security_interests".to_owned(),
                json!(["breach_prevention", "staff_training"]),
            ),
            ("company_size".to_owned(), json!("size_50_249")),
        ]),
        consents: consents(&[("security_updates", true)]),
    };
    let survey = Step {
        at: survey_at,
        form: B2B_SURVEY,
        answers: Map::from_iter([
            (
                "security_interests".to_owned(),
                json!(["breach_prevention", "staff_training", "cloud_security"]),
            ),
            (
                "protect_areas".to_owned(),
                json!(["customer_data", "payments", "email", "remote_work"]),
            ),
            (
                "compliance_needs".to_owned(),
                json!(["nis2", "iso27001", "gdpr"]),
            ),
            ("company_size".to_owned(), json!("size_50_249")),
            ("employees".to_owned(), json!(120)),
            (
                "next_review".to_owned(),
                date(survey_at + Duration::days(120)),
            ),
            ("wishes".to_owned(), json!(WISHES_FI[0])),
        ]),
        consents: consents(&[("security_updates", true), ("compliance_advisory", true)]),
    };
    SubjectPlan {
        new: NewSubject {
            external_id: Some(external_id(0)),
            email: Some("demo0@example.invalid".to_owned()),
            locale: Some(Lang::Fi),
            organization: Some("Esimerkki Oy".to_owned()),
        },
        lang: Lang::Fi,
        joined,
        steps: vec![quiz, survey],
        contact: Some((
            survey_at + Duration::minutes(3),
            ContactPrefs {
                channels: BTreeMap::from([(Channel::Email, true), (Channel::Web, true)]),
                max_per_week: Some(2),
                language: Some(Lang::Fi),
            },
        )),
    }
}

/// When a subject joined: some day in the demo's history, at some minute of that day.
fn joined_at(rng: &mut StdRng, now: DateTime<Utc>) -> (DateTime<Utc>, i64) {
    let days_ago = rng.gen_range(2..=HISTORY_DAYS);
    let at = now - Duration::days(days_ago) - Duration::minutes(rng.gen_range(0..24 * 60));
    (at, days_ago)
}

fn b2b_plan(rng: &mut StdRng, now: DateTime<Utc>, n: usize) -> SubjectPlan {
    let lang = if rng.gen_bool(0.7) {
        Lang::Fi
    } else {
        Lang::En
    };
    let organization = match lang {
        Lang::En => format!("{} {n}", one_of(rng, &EN_ORGANIZATIONS)),
        _ => format!("{} {n}", one_of(rng, &FI_ORGANIZATIONS)),
    };
    let (joined, days_ago) = joined_at(rng, now);

    // About one in eight refuses every consent and answers only what the contract needs.
    let refuses_all = rng.gen_bool(0.12);
    let updates = !refuses_all && rng.gen_bool(0.88);
    let compliance = !refuses_all && rng.gen_bool(0.5);
    let (size, low, high) = COMPANY_SIZES[match rng.gen_range(0..100) {
        0..=34 => 0,
        35..=69 => 1,
        70..=87 => 2,
        88..=96 => 3,
        _ => 4,
    }];

    let mut steps = Vec::new();
    let mut at = joined + Duration::minutes(1);
    // Some met Turvakide first through the quiz, and came back to the survey later.
    if rng.gen_bool(0.2) {
        let mut answers = Map::new();
        if updates {
            answers.insert(
                "security_interests".into(),
                some_of(rng, &SECURITY_INTERESTS, 1, 2),
            );
        }
        answers.insert("company_size".into(), json!(size));
        steps.push(Step {
            at,
            form: SECURITY_QUIZ,
            answers,
            consents: consents(&[("security_updates", updates)]),
        });
        at += Duration::days(rng.gen_range(1..days_ago.min(20)));
    }

    let mut answers = Map::new();
    if updates && rng.gen_bool(0.9) {
        answers.insert(
            "security_interests".into(),
            some_of(rng, &SECURITY_INTERESTS, 1, 4),
        );
    }
    if rng.gen_bool(0.85) {
        answers.insert("protect_areas".into(), some_of(rng, &PROTECT_AREAS, 1, 3));
    }
    if compliance && rng.gen_bool(0.85) {
        let needs = if rng.gen_bool(0.1) {
            json!(["none"])
        } else {
            some_of(rng, &COMPLIANCE_NEEDS, 1, 2)
        };
        answers.insert("compliance_needs".into(), needs);
    }
    if rng.gen_bool(0.9) {
        answers.insert("company_size".into(), json!(size));
    }
    if rng.gen_bool(0.7) {
        answers.insert("employees".into(), json!(rng.gen_range(low..=high)));
    }
    if compliance && rng.gen_bool(0.6) {
        answers.insert(
            "next_review".into(),
            date(at + Duration::days(rng.gen_range(30..=400))),
        );
    }
    if updates && rng.gen_bool(0.25) {
        let wishes = if lang == Lang::En {
            &WISHES_EN
        } else {
            &WISHES_FI
        };
        answers.insert("wishes".into(), json!(one_of(rng, wishes)));
    }
    steps.push(Step {
        at,
        form: B2B_SURVEY,
        answers,
        consents: consents(&[
            ("security_updates", updates),
            ("compliance_advisory", compliance),
        ]),
    });

    // A few went to a security event; fewer still let their details go to the event partner.
    if !refuses_all && rng.gen_bool(0.2) {
        let last = at;
        at = last + Duration::days(rng.gen_range(0..=(now - last).num_days().max(1) - 1));
        let mut answers = Map::new();
        if updates && rng.gen_bool(0.5) {
            answers.insert(
                "security_interests".into(),
                some_of(rng, &SECURITY_INTERESTS, 1, 3),
            );
        }
        steps.push(Step {
            at: at + Duration::minutes(5),
            form: EVENT_SIGNUP,
            answers,
            consents: consents(&[("partner_events", rng.gen_bool(0.45))]),
        });
        at += Duration::minutes(5);
    }

    let contact = if refuses_all {
        rng.gen_bool(0.5)
            .then(|| contact_prefs(rng, false, 0.0, lang))
    } else {
        rng.gen_bool(0.9)
            .then(|| contact_prefs(rng, true, 0.05, lang))
    };
    SubjectPlan {
        new: NewSubject {
            external_id: Some(external_id(n)),
            email: Some(format!("demo{n}@example.invalid")),
            locale: Some(lang),
            organization: Some(organization),
        },
        lang,
        joined,
        steps,
        contact: contact.map(|c| (at + Duration::minutes(2), c)),
    }
}

fn b2c_plan(rng: &mut StdRng, now: DateTime<Utc>, n: usize) -> SubjectPlan {
    let lang = match rng.gen_range(0..100) {
        0..=69 => Lang::Fi,
        70..=84 => Lang::Sv,
        _ => Lang::En,
    };
    let (joined, _) = joined_at(rng, now);
    let at = joined + Duration::minutes(1);
    let subscribes = rng.gen_bool(0.85);
    let mut answers = Map::new();
    if subscribes {
        if rng.gen_bool(0.9) {
            answers.insert(
                "favourite_activities".into(),
                some_of(rng, &ACTIVITIES, 1, 3),
            );
        }
        if rng.gen_bool(0.6) {
            answers.insert("shoe_size".into(), json!(rng.gen_range(36..=46)));
        }
        if rng.gen_bool(0.5) {
            answers.insert(
                "birthday_month".into(),
                json!(format!("m{:02}", rng.gen_range(1..=12))),
            );
        }
    }
    let contact = if subscribes {
        rng.gen_bool(0.9)
            .then(|| contact_prefs(rng, true, 0.2, lang))
    } else {
        rng.gen_bool(0.3)
            .then(|| contact_prefs(rng, false, 0.0, lang))
    };
    SubjectPlan {
        new: NewSubject {
            external_id: Some(external_id(n)),
            email: Some(format!("demo{n}@example.invalid")),
            locale: Some(lang),
            organization: None,
        },
        lang,
        joined,
        steps: vec![Step {
            at,
            form: NEWSLETTER_SIGNUP,
            answers,
            consents: consents(&[("newsletter", subscribes)]),
        }],
        contact: contact.map(|c| (at + Duration::minutes(2), c)),
    }
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
