//! The coupon batches (积分券) of this counter, for its admin (`q` on the admin screen): each
//! batch with its item, value, coupons used and outstanding, last day and holder. `n` issues a
//! batch — item, how many, last day, the supervisor or post it goes to — and writes its sheet
//! for cutting (XLSX, in the reports folder) at once; `x` writes the selected batch's sheet again.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::bank::{Bank, BankError, IssuedBatch};
use crate::domain::points::CouponBatch;
use crate::domain::{Day, Role};
use crate::i18n::{Lang, fill};
use crate::tui::contract::{Cx, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Field, Form, FormKey, ListColumn, centered, popup, put, table, title_bar};

const ITEM: usize = 0;
const COUNT: usize = 1;
const EXPIRES: usize = 2;
const HOLDER: usize = 3;

pub struct Coupons {
    /// (batch, record, coupons credited), by batch number.
    batches: Vec<(u32, CouponBatch, u32)>,
    selected: usize,
    /// The issuing form, and whether its first Enter was pressed on what it holds.
    issuing: Option<(Form, bool)>,
}

impl Coupons {
    /// Opens the list; only admins may (issuing is theirs).
    pub fn open(cx: &mut Cx) -> Option<Coupons> {
        if cx.session.staff.role != Role::Admin {
            *cx.status = Status::Error(cx.t.err_admin_only.into());
            return None;
        }
        match cx.bank.coupon_batches() {
            Ok(batches) => Some(Coupons { batches, selected: 0, issuing: None }),
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                None
            }
        }
    }

    pub fn scope(&self) -> Scope {
        if self.issuing.is_some() { Scope::Form } else { Scope::Coupons }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        if self.issuing.is_some() {
            return self.on_form_key(key, cx);
        }
        match keymap::action(Scope::Coupons, key) {
            Some(Action::Back) => return Step::Back,
            Some(Action::Up) => self.selected = self.selected.saturating_sub(1),
            Some(Action::Down) => {
                self.selected = (self.selected + 1).min(self.batches.len().saturating_sub(1))
            }
            Some(Action::New) => {
                let w = cx.t.points;
                let fields = vec![
                    Field::new(w.field_item, 16),
                    Field::new(w.field_count, 5),
                    Field::new(w.field_expires, 10),
                    Field::new(w.field_holder, crate::domain::MAX_NAME_CHARS),
                ];
                self.issuing = Some((Form::new(fields), false));
            }
            Some(Action::Export) => {
                if let Some((batch, ..)) = self.batches.get(self.selected) {
                    *cx.status = match write_sheet(cx, *batch) {
                        Ok(path) => Status::Info(fill(cx.t.points.coupons_sheet_written, &[&path])),
                        Err(e) => Status::Error(e),
                    };
                }
            }
            _ => {}
        }
        Step::Stay
    }

    fn on_form_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let Some((form, confirming)) = self.issuing.as_mut() else { return Step::Stay };
        let w = cx.t.points;
        match form.on_key(keymap::action(Scope::Form, key), key) {
            FormKey::Back => self.issuing = None,
            FormKey::Handled => *confirming = false,
            FormKey::Submit => {
                let count = form.value(COUNT).trim().parse::<u32>().ok().filter(|n| (1..=10_000).contains(n));
                let expires = Day::parse(form.value(EXPIRES).trim());
                form.set_error(COUNT, count.is_none().then(|| w.err_batch_size.to_string()));
                form.set_error(EXPIRES, expires.as_ref().err().map(|e| cx.t.domain_error(e)));
                let (Some(count), Ok(expires)) = (count, expires) else {
                    form.focus_first_error();
                    *confirming = false;
                    return Step::Stay;
                };
                // The first Enter says what will be issued; the second issues it.
                if !*confirming {
                    *confirming = true;
                    return Step::Stay;
                }
                let (item, holder) = (form.value(ITEM).to_string(), form.value(HOLDER).to_string());
                match cx.bank.issue_coupons(&cx.session.actor, &item, None, count, expires, &holder) {
                    Ok(issued) => {
                        self.issuing = None;
                        let written = write_issued(cx, &issued);
                        *cx.status = match written {
                            Ok(path) => Status::Info(fill(w.coupons_issued, &[&issued.batch, &count, &path])),
                            Err(e) => Status::Error(e),
                        };
                        if let Ok(batches) = cx.bank.coupon_batches() {
                            self.selected = batches.len().saturating_sub(1);
                            self.batches = batches;
                        }
                    }
                    Err(e) => {
                        *confirming = false;
                        form.set_error(ITEM, Some(cx.t.bank_error(&e)));
                    }
                }
            }
        }
        Step::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let (t, theme) = (vx.t, vx.theme);
        let w = t.points;
        title_bar(buf, area, &format!("{} ({})", w.coupons_title, self.batches.len()), theme);
        let columns = [
            ListColumn::fixed("#", 4).right(),
            ListColumn::fixed(w.field_item, 8),
            ListColumn::fixed(w.col_price, 6).right(),
            ListColumn::fixed(w.col_issued, 6).right(),
            ListColumn::fixed(w.col_used, 6).right(),
            ListColumn::fixed(w.col_outstanding, 6).right(),
            ListColumn::fixed(w.field_expires, 10),
            ListColumn::fill(w.field_holder, 1),
        ];
        let list = crate::tui::widgets::under_title(area);
        let room = usize::from(area.height.saturating_sub(2));
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        let today = Day::from_date(vx.now.date_naive());
        let rows = self.batches.iter().enumerate().skip(start).take(room).map(|(i, (n, b, used))| {
            let outstanding = b.outstanding(*used, today);
            let cells = vec![
                n.to_string(),
                b.item.clone(),
                b.value.get().to_string(),
                b.count.to_string(),
                used.to_string(),
                outstanding.to_string(),
                b.expires.to_string(),
                b.holder.clone(),
            ];
            (cells, if i == self.selected { theme.selection } else { theme.text })
        });
        table(buf, list, &columns, Some(theme.muted), rows);
        if self.batches.is_empty() {
            put(buf, area, area.x + 1, area.y + 2, w.coupons_empty, theme.muted);
        }
        if let Some((form, confirming)) = &self.issuing {
            let inner = popup(buf, centered(area, 70, 10), w.coupons_issue_title, theme);
            let fields =
                Rect { x: inner.x + 1, y: inner.y + 1, width: inner.width.saturating_sub(2), height: 4 };
            form.render(fields, buf, theme, t, true);
            if *confirming {
                let line = fill(
                    w.coupons_confirm,
                    &[&form.value(COUNT).trim(), &form.value(ITEM).trim(), &form.value(EXPIRES).trim()],
                );
                put(buf, inner, inner.x + 1, inner.y + 6, &line, theme.warning);
            }
        }
    }
}

