//! The secrets of staff sign-in, without storage: argon2id password hashes
//! (OWASP's parameters), TOTP codes (RFC 6238 through totp-rs) checked once per
//! time step, and recovery codes. Each check takes the same time whether or
//! not there is an account behind it.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use subtle::ConstantTimeEq;
use totp_rs::TOTP;

use crate::error::{StoreError, StoreResult};

/// OWASP's password storage cheat sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// The PHC string of `password` (salt and parameters included).
pub(crate) fn hash_password(password: &str) -> StoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Crypto(format!("cannot hash a password: {e}")))
}

/// A hash of nothing anyone knows, verified instead when there is no account,
/// so a wrong address costs the same time as a wrong password.
fn decoy() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let mut bytes = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
        hash_password(&hex::encode(bytes)).unwrap_or_default()
    })
}

/// Whether `password` matches `stored`; with no stored hash, a decoy is checked and `false` returned.
pub(crate) fn verify_password(password: &str, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => (decoy(), false),
    };
    let ok = PasswordHash::new(phc)
        .map(|h| hasher().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false);
    ok && real
}

/// TOTP's usual settings, which every authenticator app reads: SHA-1, 6 digits, 30 s.
const STEP: u64 = 30;

fn totp(secret: &[u8], account: &str) -> StoreResult<TOTP> {
    TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        STEP,
        secret.to_vec(),
        Some("kerro".to_owned()),
        account.to_owned(),
    )
    .map_err(|e| StoreError::Crypto(format!("cannot make a TOTP: {e}")))
}

/// A new TOTP secret (160 bits, RFC 4226's recommendation).
pub(crate) fn new_totp_secret() -> Vec<u8> {
    let mut bytes = vec![0u8; 20];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    bytes
}

/// What an authenticator app needs: the `otpauth://` URL (for the QR code) and the secret in base32.
pub(crate) fn totp_setup(secret: &[u8], account: &str) -> StoreResult<(String, String)> {
    let t = totp(secret, account)?;
    Ok((t.get_url(), t.get_secret_base32()))
}

/// The time step `code` is valid for at `unix` (one step of drift either way),
/// if that step is newer than `last_step`: a code works once.
pub(crate) fn check_totp(secret: &[u8], code: &str, unix: u64, last_step: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let t = totp(secret, "").ok()?;
    let now = unix / STEP;
    let mut found = None;
    for step in [now.saturating_sub(1), now, now + 1] {
        let expected = t.generate(step * STEP);
        // Compared in constant time; every candidate is checked.
        let same: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if same && step > last_step {
            found = Some(step);
        }
    }
    found
}

/// Ten recovery codes: 10 characters each from an alphabet without look-alikes, grouped for reading.
pub(crate) fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..10)
        .map(|_| {
            let c: String = (0..10)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &c[..5], &c[5..])
        })
        .collect()
}

/// How a recovery code is stored and compared: typed loosely, hashed exactly.
pub(crate) fn recovery_hash(code: &str) -> String {
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    crate::crypto::secret_hash(&format!("recovery:{clean}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_and_decoys_never_do() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password("correct horse battery", Some(&h)));
        assert!(!verify_password("correct horse batterY", Some(&h)));
        assert!(!verify_password("anything", None));
        assert!(!verify_password("x", Some("not a phc string")));
    }

    #[test]
    fn a_totp_code_works_once_within_one_step_of_drift() {
        let secret = new_totp_secret();
        let t = totp(&secret, "a").unwrap();
        let unix = 1_800_000_000;
        let code = t.generate(unix);
        let step = check_totp(&secret, &code, unix, 0).unwrap();
        assert_eq!(step, unix / STEP);
        assert_eq!(check_totp(&secret, &code, unix, step), None, "replayed");
        assert!(check_totp(&secret, &t.generate(unix - 30), unix, 0).is_some());
        assert!(check_totp(&secret, &t.generate(unix - 90), unix, 0).is_none());
        assert!(check_totp(&secret, "12345", unix, 0).is_none());
        assert!(check_totp(&secret, "abcdef", unix, 0).is_none());
    }

    #[test]
    fn recovery_codes_are_distinct_and_typed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        assert_eq!(
            codes
                .iter()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
            10
        );
        let c = &codes[0];
        assert_eq!(
            recovery_hash(c),
            recovery_hash(&c.to_uppercase().replace('-', " "))
        );
    }
}
