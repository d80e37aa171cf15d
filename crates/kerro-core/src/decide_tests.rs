use super::*;
use crate::offer::compile_offer;
use crate::offer::tests::{schema, spec};
use chrono::{Duration, TimeZone};
use proptest::prelude::*;
use serde_json::json;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

fn pk(s: &str) -> PurposeKey {
    PurposeKey::parse("p", s).unwrap()
}

fn ak(s: &str) -> AttributeKey {
    AttributeKey::parse("a", s).unwrap()
}

fn offer(key: &str, purpose: &str, condition: Value, priority: i32) -> CompiledOffer {
    let mut s = spec(purpose, condition);
    s.priority = priority;
    compile_offer(OfferKey::parse("k", key).unwrap(), s, &schema()).unwrap()
}

fn given(p: &mut Profile, purpose: &str) {
    p.consents.insert(
        pk(purpose),
        ConsentInfo {
            state: ConsentState::Given,
            at: now() - Duration::days(3),
            record_id: RecordId::from_stored(format!("rec_{purpose}")),
            notice: None,
        },
    );
}

fn declare(p: &mut Profile, attr: &str, value: Value) {
    p.declared.insert(
        ak(attr),
        DeclaredValue {
            value,
            form: FormKey::parse("f", "survey").ok(),
            given_at: now() - Duration::days(2),
        },
    );
}

fn profile() -> Profile {
    let mut p = Profile::new(SubjectId::from_suffix("01HZY3K6Q5W9X8V7T6S5R4P3N2"));
    p.contact.channels.insert(Channel::Email, true);
    p.contact.channels.insert(Channel::Web, true);
    given(&mut p, "offers");
    declare(&mut p, "interests", json!(["a", "b"]));
    declare(&mut p, "size", json!("a"));
    declare(&mut p, "employees", json!(40));
    p
}

fn req(channel: Channel, limit: usize) -> Request {
    Request {
        channel,
        limit,
        now: now(),
    }
}

fn keys(d: &Decision) -> Vec<&str> {
    d.offers.iter().map(|c| c.offer.as_str()).collect()
}

fn catalogue() -> Vec<CompiledOffer> {
    vec![
        offer("generic", "offers", json!({}), 0),
        offer("cloud", "offers", json!({"interests": {"$in": ["a"]}}), 5),
        offer("big", "offers", json!({"employees": {"$gte": 100}}), 9),
        offer(
            "small",
            "offers",
            json!({"employees": {"$lt": 100}, "size": "a"}),
            5,
        ),
        offer("news", "news", json!({"interests": {"$in": ["b"]}}), 9),
    ]
}

#[test]
fn ranks_by_priority_relevance_key_with_reasons() {
    let s = schema();
    let d = decide(&s, &catalogue(), &profile(), &[], &req(Channel::Email, 10));
    // `news` needs consent to `news`; `big` does not match; `small` reads two answers, `cloud` one.
    assert_eq!(keys(&d), vec!["small", "cloud", "generic"]);
    let small = &d.offers[0];
    assert!(small.personalized);
    assert_eq!(small.relevance, 2);
    let used: Vec<&str> = small
        .reasons
        .values
        .iter()
        .map(|v| v.attribute.as_str())
        .collect();
    assert_eq!(used, vec!["employees", "size"]);
    assert_eq!(small.reasons.values[0].value, json!(40));
    let c = small.reasons.consent.as_ref().unwrap();
    assert_eq!(
        (c.purpose.as_str(), c.record_id.as_ref().map(|r| r.as_str())),
        ("offers", Some("rec_offers"))
    );
    assert!(!d.offers[2].personalized);
    assert!(d.offers[2].reasons.values.is_empty());
    assert_eq!(
        keys(&decide(
            &s,
            &catalogue(),
            &profile(),
            &[],
            &req(Channel::Email, 1)
        )),
        vec!["small"]
    );
}

#[test]
fn withdrawal_leaves_only_generic_offers() {
    let s = schema();
    let mut p = profile();
    p.consents.get_mut(&pk("offers")).unwrap().state = ConsentState::Withdrawn;
    assert_eq!(
        keys(&decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10))),
        vec!["generic"]
    );
    given(&mut p, "news");
    assert_eq!(
        keys(&decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10))),
        vec!["news", "generic"]
    );
}

