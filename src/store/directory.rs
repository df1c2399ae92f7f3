//! The city's directory and balances as this counter last pulled them: one record per card —
//! what every counter needs of a volunteer registered anywhere, and each counter's share of the
//! card's hours — and, under a key no card can be, the city-wide position they are as of.
//! Nothing here is the counter's own record: all of it can be pulled again.
//!
//! Two trees take turns (`city_directory`, `city_directory.b`); `meta`'s `city_directory_live`
//! names the one read. A change pulled since the position is one sled batch on the live tree
//! (atomic: the view moves from one position to the next, never half of a pull). A join — the
//! whole directory, a million cards in pages — is written page by page into the other tree,
//! which nobody reads, and becomes the directory with one write of the name: memory stays one
//! page whatever the city's size, the view never shows half a join, and the tree it replaced is
//! emptied at once (its space given back as sled rewrites its segments).

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, codec};
use crate::domain::{CardNo, Day, Name, Timestamp};

/// The trees' on-disk names: the first is the one stores made before joins were paged have.
pub const DIRECTORIES: [&str; 2] = ["city_directory", "city_directory.b"];

/// The records' format: 2 since shares carry their earned and received hours, 3 since a card
/// in conflict carries the other person's name, 4 since cards and shares carry civic points
/// beside the hours. A directory of
/// another format is emptied at open and taken again at the next sync (nothing in it is the
/// counter's own), rather than decoded field by field.
const FORMAT: u32 = 4;

/// The position's key: cards are ASCII letters, digits and `-`, never a zero byte.
const POSITION: &[u8] = b"\0position";

/// A card of the city as of its last change (`pos`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryCard {
    /// The counter that registered the card first.
    pub home: String,
    pub name: Name,
    pub community: String,
    /// The phone's last four digits; empty without a phone.
    pub phone_tail: String,
    pub registered_on: Day,
    /// The card's city pool as the journals have it.
    pub pool: u64,
    /// Each counter's share, by code.
    pub shares: Vec<DirectoryShare>,
    /// The card's civic points pool as the journals have it.
    pub points_pool: u64,
    pub pos: u64,
    /// Another counter that registered the card as someone else (see `city::directory`).
    pub conflict: Option<String>,
    /// The person that counter registered (a card in conflict is found by either name).
    pub other: Option<OtherVersion>,
}

/// The other version of a card in conflict, as much as the directory keeps of anyone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherVersion {
    pub name: Name,
    /// The phone's last four digits; empty without a phone.
    pub phone_tail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryShare {
    pub counter: String,
    pub minutes: u64,
    /// What the counter handed to the card's pool, net of the grants it journalled.
    pub released: i64,
    /// The service the counter recorded for the card, net of reversals.
    pub earned: u64,
    /// Everything else it credited for the card (gifts, donation-pool grants, corrections), net.
    pub received: u64,
    /// The counter's share of the card's civic points.
    pub points: u64,
    /// What it handed to the card's points pool, net of the points grants it journalled.
    pub points_released: i64,
}

/// The position the directory is as of, and when it was pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    pos: u64,
    pulled_at: Timestamp,
}

/// The two directory trees, which is live, and nothing else: reads clone the live tree's handle
/// (cheap) under the lock; a join's flip swaps it.
pub(super) struct Directories {
    trees: [sled::Tree; 2],
    live: std::sync::RwLock<usize>,
}

impl Directories {
    /// Opens both trees and empties the one not live: what a join left there unfinished, or
    /// what a flip left to empty when the process stopped.
    pub(super) fn open(db: &sled::Db, meta: &sled::Tree) -> Result<Directories, StoreError> {
        let trees = [db.open_tree(DIRECTORIES[0])?, db.open_tree(DIRECTORIES[1])?];
        let key = super::meta::DIRECTORY_LIVE;
        let live = match meta.get(key)? {
            Some(v) if codec::decode::<String>(super::tree::META.name, key, &v)? == DIRECTORIES[1] => 1,
            _ => 0,
        };
        if !trees[1 - live].is_empty() {
            trees[1 - live].clear()?;
        }
        let format_key = super::meta::DIRECTORY_FORMAT;
        let format = match meta.get(format_key)? {
            Some(v) => codec::decode::<u32>(super::tree::META.name, format_key, &v)?,
            None => 1,
        };
        if format != FORMAT {
            trees[live].clear()?;
            meta.insert(format_key, codec::encode(&FORMAT)?)?;
        }
        Ok(Directories { trees, live: std::sync::RwLock::new(live) })
    }

    fn live(&self) -> usize {
        *self.live.read().unwrap_or_else(|p| p.into_inner())
    }

    fn tree(&self) -> sled::Tree {
        self.trees[self.live()].clone()
    }

    /// The tree a join writes into.
    fn staging(&self) -> &sled::Tree {
        &self.trees[1 - self.live()]
    }
}

impl Store {
    /// The position the directory is as of (0: never pulled) and when that pull was.
    pub fn directory_position(&self) -> Result<(u64, Option<Timestamp>), StoreError> {
        match self.directory.tree().get(POSITION)? {
            None => Ok((0, None)),
            Some(v) => {
                let p: Position = codec::decode(DIRECTORIES[0], POSITION, &v)?;
                Ok((p.pos, Some(p.pulled_at)))
            }
        }
    }

