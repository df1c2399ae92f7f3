//! A volunteer's own page at the kiosk: masked name and card, balance in large digits, star
//! level, recent history and the rewards they can afford now (with stock, course seats and
//! dates). The only writes reachable here are the volunteer's own check-in (`i`, then pick the
//! activity), check-out (`o`) and a gift of their hours to the donation pool (`g`, confirmed);
//! no key reaches a staff screen. `Esc`, `Ctrl+L` or 60 s idle
//! return to the lock screen, which drops this page and everything it read.

mod view;

use crossterm::event::KeyEvent;

use super::confirm::{Answer, Confirm};
use crate::bank::{Bank, BankError, HistoryLine, Op, RewardView, VolunteerView};
use crate::city::Reach;
use crate::domain::{ActivityId, ReviewReason, Shift, ShiftOutcome, ShiftRules, format_hours};
use crate::i18n::Text;
use crate::i18n::fill;
use crate::tui::contract::Step;
use crate::tui::keymap::{self, Action, Scope};

/// The volunteer at the kiosk, acting on their own card after their PIN.
const SELF: crate::domain::Actor = crate::domain::Actor::SelfService;

/// How many history lines the kiosk keeps: the recent past, not the whole passbook.
const RECENT: usize = 50;

pub struct Kiosk {
    view: VolunteerView,
    /// Newest first, at most `RECENT`.
    recent: Vec<HistoryLine>,
    /// Active rewards the balance covers and that are in stock, cheapest first.
    affordable: Vec<RewardView>,
    scroll: usize,
    /// The volunteer's open shift: check-in seq, record, and the activity's name.
    open: Option<(u64, Shift, String)>,
    /// While choosing the activity to check in to: the list and the selected row.
    picking: Option<(Vec<(ActivityId, String)>, usize)>,
    /// What the last check-in or check-out did (or why it was refused).
    message: Option<(String, bool)>,
    /// The city balance, once this counter has pulled from the city server.
    city: Option<crate::bank::CityBalance>,
    /// `o` was pressed: the check-out waits for Enter (a stray key must not end a shift).
    confirm_out: bool,
    /// `g` was pressed: the donation being typed, and once its dry run accepted it, waiting
    /// for Enter (with the minutes of it the card's city pool would give).
    donating: Option<(crate::tui::widgets::TextInput, Confirm<u64>)>,
    /// `p` was pressed: the volunteer changes their own PIN.
    pin: Option<super::kiosk_pin::KioskPin>,
    /// Civic points, when they have any (or are a resident): read-only, like the hours.
    points: Option<crate::bank::PointsView>,
}

pub enum Outcome {
    Stay,
    Leave,
    /// Commit this with the city, off the UI thread (a donation short here, online): the
    /// kiosk shows it is asking and is given the result (`Kiosk::finish_donation`).
    CityCommit(Op),
}

/// The city as the kiosk's donation needs it: as last seen, and where it is.
pub struct KioskCity<'a> {
    pub reach: Reach,
    pub url: Option<&'a str>,
}

/// What a volunteer is told after checking out.
fn checked_out(t: &Text, outcome: ShiftOutcome, rules: &ShiftRules) -> String {
    let hours = |m: crate::domain::Minutes| format_hours(u64::from(m.get()));
    match outcome {
        // Less credited than worked: say the minutes worked and the rounding (or the day's cap)
        // that took the rest — a short shift once read "服务 0.33 小时，记入 0 小时".
        ShiftOutcome::Credit { worked, credited } if credited < worked => fill(
            t.kiosk_checked_out_rounded,
            &[&worked.get(), &rules.round_to.get(), &hours(rules.daily_cap), &hours(credited)],
        ),
        ShiftOutcome::Credit { worked, credited } => {
            fill(t.kiosk_checked_out, &[&hours(worked), &hours(credited)])
        }
        ShiftOutcome::Review { worked, why: ReviewReason::TooLong } => {
            fill(t.kiosk_review_long, &[&hours(worked)])
        }
        ShiftOutcome::Review { worked, why: ReviewReason::PastMidnight } => {
            fill(t.kiosk_review_midnight, &[&hours(worked)])
        }
    }
}