#[test]
fn web_impressions_never_use_up_the_weekly_cap_on_messages() {
    let s = schema();
    let mut p = profile();
    p.contact.max_per_week = Some(2);
    let shown = |offer: &str, hours| Delivery {
        offer: OfferKey::parse("k", offer).unwrap(),
        channel: Channel::Web,
        at: now() - Duration::hours(hours),
    };
    // Twenty page views this week: both e-mails of the week are still there.
    let views: Vec<Delivery> = (0..20).map(|h| shown("small", h + 1)).collect();
    let d = decide(&s, &catalogue(), &p, &views, &req(Channel::Email, 10));
    assert_eq!(d.offers.len(), 2);
    assert_eq!(d.limited_by, Some(Limit::WeeklyCapReached));
    // Nor do they limit the web channel itself: the cap is on messages.
    let d = decide(&s, &catalogue(), &p, &views, &req(Channel::Web, 10));
    assert_eq!(d.limited_by, None);
    // Two messages this week use it up.
    let mut sent = views.clone();
    for h in [2, 30] {
        sent.push(Delivery {
            channel: Channel::Email,
            ..shown("small", h)
        });
    }
    let d = decide(&s, &catalogue(), &p, &sent, &req(Channel::Email, 10));
    assert!(d.offers.is_empty());
    assert_eq!(d.limited_by, Some(Limit::WeeklyCapReached));
    assert_eq!(messages_this_week(&sent, now()), 2);
}

#[test]
fn leaving_a_channel_for_one_purpose_keeps_it_for_the_others() {
    let s = schema();
    let mut p = profile();
    let before = decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10));
    assert!(!before.offers.is_empty());
    let purposes: std::collections::BTreeSet<_> =
        catalogue().iter().map(|o| o.spec.purpose.clone()).collect();
    let left = purposes.iter().next().unwrap().clone();
    p.contact
        .unsubscribed
        .entry(Channel::Email)
        .or_default()
        .insert(left.clone());
    let after = decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10));
    let spec_of = |k: &OfferKey| catalogue().into_iter().find(|o| &o.key == k).unwrap().spec;
    assert!(after
        .offers
        .iter()
        .all(|c| spec_of(&c.offer).purpose != left));
    // The web channel still shows that purpose's offers.
    let web = decide(&s, &catalogue(), &p, &[], &req(Channel::Web, 10));
    let web_before = decide(&s, &catalogue(), &profile(), &[], &req(Channel::Web, 10));
    assert_eq!(keys(&web), keys(&web_before));
}

#[test]
fn contact_policy() {
    let s = schema();
    let mut p = profile();
    // Channel without opt-in: nothing (P19).
    let d = decide(&s, &catalogue(), &p, &[], &req(Channel::Sms, 10));
    assert_eq!(
        (d.offers.len(), d.limited_by),
        (0, Some(Limit::ChannelNotOptedIn))
    );
    p.contact.channels.insert(Channel::Sms, true);
    let d = decide(&s, &catalogue(), &p, &[], &req(Channel::Sms, 10));
    assert!(d.offers.is_empty(), "no offer is made for sms");
    // The subject's own cap: 3 a week, 2 used in the window, 1 older.
    p.contact.max_per_week = Some(3);
    let old = |days| Delivery {
        offer: OfferKey::parse("k", "x").unwrap(),
        channel: Channel::Email,
        at: now() - Duration::days(days),
    };
    let history = vec![old(1), old(6), old(8)];
    let d = decide(&s, &catalogue(), &p, &history, &req(Channel::Email, 10));
    assert_eq!(
        (keys(&d), d.limited_by),
        (vec!["small"], Some(Limit::WeeklyCapReached))
    );
    let full = vec![old(1), old(2), old(3)];
    assert!(
        decide(&s, &catalogue(), &p, &full, &req(Channel::Email, 10))
            .offers
            .is_empty()
    );
    // An offer's own cap.
    p.contact.max_per_week = None;
    let mut capped = spec("offers", json!({}));
    capped.max_per_subject = Some(2);
    capped.period_days = Some(30);
    let capped = compile_offer(OfferKey::parse("k", "capped").unwrap(), capped, &s).unwrap();
    let seen = |days| Delivery {
        offer: OfferKey::parse("k", "capped").unwrap(),
        channel: Channel::Email,
        at: now() - Duration::days(days),
    };
    let offers = vec![capped];
    assert_eq!(
        decide(
            &s,
            &offers,
            &p,
            &[seen(40), seen(1)],
            &req(Channel::Email, 5)
        )
        .offers
        .len(),
        1
    );
    assert!(decide(
        &s,
        &offers,
        &p,
        &[seen(20), seen(1)],
        &req(Channel::Email, 5)
    )
    .offers
    .is_empty());
    // Restriction and objection (P14).
    p.restricted = true;
    assert_eq!(
        decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10)).limited_by,
        Some(Limit::Restricted)
    );
    p.restricted = false;
    p.objected_marketing = true;
    assert!(decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10))
        .offers
        .is_empty());
}

