//! `check`: replays the journal from scratch through the same rules that committed it, verifies
//! the hash chain, and compares every projection with the replayed one (ARCHITECTURE.md §4).
//!
//! The replay keeps every projection in memory: for 100k volunteers and 1M events that is a
//! few tens of megabytes (each volunteer's history is a list of seqs), and it lets every
//! difference be named exactly.

use std::collections::HashMap;
use std::sync::mpsc::{SyncSender, sync_channel};

use serde::Serialize;

use super::{Bank, BankError};
use crate::domain::ledger::{ApplyError, LedgerStore, NameKind, Rule, apply};
use crate::domain::points::{PointsKey, PointsRecord};
use crate::domain::{
    Account, Activity, CardNo, Day, DonationPool, Event, Origin, Reward, Rules, Settings, Shift, Staff,
    StaffId, Volunteer,
};
use crate::store::records::AccountRecord;
use crate::store::{OpRecord, Store, StoreError};

mod compare;
use compare::{compare_projections, load_stored};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Number of the ARCHITECTURE.md §4 invariant that fails.
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

/// The ARCHITECTURE.md §4 invariant a refused event breaks.
pub(super) fn invariant_of(rule: &Rule) -> u8 {
    match rule {
        Rule::InsufficientBalance { .. } | Rule::ReversalSpent { .. } | Rule::InsufficientPool { .. } => 1,
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

/// Reads back an event already replayed (the target of a reversal).
pub(super) type Lookup<'s> = &'s dyn Fn(u64) -> Result<Option<Event>, StoreError>;

/// The projections rebuilt in memory.
pub(super) struct Replay<'s> {
    lookup: Lookup<'s>,
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
    counter_code: Option<String>,
    reversed: HashMap<u64, u64>,
    shifts: HashMap<u64, Shift>,
    open_shifts: HashMap<u64, u64>,
    rules: Rules,
    day_totals: HashMap<(u64, i32), u32>,
    counted: HashMap<u64, u32>,
    held: std::collections::HashSet<u64>,
    /// Activities retired from the catalog.
    retired: std::collections::HashSet<u64>,
    grants: HashMap<String, u64>,
    pool: DonationPool,
    /// The civic points' records, by their keys' bytes (as the store keeps them).
    points: std::collections::BTreeMap<Vec<u8>, PointsRecord>,
}

impl<'s> Replay<'s> {
    pub(super) fn new(lookup: Lookup<'s>) -> Replay<'s> {
        Replay {
            lookup,
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
            counter_code: None,
            reversed: HashMap::new(),
            shifts: HashMap::new(),
            open_shifts: HashMap::new(),
            rules: Rules::default(),
            day_totals: HashMap::new(),
            counted: HashMap::new(),
            held: Default::default(),
            retired: Default::default(),
            grants: HashMap::new(),
            pool: DonationPool::default(),
            points: Default::default(),
        }
    }

    /// Counts of what the replay rebuilt: volunteers, activities, rewards, staff.
    pub(super) fn counts(&self) -> (u64, u64, u64, u64) {
        let n = |x: usize| x as u64;
        (n(self.volunteers.len()), n(self.activities.len()), n(self.rewards.len()), n(self.staff.len()))
    }
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
    fn remove_name(&mut self, kind: NameKind, name: &str) -> Result<(), StoreError> {
        self.names.remove(&(kind as u8, name.to_string()));
        Ok(())
    }
    fn activity_retired(&self, id: u64) -> Result<bool, StoreError> {
        Ok(self.retired.contains(&id))
    }
    fn set_activity_retired(&mut self, id: u64, retired: bool) -> Result<(), StoreError> {
        match retired {
            true => self.retired.insert(id),
            false => self.retired.remove(&id),
        };
        Ok(())
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
    fn counter_code(&self) -> Result<Option<String>, StoreError> {
        Ok(self.counter_code.clone())
    }
    fn put_counter_code(&mut self, code: &str) -> Result<(), StoreError> {
        self.counter_code = Some(code.to_string());
        Ok(())
    }
    fn entry(&self, seq: u64) -> Result<Option<Event>, StoreError> {
        // Reversals are rare; reading the target back from the journal keeps memory flat.
        (self.lookup)(seq)
    }
    fn reversed_by(&self, target: u64) -> Result<Option<u64>, StoreError> {
        Ok(self.reversed.get(&target).copied())
    }
    fn mark_reversed(&mut self, target: u64, by: u64) -> Result<(), StoreError> {
        self.reversed.insert(target, by);
        Ok(())
    }
    fn shift(&self, seq: u64) -> Result<Option<Shift>, StoreError> {
        Ok(self.shifts.get(&seq).cloned())
    }
    fn put_shift(&mut self, seq: u64, shift: &Shift) -> Result<(), StoreError> {
        self.shifts.insert(seq, shift.clone());
        Ok(())
    }
    fn open_shift(&self, volunteer: u64) -> Result<Option<u64>, StoreError> {
        Ok(self.open_shifts.get(&volunteer).copied())
    }
    fn set_open_shift(&mut self, volunteer: u64, shift: Option<u64>) -> Result<(), StoreError> {
        match shift {
            Some(seq) => self.open_shifts.insert(volunteer, seq),
            None => self.open_shifts.remove(&volunteer),
        };
        Ok(())
    }
    fn rules(&self) -> Result<Rules, StoreError> {
        Ok(self.rules.clone())
    }
    fn put_rules(&mut self, rules: &Rules) -> Result<(), StoreError> {
        self.rules = rules.clone();
        Ok(())
    }
    fn day_total(&self, volunteer: u64, day: Day) -> Result<u32, StoreError> {
        Ok(self.day_totals.get(&(volunteer, day.ordinal())).copied().unwrap_or(0))
    }
    fn put_day_total(&mut self, volunteer: u64, day: Day, minutes: u32) -> Result<(), StoreError> {
        self.day_totals.insert((volunteer, day.ordinal()), minutes);
        Ok(())
    }
    fn counted(&self, seq: u64) -> Result<Option<u32>, StoreError> {
        Ok(self.counted.get(&seq).copied())
    }
    fn set_counted(&mut self, seq: u64, minutes: Option<u32>) -> Result<(), StoreError> {
        match minutes {
            Some(m) => self.counted.insert(seq, m),
            None => self.counted.remove(&seq),
        };
        Ok(())
    }
    fn pool(&self) -> Result<DonationPool, StoreError> {
        Ok(self.pool)
    }
    fn put_pool(&mut self, pool: &DonationPool) -> Result<(), StoreError> {
        self.pool = *pool;
        Ok(())
    }
    fn grant_entry(&self, grant: &str) -> Result<Option<u64>, StoreError> {
        Ok(self.grants.get(grant).copied())
    }
    fn put_grant_entry(&mut self, grant: &str, seq: u64) -> Result<(), StoreError> {
        self.grants.insert(grant.to_string(), seq);
        Ok(())
    }
    fn points(&self, key: &PointsKey) -> Result<Option<PointsRecord>, StoreError> {
        Ok(self.points.get(&key.bytes()).cloned())
    }
    fn put_points(&mut self, key: &PointsKey, record: Option<&PointsRecord>) -> Result<(), StoreError> {
        match record {
            Some(r) => self.points.insert(key.bytes(), r.clone()),
            None => self.points.remove(&key.bytes()),
        };
        Ok(())
    }
    fn is_held(&self, seq: u64) -> Result<bool, StoreError> {
        Ok(self.held.contains(&seq))
    }
    fn set_held(&mut self, seq: u64, held: bool) -> Result<(), StoreError> {
        if held {
            self.held.insert(seq);
        } else {
            self.held.remove(&seq);
        }
        Ok(())
    }
}

impl Bank {
    pub fn check(&self) -> Result<CheckReport, BankError> {
        self.store.quiesced(|| check_store(&self.store))
    }
}

/// What the journal scan found, besides the events it handed to the replay.
struct Chain {
    problems: Problems,
    events: u64,
    expected_seq: u64,
    last_hash: Option<[u8; 32]>,
}

/// Events travel from the scanning thread to the replay in batches, to keep channel overhead
/// off the per-event path.
const BATCH: usize = 1024;

/// Scans the journal: contiguous seqs, decodable events, an unbroken hash chain. Decoded events
/// go to `out` for the replay.
fn scan_journal(store: &Store, out: SyncSender<Vec<Event>>) -> Result<Chain, StoreError> {
    let mut c = Chain { problems: Problems::default(), events: 0, expected_seq: 1, last_hash: Some([0; 32]) };
    let mut batch = Vec::with_capacity(BATCH);
    for item in store.journal_raw() {
        // Numbered by position in the copy; an event says its own seq, which must follow.
        let (at, value) = match item {
            Ok(record) => record,
            Err(StoreError::Damaged { detail, .. }) => {
                // The copy ends inside a record, or not where the journal does.
                c.problems.add(4, detail);
                c.last_hash = None;
                break;
            }
            Err(e) => return Err(e),
        };
        c.events += 1;
        let event: Event = match crate::store::decode_stored(at, &value) {
            Ok(e) => e,
            Err(e) => {
                c.problems.add(4, format!("hash chain broken at seq {}: {e}", c.expected_seq));
                c.last_hash = None;
                c.expected_seq += 1;
                continue;
            }
        };
        let seq = event.body.seq;
        if seq != c.expected_seq {
            c.problems
                .add(4, format!("journal jumps from seq {} to seq {seq}", c.expected_seq.saturating_sub(1)));
            c.last_hash = None;
        }
        c.expected_seq = seq + 1;
        // The hash is checked over exactly the bytes on disk, without re-encoding (the layout
        // is `store::StoredEvent`'s; the golden-byte tests pin it).
        if let Some(prev_hash) = c.last_hash
            && !crate::store::StoredEvent::split(&value).is_some_and(|s| s.follows(&prev_hash))
        {
            c.problems
                .add(4, format!("hash chain broken at seq {seq}: the stored event does not match its hash"));
        }
        c.last_hash = Some(event.hash);
        batch.push(event);
        if batch.len() == BATCH && out.send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH))).is_err()
        {
            break;
        }
    }
    let _ = out.send(batch);
    Ok(c)
}

