//! The admin screen's forms: what each operation asks for, and carrying out a submitted one
//! through the bank (the counter's settings go back to the app as a `Step`).

use super::{Admin, Op, Popup};
use crate::bank::{BankError, NewReward, NewStaff};
use crate::domain::{
    Day, LoginSubject, Minutes, Name, RewardKind, Role, Rounding, Rules, Settings, StaffId, format_hours,
};
use crate::i18n::{Text, fill};
use crate::tui::config::Config;
use crate::tui::contract::Cx;
use crate::tui::widgets::{Field, Form};

/// A limit as the rules form shows it for editing: hours, or the word for none.
fn limit_text(t: &Text, m: Option<Minutes>) -> String {
    m.map_or_else(|| t.limit_off.into(), |m| format_hours(u64::from(m.get())))
}

/// `off` or blank for no limit, else a duration.
fn parse_limit(text: &str) -> Result<Option<Minutes>, crate::domain::DomainError> {
    match text.trim() {
        "" | "off" | "关" | "无" | "不限" => Ok(None),
        t => Minutes::parse(t).map(Some),
    }
}

impl Admin {
    /// The form an operation asks for, filled with the current values where it edits one.
    pub(super) fn form_for(&self, op: Op, t: &'static Text) -> Popup {
        let f = |label, max| Field::new(label, max);
        let reward_name = |id: u64| {
            self.rewards.iter().find(|r| r.id == id).map(|r| r.reward.name.to_string()).unwrap_or_default()
        };
        let activity_name = |id: u64| {
            self.activities
                .iter()
                .find(|(a, _)| *a == id)
                .map(|(_, a)| a.name.to_string())
                .unwrap_or_default()
        };
        let (title, fields) = match &op {
            Op::NewReward => (
                t.admin_new_reward.to_string(),
                vec![
                    f(t.admin_name, 40),
                    Field::choice(t.admin_kind, t.reward_kind_choices(), "gift"),
                    f(t.admin_cost, 10),
                    f(t.admin_stock, 6).hint(t.admin_stock_hint),
                    f(t.admin_course_date, 10).hint(t.admin_course_date_hint),
                    f(t.admin_merchant, 40),
                ],
            ),
            Op::Price(id) => {
                let cost =
                    self.rewards.iter().find(|r| r.id == *id).map(|r| r.reward.cost).unwrap_or_default();
                (
                    fill(t.admin_price_title, &[&reward_name(*id)]),
                    vec![f(t.admin_cost, 10).value(&format_hours(u64::from(cost.get())))],
                )
            }
            Op::Restock(id) => (fill(t.admin_restock_title, &[&reward_name(*id)]), vec![f(t.admin_qty, 6)]),
            Op::Retire(id) => (fill(t.admin_retire_title, &[&reward_name(*id)]), vec![]),
            Op::NewActivity => {
                (t.admin_new_activity.to_string(), vec![f(t.admin_name, 40), f(t.admin_category, 20)])
            }
            Op::EditActivity(id) => {
                let name = activity_name(*id);
                (fill(t.admin_activity_title, &[&name]), vec![f(t.admin_name, 40).value(&name)])
            }
            Op::RetireActivity(id) => {
                let title = if self.retired.contains(id) {
                    t.admin_activity_restore_title
                } else {
                    t.admin_activity_retire_title
                };
                (fill(title, &[&activity_name(*id)]), vec![])
            }
            Op::SetCode => (t.admin_code_title.to_string(), vec![f(t.admin_counter_code, 16)]),
            Op::Multiplier(category) => (
                fill(t.admin_multiplier_title, &[category]),
                vec![f(t.admin_percent, 3).value(&self.rules.multiplier(category).to_string())],
            ),
            Op::NewStaff => (
                t.admin_new_staff.to_string(),
                vec![
                    f(t.admin_staff_id, 32),
                    f(t.admin_name, 40),
                    // Verifiers and approvers decide civic points waiting for review.
                    Field::choice(
                        t.admin_role,
                        vec![
                            ("staff", t.admin_role_staff),
                            ("admin", t.admin_role_admin),
                            ("verifier", t.points.role_verifier),
                            ("approver", t.points.role_approver),
                        ],
                        "staff",
                    ),
                    f(t.pin_new, 12).masked(),
                    f(t.pin_again, 12).masked(),
                ],
            ),
            Op::Disable(id) => (fill(t.admin_disable_title, &[id]), vec![]),
            Op::Pin(id) => {
                (fill(t.admin_pin_title, &[id]), vec![f(t.pin_new, 12).masked(), f(t.pin_again, 12).masked()])
            }
            Op::Unlock(id) => (fill(t.admin_unlock_title, &[id]), vec![]),
            Op::Expire => (String::new(), vec![]),
            Op::Rules => {
                let r = &self.rules;
                (
                    t.admin_rules_title.to_string(),
                    vec![
                        Field::choice(t.admin_rounding, t.rounding_choices(), r.rounding.as_str()),
                        f(t.admin_day_cap, 8).value(&limit_text(t, r.day_cap)).hint(t.admin_off_hint),
                        f(t.admin_approval_over, 8)
                            .value(&limit_text(t, r.approval_over))
                            .hint(t.admin_off_hint),
                        f(t.admin_storage_cap, 8).value(&limit_text(t, r.storage_cap)).hint(t.admin_off_hint),
                        f(t.admin_expiry, 4)
                            .value(&r.expiry_months.map_or_else(|| t.limit_off.into(), |m| m.to_string()))
                            .hint(t.admin_off_hint),
                        f(t.admin_entry_cap, 8)
                            .value(&format_hours(u64::from(self.settings.entry_cap.get()))),
                        f(t.admin_transfer_limit, 8)
                            .value(&format_hours(u64::from(self.settings.transfer_limit.get()))),
                    ],
                )
            }
            Op::Counter => {
                let c = &self.config;
                let text = |o: &Option<String>| o.clone().unwrap_or_default();
                (
                    t.admin_tab_counter.to_string(),
                    vec![
                        f(t.admin_counter_name, 40).value(&self.counter_name),
                        f(t.admin_idle, 5).value(&c.idle_seconds.to_string()),
                        f(t.admin_kiosk_idle, 5).value(&c.kiosk_idle_seconds.to_string()),
                        f(t.admin_receipt_command, 200).value(&text(&c.receipt_command)),
                        f(t.admin_lang, 2).value(&text(&c.lang)).hint("zh / en"),
                        f(t.admin_theme, 40).value(&text(&c.theme)).hint(t.admin_theme_hint),
                        f(t.admin_report_dir, 200).value(&text(&c.report_dir)),
                    ],
                )
            }
        };
        Popup { op, title, form: Form::new(fields), error: None }
    }
}

