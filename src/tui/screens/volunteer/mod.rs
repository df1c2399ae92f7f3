//! A volunteer's page: balance in large digits, totals, star level, and the history (newest
//! first, scrollable). Actions by key; reversal asks for a reason in a popup.

mod view;

use crossterm::event::KeyEvent;

use crate::bank::{Bank, BankError, CityBalance, HistoryLine, VolunteerView};
use crate::domain::{Actor, CardNo, PersonalField, VolunteerId};
use crate::i18n::fill;
use crate::tui::contract::{Cx, Route, Status, Step};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, TextInput};

pub struct ReversePopup {
    seq: u64,
    what: String,
    reason: TextInput,
    error: Option<String>,
    /// The reversal, committed at Enter (the popup is its confirm step); it may wait for the
    /// city service (a grant from the card's pool).
    confirm: super::confirm::Confirm<u64>,
}

/// Staff set or reset the volunteer's self-service PIN: typed twice, masked.
pub struct PinPopup {
    form: Form,
    error: Option<String>,
}

impl Drop for PinPopup {
    fn drop(&mut self) {
        self.form.wipe();
    }
}

pub struct VolunteerPage {
    pub view: VolunteerView,
    /// Newest first.
    lines: Vec<HistoryLine>,
    /// Minutes of service booked in each of the last 12 months, oldest first (the sparkline).
    spark: Vec<u64>,
    selected: usize,
    reverse: Option<ReversePopup>,
    pin: Option<PinPopup>,
    /// Full phone and ID number, after an admin revealed them (journalled); masked otherwise.
    revealed: Option<(String, String)>,
    /// The city balance, once this counter has pulled from the city server.
    city: Option<CityBalance>,
    /// The city's record of the card, asked for online (`h`).
    city_record: Option<super::city_record::CityRecord>,
    /// Civic points, when the person has any (or is a resident): one record for both units.
    points: Option<crate::bank::PointsView>,
    /// What the card's city pool holds in points, as the service said when the page opened
    /// (online only): spendable here with this counter's points.
    points_pool: Option<u64>,
    /// This counter runs civic points: the page asks the city for the card's points pool.
    runs_points: bool,
}

use super::page_words::{kind_label, memo_with_service_date, service_by_month, signed_hours};

impl VolunteerPage {
    pub fn open(bank: &Bank, id: VolunteerId) -> Result<VolunteerPage, BankError> {
        VolunteerPage::with_view(bank, bank.volunteer(id)?)
    }

    fn with_view(bank: &Bank, view: VolunteerView) -> Result<VolunteerPage, BankError> {
        let mut lines = bank.history(view.id)?;
        lines.retain(HistoryLine::is_the_volunteers);
        let spark = service_by_month(&lines, bank.today());
        lines.reverse();
        let city = bank.city_balance_if_any(&view.volunteer.card)?;
        let points =
            Some(bank.points_of(&view.volunteer.card)?).filter(crate::bank::PointsView::worth_showing);
        Ok(VolunteerPage {
            view,
            lines,
            spark,
            selected: 0,
            reverse: None,
            pin: None,
            revealed: None,
            city,
            city_record: None,
            points,
            points_pool: None,
            runs_points: bank.runs_points()?,
        })
    }

    /// The card whose points pool the page asks the city for as it opens, at a counter that
    /// runs civic points.
    pub fn points_pool_wanted(&self) -> Option<crate::domain::CardNo> {
        self.runs_points.then(|| self.view.volunteer.card.clone())
    }

    /// The city's answer about the card's points pool: kept if it is this page's card.
    pub fn points_pool_answered(&mut self, card: &crate::domain::CardNo, answer: Result<u64, String>) {
        if *card == self.view.volunteer.card {
            self.points_pool = answer.ok().filter(|p| *p > 0);
        }
    }

    /// Back in front (a form opened from it was left): read afresh, the newest entry — the
    /// one just saved, if any — highlighted.
    pub fn resume(&mut self, cx: &mut Cx) {
        match VolunteerPage::open(cx.bank, self.view.id) {
            Ok(page) => *self = page,
            Err(e) => *cx.status = Status::Error(cx.t.bank_error(&e)),
        }
    }

    /// The page of the volunteer with `card`. One registered only at another counter is
    /// registered here first, with that counter's details (journalled as `who`), so that
    /// hours can be recorded for them here.
    pub fn open_card(bank: &Bank, who: &Actor, card: &str) -> Result<VolunteerPage, BankError> {
        // The card lookup already read the volunteer: no second read.
        VolunteerPage::with_view(bank, bank.find_or_adopt(who, &CardNo::parse(card)?)?)
    }

    pub fn volunteer(&self) -> &VolunteerView {
        &self.view
    }

    /// A personal field as this screen may show it: full once revealed, else masked.
    fn shown(&self, full: impl Fn(&(String, String)) -> &String, masked: Option<String>) -> String {
        match &self.revealed {
            Some(r) => full(r).clone(),
            None => masked.unwrap_or_default(),
        }
    }

