//! The city's escrow as this counter journals it (ARCHITECTURE.md §8). A volunteer's account here is
//! this counter's *share* of their hours, kept by the same never-negative rule as every
//! balance. A sync hands the share above a small float to the card's city pool on the server
//! (`RightsReleased`); a counter short of hours asks the pool for a grant and journals it
//! (`RightsGranted`) in the same commit as the operation that spends it. So no hour is ever
//! spendable at two counters at once, online or offline: the city module talks to the server,
//! this is the door it comes through.

use std::collections::BTreeSet;

use super::plan::{CityGrant, funding, read};
use super::{Bank, BankError, Committed, Need, require};
use crate::domain::{Actor, CardNo, EventKind, LedgerStore, Minutes, Rule, VolunteerId, money_lines};
use crate::store::{GrantIntent, Pending};

/// Volunteers a release entry names at most: a first sync of a large store is many entries of
/// bounded size rather than one huge one.
const RELEASE_LINES: usize = 1000;

/// What a sync did with a grant the server holds for this counter and no entry journals.
#[derive(Debug)]
pub enum Healing {
    /// Journalled now: the counter had asked for it and stopped before its commit.
    Journalled(Committed),
    /// Journalled before.
    Already,
    /// This counter never asked for that grant (or not for that card and those minutes).
    NotAsked,
}

/// How a grant's request proves, should this process stop after the city said yes and before
/// the grant is journalled, that this counter asked for it (see [`Bank::journal_grant`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asking {
    /// Through the city service: the request is signed with this counter's key and the service
    /// keeps the signature with the grant, which is proof enough; the local record needs no
    /// flush of its own (a durable write on every funded redemption's path), and becomes
    /// durable with the commit that journals the grant.
    Signed,
    /// Straight to the database (tools and benches holding the connection): the local record is
    /// the only proof, flushed before asking.
    Unsigned,
}

impl Bank {
    /// Hands every share above `float` minutes to the cards' city pools, journalled before the
    /// push that applies it to the pools: one `RightsReleased` entry per thousand volunteers.
    /// With `since`, only volunteers whose hours entries after that seq moved are looked at
    /// (everyone with `None`). Returns what was committed and the last seq looked at, the
    /// next call's `since`.
    pub fn release_to_city(
        &self,
        who: &Actor,
        float: Minutes,
        since: Option<u64>,
    ) -> Result<(Vec<Committed>, u64), BankError> {
        let last = self.last_seq()?;
        let candidates: BTreeSet<VolunteerId> = match since {
            None => {
                let mut all = BTreeSet::new();
                for item in self.store.account_totals() {
                    let (id, a) = item?;
                    if a.balance() > u64::from(float.get()) {
                        all.insert(id);
                    }
                }
                all
            }
            Some(since) => self.moved_since(since)?,
        };
        let candidates: Vec<VolunteerId> = candidates.into_iter().collect();
        let mut commits = Vec::new();
        for chunk in candidates.chunks(RELEASE_LINES) {
            let c = self.run(who, None, "release_to_city", &(chunk, float), |view| {
                require(view, who, Need::Staff, "hand hours to the city")?;
                let mut lines = Vec::new();
                for &id in chunk {
                    let share = read(view.account(id))?.balance();
                    let over = share.saturating_sub(u64::from(float.get()));
                    if over > 0 {
                        // An entry holds at most u32::MAX minutes: a share beyond that (some
                        // 8,000 years of service) goes in pieces, the rest at the next sync.
                        let minutes = Minutes::new(u32::try_from(over).unwrap_or(u32::MAX));
                        lines.push((id, minutes));
                    }
                }
                Ok(if lines.is_empty() {
                    Vec::new()
                } else {
                    vec![Pending::from(EventKind::RightsReleased { lines })]
                })
            })?;
            if !c.events.is_empty() {
                commits.push(c);
            }
        }
        Ok((commits, last))
    }

