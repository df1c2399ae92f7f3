//! The crediting rules as the bank applies them: every deposit path (counter, batch, command
//! line, import, kiosk check-out, shift review) shapes its minutes with [`shape_deposit`] and
//! lets [`plan_deposit`] decide between crediting now and holding for an admin. The caps
//! themselves are ledger invariants, checked by `domain::ledger::apply` in the same commit.

use super::{Bank, BankError, Need, require};
use crate::domain::ledger::ApplyError;
use crate::domain::{
    ActivityId, Actor, Day, DomainError, Event, EventKind, Flow, LedgerStore, Minutes, Role, Rule, Rules,
    Settings, VolunteerId, expiring_flows, flow,
};
use crate::store::{Committed, Pending, TxFail, TxView};

type PlanResult<T> = Result<T, ApplyError<TxFail>>;

/// The minutes a deposit of `served` minutes for `activity` credits under the current rules:
/// the category's multiplier, the rounding, then the per-entry cap.
pub(super) fn shape_deposit(view: &TxView<'_>, activity: ActivityId, served: Minutes) -> PlanResult<Minutes> {
    let store = |e| ApplyError::Store(e);
    let rules = view.rules().map_err(store)?;
    let category = view
        .activity(activity)
        .map_err(store)?
        .ok_or_else(|| Rule::UnknownActivity(activity.to_string()))?
        .category;
    let credited = rules.credit(served, &category).map_err(Rule::Invalid)?;
    let cap = view.settings().map_err(store)?.entry_cap;
    Ok(credited.entry(cap).map_err(Rule::Invalid)?)
}

/// New hours are not recorded for a retired activity (what was begun before it retired — a
/// held deposit, an open shift — is still decided and credited).
pub(super) fn refuse_retired(view: &TxView<'_>, activity: ActivityId) -> PlanResult<()> {
    if view.activity_retired(activity).map_err(ApplyError::Store)? {
        let name = view.activity(activity).map_err(ApplyError::Store)?.map(|a| a.name.to_string());
        return Err(Rule::ActivityRetired(name.unwrap_or_else(|| activity.to_string())).into());
    }
    Ok(())
}

/// A deposit as the rules want it recorded: credited now, or held when it is over the approval
/// threshold and whoever records it is not an admin (an admin recording it is the approval).
pub(super) fn plan_deposit(
    view: &TxView<'_>,
    role: Role,
    volunteer: VolunteerId,
    activity: ActivityId,
    served: Minutes,
    served_on: Day,
    note: &str,
) -> PlanResult<Vec<Pending>> {
    refuse_retired(view, activity)?;
    let minutes = shape_deposit(view, activity, served)?;
    let rules = view.rules().map_err(ApplyError::Store)?;
    let note = note.to_string();
    let mut planned = if role != Role::Admin && rules.needs_approval(minutes) {
        vec![Pending::from(EventKind::DepositHeld { volunteer, activity, minutes, served_on, note })]
    } else {
        vec![Pending::from(EventKind::Deposited { volunteer, activity, minutes, served_on, note })]
    };
    // Credited other than served: what was served, and why, goes right after it (after a held
    // deposit too, so that its approval later states both).
    if minutes != served {
        let category =
            view.activity(activity).map_err(ApplyError::Store)?.map(|a| a.category).unwrap_or_default();
        let percent = rules.multiplier(&category);
        planned.push(Pending::from(EventKind::ServiceShaped { served, percent }));
    }
    Ok(planned)
}

/// The day cap over the card's service day at every counter: this counter's own total (what
/// `ledger::apply` checks) plus `elsewhere`, the other counters' as the city says. Only the
/// deposit's commit can know the city's figure, so this is checked here, online, and not on
/// replay.
pub(super) fn within_city_day(
    view: &TxView<'_>,
    pending: &Pending,
    volunteer: VolunteerId,
    day: Day,
    elsewhere: u32,
) -> PlanResult<()> {
    let EventKind::Deposited { minutes, .. } = &pending.kind else { return Ok(()) };
    let Some(cap) = view.rules().map_err(ApplyError::Store)?.day_cap else { return Ok(()) };
    if elsewhere == 0 {
        return Ok(());
    }
    let already = view.day_total(volunteer, day).map_err(ApplyError::Store)?.saturating_add(elsewhere);
    if already.saturating_add(minutes.get()) > cap.get() {
        return Err(Rule::OverDayCap {
            day: day.to_string(),
            already: Minutes::new(already),
            minutes: *minutes,
            cap,
        }
        .into());
    }
    Ok(())
}

