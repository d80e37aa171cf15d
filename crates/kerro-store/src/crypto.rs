//! Encryption at rest (P24) and crypto-shredding (P13).
//!
//! Every subject has its own random 256-bit data key. Personal values are
//! sealed with XChaCha20-Poly1305 under that key, with the subject id and the
//! field name as associated data so a ciphertext cannot be moved to another
//! row. Data keys are stored only wrapped by the master key. Look-ups by
//! e-mail or external id use an HMAC-SHA-256 blind index keyed from the master
//! key, so no plaintext is ever needed to find a subject. Erasure deletes the
//! wrapped key: whatever copy of a ciphertext survives (WAL, backup) is noise.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use std::fs;
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

use crate::error::StoreError;

const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

/// The keys derived from the master key; the master key itself is dropped after start.
pub struct Keyring {
    wrap: XChaCha20Poly1305,
    blind: Zeroizing<[u8; KEY_LEN]>,
    /// Seals staff accounts' second-factor secrets.
    staff: XChaCha20Poly1305,
    /// Signs links that work without a sign-in (one-click unsubscribe).
    links: Zeroizing<[u8; KEY_LEN]>,
}

/// A subject's data key, unwrapped for the length of one operation.
pub struct DataKey(XChaCha20Poly1305);

impl Keyring {
    /// Loads the master key from `path`, or creates one there with mode 0600 when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Keyring, StoreError> {
        let master = match fs::read(path) {
            Ok(bytes) => decode_master(&bytes, path)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_master(path)?,
            Err(e) => {
                return Err(StoreError::Config(format!(
                    "cannot read master key {}: {e}",
                    path.display()
                )))
            }
        };
        Ok(Keyring::from_master(&master))
    }

    pub fn from_master(master: &[u8; KEY_LEN]) -> Keyring {
        let hk = Hkdf::<Sha256>::new(Some(b"kerro master key v1"), master);
        let mut wrap = Zeroizing::new([0u8; KEY_LEN]);
        let mut blind = Zeroizing::new([0u8; KEY_LEN]);
        let mut staff = Zeroizing::new([0u8; KEY_LEN]);
        let mut links = Zeroizing::new([0u8; KEY_LEN]);
        // HKDF-expand fails only for outputs longer than 255 hash lengths; 32 bytes is fine.
        let _ = hk.expand(b"wrap data keys", wrap.as_mut());
        let _ = hk.expand(b"blind index", blind.as_mut());
        let _ = hk.expand(b"staff secrets", staff.as_mut());
        let _ = hk.expand(b"signed links", links.as_mut());
        Keyring {
            wrap: XChaCha20Poly1305::new(wrap.as_ref().into()),
            blind,
            staff: XChaCha20Poly1305::new(staff.as_ref().into()),
            links,
        }
    }

    /// A new random data key and its wrapped form for storage.
    pub fn new_data_key(&self, subject: &str) -> Result<(DataKey, Vec<u8>), StoreError> {
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        let wrapped = seal(&self.wrap, key.as_ref(), &aad(subject, "data_key"))?;
        Ok((
            DataKey(XChaCha20Poly1305::new(key.as_ref().into())),
            wrapped,
        ))
    }

    pub fn unwrap_data_key(&self, subject: &str, wrapped: &[u8]) -> Result<DataKey, StoreError> {
        let key = Zeroizing::new(open(&self.wrap, wrapped, &aad(subject, "data_key"))?);
        if key.len() != KEY_LEN {
            return Err(StoreError::Crypto(
                "wrapped data key has the wrong length".into(),
            ));
        }
        Ok(DataKey(XChaCha20Poly1305::new(key.as_slice().into())))
    }

    /// Seals a staff account's secret (`field`, e.g. `totp`), bound to the account.
    pub fn seal_staff(
        &self,
        account: &str,
        field: &str,
        secret: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        seal(&self.staff, secret, &aad(account, field))
    }

    pub fn open_staff(
        &self,
        account: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        open(&self.staff, sealed, &aad(account, field))
    }

    /// The HMAC-SHA256 tag of a link's payload (`kind` keeps kinds of links apart).
    pub fn sign_link(&self, kind: &str, payload: &[u8]) -> Vec<u8> {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.links.as_ref()) else {
            return Vec::new();
        };
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(payload);
        mac.finalize().into_bytes().to_vec()
    }

    /// Whether `tag` is the link tag of `payload`, compared in constant time.
    pub fn verify_link(&self, kind: &str, payload: &[u8], tag: &[u8]) -> bool {
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(self.links.as_ref()) else {
            return false;
        };
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(payload);
        mac.verify_slice(tag).is_ok()
    }

    /// The blind index of `value` of kind `kind` (`email`, `external_id`).
    pub fn blind_index(&self, kind: &str, value: &str) -> String {
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(self.blind.as_ref()) {
            Ok(m) => m,
            // HMAC takes keys of any length, so this branch cannot be reached.
            Err(_) => return String::new(),
        };
        mac.update(kind.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl DataKey {
    pub fn seal(
        &self,
        subject: &str,
        field: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        seal(&self.0, plaintext, &aad(subject, field))
    }

    pub fn open(&self, subject: &str, field: &str, sealed: &[u8]) -> Result<Vec<u8>, StoreError> {
        open(&self.0, sealed, &aad(subject, field))
    }

    pub fn open_string(
        &self,
        subject: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<String, StoreError> {
        String::from_utf8(self.open(subject, field, sealed)?)
            .map_err(|_| StoreError::Crypto(format!("{field} of {subject} is not UTF-8")))
    }
}

/// The value an e-mail address's blind index is computed from, or `None` if `raw`
/// is not an address. One documented normalisation for every caller:
/// `kerro_core::email` (canonical form, then lower case).
pub fn normalize_email(raw: &str) -> Option<String> {
    kerro_core::email::canonical("email", raw)
        .ok()
        .map(|c| kerro_core::email::lookup_key(&c))
}

/// A new random secret: `prefix` and 32 bytes from the OS in unpadded base64url
/// (43 characters). Staff and subject tokens, sign-in links and session ids.
pub(crate) fn new_secret(prefix: &str) -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Characters after the prefix of a secret from [`new_secret`].
pub(crate) const SECRET_CHARS: usize = 43;

/// How a secret is stored: its SHA-256, in hex (a 256-bit random value needs no salt).
pub(crate) fn secret_hash(secret: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn aad(subject: &str, field: &str) -> Vec<u8> {
    format!("kerro/v1/{subject}/{field}").into_bytes()
}

fn seal(cipher: &XChaCha20Poly1305, plaintext: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .map_err(|_| StoreError::Crypto("encryption failed".into()))?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open(cipher: &XChaCha20Poly1305, sealed: &[u8], aad: &[u8]) -> Result<Vec<u8>, StoreError> {
    if sealed.len() < NONCE_LEN {
        return Err(StoreError::Crypto("ciphertext too short".into()));
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map_err(|_| StoreError::Crypto("decryption failed: wrong key or tampered value".into()))
}

/// The master key file holds 64 hex characters (a trailing newline is fine).
fn decode_master(bytes: &[u8], path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, StoreError> {
    let text = std::str::from_utf8(bytes).unwrap_or("").trim();
    let raw = Zeroizing::new(hex::decode(text).map_err(|_| {
        StoreError::Config(format!(
            "master key {} must hold 64 hex characters",
            path.display()
        ))
    })?);
    if raw.len() != KEY_LEN {
        return Err(StoreError::Config(format!(
            "master key {} must hold 64 hex characters (32 bytes)",
            path.display()
        )));
    }
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    key.copy_from_slice(&raw);
    Ok(key)
}

fn create_master(path: &Path) -> Result<Zeroizing<[u8; KEY_LEN]>, StoreError> {
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    rand::rngs::OsRng.fill_bytes(key.as_mut());
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let write = |opts: &fs::OpenOptions| -> std::io::Result<()> {
        let mut f = opts.open(path)?;
        f.write_all(hex::encode(key.as_ref()).as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    };
    write(&opts).map_err(|e| {
        StoreError::Config(format!("cannot create master key {}: {e}", path.display()))
    })?;
    tracing::warn!(path = %path.display(), "generated a new master key; back it up, without it the data cannot be read");
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_binding() {
        let ring = Keyring::from_master(&[7u8; 32]);
        let (dk, wrapped) = ring.new_data_key("sub_A").unwrap();
        let sealed = dk.seal("sub_A", "email", b"anna@example.fi").unwrap();
        assert!(!sealed.windows(5).any(|w| w == b"anna@"));
        let again = ring.unwrap_data_key("sub_A", &wrapped).unwrap();
        assert_eq!(
            again.open_string("sub_A", "email", &sealed).unwrap(),
            "anna@example.fi"
        );
        // Bound to subject and field: moving the ciphertext breaks it.
        assert!(again.open("sub_B", "email", &sealed).is_err());
        assert!(again.open("sub_A", "external_id", &sealed).is_err());
        assert!(ring.unwrap_data_key("sub_B", &wrapped).is_err());
        // Another master key cannot unwrap.
        assert!(Keyring::from_master(&[8u8; 32])
            .unwrap_data_key("sub_A", &wrapped)
            .is_err());
    }

    #[test]
    fn blind_index_is_keyed() {
        let a = Keyring::from_master(&[1u8; 32]);
        let b = Keyring::from_master(&[2u8; 32]);
        assert_eq!(a.blind_index("email", "x@y"), a.blind_index("email", "x@y"));
        assert_ne!(a.blind_index("email", "x@y"), b.blind_index("email", "x@y"));
        assert_ne!(
            a.blind_index("email", "x@y"),
            a.blind_index("external_id", "x@y")
        );
    }

    #[test]
    fn master_key_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("master.key");
        let first = Keyring::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let second = Keyring::load_or_create(&path).unwrap();
        assert_eq!(first.blind_index("e", "v"), second.blind_index("e", "v"));
        fs::write(&path, "nothex").unwrap();
        assert!(Keyring::load_or_create(&path).is_err());
    }
}
