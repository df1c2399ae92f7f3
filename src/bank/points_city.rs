//! The civic points through the city's escrow (ARCHITECTURE.md §9), as the hours go through it
//! (`shares`): a person's points account here is this counter's *share*; a sync hands what is
//! above a small float to the card's city pool (`PointsReleased`), and a counter short of points
//! for a redemption takes a grant from the pool, journalled (`PointsGranted`) in the commit of
//! the redemption that spends it. So no point is spendable at two counters at once. An admin
//! may keep the scheme to this counter's community: then nothing goes to the pool and nothing
//! comes from it (a ledger rule, so the city service refuses it at its door too).

use serde::Serialize;

use super::plan::{card_owner, read};
use super::{Bank, BankError, Committed, Healing, Need, require};
use crate::domain::points::{PointsKey, PointsRecord, tag};
use crate::domain::points_ledger as ledger;
use crate::domain::{Actor, CardNo, EventKind, LedgerStore, Points, PointsRule, Rule, VolunteerId};
use crate::store::{GrantIntent, Pending, TxView};

/// Points a person keeps at the counter where they were credited at each sync: what an
/// exchange day there spends with the city unreachable. About a month of a resident's coupons
/// and a few bags of rice; the rest goes to the city pool, spendable anywhere.
pub const POINTS_FLOAT: u32 = 100;

/// People a release entry names at most.
const RELEASE_LINES: usize = 1000;

/// Points the card's city pool granted this counter (the city's grant `id`), journalled in the
/// commit of the redemption that spends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PointsGrant {
    pub id: String,
    pub card: CardNo,
    pub points: Points,
}

/// The `PointsGranted` entry that puts `grant` into a commit, first; nothing when a sync
/// journalled it already.
pub(super) fn points_funding(
    view: &TxView<'_>,
    grant: Option<&PointsGrant>,
) -> super::plan::PlanResult<Vec<Pending>> {
    let Some(g) = grant else { return Ok(Vec::new()) };
    if read(view.points(&PointsKey::Grant(g.id.clone())))?.is_some() {
        return Ok(Vec::new());
    }
    let (person, _) = card_owner(view, &g.card, false)?;
    Ok(vec![Pending::from(EventKind::PointsGranted { person, points: g.points, grant: g.id.clone() })])
}

impl Bank {
    /// Whether an admin keeps this counter's points scheme to its own community.
    pub fn points_kept_local(&self) -> Result<bool, BankError> {
        Ok(matches!(self.points_record(&PointsKey::KeptLocal)?, Some(PointsRecord::Number(1))))
    }

    /// Keeps this counter's points scheme to its own community (`local`), or opens it to the
    /// city. What was handed to the pools before stays there, spendable at the other counters;
    /// from then on nothing more goes or comes.
    pub fn keep_points_local(&self, who: &Actor, local: bool) -> Result<Committed, BankError> {
        self.run(who, None, "keep_points_local", &local, |view| {
            require(view, who, Need::Admin, "keep the points scheme to this community")?;
            Ok(vec![Pending::from(EventKind::PointsSchemeKept { local })])
        })
    }

    /// Hands every person's points above [`POINTS_FLOAT`] to their card's city pool,
    /// journalled before the push that applies it to the pools. Nothing when the scheme is kept
    /// local. With `since` (the last seq the previous round looked at, as for the hours), the
    /// accounts are read only if an entry after it could have added points: a sync round runs
    /// every few seconds, and most rounds journal nothing. Returns what was committed.
    pub fn release_points_to_city(
        &self,
        who: &Actor,
        since: Option<u64>,
    ) -> Result<Vec<Committed>, BankError> {
        if self.points_kept_local()? || !self.points_may_have_grown(since)? {
            return Ok(Vec::new());
        }
        let mut over: Vec<VolunteerId> = Vec::new();
        for item in self.store.points_records_tagged(tag::ACCOUNT) {
            let (key, record) = item?;
            if let (Some(id), PointsRecord::Account(a)) = (PointsKey::id_in(&key), record)
                && a.balance() > u64::from(POINTS_FLOAT)
            {
                over.push(id);
            }
        }
        let mut commits = Vec::new();
        for chunk in over.chunks(RELEASE_LINES) {
            let c = self.run(who, None, "release_points_to_city", &chunk, |view| {
                require(view, who, Need::Staff, "hand points to the city")?;
                let mut lines = Vec::new();
                for &id in chunk {
                    let share = read(ledger::account(view, id))?.balance();
                    let above = share.saturating_sub(u64::from(POINTS_FLOAT));
                    if above > 0 {
                        lines.push((id, Points::new(u32::try_from(above).unwrap_or(u32::MAX))));
                    }
                }
                Ok(if lines.is_empty() {
                    Vec::new()
                } else {
                    vec![Pending::from(EventKind::PointsReleased { lines })]
                })
            })?;
            if !c.events.is_empty() {
                commits.push(c);
            }
        }
        Ok(commits)
    }

