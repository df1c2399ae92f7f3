//! A card's balance across the city as this counter knows it (ARCHITECTURE.md §8): this
//! counter's share, every other counter's, and the card's city pool, as of the last pull.

use super::{Bank, BankError, CardConflict};
use crate::domain::{Account, CardNo, Timestamp};
use crate::store::DirectoryShare;

/// A card's balance across the city as this counter knows it: this counter's share, every
/// other counter's, and the card's city pool (ARCHITECTURE.md §8), as of the last pull.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CityBalance {
    /// This counter's share: what it may spend with no server.
    pub here: u64,
    /// Every other counter's share of the card, by code.
    pub elsewhere: Vec<(String, u64)>,
    /// In the card's city pool: handed over by counters and not granted back, as the journals
    /// pulled say. Any counter online may spend it.
    pub pooled: u64,
    /// When a pull last reached every counter's head; `None`: never.
    pub as_of: Option<Timestamp>,
    /// The service recorded for the card at every counter, this one included, net of
    /// reversals: what star levels, milestones and certificates count.
    pub earned: u64,
    /// Everything else credited to the card at every counter (gifts, donation-pool grants,
    /// corrections), net; never the city pool's own moves.
    pub received: u64,
    /// The card is registered as different people (see [`CardConflict`]): the figures are then
    /// this counter's side's alone — the hours recorded for the person registered here, kept
    /// aside from the other's — and nothing is spent from it until an admin settles it.
    pub conflict: Option<CardConflict>,
}

impl CityBalance {
    pub fn total(&self) -> u64 {
        self.elsewhere
            .iter()
            .fold(self.here.saturating_add(self.pooled), |sum, (_, m)| sum.saturating_add(*m))
    }

    /// What this counter may spend now: its share, and with the server reachable the pool too.
    pub fn spendable(&self, online: bool) -> u64 {
        if online { self.here.saturating_add(self.pooled) } else { self.here }
    }

    /// Whether these are a city's figures: the counter has taken the city's (or holds other
    /// counters' shares of the card). Outside a city they are the counter's own.
    pub fn is_a_citys(&self) -> bool {
        self.as_of.is_some() || !self.elsewhere.is_empty()
    }

    /// A counter's own figures as a city balance: outside a city they are the volunteer's.
    pub fn of_account(a: &Account) -> CityBalance {
        CityBalance {
            here: a.balance(),
            elsewhere: Vec::new(),
            pooled: 0,
            as_of: None,
            earned: a.earned,
            received: received_here(a),
            conflict: None,
        }
    }

    /// Everything that came in, city-wide: earned and received. With [`CityBalance::debits`]
    /// it adds up to [`CityBalance::total`] (hours moved to and from the city pool are the
    /// card's own, neither in nor out).
    pub fn credits(&self) -> u64 {
        self.earned.saturating_add(self.received)
    }

    /// Everything that went out, city-wide: redeemed, given, donated, corrected out.
    pub fn debits(&self) -> u64 {
        self.credits().saturating_sub(self.total())
    }
}

/// Reads city balances card after card, with what every card's read shares — this counter's
/// code and when the city's figures are from — read once: an export over every volunteer
/// reads a card's directory row and nothing else per card.
pub struct CityBalances<'a> {
    bank: &'a Bank,
    own: Option<String>,
    /// When this counter last took the city's directory, and (before it ever did) when a pull
    /// last reached every counter's head.
    directory_as_of: Option<Timestamp>,
    pulled_as_of: Option<Timestamp>,
}

