//! The donation pool (爱心池) from the volunteer page: `g` gives this volunteer's hours to the
//! pool; `G` (admins) grants pool hours to this volunteer, with the reason. Like every form
//! that moves hours, the first Enter is the commit's dry run and shows what will happen; the
//! second saves.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::confirm::{Answer, Confirm};
use crate::bank::{BankError, Donation, Mode, Op, PoolGrant, VolunteerView};
use crate::domain::{MAX_NOTE_CHARS, Minutes, format_hours, parse_text};
use crate::i18n::fill;
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Scope};
use crate::tui::widgets::{Field, Form, FormKey, put, title_bar};

const DURATION: usize = 0;
const MEMO: usize = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The volunteer gives hours to the pool.
    Donate,
    /// An admin grants pool hours to the volunteer.
    Grant,
}

pub struct PoolForm {
    volunteer: VolunteerView,
    direction: Direction,
    /// The pool's balance when the form opened.
    pool: u64,
    form: Form,
    /// The donation or grant its dry run accepted.
    confirm: Confirm<()>,
    /// The volunteer's balance as the page shows it (the city's).
    balance: u64,
}

impl PoolForm {
    /// `None` (with the reason in the status line) when this person may not grant.
    pub fn open(cx: &mut Cx, volunteer: VolunteerView, direction: Direction) -> Option<PoolForm> {
        if direction == Direction::Grant && cx.session.staff.role != crate::domain::Role::Admin {
            // Refused up front, before anything is typed.
            *cx.status = Status::Error(cx.t.err_admin_only.into());
            return None;
        }
        let pool = match cx.bank.pool() {
            Ok(p) => p.balance(),
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                return None;
            }
        };
        let form = Form::new(vec![Field::new("", 16), Field::new("", MAX_NOTE_CHARS)]);
        let balance = super::page_words::balance(cx.bank, &volunteer);
        Some(PoolForm { volunteer, direction, pool, form, confirm: Confirm::default(), balance })
    }

    /// The request the form stands for, put up for confirmation when its dry run accepts it.
    fn check(&mut self, cx: &Cx) {
        let t = cx.t;
        let minutes = Minutes::parse(self.form.value(DURATION)).map_err(|e| t.domain_error(&e));
        let memo = match self.direction {
            Direction::Donate => parse_text(self.form.value(MEMO), MAX_NOTE_CHARS),
            Direction::Grant => crate::domain::parse_reason(self.form.value(MEMO)),
        }
        .map_err(|e| t.domain_error(&e));
        self.form.set_error(DURATION, minutes.as_ref().err().cloned());
        self.form.set_error(MEMO, memo.as_ref().err().cloned());
        let (Ok(minutes), Ok(memo)) = (minutes, memo) else {
            self.form.focus_first_error();
            return;
        };
        let card = self.volunteer.volunteer.card.clone();
        let (op, checked) = match self.direction {
            // A donation spends hours: short here, the card's city pool may give them.
            Direction::Donate => {
                let op = Op::Donate(Donation { card, minutes, note: memo });
                let checked = super::confirm::preview(cx, &op).map(drop).map_err(|e| t.spend_error(&e));
                (op, checked)
            }
            Direction::Grant => {
                let op = Op::GrantFromPool(PoolGrant { card, minutes, reason: memo });
                let checked = cx.bank.execute(&cx.session.actor, &op, Mode::Preview);
                (op, checked.map(drop).map_err(|e: BankError| t.bank_error(&e)))
            }
        };
        match checked {
            Ok(()) => self.confirm.offer(op, ()),
            Err(e) => {
                self.form.set_error(DURATION, Some(e));
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

    /// The confirmed request's result: back to the page, or the refusal in the status line.
    pub fn finish(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        self.confirm.back_or_refused(cx, result)
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let v = &self.volunteer;
        let (what, memo_label, memo_hint) = match self.direction {
            Direction::Donate => (t.pool_donate_title, t.note, t.optional),
            Direction::Grant => (t.pool_grant_title, t.reason, t.required),
        };
        title_bar(buf, area, &super::page_words::title(t, what, v, self.balance), vx.theme);
        put(
            buf,
            area,
            area.x + 1,
            area.y + 1,
            &fill(t.pool_balance_line, &[&format_hours(self.pool)]),
            vx.theme.muted,
        );
        let mut form = self.form.clone();
        form.fields[DURATION].label = t.duration;
        form.fields[DURATION].hint = t.duration_hint;
        form.fields[MEMO].label = memo_label;
        form.fields[MEMO].hint = memo_hint;
        form.render(
            Rect { x: area.x + 1, y: area.y + 3, width: area.width.saturating_sub(2), height: 2 },
            buf,
            vx.theme,
            vx.t,
            self.confirm.pending().is_none(),
        );
        if let Some((request, ())) = self.confirm.pending() {
            let balance = self.balance;
            let line = match request {
                Op::Donate(d) => {
                    let m = u64::from(d.minutes.get());
                    fill(
                        t.confirm_donate,
                        &[
                            &format_hours(m),
                            &format_hours(balance.saturating_sub(m)),
                            &format_hours(self.pool + m),
                        ],
                    )
                }
                Op::GrantFromPool(g) => {
                    let m = u64::from(g.minutes.get());
                    fill(
                        t.confirm_grant,
                        &[&format_hours(m), &v.volunteer.name, &format_hours(self.pool.saturating_sub(m))],
                    )
                }
                _ => String::new(),
            };
            let cols = usize::from(area.width.saturating_sub(2));
            let lines = crate::tui::widgets::wrap(&line, cols);
            for (i, part) in lines.iter().enumerate() {
                put(buf, area, area.x + 1, area.y + 6 + i as u16, part, vx.theme.warning);
            }
            if self.confirm.is_asking() {
                let y = area.y + 6 + lines.len() as u16;
                put(buf, area, area.x + 1, y, t.city_commit_asking, vx.theme.accent);
            }
        }
    }
}
