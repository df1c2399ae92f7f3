//! Finding a volunteer in a keystroke or two: an in-memory index over hanzi name, full pinyin,
//! pinyin initials, card number and phone tail, ranked by `nucleo-matcher` (the fuzzy matcher of
//! the helix editor). Pure: built from volunteer records, no IO.
//!
//! `chp` and `chenhuapei` both find 陈华佩. Characters with several readings index every
//! reading (up to a cap), so the surname 区 is found as `ou` and as `qu`.

use std::collections::HashMap;

use nucleo_matcher::pattern::{Atom, AtomKind, CaseMatching, Normalization};
use nucleo_matcher::{Config, Matcher, Utf32String};
use pinyin::ToPinyinMulti;

use crate::domain::{Volunteer, VolunteerId};

/// At most this many pinyin spellings per name (names of three polyphonic characters would
/// otherwise multiply).
const MAX_SPELLINGS: usize = 8;
/// How many digits of the phone number are searchable.
const PHONE_TAIL: usize = 4;

/// One search result, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// [`ELSEWHERE`] for a volunteer registered only at another counter (see
    /// [`SearchIndex::card_of`]).
    pub id: VolunteerId,
    pub score: u32,
    entry: usize,
}

/// The id of a hit registered at another counter only: volunteer ids are journal seqs, which
/// start at 1, so 0 is never one.
pub const ELSEWHERE: VolunteerId = 0;

/// Above this many candidates, results are ranked by cheap prefix matches instead of fuzzy
/// scores: after one or two typed letters thousands match, and any 20 of them that start with
/// the letters are as good as the "best" 20.
const FUZZY_LIMIT: usize = 400;

struct Entry {
    id: VolunteerId,
    card: String,
    /// Bit per ASCII letter and digit present in the entry's ASCII keys: a query whose
    /// characters are not all here cannot match, whatever their order.
    mask: u64,
    /// The name, and for a card two counters registered as different people, the other
    /// person's too: the card is found by either.
    names: Vec<(String, Utf32String)>,
    /// Lower-case ASCII keys: card, phone tail, then each full pinyin and initials spelling.
    ascii: Vec<String>,
    ascii32: Vec<Utf32String>,
    /// How many of `ascii` are card and phone tail (digit queries look only at those).
    numeric_keys: usize,
}

/// The index plus the previous query's candidates, so typing one more character only looks
/// at what already matched.
pub struct SearchIndex {
    entries: Vec<Entry>,
    by_id: HashMap<VolunteerId, usize>,
    by_card: HashMap<String, usize>,
    /// Every key with its entry, sorted, one list per query kind: a prefix is a range found by
    /// binary search, so ranking thousands of candidates costs a few lookups, not a scan.
    sorted: [Vec<(String, usize)>; 3],
    matcher: Matcher,
    last: Option<(String, Vec<usize>)>,
}

fn bit(c: char) -> u64 {
    match c.to_ascii_lowercase() {
        c @ 'a'..='z' => 1 << (c as u32 - 'a' as u32),
        c @ '0'..='9' => 1 << (26 + c as u32 - '0' as u32),
        _ => 0,
    }
}

fn mask_of(text: &str) -> u64 {
    text.chars().fold(0, |m, c| m | bit(c))
}

/// Every pinyin spelling of a name: (full, initials) pairs, e.g. ("chenhuapei", "chp").
pub fn spellings(name: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), String::new())];
    for c in name.chars() {
        let readings: Vec<&'static str> = match c.to_pinyin_multi() {
            Some(multi) => multi.into_iter().map(|p| p.plain()).collect(),
            None if c.is_ascii_alphanumeric() => {
                for (full, initials) in &mut out {
                    full.push(c.to_ascii_lowercase());
                    initials.push(c.to_ascii_lowercase());
                }
                continue;
            }
            None => continue,
        };
        let mut next = Vec::with_capacity(out.len() * readings.len());
        for (full, initials) in &out {
            for reading in &readings {
                if next.len() == MAX_SPELLINGS {
                    break;
                }
                let mut f = full.clone();
                f.push_str(reading);
                let mut i = initials.clone();
                i.extend(reading.chars().next());
                next.push((f, i));
            }
        }
        out = next;
    }
    out.retain(|(full, _)| !full.is_empty());
    out.dedup();
    out
}

fn entry(id: VolunteerId, v: &Volunteer) -> Entry {
    entry_with_tail(id, v, None)
}

