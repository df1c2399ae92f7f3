//! The one key table. Every screen asks it what a key means; the footer hints and the help
//! overlay are drawn from it, so they cannot disagree with the real bindings.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::i18n::Text;

/// Where a binding applies. A screen looks up its own scope first, then `Global`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Global,
    Lock,
    Login,
    /// A volunteer's PIN at the kiosk.
    KioskLogin,
    /// A volunteer's own read-only page.
    Kiosk,
    Find,
    Volunteer,
    /// Any form: record, transfer, register, reverse, batch setup.
    Form,
    /// The first-run setup form: nothing to go back to and nobody to lock out yet.
    Setup,
    Batch,
    Redeem,
    Receipt,
    /// Shifts and deposits waiting for staff or an admin.
    Review,
    /// The review list on a held deposit, for staff who are not admins: they see it, only an
    /// admin decides it (`a`/`x` are not offered).
    ReviewAdminsOnly,
    /// Reports with charts (admins).
    Reports,
    /// The coupon batches (admins).
    Coupons,
    /// Keys of every admin tab (switching tabs, moving, leaving); each tab's own scope below
    /// names it as its parent, so a tab's footer and help list only what works on that tab.
    Admin,
    AdminRewards,
    AdminActivities,
    AdminStaff,
    AdminRules,
    AdminCounter,
    /// Cards registered as different people (Admin → `k`).
    Conflicts,
    /// The exchange day's queue (Find → F9): the scan line takes every printable key.
    Exchange,
    Help,
}

impl Scope {
    /// The scope whose bindings also apply here (before the global ones).
    pub const fn parent(self) -> Option<Scope> {
        match self {
            Scope::AdminRewards
            | Scope::AdminActivities
            | Scope::AdminStaff
            | Scope::AdminRules
            | Scope::AdminCounter => Some(Scope::Admin),
            _ => None,
        }
    }

    /// This scope, its parent, then `Global`: the order a key is looked up in.
    fn chain(self) -> impl Iterator<Item = Scope> {
        [Some(self), self.parent(), (self != Scope::Global).then_some(Scope::Global)].into_iter().flatten()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Help,
    Lock,
    Quit,
    Login,
    Open,
    Submit,
    Back,
    NextField,
    PrevField,
    Up,
    Down,
    PageUp,
    PageDown,
    Register,
    Batch,
    Record,
    Redeem,
    Transfer,
    Donate,
    Grant,
    Reverse,
    Edit,
    Print,
    Reveal,
    More,
    Less,
    Remove,
    Commit,
    Scan,
    SelfService,
    CheckIn,
    CheckOut,
    Review,
    Approve,
    Reject,
    /// The community's score of an ended shift (督导员日常管理考核).
    Evaluate,
    /// The coupon batches (积分券), from the admin screen.
    Coupons,
    SetPin,
    /// A volunteer changes their own PIN at the kiosk.
    ChangePin,
    /// A staff member's login PIN (the admin's staff tab), not a volunteer's.
    StaffPin,
    Reports,
    NextTab,
    /// The tab before this one (admin tabs).
    PrevTab,
    Earlier,
    Later,
    Export,
    Admin,
    New,
    Price,
    Restock,
    Retire,
    /// Retire an activity, or bring a retired one back.
    RetireActivity,
    /// Set this counter's city code (once).
    SetCode,
    Multiplier,
    Disable,
    Unlock,
    Certificate,
    /// The city's record of a volunteer (registrations and history at every counter), online.
    CityRecord,
    Expire,
    /// Cards registered as different people, from the admin screen.
    Conflicts,
    /// Settle a conflict by taking the other counter's registration.
    TakeOther,
    /// Settle a conflict by moving this counter's person to a new card.
    MoveToNewCard,
    /// Ask the city service again.
    Refresh,
    /// The exchange day's screen (civic points).
    Exchange,
}

/// One binding. `hint` marks the few shown in the footer; all appear in the help overlay.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub scope: Scope,
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub action: Action,
    pub hint: bool,
}

const fn key(scope: Scope, code: KeyCode, action: Action, hint: bool) -> Binding {
    Binding { scope, code, mods: KeyModifiers::NONE, action, hint }
}

const fn ctrl(scope: Scope, c: char, action: Action, hint: bool) -> Binding {
    Binding { scope, code: KeyCode::Char(c), mods: KeyModifiers::CONTROL, action, hint }
}

use Action as A;
use KeyCode as K;
use Scope as S;

