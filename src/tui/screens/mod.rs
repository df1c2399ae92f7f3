//! One file per screen; [`Screen`] dispatches. Each screen owns its state, turns keys into
//! changes through the keymap, and draws itself from `&self`.

pub mod admin;
pub mod batch;
pub mod certificate;
pub mod city_record;
pub mod confirm;
pub mod conflicts;
pub mod coupons;
pub mod entry;
pub mod exchange;
pub mod find;
pub mod help;
pub mod kiosk;
pub mod kiosk_login;
pub mod kiosk_pin;
pub mod lock;
pub mod login;
pub mod page_words;
pub mod pool;
pub mod receipt;
pub mod record;
pub mod redeem;
pub mod register;
pub mod reports;
pub mod review;
pub mod setup;
pub mod transfer;
pub mod volunteer;

use crossterm::event::KeyEvent;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::contract::{Cx, Step, Vx};
use super::keymap::Scope;

/// The status after a deposit: saved, or — when the rules held some of it for an admin —
/// saying so, since the balance did not change.
pub fn deposit_status(t: &crate::i18n::Text, done: &crate::bank::Committed) -> super::contract::Status {
    use crate::domain::EventKind;
    let held = done.events.iter().filter(|e| matches!(e.kind(), EventKind::DepositHeld { .. })).count();
    if held == 0 {
        super::contract::Status::Saved(done.first_seq())
    } else {
        let status = match held {
            1 => crate::i18n::fill(t.held_for_approval_one, &[&done.first_seq()]),
            _ => crate::i18n::fill(t.held_for_approval, &[&done.first_seq(), &held]),
        };
        super::contract::Status::Info(status)
    }
}

pub enum Screen {
    Setup(setup::Setup),
    Lock(lock::Lock),
    Login(login::Login),
    KioskLogin(kiosk_login::KioskLogin),
    Kiosk(kiosk::Kiosk),
    Find(find::Find),
    Volunteer(volunteer::VolunteerPage),
    Record(record::RecordForm),
    Batch(batch::Batch),
    Redeem(redeem::Redeem),
    Receipt(receipt::ReceiptPage),
    Register(register::Register),
    Transfer(transfer::TransferForm),
    Pool(pool::PoolForm),
    Review(review::Review),
    Reports(reports::Reports),
    Admin(admin::Admin),
    Certificate(certificate::CertificatePage),
    Conflicts(conflicts::Conflicts),
    Exchange(exchange::Exchange),
    Coupons(coupons::Coupons),
}

impl Screen {
    pub fn scope(&self) -> Scope {
        match self {
            Screen::Setup(_) => Scope::Setup,
            Screen::Record(_) | Screen::Register(_) | Screen::Transfer(_) | Screen::Pool(_) => Scope::Form,
            Screen::Lock(_) => Scope::Lock,
            Screen::Login(_) => Scope::Login,
            Screen::KioskLogin(_) => Scope::KioskLogin,
            Screen::Kiosk(k) => k.scope(),
            Screen::Find(_) => Scope::Find,
            Screen::Volunteer(v) => v.scope(),
            Screen::Batch(b) => b.scope(),
            Screen::Redeem(r) => r.scope(),
            Screen::Receipt(_) => Scope::Receipt,
            Screen::Review(r) => r.scope(),
            Screen::Reports(_) => Scope::Reports,
            Screen::Admin(a) => a.scope(),
            Screen::Certificate(_) => Scope::Receipt,
            Screen::Conflicts(c) => c.scope(),
            Screen::Exchange(e) => e.scope(),
            Screen::Coupons(c) => c.scope(),
        }
    }

    /// The screens reached without a staff session (see `tui::public`).
    pub fn is_public(&self) -> bool {
        matches!(
            self,
            Screen::Setup(_) | Screen::Lock(_) | Screen::Login(_) | Screen::KioskLogin(_) | Screen::Kiosk(_)
        )
    }

    /// Keys of the screens a logged-in staff member uses.
    pub fn on_key(&mut self, key: KeyEvent, cx: &mut Cx) -> Step {
        match self {
            Screen::Find(s) => s.on_key(key, cx),
            Screen::Volunteer(s) => s.on_key(key, cx),
            Screen::Record(s) => s.on_key(key, cx),
            Screen::Batch(s) => s.on_key(key, cx),
            Screen::Redeem(s) => s.on_key(key, cx),
            Screen::Receipt(s) => s.on_key(key, cx),
            Screen::Register(s) => s.on_key(key, cx),
            Screen::Transfer(s) => s.on_key(key, cx),
            Screen::Pool(s) => s.on_key(key, cx),
            Screen::Review(s) => s.on_key(key, cx),
            Screen::Reports(s) => s.on_key(key, cx),
            Screen::Admin(s) => s.on_key(key, cx),
            Screen::Certificate(s) => s.on_key(key, cx),
            Screen::Conflicts(s) => s.on_key(key, cx),
            Screen::Exchange(s) => s.on_key(key, cx),
            Screen::Coupons(s) => s.on_key(key, cx),
            Screen::Setup(_)
            | Screen::Lock(_)
            | Screen::Login(_)
            | Screen::KioskLogin(_)
            | Screen::Kiosk(_) => Step::Stay,
        }
    }

