//! The counter's identity in the city (ARCHITECTURE.md §8): an ed25519 key pair made when the counter
//! gets its code. The private half lives in a key file beside the store and its PIN key
//! (`<store>.counter-key`, mode 0400) — outside the store, so outside every backup — and signs
//! what the counter sends the city; the public half (`ed25519:…`, printed by `hourbank code
//! show`) is what the city's admin enrolls. A key file others can read is refused at open: whoever
//! copies it can write in this counter's name.

use std::fs::{self, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

use crate::store::StoreError;

const SEED_LEN: usize = 32;
/// How a public key is written: this prefix, then the 32 bytes in base64.
pub const PUBLIC_PREFIX: &str = "ed25519:";

/// Where the signing key of the store at `store_dir` lives: beside it, named after it.
pub fn counter_key_path(store_dir: &Path) -> PathBuf {
    let name =
        store_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "store".into());
    store_dir.with_file_name(format!("{name}.counter-key"))
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

/// This counter's signing key.
pub struct CounterKey {
    signing: SigningKey,
    path: PathBuf,
}

impl std::fmt::Debug for CounterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CounterKey").field("path", &self.path).field("public", &self.public()).finish()
    }
}

impl CounterKey {
    /// The key of the store at `store_dir`; `None` when it has none. Refused when the file is
    /// readable or writable by anyone but its owner, or is not a key.
    pub fn load(store_dir: &Path) -> Result<Option<CounterKey>, StoreError> {
        let path = counter_key_path(store_dir);
        Ok(read_key_file(&path, "the counter's signing key")?.map(|signing| CounterKey { signing, path }))
    }

    /// The key of the store at `store_dir`, made (0400, synced) if it has none.
    pub fn load_or_create(store_dir: &Path) -> Result<CounterKey, StoreError> {
        if let Some(key) = CounterKey::load(store_dir)? {
            return Ok(key);
        }
        let path = counter_key_path(store_dir);
        let signing = create_key_file(&path)?;
        Ok(CounterKey { signing, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The public half as enrolled: `ed25519:` and base64.
    pub fn public(&self) -> String {
        public_text(&self.signing.verifying_key())
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        self.signing.verifying_key()
    }

    /// The signature of `message` by this counter.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// The signing key in the key file at `path` (`what` names it in messages); `None` when there
/// is no file. Refused when the file is readable or writable by anyone but its owner, or is not
/// a key: whoever copied it could sign as its owner.
pub fn read_key_file(path: &Path, what: &str) -> Result<Option<SigningKey>, StoreError> {
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(StoreError::Io { path: path.to_path_buf(), source: e }),
    };
    let mode = file.metadata().map_err(io(path))?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(StoreError::Io {
            source: std::io::Error::other(format!(
                "{what} is readable by other users (mode {:o}): whoever copied it can sign in its name; tighten it (chmod 400), and if it may have been copied, treat it as lost (a counter's: ask the city's admin to revoke it)",
                mode & 0o777
            )),
            path: path.to_path_buf(),
        });
    }
    let mut bytes = Vec::with_capacity(SEED_LEN);
    file.read_to_end(&mut bytes).map_err(io(path))?;
    let seed: Result<[u8; SEED_LEN], _> = bytes.as_slice().try_into();
    zeroize::Zeroize::zeroize(&mut bytes);
    let Ok(mut seed) = seed else {
        return Err(StoreError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!("{what}: not a key file (wrong length)")),
        });
    };
    let signing = SigningKey::from_bytes(&seed);
    zeroize::Zeroize::zeroize(&mut seed);
    Ok(Some(signing))
}

/// A new signing key written to a new key file at `path` (0400, synced; an existing file is
/// never overwritten).
pub fn create_key_file(path: &Path) -> Result<SigningKey, StoreError> {
    let mut seed = [0u8; SEED_LEN];
    OsRng.fill_bytes(&mut seed);
    let mut file =
        OpenOptions::new().write(true).create_new(true).mode(0o400).open(path).map_err(io(path))?;
    file.write_all(&seed).map_err(io(path))?;
    file.sync_all().map_err(io(path))?;
    let signing = SigningKey::from_bytes(&seed);
    zeroize::Zeroize::zeroize(&mut seed);
    Ok(signing)
}

/// A public key as `hourbank code show` prints it and `city enroll` takes it.
pub fn public_text(key: &VerifyingKey) -> String {
    format!("{PUBLIC_PREFIX}{}", data_encoding::BASE64.encode(key.as_bytes()))
}

/// Reads a public key written by [`public_text`].
pub fn parse_public(text: &str) -> Option<VerifyingKey> {
    let bytes = data_encoding::BASE64.decode(text.trim().strip_prefix(PUBLIC_PREFIX)?.as_bytes()).ok()?;
    VerifyingKey::from_bytes(&bytes.try_into().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::Verifier;

    use super::*;

    #[test]
    fn a_key_is_made_once_0400_and_signs_what_its_public_half_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        assert!(CounterKey::load(&store).unwrap().is_none());
        let key = CounterKey::load_or_create(&store).unwrap();
        let mode = fs::metadata(key.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o400);
        let again = CounterKey::load_or_create(&store).unwrap();
        assert_eq!(key.public(), again.public(), "made once, then read");
        let public = parse_public(&key.public()).unwrap();
        let sig = ed25519_dalek::Signature::from_bytes(&key.sign(b"batch"));
        assert!(public.verify(b"batch", &sig).is_ok());
        assert!(public.verify(b"other", &sig).is_err());
        assert!(parse_public("ed25519:AAAA").is_none());
        assert!(parse_public(&key.public()[1..]).is_none());
    }

    #[test]
    fn a_key_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path().join("store");
        let key = CounterKey::load_or_create(&store).unwrap();
        fs::set_permissions(key.path(), fs::Permissions::from_mode(0o444)).unwrap();
        let err = CounterKey::load(&store).unwrap_err().to_string();
        assert!(err.contains("readable by other users") && err.contains("chmod 400"), "{err}");
        fs::set_permissions(key.path(), fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(key.path(), b"short").unwrap();
        assert!(CounterKey::load(&store).unwrap_err().to_string().contains("wrong length"));
    }
}