impl Kiosk {
    pub fn open(bank: &Bank, view: VolunteerView) -> Result<Kiosk, BankError> {
        let mut recent = bank.history(view.id)?;
        recent.retain(HistoryLine::is_the_volunteers);
        recent.reverse();
        recent.truncate(RECENT);
        let city = bank.city_balance_if_any(&view.volunteer.card)?;
        // What the volunteer can afford is priced against the balance shown: the city's.
        let balance = super::page_words::hours_shown(&view.account, city.as_ref()).total();
        let mut affordable: Vec<RewardView> = bank
            .rewards()?
            .into_iter()
            .filter(|r| {
                r.reward.active
                    && (!r.reward.limited || r.stock > 0)
                    && u64::from(r.reward.cost.get()) <= balance
            })
            .collect();
        affordable.sort_by_key(|r| (r.reward.cost, r.id));
        let open = match bank.open_shift(view.id)? {
            Some((seq, shift)) => {
                let name = bank.activity_name(shift.activity)?;
                Some((seq, shift, name))
            }
            None => None,
        };
        let points =
            Some(bank.points_of(&view.volunteer.card)?).filter(crate::bank::PointsView::worth_showing);
        Ok(Kiosk {
            points,
            city,
            view,
            recent,
            affordable,
            scroll: 0,
            open,
            picking: None,
            message: None,
            confirm_out: false,
            donating: None,
            pin: None,
        })
    }

    /// The page again after a write, keeping the message.
    /// The donation's result: thanks with the entry's number, or the refusal.
    pub fn finish_donation(
        &mut self,
        done: Result<crate::bank::Committed, String>,
        bank: &Bank,
        t: &Text,
    ) -> Outcome {
        let given = self.donating.take().and_then(|(_, mut confirm)| confirm.finish());
        let minutes = match given {
            Some((Op::Donate(d), _)) => u64::from(d.minutes.get()),
            _ => 0,
        };
        self.message = Some(match done {
            Ok(c) => (fill(t.kiosk_donated, &[&format_hours(minutes), &c.first_seq()]), false),
            Err(e) => (e, true),
        });
        self.reload(bank, t);
        Outcome::Stay
    }

    /// The keys in force: a form's while the PIN is changed (the footer and help say so).
    pub fn scope(&self) -> Scope {
        if self.pin.is_some() { Scope::Form } else { Scope::Kiosk }
    }

    /// The city's figures read again after a sync round (see `Screen::city_moved`); unreadable
    /// now, those shown stay and the next round tries again.
    pub fn city_moved(&mut self, bank: &Bank) {
        if let Ok(city) = bank.city_balance_if_any(&self.view.volunteer.card) {
            self.city = city;
        }
    }

    /// Whether a donation waits for the city service.
    pub fn is_asking(&self) -> bool {
        self.donating.as_ref().is_some_and(|(_, confirm)| confirm.is_asking())
    }

    fn reload(&mut self, bank: &Bank, t: &Text) {
        let message = self.message.take();
        let reread = bank.volunteer(self.view.id).and_then(|view| Kiosk::open(bank, view));
        match reread {
            Ok(page) => *self = page,
            Err(e) => self.message = Some((t.bank_error(&e), true)),
        }
        if self.message.is_none() {
            self.message = message;
        }
    }