    pub fn lines(&self) -> &[HistoryLine] {
        &self.lines
    }

    pub fn scope(&self) -> Scope {
        if self.reverse.is_some() || self.pin.is_some() { Scope::Form } else { Scope::Volunteer }
    }

    /// Reopens the page after a save. The highlight stays on the same entry (new entries come
    /// in above it, so its row number moves); it was once left on the row number and pointed
    /// at another entry, which a staff member then reversed.
    fn reload(&mut self, bank: &Bank) -> Result<(), BankError> {
        let kept = self.lines.get(self.selected).map(|l| l.seq);
        *self = VolunteerPage::open(bank, self.view.id)?;
        self.selected = kept.and_then(|seq| self.lines.iter().position(|l| l.seq == seq)).unwrap_or(0);
        Ok(())
    }

    /// The city's figures read again after a sync round (see `Screen::city_moved`); unreadable
    /// now, those shown stay and the next round tries again.
    pub fn city_moved(&mut self, bank: &Bank) {
        if let Ok(city) = bank.city_balance_if_any(&self.view.volunteer.card) {
            self.city = city;
        }
    }

    /// Whether the reversal popup waits for the city service.
    pub fn is_asking(&self) -> bool {
        self.reverse.as_ref().is_some_and(|p| p.confirm.is_asking())
    }

