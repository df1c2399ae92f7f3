//! Find a volunteer: search as you type over hanzi, pinyin, initials, card and phone tail; a
//! scanned card + Enter opens that volunteer even before the index is ready.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, VolunteerView};
use crate::domain::{CardNo, VolunteerId, format_hours};
use crate::search::{ELSEWHERE, SearchIndex};
use crate::tui::contract::{Cx, Route, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{ListColumn, TextInput, put, table, title_bar};

/// Results kept per query; more than a screen holds.
const LIMIT: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub id: VolunteerId,
    pub card: String,
    pub name: String,
    pub community: String,
    pub balance: u64,
    /// The card is registered as different people (the balance is this counter's person's).
    pub conflict: bool,
}

pub struct Find {
    query: TextInput,
    rows: Vec<Row>,
    selected: usize,
}

impl Default for Find {
    fn default() -> Self {
        Find { query: TextInput::new(64), rows: Vec::new(), selected: 0 }
    }
}

impl Find {
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// Re-runs the query (after an edit, or when the index arrives).
    pub fn refresh(&mut self, bank: &Bank, index: &mut SearchIndex) {
        self.selected = 0;
        self.rows.clear();
        let q = self.query.value().trim();
        if q.is_empty() {
            return;
        }
        // Once this counter has pulled from the city, the balance a volunteer has is the
        // city's: the figure the volunteer page and the kiosk lead with.
        let city = bank.city_as_of().ok().flatten().is_some();
        // A whole mobile number: the index holds only phone tails, so its last four digits
        // are looked up, and a volunteer registered here is kept only if the number is theirs.
        let whole_phone =
            (q.len() == 11 && q.starts_with('1') && q.bytes().all(|b| b.is_ascii_digit())).then_some(q);
        let looked_up = whole_phone.map_or(q, |p| &p[p.len() - 4..]);
        for hit in index.search(looked_up, LIMIT) {
            let found = if hit.id == ELSEWHERE {
                let card = CardNo::parse(index.card_of(&hit)).ok();
                let elsewhere = card.and_then(|c| bank.city_listing(&c).ok().flatten());
                elsewhere.map(|v| VolunteerView {
                    id: ELSEWHERE,
                    volunteer: v.record,
                    account: Default::default(),
                })
            } else {
                bank.volunteer(hit.id).ok()
            };
            let Some(v) = found else { continue };
            if let Some(phone) = whole_phone
                && v.id != ELSEWHERE
                && v.volunteer.phone.as_ref().map(|p| p.as_str()) != Some(phone)
            {
                continue;
            }
            let (balance, conflict) = match city {
                true => bank
                    .city_balance(&v.volunteer.card)
                    .map_or((v.account.balance(), false), |b| (b.total(), b.conflict.is_some())),
                false => (v.account.balance(), false),
            };
            // A card two counters registered as different people shows both: either name
            // found it, and staff must see it is not one person.
            let listing = conflict.then(|| bank.city_listing(&v.volunteer.card).ok().flatten()).flatten();
            let other = listing.and_then(|l| {
                [Some(l.record.name.to_string()), l.other_name]
                    .into_iter()
                    .flatten()
                    .find(|n| n != v.volunteer.name.as_str())
            });
            let name = match other {
                Some(other) => format!("{} / {other}", v.volunteer.name),
                None => v.volunteer.name.to_string(),
            };
            self.rows.push(Row {
                id: v.id,
                card: v.volunteer.card.to_string(),
                name,
                community: v.volunteer.community.clone(),
                balance,
                conflict,
            });
        }
    }

    /// Opens `card`'s page (registering a volunteer from another counter here first) and
    /// keeps the search index in step with that registration.
    fn open_card(card: &str, cx: &mut Cx) -> Result<Step, crate::bank::BankError> {
        let v = cx.bank.find_or_adopt(&cx.session.actor, &CardNo::parse(card)?)?;
        if let Some(index) = cx.index.as_mut() {
            index.upsert(v.id, &v.volunteer);
        }
        Ok(Step::Push(Route::Volunteer(v.id)))
    }

