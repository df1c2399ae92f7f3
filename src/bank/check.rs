//! `check`: replays the journal from scratch through the same rules that committed it, verifies
//! the hash chain, and compares every projection with the replayed one (DESIGN §4).
//!
//! The replay keeps every projection in memory: for 100k volunteers and 1M events that is a
//! few tens of megabytes (each volunteer's history is a list of seqs), and it lets every
//! difference be named exactly.

use std::collections::HashMap;

use serde::Serialize;

use super::{Bank, BankError};
use crate::domain::ledger::{ApplyError, LedgerStore, NameKind, Rule, apply};
use crate::domain::{Account, Activity, CardNo, Event, Origin, Reward, Settings, Staff, StaffId, Volunteer};
use crate::store::records::AccountRecord;
use crate::store::{OpRecord, Store, StoreError, codec};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Number of the DESIGN §4 invariant that fails.
    pub invariant: u8,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub ok: bool,
    pub events: u64,
    pub problems: Vec<Problem>,
}

/// At most this many problems are listed per invariant; a broken store can have millions.
const MAX_PER_INVARIANT: usize = 50;

#[derive(Default)]
struct Problems {
    list: Vec<Problem>,
    counts: [usize; 7],
}

impl Problems {
    fn add(&mut self, invariant: u8, detail: String) {
        let slot = usize::from(invariant).min(6);
        self.counts[slot] += 1;
        if self.counts[slot] <= MAX_PER_INVARIANT {
            self.list.push(Problem { invariant, detail });
        } else if self.counts[slot] == MAX_PER_INVARIANT + 1 {
            self.list.push(Problem { invariant, detail: "… more problems of this kind not listed".into() });
        }
    }
}

fn invariant_of(rule: &Rule) -> u8 {
    match rule {
        Rule::InsufficientBalance { .. } => 1,
        Rule::InsufficientStock { .. } => 2,
        Rule::AlreadyReversed { .. } | Rule::NotReversible(_) | Rule::UnknownEntry(_) => 3,
        Rule::UnknownCard(_)
        | Rule::UnknownVolunteer(_)
        | Rule::UnknownActivity(_)
        | Rule::UnknownReward(_)
        | Rule::UnknownStaff(_)
        | Rule::CardTaken(_)
        | Rule::DuplicateName { .. }
        | Rule::StaffExists(_) => 6,
        _ => 5,
    }
}

/// The projections rebuilt in memory.
struct Replay<'s> {
    store: &'s Store,
    volunteers: HashMap<u64, Volunteer>,
    cards: HashMap<CardNo, u64>,
    accounts: HashMap<u64, AccountRecord>,
    names: HashMap<(u8, String), u64>,
    activities: HashMap<u64, Activity>,
    rewards: HashMap<u64, Reward>,
    stock: HashMap<u64, u32>,
    staff: HashMap<StaffId, Staff>,
    settings: Option<Settings>,
    counter_name: Option<String>,
    reversed: HashMap<u64, u64>,
}

