//! What waits for a decision (`F6` on the find screen): check-ins at the kiosk that ran past
//! midnight or over the limit, and deposits over the approval threshold (admins decide those).
//! `a` approves — a shift with an edited duration — and `x` rejects; a reason is required
//! either way, and both are journal entries (an approval deposits the hours). Civic points
//! credits the standard flags wait here too, saying for whom: `a` verifies (a verifier) and
//! then approves (an approver, another person), `x` rejects. Below them, the shifts of the last
//! week that ended, for the community's daily evaluation: `e` scores one (0–100, a note),
//! again to change the score.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, BankError, EndedShift, HeldDeposit, ShiftInReview, WaitingCredit};
use crate::domain::{Minutes, format_hours};
use crate::tui::contract::{Cx, Route, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, ListColumn, centered, popup, put, table, title_bar};

enum Item {
    Shift(ShiftInReview),
    Held(HeldDeposit),
    /// A civic points credit waiting for a verifier or (verified) an approver.
    Points(WaitingCredit),
    /// A shift that ended, for the day's evaluation.
    Ended(EndedShift),
}

/// How far back ended shifts are offered for evaluation.
const EVALUATE_DAYS: i64 = 7;

/// One row: the shift or held deposit, and who and what it was.
struct Row {
    item: Item,
    /// When the shift started, or the day the held deposit was served.
    when: String,
    minutes: Minutes,
    card: String,
    name: String,
    activity: String,
    /// Points, for a points credit (its amount is not hours).
    points: Option<u32>,
}

impl Row {
    /// What it is worth: hours, or points with their unit.
    fn amount(&self, t: &crate::i18n::Text) -> String {
        match (&self.item, self.points) {
            (Item::Ended(e), _) => e.score.map_or_else(|| t.points.not_scored.to_string(), |s| s.to_string()),
            (_, Some(p)) => format!("{p} {}", t.points.unit),
            (_, None) => format_hours(u64::from(self.minutes.get())),
        }
    }

    /// The entry being decided: the check-in's or the held deposit's number.
    fn seq(&self) -> u64 {
        match &self.item {
            Item::Shift(s) => s.seq,
            Item::Held(h) => h.seq,
            Item::Points(p) => p.seq,
            Item::Ended(e) => e.seq,
        }
    }

    fn new(bank: &Bank, item: Item) -> Result<Row, BankError> {
        if let Item::Points(p) = &item {
            return Ok(Row {
                when: p.earned_on.clone(),
                minutes: Minutes::ZERO,
                card: p.card.clone(),
                name: p.name.clone(),
                activity: p.item.clone(),
                points: Some(p.points),
                item,
            });
        }
        let (volunteer, activity, minutes, when) = match &item {
            Item::Shift(s) => (
                s.shift.volunteer,
                s.shift.activity,
                s.worked,
                s.shift.started.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string(),
            ),
            Item::Held(h) => (h.volunteer, h.activity, h.minutes, h.served_on.to_string()),
            Item::Ended(e) => (
                e.shift.volunteer,
                e.shift.activity,
                Minutes::ZERO,
                e.shift.started.datetime().with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M").to_string(),
            ),
            Item::Points(_) => return Err(crate::domain::Rule::UnknownEntry(0).into()),
        };
        let v = bank.volunteer(volunteer)?;
        Ok(Row {
            item,
            when,
            minutes,
            card: v.volunteer.card.to_string(),
            name: v.volunteer.name.to_string(),
            activity: bank.activity_name(activity)?,
            points: None,
        })
    }
}

pub struct Review {
    rows: Vec<Row>,
    selected: usize,
    /// The decision being made: approve (with minutes) or reject, and its form.
    deciding: Option<Deciding>,
    /// Whether the staff member looking is an admin: only admins decide held deposits, so for
    /// anyone else such a row offers no keys to decide it.
    admin: bool,
}

