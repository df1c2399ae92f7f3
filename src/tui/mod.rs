//! The counter screen, Elm-shaped: [`app::App`] holds the state, [`app::Msg`] are the inputs,
//! `update` changes state and returns [`app::Effect`]s for slow work, `view` draws. This file
//! is the only one that touches the terminal: it reads keys on a thread, ticks the clock, runs
//! effects off the UI thread and draws the latest state once per burst of input.

pub mod app;
pub mod config;
pub mod contract;
/// The counter's words live beside it, shared with the command line.
pub use crate::i18n;
pub mod keymap;
pub mod receipt;
pub mod screens;
pub mod theme;
pub mod widgets;

use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use crossterm::event::{self, Event};

use app::{App, Effect, Msg};

use crate::bank::Bank;
use crate::control::{ControlSocket, Notify};

/// How often the clock and the idle lock are checked when no key arrives.
const TICK: Duration = Duration::from_millis(250);

/// Starts the control socket for a bank, telling the screen what it serves.
pub type Serve = Box<dyn Fn(Arc<Bank>, Notify) -> Result<ControlSocket, String>>;

/// Runs the counter until the user quits. The terminal is restored on return and on panic.
/// `serve` opens the control socket once the counter has a bank (at once, or after setup).
pub fn run(mut app: App, serve: Serve) -> std::io::Result<()> {
    let mut terminal = ratatui::try_init()?;
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut server: Option<ControlSocket> = None;
    let start_serving = |app: &App, server: &mut Option<ControlSocket>| {
        let (None, Some(bank)) = (server.as_ref(), app.bank()) else { return };
        let events = Mutex::new(tx.clone());
        let notify: Notify = Arc::new(move |e| {
            if let Ok(tx) = events.lock() {
                let _ = tx.send(Msg::Control(e));
            }
        });
        match serve(bank, notify) {
            Ok(s) => *server = Some(s),
            Err(e) => {
                let _ = tx.send(Msg::ControlUnavailable(e));
                // Tried once; the counter works without it.
                *server = None;
            }
        }
    };
    // The background sync: on once the counter has a bank and a city server is configured.
    let mut sync: Option<crate::city::Background> = None;
    let start_sync = |app: &mut App, sync: &mut Option<crate::city::Background>| {
        let (None, Some(bank), Some(url)) = (sync.as_ref(), app.bank(), app.sync_config().background_url())
        else {
            return;
        };
        let every = Duration::from_secs(app.sync_config().every_seconds);
        let float = app.sync_config().float();
        let reports = Mutex::new(tx.clone());
        *sync = Some(crate::city::Background::spawn(url, bank, every, float, move |status| {
            reports.lock().is_ok_and(|tx| tx.send(Msg::Synced(status)).is_ok())
        }));
        app.sync_started();
    };
    let keys = tx.clone();
    std::thread::spawn(move || {
        // Ends when the receiver is gone (the counter quit) or the terminal fails.
        while let Ok(ev) = event::read() {
            let msg = match ev {
                Event::Key(key) => Msg::Key(key),
                Event::Resize(width, height) => Msg::Resize(width, height),
                _ => continue,
            };
            if keys.send(msg).is_err() {
                break;
            }
        }
    });
    let result = (|| -> std::io::Result<()> {
        let size = terminal.size()?;
        let _ = app.update(Msg::Resize(size.width, size.height));
        let first = app.start();
        run_effects(&app, first, &tx);
        start_serving(&app, &mut server);
        start_sync(&mut app, &mut sync);
        let mut serve_tried = app.bank().is_some();
        terminal.draw(|f| app.view(f))?;
        loop {
            let msg = match rx.recv_timeout(TICK) {
                Ok(msg) => msg,
                Err(mpsc::RecvTimeoutError::Timeout) => Msg::Tick,
                Err(mpsc::RecvTimeoutError::Disconnected) => return Ok(()),
            };
            let effects = app.update(msg);
            run_effects(&app, effects, &tx);
            // Apply everything already queued (a scanner types a whole card at once), then draw
            // only the latest state.
            while let Ok(msg) = rx.try_recv() {
                let effects = app.update(msg);
                run_effects(&app, effects, &tx);
            }
            if app.quitting() {
                return Ok(());
            }
            if server.is_none() && !serve_tried && app.bank().is_some() {
                serve_tried = true;
                start_serving(&app, &mut server);
                start_sync(&mut app, &mut sync);
            }
            terminal.draw(|f| app.view(f))?;
        }
    })();
    ratatui::restore();
    result
}

