//! The installation's Ed25519 keys and the one statement a checkpoint signs.
//! Each key lives in its own file beside the master key (`checkpoint.key`
//! for checkpoints, `receipt.key` for signed receipts), is created with mode
//! 0600 at first start like the master key, and every node of an
//! installation needs the same files (they are copied like the master key).
//! Which chain heads get a checkpoint, and when, is `store/checkpoints.rs`'s
//! business; comparing checkpoints with the chains is `store/verify.rs`'s;
//! the JOSE shape of a signed receipt is the binary's.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use crate::error::StoreError;

/// The file name of the checkpoint key, in the master key's directory.
pub const CHECKPOINT_KEY_FILE: &str = "checkpoint.key";

/// The file name of the key that signs receipts (JWS), in the master key's directory.
pub const RECEIPT_KEY_FILE: &str = "receipt.key";

/// What a checkpoint statement starts with: the format and its version.
const STATEMENT_TAG: &str = "kerro-checkpoint/1";

/// The signing half of one of the installation's Ed25519 keys, and its public half in hex.
pub struct Ed25519Key {
    signing: SigningKey,
    public_hex: String,
}

/// The key that signs checkpoints.
pub type CheckpointKey = Ed25519Key;

impl Ed25519Key {
    /// Where the checkpoint key of an installation whose master key is `master_key` lives.
    pub fn path_beside(master_key: &Path) -> PathBuf {
        Self::file_beside(master_key, CHECKPOINT_KEY_FILE)
    }

    /// Where the key named `file` of an installation whose master key is `master_key` lives.
    pub fn file_beside(master_key: &Path, file: &str) -> PathBuf {
        match master_key.parent() {
            Some(dir) => dir.join(file),
            None => PathBuf::from(file),
        }
    }

    /// Loads the key from `path`, or creates one there (mode 0600) when it does not exist.
    /// Two processes starting at once agree on one key: the file appears whole or not at all.
    pub fn load_or_create(path: &Path) -> Result<Ed25519Key, StoreError> {
        match fs::read(path) {
            Ok(bytes) => decode(&bytes, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
            Err(e) => Err(StoreError::Config(format!(
                "cannot read the key {}: {e}",
                path.display()
            ))),
        }
    }

    /// A key from a known seed (tests, and a forger's key in them).
    pub fn from_seed(seed: &[u8; 32]) -> Ed25519Key {
        let signing = SigningKey::from_bytes(seed);
        let public_hex = hex::encode(signing.verifying_key().as_bytes());
        Ed25519Key {
            signing,
            public_hex,
        }
    }

    /// The public key in hex (64 characters), as checkpoints carry it.
    pub fn public_key(&self) -> &str {
        &self.public_hex
    }

    /// The public key's 32 bytes (a JWK's `x`, base64url-encoded).
    pub fn public_bytes(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The private key as PKCS#8 DER (RFC 8410), the form JOSE libraries load.
    pub fn pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        use ed25519_dalek::pkcs8::EncodePrivateKey;
        let doc = self
            .signing
            .to_pkcs8_der()
            .map_err(|e| StoreError::Config(format!("cannot encode the key as PKCS#8: {e}")))?;
        Ok(Zeroizing::new(doc.as_bytes().to_vec()))
    }

    /// The signature of `statement`, in hex (128 characters).
    pub fn sign(&self, statement: &str) -> String {
        hex::encode(self.signing.sign(statement.as_bytes()).to_bytes())
    }

    /// How a checkpoint carrying `public_key` and `signature` over `statement`
    /// stands against this installation's key.
    pub fn check(&self, public_key: &str, statement: &str, signature: &str) -> SignatureCheck {
        if public_key != self.public_hex {
            return SignatureCheck::OtherKey;
        }
        let verifying: VerifyingKey = self.signing.verifying_key();
        let bytes = match hex::decode(signature) {
            Ok(b) => b,
            Err(_) => return SignatureCheck::Invalid,
        };
        let Ok(sig) = Signature::from_slice(&bytes) else {
            return SignatureCheck::Invalid;
        };
        match verifying.verify_strict(statement.as_bytes(), &sig) {
            Ok(()) => SignatureCheck::Valid,
            Err(_) => SignatureCheck::Invalid,
        }
    }
}

/// The result of checking a checkpoint's signature against the installation's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureCheck {
    Valid,
    /// The checkpoint names another public key than the installation's.
    OtherKey,
    /// It names the installation's key, but the signature does not verify.
    Invalid,
}

/// The text a checkpoint signs: a JSON array in a fixed order, format first.
/// `created_at` is exactly as stored and published (RFC 3339, microseconds, `Z`).
pub fn statement(chain: &str, head_seq: i64, head_hash: &str, created_at: &str) -> String {
    serde_json::json!([STATEMENT_TAG, chain, head_seq, head_hash, created_at]).to_string()
}