/// A decision in its popup: it names the entry, and saves at the second Enter, after a line
/// that says what the save will do (every other write has that step; this one saved at once).
struct Deciding {
    approve: bool,
    form: Form,
    error: Option<String>,
    /// The first Enter was pressed on what the form holds now.
    confirming: bool,
}

const MINUTES: usize = 0;
const REASON: usize = 1;

impl Review {
    pub fn open(bank: &Bank, admin: bool) -> Result<Review, BankError> {
        let mut rows = Vec::new();
        for item in bank.shifts_in_review()? {
            rows.push(Row::new(bank, Item::Shift(item))?);
        }
        for item in bank.held_deposits()? {
            rows.push(Row::new(bank, Item::Held(item))?);
        }
        for item in bank.points_waiting()? {
            rows.push(Row::new(bank, Item::Points(item))?);
        }
        for item in bank.shifts_to_evaluate(EVALUATE_DAYS)? {
            rows.push(Row::new(bank, Item::Ended(item))?);
        }
        Ok(Review { rows, selected: 0, deciding: None, admin })
    }

    pub fn scope(&self) -> Scope {
        let held = self.rows.get(self.selected).is_some_and(|r| matches!(r.item, Item::Held(_)));
        match (&self.deciding, held && !self.admin) {
            (Some(_), _) => Scope::Form,
            (None, true) => Scope::ReviewAdminsOnly,
            (None, false) => Scope::Review,
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        if self.deciding.is_some() {
            return self.on_form_key(key, cx);
        }
        match keymap::action(self.scope(), key) {
            Some(Action::Back) => return Step::Home,
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => self.selected = (self.selected + 1).min(self.rows.len().saturating_sub(1)),
            // An ended shift is scored, not decided: `e` (or `a`) opens its score and note.
            Some(Action::Evaluate | Action::Approve)
                if self.rows.get(self.selected).is_some_and(|r| matches!(r.item, Item::Ended(_))) =>
            {
                let fields = vec![Field::new("", 3), Field::new("", crate::domain::MAX_NOTE_CHARS)];
                self.deciding =
                    Some(Deciding { approve: true, form: Form::new(fields), error: None, confirming: false });
            }
            Some(action @ (Action::Approve | Action::Reject))
                if self.rows.get(self.selected).is_some_and(|r| !matches!(r.item, Item::Ended(_))) =>
            {
                let approve = action == Action::Approve;
                let row = &self.rows[self.selected];
                // Held deposits are decided by admins only: said before a reason is typed.
                if matches!(row.item, Item::Held(_)) && cx.session.staff.role != crate::domain::Role::Admin {
                    *cx.status = Status::Error(cx.t.err_admin_only.into());
                    return Step::Stay;
                }
                let mut fields = vec![Field::new("", 10), Field::new("", crate::domain::MAX_NOTE_CHARS)];
                // A shift is approved for an edited duration (from what the clock measured;
                // staff usually shorten it); a held deposit as it was recorded.
                if approve && matches!(row.item, Item::Shift(_)) {
                    fields[MINUTES].input.set(&format_hours(u64::from(row.minutes.get())));
                } else {
                    fields.remove(MINUTES);
                }
                self.deciding =
                    Some(Deciding { approve, form: Form::new(fields), error: None, confirming: false });
            }
            _ => {}
        }
        Step::Stay
    }

    fn on_form_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let Some(Deciding { approve, form, error, confirming }) = self.deciding.as_mut() else {
            return Step::Stay;
        };
        match keymap::action(Scope::Form, key) {
            Some(Action::Back) => self.deciding = None,
            Some(Action::NextField | Action::PrevField) => form.next(),
            Some(Action::Submit) => {
                let row = &self.rows[self.selected];
                if let Item::Ended(ended) = &row.item {
                    let score = form.value(0).trim().parse::<u8>().ok().filter(|s| *s <= 100);
                    let Some(score) = score else {
                        *error = Some(cx.t.points.err_score.into());
                        return Step::Stay;
                    };
                    if !*confirming {
                        *confirming = true;
                        *error = None;
                        return Step::Stay;
                    }
                    let note = form.value(1).to_string();
                    match cx.bank.evaluate_shift(&cx.session.actor, ended.seq, score, &note) {
                        Ok(seq) => {
                            *cx.status = Status::Saved(seq);
                            return Step::Replace(Route::Review);
                        }
                        Err(e) => {
                            *confirming = false;
                            *error = Some(cx.t.bank_error(&e));
                        }
                    }
                    return Step::Stay;
                }
                let minutes = match (&row.item, *approve) {
                    (Item::Shift(_), true) => match Minutes::parse(form.value(MINUTES)) {
                        Ok(m) => Some(m),
                        Err(e) => {
                            *error = Some(cx.t.domain_error(&e));
                            return Step::Stay;
                        }
                    },
                    _ => None,
                };
                let reason = form.fields.last().map(|f| f.text().to_string()).unwrap_or_default();
                if reason.trim().is_empty() {
                    *error = Some(cx.t.domain_error(&crate::domain::DomainError::ReasonRequired));
                    return Step::Stay;
                }
                // The first Enter says what will be saved; the second saves it.
                if !*confirming {
                    *confirming = true;
                    *error = None;
                    return Step::Stay;
                }
                let result = match &row.item {
                    Item::Shift(shift) => {
                        cx.bank.review_shift(&cx.session.actor, shift.seq, minutes, &reason)
                    }
                    Item::Held(held) => {
                        cx.bank.decide_deposit(&cx.session.actor, held.seq, *approve, &reason)
                    }
                    // `a` is the next step (verify, then approve); `x` rejects at either.
                    Item::Points(p) => {
                        use crate::domain::Verdict;
                        let verdict = match (*approve, p.verified) {
                            (false, _) => Verdict::Rejected,
                            (true, false) => Verdict::Verified,
                            (true, true) => Verdict::Approved,
                        };
                        cx.bank
                            .review_points(&cx.session.actor, p.seq, verdict, &reason)
                            .map(|e| crate::bank::Committed { events: vec![e], replayed: false })
                    }
                    // Scored above, before the reason is asked for.
                    Item::Ended(_) => return Step::Stay,
                };
                match result {
                    Ok(done) => {
                        *cx.status = Status::Saved(done.first_seq());
                        return Step::Replace(Route::Review);
                    }
                    Err(e) => {
                        *confirming = false;
                        *error = Some(cx.t.bank_error(&e));
                    }
                }
            }
            _ => {
                if form.edit(key) {
                    *error = None;
                    *confirming = false;
                }
            }
        }
        Step::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        // What waits for someone: every decision, and the ended shifts not scored yet (a
        // scored one stays listed, to change its score, and waits for nobody).
        let waiting =
            self.rows.iter().filter(|r| !matches!(&r.item, Item::Ended(e) if e.score.is_some())).count();
        title_bar(buf, area, &format!("{} ({waiting})", t.review_title), theme);
        let x = area.x + 1;
        let columns = [
            ListColumn::fixed(t.review_col_kind, 8),
            ListColumn::fixed(t.review_col_started, 16),
            ListColumn::fixed(t.review_col_card, 10),
            ListColumn::fixed(t.review_col_name, 10),
            ListColumn::fill(t.review_col_activity, 1),
            ListColumn::fixed(t.review_col_worked, 8).right(),
        ];
        let list = crate::tui::widgets::under_title(area);
        let room = usize::from(area.height.saturating_sub(2));
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        let rows = self.rows.iter().enumerate().skip(start).take(room).map(|(i, row)| {
            let kind = match &row.item {
                Item::Shift(_) => t.review_kind_shift,
                Item::Held(_) => t.review_kind_deposit,
                Item::Points(p) if p.verified => t.points.review_kind_approve,
                Item::Points(_) => t.points.review_kind_verify,
                Item::Ended(_) => t.points.review_kind_evaluate,
            };
            let hours = row.amount(t);
            let cells = vec![
                kind.to_string(),
                row.when.clone(),
                row.card.clone(),
                row.name.clone(),
                row.activity.clone(),
                hours,
            ];
            (cells, if i == self.selected { theme.selection } else { theme.text })
        });
        table(buf, list, &columns, Some(theme.muted), rows);
        if self.rows.is_empty() {
            put(buf, area, x, area.y + 2, t.review_empty, theme.muted);
        }
        let evaluating = self.rows.get(self.selected).is_some_and(|r| matches!(r.item, Item::Ended(_)));
        if let (Some(d), true) = (&self.deciding, evaluating) {
            self.render_evaluation(area, buf, vx, d);
        } else if let Some(d) = &self.deciding {
            let title = if d.approve { t.review_approve_title } else { t.review_reject_title };
            let inner = popup(buf, centered(area, 70, 11), title, theme);
            // Which entry is being decided: its number, day, volunteer, activity and hours.
            if let Some(row) = self.rows.get(self.selected) {
                let unit = if row.points.is_some() { "" } else { t.hours_unit };
                let what = format!(
                    "#{} {}  {} {}  {}  {} {unit}",
                    row.seq(),
                    row.when,
                    row.name,
                    row.card,
                    row.activity,
                    row.amount(t),
                );
                put(buf, inner, inner.x + 1, inner.y + 1, &what, theme.text);
            }
            let mut form = d.form.clone();
            if form.fields.len() == 2 {
                form.fields[MINUTES].label = t.review_hours;
                form.fields[REASON].label = t.reason;
            } else {
                form.fields[0].label = t.reason;
            }
            let rows = form.fields.len() as u16;
            form.render(
                Rect { x: inner.x + 1, y: inner.y + 3, width: inner.width.saturating_sub(2), height: rows },
                buf,
                theme,
                vx.t,
                true,
            );
            let y = inner.y + 4 + rows;
            if let Some(e) = &d.error {
                put(buf, inner, inner.x + 1, y, e, theme.danger);
            } else if d.confirming {
                let seq = self.rows.get(self.selected).map_or(0, Row::seq);
                let line = if d.approve { t.review_confirm_approve } else { t.review_confirm_reject };
                put(buf, inner, inner.x + 1, y, &crate::i18n::fill(line, &[&seq]), theme.warning);
            }
        }
    }

