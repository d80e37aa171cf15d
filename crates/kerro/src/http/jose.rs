//! Signed receipts: the compact JWS (RFC 7515, EdDSA over Ed25519, RFC 8037)
//! of a receipt document, and `GET /.well-known/jwks.json`, the JWK Set that
//! publishes the receipt key so anyone can check a receipt without kerro.
//! The key itself (`receipt.key`) is the store's; which document is signed,
//! and who may read it, is `receipts.rs`'s.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use kerro_core::{CoreError, ErrorCode};
use kerro_store::signing::Ed25519Key;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::{AppError, AppState};

/// The media type of a compact JWS (RFC 7515, section 9.2.1).
pub const JOSE: &str = "application/jose";

/// Whether the request's `Accept` names `application/jose` (and does not
/// refuse it with `q=0`). Anything else, or no `Accept`, gets JSON.
pub fn wants_jose(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';').map(str::trim);
            let media = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>() == Ok(0.0)
                })
            });
            media.eq_ignore_ascii_case(JOSE) && !refused
        })
}

/// The key's RFC 7638 thumbprint (SHA-256, base64url): the `kid` of the JWK and of each JWS.
pub fn kid(key: &Ed25519Key) -> String {
    // The thumbprint hashes the required members in lexicographic order, without whitespace.
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(key.public_bytes())
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// `payload` as a compact JWS signed with `key`: the payload is exactly the
/// JSON the same request answers without `Accept: application/jose`.
pub fn sign<T: Serialize>(key: &Ed25519Key, payload: &T) -> Result<String, AppError> {
    let failed = |what: &str| {
        AppError(CoreError::new(
            ErrorCode::Internal,
            format!("cannot sign the receipt: {what}"),
        ))
    };
    let der = key.pkcs8_der().map_err(|e| failed(&e.to_string()))?;
    let encoding = jsonwebtoken::EncodingKey::from_ed_der(&der);
    let header = jsonwebtoken::Header {
        typ: None,
        kid: Some(kid(key)),
        ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA)
    };
    jsonwebtoken::encode(&header, payload, &encoding).map_err(|e| failed(&e.to_string()))
}

/// A compact JWS as a response, `Content-Type: application/jose`.
pub fn response(jws: String) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(JOSE))],
        jws,
    )
        .into_response()
}

/// One public key (RFC 8037: an Ed25519 key is `kty: OKP`, `crv: Ed25519`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Jwk {
    /// Always `OKP`.
    pub kty: String,
    /// Always `Ed25519`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// The RFC 7638 thumbprint, as each receipt's JWS header names it.
    pub kid: String,
    /// Always `EdDSA`.
    pub alg: String,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: String,
}

/// `GET /.well-known/jwks.json`.
#[derive(Debug, Serialize, ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}

pub fn jwk(key: &Ed25519Key) -> Jwk {
    Jwk {
        kty: "OKP".into(),
        crv: "Ed25519".into(),
        x: URL_SAFE_NO_PAD.encode(key.public_bytes()),
        kid: kid(key),
        alg: "EdDSA".into(),
        use_: "sig".into(),
    }
}

/// The key that signs receipts is public: anyone holding a receipt may check it.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "consent", operation_id = "jwks",
    description = "The JWK Set of the key that signs receipts (`GET /v1/receipts/{record_id}` with `Accept: application/jose`): one Ed25519 key, its `kid` the RFC 7638 thumbprint.",
    responses((status = 200, description = "the receipt key", body = JwkSet)),
    security(()))]
pub async fn jwks(axum::extract::State(state): axum::extract::State<AppState>) -> Json<JwkSet> {
    Json(JwkSet {
        keys: vec![jwk(state.store.receipt_key())],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn accept_names_jose_or_json_is_answered() {
        for (value, jose) in [
            ("application/jose", true),
            ("Application/JOSE", true),
            ("application/json, application/jose;q=0.5", true),
            ("application/jose; q=0", false),
            ("application/jose+json", false),
            ("application/json", false),
            ("*/*", false),
            ("", false),
        ] {
            assert_eq!(wants_jose(&accept(value)), jose, "{value}");
        }
        assert!(!wants_jose(&HeaderMap::new()));
    }

    #[test]
    fn the_kid_is_the_rfc_7638_thumbprint() {
        // RFC 8037 appendix A.3: the thumbprint of the appendix A.2 public key.
        let seed = hex::decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
            .unwrap();
        let key = Ed25519Key::from_seed(&seed.try_into().unwrap());
        assert_eq!(jwk(&key).x, "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");
        assert_eq!(kid(&key), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");
    }
}