/// Letters are bound only where no text is being typed (volunteer page, receipt, redeem list
/// uses digits for quantity); forms use Enter, Esc, Tab and function keys.
pub const KEYMAP: &[Binding] = &[
    key(S::Global, K::F(1), A::Help, true),
    ctrl(S::Global, 'l', A::Lock, true),
    ctrl(S::Global, 'q', A::Quit, false),
    key(S::Help, K::Esc, A::Back, true),
    key(S::Lock, K::Enter, A::SelfService, true),
    key(S::Lock, K::F(2), A::Login, true),
    key(S::Lock, K::Esc, A::Back, false),
    key(S::KioskLogin, K::Enter, A::Submit, true),
    key(S::KioskLogin, K::Esc, A::Back, true),
    key(S::KioskLogin, K::F(2), A::Login, false),
    key(S::Kiosk, K::Up, A::Up, false),
    key(S::Kiosk, K::Down, A::Down, true),
    key(S::Kiosk, K::PageUp, A::PageUp, false),
    key(S::Kiosk, K::PageDown, A::PageDown, true),
    key(S::Kiosk, K::Esc, A::Back, true),
    key(S::Kiosk, K::Char('i'), A::CheckIn, true),
    key(S::Kiosk, K::Char('o'), A::CheckOut, true),
    key(S::Kiosk, K::Char('g'), A::Donate, true),
    key(S::Kiosk, K::Char('p'), A::ChangePin, true),
    key(S::Kiosk, K::Enter, A::Submit, false),
    key(S::Login, K::Enter, A::Submit, true),
    key(S::Login, K::Tab, A::NextField, true),
    key(S::Login, K::BackTab, A::PrevField, false),
    key(S::Login, K::Esc, A::Back, true),
    key(S::Find, K::Enter, A::Open, true),
    key(S::Find, K::Up, A::Up, false),
    key(S::Find, K::Down, A::Down, true),
    key(S::Find, K::PageUp, A::PageUp, false),
    key(S::Find, K::PageDown, A::PageDown, false),
    key(S::Find, K::F(2), A::Register, true),
    key(S::Find, K::F(5), A::Batch, true),
    key(S::Find, K::F(6), A::Review, true),
    key(S::Find, K::F(7), A::Reports, true),
    key(S::Find, K::F(8), A::Admin, true),
    key(S::Find, K::F(9), A::Exchange, true),
    key(S::Exchange, K::Enter, A::Submit, true),
    key(S::Exchange, K::Up, A::Up, false),
    key(S::Exchange, K::Down, A::Down, true),
    key(S::Exchange, K::Right, A::More, true),
    key(S::Exchange, K::Left, A::Less, false),
    key(S::Exchange, K::F(9), A::Print, true),
    key(S::Exchange, K::F(2), A::Register, false),
    key(S::Exchange, K::Esc, A::Back, true),
    key(S::Admin, K::Tab, A::NextTab, true),
    key(S::Admin, K::BackTab, A::PrevTab, false),
    key(S::Admin, K::Up, A::Up, false),
    key(S::Admin, K::Down, A::Down, false),
    key(S::Admin, K::Esc, A::Back, true),
    key(S::AdminRewards, K::Char('n'), A::New, true),
    key(S::AdminRewards, K::Char('c'), A::Price, true),
    key(S::AdminRewards, K::Char('s'), A::Restock, true),
    key(S::AdminRewards, K::Char('r'), A::Retire, true),
    key(S::AdminActivities, K::Char('n'), A::New, true),
    key(S::AdminActivities, K::Char('m'), A::Multiplier, true),
    key(S::AdminActivities, K::Char('e'), A::Edit, true),
    key(S::AdminActivities, K::Char('r'), A::RetireActivity, true),
    key(S::AdminStaff, K::Char('n'), A::New, true),
    key(S::AdminStaff, K::Char('p'), A::StaffPin, true),
    key(S::AdminStaff, K::Char('u'), A::Unlock, true),
    key(S::AdminStaff, K::Char('d'), A::Disable, true),
    key(S::AdminRules, K::Char('e'), A::Edit, true),
    key(S::AdminRules, K::Char('x'), A::Expire, true),
    key(S::AdminCounter, K::Char('e'), A::Edit, true),
    key(S::AdminCounter, K::Char('c'), A::SetCode, true),
    key(S::Admin, K::Char('k'), A::Conflicts, true),
    key(S::Admin, K::Char('q'), A::Coupons, true),
    key(S::Coupons, K::Up, A::Up, false),
    key(S::Coupons, K::Down, A::Down, false),
    key(S::Coupons, K::Char('n'), A::New, true),
    key(S::Coupons, K::Char('x'), A::Export, true),
    key(S::Coupons, K::Esc, A::Back, true),
    key(S::Conflicts, K::Char('o'), A::TakeOther, true),
    key(S::Conflicts, K::Char('n'), A::MoveToNewCard, true),
    key(S::Conflicts, K::Char('r'), A::Refresh, true),
    key(S::Conflicts, K::Enter, A::Submit, false),
    key(S::Conflicts, K::Up, A::Up, false),
    key(S::Conflicts, K::Down, A::Down, false),
    key(S::Conflicts, K::Esc, A::Back, true),
    key(S::Reports, K::Tab, A::NextTab, true),
    key(S::Reports, K::Left, A::Earlier, true),
    key(S::Reports, K::Right, A::Later, true),
    key(S::Reports, K::Char('x'), A::Export, true),
    key(S::Reports, K::Esc, A::Back, false),
    key(S::Review, K::Up, A::Up, false),
    key(S::Review, K::Down, A::Down, false),
    key(S::Review, K::Char('a'), A::Approve, true),
    key(S::Review, K::Char('x'), A::Reject, true),
    key(S::Review, K::Char('e'), A::Evaluate, true),
    key(S::Review, K::Esc, A::Back, true),
    key(S::ReviewAdminsOnly, K::Up, A::Up, false),
    key(S::ReviewAdminsOnly, K::Down, A::Down, false),
    key(S::ReviewAdminsOnly, K::Esc, A::Back, true),
    // Not offered, but pressed anyway they say who decides.
    key(S::ReviewAdminsOnly, K::Char('a'), A::Approve, false),
    key(S::ReviewAdminsOnly, K::Char('x'), A::Reject, false),
    key(S::Find, K::Esc, A::Back, false),
    key(S::Volunteer, K::Char('d'), A::Record, true),
    key(S::Volunteer, K::F(3), A::Record, false),
    key(S::Volunteer, K::Char('r'), A::Redeem, true),
    key(S::Volunteer, K::F(4), A::Redeem, false),
    key(S::Volunteer, K::Char('t'), A::Transfer, true),
    key(S::Volunteer, K::Char('g'), A::Donate, true),
    key(S::Volunteer, K::Char('G'), A::Grant, true),
    key(S::Volunteer, K::Char('z'), A::Reverse, true),
    key(S::Volunteer, K::Char('e'), A::Edit, true),
    key(S::Volunteer, K::Char('v'), A::Reveal, true),
    key(S::Volunteer, K::Char('p'), A::SetPin, true),
    key(S::Volunteer, K::Char('c'), A::Certificate, true),
    key(S::Volunteer, K::Char('h'), A::CityRecord, true),
    key(S::Volunteer, K::Char('x'), A::Export, true),
    key(S::Volunteer, K::Up, A::Up, false),
    key(S::Volunteer, K::Down, A::Down, false),
    key(S::Volunteer, K::PageUp, A::PageUp, false),
    key(S::Volunteer, K::PageDown, A::PageDown, false),
    key(S::Volunteer, K::Esc, A::Back, true),
    key(S::Volunteer, K::Char('?'), A::Help, false),
    key(S::Setup, K::Enter, A::Submit, true),
    key(S::Setup, K::Tab, A::NextField, true),
    key(S::Setup, K::BackTab, A::PrevField, false),
    key(S::Setup, K::Up, A::Up, false),
    key(S::Setup, K::Down, A::Down, false),
    key(S::Form, K::Enter, A::Submit, true),
    key(S::Form, K::Tab, A::NextField, true),
    key(S::Form, K::BackTab, A::PrevField, false),
    key(S::Form, K::Up, A::Up, false),
    key(S::Form, K::Down, A::Down, false),
    key(S::Form, K::Esc, A::Back, true),
    key(S::Batch, K::Enter, A::Scan, true),
    key(S::Batch, K::F(10), A::Commit, true),
    key(S::Batch, K::Delete, A::Remove, true),
    key(S::Batch, K::Up, A::Up, false),
    key(S::Batch, K::Down, A::Down, false),
    key(S::Batch, K::Esc, A::Back, true),
    key(S::Redeem, K::Enter, A::Submit, true),
    key(S::Redeem, K::Up, A::Up, false),
    key(S::Redeem, K::Down, A::Down, false),
    key(S::Redeem, K::Char('+'), A::More, true),
    key(S::Redeem, K::Char('-'), A::Less, true),
    key(S::Redeem, K::Esc, A::Back, true),
    key(S::Receipt, K::Char('p'), A::Print, true),
    key(S::Receipt, K::Enter, A::Back, false),
    key(S::Receipt, K::Esc, A::Back, true),
    key(S::Receipt, K::Char('?'), A::Help, false),
    key(S::Receipt, K::Up, A::Up, false),
    key(S::Receipt, K::Down, A::Down, false),
];