    pub fn on_key(
        &mut self,
        key: KeyEvent,
        bank: &Bank,
        t: &Text,
        rules: &ShiftRules,
        city: KioskCity<'_>,
    ) -> Outcome {
        if let Some(pin) = &mut self.pin {
            match pin.on_key(key, bank, &self.view.volunteer.card, t) {
                super::kiosk_pin::PinOutcome::Stay => {}
                super::kiosk_pin::PinOutcome::Cancel => self.pin = None,
                super::kiosk_pin::PinOutcome::Changed(seq) => {
                    self.pin = None;
                    self.message = Some((fill(t.kiosk_pin_changed, &[&seq]), false));
                }
            }
            return Outcome::Stay;
        }
        if let Some((activities, selected)) = &mut self.picking {
            match keymap::action(Scope::Kiosk, key) {
                Some(Action::Back) => self.picking = None,
                Some(Action::Up) => *selected = selected.saturating_sub(1),
                Some(Action::Down) => *selected = (*selected + 1).min(activities.len().saturating_sub(1)),
                Some(Action::Submit) => {
                    let (activity, name) = activities[*selected].clone();
                    self.picking = None;
                    self.message = Some(match bank.check_in(self.view.id, activity) {
                        Ok(_) => (fill(t.kiosk_checked_in, &[&name]), false),
                        Err(e) => (t.bank_error(&e), true),
                    });
                    self.reload(bank, t);
                }
                _ => {}
            }
            return Outcome::Stay;
        }
        if let Some((input, confirm)) = &mut self.donating {
            let offered = confirm.pending().map(|(op, _)| op.clone());
            match (keymap::action(Scope::Kiosk, key), offered) {
                // Asking the city, Esc closes the prompt: the donation goes on, and the
                // status line will say how it ended.
                (Some(Action::Back), _) => {
                    self.donating = None;
                    // The prompt's refusal goes with it.
                    if matches!(self.message, Some((_, true))) {
                        self.message = None;
                    }
                }
                _ if confirm.is_asking() => {}
                (Some(Action::Submit), Some(Op::Donate(_))) => {
                    // The rule staff have at the counter: short here, online, the card's city
                    // pool gives the rest (off the UI thread).
                    match confirm.commit_with(bank, city.reach, city.url, &SELF, t) {
                        Answer::Done(done) => return self.finish_donation(done, bank, t),
                        Answer::Step(Step::CityCommit(op)) => return Outcome::CityCommit(op),
                        _ => return Outcome::Stay,
                    }
                }
                (Some(Action::Submit), _) => {
                    let donation = crate::domain::Minutes::parse(input.value())
                        .map_err(|e| t.domain_error(&e))
                        .map(|minutes| crate::bank::Donation {
                            card: self.view.volunteer.card.clone(),
                            minutes,
                            note: String::new(),
                        })
                        .and_then(|d| {
                            let op = Op::Donate(d);
                            crate::city::preview(bank, city.reach, &SELF, &op)
                                .map(|from_city| (op, from_city))
                                .map_err(|e| t.spend_error(&e))
                        });
                    match donation {
                        Ok((op, from_city)) => {
                            self.message = None;
                            confirm.offer(op, from_city);
                        }
                        Err(e) => self.message = Some((e, true)),
                    }
                }
                (_, None) => {
                    // A new amount takes the last one's refusal away.
                    let edited = input.handle(key);
                    if edited && matches!(self.message, Some((_, true))) {
                        self.message = None;
                    }
                }
                _ => {}
            }
            return Outcome::Stay;
        }
        if self.confirm_out {
            self.confirm_out = false;
            self.message = None;
            if keymap::action(Scope::Kiosk, key) == Some(Action::Submit) {
                self.message = Some(match bank.check_out(self.view.id, rules) {
                    Ok(done) => (checked_out(t, done.outcome, rules), false),
                    Err(e) => (t.bank_error(&e), true),
                });
                self.reload(bank, t);
            }
            // Any other key (Esc) keeps the shift open.
            return Outcome::Stay;
        }
        let last = self.recent.len().saturating_sub(1);
        match keymap::action(Scope::Kiosk, key) {
            Some(Action::Back) => return Outcome::Leave,
            Some(Action::CheckIn) => match bank.offered_activities() {
                Ok(list) if self.open.is_none() && !list.is_empty() => {
                    let list = list.into_iter().map(|(id, a)| (id, a.name.to_string())).collect();
                    self.picking = Some((list, 0));
                    self.message = None;
                }
                Ok(_) if self.open.is_some() => self.message = Some((t.kiosk_already_in.into(), true)),
                Ok(_) => self.message = Some((t.kiosk_no_activities.into(), true)),
                Err(e) => self.message = Some((t.bank_error(&e), true)),
            },
            Some(Action::CheckOut) if self.open.is_some() => {
                if let Some((_, shift, name)) = &self.open {
                    let started = shift.started.datetime().with_timezone(&chrono::Local);
                    let so_far = bank.now().datetime().signed_duration_since(shift.started.datetime());
                    let minutes = u64::try_from(so_far.num_minutes().max(0)).unwrap_or(0);
                    let since = started.format("%H:%M").to_string();
                    self.message =
                        Some((fill(t.kiosk_confirm_out, &[name, &since, &format_hours(minutes)]), false));
                    self.confirm_out = true;
                }
            }
            Some(Action::CheckOut) => {
                self.message = Some(match bank.check_out(self.view.id, rules) {
                    Ok(done) => (checked_out(t, done.outcome, rules), false),
                    Err(e) => (t.bank_error(&e), true),
                });
                self.reload(bank, t);
            }
            Some(Action::ChangePin) => {
                self.pin = Some(Default::default());
                self.message = None;
            }
            Some(Action::Donate) => {
                self.donating = Some((crate::tui::widgets::TextInput::new(16), Confirm::default()));
                self.message = None;
            }
            Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
            Some(Action::Down) => self.scroll = (self.scroll + 1).min(last),
            Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(8),
            Some(Action::PageDown) => self.scroll = (self.scroll + 8).min(last),
            _ => {}
        }
        Outcome::Stay
    }
}
