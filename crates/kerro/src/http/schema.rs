//! `/v1/purposes`, `/v1/attributes`, `/v1/forms`: the schema a company
//! defines. Reads need any staff role, writes `admin` or `editor`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use kerro_core::consent::NoticeOf;
use kerro_core::i18n::Localized;
use kerro_core::ids::{AttributeKey, FormKey, PurposeKey};
use kerro_core::notice::NoticeChange;
use kerro_core::schema::{AttributeSpec, FormKind, FormSpec, PurposeSpec};
use kerro_core::{CoreError, ErrorCode};
use kerro_store::NoticeVersion;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::auth::{SchemaRead, SchemaWrite, Staff};
use super::{blocking, path_key, AppError, AppState, Body};
use crate::config::Controller;

/// A purpose as returned: its spec with its key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Purpose {
    pub key: PurposeKey,
    #[serde(flatten)]
    pub spec: PurposeSpec,
}

/// An attribute as returned: its spec with its key.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attribute {
    pub key: AttributeKey,
    #[serde(flatten)]
    pub spec: AttributeSpec,
}

/// A form as returned: its spec with its key and its current notice version.
#[derive(Debug, Serialize, ToSchema)]
pub struct Form {
    pub key: FormKey,
    #[serde(flatten)]
    pub spec: FormSpec,
    /// The version a submission must name; absent only while a form has no notice yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PurposeList {
    pub purposes: Vec<Purpose>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttributeList {
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FormList {
    pub forms: Vec<Form>,
}

/// One version of a form's notice: exactly the bundle that was hashed.
#[derive(Debug, Serialize, ToSchema)]
pub struct Notice {
    pub form: FormKey,
    pub version: u32,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub controller: Controller,
    /// The notice text, the purposes with basis, retention and recipients, and the data categories.
    pub bundle: Value,
}

/// `GET /v1/purposes/{key}/notices/{version}`: a purpose's own notice, what
/// the preference centre and `PUT /v1/me/consents/{purpose}` grant against.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurposeNotice {
    pub purpose: PurposeKey,
    pub version: u32,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub controller: Controller,
    /// The purpose's description as the notice text, the purpose with basis,
    /// retention and recipients, and the attributes bound to it.
    pub bundle: Value,
}

pub(super) fn put_status(created: bool) -> StatusCode {
    if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// A key in a PUT path names something new, so a malformed one is a 422 naming `key`.
fn new_key<K>(
    parse: impl Fn(&str, &str) -> Result<K, CoreError>,
    raw: &str,
) -> Result<K, AppError> {
    parse("key", raw).map_err(AppError)
}

#[utoipa::path(put, path = "/v1/purposes/{key}", tag = "schema", operation_id = "put_purpose",
    params(("key" = PurposeKey, Path, description = "a-z, 0-9, '_' and '-', starting with a letter")),
    request_body = PurposeSpec,
    responses((status = 201, description = "created", body = Purpose), (status = 200, description = "replaced", body = Purpose),
              (status = 422, description = "an invalid key or definition; `field` names it")),
    security(("staff" = ["admin", "editor"])))]
pub async fn put_purpose(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<PurposeSpec>,
) -> Result<(StatusCode, Json<Purpose>), AppError> {
    let key = new_key(PurposeKey::parse, &key)?;
    let (store, now) = (state.store.clone(), state.now());
    let body = Purpose {
        key: key.clone(),
        spec: spec.clone(),
    };
    let created = blocking(move || store.put_purpose(&staff.actor, now, key, spec)).await?;
    Ok((put_status(created), Json(body)))
}

#[utoipa::path(get, path = "/v1/purposes", tag = "schema", operation_id = "list_purposes",
    responses((status = 200, description = "all purposes", body = PurposeList)),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn list_purposes(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
) -> Json<PurposeList> {
    let snap = state.store.schema();
    let purposes = snap
        .schema
        .purposes
        .iter()
        .map(|(k, s)| Purpose {
            key: k.clone(),
            spec: s.clone(),
        })
        .collect();
    Json(PurposeList { purposes })
}

