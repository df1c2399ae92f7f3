//! A card's balance across the city as this counter knows it (ARCHITECTURE.md §8): this
//! counter's share, every other counter's, and the card's city pool, as of the last pull.

use super::{Bank, BankError, CardConflict};
use crate::domain::EventKind;
use crate::domain::{Account, CardNo, Timestamp};
use crate::store::{DirectoryCard, DirectoryShare};

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
            let side = Side::of(&listed, self.own.as_deref());
            let released_now = here.entries_balance() - here.balance() as i64;
            let pooled = side.pooled(&listed, listed.pool, |s| s.released, released_now);
            let others: Vec<&DirectoryShare> = side.others(&listed).collect();
            let elsewhere = others.iter().map(|s| (s.counter.clone(), s.minutes)).collect();
            return Ok(CityBalance {
                here: here.balance(),
                elsewhere,
                pooled,
                as_of: self.directory_as_of,
                earned: others.iter().fold(here.earned, |sum, s| sum.saturating_add(s.earned)),
                received: others.iter().fold(received_here(here), |sum, s| sum.saturating_add(s.received)),
                conflict: side.conflict,
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

/// Which of a card's shares in the directory count at this counter: never its own (read here,
/// not from the directory, which has it as of this counter's last push), and of a card in
/// conflict only this counter's side's — the conflicting counter's when this is it, everyone
/// else's otherwise.
struct Side<'a> {
    own: Option<&'a str>,
    conflict: Option<CardConflict>,
}

impl<'a> Side<'a> {
    fn of(listed: &DirectoryCard, own: Option<&'a str>) -> Side<'a> {
        Side { own, conflict: CardConflict::of(listed) }
    }

    fn is_own(&self, s: &DirectoryShare) -> bool {
        self.own == Some(s.counter.as_str())
    }

    fn counts(&self, s: &DirectoryShare) -> bool {
        !self.is_own(s)
            && match &self.conflict {
                None => true,
                Some(c) if self.own == Some(c.other.as_str()) => false,
                Some(c) => s.counter != c.other,
            }
    }

    /// The other counters' shares that count here.
    fn others<'c>(&'c self, listed: &'c DirectoryCard) -> impl Iterator<Item = &'c DirectoryShare> + 'c {
        listed.shares.iter().filter(|s| self.counts(s))
    }

    /// The card's pool of one unit (`pool` as the directory has it; `released`: what a share
    /// handed it, net) as this counter may count it, `released_now` being what this counter
    /// handed it, net, as its own journal has it now — the directory has that as of its last
    /// push. In conflict, only what this side handed over (all the service lets it take back,
    /// see `city::escrow`).
    fn pooled(
        &self,
        listed: &DirectoryCard,
        pool: u64,
        released: impl Fn(&DirectoryShare) -> i64,
        released_now: i64,
    ) -> u64 {
        let pooled = match &self.conflict {
            None => {
                let released_then = listed.shares.iter().find(|s| self.is_own(s)).map_or(0, &released);
                pool as i64 - released_then + released_now
            }
            Some(_) => self.others(listed).fold(released_now.max(0), |sum, s| sum + released(s).max(0)),
        };
        u64::try_from(pooled).unwrap_or(0)
    }
}

/// A card's civic points across the city as this counter knows them (ARCHITECTURE.md §9): this
/// counter's share now, every other counter's and the card's points pool as of the last pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CityPoints {
    pub here: u64,
    /// Every other counter's share, together (each is at most the float it keeps for offline
    /// exchange days, or what it took from the pool and has not spent yet).
    pub elsewhere: u64,
    /// In the card's points pool: spendable at any counter online.
    pub pooled: u64,
}

impl CityPoints {
    pub fn total(&self) -> u64 {
        self.here.saturating_add(self.elsewhere).saturating_add(self.pooled)
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

    /// `card`'s civic points across the city, once this counter has taken the city's directory
    /// and the card is in it; `None` otherwise (the counter's own figures are the person's).
    pub fn city_points(&self, card: &CardNo) -> Result<Option<CityPoints>, BankError> {
        let Some(listed) = self.store.directory_card(card)? else { return Ok(None) };
        let own = self.store.counter_code()?.map(|c| c.to_string());
        let side = Side::of(&listed, own.as_deref());
        let (here, released_now) = match self.store.volunteer_id_by_card(card)? {
            Some(id) => (self.points_account(id)?.balance(), self.points_released_here(id)?),
            None => (0, 0),
        };
        Ok(Some(CityPoints {
            here,
            elsewhere: side.others(&listed).fold(0, |sum, s| sum.saturating_add(s.points)),
            pooled: side.pooled(&listed, listed.points_pool, |s| s.points_released, released_now),
        }))
    }

    /// What this counter handed person `id`'s card's points pool, net of the points grants it
    /// journalled for them: from the person's entries (a points account keeps no such total).
    fn points_released_here(&self, id: crate::domain::VolunteerId) -> Result<i64, BankError> {
        let mut released = 0i64;
        for seq in self.store.history(id)? {
            match self.event(seq)?.kind() {
                EventKind::PointsReleased { lines } => {
                    released +=
                        lines.iter().filter(|(p, _)| *p == id).map(|(_, q)| i64::from(q.get())).sum::<i64>();
                }
                EventKind::PointsGranted { person, points, .. } if *person == id => {
                    released -= i64::from(points.get());
                }
                _ => {}
            }
        }
        Ok(released)
    }

    /// `card`'s city balance if this counter takes part in a city (it has taken the city's
    /// figures, or holds other counters' shares of the card); `None` outside a city, where the
    /// counter's own figures are the volunteer's.
    pub fn city_balance_if_any(&self, card: &CardNo) -> Result<Option<CityBalance>, BankError> {
        let city = self.city_balance(card)?;
        Ok(city.is_a_citys().then_some(city))
    }
}
