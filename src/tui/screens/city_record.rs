//! The city's record of a volunteer, over their page: every counter's registration of the card
//! (phone and ID number masked) and its entries at every counter. A counter holds none of it
//! (need to know): it is asked of the city service when staff open it, off the UI thread
//! (`Effect::AskCity`), and the service records who asked. Offline, it says what is not
//! available and what this counter does hold.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::city::Reach;
use crate::city::wire::VolunteerDetails;
use crate::domain::{CardNo, format_hours};
use crate::i18n::{Text, fill};
use crate::tui::contract::Vx;
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{ListColumn, centered, pad, popup, put, table};

/// Where the look-up is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Asked; the answer comes as `Msg::CityRecord`.
    Asking,
    /// The last sync could not reach the city: nothing was asked.
    Offline,
    /// This counter is in no city.
    NoCity,
    /// The service could not be reached, or refused (what it said).
    Failed(String),
    Shown(VolunteerDetails),
}

pub struct CityRecord {
    pub card: CardNo,
    pub lookup: Lookup,
    /// The first history row shown (scrolled with the page's keys).
    top: usize,
}

impl CityRecord {
    /// Opens the record of `card` as the city link is: `true` when it must be asked for.
    pub fn open(card: CardNo, city: Reach) -> (CityRecord, bool) {
        let lookup = match city {
            Reach::Online => Lookup::Asking,
            Reach::Offline => Lookup::Offline,
            Reach::None => Lookup::NoCity,
        };
        let ask = lookup == Lookup::Asking;
        (CityRecord { card, lookup, top: 0 }, ask)
    }

    /// The service's answer for `card` (an answer for another card, late, is not this one's).
    pub fn answered(&mut self, card: &CardNo, answer: Result<VolunteerDetails, String>) {
        if *card != self.card || self.lookup != Lookup::Asking {
            return;
        }
        self.lookup = match answer {
            Ok(details) => Lookup::Shown(details),
            Err(e) => Lookup::Failed(e),
        };
    }

    /// A key while open; `false` once it closes.
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        let rows = match &self.lookup {
            Lookup::Shown(d) => d.history.len(),
            _ => 0,
        };
        let last = rows.saturating_sub(1);
        match keymap::action(Scope::Volunteer, key) {
            Some(Action::Back | Action::CityRecord) => return false,
            Some(Action::Up) => self.top = self.top.saturating_sub(1),
            Some(Action::Down) => self.top = (self.top + 1).min(last),
            Some(Action::PageUp) => self.top = self.top.saturating_sub(10),
            Some(Action::PageDown) => self.top = (self.top + 10).min(last),
            _ => {}
        }
        true
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let (t, theme) = (vx.t, vx.theme);
        let width = area.width.saturating_sub(4).min(100);
        let height = area.height.saturating_sub(4);
        let inner =
            popup(buf, centered(area, width, height), &fill(t.city_record_title, &[&self.card]), theme);
        let x = inner.x + 1;
        let w = usize::from(inner.width.saturating_sub(2));
        let bottom = inner.y + inner.height.saturating_sub(1);
        put(buf, inner, x, bottom, crate::tui::widgets::truncate(t.city_record_hint, w), theme.muted);
        let details = match &self.lookup {
            Lookup::Shown(d) => d,
            other => {
                let (text, style) = match other {
                    Lookup::Asking => (t.city_record_asking.to_string(), theme.muted),
                    Lookup::Offline => (t.city_record_offline.to_string(), theme.danger),
                    Lookup::NoCity => (t.city_record_no_city.to_string(), theme.muted),
                    Lookup::Failed(e) => (fill(t.city_record_failed, &[e]), theme.danger),
                    Lookup::Shown(_) => unreachable!("matched above"),
                };
                for (i, line) in crate::tui::widgets::wrap(&text, w).iter().enumerate() {
                    put(buf, inner, x, inner.y + 1 + i as u16, line, style);
                }
                return;
            }
        };
        let mut y = inner.y + 1;
        put(buf, inner, x, y, &fill(t.city_record_registered, &[&details.registrations.len()]), theme.accent);
        for r in &details.registrations {
            y += 1;
            let line = format!(
                "{} {} {} {} {} {}",
                pad(&r.counter, 10),
                pad(&r.name, 10),
                pad(&r.phone, 11),
                pad(&r.id_number, 18),
                pad(&r.registered_on, 10),
                r.community
            );
            put(buf, inner, x, y, crate::tui::widgets::truncate(&line, w), theme.text);
        }
        y += 2;
        put(buf, inner, x, y, &fill(t.city_record_entries, &[&details.history.len()]), theme.accent);
        let room = usize::from(bottom.saturating_sub(y + 1));
        let columns = [
            ListColumn::fixed("", 10),
            ListColumn::fixed("", 10),
            ListColumn::fixed("", 16),
            ListColumn::fixed("", 8).right(),
            ListColumn::fill("", 1),
        ];
        let list = Rect { x, y: y + 1, width: w as u16, height: room as u16 };
        let rows = details.history.iter().skip(self.top).take(room).map(|h| {
            let kind = kind_label_by_name(t, &h.kind);
            let kind = match &h.reverses {
                Some(of) => format!("{kind}·{}", kind_label_by_name(t, of)),
                None => kind.to_string(),
            };
            let sign = if h.minutes < 0 { "-" } else { "+" };
            let hours = format!("{sign}{}", format_hours(h.minutes.unsigned_abs()));
            let activity = h.activity.clone().unwrap_or_default();
            (vec![h.day.clone(), h.counter.clone(), kind, hours, activity], theme.text)
        });
        table(buf, list, &columns, None, rows);
    }
}

/// What staff read when the look-up fails: an unreachable service in their language, a
/// refusal as the service words it.
pub fn failure_words(t: &Text, e: &crate::city::ClientError) -> String {
    match e {
        crate::city::ClientError::Connect(_) => t.city_record_unreachable.to_string(),
        crate::city::ClientError::Refused(r) => r.message.clone(),
        other => other.to_string(),
    }
}

/// How an entry kind the city names (the journal's names: `deposit`, `reversal`, …) reads
/// here; a kind this build does not know reads as its name.
fn kind_label_by_name<'a>(t: &'static Text, name: &'a str) -> &'a str {
    if name == "reversal" {
        return t.kind_reversal;
    }
    crate::domain::Movement::of_event_name(name).map_or(name, |m| super::page_words::screen_word(t, m))
}
