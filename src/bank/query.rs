//! Read-only questions the counter and the CLI ask: who owns this card, what is the balance,
//! what happened to this volunteer, what is in the catalog.

use super::{Bank, BankError};
use crate::domain::{
    Account, Activity, ActivityId, CardNo, Event, EventKind, NameKind, Reward, RewardId, Rule, Staff,
    Volunteer, VolunteerId,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolunteerView {
    pub id: VolunteerId,
    pub volunteer: Volunteer,
    pub account: Account,
}

/// One line of a volunteer's history, as the passbook shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub seq: u64,
    pub event: Event,
    /// Signed change to this volunteer's balance, in minutes.
    pub delta: i64,
    /// Activity, reward, counterpart or reason, in words.
    pub memo: String,
    pub reversed_by: Option<u64>,
}

/// History is in entry order — the order a passbook is written in — so the running balance
/// after each line is the balance the volunteer had at that moment. Each line is dated by the
/// day it was recorded (which never goes back in entry order); a deposit for service on an
/// earlier day also shows that service date ([`HistoryLine::served_apart`]).
impl HistoryLine {
    /// The local day the entry was recorded.
    pub fn recorded_on(&self) -> crate::domain::Day {
        super::local_day(self.event.body.at)
    }

    /// The service date of a deposit.
    pub fn served_on(&self) -> Option<crate::domain::Day> {
        match self.event.kind() {
            EventKind::Deposited { served_on, .. } | EventKind::DepositHeld { served_on, .. } => {
                Some(*served_on)
            }
            _ => None,
        }
    }

    /// The service date, when it is not the day the entry was recorded.
    pub fn served_apart(&self) -> Option<crate::domain::Day> {
        self.served_on().filter(|d| *d != self.recorded_on())
    }

    /// Whether a volunteer's page, kiosk and passbook show the line: what they did or were
    /// given — service (held, decided and credited), rewards, gifts, donations, corrections and
    /// reversals. Not a registration or an edit, and not the counter moving the card's hours to
    /// or from the card's city pool at a sync: that is the counter's own bookkeeping (the hours
    /// stay the volunteer's), for the audit and `history`.
    pub fn is_the_volunteers(&self) -> bool {
        match self.event.kind() {
            EventKind::RightsReleased { .. } | EventKind::RightsGranted { .. } => false,
            EventKind::Reversed { .. } | EventKind::DepositHeld { .. } | EventKind::DepositDecided { .. } => {
                true
            }
            _ => self.delta != 0,
        }
    }

    /// The hours of a deposit held for approval (not in the balance until approved).
    pub fn held_minutes(&self) -> Option<u64> {
        match self.event.kind() {
            EventKind::DepositHeld { minutes, .. } => Some(u64::from(minutes.get())),
            _ => None,
        }
    }