/// A deposit waiting for approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldDeposit {
    pub seq: u64,
    /// Who recorded it.
    pub recorded_by: Actor,
    pub volunteer: VolunteerId,
    pub activity: ActivityId,
    pub minutes: Minutes,
    pub served_on: Day,
}

/// Hours that expire for one volunteer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    pub volunteer: VolunteerId,
    pub minutes: Minutes,
}

/// What `expire` would do (or did): the cutoff and the volunteers whose hours expire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiryPlan {
    pub cutoff: Day,
    pub expiries: Vec<Expiry>,
}

impl ExpiryPlan {
    pub fn total(&self) -> u64 {
        self.expiries.iter().map(|e| u64::from(e.minutes.get())).sum()
    }
}

/// Volunteers expired per commit: one transaction per chunk keeps each flush short.
const EXPIRY_CHUNK: usize = 500;

impl Bank {
    pub fn rules(&self) -> Result<Rules, BankError> {
        Ok(self.store.rules()?)
    }

    /// An admin sets the crediting rules (journalled as `RulesChanged`).
    pub fn change_rules(&self, who: &Actor, op: Option<&str>, rules: &Rules) -> Result<Committed, BankError> {
        rules.validate()?;
        self.run(who, op, "change_rules", rules, |view| {
            require(view, who, Need::Admin, "change the rules")?;
            Ok(vec![EventKind::RulesChanged(rules.clone()).into()])
        })
    }

    /// The per-entry cap and the transfer limit (journalled as `SettingsChanged`).
    pub fn settings(&self) -> Result<Settings, BankError> {
        Ok(self.store.settings()?)
    }

    /// The crediting rules and the two limits kept in the settings, changed in one commit:
    /// admins see them as one list (the rules tab, `hourbank rules`), so a save is all of it
    /// or none of it. `None` leaves that part as it is.
    pub fn change_rules_and_settings(
        &self,
        who: &Actor,
        op: Option<&str>,
        rules: Option<&Rules>,
        settings: Option<Settings>,
    ) -> Result<Committed, BankError> {
        if let Some(r) = rules {
            r.validate()?;
        }
        if let Some(s) = settings {
            s.entry_cap.entry(Minutes::new(u32::MAX))?;
            s.transfer_limit.entry(Minutes::new(u32::MAX))?;
        }
        self.run(who, op, "change_rules_and_settings", &(rules, settings), |view| {
            require(view, who, Need::Admin, "change the rules")?;
            let mut events = Vec::new();
            if let Some(s) = settings {
                events.push(EventKind::SettingsChanged(s).into());
            }
            if let Some(r) = rules {
                events.push(EventKind::RulesChanged(r.clone()).into());
            }
            Ok(events)
        })
    }

    /// Deposits waiting for an admin, oldest first.
    pub fn held_deposits(&self) -> Result<Vec<HeldDeposit>, BankError> {
        let mut out = Vec::new();
        for seq in self.store.held_deposits() {
            let seq = seq?;
            let event = self.event(seq)?;
            if let EventKind::DepositHeld { volunteer, activity, minutes, served_on, .. } = *event.kind() {
                let recorded_by = event.body.actor.clone();
                out.push(HeldDeposit { seq, volunteer, activity, minutes, served_on, recorded_by });
            }
        }
        Ok(out)
    }

    /// An admin approves (credits, as held, dated the day served) or rejects a held deposit;
    /// a reason is required either way.
    pub fn decide_deposit(
        &self,
        who: &Actor,
        held: u64,
        approved: bool,
        reason: &str,
    ) -> Result<Committed, BankError> {
        let reason = crate::domain::parse_text(reason, crate::domain::MAX_NOTE_CHARS)?;
        if reason.trim().is_empty() {
            return Err(DomainError::ReasonRequired.into());
        }
        self.run(who, None, "decide_deposit", &(held, approved, &reason), |view| {
            require(view, who, Need::Admin, "approve deposits")?;
            let entry = view.entry(held).map_err(ApplyError::Store)?.ok_or(Rule::NotHeld(held))?;
            let EventKind::DepositHeld { volunteer, activity, minutes, served_on, note } = entry.body.kind
            else {
                return Err(Rule::NotHeld(held).into());
            };
            let mut events =
                vec![Pending::from(EventKind::DepositDecided { held, approved, reason: reason.clone() })];
            if approved {
                let note = if note.is_empty() { format!("#{held}") } else { format!("#{held} {note}") };
                events.push(Pending::from(EventKind::Deposited {
                    volunteer,
                    activity,
                    minutes,
                    served_on,
                    note,
                }));
            }
            Ok(events)
        })
    }