/// The counter settings the form asks for, checked as the settings file would be.
pub(super) fn counter_config(form: &Form, current: &Config) -> Result<Config, String> {
    // Field 0 is the counter's name, which is not in the file.
    let v = |i: usize| form.value(i + 1).trim().to_string();
    let optional = |i: usize| Some(v(i)).filter(|s| !s.is_empty());
    let number = |i: usize| v(i).parse::<u64>().map_err(|_| format!("{:?}?", v(i)));
    let new = Config {
        idle_seconds: number(0)?,
        kiosk_idle_seconds: number(1)?,
        receipt_command: optional(2),
        lang: optional(3),
        theme: optional(4),
        report_dir: optional(5),
        ..current.clone()
    };
    if new.lang.as_deref().is_some_and(|l| crate::i18n::Lang::parse(l).is_none()) {
        return Err("zh / en".into());
    }
    Config::parse(&new.to_toml())
}

/// Carries out a submitted form; the error is already in the counter's language.
pub(super) fn submit(
    op: &Op,
    form: &Form,
    (rules, retired): (&Rules, &std::collections::BTreeSet<u64>),
    cx: &mut Cx,
) -> Result<u64, String> {
    let t = cx.t;
    let bank = cx.bank;
    let who = &cx.session.actor;
    let bank_err = |e: BankError| t.bank_error(&e);
    let domain_err = |e: crate::domain::DomainError| t.domain_error(&e);
    let v = |i: usize| form.value(i).trim();
    let same_pin = |a: &str, b: &str| if a == b { Ok(()) } else { Err(t.pin_mismatch.to_string()) };
    match op {
        Op::NewReward => {
            let kind = RewardKind::parse(v(1)).map_err(domain_err)?;
            let stock = if v(3).is_empty() {
                None
            } else {
                Some(v(3).parse::<u32>().map_err(|_| t.err_quantity.to_string())?)
            };
            let course_date =
                if v(4).is_empty() { None } else { Some(Day::parse(v(4)).map_err(domain_err)?) };
            let new = NewReward {
                name: Name::parse(v(0)).map_err(domain_err)?,
                kind,
                cost: Minutes::parse(v(2)).map_err(domain_err)?,
                stock,
                course_date,
                merchant: v(5).to_string(),
            };
            bank.add_reward(who, None, &new).map(|e| e.seq()).map_err(bank_err)
        }
        Op::Price(id) => {
            let cost = Minutes::parse(v(0)).map_err(domain_err)?;
            bank.reprice_reward(who, None, *id, cost).map(|e| e.seq()).map_err(bank_err)
        }
        Op::Restock(id) => {
            let qty = v(0).parse::<u32>().map_err(|_| t.err_quantity.to_string())?;
            bank.restock(who, None, *id, qty).map(|e| e.seq()).map_err(bank_err)
        }
        Op::Retire(id) => bank.retire_reward(who, None, *id).map(|e| e.seq()).map_err(bank_err),
        Op::NewActivity => {
            let name = Name::parse(v(0)).map_err(domain_err)?;
            bank.add_activity(who, None, &name, v(1)).map(|e| e.seq()).map_err(bank_err)
        }
        Op::EditActivity(id) | Op::RetireActivity(id) => {
            let (name, retired) = match op {
                Op::EditActivity(_) => (Name::parse(v(0)).map_err(domain_err)?, retired.contains(id)),
                _ => {
                    let current = bank.activities().map_err(bank_err)?.into_iter().find(|(a, _)| a == id);
                    let name = current.map(|(_, a)| a.name).ok_or_else(|| t.no_activity.to_string())?;
                    (name, !retired.contains(id))
                }
            };
            bank.change_activity(who, None, *id, &name, retired).map(|e| e.seq()).map_err(bank_err)
        }
        Op::SetCode => {
            let code = crate::domain::CounterCode::parse(v(0)).map_err(domain_err)?;
            bank.set_counter_code(who, None, &code).map_err(bank_err)
        }
        Op::Multiplier(category) => {
            let percent = v(0)
                .trim_end_matches('%')
                .parse::<u16>()
                .map_err(|_| domain_err(crate::domain::DomainError::Multiplier(category.clone())))?;
            let mut new = rules.clone();
            new.multipliers.retain(|(c, _)| c != category);
            if percent != 100 {
                new.multipliers.push((category.clone(), percent));
            }
            bank.change_rules(who, None, &new).map(|c| c.first_seq()).map_err(bank_err)
        }
        Op::NewStaff => {
            same_pin(v(3), v(4))?;
            let new = NewStaff {
                id: StaffId::parse(v(0)).map_err(domain_err)?,
                name: Name::parse(v(1)).map_err(domain_err)?,
                role: match v(2) {
                    "admin" => Role::Admin,
                    "verifier" => Role::Verifier,
                    "approver" => Role::Approver,
                    _ => Role::Staff,
                },
                pin: v(3).to_string(),
            };
            bank.add_staff(who, None, new).map(|e| e.seq()).map_err(bank_err)
        }
        Op::Disable(id) => bank.disable_staff(who, None, id).map(|e| e.seq()).map_err(bank_err),
        Op::Pin(id) => {
            same_pin(v(0), v(1))?;
            bank.reset_staff_pin(who, id, v(0)).map(|e| e.seq()).map_err(bank_err)
        }
        Op::Unlock(id) => bank.unlock(who, &LoginSubject::Staff(id.clone())).map_err(bank_err),
        // Handled by the screen: the app writes the file and journals the change.
        Op::Counter => Err(String::new()),
        Op::Expire => {
            let done = bank.expire(who, bank.today()).map_err(bank_err)?;
            // The last entry written, or (nothing expired) a message rather than "saved".
            let last = bank.last_seq().map_err(bank_err)?;
            if done.expiries.is_empty() {
                return Err(t.admin_nothing_changed.to_string());
            }
            Ok(last)
        }
        Op::Rules => {
            let expiry = match v(4) {
                "" | "off" | "关" | "无" | "不限" => None,
                n => {
                    Some(n.parse::<u16>().map_err(|_| domain_err(crate::domain::DomainError::ExpiryMonths))?)
                }
            };
            let new = Rules {
                rounding: Rounding::parse(v(0)).map_err(domain_err)?,
                day_cap: parse_limit(v(1)).map_err(domain_err)?,
                approval_over: parse_limit(v(2)).map_err(domain_err)?,
                storage_cap: parse_limit(v(3)).map_err(domain_err)?,
                expiry_months: expiry,
                multipliers: rules.multipliers.clone(),
            };
            let settings = Settings {
                entry_cap: Minutes::parse(v(5)).map_err(domain_err)?,
                transfer_limit: Minutes::parse(v(6)).map_err(domain_err)?,
            };
            let current = bank.settings().map_err(bank_err)?;
            if settings == current && new == *rules {
                return Err(t.admin_nothing_changed.to_string());
            }
            let changed_rules = (new != *rules).then_some(&new);
            let changed_settings = (settings != current).then_some(settings);
            let c = bank
                .change_rules_and_settings(who, None, changed_rules, changed_settings)
                .map_err(bank_err)?;
            Ok(c.events.last().map_or(0, |e| e.seq()))
        }
    }
}