#[utoipa::path(get, path = "/v1/purposes/{key}", tag = "schema", operation_id = "get_purpose", params(("key" = PurposeKey, Path)),
    responses((status = 200, description = "the purpose", body = Purpose), (status = 404, description = "no such purpose")),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn get_purpose(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Purpose>, AppError> {
    let key = path_key(PurposeKey::parse, &key, "purpose")?;
    let snap = state.store.schema();
    let spec = snap
        .schema
        .purposes
        .get(&key)
        .ok_or_else(|| CoreError::not_found("purpose", format!("no purpose '{key}'")))?;
    Ok(Json(Purpose {
        spec: spec.clone(),
        key,
    }))
}

#[utoipa::path(put, path = "/v1/attributes/{key}", tag = "schema", operation_id = "put_attribute", params(("key" = AttributeKey, Path)),
    request_body = AttributeSpec,
    responses((status = 201, description = "created", body = Attribute), (status = 200, description = "replaced", body = Attribute),
              (status = 404, description = "an unknown purpose; `field` names it"),
              (status = 422, description = "an invalid key or definition; `field` names it")),
    security(("staff" = ["admin", "editor"])))]
pub async fn put_attribute(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<AttributeSpec>,
) -> Result<(StatusCode, Json<Attribute>), AppError> {
    let key = new_key(AttributeKey::parse, &key)?;
    // P10: special categories of data are off until the configuration turns them on.
    if spec.special_category && !state.config.privacy.special_categories {
        return Err(AppError(CoreError::at(
            ErrorCode::SpecialCategory,
            "special_category",
            "special categories of data (GDPR art. 9) are off in this installation; set [privacy] special_categories = true to ask for them",
        )));
    }
    let (store, now) = (state.store.clone(), state.now());
    let body = Attribute {
        key: key.clone(),
        spec: spec.clone(),
    };
    let created = blocking(move || store.put_attribute(&staff.actor, now, key, spec)).await?;
    Ok((put_status(created), Json(body)))
}

#[utoipa::path(get, path = "/v1/attributes", tag = "schema", operation_id = "list_attributes",
    responses((status = 200, description = "all attributes", body = AttributeList)),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn list_attributes(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
) -> Json<AttributeList> {
    let snap = state.store.schema();
    let attributes = snap
        .schema
        .attributes
        .iter()
        .map(|(k, s)| Attribute {
            key: k.clone(),
            spec: s.clone(),
        })
        .collect();
    Json(AttributeList { attributes })
}

#[utoipa::path(get, path = "/v1/attributes/{key}", tag = "schema", operation_id = "get_attribute", params(("key" = AttributeKey, Path)),
    responses((status = 200, description = "the attribute", body = Attribute), (status = 404, description = "no such attribute")),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn get_attribute(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Attribute>, AppError> {
    let key = path_key(AttributeKey::parse, &key, "attribute")?;
    let snap = state.store.schema();
    let spec = snap
        .schema
        .attributes
        .get(&key)
        .ok_or_else(|| CoreError::not_found("attribute", format!("no attribute '{key}'")))?;
    Ok(Json(Attribute {
        spec: spec.clone(),
        key,
    }))
}

/// `PUT /v1/forms/{key}`: the form, and how a change to its notice stands to
/// the consents given under earlier versions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormBody {
    pub title: Localized,
    pub notice: Localized,
    #[serde(default)]
    pub kind: FormKind,
    pub attributes: Vec<AttributeKey>,
    pub purposes: Vec<PurposeKey>,
    /// `editorial` (the default) or `material`: a material change makes every
    /// consent given under an earlier version due for renewal (`renewal_due`
    /// in `/v1/me`). Only a change that makes a new version counts.
    #[serde(default)]
    pub notice_change: NoticeChange,
}

#[utoipa::path(put, path = "/v1/forms/{key}", tag = "schema", operation_id = "put_form", params(("key" = FormKey, Path)),
    request_body = FormBody,
    responses((status = 201, description = "created, with its first notice version", body = Form),
              (status = 200, description = "replaced; a changed notice gets a new version, marked material when `notice_change` is `material`", body = Form),
              (status = 404, description = "an unknown attribute or purpose; `field` names it"),
              (status = 422, description = "an invalid key or definition, or an attribute none of the form's purposes needs (P8)")),
    security(("staff" = ["admin", "editor"])))]
pub async fn put_form(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(body): Body<FormBody>,
) -> Result<(StatusCode, Json<Form>), AppError> {
    let key = new_key(FormKey::parse, &key)?;
    let (store, now) = (state.store.clone(), state.now());
    let k = key.clone();
    let change = body.notice_change;
    let spec = FormSpec {
        title: body.title,
        notice: body.notice,
        kind: body.kind,
        attributes: body.attributes,
        purposes: body.purposes,
    };
    let created = blocking(move || store.put_form_with(&staff.actor, now, k, spec, change)).await?;
    Ok((put_status(created), Json(form_view(&state, &key)?)))
}