    fn on_reverse_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let Some(popup) = self.reverse.as_mut() else { return Step::Stay };
        match keymap::action(Scope::Form, key) {
            // Asking the city, Esc only closes the popup: the reversal goes on, and the
            // status line will say how it ended.
            Some(Action::Back) => self.reverse = None,
            _ if popup.confirm.is_asking() => {}
            // The second Enter, after the dry run's confirm line: saved.
            Some(Action::Submit) if popup.confirm.pending().is_some() => match popup.confirm.commit(cx) {
                super::confirm::Answer::Done(result) => return self.finish_reversal(cx, result),
                super::confirm::Answer::Step(step) => return step,
                super::confirm::Answer::Leave => self.reverse = None,
            },
            // The first: the reversal's dry run (the reason, who may, the hours still there —
            // or, short here, from the card's city pool), as every other write has.
            Some(Action::Submit) => {
                let reason = popup.reason.value().to_string();
                let op = crate::bank::Op::Reverse(crate::bank::Reversal { target: popup.seq, reason });
                match super::confirm::preview(cx, &op) {
                    Ok(from_city) => {
                        popup.error = None;
                        popup.confirm.offer(op, from_city);
                    }
                    Err(e) => popup.error = Some(cx.t.spend_error(&e)),
                }
            }
            _ => {
                if popup.reason.handle(key) {
                    // A changed reason is confirmed again.
                    popup.error = None;
                    popup.confirm.finish();
                }
            }
        }
        Step::Stay
    }

    /// The reversal's result: the page again with it, or the refusal in the popup.
    pub fn finish_reversal(&mut self, cx: &mut Cx, result: Result<crate::bank::Committed, String>) -> Step {
        match result {
            Ok(done) => {
                *cx.status = Status::Saved(done.events.last().map_or(0, |e| e.seq()));
                self.reverse = None;
                if let Err(e) = self.reload(cx.bank) {
                    *cx.status = Status::Error(cx.t.bank_error(&e));
                }
            }
            Err(e) => {
                if let Some(popup) = self.reverse.as_mut() {
                    popup.confirm.finish();
                    popup.error = Some(e);
                }
            }
        }
        Step::Stay
    }

    fn on_pin_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let Some(popup) = self.pin.as_mut() else { return Step::Stay };
        match keymap::action(Scope::Form, key) {
            Some(Action::Back) => self.pin = None,
            Some(Action::NextField | Action::PrevField) => popup.form.next(),
            Some(Action::Submit) if popup.form.focus == 0 => popup.form.next(),
            Some(Action::Submit) => {
                if popup.form.value(0) != popup.form.value(1) {
                    popup.error = Some(cx.t.pin_mismatch.into());
                    return Step::Stay;
                }
                let pin = popup.form.value(0).to_string();
                let result =
                    cx.bank.set_volunteer_pin(&cx.session.actor, None, &self.view.volunteer.card, Some(&pin));
                drop(zeroize::Zeroizing::new(pin));
                match result {
                    Ok(event) => {
                        *cx.status = Status::Saved(event.seq());
                        self.pin = None;
                        if let Err(e) = self.reload(cx.bank) {
                            *cx.status = Status::Error(cx.t.bank_error(&e));
                        }
                    }
                    Err(e) => popup.error = Some(cx.t.bank_error(&e)),
                }
            }
            _ => {
                // Digits only, as on the kiosk.
                if crate::tui::widgets::is_non_digit(&key) {
                    return Step::Stay;
                }
                if popup.form.edit(key) {
                    popup.error = None;
                }
            }
        }
        Step::Stay
    }

    /// The city service's answer about `card`, if this page still waits for it.
    pub fn city_answered(
        &mut self,
        card: &CardNo,
        answer: Result<crate::city::wire::VolunteerDetails, String>,
    ) {
        if let Some(record) = self.city_record.as_mut() {
            record.answered(card, answer);
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        if let Some(record) = self.city_record.as_mut() {
            if !record.on_key(key) {
                self.city_record = None;
            }
            return Step::Stay;
        }
        if self.reverse.is_some() {
            return self.on_reverse_key(key, cx);
        }
        if self.pin.is_some() {
            return self.on_pin_key(key, cx);
        }
        let last = self.lines.len().saturating_sub(1);
        match keymap::action(Scope::Volunteer, key) {
            Some(Action::Back) => return Step::Home,
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(last),
            Some(Action::PageUp) => self.selected = self.selected.saturating_sub(10),
            Some(Action::PageDown) => self.selected = (self.selected + 10).min(last),
            Some(Action::Record) => {
                return Step::Push(Route::Record(Box::new(self.view.clone())));
            }
            Some(Action::Redeem) => return Step::Push(Route::Redeem(Box::new(self.view.clone()))),
            Some(Action::Donate) => return Step::Push(Route::Donate(Box::new(self.view.clone()))),
            Some(Action::Grant) => return Step::Push(Route::GrantFromPool(Box::new(self.view.clone()))),
            Some(Action::Transfer) => return Step::Push(Route::Transfer(Box::new(self.view.clone()))),
            // Shown: `v` masks them again, journalling nothing (the look was journalled).
            Some(Action::Reveal) if self.revealed.is_some() => self.revealed = None,
            Some(Action::Reveal) => {
                let fields = [PersonalField::Phone, PersonalField::IdNumber];
                match cx.bank.reveal(&cx.session.actor, self.view.id, &fields) {
                    Ok((seq, values)) => {
                        if let [phone, id] = values.as_slice() {
                            self.revealed = Some((phone.clone(), id.clone()));
                        }
                        *cx.status = Status::Saved(seq);
                    }
                    Err(e) => *cx.status = Status::Error(cx.t.bank_error(&e)),
                }
            }
            Some(Action::Edit) => {
                return Step::Push(Route::EditVolunteer(Box::new(self.view.clone())));
            }
            Some(Action::Export) => {
                let written = crate::report::statement(cx.bank, &self.view.volunteer.card)
                    .map_err(|e| e.to_string())
                    .and_then(|st| {
                        // The masked card and the volunteer's id: no card number in a file name, and
                        // no two volunteers' passbooks under one name.
                        let masked = crate::domain::privacy::mask_card(&st.card).replace('*', "x");
                        let name = format!("存折-{masked}-{}", self.view.id);
                        super::reports::write_workbook(cx.config, &name, &st.sheets(false))
                    });
                *cx.status = match written {
                    Ok(path) => Status::Info(fill(cx.t.reports_written, &[&path.display()])),
                    Err(e) => Status::Error(e),
                };
            }
            Some(Action::CityRecord) => {
                let card = self.view.volunteer.card.clone();
                let (record, ask) = super::city_record::CityRecord::open(card.clone(), cx.city);
                self.city_record = Some(record);
                if ask {
                    return Step::AskCity(card);
                }
            }
            Some(Action::Certificate) => {
                return Step::Push(Route::Certificate(self.view.id));
            }
            Some(Action::SetPin) => {
                let form = Form::new(vec![Field::new("", 6).masked(), Field::new("", 6).masked()]);
                self.pin = Some(PinPopup { form, error: None });
            }
            Some(Action::Reverse) => match self.lines.get(self.selected) {
                Some(line) if line.event.kind().is_reversible() => {
                    if let Some(by) = line.reversed_by {
                        *cx.status = Status::Error(fill(cx.t.err_already_reversed, &[&line.seq, &by]));
                    } else {
                        self.reverse = Some(ReversePopup {
                            seq: line.seq,
                            // Names the entry, its day, its hours and whose it is.
                            what: format!(
                                "#{} {} {} {} {}  {} {}",
                                line.seq,
                                line.day(),
                                kind_label(cx.t, line.event.kind()),
                                memo_with_service_date(cx.t, line, &line.memo),
                                signed_hours(line.delta),
                                self.view.volunteer.name,
                                self.view.volunteer.card
                            ),
                            reason: TextInput::new(crate::domain::MAX_NOTE_CHARS),
                            error: None,
                            confirm: super::confirm::Confirm::default(),
                        });
                    }
                }
                _ => *cx.status = Status::Error(cx.t.reverse_nothing.into()),
            },
            _ => {}
        }
        Step::Stay
    }
}
