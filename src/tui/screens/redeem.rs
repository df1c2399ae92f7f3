//! Redeem: the active catalog, affordable rewards first, then those the volunteer cannot
//! afford yet (greyed, with the shortfall), out-of-stock last. Quantity with + and -; a
//! confirm line; the receipt follows the save.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::confirm::{Answer, Confirm};
use crate::bank::{Bank, BankError, Op, Redemption, RewardView, VolunteerView};
use crate::city::Reach;
use crate::domain::format_hours;
use crate::i18n::fill;
use crate::tui::contract::{Cx, Route, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::receipt::Receipt;
use crate::tui::widgets::{ListColumn, put, table, title_bar};

pub struct Redeem {
    volunteer: VolunteerView,
    rewards: Vec<RewardView>,
    selected: usize,
    qty: u32,
    /// The redemption its dry run accepted, with the minutes it would take from the card's
    /// city pool.
    confirm: Confirm<u64>,
    error: Option<String>,
    /// What the volunteer may spend here now: this counter's share, and with the city server
    /// reachable the card's city pool too.
    spendable: u64,
    /// The volunteer's balance as the page shows it (the city's).
    balance: u64,
}

/// Sort group: 0 affordable, 1 not enough hours, 2 out of stock.
fn group(r: &RewardView, balance: u64) -> u8 {
    if r.reward.limited && r.stock == 0 {
        2
    } else if u64::from(r.reward.cost.get()) > balance {
        1
    } else {
        0
    }
}

impl Redeem {
    pub fn new(bank: &Bank, volunteer: VolunteerView, city: Reach) -> Result<Redeem, BankError> {
        // One read of the city's figures: the balance shown, and what may be spent here now.
        let known = bank.city_balances_reader()?.of(&volunteer.volunteer.card, &volunteer.account)?;
        let balance = known.total();
        let spendable = match city {
            Reach::Online => known.spendable(true),
            _ => volunteer.account.balance(),
        };
        let mut rewards: Vec<RewardView> = bank.rewards()?.into_iter().filter(|r| r.reward.active).collect();
        rewards.sort_by_key(|r| (group(r, spendable), r.reward.cost, r.id));
        Ok(Redeem {
            volunteer,
            rewards,
            selected: 0,
            qty: 1,
            confirm: Confirm::default(),
            error: None,
            spendable,
            balance,
        })
    }

    pub fn scope(&self) -> Scope {
        if self.confirm.pending().is_some() { Scope::Form } else { Scope::Redeem }
    }

    fn total(&self, r: &RewardView) -> u64 {
        u64::from(r.reward.cost.get()) * u64::from(self.qty)
    }

    /// The redemption the selection stands for.
    fn request(&self) -> Option<Redemption> {
        let r = self.rewards.get(self.selected)?;
        Some(Redemption { card: self.volunteer.volunteer.card.clone(), reward: r.id, qty: self.qty })
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match self.confirm.on_key(keymap::action(Scope::Form, key), cx) {
            Some(Answer::Leave) => return Step::Back,
            Some(Answer::Done(result)) => return self.finish(cx, result),
            Some(Answer::Step(step)) => return step,
            None => {}
        }
        let last = self.rewards.len().saturating_sub(1);
        match keymap::action(Scope::Redeem, key) {
            Some(Action::Back) => return Step::Back,
            Some(Action::Up) => {
                self.selected = self.selected.saturating_sub(1);
                self.qty = 1;
            }
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(last);
                self.qty = 1;
            }
            Some(Action::More) => self.qty = (self.qty + 1).min(1000),
            Some(Action::Less) => self.qty = self.qty.saturating_sub(1).max(1),
            // The confirm line is offered only for what the commit would accept: the same
            // plan runs as a dry run (balance, stock, a retired reward, an inactive card).
            Some(Action::Submit) => {
                let Some(request) = self.request() else { return Step::Stay };
                let op = Op::Redeem(request);
                match super::confirm::preview(cx, &op) {
                    Ok(from_city) => {
                        self.error = None;
                        self.confirm.offer(op, from_city);
                    }
                    Err(e) => self.error = Some(cx.t.spend_error(&e)),
                }
            }
            _ => {}
        }
        Step::Stay
    }

    /// Whether the confirmed operation waits for the city service.
    pub fn is_asking(&self) -> bool {
        self.confirm.is_asking()
    }

    /// The confirmed redemption's result: its receipt, or the refusal on this screen.
    pub fn finish(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        self.confirm.finish();
        let Some(r) = self.rewards.get(self.selected) else { return Step::Stay };
        match result {
            Ok(done) => {
                let seq = done.events.last().map_or(0, |e| e.seq());
                *cx.status = Status::Saved(seq);
                let card = &self.volunteer.volunteer.card;
                // After a redemption the volunteer asks what is left: the balance every screen
                // shows (the city's in a city).
                let after = cx
                    .bank
                    .find_card(card)
                    .map(|v| super::page_words::balance(cx.bank, &v))
                    .unwrap_or_default();
                let receipt = Receipt {
                    from_city: super::confirm::from_city(&done),
                    seq,
                    volunteer: self.volunteer.clone(),
                    // A course's seat is for its date: the receipt says which.
                    item: match r.reward.course_date {
                        Some(day) => format!("{} ({day})", r.reward.name),
                        None => r.reward.name.to_string(),
                    },
                    qty: self.qty,
                    minutes: self.total(r),
                    balance_after: after,
                    staff: format!("{} ({})", cx.session.staff.name, cx.session.staff.id),
                    at: done.events.first().map(|e| e.body.at),
                    counter: cx.bank.counter().to_string(),
                };
                Step::Replace(Route::Receipt(Box::new(receipt)))
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
        let balance = self.spendable;
        let title = super::page_words::title(t, t.redeem_title, v, self.balance);
        title_bar(buf, area, &title, theme);
        let x = area.x + 1;
        let columns = [
            ListColumn::fill(t.col_reward, 1),
            ListColumn::fixed(t.col_cost, 10).right(),
            ListColumn::fixed(t.col_stock, 8).right(),
            ListColumn::fixed("", 18),
        ];
        let room = usize::from(area.height.saturating_sub(6));
        let list = Rect { x, y: area.y + 1, width: area.width.saturating_sub(2), height: room as u16 + 1 };
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        let rows = self.rewards.iter().enumerate().skip(start).take(room).map(|(i, r)| {
            let cost = u64::from(r.reward.cost.get());
            let (note, style) = match group(r, balance) {
                2 => (t.out_of_stock.to_string(), theme.muted),
                // Within the city balance but past what can be spent here now (offline, or
                // held by other counters): not a shortfall of the volunteer's.
                1 if cost <= self.balance => (t.redeem_needs_online.to_string(), theme.muted),
                1 => (fill(t.short_by, &[&format_hours(cost - self.balance)]), theme.muted),
                _ => (String::new(), theme.text),
            };
            let stock = if r.reward.limited { r.stock.to_string() } else { t.unlimited.to_string() };
            let style = if i == self.selected { theme.selection } else { style };
            // A course is chosen by its date as much as by its name.
            let name = match r.reward.course_date {
                Some(day) => format!("{} ({day})", r.reward.name),
                None => r.reward.name.to_string(),
            };
            (vec![name, format_hours(cost), stock, note], style)
        });
        table(buf, list, &columns, Some(theme.muted), rows);
        if self.rewards.is_empty() {
            put(buf, area, x, area.y + 2, t.no_rewards, theme.muted);
        }
        let y = area.bottom().saturating_sub(3);
        let selected = self.rewards.get(self.selected);
        if let Some(r) = selected {
            let line =
                format!("{}: {}   {} {}", t.quantity, self.qty, format_hours(self.total(r)), t.hours_unit);
            put(buf, area, x, y, &line, theme.accent);
            if let Some((_, &from_city)) = self.confirm.pending().filter(|_| !self.confirm.is_asking()) {
                let after = self.balance.saturating_sub(self.total(r));
                let text = fill(
                    t.confirm_redeem,
                    &[&r.reward.name, &self.qty, &format_hours(self.total(r)), &format_hours(after)],
                );
                put(buf, area, x, y + 1, &text, theme.warning);
                if from_city > 0 {
                    let note = fill(t.confirm_from_city, &[&format_hours(from_city)]);
                    put(buf, area, x, y + 2, &note, theme.muted);
                }
            }
        }
        if self.confirm.is_asking() {
            put(buf, area, x, y + 1, t.city_commit_asking, theme.accent);
        }
        if let Some(e) = &self.error {
            put(buf, area, x, y + 2, e, theme.danger);
        }
    }
}
