//! The PIN pepper: a random 32-byte secret mixed into every Argon2id PIN hash, kept in a key
//! file beside the store (`<store>.pepper`, mode 0400) — outside the store directory and so
//! outside every backup. A stolen backup or store copy then holds PIN hashes that cannot be
//! brute-forced (a 4–6 digit PIN is only a million guesses) without also stealing the key file.
//!
//! Each hash names its key by an 8-byte id in the PHC string (`keyid=`), so a hash made with
//! another key (a store moved without its key file) is refused rather than silently compared,
//! and hashes made before the pepper existed (no `keyid`) still verify.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, KeyId, ParamsBuilder, Version};

use crate::store::StoreError;

const SECRET_LEN: usize = 32;

pub struct Pepper {
    secret: [u8; SECRET_LEN],
    key_id: [u8; 8],
    path: PathBuf,
}

impl std::fmt::Debug for Pepper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pepper").field("path", &self.path).finish_non_exhaustive()
    }
}

/// Where the key file of the store at `store_dir` lives: beside it, named after it.
pub fn pepper_path(store_dir: &Path) -> PathBuf {
    let name =
        store_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    store_dir.with_file_name(format!("{name}.pepper"))
}

/// The backup key of the store at `store_dir`, if its PIN key file is there (never creates one).
pub fn backup_key(store_dir: &Path) -> Option<[u8; 32]> {
    let mut secret = fs::read(pepper_path(store_dir)).ok()?;
    let key = (secret.len() == SECRET_LEN)
        .then(|| blake3::derive_key("hourbank 2026-12 backup authentication", &secret));
    zeroize::Zeroize::zeroize(&mut secret);
    key
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// What loading found that an admin should hear about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PepperNote {
    /// The key file was readable or writable by more than its owner (now 0400 again).
    Loosened(PathBuf),
    /// There was no key file for an existing store; a new one was made, so PINs set with the
    /// old key no longer match and must be set again.
    Created(PathBuf),
}

impl Pepper {
    /// Reads the key file of the store at `store_dir`, or creates one (0400) if there is none.
    /// `existing`: the store was there before, so a missing key is worth a note.
    pub fn load_or_create(
        store_dir: &Path,
        existing: bool,
    ) -> Result<(Pepper, Option<PepperNote>), StoreError> {
        let path = pepper_path(store_dir);
        match fs::File::open(&path) {
            Ok(mut file) => {
                let mode = file.metadata().map_err(io(&path))?.permissions().mode();
                let mut note = None;
                if mode & 0o377 != 0 {
                    fs::set_permissions(&path, fs::Permissions::from_mode(0o400)).map_err(io(&path))?;
                    note = Some(PepperNote::Loosened(path.clone()));
                }
                let mut secret = [0u8; SECRET_LEN];
                let mut rest = Vec::new();
                file.read_exact(&mut secret).map_err(io(&path))?;
                file.read_to_end(&mut rest).map_err(io(&path))?;
                if !rest.is_empty() {
                    return Err(StoreError::Io {
                        path,
                        source: std::io::Error::other("not a PIN key file (wrong length)"),
                    });
                }
                Ok((Pepper::from_secret(secret, path), note))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut secret = [0u8; SECRET_LEN];
                OsRng.fill_bytes(&mut secret);
                let mut file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o400)
                    .open(&path)
                    .map_err(io(&path))?;
                file.write_all(&secret).map_err(io(&path))?;
                file.sync_all().map_err(io(&path))?;
                let note = existing.then(|| PepperNote::Created(path.clone()));
                Ok((Pepper::from_secret(secret, path), note))
            }
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    fn from_secret(secret: [u8; SECRET_LEN], path: PathBuf) -> Pepper {
        let digest = blake3::hash(&secret);
        let mut key_id = [0u8; 8];
        key_id.copy_from_slice(&digest.as_bytes()[..8]);
        Pepper { secret, key_id, path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The key that authenticates this bank's backups. Derived from the PIN key, which is in no
    /// backup, so whoever forges or edits a backup (the chain and checksum recomputed) cannot
    /// make its tag.
    pub fn backup_key(&self) -> [u8; 32] {
        blake3::derive_key("hourbank 2026-12 backup authentication", &self.secret)
    }

    /// The key of this bank's coupon check codes (`domain::points::coupon_check`). Derived from
    /// the PIN key, in no backup and no journal: whoever copies a store or a backup cannot print
    /// a coupon this counter takes.
    pub fn coupon_key(&self) -> [u8; 32] {
        blake3::derive_key("hourbank 2026-12 coupon check codes", &self.secret)
    }

    /// Argon2id, 19 MiB, t=2, p=1 (the OWASP minimum), keyed with the pepper and naming it.
    pub fn hash(&self, pin: &str) -> Option<String> {
        let mut params = ParamsBuilder::new();
        params.keyid(KeyId::new(&self.key_id).ok()?);
        let argon =
            Argon2::new_with_secret(&self.secret, Algorithm::Argon2id, Version::V0x13, params.build().ok()?)
                .ok()?;
        let salt = SaltString::generate(&mut OsRng);
        argon.hash_password(pin.as_bytes(), &salt).ok().map(|h| h.to_string())
    }

    /// Whether `pin` matches `hash`: with the pepper when the hash names this key, without it
    /// for a hash from before the pepper; never for a hash naming another key.
    pub fn verify(&self, hash: &str, pin: &str) -> bool {
        let Ok(parsed) = PasswordHash::new(hash) else { return false };
        let key_id = parsed.params.get_str("keyid");
        match key_id {
            None => Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok(),
            Some(_) => {
                let Ok(params) = argon2::Params::try_from(&parsed) else { return false };
                if params.keyid() != self.key_id {
                    return false;
                }
                Argon2::new_with_secret(&self.secret, Algorithm::Argon2id, Version::V0x13, params)
                    .is_ok_and(|argon| argon.verify_password(pin.as_bytes(), &parsed).is_ok())
            }
        }
    }
}

impl Drop for Pepper {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.secret);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_name_their_key_and_another_key_never_matches() {
        let dir = tempfile::tempdir().unwrap();
        let (a, note) = Pepper::load_or_create(&dir.path().join("a"), false).unwrap();
        assert_eq!(note, None);
        let (b, _) = Pepper::load_or_create(&dir.path().join("b"), false).unwrap();
        let hash = a.hash("2468").unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1,keyid="), "{hash}");
        assert!(a.verify(&hash, "2468"));
        assert!(!a.verify(&hash, "2469"));
        assert!(!b.verify(&hash, "2468"), "a hash made with another key");
        // A hash from before the pepper still verifies.
        let salt = SaltString::generate(&mut OsRng);
        let plain = Argon2::default().hash_password(b"1357", &salt).unwrap().to_string();
        assert!(b.verify(&plain, "1357"));
        // The same file gives the same key; it is 0400.
        let (again, _) = Pepper::load_or_create(&dir.path().join("a"), true).unwrap();
        assert!(again.verify(&hash, "2468"));
        let mode = fs::metadata(dir.path().join("a.pepper")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o400);
    }

    #[test]
    fn a_loosened_key_file_is_tightened_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        drop(Pepper::load_or_create(&store, false).unwrap());
        let path = pepper_path(&store);
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        let (_, note) = Pepper::load_or_create(&store, true).unwrap();
        assert_eq!(note, Some(PepperNote::Loosened(path.clone())));
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o400);
        fs::remove_file(&path).unwrap();
        let (_, note) = Pepper::load_or_create(&store, true).unwrap();
        assert_eq!(note, Some(PepperNote::Created(path)));
    }
}
