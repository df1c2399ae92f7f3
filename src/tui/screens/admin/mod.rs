//! The admin's screen (`F8`, admins only): rewards, activities, staff, the rules and this
//! counter's settings, one tab each (`Tab` switches). Letters act on the selected row and open a small form; every change
//! goes through the bank, which journals it with the admin's name and checks the role again.

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

mod forms;

use forms::{counter_config, submit};

use crate::bank::{Bank, BankError, RewardView};
use crate::domain::{Activity, ActivityId, Name, Role, Rules, Settings, Staff, StaffId, format_hours};
use crate::i18n::fill;
use crate::tui::config::Config;
use crate::tui::contract::{Cx, Route, Status, Step, Vx};
use crate::tui::keymap::{self, Action, Scope};
use crate::tui::widgets::{Form, centered, pad, pad_left, popup, put, title_bar, width};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Rewards,
    Activities,
    Staff,
    Rules,
    Counter,
}

impl Tab {
    /// The tabs in the order `Tab` walks them (`Shift+Tab` the other way).
    const ALL: [Tab; 5] = [Tab::Rewards, Tab::Activities, Tab::Staff, Tab::Rules, Tab::Counter];

    /// The tab `by` steps from this one, round the ends.
    fn step(self, by: isize) -> Tab {
        let at = Tab::ALL.iter().position(|t| *t == self).unwrap_or(0) as isize;
        Tab::ALL[(at + by).rem_euclid(Tab::ALL.len() as isize) as usize]
    }

    /// The keys of this tab (its own, then those shared by every tab).
    fn scope(self) -> Scope {
        match self {
            Tab::Rewards => Scope::AdminRewards,
            Tab::Activities => Scope::AdminActivities,
            Tab::Staff => Scope::AdminStaff,
            Tab::Rules => Scope::AdminRules,
            Tab::Counter => Scope::AdminCounter,
        }
    }
}

/// What the open form will do when submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    NewReward,
    Price(u64),
    Restock(u64),
    Retire(u64),
    NewActivity,
    /// Rename an activity.
    EditActivity(u64),
    /// Retire an activity, or bring it back.
    RetireActivity(u64),
    Multiplier(String),
    NewStaff,
    Disable(StaffId),
    Pin(StaffId),
    Unlock(StaffId),
    Rules,
    Counter,
    /// Set this counter's city code (once).
    SetCode,
    /// Expire what the rules say has expired (the dry run's numbers are in the title).
    Expire,
}

struct Popup {
    op: Op,
    title: String,
    form: Form,
    error: Option<String>,
}

pub struct Admin {
    tab: Tab,
    selected: usize,
    rewards: Vec<RewardView>,
    activities: Vec<(ActivityId, Activity)>,
    staff: Vec<Staff>,
    /// Each staff member's lock by wrong PINs, until when (in `staff`'s order).
    locked: Vec<Option<crate::domain::Timestamp>>,
    rules: Rules,
    settings: Settings,
    /// This counter's settings file, as the app runs with it.
    config: Config,
    counter_name: String,
    /// Retired activities (shown marked, not offered when recording).
    retired: std::collections::BTreeSet<u64>,
    /// The counter's city code and its public key, when a code is set.
    code: Option<(String, String)>,
    popup: Option<Popup>,
}

impl Admin {
    pub fn open(cx: &mut Cx) -> Option<Admin> {
        Admin::open_on(cx, Tab::Rewards)
    }

    pub fn open_on(cx: &mut Cx, tab: Tab) -> Option<Admin> {
        if cx.session.staff.role != Role::Admin {
            *cx.status = Status::Error(cx.t.err_admin_only.into());
            return None;
        }
        let mut a = Admin {
            tab,
            selected: 0,
            rewards: Vec::new(),
            activities: Vec::new(),
            staff: Vec::new(),
            locked: Vec::new(),
            rules: Rules::default(),
            settings: Settings::default(),
            config: cx.config.clone(),
            counter_name: cx.bank.counter_name().unwrap_or_default(),
            retired: Default::default(),
            code: None,
            popup: None,
        };
        match a.reload(cx.bank) {
            Ok(()) => Some(a),
            Err(e) => {
                *cx.status = Status::Error(cx.t.bank_error(&e));
                None
            }
        }
    }