    pub fn directory_card(&self, card: &CardNo) -> Result<Option<DirectoryCard>, StoreError> {
        let key = card.as_str().as_bytes();
        match self.directory.tree().get(key)? {
            None => Ok(None),
            Some(v) => Ok(Some(codec::decode(DIRECTORIES[0], key, &v)?)),
        }
    }

    /// Every card of the directory, in card order.
    pub fn directory_cards(&self) -> impl Iterator<Item = Result<(String, DirectoryCard), StoreError>> + '_ {
        self.directory.tree().range(b"\x01".as_slice()..).map(|item| {
            let (k, v) = item?;
            let card = String::from_utf8_lossy(&k).into_owned();
            Ok((card, codec::decode(DIRECTORIES[0], &k, &v)?))
        })
    }

    /// Writes the cards changed since the directory's position and the position they are as
    /// of, in one atomic batch on the live tree, then flushes.
    pub fn apply_directory(
        &self,
        position: u64,
        cards: &[(CardNo, DirectoryCard)],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let _writer = self.directory_writer.lock().unwrap_or_else(|p| p.into_inner());
        write_cards(&self.directory.tree(), cards, Some(Position { pos: position, pulled_at: at }))?;
        self.flush()
    }

    /// Starts a join: the tree nobody reads, emptied.
    pub fn begin_directory_join(&self) -> Result<(), StoreError> {
        let _writer = self.directory_writer.lock().unwrap_or_else(|p| p.into_inner());
        self.directory.staging().clear()?;
        Ok(())
    }

    /// A page of a join, into the tree nobody reads. Flushed, though a join cut short is
    /// started again, never continued: this store turns sled's background flusher off, and
    /// what is not flushed stays in sled's buffers until something flushes.
    pub fn stage_directory(&self, cards: &[(CardNo, DirectoryCard)]) -> Result<(), StoreError> {
        let _writer = self.directory_writer.lock().unwrap_or_else(|p| p.into_inner());
        write_cards(self.directory.staging(), cards, None)?;
        self.flush()
    }

    /// Ends a join: `last` (the cards changed while the pages were read) and the position
    /// into the staged tree, flushed; then the one write that makes it the directory, flushed;
    /// then the replaced tree is emptied.
    pub fn finish_directory_join(
        &self,
        position: u64,
        last: &[(CardNo, DirectoryCard)],
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let _writer = self.directory_writer.lock().unwrap_or_else(|p| p.into_inner());
        let staged = 1 - self.directory.live();
        write_cards(&self.directory.trees[staged], last, Some(Position { pos: position, pulled_at: at }))?;
        self.flush()?;
        self.put_local(super::meta::DIRECTORY_LIVE, &DIRECTORIES[staged])?;
        *self.directory.live.write().unwrap_or_else(|p| p.into_inner()) = staged;
        self.directory.trees[1 - staged].clear()?;
        self.flush()
    }
}

fn write_cards(
    tree: &sled::Tree,
    cards: &[(CardNo, DirectoryCard)],
    position: Option<Position>,
) -> Result<(), StoreError> {
    let mut batch = sled::Batch::default();
    for (card, record) in cards {
        batch.insert(card.as_str().as_bytes(), codec::encode(record)?);
    }
    if let Some(p) = position {
        batch.insert(POSITION, codec::encode(&p)?);
    }
    tree.apply_batch(batch)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::OpenMode;

    fn a_card() -> DirectoryCard {
        DirectoryCard {
            home: "JH-A-01".into(),
            name: Name::parse("陈华佩").unwrap(),
            community: "白沙社区".into(),
            phone_tail: "8000".into(),
            registered_on: Day::from_date(chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()),
            pool: 0,
            shares: vec![DirectoryShare {
                counter: "JH-A-01".into(),
                minutes: 90,
                released: 0,
                earned: 90,
                received: 0,
                points: 0,
                points_released: 0,
            }],
            points_pool: 0,
            pos: 1,
            conflict: None,
            other: None,
        }
    }

    /// A directory written in another format (records of the first had no earned hours in their
    /// shares) is emptied at open, position and all, so the next sync takes it again; one of
    /// today's format is kept.
    #[test]
    fn a_directory_of_another_format_is_emptied_at_open_and_todays_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let card = CardNo::parse("JH000001").unwrap();
        let at = Timestamp::from_datetime(chrono::Utc::now());
        {
            let store = Store::open(dir.path(), OpenMode::CreateIfMissing).unwrap();
            store.apply_directory(7, &[(card.clone(), a_card())], at).unwrap();
        }
        let store = Store::open(dir.path(), OpenMode::Existing).unwrap();
        assert_eq!(store.directory_position().unwrap().0, 7, "today's format is kept");
        assert!(store.directory_card(&card).unwrap().is_some());
        // As a store of the previous version left it: no format recorded.
        store.trees[super::super::tree::META.index].remove(super::super::meta::DIRECTORY_FORMAT).unwrap();
        store.flush().unwrap();
        drop(store);
        let store = Store::open(dir.path(), OpenMode::Existing).unwrap();
        assert_eq!(store.directory_position().unwrap(), (0, None), "taken again at the next sync");
        assert!(store.directory_card(&card).unwrap().is_none());
    }
}
