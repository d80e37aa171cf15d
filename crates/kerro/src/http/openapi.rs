//! `GET /openapi.json`: the OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{audiences, me, offers, receipts, schema, subjects};

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut staff = Http::new(HttpAuthScheme::Bearer);
        staff.description =
            Some("A staff token (kst_...) with a role: admin, editor, support or service.".into());
        components.add_security_scheme("staff", SecurityScheme::Http(staff));
        let mut subject = Http::new(HttpAuthScheme::Bearer);
        subject.description = Some(
            "A short-lived subject token (ksu_...) from POST /v1/subjects/{id}/tokens.".into(),
        );
        components.add_security_scheme("subject", SecurityScheme::Http(subject));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "kerro", description = "Zero-party data: declared data, purpose-bound consent and self-service rights. Errors are {\"error\":{\"code\",\"message\",\"field\"}}; see docs/api.md."),
    paths(
        super::healthz,
        schema::put_purpose, schema::list_purposes, schema::get_purpose,
        schema::put_attribute, schema::list_attributes, schema::get_attribute,
        schema::put_form, schema::list_forms, schema::get_form, schema::get_notice,
        subjects::create, subjects::get, subjects::issue_token, subjects::submit,
        me::get, me::export, me::rectify, me::set_consent, me::set_contact, me::set_rights, me::erase,
        receipts::get,
        audiences::count, audiences::export,
        offers::put, offers::list, offers::get, offers::delete, offers::decide, offers::me_offers, offers::minimisation,
    ),
    components(schemas(subjects::NewSubjectBody, subjects::SubmissionBody, me::ConsentBody, me::ContactBody, me::RightsBody, offers::DecisionBody, audiences::AudienceBody)),
    modifiers(&Security),
)]
pub struct ApiDoc;

pub async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
