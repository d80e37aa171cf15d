//! The demo's registers: one rights request received by e-mail and still
//! open, so the rights requests page has something to handle, and the line
//! pointing to the record of processing activities.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use kerro_core::ids::SubjectId;
use kerro_core::rights_request::{RequestChannel, RightKind};
use kerro_core::Actor;
use kerro_store::{NewRightsRequest, RequestFilter, Store};

/// Records an access request from `subject`, received by e-mail three days
/// ago, unless a request is open already; says where to handle it.
pub fn rights_request(
    store: &Store,
    now: DateTime<Utc>,
    subject: &SubjectId,
    url: &str,
) -> Result<String> {
    let open = store.rights_requests(RequestFilter::Open, now, 1)?;
    let r = match open.into_iter().next() {
        Some(r) => r,
        None => store.create_rights_request(
            &Actor::System("demo".into()),
            now,
            NewRightsRequest {
                subject: subject.clone(),
                kind: RightKind::Access,
                received_at: now - Duration::days(3),
                channel: RequestChannel::Email,
                note: Some("Asked by e-mail for a copy of everything held.".into()),
            },
        )?,
    };
    Ok(format!(
        "\nRegisters (sign in as admin or dpo):\n  open request:  {url}/admin/requests/{} ({}, due {})\n  processing:    {url}/admin/records (the record of processing activities, with the recipient Tapahtumakumppani Oy)\n",
        r.id,
        r.kind.as_str(),
        r.due_at.format("%Y-%m-%d")
    ))
}

/// The demo's own words on security, for the record of processing
/// activities when the configuration gives none.
pub const SECURITY_MEASURES: &str = "Demo: servers in a locked rack in Helsinki; full-disk encryption; backups encrypted and tested monthly; staff trained yearly.";
