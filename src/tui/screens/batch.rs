//! Event batch for campaign days: activity, date and duration once, then many cards scanned;
//! unknown, inactive and repeated cards are flagged and not added; one commit saves all or
//! nothing; a summary shows the count and total hours.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::confirm::{Answer, Confirm};
use super::entry::{EntryForm, EntryKey, EntryValues};
use crate::bank::{BatchDeposit, Mode, Op};
use crate::domain::{CardNo, VolunteerId, format_hours};
use crate::i18n::fill;
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{TextInput, pad, put, title_bar};

pub struct Attendee {
    pub id: VolunteerId,
    pub card: CardNo,
    pub name: String,
}

enum Phase {
    Setup(Option<EntryForm>),
    Scan {
        values: EntryValues,
        card: TextInput,
        list: Vec<Attendee>,
        /// Cards scanned but not added, and why: kept in sight until the batch is saved.
        refused: Vec<(String, String)>,
        selected: usize,
        /// The dry run's verdict while the confirm line is up.
        confirm: Confirm<Preview>,
        discard_armed: bool,
    },
    Done(String),
}

/// What the batch would credit, as the bank's dry run says.
#[derive(Debug, Clone, Copy)]
struct Preview {
    credited: u64,
    held: usize,
}

impl Preview {
    fn of(done: &crate::bank::Committed) -> Preview {
        use crate::domain::EventKind;
        let mut p = Preview { credited: 0, held: 0 };
        for e in &done.events {
            match e.kind() {
                EventKind::Deposited { minutes, .. } => p.credited += u64::from(minutes.get()),
                EventKind::DepositHeld { .. } => p.held += 1,
                _ => {}
            }
        }
        p
    }
}

pub struct Batch {
    phase: Phase,
    /// The last scan's verdict: text and whether it was refused.
    notice: Option<(String, bool)>,
}