fn run_effects(app: &App, effects: Vec<Effect>, tx: &mpsc::Sender<Msg>) {
    for effect in effects {
        match effect {
            Effect::Quit => {}
            Effect::BuildIndex => {
                let Some(bank) = app.bank() else { continue };
                let tx = tx.clone();
                let lang = app.lang;
                std::thread::spawn(move || {
                    let index = bank.search_index().map(Box::new).map_err(|e| lang.text().bank_error(&e));
                    let _ = tx.send(Msg::IndexReady(index));
                });
            }
            Effect::AskPointsPool { url, card } => {
                let Some(bank) = app.bank() else { continue };
                let tx = tx.clone();
                let lang = app.lang;
                std::thread::spawn(move || {
                    let answer = crate::city::CityClient::new(&url, &bank)
                        .and_then(|client| client.points_pool(&card))
                        .map_err(|e| screens::city_record::failure_words(lang.text(), &e));
                    let _ = tx.send(Msg::PointsPool(card, answer));
                });
            }
            Effect::AskCity { url, card, staff } => {
                let Some(bank) = app.bank() else { continue };
                let tx = tx.clone();
                let lang = app.lang;
                std::thread::spawn(move || {
                    let answer = crate::city::CityClient::new(&url, &bank)
                        .and_then(|client| client.volunteer_details(&card, &staff))
                        .map_err(|e| screens::city_record::failure_words(lang.text(), &e));
                    let _ = tx.send(Msg::CityRecord(card, answer));
                });
            }
            Effect::AskCertificate { url, card, from, to } => {
                let Some(bank) = app.bank() else { continue };
                let tx = tx.clone();
                let lang = app.lang;
                std::thread::spawn(move || {
                    let answer = crate::city::CityClient::new(&url, &bank)
                        .and_then(|client| client.issue_certificate(&card, from, to))
                        .map_err(|e| screens::city_record::failure_words(lang.text(), &e));
                    let _ = tx.send(Msg::CityCertificate(answer));
                });
            }
            Effect::AskConflicts { url } => {
                let Some(bank) = app.bank() else { continue };
                let tx = tx.clone();
                let lang = app.lang;
                std::thread::spawn(move || {
                    let answer = crate::city::CityClient::new(&url, &bank)
                        .and_then(|client| client.conflicts())
                        .map_err(|e| screens::city_record::failure_words(lang.text(), &e));
                    let _ = tx.send(Msg::Conflicts(answer));
                });
            }
            Effect::CityCommit { ticket, url, actor, work } => {
                let Some(bank) = app.bank() else { continue };
                let tx = tx.clone();
                let t = app.lang.text();
                std::thread::spawn(move || {
                    let link = crate::city::CityLink::Url(&url);
                    let result = screens::confirm::run(&bank, link, &actor, t, &work);
                    let _ = tx.send(Msg::CityCommitted(ticket, result));
                });
            }
            Effect::CityRedeemPoints { ticket, url, actor, redemption } => {
                let Some(bank) = app.bank() else { continue };
                let tx = tx.clone();
                let t = app.lang.text();
                std::thread::spawn(move || {
                    let link = crate::city::CityLink::Url(&url);
                    let result = screens::exchange::redeem(&bank, link, &actor, t, &redemption);
                    let _ = tx.send(Msg::CityCommitted(ticket, result));
                });
            }
            Effect::Print { command, text } => {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let _ = tx.send(Msg::Printed(print(&command, &text)));
                });
            }
        }
    }
}

/// Pipes `text` to `command` run by the shell; the error says what the printer said.
pub fn print(command: &str, text: &str) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        // A command that exits without reading everything closes the pipe: what it said and
        // its exit status explain that better than "broken pipe".
        match stdin.write_all(text.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.to_string()),
            _ => {}
        }
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        let said = String::from_utf8_lossy(&out.stderr).trim().chars().take(200).collect::<String>();
        Err(format!("{command}: {} {said}", out.status))
    }
}
