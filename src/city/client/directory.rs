//! The city's directory as this counter takes it from the service: the cards changed since its
//! position, or — joining — the whole directory a page at a time; every card checked as the
//! counter's own input is before the bank keeps it.

use super::{CityClient, ClientError, JoinProgress};
use crate::bank::{Bank, DirectoryCard, DirectoryShare, OtherVersion};
use crate::city::PullError;
use crate::city::wire;
use crate::domain::CardNo;

impl CityClient {
    /// The cards of the city changed after city-wide position `after` (directory fields and
    /// balances), at most a page of them: from position 0 the directory's first page, and
    /// more changes than a page are answered `rejoin` (see [`CityClient::take_cards`]).
    pub fn cards(&self, after: u64) -> Result<wire::Cards, ClientError> {
        Self::answer(&self.call("GET", &format!("/v1/cards?after={after}&limit={}", self.page), b"")?)
    }

    /// The directory's page after card `from` (none: the first).
    fn cards_page(&self, from: Option<&CardNo>) -> Result<wire::Cards, ClientError> {
        // A card is letters, digits and `-`: nothing in it needs escaping in a query.
        let from = from.map_or(String::new(), |card| format!("&from={card}"));
        Self::answer(&self.call("GET", &format!("/v1/cards?after=0&limit={}{from}", self.page), b"")?)
    }

    /// The cards changed after `after`, however many (the end of a join: what changed while
    /// its pages were read).
    fn cards_since(&self, after: u64) -> Result<wire::Cards, ClientError> {
        Self::answer(&self.call("GET", &format!("/v1/cards?after={after}"), b"")?)
    }

    /// This client asking for `cards` per page (tests make pages small to have many).
    pub fn with_page(mut self, cards: usize) -> Self {
        self.set_page(cards);
        self
    }

    pub(in crate::city) fn set_page(&mut self, cards: usize) {
        self.page = cards.clamp(1, crate::city::directory::MAX_PAGE);
    }

    /// Takes `answer` — the cards changed after position `after` — into `bank`'s copy of the
    /// directory, all at once. From position 0, an answer behind `after` (the city's database
    /// was put back) or one that says `rejoin`, the counter joins: it takes the whole
    /// directory a page at a time where nothing reads it, then the cards changed since the
    /// first page, and only then reads the new directory — never half a join, and memory for
    /// one page whatever the city's size. `progress` hears each page of a join. Returns the
    /// cards taken, and how many of them a search finds differently (new, or another name or
    /// phone tail): the counter rebuilds its search index only for those.
    pub fn take_cards(
        &self,
        bank: &Bank,
        after: u64,
        answer: wire::Cards,
        progress: &mut dyn FnMut(JoinProgress),
    ) -> Result<(usize, usize), PullError> {
        if after > 0 && !answer.rejoin && answer.position >= after {
            if answer.position == after && answer.cards.is_empty() {
                return Ok((0, 0));
            }
            let cards = answer.cards.into_iter().map(directory_card).collect::<Result<Vec<_>, _>>()?;
            let mut listed = 0;
            for (card, new) in &cards {
                let old = bank.city_card(card)?;
                if old.is_none_or(|old| old.name != new.name || old.phone_tail != new.phone_tail) {
                    listed += 1;
                }
            }
            bank.apply_city_directory(answer.position, &cards)?;
            return Ok((cards.len(), listed));
        }
        let mut page = match after == 0 && !answer.rejoin {
            true => answer,
            false => self.cards_page(None).map_err(PullError::Service)?,
        };
        let (since, total) = (page.position, page.total);
        bank.begin_city_join()?;
        let mut taken = 0usize;
        loop {
            let cards = std::mem::take(&mut page.cards)
                .into_iter()
                .map(directory_card)
                .collect::<Result<Vec<_>, _>>()?;
            bank.stage_city_join(&cards)?;
            taken += cards.len();
            progress(JoinProgress { taken: taken as u64, total });
            match page.next.take() {
                Some(from) => {
                    let from = CardNo::parse(&from).map_err(|_| garbled_card(&from))?;
                    page = self.cards_page(Some(&from)).map_err(PullError::Service)?;
                }
                None => break,
            }
        }
        // Every page read at the first page's position: one snapshot, nothing changed since.
        let last = match page.position == since {
            true => wire::Cards {
                position: since,
                cards: Vec::new(),
                head: None,
                next: None,
                total: None,
                rejoin: false,
            },
            false => self.cards_since(since).map_err(PullError::Service)?,
        };
        if last.position < since {
            return Err(PullError::Service(ClientError::Connect(
                "the city's position went back while this counter took its directory; it starts again at the next round".into(),
            )));
        }
        let last_cards = last.cards.into_iter().map(directory_card).collect::<Result<Vec<_>, _>>()?;
        bank.finish_city_join(last.position, &last_cards)?;
        // Every card is new to the search after a join.
        Ok((taken, taken + last_cards.len()))
    }
}

fn garbled_card(what: &str) -> PullError {
    PullError::Service(ClientError::Connect(format!("a card not understood: {what}")))
}

/// A card as the service sent it, as the bank keeps it.
fn directory_card(row: wire::CardRow) -> Result<(CardNo, DirectoryCard), PullError> {
    let garbled = garbled_card;
    // What reaches a screen is checked as a counter's own input is: a name or community with
    // a control character, or anything else no counter could have registered, is refused.
    let card = CardNo::parse(&row.card).map_err(|_| garbled(&row.card))?;
    let day = chrono::NaiveDate::parse_from_str(&row.registered_on, "%Y-%m-%d")
        .map_err(|_| garbled(&row.registered_on))?;
    let name = crate::domain::Name::parse(&row.name).map_err(|_| garbled(&row.card))?;
    let community = crate::domain::parse_text(&row.community, crate::domain::MAX_NAME_CHARS)
        .map_err(|_| garbled(&row.card))?;
    let tail_ok = row.phone_tail.len() <= 4 && row.phone_tail.bytes().all(|b| b.is_ascii_digit());
    let code_ok = |c: &str| crate::domain::CounterCode::parse(c).is_ok();
    if !tail_ok || !code_ok(&row.home) || !row.shares.iter().all(|s| code_ok(&s.counter)) {
        return Err(garbled(&row.card));
    }
    // The other person of a card in conflict: checked as the home's name and tail are.
    let other = match (&row.conflict, row.conflict_name.as_deref()) {
        (Some(_), Some(n)) => {
            let name = crate::domain::Name::parse(n).map_err(|_| garbled(&row.card))?;
            let tail = row.conflict_phone_tail.clone().unwrap_or_default();
            if tail.len() > 4 || !tail.bytes().all(|b| b.is_ascii_digit()) {
                return Err(garbled(&row.card));
            }
            Some(OtherVersion { name, phone_tail: tail })
        }
        _ => None,
    };
    let record = DirectoryCard {
        home: row.home,
        name,
        community,
        phone_tail: row.phone_tail,
        registered_on: crate::domain::Day::from_date(day),
        pool: row.pool,
        shares: row
            .shares
            .into_iter()
            .map(|s| DirectoryShare {
                counter: s.counter,
                minutes: s.minutes,
                released: s.released,
                earned: s.earned,
                received: s.received,
                points: s.points,
                points_released: s.points_released,
            })
            .collect(),
        points_pool: row.points_pool,
        pos: row.pos,
        conflict: row.conflict,
        other,
    };
    Ok((card, record))
}
