//! Giving disk space back. sled reuses the pages of emptied trees but never shrinks its
//! files: a counter that dropped its copy of other counters' journals (1.1M events) kept its
//! 794 MB. A store asks for compaction (a file beside sled's, `compact-requested`); the next
//! open, holding the store's lock and before anyone reads it, copies every tree into a fresh
//! sled beside the old one, a batch at a time and flushed as it goes, and swaps the two.
//!
//! Interrupted anywhere, the store opens whole: until the copy is complete (`sled.compact.done`
//! written and synced) the old sled is the store and the half copy is thrown away; once it is,
//! the swap is finished by whichever open comes next.

use std::fs;
use std::path::Path;

use super::{StoreError, io_err};

/// The file that asks the next open to compact.
pub const REQUESTED: &str = "compact-requested";
const NEXT: &str = "sled.compact";
const DONE: &str = "sled.compact.done";
const OLD: &str = "sled.old";
/// Entries per batch of the copy (each batch flushed: unflushed writes stay in memory).
const BATCH: usize = 20_000;

/// Finishes or undoes a compaction an interrupted open left, then compacts if asked. Runs
/// with the store's lock held and sled closed.
pub(super) fn at_open(dir: &Path, config: impl Fn(&Path) -> sled::Config) -> Result<(), StoreError> {
    let (sled_dir, next, done, old) = (dir.join("sled"), dir.join(NEXT), dir.join(DONE), dir.join(OLD));
    if done.exists() {
        // The copy is complete: finish the swap wherever it stopped.
        if next.exists() {
            if sled_dir.exists() {
                fs::rename(&sled_dir, &old).map_err(io_err(&sled_dir))?;
            }
            fs::rename(&next, &sled_dir).map_err(io_err(&next))?;
        }
        sync_dir(dir)?;
        fs::remove_file(&done).map_err(io_err(&done))?;
        let _ = fs::remove_file(dir.join(REQUESTED));
    } else if next.exists() {
        // A copy that did not finish: the old sled is the store.
        fs::remove_dir_all(&next).map_err(io_err(&next))?;
    }
    if old.exists() {
        fs::remove_dir_all(&old).map_err(io_err(&old))?;
    }
    if !dir.join(REQUESTED).exists() || !sled_dir.join("db").exists() {
        return Ok(());
    }
    {
        // Right after the store was closed (an upgrade reopens at once), sled's threads may
        // hold its lock for a moment: waited for as every open does.
        let from = super::open_sled(&config(&sled_dir), dir)?;
        let to = config(&next).create_new(true).open()?;
        for name in from.tree_names() {
            let (source, target) = (from.open_tree(&name)?, to.open_tree(&name)?);
            let mut batch = sled::Batch::default();
            let mut count = 0;
            for item in source.iter() {
                let (k, v) = item?;
                batch.insert(k, v);
                count += 1;
                if count == BATCH {
                    target.apply_batch(std::mem::take(&mut batch))?;
                    to.flush()?;
                    count = 0;
                }
            }
            target.apply_batch(batch)?;
            to.flush()?;
        }
    }
    // sled made the copy with the process's umask; the store's files are its owner's only.
    tighten(&next)?;
    fs::File::create(&done).and_then(|f| f.sync_all()).map_err(io_err(&done))?;
    sync_dir(dir)?;
    // From here on the copy is the store: the same steps as an interrupted open's.
    at_open(dir, config)
}

fn tighten(path: &Path) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::symlink_metadata(path).map_err(io_err(path))?;
    if meta.is_dir() {
        fs::set_permissions(path, fs::Permissions::from_mode(0o700)).map_err(io_err(path))?;
        for entry in fs::read_dir(path).map_err(io_err(path))? {
            tighten(&entry.map_err(io_err(path))?.path())?;
        }
    } else if meta.is_file() {
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(io_err(path))?;
    }
    Ok(())
}

/// Whether a compaction's copy is complete and waits to be swapped in (the store opens from
/// it even if the old sled is gone).
pub(super) fn pending(dir: &Path) -> bool {
    dir.join(DONE).exists()
}

fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fs::File::open(dir).and_then(|d| d.sync_all()).map_err(io_err(dir))
}
