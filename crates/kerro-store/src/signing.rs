//! The installation's Ed25519 checkpoint key and the one statement a
//! checkpoint signs. The key lives in `checkpoint.key` beside the master key,
//! is created with mode 0600 at first start like the master key, and every
//! node of an installation needs the same file (it is copied like the master
//! key). Which chain heads get a checkpoint, and when, is
//! `store/checkpoints.rs`'s business; comparing checkpoints with the chains
//! is `store/verify.rs`'s.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

use crate::error::StoreError;

/// The file name of the checkpoint key, in the master key's directory.
pub const CHECKPOINT_KEY_FILE: &str = "checkpoint.key";

/// What a checkpoint statement starts with: the format and its version.
const STATEMENT_TAG: &str = "kerro-checkpoint/1";

/// The signing half of the installation's checkpoint key, and its public half in hex.
pub struct CheckpointKey {
    signing: SigningKey,
    public_hex: String,
}

impl CheckpointKey {
    /// Where the checkpoint key of an installation whose master key is `master_key` lives.
    pub fn path_beside(master_key: &Path) -> PathBuf {
        match master_key.parent() {
            Some(dir) => dir.join(CHECKPOINT_KEY_FILE),
            None => PathBuf::from(CHECKPOINT_KEY_FILE),
        }
    }

    /// Loads the key from `path`, or creates one there (mode 0600) when it does not exist.
    /// Two processes starting at once agree on one key: the file appears whole or not at all.
    pub fn load_or_create(path: &Path) -> Result<CheckpointKey, StoreError> {
        match fs::read(path) {
            Ok(bytes) => decode(&bytes, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(path),
            Err(e) => Err(StoreError::Config(format!(
                "cannot read the checkpoint key {}: {e}",
                path.display()
            ))),
        }
    }

    /// A key from a known seed (tests, and a forger's key in them).
    pub fn from_seed(seed: &[u8; 32]) -> CheckpointKey {
        let signing = SigningKey::from_bytes(seed);
        let public_hex = hex::encode(signing.verifying_key().as_bytes());
        CheckpointKey {
            signing,
            public_hex,
        }
    }

    /// The public key in hex (64 characters), as checkpoints carry it.
    pub fn public_key(&self) -> &str {
        &self.public_hex
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
fn decode(bytes: &[u8], path: &Path) -> Result<CheckpointKey, StoreError> {
    let text = std::str::from_utf8(bytes).unwrap_or("").trim();
    let bad = || {
        StoreError::Config(format!(
            "the checkpoint key {} must hold 64 hex characters (32 bytes)",
            path.display()
        ))
    };
    let raw = Zeroizing::new(hex::decode(text).map_err(|_| bad())?);
    let seed: Zeroizing<[u8; 32]> = Zeroizing::new(raw.as_slice().try_into().map_err(|_| bad())?);
    Ok(CheckpointKey::from_seed(&seed))
}

fn create(path: &Path) -> Result<CheckpointKey, StoreError> {
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
            tracing::warn!(path = %path.display(), "generated a new checkpoint key; back it up and copy it to every node with the master key");
            Ok(CheckpointKey::from_seed(&signing.to_bytes()))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match fs::read(path) {
            Ok(bytes) => decode(&bytes, path),
            Err(e) => Err(StoreError::Config(format!(
                "cannot read the checkpoint key {}: {e}",
                path.display()
            ))),
        },
        Err(e) => Err(StoreError::Config(format!(
            "cannot create the checkpoint key {}: {e}",
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
