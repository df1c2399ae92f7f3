//! Record hours for one volunteer. Usual case from the volunteer page: `d`, the hours, Enter
//! (the confirm line shows the new balance), Enter (saved, flushed, then "saved").

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::confirm::{Answer, Confirm};
use super::entry::{EntryForm, EntryKey, EntryValues};
use crate::bank::{Deposit, Mode, Op, VolunteerView};
use crate::domain::format_hours;
use crate::i18n::fill;
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Scope};
use crate::tui::widgets::{put, title_bar, wrap};

pub struct RecordForm {
    volunteer: VolunteerView,
    entry: Option<EntryForm>,
    /// The values to save, and what the bank's dry run said saving them will do.
    confirm: Confirm<(EntryValues, Outcome)>,
    error: Option<String>,
    /// The volunteer's balance as the page shows it (the city's).
    balance: u64,
}

/// What a deposit will do, from the bank's dry run of it.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    /// Credited: these minutes (after the rounding and the category's multiplier).
    Credited(u64),
    /// Held for an admin's approval: nothing credited yet.
    Held,
}

impl RecordForm {
    pub fn new(cx: &mut Cx, volunteer: VolunteerView) -> RecordForm {
        let entry = match EntryForm::new(cx.bank, cx.memory, cx.t) {
            Ok(e) => Some(e),
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                None
            }
        };
        let balance = super::page_words::balance(cx.bank, &volunteer);
        RecordForm { volunteer, entry, confirm: Confirm::default(), error: None, balance }
    }

    fn deposit(&self, values: &EntryValues) -> Deposit {
        Deposit {
            card: self.volunteer.volunteer.card.clone(),
            activity: values.activity,
            minutes: values.minutes,
            served_on: Some(values.day),
            note: values.note.clone(),
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match self.confirm.on_key(keymap::action(Scope::Form, key), cx) {
            Some(Answer::Leave) => return Step::Back,
            Some(Answer::Done(result)) => return self.finish(cx, result),
            Some(Answer::Step(step)) => return step,
            None => {}
        }
        let Some(entry) = self.entry.as_mut() else { return Step::Back };
        match entry.on_key(key, cx.t, cx.bank.today()) {
            EntryKey::Submit(values) => {
                // The confirm line is the commit's dry run: every rule the save would meet
                // (caps, rounding, approval) speaks now, not after the second Enter.
                let op = Op::Deposit(self.deposit(&values));
                match cx.bank.execute(&cx.session.actor, &op, Mode::Preview) {
                    Ok(would) => {
                        let outcome = match would.events.first().map(|e| e.kind()) {
                            Some(crate::domain::EventKind::Deposited { minutes, .. }) => {
                                Outcome::Credited(u64::from(minutes.get()))
                            }
                            _ => Outcome::Held,
                        };
                        self.error = None;
                        self.confirm.offer(op, (values, outcome));
                    }
                    Err(e) => self.error = Some(cx.t.bank_error(&e)),
                }
            }
            EntryKey::Cancel => return Step::Back,
            EntryKey::Nothing => {}
        }
        Step::Stay
    }

    /// Whether the confirmed operation waits for the city service.
    pub fn is_asking(&self) -> bool {
        self.confirm.is_asking()
    }

    /// The confirmed deposit's result: back to the page, or the refusal on this screen.
    pub fn finish(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        let confirmed = self.confirm.finish();
        match result {
            Ok(done) => {
                if let Some((_, (values, _))) = confirmed {
                    cx.memory.last_activity = Some(values.activity);
                }
                *cx.status = super::deposit_status(cx.t, &done);
                Step::Back
            }
            Err(e) => {
                self.error = Some(e);
                Step::Stay
            }
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        let v = &self.volunteer;
        let balance = self.balance;
        let title = super::page_words::title(t, t.record_title, v, balance);
        title_bar(buf, area, &title, theme);
        let form = Rect {
            x: area.x + 1,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: super::entry::HEIGHT,
        };
        if let Some(entry) = &self.entry {
            entry.render(form, buf, vx, self.confirm.pending().is_none());
        }
        let y = form.bottom() + 1;
        if let Some((_, (values, outcome))) = self.confirm.pending() {
            let line = match *outcome {
                Outcome::Credited(credited) => fill(
                    t.confirm_deposit,
                    &[
                        &format_hours(credited),
                        &format_hours(balance),
                        &format_hours(balance.saturating_add(credited)),
                    ],
                ),
                Outcome::Held => fill(
                    t.confirm_deposit_held,
                    &[&format_hours(u64::from(values.minutes.get())), &format_hours(balance)],
                ),
            };
            // Wrapped, never cut: the confirm line is what the staff member agrees to.
            let lines = wrap(&line, usize::from(area.width.saturating_sub(2)));
            for (i, part) in lines.iter().enumerate() {
                put(buf, area, area.x + 1, y + i as u16, part, theme.warning);
            }
            if self.confirm.is_asking() {
                put(buf, area, area.x + 1, y + lines.len() as u16, t.city_commit_asking, theme.accent);
            }
        }
        if let Some(e) = &self.error {
            for (i, part) in wrap(e, usize::from(area.width.saturating_sub(2))).iter().enumerate() {
                put(buf, area, area.x + 1, y + i as u16, part, theme.danger);
            }
        }
    }
}
