//! The folder a service keeps the chains it verified in when it is not given one
//! (`--cache`): made for one run and removed when the service stops. A service that is killed
//! (SIGKILL, a power cut) cannot remove its own; each service starting removes those whose
//! service is gone. A folder's service holds a lock on its `owner.lock` for as long as it
//! runs, so "gone" is a lock anyone can take — never a guess from a process id or an age.

use std::fs::{self, File};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

const PREFIX: &str = "hourbank-city-cache-";
const OWNER: &str = "owner.lock";

/// A cache folder of this run; removed when dropped.
pub(super) struct CacheDir {
    dir: tempfile::TempDir,
    /// Locked while the service runs (closing the file releases it).
    _owner: File,
}

impl CacheDir {
    /// Makes this run's folder in the system's temporary folder, then removes the folders
    /// there that services no longer running left.
    pub(super) fn make() -> io::Result<CacheDir> {
        let parent = std::env::temp_dir();
        let dir = tempfile::Builder::new().prefix(PREFIX).tempdir_in(&parent)?;
        // Locked under another name, then named: a sweep by another service starting now sees
        // no owner file (and leaves the folder) or a locked one, never one not yet locked.
        let taking = dir.path().join("owner.lock.taking");
        let owner = File::create(&taking)?;
        owner.lock()?;
        fs::rename(&taking, dir.path().join(OWNER))?;
        let uid = fs::metadata(dir.path())?.uid();
        remove_abandoned(&parent, uid);
        Ok(CacheDir { dir, _owner: owner })
    }

    pub(super) fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// Removes the cache folders in `parent` that belong to `uid` and whose owner's lock is free.
/// A folder with no owner file is left alone (a service of an earlier version made it, and
/// may still be running in it). Nothing here can stop a service from starting: a folder that
/// cannot be read or removed stays.
fn remove_abandoned(parent: &Path, uid: u32) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let path = entry.path();
        // Not followed: a link named like a cache folder is not one.
        let Ok(meta) = path.symlink_metadata() else { continue };
        if !meta.is_dir() || meta.uid() != uid {
            continue;
        }
        let Ok(owner) = File::open(path.join(OWNER)) else { continue };
        // Held while the folder is removed, so no service can be starting to use it.
        if owner.try_lock().is_ok() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// In one folder: a cache whose owner's lock is held stays, one whose lock is free goes,
    /// one without an owner file stays, and so does another user's or a plain file.
    #[test]
    fn only_folders_whose_owners_lock_is_free_are_removed() {
        let parent = tempfile::tempdir().unwrap();
        let make = |name: &str| {
            let dir = parent.path().join(name);
            fs::create_dir(&dir).unwrap();
            dir
        };
        let live = make("hourbank-city-cache-live");
        let held = File::create(live.join(OWNER)).unwrap();
        held.lock().unwrap();
        let gone = make("hourbank-city-cache-gone");
        drop(File::create(gone.join(OWNER)).unwrap());
        fs::write(gone.join("chain"), b"verified").unwrap();
        let unowned = make("hourbank-city-cache-older");
        let other = make("not-a-cache");
        drop(File::create(other.join(OWNER)).unwrap());
        let uid = fs::metadata(parent.path()).unwrap().uid();

        remove_abandoned(parent.path(), uid + 1);
        assert!(gone.exists(), "another user's folders are not touched");
        remove_abandoned(parent.path(), uid);
        assert!(!gone.exists(), "its owner's lock was free");
        assert!(live.join(OWNER).exists() && unowned.exists() && other.exists());
        drop(held);
        remove_abandoned(parent.path(), uid);
        assert!(!live.exists(), "removed once its owner let go");
    }
}
