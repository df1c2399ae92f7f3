//! Stored records that are projections rather than domain values.

use serde::{Deserialize, Serialize};

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

impl AccountRecord {
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
}
