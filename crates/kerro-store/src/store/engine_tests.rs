//! Tests of the decision side of the store and of the in-memory index it reads.

use super::*;
use crate::model::NewSubject;
use crate::store::index::{profile_from, ProfileIndex};
use crate::{StoreOptions, Submission};
use chrono::TimeZone;
use kerro_core::schema::{AttrKind, AttributeSpec, FormSpec, LegalBasis, PurposeSpec, Use};
use kerro_core::{AttributeKey, FormKey, Localized};
use serde_json::json;

/// A reload that read older data than the profile in place (a follower
/// racing a node's own write) is ignored, and an erased subject stays out.
#[test]
fn older_profiles_never_replace_newer_ones_nor_erased_ones() {
    let index = ProfileIndex::default();
    let id = SubjectId::parse("sub_01M8JQ29V5QZTS17QGFRYCWWRA").unwrap();
    let with_language = |lang| {
        let mut p = Profile::new(id.clone());
        p.language = Some(lang);
        p
    };
    index.put_versioned(with_language(kerro_core::Lang::Fi), 7);
    index.put_versioned(with_language(kerro_core::Lang::Sv), 5);
    assert_eq!(index.get(&id).unwrap().language, Some(kerro_core::Lang::Fi));
    index.put_versioned(with_language(kerro_core::Lang::En), 9);
    assert_eq!(index.get(&id).unwrap().language, Some(kerro_core::Lang::En));
    index.remove(&id);
    index.put_versioned(with_language(kerro_core::Lang::Fi), 10);
    assert!(index.get(&id).is_none(), "an erased subject came back");
}

/// A panic while an index lock is held (here forced; before, a client's
/// `now` near chrono's minimum did it inside a decision) fails only the
/// code that panicked: every later read and write of the index still works
/// and sees the state as it was.
#[test]
fn a_panic_under_an_index_lock_poisons_nothing() {
    let index = ProfileIndex::default();
    let id = SubjectId::parse("sub_01M8JQ29V5QZTS17QGFRYCWWRA").unwrap();
    let offer = OfferKey::parse("offer", "hello").unwrap();
    let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    index.put_versioned(Profile::new(id.clone()), 1);
    let delivery = |offer: OfferKey, at| kerro_core::decide::Delivery {
        offer,
        channel: kerro_core::contact::Channel::Email,
        at,
    };
    index.add_delivery(id.clone(), delivery(offer.clone(), at));
    std::thread::scope(|s| {
        let panicked = s
            .spawn(|| {
                let _versions = index.versions.lock();
                let _deliveries = index.deliveries.lock();
                let _profiles = index.profiles.write();
                let _audience = index.audience.write();
                panic!("a bug while the index is locked");
            })
            .join();
        assert!(panicked.is_err());
    });
    assert!(index.get(&id).is_some(), "the profile is still readable");
    assert_eq!(index.all().len(), 1);
    assert_eq!(index.deliveries.lock()[&id].len(), 1);
    let mut changed = Profile::new(id.clone());
    changed.language = Some(kerro_core::Lang::Sv);
    index.put_versioned(changed, 2);
    assert_eq!(index.get(&id).unwrap().language, Some(kerro_core::Lang::Sv));
    assert_eq!(index.audience.read().index.len(), 1);
    index.add_delivery(id.clone(), delivery(offer, at + chrono::Duration::days(1)));
    assert_eq!(index.deliveries.lock()[&id].len(), 2);
    index.remove(&id);
    assert!(index.get(&id).is_none());
    assert!(!index.deliveries.lock().contains_key(&id));
}

/// The week of the first days of chrono's range is its first date (there
/// is no Monday before them); other weeks start on a Monday.
#[test]
fn week_of_the_extremes() {
    use chrono::Datelike;
    let min = DateTime::<Utc>::MIN_UTC;
    for days in 0..14 {
        let t = min + chrono::Duration::days(days);
        let w = crate::store::week_of(t);
        assert!(w <= t.date_naive(), "{t}");
        assert!(
            w == chrono::NaiveDate::MIN || w.weekday() == chrono::Weekday::Mon,
            "{t}: {w}"
        );
    }
    let max = DateTime::<Utc>::MAX_UTC;
    assert_eq!(crate::store::week_of(max).weekday(), chrono::Weekday::Mon);
}

/// A store on a fresh SQLite file with one consent purpose `offers` of `uses`.
fn store_with_purpose(uses: Use) -> (tempfile::TempDir, Store, Actor, DateTime<Utc>, PurposeKey) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreOptions::new(dir.path())).unwrap();
    let actor = Actor::System("t".into());
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let t = |s: &str| Localized::one(kerro_core::Lang::En, s);
    let pk = PurposeKey::parse("p", "offers").unwrap();
    store
        .put_purpose(
            &actor,
            now,
            pk.clone(),
            PurposeSpec {
                title: t("o"),
                description: t("d"),
                legal_basis: LegalBasis::Consent,
                uses: [uses].into(),
                retention_days: 30,
                consent_validity_days: None,
                recipients: vec![],
                dpv_category: None,
                subject_categories: vec![],
            },
        )
        .unwrap();
    (dir, store, actor, now, pk)
}

