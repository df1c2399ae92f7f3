//! The second half of `check`: the projections as stored, loaded while the replay runs, and
//! compared with the replayed ones, each difference named by its ARCHITECTURE.md §4 invariant.

use std::collections::HashMap;

use super::{Problems, Replay};
use crate::domain::points::PointsRecord;
use crate::domain::{Activity, CardNo, Reward, Settings, Shift, Staff, StaffId, Volunteer};
use crate::store::records::AccountRecord;
use crate::store::{OpRecord, Store, StoreError};

/// The projections as stored, loaded while the replay runs.
pub(super) struct Stored {
    accounts: HashMap<u64, AccountRecord>,
    stock: HashMap<u64, u32>,
    reversed: HashMap<u64, u64>,
    volunteers: HashMap<u64, Volunteer>,
    cards: Vec<(String, u64)>,
    names: HashMap<(u8, String), u64>,
    activities: HashMap<u64, Activity>,
    rewards: HashMap<u64, Reward>,
    staff: HashMap<StaffId, Staff>,
    settings: Settings,
    import_sources: Vec<String>,
    ops: HashMap<String, OpRecord>,
    shifts: HashMap<u64, Shift>,
    open_shifts: HashMap<u64, u64>,
    rules: crate::domain::Rules,
    day_totals: HashMap<(u64, i32), u32>,
    counted: HashMap<u64, u32>,
    held: std::collections::HashSet<u64>,
    pool: crate::domain::DonationPool,
    grants: HashMap<String, u64>,
    points: std::collections::BTreeMap<Vec<u8>, PointsRecord>,
}

pub(super) fn load_stored(store: &Store) -> Result<Stored, StoreError> {
    Ok(Stored {
        accounts: store.accounts().collect::<Result<_, _>>()?,
        stock: store.stocks().collect::<Result<_, _>>()?,
        reversed: store.reversals().collect::<Result<_, _>>()?,
        volunteers: store.volunteers().collect::<Result<_, _>>()?,
        cards: store.card_index().collect::<Result<_, _>>()?,
        names: store.names().map(|r| r.map(|(k, n, id)| ((k, n), id))).collect::<Result<_, _>>()?,
        activities: store.activities().collect::<Result<_, _>>()?,
        rewards: store.rewards().collect::<Result<_, _>>()?,
        staff: store.staff_members().map(|r| r.map(|s| (s.id.clone(), s))).collect::<Result<_, _>>()?,
        settings: store.settings()?,
        import_sources: store.import_sources()?,
        ops: store.ops().collect::<Result<_, _>>()?,
        shifts: store.shifts().collect::<Result<_, _>>()?,
        open_shifts: store.open_shifts().collect::<Result<_, _>>()?,
        rules: store.rules()?,
        day_totals: store.day_totals().collect::<Result<_, _>>()?,
        counted: store.counted_deposits().collect::<Result<_, _>>()?,
        held: store.held_deposits().collect::<Result<_, _>>()?,
        pool: store.pool()?,
        grants: store.grant_entries().collect::<Result<_, _>>()?,
        points: store.points_records().collect::<Result<_, _>>()?,
    })
}