    fn open(&self, cx: &mut Cx) -> Step {
        let q = self.query.value().trim();
        if q.is_empty() {
            return Step::Stay;
        }
        // A whole card number wins over fuzzy results: that is what a scanner sends.
        if let Ok(card) = CardNo::parse(q)
            && let Ok(step) = Find::open_card(card.as_str(), cx)
        {
            return step;
        }
        match self.rows.get(self.selected) {
            Some(row) => match Find::open_card(&row.card, cx) {
                Ok(step) => step,
                Err(e) => {
                    *cx.status = Status::Error(cx.t.bank_error(&e));
                    Step::Stay
                }
            },
            None => {
                *cx.status = Status::Error(crate::i18n::fill(cx.t.err_unknown_card, &[&q]));
                Step::Stay
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let last = self.rows.len().saturating_sub(1);
        match keymap::action(Scope::Find, key) {
            Some(Action::Open) => return self.open(cx),
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::PageUp) => self.selected = self.selected.saturating_sub(10),
            Some(Action::PageDown) => self.selected = (self.selected + 10).min(last),
            Some(Action::Register) => {
                // An unknown card typed here is most likely the new volunteer's card.
                let card = CardNo::parse(self.query.value()).ok().filter(|c| cx.bank.find_card(c).is_err());
                return Step::Push(Route::Register(card.map(|c| c.as_str().to_string())));
            }
            Some(Action::Batch) => return Step::Push(Route::Batch),
            Some(Action::Exchange) => return Step::Push(Route::Exchange),
            Some(Action::Review) => return Step::Push(Route::Review),
            Some(Action::Reports) => return Step::Push(Route::Reports),
            Some(Action::Admin) => return Step::Push(Route::Admin),
            Some(Action::Back) => {
                self.query.clear();
                self.rows.clear();
            }
            _ => {
                if self.query.handle(key)
                    && let Some(index) = cx.index.as_mut()
                {
                    self.refresh(cx.bank, index);
                }
            }
        }
        Step::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        title_bar(buf, area, t.find_title, theme);
        let x = area.x + 1;
        let w = area.width.saturating_sub(2);
        put(buf, area, x, area.y + 2, ">", theme.accent);
        self.query.render(
            Rect { x: x + 2, y: area.y + 2, width: 40.min(w - 2), height: 1 },
            buf,
            theme.row(true),
            true,
            false,
        );
        put(buf, area, x + 2, area.y + 3, t.find_prompt, theme.muted);
        let hint = if !vx.index_ready {
            t.index_building
        } else if self.query.is_empty() {
            t.find_empty
        } else if self.rows.is_empty() {
            t.find_none
        } else {
            ""
        };
        put(buf, area, x + 2, area.y + 4, hint, theme.accent);
        // Card 10, name 14, balance 14 (room for a card in conflict's mark), community takes
        // the rest.
        // Wide enough for the longest name on screen (a card of two people shows both).
        let name_cols =
            self.rows.iter().map(|r| crate::tui::widgets::width(&r.name)).max().unwrap_or(0).clamp(14, 26);
        let columns = [
            ListColumn::fixed(t.col_card, 10),
            ListColumn::fixed(t.col_name, name_cols as u16),
            ListColumn::fill(t.col_community, 1),
            ListColumn::fixed(t.col_balance, 14).right(),
        ];
        let header_y = area.y + 6;
        let list = Rect { x, y: header_y, width: w, height: area.bottom().saturating_sub(header_y) };
        let room = usize::from(list.height.saturating_sub(1));
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        let rows = self.rows.iter().enumerate().skip(start).take(room).map(|(i, row)| {
            let balance = match row.conflict {
                true => format!("{} {}", t.conflict_mark, format_hours(row.balance)),
                false => format_hours(row.balance),
            };
            let cells = vec![row.card.clone(), row.name.clone(), row.community.clone(), balance];
            (cells, theme.row(i == self.selected))
        });
        table(buf, list, &columns, Some(theme.muted), rows);
    }
}
