use super::*;

/// The viewer's list names every action there is (a new variant must be added to `ACTIONS`).
#[test]
fn every_action_is_listed() {
    let counts = serde_json::json!({});
    let all = [
        AuditAction::SchemaChanged { kind: "", key: "" },
        AuditAction::SubjectCreated,
        AuditAction::SubjectRead {
            reason: None,
            export: false,
        },
        AuditAction::SubjectRead {
            reason: None,
            export: true,
        },
        AuditAction::SubjectTokenIssued { reason: None },
        AuditAction::Submission {
            form: "",
            fields: vec![],
            purposes: vec![],
        },
        AuditAction::DeclarationsChanged { fields: vec![] },
        AuditAction::ConsentChanged {
            purpose: "",
            state: "",
        },
        AuditAction::RecipientConsentChanged {
            purpose: "",
            recipient: "",
            state: "",
        },
        AuditAction::DisclosuresRead {
            recipient: None,
            count: 0,
        },
        AuditAction::ContactChanged,
        AuditAction::RightsChanged {
            restricted: false,
            objected_marketing: false,
            objected_sharing: false,
        },
        AuditAction::SubjectErased,
        AuditAction::ReceiptRead { record_id: "" },
        AuditAction::StaffTokenCreated {
            token_id: "",
            role: "",
        },
        AuditAction::AudienceExported {
            purpose: "",
            channel: "",
            count: 0,
            with_email: false,
            recipient: None,
        },
        AuditAction::SignInLinkIssued,
        AuditAction::SignedIn { method: "" },
        AuditAction::StaffSignedIn { method: "" },
        AuditAction::SharingObjected { signal: "" },
        AuditAction::DataExported,
        AuditAction::StatisticsRead { attributes: vec![] },
        AuditAction::AuditLogRead {
            format: "",
            filters: Value::Null,
            count: 0,
        },
        AuditAction::StaffCreated {
            account: "",
            role: "",
        },
        AuditAction::StaffInvited { account: "" },
        AuditAction::StaffChanged {
            account: "",
            role: None,
            name_changed: false,
        },
        AuditAction::StaffDeactivated { account: "" },
        AuditAction::StaffPasswordSet { account: "" },
        AuditAction::StaffSecondFactorEnrolled { account: "" },
        AuditAction::StaffSignInFailed {
            account: "",
            locked: false,
        },
        AuditAction::StaffSessionEnded {
            account: "",
            sessions: 0,
        },
        AuditAction::StaffTokenRevoked { token_id: "" },
        AuditAction::MessageSent {
            decision_id: "",
            offer: "",
            channel: "",
            at: "",
            campaign: None,
        },
        AuditAction::Unsubscribed {
            purpose: "",
            channel: "",
            record_id: "",
        },
        AuditAction::CampaignChanged {
            campaign: "",
            change: "",
        },
        AuditAction::EmailConfirmationIssued,
        AuditAction::EmailChanged {
            state: "",
            source: "",
        },
        AuditAction::EmailConfirmed { record_id: "" },
        AuditAction::WebhookCreated {
            endpoint: "",
            events: vec![],
        },
        AuditAction::WebhookDeleted { endpoint: "" },
        AuditAction::WebhookDeliveryRetried {
            endpoint: "",
            delivery: "",
            enabled: false,
        },
        AuditAction::WebhookDisabled { endpoint: "" },
        AuditAction::RightsRequestChanged {
            request: "",
            kind: "",
            change: "",
        },
        AuditAction::BreachRecorded { breach: "" },
        AuditAction::BreachUpdated {
            breach: "",
            phase: 0,
            changed: vec![],
        },
        AuditAction::BreachNotified {
            breach: "",
            late: false,
        },
        AuditAction::BreachScoped {
            breach: "",
            subjects: 0,
            records: 0,
        },
        AuditAction::BreachSubjectsExported {
            breach: "",
            count: 0,
        },
        AuditAction::BreachSubjectMessaged {
            breach: "",
            outcome: "",
            email_read: false,
        },
        AuditAction::RetentionRun { counts: &counts },
        AuditAction::NoticeChangedMaterially {
            form: "",
            version: 0,
        },
    ];
    let names: Vec<&str> = all.iter().map(AuditAction::name).collect();
    assert_eq!(names, ACTIONS);
}