    /// Whether an entry after `from` up to `to` registers or edits a volunteer (a push of them
    /// may change the city's directory for this counter's own cards). A long range is taken to,
    /// without reading it: asking the directory once more costs less than decoding it.
    pub fn registered_between(&self, from: u64, to: u64) -> Result<bool, BankError> {
        if to <= from {
            return Ok(false);
        }
        if to - from > 10_000 {
            return Ok(true);
        }
        for event in self.store.journal_from(from + 1) {
            let event = event?;
            if event.seq() > to {
                break;
            }
            if matches!(event.kind(), EventKind::VolunteerRegistered(_) | EventKind::VolunteerEdited { .. }) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The volunteers whose balances entries after `since` moved.
    fn moved_since(&self, since: u64) -> Result<BTreeSet<VolunteerId>, BankError> {
        let mut out = BTreeSet::new();
        for event in self.store.journal_from(since + 1) {
            let event = event?;
            let lines = match event.kind() {
                EventKind::Reversed { target, .. } => money_lines(*target, self.event(*target)?.kind()),
                kind => money_lines(event.seq(), kind),
            };
            out.extend(lines.into_iter().filter(|(_, m)| *m != 0).map(|(v, _)| v));
        }
        Ok(out)
    }

    /// Records that this counter is about to ask the city for grant `id` of `minutes` from
    /// `card`'s pool: only such a grant — or one whose request the city holds signed by this
    /// counter — is ever journalled by a sync. Flushed before asking for an [`Asking::Unsigned`]
    /// request, where the record is the only proof.
    pub fn record_grant_intent(
        &self,
        id: &str,
        card: &CardNo,
        minutes: u64,
        asking: Asking,
    ) -> Result<(), BankError> {
        let intent = GrantIntent { card: card.to_string(), amount: minutes };
        Ok(self.store.record_grant_intent(id, &intent, asking == Asking::Unsigned)?)
    }

    /// Journals a grant the city server holds for this counter and this store never journalled
    /// (it stopped between the grant and the operation's commit): the hours join this counter's
    /// share, once — and only if this counter asked for exactly that grant (its intent, recorded
    /// before asking, names the card and the minutes). A grant row nobody here asked for is
    /// [`Healing::NotAsked`], never credited. `signed`: the city holds this counter's own
    /// signature over the request (checked by the caller), which stands for the intent a
    /// restore from an older backup lost.
    pub fn journal_grant(&self, who: &Actor, grant: &CityGrant, signed: bool) -> Result<Healing, BankError> {
        if self.store.grant_entry(&grant.id)?.is_some() {
            return Ok(Healing::Already);
        }
        let asked = self.store.grant_intent(&grant.id)?;
        let wanted = GrantIntent { card: grant.card.to_string(), amount: u64::from(grant.minutes.get()) };
        if asked.as_ref() != Some(&wanted) && !signed {
            return Ok(Healing::NotAsked);
        }
        let c = self.run(who, None, "journal_grant", grant, |view| {
            require(view, who, Need::Staff, "take hours from the city")?;
            funding(view, Some(grant))
        })?;
        Ok(if c.events.is_empty() { Healing::Already } else { Healing::Journalled(c) })
    }

    /// The entry that journalled city grant `id` here, if any.
    pub fn grant_entry(&self, id: &str) -> Result<Option<u64>, BankError> {
        Ok(self.store.grant_entry(id)?)
    }

    /// When this store was restored or recovered, if it has not caught up with its own chain
    /// on the city since: until then it spends nothing from its shares.
    pub fn city_catch_up(&self) -> Result<Option<crate::domain::Timestamp>, BankError> {
        Ok(self.store.city_catch_up()?)
    }

    /// Says this store holds its whole chain as the city does (a sync found nothing of its
    /// own there that it lacks).
    pub fn caught_up_with_city(&self) -> Result<(), BankError> {
        if self.store.city_catch_up()?.is_some() {
            self.store.set_city_catch_up(None)?;
        }
        Ok(())
    }

    /// Appends this counter's own events fetched back from the city (seq and stored bytes, in
    /// order, continuing this store's journal): each must link from the last and pass the
    /// ledger rules, as in a restore. For a store restored from a backup older than what it
    /// had pushed.
    pub fn append_own_from_city(&self, rows: &[(u64, Vec<u8>)]) -> Result<(), BankError> {
        let mut events = Vec::with_capacity(rows.len());
        for (seq, stored) in rows {
            let event =
                crate::store::decode_stored(*seq, stored).map_err(crate::store::StoreError::Corrupt)?;
            if event.seq() != *seq {
                return Err(Rule::UnknownEntry(*seq).into());
            }
            events.push((stored.clone(), event));
        }
        Ok(self.store.restore_events(&self.counter, &events)?)
    }

    /// This counter's share of `card`'s hours: what it may spend without the city.
    pub fn share(&self, card: &CardNo) -> Result<u64, BankError> {
        Ok(match self.store.volunteer_id_by_card(card)? {
            Some(id) => self.store.account(id)?.balance(),
            None => 0,
        })
    }

    /// The card whose hours reversing entry `target` takes back (a deposit, a gift received, a
    /// credit), if it takes any: whom a reversal may need a city grant for.
    pub fn reversal_debtor(&self, target: u64) -> Result<Option<CardNo>, BankError> {
        let event = self.event(target)?;
        let debtor = money_lines(target, event.kind()).into_iter().find(|(_, m)| *m > 0).map(|(v, _)| v);
        match debtor {
            Some(v) => Ok(self.store.volunteer(v)?.map(|v| v.card)),
            None => Ok(None),
        }
    }
}

/// The rule a spend short of hours broke: (share, needed), for the city module to ask the pool.
pub fn shortfall(e: &BankError) -> Option<(u64, u64)> {
    match e {
        // A credit's reversal short of its hours here: the rest may be in the card's pool.
        BankError::Rule(
            Rule::InsufficientBalance { balance, needed } | Rule::ReversalSpent { balance, needed, .. },
        ) => {
            let (b, n) = (u64::from(balance.get()), u64::from(needed.get()));
            (n > b).then_some((b, n))
        }
        _ => None,
    }
}