    /// Back in front after the screen opened over it was left: what it shows is read again
    /// (an entry was saved, a registration corrected).
    pub fn resume(&mut self, cx: &mut Cx) {
        if let Screen::Volunteer(page) = self {
            page.resume(cx);
        }
    }

    /// A sync round ended: a volunteer's page or kiosk reads the city's figures again (another
    /// counter may have recorded or spent since they opened). Nothing else on them changes.
    pub fn city_moved(&mut self, bank: &crate::bank::Bank) {
        match self {
            Screen::Volunteer(page) => page.city_moved(bank),
            Screen::Kiosk(kiosk) => kiosk.city_moved(bank),
            _ => {}
        }
    }

    /// Whether the screen waits for a commit the city was asked about (`Step::CityCommit`).
    pub fn is_asking(&self) -> bool {
        match self {
            Screen::Record(s) => s.is_asking(),
            Screen::Redeem(s) => s.is_asking(),
            Screen::Transfer(s) => s.is_asking(),
            Screen::Pool(s) => s.is_asking(),
            Screen::Volunteer(s) => s.is_asking(),
            Screen::Kiosk(s) => s.is_asking(),
            Screen::Conflicts(s) => s.is_asking(),
            Screen::Exchange(s) => s.is_asking(),
            _ => false,
        }
    }

    /// The result of the commit the screen waits for.
    pub fn city_committed(&mut self, result: Result<crate::bank::Committed, String>, cx: &mut Cx) -> Step {
        match self {
            Screen::Record(s) => s.finish(cx, result),
            Screen::Redeem(s) => s.finish(cx, result),
            Screen::Transfer(s) => s.finish(cx, result),
            Screen::Pool(s) => s.finish(cx, result),
            Screen::Volunteer(s) => s.finish_reversal(cx, result),
            Screen::Conflicts(s) => s.finish(cx, result),
            Screen::Exchange(s) => s.finish(cx, result),
            _ => Step::Stay,
        }
    }

    pub fn render(&self, area: Rect, buf: &mut Buffer, vx: &Vx) {
        match self {
            Screen::Setup(s) => s.render(area, buf, vx),
            Screen::Lock(s) => s.render(area, buf, vx),
            Screen::Login(s) => s.render(area, buf, vx),
            Screen::KioskLogin(s) => s.render(area, buf, vx),
            Screen::Kiosk(s) => s.render(area, buf, vx),
            Screen::Find(s) => s.render(area, buf, vx),
            Screen::Volunteer(s) => s.render(area, buf, vx),
            Screen::Record(s) => s.render(area, buf, vx),
            Screen::Batch(s) => s.render(area, buf, vx),
            Screen::Redeem(s) => s.render(area, buf, vx),
            Screen::Receipt(s) => s.render(area, buf, vx),
            Screen::Register(s) => s.render(area, buf, vx),
            Screen::Transfer(s) => s.render(area, buf, vx),
            Screen::Pool(s) => s.render(area, buf, vx),
            Screen::Review(s) => s.render(area, buf, vx),
            Screen::Reports(s) => s.render(area, buf, vx),
            Screen::Admin(s) => s.render(area, buf, vx),
            Screen::Certificate(s) => s.render(area, buf, vx),
            Screen::Conflicts(s) => s.render(area, buf, vx),
            Screen::Exchange(s) => s.render(area, buf, vx),
            Screen::Coupons(s) => s.render(area, buf, vx),
        }
    }

    /// A short machine name, for tests and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Screen::Setup(_) => "setup",
            Screen::Lock(_) => "lock",
            Screen::Login(_) => "login",
            Screen::KioskLogin(_) => "kiosk-login",
            Screen::Kiosk(_) => "kiosk",
            Screen::Find(_) => "find",
            Screen::Volunteer(_) => "volunteer",
            Screen::Record(_) => "record",
            Screen::Batch(_) => "batch",
            Screen::Redeem(_) => "redeem",
            Screen::Receipt(_) => "receipt",
            Screen::Register(_) => "register",
            Screen::Transfer(_) => "transfer",
            Screen::Pool(_) => "pool",
            Screen::Review(_) => "review",
            Screen::Reports(_) => "reports",
            Screen::Admin(_) => "admin",
            Screen::Certificate(_) => "certificate",
            Screen::Conflicts(_) => "conflicts",
            Screen::Exchange(_) => "exchange",
            Screen::Coupons(_) => "coupons",
        }
    }
}