    fn reload(&mut self, bank: &Bank) -> Result<(), BankError> {
        self.rewards = bank.rewards()?;
        self.activities = bank.activities()?;
        self.retired = bank.retired_activities()?;
        self.code = match bank.counter_code()? {
            Some(code) => {
                Some((code.to_string(), bank.counter_key()?.map(|k| k.public()).unwrap_or_default()))
            }
            None => None,
        };
        self.staff = bank.staff_members()?;
        self.locked = self.staff.iter().map(|s| bank.staff_locked_until(&s.id)).collect::<Result<_, _>>()?;
        self.rules = bank.rules()?;
        self.settings = bank.settings()?;
        self.selected = self.selected.min(self.rows().saturating_sub(1));
        Ok(())
    }

    fn rows(&self) -> usize {
        match self.tab {
            Tab::Rewards => self.rewards.len(),
            Tab::Activities => self.activities.len(),
            Tab::Staff => self.staff.len(),
            Tab::Rules | Tab::Counter => 0,
        }
    }

    pub fn scope(&self) -> Scope {
        if self.popup.is_some() { Scope::Form } else { self.tab.scope() }
    }

    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        if self.popup.is_some() {
            return self.on_form_key(key, cx);
        }
        let t = cx.t;
        let reward = self.rewards.get(self.selected).map(|r| r.id);
        let staff = self.staff.get(self.selected).map(|s| s.id.clone());
        let activity = self.activities.get(self.selected).map(|(id, _)| *id);
        let op = match (keymap::action(self.tab.scope(), key), self.tab) {
            (Some(Action::Back), _) => return Step::Home,
            (Some(Action::Conflicts), _) => return Step::Push(Route::Conflicts),
            (Some(Action::Coupons), _) => return Step::Push(Route::Coupons),
            (Some(action @ (Action::NextTab | Action::PrevTab)), _) => {
                self.tab = self.tab.step(if action == Action::NextTab { 1 } else { -1 });
                self.selected = 0;
                None
            }
            (Some(Action::Up), _) => {
                self.selected = self.selected.saturating_sub(1);
                None
            }
            (Some(Action::Down), _) => {
                self.selected = (self.selected + 1).min(self.rows().saturating_sub(1));
                None
            }
            (Some(Action::New), Tab::Rewards) => Some(Op::NewReward),
            (Some(Action::Price), Tab::Rewards) => reward.map(Op::Price),
            (Some(Action::Restock), Tab::Rewards) => reward.map(Op::Restock),
            (Some(Action::Retire), Tab::Rewards) => reward.map(Op::Retire),
            (Some(Action::New), Tab::Activities) => Some(Op::NewActivity),
            (Some(Action::Edit), Tab::Activities) => activity.map(Op::EditActivity),
            (Some(Action::RetireActivity), Tab::Activities) => activity.map(Op::RetireActivity),
            (Some(Action::SetCode), Tab::Counter) if self.code.is_some() => {
                *cx.status = Status::Error(fill(
                    t.err_counter_code_set,
                    &[&self.code.as_ref().map_or("", |c| c.0.as_str())],
                ));
                None
            }
            (Some(Action::SetCode), Tab::Counter) => Some(Op::SetCode),
            (Some(Action::Multiplier), Tab::Activities) => match self.activities.get(self.selected) {
                // A multiplier is a category's: set on an activity with none it once applied to
                // every uncategorised activity.
                Some((_, a)) if a.category.trim().is_empty() => {
                    *cx.status = Status::Error(fill(t.multiplier_needs_category, &[&a.name]));
                    None
                }
                Some((_, a)) => Some(Op::Multiplier(a.category.clone())),
                None => None,
            },
            (Some(Action::New), Tab::Staff) => Some(Op::NewStaff),
            (Some(Action::Disable), Tab::Staff) => staff.map(Op::Disable),
            (Some(Action::StaffPin), Tab::Staff) => staff.map(Op::Pin),
            (Some(Action::Unlock), Tab::Staff) => staff.map(Op::Unlock),
            (Some(Action::Edit), Tab::Rules) => Some(Op::Rules),
            (Some(Action::Edit), Tab::Counter) => Some(Op::Counter),
            (Some(Action::Expire), Tab::Rules) => Some(Op::Expire),
            _ => None,
        };
        if op == Some(Op::Expire) {
            // The dry run first: the admin confirms what will happen, not a guess.
            match cx.bank.expiry_plan(cx.bank.today()) {
                Ok(Some(plan)) => {
                    let title = fill(
                        t.admin_expire_title,
                        &[&format_hours(plan.total()), &plan.expiries.len(), &plan.cutoff],
                    );
                    self.popup = Some(Popup { op: Op::Expire, title, form: Form::new(vec![]), error: None });
                }
                Ok(None) => *cx.status = Status::Error(t.admin_expiry_off.into()),
                Err(e) => *cx.status = Status::Error(t.bank_error(&e)),
            }
            return Step::Stay;
        }
        if let Some(op) = op {
            self.popup = Some(self.form_for(op, t));
        }
        Step::Stay
    }

    fn on_form_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        let Some(p) = self.popup.as_mut() else { return Step::Stay };
        match keymap::action(Scope::Form, key) {
            Some(Action::Back) => self.popup = None,
            Some(Action::NextField) | Some(Action::Down) => p.form.next(),
            Some(Action::PrevField) | Some(Action::Up) => p.form.prev(),
            Some(Action::Submit) if p.op == Op::Counter => {
                let name = match Name::parse(p.form.value(0)) {
                    Ok(name) => name,
                    Err(e) => {
                        p.error = Some(cx.t.domain_error(&e));
                        return Step::Stay;
                    }
                };
                match counter_config(&p.form, &self.config) {
                    Ok(config) => {
                        let rename = (name.as_str() != self.counter_name).then_some(name);
                        if rename.is_none() && config == self.config {
                            p.error = Some(cx.t.admin_nothing_changed.into());
                            return Step::Stay;
                        }
                        if let Some(n) = &rename {
                            self.counter_name = n.to_string();
                        }
                        self.config = config.clone();
                        self.popup = None;
                        return Step::Configure(Box::new(config), rename);
                    }
                    Err(message) => p.error = Some(message),
                }
            }
            Some(Action::Submit) => match submit(&p.op, &p.form, (&self.rules, &self.retired), cx) {
                Ok(seq) => {
                    *cx.status = Status::Saved(seq);
                    self.popup = None;
                    if let Err(e) = self.reload(cx.bank) {
                        *cx.status = Status::Error(cx.t.bank_error(&e));
                    }
                }
                Err(message) => p.error = Some(message),
            },
            _ => {
                if p.form.edit(key) {
                    p.error = None;
                }
            }
        }
        Step::Stay
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        let t = vx.t;
        let theme = vx.theme;
        let name = match self.tab {
            Tab::Rewards => t.admin_tab_rewards,
            Tab::Activities => t.admin_tab_activities,
            Tab::Staff => t.admin_tab_staff,
            Tab::Rules => t.admin_tab_rules,
            Tab::Counter => t.admin_tab_counter,
        };
        title_bar(buf, area, &format!("{}: {name}", t.admin_title), theme);
        let x = area.x + 1;
        let w = usize::from(area.width.saturating_sub(2));
        let (header, lines): (String, Vec<String>) = match self.tab {
            Tab::Rewards => {
                let rows: Vec<[String; 7]> = self
                    .rewards
                    .iter()
                    .map(|r| {
                        let stock = if r.reward.limited { r.stock.to_string() } else { "-".into() };
                        let date = r.reward.course_date.map(|d| d.to_string()).unwrap_or_default();
                        let status = if r.reward.active { "" } else { t.admin_retired };
                        [
                            r.reward.name.to_string(),
                            t.reward_kind(r.reward.kind).into(),
                            format_hours(u64::from(r.reward.cost.get())),
                            stock,
                            date,
                            r.reward.merchant.clone(),
                            status.into(),
                        ]
                    })
                    .collect();
                let header = [
                    t.admin_name,
                    t.admin_kind,
                    t.admin_cost,
                    t.admin_stock,
                    t.admin_course_date,
                    t.admin_merchant,
                    "",
                ]
                .map(String::from);
                // Every column as wide as its widest cell or header (a cut header names the
                // wrong thing); the name takes what is left.
                let cols = |i: usize| {
                    rows.iter().map(|r| width(&r[i])).chain([width(&header[i])]).max().unwrap_or(0)
                };
                let fixed: [usize; 7] = std::array::from_fn(cols);
                let name_cols =
                    w.saturating_sub(fixed[1..].iter().map(|c| c + 1).sum()).max(fixed[0].min(12));
                let line = |c: &[String; 7]| {
                    format!(
                        "{} {} {} {} {} {} {}",
                        pad(&c[0], name_cols),
                        pad(&c[1], fixed[1]),
                        pad_left(&c[2], fixed[2]),
                        pad_left(&c[3], fixed[3]),
                        pad(&c[4], fixed[4]),
                        pad(&c[5], fixed[5]),
                        c[6]
                    )
                };
                (line(&header), rows.iter().map(line).collect())
            }
            Tab::Activities => {
                let rows: Vec<[String; 3]> = self
                    .activities
                    .iter()
                    .map(|(id, a)| {
                        let name = match self.retired.contains(id) {
                            true => format!("{} ({})", a.name, t.admin_activity_retired),
                            false => a.name.to_string(),
                        };
                        [name, a.category.clone(), format!("{}%", self.rules.multiplier(&a.category))]
                    })
                    .collect();
                let header = [t.admin_name, t.admin_category, t.admin_percent].map(String::from);
                let cols = |i: usize| {
                    rows.iter().map(|r| width(&r[i])).chain([width(&header[i])]).max().unwrap_or(0)
                };
                let (category_cols, percent_cols) = (cols(1), cols(2));
                let name_cols = w.saturating_sub(category_cols + percent_cols + 2).min(cols(0).max(30));
                let line = |c: &[String; 3]| {
                    format!(
                        "{} {} {}",
                        pad(&c[0], name_cols),
                        pad(&c[1], category_cols),
                        pad_left(&c[2], percent_cols)
                    )
                };
                (line(&header), rows.iter().map(line).collect())
            }
            Tab::Staff => {
                let line = |a: &str, b: &str, c: &str, d: &str| {
                    format!("{} {} {} {}", pad(a, 14), pad(b, 16), pad(c, 8), d)
                };
                let rows = self
                    .staff
                    .iter()
                    .zip(&self.locked)
                    .map(|(s, locked)| {
                        let role = match s.role {
                            Role::Admin => t.admin_role_admin,
                            Role::Staff => t.admin_role_staff,
                            Role::Verifier => t.points.role_verifier,
                            Role::Approver => t.points.role_approver,
                        };
                        let status = match locked {
                            _ if s.disabled => t.admin_disabled.to_string(),
                            Some(until) => fill(
                                t.admin_locked_until,
                                &[&until.datetime().with_timezone(&chrono::Local).format("%H:%M")],
                            ),
                            None => String::new(),
                        };
                        line(s.id.as_str(), s.name.as_str(), role, &status)
                    })
                    .collect();
                (line(t.admin_staff_id, t.admin_name, t.admin_role, ""), rows)
            }
            Tab::Rules => {
                let r = &self.rules;
                let multipliers: Vec<String> =
                    r.multipliers.iter().map(|(c, p)| format!("{c} {p}%")).collect();
                let rows = [
                    (t.admin_rounding, t.rounding(r.rounding).to_string()),
                    (t.admin_day_cap, t.limit(r.day_cap)),
                    (t.admin_approval_over, t.limit(r.approval_over)),
                    (t.admin_storage_cap, t.limit(r.storage_cap)),
                    (t.admin_expiry_label, t.months(r.expiry_months)),
                    (t.admin_entry_cap, t.hours(self.settings.entry_cap)),
                    (t.admin_transfer_limit, t.hours(self.settings.transfer_limit)),
                    (
                        t.admin_percent,
                        if multipliers.is_empty() { "-".into() } else { multipliers.join(", ") },
                    ),
                ]
                .iter()
                .map(|(label, value)| format!("{} {value}", pad(label, 24)))
                .collect();
                (String::new(), rows)
            }
            Tab::Counter => {
                let c = &self.config;
                // A setting left unset shows what is in use, and that it is the default (it
                // showed "-").
                let text = |o: &Option<String>, in_use: String| {
                    o.clone().unwrap_or_else(|| fill(t.admin_default_in_use, &[&in_use]))
                };
                let lang = match vx.lang {
                    crate::i18n::Lang::Zh => "zh",
                    crate::i18n::Lang::En => "en",
                };
                // As `reports::report_dir` takes it, written as people write a home folder.
                let reports = "~/hourbank-reports".to_string();
                let (code, key) = match &self.code {
                    Some((code, key)) => (code.clone(), key.clone()),
                    None => (t.admin_code_unset.to_string(), String::new()),
                };
                let rows = [
                    (t.admin_counter_name, self.counter_name.clone()),
                    (t.admin_counter_code, code),
                    (t.admin_counter_key, key),
                    (t.admin_idle, c.idle_seconds.to_string()),
                    (t.admin_kiosk_idle, c.kiosk_idle_seconds.to_string()),
                    (t.admin_receipt_command, text(&c.receipt_command, t.admin_receipt_on_screen.into())),
                    (t.admin_lang, text(&c.lang, lang.into())),
                    (t.admin_theme, text(&c.theme, theme.name.clone())),
                    (t.admin_report_dir, text(&c.report_dir, reports)),
                ]
                .iter()
                .map(|(label, value)| format!("{} {value}", pad(label, 24)))
                .collect();
                (String::new(), rows)
            }
        };
        put(buf, area, x, area.y + 1, &header, theme.muted);
        // An empty list says how to fill it (right after setup, both are empty).
        let empty = match self.tab {
            Tab::Rewards if self.rewards.is_empty() => Some(t.admin_no_rewards),
            Tab::Activities if self.activities.is_empty() => Some(t.admin_no_activities),
            _ => None,
        };
        if let Some(text) = empty {
            put(buf, area, x, area.y + 2, text, theme.accent);
        }
        let room = usize::from(area.height.saturating_sub(2));
        let start = self.selected.saturating_sub(room.saturating_sub(1));
        for (i, line) in lines.iter().enumerate().skip(start).take(room) {
            let selected = i == self.selected && !matches!(self.tab, Tab::Rules | Tab::Counter);
            put(buf, area, x, area.y + 2 + (i - start) as u16, &pad(line, w), theme.row(selected));
        }
        if let Some(p) = &self.popup {
            let rows = p.form.fields.len() as u16;
            let inner = popup(buf, centered(area, 72, rows + 5), &p.title, theme);
            let body =
                Rect { x: inner.x + 1, y: inner.y + 1, width: inner.width.saturating_sub(2), height: rows };
            p.form.render(body, buf, theme, t, true);
            let (text, style) = match &p.error {
                Some(e) => (e.as_str(), theme.danger),
                None => (t.admin_confirm_hint, theme.muted),
            };
            put(buf, inner, inner.x + 1, inner.y + 2 + rows, text, style);
        }
    }
}