/// The sheet of `batch` written again, in the reports folder.
fn write_sheet(cx: &Cx, batch: u32) -> Result<String, String> {
    let issued = cx.bank.coupon_batch(batch).map_err(|e| cx.t.bank_error(&e))?.ok_or_else(|| {
        cx.t.bank_error(&BankError::from(crate::domain::Rule::Points(
            crate::domain::PointsRule::UnknownBatch(batch),
        )))
    })?;
    write_issued(cx, &issued)
}

/// Writes `issued`'s sheet for cutting as `<reports folder>/积分券-<batch>.xlsx`.
fn write_issued(cx: &Cx, issued: &IssuedBatch) -> Result<String, String> {
    let item_name = item_name(cx.bank, &issued.record.item);
    let lang = if std::ptr::eq(cx.t, Lang::Zh.text()) { Lang::Zh } else { Lang::En };
    let dir = super::reports::report_dir(cx.config);
    let path = dir.join(format!("积分券-{}.xlsx", issued.batch));
    // Numbers and a holder's name, no one's personal data: a plain file like `coupon sheet`'s.
    std::fs::create_dir_all(&dir)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            crate::report::coupons::coupon_sheet_xlsx(issued, &item_name, lang, &path)
                .map_err(|e| e.to_string())
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

fn item_name(bank: &Bank, item: &str) -> String {
    bank.standard_on(bank.today())
        .ok()
        .flatten()
        .and_then(|(_, st)| st.item(item).map(|i| i.name.to_string()))
        .unwrap_or_default()
}
