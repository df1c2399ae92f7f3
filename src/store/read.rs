//! Reads outside a transaction: point lookups for the bank's queries and typed scans of every
//! tree for `check` and exports.

use serde::de::DeserializeOwned;

use super::codec::{self, CodecError};
use super::keys::{COUNTED, DAY_TOTAL, HELD, OPEN_SHIFT, SHIFT, name_key, read_u64, tagged_key, u64_key};
use super::records::AccountRecord;
use super::tree::TreeId;
use super::tx::{Head, OpRecord};
use super::{Store, StoreError, meta, tree};
use crate::domain::{
    Account, Activity, CardNo, Event, NameKind, Reward, Rules, Settings, Shift, Staff, StaffId, Volunteer,
};

fn bad_key(t: TreeId, key: &[u8]) -> StoreError {
    StoreError::Corrupt(CodecError {
        tree: t.name,
        key: codec::describe_key(key),
        detail: "malformed key".into(),
    })
}

impl Store {
    pub(super) fn get<T: DeserializeOwned>(&self, t: TreeId, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.tree(t).get(key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(codec::decode(t.name, key, &bytes)?)),
        }
    }

    /// Every entry of a tree, decoded; a bad value is an error naming tree and key.
    fn scan<T: DeserializeOwned>(
        &self,
        t: TreeId,
    ) -> impl Iterator<Item = Result<(sled::IVec, T), StoreError>> + '_ {
        self.tree(t).iter().map(move |item| {
            let (k, v) = item?;
            let value = codec::decode(t.name, &k, &v)?;
            Ok((k, value))
        })
    }

    fn scan_u64_keyed<T: DeserializeOwned>(
        &self,
        t: TreeId,
    ) -> impl Iterator<Item = Result<(u64, T), StoreError>> + '_ {
        self.scan(t).map(move |r| {
            let (k, v) = r?;
            Ok((read_u64(&k).ok_or_else(|| bad_key(t, &k))?, v))
        })
    }

    pub fn counter_id(&self) -> Result<Option<String>, StoreError> {
        self.get(tree::META, meta::COUNTER_ID)
    }

    pub fn counter_code(&self) -> Result<Option<String>, StoreError> {
        self.get(tree::META, meta::COUNTER_CODE)
    }

    pub fn counter_name(&self) -> Result<Option<String>, StoreError> {
        self.get(tree::META, meta::COUNTER_NAME)
    }

    /// Seq the next event will get; events so far are `1..next_seq`.
    pub fn next_seq(&self) -> Result<u64, StoreError> {
        Ok(self.head()?.next_seq)
    }

    pub fn last_hash(&self) -> Result<[u8; 32], StoreError> {
        Ok(self.head()?.last_hash)
    }

    pub fn head(&self) -> Result<Head, StoreError> {
        Ok(self.get(tree::META, meta::HEAD)?.unwrap_or_default())
    }

    pub fn settings(&self) -> Result<Settings, StoreError> {
        Ok(self.get(tree::META, meta::SETTINGS)?.unwrap_or_default())
    }

    pub fn rules(&self) -> Result<Rules, StoreError> {
        Ok(self.get(tree::META, meta::RULES)?.unwrap_or_default())
    }

    /// The donation pool's totals.
    pub fn pool(&self) -> Result<crate::domain::DonationPool, StoreError> {
        Ok(self.get(tree::META, meta::POOL)?.unwrap_or_default())
    }

    /// Minutes credited to a volunteer for one service day (kept only while a day cap is set).
    pub fn day_total(&self, volunteer: u64, day: crate::domain::Day) -> Result<u32, StoreError> {
        Ok(self.get(tree::LIMITS, &super::keys::day_total_key(volunteer, day))?.unwrap_or(0))
    }

    /// Ids of the activities retired from the catalog.
    pub fn retired_activities(&self) -> impl Iterator<Item = Result<u64, StoreError>> + '_ {
        self.tree(tree::LIMITS).scan_prefix([super::keys::RETIRED_ACTIVITY]).map(|item| {
            let (k, _) = item?;
            read_u64(&k[1..]).ok_or_else(|| bad_key(tree::LIMITS, &k))
        })
    }

    /// Seqs of the deposits waiting for approval, oldest first.
    pub fn held_deposits(&self) -> impl Iterator<Item = Result<u64, StoreError>> + '_ {
        self.tree(tree::LIMITS).scan_prefix([HELD]).map(|item| {
            let (k, _) = item?;
            read_u64(&k[1..]).ok_or_else(|| bad_key(tree::LIMITS, &k))
        })
    }

    /// What each counted deposit added to its day's total: (seq, minutes), for `check`.
    pub fn counted_deposits(&self) -> impl Iterator<Item = Result<(u64, u32), StoreError>> + '_ {
        self.tree(tree::LIMITS).scan_prefix([COUNTED]).map(|item| {
            let (k, v) = item?;
            let seq = read_u64(&k[1..]).ok_or_else(|| bad_key(tree::LIMITS, &k))?;
            Ok((seq, codec::decode(tree::LIMITS.name, &k, &v)?))
        })
    }

    /// Every kept day total: (volunteer, day, minutes), for `check`.
    pub fn day_totals(&self) -> impl Iterator<Item = Result<((u64, i32), u32), StoreError>> + '_ {
        self.tree(tree::LIMITS).scan_prefix([DAY_TOTAL]).map(|item| {
            let (k, v) = item?;
            let parsed = (k.len() == 13).then(|| {
                let volunteer = read_u64(&k[1..9])?;
                let day = u32::from_be_bytes(k[9..13].try_into().ok()?) ^ 0x8000_0000;
                Some((volunteer, day as i32))
            });
            let id = parsed.flatten().ok_or_else(|| bad_key(tree::LIMITS, &k))?;
            Ok((id, codec::decode(tree::LIMITS.name, &k, &v)?))
        })
    }

    pub fn volunteer(&self, id: u64) -> Result<Option<Volunteer>, StoreError> {
        self.get(tree::VOLUNTEERS, &u64_key(id))
    }

    pub fn volunteer_id_by_card(&self, card: &CardNo) -> Result<Option<u64>, StoreError> {
        self.get(tree::CARD_INDEX, card.as_str().as_bytes())
    }

    pub fn account(&self, id: u64) -> Result<Account, StoreError> {
        Ok(self.account_record(id)?.map(|r| r.totals).unwrap_or_default())
    }

    pub fn account_record(&self, id: u64) -> Result<Option<AccountRecord>, StoreError> {
        let key = u64_key(id);
        match self.tree(tree::ACCOUNTS).get(key)? {
            None => Ok(None),
            Some(bytes) => Ok(Some(AccountRecord::decode(tree::ACCOUNTS.name, &key, &bytes)?)),
        }
    }

    /// A city grant's journal entry here, if it was journalled.
    pub fn grant_entry(&self, grant: &str) -> Result<Option<u64>, StoreError> {
        self.get(tree::LIMITS, &super::keys::grant_key(grant))
    }

    /// Every city grant journalled here: (grant id, seq), for `check`.
    pub fn grant_entries(&self) -> impl Iterator<Item = Result<(String, u64), StoreError>> + '_ {
        self.tree(tree::LIMITS).scan_prefix([super::keys::GRANT]).map(|item| {
            let (k, v) = item?;
            let id = String::from_utf8(k[1..].to_vec()).map_err(|_| bad_key(tree::LIMITS, &k))?;
            Ok((id, codec::decode(tree::LIMITS.name, &k, &v)?))
        })
    }

    /// Every record of the civic points: (the key's bytes, the record), for `check`.
    pub fn points_records(
        &self,
    ) -> impl Iterator<Item = Result<(Vec<u8>, crate::domain::points::PointsRecord), StoreError>> + '_ {
        self.points_scan(vec![super::keys::POINTS])
    }

    /// The records of one kind of the civic points (`domain::points::tag`): a scan of that kind
    /// alone, not of every account and coupon.
    pub fn points_records_tagged(
        &self,
        tag: u8,
    ) -> impl Iterator<Item = Result<(Vec<u8>, crate::domain::points::PointsRecord), StoreError>> + '_ {
        self.points_scan(vec![super::keys::POINTS, tag])
    }

    fn points_scan(
        &self,
        prefix: Vec<u8>,
    ) -> impl Iterator<Item = Result<(Vec<u8>, crate::domain::points::PointsRecord), StoreError>> + '_ {
        self.tree(tree::LIMITS).scan_prefix(prefix).map(|item| {
            let (k, v) = item?;
            Ok((k[1..].to_vec(), codec::decode(tree::LIMITS.name, &k, &v)?))
        })
    }

    /// One record of the civic points.
    pub fn points_record(
        &self,
        key: &crate::domain::points::PointsKey,
    ) -> Result<Option<crate::domain::points::PointsRecord>, StoreError> {
        self.get(tree::LIMITS, &super::keys::points_key(key))
    }

    pub fn import_sources(&self) -> Result<Vec<String>, StoreError> {
        Ok(self.get(tree::META, meta::IMPORT_SOURCES)?.unwrap_or_default())
    }

    /// Event `seq`, from `journal.copy` through its index (ARCHITECTURE.md §10, step 2): `None`
    /// past the journal's end; an error when the copy holds it but not whole, in its chain and
    /// as that seq.
    pub fn event(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        let reader = self.journal_reader()?;
        if !reader.holds(seq) {
            return Ok(None);
        }
        reader
            .event(seq)
            .map(Some)
            .ok_or_else(|| StoreError::Corrupt(super::journal_index::damaged_record(seq)))
    }

    /// A reader of the journal as the copy holds it now.
    fn journal_reader(&self) -> Result<super::journal_index::JournalReader, StoreError> {
        let reader = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).reader();
        reader.ok_or(StoreError::Internal("the store's journal copy is not open"))
    }

    /// Seqs of the entries that touch one volunteer, oldest first.
    pub fn history(&self, volunteer: u64) -> Result<Vec<u64>, StoreError> {
        Ok(self.account_record(volunteer)?.map(|r| r.seqs().collect()).unwrap_or_default())
    }

    pub fn name_id(&self, kind: NameKind, name: &str) -> Result<Option<u64>, StoreError> {
        self.get(tree::NAMES, &name_key(kind, name))
    }

    pub fn activity(&self, id: u64) -> Result<Option<Activity>, StoreError> {
        self.get(tree::ACTIVITIES, &u64_key(id))
    }

    pub fn reward(&self, id: u64) -> Result<Option<Reward>, StoreError> {
        self.get(tree::REWARDS, &u64_key(id))
    }

    pub fn stock(&self, id: u64) -> Result<u32, StoreError> {
        Ok(self.get(tree::STOCK, &u64_key(id))?.unwrap_or(0))
    }

    pub fn staff(&self, id: &StaffId) -> Result<Option<Staff>, StoreError> {
        self.get(tree::STAFF, id.as_str().as_bytes())
    }

    pub fn reversed_by(&self, seq: u64) -> Result<Option<u64>, StoreError> {
        self.get(tree::REVERSED, &u64_key(seq))
    }

    /// The journal from `from` on, in seq order.
    pub fn journal_from(&self, from: u64) -> impl Iterator<Item = Result<Event, StoreError>> + '_ {
        self.journal_values_from(from).map(|item| {
            item.and_then(|(seq, value)| Ok(codec::decode(tree::JOURNAL.name, &u64_key(seq), &value)?))
        })
    }

    /// The journal as stored, record by record in the copy, numbered by position, undecoded
    /// and unchecked but for its framing, for `check` and certificates to verify and report on.
    /// A record cut short ends it with [`StoreError::Damaged`].
    pub fn journal_raw(&self) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        let records = self.journal_reader().and_then(|r| {
            r.raw().map_err(|source| StoreError::Io {
                path: self.dir.join(super::journal_copy::FILE_NAME),
                source,
            })
        });
        let (records, first_error) = match records {
            Ok(r) => (Some(r), None),
            Err(e) => (None, Some(e)),
        };
        first_error.into_iter().map(Err).chain(records.into_iter().flatten().map(|item| {
            item.map_err(|torn| StoreError::Damaged {
                dir: self.dir.clone(),
                detail: format!(
                    "journal.copy: the record of seq {} at byte {} is cut short or does not end where the journal does",
                    torn.seq, torn.at
                ),
            })
        }))
    }

    /// The journal's stored values from seq `from` on, as they are on disk, with their seq,
    /// from `journal.copy` at file speed. Each continues the chain; a record that does not ends
    /// it with an error.
    pub fn journal_values_from(
        &self,
        from: u64,
    ) -> impl Iterator<Item = Result<(u64, Vec<u8>), StoreError>> + '_ {
        let reader = self.journal_reader();
        let last = reader.as_ref().map_or(0, |r| r.last_seq());
        let from = from.max(1);
        let mut copy = match &reader {
            Ok(r) if from <= last => r.values_from(from).map(Iterator::peekable),
            _ => None,
        };
        // The index's entry must lead to event `from` itself (a pair of entries shifted together
        // chains as well).
        let starts_right = copy.as_mut().and_then(|c| c.peek()).is_some_and(|(seq, value)| {
            crate::store::decode_stored(*seq, value).is_ok_and(|e| e.seq() == from)
        });
        let copy = copy.filter(|_| starts_right);
        let first_error = match reader {
            Err(e) => Some(e),
            Ok(_) if from <= last && copy.is_none() => {
                Some(StoreError::Corrupt(super::journal_index::damaged_record(from)))
            }
            Ok(_) => None,
        };
        JournalValues { copy, next: from, last, error: first_error }
    }

    pub fn volunteers(&self) -> impl Iterator<Item = Result<(u64, Volunteer), StoreError>> + '_ {
        self.scan_u64_keyed(tree::VOLUNTEERS)
    }

    pub fn accounts(&self) -> impl Iterator<Item = Result<(u64, AccountRecord), StoreError>> + '_ {
        self.tree(tree::ACCOUNTS).iter().map(|item| {
            let (k, v) = item?;
            let id = read_u64(&k).ok_or_else(|| bad_key(tree::ACCOUNTS, &k))?;
            Ok((id, AccountRecord::decode(tree::ACCOUNTS.name, &k, &v)?))
        })
    }

    /// Every account's totals, without decoding the history that follows them.
    pub fn account_totals(&self) -> impl Iterator<Item = Result<(u64, Account), StoreError>> + '_ {
        self.tree(tree::ACCOUNTS).iter().map(|item| {
            let (k, v) = item?;
            let id = read_u64(&k).ok_or_else(|| bad_key(tree::ACCOUNTS, &k))?;
            Ok((id, AccountRecord::decode_totals(tree::ACCOUNTS.name, &k, &v)?))
        })
    }

    pub fn activities(&self) -> impl Iterator<Item = Result<(u64, Activity), StoreError>> + '_ {
        self.scan_u64_keyed(tree::ACTIVITIES)
    }

    pub fn rewards(&self) -> impl Iterator<Item = Result<(u64, Reward), StoreError>> + '_ {
        self.scan_u64_keyed(tree::REWARDS)
    }

    pub fn stocks(&self) -> impl Iterator<Item = Result<(u64, u32), StoreError>> + '_ {
        self.scan_u64_keyed(tree::STOCK)
    }

    pub fn reversals(&self) -> impl Iterator<Item = Result<(u64, u64), StoreError>> + '_ {
        self.scan_u64_keyed(tree::REVERSED)
    }

    /// A shift by the seq of its check-in.
    pub fn shift(&self, seq: u64) -> Result<Option<Shift>, StoreError> {
        self.get(tree::SHIFTS, &tagged_key(SHIFT, seq))
    }

    /// The seq of the volunteer's open shift, if they are checked in.
    pub fn open_shift(&self, volunteer: u64) -> Result<Option<u64>, StoreError> {
        self.get(tree::SHIFTS, &tagged_key(OPEN_SHIFT, volunteer))
    }

    /// Every shift (by check-in seq), oldest first.
    pub fn shifts(&self) -> impl Iterator<Item = Result<(u64, Shift), StoreError>> + '_ {
        self.shift_scan(SHIFT)
    }

    /// Every open shift: volunteer id → check-in seq.
    pub fn open_shifts(&self) -> impl Iterator<Item = Result<(u64, u64), StoreError>> + '_ {
        self.shift_scan(OPEN_SHIFT)
    }

    fn shift_scan<T: DeserializeOwned>(
        &self,
        tag: u8,
    ) -> impl Iterator<Item = Result<(u64, T), StoreError>> + '_ {
        self.tree(tree::SHIFTS).scan_prefix([tag]).map(move |item| {
            let (k, v) = item?;
            let id = read_u64(&k[1..]).ok_or_else(|| bad_key(tree::SHIFTS, &k))?;
            Ok((id, codec::decode(tree::SHIFTS.name, &k, &v)?))
        })
    }

    pub fn staff_members(&self) -> impl Iterator<Item = Result<Staff, StoreError>> + '_ {
        self.scan(tree::STAFF).map(|r| r.map(|(_, s)| s))
    }

    pub fn card_index(&self) -> impl Iterator<Item = Result<(String, u64), StoreError>> + '_ {
        self.scan(tree::CARD_INDEX).map(|r| {
            let (k, id) = r?;
            let card = String::from_utf8(k.to_vec()).map_err(|_| bad_key(tree::CARD_INDEX, &k))?;
            Ok((card, id))
        })
    }

    /// `(kind byte, name, id)` of every catalog name.
    pub fn names(&self) -> impl Iterator<Item = Result<(u8, String, u64), StoreError>> + '_ {
        self.scan(tree::NAMES).map(|r| {
            let (k, id) = r?;
            let (&kind, rest) = k.split_first().ok_or_else(|| bad_key(tree::NAMES, &k))?;
            let name = String::from_utf8(rest.to_vec()).map_err(|_| bad_key(tree::NAMES, &k))?;
            Ok((kind, name, id))
        })
    }

    pub fn ops(&self) -> impl Iterator<Item = Result<(String, OpRecord), StoreError>> + '_ {
        self.scan(tree::OPS).map(|r| {
            let (k, rec) = r?;
            let id = String::from_utf8(k.to_vec()).map_err(|_| bad_key(tree::OPS, &k))?;
            Ok((id, rec))
        })
    }

    /// Overwrites one raw journal value in the copy. Only for tests that prove `check` and
    /// certificates find tampering.
    #[doc(hidden)]
    pub fn tamper_journal_value(&self, seq: u64, value: Vec<u8>) -> Result<(), StoreError> {
        self.tamper_journal(seq, Some(value))
    }

    /// Overwrites (`Some`) or removes one record of the journal copy. Only for tests.
    #[doc(hidden)]
    pub fn tamper_journal(&self, seq: u64, value: Option<Vec<u8>>) -> Result<(), StoreError> {
        let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        self.flush()?;
        let mut copy = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        copy.replace(seq, value.as_deref())
            .map_err(|source| StoreError::Io { path: self.dir.join("journal.copy"), source })
    }

    /// Overwrites one raw projection value. Only for tests that prove `check` finds drift.
    #[doc(hidden)]
    pub fn tamper_tree(&self, name: TreeId, key: &[u8], value: Option<Vec<u8>>) -> Result<(), StoreError> {
        match value {
            Some(v) => self.tree(name).insert(key, v)?,
            None => self.tree(name).remove(key)?,
        };
        self.flush()
    }
}