/// What `key` means in `scope` (then globally), if anything.
pub fn action(scope: Scope, key: KeyEvent) -> Option<Action> {
    // Shift arrives with upper-case letters and BackTab; match on the other modifiers.
    let mods = key.modifiers - KeyModifiers::SHIFT;
    let code = match key.code {
        KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    scope
        .chain()
        .find_map(|s| KEYMAP.iter().find(|b| b.scope == s && b.code == code && b.mods == mods))
        .map(|b| b.action)
}

/// The bindings of a scope, then the global ones; `hints_only` keeps those marked for the footer.
pub fn bindings(scope: Scope, hints_only: bool) -> impl Iterator<Item = &'static Binding> {
    KEYMAP.iter().filter(move |b| scope.chain().any(|s| s == b.scope) && (!hints_only || b.hint))
}

/// Who is in front of the screen: what the footer and the help may offer depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// Nobody logged in, or a volunteer at the kiosk: only staff may quit.
    Public,
    /// The first-run setup: may quit, has nothing to lock.
    Setup,
    Staff,
    Admin,
}

/// Whether `who` may use binding `b` at all (a key that would only be refused is not offered).
pub fn offered(b: &Binding, who: Who) -> bool {
    match b.action {
        Action::Quit => who != Who::Public,
        Action::Lock => who != Who::Setup,
        Action::Reports | Action::Admin | Action::Grant => who == Who::Admin,
        _ => true,
    }
}