    /// What would expire on `today` under the current rules (`None` when expiry is off).
    pub fn expiry_plan(&self, today: Day) -> Result<Option<ExpiryPlan>, BankError> {
        let Some(cutoff) = self.rules()?.expiry_cutoff(today) else { return Ok(None) };
        let mut expiries = Vec::new();
        for item in self.store.accounts() {
            let (volunteer, record) = item?;
            if record.totals.balance() == 0 {
                continue;
            }
            let found = expiry_from(
                volunteer,
                record.seqs(),
                cutoff,
                |seq| self.event(seq).map(Some),
                |seq| Ok::<_, BankError>(self.store.reversed_by(seq)?.is_some()),
            )?;
            expiries.extend(found);
        }
        Ok(Some(ExpiryPlan { cutoff, expiries }))
    }

    /// Records what `expiry_plan` lists, each volunteer's amount computed again inside the
    /// commit's transaction: a redemption a moment earlier used the oldest hours first, so it
    /// lowers what expires, and the two can never together take more than was there.
    pub fn expire(&self, who: &Actor, today: Day) -> Result<ExpiryPlan, BankError> {
        let plan = self.expiry_plan(today)?.ok_or(Rule::NotPermitted("expire hours: expiry is off"))?;
        let cutoff = plan.cutoff;
        let mut done = Vec::new();
        for chunk in plan.expiries.chunks(EXPIRY_CHUNK) {
            let volunteers: Vec<VolunteerId> = chunk.iter().map(|e| e.volunteer).collect();
            let committed = self.run(who, None, "expire", &(cutoff, &volunteers), |view| {
                require(view, who, Need::Admin, "expire hours")?;
                let mut events = Vec::new();
                for &volunteer in &volunteers {
                    let seqs = view.history(volunteer).map_err(ApplyError::Store)?;
                    let found = expiry_from(
                        volunteer,
                        seqs,
                        cutoff,
                        |seq| view.entry(seq),
                        |seq| Ok(view.reversed_by(seq)?.is_some()),
                    )
                    .map_err(ApplyError::Store)?;
                    if let Some(e) = found {
                        events.push(Pending::from(EventKind::Expired {
                            volunteer,
                            minutes: e.minutes,
                            cutoff,
                        }));
                    }
                }
                Ok(events)
            })?;
            done.extend(committed.events.iter().filter_map(|e| match *e.kind() {
                EventKind::Expired { volunteer, minutes, .. } => Some(Expiry { volunteer, minutes }),
                _ => None,
            }));
        }
        Ok(ExpiryPlan { cutoff, expiries: done })
    }
}

/// One volunteer's expiry, from their entries as `entry` reads them (`None`: not there) and
/// `reversed` says which were reversed — the same walk over the store or inside a commit.
fn expiry_from<E>(
    volunteer: VolunteerId,
    seqs: impl IntoIterator<Item = u64>,
    cutoff: Day,
    mut entry: impl FnMut(u64) -> Result<Option<Event>, E>,
    mut reversed: impl FnMut(u64) -> Result<bool, E>,
) -> Result<Option<Expiry>, E> {
    let mut flows: Vec<Flow> = Vec::new();
    for seq in seqs {
        let Some(event) = entry(seq)? else { continue };
        // Reversed entries move nothing, and neither do reversals.
        if event.kind().is_reversible() && reversed(seq)? {
            continue;
        }
        flows.extend(flow(volunteer, event.kind(), super::local_day(event.body.at)));
    }
    Ok(expiry(volunteer, flows, cutoff))
}

fn expiry(volunteer: VolunteerId, flows: Vec<Flow>, cutoff: Day) -> Option<Expiry> {
    let minutes = expiring_flows(flows, cutoff);
    (minutes > 0)
        .then(|| Expiry { volunteer, minutes: Minutes::new(u32::try_from(minutes).unwrap_or(u32::MAX)) })
}

/// What a deposit needs besides the money rules of `ledger::apply`, whichever way it comes in
/// (the counter, a batch, the command line, an import): a service day that is not in the
/// future, and a volunteer who is active. One definition, so an import cannot accept what the
/// counter refuses.
pub(super) fn depositable(
    volunteer: &crate::domain::Volunteer,
    served_on: Day,
    today: Day,
) -> Result<(), Rule> {
    depositable_when(volunteer.active, &volunteer.card, served_on, today)
}

/// `depositable`, from what it reads of the volunteer (an import keeps only that).
pub(super) fn depositable_when(
    active: bool,
    card: &crate::domain::CardNo,
    served_on: Day,
    today: Day,
) -> Result<(), Rule> {
    if served_on > today {
        return Err(Rule::FutureDate(served_on.to_string()));
    }
    if !active {
        return Err(Rule::VolunteerInactive(card.to_string()));
    }
    Ok(())
}
