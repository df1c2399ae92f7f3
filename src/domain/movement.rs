//! One vocabulary for what an entry does to a volunteer's hours. Every place that names or
//! labels an entry's kind — the ledger (台账), the passbook (存折), the CSV export, the
//! counter's history, the city's record — takes the word from here, so a kind added to the
//! journal is named everywhere or the compiler says where not (each `match` below is
//! exhaustive).

use super::entities::VolunteerId;
use super::event::EventKind;
use super::minutes::Minutes;

/// What an entry did to one volunteer's hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Movement {
    Deposit,
    Redeem,
    TransferOut,
    TransferIn,
    AdjustCredit,
    AdjustDebit,
    /// Given to the donation pool (爱心池).
    Donation,
    /// Granted from the donation pool to a person in need.
    PoolGrant,
    Expiry,
    /// Handed to the card's city pool at a sync.
    CityRelease,
    /// Granted back from the card's city pool.
    CityGrant,
}

impl Movement {
    pub const ALL: [Movement; 11] = [
        Movement::Deposit,
        Movement::Redeem,
        Movement::TransferOut,
        Movement::TransferIn,
        Movement::AdjustCredit,
        Movement::AdjustDebit,
        Movement::Donation,
        Movement::PoolGrant,
        Movement::Expiry,
        Movement::CityRelease,
        Movement::CityGrant,
    ];

    /// The name `export entries` writes in its `kind` column (a contract scripts read; a
    /// reversal's row is `reverse_` and this name).
    pub fn export_name(self) -> &'static str {
        match self {
            Movement::Deposit => "deposit",
            Movement::Redeem => "redeem",
            Movement::TransferOut => "transfer_out",
            Movement::TransferIn => "transfer_in",
            Movement::AdjustCredit => "adjust_credit",
            Movement::AdjustDebit => "adjust_debit",
            Movement::Donation => "donation",
            Movement::PoolGrant => "pool_grant",
            Movement::Expiry => "expire",
            Movement::CityRelease => "city_release",
            Movement::CityGrant => "city_grant",
        }
    }

    /// The movement `export entries` names so (with or without `reverse_`), and whether it is
    /// a reversal's.
    pub fn from_export_name(name: &str) -> Option<(Movement, bool)> {
        let (name, reversal) = match name.strip_prefix("reverse_") {
            Some(rest) => (rest, true),
            None => (name, false),
        };
        Movement::ALL.into_iter().find(|m| m.export_name() == name).map(|m| (m, reversal))
    }

    /// Whether it adds to the volunteer's hours (a reversal's row does the opposite).
    pub fn adds(self) -> bool {
        matches!(
            self,
            Movement::Deposit
                | Movement::TransferIn
                | Movement::AdjustCredit
                | Movement::PoolGrant
                | Movement::CityGrant
        )
    }

    /// The movement an event of `kind` makes for one volunteer, as the journal names kinds
    /// (`EventKind::name`): the city's rows and the passbook read those. A transfer's and an
    /// adjustment's direction is the receiving side's and the credit's.
    pub fn of_event_name(name: &str) -> Option<Movement> {
        Some(match name {
            "deposit" => Movement::Deposit,
            "redeem" => Movement::Redeem,
            "transfer" => Movement::TransferIn,
            "adjust" => Movement::AdjustCredit,
            "donation" => Movement::Donation,
            "pool_grant" => Movement::PoolGrant,
            "expiry" => Movement::Expiry,
            "city_release" => Movement::CityRelease,
            "city_grant" => Movement::CityGrant,
            _ => return None,
        })
    }
}

/// One volunteer's part of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moved {
    pub volunteer: VolunteerId,
    pub movement: Movement,
    pub minutes: Minutes,
}

impl Moved {
    /// The minutes with the movement's direction: added to the volunteer's hours or taken.
    pub fn signed_minutes(&self) -> i64 {
        let minutes = i64::from(self.minutes.get());
        if self.movement.adds() { minutes } else { -minutes }
    }
}

/// What an event of `kind` moves, volunteer by volunteer (empty for facts that move no hours).
/// A reversal moves what its target moved, the other way: ask with the target's kind.
pub fn movements(kind: &EventKind) -> Vec<Moved> {
    let one = |volunteer, movement, minutes| vec![Moved { volunteer, movement, minutes }];
    match kind {
        EventKind::Deposited { volunteer, minutes, .. } => one(*volunteer, Movement::Deposit, *minutes),
        EventKind::Redeemed { volunteer, minutes, .. } => one(*volunteer, Movement::Redeem, *minutes),
        EventKind::Transferred { from, to, minutes, .. } => vec![
            Moved { volunteer: *from, movement: Movement::TransferOut, minutes: *minutes },
            Moved { volunteer: *to, movement: Movement::TransferIn, minutes: *minutes },
        ],
        EventKind::Adjusted { volunteer, credit, minutes, .. } => {
            one(*volunteer, if *credit { Movement::AdjustCredit } else { Movement::AdjustDebit }, *minutes)
        }
        EventKind::Donated { volunteer, minutes, .. } => one(*volunteer, Movement::Donation, *minutes),
        EventKind::PoolGranted { volunteer, minutes, .. } => one(*volunteer, Movement::PoolGrant, *minutes),
        EventKind::Expired { volunteer, minutes, .. } => one(*volunteer, Movement::Expiry, *minutes),
        EventKind::RightsReleased { lines } => lines
            .iter()
            .map(|(volunteer, minutes)| Moved {
                volunteer: *volunteer,
                movement: Movement::CityRelease,
                minutes: *minutes,
            })
            .collect(),
        EventKind::RightsGranted { volunteer, minutes, .. } => one(*volunteer, Movement::CityGrant, *minutes),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_names_are_distinct_and_read_back() {
        for m in Movement::ALL {
            assert_eq!(Movement::from_export_name(m.export_name()), Some((m, false)));
            let reversed = format!("reverse_{}", m.export_name());
            assert_eq!(Movement::from_export_name(&reversed), Some((m, true)));
        }
        let mut names: Vec<_> = Movement::ALL.iter().map(|m| m.export_name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Movement::ALL.len());
    }
}
