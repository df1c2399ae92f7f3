//! Drawing the kiosk page (`render` never mutates the page and does no IO): the balance in
//! large digits, the history, the rewards within reach.

use super::Kiosk;
use crate::bank::Op;
use crate::domain::privacy::{mask_card, mask_name};
use crate::domain::{EventKind, RewardKind, STAR_HOURS, format_hours, star_level};
use crate::i18n::fill;
use crate::tui::contract::Vx;
use crate::tui::screens::page_words::kind_label;
use crate::tui::widgets::{ListColumn, clock, pad, pad_left, put, table, title_bar, width};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

impl Kiosk {
    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        let v = &self.view.volunteer;
        let a = &self.view.account;
        let title =
            format!("{}  {}  {}", t.kiosk_title, mask_name(v.name.as_str()), mask_card(v.card.as_str()));
        title_bar(buf, area, &title, theme);
        let x = area.x + 1;
        put(buf, area, x, area.y + 1, &format!("{} ({})", t.balance, t.hours_unit), theme.muted);
        // In a city every figure is the city's (see the volunteer page).
        let hours = crate::tui::screens::page_words::hours_shown(a, self.city.as_ref());
        clock::render(
            &format_hours(hours.total()),
            Rect { x, y: area.y + 2, width: 44, height: clock::CLOCK_HEIGHT },
            buf,
            theme.balance,
        );
        let stars = star_level(hours.earned);
        let next_star = STAR_HOURS
            .get(usize::from(stars))
            .map(|h| fill(t.kiosk_next_star, &[&format_hours((h * 60).saturating_sub(hours.earned))]));
        // Balance = in − out, both shown; earned (service) is what the stars count.
        let [credits, debits] = crate::tui::screens::page_words::in_and_out(t, a, &hours);
        let mut details = vec![
            (t.earned, format!("{} {}", format_hours(hours.earned), t.hours_unit)),
            credits,
            debits,
            (t.stars, format!("{stars}/5 {}", "*".repeat(usize::from(stars)))),
            ("", next_star.unwrap_or_default()),
        ];
        if let Some(p) = &self.points {
            details.push((t.points.points_label, crate::tui::screens::page_words::points_words(t, p)));
        }
        let dx = x + 46;
        let label_cols = details.iter().map(|(l, _)| width(l)).max().unwrap_or(0) + 2;
        let room = usize::from(area.right().saturating_sub(dx + label_cols as u16 + 1));
        let rows = crate::tui::screens::page_words::detail_rows(&details, room);
        for (i, (label, value, stars)) in rows.iter().enumerate() {
            let y = area.y + 1 + i as u16;
            put(buf, area, dx, y, &pad(label, label_cols), theme.muted);
            put(buf, area, dx + label_cols as u16, y, value, if *stars { theme.accent } else { theme.text });
        }
        // Parts of what came in and went out that needed rows of their own, and the points,
        // push the rest down.
        let extra = rows.len().saturating_sub(5) as u16;
        let shift_line = match &self.open {
            Some((_, shift, name)) => {
                let at = shift.started.datetime().with_timezone(&chrono::Local).format("%H:%M").to_string();
                fill(t.kiosk_on_shift, &[name, &at])
            }
            None => t.kiosk_off_shift.to_string(),
        };
        put(
            buf,
            area,
            dx,
            area.y + 6 + extra,
            &shift_line,
            if self.open.is_some() { theme.success } else { theme.muted },
        );
        // Under the large digits, the whole width: the outcome of a check-in or check-out, or
        // the donation being given.
        if let Some((input, confirm)) = &self.donating {
            // The balance the digits above show: the city's.
            let balance =
                self.city.as_ref().map_or(self.view.account.balance(), crate::bank::CityBalance::total);
            let (checked, from_city) = match confirm.pending() {
                Some((Op::Donate(d), from_city)) => (Some(d), *from_city),
                _ => (None, 0),
            };
            let line = match checked {
                _ if confirm.is_asking() => t.city_commit_asking.to_string(),
                Some(d) => {
                    let m = u64::from(d.minutes.get());
                    let line = fill(
                        t.kiosk_confirm_donate,
                        &[&format_hours(m), &format_hours(balance.saturating_sub(m))],
                    );
                    match from_city {
                        0 => line,
                        _ => format!("{line} {}", fill(t.confirm_from_city, &[&format_hours(from_city)])),
                    }
                }
                None => t.kiosk_donate_prompt.to_string(),
            };
            let cols = put(buf, area, x, area.y + 7 + extra, &line, theme.warning);
            if checked.is_none() {
                let at = Rect { x: x + cols + 1, y: area.y + 7 + extra, width: 12, height: 1 };
                input.render(at.intersection(area), buf, theme.row(true), true, false);
            }
        } else if let Some((text, error)) = &self.message {
            put(buf, area, x, area.y + 7 + extra, text, if *error { theme.danger } else { theme.accent });
        } else if let Some(city) = &self.city {
            let style = crate::tui::screens::page_words::city_line_style(theme, city);
            put(
                buf,
                area,
                x,
                area.y + 7 + extra,
                &crate::tui::screens::page_words::city_line(t, city, vx.city),
                style,
            );
        }
        let below = area.height.saturating_sub(8 + extra);
        let rewards_rows = (self.affordable.len() as u16 + 1).clamp(2, below / 2);
        let history = Rect { y: area.y + 8 + extra, height: below.saturating_sub(rewards_rows), ..area };
        self.render_history(history, buf, vx);
        // The donation's refusal on a row of its own (the history's title, while the prompt is
        // open): beside the prompt it once wrote over it.
        if let (Some(_), Some((text, true))) = (&self.donating, &self.message) {
            let cols = usize::from(area.width.saturating_sub(2));
            put(
                buf,
                area,
                x,
                area.y + 8 + extra,
                &pad(&crate::tui::widgets::shorten(text, cols), cols),
                theme.danger,
            );
        }
        let rewards = Rect { y: history.y + history.height, height: rewards_rows, ..area };
        self.render_rewards(rewards, buf, vx);
        if let Some((activities, selected)) = &self.picking {
            let height = (activities.len() as u16 + 2).min(area.height.saturating_sub(4));
            let inner = crate::tui::widgets::popup(
                buf,
                crate::tui::widgets::centered(area, 50, height),
                t.kiosk_pick_activity,
                theme,
            );
            let room = usize::from(inner.height);
            let start = selected.saturating_sub(room.saturating_sub(1));
            for (i, (_, name)) in activities.iter().enumerate().skip(start).take(room) {
                let style = if i == *selected { theme.selection } else { theme.text };
                let row = pad(name, usize::from(inner.width.saturating_sub(2)));
                put(buf, inner, inner.x + 1, inner.y + (i - start) as u16, &row, style);
            }
        }
        if let Some(pin) = &self.pin {
            pin.render(area, buf, vx);
        }
    }

    fn render_history(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        title_bar(buf, area, &format!("{} ({})", t.kiosk_recent, self.recent.len()), theme);
        if self.recent.is_empty() {
            put(buf, area, area.x + 1, area.y + 1, t.history_empty, theme.muted);
            return;
        }
        let list = crate::tui::widgets::under_title(area);
        let room = usize::from(list.height);
        let shown = || self.recent.iter().skip(self.scroll).take(room);
        let columns = [
            ListColumn::fixed("", 10),
            ListColumn::fixed(
                "",
                crate::tui::screens::page_words::kind_cols(t, shown().map(|l| l.event.kind())),
            ),
            ListColumn::fill("", 1),
            ListColumn::fixed("", 8).right(),
        ];
        let rows = shown().map(|line| {
            let event = line.event.kind();
            let date = line.day();
            // Transfers name the other volunteer: the kiosk shows only what kind of line it is.
            let what = match event {
                EventKind::Deposited { .. } | EventKind::Redeemed { .. } | EventKind::DepositHeld { .. } => {
                    crate::tui::screens::page_words::memo_with_service_date(t, line, &line.memo)
                }
                _ => String::new(),
            };
            (
                vec![
                    date.to_string(),
                    kind_label(t, event).to_string(),
                    what,
                    crate::tui::screens::page_words::line_hours(line),
                ],
                theme.text,
            )
        });
        table(buf, list, &columns, None, rows);
    }

    fn render_rewards(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        title_bar(buf, area, t.kiosk_affordable, theme);
        if self.affordable.is_empty() {
            put(buf, area, area.x + 1, area.y + 1, t.kiosk_none_affordable, theme.muted);
            return;
        }
        let room = usize::from(area.height.saturating_sub(1));
        for (i, r) in self.affordable.iter().take(room).enumerate() {
            let cost = format!("{} {}", format_hours(u64::from(r.reward.cost.get())), t.hours_unit);
            let mut extra = match (r.reward.kind, r.reward.limited) {
                (RewardKind::Course, true) => fill(t.kiosk_seats, &[&r.stock]),
                (_, true) => fill(t.kiosk_stock, &[&r.stock]),
                (_, false) => String::new(),
            };
            if let Some(day) = r.reward.course_date {
                extra = format!("{extra}  {day}");
            }
            let text = format!("{} {} {}", pad(r.reward.name.as_str(), 30), pad_left(&cost, 10), extra);
            put(buf, area, area.x + 1, area.y + 1 + i as u16, &text, theme.text);
        }
    }
}