/// An entry; `tail` is the phone's last digits of someone registered without a phone (a
/// resident gives only those).
fn entry_with_tail(id: VolunteerId, v: &Volunteer, tail: Option<&str>) -> Entry {
    let own = v.phone.as_ref().map(|p| {
        let digits = p.as_str();
        &digits[digits.len().saturating_sub(PHONE_TAIL)..]
    });
    entry_of(id, v.card.as_str(), &[(v.name.as_str(), own.or(tail).unwrap_or_default())])
}

/// An entry from what the city's directory lists of a volunteer: card, then each person's
/// name and phone tail (one, or two for a card in conflict).
fn entry_of(id: VolunteerId, card: &str, people: &[(&str, &str)]) -> Entry {
    let mut ascii = vec![card.to_ascii_lowercase()];
    for (_, tail) in people {
        if !tail.is_empty() && !ascii.iter().any(|k| k == tail) {
            ascii.push(tail.to_string());
        }
    }
    let numeric_keys = ascii.len();
    for (name, _) in people {
        for (full, initials) in spellings(name) {
            ascii.push(full);
            ascii.push(initials);
        }
    }
    let mask = ascii.iter().fold(0, |m, k| m | mask_of(k));
    let ascii32 = ascii.iter().map(|k| Utf32String::from(k.as_str())).collect();
    Entry {
        id,
        card: card.to_ascii_uppercase(),
        mask,
        names: people.iter().map(|(name, _)| (name.to_string(), Utf32String::from(*name))).collect(),
        ascii,
        ascii32,
        numeric_keys,
    }
}

/// Which keys a query is compared with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum QueryKind {
    /// Hanzi (or anything not ASCII): the name.
    Name,
    /// Digits only: card and phone tail.
    Digits,
    /// Letters (and digits): card and pinyin.
    Latin,
}

impl QueryKind {
    const ALL: [QueryKind; 3] = [QueryKind::Name, QueryKind::Digits, QueryKind::Latin];
}

impl Entry {
    fn keys(&self, kind: QueryKind) -> Vec<&str> {
        match kind {
            QueryKind::Name => self.names.iter().map(|(n, _)| n.as_str()).collect(),
            QueryKind::Digits => self.ascii[..self.numeric_keys].iter().map(String::as_str).collect(),
            QueryKind::Latin => self.ascii.iter().map(String::as_str).collect(),
        }
    }
}

impl Default for SearchIndex {
    fn default() -> Self {
        SearchIndex {
            entries: Vec::new(),
            by_id: HashMap::new(),
            by_card: HashMap::new(),
            sorted: [Vec::new(), Vec::new(), Vec::new()],
            matcher: Matcher::new(Config::DEFAULT),
            last: None,
        }
    }
}