    /// The line's date as shown: the day it was recorded.
    pub fn day(&self) -> String {
        self.recorded_on().to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardView {
    pub id: RewardId,
    pub reward: Reward,
    pub stock: u32,
}

impl Bank {
    pub fn find_card(&self, card: &CardNo) -> Result<VolunteerView, BankError> {
        let id = self.store.volunteer_id_by_card(card)?.ok_or_else(|| Rule::UnknownCard(card.to_string()))?;
        self.volunteer(id)
    }

    pub fn volunteer(&self, id: VolunteerId) -> Result<VolunteerView, BankError> {
        let volunteer = self.store.volunteer(id)?.ok_or(Rule::UnknownVolunteer(id))?;
        Ok(VolunteerView { id, volunteer, account: self.store.account(id)? })
    }

    /// Every volunteer with their account, in registration order.
    pub fn volunteers(&self) -> impl Iterator<Item = Result<VolunteerView, BankError>> + '_ {
        self.store.volunteers().map(|r| {
            let (id, volunteer) = r?;
            Ok(VolunteerView { id, volunteer, account: self.store.account(id)? })
        })
    }

    pub fn activities(&self) -> Result<Vec<(ActivityId, Activity)>, BankError> {
        Ok(self.store.activities().collect::<Result<_, _>>()?)
    }

    /// The activities retired from the catalog (kept for the entries recorded for them).
    pub fn retired_activities(&self) -> Result<std::collections::BTreeSet<ActivityId>, BankError> {
        Ok(self.store.retired_activities().collect::<Result<_, _>>()?)
    }

    /// The activities new hours may be recorded for: the catalog less the retired ones.
    pub fn offered_activities(&self) -> Result<Vec<(ActivityId, Activity)>, BankError> {
        let retired = self.retired_activities()?;
        Ok(self.activities()?.into_iter().filter(|(id, _)| !retired.contains(id)).collect())
    }

    /// Names of the activities that `text` could have meant: it appears in the name, its full
    /// pinyin or its initials (`ljfl` → 垃圾分类督导), at most five, closest first.
    pub fn close_activities(&self, text: &str) -> Result<Vec<String>, BankError> {
        let query: String = text.trim().to_lowercase().chars().filter(|c| !c.is_whitespace()).collect();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let mut found: Vec<(usize, String)> = Vec::new();
        for (_, a) in self.offered_activities()? {
            let name = a.name.as_str();
            let spelled = crate::search::spellings(name);
            let rank = if name.contains(&query) {
                Some(0)
            } else if spelled.iter().any(|(_, initials)| initials.starts_with(&query)) {
                Some(1)
            } else if spelled
                .iter()
                .any(|(full, initials)| full.contains(&query) || initials.contains(&query))
            {
                Some(2)
            } else {
                None
            };
            if let Some(rank) = rank {
                found.push((rank, name.to_string()));
            }
        }
        found.sort();
        Ok(found.into_iter().take(5).map(|(_, name)| name).collect())
    }

    pub fn rewards(&self) -> Result<Vec<RewardView>, BankError> {
        let mut out = Vec::new();
        for r in self.store.rewards() {
            let (id, reward) = r?;
            out.push(RewardView { id, stock: self.store.stock(id)?, reward });
        }
        Ok(out)
    }

    pub fn staff_members(&self) -> Result<Vec<Staff>, BankError> {
        Ok(self.store.staff_members().collect::<Result<_, _>>()?)
    }

    /// The id a catalog name refers to, or the text itself when it is a number.
    fn name_or_id(&self, kind: NameKind, text: &str) -> Result<Option<u64>, BankError> {
        Ok(self.store.name_id(kind, text)?.or_else(|| text.parse().ok()))
    }

    /// An activity by exact name, or by id when the text is a number.
    pub fn find_activity(&self, text: &str) -> Result<(ActivityId, Activity), BankError> {
        let t = text.trim();
        let id = self.name_or_id(NameKind::Activity, t)?;
        let found = match id {
            Some(id) => self.store.activity(id)?.map(|a| (id, a)),
            None => None,
        };
        found.ok_or_else(|| Rule::UnknownActivity(t.to_string()).into())
    }

    /// A reward by exact name, or by id when the text is a number.
    /// A reward by id, with its stock.
    pub fn reward(&self, id: RewardId) -> Result<RewardView, BankError> {
        match self.store.reward(id)? {
            Some(reward) => Ok(RewardView { id, stock: self.store.stock(id)?, reward }),
            None => Err(Rule::UnknownReward(id.to_string()).into()),
        }
    }

    pub fn find_reward(&self, text: &str) -> Result<RewardView, BankError> {
        let t = text.trim();
        let id = self.name_or_id(NameKind::Reward, t)?;
        if let Some(id) = id
            && let Some(reward) = self.store.reward(id)?
        {
            return Ok(RewardView { id, stock: self.store.stock(id)?, reward });
        }
        Err(Rule::UnknownReward(t.to_string()).into())
    }

    pub fn event(&self, seq: u64) -> Result<Event, BankError> {
        self.store.event(seq)?.ok_or_else(|| Rule::UnknownEntry(seq).into())
    }

    /// A volunteer's entries, oldest first.
    pub fn history(&self, id: VolunteerId) -> Result<Vec<HistoryLine>, BankError> {
        let mut lines = Vec::new();
        for seq in self.store.history(id)? {
            let event = self.event(seq)?;
            let (delta, memo) = self.describe(id, &event)?;
            let reversed_by = if event.kind().is_reversible() { self.store.reversed_by(seq)? } else { None };
            lines.push(HistoryLine { seq, event, delta, memo, reversed_by });
        }
        Ok(lines)
    }

    /// An activity's name, or `#id` for one that is not (or no longer) in the catalog.
    pub fn activity_name(&self, id: ActivityId) -> Result<String, BankError> {
        Ok(self.store.activity(id)?.map(|a| a.name.to_string()).unwrap_or_else(|| format!("#{id}")))
    }

    fn reward_name(&self, id: RewardId) -> Result<String, BankError> {
        Ok(self.store.reward(id)?.map(|r| r.name.to_string()).unwrap_or_else(|| format!("#{id}")))
    }

    pub(super) fn card_of(&self, id: VolunteerId) -> Result<String, BankError> {
        Ok(self.store.volunteer(id)?.map(|v| v.card.to_string()).unwrap_or_else(|| format!("#{id}")))
    }

    /// The change an event made to one volunteer's balance, and what to call it.
    pub fn describe(&self, volunteer: VolunteerId, event: &Event) -> Result<(i64, String), BankError> {
        let m = |x: crate::domain::Minutes| i64::from(x.get());
        Ok(match event.kind() {
            EventKind::Deposited { activity, minutes, note, .. } => {
                let mut memo = self.activity_name(*activity)?;
                if !note.is_empty() {
                    memo = format!("{memo} ({note})");
                }
                (m(*minutes), memo)
            }
            EventKind::Redeemed { reward, qty, minutes, .. } => {
                (-m(*minutes), format!("{} x{qty}", self.reward_name(*reward)?))
            }
            EventKind::Transferred { from, to, minutes, .. } => {
                if *from == volunteer {
                    (-m(*minutes), format!("-> {}", self.card_of(*to)?))
                } else {
                    (m(*minutes), format!("<- {}", self.card_of(*from)?))
                }
            }
            EventKind::Adjusted { credit, minutes, reason, .. } => {
                (if *credit { m(*minutes) } else { -m(*minutes) }, reason.clone())
            }
            EventKind::Reversed { target, reason } => {
                let original = self.event(*target)?;
                let (delta, _) = self.describe(volunteer, &original)?;
                (-delta, format!("#{target} {reason}"))
            }
            EventKind::Expired { minutes, cutoff, .. } => (-m(*minutes), format!("< {cutoff}")),
            EventKind::Donated { minutes, note, .. } => (-m(*minutes), note.clone()),
            EventKind::PoolGranted { minutes, reason, .. } => (m(*minutes), reason.clone()),
            EventKind::RightsReleased { lines } => {
                let minutes = lines.iter().find(|(v, _)| *v == volunteer).map_or(0, |(_, x)| m(*x));
                (-minutes, String::new())
            }
            EventKind::RightsGranted { minutes, grant, .. } => (m(*minutes), grant.clone()),
            // Held hours are not in the balance yet: the line shows them, the delta is 0.
            EventKind::DepositHeld { activity, minutes, .. } => (
                0,
                format!(
                    "{} ({})",
                    self.activity_name(*activity)?,
                    crate::domain::format_hours(u64::from(minutes.get()))
                ),
            ),
            EventKind::DepositDecided { held, reason, .. } => (0, format!("#{held} {reason}")),
            EventKind::VolunteerRegistered(_) => (0, String::new()),
            EventKind::VolunteerEdited { .. } => (0, String::new()),
            _ => (0, String::new()),
        })
    }
}

impl Bank {
    /// The counter's search index over every volunteer. Takes about a second per 100k
    /// volunteers, so the counter builds it off the UI thread.
    pub fn search_index(&self) -> Result<crate::search::SearchIndex, BankError> {
        let records: Vec<(VolunteerId, Volunteer)> = self.store.volunteers().collect::<Result<_, _>>()?;
        let tails = self.resident_phone_tails()?;
        let mut index =
            crate::search::SearchIndex::build_with_tails(records.iter().map(|(id, v)| (*id, v)), &tails);
        // Volunteers registered elsewhere: as the city's directory lists them once this
        // counter has pulled it, else as the other counters' journals pulled here have them.
        if self.store.directory_position()?.0 > 0 {
            for listed in self.store.directory_cards() {
                let (card, d) = listed?;
                let mut people = vec![(d.name.as_str(), d.phone_tail.as_str())];
                people.extend(d.other.as_ref().map(|o| (o.name.as_str(), o.phone_tail.as_str())));
                index.add_listed(&card, &people);
            }
        } else {
            for v in self.city_only_volunteers()? {
                index.add_elsewhere(&v.record);
            }
        }
        Ok(index)
    }
}