/// The bindings of `scope` that `who` may use, by priority: help first (so it can always be
/// found), then the screen's own keys, then the other global ones. The footer shows as many as
/// fit, in this order.
pub fn bindings_for(scope: Scope, hints_only: bool, who: Who) -> Vec<&'static Binding> {
    let usable = |b: &&'static Binding| offered(b, who) && (!hints_only || b.hint);
    let help = KEYMAP.iter().filter(|b| b.scope == Scope::Global && b.action == Action::Help);
    let own = KEYMAP.iter().filter(|b| b.scope == scope && scope != Scope::Global);
    let inherited = KEYMAP.iter().filter(|b| Some(b.scope) == scope.parent());
    let global = KEYMAP.iter().filter(|b| b.scope == Scope::Global && b.action != Action::Help);
    help.chain(own).chain(inherited).chain(global).filter(usable).collect()
}

/// A key as printed on the keyboard. ASCII only: arrows are ambiguous-width glyphs.
pub fn key_label(b: &Binding) -> String {
    let base = match b.code {
        K::Enter => "Enter".to_string(),
        K::Esc => "Esc".into(),
        K::Tab => "Tab".into(),
        K::BackTab => "Shift+Tab".into(),
        K::Up => "Up".into(),
        K::Down => "Down".into(),
        K::Left => "Left".into(),
        K::Right => "Right".into(),
        K::PageUp => "PgUp".into(),
        K::PageDown => "PgDn".into(),
        K::Delete => "Del".into(),
        K::F(n) => format!("F{n}"),
        K::Char(c) => c.to_string(),
        _ => "?".into(),
    };
    if b.mods.contains(KeyModifiers::CONTROL) { format!("Ctrl+{}", base.to_uppercase()) } else { base }
}

