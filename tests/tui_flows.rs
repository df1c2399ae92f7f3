//! Whole counter flows driven key by key through `update`, with a test clock; the bank is
//! asked afterwards what really happened.

mod counter;

use counter::Counter;
use crossterm::event::KeyCode;
use hourbank::domain::CardNo;
use hourbank::tui::app::Status;
use hourbank::tui::i18n::Lang;

fn balance(c: &Counter, card: &str) -> u64 {
    c.bank().find_card(&CardNo::parse(card).unwrap()).unwrap().account.balance()
}

#[test]
fn peek() {
    let mut c = Counter::seeded(Lang::Zh);
    println!("{}", c.render(80, 24));
    c.login("S01", "5678");
    println!("{}", c.render(80, 24));
    c.typed("chp");
    println!("{}", c.render(80, 24));
    c.enter();
    println!("{}", c.render(80, 24));
    c.typed("d");
    println!("{}", c.render(80, 24));
    let _ = balance(&c, "JH000001");
    let _ = Status::Ready;
}