impl CityBalances<'_> {
    /// `card`'s city balance, `here` being this counter's account of it (default when the card
    /// is not registered here): from the city's directory once this counter has taken it, else
    /// from the other counters' journals.
    pub fn of(&self, card: &CardNo, here: &Account) -> Result<CityBalance, BankError> {
        let store = &self.bank.store;
        if let Some(listed) = store.directory_card(card)? {
            // This counter's own share is read here, not from the directory (which has it as
            // of this counter's last push): its hours, and what it handed to the pool since.
            let is_own = |s: &&DirectoryShare| self.own.as_deref() == Some(s.counter.as_str());
            let released_then = listed.shares.iter().find(is_own).map_or(0, |s| s.released);
            let released_now = here.entries_balance() - here.balance() as i64;
            let conflict = CardConflict::of(&listed);
            // In conflict, only this counter's side counts: the conflicting counter's hours
            // when this is it, everyone else's otherwise; of the pool, what that side handed
            // over (all the service lets it take back, see `city::escrow`).
            let same_side = |s: &&DirectoryShare| match &conflict {
                None => true,
                Some(c) if self.own.as_deref() == Some(c.other.as_str()) => false,
                Some(c) => s.counter != c.other,
            };
            let pooled = match &conflict {
                None => listed.pool as i64 - released_then + released_now,
                Some(_) => listed
                    .shares
                    .iter()
                    .filter(|s| !is_own(s) && same_side(s))
                    .fold(released_now.max(0), |sum, s| sum + s.released.max(0)),
            };
            let others: Vec<&DirectoryShare> =
                listed.shares.iter().filter(|s| !is_own(s) && same_side(s)).collect();
            let elsewhere = others.iter().map(|s| (s.counter.clone(), s.minutes)).collect();
            return Ok(CityBalance {
                here: here.balance(),
                elsewhere,
                pooled: u64::try_from(pooled).unwrap_or(0),
                as_of: self.directory_as_of,
                earned: others.iter().fold(here.earned, |sum, s| sum.saturating_add(s.earned)),
                received: others.iter().fold(received_here(here), |sum, s| sum.saturating_add(s.received)),
                conflict,
            });
        }
        // The pool is what the journals handed over and did not take back: its hours are
        // counted once, where they were released, whichever counter holds them next.
        let mut pooled = here.entries_balance() - here.balance() as i64;
        let mut elsewhere = Vec::new();
        let (mut earned, mut received) = (here.earned, received_here(here));
        for a in store.city_accounts(card)? {
            pooled += a.account.entries_balance() - a.account.balance() as i64;
            earned = earned.saturating_add(a.account.earned);
            received = received.saturating_add(received_here(&a.account));
            elsewhere.push((a.code, a.account.balance()));
        }
        let pooled = u64::try_from(pooled).unwrap_or(0);
        Ok(CityBalance {
            here: here.balance(),
            elsewhere,
            pooled,
            as_of: self.pulled_as_of,
            earned,
            received,
            conflict: None,
        })
    }
}

/// What one counter's account credited besides service: gifts, donation-pool grants and
/// corrections in (never grants from the city pool: those are the card's own hours coming back).
fn received_here(a: &Account) -> u64 {
    a.received.saturating_add(a.adjusted_in)
}

impl Bank {
    /// A reader of many cards' city balances (see [`CityBalances`]).
    pub fn city_balances_reader(&self) -> Result<CityBalances<'_>, BankError> {
        Ok(CityBalances {
            bank: self,
            own: self.store.counter_code()?.map(|c| c.to_string()),
            directory_as_of: self.store.directory_position()?.1,
            pulled_as_of: self.store.city_as_of()?,
        })
    }

    /// `card`'s balance here and at every other counter, as of the last pull.
    pub fn city_balance(&self, card: &CardNo) -> Result<CityBalance, BankError> {
        let here = match self.store.volunteer_id_by_card(card)? {
            Some(id) => self.store.account(id)?,
            None => Default::default(),
        };
        self.city_balances_reader()?.of(card, &here)
    }

    /// `card`'s city balance if this counter takes part in a city (it has taken the city's
    /// figures, or holds other counters' shares of the card); `None` outside a city, where the
    /// counter's own figures are the volunteer's.
    pub fn city_balance_if_any(&self, card: &CardNo) -> Result<Option<CityBalance>, BankError> {
        let city = self.city_balance(card)?;
        Ok(city.is_a_citys().then_some(city))
    }
}