pub fn action_label(t: &Text, a: Action) -> &'static str {
    match a {
        A::Help => t.act_help,
        A::Lock => t.act_lock,
        A::Quit => t.act_quit,
        A::Login => t.act_login,
        A::Open => t.act_open,
        A::Submit => t.act_submit,
        A::Back => t.act_back,
        A::NextField => t.act_next_field,
        A::PrevField => t.act_prev_field,
        A::Up | A::Down => t.act_move,
        A::PageUp | A::PageDown => t.act_page,
        A::Register => t.act_register,
        A::Batch => t.act_batch,
        A::Record => t.act_record,
        A::Redeem => t.act_redeem,
        A::Transfer => t.act_transfer,
        A::Donate => t.act_donate,
        A::Grant => t.act_grant,
        A::Reverse => t.act_reverse,
        A::Edit => t.act_edit,
        A::Print => t.act_print,
        A::Reveal => t.act_reveal,
        A::More => t.act_more,
        A::Less => t.act_less,
        A::Remove => t.act_remove,
        A::Commit => t.act_commit,
        A::Scan => t.act_scan,
        A::SelfService => t.act_self_service,
        A::CheckIn => t.act_check_in,
        A::CheckOut => t.act_check_out,
        A::Review => t.act_review,
        A::Approve => t.act_approve,
        A::Reject => t.act_reject,
        A::Evaluate => t.points.act_evaluate,
        A::Coupons => t.points.act_coupons,
        A::SetPin => t.act_set_pin,
        A::ChangePin => t.act_change_pin,
        A::StaffPin => t.act_staff_pin,
        A::Reports => t.act_reports,
        A::NextTab => t.act_next_tab,
        A::PrevTab => t.act_prev_tab,
        A::Admin => t.act_admin,
        A::New => t.act_new,
        A::Price => t.act_price,
        A::Restock => t.act_restock,
        A::Retire => t.act_retire,
        A::RetireActivity => t.act_retire_activity,
        A::SetCode => t.act_set_code,
        A::Multiplier => t.act_multiplier,
        A::Disable => t.act_disable,
        A::Unlock => t.act_unlock,
        A::Certificate => t.act_certificate,
        A::CityRecord => t.act_city_record,
        A::Conflicts => t.act_conflicts,
        A::TakeOther => t.act_take_other,
        A::MoveToNewCard => t.act_move_new_card,
        A::Refresh => t.act_refresh,
        A::Expire => t.act_expire,
        A::Earlier => t.act_earlier,
        A::Later => t.act_later,
        A::Export => t.act_export,
        A::Exchange => t.points.act_exchange,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key's words fit the help overlay's column at 80×24 (24 columns beside the key) in
    /// both languages: `v  显示完整手机和证件号（管` was cut.
    #[test]
    fn every_action_label_fits_the_help_column() {
        for lang in [crate::i18n::Lang::Zh, crate::i18n::Lang::En] {
            for b in KEYMAP {
                let label = action_label(lang.text(), b.action);
                let cols = unicode_width::UnicodeWidthStr::width(label);
                assert!(cols <= 24, "{lang:?} {:?}: {label:?} is {cols} columns", b.action);
            }
        }
    }

    #[test]
    fn no_key_means_two_things_in_one_scope() {
        for (i, a) in KEYMAP.iter().enumerate() {
            for b in &KEYMAP[i + 1..] {
                let related = a.scope.chain().any(|s| s == b.scope) || b.scope.chain().any(|s| s == a.scope);
                let clash = a.code == b.code && a.mods == b.mods && related;
                assert!(!clash, "{a:?} and {b:?}");
            }
        }
    }

    #[test]
    fn lookup_honours_scope_then_global_and_ignores_shift_on_ctrl_letters() {
        let k = |code, mods| KeyEvent::new(code, mods);
        assert_eq!(action(Scope::Volunteer, k(K::Char('d'), KeyModifiers::NONE)), Some(A::Record));
        assert_eq!(action(Scope::Find, k(K::Char('d'), KeyModifiers::NONE)), None);
        assert_eq!(
            action(Scope::Find, k(K::Char('L'), KeyModifiers::CONTROL | KeyModifiers::SHIFT)),
            Some(A::Lock)
        );
        assert_eq!(action(Scope::Form, k(K::BackTab, KeyModifiers::SHIFT)), Some(A::PrevField));
    }

    #[test]
    fn each_admin_tab_offers_its_own_keys_and_the_shared_ones_only() {
        let actions =
            |scope| bindings_for(scope, false, Who::Admin).iter().map(|b| b.action).collect::<Vec<_>>();
        let staff = actions(Scope::AdminStaff);
        assert!(staff.contains(&A::StaffPin) && staff.contains(&A::NextTab) && staff.contains(&A::Back));
        assert!(!staff.contains(&A::Price) && !staff.contains(&A::Multiplier), "{staff:?}");
        let rewards = actions(Scope::AdminRewards);
        assert!(rewards.contains(&A::Price) && !rewards.contains(&A::SetPin), "{rewards:?}");
        let k = |c| KeyEvent::new(K::Char(c), KeyModifiers::NONE);
        assert_eq!(action(Scope::AdminStaff, k('c')), None);
        assert_eq!(action(Scope::AdminRewards, k('c')), Some(A::Price));
        assert_eq!(action(Scope::AdminRules, KeyEvent::new(K::Tab, KeyModifiers::NONE)), Some(A::NextTab));
    }
}