/// The key file holds the 32-byte seed as 64 hex characters (a trailing newline is fine).
fn decode(bytes: &[u8], path: &Path) -> Result<Ed25519Key, StoreError> {
    let text = std::str::from_utf8(bytes).unwrap_or("").trim();
    let bad = || {
        StoreError::Config(format!(
            "the key {} must hold 64 hex characters (32 bytes)",
            path.display()
        ))
    };
    let raw = Zeroizing::new(hex::decode(text).map_err(|_| bad())?);
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(raw.as_slice().try_into().map_err(|_| bad())?);
    Ok(Ed25519Key::from_seed(&seed))
}

fn create(path: &Path) -> Result<Ed25519Key, StoreError> {
    let signing = SigningKey::generate(&mut rand::rngs::OsRng);
    let seed = Zeroizing::new(hex::encode(signing.to_bytes()));
    // Written whole under a temporary name, then linked into place: a second
    // process starting at the same moment either wins the link or reads ours.
    let tmp = path.with_extension(format!(
        "key.{}.{:016x}.tmp",
        std::process::id(),
        rand::random::<u64>()
    ));
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let written = (|| -> std::io::Result<()> {
        let mut f = opts.open(&tmp)?;
        f.write_all(seed.as_bytes())?;
        f.write_all(b"\n")?;
        f.sync_all()
    })();
    let linked = written.and_then(|()| fs::hard_link(&tmp, path));
    let _ = fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            tracing::warn!(path = %path.display(), "generated a new signing key; back it up and copy it to every node with the master key");
            Ok(Ed25519Key::from_seed(&signing.to_bytes()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match fs::read(path) {
            Ok(bytes) => decode(&bytes, path),
            Err(e) => Err(StoreError::Config(format!(
                "cannot read the key {}: {e}",
                path.display()
            ))),
        },
        Err(e) => Err(StoreError::Config(format!(
            "cannot create the key {}: {e}",
            path.display()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_file_is_created_once_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = CheckpointKey::path_beside(&dir.path().join("master.key"));
        assert_eq!(path, dir.path().join("checkpoint.key"));
        let first = CheckpointKey::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        let second = CheckpointKey::load_or_create(&path).unwrap();
        assert_eq!(first.public_key(), second.public_key());
        assert_eq!(first.public_key().len(), 64);
        // The receipt key is another file beside it, made the same way, and another key.
        let receipts = Ed25519Key::file_beside(&dir.path().join("master.key"), RECEIPT_KEY_FILE);
        assert_eq!(receipts, dir.path().join("receipt.key"));
        let receipt_key = Ed25519Key::load_or_create(&receipts).unwrap();
        assert_ne!(receipt_key.public_key(), first.public_key());
        assert_eq!(
            hex::encode(receipt_key.public_bytes()),
            receipt_key.public_key()
        );
        let der = receipt_key.pkcs8_der().unwrap();
        // PKCS#8 v2 (RFC 5958): the seed and the public key, as ring-based JOSE libraries want it.
        assert_eq!(der.len(), 83);
        assert!(der.ends_with(&receipt_key.public_bytes()));
        fs::write(&path, "abcd\n").unwrap();
        let e = CheckpointKey::load_or_create(&path).err().unwrap();
        assert!(e.to_string().contains("64 hex characters"), "{e}");
    }

    #[test]
    fn processes_starting_at_once_agree_on_one_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("checkpoint.key");
        let keys: Vec<String> = (0..8)
            .map(|_| {
                let p = path.clone();
                std::thread::spawn(move || {
                    CheckpointKey::load_or_create(&p)
                        .unwrap()
                        .public_key()
                        .to_owned()
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        assert!(keys.iter().all(|k| k == &keys[0]), "{keys:?}");
    }

    #[test]
    fn a_signature_verifies_only_for_its_statement_and_key() {
        let key = CheckpointKey::from_seed(&[1; 32]);
        let other = CheckpointKey::from_seed(&[2; 32]);
        let s = statement("ledger", 45, "ab", "2026-03-01T09:00:00.000000Z");
        let sig = key.sign(&s);
        assert_eq!(key.check(key.public_key(), &s, &sig), SignatureCheck::Valid);
        let moved = statement("ledger", 40, "ab", "2026-03-01T09:00:00.000000Z");
        assert_eq!(
            key.check(key.public_key(), &moved, &sig),
            SignatureCheck::Invalid
        );
        assert_eq!(
            key.check(key.public_key(), &s, "zz"),
            SignatureCheck::Invalid
        );
        // Signed with another key: named as such, whatever the signature.
        let forged = other.sign(&s);
        assert_eq!(
            key.check(other.public_key(), &s, &forged),
            SignatureCheck::OtherKey
        );
        assert_eq!(
            key.check(key.public_key(), &s, &forged),
            SignatureCheck::Invalid
        );
    }
}
