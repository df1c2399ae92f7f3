//! The upgrade in place from the shape before (schema 1), where this counter's journal was held
//! twice — in sled's `journal` tree and in `journal.copy` — to today's, where the copy is the
//! only journal (ARCHITECTURE.md §10). Run by the open that finds the old shape, after the copy
//! was matched against sled's journal and caught up:
//!
//! 1. the copy's whole hash chain is re-computed and must end at sled's head hash, which with
//!    blake3 proves it is sled's journal byte for byte;
//! 2. the schema and `COPY_END` are written and flushed — from here on the store is today's
//!    shape, and an interrupted upgrade only has steps 3–4 left, which any later open redoes;
//! 3. compaction is asked for, then sled's `journal` tree is dropped and sled flushed;
//! 4. `Store::open` opens once more, which compacts: sled never gives back the pages of a
//!    dropped tree otherwise.
//!
//! Progress is reported through the hook a program sets with [`on_upgrade`] (the command line
//! draws a bar).

use std::sync::OnceLock;

use super::journal_copy::{self, CopyEnd};
use super::{SCHEMA_VERSION, Store, StoreError, compact, meta, tree};

/// How far an upgrade has come: `done` of `total` entries verified, then the journal tree
/// dropped (`dropped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpgradeProgress {
    pub done: u64,
    pub total: u64,
    pub dropped: bool,
}

type Hook = Box<dyn Fn(UpgradeProgress) + Send + Sync>;

static HOOK: OnceLock<Hook> = OnceLock::new();

/// Sets what is told of an upgrade's progress, once per process (a later call is ignored).
pub fn on_upgrade(hook: impl Fn(UpgradeProgress) + Send + Sync + 'static) {
    let _ = HOOK.set(Box::new(hook));
}

fn tell(progress: UpgradeProgress) {
    if let Some(hook) = HOOK.get() {
        hook(progress);
    }
}

impl Store {
    /// Upgrades a store whose sled still holds a `journal` tree (see the module's steps).
    pub(super) fn upgrade(&mut self) -> Result<(), StoreError> {
        let head = self.head()?;
        let last_seq = head.next_seq.saturating_sub(1);
        let extent = self.journal_copy.get_mut().unwrap_or_else(|p| p.into_inner()).extent();
        let copy_path = self.dir.join(journal_copy::FILE_NAME);
        let damaged =
            |detail: &str| StoreError::Damaged { dir: self.dir.clone(), detail: detail.to_string() };
        let Some(extent) = extent.filter(|e| e.last_seq == last_seq) else {
            return Err(damaged(
                "journal.copy does not end at the journal's head; the store is not upgraded",
            ));
        };
        if self.schema()? < SCHEMA_VERSION {
            let mut done = 0u64;
            tell(UpgradeProgress { done, total: last_seq, dropped: false });
            super::journal_stream::stream_verified(&copy_path, extent, &head.last_hash, |chunk| {
                done += super::journal_index::record_values(chunk).count() as u64;
                tell(UpgradeProgress { done, total: last_seq, dropped: false });
                Ok(())
            })
            .map_err(|_| damaged("journal.copy is not the journal sled holds; the store is not upgraded"))?;
            let meta_tree = self.tree(tree::META);
            meta_tree.insert(meta::SCHEMA, super::codec::encode(&SCHEMA_VERSION)?)?;
            if last_seq > 0 {
                let end = CopyEnd { seq: last_seq, offset: extent.len };
                meta_tree.insert(meta::COPY_END, super::codec::encode(&end)?)?;
            }
            self.flush()?;
        }
        // Compaction is asked for before the tree is dropped: stopped in between, the next open
        // compacts, finds the tree still there and drops it (asking again); asked after, a stop
        // in between would leave sled's old files at their size for good.
        let asked = self.dir.join(compact::REQUESTED);
        std::fs::File::create(&asked)
            .and_then(|f| f.sync_all())
            .map_err(|source| StoreError::Io { path: asked, source })?;
        self.db.drop_tree(tree::JOURNAL.name)?;
        self.flush()?;
        tell(UpgradeProgress { done: last_seq, total: last_seq, dropped: true });
        self.upgraded = true;
        Ok(())
    }
}
