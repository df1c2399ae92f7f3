//! The navigation stack and the one place screens are built from a [`Route`]: screens ask
//! for a screen by what it shows and never construct one another, so none of them imports
//! another to open it or to go back to it.

use crate::tui::contract::{Cx, Route, Status, Step};
use crate::tui::screens::{self, Screen};

/// Carries out a navigation step: `screen` is in front, `below` the screens it was opened
/// over, the find screen at the bottom.
pub(super) fn navigate(step: Step, screen: &mut Screen, below: &mut Vec<Screen>, cx: &mut Cx) {
    match step {
        Step::Push(route) => {
            if let Some(next) = open(route, cx) {
                below.push(std::mem::replace(screen, next));
            }
        }
        Step::Replace(route) => {
            if let Some(next) = open(route, cx) {
                *screen = next;
            }
        }
        Step::Back => match below.pop() {
            Some(previous) => {
                *screen = previous;
                screen.resume(cx);
            }
            None => *screen = Screen::Find(Default::default()),
        },
        Step::Home => {
            below.clear();
            *screen = Screen::Find(Default::default());
        }
        _ => {}
    }
}

/// The screen `route` names, read from the bank now; `None`, with the reason in the status
/// line, when it cannot be opened (the staff member stays where they are).
fn open(route: Route, cx: &mut Cx) -> Option<Screen> {
    use screens::*;
    let failed = |cx: &mut Cx, e: crate::bank::BankError| {
        *cx.status = Status::Error(cx.t.bank_error(&e));
        None
    };
    Some(match route {
        Route::Volunteer(id) => match volunteer::VolunteerPage::open(cx.bank, id) {
            Ok(page) => Screen::Volunteer(page),
            Err(e) => return failed(cx, e),
        },
        Route::Record(view) => Screen::Record(record::RecordForm::new(cx, *view)),
        Route::Redeem(view) => match redeem::Redeem::new(cx.bank, *view, cx.city) {
            Ok(r) => Screen::Redeem(r),
            Err(e) => return failed(cx, e),
        },
        Route::Transfer(view) => {
            let balance = page_words::balance(cx.bank, &view);
            Screen::Transfer(transfer::TransferForm::new(*view, balance))
        }
        Route::Donate(view) => Screen::Pool(pool::PoolForm::open(cx, *view, pool::Direction::Donate)?),
        Route::GrantFromPool(view) => Screen::Pool(pool::PoolForm::open(cx, *view, pool::Direction::Grant)?),
        Route::Register(card) => Screen::Register(register::Register::new(card.as_deref())),
        Route::EditVolunteer(view) => Screen::Register(register::Register::edit(&view, cx)),
        Route::Certificate(id) => Screen::Certificate(certificate::CertificatePage::open(cx, id)?),
        Route::Receipt(receipt) => Screen::Receipt(receipt::ReceiptPage { receipt: *receipt }),
        Route::Batch => Screen::Batch(batch::Batch::new(cx)),
        Route::Exchange => match exchange::Exchange::new(cx.bank) {
            Ok(screen) => Screen::Exchange(screen),
            Err(e) => return failed(cx, e),
        },
        Route::Review => {
            match review::Review::open(cx.bank, cx.session.staff.role == crate::domain::Role::Admin) {
                Ok(review) => Screen::Review(review),
                Err(e) => return failed(cx, e),
            }
        }
        Route::Reports => Screen::Reports(reports::Reports::open(cx)?),
        Route::Admin => Screen::Admin(admin::Admin::open(cx)?),
        Route::Conflicts => Screen::Conflicts(conflicts::Conflicts::open(cx)),
        Route::Coupons => Screen::Coupons(coupons::Coupons::open(cx)?),
    })
}