impl SearchIndex {
    pub fn build<'a>(volunteers: impl IntoIterator<Item = (VolunteerId, &'a Volunteer)>) -> SearchIndex {
        SearchIndex::build_with_tails(volunteers, &HashMap::new())
    }

    /// [`SearchIndex::build`], with the phone tails of people registered without a phone
    /// (residents of the civic points give only the last four digits).
    pub fn build_with_tails<'a>(
        volunteers: impl IntoIterator<Item = (VolunteerId, &'a Volunteer)>,
        tails: &HashMap<VolunteerId, String>,
    ) -> SearchIndex {
        let mut index = SearchIndex::default();
        for (id, v) in volunteers {
            let e = entry_with_tail(id, v, tails.get(&id).map(String::as_str));
            let at = index.entries.len();
            index.by_id.insert(id, at);
            index.by_card.insert(e.card.clone(), at);
            for (k, kind) in QueryKind::ALL.into_iter().enumerate() {
                index.sorted[k].extend(e.keys(kind).into_iter().map(|key| (key.to_string(), at)));
            }
            index.entries.push(e);
        }
        for list in &mut index.sorted {
            list.sort_unstable();
        }
        index
    }

    /// Adds a volunteer registered at another counter only, found by card, name and pinyin
    /// like everyone else; their hits carry [`ELSEWHERE`]. Registering them here later
    /// ([`SearchIndex::upsert`] with their new id) takes the same entry over.
    pub fn add_elsewhere(&mut self, v: &Volunteer) {
        self.add_elsewhere_entry(entry(ELSEWHERE, v));
    }

    /// [`SearchIndex::add_elsewhere`] from what the city's directory lists: the card, the name
    /// and the phone's last four digits.
    pub fn add_listed(&mut self, card: &str, people: &[(&str, &str)]) {
        self.add_elsewhere_entry(entry_of(ELSEWHERE, card, people));
    }

    fn add_elsewhere_entry(&mut self, e: Entry) {
        if self.by_card.contains_key(&e.card) {
            return;
        }
        let at = self.entries.len();
        self.by_card.insert(e.card.clone(), at);
        self.entries.push(e);
        self.list(at);
        self.last = None;
    }

    /// The card number of a hit (what a volunteer registered elsewhere is opened by).
    pub fn card_of(&self, hit: &Hit) -> &str {
        &self.entries[hit.entry].card
    }

    fn unlist(&mut self, at: usize) {
        for (k, kind) in QueryKind::ALL.into_iter().enumerate() {
            for key in self.entries[at].keys(kind) {
                let list = &mut self.sorted[k];
                if let Ok(i) = list.binary_search_by(|(x, a)| (x.as_str(), *a).cmp(&(key, at))) {
                    list.remove(i);
                }
            }
        }
    }

    fn list(&mut self, at: usize) {
        for (k, kind) in QueryKind::ALL.into_iter().enumerate() {
            for key in self.entries[at].keys(kind) {
                let list = &mut self.sorted[k];
                let i = list.partition_point(|(x, a)| (x.as_str(), *a) < (key, at));
                list.insert(i, (key.to_string(), at));
            }
        }
    }

    /// Up to `limit` entries with a key starting with `prefix`, shortest key first.
    fn by_prefix(&self, kind: QueryKind, prefix: &str, limit: usize) -> Vec<(u32, usize)> {
        let list = &self.sorted[kind as usize];
        let start = list.partition_point(|(k, _)| k.as_str() < prefix);
        let mut out: Vec<(u32, usize)> = Vec::new();
        // A person has several keys with the same prefix; looking at 8× the limit is plenty.
        for (key, at) in list[start..].iter().take(limit * 8) {
            if !key.starts_with(prefix) {
                break;
            }
            if !out.iter().any(|&(_, a)| a == *at) {
                out.push((u32::MAX - u32::try_from(key.len()).unwrap_or(u32::MAX), *at));
            }
        }
        out
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Adds a volunteer, or replaces them after an edit (a changed card is re-indexed).
    pub fn upsert(&mut self, id: VolunteerId, v: &Volunteer) {
        let e = entry(id, v);
        let at = match self.by_id.get(&id) {
            Some(&at) => {
                self.unlist(at);
                self.by_card.remove(&self.entries[at].card);
                self.by_card.insert(e.card.clone(), at);
                self.entries[at] = e;
                at
            }
            // Registered here after being found as registered elsewhere: the same entry.
            None if self.by_card.get(&e.card).is_some_and(|&at| self.entries[at].id == ELSEWHERE) => {
                let at = self.by_card[&e.card];
                self.unlist(at);
                self.by_id.insert(id, at);
                self.entries[at] = e;
                at
            }
            None => {
                let at = self.entries.len();
                self.by_id.insert(id, at);
                self.by_card.insert(e.card.clone(), at);
                self.entries.push(e);
                at
            }
        };
        self.list(at);
        self.last = None;
    }

    /// The volunteer whose card is exactly `text` (what a barcode scanner types).
    pub fn card(&self, text: &str) -> Option<VolunteerId> {
        self.by_card.get(&text.trim().to_ascii_uppercase()).map(|&at| self.entries[at].id)
    }

    /// The best `limit` matches for what has been typed so far. An exact card number comes
    /// first; then fuzzy matches on the keys of the query's kind, best score first, ties in
    /// registration order.
    pub fn search(&mut self, query: &str, limit: usize) -> Vec<Hit> {
        let query = query.trim();
        if query.is_empty() {
            self.last = None;
            return Vec::new();
        }
        let kind = if !query.is_ascii() {
            QueryKind::Name
        } else if query.chars().all(|c| c.is_ascii_digit()) {
            QueryKind::Digits
        } else {
            QueryKind::Latin
        };
        let lower = query.to_ascii_lowercase();
        let need = if kind == QueryKind::Name { 0 } else { mask_of(&lower) };
        // Every step keeps a superset of the true matches, and a match of a longer query is a
        // match of its prefix, so while the user keeps typing only the last candidates are looked at.
        let previous = match self.last.take() {
            Some((previous, candidates)) if lower.starts_with(previous.as_str()) => Some(candidates),
            _ => None,
        };
        let entries = &self.entries;
        let candidates: Vec<usize> = match previous {
            Some(c) => c.into_iter().filter(|&at| entries[at].mask & need == need).collect(),
            None => (0..entries.len()).filter(|&at| entries[at].mask & need == need).collect(),
        };
        let exact = self.by_card.get(&query.to_ascii_uppercase()).copied();
        let prefix = if kind == QueryKind::Name { query } else { lower.as_str() };
        let (mut ranked, kept): (Vec<(u32, usize)>, Vec<usize>) = if candidates.len() > FUZZY_LIMIT {
            // Ranked by prefix; the other candidates stay for the next, narrower query.
            (self.by_prefix(kind, prefix, limit), candidates)
        } else {
            let atom = Atom::new(&lower, CaseMatching::Ignore, Normalization::Smart, AtomKind::Fuzzy, false);
            let matcher = &mut self.matcher;
            let scored: Vec<(u32, usize)> = candidates
                .into_iter()
                .filter_map(|at| {
                    let e = &entries[at];
                    let best = match kind {
                        QueryKind::Name => {
                            e.names.iter().filter_map(|(_, n)| atom.score(n.slice(..), matcher)).max()
                        }
                        QueryKind::Digits => e.ascii32[..e.numeric_keys]
                            .iter()
                            .filter_map(|k| atom.score(k.slice(..), matcher))
                            .max(),
                        QueryKind::Latin => {
                            e.ascii32.iter().filter_map(|k| atom.score(k.slice(..), matcher)).max()
                        }
                    };
                    // A name typed in full ranks above the longer names that contain it
                    // (陈华 before 陈华佩): the fuzzy score alone put it below them.
                    let whole = kind == QueryKind::Name && e.names.iter().any(|(n, _)| n == query);
                    best.map(|score| (if whole { u32::from(u16::MAX) + 1 } else { u32::from(score) }, at))
                })
                .collect();
            let kept = scored.iter().map(|&(_, at)| at).collect();
            (scored, kept)
        };
        if let Some(at) = exact {
            ranked.retain(|&(_, a)| a != at);
            ranked.push((u32::MAX, at));
        }
        // Ties (thousands of them after one letter) go by registration order: comparing two
        // integers, not two card strings, is what keeps a keystroke inside one frame.
        let by_rank = |&(score, at): &(u32, usize)| (std::cmp::Reverse(score), at);
        if ranked.len() > limit {
            ranked.select_nth_unstable_by_key(limit, by_rank);
            ranked.truncate(limit);
        }
        ranked.sort_by_key(by_rank);
        self.last = Some((lower, kept));
        ranked.into_iter().map(|(score, at)| Hit { id: entries[at].id, score, entry: at }).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CardNo, Day, Name, Phone};

    fn v(card: &str, name: &str, phone: &str) -> Volunteer {
        Volunteer {
            card: CardNo::parse(card).unwrap(),
            name: Name::parse(name).unwrap(),
            phone: Phone::parse_optional(phone).unwrap(),
            community: String::new(),
            registered_on: Day::parse("2026-01-01").unwrap(),
            id_number: None,
            active: true,
            pin_hash: None,
        }
    }

    fn sample() -> SearchIndex {
        let people = [
            (1, v("JH000123", "陈华佩", "13800005678")),
            (2, v("JH000124", "陈国华", "13900001234")),
            (3, v("JH000200", "区锦荣", "")),
            (4, v("JH000201", "李明", "13512345678")),
        ];
        SearchIndex::build(people.iter().map(|(id, v)| (*id, v)))
    }

    fn ids(hits: &[Hit]) -> Vec<u64> {
        hits.iter().map(|h| h.id).collect()
    }

    #[test]
    fn initials_and_full_pinyin_find_the_same_person_first() {
        let mut index = sample();
        assert_eq!(ids(&index.search("chp", 5))[0], 1);
        assert_eq!(ids(&index.search("chenhuapei", 5)), vec![1]);
        assert_eq!(ids(&index.search("陈华", 5))[0], 1);
        assert_eq!(ids(&index.search("CHP", 5))[0], 1, "case does not matter");
    }

    /// Issue 25 (3): a card two counters registered as different people is found by either
    /// person's name, pinyin or phone tail — one entry, never two.
    #[test]
    fn a_card_in_conflict_is_found_by_either_person() {
        let mut index = sample();
        index.add_listed("JH000900", &[("梁小燕", "1111"), ("梁晓燕", "2222")]);
        for query in ["梁小燕", "梁晓燕", "lxy", "1111", "2222"] {
            let hits = index.search(query, 5);
            assert_eq!(hits.len(), 1, "{query}");
            assert_eq!(index.card_of(&hits[0]), "JH000900", "{query}");
        }
        assert_eq!(index.search("梁晓燕", 5)[0].score, u32::from(u16::MAX) + 1, "a whole name ranks first");
    }

    /// Issue 25 (low): a name typed in full comes before the longer names that contain it.
    #[test]
    fn a_whole_name_ranks_above_longer_names_that_contain_it() {
        let people = [
            (1, v("JH000123", "陈华佩", "")),
            (2, v("JH000124", "陈华佩琳", "")),
            (3, v("JH000300", "陈华", "")),
        ];
        let mut index = SearchIndex::build(people.iter().map(|(id, v)| (*id, v)));
        assert_eq!(ids(&index.search("陈华", 5))[0], 3);
        assert_eq!(ids(&index.search("陈华佩", 5))[0], 1);
    }

    #[test]
    fn polyphonic_surnames_are_found_by_every_reading() {
        let mut index = sample();
        assert!(spellings("区锦荣").iter().any(|(f, _)| f == "oujinrong"), "{:?}", spellings("区锦荣"));
        assert_eq!(ids(&index.search("oujr", 5))[0], 3);
        assert_eq!(ids(&index.search("qujinrong", 5))[0], 3);
    }

    #[test]
    fn a_scanned_card_is_an_exact_hit_and_a_phone_tail_finds_its_owner() {
        let mut index = sample();
        assert_eq!(index.card(" jh000124 "), Some(2));
        assert_eq!(index.card("JH9"), None);
        let hits = index.search("JH000124", 5);
        assert_eq!(hits[0].id, 2, "the exact card ranks first");
        assert_eq!(ids(&index.search("1234", 5))[0], 2);
        assert_eq!(ids(&index.search("5678", 5)).len(), 2, "both tails ending 5678");
    }

    #[test]
    fn typing_narrows_and_editing_re_widens() {
        let mut index = sample();
        assert_eq!(index.search("c", 10).len(), 2, "the two 陈 by their initials");
        assert_eq!(ids(&index.search("ch", 10)).len(), 2);
        assert_eq!(ids(&index.search("chg", 10)), vec![2]);
        // Backspace: no longer an extension of the last query, so the whole index is searched.
        assert_eq!(ids(&index.search("ch", 10)).len(), 2);
        assert!(index.search("   ", 10).is_empty());
        assert!(index.search("zzzz", 10).is_empty());
    }

    #[test]
    fn many_candidates_are_ranked_by_prefix_and_stay_consistent_after_edits() {
        let people: Vec<(u64, Volunteer)> = (1..=2000)
            .map(|i| (i, v(&format!("JH{i:06}"), if i % 2 == 0 { "陈华" } else { "李明" }, "")))
            .collect();
        let mut index = SearchIndex::build(people.iter().map(|(id, v)| (*id, v)));
        // "jh" matches all 2000: far past the fuzzy limit, so ranking is by prefix.
        let hits = index.search("jh", 20);
        assert_eq!(hits.len(), 20);
        assert!(hits.iter().all(|h| h.id <= 2000));
        assert_eq!(ids(&index.search("jh0012", 20))[..1], [1200], "exact-length-ish prefix keys first");
        assert_eq!(index.search("jh001200", 20)[0].id, 1200, "and the exact card on top");
        assert_eq!(index.search("陈", 5).len(), 5);
        index.upsert(1200, &v("XY1", "王芳", ""));
        assert!(ids(&index.search("jh0012", 20)).iter().all(|&id| id != 1200));
        assert_eq!(ids(&index.search("xy", 20)), vec![1200]);
        assert_eq!(ids(&index.search("wangf", 20)), vec![1200]);
    }

    #[test]
    fn edits_reindex_cards_and_names() {
        let mut index = sample();
        index.upsert(4, &v("JH777", "王芳", ""));
        assert_eq!(index.card("JH000201"), None);
        assert_eq!(index.card("JH777"), Some(4));
        assert_eq!(ids(&index.search("wangfang", 5)), vec![4]);
        assert!(index.search("liming", 5).is_empty());
        assert_eq!(index.len(), 4);
    }
}
