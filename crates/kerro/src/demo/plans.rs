//! The demo's synthetic subjects: reproducible plans (from a fixed seed) of who
//! joins when, which forms each answers with what, which purposes they accept or
//! decline, and the contact preferences they set. Writing them is `demo::run`.

use super::*;

/// One form submission a subject makes.
pub(super) struct Step {
    pub(super) at: DateTime<Utc>,
    pub(super) form: &'static str,
    pub(super) answers: Map<String, Value>,
    pub(super) consents: Map<String, Value>,
    /// Choices about the recipients of the form's sharing purposes (P21).
    pub(super) recipients: Map<String, Value>,
}

/// What one subject does: joins at `joined`, submits forms, then sets contact preferences.
pub(super) struct SubjectPlan {
    pub(super) new: NewSubject,
    pub(super) lang: Lang,
    pub(super) joined: DateTime<Utc>,
    pub(super) steps: Vec<Step>,
    pub(super) contact: Option<(DateTime<Utc>, ContactPrefs)>,
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
pub(super) fn plan_subjects(now: DateTime<Utc>, count: usize) -> Vec<SubjectPlan> {
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
        ..Default::default()
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
        recipients: Map::new(),
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
        recipients: Map::new(),
        consents: consents(&[("security_updates", true), ("compliance_advisory", true)]),
    };
    SubjectPlan {
        new: NewSubject {
            external_id: Some(external_id(0)),
            email: Some("demo0@example.invalid".to_owned()),
            locale: Some(Lang::Fi),
            organization: Some("Esimerkki Oy".to_owned()),
            email_pending: false,
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
                ..Default::default()
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
            recipients: Map::new(),
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
        recipients: Map::new(),
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
        let partner = rng.gen_bool(0.45);
        steps.push(Step {
            at: at + Duration::minutes(5),
            form: EVENT_SIGNUP,
            answers,
            consents: consents(&[("partner_events", partner)]),
            // Most who accept the partner's invitations also let it have their details.
            recipients: if partner {
                let mut per = Map::new();
                per.insert(
                    "tapahtumakumppani".into(),
                    Value::Bool(!n.is_multiple_of(5)),
                );
                let mut m = Map::new();
                m.insert("partner_events".into(), Value::Object(per));
                m
            } else {
                Map::new()
            },
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
            email_pending: false,
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
            email_pending: false,
        },
        lang,
        joined,
        steps: vec![Step {
            at,
            form: NEWSLETTER_SIGNUP,
            answers,
            recipients: Map::new(),
            consents: consents(&[("newsletter", subscribes)]),
        }],
        contact: contact.map(|c| (at + Duration::minutes(2), c)),
    }
}