    /// Whether this counter runs civic points at all: a standard published here, or a reward
    /// priced in points (an exchange station). Its pages ask the city for the points pool;
    /// other counters' do not.
    pub fn runs_points(&self) -> Result<bool, BankError> {
        if self.points_record(&PointsKey::Versions)?.is_some() {
            return Ok(true);
        }
        Ok(self.store.points_records_tagged(tag::PRICE).next().transpose()?.is_some())
    }

    /// Whether an entry after `since` could have added points to a share (a credit, an
    /// approval, a grant, a reversal); always with `None`.
    fn points_may_have_grown(&self, since: Option<u64>) -> Result<bool, BankError> {
        let Some(since) = since else { return Ok(true) };
        for event in self.store.journal_from(since + 1) {
            if matches!(
                event?.kind(),
                EventKind::PointsCredited { .. }
                    | EventKind::PointsReviewed { .. }
                    | EventKind::PointsGranted { .. }
                    | EventKind::Reversed { .. }
                    | EventKind::PointsSchemeKept { .. }
            ) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// This counter's share of `card`'s points: what it may spend without the city.
    pub fn points_share(&self, card: &CardNo) -> Result<u64, BankError> {
        Ok(match self.store.volunteer_id_by_card(card)? {
            Some(id) => self.points_account(id)?.balance(),
            None => 0,
        })
    }

    /// Records that this counter is about to ask the city for points grant `id` (see
    /// [`Bank::record_grant_intent`]).
    pub fn record_points_grant_intent(
        &self,
        id: &str,
        card: &CardNo,
        points: u64,
        asking: super::Asking,
    ) -> Result<(), BankError> {
        let intent = GrantIntent { card: card.to_string(), amount: points };
        Ok(self.store.record_grant_intent(id, &intent, asking == super::Asking::Unsigned)?)
    }

    /// Journals a points grant the city holds for this counter and this store never journalled
    /// (it stopped between the grant and the redemption's commit) — only if this counter asked
    /// for exactly that grant, or `signed` (the city holds this counter's signature over the
    /// request). See [`Bank::journal_grant`], its hours' twin.
    pub fn journal_points_grant(
        &self,
        who: &Actor,
        grant: &PointsGrant,
        signed: bool,
    ) -> Result<Healing, BankError> {
        if self.points_record(&PointsKey::Grant(grant.id.clone()))?.is_some() {
            return Ok(Healing::Already);
        }
        let asked = self.store.grant_intent(&grant.id)?;
        let wanted = GrantIntent { card: grant.card.to_string(), amount: u64::from(grant.points.get()) };
        if asked.as_ref() != Some(&wanted) && !signed {
            return Ok(Healing::NotAsked);
        }
        let c = self.run(who, None, "journal_points_grant", grant, |view| {
            require(view, who, Need::Staff, "take points from the city")?;
            points_funding(view, Some(grant))
        })?;
        Ok(if c.events.is_empty() { Healing::Already } else { Healing::Journalled(c) })
    }
}

/// The points rule a redemption short of points broke: (share, needed), for the city module
/// to ask the pool for the rest.
pub fn points_shortfall(e: &BankError) -> Option<(u64, u64)> {
    match e {
        BankError::Rule(Rule::Points(PointsRule::InsufficientPoints { balance, needed })) => {
            (needed > balance).then_some((*balance, *needed))
        }
        _ => None,
    }
}

/// One line of the city's `hb_points_moves`: points a counter handed to a card's pool
/// (`points_release`), or a grant from it the counter journalled (`points_grant`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsMoveRow {
    pub seq: u64,
    pub line: u32,
    pub kind: &'static str,
    pub card: String,
    pub points: i64,
    pub grant: Option<String>,
}

impl PointsMoveRow {
    /// What the move does to the card's points pool: a release adds to it, a grant takes.
    pub fn to_pool(&self) -> i64 {
        if self.grant.is_some() { -self.points } else { self.points }
    }
}

/// What a push's batch does to the civic points at the city: the moves between shares and
/// pools (`hb_points_moves`), and every change to this counter's share of a card (the points
/// the directory publishes beside the hours, ARCHITECTURE.md §9).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PointsRows {
    pub moves: Vec<PointsMoveRow>,
    /// Each change to the pushing counter's points share of a card, signed: credits, approvals,
    /// grants and reversed redemptions add; redemptions, releases and reversed credits take.
    pub shares: Vec<(String, i64)>,
}

impl PointsRows {
    pub fn clear(&mut self) {
        self.moves.clear();
        self.shares.clear();
    }
}

