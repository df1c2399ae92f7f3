//! `import entries`: `id,timestamp,card_no,kind,minutes,memo`, applied in timestamp order.

use std::collections::HashMap;
use std::path::Path;

use super::*;
use crate::domain::{
    Activity, Actor, CardNo, EventKind, ImportRef, Minutes, Name, NameKind, Reward, RewardKind,
};
use crate::store::Pending;

#[derive(Clone, Copy, PartialEq, Eq)]
enum EntryKind {
    Deposit,
    Redeem,
}

/// One validated entry row, kept small: a million of them must fit comfortably in memory.
struct ImportRow {
    line: u32,
    id: (u32, u16),
    kind: EntryKind,
    memo: u32,
    volunteer: u64,
    at: Timestamp,
    minutes: Minutes,
}

impl Bank {
    /// Imports past entries: `id,timestamp,card_no,kind,minutes,memo`. `progress` is called
    /// with (rows applied, rows to apply) after each chunk.
    pub fn import_entries(
        &self,
        who: &Actor,
        path: &Path,
        source: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportSummary, ImportError> {
        validate_source(source)?;
        let text = open_text(path)?;
        let previous = PreviousImports::load(self, source)?;
        let mut bad = BadRows::default();
        let mut summary = ImportSummary::default();
        let required = ["id", "timestamp", "card_no", "kind", "minutes", "memo"];
        let Some(mut csv) = CsvRows::open(text, ENTRY_COLUMNS, &required, &mut bad) else {
            return bad.into_result().map(|_| summary);
        };
        let cap = self.store.settings().map_err(BankError::from)?.entry_cap;
        let today = self.today();
        // Whether each card's volunteer may be credited (the live deposit's rule): only
        // whether they are active is kept, not their record (100k records are ~25 MB).
        let mut active: HashMap<u64, bool> = HashMap::new();

        // Pass 1: parse and validate each row on its own.
        let mut ids = String::new();
        let mut memos: Vec<String> = Vec::new();
        let mut memo_index: HashMap<String, u32> = HashMap::new();
        let mut cards: HashMap<String, Option<u64>> = HashMap::new();
        let mut rows: Vec<ImportRow> = Vec::new();
        while let Some((line, record)) = csv.next_row(&mut bad) {
            let columns = &csv.columns;
            let parsed = (|| -> Result<ImportRow, RowProblem> {
                let id = columns.get(&record, "id");
                if id.is_empty() || id.len() > 64 || id.chars().any(char::is_control) {
                    return Err(RowProblem::BadId);
                }
                let ts = columns.get(&record, "timestamp");
                let at = parse_timestamp(ts).ok_or_else(|| RowProblem::BadTimestamp(ts.to_string()))?;
                let card_text = columns.get(&record, "card_no");
                let card = CardNo::parse(card_text).map_err(RowProblem::Invalid)?;
                let volunteer = match cards.get(card.as_str()) {
                    Some(v) => *v,
                    None => {
                        let v = self
                            .store
                            .volunteer_id_by_card(&card)
                            .map_err(|e| RowProblem::Store(e.to_string()))?;
                        cards.insert(card.as_str().to_string(), v);
                        v
                    }
                }
                .ok_or_else(|| RowProblem::UnknownCard(card.to_string()))?;
                let kind = match columns.get(&record, "kind").to_lowercase().as_str() {
                    "deposit" | "存入" | "存储" | "服务" => EntryKind::Deposit,
                    "redeem" | "兑换" | "支取" => EntryKind::Redeem,
                    other => return Err(RowProblem::BadKind(other.to_string())),
                };
                let minutes_text = columns.get(&record, "minutes");
                let minutes: u32 =
                    minutes_text.parse().map_err(|_| RowProblem::BadMinutes(minutes_text.to_string()))?;
                let minutes = Minutes::new(minutes)
                    .entry(if kind == EntryKind::Deposit { cap } else { Minutes::new(u32::MAX) })
                    .map_err(RowProblem::Invalid)?;
                if kind == EntryKind::Deposit {
                    let is_active = match active.get(&volunteer) {
                        Some(a) => *a,
                        None => {
                            let v = self
                                .store
                                .volunteer(volunteer)
                                .map_err(|e| RowProblem::Store(e.to_string()))?
                                .ok_or_else(|| RowProblem::UnknownCard(card.to_string()))?;
                            *active.entry(volunteer).or_insert(v.active)
                        }
                    };
                    super::super::rules::depositable_when(is_active, &card, local_day(at), today)
                        .map_err(RowProblem::Refused)?;
                }
                let memo = Name::parse(columns.get(&record, "memo"))
                    .map_err(|error| RowProblem::Column { column: TextColumn::Memo, error })?;
                let key = format!("{}{}", if kind == EntryKind::Deposit { 'a' } else { 'r' }, memo);
                let next = u32::try_from(memos.len()).map_err(|_| RowProblem::TooManyNames)?;
                let memo = *memo_index.entry(key).or_insert_with(|| {
                    memos.push(memo.to_string());
                    next
                });
                let offset = u32::try_from(ids.len()).map_err(|_| RowProblem::TooLarge)?;
                ids.push_str(id);
                Ok(ImportRow {
                    line: line as u32,
                    id: (offset, id.len() as u16),
                    kind,
                    memo,
                    volunteer,
                    at,
                    minutes,
                })
            })();
            match parsed {
                Ok(row) => rows.push(row),
                Err(reason) => bad.add(line, reason),
            }
        }
        summary.rows = csv.rows;
        drop(csv);
        drop(cards);
        let id_of = |row: &ImportRow| &ids[row.id.0 as usize..row.id.0 as usize + row.id.1 as usize];

        // Pass 2: ids unique within the file.
        let mut by_id: Vec<u32> = (0..rows.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| id_of(&rows[a as usize]).cmp(id_of(&rows[b as usize])));
        for pair in by_id.windows(2) {
            let (a, b) = (&rows[pair[0] as usize], &rows[pair[1] as usize]);
            if id_of(a) == id_of(b) {
                let (first, second) = if a.line < b.line { (a, b) } else { (b, a) };
                bad.add(
                    u64::from(second.line),
                    RowProblem::DuplicateId { id: id_of(second).to_string(), first: first.line },
                );
            }
        }
        drop(by_id);

        // Pass 3: rows already imported are skipped if identical, refused if not.
        let mut keep = vec![true; rows.len()];
        for (i, row) in rows.iter().enumerate() {
            if let Some(seq) = previous.find(self, id_of(row))? {
                keep[i] = false;
                if self.imported_row_matches(seq, row, &memos)? {
                    summary.already_present += 1;
                } else {
                    bad.add(
                        u64::from(row.line),
                        RowProblem::EntryChanged { id: id_of(row).to_string(), seq },
                    );
                }
            }
        }

        // Pass 4: in timestamp order, no redemption may overdraw or exceed stock.
        let mut order: Vec<u32> = (0..rows.len() as u32).filter(|&i| keep[i as usize]).collect();
        order.sort_by_key(|&i| (rows[i as usize].at, rows[i as usize].line));
        drop(keep);
        let rules = self.store.rules().map_err(BankError::from)?;
        let mut day_totals: HashMap<(u64, i32), u32> = HashMap::new();
        let mut balances: HashMap<u64, u64> = HashMap::new();
        let mut stocks: HashMap<u64, Option<u32>> = HashMap::new();
        for &i in &order {
            let row = &rows[i as usize];
            let balance = match balances.get_mut(&row.volunteer) {
                Some(b) => b,
                None => {
                    let b = self.store.account(row.volunteer).map_err(BankError::from)?.balance();
                    balances.entry(row.volunteer).or_insert(b)
                }
            };
            let m = u64::from(row.minutes.get());
            match row.kind {
                EntryKind::Deposit => {
                    // Imported rows are hours as credited at the time, so no multiplier is
                    // applied; but they must sit on today's rounding and fit today's caps.
                    if let Some(why) = rules_refuse(&rules, &mut day_totals, self, row, *balance)? {
                        bad.add(u64::from(row.line), why);
                        continue;
                    }
                    *balance += m
                }
                EntryKind::Redeem => {
                    if *balance < m {
                        bad.add(
                            u64::from(row.line),
                            RowProblem::Overdraw {
                                minutes: row.minutes,
                                balance: Minutes::new(u32::try_from(*balance).unwrap_or(u32::MAX)),
                            },
                        );
                        continue;
                    }
                    *balance -= m;
                    if let Some(id) = self
                        .store
                        .name_id(NameKind::Reward, &memos[row.memo as usize])
                        .map_err(BankError::from)?
                    {
                        let stock = match stocks.get_mut(&id) {
                            Some(s) => s,
                            None => {
                                let limited = self
                                    .store
                                    .reward(id)
                                    .map_err(BankError::from)?
                                    .is_some_and(|r| r.limited);
                                let s = if limited {
                                    Some(self.store.stock(id).map_err(BankError::from)?)
                                } else {
                                    None
                                };
                                stocks.entry(id).or_insert(s)
                            }
                        };
                        if let Some(left) = stock {
                            if *left == 0 {
                                bad.add(
                                    u64::from(row.line),
                                    RowProblem::OutOfStock(memos[row.memo as usize].clone()),
                                );
                                continue;
                            }
                            *left -= 1;
                        }
                    }
                }
            }
        }
        drop(balances);
        bad.into_result()?;

        // Apply: first the catalog entries the file names but the store lacks, then the rows.
        let catalog = self.create_missing_catalog(who, &rows, &order, &memos, &mut summary)?;
        let total = order.len();
        progress(0, total);
        for chunk in order.chunks(CHUNK) {
            let pending: Vec<Pending> = chunk
                .iter()
                .map(|&i| {
                    let row = &rows[i as usize];
                    let target = catalog[row.memo as usize];
                    let kind = match row.kind {
                        EntryKind::Deposit => EventKind::Deposited {
                            volunteer: row.volunteer,
                            activity: target,
                            minutes: row.minutes,
                            served_on: local_day(row.at),
                            note: String::new(),
                        },
                        EntryKind::Redeem => EventKind::Redeemed {
                            volunteer: row.volunteer,
                            reward: target,
                            qty: 1,
                            minutes: row.minutes,
                        },
                    };
                    Pending {
                        kind,
                        import: Some(ImportRef {
                            source: source.to_string(),
                            row_id: id_of(row).to_string(),
                            occurred: row.at,
                        }),
                    }
                })
                .collect();
            self.store.commit(&self.context(who), None, |_| Ok(pending.clone())).map_err(BankError::from)?;
            summary.imported += chunk.len();
            progress(summary.imported, total);
        }
        Ok(summary)
    }

    /// Creates, in one transaction, the activities and rewards that rows name but the store
    /// lacks. Rewards created this way are historical: retired, unlimited, priced at the first
    /// redemption's minutes. Returns the catalog id for each memo index.
    fn create_missing_catalog(
        &self,
        who: &Actor,
        rows: &[ImportRow],
        order: &[u32],
        memos: &[String],
        summary: &mut ImportSummary,
    ) -> Result<Vec<u64>, ImportError> {
        let mut first_use: Vec<Option<&ImportRow>> = vec![None; memos.len()];
        for &i in order {
            let row = &rows[i as usize];
            first_use[row.memo as usize].get_or_insert(row);
        }
        let mut ids = vec![0u64; memos.len()];
        let mut pending = Vec::new();
        let mut missing = Vec::new();
        for (m, row) in first_use.iter().enumerate() {
            let Some(row) = row else { continue };
            let (kind, name_kind) = match row.kind {
                EntryKind::Deposit => ("activity", NameKind::Activity),
                EntryKind::Redeem => ("reward", NameKind::Reward),
            };
            if let Some(id) = self.store.name_id(name_kind, &memos[m]).map_err(BankError::from)? {
                ids[m] = id;
                continue;
            }
            let name = Name::parse(&memos[m]).map_err(BankError::from)?;
            let event = if kind == "activity" {
                summary.created_activities += 1;
                EventKind::ActivityAdded(Activity { name, category: String::new() })
            } else {
                summary.created_rewards += 1;
                EventKind::RewardAdded {
                    reward: Reward {
                        name,
                        kind: RewardKind::Gift,
                        cost: row.minutes,
                        limited: false,
                        course_date: None,
                        merchant: String::new(),
                        active: false,
                    },
                    stock: 0,
                }
            };
            pending.push(Pending::from(event));
            missing.push(m);
        }
        if !pending.is_empty() {
            let committed = self
                .store
                .commit(&self.context(who), None, |_| Ok(pending.clone()))
                .map_err(BankError::from)?;
            for (m, event) in missing.into_iter().zip(committed.events) {
                ids[m] = event.seq();
            }
        }
        Ok(ids)
    }

    fn imported_row_matches(&self, seq: u64, row: &ImportRow, memos: &[String]) -> Result<bool, BankError> {
        let event = self.event(seq)?;
        let occurred = match &event.body.origin {
            crate::domain::Origin::Import(r) => r.occurred,
            _ => return Ok(false),
        };
        let memo = &memos[row.memo as usize];
        Ok(occurred == row.at
            && match event.kind() {
                EventKind::Deposited { volunteer, activity, minutes, .. } => {
                    row.kind == EntryKind::Deposit
                        && *volunteer == row.volunteer
                        && *minutes == row.minutes
                        && self.store.name_id(NameKind::Activity, memo)? == Some(*activity)
                }
                EventKind::Redeemed { volunteer, reward, minutes, .. } => {
                    row.kind == EntryKind::Redeem
                        && *volunteer == row.volunteer
                        && *minutes == row.minutes
                        && self.store.name_id(NameKind::Reward, memo)? == Some(*reward)
                }
                _ => false,
            })
    }
}

/// Why the crediting rules refuse an imported deposit row, if they do: off the rounding unit,
/// past the day cap (counting rows before it in the file) or past the storage cap.
fn rules_refuse(
    rules: &crate::domain::Rules,
    day_totals: &mut HashMap<(u64, i32), u32>,
    bank: &Bank,
    row: &ImportRow,
    balance: u64,
) -> Result<Option<RowProblem>, BankError> {
    let m = row.minutes;
    let unit = rules.rounding.unit();
    if !m.get().is_multiple_of(unit) {
        return Ok(Some(RowProblem::OffRounding { minutes: m, unit }));
    }
    if let Some(cap) = rules.storage_cap
        && balance + u64::from(m.get()) > u64::from(cap.get())
    {
        return Ok(Some(RowProblem::OverStorageCap { cap }));
    }
    if let Some(cap) = rules.day_cap {
        let day = local_day(row.at);
        let total = match day_totals.get_mut(&(row.volunteer, day.ordinal())) {
            Some(t) => t,
            None => {
                let t = bank.store.day_total(row.volunteer, day)?;
                day_totals.entry((row.volunteer, day.ordinal())).or_insert(t)
            }
        };
        if total.saturating_add(m.get()) > cap.get() {
            return Ok(Some(RowProblem::OverDayCap { day, credited: Minutes::new(*total), minutes: m, cap }));
        }
        *total += m.get();
    }
    Ok(None)
}
