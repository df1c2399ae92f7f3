//! Transfer hours from this volunteer to another (a family member, a neighbour), within the
//! admin-set limit. A confirm line shows the balance after.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::confirm::{Answer, Confirm};
use crate::bank::{BankError, Op, Transfer, VolunteerView};
use crate::city::SpendError;
use crate::domain::{CardNo, MAX_NOTE_CHARS, Minutes, format_hours, parse_text};
use crate::i18n::fill;
use crate::tui::contract::{Cx, Step, Vx};
use crate::tui::keymap::{self, Scope};
use crate::tui::widgets::{Field, Form, FormKey, put, title_bar};

const TO: usize = 0;
const DURATION: usize = 1;
const NOTE: usize = 2;

pub struct TransferForm {
    volunteer: VolunteerView,
    form: Form,
    /// The checked transfer and the receiver's name, awaiting a second Enter.
    confirm: Confirm<String>,
    /// The giver's balance as the page shows it (the city's).
    balance: u64,
}

impl TransferForm {
    pub fn new(volunteer: VolunteerView, balance: u64) -> TransferForm {
        let form = Form::new(vec![Field::new("", 32), Field::new("", 16), Field::new("", MAX_NOTE_CHARS)]);
        TransferForm { volunteer, form, confirm: Confirm::default(), balance }
    }

    /// The transfer the form stands for, put up for confirmation when its dry run accepts it.
    fn check(&mut self, cx: &mut Cx) {
        let t = cx.t;
        let to = receiver(self.form.value(TO), cx);
        let minutes = Minutes::parse(self.form.value(DURATION)).map_err(|e| t.domain_error(&e));
        let note = parse_text(self.form.value(NOTE), MAX_NOTE_CHARS).map_err(|e| t.domain_error(&e));
        self.form.set_error(TO, to.as_ref().err().cloned());
        self.form.set_error(DURATION, minutes.as_ref().err().cloned());
        self.form.set_error(NOTE, note.as_ref().err().cloned());
        let (Ok((to, name)), Ok(minutes), Ok(note)) = (to, minutes, note) else {
            self.form.focus_first_error();
            return;
        };
        let request = Transfer { from: self.volunteer.volunteer.card.clone(), to, minutes, note };
        // The confirm line is the commit's dry run: to oneself, over the limit or past the
        // balance is refused now, not after the second Enter.
        let op = Op::Transfer(request);
        match super::confirm::preview(cx, &op) {
            Ok(_) => self.confirm.offer(op, name),
            Err(e) => {
                let to_oneself =
                    matches!(e, SpendError::Bank(BankError::Rule(crate::domain::Rule::SelfTransfer)));
                self.form.set_error(if to_oneself { TO } else { DURATION }, Some(cx.t.spend_error(&e)));
                self.form.focus_first_error();
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let action = keymap::action(Scope::Form, key);
        match self.confirm.on_key(action, cx) {
            Some(Answer::Leave) => return Step::Back,
            Some(Answer::Done(result)) => return self.finish(cx, result),
            Some(Answer::Step(step)) => return step,
            None => {}
        }
        match self.form.on_key(action, key) {
            FormKey::Back => return Step::Back,
            FormKey::Submit => self.check(cx),
            FormKey::Handled => {}
        }
        Step::Stay
    }

    /// Whether the confirmed operation waits for the city service.
    pub fn is_asking(&self) -> bool {
        self.confirm.is_asking()
    }

    /// The confirmed transfer's result: back to the page, or the refusal in the status line.
    pub fn finish(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        self.confirm.back_or_refused(cx, result)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let v = &self.volunteer;
        let balance = self.balance;
        let title = super::page_words::title(t, t.transfer_title, v, balance);
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
            self.confirm.pending().is_none(),
        );
        if let Some((Op::Transfer(request), name)) = self.confirm.pending() {
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
        if self.confirm.is_asking() {
            put(buf, area, area.x + 1, area.y + 7, t.city_commit_asking, vx.theme.accent);
        }
    }
}

/// The receiver the "to" field names: a card number, or a name, pinyin or phone tail that finds
/// one volunteer registered here (a name typed in full picks that person among longer names).
/// Several matches are listed, never guessed between.
fn receiver(typed: &str, cx: &mut Cx) -> Result<(CardNo, String), String> {
    let t = cx.t;
    let text = typed.trim();
    let by_card = CardNo::parse(text).map_err(|e| t.domain_error(&e)).and_then(|card| {
        cx.bank.find_card(&card).map(|v| (card, v.volunteer.name.to_string())).map_err(|e| t.bank_error(&e))
    });
    let Some(index) = cx.index.as_mut() else { return by_card };
    if by_card.is_ok() || text.is_empty() {
        return by_card;
    }
    let found: Vec<(CardNo, String)> = index
        .search(text, 4)
        .into_iter()
        .filter(|hit| hit.id != crate::search::ELSEWHERE)
        .filter_map(|hit| cx.bank.volunteer(hit.id).ok())
        .map(|v| (v.volunteer.card, v.volunteer.name.to_string()))
        .collect();
    let exact: Vec<&(CardNo, String)> = found.iter().filter(|(_, name)| name == text).collect();
    match (exact.as_slice(), found.as_slice()) {
        ([one], _) => Ok((*one).clone()),
        ([], [one]) => Ok(one.clone()),
        (_, []) if CardNo::parse(text).is_ok() => by_card,
        (_, []) => Err(t.find_none.to_string()),
        (_, many) => {
            let listed: Vec<String> =
                many.iter().take(3).map(|(card, name)| format!("{name} {card}")).collect();
            Err(fill(t.transfer_several, &[&listed.join(" / ")]))
        }
    }
}
