//! Transfer hours from this volunteer to another (a family member, a neighbour), within the
//! admin-set limit. A confirm line shows the balance after.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::spend::{CityWork, Commit};
use super::volunteer::VolunteerPage;
use crate::bank::{Transfer, VolunteerView};
use crate::domain::{CardNo, MAX_NOTE_CHARS, Minutes, format_hours, parse_text};
use crate::i18n::fill;
use crate::tui::app::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, FormKey, put, title_bar};

const TO: usize = 0;
const DURATION: usize = 1;
const NOTE: usize = 2;

pub struct TransferForm {
    volunteer: VolunteerView,
    form: Form,
    /// The checked request and the receiver's name, awaiting a second Enter.
    confirm: Option<(Transfer, String)>,
    /// The confirmed transfer waits for the city service.
    pub asking: bool,
}

impl TransferForm {
    pub fn new(volunteer: VolunteerView) -> TransferForm {
        let form = Form::new(vec![Field::new("", 32), Field::new("", 16), Field::new("", MAX_NOTE_CHARS)]);
        TransferForm { volunteer, form, confirm: None, asking: false }
    }

    fn back(&self, cx: &mut Cx) -> Step {
        VolunteerPage::back_to(cx, self.volunteer.id)
    }

    fn check(&mut self, cx: &Cx) -> Option<(Transfer, String)> {
        let t = cx.t;
        let to = CardNo::parse(self.form.value(TO)).map_err(|e| t.domain_error(&e)).and_then(|card| {
            cx.bank
                .find_card(&card)
                .map(|v| (card, v.volunteer.name.to_string()))
                .map_err(|e| t.bank_error(&e))
        });
        let minutes = Minutes::parse(self.form.value(DURATION)).map_err(|e| t.domain_error(&e));
        let note = parse_text(self.form.value(NOTE), MAX_NOTE_CHARS).map_err(|e| t.domain_error(&e));
        self.form.set_error(TO, to.as_ref().err().cloned());
        self.form.set_error(DURATION, minutes.as_ref().err().cloned());
        self.form.set_error(NOTE, note.as_ref().err().cloned());
        let (Ok((to, name)), Ok(minutes), Ok(note)) = (to, minutes, note) else {
            self.form.focus_first_error();
            return None;
        };
        let request = Transfer { from: self.volunteer.volunteer.card.clone(), to, minutes, note };
        // The confirm line is the commit's dry run: to oneself, over the limit or past the
        // balance is refused now, not after the second Enter.
        let dry = cx.bank.preview_transfer(&cx.session.actor, &request);
        let to_oneself = matches!(dry, Err(crate::bank::BankError::Rule(crate::domain::Rule::SelfTransfer)));
        if let Err(e) = super::spend::preview(cx, &request.from, dry) {
            self.form.set_error(if to_oneself { TO } else { DURATION }, Some(e));
            self.form.focus_first_error();
            return None;
        }
        Some((request, name))
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let action = keymap::action(Scope::Form, key);
        if self.asking {
            // Only leaving: the transfer goes on, and the status line will say how it ended.
            return if action == Some(Action::Back) { self.back(cx) } else { Step::Stay };
        }
        if let Some((request, _)) = &self.confirm {
            match action {
                Some(Action::Submit) => {
                    let work = CityWork::Spend(crate::city::Spend::Transfer(request.clone()));
                    return match super::spend::commit(cx, work) {
                        Commit::Done(result) => self.finish(cx, result),
                        Commit::Asking(work) => {
                            self.asking = true;
                            Step::CityCommit(work)
                        }
                    };
                }
                Some(Action::Back) => self.confirm = None,
                _ => {}
            }
            return Step::Stay;
        }
        match self.form.on_key(action, key) {
            FormKey::Back => return self.back(cx),
            FormKey::Submit => self.confirm = self.check(cx),
            FormKey::Handled => {}
        }
        Step::Stay
    }

    /// The confirmed transfer's result: back to the page, or the refusal in the status line.
    pub fn finish(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        self.asking = false;
        match result {
            Ok(done) => {
                *cx.status = Status::Saved(done.events.last().map_or(0, |e| e.seq()));
                self.back(cx)
            }
            Err(e) => {
                *cx.status = Status::Error(e);
                self.confirm = None;
                Step::Stay
            }
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let v = &self.volunteer;
        let balance = v.account.balance();
        let title = super::volunteer::title(t, t.transfer_title, v);
        title_bar(buf, area, &title, vx.theme);
        let mut form = self.form.clone();
        for (i, label) in [t.transfer_to, t.duration, t.note].into_iter().enumerate() {
            form.fields[i].label = label;
        }
        form.fields[DURATION].hint = t.duration_hint;
        form.fields[NOTE].hint = t.optional;
        form.render(
            Rect { x: area.x + 1, y: area.y + 2, width: area.width.saturating_sub(2), height: 3 },
            buf,
            vx.theme,
            vx.t,
            self.confirm.is_none(),
        );
        if let Some((request, name)) = &self.confirm {
            let m = u64::from(request.minutes.get());
            let line = fill(
                t.confirm_transfer,
                &[
                    &format_hours(m),
                    &format!("{name} {}", request.to),
                    &format_hours(balance.saturating_sub(m)),
                ],
            );
            put(buf, area, area.x + 1, area.y + 6, &line, vx.theme.warning);
        }
        if self.asking {
            put(buf, area, area.x + 1, area.y + 7, t.city_commit_asking, vx.theme.accent);
        }
    }
}
