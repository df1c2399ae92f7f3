//! The counter drawn from its state: the header (counter, staff, sync, backup, clock, state),
//! the screen, the message line and the footer of keys. Reads only; never does IO.

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::*;

impl App {
    pub fn view(&self, frame: &mut Frame) {
        let area = frame.area();
        self.render(area, frame.buffer_mut());
    }

    /// Draws the whole counter into `buf`. Reads state only.
    pub fn render(&self, area: Rect, buf: &mut Buffer) {
        let t = self.text();
        buf.set_style(area, self.theme.text);
        if area.width < 80 || area.height < 24 {
            for (i, line) in widgets::wrap(t.too_small, usize::from(area.width.max(1))).iter().enumerate() {
                put(buf, area, area.x, area.y + i as u16, line, self.theme.warning);
            }
            return;
        }
        let vx = Vx {
            theme: &self.theme,
            t,
            now: (self.clock)().with_timezone(&Local),
            lang: self.lang,
            counter: &self.counter_name,
            demo_login: self.demo_login.as_ref(),
            index_ready: self.index.is_some(),
            city: self.city(),
        };
        let header = Rect { height: 1, ..area };
        let body = Rect { y: area.y + 1, height: area.height - 3, ..area };
        let message = Rect { y: area.bottom() - 2, height: 1, ..area };
        let footer = Rect { y: area.bottom() - 1, height: 1, ..area };
        self.render_header(header, buf, &vx);
        self.screen.render(body, buf, &vx);
        if self.help {
            screens::help::render(self.screen.scope(), self.who(), body, buf, &vx);
        }
        self.render_message(message, buf, &vx);
        self.render_footer(footer, buf, &vx);
    }

    fn render_header(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let theme = &self.theme;
        let bar = theme.bar();
        buf.set_style(area, bar);
        let t = vx.t;
        // The app's name gives way to the counter's on a narrow screen.
        let left = if area.width >= 110 {
            format!(" {}  {}", t.app_title, vx.counter)
        } else {
            format!(" {}", vx.counter)
        };
        let staff = match &self.session {
            Some(s) => format!("{} ({})", s.staff.name, s.staff.id),
            None => t.no_staff.to_string(),
        };
        let (state, state_style) = match &self.status {
            Status::Saved(seq) => (format!("{} #{seq}", t.status_saved), theme.success),
            Status::Error(_) => ("!".to_string(), theme.danger),
            _ => (t.status_ready.to_string(), bar),
        };
        let clock = vx.now.format("%H:%M:%S").to_string();
        let backup = self.backup_label(vx);
        let sync = self.sync_label(vx);
        let sync_cols = sync.as_ref().map_or(0, |(label, _)| widgets::width(label) + 2);
        // The state (the saved entry's number is the proof of the commit), the clock and the
        // backup are always whole; the staff member's name, then the counter's, give way.
        let fixed = sync_cols + widgets::width(&backup) + widgets::width(&clock) + widgets::width(&state) + 8;
        let width = usize::from(area.width);
        let staff = widgets::truncate(&staff, width.saturating_sub(fixed + 12)).to_string();
        let right_len = fixed + widgets::width(&staff);
        let left = widgets::truncate(&left, width.saturating_sub(right_len + 2)).to_string();
        put(buf, area, area.x, area.y, &left, bar);
        let mut x = area.right().saturating_sub(right_len as u16).max(area.x);
        x += put(buf, area, x, area.y, &staff, bar) + 2;
        if let Some((label, failing)) = &sync {
            // A failing sync is said in the danger colour.
            let style = if *failing { theme.danger.bg(bar.bg.unwrap_or_default()) } else { bar };
            x += put(buf, area, x, area.y, label, style) + 2;
        }
        x += put(buf, area, x, area.y, &backup, bar) + 2;
        x += put(buf, area, x, area.y, &clock, bar) + 2;
        put(buf, area, x, area.y, &state, state_style.bg(bar.bg.unwrap_or_default()));
    }

    /// "backing up...", or when the last good backup was (time today, else the date).
    fn backup_label(&self, vx: &Vx) -> String {
        if self.backups_running > 0 {
            return vx.t.backup_running.to_string();
        }
        match self.last_backup {
            None => vx.t.backup_never.to_string(),
            Some(at) => {
                let local = at.datetime().with_timezone(&Local);
                let when = if local.date_naive() == vx.now.date_naive() {
                    local.format("%H:%M").to_string()
                } else {
                    local.format("%m-%d").to_string()
                };
                fill(vx.t.backup_last, &[&when])
            }
        }
    }

    fn render_message(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let theme = &self.theme;
        let (text, style) = match &self.status {
            Status::Ready => return,
            Status::Saved(seq) => (fill(vx.t.saved_seq, &[seq]), theme.success),
            Status::Info(m) => (m.clone(), theme.accent),
            Status::Error(m) => (m.clone(), theme.danger),
        };
        put(buf, area, area.x + 1, area.y, &text, style);
    }

    /// Every key the screen offers, none dropped: as many as fit with their words, in the
    /// keymap's priority order, and the rest as bare keys after them (the help overlay, always
    /// first, says what those do).
    fn render_footer(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let scope = if self.help { Scope::Help } else { self.screen.scope() };
        let keys: Vec<(String, &str)> = keymap::bindings_for(scope, true, self.who())
            .into_iter()
            .map(|b| (keymap::key_label(b), keymap::action_label(vx.t, b.action)))
            .collect();
        let room = usize::from(area.width.saturating_sub(1));
        let labelled_width = |(k, label): &(String, &str)| widgets::width(k) + widgets::width(label) + 3;
        let bare_width = |(k, _): &(String, &str)| widgets::width(k) + 1;
        let fits = |n: usize| {
            keys[..n].iter().map(labelled_width).sum::<usize>()
                + keys[n..].iter().map(bare_width).sum::<usize>()
                <= room
        };
        let labelled = (0..=keys.len()).rev().find(|&n| fits(n)).unwrap_or(0);
        let mut x = area.x + 1;
        for (i, (k, label)) in keys.iter().enumerate() {
            if x >= area.right() {
                break;
            }
            x += put(buf, area, x, area.y, k, self.theme.accent) + 1;
            if i < labelled {
                x += put(buf, area, x, area.y, label, self.theme.muted) + 2;
            }
        }
    }
}