#[test]
fn an_unconfirmed_address_gets_no_email_decision() {
    use crate::contact::EmailStatus;
    let s = schema();
    let mut p = profile();
    p.contact.channels.insert(Channel::Web, true);
    p.email = EmailStatus::Pending;
    let d = decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10));
    assert_eq!(
        (d.offers.len(), d.limited_by),
        (0, Some(Limit::EmailUnverified))
    );
    // The web is not e-mail: the same subject still sees offers there.
    assert!(!decide(&s, &catalogue(), &p, &[], &req(Channel::Web, 10))
        .offers
        .is_empty());
    for status in [EmailStatus::Verified, EmailStatus::None] {
        p.email = status;
        assert!(
            !decide(&s, &catalogue(), &p, &[], &req(Channel::Email, 10))
                .offers
                .is_empty(),
            "{status:?}"
        );
    }
}

#[test]
fn validity_window() {
    let s = schema();
    let mut later = spec("offers", json!({}));
    later.valid_from = Some(now() + Duration::days(1));
    let mut ended = spec("offers", json!({}));
    ended.valid_until = Some(now());
    let offers = vec![
        compile_offer(OfferKey::parse("k", "later").unwrap(), later, &s).unwrap(),
        compile_offer(OfferKey::parse("k", "ended").unwrap(), ended, &s).unwrap(),
    ];
    assert!(
        decide(&s, &offers, &profile(), &[], &req(Channel::Email, 5))
            .offers
            .is_empty()
    );
}

fn any_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        "[a-c]{0,2}".prop_map(Value::from),
        proptest::collection::vec(prop_oneof![Just("a"), Just("b"), Just("z")], 0..3)
            .prop_map(|v| json!(v)),
    ]
}

proptest! {
    /// P2 (metamorphic): adding, changing or removing any value the engine must
    /// not see (attributes not bound to an offer's purpose, special-category
    /// data, values of purposes without consent) never changes a decision.
    #[test]
    fn invisible_values_never_change_a_decision(
        internal in proptest::option::of(any_value()),
        health in proptest::option::of(any_value()),
        topics in proptest::option::of(any_value()),
        interests in proptest::option::of(any_value()),
        extra_name in "[a-z]{1,8}",
        extra in any_value(),
    ) {
        let s = schema();
        let offers = vec![
            offer("generic", "offers", json!({}), 0),
            offer("o1", "offers", json!({"interests": {"$in": ["a"]}}), 1),
            offer("o2", "offers", json!({"$or": [{"size": "a"}, {"employees": {"$exists": false}}]}), 2),
            offer("o3", "offers", json!({"interests": {"$nin": ["b"]}}), 3),
            offer("n1", "news", json!({"topics": {"$exists": true}}), 4),
            offer("n2", "news", json!({"interests": {"$size": 0}}), 5),
        ];
        let base = profile();
        let before = decide(&s, &offers, &base, &[], &req(Channel::Email, 10));
        let mut changed = base.clone();
        for (attr, v) in [("internal", internal), ("health", health), ("topics", topics)] {
            match v {
                Some(v) => declare(&mut changed, attr, v),
                None => { changed.declared.remove(&ak(attr)); }
            }
        }
        if let Ok(k) = AttributeKey::parse("a", &extra_name) {
            if !s.attributes.contains_key(&k) {
                changed.declared.insert(k, DeclaredValue { value: extra, form: None, given_at: now() });
            }
        }
        prop_assert_eq!(&before, &decide(&s, &offers, &changed, &[], &req(Channel::Email, 10)));
        // `news` has no consent, so even `interests` (bound to it too) is invisible to its offers:
        // changing it may change `offers` decisions but never makes a `news` offer appear.
        let mut changed2 = changed.clone();
        match interests {
            Some(v) => declare(&mut changed2, "interests", v),
            None => { changed2.declared.remove(&ak("interests")); }
        }
        let after = decide(&s, &offers, &changed2, &[], &req(Channel::Email, 10));
        prop_assert!(after.offers.iter().all(|c| !c.offer.as_str().starts_with('n')));
    }
}

