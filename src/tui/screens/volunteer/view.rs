//! Drawing a volunteer's page (`render` never mutates the page and does no IO): the person,
//! the balances, the history and the popups over it.

use super::VolunteerPage;
use crate::domain::privacy::{mask_id_number, mask_phone};
use crate::domain::{format_hours, star_level};
use crate::i18n::fill;
use crate::tui::contract::Vx;
use crate::tui::screens::page_words::{
    city_line, city_line_style, hours_shown, in_and_out, kind_label, line_hours, memo_with_service_date,
};
use crate::tui::widgets::{ListColumn, centered, chart, clock, pad, popup, put, table, title_bar};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

impl VolunteerPage {
    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        let v = &self.view.volunteer;
        let a = &self.view.account;
        // The registration day in the title: the rows beside the digits hold the hours, and the
        // line under them the city's "as of", which they once cut.
        let mut title =
            format!("{}  {}  {}  {} {}", v.name, v.card, v.community, t.registered, v.registered_on);
        if !v.active {
            title = format!("{title}  [{}]", t.inactive);
        }
        title_bar(buf, area, &title, theme);
        let x = area.x + 1;
        let label = format!("{} ({})", t.balance, t.hours_unit);
        put(buf, area, x, area.y + 1, &label, theme.muted);
        let spark_x = x + crate::tui::widgets::width(&label) as u16 + 4;
        let label_cols = put(buf, area, spark_x, area.y + 1, t.spark_label, theme.muted);
        put(buf, area, spark_x + label_cols + 1, area.y + 1, &chart::sparkline(&self.spark), theme.accent);
        // In a city every figure is the city's as of the last sync (this counter's share alone
        // is often nothing: it went to the city pool); the line under the digits says what of it
        // can be spent here.
        let hours = hours_shown(a, self.city.as_ref());
        clock::render(
            &format_hours(hours.total()),
            Rect { x, y: area.y + 2, width: 44, height: clock::CLOCK_HEIGHT },
            buf,
            theme.balance,
        );
        let dx = x + 46;
        let stars = star_level(hours.earned);
        let [credits, debits] = in_and_out(t, a, &hours);
        let mut details = vec![
            (t.earned, format!("{} {}", format_hours(hours.earned), t.hours_unit)),
            credits,
            debits,
            (t.stars, format!("{stars}/5 {}", "*".repeat(usize::from(stars)))),
            (t.phone, self.shown(|r| &r.0, v.phone.as_ref().map(|p| mask_phone(p.as_str())))),
            (t.id_number, self.shown(|r| &r.1, v.id_number.as_ref().map(|n| mask_id_number(n.as_str())))),
        ];
        // This counter's points, and (online) what the card's city pool holds beside them.
        match (&self.points, self.points_pool) {
            (Some(p), _) => {
                details.push((t.points.points_label, crate::tui::screens::page_words::points_words(t, p)))
            }
            (None, Some(_)) => details.push((t.points.points_label, format!("0 {}", t.points.unit))),
            (None, None) => {}
        }
        if let Some(pool) = self.points_pool {
            details.push((t.points.pool_label, format!("{pool} {}", t.points.unit)));
        }
        let label_cols = details.iter().map(|(l, _)| crate::tui::widgets::width(l)).max().unwrap_or(0) + 2;
        let rows = crate::tui::screens::page_words::detail_rows(
            &details,
            usize::from(area.right().saturating_sub(dx + label_cols as u16 + 1)),
        );
        for (i, (label, value, stars)) in rows.iter().enumerate() {
            let y = area.y + 1 + i as u16;
            put(buf, area, dx, y, &pad(label, label_cols), theme.muted);
            put(buf, area, dx + label_cols as u16, y, value, if *stars { theme.accent } else { theme.text });
        }
        // A breakdown that needed rows of its own pushes what follows down (at 80 columns the
        // parts of what came in and went out do not fit beside the digits: they were cut).
        let extra = rows.len().saturating_sub(6) as u16;
        if let Some(city) = &self.city {
            put(buf, area, x, area.y + 7 + extra, &city_line(t, city, vx.city), city_line_style(theme, city));
        }
        let table = Rect { y: area.y + 8 + extra, height: area.height.saturating_sub(8 + extra), ..area };
        self.render_history(table, buf, vx);
        if let Some(p) = &self.pin {
            let inner = popup(buf, centered(area, 60, 8), &fill(t.pin_title, &[&v.card]), theme);
            let mut form = p.form.clone();
            form.fields[0].label = t.pin_new;
            form.fields[1].label = t.pin_again;
            form.render(
                Rect { x: inner.x + 1, y: inner.y + 1, width: inner.width.saturating_sub(2), height: 2 },
                buf,
                theme,
                vx.t,
                true,
            );
            let (text, style) = match &p.error {
                Some(e) => (e.as_str(), theme.danger),
                None => (t.pin_hint, theme.muted),
            };
            put(buf, inner, inner.x + 1, inner.y + 4, text, style);
        }
        if let Some(record) = &self.city_record {
            record.render(area, buf, vx);
        }
        if let Some(p) = &self.reverse {
            // Room for a refusal of three lines (a spent deposit's says what to do instead).
            let inner = popup(buf, centered(area, 70, 10), t.reverse_title, theme);
            put(buf, inner, inner.x + 1, inner.y + 1, &p.what, theme.text);
            put(buf, inner, inner.x + 1, inner.y + 3, &pad(t.reason, 8), theme.accent);
            let input =
                Rect { x: inner.x + 9, y: inner.y + 3, width: inner.width.saturating_sub(11), height: 1 };
            p.reason.render(input, buf, theme.row(true), true, false);
            if p.confirm.is_asking() {
                put(buf, inner, inner.x + 1, inner.y + 5, t.city_commit_asking, theme.accent);
            } else if let Some((_, from_city)) = p.confirm.pending() {
                let mut line = fill(t.confirm_reverse, &[&p.seq]);
                if *from_city > 0 {
                    line = format!("{line} {}", fill(t.confirm_from_city, &[&format_hours(*from_city)]));
                }
                put(buf, inner, inner.x + 1, inner.y + 5, &line, theme.warning);
            } else if let Some(e) = &p.error {
                let cols = usize::from(inner.width.saturating_sub(2));
                for (i, line) in crate::tui::widgets::wrap(e, cols).iter().take(3).enumerate() {
                    put(buf, inner, inner.x + 1, inner.y + 5 + i as u16, line, theme.danger);
                }
            }
        }
    }

    fn render_history(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        title_bar(buf, area, &format!("{} ({})", t.history, self.lines.len()), theme);
        let x = area.x + 1;
        // Only the visible rows are formatted: a page with 10k entries draws as fast as one with 10.
        let room = usize::from(area.height.saturating_sub(2));
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        let visible = || self.lines.iter().enumerate().skip(start).take(room);
        let kind_cols =
            crate::tui::screens::page_words::kind_cols(t, visible().map(|(_, line)| line.event.kind()));
        let columns = [
            ListColumn::fixed(t.col_date, 10),
            ListColumn::fixed(t.col_kind, kind_cols),
            ListColumn::fill(t.col_what, 1),
            ListColumn::fixed(t.col_hours, 8).right(),
            ListColumn::fixed(t.col_staff, 10),
            ListColumn::fixed(t.col_seq, 8).right(),
        ];
        let list = crate::tui::widgets::under_title(area);
        if self.lines.is_empty() {
            table(buf, list, &columns, Some(theme.muted), std::iter::empty());
            put(buf, area, x, area.y + 2, t.history_empty, theme.muted);
            return;
        }
        let rows = visible().map(|(i, line)| {
            let event = line.event.kind();
            let date = line.day();
            let mut what = memo_with_service_date(t, line, &line.memo);
            if let Some(by) = line.reversed_by {
                what = format!("[{} #{by}] {what}", t.reversed_mark);
            }
            let cells = vec![
                date.to_string(),
                kind_label(t, event).to_string(),
                what,
                line_hours(line),
                t.actor(&line.event.body.actor),
                format!("#{}", line.seq),
            ];
            let style = if i == self.selected {
                theme.selection
            } else if line.reversed_by.is_some() || line.held_minutes().is_some() {
                theme.muted
            } else {
                theme.text
            };
            (cells, style)
        });
        table(buf, list, &columns, Some(theme.muted), rows);
    }
}
