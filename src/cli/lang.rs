//! The language of what the command line says to people — refusals, failures, warnings —
//! chosen by `--lang`, else the locale, as at the counter. What scripts read stays the same
//! in every language: tables, CSV, JSON (keys and values) and the `saved #N` lines.
//!
//! Per thread: a command forwarded through the control socket runs on its request's thread
//! in the language of the client that typed it, not of the counter serving it.

use std::cell::Cell;

use crate::i18n::{Lang, Text};

thread_local! {
    static LANG: Cell<Option<Lang>> = const { Cell::new(None) };
}

/// `--lang` if given, else the locale.
pub fn resolve(flag: Option<&str>) -> Lang {
    flag.and_then(Lang::parse).unwrap_or_else(Lang::from_env)
}

pub fn set(lang: Lang) {
    LANG.with(|l| l.set(Some(lang)));
}

pub fn current() -> Lang {
    LANG.with(Cell::get).unwrap_or_else(Lang::from_env)
}

/// The words for people in the current language; `None` for English, whose words are the
/// errors' own (`Display`), which scripts and the tests already match.
pub fn words() -> Option<&'static Text> {
    match current() {
        Lang::En => None,
        lang => Some(lang.text()),
    }
}
