//! Reports at the counter (`F7`, admins): the daily close, the month with its charts (hours per
//! month over 24 months, hours by community) and the merchants' settlement for the month.
//! Left/Right move the day or month, Tab the report, `x` writes it as XLSX to the report
//! directory. The numbers are computed when the period changes (in `on_key`), never while
//! drawing.

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::domain::{Day, Role, format_hours};
use crate::i18n::fill;
use crate::report::{self, DailyClose, Month, MonthlyReport, Settlement, sheet::Sheet};
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{ListColumn, chart, pad, pad_left, put, table, title_bar};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Daily,
    Monthly,
    Settlement,
}

pub enum Data {
    Daily(DailyClose),
    Monthly(MonthlyReport),
    Settlement(Settlement),
}

pub struct Reports {
    tab: Tab,
    day: Day,
    month: Month,
    data: Data,
}

/// Where `x` writes: `report_dir` from the config, else `~/hourbank-reports`.
pub fn report_dir(config: &crate::tui::config::Config) -> PathBuf {
    config
        .report_dir
        .clone()
        .map(PathBuf::from)
        .or_else(|| dirs::home_dir().map(|h| h.join("hourbank-reports")))
        .unwrap_or_else(|| PathBuf::from("hourbank-reports"))
}

/// Writes `sheets` as `<report dir>/<name>.xlsx` (beside it first, then renamed) and returns
/// the path.
pub fn write_workbook(
    config: &crate::tui::config::Config,
    name: &str,
    sheets: &[Sheet],
) -> Result<PathBuf, String> {
    let dir = report_dir(config);
    let path = dir.join(format!("{name}.xlsx"));
    // Workbooks hold names: private files, in a private folder when it is made for them.
    report::write_private(&path, |tmp| {
        report::sheet::write_xlsx(sheets, tmp).map_err(|e| std::io::Error::other(e.to_string()))
    })
    .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

impl Reports {
    /// Opens on today's daily close; only admins may.
    pub fn open(cx: &mut Cx) -> Option<Reports> {
        if cx.session.staff.role != Role::Admin {
            *cx.status = Status::Error(cx.t.err_admin_only.into());
            return None;
        }
        let day = cx.bank.today();
        let mut r =
            Reports { tab: Tab::Daily, day, month: Month::of(day), data: Data::Settlement(empty(day)) };
        r.compute(cx).then_some(r)
    }

    /// Recomputes the current tab's report; on failure says why and keeps the old numbers.
    fn compute(&mut self, cx: &mut Cx) -> bool {
        let bank = cx.bank;
        let result = match self.tab {
            Tab::Daily => report::daily_close(bank, self.day).map(Data::Daily),
            Tab::Monthly => report::monthly(bank, self.month).map(Data::Monthly),
            Tab::Settlement => {
                let (from, to) = month_range(self.month);
                report::settlement(bank, from, to, None).map(Data::Settlement)
            }
        };
        match result {
            Ok(data) => {
                self.data = data;
                true
            }
            Err(e) => {
                *cx.status = Status::Error(e.to_string());
                false
            }
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match keymap::action(Scope::Reports, key) {
            Some(Action::Back) => return Step::Home,
            Some(Action::NextTab) => {
                self.tab = match self.tab {
                    Tab::Daily => Tab::Monthly,
                    Tab::Monthly => Tab::Settlement,
                    Tab::Settlement => Tab::Daily,
                };
                self.compute(cx);
            }
            Some(action @ (Action::Earlier | Action::Later)) => {
                let later = action == Action::Later;
                match self.tab {
                    Tab::Daily => {
                        let next =
                            if later { self.day.date().succ_opt() } else { self.day.date().pred_opt() };
                        if let Some(d) = next.map(Day::from_date).filter(|d| *d <= cx.bank.today()) {
                            self.day = d;
                        }
                    }
                    Tab::Monthly | Tab::Settlement => {
                        let next = if later { next_month(self.month) } else { self.month.prev() };
                        if next <= Month::of(cx.bank.today()) {
                            self.month = next;
                        }
                    }
                }
                self.compute(cx);
            }
            Some(Action::Export) => self.export(cx),
            _ => {}
        }
        Step::Stay
    }

    fn export(&self, cx: &mut Cx) {
        let (name, sheets): (String, Vec<Sheet>) = match &self.data {
            Data::Daily(d) => (format!("日结-{}", d.day), d.sheets(false)),
            Data::Monthly(m) => (format!("月报-{}", m.month), m.sheets(false)),
            Data::Settlement(s) => (format!("结算-{}", self.month), s.sheets()),
        };
        *cx.status = match write_workbook(cx.config, &name, &sheets) {
            Ok(path) => Status::Info(fill(cx.t.reports_written, &[&path.display()])),
            Err(e) => Status::Error(fill(cx.t.reports_write_failed, &[&name, &e])),
        };
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let (name, period) = match self.tab {
            Tab::Daily => (t.reports_daily, self.day.to_string()),
            Tab::Monthly => (t.reports_monthly, self.month.to_string()),
            Tab::Settlement => (t.reports_settlement, self.month.to_string()),
        };
        title_bar(buf, area, &format!("{}: {name}  {period}", t.reports_title), vx.theme);
        let body = Rect { y: area.y + 1, height: area.height.saturating_sub(1), ..area };
        match &self.data {
            Data::Daily(d) => render_daily(d, body, buf, vx),
            Data::Monthly(m) => render_monthly(m, body, buf, vx),
            Data::Settlement(s) => render_settlement(s, body, buf, vx),
        }
    }
}

fn empty(day: Day) -> Settlement {
    Settlement { from: day, to: day, lines: Vec::new() }
}

fn next_month(m: Month) -> Month {
    if m.month == 12 { Month { year: m.year + 1, month: 1 } } else { Month { month: m.month + 1, ..m } }
}

/// The first and last day of a month.
fn month_range(m: Month) -> (Day, Day) {
    let first = chrono::NaiveDate::from_ymd_opt(m.year, m.month, 1).unwrap_or_default();
    let n = next_month(m);
    let next = chrono::NaiveDate::from_ymd_opt(n.year, n.month, 1).unwrap_or_default();
    (Day::from_date(first), Day::from_date(next.pred_opt().unwrap_or(first)))
}

fn h(minutes: u64) -> String {
    format_hours(minutes)
}

fn render_daily(d: &DailyClose, area: Rect, buf: &mut Buffer, vx: &Vx) {
    let t = vx.t;
    let theme = vx.theme;
    let x = area.x + 1;
    // Four kinds of entry, a count and hours each: every column as narrow as its header allows,
    // so the whole table fits 80 columns in both languages.
    let count = |header: &'static str| {
        ListColumn::fixed(header, crate::tui::widgets::width(header).max(4) as u16).right()
    };
    let hours = || ListColumn::fixed(t.hours_unit, 6).right();
    let columns = [
        ListColumn::fixed(t.reports_col_staff, 10),
        count(t.reports_col_deposits),
        hours(),
        count(t.reports_col_redemptions),
        hours(),
        count(t.reports_col_donations),
        hours(),
        count(t.reports_col_reversals),
        hours(),
        ListColumn::fill("", 1),
    ];
    let totals = d.totals();
    let staff = d.by_staff.iter().map(|(who, s)| (who.as_str(), s)).chain([(t.reports_total, &totals)]);
    let rows: Vec<(Vec<String>, _)> = staff
        .enumerate()
        .map(|(i, (who, s))| {
            let cells = vec![
                who.to_string(),
                s.deposits.count.to_string(),
                h(s.deposits.minutes),
                s.redemptions.count.to_string(),
                h(s.redemptions.minutes),
                s.donations.count.to_string(),
                h(s.donations.minutes),
                s.reversals.count.to_string(),
                h(s.reversals.minutes),
                String::new(),
            ];
            (cells, if i == d.by_staff.len() { theme.accent } else { theme.text })
        })
        .collect();
    let height = rows.len() as u16 + 1;
    table(
        buf,
        Rect { x, y: area.y, width: area.width.saturating_sub(2), height },
        &columns,
        Some(theme.muted),
        rows,
    );
    let mut y = area.y + height + 1;
    put(
        buf,
        area,
        x,
        y,
        &format!("{} {}", pad(t.reports_col_activity, 24), pad_left(t.hours_unit, 8)),
        theme.muted,
    );
    y += 1;
    let bars: Vec<(String, u64, String)> = d
        .by_activity
        .iter()
        .map(|(name, a)| {
            let net = a.deposits.minutes.saturating_sub(a.reversed.minutes);
            (name.clone(), net, h(net))
        })
        .collect();
    // The last rows: what personal data was seen (when any was), then what awaits approval.
    let footer_rows = if d.access.is_empty() { 1 } else { 2 };
    let room = area.bottom().saturating_sub(y + footer_rows);
    let chart = Rect { x, y, width: area.width.saturating_sub(2), height: room.min(bars.len() as u16) };
    chart::rows(buf, chart, &bars, theme.chart(), theme.text);
    if !d.access.is_empty() {
        let seen = fill(t.reports_access, &[&d.access.len()]);
        put(buf, area, x, area.bottom().saturating_sub(2), &seen, theme.accent);
    }
    let held = fill(t.reports_held, &[&d.held.len(), &h(d.held.iter().map(|l| l.minutes).sum())]);
    put(
        buf,
        area,
        x,
        area.bottom().saturating_sub(1),
        &held,
        if d.held.is_empty() { theme.muted } else { theme.accent },
    );
}

fn render_monthly(m: &MonthlyReport, area: Rect, buf: &mut Buffer, vx: &Vx) {
    let t = vx.t;
    let theme = vx.theme;
    let x = area.x + 1;
    let total = m.total();
    let summary = fill(
        t.reports_month_summary,
        &[
            &h(total.deposited.max(0) as u64),
            &h(total.redeemed.max(0) as u64),
            &m.new_volunteers,
            &m.active_volunteers,
        ],
    );
    put(buf, area, x, area.y, &summary, theme.text);
    // The scale: a full-height bar is the largest month's hours.
    let top = m.history.iter().map(|(_, v)| (*v).max(0) as u64).max().unwrap_or(0);
    let (first, last) = (m.history.first().map(|h| h.0), m.history.last().map(|h| h.0));
    let span = |month: Option<crate::report::Month>| month.map(|m| m.to_string()).unwrap_or_default();
    let title = fill(t.reports_chart_months, &[&span(first), &span(last), &h(top)]);
    put(buf, area, x, area.y + 1, &title, theme.muted);
    // 24 bars of 2 cells and a gap: 72 columns, so it fits 80 columns with the margins.
    const BAR: u16 = 2;
    let bars: Vec<(String, u64)> =
        m.history.iter().map(|(month, v)| (format!("{:02}", month.month), (*v).max(0) as u64)).collect();
    let chart_rows = area.height.saturating_sub(6) / 2;
    let chart_area =
        Rect { x, y: area.y + 2, width: area.width.saturating_sub(2), height: chart_rows.max(3) };
    chart::columns(buf, chart_area, &bars, BAR, theme.chart(), theme.muted);
    // The years under the month numbers: at each January, and under the first bar when the
    // next January is far enough away for both to fit.
    for (i, (month, _)) in m.history.iter().enumerate() {
        if month.month == 1 || (i == 0 && month.month <= 11) {
            let bx = x + i as u16 * (BAR + 1);
            if bx + 4 <= chart_area.right() {
                put(buf, area, bx, chart_area.bottom(), &month.year.to_string(), theme.muted);
            }
        }
    }
    let y = chart_area.bottom() + 2;
    put(buf, area, x, y - 1, t.reports_chart_communities, theme.muted);
    let pool = fill(
        t.reports_month_pool,
        &[
            &h(m.pool.donated.max(0) as u64),
            &h(m.pool.granted.max(0) as u64),
            &h(m.pool.balance_at_end.max(0) as u64),
        ],
    );
    put(buf, area, x, area.bottom().saturating_sub(1), &pool, theme.text);
    let communities: Vec<(String, u64, String)> = m
        .by_community
        .iter()
        .map(|(c, f)| {
            let v = f.deposited.max(0) as u64;
            (if c.is_empty() { "-".to_string() } else { c.clone() }, v, h(v))
        })
        .collect();
    let rows =
        Rect { x, y, width: area.width.saturating_sub(2), height: area.bottom().saturating_sub(y + 1) };
    chart::rows(buf, rows, &communities, theme.chart(), theme.text);
}

fn render_settlement(s: &Settlement, area: Rect, buf: &mut Buffer, vx: &Vx) {
    let t = vx.t;
    let theme = vx.theme;
    let x = area.x + 1;
    let columns = [
        ListColumn::fixed(t.reports_col_merchant, 16),
        ListColumn::fixed(t.reports_col_item, 24),
        ListColumn::fixed(t.reports_col_qty, 6).right(),
        ListColumn::fixed(t.hours_unit, 8).right(),
        ListColumn::fixed(t.reports_col_stock, 8).right(),
        ListColumn::fill("", 1),
    ];
    let rows = s.lines.iter().map(|l| {
        let merchant = if l.merchant.is_empty() { "-".to_string() } else { l.merchant.clone() };
        let stock = l.stock_left.map_or_else(|| "-".to_string(), |s| s.to_string());
        let cells = vec![
            merchant,
            l.item.clone(),
            l.quantity.to_string(),
            h(l.minutes.max(0) as u64),
            stock,
            String::new(),
        ];
        (cells, theme.text)
    });
    let list = Rect { x, y: area.y, width: area.width.saturating_sub(2), height: area.height };
    table(buf, list, &columns, Some(theme.muted), rows);
    if s.lines.is_empty() {
        put(buf, area, x, area.y + 1, t.reports_nothing, theme.muted);
    }
}
