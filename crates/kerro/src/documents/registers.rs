//! CSV: the one guard against formulas in cells, and the registers' exports
//! (the rights requests, one row per request, for the API's
//! `/v1/rights-requests?format=csv` and the staff page).

use kerro_store::RightsRequest;

/// Keeps a spreadsheet from running a cell as a formula (CSV injection):
/// a cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return gets
/// a `'` first. Every CSV kerro writes (the audit log, the registers) uses it.
pub fn csv_cell(v: &str) -> String {
    if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

pub fn rights_requests_csv(list: &[RightsRequest]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "subject",
        "kind",
        "channel",
        "received_at",
        "due_at",
        "state",
        "overdue",
        "extended_months",
        "identity_verified_at",
        "completed_at",
        "completed_by",
        "evidence",
        "note",
    ])?;
    let ts =
        |t: &Option<chrono::DateTime<chrono::Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for r in list {
        let extended: u32 = r.extensions.iter().map(|e| e.months).sum();
        w.write_record([
            r.id.clone(),
            r.subject.to_string(),
            r.kind.as_str().to_owned(),
            r.channel.as_str().to_owned(),
            r.received_at.to_rfc3339(),
            r.due_at.to_rfc3339(),
            r.state.clone(),
            r.overdue.to_string(),
            extended.to_string(),
            ts(&r.identity_verified_at),
            ts(&r.completed_at),
            csv_cell(r.completed_by.as_deref().unwrap_or("")),
            csv_cell(r.evidence.as_deref().unwrap_or("")),
            csv_cell(r.note.as_deref().unwrap_or("")),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// The disclosure register (P21) as CSV, one row per disclosure.
pub fn disclosures_csv(list: &[kerro_store::LoggedDisclosure]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["at", "subject", "recipient", "purpose", "fields", "via"])?;
    for l in list {
        let d = &l.disclosure;
        w.write_record([
            kerro_core::consent::format_time(&d.at),
            l.subject.to_string(),
            d.recipient.to_string(),
            d.purpose.to_string(),
            csv_cell(&d.fields.join(" ")),
            d.via.as_str().to_owned(),
        ])?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_that_a_spreadsheet_would_run_are_defused() {
        for (v, shown) in [
            ("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"),
            ("+1", "'+1"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("staff:admin:tok_1", "staff:admin:tok_1"),
            ("{\"a\":1}", "{\"a\":1}"),
            ("", ""),
        ] {
            assert_eq!(super::csv_cell(v), shown, "{v}");
        }
    }
}