impl Batch {
    pub fn new(cx: &mut Cx) -> Batch {
        let form = match EntryForm::new(cx.bank, cx.memory, cx.t) {
            Ok(f) => Some(f),
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                None
            }
        };
        Batch { phase: Phase::Setup(form), notice: None }
    }

    pub fn scope(&self) -> Scope {
        match self.phase {
            Phase::Scan { .. } => Scope::Batch,
            _ => Scope::Form,
        }
    }

    pub fn attendees(&self) -> &[Attendee] {
        match &self.phase {
            Phase::Scan { list, .. } => list,
            _ => &[],
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match &mut self.phase {
            Phase::Setup(form) => {
                let Some(form) = form.as_mut() else { return Step::Home };
                match form.on_key(key, cx.t, cx.bank.today()) {
                    EntryKey::Submit(values) => {
                        self.phase = Phase::Scan {
                            values,
                            card: TextInput::new(32),
                            list: Vec::new(),
                            refused: Vec::new(),
                            selected: 0,
                            confirm: Confirm::default(),
                            discard_armed: false,
                        };
                    }
                    EntryKey::Cancel => return Step::Home,
                    EntryKey::Nothing => {}
                }
            }
            Phase::Scan { values, card, list, refused, selected, confirm, discard_armed } => {
                let action = keymap::action(Scope::Batch, key);
                if action != Some(Action::Back) {
                    *discard_armed = false;
                }
                let batch = || BatchDeposit {
                    cards: list.iter().map(|a| a.card.clone()).collect(),
                    activity: values.activity,
                    minutes: values.minutes,
                    served_on: Some(values.day),
                    note: values.note.clone(),
                };
                match action {
                    Some(Action::Scan) if confirm.pending().is_some() => {
                        let Answer::Done(result) = confirm.commit(cx) else { return Step::Stay };
                        confirm.finish();
                        match result {
                            Ok(done) => {
                                // What the rules credited (rounded, multiplied), not what was typed.
                                let total = Preview::of(&done).credited;
                                cx.memory.last_activity = Some(values.activity);
                                *cx.status = super::deposit_status(cx.t, &done);
                                let summary = fill(
                                    cx.t.batch_summary,
                                    &[&list.len(), &format_hours(total), &done.first_seq()],
                                );
                                self.notice = None;
                                self.phase = Phase::Done(summary);
                            }
                            Err(e) => self.notice = Some((e, true)),
                        }
                    }
                    Some(Action::Back) if confirm.pending().is_some() => {
                        confirm.finish();
                    }
                    Some(Action::Back) if list.is_empty() || *discard_armed => {
                        return Step::Home;
                    }
                    Some(Action::Back) => {
                        *discard_armed = true;
                        self.notice = Some((cx.t.batch_discard.into(), true));
                    }
                    Some(Action::Scan) => {
                        let text = card.value().trim().to_string();
                        card.clear();
                        if !text.is_empty() {
                            self.notice = Some(match add_card(&text, list, cx) {
                                Ok(added) => (added, false),
                                Err((label, why)) => {
                                    let said = fill(cx.t.batch_refused_line, &[&label, &why]);
                                    let entry = (label, why);
                                    if !refused.contains(&entry) {
                                        refused.push(entry);
                                    }
                                    (said, true)
                                }
                            });
                            *selected = list.len().saturating_sub(1);
                        }
                    }
                    Some(Action::Commit) if list.is_empty() => {
                        self.notice = Some((cx.t.batch_empty.into(), true))
                    }
                    // The confirm line says what the commit will do: the same plan, dry run
                    // (a day cap reached by one attendee, deposits held for an admin).
                    Some(Action::Commit) => {
                        let op = Op::DepositBatch(batch());
                        match cx.bank.execute(&cx.session.actor, &op, Mode::Preview) {
                            Ok(done) => {
                                confirm.offer(op, Preview::of(&done));
                                self.notice = None;
                            }
                            Err(e) => self.notice = Some((cx.t.bank_error(&e), true)),
                        }
                    }
                    Some(Action::Remove) if !list.is_empty() => {
                        let gone = list.remove(*selected);
                        *selected = (*selected).min(list.len().saturating_sub(1));
                        let label = format!("{} {}", gone.name, gone.card);
                        self.notice = Some((fill(cx.t.batch_removed, &[&label, &list.len()]), false));
                    }
                    Some(Action::Up) => *selected = selected.saturating_sub(1),
                    Some(Action::Down) => *selected = (*selected + 1).min(list.len().saturating_sub(1)),
                    _ => {
                        card.handle(key);
                    }
                }
            }
            Phase::Done(_) => {
                if matches!(keymap::action(Scope::Form, key), Some(Action::Submit | Action::Back)) {
                    return Step::Home;
                }
            }
        }
        Step::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        title_bar(buf, area, t.batch_title, theme);
        let x = area.x + 1;
        let inner = Rect {
            x,
            y: area.y + 2,
            width: area.width.saturating_sub(2),
            height: area.height.saturating_sub(2),
        };
        match &self.phase {
            Phase::Setup(form) => {
                if let Some(form) = form {
                    form.render(inner, buf, vx, true);
                }
            }
            Phase::Scan { values, card, list, refused, selected, confirm, .. } => {
                let head = format!(
                    "{}  {}  {} {}  {}",
                    values.activity_name,
                    values.day,
                    format_hours(u64::from(values.minutes.get())),
                    t.hours_unit,
                    values.note
                );
                put(buf, inner, x, inner.y, &head, theme.balance);
                put(buf, inner, x, inner.y + 2, ">", theme.accent);
                card.render(
                    Rect { x: x + 2, y: inner.y + 2, width: 24, height: 1 },
                    buf,
                    theme.row(true),
                    confirm.pending().is_none(),
                    false,
                );
                put(buf, inner, x + 28, inner.y + 2, t.batch_scan, theme.muted);
                if let Some((text, bad)) = &self.notice {
                    put(buf, inner, x, inner.y + 3, text, if *bad { theme.danger } else { theme.success });
                }
                let total = u64::from(values.minutes.get()) * list.len() as u64;
                let head =
                    format!("{} ({}, {} {})", t.batch_list, list.len(), format_hours(total), t.hours_unit);
                // Attendees on the left; what was refused, and why, on the right.
                let split = if refused.is_empty() { area.width } else { area.width / 2 };
                let left = Rect { width: split, ..area };
                title_bar(buf, Rect { y: inner.y + 5, height: 1, ..left }, &head, theme);
                let room = usize::from(inner.bottom().saturating_sub(inner.y + 7));
                let start = selected.saturating_sub(room.saturating_sub(1));
                let list_area = Rect { width: split.saturating_sub(1), ..inner };
                for (i, a) in list.iter().enumerate().skip(start).take(room) {
                    let y = inner.y + 6 + (i - start) as u16;
                    let line = format!("{:>4}  {}  {}", i + 1, pad(a.card.as_str(), 12), a.name);
                    let line = pad(&line, usize::from(list_area.width.saturating_sub(1)));
                    put(buf, list_area, x, y, &line, theme.row(i == *selected));
                }
                if !refused.is_empty() {
                    let right = Rect { x: area.x + split, width: area.width - split, ..area };
                    let head = fill(t.batch_refused, &[&refused.len()]);
                    title_bar(buf, Rect { y: inner.y + 5, height: 1, ..right }, &head, theme);
                    let body = Rect { y: inner.y + 6, height: room as u16, ..right };
                    let mut y = body.y;
                    // The newest first: the one just scanned is the one asked about.
                    for (label, why) in refused.iter().rev() {
                        for line in crate::tui::widgets::wrap(
                            &fill(t.batch_refused_line, &[label, why]),
                            usize::from(right.width.saturating_sub(2)),
                        ) {
                            if y >= body.bottom() {
                                break;
                            }
                            put(buf, body, right.x + 1, y, &line, theme.danger);
                            y += 1;
                        }
                    }
                }
                if let Some((_, p)) = confirm.pending() {
                    let each = format_hours(u64::from(values.minutes.get()));
                    let n = list.len();
                    let line = match p.held {
                        0 => fill(t.batch_confirm, &[&each, &n, &format_hours(p.credited)]),
                        held => fill(t.batch_confirm_held, &[&each, &n, &format_hours(p.credited), &held]),
                    };
                    let bottom = area.bottom().saturating_sub(2);
                    for (i, l) in crate::tui::widgets::wrap(&line, usize::from(area.width.saturating_sub(2)))
                        .iter()
                        .take(2)
                        .enumerate()
                    {
                        put(buf, area, x, bottom + i as u16, l, theme.warning);
                    }
                }
            }
            Phase::Done(summary) => {
                put(buf, inner, x, inner.y + 1, summary, theme.success);
            }
        }
    }
}

/// Checks one scanned card against the bank and the list; adds it only if it may be. `Ok`
/// says what was added; `Err` names the card and says why it was not.
fn add_card(text: &str, list: &mut Vec<Attendee>, cx: &Cx) -> Result<String, (String, String)> {
    let t = cx.t;
    let shown: String = text.chars().take(32).collect();
    let Ok(card) = CardNo::parse(text) else { return Err((shown, t.batch_no_card.into())) };
    let Ok(v) = cx.bank.find_card(&card) else { return Err((card.to_string(), t.batch_no_card.into())) };
    let label = format!("{} {}", v.volunteer.name, card);
    if list.iter().any(|a| a.id == v.id) {
        return Err((label, t.batch_duplicate.into()));
    }
    if !v.volunteer.active {
        return Err((label, t.batch_inactive.into()));
    }
    list.push(Attendee { id: v.id, card, name: v.volunteer.name.to_string() });
    Ok(fill(t.batch_added, &[&label]))
}