/// An offer stored by an older kerro in a form a stricter check now refuses (a
/// lenient date) neither keeps the store from opening nor reaches a decision.
#[test]
fn an_offer_that_no_longer_compiles_is_left_out_not_fatal() {
    let (dir, store, actor, now, pk) = store_with_purpose(Use::Personalization);
    let t = |s: &str| Localized::one(kerro_core::Lang::En, s);
    let review = AttributeKey::parse("a", "review").unwrap();
    store
        .put_attribute(
            &actor,
            now,
            review,
            AttributeSpec {
                title: t("r"),
                description: None,
                kind: AttrKind::Date,
                options: vec![],
                min: None,
                max: None,
                max_length: None,
                purposes: vec![pk],
                special_category: false,
            },
        )
        .unwrap();
    for (key, condition) in [
        ("strict", json!({"review": {"$lt": "2027-01-31"}})),
        ("generic", json!({})),
    ] {
        let spec: OfferSpec = serde_json::from_value(json!({
            "title": {"en": key}, "body": {"en": "b"}, "purpose": "offers",
            "channels": ["web"], "condition": condition
        }))
        .unwrap();
        store
            .put_offer(&actor, now, OfferKey::parse("key", key).unwrap(), spec)
            .unwrap();
    }
    drop(store);
    // What an older kerro accepted and stored.
    let conn = crate::connect(&crate::Location::Sqlite(dir.path().join("kerro.db")), true).unwrap();
    let changed = conn
        .execute(
            "UPDATE offers SET spec = REPLACE(spec, '2027-01-31', '2027-1-31') WHERE key = 'strict'",
            (),
        )
        .unwrap();
    assert_eq!(changed, 1);
    drop(conn);
    let store = Store::open(&StoreOptions::new(dir.path())).expect("the store opens");
    let keys: Vec<String> = store
        .schema()
        .offers
        .iter()
        .map(|o| o.key.to_string())
        .collect();
    assert_eq!(keys, ["generic"]);
}

/// A live (not dry-run) decision at the edges of chrono's range counts its
/// deliveries without panicking under the deliveries lock.
#[test]
fn live_decisions_at_extreme_times() {
    let (_dir, store, actor, now, _) = store_with_purpose(Use::Communication);
    let spec: OfferSpec = serde_json::from_value(json!({
        "title": {"en": "Hello"}, "body": {"en": "Hi"}, "purpose": "offers",
        "channels": ["web"], "max_per_subject": 5, "period_days": 3650
    }))
    .unwrap();
    store
        .put_offer(&actor, now, OfferKey::parse("key", "hello").unwrap(), spec)
        .unwrap();
    let id = store
        .create_subject(&actor, now, NewSubject::default())
        .unwrap();
    let mut prefs = kerro_core::contact::ContactPrefs::default();
    prefs.channels.insert(Channel::Web, true);
    prefs.max_per_week = Some(10);
    store.set_contact(&actor, now, &id, prefs).unwrap();
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let day = chrono::Duration::days(1);
    for at in [min, min + day, max - day, max, now] {
        let d = store.decide(at, &id, Channel::Web, 3, false).unwrap();
        assert_eq!(d.offers.len(), 1, "at {at}");
    }
    // The two at the beginning of time fell out of the later decisions' window.
    assert_eq!(store.inner.index.deliveries.lock()[&id].len(), 3);
}

/// The light profile load and the one derived from the full subject data agree.
#[test]
fn light_profile_equals_full_profile() {
    let (_dir, store, actor, now, pk) = store_with_purpose(Use::Personalization);
    let t = |s: &str| Localized::one(kerro_core::Lang::En, s);
    let ak = AttributeKey::parse("a", "topic").unwrap();
    store
        .put_attribute(
            &actor,
            now,
            ak.clone(),
            AttributeSpec {
                title: t("t"),
                description: None,
                kind: AttrKind::Text,
                options: vec![],
                min: None,
                max: None,
                max_length: None,
                purposes: vec![pk.clone()],
                special_category: false,
            },
        )
        .unwrap();
    let fk = FormKey::parse("f", "f").unwrap();
    store
        .put_form(
            &actor,
            now,
            fk.clone(),
            FormSpec {
                title: t("f"),
                notice: t("n"),
                kind: Default::default(),
                attributes: vec![ak],
                purposes: vec![pk],
            },
        )
        .unwrap();
    let id = store
        .create_subject(
            &actor,
            now,
            NewSubject {
                locale: Some(kerro_core::Lang::Sv),
                ..Default::default()
            },
        )
        .unwrap();
    for topic in ["first", "second"] {
        store
            .submit(
                &actor,
                now,
                Submission {
                    form: fk.clone(),
                    subject: id.clone(),
                    notice_version: 1,
                    answers: json!({"topic": topic}).as_object().unwrap().clone(),
                    consents: json!({"offers": true}).as_object().unwrap().clone(),
                    language: None,
                    explicit: vec![],
                    recipients: Default::default(),
                },
            )
            .unwrap();
    }
    let keys = store.keys();
    let id2 = id.clone();
    let (light, full) = store
        .read(move |conn| {
            Ok((
                load_profile(conn, &keys, &id2)?,
                profile_from(&crate::store::subjects::load_subject_data(
                    conn, &keys, &id2,
                )?),
            ))
        })
        .unwrap();
    assert_eq!(light, full);
    assert_eq!(
        light.declared.values().next().unwrap().value,
        json!("second")
    );
    assert_eq!(light.language, Some(kerro_core::Lang::Sv));
    assert_eq!(
        *store.profile(&id).unwrap(),
        light,
        "the index holds the same"
    );
}
