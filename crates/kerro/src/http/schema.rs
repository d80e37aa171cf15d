//! `/v1/purposes`, `/v1/attributes`, `/v1/forms`: the schema a company
//! defines. Reads need any staff role, writes `admin` or `editor`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use kerro_core::ids::{AttributeKey, FormKey, PurposeKey};
use kerro_core::schema::{AttributeSpec, FormSpec, PurposeSpec};
use kerro_core::CoreError;
use serde::Serialize;
use serde_json::{json, Value};

use super::auth::{SchemaRead, SchemaWrite, Staff};
use super::{blocking, path_key, ApiError, AppState, Body};

/// A definition as returned: its spec with its key added.
fn with_key<T: Serialize>(key: &str, spec: &T) -> Value {
    let mut v = serde_json::to_value(spec).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("key".into(), Value::String(key.to_owned()));
    }
    v
}

fn put_status(created: bool) -> StatusCode {
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
) -> Result<K, ApiError> {
    parse("key", raw).map_err(ApiError)
}

#[utoipa::path(put, path = "/v1/purposes/{key}", tag = "schema",
    params(("key" = String, Path, description = "a-z, 0-9, '_' and '-', starting with a letter")),
    request_body(content = Object, description = "title, description (per language), legal_basis, uses, retention_days, recipients, dpv_category"),
    responses((status = 201, description = "created"), (status = 200, description = "replaced"), (status = 422, description = "invalid")),
    security(("staff" = [])))]
pub async fn put_purpose(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<PurposeSpec>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = new_key(PurposeKey::parse, &key)?;
    let (store, now, body) = (
        state.store.clone(),
        state.now(),
        with_key(key.as_str(), &spec),
    );
    let created = blocking(move || store.put_purpose(&staff.actor, now, key, spec)).await?;
    Ok((put_status(created), Json(body)))
}

#[utoipa::path(get, path = "/v1/purposes", tag = "schema", responses((status = 200, description = "all purposes")), security(("staff" = [])))]
pub async fn list_purposes(State(state): State<AppState>, _: Staff<SchemaRead>) -> Json<Value> {
    let snap = state.store.schema();
    let items: Vec<Value> = snap
        .schema
        .purposes
        .iter()
        .map(|(k, s)| with_key(k.as_str(), s))
        .collect();
    Json(json!({ "purposes": items }))
}

#[utoipa::path(get, path = "/v1/purposes/{key}", tag = "schema", params(("key" = String, Path)),
    responses((status = 200, description = "the purpose"), (status = 404, description = "no such purpose")), security(("staff" = [])))]
pub async fn get_purpose(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = path_key(PurposeKey::parse, &key, "purpose")?;
    let snap = state.store.schema();
    let spec = snap
        .schema
        .purposes
        .get(&key)
        .ok_or_else(|| CoreError::not_found("purpose", format!("no purpose '{key}'")))?;
    Ok(Json(with_key(key.as_str(), spec)))
}

#[utoipa::path(put, path = "/v1/attributes/{key}", tag = "schema", params(("key" = String, Path)),
    request_body(content = Object, description = "title, kind, options, min/max, max_length, purposes, special_category"),
    responses((status = 201, description = "created"), (status = 200, description = "replaced"), (status = 422, description = "invalid")),
    security(("staff" = [])))]
pub async fn put_attribute(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<AttributeSpec>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = new_key(AttributeKey::parse, &key)?;
    let (store, now, body) = (
        state.store.clone(),
        state.now(),
        with_key(key.as_str(), &spec),
    );
    let created = blocking(move || store.put_attribute(&staff.actor, now, key, spec)).await?;
    Ok((put_status(created), Json(body)))
}

#[utoipa::path(get, path = "/v1/attributes", tag = "schema", responses((status = 200, description = "all attributes")), security(("staff" = [])))]
pub async fn list_attributes(State(state): State<AppState>, _: Staff<SchemaRead>) -> Json<Value> {
    let snap = state.store.schema();
    let items: Vec<Value> = snap
        .schema
        .attributes
        .iter()
        .map(|(k, s)| with_key(k.as_str(), s))
        .collect();
    Json(json!({ "attributes": items }))
}

