//! The store's lock file: one process owns a store directory at a time.
//!
//! A restore swaps whole directories under this lock (`bank::restore::swap_in`: the old store is
//! renamed aside, then the fresh one takes its name). A writer that looked at the store just
//! before the swap must not come out holding anything of it: not a lock on the directory that
//! went aside, and not a new, empty directory made at the name in between (which stopped the
//! restore's second rename with "Directory not empty").

use super::{StoreError, io_err};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The OS lock on a store directory, held without sled open (restore and recover swap the
/// directory under it, so no writer can open the store in between).
pub struct StoreLock(#[allow(dead_code)] File);

impl StoreLock {
    /// Takes the lock of `dir` (creating the directory if it is missing).
    pub fn take(dir: &Path) -> Result<StoreLock, StoreError> {
        fs::create_dir_all(dir).map_err(io_err(dir))?;
        take(dir).map(StoreLock)
    }

    pub(super) fn from_file(file: File) -> StoreLock {
        StoreLock(file)
    }
}

/// Takes an exclusive OS lock on `<dir>/lock` and writes our pid into it, so a second process
/// can be told who owns the store. The lock dies with the process, even on SIGKILL.
///
/// `dir` must exist: a directory that is gone was moved by a restore (or removed) since the
/// caller looked, and is refused as `Replaced` rather than made again.
pub(super) fn take(dir: &Path) -> Result<File, StoreError> {
    let path = dir.join("lock");
    let mut file =
        OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(|e| {
            match e.kind() {
                std::io::ErrorKind::NotFound => StoreError::Replaced(dir.to_path_buf()),
                _ => StoreError::Io { path: path.clone(), source: e },
            }
        })?;
    pause(Moment::LockFileOpened, dir);
    // A lock this process wrote may still be held for a moment after its store was dropped:
    // a child being started elsewhere in the process (a receipt command, a test's `hourbank`)
    // shares every open file until its exec closes them. Wait for that, briefly.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(fs::TryLockError::WouldBlock) => {
                let mut text = String::new();
                let _ = file.seek(SeekFrom::Start(0));
                let _ = file.read_to_string(&mut text);
                let pid: Option<u32> = text.trim().parse().ok();
                if pid == Some(std::process::id()) && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                }
                return Err(StoreError::InUse { dir: dir.to_path_buf(), pid });
            }
            Err(fs::TryLockError::Error(e)) => return Err(StoreError::Io { path, source: e }),
        }
    }
    // The file we locked must still be the one at `<dir>/lock`: a restore that renamed the old
    // directory aside and let go of its lock leaves us holding the lock of a store that is no
    // longer there, while `dir` names the fresh one.
    let held = file.metadata().map_err(io_err(&path))?;
    match fs::metadata(&path) {
        Ok(there) if there.dev() == held.dev() && there.ino() == held.ino() => {}
        Ok(_) => return Err(StoreError::Replaced(dir.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(StoreError::Replaced(dir.to_path_buf()));
        }
        Err(e) => return Err(StoreError::Io { path, source: e }),
    }
    file.set_len(0).map_err(io_err(&path))?;
    file.seek(SeekFrom::Start(0)).map_err(io_err(&path))?;
    write!(file, "{}", std::process::id()).map_err(io_err(&path))?;
    Ok(file)
}

/// The two moments of an open at which a restore's swap can slip in; tests stop there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Moment {
    /// `Store::open` has seen a store at the path and is about to lock it.
    StoreSeen,
    /// The lock file is open and not yet locked.
    LockFileOpened,
}

#[cfg(not(test))]
#[inline(always)]
pub(super) fn pause(_: Moment, _: &Path) {}

#[cfg(test)]
pub(super) use race::pause;

#[cfg(test)]
mod race {
    use super::Moment;
    use std::cell::RefCell;
    use std::path::Path;

    type Hook = Box<dyn FnMut(Moment, &Path)>;

    thread_local! {
        static HOOK: RefCell<Option<Hook>> = RefCell::new(None);
    }

    pub(in crate::store) fn pause(moment: Moment, dir: &Path) {
        let hook = HOOK.with(|h| h.borrow_mut().take());
        if let Some(mut hook) = hook {
            hook(moment, dir);
            HOOK.with(|h| *h.borrow_mut() = Some(hook));
        }
    }

    /// Runs `hook` at each `Moment` of opens on this thread while `f` runs.
    pub(in crate::store) fn with_hook<T>(
        hook: impl FnMut(Moment, &Path) + 'static,
        f: impl FnOnce() -> T,
    ) -> T {
        HOOK.with(|h| *h.borrow_mut() = Some(Box::new(hook)));
        let out = f();
        HOOK.with(|h| *h.borrow_mut() = None);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::race::with_hook;
    use super::*;
    use crate::store::{OpenMode, Store};

    fn a_store(dir: &Path) {
        drop(Store::open(dir, OpenMode::CreateIfMissing).unwrap());
    }

    /// What `bank::restore::swap_in` does, in its two renames: the store goes aside, then the
    /// fresh one takes its name.
    fn first_rename(target: &Path) -> std::path::PathBuf {
        let aside = target.with_file_name("aside");
        fs::rename(target, &aside).unwrap();
        aside
    }

    #[test]
    fn an_open_that_saw_the_store_before_a_restore_moved_it_makes_no_directory_in_its_place() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("store");
        a_store(&target);
        let fresh = tmp.path().join("fresh");
        a_store(&fresh);
        let target_in_hook = target.clone();
        let opened = with_hook(
            move |moment, _| {
                if moment == Moment::StoreSeen {
                    first_rename(&target_in_hook);
                }
            },
            || Store::open(&target, OpenMode::Existing),
        );
        assert!(matches!(opened, Err(StoreError::Replaced(_))), "{:?}", opened.err());
        assert!(!target.exists(), "the open made a directory where the restore's fresh store goes");
        // So the restore's second rename lands.
        fs::rename(&fresh, &target).unwrap();
        drop(Store::open(&target, OpenMode::Existing).unwrap());
    }

    #[test]
    fn an_open_that_took_the_lock_file_of_a_store_moved_aside_does_not_keep_it() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("store");
        a_store(&target);
        let fresh = tmp.path().join("fresh");
        a_store(&fresh);
        let (target_in_hook, fresh_in_hook) = (target.clone(), fresh.clone());
        let opened = with_hook(
            move |moment, _| {
                if moment == Moment::LockFileOpened {
                    // The whole swap, and the restore's lock let go, before our try_lock.
                    first_rename(&target_in_hook);
                    fs::rename(&fresh_in_hook, &target_in_hook).unwrap();
                }
            },
            || Store::open(&target, OpenMode::Existing),
        );
        assert!(matches!(opened, Err(StoreError::Replaced(_))), "{:?}", opened.err());
        // The store now at the name opens, and its lock is free.
        drop(Store::open(&target, OpenMode::Existing).unwrap());
    }

    #[test]
    fn a_new_store_is_still_made_where_there_was_none() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("a").join("store");
        drop(Store::open(&target, OpenMode::CreateIfMissing).unwrap());
        assert!(target.join("lock").exists());
    }
}