pub(super) fn compare_projections(
    stored: &Stored,
    r: &Replay<'_>,
    import_sources: &[String],
    ops: &HashMap<String, OpRecord>,
    p: &mut Problems,
) {
    // Invariant 1 (totals and balance) and 5 (history): accounts equal the replay.
    for (id, got) in &stored.accounts {
        if got.totals.checked_balance().is_none() {
            p.add(1, format!("volunteer {id} has a negative balance"));
        }
        match r.accounts.get(id) {
            Some(expected) => {
                if expected.totals != got.totals {
                    p.add(
                        1,
                        format!(
                            "volunteer {id}: stored balance {} ≠ journal {}",
                            got.totals.balance(),
                            expected.totals.balance()
                        ),
                    );
                }
                if !expected.seqs().eq(got.seqs()) {
                    p.add(5, format!("history of volunteer {id}: {} entries stored, {} in the journal (or different ones)", got.len(), expected.len()));
                }
            }
            None => p.add(1, format!("volunteer {id} has a stored account but no journal entries")),
        }
    }
    let missing = r.accounts.keys().filter(|id| !stored.accounts.contains_key(id)).count();
    if missing > 0 {
        p.add(1, format!("{missing} accounts in the journal are missing from the store"));
    }

    // Invariant 2: stock.
    for (id, expected) in &r.stock {
        match stored.stock.get(id) {
            Some(got) if got == expected => {}
            Some(got) => p.add(2, format!("reward {id}: stored stock {got} ≠ journal {expected}")),
            None => p.add(2, format!("reward {id} has no stored stock")),
        }
    }
    if stored.stock.len() != r.stock.len() {
        p.add(2, format!("{} stock records stored, {} in the journal", stored.stock.len(), r.stock.len()));
    }

    // Invariant 3: the reversal index.
    if stored.reversed != r.reversed {
        p.add(
            3,
            format!("reversal index has {} entries, the journal {}", stored.reversed.len(), r.reversed.len()),
        );
    }

    // Invariant 5: every other projection equals the replay.
    if stored.shifts != r.shifts || stored.open_shifts != r.open_shifts {
        p.add(
            5,
            format!(
                "shifts differ from the journal ({} stored, {} open; the journal has {}, {} open)",
                stored.shifts.len(),
                stored.open_shifts.len(),
                r.shifts.len(),
                r.open_shifts.len()
            ),
        );
    }
    // Invariant 1 for points: no balance below zero; 5: every record as the replay made it.
    for (key, record) in &stored.points {
        if let PointsRecord::Account(a) = record
            && a.checked_balance().is_none()
        {
            p.add(1, format!("points account {} has a negative balance", points_key_name(key)));
        }
    }
    if stored.points != r.points {
        let differs = stored
            .points
            .iter()
            .find(|(k, v)| r.points.get(*k) != Some(*v))
            .or_else(|| r.points.iter().find(|(k, v)| stored.points.get(*k) != Some(*v)))
            .map(|(k, _)| points_key_name(k))
            .unwrap_or_default();
        p.add(
            5,
            format!(
                "the points records differ from the journal ({} stored; the journal makes {}; first at {differs})",
                stored.points.len(),
                r.points.len()
            ),
        );
    }
    if stored.grants != r.grants {
        p.add(
            5,
            format!(
                "the city grants journalled differ from the journal ({} stored; the journal has {})",
                stored.grants.len(),
                r.grants.len()
            ),
        );
    }
    if stored.rules != r.rules
        || stored.day_totals != r.day_totals
        || stored.counted != r.counted
        || stored.held != r.held
    {
        p.add(
            5,
            format!(
                "rules, day totals or held deposits differ from the journal ({} day totals and {} held stored; the journal has {} and {})",
                stored.day_totals.len(),
                stored.held.len(),
                r.day_totals.len(),
                r.held.len()
            ),
        );
    }
    for (id, v) in &r.volunteers {
        if stored.volunteers.get(id) != Some(v) {
            p.add(5, format!("volunteer {id} ({}) differs from the journal", v.card));
        }
    }
    if stored.volunteers.len() != r.volunteers.len() {
        p.add(
            5,
            format!(
                "{} volunteer records stored, {} in the journal",
                stored.volunteers.len(),
                r.volunteers.len()
            ),
        );
    }
    for (card, id) in &stored.cards {
        let expected = CardNo::parse(card).ok().and_then(|c| r.cards.get(&c).copied());
        if expected != Some(*id) {
            p.add(5, format!("card index entry {card} → {id} is not in the journal"));
        }
    }
    if stored.cards.len() != r.cards.len() {
        p.add(5, format!("card index has {} cards, the journal {}", stored.cards.len(), r.cards.len()));
    }
    if stored.import_sources != import_sources {
        p.add(5, "the list of import sources differs from the journal".into());
    }
    if &stored.ops != ops {
        p.add(
            5,
            format!(
                "operation ids: {} stored, {} in the journal (or they differ)",
                stored.ops.len(),
                ops.len()
            ),
        );
    }
    if stored.names != r.names {
        p.add(5, "the catalog name index differs from the journal".into());
    }
    if stored.activities != r.activities {
        p.add(5, "activities differ from the journal".into());
    }
    if stored.rewards != r.rewards {
        p.add(5, "rewards differ from the journal".into());
    }
    if stored.staff != r.staff {
        p.add(5, "staff records differ from the journal".into());
    }
    if stored.pool != r.pool {
        p.add(
            1,
            format!(
                "the donation pool holds {} (donated {}, granted {}); the journal says {} ({}, {})",
                stored.pool.balance(),
                stored.pool.donated,
                stored.pool.granted,
                r.pool.balance(),
                r.pool.donated,
                r.pool.granted
            ),
        );
    }
    if stored.settings != r.settings.unwrap_or_default() {
        p.add(5, "settings differ from the journal".into());
    }
}

/// A points record's key as a problem names it: its kind letter and the id after it.
fn points_key_name(key: &[u8]) -> String {
    let kind = key.first().map(|&b| char::from(b)).unwrap_or('?');
    let id = crate::domain::points::PointsKey::id_in(key);
    match id {
        Some(id) => format!("{kind}{id}"),
        None => kind.to_string(),
    }
}
