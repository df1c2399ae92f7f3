//! Cards registered as different people (Admin → `k`): the city service's list, each card with
//! this counter's person and the other counter's, and what differs. An admin settles this
//! counter's side (see `bank::settle`): `o` makes this counter's record the other counter's
//! person; `n` moves this counter's person to a new card with every hour recorded for them
//! here (asked of the city off the UI thread: their pooled hours come back first). Both say
//! what they will do and save at the second Enter; the city clears the conflict at the next
//! sync.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, CardMove, OtherPerson};
use crate::city::wire::Conflict;
use crate::domain::{CardNo, format_hours};
use crate::i18n::fill;
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{ListColumn, TextInput, put, table, title_bar, under_title};

/// One card in conflict as this counter sees it.
struct Row {
    card: CardNo,
    /// This counter's person on the card: `None` when this counter did not register it.
    ours: Option<String>,
    /// The counter on the other side, and its person (what settling leaves on the card here).
    theirs: String,
    other: Option<OtherPerson>,
    differs: Vec<String>,
    /// What a move to a new card takes along: every hour recorded here for this counter's person.
    hours_here: u64,
}

/// Settling the selected card: which way, and whether the first Enter was pressed.
enum Settling {
    TakeOther { confirming: bool },
    MoveToNewCard { new_card: TextInput, confirming: Option<CardNo> },
}

pub struct Conflicts {
    /// `None` while the service is asked; its list, or why there is none.
    list: Option<Result<Vec<Row>, String>>,
    selected: usize,
    settling: Option<Settling>,
    /// A move waits for the city's answer (`Step::CityCommit`).
    asking: bool,
}

impl Conflicts {
    /// Opened asking the city service (the app asks it at once, see `waits_for_list`), or saying
    /// why it cannot when this counter has no city.
    pub fn open(cx: &Cx) -> Conflicts {
        let list = match cx.config.sync.city_url() {
            Some(_) => None,
            None => Some(Err(cx.t.conflicts_no_city.to_string())),
        };
        Conflicts { list, selected: 0, settling: None, asking: false }
    }

    /// Whether the list is still to be asked of the city service.
    pub fn waits_for_list(&self) -> bool {
        self.list.is_none()
    }

    /// The service's answer (`Effect::AskConflicts`).
    pub fn listed(&mut self, bank: &Bank, answer: Result<Vec<Conflict>, String>) {
        let own = bank.counter_code().ok().flatten().map(|c| c.to_string()).unwrap_or_default();
        self.list = Some(answer.map(|list| list.into_iter().filter_map(|c| row(bank, &own, c)).collect()));
        self.selected = 0;
        self.settling = None;
    }

    pub fn is_asking(&self) -> bool {
        self.asking
    }

    pub fn scope(&self) -> Scope {
        match self.settling {
            Some(Settling::MoveToNewCard { confirming: None, .. }) => Scope::Form,
            _ => Scope::Conflicts,
        }
    }

    fn rows(&self) -> &[Row] {
        match &self.list {
            Some(Ok(rows)) => rows,
            _ => &[],
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        if self.asking {
            return Step::Stay;
        }
        let action = keymap::action(self.scope(), key);
        if let Some(settling) = &mut self.settling {
            return match action {
                Some(Action::Back) => {
                    self.settling = None;
                    Step::Stay
                }
                Some(Action::Submit | Action::Open) => self.submit(cx),
                _ => {
                    if let Settling::MoveToNewCard { new_card, confirming } = settling
                        && new_card.handle(key)
                    {
                        *confirming = None;
                    }
                    Step::Stay
                }
            };
        }
        let last = self.rows().len().saturating_sub(1);
        match action {
            Some(Action::Back) => return Step::Back,
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::Refresh) if cx.config.sync.city_url().is_some() => {
                self.list = None;
                return Step::AskConflicts;
            }
            Some(action @ (Action::TakeOther | Action::MoveToNewCard)) => {
                let Some(row) = self.rows().get(self.selected) else { return Step::Stay };
                if row.ours.is_none() || row.other.is_none() {
                    *cx.status = Status::Error(fill(cx.t.conflicts_not_here, &[&row.card]));
                    return Step::Stay;
                }
                self.settling = Some(match action {
                    Action::TakeOther => Settling::TakeOther { confirming: false },
                    _ => Settling::MoveToNewCard { new_card: TextInput::new(32), confirming: None },
                });
            }
            _ => {}
        }
        Step::Stay
    }