/// Extreme instants (a client may send any `now` it likes) never panic, and
/// windows that would reach past chrono's range saturate: a delivery inside
/// the window still counts.
#[test]
fn extreme_times_saturate_instead_of_panicking() {
    use crate::catalogue::Catalogue;
    let s = schema();
    let (min, max) = (DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let generic = compile_offer(
        OfferKey::parse("k", "generic").unwrap(),
        spec("offers", json!({})),
        &s,
    )
    .unwrap();
    // `compile_offer` refuses periods over 3650 days; the engine must not rely on it.
    let mut capped = spec("offers", json!({}));
    capped.max_per_subject = Some(1);
    capped.period_days = Some(30);
    let mut capped = compile_offer(OfferKey::parse("k", "capped").unwrap(), capped, &s).unwrap();
    capped.spec.period_days = Some(u32::MAX);
    let mut always = spec("offers", json!({}));
    always.valid_from = Some(min);
    let always = compile_offer(OfferKey::parse("k", "always").unwrap(), always, &s).unwrap();
    let offers = vec![generic, capped, always];
    let mut p = profile();
    p.contact.max_per_week = Some(3);
    let sent = |offer: &str, at: DateTime<Utc>| Delivery {
        offer: OfferKey::parse("k", offer).unwrap(),
        channel: Channel::Email,
        at,
    };
    let day = Duration::days(1);
    /// (now, deliveries, offers shown, limited_by)
    type Case<'a> = (DateTime<Utc>, Vec<Delivery>, Vec<&'a str>, Option<Limit>);
    let cases: Vec<Case> = vec![
        (min, vec![], vec!["always", "capped", "generic"], None),
        (max, vec![], vec!["always", "capped", "generic"], None),
        (min + day, vec![], vec!["always", "capped", "generic"], None),
        // Half a day after the minimum: inside both the week and the offer's period.
        (
            min + day,
            vec![sent("capped", min + Duration::hours(12))],
            vec!["always", "generic"],
            Some(Limit::WeeklyCapReached),
        ),
        // A month before the maximum: outside the week, inside "u32::MAX days".
        (
            max,
            vec![sent("capped", max - Duration::days(30))],
            vec!["always", "generic"],
            None,
        ),
        (
            max,
            vec![sent("generic", max - day), sent("generic", max - day)],
            vec!["always"],
            Some(Limit::WeeklyCapReached),
        ),
        // At an ordinary time, "u32::MAX days" reaches back to the beginning of time.
        (
            now(),
            vec![sent("capped", min + day)],
            vec!["always", "generic"],
            None,
        ),
    ];
    let catalogue = Catalogue::new(&s, offers.clone());
    for (at, deliveries, want, limited_by) in cases {
        let r = Request {
            channel: Channel::Email,
            limit: 3,
            now: at,
        };
        let plain = decide(&s, &offers, &p, &deliveries, &r);
        assert_eq!(
            (keys(&plain), plain.limited_by),
            (want, limited_by),
            "at {at}"
        );
        assert_eq!(catalogue.decide(&s, &p, &deliveries, &r), plain, "at {at}");
    }
}