    /// The score and note of an ended shift, over the list.
    fn render_evaluation(&self, area: Rect, buf: &mut Buffer, vx: &Vx, d: &Deciding) {
        let (t, theme) = (vx.t, vx.theme);
        let inner = popup(buf, centered(area, 70, 10), t.points.evaluate_title, theme);
        let Some(row) = self.rows.get(self.selected) else { return };
        let what = format!("#{} {}  {} {}  {}", row.seq(), row.when, row.name, row.card, row.activity);
        put(buf, inner, inner.x + 1, inner.y + 1, &what, theme.text);
        let mut form = d.form.clone();
        form.fields[0].label = t.points.field_score;
        form.fields[1].label = t.points.field_note;
        form.render(
            Rect { x: inner.x + 1, y: inner.y + 3, width: inner.width.saturating_sub(2), height: 2 },
            buf,
            theme,
            t,
            true,
        );
        let y = inner.y + 6;
        if let Some(e) = &d.error {
            put(buf, inner, inner.x + 1, y, e, theme.danger);
        } else if d.confirming {
            let score = d.form.value(0).trim().to_string();
            let line = crate::i18n::fill(t.points.evaluate_confirm, &[&row.seq(), &score]);
            put(buf, inner, inner.x + 1, y, &line, theme.warning);
        }
    }
}