fn joined<T>(r: std::thread::Result<Result<T, StoreError>>) -> Result<T, StoreError> {
    r.unwrap_or_else(|_| Err(StoreError::Internal("a check thread failed")))
}

/// Verifies a store: hash chain, contiguous seqs, and every projection equal to a replay.
/// Three threads: one scans and verifies the journal, one replays it, one loads the stored
/// projections; on two cores the scan and the replay overlap.
pub fn check_store(store: &Store) -> Result<CheckReport, BankError> {
    let lookup = |seq| store.event(seq);
    let mut r = Replay::new(&lookup);
    let mut import_sources: Vec<String> = Vec::new();
    let mut ops: HashMap<String, OpRecord> = HashMap::new();
    let mut replay_problems = Problems::default();
    let (chain, stored) = std::thread::scope(|scope| {
        let (tx, rx) = sync_channel::<Vec<Event>>(8);
        let scanner = scope.spawn(move || scan_journal(store, tx));
        let loader = scope.spawn(|| load_stored(store));
        for batch in rx {
            for event in batch {
                let seq = event.seq();
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
                    Err(ApplyError::Rule(rule)) => replay_problems
                        .add(invariant_of(&rule), format!("seq {seq} ({}): {rule}", event.kind().name())),
                    Err(ApplyError::Store(e)) => {
                        replay_problems.add(3, format!("seq {seq}: its target cannot be read: {e}"))
                    }
                }
            }
        }
        (joined(scanner.join()), joined(loader.join()))
    });
    let chain = chain?;
    let stored = stored?;
    let mut p = chain.problems;
    for problem in replay_problems.list {
        p.add(problem.invariant, problem.detail);
    }
    let next_seq = store.next_seq()?;
    if next_seq != chain.expected_seq {
        p.add(
            4,
            format!("meta says the next seq is {next_seq}, the journal ends at {}", chain.expected_seq - 1),
        );
    }
    if let Some(last) = chain.last_hash
        && chain.events > 0
        && store.last_hash()? != last
    {
        p.add(4, "meta's last hash differs from the last event's hash".into());
    }
    compare_projections(&stored, &r, &import_sources, &ops, &mut p);
    Ok(CheckReport { ok: p.list.is_empty(), events: chain.events, problems: p.list })
}