/// The points rows of `event` (`target`: the entry it reverses, if it is a reversal) added to
/// `rows`; whether it is a points entry (which has no hours rows). `card` names a person's card
/// and community; `entry` reads an earlier entry of the same chain (the credit a review decides).
pub(super) fn points_rows(
    event: &crate::domain::Event,
    target: Option<&crate::domain::Event>,
    card: &mut dyn FnMut(VolunteerId) -> Result<(String, String), BankError>,
    entry: &dyn Fn(u64) -> Result<crate::domain::Event, BankError>,
    rows: &mut PointsRows,
) -> Result<bool, BankError> {
    let seq = event.seq();
    let kind = event.kind().name();
    let mut share = |person: VolunteerId, points: Points, sign: i64| -> Result<String, BankError> {
        let c = card(person)?.0;
        rows.shares.push((c.clone(), sign * i64::from(points.get())));
        Ok(c)
    };
    let mut moves = Vec::new();
    match (event.kind(), target.map(|t| t.kind())) {
        (EventKind::PointsReleased { lines }, _) => {
            for (line, (person, points)) in lines.iter().enumerate() {
                moves.push((line, share(*person, *points, -1)?, *points, None));
            }
        }
        (EventKind::PointsGranted { person, points, grant }, _) => {
            moves.push((0, share(*person, *points, 1)?, *points, Some(grant.clone())));
        }
        (EventKind::PointsCredited { person, points, review, .. }, _) => {
            // A credit waiting for review is in no balance until approved.
            if !review {
                share(*person, *points, 1)?;
            }
        }
        (EventKind::PointsReviewed { credit, verdict, .. }, _) => {
            if *verdict == crate::domain::Verdict::Approved
                && let EventKind::PointsCredited { person, points, .. } = entry(*credit)?.kind()
            {
                share(*person, *points, 1)?;
            }
        }
        (EventKind::PointsRedeemed { person, points, .. }, _) => {
            share(*person, *points, -1)?;
        }
        (EventKind::Reversed { .. }, Some(EventKind::PointsCredited { person, points, .. })) => {
            share(*person, *points, -1)?;
        }
        (EventKind::Reversed { .. }, Some(EventKind::PointsRedeemed { person, points, .. })) => {
            share(*person, *points, 1)?;
        }
        _ => return Ok(false),
    }
    rows.moves.extend(moves.into_iter().map(|(line, card, points, grant)| PointsMoveRow {
        seq,
        line: line as u32,
        kind,
        card,
        points: i64::from(points.get()),
        grant,
    }));
    Ok(true)
}

/// Each card's points at one counter, from that counter's whole chain read in seq order and
/// derived as its pushes derive them ([`points_rows`]): what the city fills the directory's
/// points with once, for a city whose shares were published before they carried points.
#[derive(Default)]
pub struct ChainPoints {
    /// Each person's card, from their registration and edits.
    cards: std::collections::HashMap<VolunteerId, String>,
    /// The entries a later one may cite: points credits (a review) and redemptions (a reversal).
    cited: std::collections::HashMap<u64, crate::domain::Event>,
    rows: PointsRows,
}

impl ChainPoints {
    /// The stored event `value` at `seq`, next in the chain.
    pub fn add(&mut self, seq: u64, value: &[u8]) -> Result<(), BankError> {
        let event = crate::store::decode_stored(seq, value).map_err(crate::store::StoreError::Corrupt)?;
        match event.kind() {
            EventKind::VolunteerRegistered(v) | EventKind::ResidentRegistered { record: v, .. } => {
                self.cards.insert(seq, v.card.to_string());
            }
            EventKind::VolunteerEdited { id, record } => {
                self.cards.insert(*id, record.card.to_string());
            }
            EventKind::PointsCredited { .. } | EventKind::PointsRedeemed { .. } => {
                self.cited.insert(seq, event.clone());
            }
            _ => {}
        }
        let target = match event.kind() {
            EventKind::Reversed { target, .. } => self.cited.get(target),
            _ => None,
        };
        let cards = &self.cards;
        let card = &mut |id: VolunteerId| {
            cards.get(&id).map(|c| (c.clone(), String::new())).ok_or(Rule::UnknownVolunteer(id).into())
        };
        let cited = &self.cited;
        let entry = &|s: u64| cited.get(&s).cloned().ok_or(Rule::UnknownEntry(s).into());
        points_rows(&event, target, card, entry, &mut self.rows)?;
        Ok(())
    }

    /// Each card's points share at this counter and what it handed the card's points pool, net
    /// of the grants it journalled.
    pub fn by_card(&self) -> std::collections::BTreeMap<String, (i64, i64)> {
        let mut out: std::collections::BTreeMap<String, (i64, i64)> = std::collections::BTreeMap::new();
        for (card, change) in &self.rows.shares {
            out.entry(card.clone()).or_default().0 += change;
        }
        for m in &self.rows.moves {
            out.entry(m.card.clone()).or_default().1 += m.to_pool();
        }
        out
    }
}