impl LedgerStore for Replay<'_> {
    type Error = StoreError;

    fn volunteer(&self, id: u64) -> Result<Option<Volunteer>, StoreError> {
        Ok(self.volunteers.get(&id).cloned())
    }
    fn has_volunteer(&self, id: u64) -> Result<bool, StoreError> {
        Ok(self.accounts.contains_key(&id))
    }
    fn volunteer_by_card(&self, card: &CardNo) -> Result<Option<u64>, StoreError> {
        Ok(self.cards.get(card).copied())
    }
    fn put_volunteer(
        &mut self,
        id: u64,
        record: &Volunteer,
        old_card: Option<&CardNo>,
    ) -> Result<(), StoreError> {
        if let Some(old) = old_card {
            self.cards.remove(old);
        }
        self.cards.insert(record.card.clone(), id);
        self.volunteers.insert(id, record.clone());
        Ok(())
    }
    fn account(&self, id: u64) -> Result<Account, StoreError> {
        Ok(self.accounts.get(&id).map(|r| r.totals).unwrap_or_default())
    }
    fn put_account(&mut self, id: u64, account: &Account) -> Result<(), StoreError> {
        self.accounts.entry(id).or_default().totals = *account;
        Ok(())
    }
    fn add_history(&mut self, volunteer: u64, seq: u64) -> Result<(), StoreError> {
        self.accounts.entry(volunteer).or_default().push(seq);
        Ok(())
    }
    fn name_id(&self, kind: NameKind, name: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.names.get(&(kind as u8, name.to_string())).copied())
    }
    fn put_name(&mut self, kind: NameKind, name: &str, id: u64) -> Result<(), StoreError> {
        self.names.insert((kind as u8, name.to_string()), id);
        Ok(())
    }
    fn activity(&self, id: u64) -> Result<Option<Activity>, StoreError> {
        Ok(self.activities.get(&id).cloned())
    }
    fn put_activity(&mut self, id: u64, activity: &Activity) -> Result<(), StoreError> {
        self.activities.insert(id, activity.clone());
        Ok(())
    }
    fn reward(&self, id: u64) -> Result<Option<Reward>, StoreError> {
        Ok(self.rewards.get(&id).cloned())
    }
    fn put_reward(&mut self, id: u64, reward: &Reward) -> Result<(), StoreError> {
        self.rewards.insert(id, reward.clone());
        Ok(())
    }
    fn stock(&self, id: u64) -> Result<u32, StoreError> {
        Ok(self.stock.get(&id).copied().unwrap_or(0))
    }
    fn put_stock(&mut self, id: u64, stock: u32) -> Result<(), StoreError> {
        self.stock.insert(id, stock);
        Ok(())
    }
    fn staff(&self, id: &StaffId) -> Result<Option<Staff>, StoreError> {
        Ok(self.staff.get(id).cloned())
    }
    fn has_staff(&self, id: &StaffId) -> Result<bool, StoreError> {
        Ok(self.staff.contains_key(id))
    }
    fn put_staff(&mut self, staff: &Staff) -> Result<(), StoreError> {
        self.staff.insert(staff.id.clone(), staff.clone());
        Ok(())
    }
    fn settings(&self) -> Result<Settings, StoreError> {
        Ok(self.settings.unwrap_or_default())
    }
    fn put_settings(&mut self, settings: &Settings) -> Result<(), StoreError> {
        self.settings = Some(*settings);
        Ok(())
    }
    fn counter_name(&self) -> Result<Option<String>, StoreError> {
        Ok(self.counter_name.clone())
    }
    fn put_counter_name(&mut self, name: &str) -> Result<(), StoreError> {
        self.counter_name = Some(name.to_string());
        Ok(())
    }
    fn entry(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        // Reversals are rare; reading the target back from the journal keeps memory flat.
        self.store.event(seq)
    }
    fn reversed_by(&self, target: u64) -> Result<Option<u64>, StoreError> {
        Ok(self.reversed.get(&target).copied())
    }
    fn mark_reversed(&mut self, target: u64, by: u64) -> Result<(), StoreError> {
        self.reversed.insert(target, by);
        Ok(())
    }
}

impl Bank {
    pub fn check(&self) -> Result<CheckReport, BankError> {
        check_store(&self.store)
    }
}