impl Store {
    /// Every journal event `1..=n` as of now, from the flat copy at file speed (about four
    /// times faster than walking sled's pages), for reports over the whole journal. The copy
    /// is trusted only once its hash chain is proven to end at sled's head, which is known
    /// only at the end: so `f` may already have seen events when this returns `Ok(false)`
    /// (copy missing, stale or refused), and the caller must then start over with
    /// [`Store::journal_from`].
    pub fn journal_from_copy(&self, mut f: impl FnMut(Event)) -> Result<bool, StoreError> {
        let (extent, head) = {
            let _gate = self.write_gate.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let extent = self.journal_copy.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).extent();
            (extent, self.head()?)
        };
        let Some(extent) = extent.filter(|e| e.last_seq == head.next_seq.saturating_sub(1)) else {
            return Ok(false);
        };
        let path = self.dir.join(super::journal_copy::FILE_NAME);
        let mut decode_error = None;
        let mut seq = 0u64;
        let streamed = super::journal_stream::stream_verified(&path, extent, &head.last_hash, |chunk| {
            for value in super::journal_index::record_values(chunk) {
                if decode_error.is_some() {
                    break;
                }
                seq += 1;
                match codec::decode::<Event>(tree::JOURNAL.name, &u64_key(seq), value) {
                    Ok(event) => f(event),
                    Err(e) => decode_error = Some(e),
                }
            }
            Ok(())
        });
        match (streamed, decode_error) {
            (Err(_), _) => Ok(false),
            // The chain proved the bytes are sled's: this is sled's own record failing.
            (Ok(()), Some(e)) => Err(e.into()),
            (Ok(()), None) => Ok(true),
        }
    }
}

/// `Store::journal_values_from`: the copy's records up to `last`; one that is not whole or not
/// in the chain is an error.
struct JournalValues<C: Iterator<Item = (u64, Vec<u8>)>> {
    copy: Option<C>,
    next: u64,
    last: u64,
    error: Option<StoreError>,
}

impl<C: Iterator<Item = (u64, Vec<u8>)>> Iterator for JournalValues<C> {
    type Item = Result<(u64, Vec<u8>), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.error.take() {
            self.copy = None;
            return Some(Err(e));
        }
        let copy = self.copy.as_mut()?;
        if let Some((seq, value)) = copy.next() {
            self.next = seq + 1;
            return Some(Ok((seq, value)));
        }
        self.copy = None;
        (self.next <= self.last)
            .then(|| Err(StoreError::Corrupt(super::journal_index::damaged_record(self.next))))
    }
}