#[utoipa::path(get, path = "/v1/attributes/{key}", tag = "schema", params(("key" = String, Path)),
    responses((status = 200, description = "the attribute"), (status = 404, description = "no such attribute")), security(("staff" = [])))]
pub async fn get_attribute(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = path_key(AttributeKey::parse, &key, "attribute")?;
    let snap = state.store.schema();
    let spec = snap
        .schema
        .attributes
        .get(&key)
        .ok_or_else(|| CoreError::not_found("attribute", format!("no attribute '{key}'")))?;
    Ok(Json(with_key(key.as_str(), spec)))
}

#[utoipa::path(put, path = "/v1/forms/{key}", tag = "schema", params(("key" = String, Path)),
    request_body(content = Object, description = "title, notice (per language), kind, attributes, purposes"),
    responses((status = 201, description = "created"), (status = 200, description = "replaced"), (status = 422, description = "invalid")),
    security(("staff" = [])))]
pub async fn put_form(
    State(state): State<AppState>,
    staff: Staff<SchemaWrite>,
    Path(key): Path<String>,
    Body(spec): Body<FormSpec>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let key = new_key(FormKey::parse, &key)?;
    let (store, now) = (state.store.clone(), state.now());
    let k = key.clone();
    let created = blocking(move || store.put_form(&staff.actor, now, k, spec)).await?;
    Ok((put_status(created), Json(form_view(&state, &key)?)))
}

fn form_view(state: &AppState, key: &FormKey) -> Result<Value, ApiError> {
    let snap = state.store.schema();
    let spec = snap
        .schema
        .forms
        .get(key)
        .ok_or_else(|| CoreError::not_found("form", format!("no form '{key}'")))?;
    let mut v = with_key(key.as_str(), spec);
    if let (Value::Object(m), Some(n)) = (&mut v, snap.notices.get(key)) {
        m.insert("notice_version".into(), json!(n.version));
        m.insert("notice_sha256".into(), json!(n.sha256));
        m.insert("notice_updated_at".into(), json!(n.created_at));
    }
    Ok(v)
}

#[utoipa::path(get, path = "/v1/forms", tag = "schema", responses((status = 200, description = "all forms")), security(("staff" = [])))]
pub async fn list_forms(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
) -> Result<Json<Value>, ApiError> {
    let keys: Vec<FormKey> = state.store.schema().schema.forms.keys().cloned().collect();
    let items = keys
        .iter()
        .map(|k| form_view(&state, k))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(json!({ "forms": items })))
}

#[utoipa::path(get, path = "/v1/forms/{key}", tag = "schema", params(("key" = String, Path)),
    responses((status = 200, description = "the form with its current notice_version and notice_sha256"), (status = 404, description = "no such form")),
    security(("staff" = [])))]
pub async fn get_form(
    State(state): State<AppState>,
    _: Staff<SchemaRead>,
    Path(key): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let key = path_key(FormKey::parse, &key, "form")?;
    Ok(Json(form_view(&state, &key)?))
}

/// Notices are public: anyone may read exactly what a consent was given against.
#[utoipa::path(get, path = "/v1/forms/{key}/notices/{version}", tag = "schema",
    params(("key" = String, Path), ("version" = u32, Path)),
    responses((status = 200, description = "the notice version: the exact bundle hashed, with its sha256"), (status = 404, description = "no such version")))]
pub async fn get_notice(
    State(state): State<AppState>,
    Path((key, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let key = path_key(FormKey::parse, &key, "form")?;
    let version: u32 = version
        .parse()
        .map_err(|_| ApiError(CoreError::not_found("version", "no such notice version")))?;
    let store = state.store.clone();
    let k = key.clone();
    let versions = blocking(move || store.notice_versions(&k)).await?;
    let (v, bundle) = versions
        .into_iter()
        .find(|(v, _)| v.version == version)
        .ok_or_else(|| {
            CoreError::not_found(
                "version",
                format!("form '{key}' has no notice version {version}"),
            )
        })?;
    Ok(Json(json!({
        "form": key, "version": v.version, "sha256": v.sha256, "created_at": v.created_at,
        "controller": state.config.controller, "bundle": bundle,
    })))
}
