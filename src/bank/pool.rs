//! The donation pool (爱心池 / 公益时间池): volunteers give hours to the bank, admins grant them
//! to people in need — a resident who cannot volunteer — with the reason. The pool is a ledger
//! of its own inside the journal: `Donated` and `PoolGranted` entries, reversible like the
//! others, and a balance that never goes below zero (checked in `domain::ledger::apply`).

use serde::Serialize;

use super::plan::{capped, card_owner, read, rule};
use super::{Bank, BankError, Need, require};
use crate::domain::{Actor, CardNo, EventKind, LedgerStore, Minutes, Pool, Rule, Timestamp, VolunteerId};
use crate::store::{Committed, Pending};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Donation {
    pub card: CardNo,
    pub minutes: Minutes,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolGrant {
    pub card: CardNo,
    pub minutes: Minutes,
    pub reason: String,
}

/// One entry that moved pool hours: `delta` is the change to the pool (a donation adds, a grant
/// takes; a reversal undoes either).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolLine {
    pub seq: u64,
    pub at: Timestamp,
    pub card: String,
    pub delta: i64,
    /// The donor's note, the grant's reason, or `#seq reason` of a reversal.
    pub memo: String,
    pub actor: String,
}

/// The pool's totals and its entries, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolView {
    pub pool: Pool,
    pub lines: Vec<PoolLine>,
}

impl Bank {
    /// A volunteer gives hours to the pool: at the counter (staff, for the volunteer in front
    /// of them), at the kiosk (the volunteer, after their PIN) or from the command line.
    pub fn donate(&self, who: &Actor, op: Option<&str>, d: &Donation) -> Result<Committed, BankError> {
        self.donate_or_preview(who, op, d, None, false)
    }

    /// [`Bank::donate`] giving hours the city pool granted to the donor for it.
    pub fn donate_funded(
        &self,
        who: &Actor,
        op: Option<&str>,
        d: &Donation,
        grant: Option<&super::CityGrant>,
    ) -> Result<Committed, BankError> {
        self.donate_or_preview(who, op, d, grant, false)
    }

    /// What [`Bank::donate`] would do now, nothing written (the confirm step's dry run).
    pub fn preview_donation(&self, who: &Actor, d: &Donation) -> Result<Committed, BankError> {
        self.donate_or_preview(who, None, d, None, true)
    }

    fn donate_or_preview(
        &self,
        who: &Actor,
        op: Option<&str>,
        d: &Donation,
        grant: Option<&super::CityGrant>,
        preview: bool,
    ) -> Result<Committed, BankError> {
        let note = crate::domain::parse_text(&d.note, crate::domain::MAX_NOTE_CHARS)?;
        let plan = |view: &crate::store::TxView<'_>| {
            // A volunteer at the kiosk gives their own hours; the kiosk knows whose card it is.
            if *who != Actor::SelfService {
                require(view, who, Need::Staff, "record a donation")?;
            }
            let mut events = super::plan::funding(view, grant)?;
            let (volunteer, _) = card_owner(view, &d.card, false)?;
            let minutes = capped(view, d.minutes)?;
            events.push(Pending::from(EventKind::Donated { volunteer, minutes, note: note.clone() }));
            Ok(events)
        };
        self.run_or_preview(who, op, "donate", d, plan, preview)
    }

    /// An admin grants pool hours to a person in need, with the reason.
    pub fn grant_from_pool(
        &self,
        who: &Actor,
        op: Option<&str>,
        g: &PoolGrant,
    ) -> Result<Committed, BankError> {
        self.grant_or_preview(who, op, g, false)
    }

    /// What [`Bank::grant_from_pool`] would do now, nothing written.
    pub fn preview_grant(&self, who: &Actor, g: &PoolGrant) -> Result<Committed, BankError> {
        self.grant_or_preview(who, None, g, true)
    }

    fn grant_or_preview(
        &self,
        who: &Actor,
        op: Option<&str>,
        g: &PoolGrant,
        preview: bool,
    ) -> Result<Committed, BankError> {
        let reason = crate::domain::parse_reason(&g.reason)?;
        let plan = |view: &crate::store::TxView<'_>| {
            require(view, who, Need::Admin, "grant hours from the donation pool")?;
            let (volunteer, _) = card_owner(view, &g.card, true)?;
            let minutes = capped(view, g.minutes)?;
            let pool = read(view.pool())?;
            if pool.balance() < u64::from(minutes.get()) {
                return Err(rule(Rule::InsufficientPool {
                    pool: crate::domain::ledger::clamp_minutes(pool.balance()),
                    needed: minutes,
                }));
            }
            Ok(vec![Pending::from(EventKind::PoolGranted { volunteer, minutes, reason: reason.clone() })])
        };
        self.run_or_preview(who, op, "grant", g, plan, preview)
    }

    /// The pool's totals, as stored (one read).
    pub fn pool(&self) -> Result<Pool, BankError> {
        Ok(self.store.pool()?)
    }

    /// The pool's totals and every entry that moved them (one journal pass).
    pub fn pool_view(&self) -> Result<PoolView, BankError> {
        let mut lines = Vec::new();
        for item in self.store.journal_from(1) {
            let event = item?;
            let (delta, volunteer, memo) = match event.kind() {
                EventKind::Reversed { target, reason } => match pool_change(self.event(*target)?.kind()) {
                    Some((delta, volunteer, _)) => (-delta, volunteer, format!("#{target} {reason}")),
                    None => continue,
                },
                kind => match pool_change(kind) {
                    Some(change) => change,
                    None => continue,
                },
            };
            lines.push(PoolLine {
                seq: event.seq(),
                at: event.body.at,
                card: self.card_of(volunteer)?,
                delta,
                memo,
                actor: event.body.actor.to_string(),
            });
        }
        Ok(PoolView { pool: self.pool()?, lines })
    }
}

/// What an entry does to the pool: its change, the volunteer on the other side, and its memo.
pub fn pool_change(kind: &EventKind) -> Option<(i64, VolunteerId, String)> {
    match kind {
        EventKind::Donated { volunteer, minutes, note } => {
            Some((i64::from(minutes.get()), *volunteer, note.clone()))
        }
        EventKind::PoolGranted { volunteer, minutes, reason } => {
            Some((-i64::from(minutes.get()), *volunteer, reason.clone()))
        }
        _ => None,
    }
}