    /// Enter while settling: the first says what will be done, the second does it.
    fn submit(&mut self, cx: &mut Cx) -> Step {
        let Some(row) = self.rows().get(self.selected) else { return Step::Stay };
        let (Some(other), card) = (row.other.clone(), row.card.clone()) else { return Step::Stay };
        match &mut self.settling {
            Some(Settling::TakeOther { confirming: false }) => {
                self.settling = Some(Settling::TakeOther { confirming: true });
                Step::Stay
            }
            Some(Settling::TakeOther { confirming: true }) => {
                self.settling = None;
                *cx.status = match cx.bank.take_other_registration(&cx.session.actor, &card, &other) {
                    Ok(e) => Status::Info(fill(cx.t.conflicts_settled, &[&e.seq()])),
                    Err(e) => Status::Error(cx.t.bank_error(&e)),
                };
                Step::Stay
            }
            Some(Settling::MoveToNewCard { new_card, confirming }) => match confirming.take() {
                None => {
                    match CardNo::parse(new_card.value().trim()) {
                        Ok(c) => *confirming = Some(c),
                        Err(e) => *cx.status = Status::Error(cx.t.domain_error(&e)),
                    }
                    Step::Stay
                }
                Some(new_card) => {
                    self.asking = true;
                    Step::CityCommit(crate::bank::Op::MoveToNewCard(CardMove { card, new_card, other }))
                }
            },
            None => Step::Stay,
        }
    }

    /// The move's commit ended: saved (the list stays until asked again) or refused in words.
    pub fn finish(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        self.asking = false;
        self.settling = None;
        *cx.status = match result {
            Ok(done) => Status::Info(fill(cx.t.conflicts_settled, &[&done.first_seq()])),
            Err(e) => Status::Error(e),
        };
        Step::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let (t, theme) = (vx.t, vx.theme);
        title_bar(buf, area, t.conflicts_title, theme);
        let x = area.x + 1;
        let (rows, said) = match &self.list {
            None => (&[][..], Some((t.conflicts_asking, theme.muted))),
            Some(Err(why)) => (&[][..], Some((why.as_str(), theme.danger))),
            Some(Ok(rows)) if rows.is_empty() => (&[][..], Some((t.conflicts_none, theme.muted))),
            Some(Ok(rows)) => (&rows[..], None),
        };
        if let Some((line, style)) = said {
            put(buf, area, x, area.y + 2, line, style);
            return;
        }
        let columns = [
            ListColumn::fixed(t.col_card, 10),
            ListColumn::fixed(t.conflicts_col_here, 12),
            ListColumn::fixed(t.conflicts_col_theirs, 22),
            ListColumn::fill(t.conflicts_col_differs, 1),
        ];
        let list = Rect { height: area.height.saturating_sub(4), ..under_title(area) };
        let room = usize::from(list.height.saturating_sub(1));
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        let lines = rows.iter().enumerate().skip(start).take(room).map(|(i, row)| {
            let ours = row.ours.clone().unwrap_or_else(|| t.conflicts_not_registered.to_string());
            let theirs = match &row.other {
                Some(o) => format!("{} {}", o.name, row.theirs),
                None => row.theirs.clone(),
            };
            let differs = row.differs.iter().map(|d| t.registration_field(d)).collect::<Vec<_>>().join(" ");
            (vec![row.card.to_string(), ours, theirs, differs], theme.row(i == self.selected))
        });
        table(buf, list, &columns, Some(theme.muted), lines);
        let Some(row) = rows.get(self.selected) else { return };
        let y = area.bottom().saturating_sub(3);
        let say = |line: &str, dy: u16, buf: &mut Buffer| put(buf, area, x, y + dy, line, theme.accent);
        match (&self.settling, &row.other) {
            (Some(Settling::TakeOther { confirming }), Some(o)) => {
                say(&fill(t.conflicts_take, &[&row.card, &o.name, &row.theirs]), 0, buf);
                if o.clear_phone || o.clear_id_number {
                    say(t.conflicts_clears, 1, buf);
                }
                say(if *confirming { t.conflicts_enter_saves } else { t.conflicts_enter_checks }, 2, buf);
            }
            (Some(Settling::MoveToNewCard { new_card, confirming }), Some(o)) => {
                let ours = row.ours.as_deref().unwrap_or_default();
                match confirming {
                    None => {
                        let at = say(&fill(t.conflicts_new_card, &[&ours]), 0, buf);
                        let input = Rect { x: at + 1, y, width: 20, height: 1 };
                        new_card.render(input.intersection(area), buf, theme.row(true), true, false);
                    }
                    Some(c) => {
                        let hours = format_hours(row.hours_here);
                        say(&fill(t.conflicts_move, &[&ours, c, &hours, &row.card, &o.name]), 0, buf);
                        say(t.conflicts_enter_saves, 2, buf);
                    }
                }
                if self.asking {
                    say(t.city_commit_asking, 2, buf);
                }
            }
            _ => {}
        }
    }
}

/// A card of the service's list as this counter sees it: its person on the card, the other
/// side's (the home for the counter in conflict, the counter in conflict for everyone else).
fn row(bank: &Bank, own: &str, c: Conflict) -> Option<Row> {
    let card = CardNo::parse(&c.card).ok()?;
    let theirs = match bank.card_conflict(&card).ok().flatten() {
        Some(conflict) => conflict.other_side(own).to_string(),
        None => c.versions.iter().find(|v| v.counter != own)?.counter.clone(),
    };
    let ours = bank.find_card(&card).ok().map(|v| v.volunteer.name.to_string());
    Some(Row {
        hours_here: bank.hours_recorded_here(&card).unwrap_or(0),
        other: c.other_person(&theirs),
        card,
        ours,
        theirs,
        differs: c.differs,
    })
}