fn form_view(state: &AppState, key: &FormKey) -> Result<Form, AppError> {
    let snap = state.store.schema();
    let spec = snap
        .schema
        .forms
        .get(key)
        .ok_or_else(|| CoreError::not_found("form", format!("no form '{key}'")))?;
    let notice = snap.notices.get(key);
    Ok(Form {
        key: key.clone(),
        spec: spec.clone(),
        notice_version: notice.map(|n| n.version),
        notice_sha256: notice.map(|n| n.sha256.clone()),
        notice_updated_at: notice.map(|n| n.created_at),
    })
}

#[utoipa::path(get, path = "/v1/forms", tag = "schema", operation_id = "list_forms",
    responses((status = 200, description = "all forms", body = FormList)),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn list_forms(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
) -> Result<Json<FormList>, AppError> {
    let keys: Vec<FormKey> = state.store.schema().schema.forms.keys().cloned().collect();
    let forms = keys
        .iter()
        .map(|k| form_view(&state, k))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(FormList { forms }))
}

#[utoipa::path(get, path = "/v1/forms/{key}", tag = "schema", operation_id = "get_form", params(("key" = FormKey, Path)),
    responses((status = 200, description = "the form with its current notice_version and notice_sha256", body = Form),
              (status = 404, description = "no such form")),
    security(("staff" = ["admin", "editor", "support", "service"])))]
pub async fn get_form(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Form>, AppError> {
    let key = path_key(FormKey::parse, &key, "form")?;
    Ok(Json(form_view(&state, &key)?))
}

/// Notices are public: anyone may read exactly what a consent was given against.
#[utoipa::path(get, path = "/v1/forms/{key}/notices/{version}", tag = "schema", operation_id = "notice",
    params(("key" = FormKey, Path), ("version" = u32, Path)),
    responses((status = 200, description = "the notice version: the exact bundle hashed, with its sha256", body = Notice),
              (status = 404, description = "no such form or version")),
    security(()))]
pub async fn get_notice(
    State(state): State<AppState>,
    Path((key, version)): Path<(String, String)>,
) -> Result<Json<Notice>, AppError> {
    let key = path_key(FormKey::parse, &key, "form")?;
    let (v, bundle) = notice_version(&state, NoticeOf::Form(key.clone()), &version).await?;
    Ok(Json(Notice {
        form: key,
        version: v.version,
        sha256: v.sha256,
        created_at: v.created_at,
        controller: state.config.controller.clone(),
        bundle,
    }))
}

/// Version `raw` of `of`'s notice with its bundle, or 404.
async fn notice_version(
    state: &AppState,
    of: NoticeOf,
    raw: &str,
) -> Result<(NoticeVersion, Value), AppError> {
    let version: u32 = raw
        .parse()
        .map_err(|_| AppError(CoreError::not_found("version", "no such notice version")))?;
    let store = state.store.clone();
    let o = of.clone();
    let versions = blocking(move || store.notice_versions(&o)).await?;
    versions
        .into_iter()
        .find(|(v, _)| v.version == version)
        .ok_or_else(|| {
            AppError(CoreError::not_found(
                "version",
                format!("'{}' has no notice version {version}", of.stored_key()),
            ))
        })
}

/// A purpose's own notices are public, like forms'.
#[utoipa::path(get, path = "/v1/purposes/{key}/notices/{version}", tag = "schema", operation_id = "purpose_notice",
    params(("key" = PurposeKey, Path), ("version" = u32, Path)),
    responses((status = 200, description = "the purpose's notice version: the exact bundle hashed, with its sha256", body = PurposeNotice),
              (status = 404, description = "no such purpose or version")),
    security(()))]
pub async fn get_purpose_notice(
    State(state): State<AppState>,
    Path((key, version)): Path<(String, String)>,
) -> Result<Json<PurposeNotice>, AppError> {
    let key = path_key(PurposeKey::parse, &key, "purpose")?;
    if !state.store.schema().schema.purposes.contains_key(&key) {
        return Err(AppError(CoreError::not_found(
            "purpose",
            format!("no purpose '{key}'"),
        )));
    }
    let (v, bundle) = notice_version(&state, NoticeOf::Purpose(key.clone()), &version).await?;
    Ok(Json(PurposeNotice {
        purpose: key,
        version: v.version,
        sha256: v.sha256,
        created_at: v.created_at,
        controller: state.config.controller.clone(),
        bundle,
    }))
}