/// Verifies a store: hash chain, contiguous seqs, and every projection equal to a replay.
pub fn check_store(store: &Store) -> Result<CheckReport, BankError> {
    let mut p = Problems::default();
    let mut r = Replay {
        store,
        volunteers: HashMap::new(),
        cards: HashMap::new(),
        accounts: HashMap::new(),
        names: HashMap::new(),
        activities: HashMap::new(),
        rewards: HashMap::new(),
        stock: HashMap::new(),
        staff: HashMap::new(),
        settings: None,
        counter_name: None,
        reversed: HashMap::new(),
    };
    let mut import_sources: Vec<String> = Vec::new();
    let mut ops: HashMap<String, OpRecord> = HashMap::new();
    let mut expected_seq = 1u64;
    let mut prev: Option<[u8; 32]> = Some([0; 32]);
    let mut events = 0u64;
    let mut hasher_input = Vec::with_capacity(256);

    for item in store.journal_raw() {
        let (key, value) = item?;
        events += 1;
        let seq = match <[u8; 8]>::try_from(key.as_slice()) {
            Ok(b) => u64::from_be_bytes(b),
            Err(_) => {
                p.add(4, format!("journal key {} is not a sequence number", codec::describe_key(&key)));
                prev = None;
                continue;
            }
        };
        if seq != expected_seq {
            p.add(4, format!("journal jumps from seq {} to seq {seq}", expected_seq.saturating_sub(1)));
            prev = None;
        }
        expected_seq = seq + 1;
        let event: Event = match codec::decode(crate::store::tree::JOURNAL, &key, &value) {
            Ok(e) => e,
            Err(e) => {
                p.add(4, format!("hash chain broken at seq {seq}: {e}"));
                prev = None;
                continue;
            }
        };
        // The encoded body is the stored value minus its version byte and the 32-byte hash
        // that bincode appends as a plain byte tuple (a unit test pins this layout).
        if let Some(prev_hash) = prev {
            hasher_input.clear();
            hasher_input.extend_from_slice(&prev_hash);
            hasher_input.extend_from_slice(&value[1..value.len() - 32]);
            if *blake3::hash(&hasher_input).as_bytes() != event.hash {
                p.add(4, format!("hash chain broken at seq {seq}: the stored event does not match its hash"));
            }
        }
        prev = Some(event.hash);
        if event.body.seq != seq {
            p.add(4, format!("event stored under seq {seq} says it is seq {}", event.body.seq));
        }
        match &event.body.origin {
            Origin::Direct => {}
            Origin::Import(i) => {
                if !import_sources.contains(&i.source) {
                    import_sources.push(i.source.clone());
                }
            }
            Origin::Op(tag) => {
                ops.insert(
                    tag.id.clone(),
                    OpRecord { digest: tag.digest, first_seq: seq, events: tag.events },
                );
            }
        }
        match apply(&mut r, &event) {
            Ok(()) => {}
            Err(ApplyError::Rule(rule)) => {
                p.add(invariant_of(&rule), format!("seq {seq} ({}): {rule}", event.kind().name()));
            }
            Err(ApplyError::Store(e)) => p.add(3, format!("seq {seq}: its target cannot be read: {e}")),
        }
    }

    let next_seq = store.next_seq()?;
    if next_seq != expected_seq {
        p.add(4, format!("meta says the next seq is {next_seq}, the journal ends at {}", expected_seq - 1));
    }
    if let Some(last) = prev {
        if events > 0 && store.last_hash()? != last {
            p.add(4, "meta's last hash differs from the last event's hash".into());
        }
    }

    compare_projections(store, &r, &import_sources, &ops, &mut p)?;
    Ok(CheckReport { ok: p.list.is_empty(), events, problems: p.list })
}

