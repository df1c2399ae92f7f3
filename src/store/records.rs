//! Stored records that are projections rather than domain values.

use serde::{Deserialize, Serialize};

use super::codec::{self, CodecError};
use crate::domain::Account;

/// A volunteer's passbook: running totals and the seqs of every entry that touched them.
/// History lives here rather than as one key per entry because each sled write costs the
/// same ~15 µs whatever its size: one read-modify-write per volunteer per commit is half the
/// writes of a balance plus a history key, and a tenth of the keys on disk.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountRecord {
    pub totals: Account,
    last_seq: u64,
    /// Differences between consecutive seqs: small numbers, so bincode's varints keep them short.
    deltas: Vec<u64>,
}

/// The layout `AccountRecord` is written in. Version 1 (before the city's escrow) had six
/// totals; version 2 adds `to_city` and `from_city`. Both are read; only 2 is written, so a
/// store made before sync existed opens and is brought forward one account at a time.
pub const ACCOUNT_VERSION: u8 = 2;

#[derive(Deserialize)]
struct AccountV1 {
    earned: u64,
    redeemed: u64,
    received: u64,
    given: u64,
    adjusted_in: u64,
    adjusted_out: u64,
}

impl From<AccountV1> for Account {
    fn from(a: AccountV1) -> Account {
        Account {
            earned: a.earned,
            redeemed: a.redeemed,
            received: a.received,
            given: a.given,
            adjusted_in: a.adjusted_in,
            adjusted_out: a.adjusted_out,
            to_city: 0,
            from_city: 0,
        }
    }
}

#[derive(Deserialize)]
struct AccountRecordV1 {
    totals: AccountV1,
    last_seq: u64,
    deltas: Vec<u64>,
}

impl AccountRecord {
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode_as(ACCOUNT_VERSION, self)
    }

    /// A stored record in either layout.
    pub fn decode(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<AccountRecord, CodecError> {
        match codec::split_version(tree, key, bytes)? {
            (ACCOUNT_VERSION, body) => codec::decode_body(tree, key, body, false),
            (1, body) => {
                let old: AccountRecordV1 = codec::decode_body(tree, key, body, false)?;
                Ok(AccountRecord { totals: old.totals.into(), last_seq: old.last_seq, deltas: old.deltas })
            }
            (v, _) => Err(codec::unknown_version(tree, key, v)),
        }
    }

    /// The totals at the front of a stored record, without decoding its history.
    pub fn decode_totals(tree: &'static str, key: &[u8], bytes: &[u8]) -> Result<Account, CodecError> {
        match codec::split_version(tree, key, bytes)? {
            (ACCOUNT_VERSION, body) => codec::decode_body(tree, key, body, true),
            (1, body) => codec::decode_body::<AccountV1>(tree, key, body, true).map(Account::from),
            (v, _) => Err(codec::unknown_version(tree, key, v)),
        }
    }

    /// Appends `seq` if it is newer than the last one (an event touching a volunteer twice,
    /// like a reversal, is listed once).
    pub fn push(&mut self, seq: u64) {
        if self.deltas.is_empty() || seq > self.last_seq {
            self.deltas.push(seq - self.last_seq);
            self.last_seq = seq;
        }
    }

    pub fn seqs(&self) -> impl Iterator<Item = u64> + '_ {
        self.deltas.iter().scan(0u64, |acc, d| {
            *acc += d;
            Some(*acc)
        })
    }

    pub fn len(&self) -> usize {
        self.deltas.len()
    }

    pub fn is_empty(&self) -> bool {
        self.deltas.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_round_trips_in_order_without_duplicates() {
        let mut r = AccountRecord::default();
        for seq in [3, 9, 9, 250, 70_000] {
            r.push(seq);
        }
        assert_eq!(r.seqs().collect::<Vec<_>>(), vec![3, 9, 250, 70_000]);
        assert_eq!(r.len(), 4);
    }

    /// A store made before the city's escrow keeps its accounts in the six-total layout: they
    /// read as they were (nothing moved to or from the city), totals alone and whole.
    #[test]
    fn version_1_records_read_as_they_were_and_are_written_as_version_2() {
        #[derive(Serialize)]
        struct V1 {
            totals: [u64; 6],
            last_seq: u64,
            deltas: Vec<u64>,
        }
        let old = V1 { totals: [600, 120, 30, 60, 15, 5], last_seq: 12, deltas: vec![3, 9] };
        let bytes = codec::encode(&old).unwrap();
        assert_eq!(bytes[0], 1);
        let record = AccountRecord::decode("accounts", b"k", &bytes).unwrap();
        let want = Account {
            earned: 600,
            redeemed: 120,
            received: 30,
            given: 60,
            adjusted_in: 15,
            adjusted_out: 5,
            to_city: 0,
            from_city: 0,
        };
        assert_eq!(record.totals, want);
        assert_eq!(record.seqs().collect::<Vec<_>>(), vec![3, 12]);
        assert_eq!(AccountRecord::decode_totals("accounts", b"k", &bytes).unwrap(), want);

        let mut moved = record.clone();
        moved.totals.to_city = 200;
        let new = moved.encode().unwrap();
        assert_eq!(new[0], ACCOUNT_VERSION);
        assert_eq!(AccountRecord::decode("accounts", b"k", &new).unwrap(), moved);
        assert_eq!(AccountRecord::decode_totals("accounts", b"k", &new).unwrap(), moved.totals);
        assert!(AccountRecord::decode("accounts", b"k", &[9, 0]).is_err(), "unknown version");
    }
}
