//! The city's directory and balances as this counter last pulled them (`city_directory`): one
//! record per card — what every counter needs of a volunteer registered anywhere, and each
//! counter's share of the card's hours — and, under a key no card can be, the city-wide
//! position they are as of. A pull is written as one sled batch (atomic: the view moves from
//! one position to the next, never half of a pull), then flushed. Nothing here is the
//! counter's own record: all of it can be pulled again.

use serde::{Deserialize, Serialize};

use super::{Store, StoreError, codec};
use crate::domain::{CardNo, Day, Name, Timestamp};

/// The tree's on-disk name.
pub const DIRECTORY: &str = "city_directory";

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
    pub pos: u64,
    /// Another counter that registered the card as someone else (see `city::directory`).
    pub conflict: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DirectoryShare {
    pub counter: String,
    pub minutes: u64,
    /// What the counter handed to the card's pool, net of the grants it journalled.
    pub released: i64,
}

/// The position the directory is as of, and when it was pulled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    pos: u64,
    pulled_at: Timestamp,
}

impl Store {
    /// The position the directory is as of (0: never pulled) and when that pull was.
    pub fn directory_position(&self) -> Result<(u64, Option<Timestamp>), StoreError> {
        match self.directory.get(POSITION)? {
            None => Ok((0, None)),
            Some(v) => {
                let p: Position = codec::decode(DIRECTORY, POSITION, &v)?;
                Ok((p.pos, Some(p.pulled_at)))
            }
        }
    }

    pub fn directory_card(&self, card: &CardNo) -> Result<Option<DirectoryCard>, StoreError> {
        let key = card.as_str().as_bytes();
        match self.directory.get(key)? {
            None => Ok(None),
            Some(v) => Ok(Some(codec::decode(DIRECTORY, key, &v)?)),
        }
    }

    /// Every card of the directory, in card order.
    pub fn directory_cards(&self) -> impl Iterator<Item = Result<(String, DirectoryCard), StoreError>> + '_ {
        self.directory.range(b"\x01".as_slice()..).map(|item| {
            let (k, v) = item?;
            let card = String::from_utf8_lossy(&k).into_owned();
            Ok((card, codec::decode(DIRECTORY, &k, &v)?))
        })
    }

    /// Writes a pull: its cards and the position they are as of, in one atomic batch, then
    /// flushes. `whole`: the pull started from position 0 (every card the city has), so any
    /// card not in it is dropped.
    pub fn apply_directory(
        &self,
        position: u64,
        cards: &[(CardNo, DirectoryCard)],
        whole: bool,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let tree = &self.directory;
        let mut batch = sled::Batch::default();
        if whole {
            for key in tree.iter().keys() {
                batch.remove(key?);
            }
        }
        for (card, record) in cards {
            batch.insert(card.as_str().as_bytes(), codec::encode(record)?);
        }
        batch.insert(POSITION, codec::encode(&Position { pos: position, pulled_at: at })?);
        tree.apply_batch(batch)?;
        self.flush()
    }
}