fn compare_projections(
    store: &Store,
    r: &Replay<'_>,
    import_sources: &[String],
    ops: &HashMap<String, OpRecord>,
    p: &mut Problems,
) -> Result<(), StoreError> {
    // Invariant 1 (totals and balance) and 5 (history): accounts equal the replay.
    let mut seen = 0usize;
    for item in store.accounts() {
        let (id, stored) = item?;
        if stored.totals.checked_balance().is_none() {
            p.add(1, format!("volunteer {id} has a negative balance"));
        }
        match r.accounts.get(&id) {
            Some(expected) => {
                seen += 1;
                if expected.totals != stored.totals {
                    p.add(
                        1,
                        format!(
                            "volunteer {id}: stored balance {} ≠ journal {}",
                            stored.totals.balance(),
                            expected.totals.balance()
                        ),
                    );
                }
                if !expected.seqs().eq(stored.seqs()) {
                    p.add(5, format!("history of volunteer {id}: {} entries stored, {} in the journal (or different ones)", stored.len(), expected.len()));
                }
            }
            None => p.add(1, format!("volunteer {id} has a stored account but no journal entries")),
        }
    }
    if seen != r.accounts.len() {
        p.add(1, format!("{} accounts in the journal are missing from the store", r.accounts.len() - seen));
    }

    // Invariant 2: stock.
    let mut seen = 0usize;
    for item in store.stocks() {
        let (id, stored) = item?;
        match r.stock.get(&id) {
            Some(expected) if *expected == stored => seen += 1,
            Some(expected) => {
                seen += 1;
                p.add(2, format!("reward {id}: stored stock {stored} ≠ journal {expected}"));
            }
            None => p.add(2, format!("reward {id} has stock but no journal entry")),
        }
    }
    if seen != r.stock.len() {
        p.add(2, format!("{} rewards in the journal have no stored stock", r.stock.len() - seen));
    }

    // Invariant 3: the reversal index.
    let stored: HashMap<u64, u64> = store.reversals().collect::<Result<_, _>>()?;
    if stored != r.reversed {
        p.add(3, format!("reversal index has {} entries, the journal {}", stored.len(), r.reversed.len()));
    }

    // Invariant 5: projections equal the replay.
    let stored: HashMap<u64, Volunteer> = store.volunteers().collect::<Result<_, _>>()?;
    for (id, v) in &r.volunteers {
        if stored.get(id) != Some(v) {
            p.add(5, format!("volunteer {id} ({}) differs from the journal", v.card));
        }
    }
    if stored.len() != r.volunteers.len() {
        p.add(5, format!("{} volunteer records stored, {} in the journal", stored.len(), r.volunteers.len()));
    }
    let mut cards = 0usize;
    for item in store.card_index() {
        let (card, id) = item?;
        cards += 1;
        let expected = CardNo::parse(&card).ok().and_then(|c| r.cards.get(&c).copied());
        if expected != Some(id) {
            p.add(5, format!("card index entry {card} → {id} is not in the journal"));
        }
    }
    if cards != r.cards.len() {
        p.add(5, format!("card index has {cards} cards, the journal {}", r.cards.len()));
    }
    if store.import_sources()? != import_sources {
        p.add(5, "the list of import sources differs from the journal".into());
    }
    let stored_ops: HashMap<String, OpRecord> = store.ops().collect::<Result<_, _>>()?;
    if &stored_ops != ops {
        p.add(
            5,
            format!(
                "operation ids: {} stored, {} in the journal (or they differ)",
                stored_ops.len(),
                ops.len()
            ),
        );
    }
    let names: HashMap<(u8, String), u64> =
        store.names().map(|r| r.map(|(k, n, id)| ((k, n), id))).collect::<Result<_, _>>()?;
    if names != r.names {
        p.add(5, "the catalog name index differs from the journal".into());
    }
    let activities: HashMap<u64, Activity> = store.activities().collect::<Result<_, _>>()?;
    if activities != r.activities {
        p.add(5, "activities differ from the journal".into());
    }
    let rewards: HashMap<u64, Reward> = store.rewards().collect::<Result<_, _>>()?;
    if rewards != r.rewards {
        p.add(5, "rewards differ from the journal".into());
    }
    let staff: HashMap<StaffId, Staff> =
        store.staff_members().map(|r| r.map(|s| (s.id.clone(), s))).collect::<Result<_, _>>()?;
    if staff != r.staff {
        p.add(5, "staff records differ from the journal".into());
    }
    if store.settings()? != r.settings.unwrap_or_default() {
        p.add(5, "settings differ from the journal".into());
    }
    Ok(())
}
