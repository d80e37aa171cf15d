use super::*;
use crate::schema::tests::{attribute, purpose};
use crate::schema::AttrKind;
use chrono::TimeZone;

fn t(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::days(i64::from(day))
}

fn pk(s: &str) -> PurposeKey {
    PurposeKey::parse("p", s).unwrap()
}

fn ak(s: &str) -> AttributeKey {
    AttributeKey::parse("a", s).unwrap()
}

/// `offers` (consent, 30 days' retention, consent valid 100 days), `service`
/// (contract, 60 days); `topics` is held for offers only, `size` for both.
fn schema() -> Schema {
    let mut offers = purpose(LegalBasis::Consent);
    offers.retention_days = 30;
    offers.consent_validity_days = Some(100);
    let mut service = purpose(LegalBasis::Contract);
    service.retention_days = 60;
    Schema {
        purposes: BTreeMap::from([(pk("offers"), offers), (pk("service"), service)]),
        attributes: BTreeMap::from([
            (ak("topics"), attribute(AttrKind::Text, &["offers"])),
            (
                ak("size"),
                attribute(AttrKind::Text, &["offers", "service"]),
            ),
        ]),
        forms: BTreeMap::new(),
        recipients: BTreeMap::new(),
    }
}

fn given(day: u32) -> LatestConsent {
    LatestConsent {
        state: ConsentState::Given,
        at: t(day),
    }
}

fn value(row: i64, attr: &str, given: u32, superseded: Option<u32>) -> HeldValue {
    HeldValue {
        row,
        attribute: ak(attr),
        given_at: t(given),
        superseded_at: superseded.map(t),
    }
}

fn rows(plan: &RetentionPlan) -> Vec<(i64, Option<String>)> {
    plan.remove
        .iter()
        .map(|r| (r.row, r.purpose.as_ref().map(|p| p.as_str().to_owned())))
        .collect()
}

#[test]
fn a_consent_value_lasts_its_retention_from_the_latest_grant() {
    let consents = BTreeMap::from([(pk("offers"), given(10))]);
    // Declared on day 50 under a grant of day 10: counted from the grant.
    let held = [value(1, "topics", 50, None)];
    assert!(plan(&schema(), &consents, &held, t(39)).is_empty());
    let due = plan(&schema(), &consents, &held, t(40));
    assert_eq!(rows(&due), vec![(1, Some("offers".into()))]);
    assert!(due.expire.is_empty());
    // A renewal on day 35 starts the count again.
    let renewed = BTreeMap::from([(
        pk("offers"),
        LatestConsent {
            state: ConsentState::Renewed,
            at: t(35),
        },
    )]);
    assert!(plan(&schema(), &renewed, &held, t(64)).is_empty());
    assert_eq!(plan(&schema(), &renewed, &held, t(65)).remove.len(), 1);
}

#[test]
fn a_value_held_for_two_purposes_lasts_until_the_later_ends() {
    let consents = BTreeMap::from([(pk("offers"), given(0))]);
    // offers ends on day 30; service (contract) 60 days after the value was declared on day 5.
    let held = [value(1, "size", 5, None)];
    assert!(plan(&schema(), &consents, &held, t(64)).is_empty());
    assert_eq!(
        rows(&plan(&schema(), &consents, &held, t(65))),
        vec![(1, Some("service".into()))]
    );
}

#[test]
fn history_goes_after_the_longest_retention_since_it_was_superseded() {
    let consents = BTreeMap::from([(pk("offers"), given(100))]);
    let held = [value(1, "size", 0, Some(20)), value(2, "size", 20, None)];
    // Current value: service keeps it until day 80, offers until day 130.
    assert!(plan(&schema(), &consents, &held, t(79)).is_empty());
    assert_eq!(
        rows(&plan(&schema(), &consents, &held, t(80))),
        vec![(1, Some("service".into()))]
    );
}

#[test]
fn a_consent_expires_after_its_validity_and_takes_what_only_it_allowed() {
    // Validity 100 days from the grant; retention alone (30 days) would have gone sooner,
    // so renew on day 90 and look at day 190.
    let consents = BTreeMap::from([(
        pk("offers"),
        LatestConsent {
            state: ConsentState::Renewed,
            at: t(90),
        },
    )]);
    let held = [value(1, "topics", 95, None), value(2, "size", 180, None)];
    let before = plan(&schema(), &consents, &held, t(119));
    assert!(before.is_empty(), "{before:?}");
    let mut long = schema();
    long.purposes.get_mut(&pk("offers")).unwrap().retention_days = 365;
    let at = plan(&long, &consents, &held, t(190));
    assert_eq!(at.expire, vec![pk("offers")]);
    // topics was held for offers alone; size is still held for the contract.
    assert_eq!(rows(&at), vec![(1, Some("offers".into()))]);
    assert!(plan(&long, &consents, &held, t(189)).is_empty());
}

#[test]
fn refused_withdrawn_and_expired_consents_do_not_expire_again() {
    for state in [
        ConsentState::Refused,
        ConsentState::Withdrawn,
        ConsentState::Expired,
    ] {
        let consents = BTreeMap::from([(pk("offers"), LatestConsent { state, at: t(0) })]);
        assert!(plan(&schema(), &consents, &[], t(1000)).expire.is_empty());
    }
}

#[test]
fn a_value_no_purpose_holds_goes_at_once() {
    let held = [value(1, "topics", 0, None), value(7, "retired", 0, None)];
    let due = plan(&schema(), &BTreeMap::new(), &held, t(1));
    assert_eq!(rows(&due), vec![(7, None), (1, None)]);
}
